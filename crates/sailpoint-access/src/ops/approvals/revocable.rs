//! Revocable objects
//! (`GET /revocable-objects/v1/identityId/{identityId}/entitlementId/{entitlementId}`;
//! the spec explains why this path and not the vendor's bare one).

use sailpoint_access_api::types::RevocableObject;
use sailpoint_access_api::{operations, Rule};

use super::check_id;
use crate::engine::Engine;
use crate::error::Result;

/// Whether an identity's entitlement can be revoked, and on which accounts;
/// from `Approvals::revocable_object`.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct RevocableObjectQuery {
    engine: Engine,
    identity_id: String,
    entitlement_id: String,
}

impl RevocableObjectQuery {
    pub(crate) fn new(engine: Engine, identity_id: String, entitlement_id: String) -> Self {
        Self {
            engine,
            identity_id,
            entitlement_id,
        }
    }

    /// Validates (`requested_for.id`, `item.id`: non-blank ids) and fetches.
    pub async fn send(self) -> Result<RevocableObject> {
        check_id(&self.identity_id, Rule::RequestedForId)?;
        check_id(&self.entitlement_id, Rule::ItemId)?;
        let raw = self.engine.raw();
        let (identity, entitlement) = (self.identity_id, self.entitlement_id);
        let value = self
            .engine
            .execute(&operations::GET_REVOCABLE_OBJECT, || {
                raw.get_revocable_object()
                    .identity_id(identity.as_str())
                    .entitlement_id(entitlement.as_str())
                    .send()
            })
            .await?;
        Ok(value.into_inner())
    }
}
