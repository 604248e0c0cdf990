//! The engine: HTTP, authentication, retries, time limits and error mapping.
//! It knows no operation: callers hand it an [`Operation`] from the generated
//! table and a closure that makes one request of the generated client.
//!
//! - `auth`: credentials, the token cache, scrubbing of secrets;
//! - `retry`: the retry policy, its budget, `Retry-After`;
//! - `execute`: the attempt loop;
//! - `classify`: from what the generated client returned to [`Error`];
//! - `settings`: environment variables, `config.json`, base URL checks.

pub(crate) mod auth;
pub(crate) mod classify;
mod execute;
pub(crate) mod retry;
pub(crate) mod settings;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{Error as RawError, ResponseValue};
use sailpoint_access_api as raw;
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::Operation;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use auth::{CacheAuthorizer, Credentials, TokenSource};
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

/// What the engine is built from.
pub(crate) struct EngineSettings {
    pub base_url: String,
    pub credentials: Credentials,
    pub timeouts: Timeouts,
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
    pub base_url: String,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.0.base_url)
            .field("auth", &self.0.auth)
            .field("retry", &self.0.retry)
            .field("timeouts", &self.0.timeouts)
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
        )?);
        let context = raw::Context::with_authorizer(Arc::new(CacheAuthorizer(auth.clone())));
        let raw = raw::Client::new_with_client(&base_url, http, context);
        Ok(Engine(Arc::new(EngineInner {
            raw,
            auth,
            budget: settings.retry.new_budget(),
            retry: settings.retry,
            timeouts,
            base_url,
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
        execute::execute(&self.0, op, call).await
    }
}
