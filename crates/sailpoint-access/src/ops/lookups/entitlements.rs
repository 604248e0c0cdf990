//! `GET /entitlements/v1`: entitlements with their source.

use sailpoint_access_api::types::Entitlement;
use sailpoint_access_api::{limits, operations, Operation};

use super::{paged_call, sealed, Lookup, LookupKind, Params};

/// Marker of the entitlement list; see [`Lookup`].
#[derive(Debug)]
pub struct Entitlements;

impl sealed::Sealed for Entitlements {}

impl LookupKind for Entitlements {
    type Item = Entitlement;
    const OPERATION: &'static Operation = &operations::LIST_ENTITLEMENTS;
    const MAX_LIMIT: u32 = limits::LIST_ENTITLEMENTS_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &[
        "id",
        "name",
        "created",
        "modified",
        "type",
        "attribute",
        "value",
        "source.id",
        "requestable",
    ];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> Result<
        progenitor_client::ResponseValue<Vec<Entitlement>>,
        progenitor_client::Error<sailpoint_access_api::types::ErrorResponse>,
    > {
        let mut call = paged_call!(raw.list_entitlements(), params);
        if let Some(who) = params.extra("segmented-for-identity") {
            call = call.segmented_for_identity(who);
        }
        call.send().await
    }
}

impl Lookup<Entitlements> {
    /// Only entitlements in the segments this identity can see.
    pub fn segmented_for_identity(self, identity_id: impl Into<String>) -> Self {
        self.set("segmented-for-identity", identity_id)
    }
}
