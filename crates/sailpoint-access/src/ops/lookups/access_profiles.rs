//! `GET /access-profiles/v1`: access profiles with their source.

use sailpoint_access_api::types::AccessProfile;

use super::lookup_kind;

lookup_kind! {
    /// Marker of the access profile list; see [`Lookup`](super::Lookup).
    AccessProfiles: AccessProfile = list_access_profiles, LIST_ACCESS_PROFILES,
    LIST_ACCESS_PROFILES_LIMIT_MAXIMUM, sorts ["name", "created", "modified"],
    text [
        /// Only the access profiles this subadmin identity (or `me`) can see.
        "for-subadmin" => for_subadmin
    ]
}
