//! The approval steps of a submitted item, derived from the access request
//! configuration and the item, as a tenant derives them.
//!
//! The entitlement settings of the configuration name the approvers of a
//! grant of an entitlement, in order: the v2 document's
//! `entitlementRequestConfig.accessRequestConfig.approvalSchemes`
//! (ENTITLEMENT_OWNER, SOURCE_OWNER, MANAGER, GOVERNANCE_GROUP, WORKFLOW,
//! the last two with an `approverId`), or, when that list is empty, the v3 /
//! v1 document's `grantRequestApprovalSchemes` (`entitlementOwner`,
//! `sourceOwner`, `manager`, `workgroup:<id>`, comma-separated).
//!
//! The sandbox's choices where it must choose:
//! - roles and access profiles carry their approval schemes on the object:
//!   the directory records them (`Directory::item_approval_schemes`, with
//!   ROLE_OWNER / ACCESS_PROFILE_OWNER going to the item's recorded owner);
//!   an item without recorded schemes, a revocation (which has its own
//!   settings) and a configuration that names no scheme keep the single
//!   MANAGER step owned by the sandbox approver (the sandbox has
//!   `autoApprovalEnabled` for requests that need no approval);
//! - an entitlement's owner and its source's owner are the ones the
//!   directory records (`Directory::item_owner`, `Directory::source_owner`);
//!   an owner it does not record (the demo and generated directories record
//!   none, or a requester without a manager) is the sandbox approver, so
//!   every step has an owner who can decide it.

use sailpoint_access_api::types::{
    AccessItemType, AccessRequestType, ApprovalScheme, IdentityReference, IdentityReferenceType,
};

use crate::state::{identity, PlannedStep, Store};
use crate::tenant::{APPROVER_IDENTITY_ID, APPROVER_IDENTITY_NAME};

/// The approval steps of `item_id` requested for `requested_for`, in order;
/// never empty.
pub(crate) fn plan(
    store: &Store,
    request_type: &AccessRequestType,
    kind: &AccessItemType,
    item_id: &str,
    requested_for: &str,
) -> Vec<PlannedStep> {
    let derived = match (kind, request_type) {
        (AccessItemType::Entitlement, AccessRequestType::GrantAccess) => configured_schemes(store),
        (_, AccessRequestType::GrantAccess) => store
            .directory
            .approval_schemes_of(item_id)
            .map(<[_]>::to_vec)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if derived.is_empty() {
        return vec![PlannedStep {
            scheme: ApprovalScheme::Manager,
            owner: sandbox_approver(),
        }];
    }
    derived
        .into_iter()
        .map(|(scheme, approver_id)| {
            let owner = owner_of(
                store,
                &scheme,
                approver_id.as_deref(),
                item_id,
                requested_for,
            );
            PlannedStep { scheme, owner }
        })
        .collect()
}

/// The configured schemes, with the approver id of those that name one.
fn configured_schemes(store: &Store) -> Vec<(ApprovalScheme, Option<String>)> {
    let v2: Vec<(ApprovalScheme, Option<String>)> = store
        .config_v2
        .entitlement_request_config
        .as_ref()
        .and_then(|e| e.access_request_config.as_ref())
        .and_then(|a| a.approval_schemes.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let kind = s.approver_type.as_ref()?;
            Some((ApprovalScheme::from(kind.as_str()), s.approver_id.clone()))
        })
        .collect();
    if !v2.is_empty() {
        return v2;
    }
    store
        .config
        .entitlement_request_config
        .as_ref()
        .and_then(|e| e.grant_request_approval_schemes.as_deref())
        .map(parse_v3_schemes)
        .unwrap_or_default()
}

/// `entitlementOwner, sourceOwner, manager, workgroup:<id>` as schemes;
/// a name the vendor does not document is kept as an unknown scheme.
pub(crate) fn parse_v3_schemes(text: &str) -> Vec<(ApprovalScheme, Option<String>)> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| match name {
            "entitlementOwner" => (ApprovalScheme::EntitlementOwner, None),
            "sourceOwner" => (ApprovalScheme::SourceOwner, None),
            "manager" => (ApprovalScheme::Manager, None),
            other => match other.strip_prefix("workgroup:") {
                Some(id) => (ApprovalScheme::GovernanceGroup, Some(id.trim().to_owned())),
                None => (ApprovalScheme::from(other), None),
            },
        })
        .collect()
}

fn sandbox_approver() -> IdentityReference {
    identity(APPROVER_IDENTITY_ID, APPROVER_IDENTITY_NAME)
}

/// Who owns a step of this scheme for this requested-for identity.
fn owner_of(
    store: &Store,
    scheme: &ApprovalScheme,
    approver_id: Option<&str>,
    item_id: &str,
    requested_for: &str,
) -> IdentityReference {
    let recorded = |who: Option<&crate::directory::DirectoryIdentity>| {
        who.map_or_else(sandbox_approver, |o| identity(&o.id, &o.name))
    };
    match scheme {
        ApprovalScheme::EntitlementOwner
        | ApprovalScheme::RoleOwner
        | ApprovalScheme::AccessProfileOwner => recorded(store.directory.item_owner_of(item_id)),
        ApprovalScheme::SourceOwner => recorded(store.directory.source_owner_of(item_id)),
        ApprovalScheme::Manager => store
            .directory
            .identity(requested_for)
            .and_then(|who| who.manager.as_deref())
            .and_then(|alias| store.directory.identity_by_alias(alias))
            .map_or_else(sandbox_approver, |m| identity(&m.id, &m.name)),
        // A governance group or workflow step is owned by the group or
        // workflow the configuration names.
        ApprovalScheme::GovernanceGroup | ApprovalScheme::Unknown(_) if approver_id.is_some() => {
            let id = approver_id.unwrap_or_default();
            let name = store.name_of(id).unwrap_or(id).to_owned();
            let mut owner = identity(id, &name);
            if *scheme == ApprovalScheme::GovernanceGroup {
                owner.type_ = Some(IdentityReferenceType::from("GOVERNANCE_GROUP"));
            }
            owner
        }
        _ => sandbox_approver(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_schemes_are_read_in_order() {
        let parsed = parse_v3_schemes("manager, sourceOwner,workgroup:abc , entitlementOwner");
        assert_eq!(
            parsed,
            vec![
                (ApprovalScheme::Manager, None),
                (ApprovalScheme::SourceOwner, None),
                (ApprovalScheme::GovernanceGroup, Some("abc".to_owned())),
                (ApprovalScheme::EntitlementOwner, None),
            ]
        );
        assert!(parse_v3_schemes(" ").is_empty());
    }
}
