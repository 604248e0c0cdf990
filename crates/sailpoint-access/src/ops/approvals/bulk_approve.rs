//! Approving up to 50 approvals in one call
//! (`POST /access-request-approvals/v1/bulk-approve`).

use sailpoint_access_api::types::BulkApproveApprovals;
use sailpoint_access_api::{limits, Rule};

use crate::engine::Engine;
use crate::error::{Result, ValidationError};
use crate::ops::{check_not_blank, send_body};

/// Most approval ids one bulk approve may carry (the vendor's prose limit,
/// the `maxItems` of our spec).
pub const MAX_BULK_APPROVE_IDS: usize = limits::BULK_APPROVE_APPROVALS_APPROVAL_IDS_MAX_ITEMS;

/// Approves up to [`MAX_BULK_APPROVE_IDS`] approvals with one comment; from
/// `Approvals::bulk_approve`. The service answers 202 even for unknown ids;
/// `Client::approve_many` re-reads to learn what happened.
#[derive(Clone, Debug)]
#[must_use = "a bulk approve does nothing until `send` is awaited"]
pub struct BulkApprove {
    engine: Engine,
    body: BulkApproveApprovals,
}

impl BulkApprove {
    pub(crate) fn new(engine: Engine, approval_ids: Vec<String>, comment: String) -> Self {
        Self {
            engine,
            body: BulkApproveApprovals {
                approval_ids,
                comment,
            },
        }
    }

    /// Validates (`bulk_approve.ids_count`: 1 to [`MAX_BULK_APPROVE_IDS`]
    /// non-blank ids; `bulk_approve.comment`) and sends.
    pub async fn send(self) -> Result<()> {
        let ids = &self.body.approval_ids;
        if ids.is_empty() || ids.len() > MAX_BULK_APPROVE_IDS {
            return Err(ValidationError::with_message(
                Rule::BulkApproveIdsCount,
                ids.len(),
                format!("between 1 and {MAX_BULK_APPROVE_IDS} approval ids are required"),
            )
            .into());
        }
        if let Some(blank) = ids.iter().find(|id| id.trim().is_empty()) {
            return Err(ValidationError::new(Rule::ApprovalId, format!("{blank:?}")).into());
        }
        check_not_blank(&self.body.comment, Rule::BulkApproveComment)?;
        send_body!(
            self.engine,
            BULK_APPROVE_APPROVALS,
            self.body,
            bulk_approve_approvals
        )?;
        Ok(())
    }
}
