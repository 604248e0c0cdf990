//! `GET /access-profiles/v1`: access profiles with their source.

use sailpoint_access_api::types::AccessProfile;
use sailpoint_access_api::{limits, operations, Operation};

use super::{paged_call, sealed, Lookup, LookupKind, Params};

/// Marker of the access profile list; see [`Lookup`].
#[derive(Debug)]
pub struct AccessProfiles;

impl sealed::Sealed for AccessProfiles {}

impl LookupKind for AccessProfiles {
    type Item = AccessProfile;
    const OPERATION: &'static Operation = &operations::LIST_ACCESS_PROFILES;
    const MAX_LIMIT: u32 = limits::LIST_ACCESS_PROFILES_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &["name", "created", "modified"];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> Result<
        progenitor_client::ResponseValue<Vec<AccessProfile>>,
        progenitor_client::Error<sailpoint_access_api::types::ErrorResponse>,
    > {
        let mut call = paged_call!(raw.list_access_profiles(), params);
        if let Some(who) = params.extra("for-subadmin") {
            call = call.for_subadmin(who);
        }
        call.send().await
    }
}

impl Lookup<AccessProfiles> {
    /// Only the access profiles this subadmin identity (or `me`) can see.
    pub fn for_subadmin(self, identity_id: impl Into<String>) -> Self {
        self.set("for-subadmin", identity_id)
    }
}
