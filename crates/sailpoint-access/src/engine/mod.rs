//! The engine: HTTP, authentication, retries, time limits and error mapping.
//! It knows no operation: callers hand it an [`Operation`] from the generated
//! table and a closure that makes one request of the generated client.
//!
//! - `auth`: credentials, the token cache, scrubbing of secrets;
//! - `retry`: the retry policy, its budget, `Retry-After`;
//! - `execute`: the attempt loop;
//! - `classify`: from what the generated client returned to [`Error`];
//! - `settings`: environment variables, `config.json`, base URL checks;
//! - `credential_store`: the keyring holding a SailPoint CLI environment's credentials;
//! - `setters`: the macros that write the plain builder setters of every
//!   layer above (an option stored, an optional parameter passed on).

pub(crate) mod auth;
pub(crate) mod budget;
pub(crate) mod classify;
pub(crate) mod credential_store;
mod execute;
pub(crate) mod pace;
pub(crate) mod retry;
pub(crate) mod setters;
pub(crate) mod settings;
pub(crate) mod tls;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use progenitor_client::{Error as RawError, ResponseValue};
use sailpoint_access_api as raw;
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::{DeprecationNotice, Family, Operation};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use auth::{CacheAuthorizer, Credentials, TokenSource};
use pace::{Pacer, RateLimit};
use retry::{RetryBudget, RetryPolicy};

/// The `User-Agent` this crate sends, before any application suffix.
pub const USER_AGENT: &str = concat!("sailpoint-access/", env!("CARGO_PKG_VERSION"));

/// The time limits of every call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub total: Option<Duration>,
}

/// The most bytes a response body may have.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyLimits {
    /// Any response but a page of statuses (and the token response).
    pub max_body: u64,
    /// Per status on a page: a page's cap is this times its `limit`, plus `max_body`.
    pub max_status: u64,
}

impl BodyLimits {
    /// The cap of a page of `limit` statuses.
    pub(crate) fn page(&self, limit: u32) -> u64 {
        self.max_status
            .saturating_mul(u64::from(limit))
            .saturating_add(self.max_body)
    }
}

/// What the engine is built from.
pub(crate) struct EngineSettings {
    pub base_url: String,
    pub credentials: Credentials,
    pub timeouts: Timeouts,
    pub body_limits: BodyLimits,
    pub family: Family,
    pub rate_limit: Option<RateLimit>,
    /// Where the pacer's slots come from (`None`: in-process).
    pub rate_budget: Option<budget::RateBudgetSpec>,
    pub retry: RetryPolicy,
    pub app_name: Option<String>,
    pub http: Option<reqwest::Client>,
}

/// A cheap handle (an `Arc`) on the shared engine; every builder owns one.
#[derive(Clone)]
pub(crate) struct Engine(Arc<EngineInner>);

pub(crate) struct EngineInner {
    pub raw: raw::Client,
    pub auth: Arc<TokenSource>,
    pub retry: RetryPolicy,
    pub budget: RetryBudget,
    pub timeouts: Timeouts,
    pub body_limits: BodyLimits,
    pub family: Family,
    pub pacer: Pacer,
    pub base_url: String,
    /// The deprecation notices seen, per operation.
    pub deprecations: Mutex<BTreeMap<&'static str, DeprecationNotice>>,
}

impl EngineInner {
    /// Records what a response said about its operation's deprecation; the
    /// first notice of each operation is logged as a warning.
    /// Its texts are scrubbed of credentials (a proxy may echo the
    /// `Authorization` header into any header), then cut to 200 characters,
    /// before they are logged or kept.
    pub(crate) fn note_deprecation(&self, op: &'static Operation, notice: &DeprecationNotice) {
        let notice = notice
            .clone()
            .map_texts(|text| crate::error::excerpt(&self.auth.scrub(text), 200));
        let mut seen = self.deprecations.lock().unwrap_or_else(|e| e.into_inner());
        if seen.insert(op.name, notice.clone()).is_none() {
            tracing::warn!(
                operation = op.name,
                deprecation = notice.deprecation.as_deref().unwrap_or(""),
                sunset = notice.sunset.as_deref().unwrap_or(""),
                link = notice.link.as_deref().unwrap_or(""),
                "the service marks this operation deprecated"
            );
        }
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.0.base_url)
            .field("auth", &self.0.auth)
            .field("retry", &self.0.retry)
            .field("timeouts", &self.0.timeouts)
            .field("family", &self.0.family)
            .finish()
    }
}

impl Engine {
    /// Checks the settings and builds the engine; nothing is sent.
    pub(crate) fn new(settings: EngineSettings) -> Result<Self> {
        let base_url = settings::normalize_base_url(&settings.base_url)?;
        let timeouts = settings.timeouts;
        let http = match settings.http {
            Some(http) => http,
            None => {
                let user_agent = match settings
                    .app_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(app) => format!("{USER_AGENT} {app}"),
                    None => USER_AGENT.to_owned(),
                };
                tls::install_tls_provider();
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
            settings.credentials,
            &base_url,
            http.clone(),
            timeouts.attempt,
            timeouts.connect,
            settings.body_limits.max_body,
        )?);
        let shared = match settings.rate_budget.as_ref().map(|spec| spec.open()) {
            Some(Ok(Some(budget))) => Some(pace::Shared {
                budget,
                host: budget::host_of(&base_url),
                client_id: auth.caller().to_owned(),
            }),
            Some(Err(e)) => return Err(e),
            _ => None,
        };
        let context = raw::Context::with_authorizer(Arc::new(CacheAuthorizer(auth.clone())));
        let raw = raw::Client::new_with_client(&base_url, http, context);
        Ok(Engine(Arc::new(EngineInner {
            raw,
            auth,
            budget: settings.retry.new_budget(),
            retry: settings.retry,
            timeouts,
            body_limits: settings.body_limits,
            family: settings.family,
            pacer: Pacer::with_shared(settings.rate_limit, shared),
            base_url,
            deprecations: Mutex::new(BTreeMap::new()),
        })))
    }

    /// The generated client, sharing this engine's pool and token cache.
    pub(crate) fn raw(&self) -> &raw::Client {
        &self.0.raw
    }

    /// The normalized base URL.
    pub(crate) fn base_url(&self) -> &str {
        &self.0.base_url
    }

    /// What is known of a usable token (one is fetched if none is cached);
    /// never the token itself.
    pub(crate) async fn token_info(&self) -> Result<auth::TokenInfo> {
        self.0.auth.info().await
    }

    /// `text` with every credential and recent token of this engine redacted.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.0.auth.scrub(text)
    }

    /// The pacer: the configured limit and what each lane uses now.
    pub(crate) fn pacer(&self) -> &Pacer {
        &self.0.pacer
    }

    /// The client id (or `static token`): with the base URL, the tenant
    /// and caller a bulk journal is bound to.
    pub(crate) fn caller(&self) -> &str {
        self.0.auth.caller()
    }

    /// Runs one operation: see the `execute` module.
    pub(crate) async fn execute<T, F, Fut>(
        &self,
        op: &'static Operation,
        call: F,
    ) -> Result<ResponseValue<T>>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>>,
    {
        self.execute_limited(op, self.0.body_limits.max_body, call)
            .await
    }

    /// Every deprecation notice seen so far, by operation name.
    pub(crate) fn deprecations(&self) -> Vec<(&'static str, DeprecationNotice)> {
        let seen = self
            .0
            .deprecations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        seen.iter().map(|(op, n)| (*op, n.clone())).collect()
    }

    /// The API family the operations of both families go to.
    pub(crate) fn family(&self) -> Family {
        self.0.family
    }

    /// The body limits.
    pub(crate) fn body_limits(&self) -> BodyLimits {
        self.0.body_limits
    }

    /// [`execute`](Self::execute) with bodies capped at `max_body` bytes.
    pub(crate) async fn execute_limited<T, F, Fut>(
        &self,
        op: &'static Operation,
        max_body: u64,
        call: F,
    ) -> Result<ResponseValue<T>>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>>,
    {
        execute::execute(&self.0, op, max_body, call).await
    }
}
