//! Error responses in the API's shapes: `ErrorResponse` with `detailCode`,
//! `trackingId` and `messages` for 4xx/5xx, `{"error"}` for 401 and
//! `{"message"}` for 429. A 400 for a documented rule also names the rule:
//! its code is the text of the only entry of `causes`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sailpoint_access_api::types::{ErrorMessageDto, ErrorResponse, LocaleOrigin};
use sailpoint_access_api::Rule;
use serde::Serialize;

/// An error the sandbox answers with, already in the wire shape.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    // Boxed: errors travel through many `Result`s and should stay small.
    body: Box<ErrorResponse>,
    retry_after: Option<u64>,
}

// Tracking ids only need to be unique within a process, which a counter gives
// without touching the seeded PRNGs (so errors never shift generated ids).
static TRACKING: AtomicU64 = AtomicU64::new(1);

fn tracking_id() -> String {
    format!("{:032x}", TRACKING.fetch_add(1, Ordering::Relaxed))
}

/// The locale of every message the sandbox writes.
const LOCALE: &str = "en-US";

fn message(text: impl Into<String>) -> ErrorMessageDto {
    ErrorMessageDto {
        locale: Some(LOCALE.to_owned()),
        locale_origin: Some(LocaleOrigin::Default),
        text: Some(text.into()),
    }
}

impl ApiError {
    fn detailed(status: StatusCode, detail_code: &str, text: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorResponse {
                detail_code: Some(detail_code.to_owned()),
                tracking_id: Some(tracking_id()),
                messages: vec![message(text)],
                ..ErrorResponse::default()
            }),
            retry_after: None,
        }
    }

    /// 400 with `detailCode` `400.1 Bad Request Content`.
    pub(crate) fn bad_request(text: impl Into<String>) -> Self {
        Self::detailed(StatusCode::BAD_REQUEST, "400.1 Bad Request Content", text)
    }

    /// 400 for a broken rule: as [`bad_request`](Self::bad_request), with
    /// the rule's code as the text of `causes[0]`, so a client can map it back
    /// with `Rule::from_code`.
    pub(crate) fn rule(rule: Rule, text: impl Into<String>) -> Self {
        let mut error = Self::bad_request(text);
        error.body.causes = vec![message(rule.code())];
        error
    }

    /// 403 for a caller without the right.
    pub(crate) fn forbidden(text: impl Into<String>) -> Self {
        Self::detailed(StatusCode::FORBIDDEN, "403 Forbidden", text)
    }

    /// 404 for an unknown object or route.
    pub(crate) fn not_found(text: impl Into<String>) -> Self {
        Self::detailed(StatusCode::NOT_FOUND, "404 Not found", text)
    }

    /// 405 for a known path with the wrong method.
    pub(crate) fn method_not_allowed() -> Self {
        Self::detailed(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 Method Not Allowed",
            "The method is not supported for this path.",
        )
    }

    /// An injected or real server failure (500, 502, 503).
    pub(crate) fn server(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            502 => "502 Bad Gateway",
            503 => "503 Service Unavailable",
            504 => "504 Gateway Timeout",
            _ => "500.0 Internal Fault",
        };
        Self::detailed(
            status,
            code,
            "An internal fault occurred in the sandbox (injected).",
        )
    }

    /// 401 in the `{"error": ...}` shape.
    pub(crate) fn unauthorized(text: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            body: Box::new(ErrorResponse {
                error: Some(text.into()),
                ..ErrorResponse::default()
            }),
            retry_after: None,
        }
    }

    /// Keeps the body, changes the status (the token endpoint's 400s use the
    /// `{"error"}` shape too).
    pub(crate) fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// 429 in the `{"message": ...}` shape, with `Retry-After` in seconds.
    pub(crate) fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: Box::new(ErrorResponse {
                message: Some("Rate Limit Exceeded".to_owned()),
                ..ErrorResponse::default()
            }),
            retry_after: Some(retry_after_secs),
        }
    }
}

impl From<(Rule, String)> for ApiError {
    fn from((rule, text): (Rule, String)) -> Self {
        Self::rule(rule, text)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, &*self.body);
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A JSON response; serialization of the generated types cannot fail, but a
/// failure would still come back as a 500 rather than a panic.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_bytes(status, bytes),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "serialization failed").into_response(),
    }
}

/// A list's page with `X-Total-Count` (every row the query matched) added
/// when the caller asked for the count.
pub(crate) fn with_total(mut page: Response, total: Option<usize>) -> Response {
    if let Some(total) = total {
        page.headers_mut()
            .insert("X-Total-Count", HeaderValue::from(total));
    }
    page
}

/// A response whose body is already-encoded JSON.
pub(crate) fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_error_carries_the_code_in_causes() {
        let error = ApiError::from((Rule::CancelComment, "comment is required.".to_owned()));
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        let body = serde_json::to_value(&*error.body).unwrap();
        assert_eq!(body["detailCode"], "400.1 Bad Request Content");
        assert_eq!(body["messages"][0]["text"], "comment is required.");
        assert_eq!(body["causes"].as_array().map(Vec::len), Some(1));
        assert_eq!(body["causes"][0]["text"], "cancel.comment");
        assert_eq!(body["causes"][0]["locale"], "en-US");
        // Plain 400s have no causes at all.
        let plain = serde_json::to_value(&*ApiError::bad_request("x").body).unwrap();
        assert!(plain.get("causes").is_none(), "{plain}");
    }
}
