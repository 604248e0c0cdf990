//! Bulk access requests that are never duplicated: plan within the limits,
//! skip what is pending, pace to the rate limit, journal, resume, wait.
//!
//! ```no_run
//! # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
//! use std::time::Duration;
//! use sailpoint_access::bulk::{plan, BulkRow, JsonlJournal, PlanLimits};
//! use sailpoint_access::types::{AccessItemType, AccessRequestType};
//!
//! let rows = (0..400).map(|i| BulkRow::new(format!("hire-{i}"), AccessItemType::Role, "2c91...r"));
//! let plan = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());
//! let journal = JsonlJournal::open("onboarding.journal.jsonl").expect("journal");
//! let report = client
//!     .bulk_submit(plan)
//!     .journal(journal) // run again with the same file after a crash: it resumes
//!     .wait(Duration::from_secs(600))
//!     .send()
//!     .await?;
//! println!("{}", serde_json::to_string_pretty(&report).unwrap());
//! # Ok(()) }
//! ```
//!
//! The guarantees: every row ends as submitted, skipped (pending already,
//! or held already when [`BulkSubmit::preflight`] asks the look-ups first),
//! refused (with its rule), failed (refused by the service) or unknown (sent,
//! answer lost, not found afterwards); never silently dropped. Each request
//! carries its idempotency key (`RUN/NUMBER`) in `clientMetadata`
//! (`sailpointAccessKey`), its intent is durable in the journal before it is
//! sent, and on a re-run a request whose outcome was not recorded is looked
//! up by that key in the statuses (for a grace period, since the service
//! lists new requests asynchronously) before anything is sent again: no
//! planned request is accepted twice.
//!
//! The journal records content, not positions: each intent carries the
//! fingerprint of its request and of each row in it (SHA-256 of a canonical
//! JSON text). Re-running with a changed plan ("the same list tomorrow,
//! updated") on the same journal sends only the rows whose content no
//! earlier request accepted; rows done earlier are reported with
//! `done_by: earlier_run`, and rows the journal holds that the plan no
//! longer does are listed in `removed_rows`. The grace is sized from the
//! listing lag the runs measure, and what a resume concludes about an
//! unanswered request is journaled, so it is not looked for twice.

mod fingerprint;
mod journal;
mod ledger;
mod plan;
pub(crate) mod preflight;
mod run;

pub use journal::{
    Journal, JournalEntry, JournaledRow, JsonlJournal, MemoryJournal, RequestResult,
};
pub use plan::{plan, BulkRow, Plan, PlanLimits, PlannedRequest, RefusedRow};
pub use run::{
    BulkFailure, BulkReport, BulkSubmit, DoneBy, RemovedRow, RowOutcome, RowReport, KEY_METADATA,
};
