#![doc = include_str!("../README.md")]

mod client;
mod engine;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod jobs;
mod ops;

pub use jobs::bulk;

/// The generated low-level client and types, for escape hatches.
pub use sailpoint_access_api as raw;
/// The request and response types of the API.
pub use sailpoint_access_api::types;
pub use sailpoint_access_api::{DeprecationNotice, Family, Rule, Timestamp};
/// Secrets are kept in [`SecretString`] (zeroized on drop, never printed);
/// [`ExposeSecret`] reads one.
pub use secrecy::{ExposeSecret, SecretString};

pub use client::{Client, ClientBuilder};
pub use engine::auth::{Credentials, TokenInfo};
pub use engine::budget::BudgetSlot;
#[cfg(feature = "redis")]
pub use engine::budget::RedisBudget;
pub use engine::budget::{
    BudgetFuture, BudgetKey, FileBudget, RateBudget, RateBudgetSpec,
    BACKEND_TIMEOUT as BUDGET_BACKEND_TIMEOUT,
};
pub use engine::pace::RateLimit;
pub use engine::retry::RetryPolicy;
pub use engine::tls::{install_tls_provider, TLS_PROVIDER};
pub use engine::USER_AGENT;
pub use error::{
    ApiError, DecodeError, Error, ErrorKind, Result, TimeoutPhase, TransportKind, ValidationError,
};
pub use jobs::bulk::preflight::{Evidence, Preflight, PreflightReport};
pub use jobs::cancel_many::{
    CancelMany, ChangeKind, ChangeOutcome, ChangeReport, CloseMany, TouchedItem,
};
pub use jobs::pending::Submission;
pub use jobs::resolve::{
    looks_like_id, Candidate, IdentityRef, ItemRef, Resolution, ResolveCache, ResolveReport,
    Resolver,
};
pub use jobs::wait::WaitUntilDone;
pub use ops::access_requests::{
    validate_access_request, validate_cancel, AccessRequests, BulkCancel, Cancel, Cancelled, Close,
    Item, PerIdentity, PerIdentityItem, SubmitRequest, MAX_BULK_CANCEL_IDS, MAX_CLOSE_IDS,
    MAX_ENTITLEMENTS, MAX_IDENTITIES_WITH_ENTITLEMENTS, MAX_ITEMS,
};
pub use ops::config::{
    config_from_json_strict, merge_patch, AccessRequestConfigs, AccessRequestConfigsV2,
    ConfigDocument,
};
pub use ops::lookups::identity_entitlements::held_entitlement;
pub use ops::lookups::{
    AccessProfiles, Entitlements, Identities, IdentityEntitlements, Lookup, LookupFilter,
    LookupKind, LookupPage, Lookups, PublicIdentities, RequestableObjects, RequestableStatus,
    RequestableType, Roles, MAX_FILTER_LEN,
};
pub use ops::statuses::filter::{
    AccessRequestIdField, AccountActivityItemIdField, CreatedField, Filter,
};
pub use ops::statuses::{
    is_terminal, Page, PaginationStream, StatusQuery, StatusSort, UnknownSortField, MAX_PAGE_SIZE,
};

/// Where the client's own settings come from: the environment variables,
/// the files and the keyring entries [`Client::from_env`] reads.
///
/// # Resolution order
///
#[doc = include_str!("engine/settings_order.md")]
pub mod settings {
    pub use crate::engine::settings::ENV_RATE_BUDGET;
    pub use crate::engine::settings::{
        CLI_CONFIG, CONFIG_FILE, ENV_ACCESS_TOKEN, ENV_API_FAMILY, ENV_BASE_URL, ENV_CLIENT_ID,
        ENV_CLIENT_SECRET, ENV_ENVIRONMENT, ENV_RATE_LIMIT,
    };
    // The SailPoint CLI's keyring entries, and where each setting came from.
    #[cfg(feature = "keyring")]
    pub use crate::engine::credential_store::SystemKeyring;
    pub use crate::engine::credential_store::{
        CredentialStore, StoreUnavailable, KEYRING_CLIENT_ID, KEYRING_CLIENT_SECRET,
    };
    pub use crate::engine::settings::{SettingSources, RESOLUTION_ORDER};
}
pub use jobs::approvals::{
    access_request_ids_of_journal, ApprovalOutcome, ApprovalReport, ApprovalResult, ApprovalsOf,
    ApproveMany, Decision, Explain, Explanation, ItemExplanation, NextAction, WaitingOn,
};
pub use ops::approvals::{
    AccountsSelectionQuery, AdministratorsStatuses, Approvals, Approve, ApproversQuery,
    BulkApprove, CompletedApprovals, Forward, PendingApprovals, Reject, RevocableObjectQuery,
    SummaryQuery, MAX_BULK_APPROVE_IDS, MAX_FORWARD_TEXT,
};
