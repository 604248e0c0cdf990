//! The pending approvals list (`GET /access-request-approvals/v1/pending`).

use sailpoint_access_api::types::PendingApproval;

use super::{approval_list, ListParams};
use crate::engine::Engine;

/// One page, or every page, of the pending approvals; from
/// `Approvals::pending`. Filters: `id`, `requestedFor.id` and
/// `accessRequestId` (eq, in), `created`, `modified`. The one list that
/// ties an approval to its access request.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct PendingApprovals {
    engine: Engine,
    params: ListParams,
}

approval_list!(
    PendingApprovals,
    PendingApproval,
    LIST_PENDING_APPROVALS,
    list_pending_approvals
);
