//! Credentials, the OAuth2 client-credentials flow, and the token cache.
//!
//! The cache is read synchronously by the generated client (through
//! [`Authorize`]) just before each request, and refreshed asynchronously by the
//! transport before each attempt. A refresh happens under a `tokio` mutex so
//! that many concurrent callers share one token request.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::Authorize;
use serde::Deserialize;

use crate::error::{excerpt, ApiError, Error, Result};

/// A string that never shows itself in `Debug` or `Display` output.
///
/// Client secrets and tokens are kept in this type so that printing a
/// [`Client`](crate::Client), its builder or an error cannot leak them.
///
/// ```
/// use sailpoint_access::SecretString;
///
/// let secret = SecretString::new("hunter2");
/// assert_eq!(format!("{secret:?} {secret}"), "SecretString(<redacted>) <redacted>");
/// assert_eq!(secret.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Box<str>);

impl SecretString {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into_boxed_str())
    }

    /// The secret itself; keep the result out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// How the client authenticates.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// OAuth2 client credentials (a personal access token's id and secret, or an API client).
    ClientCredentials {
        /// The client id; not secret, but only shown in debug output.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
    },
    /// A ready bearer token, used as is and never refreshed.
    AccessToken(SecretString),
}

impl Credentials {
    /// Client credentials from an id and a secret.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        Credentials::ClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// A static bearer token.
    pub fn access_token(token: impl Into<SecretString>) -> Self {
        Credentials::AccessToken(token.into())
    }
}

#[derive(Clone)]
struct CachedToken {
    header: HeaderValue,
    /// When to stop using it: the expiry minus the refresh skew.
    refresh_at: Option<Instant>,
    generation: u64,
}

/// The token cache shared by all clones of a [`Client`](crate::Client).
pub(crate) struct TokenSource {
    credentials: Credentials,
    token_url: String,
    http: reqwest::Client,
    current: RwLock<Option<CachedToken>>,
    refresh: tokio::sync::Mutex<u64>,
    attempt_timeout: Duration,
    connect_timeout: Duration,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("credentials", &self.credentials)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    token_type: Option<String>,
}

/// How long before expiry a token is replaced: a fifth of its lifetime, at most a minute,
/// so short-lived tokens are still used most of their life and long ones never expire in flight.
fn skew(lifetime: Duration) -> Duration {
    (lifetime / 5).min(Duration::from_secs(60))
}

impl TokenSource {
    pub(crate) fn new(
        credentials: Credentials,
        base_url: &str,
        http: reqwest::Client,
        attempt_timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self> {
        let current = match &credentials {
            Credentials::AccessToken(token) => Some(CachedToken {
                header: bearer(token.expose())?,
                refresh_at: None,
                generation: 0,
            }),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                if client_id.trim().is_empty() {
                    return Err(Error::config("the client id is empty"));
                }
                if client_secret.expose().is_empty() {
                    return Err(Error::config("the client secret is empty"));
                }
                None
            }
        };
        Ok(Self {
            credentials,
            token_url: format!("{base_url}/oauth/token"),
            http,
            current: RwLock::new(current),
            refresh: tokio::sync::Mutex::new(0),
            attempt_timeout,
            connect_timeout,
        })
    }

    /// Whether a rejected token can be replaced by asking for a new one.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.credentials, Credentials::ClientCredentials { .. })
    }

    fn fresh(&self) -> Option<u64> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        let token = guard.as_ref()?;
        match token.refresh_at {
            Some(at) if Instant::now() >= at => None,
            _ => Some(token.generation),
        }
    }

    /// Makes sure a usable token is cached; returns its generation, which
    /// [`invalidate`](Self::invalidate) takes so that only the first of many
    /// callers rejected with the same token throws it away.
    pub(crate) async fn ensure(&self) -> Result<u64> {
        if let Some(generation) = self.fresh() {
            return Ok(generation);
        }
        let mut last_generation = self.refresh.lock().await;
        // Someone else may have refreshed while we waited for the lock.
        if let Some(generation) = self.fresh() {
            return Ok(generation);
        }
        let (header, lifetime) = self.fetch().await?;
        *last_generation += 1;
        let generation = *last_generation;
        let refresh_at = lifetime.map(|l| Instant::now() + l - skew(l));
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(CachedToken {
            header,
            refresh_at,
            generation,
        });
        Ok(generation)
    }

    /// Drops the cached token if it is still the one of `generation`.
    pub(crate) fn invalidate(&self, generation: u64) {
        if !self.can_refresh() {
            return;
        }
        let mut guard = self.current.write().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_some_and(|t| t.generation == generation) {
            *guard = None;
        }
    }

    async fn fetch(&self) -> Result<(HeaderValue, Option<Duration>)> {
        let Credentials::ClientCredentials {
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Err(Error::config(
                "the static access token was rejected and cannot be refreshed",
            ));
        };
        let started = Instant::now();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose()),
        ];
        let send = self.http.post(&self.token_url).form(&form).send();
        let response = match tokio::time::timeout(self.attempt_timeout, send).await {
            Err(_) => {
                return Err(Error::Timeout {
                    what: "attempt",
                    after: self.attempt_timeout,
                    attempts: 0,
                })
            }
            Ok(Err(e)) => return Err(crate::transport::reqwest_error(&e, self.connect_timeout)),
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        let retry_after = crate::retry::retry_after(response.headers());
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Err(crate::transport::reqwest_error(&e, self.connect_timeout)),
        };
        tracing::debug!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "token request"
        );
        if !(200..300).contains(&status) {
            return Err(token_error(
                status,
                &body,
                retry_after,
                client_secret.expose(),
            ));
        }
        let token: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            // The body holds the token: never quote it, nor serde's message,
            // which quotes the offending value (it may be the token itself).
            Error::Decode(crate::error::DecodeError {
                status: Some(status),
                path: "token response".into(),
                message: format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
                body_excerpt: "<redacted>".into(),
                attempts: 0,
            })
        })?;
        if token.access_token.is_empty() {
            return Err(Error::Unauthorized(ApiError {
                status,
                messages: vec!["the token endpoint returned an empty access_token".into()],
                ..Default::default()
            }));
        }
        if let Some(kind) = &token.token_type {
            if !kind.eq_ignore_ascii_case("bearer") {
                tracing::warn!(token_type = %kind, "unexpected token type; sending it as a bearer token");
            }
        }
        Ok((
            bearer(&token.access_token)?,
            token.expires_in.map(Duration::from_secs),
        ))
    }
}

/// Maps a failed token response. Its body is never quoted raw (a misbehaving
/// server or proxy may echo the form), and the secret is scrubbed from the
/// structured messages that are kept.
fn token_error(status: u16, body: &[u8], retry_after: Option<Duration>, secret: &str) -> Error {
    #[derive(Deserialize, Default)]
    struct OAuthError {
        error: Option<String>,
        error_description: Option<String>,
    }
    let oauth: OAuthError = serde_json::from_slice(body).unwrap_or_default();
    let generic: ErrorResponse = serde_json::from_slice(body).unwrap_or_default();
    let mut error = ApiError::from_body(status, &generic);
    if let Some(d) = oauth.error_description {
        error.messages.push(d);
    }
    if error.messages.is_empty() {
        error.messages.extend(oauth.error);
    }
    for message in &mut error.messages {
        *message = excerpt(&message.replace(secret, "<redacted>"), 200);
    }
    error.messages.insert(0, "token request failed".into());
    match status {
        // The OAuth spec answers bad credentials with 400 `invalid_client` too.
        400 | 401 => Error::Unauthorized(error),
        _ => Error::from_status(status, &ErrorResponse::default(), retry_after).with_api(error),
    }
}

impl Error {
    fn with_api(self, api: ApiError) -> Self {
        match self {
            Error::Api(_) => Error::Api(api),
            Error::Forbidden(_) => Error::Forbidden(api),
            Error::NotFound(_) => Error::NotFound(api),
            Error::RateLimited { retry_after, .. } => Error::RateLimited {
                retry_after,
                error: api,
            },
            other => other,
        }
    }
}

fn bearer(token: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
        Error::config("the access token contains characters not allowed in a header")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Hands the cached token to the generated client.
pub(crate) struct CacheAuthorizer(pub(crate) Arc<TokenSource>);

impl Authorize for CacheAuthorizer {
    fn authorization(&self) -> Option<HeaderValue> {
        let guard = self.0.current.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().map(|t| t.header.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_is_a_fifth_capped_at_a_minute() {
        assert_eq!(skew(Duration::from_secs(10)), Duration::from_secs(2));
        assert_eq!(skew(Duration::from_secs(43_200)), Duration::from_secs(60));
    }

    #[test]
    fn credentials_debug_redacts_the_secret() {
        let c = Credentials::client_credentials("id-1", "s3cr3t-value");
        let text = format!("{c:?}");
        assert!(text.contains("id-1"));
        assert!(!text.contains("s3cr3t-value"), "{text}");
        let c = Credentials::access_token("tok-value");
        assert!(!format!("{c:?}").contains("tok-value"));
    }

    #[test]
    fn token_errors_map_to_unauthorized_and_never_echo_the_form() {
        let err = token_error(
            401,
            br#"{"error":"invalid_client","error_description":"Bad credentials"}"#,
            None,
            "s3",
        );
        assert!(matches!(err, Error::Unauthorized(_)));
        assert!(err.to_string().contains("Bad credentials"));
        let err = token_error(503, b"", Some(Duration::from_secs(1)), "s3");
        assert!(err.is_retryable());
        let err = token_error(
            400,
            br#"{"error_description":"bad secret s3cr3t!"}"#,
            None,
            "s3cr3t!",
        );
        assert!(!err.to_string().contains("s3cr3t!"), "{err}");
        let err = token_error(500, b"client_secret=s3cr3t!", None, "s3cr3t!");
        assert!(!err.to_string().contains("s3cr3t!"), "{err}");
    }
}
