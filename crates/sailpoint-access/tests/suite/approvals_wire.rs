//! The wire format of the approval and administration operations: exact
//! paths, query names, bodies (only the documented fields), and the
//! experimental header on exactly the two operations that need it.

use crate::common::*;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use sailpoint_access::types::AccessRequest;
use sailpoint_access::{Error, Item, Rule};
use serde_json::json;

const EXPERIMENTAL: &str = "x-sailpoint-experimental";

fn rule_of(error: Error) -> Rule {
    match error.validation() {
        Some(v) => v.rule,
        None => panic!("expected a validation error, got {error:?}"),
    }
}

#[tokio::test]
async fn pending_sends_owner_filters_sorters_and_paging_without_the_experimental_header() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let filter = r#"accessRequestId in ("r1","r2")"#;
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/pending")
            .query_param("owner-id", "me")
            .query_param("filters", filter)
            .query_param("sorters", "-created")
            .query_param("limit", "10")
            .query_param("offset", "20")
            .query_param("count", "true")
            .header_missing(EXPERIMENTAL);
        then.status(200)
            .json_body(json!([{"id": "a1", "accessRequestId": "r1", "owner": {"id": "o1"}}]));
    });
    let got = client(&server)
        .approvals()
        .pending()
        .owner("me")
        .filters(filter)
        .sorters("-created")
        .limit(10)
        .offset(20)
        .count(true)
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id.as_deref(), Some("a1"));
    assert_eq!(got[0].access_request_id.as_deref(), Some("r1"));
}

#[tokio::test]
async fn pending_send_all_walks_pages_until_a_short_one() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/pending")
            .query_param("limit", "2")
            .query_param("offset", "0");
        then.status(200)
            .json_body(json!([{"id": "a1"}, {"id": "a2"}]));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/pending")
            .query_param("limit", "2")
            .query_param("offset", "2");
        then.status(200).json_body(json!([{"id": "a3"}]));
    });
    let all = client(&server)
        .approvals()
        .pending()
        .limit(2)
        .send_all()
        .await
        .unwrap();
    first.assert_calls(1);
    second.assert_calls(1);
    let ids: Vec<_> = all.iter().filter_map(|a| a.id.as_deref()).collect();
    assert_eq!(ids, ["a1", "a2", "a3"]);
}

#[tokio::test]
async fn completed_decodes_the_state() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/completed")
            .query_param("owner-id", "o1")
            .header_missing(EXPERIMENTAL);
        then.status(200)
            .json_body(json!([{"id": "a1", "state": "REJECTED"}]));
    });
    let got = client(&server)
        .approvals()
        .completed()
        .owner("o1")
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    assert_eq!(
        got[0].state,
        Some(sailpoint_access::types::CompletedApprovalState::Rejected)
    );
}

#[tokio::test]
async fn approve_reject_and_forward_post_exactly_the_documented_bodies() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let approve_bare = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/a1/approve")
            .json_body(json!({}))
            .header_missing(EXPERIMENTAL);
        then.status(202).json_body(json!({}));
    });
    let approve_commented = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/a2/approve")
            .json_body(json!({"comment": "fine"}));
        then.status(202).json_body(json!({}));
    });
    let reject = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/a3/reject")
            .json_body(json!({"comment": "no"}));
        then.status(202).json_body(json!({}));
    });
    let forward = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/a4/forward")
            .json_body(json!({"newOwnerId": "o2", "comment": "on leave"}));
        then.status(202).json_body(json!({}));
    });
    let approvals = client(&server).approvals();
    approvals.approve("a1").send().await.unwrap();
    approvals
        .approve("a2")
        .comment("fine")
        .send()
        .await
        .unwrap();
    approvals.reject("a3", "no").send().await.unwrap();
    approvals
        .forward("a4", "o2", "on leave")
        .send()
        .await
        .unwrap();
    approve_bare.assert_calls(1);
    approve_commented.assert_calls(1);
    reject.assert_calls(1);
    forward.assert_calls(1);
}

#[tokio::test]
async fn decisions_are_validated_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let mut any = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let approvals = client(&server).approvals();
    let long = "x".repeat(256);
    let cases = [
        (approvals.approve(" ").send().await, Rule::ApprovalId),
        (
            approvals.reject("a1", "  ").send().await,
            Rule::ApprovalRejectComment,
        ),
        (
            approvals.forward("a1", "", "c").send().await,
            Rule::ApprovalForwardOwner,
        ),
        (
            approvals.forward("a1", long.as_str(), "c").send().await,
            Rule::ApprovalForwardOwner,
        ),
        (
            approvals.forward("a1", "o2", long.as_str()).send().await,
            Rule::ApprovalForwardComment,
        ),
        (
            approvals.forward("a1", "o2", " ").send().await,
            Rule::ApprovalForwardComment,
        ),
    ];
    for (result, rule) in cases {
        assert_eq!(rule_of(result.unwrap_err()), rule);
    }
    any.assert_calls(0);
    any.delete();
    mock_token(&server, TOKEN, 3600);
    // 255 characters is within the bound: the rule admits it.
    let at_bound = "y".repeat(255);
    let forward = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/a9/forward")
            .json_body(json!({"newOwnerId": at_bound, "comment": at_bound}));
        then.status(202).json_body(json!({}));
    });
    approvals
        .forward("a9", at_bound.as_str(), at_bound.as_str())
        .send()
        .await
        .unwrap();
    forward.assert_calls(1);
}

#[tokio::test]
async fn bulk_approve_sends_approval_ids_not_access_request_ids_and_at_most_fifty() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let ids: Vec<String> = (0..50).map(|i| format!("a{i}")).collect();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/bulk-approve")
            .json_body(json!({"approvalIds": ids, "comment": "ok"}))
            .header_missing(EXPERIMENTAL);
        then.status(202).json_body(json!({}));
    });
    let approvals = client(&server).approvals();
    approvals
        .bulk_approve(ids.clone(), "ok")
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    let too_many: Vec<String> = (0..51).map(|i| format!("a{i}")).collect();
    let cases = [
        (
            approvals.bulk_approve(too_many, "ok").send().await,
            Rule::BulkApproveIdsCount,
        ),
        (
            approvals
                .bulk_approve(Vec::<String>::new(), "ok")
                .send()
                .await,
            Rule::BulkApproveIdsCount,
        ),
        (
            approvals.bulk_approve(["a1"], " ").send().await,
            Rule::BulkApproveComment,
        ),
        (
            approvals.bulk_approve(["a1", ""], "ok").send().await,
            Rule::ApprovalId,
        ),
    ];
    for (result, rule) in cases {
        assert_eq!(rule_of(result.unwrap_err()), rule);
    }
    mock.assert_calls(1);
    assert_eq!(sailpoint_access::MAX_BULK_APPROVE_IDS, 50);
}

#[tokio::test]
async fn summary_and_approvers_use_their_documented_names() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let summary = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/approval-summary")
            .query_param("owner-id", "me")
            .query_param("from-date", "2026-01-02T03:04:05Z");
        then.status(200)
            .json_body(json!({"pending": 3, "approved": 2, "rejected": 1}));
    });
    let approvers = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/r1/approvers");
        then.status(200)
            .json_body(json!([{"id": "o1", "approvalId": "a1", "type": "IDENTITY"}]));
    });
    let approvals = client(&server).approvals();
    let since = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let counts = approvals
        .summary()
        .owner("me")
        .from_date(since)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (counts.pending, counts.approved, counts.rejected),
        (Some(3), Some(2), Some(1))
    );
    let who = approvals.approvers("r1").send().await.unwrap();
    assert_eq!(who[0].approval_id.as_deref(), Some("a1"));
    summary.assert_calls(1);
    approvers.assert_calls(1);
}

#[tokio::test]
async fn experimental_operations_send_the_experimental_header() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let admin = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-administration/v1")
            .query_param("filters", r#"status eq "EXECUTING""#)
            .header(EXPERIMENTAL, "true");
        then.status(200)
            .json_body(json!([{"accessRequestId": "r1"}]));
    });
    let selection = server.mock(|when, then| {
        when.method(POST)
            .path("/access-requests/v1/accounts-selection")
            .header(EXPERIMENTAL, "true")
            .json_body(json!({
                "requestedFor": ["i1"],
                "requestedItems": [{"type": "ROLE", "id": "role1"}]
            }));
        then.status(200).json_body(json!({"identities": [
            {"id": "i1", "accountsSelectionRequired": true, "requestedItems": []}
        ]}));
    });
    let approvals = client(&server).approvals();
    let rows = approvals
        .administrators_statuses()
        .filters(r#"status eq "EXECUTING""#)
        .send()
        .await
        .unwrap();
    assert_eq!(rows[0].access_request_id.as_deref(), Some("r1"));
    let body = AccessRequest {
        requested_for: vec!["i1".into()],
        requested_items: vec![Item::role("role1").into()],
        ..Default::default()
    };
    let answer = approvals.accounts_selection(body).send().await.unwrap();
    assert!(answer.identities[0].accounts_selection_required);
    admin.assert_calls(1);
    selection.assert_calls(1);
}

#[tokio::test]
async fn revocable_objects_put_both_ids_in_the_path() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/revocable-objects/v1/identityId/i1/entitlementId/e1")
            .header_missing(EXPERIMENTAL);
        then.status(200).json_body(json!({
            "identityId": "i1",
            "accountTargets": [{"accountId": "acc", "revocable": true}]
        }));
    });
    let got = client(&server)
        .approvals()
        .revocable_object("i1", "e1")
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    assert!(got.account_targets[0].revocable);
}

#[tokio::test]
async fn the_administrators_list_keeps_the_fields_only_it_documents() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let admin = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-administration/v1")
            .header(EXPERIMENTAL, "true");
        then.status(200).json_body(json!([
            {
                "accessRequestId": "r1",
                "accountActivityItemId": "act1",
                "state": "EXECUTING",
                "reauthorizationRequired": true,
                "cancelable": true,
                "requestedFor": {"type": "IDENTITY", "id": "i1", "name": "Ida"},
                "description": "Access to the build farm"
            },
            {"accessRequestId": "r2"}
        ]));
    });
    let rows = client(&server)
        .approvals()
        .administrators_statuses()
        .send()
        .await
        .unwrap();
    admin.assert_calls(1);
    assert_eq!(rows.len(), 2);
    assert!(rows[0].reauthorization_required);
    assert!(rows[0].cancelable);
    assert_eq!(rows[0].account_activity_item_id.as_deref(), Some("act1"));
    assert_eq!(
        rows[0].description.as_deref(),
        Some("Access to the build farm")
    );
    assert!(matches!(
        &rows[0].requested_for,
        Some(sailpoint_access::types::RequestedForIdentities::One(who))
            if who.id.as_deref() == Some("i1")
    ));
    // Absent, it reads as the vendor's default.
    assert!(!rows[1].reauthorization_required);
    // Written back, the flag is on the wire under the vendor's name.
    let back = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(back["reauthorizationRequired"], true);
}
