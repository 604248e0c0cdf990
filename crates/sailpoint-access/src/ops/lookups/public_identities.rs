//! `GET /public-identities/v1`: what any caller may see of identities.

use sailpoint_access_api::types::PublicIdentity;

use super::{lookup_kind, Lookup};

lookup_kind! {
    /// Marker of the public identity list; see [`Lookup`].
    PublicIdentities: PublicIdentity = list_public_identities, LIST_PUBLIC_IDENTITIES,
    LIST_PUBLIC_IDENTITIES_LIMIT_MAXIMUM, sorts ["name"],
    flag ["add-core-filters" == "true" => add_core_filters(true)]
}

impl Lookup<PublicIdentities> {
    /// Only complete, correlated identities (`add-core-filters=true`).
    pub fn core_only(self) -> Self {
        self.set("add-core-filters", "true")
    }
}
