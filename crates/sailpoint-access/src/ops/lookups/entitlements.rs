//! `GET /entitlements/v1`: entitlements with their source.

use sailpoint_access_api::types::Entitlement;

use super::lookup_kind;

lookup_kind! {
    /// Marker of the entitlement list; see [`Lookup`](super::Lookup).
    Entitlements: Entitlement = list_entitlements, LIST_ENTITLEMENTS,
    LIST_ENTITLEMENTS_LIMIT_MAXIMUM,
    sorts [
        "id", "name", "created", "modified", "type", "attribute", "value", "source.id",
        "requestable"
    ],
    text [
        /// Only entitlements in the segments this identity can see.
        "segmented-for-identity" => segmented_for_identity
    ]
}
