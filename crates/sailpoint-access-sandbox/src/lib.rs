#![doc = include_str!("../README.md")]

mod app;
#[cfg(feature = "cli")]
mod args;
mod auth;
mod error;
mod faults;
pub mod filter;
mod handlers;
mod lifecycle;
mod operation;
mod rng;
mod seed;
mod server;
mod shared;
mod sort;
mod state;
mod tenant;
mod validate;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sailpoint_access_api::types::{
    AccessRequestConfig, AccessRequestConfigV2, RequestedItemStatus,
};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[cfg(feature = "cli")]
pub use args::{SandboxArgs, DEFAULT_PORT};
pub use faults::{
    DropConnections, FaultConfig, Latency, RateLimitFault, ServerErrors, Stall,
    DEFAULT_SERVER_ERROR_STATUSES,
};
pub use lifecycle::AutoLifecycle;
pub use operation::{Operation, Operations};
pub use state::{default_config, default_config_v2, ControlError};
pub use tenant::{
    APPROVER_IDENTITY_ID, APPROVER_IDENTITY_NAME, CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME,
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TOKEN_LIFETIME,
};
pub use validate::validate_access_request;

use auth::Settings;
use shared::Shared;

/// Entry point: `Sandbox::builder()`.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// A builder with the defaults: loopback on a free port, the default
    /// credentials, seed 0, no seeded statuses, no faults, and the
    /// "Specified offset is invalid." quirk on.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }
}

/// Configures a sandbox before it starts.
#[derive(Clone, Debug)]
pub struct SandboxBuilder {
    addr: SocketAddr,
    client_id: String,
    client_secret: String,
    token_lifetime: Duration,
    seed: u64,
    seed_statuses: usize,
    offset_quirk: bool,
    faults: FaultConfig,
    config: AccessRequestConfig,
    config_v2: AccessRequestConfigV2,
    visibility_delay: Duration,
    auto_lifecycle: Option<AutoLifecycle>,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            seed: 0,
            seed_statuses: 0,
            offset_quirk: true,
            faults: FaultConfig::default(),
            config: default_config(),
            config_v2: default_config_v2(),
            visibility_delay: Duration::ZERO,
            auto_lifecycle: None,
        }
    }
}

impl SandboxBuilder {
    /// Listens on this port of 127.0.0.1 (0, the default, picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Listens on this IP address instead of 127.0.0.1, keeping the port.
    pub fn host(mut self, ip: std::net::IpAddr) -> Self {
        self.addr.set_ip(ip);
        self
    }

    /// Listens on this address instead of 127.0.0.1.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The client id the token endpoint accepts.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// The client secret the token endpoint accepts.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = secret.into();
        self
    }

    /// How long issued tokens stay valid (`expires_in` is its whole seconds).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The seed of every id, seeded status and fault decision.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Starts with `n` generated statuses over the past year, in every state.
    pub fn seed_statuses(mut self, n: usize) -> Self {
        self.seed_statuses = n;
        self
    }

    /// Whether an offset equal to a non-zero total that is a multiple of the
    /// limit answers `400 "Specified offset is invalid."` (default true, as
    /// some tenants do) instead of an empty page.
    pub fn offset_quirk(mut self, enabled: bool) -> Self {
        self.offset_quirk = enabled;
        self
    }

    /// The access request configuration the tenant starts with (the document
    /// of the v3 and the v1 configuration operations).
    pub fn config(mut self, config: AccessRequestConfig) -> Self {
        self.config = config;
        self
    }

    /// The second configuration document the tenant starts with
    /// (`/access-request-config/v2`).
    pub fn config_v2(mut self, config: AccessRequestConfigV2) -> Self {
        self.config_v2 = config;
        self
    }

    /// Keeps a new status out of both families' status lists until `delay`
    /// after its creation, as a tenant's search index lags behind its
    /// writes (default zero: listed at once). The status exists meanwhile:
    /// it is cancelled by id, counted in
    /// [`SandboxHandle::access_requests_accepted`], returned by
    /// [`SandboxHandle::status`] and [`SandboxHandle::statuses`], and blocks
    /// a duplicate submission; only the lists (and their `X-Total-Count`)
    /// leave it out.
    pub fn visibility_delay(mut self, delay: Duration) -> Self {
        self.visibility_delay = delay;
        self
    }

    /// Moves items through approval and provisioning by themselves, on the
    /// schedule of `auto` (see [`AutoLifecycle`]); default off, items stay
    /// pending until a test moves them.
    pub fn auto_lifecycle(mut self, auto: AutoLifecycle) -> Self {
        self.auto_lifecycle = Some(auto);
        self
    }

    /// Replaces every fault knob at once.
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// 429 after `limit.max_requests` per window per caller.
    pub fn rate_limit(mut self, limit: RateLimitFault) -> Self {
        self.faults.rate_limit = Some(limit);
        self
    }

    /// Answers a share of requests with 500, 502 or 503, or the statuses
    /// [`ServerErrors::statuses`] names.
    pub fn server_errors(mut self, errors: ServerErrors) -> Self {
        self.faults.server_errors = Some(errors);
        self
    }

    /// Delays every response.
    pub fn latency(mut self, latency: Latency) -> Self {
        self.faults.latency = Some(latency);
        self
    }

    /// Holds a share of requests without answering (or answers late).
    pub fn stall(mut self, stall: Stall) -> Self {
        self.faults.stall = Some(stall);
        self
    }

    /// Closes the connection of a share of requests without answering.
    pub fn drop_connections(mut self, drops: DropConnections) -> Self {
        self.faults.drop_connections = Some(drops);
        self
    }

    /// Binds, seeds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<SandboxHandle, StartError> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| StartError {
                addr: self.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError {
            addr: self.addr,
            source,
        })?;
        let mut store = state::Store::new(self.seed, self.config, self.config_v2);
        if self.seed_statuses > 0 {
            let seeded = seed::generate(self.seed_statuses, self.seed, chrono::Utc::now());
            store.learn_names(seeded.names);
            store.insert(seeded.statuses);
        }
        store.visibility_delay = self.visibility_delay;
        let auto = self.auto_lifecycle.is_some();
        store.set_auto_lifecycle(self.auto_lifecycle, sailpoint_access_api::Timestamp::now());
        let shared = Arc::new(Shared::new(
            store,
            faults::FaultState::new(self.faults, self.seed),
            auth::Tokens::new(self.seed),
            Settings {
                client_id: self.client_id,
                client_secret: self.client_secret,
                token_lifetime: self.token_lifetime,
            },
            self.offset_quirk,
        ));
        let (stop, stopped) = oneshot::channel();
        shared.auto_lifecycle.store(auto, Ordering::Relaxed);
        let task = tokio::spawn(server::serve(
            listener,
            app::router(shared.clone()),
            stopped,
        ));
        Ok(SandboxHandle {
            base_url: format!("http://{addr}"),
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// The sandbox could not bind its address.
#[derive(Debug)]
pub struct StartError {
    addr: SocketAddr,
    source: std::io::Error,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the sandbox could not listen on {}", self.addr)
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A running sandbox: its address and credentials, and controls for tests.
/// Dropping it stops the server and closes every connection.
///
/// ```
/// use std::time::Duration;
///
/// use sailpoint_access_api::types::{AccessItemType, AccessRequest, AccessRequestItem, RequestedItemState};
/// use sailpoint_access_api::{Client, Context};
/// use sailpoint_access_sandbox::{FaultConfig, Operation, RateLimitFault, Sandbox};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sandbox = Sandbox::builder().seed(1).start().await?;
/// let client = Client::new(sandbox.base_url(), Context::with_bearer_token(&sandbox.issue_token())?);
/// let item: AccessRequestItem =
///     serde_json::from_value(serde_json::json!({"type": "ROLE", "id": "role-1"}))?;
/// let request = AccessRequest {
///     requested_for: vec!["identity-1".into()],
///     requested_items: vec![item],
///     ..AccessRequest::default()
/// };
/// client.create_access_request().body(request).send().await?;
/// assert_eq!(sandbox.access_requests_accepted(), 1);
///
/// // Move the item along as an approver and the source would.
/// let id = sandbox.statuses()[0].account_activity_item_id.clone().unwrap();
/// sandbox.approve(&id)?;
/// let done = sandbox.provision(&id)?;
/// assert_eq!(done.state, Some(RequestedItemState::RequestCompleted));
///
/// // Knobs change at runtime: one request per minute from now on.
/// sandbox.set_faults(FaultConfig {
///     rate_limit: Some(RateLimitFault::new(1, Duration::from_secs(60))),
///     ..FaultConfig::default()
/// });
/// assert!(client.get_access_request_config().send().await.is_ok());
/// assert!(client.get_access_request_config().send().await.is_err()); // 429
/// assert_eq!(sandbox.requests_received(Operation::GetAccessRequestConfig), 2);
/// # Ok(())
/// # }
/// ```
pub struct SandboxHandle {
    base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The base URL, such as `http://127.0.0.1:41234`: API paths carry `/v3`,
    /// and the token endpoint is `/oauth/token`, as on a real tenant host.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The client id the token endpoint accepts.
    pub fn client_id(&self) -> String {
        self.shared.settings().client_id.clone()
    }

    /// The client secret the token endpoint accepts.
    pub fn client_secret(&self) -> String {
        self.shared.settings().client_secret.clone()
    }

    /// A client builder of the `sailpoint-access` facade aimed at this
    /// sandbox: its base URL and client credentials are set, everything
    /// else is the facade's default (set more before `build()`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = sailpoint_access_sandbox::Sandbox::builder().seed_statuses(3).start().await?;
    /// let client = sandbox.client_builder().build()?;
    /// assert_eq!(client.statuses().collect(100).await?.len(), 3);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "facade")]
    pub fn client_builder(&self) -> sailpoint_access::ClientBuilder {
        let settings = self.shared.settings();
        sailpoint_access::Client::builder()
            .base_url(&self.base_url)
            .client_credentials(settings.client_id.clone(), settings.client_secret.clone())
    }

    /// The identity tokens act as (`me`).
    pub fn caller_identity_id(&self) -> &'static str {
        CALLER_IDENTITY_ID
    }

    /// Issues a token directly, as the token endpoint would, without a
    /// request (and without counting one).
    pub fn issue_token(&self) -> String {
        let lifetime = self.shared.settings().token_lifetime;
        self.shared.tokens().issue(lifetime, Instant::now())
    }

    /// Makes every token issued so far expired: the next API call with one
    /// gets 401.
    pub fn expire_tokens(&self) {
        self.shared.tokens().expire_all(Instant::now());
    }

    /// The lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.settings_mut().token_lifetime = lifetime;
    }

    /// Requests received for `op` (counted before faults and auth, so
    /// rejected and faulted requests count too).
    pub fn requests_received(&self, op: Operation) -> u64 {
        self.shared.received(op)
    }

    /// Submissions answered 202, through either family
    /// (`createAccessRequest` and `createAccessRequestV1`): each is one
    /// submission on a real tenant, so duplicates show here.
    pub fn access_requests_accepted(&self) -> u64 {
        self.shared.accepted_creates.load(Ordering::Relaxed)
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        self.shared.reset_counters();
    }

    /// The current fault knobs.
    pub fn faults(&self) -> FaultConfig {
        self.shared.faults().config.clone()
    }

    /// Replaces the fault knobs; rate-limit windows and the drop count of
    /// [`DropConnections::times`] start over.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.faults().set_config(faults);
    }

    /// Turns the "Specified offset is invalid." quirk on or off.
    pub fn set_offset_quirk(&self, enabled: bool) {
        self.shared.offset_quirk.store(enabled, Ordering::Relaxed);
    }

    /// The stored access request configuration.
    pub fn config(&self) -> AccessRequestConfig {
        self.shared.store().config.clone()
    }

    /// Replaces the configuration, bypassing the API's validation.
    pub fn set_config(&self, config: AccessRequestConfig) {
        self.shared.store_mut().config = config;
    }

    /// The stored configuration as the API serves it, unknown properties
    /// included.
    pub fn config_json(&self) -> serde_json::Value {
        // Encoding the generated type cannot fail; `Null` would only show a bug.
        serde_json::to_value(&self.shared.store().config).unwrap_or_default()
    }

    /// Replaces the configuration with raw JSON, such as a document from a
    /// newer tenant with properties the generated types do not know. It
    /// must decode as an `AccessRequestConfig` (the schema is checked, the
    /// API's further rules are not); unknown properties, at the top level or
    /// nested, are stored and served back as given. On error the stored
    /// configuration is unchanged.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = sailpoint_access_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_config_json(serde_json::json!({
    ///     "autoApprovalEnabled": true,
    ///     "futureSetting": {"x": 1}
    /// }))?;
    /// assert!(sandbox.config().auto_approval_enabled);
    /// assert_eq!(sandbox.config_json()["futureSetting"]["x"], 1);
    /// assert!(sandbox
    ///     .set_config_json(serde_json::json!({"autoApprovalEnabled": "yes"}))
    ///     .is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_config_json(&self, config: serde_json::Value) -> Result<(), serde_json::Error> {
        let config: AccessRequestConfig = serde_json::from_value(config)?;
        self.shared.store_mut().config = config;
        Ok(())
    }

    /// The stored second configuration document (`/access-request-config/v2`).
    pub fn config_v2(&self) -> AccessRequestConfigV2 {
        self.shared.store().config_v2.clone()
    }

    /// Replaces the second configuration document, bypassing the API's
    /// validation.
    pub fn set_config_v2(&self, config: AccessRequestConfigV2) {
        self.shared.store_mut().config_v2 = config;
    }

    /// The stored second configuration document as the API serves it,
    /// unknown properties included.
    pub fn config_v2_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.shared.store().config_v2).unwrap_or_default()
    }

    /// Replaces the second configuration document with raw JSON; it must
    /// decode as an `AccessRequestConfigV2`, and unknown properties are kept.
    /// On error the stored document is unchanged.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = sailpoint_access_sandbox::Sandbox::builder().start().await?;
    /// sandbox.set_config_v2_json(serde_json::json!({
    ///     "machineIdentityAccessRequestEnabled": false,
    ///     "futureSetting": {"x": 1}
    /// }))?;
    /// assert_eq!(sandbox.config_v2().machine_identity_access_request_enabled, Some(false));
    /// assert_eq!(sandbox.config_v2_json()["futureSetting"]["x"], 1);
    /// // The v3/v1 document is another one.
    /// assert!(sandbox.config_json().get("futureSetting").is_none());
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_config_v2_json(&self, config: serde_json::Value) -> Result<(), serde_json::Error> {
        let config: AccessRequestConfigV2 = serde_json::from_value(config)?;
        self.shared.store_mut().config_v2 = config;
        Ok(())
    }

    /// How long a new status stays out of the lists
    /// ([`SandboxBuilder::visibility_delay`]).
    pub fn visibility_delay(&self) -> Duration {
        self.shared.store().visibility_delay
    }

    /// Changes how long a new status stays out of the lists; it applies to
    /// every status from now on, those already stored included.
    pub fn set_visibility_delay(&self, delay: Duration) {
        self.shared.store_mut().visibility_delay = delay;
    }

    /// The lifecycle that runs by itself, if one is set.
    pub fn auto_lifecycle(&self) -> Option<AutoLifecycle> {
        self.shared.store().auto_lifecycle().cloned()
    }

    /// Sets (or, with `None`, stops) the lifecycle that runs by itself. The
    /// clock of items already stored starts now: a pending item created an
    /// hour ago is approved `approve_after` from now, not at once.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use sailpoint_access_api::types::RequestedItemState;
    /// use sailpoint_access_sandbox::{AutoLifecycle, Sandbox};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = Sandbox::builder().seed_statuses(50).start().await?;
    /// sandbox.set_auto_lifecycle(Some(AutoLifecycle::immediate()));
    /// // Read lazily: every item that was waiting is provisioned now.
    /// assert!(sandbox
    ///     .statuses()
    ///     .iter()
    ///     .all(|s| s.state != Some(RequestedItemState::Executing)
    ///         || s.approval_details.is_empty()));
    /// sandbox.set_auto_lifecycle(None);
    /// assert_eq!(sandbox.auto_lifecycle(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_auto_lifecycle(&self, auto: Option<AutoLifecycle>) {
        let on = auto.is_some();
        self.shared
            .store_mut()
            .set_auto_lifecycle(auto, sailpoint_access_api::Timestamp::now());
        self.shared.auto_lifecycle.store(on, Ordering::Relaxed);
    }

    /// Approves every item waiting for its approval, as [`approve`](Self::approve)
    /// does one; returns how many were approved.
    pub fn approve_all_pending(&self) -> usize {
        self.shared.tick();
        self.shared.store_mut().approve_all_pending()
    }

    /// Completes provisioning of every approved item, as
    /// [`provision`](Self::provision) does one; returns how many were
    /// provisioned.
    pub fn provision_all_approved(&self) -> usize {
        self.shared.tick();
        self.shared.store_mut().provision_all_approved()
    }

    /// The status with this `accountActivityItemId`, visible in the lists
    /// or not yet.
    pub fn status(&self, account_activity_item_id: &str) -> Option<RequestedItemStatus> {
        self.shared.tick();
        self.shared.store().get(account_activity_item_id).cloned()
    }

    /// Every status, in storage order, visible in the lists or not yet (a
    /// copy: meant for small stores).
    pub fn statuses(&self) -> Vec<RequestedItemStatus> {
        self.shared.tick();
        self.shared.store().all().to_vec()
    }

    /// The number of statuses stored.
    pub fn status_count(&self) -> usize {
        self.shared.store().len()
    }

    /// Stores statuses as given (replacing any with the same
    /// `accountActivityItemId`; ones without it get a fresh id). Returns
    /// their `accountActivityItemId`s.
    pub fn insert_statuses(
        &self,
        statuses: impl IntoIterator<Item = RequestedItemStatus>,
    ) -> Vec<String> {
        self.shared.store_mut().insert(statuses)
    }

    /// Adds `n` generated statuses (as [`SandboxBuilder::seed_statuses`]),
    /// drawn from `seed`.
    pub fn seed_statuses(&self, n: usize, seed: u64) {
        let seeded = seed::generate(n, seed, chrono::Utc::now());
        let mut store = self.shared.store_mut();
        store.learn_names(seeded.names);
        store.insert(seeded.statuses);
    }

    /// Approves a pending item: its approval becomes APPROVED, it stays
    /// EXECUTING (now provisioning) and is no longer cancelable.
    pub fn approve(
        &self,
        account_activity_item_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.shared.tick();
        self.shared.store_mut().approve(account_activity_item_id)
    }

    /// Rejects a pending item: approval REJECTED, state REJECTED.
    pub fn reject(
        &self,
        account_activity_item_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.shared.tick();
        self.shared.store_mut().reject(account_activity_item_id)
    }

    /// Completes provisioning of an approved item: state REQUEST_COMPLETED.
    pub fn provision(
        &self,
        account_activity_item_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.shared.tick();
        self.shared.store_mut().provision(account_activity_item_id)
    }

    /// Fails provisioning of an approved item: state PROVISIONING_FAILED,
    /// with an error message.
    pub fn fail(
        &self,
        account_activity_item_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.shared.tick();
        self.shared.store_mut().fail(account_activity_item_id)
    }

    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        // Dropping the sender wakes the accept loop, which aborts every
        // connection; nothing to await here.
        self.stop.take();
    }
}
