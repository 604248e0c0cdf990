//! The [`Client`] and its [`ClientBuilder`]: the entry point, on top of the
//! operation families and the helpers.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use sailpoint_access_api as raw;
use sailpoint_access_api::types::{AccessRequest, AccessRequestResponse};
use sailpoint_access_api::{DeprecationNotice, Family};

use crate::engine::auth::{Credentials, TokenInfo};
use crate::engine::budget::RateBudgetSpec;
use crate::engine::credential_store::{self, CredentialStore};
use crate::engine::pace::RateLimit;
use crate::engine::retry::RetryPolicy;
use crate::engine::settings::SettingSources;
use crate::engine::{settings, BodyLimits, Engine, EngineSettings, Timeouts};
use crate::error::{Error, Result};
use crate::jobs::bulk::preflight::Preflight;
use crate::jobs::bulk::{BulkSubmit, Plan};
use crate::jobs::cancel_many::{CancelMany, CloseMany};
use crate::jobs::pending::{self, Submission};
use crate::jobs::resolve::Resolver;
use crate::jobs::wait::WaitUntilDone;
use crate::ops::access_requests::AccessRequests;
use crate::ops::config::{AccessRequestConfigs, AccessRequestConfigsV2};
use crate::ops::lookups::Lookups;
use crate::ops::statuses::StatusQuery;

/// A client for the Access Requests API.
///
/// Cheap to clone (an `Arc` inside); clones share the connection pool, the
/// token cache, the retry budget and the settings. Build one per tenant and
/// reuse it. Every handle it returns owns a clone, so the futures they give
/// are `Send + 'static` and can be spawned.
///
/// ```no_run
/// # async fn run() -> sailpoint_access::Result<()> {
/// use sailpoint_access::Client;
///
/// let client = Client::from_env()?;
/// let config = client.access_request_config().get().await?;
/// println!("auto approval: {}", config.auto_approval_enabled);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    engine: Engine,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.engine.fmt(f)
    }
}

impl Client {
    /// A builder to configure a client by hand.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sailpoint_access::{Client, RetryPolicy};
    ///
    /// let client = Client::builder()
    ///     .base_url("https://acme.api.identitynow.com")
    ///     .client_credentials("my-client-id", "my-client-secret")
    ///     .attempt_timeout(Duration::from_secs(20))
    ///     .retry(RetryPolicy::standard().with_max_attempts(3))
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
    /// back to `config.json` in the working directory, and for the base URL
    /// last to the active environment of `~/.sailpoint/config.yaml`. See
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

    /// The API family this client's shared operations go to.
    pub fn family(&self) -> Family {
        self.engine.family()
    }

    /// The normalized base URL (scheme, host, optional path prefix; no `/v3`).
    pub fn base_url(&self) -> &str {
        self.engine.base_url()
    }

    /// The generated low-level client, for anything the facade does not cover.
    /// It shares this client's connection pool and token cache, and
    /// authenticates on its own: its first call fetches a token if none is
    /// cached. It has none of the facade's retries or validation.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let page = client.raw().list_access_request_status().limit(5).send().await?;
    /// println!("{} statuses", page.into_inner().len());
    /// # Ok(()) }
    /// ```
    pub fn raw(&self) -> &raw::Client {
        self.engine.raw()
    }

    /// The deprecation notices responses have carried so far (`Deprecation`,
    /// `Sunset`, `X-Deprecated`, `Link: <...>; rel="deprecation"`), by
    /// operation name. The first notice of each operation is also logged as
    /// a `tracing` warning.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// client.access_request_config().get().await?;
    /// for (operation, notice) in client.deprecations() {
    ///     eprintln!("{operation} is deprecated; sunset {:?}", notice.sunset);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn deprecations(&self) -> Vec<(&'static str, DeprecationNotice)> {
        self.engine.deprecations()
    }

    /// What is known of the client's token, fetching one if none is cached:
    /// the lifetime and scope the token endpoint announced, and the claims
    /// of a JWT (decoded, not verified). Never the token itself.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let info = client.token_info().await?;
    /// let rights = info.claims.as_ref().and_then(|c| c.get("authorities"));
    /// println!("lifetime {:?}, rights {rights:?}", info.lifetime);
    /// # Ok(()) }
    /// ```
    pub async fn token_info(&self) -> Result<TokenInfo> {
        self.engine.token_info().await
    }

    /// `text` with the client's secret and its recent tokens replaced by
    /// `<redacted>`, in every form the client sends them: for reports that
    /// quote what a server said.
    pub fn redact(&self, text: &str) -> String {
        self.engine.redact(text)
    }

    /// The configured rate limit; `None` when pacing is off.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.engine.pacer().limit()
    }

    /// The share of the configured rate limit the pacer allows `family`
    /// now: 1.0 until the service answered 429, less after (what the pacer
    /// learned), and 1.0 when pacing is off.
    pub fn pacing_share(&self, family: Family) -> f64 {
        self.engine.pacer().rate(family)
    }

    /// Submitting and cancelling access requests.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let sent = client.access_requests().grant().for_identity("2c91...a").role("2c91...r").send().await?;
    /// client.access_requests().cancel("activity-id", "requested by mistake").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn access_requests(&self) -> AccessRequests {
        AccessRequests::new(self.engine.clone())
    }

    /// The tenant's access request configuration (approval and request settings).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let updated = client
    ///     .access_request_config()
    ///     .update(|cfg| cfg.auto_approval_enabled = true)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn access_request_config(&self) -> AccessRequestConfigs {
        AccessRequestConfigs::new(self.engine.clone())
    }

    /// The v2 access request configuration (always the versioned family).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// client
    ///     .access_request_config_v2()
    ///     .update(|cfg| cfg.machine_identity_access_request_enabled = Some(false))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn access_request_config_v2(&self) -> AccessRequestConfigsV2 {
        AccessRequestConfigsV2::new(self.engine.clone())
    }

    /// A job that cancels any number of access requests, chosen by id or
    /// by a status query, in bulk cancels of at most 50 ids (always the
    /// versioned family), and re-reads their statuses to report which were
    /// really cancelled; see [`CancelMany`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::{types::RequestStateFilter, Filter, Timestamp};
    ///
    /// let report = client.cancel_many("project ended").ids(["2c91...a", "2c91...b"]).send().await?;
    /// println!("{} cancelled in {} call(s)", report.changed().count(), report.change_calls);
    ///
    /// let cutoff: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
    /// let stale = client
    ///     .statuses()
    ///     .requested_by("me")
    ///     .request_state(RequestStateFilter::Executing)
    ///     .filter(Filter::created().lt(cutoff));
    /// let preview = client.cancel_many("stale").matching(stale).dry_run(true).send().await?;
    /// println!("would cancel {} request(s)", preview.outcomes.len());
    /// # Ok(()) }
    /// ```
    pub fn cancel_many(&self, comment: impl Into<String>) -> CancelMany {
        CancelMany::new(self.engine.clone(), comment.into())
    }

    /// A job that closes any number of access requests, chosen by id or by
    /// a status query, in calls of at most 500 ids (always the versioned
    /// family), and re-reads their statuses to report which really ended;
    /// see [`CloseMany`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::types::CloseCompletionStatus;
    ///
    /// let report = client
    ///     .close_many()
    ///     .ids(["2c91...a"])
    ///     .completion_status(CloseCompletionStatus::Failure)
    ///     .message("the source was retired")
    ///     .send()
    ///     .await?;
    /// println!("{} closed", report.changed().count());
    /// # Ok(()) }
    /// ```
    pub fn close_many(&self) -> CloseMany {
        CloseMany::new(self.engine.clone())
    }

    /// Runs a bulk plan: see the [`bulk`](crate::bulk) module.
    pub fn bulk_submit(&self, plan: Plan) -> BulkSubmit {
        BulkSubmit::new(self.engine.clone(), plan)
    }

    /// A query over the status of requested items; see [`StatusQuery`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let mine = client.statuses().requested_for("me").collect(100).await?;
    /// # Ok(()) }
    /// ```
    pub fn statuses(&self) -> StatusQuery {
        StatusQuery::new(self.engine.clone())
    }

    /// The look-ups: identities, the catalogue, what an identity holds; see
    /// [`Lookups`] (and [`Resolver`](crate::Resolver) to turn names into ids).
    pub fn lookups(&self) -> Lookups {
        Lookups::new(self.engine.clone())
    }

    /// Resolves names to ids in batches, with a cache; see [`Resolver`].
    pub fn resolver(&self) -> Resolver {
        Resolver::new(self.engine.clone())
    }

    /// What the identities of a plan already hold or await; see [`Preflight`].
    pub fn preflight(&self) -> Preflight {
        Preflight::new(self.engine.clone())
    }

    /// Approvals (pending, completed, approve, reject, forward, bulk
    /// approve, summary, approvers) and the administrators' operations;
    /// see [`Approvals`](crate::Approvals).
    pub fn approvals(&self) -> crate::Approvals {
        crate::Approvals::new(self.engine.clone())
    }

    /// The pending approvals of these access requests, by request (one
    /// pending-list call per 50 requests); see [`ApprovalsOf`](crate::ApprovalsOf).
    pub fn approvals_of<I, S>(&self, access_request_ids: I) -> crate::ApprovalsOf
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        crate::ApprovalsOf::new(
            self.approvals(),
            access_request_ids.into_iter().map(Into::into).collect(),
        )
    }

    /// Why access requests are where they are: per item its phases, the
    /// approvers it waits on, its errors, whether it can be cancelled and
    /// what would move it; see [`Explain`](crate::Explain).
    pub fn explain<I, S>(&self, access_request_ids: I) -> crate::Explain
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        crate::Explain::new(
            self.statuses(),
            self.approvals(),
            access_request_ids.into_iter().map(Into::into).collect(),
        )
    }

    /// A job that approves many approvals (bulk approve in calls of at most
    /// 50 while allowed, single paced calls after a 403), then re-reads and
    /// reports each: decided, no longer pending, not found or refused; see
    /// [`ApproveMany`](crate::ApproveMany).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let report = client
    ///     .approve_many("approved for the project")
    ///     .access_request_ids(["2c91...a", "2c91...b"])
    ///     .send()
    ///     .await?;
    /// for o in &report.outcomes {
    ///     println!("{} {:?}", o.approval_id, o.result);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn approve_many(&self, comment: impl Into<String>) -> crate::ApproveMany {
        crate::ApproveMany::new(self.approvals(), crate::Decision::Approve, comment.into())
    }

    /// [`approve_many`](Self::approve_many), rejecting (single calls, paced;
    /// comment required).
    pub fn reject_many(&self, comment: impl Into<String>) -> crate::ApproveMany {
        crate::ApproveMany::new(self.approvals(), crate::Decision::Reject, comment.into())
    }

    /// [`approve_many`](Self::approve_many), forwarding to `new_owner_id`
    /// (single calls, paced; comment required).
    pub fn forward_many(
        &self,
        new_owner_id: impl Into<String>,
        comment: impl Into<String>,
    ) -> crate::ApproveMany {
        crate::ApproveMany::new(
            self.approvals(),
            crate::Decision::Forward(new_owner_id.into()),
            comment.into(),
        )
    }

    /// Polls the statuses of the given access requests until every item is in
    /// a terminal state; see [`WaitUntilDone`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use std::time::Duration;
    /// let sent = client.access_requests().grant().for_identity("2c91...a").role("2c91...r").send().await?;
    /// let done = client
    ///     .wait_until_done_for(&sent)
    ///     .deadline(Duration::from_secs(600))
    ///     .wait()
    ///     .await?;
    /// for status in done {
    ///     println!("{:?}: {:?}", status.name, status.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn wait_until_done<I, S>(&self, access_request_ids: I) -> WaitUntilDone
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        WaitUntilDone::new(
            self.engine.clone(),
            access_request_ids.into_iter().map(Into::into).collect(),
        )
    }

    /// [`wait_until_done`](Self::wait_until_done) for every request a
    /// submission created, and those it reported as already existing.
    pub fn wait_until_done_for(&self, response: &AccessRequestResponse) -> WaitUntilDone {
        WaitUntilDone::for_response(self.engine.clone(), response)
    }

    /// Submits only what is not already pending.
    ///
    /// The API advises checking for existing requests first, since it accepts
    /// duplicates silently. This walks the executing statuses once (narrowed
    /// to the identity when there is one) and treats an item as pending for
    /// an identity when a status of the same request type, item id and item
    /// type is not yet in a terminal state; bulk submission uses the same
    /// index. Items pending for every target identity are left out; when
    /// nothing is left, nothing is submitted. Matching needs the status `id`
    /// field, which tenants send since 2026; on older tenants nothing matches
    /// and the request is submitted as is.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let body = client.access_requests().grant().for_identity("2c91...a").role("2c91...r").build()?;
    /// let outcome = client.submit_unless_pending(body).await?;
    /// if outcome.submitted.is_none() {
    ///     println!("already pending: {} item(s)", outcome.already_pending.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn submit_unless_pending(&self, body: AccessRequest) -> Result<Submission> {
        pending::submit_unless_pending(self.engine.clone(), body).await
    }
}

/// Configures a [`Client`]; start from [`Client::builder`].
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    base_url: Option<String>,
    credentials: Option<Credentials>,
    connect_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    max_status_bytes: Option<u64>,
    family: Option<Family>,
    rate_limit: Option<Option<RateLimit>>,
    rate_budget: Option<RateBudgetSpec>,
    retry: Option<RetryPolicy>,
    app_name: Option<String>,
    http: Option<reqwest::Client>,
    sources: Option<SettingSources>,
}

/// Default limit of a whole call.
const DEFAULT_TOTAL: Duration = Duration::from_secs(60);
/// Default cap of a response body other than a page of statuses: 8 MiB.
const DEFAULT_MAX_BODY: u64 = 8 << 20;
/// Default cap per status on a page (a page of `limit` statuses may have
/// `limit` times this, plus the body cap): 64 KiB.
const DEFAULT_MAX_STATUS: u64 = 64 << 10;

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_status_bytes", &self.max_status_bytes)
            .field("family", &self.family)
            .field("rate_limit", &self.rate_limit)
            .field("rate_budget", &self.rate_budget)
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
        Self::from_env_map_with_store(env, dir, credential_store::default_store())
    }

    /// Like [`from_env_map`](Self::from_env_map), reading the keyring
    /// entries of the SailPoint CLI environments from `store` (`None`: no
    /// keyring at all). The order of the steps is in the
    /// [`settings`](crate::settings) module.
    pub fn from_env_map_with_store(
        env: &HashMap<String, String>,
        dir: &Path,
        store: Option<&dyn CredentialStore>,
    ) -> Result<Self> {
        let resolved = settings::resolve(env, dir, store)?;
        let mut builder = Self::default()
            .base_url(resolved.base_url)
            .credentials(resolved.credentials)
            .family(resolved.family);
        builder.sources = Some(resolved.sources);
        let builder = match resolved.rate_limit {
            Some(limit) => builder.rate_limit(limit),
            None => builder,
        };
        Ok(match resolved.rate_budget {
            Some(budget) => builder.rate_budget(budget),
            None => builder,
        })
    }

    /// Where each setting came from, for a builder made by
    /// [`from_env_map`](Self::from_env_map) and its kin.
    pub fn setting_sources(&self) -> Option<&SettingSources> {
        self.sources.as_ref()
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
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials(Credentials::client_credentials(client_id, client_secret))
    }

    /// A ready bearer token, never refreshed.
    pub fn access_token(self, token: impl Into<String>) -> Self {
        self.credentials(Credentials::access_token(token))
    }

    /// Limit to establish a connection (default 10 s). Applies only when the
    /// builder creates the HTTP client.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limit for one attempt, from sending to the last byte of the decoded
    /// body, headers and body alike, so a server that trickles its answer
    /// cannot hold a call longer (default 30 s). A token request is one
    /// attempt with the same limit.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Limit for a whole call: token fetches, every attempt and every wait
    /// between attempts included (default 60 s). This is the documented
    /// worst case of any call of the client.
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = Some(timeout);
        self
    }

    /// The largest response body read, in bytes, for every response but a
    /// page of statuses (default 8 MiB). A larger body fails the call with
    /// `ErrorKind::ResponseTooLarge` after at most this much was buffered.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// The allowance per status on a page (default 64 KiB): a page of
    /// `limit` statuses may be `limit` times this plus `max_response_bytes`.
    pub fn max_status_bytes(mut self, bytes: u64) -> Self {
        self.max_status_bytes = Some(bytes);
        self
    }

    /// The API family the operations that exist in both go to (default
    /// [`Family::V3`]; `SAIL_API_FAMILY=versioned` in [`Client::from_env`]).
    /// Close, bulk cancel and the v2 configuration exist only in the
    /// versioned family and always use it.
    pub fn family(mut self, family: Family) -> Self {
        self.family = Some(family);
        self
    }

    /// Client-side pacing: every call of the client (and of its clones) is
    /// spaced to stay under `limit`, per API family (default
    /// [`RateLimit::vendor_default`], 100 requests per 10 s). `None` turns
    /// pacing off. A 429 pauses every caller of the family until its
    /// `Retry-After` (capped), then resumes at the pace the tenant let
    /// through in the window before the throttled request (or, without that
    /// evidence, halves the pace, which then recovers as requests succeed);
    /// with a shared [`rate_budget`](Self::rate_budget), every sharer does.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Where the pace's slots come from (default
    /// [`RateBudgetSpec::InProcess`]): a budget shared with other processes
    /// of the same client id, in a directory of this host or on a Redis
    /// server, so that together they stay under [`rate_limit`](Self::rate_limit)
    /// and a 429 seen by one slows them all. Unused when pacing is off.
    pub fn rate_budget(mut self, budget: RateBudgetSpec) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// The retry policy (default [`RetryPolicy::standard`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
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
        let base_url = self
            .base_url
            .ok_or_else(|| Error::config("no base URL given"))?;
        let credentials = self
            .credentials
            .ok_or_else(|| Error::config("no credentials given"))?;
        let engine = Engine::new(EngineSettings {
            base_url,
            credentials,
            timeouts: Timeouts {
                connect: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
                attempt: self.attempt_timeout.unwrap_or(Duration::from_secs(30)),
                total: Some(self.total_timeout.unwrap_or(DEFAULT_TOTAL)),
            },
            body_limits: BodyLimits {
                max_body: self.max_response_bytes.unwrap_or(DEFAULT_MAX_BODY),
                max_status: self.max_status_bytes.unwrap_or(DEFAULT_MAX_STATUS),
            },
            family: self.family.unwrap_or(Family::V3),
            rate_limit: self.rate_limit.unwrap_or(Some(RateLimit::vendor_default())),
            rate_budget: self.rate_budget,
            retry: self.retry.unwrap_or_default(),
            app_name: self.app_name,
            http: self.http,
        })?;
        Ok(Client { engine })
    }
}
