//! `GET /identities/v1`: identities as administrators see them.

use sailpoint_access_api::types::{Identity, IdentityDefaultFilter};

use super::{lookup_kind, Lookup};

lookup_kind! {
    /// Marker of the identity list; see [`Lookup`].
    Identities: Identity = list_identities, LIST_IDENTITIES, LIST_IDENTITIES_LIMIT_MAXIMUM,
    sorts ["name", "alias", "cloudStatus"],
    flag ["defaultFilter" == "NONE" => default_filter(IdentityDefaultFilter::None)]
}

impl Lookup<Identities> {
    /// Include identities that are not correlated (`defaultFilter=NONE`);
    /// by default the service lists correlated ones only.
    pub fn include_uncorrelated(self) -> Self {
        self.set("defaultFilter", "NONE")
    }
}
