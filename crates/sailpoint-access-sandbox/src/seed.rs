//! Seeded volume: realistic statuses in every state, for many identities and
//! items, spread over the past year, generated deterministically.

use chrono::{DateTime, Duration, Utc};
use sailpoint_access_api::types::{
    AccessItemType, AccessRequestPhaseResult, AccessRequestPhaseState, AccessRequestPhases,
    AccessRequestType, ApprovalScheme, ApprovalStatusDto, CancelledRequestDetails, CommentDto,
    ErrorMessageDto, LocaleOrigin, ManualWorkItemState, OwnerReference, OwnerType,
    RequestedForIdentities, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_api::Timestamp;

use crate::rng::SplitMix64;
use crate::state::identity;
use crate::tenant::{
    APPROVER_IDENTITY_ID, APPROVER_IDENTITY_NAME, CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME,
};

const FIRST: [&str; 16] = [
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Noor", "Omar", "Priya",
];
const LAST: [&str; 16] = [
    "Moreau", "Okafor", "Silva", "Tanaka", "Novak", "Haddad", "Larsen", "Kowalski", "Rossi",
    "Nguyen", "Schmidt", "Patel", "Dubois", "Jensen", "Costa", "Ivanova",
];
const AREAS: [&str; 12] = [
    "Finance",
    "Payroll",
    "Sales",
    "Engineering",
    "Support",
    "HR",
    "Legal",
    "Marketing",
    "Procurement",
    "Security",
    "Warehouse",
    "Analytics",
];
const ROLES: [&str; 6] = [
    "Approver",
    "Analyst",
    "Administrator",
    "Viewer",
    "Operator",
    "Auditor",
];

/// Generated data: statuses in creation order, and the display names used.
pub(crate) struct Seeded {
    pub(crate) statuses: Vec<RequestedItemStatus>,
    pub(crate) names: Vec<(String, String)>,
}

struct Catalog {
    identities: Vec<(String, String)>,
    items: Vec<(AccessItemType, String, String)>,
}

/// Fewest and most identities in a generated catalog (about one per eight
/// statuses in between): a size for realistic fan-out, not an API limit.
const CATALOG_IDENTITIES: (usize, usize) = (10, 2_000);

fn catalog(rng: &mut SplitMix64, n: usize) -> Catalog {
    let identity_count = (n / 8).clamp(CATALOG_IDENTITIES.0, CATALOG_IDENTITIES.1);
    let identities = (0..identity_count)
        .map(|i| {
            let name = format!(
                "{} {} {}",
                FIRST[i % FIRST.len()],
                LAST[(i / FIRST.len()) % LAST.len()],
                i / (FIRST.len() * LAST.len()) + 1
            );
            (rng.hex_id(), name)
        })
        .collect();
    let mut items = Vec::new();
    for (a, area) in AREAS.iter().enumerate() {
        for (r, role) in ROLES.iter().enumerate() {
            let kind = match (a + r) % 3 {
                0 => AccessItemType::Role,
                1 => AccessItemType::AccessProfile,
                _ => AccessItemType::Entitlement,
            };
            let name = match kind {
                AccessItemType::Entitlement => format!("CN={area}-{role},OU=Groups"),
                _ => format!("{area} {role}"),
            };
            items.push((kind, rng.hex_id(), name));
        }
    }
    Catalog { identities, items }
}

fn at(t: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp::from(t))
}

/// `n` statuses created over the year before `now`, oldest first, grouped
/// into requests of one to three items.
pub(crate) fn generate(n: usize, seed: u64, now: DateTime<Utc>) -> Seeded {
    let mut rng = SplitMix64::new(seed ^ 0x5EED_5EED_5EED_5EED);
    let catalog = catalog(&mut rng, n);
    let start = now - Duration::days(365);
    let step_ms = (365 * 24 * 3600 * 1000) / (n.max(1) as i64);
    let mut statuses = Vec::with_capacity(n);
    let approver = OwnerReference {
        id: Some(APPROVER_IDENTITY_ID.to_owned()),
        name: Some(APPROVER_IDENTITY_NAME.to_owned()),
        type_: Some(OwnerType::Identity),
    };
    while statuses.len() < n {
        let group = (1 + rng.below(3) as usize).min(n - statuses.len());
        let created = start + Duration::milliseconds(statuses.len() as i64 * step_ms);
        let access_request_id = rng.hex_id();
        let (for_id, for_name) =
            &catalog.identities[rng.below(catalog.identities.len() as u64) as usize];
        // A fifth are the caller's own, so `requested-by=me` finds some.
        let requester = if rng.below(5) == 0 {
            identity(CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME)
        } else {
            let (id, name) =
                &catalog.identities[rng.below(catalog.identities.len() as u64) as usize];
            identity(id, name)
        };
        let request_type = match rng.below(100) {
            0..=84 => AccessRequestType::GrantAccess,
            85..=97 => AccessRequestType::RevokeAccess,
            _ => AccessRequestType::ModifyAccess,
        };
        for _ in 0..group {
            let (kind, item_id, item_name) =
                &catalog.items[rng.below(catalog.items.len() as u64) as usize];
            let modified = created + Duration::minutes(5 + rng.below(60 * 24 * 3) as i64);
            let modified = modified.min(now);
            let roll = rng.below(100);
            let (state, approval) = match roll {
                0..=24 => (RequestedItemState::Executing, ManualWorkItemState::Pending),
                25..=29 => (RequestedItemState::Executing, ManualWorkItemState::Approved),
                30..=64 => (
                    RequestedItemState::RequestCompleted,
                    ManualWorkItemState::Approved,
                ),
                65..=74 => (RequestedItemState::Rejected, ManualWorkItemState::Rejected),
                75..=84 => (
                    RequestedItemState::Cancelled,
                    ManualWorkItemState::Cancelled,
                ),
                85..=89 => (
                    RequestedItemState::ProvisioningFailed,
                    ManualWorkItemState::Approved,
                ),
                90..=92 => (RequestedItemState::Terminated, ManualWorkItemState::Expired),
                93..=95 => (
                    RequestedItemState::NotAllItemsProvisioned,
                    ManualWorkItemState::Approved,
                ),
                96..=97 => (
                    RequestedItemState::ProvisioningVerificationPending,
                    ManualWorkItemState::Approved,
                ),
                _ => (RequestedItemState::Error, ManualWorkItemState::Approved),
            };
            let pending = approval == ManualWorkItemState::Pending;
            let approval_id = rng.hex_id();
            let mut phases = vec![AccessRequestPhases {
                name: Some("APPROVAL_PHASE".to_owned()),
                started: at(created),
                finished: (!pending).then(|| Timestamp::from(modified)),
                state: Some(if pending {
                    AccessRequestPhaseState::Executing
                } else {
                    AccessRequestPhaseState::Completed
                }),
                result: (!pending).then(|| {
                    if approval == ManualWorkItemState::Approved {
                        AccessRequestPhaseResult::Successful
                    } else {
                        AccessRequestPhaseResult::Failed
                    }
                }),
                phase_reference: Some("approvalDetails".to_owned()),
            }];
            if approval == ManualWorkItemState::Approved {
                let done = state != RequestedItemState::Executing;
                phases.push(AccessRequestPhases {
                    name: Some("PROVISIONING_PHASE".to_owned()),
                    started: at(modified),
                    finished: done.then(|| Timestamp::from(modified)),
                    state: Some(if done {
                        AccessRequestPhaseState::Completed
                    } else {
                        AccessRequestPhaseState::Executing
                    }),
                    result: done.then(|| {
                        if state == RequestedItemState::RequestCompleted {
                            AccessRequestPhaseResult::Successful
                        } else {
                            AccessRequestPhaseResult::Failed
                        }
                    }),
                    phase_reference: None,
                });
            }
            let comment = (rng.below(3) == 0).then(|| CommentDto {
                comment: Some(format!(
                    "Needed for {} work",
                    AREAS[rng.below(AREAS.len() as u64) as usize]
                )),
                created: at(created),
                author: Some(requester.clone()),
            });
            statuses.push(RequestedItemStatus {
                id: Some(item_id.clone()),
                name: Some(item_name.clone()),
                type_: Some(kind.clone()),
                state: Some(state.clone()),
                approval_details: vec![ApprovalStatusDto {
                    approval_id: Some(approval_id.clone()),
                    original_owner: Some(approver.clone()),
                    current_owner: Some(identity(APPROVER_IDENTITY_ID, APPROVER_IDENTITY_NAME)),
                    modified: at(if pending { created } else { modified }),
                    status: Some(approval.clone()),
                    scheme: Some(ApprovalScheme::Manager),
                    ..ApprovalStatusDto::default()
                }],
                approval_ids: Some(vec![approval_id]),
                account_activity_item_id: Some(rng.hex_id()),
                request_type: Some(request_type.clone()),
                created: at(created),
                modified: at(if pending { created } else { modified }),
                requester: Some(requester.clone()),
                requested_for: Some(RequestedForIdentities::One(identity(for_id, for_name))),
                requester_comment: comment,
                cancelled_request_details: (state == RequestedItemState::Cancelled).then(|| {
                    CancelledRequestDetails {
                        comment: Some("No longer needed".to_owned()),
                        modified: at(modified),
                        owner: Some(requester.clone()),
                    }
                }),
                error_messages: (state == RequestedItemState::ProvisioningFailed
                    || state == RequestedItemState::Error)
                    .then(|| {
                        vec![vec![ErrorMessageDto {
                            locale: Some("en-US".to_owned()),
                            locale_origin: Some(LocaleOrigin::Default),
                            text: Some("Connector timed out while provisioning".to_owned()),
                        }]]
                    }),
                access_request_phases: Some(phases),
                cancelable: pending,
                access_request_id: Some(access_request_id.clone()),
                ..RequestedItemStatus::default()
            });
        }
    }
    let names = catalog
        .identities
        .into_iter()
        .chain(catalog.items.into_iter().map(|(_, id, name)| (id, name)))
        .collect();
    Seeded { statuses, names }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_ordered_and_varied() {
        let now = Utc::now();
        let a = generate(500, 9, now);
        let b = generate(500, 9, now);
        assert_eq!(a.statuses, b.statuses);
        assert_eq!(a.statuses.len(), 500);
        assert!(a.statuses.windows(2).all(|w| w[0].created <= w[1].created));
        let states: std::collections::HashSet<_> =
            a.statuses.iter().map(|s| s.state.clone()).collect();
        assert!(states.len() >= 6, "{states:?}");
        assert!(a.statuses.iter().any(
            |s| s.requester.as_ref().and_then(|r| r.id.as_deref()) == Some(CALLER_IDENTITY_ID)
        ));
    }
}
