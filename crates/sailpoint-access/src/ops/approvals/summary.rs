//! The approval summary (`GET /access-request-approvals/v1/approval-summary`).

use sailpoint_access_api::operations;
use sailpoint_access_api::types::ApprovalSummary;

use crate::engine::setters::pass_set;
use crate::engine::Engine;
use crate::error::Result;

/// How many approvals are pending, approved and rejected; from
/// `Approvals::summary`.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct SummaryQuery {
    engine: Engine,
    owner: Option<String>,
    from_date: Option<String>,
}

impl SummaryQuery {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            owner: None,
            from_date: None,
        }
    }

    /// Only approvals of this owner (`me` for the caller).
    pub fn owner(mut self, identity_id: impl Into<String>) -> Self {
        self.owner = Some(identity_id.into());
        self
    }

    /// Only approvals since this time (sent as ISO-8601).
    pub fn from_date(mut self, since: chrono::DateTime<chrono::Utc>) -> Self {
        self.from_date = Some(since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        self
    }

    /// Fetches the counts.
    pub async fn send(self) -> Result<ApprovalSummary> {
        let raw = self.engine.raw();
        let (owner, from) = (self.owner, self.from_date);
        let value = self
            .engine
            .execute(&operations::GET_APPROVAL_SUMMARY, || {
                let mut call = raw.get_approval_summary();
                pass_set!(call; owner => owner_id, from => from_date);
                call.send()
            })
            .await?;
        Ok(value.into_inner())
    }
}
