//! `GET /entitlements/v1/identities/{id}/entitlements`: what one identity
//! holds. It has no `filters` or `sorters`.

use sailpoint_access_api::types::IdentityEntitlement;
use sailpoint_access_api::{limits, operations, Operation, Rule};

use super::{sealed, LookupKind, Params, RawResult};
use crate::error::ValidationError;

/// Marker of one identity's entitlements; see [`Lookup`](super::Lookup).
#[derive(Debug)]
pub struct IdentityEntitlements;

impl sealed::Sealed for IdentityEntitlements {}

impl LookupKind for IdentityEntitlements {
    type Item = IdentityEntitlement;
    const OPERATION: &'static Operation = &operations::LIST_IDENTITY_ENTITLEMENTS;
    const MAX_LIMIT: u32 = limits::LIST_IDENTITY_ENTITLEMENTS_LIMIT_MAXIMUM as u32;
    const SORTABLE: &'static [&'static str] = &[];

    #[allow(private_interfaces)]
    async fn call(
        raw: &sailpoint_access_api::Client,
        params: &Params,
    ) -> RawResult<IdentityEntitlement> {
        let mut call = raw
            .list_identity_entitlements()
            .id(params.path_id.as_str())
            .limit(params.limit)
            .offset(params.offset);
        if params.count {
            call = call.count(true);
        }
        call.send().await
    }

    #[allow(private_interfaces)]
    fn check(params: &Params) -> Result<(), ValidationError> {
        if params.path_id.trim().is_empty() {
            return Err(ValidationError::new(Rule::LookupBlank, "identity id"));
        }
        Ok(())
    }
}

/// The entitlement an answer names, whichever shape the tenant sent: the
/// schema's nested `objectRef`, or the flat `type`/`id`/`name` of the
/// vendor's own example. Returns (id, name).
pub fn held_entitlement(entry: &IdentityEntitlement) -> Option<(&str, Option<&str>)> {
    match &entry.object_ref {
        Some(r) if r.id.is_some() => Some((r.id.as_deref()?, r.name.as_deref())),
        _ => Some((entry.id.as_deref()?, entry.name.as_deref())),
    }
}
