//! `GET /public-identities/v1`: what any caller may see of identities.

use sailpoint_access_api::types::PublicIdentity;
use sailpoint_access_api::{limits, operations, Operation};

use super::{paged_call, sealed, Lookup, LookupKind, Params};

/// Marker of the public identity list; see [`Lookup`].
#[derive(Debug)]
pub struct PublicIdentities;

impl sealed::Sealed for PublicIdentities {}

impl LookupKind for PublicIdentities {
    type Item = PublicIdentity;
    const OPERATION: &'static Operation = &operations::LIST_PUBLIC_IDENTITIES;
    const MAX_LIMIT: u32 = limits::LIST_PUBLIC_IDENTITIES_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &["name"];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> Result<
        progenitor_client::ResponseValue<Vec<PublicIdentity>>,
        progenitor_client::Error<sailpoint_access_api::types::ErrorResponse>,
    > {
        let mut call = paged_call!(raw.list_public_identities(), params);
        if params.extra("add-core-filters") == Some("true") {
            call = call.add_core_filters(true);
        }
        call.send().await
    }
}

impl Lookup<PublicIdentities> {
    /// Only complete, correlated identities (`add-core-filters=true`).
    pub fn core_only(self) -> Self {
        self.set("add-core-filters", "true")
    }
}
