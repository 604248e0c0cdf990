//! Submissions of items already pending, as the service answers them, and
//! the clientMetadata stored with each status.

use std::collections::HashMap;

use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestResponse, AccessRequestTracking, AccessRequestType,
    RequestedForIdentities, RequestedItemState,
};
use sailpoint_access_sandbox::Sandbox;

use crate::common::{accepted, cancel_v3, grant, item, setup, succeeded, Setup};

async fn create_v3(s: &Setup, request: AccessRequest) -> AccessRequestResponse {
    accepted(s.client.create_access_request().body(request).send()).await
}

async fn create_v1(s: &Setup, request: AccessRequest) -> AccessRequestResponse {
    accepted(s.client.create_access_request_v1().body(request).send()).await
}

/// `(identity, [item ids], [access request ids])` of each tracking entry.
fn summary(tracking: &[AccessRequestTracking]) -> Vec<(String, Vec<String>, Vec<String>)> {
    tracking
        .iter()
        .map(|t| {
            (
                t.requested_for.clone().unwrap(),
                t.requested_items_details
                    .iter()
                    .map(|d| d.id.clone().unwrap())
                    .collect(),
                t.access_request_ids.clone(),
            )
        })
        .collect()
}

/// The access request id the answer gives `identity` (one per identity).
fn id_for(tracking: &[AccessRequestTracking], identity: &str) -> String {
    let entry = tracking
        .iter()
        .find(|t| t.requested_for.as_deref() == Some(identity))
        .unwrap_or_else(|| panic!("no entry for {identity}"));
    assert_eq!(entry.access_request_ids.len(), 1, "{entry:?}");
    entry.access_request_ids[0].clone()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn pending_items_are_reported_as_existing_in_both_families() {
    let s = setup(Sandbox::builder()).await;
    let role = |id| item(AccessItemType::Role, id);

    let first = create_v3(&s, grant(&["a", "b"], vec![role("r1"), role("r2")])).await;
    assert!(first.existing_requests.is_empty());
    let (a_first, b_first) = (
        id_for(&first.new_requests, "a"),
        id_for(&first.new_requests, "b"),
    );
    assert_ne!(a_first, b_first, "each identity has its own request");
    assert_eq!(s.sandbox.status_count(), 4);

    // a × r1 is pending: only a × r3 and c × (r1, r3) are created.
    let second = create_v3(&s, grant(&["a", "c"], vec![role("r1"), role("r3")])).await;
    let a_second = id_for(&second.new_requests, "a");
    let c_second = id_for(&second.new_requests, "c");
    assert_ne!(a_second, a_first);
    assert_eq!(
        summary(&second.new_requests),
        vec![
            ("a".into(), strings(&["r3"]), vec![a_second.clone()]),
            ("c".into(), strings(&["r1", "r3"]), vec![c_second]),
        ]
    );
    assert_eq!(
        summary(&second.existing_requests),
        vec![("a".into(), strings(&["r1"]), vec![a_first.clone()])]
    );
    assert!(second.existing_requests[0].attributes_hash.is_some());
    assert_eq!(s.sandbox.status_count(), 7);

    // Through the versioned family, against items created through v3:
    // b × r2, a × r2 and a × r3 are pending, only b × r3 is new.
    let third = create_v1(&s, grant(&["b", "a"], vec![role("r2"), role("r3")])).await;
    let b_third = id_for(&third.new_requests, "b");
    assert_eq!(
        summary(&third.new_requests),
        vec![("b".into(), strings(&["r3"]), vec![b_third.clone()])]
    );
    assert_eq!(
        summary(&third.existing_requests),
        vec![
            ("b".into(), strings(&["r2"]), vec![b_first.clone()]),
            (
                "a".into(),
                strings(&["r2", "r3"]),
                vec![a_first.clone(), a_second.clone()]
            ),
        ]
    );
    assert_eq!(s.sandbox.status_count(), 8);

    // All of b's items pending now: nothing new, still a 202, each
    // existing request id once.
    let fourth = create_v3(&s, grant(&["b"], vec![role("r1"), role("r2"), role("r3")])).await;
    assert!(fourth.new_requests.is_empty(), "{fourth:?}");
    assert_eq!(
        summary(&fourth.existing_requests),
        vec![(
            "b".into(),
            strings(&["r1", "r2", "r3"]),
            vec![b_first, b_third]
        )]
    );
    assert_eq!(s.sandbox.status_count(), 8);
    assert_eq!(s.sandbox.access_requests_accepted(), 4);
}

#[tokio::test]
async fn new_and_existing_are_split_per_identity_and_item() {
    let s = setup(Sandbox::builder()).await;
    let role = |id| item(AccessItemType::Role, id);
    let first = create_v1(&s, grant(&["a"], vec![role("r1")])).await;
    let first_id = first.new_requests[0].access_request_ids[0].clone();

    // a × r1 pending; a × r2 and b × r1 are new; an entitlement that happens
    // to share the id is another item.
    let mut request = grant(&["a", "b"], vec![role("r1"), role("r2")]);
    request
        .requested_items
        .push(item(AccessItemType::Entitlement, "r1"));
    let second = create_v3(&s, request).await;
    let a_second = id_for(&second.new_requests, "a");
    let b_second = id_for(&second.new_requests, "b");
    assert_eq!(
        summary(&second.new_requests),
        vec![
            ("a".into(), strings(&["r2", "r1"]), vec![a_second]),
            ("b".into(), strings(&["r1", "r2", "r1"]), vec![b_second]),
        ]
    );
    assert_eq!(
        summary(&second.existing_requests),
        vec![("a".into(), strings(&["r1"]), vec![first_id.clone()])]
    );
    let kinds: Vec<_> = second.new_requests[0]
        .requested_items_details
        .iter()
        .map(|d| d.type_.clone().unwrap())
        .collect();
    assert_eq!(kinds, [AccessItemType::Role, AccessItemType::Entitlement]);
    // 1 + 2 + 3 statuses, and a × r1 once.
    assert_eq!(s.sandbox.status_count(), 6);
    let a_r1 = s
        .sandbox
        .statuses()
        .into_iter()
        .filter(|st| {
            st.id.as_deref() == Some("r1")
                && st.type_ == Some(AccessItemType::Role)
                && matches!(&st.requested_for, Some(RequestedForIdentities::One(r)) if r.id.as_deref() == Some("a"))
        })
        .count();
    assert_eq!(a_r1, 1);
}

#[tokio::test]
async fn final_items_and_other_request_types_are_not_duplicates() {
    let s = setup(Sandbox::builder()).await;
    let role = |id| item(AccessItemType::Role, id);
    let first = create_v3(&s, grant(&["a"], vec![role("r1")])).await;
    let first_id = first.new_requests[0].access_request_ids[0].clone();

    // A revoke of the pending grant's item is another request type.
    let revoke = AccessRequest {
        request_type: Some(AccessRequestType::RevokeAccess),
        ..grant(&["a"], vec![role("r1")])
    };
    let revoked = create_v3(&s, revoke).await;
    assert!(revoked.existing_requests.is_empty());
    assert_eq!(revoked.new_requests.len(), 1);

    // Once the grant is cancelled it no longer blocks a new one.
    let activity_id = s
        .sandbox
        .statuses()
        .into_iter()
        .find(|st| st.access_request_id.as_deref() == Some(first_id.as_str()))
        .and_then(|st| st.account_activity_item_id)
        .unwrap();
    cancel_v3(&s, &activity_id, "wrong role").await;
    let again = create_v3(&s, grant(&["a"], vec![role("r1")])).await;
    assert!(again.existing_requests.is_empty());
    assert_eq!(again.new_requests.len(), 1);
    assert_ne!(again.new_requests[0].access_request_ids[0], first_id);

    // The new grant is pending, so a fourth is a duplicate of it, not of
    // the cancelled first; once provisioned, it blocks nothing either.
    let third_id = again.new_requests[0].access_request_ids[0].clone();
    let fourth = create_v1(&s, grant(&["a"], vec![role("r1")])).await;
    assert_eq!(fourth.existing_requests[0].access_request_ids, [third_id]);
    assert_eq!(
        s.sandbox.status(&activity_id).unwrap().state,
        Some(RequestedItemState::Cancelled)
    );
    assert_eq!(s.sandbox.approve_all_pending(), 2);
    assert_eq!(s.sandbox.provision_all_approved(), 2);
    let fifth = create_v3(&s, grant(&["a"], vec![role("r1")])).await;
    assert!(fifth.existing_requests.is_empty());
    assert_eq!(fifth.new_requests.len(), 1);
}

#[tokio::test]
async fn client_metadata_is_kept_in_every_status_with_item_values_winning() {
    let s = setup(Sandbox::builder()).await;
    let meta = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut own = item(AccessItemType::Role, "r1");
    own.client_metadata = meta(&[("source", "item"), ("line", "1")]);
    let plain = item(AccessItemType::AccessProfile, "ap1");
    let mut request = grant(&["a", "b"], vec![own, plain]);
    request.client_metadata = meta(&[("ticket", "T-9"), ("source", "request")]);
    let v3 = create_v3(&s, request.clone()).await;
    let v3_ids = [id_for(&v3.new_requests, "a"), id_for(&v3.new_requests, "b")];
    // The same body through the versioned family, for other identities.
    request.requested_for = vec!["c".into()];
    let v1 = create_v1(&s, request).await;
    let v1_id = v1.new_requests[0].access_request_ids[0].clone();

    let with_item = meta(&[("ticket", "T-9"), ("source", "item"), ("line", "1")]);
    let request_only = meta(&[("ticket", "T-9"), ("source", "request")]);
    let v3_list = succeeded(s.client.list_access_request_status().send()).await;
    let v1_list = succeeded(s.client.list_access_request_status_v1().send()).await;
    assert_eq!(v3_list.len(), 6);
    assert_eq!(v1_list.len(), 6);
    for status in v3_list.iter().chain(&v1_list) {
        let expected = match status.type_ {
            Some(AccessItemType::Role) => &with_item,
            _ => &request_only,
        };
        assert_eq!(
            status.client_metadata.as_ref(),
            Some(expected),
            "{status:?}"
        );
        let id = status.access_request_id.as_deref().unwrap();
        assert!(v3_ids.iter().any(|v3_id| id == v3_id) || id == v1_id);
    }

    // Without any metadata, none is stored.
    let bare = create_v3(&s, grant(&["d"], vec![item(AccessItemType::Role, "r9")])).await;
    let bare_id = bare.new_requests[0].access_request_ids[0].clone();
    let bare_status = s
        .sandbox
        .statuses()
        .into_iter()
        .find(|st| st.access_request_id.as_deref() == Some(bare_id.as_str()))
        .unwrap();
    assert_eq!(bare_status.client_metadata, None);
}
