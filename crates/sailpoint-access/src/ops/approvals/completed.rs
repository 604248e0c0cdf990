//! The completed approvals list (`GET /access-request-approvals/v1/completed`).

use sailpoint_access_api::types::CompletedApproval;

use super::{approval_list, ListParams};
use crate::engine::Engine;

/// One page, or every page, of the approved or rejected approvals; from
/// `Approvals::completed`. Filters: `id`, `requestedFor.id`, `modified`;
/// completed approvals name no access request.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct CompletedApprovals {
    engine: Engine,
    params: ListParams,
}

approval_list!(
    CompletedApprovals,
    CompletedApproval,
    LIST_COMPLETED_APPROVALS,
    list_completed_approvals
);
