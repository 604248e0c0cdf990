//! Jobs over approvals: finding the approvals of given access requests
//! (`map`), and deciding many of them with a verified, per-approval report
//! (`approve_many`).

pub(crate) mod approve_many;
pub(crate) mod explain;
pub(crate) mod map;

pub use approve_many::{ApprovalOutcome, ApprovalReport, ApprovalResult, ApproveMany, Decision};
pub use explain::{Explain, Explanation, ItemExplanation, NextAction, WaitingOn};
pub use map::{access_request_ids_of_journal, ApprovalsOf};

use crate::ops::statuses::filter::quote;

/// Ids per `... in (...)` filter: keeps the query string short, as the
/// status jobs do.
pub(crate) const IDS_PER_FILTER: usize = 50;

/// `field in ("a","b")`, with `"` and `\` escaped.
pub(crate) fn in_filter(field: &str, ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| quote(id)).collect();
    format!("{field} in ({})", quoted.join(","))
}
