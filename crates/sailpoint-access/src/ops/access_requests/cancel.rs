//! Cancelling one request, safe to replay.

use sailpoint_access_api::dispatch;
use sailpoint_access_api::types::CancelAccessRequest;

use super::validate::validate_cancel;
use crate::engine::Engine;
use crate::error::{ErrorKind, Result};

/// A cancellation; from `AccessRequests::cancel`. Awaited with [`send`](Self::send).
///
/// Retried on transient failures. When an attempt may have reached the
/// service and its answer was lost, the retry is answered "cannot be
/// cancelled: it is CANCELLED": that is reported as success, marked
/// [`Cancelled::was_replayed`], with a `tracing` event.
#[derive(Clone, Debug)]
#[must_use = "a cancellation does nothing until `send` is awaited"]
pub struct Cancel {
    engine: Engine,
    body: CancelAccessRequest,
}

/// The outcome of a successful [`Cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cancelled {
    replayed: bool,
}

impl Cancelled {
    /// True when the service's answer to an earlier attempt was lost and the
    /// replay found the request already cancelled.
    pub fn was_replayed(&self) -> bool {
        self.replayed
    }
}

impl Cancel {
    pub(crate) fn new(engine: Engine, account_activity_id: String, comment: String) -> Self {
        Self {
            engine,
            body: CancelAccessRequest {
                account_activity_id,
                comment,
            },
        }
    }

    /// Validates and sends the cancellation.
    pub async fn send(self) -> Result<Cancelled> {
        validate_cancel(&self.body)?;
        let raw = self.engine.raw();
        let body = self.body;
        let family = self.engine.family();
        let outcome = self
            .engine
            .execute(dispatch::CancelAccessRequest::operation(family), || {
                dispatch::CancelAccessRequest::new(raw, family)
                    .body(body.clone())
                    .send()
            })
            .await;
        match outcome {
            Ok(_) => Ok(Cancelled { replayed: false }),
            Err(e)
                if e.after_possible_delivery()
                    && e.kind() == ErrorKind::ClientError
                    && e.api_error().is_some_and(|a| a.mentions("cancelled")) =>
            {
                tracing::info!(
                    account_activity_id = %body.account_activity_id,
                    "cancel replayed after a lost answer; the request was already cancelled"
                );
                Ok(Cancelled { replayed: true })
            }
            Err(e) => Err(e),
        }
    }
}
