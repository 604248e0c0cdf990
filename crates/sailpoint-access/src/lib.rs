//! A validated, resilient client for the SailPoint Identity Security Cloud v3
//! Access Requests API.
//!
//! - [`Client`]: configured from the environment like the official SDKs
//!   ([`Client::from_env`]) or by hand ([`Client::builder`]); OAuth2 client
//!   credentials with a shared, refreshed token cache, or a static token.
//! - One builder per operation, validated before anything is sent:
//!   [`Client::access_requests`] (grant, revoke, modify, cancel, wait),
//!   [`Client::config`] (get, set, update), [`Client::statuses`] (typed
//!   parameters, [`Filter`], [`StatusSort`], pagination as streams).
//! - Retries with backoff and `Retry-After` ([`RetryConfig`]); a submission is
//!   never replayed once it may have reached the service.
//! - One error type, [`Error`], with the kind of failure and no secrets.
//! - `tracing` spans per call (`operation`, `method`, `path`, `status`,
//!   `attempt`, `elapsed_ms`); bodies only at trace level.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use sailpoint_access::{Client, Filter, StatusSort};
//!
//! # async fn run() -> sailpoint_access::Result<()> {
//! let client = Client::from_env()?;
//!
//! let cfg = client.config().get().await?;
//! println!("auto approval: {}", cfg.auto_approval_enabled);
//!
//! let in_30_days = chrono::Utc::now() + chrono::Duration::days(30);
//! let sent = client
//!     .access_requests()
//!     .grant()
//!     .for_identities(["2c91...a", "2c91...b"])
//!     .role("2c91...r")
//!     .comment("project X")
//!     .entitlement("2c91...e")
//!     .remove_date(in_30_days)
//!     .send()
//!     .await?;
//! println!("created {} request(s)", sent.new_requests.len());
//!
//! client.access_requests().cancel("activity-id", "requested by mistake").await?;
//!
//! let mut items = std::pin::pin!(client
//!     .statuses()
//!     .requested_for("me")
//!     .filter(Filter::account_activity_item_id().eq("2c91..."))
//!     .sort_desc(StatusSort::Created)
//!     .items());
//! while let Some(status) = items.try_next().await? {
//!     println!("{:?}: {:?}", status.name, status.state);
//! }
//! # Ok(()) }
//! ```

mod auth;
mod client;
pub mod config;
mod error;
mod filter;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod pagination;
mod request_config;
mod requests;
mod retry;
mod statuses;
mod transport;
mod wait;

/// The generated low-level client and types, for escape hatches.
pub use sailpoint_access_api as raw;
/// The request and response types of the API.
pub use sailpoint_access_api::types;
pub use sailpoint_access_api::Timestamp;

pub use auth::{Credentials, SecretString};
pub use client::{Client, ClientBuilder, USER_AGENT};
pub use error::{ApiError, DecodeError, Error, Result, ValidationError};
pub use filter::{AccessRequestIdField, AccountActivityItemIdField, CreatedField, Filter};
pub use pagination::Page;
pub use request_config::RequestConfig;
pub use requests::{
    validate_access_request, validate_cancel, AccessRequests, Submission, SubmitRequest,
    MAX_ENTITLEMENTS, MAX_IDENTITIES_WITH_ENTITLEMENTS, MAX_ITEMS,
};
pub use retry::RetryConfig;
pub use statuses::{StatusQuery, StatusSort, MAX_PAGE_SIZE};
pub use wait::{is_terminal, WaitUntilDone};
