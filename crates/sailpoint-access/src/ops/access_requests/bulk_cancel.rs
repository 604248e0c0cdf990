//! Cancelling up to 50 requests in one call: exists only in the versioned
//! family and always uses it.

use sailpoint_access_api::types::BulkCancelAccessRequests;
use sailpoint_access_api::{limits, Rule};

use super::close::check_ids;
use crate::engine::Engine;
use crate::error::Result;
use crate::ops::{check_not_blank, send_body};

/// Most ids one bulk cancel may carry.
pub const MAX_BULK_CANCEL_IDS: usize =
    limits::BULK_CANCEL_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS;

/// Cancels up to [`MAX_BULK_CANCEL_IDS`] access requests in one call
/// (`POST /access-requests/v1/bulk-cancel`); from `AccessRequests::bulk_cancel`.
/// For more ids, and to learn which were really cancelled (the service
/// answers 202 even for unknown ids), use `Client::cancel_many`.
#[derive(Clone, Debug)]
#[must_use = "a cancellation does nothing until `send` is awaited"]
pub struct BulkCancel {
    engine: Engine,
    body: BulkCancelAccessRequests,
}

impl BulkCancel {
    pub(crate) fn new(engine: Engine, ids: Vec<String>, comment: String) -> Self {
        Self {
            engine,
            body: BulkCancelAccessRequests {
                access_request_ids: ids,
                comment,
            },
        }
    }

    /// Validates (`bulk_cancel.ids_count`, `bulk_cancel.comment`) and sends.
    pub async fn send(self) -> Result<()> {
        check_ids(
            &self.body.access_request_ids,
            MAX_BULK_CANCEL_IDS,
            Rule::BulkCancelIdsCount,
        )?;
        check_not_blank(&self.body.comment, Rule::BulkCancelComment)?;
        send_body!(
            self.engine,
            BULK_CANCEL_ACCESS_REQUESTS,
            self.body,
            bulk_cancel_access_requests
        )?;
        Ok(())
    }
}
