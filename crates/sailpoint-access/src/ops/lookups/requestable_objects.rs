//! `GET /requestable-objects/v1`: roles and access profiles that can be
//! requested, marked AVAILABLE, PENDING or ASSIGNED for one identity.

use sailpoint_access_api::types::{RequestableObject, RequestableObjectStatus};
use sailpoint_access_api::{limits, operations, Operation, Rule};

use super::{paged_call, sealed, Lookup, LookupKind, Params};
use crate::error::ValidationError;

/// Marker of the requestable object list; see [`Lookup`].
#[derive(Debug)]
pub struct RequestableObjects;

impl sealed::Sealed for RequestableObjects {}

/// A kind the requestable object list filters on (`types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestableType {
    /// `ROLE`
    Role,
    /// `ACCESS_PROFILE`
    AccessProfile,
}

impl RequestableType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestableType::Role => "ROLE",
            RequestableType::AccessProfile => "ACCESS_PROFILE",
        }
    }
}

/// A status the requestable object list filters on (`statuses`).
pub type RequestableStatus = RequestableObjectStatus;

impl LookupKind for RequestableObjects {
    type Item = RequestableObject;
    const OPERATION: &'static Operation = &operations::LIST_REQUESTABLE_OBJECTS;
    const MAX_LIMIT: u32 = limits::LIST_REQUESTABLE_OBJECTS_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &["name"];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> Result<
        progenitor_client::ResponseValue<Vec<RequestableObject>>,
        progenitor_client::Error<sailpoint_access_api::types::ErrorResponse>,
    > {
        let mut call = paged_call!(raw.list_requestable_objects(), params);
        for (name, value) in &params.extra {
            call = match *name {
                "identity-id" => call.identity_id(value.as_str()),
                "types" => call.types(value.as_str()),
                "statuses" => call.statuses(value.as_str()),
                "term" => call.term(value.as_str()),
                _ => call,
            };
        }
        call.send().await
    }

    #[allow(private_interfaces)]
    fn check(params: &Params) -> Result<(), ValidationError> {
        if params.extra("statuses").is_some() && params.extra("identity-id").is_none() {
            return Err(ValidationError::new(
                Rule::LookupStatusesNeedIdentity,
                params.extra("statuses").unwrap_or_default(),
            ));
        }
        if params
            .extra("identity-id")
            .is_some_and(|id| id.trim().is_empty())
        {
            return Err(ValidationError::new(Rule::LookupBlank, "identity-id"));
        }
        Ok(())
    }
}

impl Lookup<RequestableObjects> {
    /// Mark each object AVAILABLE, PENDING or ASSIGNED for this identity
    /// (`me` for the caller).
    pub fn identity_id(self, identity_id: impl Into<String>) -> Self {
        self.set("identity-id", identity_id)
    }

    /// Only these kinds (sent as `types=ROLE,ACCESS_PROFILE`).
    pub fn types(self, types: &[RequestableType]) -> Self {
        let wire: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
        self.set("types", wire.join(","))
    }

    /// Only these statuses (needs [`identity_id`](Self::identity_id)).
    pub fn statuses(self, statuses: &[RequestableStatus]) -> Self {
        let wire: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        self.set("statuses", wire.join(","))
    }

    /// A partial match on name or description; the service then ignores `filters`.
    pub fn term(self, term: impl Into<String>) -> Self {
        self.set("term", term)
    }
}
