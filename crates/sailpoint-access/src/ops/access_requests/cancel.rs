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
    already: bool,
}

impl Cancelled {
    /// True when the service's answer to an earlier attempt was lost and the
    /// replay found the request already cancelled.
    pub fn was_replayed(&self) -> bool {
        self.replayed
    }

    /// True when the service answered that the item was already cancelled
    /// (by this call's lost earlier attempt, or before it): the goal holds,
    /// so it is an outcome rather than an error.
    pub fn was_already_cancelled(&self) -> bool {
        self.already
    }
}

/// Whether an error answer says the item is already cancelled: the state's
/// name (`it is CANCELLED`) or the words `already cancelled`. A plain "cannot
/// be cancelled" (a completed or rejected item) is not.
fn says_already_cancelled(api: &crate::error::ApiError) -> bool {
    api.messages.iter().any(|m| {
        m.split(|c: char| !c.is_ascii_alphabetic() && c != '_')
            .any(|word| word == "CANCELLED")
            || m.to_ascii_lowercase().contains("already cancelled")
    })
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
            Ok(_) => Ok(Cancelled {
                replayed: false,
                already: false,
            }),
            Err(e)
                if e.kind() == ErrorKind::ClientError
                    && e.api_error().is_some_and(says_already_cancelled) =>
            {
                let replayed = e.after_possible_delivery();
                tracing::info!(
                    account_activity_id = %body.account_activity_id,
                    replayed,
                    "the request was already cancelled"
                );
                Ok(Cancelled {
                    replayed,
                    already: true,
                })
            }
            Err(e) => Err(e),
        }
    }
}
