//! Closing requests at any stage: exists only in the versioned family and
//! always uses it.

use sailpoint_access_api::types::{
    CloseAccessRequests, CloseCompletionStatus, CloseExecutionStatus,
};
use sailpoint_access_api::{limits, Rule};

use crate::engine::setters::setters;
use crate::engine::Engine;
use crate::error::{Result, ValidationError};
use crate::ops::send_body;

/// Most ids one close may carry.
pub const MAX_CLOSE_IDS: usize = limits::CLOSE_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS;

/// 1 to `max` non-blank ids, else `rule` is broken.
pub(super) fn check_ids(ids: &[String], max: usize, rule: Rule) -> Result<(), ValidationError> {
    if ids.is_empty() || ids.len() > max {
        return Err(ValidationError::with_message(
            rule,
            ids.len(),
            format!("between 1 and {max} access request ids are required"),
        ));
    }
    if let Some(blank) = ids.iter().find(|id| id.trim().is_empty()) {
        return Err(ValidationError::with_message(
            rule,
            format!("{blank:?}"),
            "access request ids cannot be blank",
        ));
    }
    Ok(())
}

/// Closes access requests at any stage (`POST /access-requests/v1/close`);
/// from `AccessRequests::close`. The service answers 202 even for unknown
/// ids: re-read their statuses to confirm.
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// use sailpoint_access::types::{CloseCompletionStatus, CloseExecutionStatus};
///
/// client
///     .access_requests()
///     .close(["2c91...req"])
///     .execution_status(CloseExecutionStatus::Terminated)
///     .completion_status(CloseCompletionStatus::Failure)
///     .message("the contractor left")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a close does nothing until `send` is awaited"]
pub struct Close {
    engine: Engine,
    body: CloseAccessRequests,
}

impl Close {
    pub(crate) fn new(engine: Engine, ids: Vec<String>) -> Self {
        Self {
            engine,
            body: CloseAccessRequests {
                access_request_ids: ids,
                completion_status: None,
                execution_status: None,
                message: None,
            },
        }
    }

    setters! {
        /// How the requests ended (the service's default: `Terminated`).
        execution_status(CloseExecutionStatus) => body.execution_status = Some;
        /// Whether they succeeded (the service's default: `Failure`).
        completion_status(CloseCompletionStatus) => body.completion_status = Some;
        /// Why they were closed.
        message(impl Into<String>) => body.message = Some;
    }

    /// Validates (`close.ids_count`: 1 to [`MAX_CLOSE_IDS`] non-blank ids)
    /// and sends. Safe to replay: closing a closed request changes nothing.
    pub async fn send(self) -> Result<()> {
        check_ids(
            &self.body.access_request_ids,
            MAX_CLOSE_IDS,
            Rule::CloseIdsCount,
        )?;
        send_body!(
            self.engine,
            CLOSE_ACCESS_REQUESTS,
            self.body,
            close_access_requests
        )?;
        Ok(())
    }
}
