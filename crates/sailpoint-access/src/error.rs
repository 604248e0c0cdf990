//! The one error type of the crate, and the mapping from transport outcomes to it.

use std::fmt;
use std::time::Duration;

use sailpoint_access_api::types::ErrorResponse;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the Access Requests API.
///
/// The error carries plain data only (no `reqwest` or generated types), so it is
/// `Send + Sync + 'static`, cheap to move, and stable across dependency upgrades.
/// Its `Display` text starts in lowercase and never contains credentials.
///
/// ```
/// use sailpoint_access::Error;
///
/// fn report(err: &Error) {
///     if err.is_retryable() {
///         eprintln!("transient: {err}");
///     } else if let Some(id) = err.tracking_id() {
///         eprintln!("failed, quote tracking id {id} to support: {err}");
///     }
/// }
/// # let _ = report;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request failed a validation rule and was not sent.
    #[error("{0}")]
    Validation(ValidationError),
    /// The service answered with an error status not covered by a more specific kind.
    #[error("{0}")]
    Api(ApiError),
    /// The service answered 429; `retry_after` is what it asked us to wait.
    #[error("rate limited{}: {}", fmt_retry_after(*.retry_after), .error)]
    RateLimited {
        /// The wait the service asked for, when it sent a readable `Retry-After`.
        retry_after: Option<Duration>,
        /// The response details.
        error: ApiError,
    },
    /// The service answered 401, or the token endpoint rejected the credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(ApiError),
    /// The service answered 403: the identity behind the token may not do this.
    #[error("forbidden: {0}")]
    Forbidden(ApiError),
    /// The service answered 404.
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// An attempt or the whole call ran out of time.
    #[error("timed out after {}ms ({what}){}", .after.as_millis(), fmt_attempts(*.attempts))]
    Timeout {
        /// Which limit was hit: `attempt`, `total`, `connect`, or `wait`.
        what: &'static str,
        /// The limit that was hit.
        after: Duration,
        /// Attempts made by the call, the first included (0 when not counted).
        attempts: u32,
    },
    /// The connection failed or broke.
    #[error("transport error{}: {message}{}", if *.before_send { " before sending" } else { "" }, fmt_attempts(*.attempts))]
    Transport {
        /// What failed, without credentials.
        message: String,
        /// True when the request certainly did not reach the server (a connect failure).
        before_send: bool,
        /// Attempts made by the call, the first included (0 when not counted).
        attempts: u32,
    },
    /// A response body did not have the expected shape.
    #[error("{0}")]
    Decode(DecodeError),
    /// The client is misconfigured (base URL, credentials, config file).
    #[error("configuration error: {0}")]
    Configuration(String),
}

/// ` (after N attempts)` when the call was retried; nothing otherwise.
fn fmt_attempts(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

fn fmt_retry_after(d: Option<Duration>) -> String {
    d.map(|d| format!(" (retry after {}ms)", d.as_millis()))
        .unwrap_or_default()
}

impl Error {
    /// Whether the same call may succeed if made again later: rate limits,
    /// 502/503/504, timeouts and transport failures.
    ///
    /// The client already retries these within its [`RetryConfig`](crate::RetryConfig);
    /// this tells a caller whether retrying at a higher level makes sense.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Api(e) => matches!(e.status, 502..=504),
            _ => false,
        }
    }

    /// The HTTP status the service answered with, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::RateLimited { error: e, .. } => Some(e.status),
            Error::Decode(e) => e.status,
            _ => None,
        }
    }

    /// The service's tracking id for this failure, to quote to support.
    pub fn tracking_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.tracking_id.as_deref())
    }

    /// The response details, for errors that come from an error response.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::RateLimited { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// How many attempts the call made before giving up with this error, the
    /// first included: more than 1 when it was retried. `None` when nothing
    /// was attempted (validation, configuration) or the count is unknown.
    ///
    /// ```
    /// # fn check(err: sailpoint_access::Error) {
    /// if let Some(n) = err.attempts() {
    ///     eprintln!("gave up after {n} attempt(s): {err}");
    /// }
    /// # }
    /// ```
    pub fn attempts(&self) -> Option<u32> {
        let n = match self {
            Error::Api(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::RateLimited { error: e, .. } => e.attempts,
            Error::Decode(e) => e.attempts,
            Error::Timeout { attempts, .. } | Error::Transport { attempts, .. } => *attempts,
            Error::Validation(_) | Error::Configuration(_) => 0,
        };
        (n > 0).then_some(n)
    }

    /// Records how many attempts the call made (see [`attempts`](Self::attempts)).
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            Error::Api(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::RateLimited { error: e, .. } => e.attempts = n,
            Error::Decode(e) => e.attempts = n,
            Error::Timeout { attempts, .. } | Error::Transport { attempts, .. } => *attempts = n,
            Error::Validation(_) | Error::Configuration(_) => {}
        }
        self
    }

    /// The validation failure, when the request was refused before sending.
    pub fn validation(&self) -> Option<&ValidationError> {
        match self {
            Error::Validation(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Configuration(message.into())
    }

    pub(crate) fn from_status(
        status: u16,
        body: &ErrorResponse,
        retry_after: Option<Duration>,
    ) -> Self {
        let error = ApiError::from_body(status, body);
        match status {
            401 => Error::Unauthorized(error),
            403 => Error::Forbidden(error),
            404 => Error::NotFound(error),
            429 => Error::RateLimited { retry_after, error },
            _ => Error::Api(error),
        }
    }
}

/// A request that breaks one of the documented rules; nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// A stable name of the rule, such as `revoke.single_identity`.
    pub rule: &'static str,
    /// The offending value, shortened if long.
    pub value: String,
    /// What the rule requires.
    pub message: String,
}

impl ValidationError {
    pub(crate) fn new(
        rule: &'static str,
        value: impl fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            value: excerpt(&value.to_string(), 120),
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid request ({}): {}; got {}",
            self.rule, self.message, self.value
        )
    }
}

impl std::error::Error for ValidationError {}

impl From<ValidationError> for Error {
    fn from(value: ValidationError) -> Self {
        Error::Validation(value)
    }
}

/// The details of an error response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The service's short code, such as `400.1 Bad Request Content`.
    pub detail_code: Option<String>,
    /// The service's id for this failure.
    pub tracking_id: Option<String>,
    /// Human-readable messages (all locales, then causes, then `error`/`message`).
    pub messages: Vec<String>,
    /// Attempts the call made, the first included (0 when not counted).
    pub attempts: u32,
}

impl ApiError {
    pub(crate) fn from_body(status: u16, body: &ErrorResponse) -> Self {
        let messages = body
            .messages
            .iter()
            .chain(&body.causes)
            .filter_map(|m| m.text.clone())
            .chain(body.error.clone())
            .chain(body.message.clone())
            .filter(|m| !m.is_empty())
            .collect();
        Self {
            status,
            detail_code: body.detail_code.clone(),
            tracking_id: body.tracking_id.clone(),
            messages,
            attempts: 0,
        }
    }

    /// Whether any message mentions `needle`, ignoring case.
    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.messages
            .iter()
            .any(|m| m.to_ascii_lowercase().contains(&needle))
            || self
                .detail_code
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains(&needle))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status {}", self.status)?;
        if let Some(code) = &self.detail_code {
            write!(f, " ({code})")?;
        }
        if !self.messages.is_empty() {
            write!(f, ": {}", self.messages.join("; "))?;
        }
        if let Some(id) = &self.tracking_id {
            write!(f, " [tracking id {id}]")?;
        }
        f.write_str(&fmt_attempts(self.attempts))
    }
}

/// A response body that did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The status of the response, when known.
    pub status: Option<u16>,
    /// Where in the JSON document decoding failed, such as `[3].created`.
    pub path: String,
    /// What the decoder said.
    pub message: String,
    /// The start of the body, for diagnosis.
    pub body_excerpt: String,
    /// Attempts the call made, the first included (0 when not counted).
    pub attempts: u32,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode response")?;
        if let Some(s) = self.status {
            write!(f, " (status {s})")?;
        }
        write!(
            f,
            " at {}: {}; body starts {:?}{}",
            self.path,
            self.message,
            self.body_excerpt,
            fmt_attempts(self.attempts)
        )
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn assert<T: Send + Sync + 'static + std::error::Error>() {}
        assert::<Error>();
    }

    #[test]
    fn display_is_lowercase_and_informative() {
        let body = ErrorResponse {
            detail_code: Some("400.1 Bad Request Content".into()),
            tracking_id: Some("abc123".into()),
            ..Default::default()
        };
        let err = Error::from_status(400, &body, None);
        let text = err.to_string();
        assert!(text.starts_with("status 400"), "{text}");
        assert!(text.contains("abc123"));
        assert_eq!(err.tracking_id(), Some("abc123"));
        assert_eq!(err.status(), Some(400));
        assert!(!err.is_retryable());
        let err = Error::from_status(429, &body, Some(Duration::from_secs(2)));
        assert!(err
            .to_string()
            .starts_with("rate limited (retry after 2000ms)"));
        assert!(err.is_retryable());
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("hi", 5), "hi");
    }
}
