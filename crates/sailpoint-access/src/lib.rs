//! A validated, resilient client for the SailPoint Identity Security Cloud v3
//! Access Requests API.
//!
//! - [`Client`]: configured from the environment like the official SDKs
//!   ([`Client::from_env`]) or by hand ([`Client::builder`]); OAuth2 client
//!   credentials with a shared, refreshed token cache, or a static token.
//! - One builder per operation, validated before anything is sent:
//!   [`Client::access_requests`] (grant, revoke, modify, cancel),
//!   [`Client::access_request_config`] (get, set, update),
//!   [`Client::statuses`] (typed parameters, [`Filter`], [`StatusSort`],
//!   pagination as `Unpin` streams).
//! - Helpers on top: [`Client::wait_until_done`], [`Client::submit_unless_pending`].
//! - Retries with backoff, `Retry-After` and a shared retry budget
//!   ([`RetryPolicy`]); a submission is never replayed once it may have
//!   reached the service, and a replayed cancel that finds its work done
//!   counts as done.
//! - One error type, [`Error`], with an [`ErrorKind`] to match on, its
//!   context and its cause, and no secrets.
//! - `tracing` spans per call (`operation`, `method`, `path`, `status`,
//!   `attempt`, `elapsed_ms`); bodies only at trace level.
//!
//! The source is layered: `engine/` (HTTP, auth, retry, time limits, error
//! mapping; it knows no operation) at the bottom; one folder per operation
//! family above it (`access_requests/`, `statuses/`, `access_request_config`);
//! helpers (`wait`, `dedupe`) above those; [`Client`] on top.
//!
//! ```no_run
//! use sailpoint_access::{Client, Filter, Item, StatusSort};
//!
//! # async fn run() -> sailpoint_access::Result<()> {
//! let client = Client::from_env()?;
//!
//! let cfg = client.access_request_config().get().await?;
//! println!("auto approval: {}", cfg.auto_approval_enabled);
//!
//! let in_30_days = chrono::Utc::now() + chrono::Duration::days(30);
//! let sent = client
//!     .access_requests()
//!     .grant()
//!     .for_identities(["2c91...a", "2c91...b"])
//!     .item(Item::role("2c91...r").comment("project X"))
//!     .item(Item::entitlement("2c91...e").remove_date(in_30_days))
//!     .send()
//!     .await?;
//! println!("created {} request(s)", sent.new_requests.len());
//!
//! client.access_requests().cancel("activity-id", "requested by mistake").await?;
//!
//! let mut items = client
//!     .statuses()
//!     .requested_for("me")
//!     .filter(Filter::account_activity_item_id().eq("2c91..."))
//!     .sort_desc(StatusSort::Created)
//!     .items();
//! while let Some(status) = items.try_next().await? {
//!     println!("{:?}: {:?}", status.name, status.state);
//! }
//! # Ok(()) }
//! ```

mod access_request_config;
mod access_requests;
mod client;
mod dedupe;
mod engine;
mod error;
mod filter;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod statuses;
mod wait;

/// The generated low-level client and types, for escape hatches.
pub use sailpoint_access_api as raw;
/// The request and response types of the API.
pub use sailpoint_access_api::types;
pub use sailpoint_access_api::{Rule, Timestamp};
/// Secrets are kept in [`SecretString`] (zeroized on drop, never printed);
/// [`ExposeSecret`] reads one.
pub use secrecy::{ExposeSecret, SecretString};

pub use access_request_config::{config_from_json_strict, AccessRequestConfigs};
pub use access_requests::{
    validate_access_request, validate_cancel, AccessRequests, Cancel, Cancelled, Item, PerIdentity,
    PerIdentityItem, SubmitRequest, MAX_ENTITLEMENTS, MAX_IDENTITIES_WITH_ENTITLEMENTS, MAX_ITEMS,
};
pub use client::{Client, ClientBuilder};
pub use dedupe::Submission;
pub use engine::auth::Credentials;
pub use engine::retry::RetryPolicy;
pub use engine::USER_AGENT;
pub use error::{
    ApiError, DecodeError, Error, ErrorKind, Result, TimeoutPhase, TransportKind, ValidationError,
};
pub use filter::{AccessRequestIdField, AccountActivityItemIdField, CreatedField, Filter};
pub use statuses::{is_terminal, Page, PaginationStream, StatusQuery, StatusSort, MAX_PAGE_SIZE};
pub use wait::WaitUntilDone;

/// Where the client's own settings come from: the environment variables and
/// the file [`Client::from_env`] reads.
pub mod settings {
    pub use crate::engine::settings::{
        CONFIG_FILE, ENV_ACCESS_TOKEN, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
    };
}
