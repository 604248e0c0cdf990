//! The rules `POST /v3/access-requests` enforces, as the service documents
//! them. Each failure is the text of a 400 response.

use std::collections::HashMap;

use sailpoint_access_api::types::{AccessItemType, AccessRequest, AccessRequestType};
use sailpoint_access_api::Timestamp;

/// Most items in one request, and most entitlements.
pub(crate) const MAX_ITEMS: usize = 25;
/// Most identities in one request that asks for entitlements.
pub(crate) const MAX_IDENTITIES_WITH_ENTITLEMENTS: usize = 10;

/// One requested item for one identity, after validation.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) kind: AccessItemType,
    pub(crate) id: String,
    pub(crate) comment: Option<String>,
    pub(crate) client_metadata: HashMap<String, String>,
    pub(crate) start_date: Option<Timestamp>,
    pub(crate) remove_date: Option<Timestamp>,
}

/// A request that passed validation: the items for each identity.
#[derive(Debug)]
pub(crate) struct Validated {
    pub(crate) request_type: AccessRequestType,
    pub(crate) targets: Vec<(String, Vec<Item>)>,
    pub(crate) client_metadata: HashMap<String, String>,
}

/// Validates a decoded body against the service's rules.
pub(crate) fn validate(request: AccessRequest, now: Timestamp) -> Result<Validated, String> {
    let request_type = request
        .request_type
        .unwrap_or(AccessRequestType::GrantAccess);
    if request_type.is_unknown() {
        return Err(format!(
            "Invalid requestType '{}': expected GRANT_ACCESS, REVOKE_ACCESS or MODIFY_ACCESS.",
            request_type.as_str()
        ));
    }
    let targets: Vec<(String, Vec<Item>)> = match request.requested_for_with_requested_items {
        Some(per_identity) => {
            if !request.requested_for.is_empty() || !request.requested_items.is_empty() {
                return Err("Use either requestedFor with requestedItems, or requestedForWithRequestedItems, not both.".to_owned());
            }
            if request_type != AccessRequestType::GrantAccess {
                return Err(format!(
                    "requestedForWithRequestedItems is only supported for GRANT_ACCESS, not {}.",
                    request_type.as_str()
                ));
            }
            if per_identity.is_empty() {
                return Err(
                    "requestedForWithRequestedItems must list at least one identity.".to_owned(),
                );
            }
            per_identity
                .into_iter()
                .map(|entry| {
                    let items = entry
                        .requested_items
                        .into_iter()
                        .map(|i| Item {
                            kind: i.type_,
                            id: i.id,
                            comment: i.comment,
                            client_metadata: i.client_metadata,
                            start_date: i.start_date,
                            remove_date: i.remove_date,
                        })
                        .collect();
                    (entry.identity_id, items)
                })
                .collect()
        }
        None => {
            if request.requested_for.is_empty() {
                return Err(
                    "requestedFor is required and must list at least one identity.".to_owned(),
                );
            }
            if request.requested_items.is_empty() {
                return Err(
                    "requestedItems is required and must list at least one item.".to_owned(),
                );
            }
            let items: Vec<Item> = request
                .requested_items
                .into_iter()
                .map(|i| Item {
                    kind: i.type_,
                    id: i.id,
                    comment: i.comment,
                    client_metadata: i.client_metadata,
                    start_date: i.start_date,
                    remove_date: i.remove_date,
                })
                .collect();
            request
                .requested_for
                .into_iter()
                .map(|identity| (identity, items.clone()))
                .collect()
        }
    };

    let mut entitlements = 0usize;
    for (identity, items) in &targets {
        if identity.trim().is_empty() {
            return Err("requestedFor contains an empty identity id.".to_owned());
        }
        if items.is_empty() {
            return Err(format!("No items are requested for identity {identity}."));
        }
        if items.len() > MAX_ITEMS {
            return Err(format!(
                "requestedItems has {} items; at most {MAX_ITEMS} are allowed in one request.",
                items.len()
            ));
        }
        for item in items {
            if item.kind.is_unknown() {
                return Err(format!(
                    "Invalid type '{}' for requested item {:?}: expected ROLE, ACCESS_PROFILE or ENTITLEMENT.",
                    item.kind.as_str(),
                    item.id
                ));
            }
            if item.id.trim().is_empty() {
                return Err("A requested item has an empty id.".to_owned());
            }
            for (name, date) in [
                ("startDate", item.start_date),
                ("removeDate", item.remove_date),
            ] {
                if date.is_some_and(|d| d <= now) {
                    return Err(format!("{name} of item {} must be in the future.", item.id));
                }
            }
            if let (Some(start), Some(remove)) = (item.start_date, item.remove_date) {
                if remove <= start {
                    return Err(format!(
                        "removeDate of item {} must be after its startDate.",
                        item.id
                    ));
                }
            }
        }
        entitlements = entitlements.max(
            items
                .iter()
                .filter(|i| i.kind == AccessItemType::Entitlement)
                .count(),
        );
    }
    if entitlements > MAX_ITEMS {
        return Err(format!(
            "{entitlements} entitlements were requested; at most {MAX_ITEMS} are allowed in one request."
        ));
    }
    if entitlements > 0 && targets.len() > MAX_IDENTITIES_WITH_ENTITLEMENTS {
        return Err(format!(
            "{} identities were given; at most {MAX_IDENTITIES_WITH_ENTITLEMENTS} are allowed when entitlements are requested.",
            targets.len()
        ));
    }

    if request_type == AccessRequestType::RevokeAccess {
        if targets.len() != 1 {
            return Err(format!(
                "REVOKE_ACCESS can only be requested for a single identity, not {}.",
                targets.len()
            ));
        }
        let items = &targets[0].1;
        if entitlements > 1 {
            return Err("REVOKE_ACCESS is limited to 1 entitlement per request.".to_owned());
        }
        for item in items {
            if item.start_date.is_some() {
                return Err(format!(
                    "startDate is not allowed with REVOKE_ACCESS (item {}).",
                    item.id
                ));
            }
            // A sunset on a revoked entitlement was refused in 2024 and is accepted
            // since 2026; the sandbox behaves like today's tenants.
            if item.comment.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err(format!(
                    "A comment is required for each item of a REVOKE_ACCESS request (item {}).",
                    item.id
                ));
            }
        }
    }

    Ok(Validated {
        request_type,
        targets,
        client_metadata: request.client_metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sailpoint_access_api::types::AccessRequestItem;

    fn item(kind: AccessItemType, id: &str) -> AccessRequestItem {
        AccessRequestItem {
            type_: kind,
            id: id.to_owned(),
            comment: Some("why".to_owned()),
            assignment_id: None,
            native_identity: None,
            client_metadata: HashMap::new(),
            start_date: None,
            remove_date: None,
        }
    }

    fn request(for_: usize, items: Vec<AccessRequestItem>) -> AccessRequest {
        AccessRequest {
            requested_for: (0..for_).map(|i| format!("id{i}")).collect(),
            requested_items: items,
            ..AccessRequest::default()
        }
    }

    #[test]
    fn limits() {
        let now = Timestamp::now();
        let ents = |n: usize| {
            (0..n)
                .map(|i| item(AccessItemType::Entitlement, &format!("e{i}")))
                .collect()
        };
        assert!(validate(request(10, ents(25)), now).is_ok());
        assert!(validate(request(1, ents(26)), now)
            .unwrap_err()
            .contains("at most 25"));
        assert!(validate(request(11, ents(1)), now)
            .unwrap_err()
            .contains("at most 10"));
        // Without entitlements, more than 10 identities is fine.
        assert!(validate(request(11, vec![item(AccessItemType::Role, "r")]), now).is_ok());
        let mut revoke = request(2, vec![item(AccessItemType::Role, "r")]);
        revoke.request_type = Some(AccessRequestType::RevokeAccess);
        assert!(validate(revoke, now)
            .unwrap_err()
            .contains("single identity"));
    }
}
