//! The one error type of the crate, its kinds, and the mapping from HTTP
//! statuses and transport failures to it.

use std::fmt;
use std::time::Duration;

use sailpoint_access_api::types::{ErrorResponse, RequestedItemStatus};
use sailpoint_access_api::Rule;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is; match on [`Error::kind`].
///
/// ```
/// use sailpoint_access::{Error, ErrorKind};
///
/// fn advice(err: &Error) -> &'static str {
///     match err.kind() {
///         ErrorKind::Validation => "fix the request",
///         ErrorKind::InvalidCredentials => "check the client id and secret",
///         ErrorKind::RateLimited => "slow down",
///         ErrorKind::ServerError | ErrorKind::Timeout(_) | ErrorKind::Transport(_) => "try later",
///         _ => "see the message",
///     }
/// }
/// # let _ = advice;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A request broke a rule and was not sent; see [`Error::validation`].
    Validation,
    /// The client is misconfigured (base URL, credentials, a settings file).
    Configuration,
    /// The token endpoint refused the client id and secret.
    InvalidCredentials,
    /// The API answered 401: the token was rejected (expired or revoked)
    /// even after one refresh, or a static token is no longer valid.
    Unauthorized,
    /// 403: the identity behind the token may not do this.
    Forbidden,
    /// 404.
    NotFound,
    /// 429; see [`Error::retry_after`].
    RateLimited,
    /// Any other 4xx: the service refused the request as sent.
    ClientError,
    /// A 5xx: the service failed.
    ServerError,
    /// A time limit was hit; the phase says which.
    Timeout(TimeoutPhase),
    /// The connection could not be made or broke; the kind says how.
    Transport(TransportKind),
    /// A response did not have the expected shape; see [`Error::decode`].
    Decode,
    /// A response body was larger than the client allows; see
    /// [`Error::size_limit`]. Nothing beyond the limit was buffered.
    ResponseTooLarge,
    /// The pages of a walk contradict each other: a page larger than its
    /// `limit`, items repeated from an earlier page (a server ignoring
    /// `offset`), or an end that contradicts the announced total.
    Paging,
}

/// Which time limit a [`ErrorKind::Timeout`] hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Establishing the connection.
    Connect,
    /// One attempt, from sending to the decoded body.
    Attempt,
    /// The whole call, retries and waits included.
    Total,
    /// A waiter's deadline.
    Wait,
}

/// How a [`ErrorKind::Transport`] failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name did not resolve.
    Dns,
    /// The TCP connection was refused or could not be made.
    Connect,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The connection broke while sending or receiving.
    Io,
    /// Anything else the HTTP stack reported.
    Other,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::Attempt => "attempt",
            TimeoutPhase::Total => "total",
            TimeoutPhase::Wait => "wait",
        })
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Dns => "dns",
            TransportKind::Connect => "connect",
            TransportKind::Tls => "tls",
            TransportKind::Io => "i/o",
            TransportKind::Other => "http",
        })
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when talking to the Access Requests API.
///
/// A [`kind`](Self::kind) to match on, plus the context that applies: the
/// operation, the attempts made, the status, tracking id and messages of an
/// error response, the wait a 429 asked for, the rule a request broke, and
/// the underlying cause through [`source`](std::error::Error::source).
/// `Send + Sync + 'static`; its `Display` is one lowercase line that never
/// contains credentials.
///
/// ```
/// use sailpoint_access::{Error, ErrorKind};
///
/// fn report(err: &Error) {
///     match err.kind() {
///         ErrorKind::RateLimited => eprintln!("retry after {:?}", err.retry_after()),
///         _ if err.is_retryable() => eprintln!("transient: {err}"),
///         _ => match err.tracking_id() {
///             Some(id) => eprintln!("failed; quote tracking id {id} to support: {err}"),
///             None => eprintln!("failed: {err}"),
///         },
///     }
/// }
/// # let _ = report;
/// ```
pub struct Error {
    inner: Box<Inner>,
}

/// The parts every error has, and the one [`Detail`] its kind carries.
struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    attempts: u32,
    delivery: Delivery,
    detail: Detail,
    source: Option<Source>,
}

/// What is known about whether the request reached the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Delivery {
    /// This attempt certainly did not leave the client.
    before_send: bool,
    /// An earlier attempt of the same call may have reached the server.
    after_possible_delivery: bool,
}

/// What an error knows beyond its kind: exactly one of these, so that no
/// error can carry, say, an API body and a validation failure at once.
#[derive(Debug)]
enum Detail {
    /// The service answered with an error status.
    Api {
        api: ApiError,
        retry_after: Option<Duration>,
    },
    /// A rule was broken before sending.
    Validation(ValidationError),
    /// A response did not decode.
    Decode(DecodeError),
    /// A time limit was hit.
    TimeLimit(Duration),
    /// A waiter's deadline passed with these statuses still pending.
    Wait {
        limit: Duration,
        pending: Vec<RequestedItemStatus>,
    },
    /// A body exceeded this many bytes.
    SizeLimit(u64),
    /// A text from the client itself (configuration, transport, paging).
    Message(String),
}

impl Error {
    fn new(kind: ErrorKind, detail: Detail) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation: None,
                attempts: 0,
                delivery: Delivery::default(),
                detail,
                source: None,
            }),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operation that failed, such as `create_access_request`, when the
    /// failure happened in a call to the API.
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// Whether the same call may succeed if made again later: rate limits,
    /// 502/503/504, timeouts and transport failures.
    ///
    /// The client already retries these within its retry policy; this tells
    /// a caller whether retrying at a higher level makes sense.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::RateLimited | ErrorKind::Timeout(_) | ErrorKind::Transport(_) => true,
            ErrorKind::ServerError => matches!(self.status(), Some(502..=504)),
            _ => false,
        }
    }

    /// The HTTP status the service answered with, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match &self.inner.detail {
            Detail::Api { api, .. } => Some(api.status),
            Detail::Decode(decode) => decode.status,
            _ => None,
        }
    }

    /// The service's tracking id for this failure, to quote to support.
    pub fn tracking_id(&self) -> Option<&str> {
        self.api_error()?.tracking_id.as_deref()
    }

    /// The details of the error response, when the service sent one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.inner.detail {
            Detail::Api { api, .. } => Some(api),
            _ => None,
        }
    }

    /// The wait the service asked for in `Retry-After`, when it sent a readable one.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.inner.detail {
            Detail::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The limit a [`ErrorKind::Timeout`] hit.
    pub fn time_limit(&self) -> Option<Duration> {
        match &self.inner.detail {
            Detail::TimeLimit(limit) | Detail::Wait { limit, .. } => Some(*limit),
            _ => None,
        }
    }

    /// The body size limit a [`ErrorKind::ResponseTooLarge`] hit, in bytes.
    pub fn size_limit(&self) -> Option<u64> {
        match &self.inner.detail {
            Detail::SizeLimit(limit) => Some(*limit),
            _ => None,
        }
    }

    /// How many attempts the call made, the first included: more than 1 when
    /// it was retried. `None` when nothing was attempted (validation,
    /// configuration).
    ///
    /// ```
    /// # fn check(err: sailpoint_access::Error) {
    /// if let Some(n) = err.attempts() {
    ///     eprintln!("gave up after {n} attempt(s): {err}");
    /// }
    /// # }
    /// ```
    pub fn attempts(&self) -> Option<u32> {
        (self.inner.attempts > 0).then_some(self.inner.attempts)
    }

    /// The rule a request broke, when it was refused before sending.
    pub fn validation(&self) -> Option<&ValidationError> {
        match &self.inner.detail {
            Detail::Validation(v) => Some(v),
            _ => None,
        }
    }

    /// Where and why a response did not decode.
    pub fn decode(&self) -> Option<&DecodeError> {
        match &self.inner.detail {
            Detail::Decode(d) => Some(d),
            _ => None,
        }
    }

    /// True when the request certainly did not reach the server (a refused
    /// connection, a failed DNS lookup, a refused token request).
    pub fn before_send(&self) -> bool {
        self.inner.delivery.before_send
    }

    /// True when an earlier attempt of the same call may have reached the
    /// server: what this error reports may be the answer to a replay.
    pub fn after_possible_delivery(&self) -> bool {
        self.inner.delivery.after_possible_delivery
    }

    /// For a waiter's [`TimeoutPhase::Wait`]: the statuses that were not yet
    /// terminal at the last poll.
    pub fn pending(&self) -> Option<&[RequestedItemStatus]> {
        match &self.inner.detail {
            Detail::Wait { pending, .. } => Some(pending),
            _ => None,
        }
    }

    /// The client's own text for a configuration, transport or paging error.
    fn message(&self) -> Option<&str> {
        match &self.inner.detail {
            Detail::Message(m) => Some(m),
            _ => None,
        }
    }

    // ---- construction, for the layers above ----

    pub(crate) fn validation_failed(error: ValidationError) -> Self {
        Self::new(ErrorKind::Validation, Detail::Validation(error))
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Configuration, Detail::Message(message.into()))
    }

    pub(crate) fn timeout(phase: TimeoutPhase, after: Duration) -> Self {
        Self::new(ErrorKind::Timeout(phase), Detail::TimeLimit(after))
    }

    /// A waiter's deadline `after` passed with `pending` not yet terminal.
    pub(crate) fn wait_timeout(after: Duration, pending: Vec<RequestedItemStatus>) -> Self {
        Self::new(
            ErrorKind::Timeout(TimeoutPhase::Wait),
            Detail::Wait {
                limit: after,
                pending,
            },
        )
    }

    pub(crate) fn transport(kind: TransportKind, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::Transport(kind), Detail::Message(message.into()));
        e.inner.delivery.before_send = matches!(kind, TransportKind::Dns | TransportKind::Connect);
        e
    }

    pub(crate) fn too_large(limit: u64) -> Self {
        Self::new(ErrorKind::ResponseTooLarge, Detail::SizeLimit(limit))
    }

    pub(crate) fn paging(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Paging, Detail::Message(message.into()))
    }

    pub(crate) fn decoding(error: DecodeError) -> Self {
        Self::new(ErrorKind::Decode, Detail::Decode(error))
    }

    /// The error for an error response with `status`.
    pub(crate) fn from_status(
        status: u16,
        body: &ErrorResponse,
        retry_after: Option<Duration>,
    ) -> Self {
        Self::from_api(ApiError::from_body(status, body), retry_after)
    }

    pub(crate) fn from_api(api: ApiError, retry_after: Option<Duration>) -> Self {
        let kind = match api.status {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            400..=499 => ErrorKind::ClientError,
            _ => ErrorKind::ServerError,
        };
        Self::new(kind, Detail::Api { api, retry_after })
    }

    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.inner.kind = kind;
        self
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Self {
        self.inner.operation.get_or_insert(operation);
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_possible_delivery(mut self, earlier: bool) -> Self {
        self.inner.delivery.after_possible_delivery = earlier;
        self
    }

    pub(crate) fn with_before_send(mut self, before: bool) -> Self {
        self.inner.delivery.before_send = before;
        self
    }

    /// Applies `scrub` to every text the error keeps from a response or the
    /// HTTP stack, so that nothing a server echoes can reveal a credential.
    pub(crate) fn scrubbed(mut self, scrub: &dyn Fn(&str) -> String) -> Self {
        let inner = &mut *self.inner;
        match &mut inner.detail {
            Detail::Api { api, .. } => {
                for m in &mut api.messages {
                    *m = scrub(m);
                }
                api.detail_code = api.detail_code.as_deref().map(scrub);
                api.tracking_id = api.tracking_id.as_deref().map(scrub);
            }
            Detail::Decode(d) => {
                d.message = scrub(&d.message);
                d.body_excerpt = scrub(&d.body_excerpt);
                d.path = scrub(&d.path);
            }
            Detail::Message(m) => *m = scrub(m),
            Detail::Validation(_)
            | Detail::TimeLimit(_)
            | Detail::Wait { .. }
            | Detail::SizeLimit(_) => {}
        }
        if let Some(source) = inner.source.take() {
            // The cause's own text may quote what the server sent; keep its
            // words, scrubbed, rather than the object.
            inner.source = Some(Box::new(Scrubbed(scrub(&chain(&*source)))));
        }
        self
    }
}

/// A cause whose text was scrubbed of credentials.
#[derive(Debug)]
struct Scrubbed(String);

impl fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Scrubbed {}

/// The cause and its sources, joined with `: ` (a source whose text the
/// message already holds is left out).
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(s) = next {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        next = s.source();
    }
    text
}

impl fmt::Debug for Error {
    /// Everything that is set; texts from a server were scrubbed when the
    /// error was made, and secrets are never stored in an error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind);
        if let Some(op) = i.operation {
            d.field("operation", &op);
        }
        if i.attempts > 0 {
            d.field("attempts", &i.attempts);
        }
        if i.delivery != Delivery::default() {
            d.field("delivery", &i.delivery);
        }
        d.field("detail", &i.detail);
        if let Some(v) = &i.source {
            d.field("source", &v.to_string());
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if let Some(op) = i.operation {
            write!(f, "{op}: ")?;
        }
        match i.kind {
            ErrorKind::Validation => {
                if let Some(v) = self.validation() {
                    write!(f, "{v}")?;
                }
            }
            ErrorKind::Configuration => {
                write!(f, "configuration error: {}", self.message().unwrap_or(""))?;
            }
            ErrorKind::Timeout(phase) => {
                write!(f, "timed out ({phase})")?;
                if let Some(limit) = self.time_limit() {
                    write!(f, " after {}ms", limit.as_millis())?;
                }
            }
            ErrorKind::Transport(kind) => {
                write!(f, "transport error ({kind})")?;
                if i.delivery.before_send {
                    f.write_str(" before sending")?;
                }
                if let Some(m) = self.message() {
                    write!(f, ": {m}")?;
                }
            }
            ErrorKind::Decode => {
                if let Some(d) = self.decode() {
                    write!(f, "{d}")?;
                }
            }
            ErrorKind::ResponseTooLarge => {
                write!(
                    f,
                    "response too large: the body exceeds the limit of {} bytes",
                    self.size_limit().unwrap_or(0)
                )?;
            }
            ErrorKind::Paging => {
                write!(f, "inconsistent pages: {}", self.message().unwrap_or(""))?;
            }
            kind => {
                f.write_str(match kind {
                    ErrorKind::InvalidCredentials => "invalid client credentials",
                    ErrorKind::Unauthorized => "unauthorized",
                    ErrorKind::Forbidden => "forbidden",
                    ErrorKind::NotFound => "not found",
                    ErrorKind::RateLimited => "rate limited",
                    ErrorKind::ClientError => "request refused",
                    _ => "server error",
                })?;
                if let Some(after) = self.retry_after() {
                    write!(f, " (retry after {}ms)", after.as_millis())?;
                }
                if let Some(api) = self.api_error() {
                    write!(f, ": {api}")?;
                }
                if let Some(m) = self.message() {
                    write!(f, ": {m}")?;
                }
            }
        }
        if i.attempts > 1 {
            write!(f, " (after {} attempts)", i.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(s) = &self.inner.source {
            return Some(&**s);
        }
        self.validation()
            .map(|v| v as &(dyn std::error::Error + 'static))
    }
}

impl From<ValidationError> for Error {
    fn from(value: ValidationError) -> Self {
        Error::validation_failed(value)
    }
}

/// A request that breaks one of the documented rules; nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The rule, with a stable code such as `revoke.single_identity`.
    pub rule: Rule,
    /// The offending value, shortened if long.
    pub value: String,
    /// What the rule requires, with the limit that applies.
    pub message: String,
}

impl ValidationError {
    /// A failure of `rule` by `value`, with the rule's own message.
    pub fn new(rule: Rule, value: impl fmt::Display) -> Self {
        Self::with_message(rule, value, rule.message())
    }

    /// A failure of `rule` by `value`, with a message naming the limit.
    pub fn with_message(rule: Rule, value: impl fmt::Display, message: impl Into<String>) -> Self {
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
            self.rule.code(),
            self.message,
            self.value
        )
    }
}

impl std::error::Error for ValidationError {}

/// The details of an error response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The service's short code, such as `400.1 Bad Request Content`.
    pub detail_code: Option<String>,
    /// The service's id for this failure.
    pub tracking_id: Option<String>,
    /// Human-readable messages (all locales, then causes, then `error`/`message`).
    pub messages: Vec<String>,
}

impl ApiError {
    /// The details of an error body.
    pub(crate) fn from_body(status: u16, body: &ErrorResponse) -> Self {
        let messages = body
            .messages
            .iter()
            .chain(&body.causes)
            .filter_map(|m| m.text.clone())
            .chain(body.error.clone())
            .chain(body.message.clone())
            .filter(|m| !m.is_empty())
            .map(|m| excerpt(&m, 300))
            .collect();
        Self {
            status,
            detail_code: body.detail_code.as_deref().map(|d| excerpt(d, 120)),
            tracking_id: body.tracking_id.as_deref().map(|d| excerpt(d, 120)),
            messages,
        }
    }

    /// Whether any message or the detail code mentions `needle`, ignoring case.
    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        self.messages
            .iter()
            .chain(self.detail_code.as_ref())
            .any(|m| m.to_ascii_lowercase().contains(&needle))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status {}", self.status)?;
        // The service's codes often repeat the status ("404 Not found"): say it
        // once. A code that only starts with the digits ("400.1 Bad Request
        // Content") is a code of its own and is kept whole.
        let status = self.status.to_string();
        if let Some(code) = &self.detail_code {
            let rest = match code.strip_prefix(&status) {
                Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => rest,
                _ => code,
            }
            .trim();
            if !rest.is_empty() {
                write!(f, " ({rest})")?;
            }
        }
        if !self.messages.is_empty() {
            write!(f, ": {}", self.messages.join("; "))?;
        }
        if let Some(id) = &self.tracking_id {
            write!(f, " [tracking id {id}]")?;
        }
        Ok(())
    }
}

/// A response body that did not decode.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The status of the response, when known.
    pub status: Option<u16>,
    /// Where in the JSON document decoding failed, such as `[3].created`.
    pub path: String,
    /// What the decoder said.
    pub message: String,
    /// The start of the body, for diagnosis.
    pub body_excerpt: String,
}

impl DecodeError {
    pub(crate) fn new(
        status: Option<u16>,
        path: impl Into<String>,
        message: impl Into<String>,
        body_excerpt: impl Into<String>,
    ) -> Self {
        Self {
            status,
            path: path.into(),
            message: message.into(),
            body_excerpt: body_excerpt.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode response")?;
        if let Some(s) = self.status {
            write!(f, " (status {s})")?;
        }
        write!(
            f,
            " at {}: {}; body starts {:?}",
            self.path, self.message, self.body_excerpt
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
        assert!(text.starts_with("request refused: status 400"), "{text}");
        assert!(text.contains("(400.1 Bad Request Content)"), "{text}");
        assert!(text.contains("abc123"));
        assert_eq!(err.kind(), ErrorKind::ClientError);
        assert_eq!(err.tracking_id(), Some("abc123"));
        assert_eq!(err.status(), Some(400));
        assert!(!err.is_retryable());
        let err = Error::from_status(429, &body, Some(Duration::from_secs(2)));
        assert!(err
            .to_string()
            .starts_with("rate limited (retry after 2000ms)"));
        assert!(err.is_retryable());
        assert_eq!(
            Error::from_status(503, &body, None).kind(),
            ErrorKind::ServerError
        );
    }

    #[test]
    fn a_404_says_its_status_once() {
        let body = ErrorResponse {
            detail_code: Some("404 Not found".into()),
            ..Default::default()
        };
        let text = Error::from_status(404, &body, None)
            .with_operation("cancel_access_request")
            .to_string();
        assert_eq!(
            text,
            "cancel_access_request: not found: status 404 (Not found)"
        );
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("hi", 5), "hi");
    }
}
