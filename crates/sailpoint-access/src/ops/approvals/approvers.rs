//! The approvers of one access request
//! (`GET /access-request-approvals/v1/{accessRequestId}/approvers`).

use sailpoint_access_api::types::AccessRequestApprover;
use sailpoint_access_api::{operations, Rule};

use super::check_id;
use crate::engine::Engine;
use crate::error::Result;

/// Who an access request waits on; from `Approvals::approvers`. Org
/// administrators only.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct ApproversQuery {
    engine: Engine,
    access_request_id: String,
}

impl ApproversQuery {
    pub(crate) fn new(engine: Engine, access_request_id: String) -> Self {
        Self {
            engine,
            access_request_id,
        }
    }

    /// Validates (`wait.ids`: a non-blank access request id) and fetches
    /// every approver (one page of the largest size).
    pub async fn send(self) -> Result<Vec<AccessRequestApprover>> {
        check_id(&self.access_request_id, Rule::WaitIds)?;
        let raw = self.engine.raw();
        let id = self.access_request_id;
        let value = self
            .engine
            .execute(&operations::LIST_ACCESS_REQUEST_APPROVERS, || {
                raw.list_access_request_approvers()
                    .access_request_id(id.as_str())
                    .send()
            })
            .await?;
        Ok(value.into_inner())
    }
}
