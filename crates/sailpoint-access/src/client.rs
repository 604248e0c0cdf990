//! The [`Client`] and its [`ClientBuilder`].

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sailpoint_access_api as raw;

use crate::auth::{CacheAuthorizer, Credentials, SecretString, TokenSource};
use crate::config;
use crate::error::{Error, Result};
use crate::request_config::RequestConfig;
use crate::requests::AccessRequests;
use crate::retry::RetryConfig;
use crate::statuses::StatusQuery;

/// The `User-Agent` this crate sends, before any application suffix.
pub const USER_AGENT: &str = concat!("sailpoint-access/", env!("CARGO_PKG_VERSION"));

/// A client for the Access Requests API.
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool, the
/// token cache and the settings. Build one per tenant and reuse it.
///
/// ```no_run
/// # async fn run() -> sailpoint_access::Result<()> {
/// use sailpoint_access::Client;
///
/// let client = Client::from_env()?;
/// let config = client.config().get().await?;
/// println!("auto approval: {}", config.auto_approval_enabled);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub raw: raw::Client,
    pub auth: Arc<TokenSource>,
    pub retry: RetryConfig,
    pub timeouts: Timeouts,
    pub base_url: String,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub total: Option<Duration>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.retry)
            .field("timeouts", &self.inner.timeouts)
            .finish()
    }
}

impl Client {
    /// A builder to configure a client by hand.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sailpoint_access::{Client, RetryConfig};
    ///
    /// let client = Client::builder()
    ///     .base_url("https://acme.api.identitynow.com")
    ///     .client_credentials("my-client-id", "my-client-secret")
    ///     .attempt_timeout(Duration::from_secs(20))
    ///     .retry(RetryConfig::standard().with_max_attempts(3))
    ///     .app_name("provisioning-bot/1.2")
    ///     .build()?;
    /// assert_eq!(client.base_url(), "https://acme.api.identitynow.com");
    /// # Ok::<(), sailpoint_access::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured like the official SDKs: from `SAIL_BASE_URL`,
    /// `SAIL_CLIENT_ID`, `SAIL_CLIENT_SECRET` or `SAIL_ACCESS_TOKEN`, falling
    /// back to `config.json` in the working directory. See
    /// [`ClientBuilder::from_env_map`] for the precedence.
    ///
    /// ```no_run
    /// let client = sailpoint_access::Client::from_env()?;
    /// # Ok::<(), sailpoint_access::Error>(())
    /// ```
    pub fn from_env() -> Result<Self> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let dir = std::env::current_dir()
            .map_err(|e| Error::config(format!("no working directory: {e}")))?;
        Self::from_env_map(&env, &dir)
    }

    /// Like [`from_env`](Self::from_env), with the variables and the directory
    /// of `config.json` given explicitly.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use sailpoint_access::Client;
    ///
    /// let env = HashMap::from([
    ///     ("SAIL_BASE_URL".to_owned(), "https://acme.api.identitynow.com/v3/".to_owned()),
    ///     ("SAIL_ACCESS_TOKEN".to_owned(), "eyJhbGciOi...".to_owned()),
    /// ]);
    /// let client = Client::from_env_map(&env, std::path::Path::new("."))?;
    /// assert_eq!(client.base_url(), "https://acme.api.identitynow.com");
    /// # Ok::<(), sailpoint_access::Error>(())
    /// ```
    pub fn from_env_map(env: &HashMap<String, String>, dir: &Path) -> Result<Self> {
        ClientBuilder::from_env_map(env, dir)?.build()
    }

    /// The normalized base URL (scheme, host, optional path prefix; no `/v3`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The generated low-level client, for anything the facade does not cover.
    /// It shares this client's connection pool and token (the token is fetched
    /// by facade calls; call one first or use a static token).
    pub fn raw(&self) -> &raw::Client {
        &self.inner.raw
    }

    /// Submitting and cancelling access requests.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let sent = client.access_requests().grant().for_identity("2c91...a").role("2c91...r").send().await?;
    /// client.access_requests().cancel("activity-id", "requested by mistake").await?;
    /// # Ok(()) }
    /// ```
    pub fn access_requests(&self) -> AccessRequests<'_> {
        AccessRequests::new(self)
    }

    /// The tenant's access request configuration.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let updated = client.config().update(|cfg| cfg.auto_approval_enabled = true).await?;
    /// # Ok(()) }
    /// ```
    pub fn config(&self) -> RequestConfig<'_> {
        RequestConfig::new(self)
    }

    /// A query over the status of requested items; see [`StatusQuery`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let mine = client.statuses().requested_for("me").collect(100).await?;
    /// # Ok(()) }
    /// ```
    pub fn statuses(&self) -> StatusQuery {
        StatusQuery::new(self.clone())
    }
}

/// Configures a [`Client`]; start from [`Client::builder`].
#[derive(Clone, Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    credentials: Option<Credentials>,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    retry: Option<RetryConfig>,
    app_name: Option<String>,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("retry", &self.retry)
            .field("app_name", &self.app_name)
            .field("http", &self.http.as_ref().map(|_| "<custom>"))
            .finish()
    }
}

impl ClientBuilder {
    /// A builder filled from the environment map and `dir/config.json`.
    ///
    /// Precedence, per setting: a non-empty variable wins over the file.
    /// Credentials: `SAIL_CLIENT_ID` + `SAIL_CLIENT_SECRET`, else
    /// `SAIL_ACCESS_TOKEN`, else `ClientId` + `ClientSecret` from the file
    /// (whose `BaseURL` is used when `SAIL_BASE_URL` is absent). Setting only
    /// one of the id and secret variables is an error rather than a silent fallback.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use sailpoint_access::ClientBuilder;
    ///
    /// let env = HashMap::from([
    ///     ("SAIL_BASE_URL".to_owned(), "https://acme.api.identitynow.com".to_owned()),
    ///     ("SAIL_CLIENT_ID".to_owned(), "id".to_owned()),
    ///     ("SAIL_CLIENT_SECRET".to_owned(), "secret".to_owned()),
    /// ]);
    /// let client = ClientBuilder::from_env_map(&env, std::path::Path::new("."))?
    ///     .app_name("nightly-sync")
    ///     .build()?;
    /// # Ok::<(), sailpoint_access::Error>(())
    /// ```
    pub fn from_env_map(env: &HashMap<String, String>, dir: &Path) -> Result<Self> {
        let resolved = config::resolve(env, dir)?;
        Ok(Self::default()
            .base_url(resolved.base_url)
            .credentials(resolved.credentials))
    }

    /// The tenant's API host, such as `https://acme.api.identitynow.com`; a
    /// trailing `/` or `/v3` is removed.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How to authenticate.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// OAuth2 client credentials; tokens are fetched from `{base}/oauth/token` and refreshed.
    pub fn client_credentials(
        self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.credentials(Credentials::client_credentials(client_id, client_secret))
    }

    /// A ready bearer token, never refreshed.
    pub fn access_token(self, token: impl Into<SecretString>) -> Self {
        self.credentials(Credentials::access_token(token))
    }

    /// Limit to establish a connection (default 10 s). Applies only when the
    /// builder creates the HTTP client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limit for one attempt, from sending to the decoded body (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Limit for a whole call, retries and waits included (default: none
    /// beyond the retry policy's `max_elapsed`).
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// The retry policy (default [`RetryConfig::standard`]).
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Appended to the `User-Agent`, as in `sailpoint-access/0.1.0 my-app/2.0`.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// Use this HTTP client (proxies, custom roots, ...). Its own settings then
    /// apply: the connect timeout and `User-Agent` of this builder are not
    /// added to it, and neither is the refusal to follow redirects; give it
    /// `redirect(reqwest::redirect::Policy::none())` so that the token request
    /// cannot be redirected to another host.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the settings and builds the client. No request is made: the
    /// first token is fetched by the first call.
    pub fn build(self) -> Result<Client> {
        let base_url = config::normalize_base_url(
            self.base_url
                .as_deref()
                .ok_or_else(|| Error::config("no base URL given"))?,
        )?;
        let credentials = self
            .credentials
            .ok_or_else(|| Error::config("no credentials given"))?;
        let timeouts = Timeouts {
            connect: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            attempt: self.attempt_timeout.unwrap_or(Duration::from_secs(30)),
            total: self.total_timeout,
        };
        let http = match self.http {
            Some(http) => http,
            None => {
                let user_agent = match self
                    .app_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(app) => format!("{USER_AGENT} {app}"),
                    None => USER_AGENT.to_owned(),
                };
                reqwest::Client::builder()
                    .user_agent(user_agent)
                    .connect_timeout(timeouts.connect)
                    // The API does not redirect; following one would send the
                    // client secret (307/308 replay the form) or a submission
                    // to a host that was never configured.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?
            }
        };
        let auth = Arc::new(TokenSource::new(
            credentials,
            &base_url,
            http.clone(),
            timeouts.attempt,
            timeouts.connect,
        )?);
        let context = raw::Context::with_authorizer(Arc::new(CacheAuthorizer(auth.clone())));
        let raw = raw::Client::new_with_client(&base_url, http, context);
        Ok(Client {
            inner: Arc::new(Inner {
                raw,
                auth,
                retry: self.retry.unwrap_or_default(),
                timeouts,
                base_url,
            }),
        })
    }
}
