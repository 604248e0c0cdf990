//! Turning what the generated client returned into our [`Error`]: the status
//! of a response it did not expect, the JSON path of a body it could not
//! decode, and the kind of a transport failure.

use std::time::Duration;

use progenitor_client::Error as RawError;
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::{Operation, ResponseMeta, Rule};
use serde::de::DeserializeOwned;

use crate::engine::retry;
use crate::error::{
    chain, excerpt, DecodeError, Error, TimeoutPhase, TransportKind, ValidationError,
};

/// One failed attempt, classified.
pub(crate) struct Failure {
    pub error: Error,
    /// True when the request may have reached the server.
    pub sent: bool,
}

/// Maps a generated-client error to ours, reading what is left of the response
/// (the caller bounds this in time: it runs inside the attempt timeout).
pub(crate) async fn classify<T: DeserializeOwned>(
    raw: RawError<ErrorResponse>,
    meta: Option<ResponseMeta>,
    op: &Operation,
    connect: Duration,
) -> Failure {
    match raw {
        RawError::CommunicationError(e) => {
            let sent = !e.is_connect();
            Failure {
                error: reqwest_error(e, connect),
                sent,
            }
        }
        RawError::ResponseBodyError(e) | RawError::InvalidUpgrade(e) => Failure {
            error: match body_limit(&e) {
                Some(limit) => Error::too_large(limit),
                None => reqwest_error(e, connect).with_before_send(false),
            },
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
            tracing::trace!(status, bytes = body.len(), "unexpected response");
            let error = if (200..300).contains(&status) {
                Error::decoding(DecodeError::new(
                    Some(status),
                    ".",
                    format!(
                        "unexpected success status {status}, expected {}",
                        op.success
                    ),
                    excerpt(&String::from_utf8_lossy(&body), 200),
                ))
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
                Some(meta) => {
                    let mut decode = decode_error::<T>(&body, op);
                    decode.status = Some(meta.status.as_u16());
                    Error::decoding(decode)
                }
                None => Error::decoding(decode_error::<T>(&body, op)),
            };
            Failure { error, sent: true }
        }
        RawError::InvalidRequest(message) => Failure {
            error: ValidationError::with_message(Rule::RequestEncode, "body", message).into(),
            sent: false,
        },
        // The hook failed before sending: the token could not be had.
        RawError::Custom(message) => Failure {
            error: Error::transport(TransportKind::Other, message).with_before_send(true),
            sent: false,
        },
    }
}

/// Rebuilds a decode failure with the JSON path of the problem.
///
/// The generated client does not keep the status of a body it failed to decode.
/// It is inferred: when the body is a valid error document, or has the
/// success type's shape up to a nested field, the failure was in the success
/// type and the status is the operation's success status; otherwise it stays unknown.
pub(crate) fn decode_error<T: DeserializeOwned>(body: &[u8], op: &Operation) -> DecodeError {
    let body_excerpt = excerpt(&String::from_utf8_lossy(body), 200);
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = path_or_root(e.path().to_string());
            let success_shaped =
                path != "." || serde_json::from_slice::<ErrorResponse>(body).is_ok();
            let status = success_shaped.then_some(op.success);
            // serde quotes the offending value, which may be megabytes long.
            DecodeError::new(
                status,
                path,
                excerpt(&e.inner().to_string(), 300),
                body_excerpt,
            )
        }
        Ok(_) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let (path, message) =
                match serde_path_to_error::deserialize::<_, ErrorResponse>(&mut de) {
                    Err(e) => (path_or_root(e.path().to_string()), e.inner().to_string()),
                    Ok(_) => (".".into(), "undecodable body".into()),
                };
            DecodeError::new(
                None,
                path,
                format!("error body: {}", excerpt(&message, 300)),
                body_excerpt,
            )
        }
    }
}

/// The limit, when `e` is a body cut by `observe_limited`'s cap.
pub(crate) fn body_limit(e: &reqwest::Error) -> Option<u64> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(too_large) = s.downcast_ref::<sailpoint_access_api::BodyTooLarge>() {
            return Some(too_large.limit);
        }
        source = s.source();
    }
    None
}

fn path_or_root(path: String) -> String {
    if path.is_empty() || path == "?" {
        ".".into()
    } else {
        path
    }
}

/// A transport failure, told apart by kind, described without the URL
/// (filters may hold personal data), with the cause kept as its source.
/// Only the connect timeout is set on the `reqwest` client (attempt and total
/// limits are enforced around the call), so a `reqwest` timeout is a connect timeout.
pub(crate) fn reqwest_error(e: reqwest::Error, connect: Duration) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        return Error::timeout(TimeoutPhase::Connect, connect).with_source(e);
    }
    let kind = transport_kind(&e);
    let message = chain(&e);
    let before_send = e.is_connect();
    Error::transport(kind, excerpt(&message, 300))
        .with_before_send(before_send)
        .with_source(e)
}

fn transport_kind(e: &reqwest::Error) -> TransportKind {
    let mut texts = Vec::new();
    let mut io_kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        texts.push(s.to_string().to_ascii_lowercase());
        source = s.source();
    }
    let said = |words: &[&str]| texts.iter().any(|t| words.iter().any(|w| t.contains(w)));
    if said(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
    ]) {
        TransportKind::Dns
    } else if said(&[
        "certificate",
        "tls",
        "handshake",
        // rustls' own words for a peer that does not speak TLS or breaks it.
        "corrupt message",
        "peer is incompatible",
        "peer misbehaved",
        "received fatal alert",
    ]) {
        TransportKind::Tls
    } else if e.is_connect() || matches!(io_kind, Some(std::io::ErrorKind::ConnectionRefused)) {
        TransportKind::Connect
    } else if e.is_body() || e.is_request() || io_kind.is_some() || said(&["connection"]) {
        TransportKind::Io
    } else {
        TransportKind::Other
    }
}
