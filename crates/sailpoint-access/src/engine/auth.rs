//! Credentials, the OAuth2 client-credentials flow, and the token cache.
//!
//! The cache is filled before each attempt by the engine and read by the
//! generated client's hook just before sending, so a raw call through
//! `Client::raw` authenticates through the same cache. A refresh happens
//! under a `tokio` mutex so that many concurrent callers share one token
//! request, even when the token has no or a zero lifetime.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::Authorize;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{excerpt, ApiError, DecodeError, Error, ErrorKind, Result, TimeoutPhase};

/// How the client authenticates.
///
/// ```
/// use sailpoint_access::Credentials;
///
/// let c = Credentials::client_credentials("my-id", "my-secret");
/// assert!(!format!("{c:?}").contains("my-secret"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credentials {
    /// OAuth2 client credentials (a personal access token's id and secret, or an API client).
    ClientCredentials {
        /// The client id; not secret, but only shown in debug output.
        client_id: String,
        /// The client secret, zeroized when dropped.
        client_secret: SecretString,
    },
    /// A ready bearer token, used as is and never refreshed.
    AccessToken(SecretString),
}

impl Credentials {
    /// Client credentials from an id and a secret.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Credentials::ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }

    /// A static bearer token.
    pub fn access_token(token: impl Into<String>) -> Self {
        Credentials::AccessToken(SecretString::from(token.into()))
    }
}

/// What the client knows about its current token, never the token itself:
/// what the token endpoint said with it, and the claims of a JWT.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct TokenInfo {
    /// The lifetime the token endpoint announced (`expires_in`) when the
    /// token was fetched; `None` for a static token or none announced.
    pub lifetime: Option<Duration>,
    /// The `scope` the token endpoint announced, if any.
    pub scope: Option<String>,
    /// The claims of the token when it is a JWT, decoded without checking
    /// its signature (the service checks it): `authorities`, `scope`,
    /// `client_id`, `exp`...
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The payload of a JWT (`header.payload.signature`, base64url), read
/// without verification; `None` for anything else.
fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(claims) => Some(claims),
        _ => None,
    }
}

#[derive(Clone)]
struct CachedToken {
    header: HeaderValue,
    info: TokenInfo,
    /// When to stop using it: the expiry minus the refresh skew; `None` for
    /// tokens that do not expire (static tokens, or no `expires_in`).
    refresh_at: Option<Instant>,
    generation: u64,
}

/// The token cache shared by all clones of a client.
pub(crate) struct TokenSource {
    credentials: Credentials,
    token_url: String,
    http: reqwest::Client,
    current: RwLock<Option<CachedToken>>,
    /// Guards refreshes; holds the generation of the last token fetched.
    refresh: tokio::sync::Mutex<u64>,
    attempt_timeout: Duration,
    connect_timeout: Duration,
    max_body: u64,
    /// The credential in every form the client itself produces, for scrubbing.
    secrets: Vec<String>,
    /// The same for the last few tokens fetched.
    tokens: RwLock<Vec<String>>,
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
    #[serde(default, deserialize_with = "number_or_numeric_text")]
    expires_in: Option<f64>,
    #[serde(default)]
    token_type: Option<String>,
    /// A string, or a list of strings from some servers.
    #[serde(default)]
    scope: Option<serde_json::Value>,
}

/// `expires_in` as a number, or as a string holding one (`"3600"`), which
/// some token endpoints send: its meaning is clear either way. Anything else
/// is an error that does not quote the value.
fn number_or_numeric_text<'de, D>(d: D) -> std::result::Result<Option<f64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Number(f64),
        Text(String),
    }
    match Option::<Seconds>::deserialize(d)? {
        None => Ok(None),
        Some(Seconds::Number(n)) => Ok(Some(n)),
        Some(Seconds::Text(t)) => t
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expires_in is text that is not a number")),
    }
}

/// How long before expiry a token is replaced: a fifth of its lifetime, at most a minute,
/// so short-lived tokens are still used most of their life and long ones never expire in flight.
fn skew(lifetime: Duration) -> Duration {
    (lifetime / 5).min(Duration::from_secs(60))
}

/// The longest lifetime believed, whatever the server says: a day.
const MAX_LIFETIME: Duration = Duration::from_secs(86_400);

impl TokenSource {
    /// Who the client is to the service: its client id, or `static token`
    /// for a ready token (whose owner the client cannot tell).
    pub(crate) fn caller(&self) -> &str {
        match &self.credentials {
            Credentials::ClientCredentials { client_id, .. } => client_id,
            Credentials::AccessToken(_) => "static token",
        }
    }

    pub(crate) fn new(
        credentials: Credentials,
        base_url: &str,
        http: reqwest::Client,
        attempt_timeout: Duration,
        connect_timeout: Duration,
        max_body: u64,
    ) -> Result<Self> {
        let mut secrets = Vec::new();
        let current = match &credentials {
            Credentials::AccessToken(token) => {
                secrets.extend(forms(token.expose_secret()));
                Some(CachedToken {
                    header: bearer(token.expose_secret())?,
                    info: TokenInfo {
                        claims: jwt_claims(token.expose_secret()),
                        ..TokenInfo::default()
                    },
                    refresh_at: None,
                    generation: 0,
                })
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => {
                if client_id.trim().is_empty() {
                    return Err(Error::config("the client id is empty"));
                }
                if client_secret.expose_secret().is_empty() {
                    return Err(Error::config("the client secret is empty"));
                }
                secrets.extend(forms(client_secret.expose_secret()));
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
            max_body,
            secrets,
            tokens: RwLock::new(Vec::new()),
        })
    }

    /// Whether a rejected token can be replaced by asking for a new one.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.credentials, Credentials::ClientCredentials { .. })
    }

    fn cached(&self) -> Option<CachedToken> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn fresh(&self) -> Option<CachedToken> {
        let token = self.cached()?;
        match token.refresh_at {
            Some(at) if Instant::now() >= at => None,
            _ => Some(token),
        }
    }

    /// Makes sure a usable token is cached; returns its generation, which
    /// [`invalidate`](Self::invalidate) takes so that only the first of many
    /// callers rejected with the same token throws it away.
    pub(crate) async fn ensure(&self) -> Result<u64> {
        Ok(self.token().await?.generation)
    }

    async fn token(&self) -> Result<CachedToken> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.cached().map(|t| t.generation);
        let mut last_generation = self.refresh.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // A token fetched while this caller waited for the lock is used even
        // if it is already due for refresh (a zero lifetime): one fetch
        // serves everyone who was waiting for it.
        if let Some(token) = self.cached().filter(|t| Some(t.generation) != seen) {
            return Ok(token);
        }
        let (header, info) = self.fetch().await?;
        let lifetime = info.lifetime;
        *last_generation += 1;
        let refresh_at = lifetime.map(|l| {
            let l = l.min(MAX_LIFETIME);
            let now = Instant::now();
            now.checked_add(l - skew(l)).unwrap_or(now)
        });
        let token = CachedToken {
            header,
            info,
            refresh_at,
            generation: *last_generation,
        };
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// What is known of a usable token, fetching one if none is cached.
    pub(crate) async fn info(&self) -> Result<TokenInfo> {
        Ok(self.token().await?.info)
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

    /// `text` with every credential this client knows replaced by `<redacted>`,
    /// in each form the client itself sends (raw, URL-encoded, in a `Bearer`
    /// header), ignoring ASCII case.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let tokens = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_owned();
        for secret in self.secrets.iter().chain(tokens.iter()) {
            out = replace_ignoring_case(&out, secret, "<redacted>");
        }
        out
    }

    fn remember(&self, secret: &str) {
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        for form in forms(secret) {
            if !tokens.contains(&form) {
                tokens.push(form);
            }
        }
        // Keep the last few tokens only: scrubbing must not grow without bound.
        let excess = tokens.len().saturating_sub(16);
        tokens.drain(..excess);
    }

    async fn fetch(&self) -> Result<(HeaderValue, TokenInfo)> {
        let Credentials::ClientCredentials {
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Err(Error::config(
                "the static access token was rejected and cannot be refreshed",
            )
            .with_kind(ErrorKind::Unauthorized));
        };
        let started = Instant::now();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose_secret()),
        ];
        let exchange = async {
            let mut response = self
                .http
                .post(&self.token_url)
                .form(&form)
                .send()
                .await
                .map_err(|e| crate::engine::classify::reqwest_error(e, self.connect_timeout))?;
            let status = response.status().as_u16();
            let retry_after = crate::engine::retry::retry_after(response.headers());
            // The whole body, inside the attempt timeout, and never more than the cap.
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| crate::engine::classify::reqwest_error(e, self.connect_timeout))?
            {
                if (body.len() + chunk.len()) as u64 > self.max_body {
                    return Err(Error::too_large(self.max_body));
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, Error>((status, retry_after, body))
        };
        let (status, retry_after, body) =
            match tokio::time::timeout(self.attempt_timeout, exchange).await {
                Err(_) => return Err(Error::timeout(TimeoutPhase::Attempt, self.attempt_timeout)),
                Ok(result) => result?,
            };
        tracing::debug!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "token request"
        );
        if !(200..300).contains(&status) {
            return Err(token_error(status, &body, retry_after).scrubbed(&|s| self.scrub(s)));
        }
        // Only an object is a token response: serde would also read a struct
        // from a JSON array (`["tok"]`), which no token endpoint means.
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(Error::decoding(DecodeError::new(
                Some(status),
                "token response",
                "the token endpoint (/oauth/token) must answer with a JSON object holding access_token",
                "<redacted>",
            )));
        }
        let token: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            // The body holds the token: never quote it, nor serde's message,
            // which quotes the offending value (it may be the token itself).
            Error::decoding(DecodeError::new(
                Some(status),
                "token response",
                format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
                "<redacted>",
            ))
        })?;
        if token.access_token.is_empty() {
            return Err(Error::from_api(
                ApiError {
                    status,
                    messages: vec!["the token endpoint returned an empty access_token".into()],
                    ..Default::default()
                },
                None,
            )
            .with_kind(ErrorKind::InvalidCredentials));
        }
        if let Some(kind) = &token.token_type {
            if !kind.eq_ignore_ascii_case("bearer") {
                tracing::warn!(token_type = %excerpt(kind, 40), "unexpected token type; sending it as a bearer token");
            }
        }
        self.remember(&token.access_token);
        let lifetime = token
            .expires_in
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::try_from_secs_f64(s).unwrap_or(MAX_LIFETIME));
        let scope = match token.scope {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        };
        let info = TokenInfo {
            lifetime,
            scope,
            claims: jwt_claims(&token.access_token),
        };
        Ok((bearer(&token.access_token)?, info))
    }
}

/// The forms in which `secret` may come back: as the client sends it (raw,
/// and form-urlencoded in the token request), and with every byte but
/// letters and digits percent-encoded, as a server may re-encode it.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    for encoded in [form_urlencoded(secret), percent_encoded(secret)] {
        if !out.contains(&encoded) {
            out.push(encoded);
        }
    }
    out
}

/// Every byte but ASCII letters and digits as `%XX`.
fn percent_encoded(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `application/x-www-form-urlencoded` encoding of one value, as a form body carries it.
fn form_urlencoded(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Replaces every occurrence of `needle` in `haystack`, ignoring ASCII case.
fn replace_ignoring_case(haystack: &str, needle: &str, with: &str) -> String {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_owned();
    }
    // ASCII lowercasing keeps byte offsets, so positions found in the
    // lowered copy are valid in the original.
    let lower = haystack.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(haystack.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(&needle) {
        if at < last {
            continue;
        }
        out.push_str(&haystack[last..at]);
        out.push_str(with);
        last = at + needle.len();
    }
    out.push_str(&haystack[last..]);
    out
}

/// Maps a failed token response. Its body is never quoted raw (a misbehaving
/// server or proxy may echo the form); the structured messages kept are
/// scrubbed by the caller.
fn token_error(status: u16, body: &[u8], retry_after: Option<Duration>) -> Error {
    #[derive(Deserialize, Default)]
    struct OAuthError {
        error: Option<String>,
        error_description: Option<String>,
    }
    let oauth: OAuthError = serde_json::from_slice(body).unwrap_or_default();
    let generic: ErrorResponse = serde_json::from_slice(body).unwrap_or_default();
    let mut api = ApiError::from_body(status, &generic);
    if let Some(d) = oauth.error_description {
        api.messages.push(excerpt(&d, 200));
    }
    if api.messages.is_empty() {
        api.messages.extend(oauth.error.map(|e| excerpt(&e, 200)));
    }
    api.messages.insert(0, "token request failed".into());
    let error = Error::from_api(api, retry_after);
    match status {
        // The OAuth spec answers bad credentials with 400 `invalid_client` too.
        400 | 401 => error.with_kind(ErrorKind::InvalidCredentials),
        _ => error,
    }
}

fn bearer(token: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
        Error::config("the access token contains characters not allowed in a header")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Hands the cached token to the generated client, fetching one first when
/// none is usable (so raw calls authenticate on their own).
pub(crate) struct CacheAuthorizer(pub(crate) Arc<TokenSource>);

impl Authorize for CacheAuthorizer {
    fn authorization(
        &self,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<Option<HeaderValue>, String>> + Send + '_>>
    {
        Box::pin(async move {
            match self.0.token().await {
                Ok(token) => Ok(Some(token.header)),
                Err(e) => Err(e.to_string()),
            }
        })
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
    fn token_errors_map_to_invalid_credentials_and_never_echo_the_form() {
        let err = token_error(
            401,
            br#"{"error":"invalid_client","error_description":"Bad credentials"}"#,
            None,
        );
        assert_eq!(err.kind(), ErrorKind::InvalidCredentials);
        assert!(err.to_string().contains("Bad credentials"));
        let err = token_error(503, b"", Some(Duration::from_secs(1)));
        assert!(err.is_retryable());
        let err = token_error(500, b"client_secret=s3cr3t!", None);
        assert!(!err.to_string().contains("s3cr3t!"), "{err}");
    }

    #[test]
    fn scrubbing_covers_case_and_url_encoding() {
        assert_eq!(form_urlencoded("a b/c+d"), "a+b%2Fc%2Bd");
        assert_eq!(
            replace_ignoring_case("x SeCrEt y secret", "secret", "<r>"),
            "x <r> y <r>"
        );
        assert_eq!(replace_ignoring_case("é secret", "SECRET", "<r>"), "é <r>");
        let source = TokenSource::new(
            Credentials::client_credentials("id", "p@ss word/1"),
            "http://127.0.0.1:1",
            reqwest::Client::new(),
            Duration::from_secs(1),
            Duration::from_secs(1),
            1 << 20,
        )
        .unwrap();
        let text = source.scrub("echo p@ss word/1 and P%40SS+WORD%2F1 and p%40ss+word%2f1");
        assert!(!text.to_ascii_lowercase().contains("word"), "{text}");
    }
}
