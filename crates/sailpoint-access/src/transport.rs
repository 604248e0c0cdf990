//! The single place where an operation is executed: token, attempt timeout,
//! classification, retries, error mapping and the tracing span.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use progenitor_client::{Error as RawError, ResponseValue};
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::ResponseMeta;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::client::Inner;
use crate::error::{excerpt, DecodeError, Error, Result};
use crate::retry;

/// What the transport needs to know about an operation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Op {
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    /// Whether sending it twice does no harm; only such calls are replayed
    /// after the request may have reached the server.
    pub idempotent: bool,
    /// The status the generated client decodes as success.
    pub success: u16,
}

pub(crate) const GET_CONFIG: Op = Op {
    name: "get_access_request_config",
    method: "GET",
    path: "/v3/access-request-config",
    idempotent: true,
    success: 200,
};
pub(crate) const SET_CONFIG: Op = Op {
    name: "set_access_request_config",
    method: "PUT",
    path: "/v3/access-request-config",
    idempotent: true,
    success: 200,
};
pub(crate) const LIST_STATUS: Op = Op {
    name: "list_access_request_status",
    method: "GET",
    path: "/v3/access-request-status",
    idempotent: true,
    success: 200,
};
pub(crate) const CREATE: Op = Op {
    name: "create_access_request",
    method: "POST",
    path: "/v3/access-requests",
    idempotent: false,
    success: 202,
};
// Cancelling twice has the same effect as once (the second is refused or ignored).
pub(crate) const CANCEL: Op = Op {
    name: "cancel_access_request",
    method: "POST",
    path: "/v3/access-requests/cancel",
    idempotent: true,
    success: 202,
};

/// One failed attempt, classified.
struct Failure {
    error: Error,
    /// True when the request may have reached the server.
    sent: bool,
}

/// Runs `call` (one generated-client request per invocation) under the
/// client's auth, timeout and retry policy.
pub(crate) async fn execute<T, F, Fut>(
    inner: &Inner,
    op: Op,
    mut call: F,
) -> Result<ResponseValue<T>>
where
    T: DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>>,
{
    let span = tracing::debug_span!(
        "sailpoint_access",
        operation = op.name,
        method = op.method,
        path = op.path,
        status = tracing::field::Empty,
        attempt = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    // Shared with the attempt loop so that a total timeout, which drops the
    // loop, still reports how many attempts were made.
    let attempts = AtomicU32::new(0);
    let run =
        run_attempts(inner, op, &mut call, started, &span, &attempts).instrument(span.clone());
    let result = match inner.timeouts.total {
        Some(total) => match tokio::time::timeout(total, run).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                what: "total",
                after: total,
                attempts: 0,
            }),
        },
        None => run.await,
    };
    let result = result.map_err(|e| e.with_attempts(attempts.load(Ordering::Relaxed)));
    span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(_) => tracing::debug!(parent: &span, "call succeeded"),
        Err(e) => tracing::debug!(parent: &span, error = %e, "call failed"),
    }
    result
}

async fn run_attempts<T, F, Fut>(
    inner: &Inner,
    op: Op,
    call: &mut F,
    started: Instant,
    span: &tracing::Span,
    attempts: &AtomicU32,
) -> Result<ResponseValue<T>>
where
    T: DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>>,
{
    let policy = &inner.retry;
    let mut attempt = 0u32;
    let mut replayed_after_401 = false;
    loop {
        attempt += 1;
        attempts.store(attempt, Ordering::Relaxed);
        span.record("attempt", attempt);
        let (failure, generation) = match inner.auth.ensure().await {
            Err(error) => (Failure { error, sent: false }, None),
            Ok(generation) => {
                let outcome = tokio::time::timeout(
                    inner.timeouts.attempt,
                    sailpoint_access_api::observe(call()),
                )
                .await;
                let failure = match outcome {
                    Ok((Ok(value), _)) => {
                        span.record("status", value.status().as_u16());
                        return Ok(value);
                    }
                    Ok((Err(raw), meta)) => {
                        classify::<T>(raw, meta, op, inner.timeouts.connect).await
                    }
                    Err(_) => Failure {
                        error: Error::Timeout {
                            what: "attempt",
                            after: inner.timeouts.attempt,
                            attempts: 0,
                        },
                        sent: true,
                    },
                };
                (failure, Some(generation))
            }
        };
        if let Some(status) = failure.error.status() {
            span.record("status", status);
        }

        // A rejected token is replaced once and the request replayed once, even a
        // submission: a 401 means the service did not act on it.
        if let (Error::Unauthorized(_), Some(generation)) = (&failure.error, generation) {
            if !replayed_after_401 && inner.auth.can_refresh() {
                replayed_after_401 = true;
                inner.auth.invalidate(generation);
                tracing::debug!(attempt, "token rejected; refreshing and replaying once");
                attempt -= 1;
                continue;
            }
        }

        let may_retry = failure.error.is_retryable()
            && attempt < policy.max_attempts()
            && (op.idempotent
                || !failure.sent
                || matches!(failure.error, Error::RateLimited { .. }));
        if !may_retry {
            return Err(failure.error);
        }
        let wait = match &failure.error {
            Error::RateLimited {
                retry_after: Some(after),
                ..
            } => policy.cap_retry_after(*after),
            _ => policy.backoff(attempt),
        };
        if started.elapsed() + wait > policy.max_elapsed() {
            return Err(failure.error);
        }
        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %failure.error, "retrying");
        tokio::time::sleep(wait).await;
    }
}

/// Maps a generated-client error to ours, reading what is left of the response.
async fn classify<T: DeserializeOwned>(
    raw: RawError<ErrorResponse>,
    meta: Option<ResponseMeta>,
    op: Op,
    connect: Duration,
) -> Failure {
    match raw {
        RawError::CommunicationError(e) => {
            let sent = !e.is_connect();
            Failure {
                error: reqwest_error(&e, connect),
                sent,
            }
        }
        RawError::ResponseBodyError(e) | RawError::InvalidUpgrade(e) => Failure {
            error: reqwest_error(&e, connect),
            sent: true,
        },
        RawError::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let wait = retry::retry_after(value.headers());
            Failure {
                error: Error::from_status(status, &value, wait),
                sent: true,
            }
        }
        RawError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let wait = retry::retry_after(response.headers());
            let body = response.bytes().await.unwrap_or_default();
            tracing::trace!(status, body = %excerpt(&String::from_utf8_lossy(&body), 2000), "unexpected response");
            let error = if (200..300).contains(&status) {
                Error::Decode(DecodeError {
                    status: Some(status),
                    path: ".".into(),
                    message: format!(
                        "unexpected success status {status}, expected {}",
                        op.success
                    ),
                    body_excerpt: excerpt(&String::from_utf8_lossy(&body), 200),
                    attempts: 0,
                })
            } else {
                // Gateways answer 502/503/504 with HTML; keep what JSON there is.
                let parsed: ErrorResponse = serde_json::from_slice(&body).unwrap_or_default();
                Error::from_status(status, &parsed, wait)
            };
            Failure { error, sent: true }
        }
        // A documented status whose body did not decode: the hooks saw the status,
        // so a gateway's HTML 429/401/500 is still rate limiting, auth or a server error.
        RawError::InvalidResponsePayload(body, _) => {
            let error = match meta {
                Some(meta) if !meta.status.is_success() => {
                    let parsed: ErrorResponse = serde_json::from_slice(&body).unwrap_or_default();
                    let wait = retry::retry_after(&meta.headers);
                    Error::from_status(meta.status.as_u16(), &parsed, wait)
                }
                Some(meta) => Error::Decode(DecodeError {
                    status: Some(meta.status.as_u16()),
                    ..decode_error::<T>(&body, op)
                }),
                None => Error::Decode(decode_error::<T>(&body, op)),
            };
            Failure { error, sent: true }
        }
        RawError::InvalidRequest(message) => Failure {
            error: Error::Validation(crate::error::ValidationError::new(
                "request.encode",
                "body",
                message,
            )),
            sent: false,
        },
        RawError::Custom(message) => Failure {
            error: Error::Transport {
                message,
                before_send: false,
                attempts: 0,
            },
            sent: true,
        },
    }
}

/// Rebuilds a decode failure with the JSON path of the problem.
///
/// The generated client does not keep the status of a body it failed to decode
/// (see the crate's known limitations). It is inferred: when the body is a
/// valid error document, or has the success type's shape up to a nested
/// field, the failure was in the success type and the status is the
/// operation's success status; otherwise it stays unknown.
pub(crate) fn decode_error<T: DeserializeOwned>(body: &[u8], op: Op) -> DecodeError {
    let body_excerpt = excerpt(&String::from_utf8_lossy(body), 200);
    tracing::trace!(body = %excerpt(&String::from_utf8_lossy(body), 2000), "undecodable response");
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = path_or_root(e.path().to_string());
            let success_shaped =
                path != "." || serde_json::from_slice::<ErrorResponse>(body).is_ok();
            let status = success_shaped.then_some(op.success);
            DecodeError {
                status,
                path,
                // serde quotes the offending value, which may be megabytes long.
                message: excerpt(&e.inner().to_string(), 300),
                body_excerpt,
                attempts: 0,
            }
        }
        Ok(_) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let (path, message) =
                match serde_path_to_error::deserialize::<_, ErrorResponse>(&mut de) {
                    Err(e) => (path_or_root(e.path().to_string()), e.inner().to_string()),
                    Ok(_) => (".".into(), "undecodable body".into()),
                };
            DecodeError {
                status: None,
                path,
                message: format!("error body: {}", excerpt(&message, 300)),
                body_excerpt,
                attempts: 0,
            }
        }
    }
}

fn path_or_root(path: String) -> String {
    if path.is_empty() || path == "?" {
        ".".into()
    } else {
        path
    }
}

/// A transport failure, described without the URL's query (filters may hold
/// personal data) and never with credentials, which travel in headers and bodies only.
/// Only the connect timeout is set on the `reqwest` client (attempt and total
/// limits are enforced around the call), so a `reqwest` timeout is a connect timeout.
pub(crate) fn reqwest_error(e: &reqwest::Error, connect: Duration) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            what: "connect",
            after: connect,
            attempts: 0,
        };
    }
    let mut message = e.without_url_ref().to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        message,
        before_send: e.is_connect(),
        attempts: 0,
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let text = self.to_string();
        match self.url() {
            Some(url) => text.replace(url.as_str(), "<url>"),
            None => text,
        }
    }
}
