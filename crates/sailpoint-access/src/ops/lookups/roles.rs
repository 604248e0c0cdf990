//! `GET /roles/v1`: roles, in pages of at most 50.

use sailpoint_access_api::types::Role;
use sailpoint_access_api::{limits, operations, Operation};

use super::{paged_call, sealed, Lookup, LookupKind, Params};

/// Marker of the role list; see [`Lookup`].
#[derive(Debug)]
pub struct Roles;

impl sealed::Sealed for Roles {}

impl LookupKind for Roles {
    type Item = Role;
    const OPERATION: &'static Operation = &operations::LIST_ROLES;
    const MAX_LIMIT: u32 = limits::LIST_ROLES_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &["name", "created", "modified"];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> Result<
        progenitor_client::ResponseValue<Vec<Role>>,
        progenitor_client::Error<sailpoint_access_api::types::ErrorResponse>,
    > {
        let mut call = paged_call!(raw.list_roles(), params);
        if let Some(who) = params.extra("for-subadmin") {
            call = call.for_subadmin(who);
        }
        call.send().await
    }
}

impl Lookup<Roles> {
    /// Only the roles this subadmin identity (or `me`) can see.
    pub fn for_subadmin(self, identity_id: impl Into<String>) -> Self {
        self.set("for-subadmin", identity_id)
    }
}
