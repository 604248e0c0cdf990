//! `GET /requestable-objects/v1`: roles and access profiles that can be
//! requested, marked AVAILABLE, PENDING or ASSIGNED for one identity.

use sailpoint_access_api::types::{RequestableObject, RequestableObjectStatus};
use sailpoint_access_api::Rule;

use super::{lookup_kind, Lookup, Params};
use crate::error::ValidationError;

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

lookup_kind! {
    /// Marker of the requestable object list; see [`Lookup`].
    RequestableObjects: RequestableObject = list_requestable_objects, LIST_REQUESTABLE_OBJECTS,
    LIST_REQUESTABLE_OBJECTS_LIMIT_MAXIMUM, sorts ["name"],
    text [
        /// Mark each object AVAILABLE, PENDING or ASSIGNED for this identity
        /// (`me` for the caller).
        "identity-id" => identity_id,
        /// A partial match on name or description; the service then ignores `filters`.
        "term" => term
    ],
    passed ["types" => types, "statuses" => statuses],
    check check
}

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

impl Lookup<RequestableObjects> {
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
}
