//! `GET /identities/v1`: identities as administrators see them.

use sailpoint_access_api::types::{Identity, IdentityDefaultFilter};
use sailpoint_access_api::{limits, operations, Operation};

use super::{paged_call, sealed, Lookup, LookupKind, Params};

/// Marker of the identity list; see [`Lookup`].
#[derive(Debug)]
pub struct Identities;

impl sealed::Sealed for Identities {}

impl LookupKind for Identities {
    type Item = Identity;
    const OPERATION: &'static Operation = &operations::LIST_IDENTITIES;
    const MAX_LIMIT: u32 = limits::LIST_IDENTITIES_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &["name", "alias", "cloudStatus"];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> Result<
        progenitor_client::ResponseValue<Vec<Identity>>,
        progenitor_client::Error<sailpoint_access_api::types::ErrorResponse>,
    > {
        let mut call = paged_call!(raw.list_identities(), params);
        if params.extra("defaultFilter") == Some("NONE") {
            call = call.default_filter(IdentityDefaultFilter::None);
        }
        call.send().await
    }
}

impl Lookup<Identities> {
    /// Include identities that are not correlated (`defaultFilter=NONE`);
    /// by default the service lists correlated ones only.
    pub fn include_uncorrelated(self) -> Self {
        self.set("defaultFilter", "NONE")
    }
}
