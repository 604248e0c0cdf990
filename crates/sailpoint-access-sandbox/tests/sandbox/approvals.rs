//! The sandbox as an approval engine, through plain HTTP: pending and
//! completed per owner, approve / reject / forward moving the item, bulk
//! approve answering 202 even for unknown ids, and the experimental header
//! required by the administrators' list and accounts selection.

use sailpoint_access_api::types::{
    AccessItemType, CompletedApproval, PendingApproval, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_api::Rule;
use sailpoint_access_sandbox::{Sandbox, APPROVER_IDENTITY_ID};
use serde_json::json;

use crate::common::*;

const BASE: &str = "/access-request-approvals/v1";

async fn pending(setup: &Setup, query: &str) -> Vec<PendingApproval> {
    let response = setup.get_response(&format!("{BASE}/pending{query}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Submits one role for each identity; returns the pending approvals.
async fn submitted(setup: &Setup, identities: &[&str]) -> Vec<PendingApproval> {
    setup
        .client
        .create_access_request()
        .body(grant(
            identities,
            vec![item(AccessItemType::Role, "role-1")],
        ))
        .send()
        .await
        .unwrap();
    pending(setup, "").await
}

/// The decoded answer to `request` sent with the experimental header.
async fn experimental<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    let request = request.header("X-SailPoint-Experimental", "true");
    request.send().await.unwrap().json().await.unwrap()
}

/// The first status requested for `identity`.
fn status_for(setup: &Setup, identity: &str) -> RequestedItemStatus {
    let mut statuses = setup.sandbox.statuses().into_iter();
    statuses
        .find(|s| s.requested_for_ids().any(|id| id == identity))
        .unwrap()
}

fn state_of(setup: &Setup, approval: &PendingApproval) -> Option<RequestedItemState> {
    let request = approval.access_request_id.as_deref();
    let statuses: Vec<RequestedItemStatus> = setup.sandbox.statuses();
    statuses
        .into_iter()
        .find(|s| s.access_request_id.as_deref() == request)
        .and_then(|s| s.state)
}

#[tokio::test]
async fn approve_reject_and_forward_move_the_item_and_the_lists() {
    let setup = setup(Sandbox::builder()).await;
    let approvals = submitted(&setup, &["i1", "i2", "i3"]).await;
    assert_eq!(approvals.len(), 3);
    assert!(approvals
        .iter()
        .all(|a| a.owner.as_ref().and_then(|o| o.id.as_deref()) == Some(APPROVER_IDENTITY_ID)));
    let [a, b, c] = [0, 1, 2].map(|i| approvals[i].id.clone().unwrap());

    let ok = setup.post_response(&format!("{BASE}/{a}/approve")).await;
    assert_eq!(ok.status(), 202, "approve takes no body");
    // No longer pending: approving again is refused.
    let again = setup
        .post_json(&format!("{BASE}/{a}/approve"), &json!({"comment": "again"}))
        .await;
    assert!(raw_error(again, 400).await.contains("not pending"));

    let no_comment = setup
        .post_json(&format!("{BASE}/{b}/reject"), &json!({}))
        .await;
    assert_eq!(
        raw_rule_error(no_comment, 400).await.1,
        Some(Rule::ApprovalRejectComment)
    );
    let rejected = setup
        .post_json(&format!("{BASE}/{b}/reject"), &json!({"comment": "no"}))
        .await;
    assert_eq!(rejected.status(), 202);
    assert_eq!(
        state_of(&setup, &approvals[1]),
        Some(RequestedItemState::Rejected)
    );

    let forwarded = setup
        .post_json(
            &format!("{BASE}/{c}/forward"),
            &json!({"newOwnerId": "new-owner", "comment": "on leave"}),
        )
        .await;
    assert_eq!(forwarded.status(), 202);
    let theirs = pending(&setup, "?owner-id=new-owner").await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].id.as_deref(), Some(c.as_str()));
    assert!(
        pending(&setup, &format!("?owner-id={APPROVER_IDENTITY_ID}"))
            .await
            .is_empty()
    );

    let completed: Vec<CompletedApproval> = setup.get_json(&format!("{BASE}/completed")).await;
    let mut states: Vec<String> = completed
        .iter()
        .map(|c| c.state.as_ref().unwrap().to_string())
        .collect();
    states.sort();
    assert_eq!(states, ["APPROVED", "REJECTED"]);

    let unknown = setup
        .post_response(&format!("{BASE}/no-such/approve"))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn bulk_approve_answers_202_for_unknown_ids_and_approves_the_known() {
    let setup = setup(Sandbox::builder()).await;
    let approvals = submitted(&setup, &["i1", "i2"]).await;
    let known = approvals[0].id.clone().unwrap();
    let answer = setup
        .post_json(
            &format!("{BASE}/bulk-approve"),
            &json!({"approvalIds": [known, "unknown-1"], "comment": "ok"}),
        )
        .await;
    assert_eq!(answer.status(), 202);
    let left = pending(&setup, "").await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, approvals[1].id);
    let too_many: Vec<String> = (0..51).map(|i| format!("a{i}")).collect();
    let refused = setup
        .post_json(
            &format!("{BASE}/bulk-approve"),
            &json!({"approvalIds": too_many, "comment": "ok"}),
        )
        .await;
    assert_eq!(
        raw_rule_error(refused, 400).await.1,
        Some(Rule::BulkApproveIdsCount)
    );
}

#[tokio::test]
async fn pending_filters_on_access_request_id_and_the_approvers_and_summary_agree() {
    let setup = setup(Sandbox::builder()).await;
    let approvals = submitted(&setup, &["i1", "i2", "i3"]).await;
    let r0 = approvals[0].access_request_id.clone().unwrap();
    let r2 = approvals[2].access_request_id.clone().unwrap();
    let filter = format!("accessRequestId in (\"{r0}\",\"{r2}\")");
    let query = serde_urlencoded::to_string([("filters", filter.as_str())]).unwrap();
    let some = pending(&setup, &format!("?{query}")).await;
    let mut got: Vec<_> = some
        .iter()
        .filter_map(|a| a.access_request_id.clone())
        .collect();
    got.sort();
    let mut want = vec![r0.clone(), r2];
    want.sort();
    assert_eq!(got, want);
    let refused = setup
        .get_response(&format!("{BASE}/pending?filters=created%20sw%20%222026%22"))
        .await;
    assert!(raw_error(refused, 400).await.contains("created"));

    let approvers: serde_json::Value = setup.get_json(&format!("{BASE}/{r0}/approvers")).await;
    assert_eq!(approvers[0]["approvalId"], json!(approvals[0].id));
    assert_eq!(approvers[0]["id"], json!(APPROVER_IDENTITY_ID));
    let summary: serde_json::Value = setup.get_json(&format!("{BASE}/approval-summary")).await;
    assert_eq!(summary, json!({"pending": 3, "approved": 0, "rejected": 0}));
}

#[tokio::test]
async fn experimental_operations_refuse_a_request_without_the_header() {
    let setup = setup(Sandbox::builder()).await;
    submitted(&setup, &["i1"]).await;
    let bare = setup
        .get_response("/access-request-administration/v1")
        .await;
    assert!(raw_error(bare, 400)
        .await
        .contains("X-SailPoint-Experimental"));
    let with: Vec<RequestedItemStatus> =
        experimental(setup.get("/access-request-administration/v1")).await;
    assert_eq!(with.len(), 1);
    let body =
        json!({"requestedFor": ["i1"], "requestedItems": [{"type": "ROLE", "id": "role-1"}]});
    let bare = setup
        .post_json("/access-requests/v1/accounts-selection", &body)
        .await;
    assert_eq!(bare.status(), 400);
    let with: serde_json::Value = experimental(
        setup
            .post("/access-requests/v1/accounts-selection")
            .json(&body),
    )
    .await;
    assert_eq!(with["identities"][0]["id"], json!("i1"));
}

#[tokio::test]
async fn the_ordinary_approver_has_the_rights_the_vendor_documents() {
    let setup = setup(Sandbox::builder()).await;
    let approvals = submitted(&setup, &["i1", "i2"]).await;
    let answer = token_answer(
        &setup.http,
        setup.sandbox.base_url(),
        sailpoint_access_sandbox::APPROVER_CLIENT_ID,
        sailpoint_access_sandbox::APPROVER_CLIENT_SECRET,
    )
    .await;
    let token = answer["access_token"].as_str().unwrap().to_owned();
    // A call as the ordinary approver, and its status.
    let as_approver = |method, path: &str| {
        let request = setup.http.request(method, setup.url(path));
        request.bearer_auth(&token)
    };
    let status =
        |request: reqwest::RequestBuilder| async move { request.send().await.unwrap().status() };
    let (get, post) = (reqwest::Method::GET, reqwest::Method::POST);
    let (first, second) = (approvals[0].id.as_deref(), approvals[1].id.as_deref());
    // `me` and no owner are the approver's own approvals.
    for query in ["", "?owner-id=me"] {
        let mine = as_approver(get.clone(), &format!("{BASE}/pending{query}"));
        let mine: Vec<PendingApproval> = mine.send().await.unwrap().json().await.unwrap();
        assert_eq!(mine.len(), 2, "{query}");
    }
    let others = as_approver(get.clone(), &format!("{BASE}/pending?owner-id=someone"));
    assert_eq!(status(others).await, 403);
    let bulk = as_approver(post.clone(), &format!("{BASE}/bulk-approve"))
        .json(&json!({"approvalIds": [approvals[0].id], "comment": "ok"}));
    assert_eq!(status(bulk).await, 403);
    let request = approvals[0].access_request_id.as_deref().unwrap();
    let approvers = as_approver(get, &format!("{BASE}/{request}/approvers"));
    assert_eq!(status(approvers).await, 403);
    let own = as_approver(post.clone(), &format!("{BASE}/{}/approve", first.unwrap()));
    assert_eq!(status(own).await, 202);
    // Forwarded away, it is no longer theirs to decide.
    let away = setup
        .post(&format!("{BASE}/{}/forward", second.unwrap()))
        .json(&json!({"newOwnerId": "someone", "comment": "reassigned"}));
    assert_eq!(status(away).await, 202);
    let not_theirs = as_approver(post, &format!("{BASE}/{}/approve", second.unwrap()));
    assert_eq!(status(not_theirs).await, 403);
}

#[tokio::test]
async fn the_administrators_list_says_which_items_need_reauthorization() {
    let mut config = sailpoint_access_sandbox::default_config_v2();
    config
        .entitlement_request_config
        .as_mut()
        .unwrap()
        .access_request_config
        .as_mut()
        .unwrap()
        .reauthorization_required = true;
    let setup = setup(Sandbox::builder().config_v2(config)).await;
    setup
        .client
        .create_access_request()
        .body(grant(
            &["i1"],
            vec![
                item(AccessItemType::Role, "role-1"),
                item(AccessItemType::Entitlement, "ent-1"),
            ],
        ))
        .send()
        .await
        .unwrap();
    let response = setup
        .get("/access-request-administration/v1?count=true")
        .header("X-SailPoint-Experimental", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["X-Total-Count"], "2");
    let rows: Vec<serde_json::Value> = response.json().await.unwrap();
    let flag = |kind: &str| {
        rows.iter()
            .find(|r| r["type"] == kind)
            .map(|r| r["reauthorizationRequired"].clone())
    };
    // The entitlement settings govern the entitlement, not the role.
    assert_eq!(flag("ENTITLEMENT"), Some(json!(true)));
    assert_eq!(flag("ROLE"), Some(json!(false)));
    // The rows keep the status fields.
    assert!(rows
        .iter()
        .all(|r| r["accountActivityItemId"].is_string() && r["state"] == "EXECUTING"));
}

#[tokio::test]
async fn the_v3_schemes_give_the_steps_when_the_v2_document_names_none_and_reject_ends_them() {
    let v2 = sailpoint_access_sandbox::config_v2_with_entitlement_approvers([]);
    let mut v3 = sailpoint_access_sandbox::default_config();
    v3.entitlement_request_config
        .as_mut()
        .unwrap()
        .grant_request_approval_schemes = Some("sourceOwner, workgroup:gg-1".to_owned());
    let setup = setup(Sandbox::builder().config(v3).config_v2(v2)).await;
    setup
        .client
        .create_access_request()
        .body(grant(
            &["i1", "i2"],
            vec![item(AccessItemType::Entitlement, "ent-1")],
        ))
        .send()
        .await
        .unwrap();
    let first = pending(&setup, "").await;
    assert_eq!(first.len(), 2);
    assert!(first
        .iter()
        .all(|a| a.owner.as_ref().and_then(|o| o.id.as_deref()) == Some(APPROVER_IDENTITY_ID)));
    let for_i1 = |list: &[PendingApproval]| {
        list.iter()
            .find(|a| a.requested_for.as_ref().and_then(|r| r.id.as_deref()) == Some("i1"))
            .and_then(|a| a.id.clone())
    };
    let (one, two) = (
        for_i1(&first).unwrap(),
        first
            .iter()
            .find_map(|a| {
                a.id.clone()
                    .filter(|id| Some(id) != for_i1(&first).as_ref())
            })
            .unwrap(),
    );
    let approved = setup.post_response(&format!("{BASE}/{one}/approve")).await;
    assert_eq!(approved.status(), 202);
    // i1's item now waits on the governance group, a new approval.
    let of_group = pending(&setup, "?owner-id=gg-1").await;
    assert_eq!(of_group.len(), 1);
    assert_ne!(of_group[0].id.as_deref(), Some(one.as_str()));
    let i1 = status_for(&setup, "i1");
    assert_eq!(i1.state, Some(RequestedItemState::Executing));
    assert_eq!(i1.approval_details.len(), 2);
    assert_eq!(
        i1.approval_details[1].scheme.as_ref().map(|s| s.as_str()),
        Some("GOVERNANCE_GROUP")
    );

    // Rejecting i2's first step ends its request: no second step opens.
    let rejected = setup
        .post_json(&format!("{BASE}/{two}/reject"), &json!({"comment": "no"}))
        .await;
    assert_eq!(rejected.status(), 202);
    let i2 = status_for(&setup, "i2");
    assert_eq!(i2.state, Some(RequestedItemState::Rejected));
    assert_eq!(i2.approval_details.len(), 1);
    assert_eq!(pending(&setup, "?owner-id=gg-1").await.len(), 1);
}

/// Submits `items` for `who`; returns the approvals `owner` holds and how
/// many the sandbox's stand-in approver holds.
async fn submitted_for(
    setup: &Setup,
    who: &str,
    items: Vec<sailpoint_access_api::types::AccessRequestItem>,
    owner: &str,
) -> (Vec<PendingApproval>, usize) {
    setup
        .client
        .create_access_request()
        .body(grant(&[who], items))
        .send()
        .await
        .unwrap();
    let of_owner = pending(setup, &format!("?owner-id={owner}")).await;
    let stand_in = pending(setup, &format!("?owner-id={APPROVER_IDENTITY_ID}")).await;
    (of_owner, stand_in.len())
}

/// Approves `approval` and returns the schemes of the steps its item has
/// gone through so far, in order.
async fn approve_and_read_schemes(
    setup: &Setup,
    approval: &PendingApproval,
    item_id: &str,
) -> Vec<String> {
    let id = approval.id.clone().unwrap();
    let approved = setup
        .post(&format!("{BASE}/{id}/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 202);
    let status = setup
        .sandbox
        .statuses()
        .into_iter()
        .find(|s| s.id.as_deref() == Some(item_id))
        .unwrap();
    assert_eq!(status.state, Some(RequestedItemState::Executing));
    status
        .approval_details
        .iter()
        .filter_map(|d| d.scheme.as_ref().map(|s| s.as_str().to_owned()))
        .collect()
}

#[tokio::test]
async fn owner_steps_go_to_the_owners_the_directory_records() {
    use sailpoint_access_api::types::EntitlementApproverType;
    use sailpoint_access_sandbox::Directory;
    let demo = Directory::demo();
    let entitlement = |name: &str, source: &str| {
        demo.items_named(&AccessItemType::Entitlement, name)
            .into_iter()
            .find(|i| i.source == source)
            .unwrap()
            .id
            .clone()
    };
    let id_of = |alias: &str| demo.identity_by_alias(alias).unwrap().id.clone();
    let (read, ad_admin) = (
        entitlement("Read", "GitHub"),
        entitlement("Admin", "Active Directory"),
    );
    let (grace, katherine) = (id_of("grace.hopper"), id_of("katherine.johnson"));
    let directory = demo
        .clone()
        .item_owner(&read, "grace.hopper")
        .source_owner("GitHub", "katherine.johnson");
    let v2 = sailpoint_access_sandbox::config_v2_with_entitlement_approvers([
        EntitlementApproverType::EntitlementOwner,
        EntitlementApproverType::SourceOwner,
    ]);
    let setup = setup(Sandbox::builder().directory(directory).config_v2(v2)).await;
    let items = vec![
        item(AccessItemType::Entitlement, &read),
        item(AccessItemType::Entitlement, &ad_admin),
    ];
    // The recorded entitlement owner decides the first step of "Read"; the
    // Active Directory entitlement has no recorded owner: the stand-in.
    let (of_grace, stand_in) = submitted_for(&setup, &id_of("ada.lovelace"), items, &grace).await;
    assert_eq!(of_grace.len(), 1, "{of_grace:?}");
    assert_eq!(stand_in, 1);
    assert!(pending(&setup, &format!("?owner-id={katherine}"))
        .await
        .is_empty());
    let schemes = approve_and_read_schemes(&setup, &of_grace[0], &read).await;
    assert_eq!(schemes, ["ENTITLEMENT_OWNER", "SOURCE_OWNER"]);
    // The next step belongs to the owner of the item's source.
    let of_katherine = pending(&setup, &format!("?owner-id={katherine}")).await;
    assert_eq!(of_katherine.len(), 1, "{of_katherine:?}");
    assert_ne!(of_katherine[0].id, of_grace[0].id);
}

#[tokio::test]
async fn a_role_goes_through_the_schemes_it_carries() {
    use sailpoint_access_api::types::ApprovalScheme;
    use sailpoint_access_sandbox::Directory;
    let demo = Directory::demo();
    let role = |name: &str| demo.items_named(&AccessItemType::Role, name)[0].id.clone();
    let (finance, engineering) = (role("Finance"), role("Engineering"));
    let grace = demo.identity_by_alias("grace.hopper").unwrap().id.clone();
    let alan = demo.identity_by_alias("alan.turing").unwrap().id.clone();
    let directory = demo
        .clone()
        .item_owner(&finance, "grace.hopper")
        .item_approval_schemes(
            &finance,
            [
                (ApprovalScheme::RoleOwner, None),
                (ApprovalScheme::GovernanceGroup, Some("gg-9")),
            ],
        );
    let setup = setup(Sandbox::builder().directory(directory)).await;
    let items = vec![
        item(AccessItemType::Role, &finance),
        item(AccessItemType::Role, &engineering),
    ];
    // Finance: its owner first; Engineering carries no schemes: the stand-in.
    let (of_grace, stand_in) = submitted_for(&setup, &alan, items, &grace).await;
    assert_eq!(of_grace.len(), 1, "{of_grace:?}");
    assert_eq!(stand_in, 1);
    let schemes = approve_and_read_schemes(&setup, &of_grace[0], &finance).await;
    assert_eq!(schemes, ["ROLE_OWNER", "GOVERNANCE_GROUP"]);
    // Then the governance group the role names.
    assert_eq!(pending(&setup, "?owner-id=gg-9").await.len(), 1);
}
