//! `GET /roles/v1`: roles, in pages of at most 50.

use sailpoint_access_api::types::Role;

use super::lookup_kind;

lookup_kind! {
    /// Marker of the role list; see [`Lookup`](super::Lookup).
    Roles: Role = list_roles, LIST_ROLES, LIST_ROLES_LIMIT_MAXIMUM,
    sorts ["name", "created", "modified"],
    text [
        /// Only the roles this subadmin identity (or `me`) can see.
        "for-subadmin" => for_subadmin
    ]
}
