//! The approvals of given access requests, through the pending list
//! filtered by `accessRequestId in (...)`: the status list's
//! `approvalDetails[].approvalId` is often null, and gone in the versioned
//! family, so the pending list is the only reliable map.

use std::collections::HashMap;

use sailpoint_access_api::types::PendingApproval;

use super::{in_filter, IDS_PER_FILTER};
use crate::engine::setters::pass_set;
use crate::error::Result;
use crate::jobs::bulk::{Journal, JournalEntry, RequestResult};
use crate::ops::approvals::Approvals;

/// The access request ids a bulk run's journal records as accepted, in
/// order, each once.
pub fn access_request_ids_of_journal(journal: &dyn Journal) -> std::io::Result<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let mut ids = Vec::new();
    for entry in journal.entries()? {
        if let JournalEntry::Outcome {
            result: RequestResult::Accepted,
            access_request_ids,
            ..
        } = entry
        {
            for id in access_request_ids {
                if seen.insert(id.clone()) {
                    ids.push(id);
                }
            }
        }
    }
    Ok(ids)
}

/// The pending approvals of some access requests; from `Client::approvals_of`.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct ApprovalsOf {
    approvals: Approvals,
    access_request_ids: Vec<String>,
    owner: Option<String>,
}

impl ApprovalsOf {
    pub(crate) fn new(approvals: Approvals, access_request_ids: Vec<String>) -> Self {
        Self {
            approvals,
            access_request_ids,
            owner: None,
        }
    }

    /// Only approvals of this owner (`me` for the caller; required of
    /// callers who are not org administrators).
    pub fn owner(mut self, identity_id: impl Into<String>) -> Self {
        self.owner = Some(identity_id.into());
        self
    }

    /// The pending approvals, by access request id (requests without one
    /// are absent). One call per 50 ids (more only past 250 approvals).
    pub async fn send(self) -> Result<HashMap<String, Vec<PendingApproval>>> {
        let mut by_request: HashMap<String, Vec<PendingApproval>> = HashMap::new();
        let mut ids = self.access_request_ids;
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(IDS_PER_FILTER) {
            let mut query = self
                .approvals
                .pending()
                .filters(in_filter("accessRequestId", chunk));
            pass_set!(query; self.owner => owner);
            for approval in query.send_all().await? {
                if let Some(request) = approval.access_request_id.clone() {
                    by_request.entry(request).or_default().push(approval);
                }
            }
        }
        Ok(by_request)
    }
}
