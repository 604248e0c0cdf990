//! The exact wire format of every operation: path, query names, JSON bodies, headers.

use crate::common::*;
use httpmock::MockServer;
use sailpoint_access::types::{
    AccessItemType, AccessRequest, AccessRequestConfig, AccessRequestItem, AccessRequestResponse,
    AccessRequestTracking, CancelAccessRequest, RequestStateFilter,
};
use sailpoint_access::{Filter, Item, StatusSort, Timestamp, USER_AGENT};
use sailpoint_access_httpmock::MockServerExt;
use serde_json::json;

fn expect_common_headers(when: httpmock::When) -> httpmock::When {
    when.header("authorization", format!("Bearer {TOKEN}"))
        .header("accept", "application/json")
        .header("user-agent", USER_AGENT)
}

#[tokio::test]
async fn get_config_sends_bearer_accept_and_user_agent() {
    let server = MockServer::start_async().await;
    let token = mock_token(&server, TOKEN, 3600);
    let cfg = AccessRequestConfig {
        auto_approval_enabled: true,
        ..Default::default()
    };
    let mock = server.get_access_request_config(|when, then| {
        expect_common_headers(when.into_inner());
        then.ok(&cfg);
    });
    let got = client(&server).access_request_config().get().await.unwrap();
    assert_eq!(got, cfg);
    mock.assert_calls(1);
    token.assert_calls(1);
}

#[tokio::test]
async fn user_agent_carries_the_app_suffix() {
    let server = MockServer::start_async().await;
    let mock = server.get_access_request_config(|when, then| {
        when.into_inner()
            .header("user-agent", format!("{USER_AGENT} my-app/2.0"));
        then.ok(&AccessRequestConfig::default());
    });
    let client = sailpoint_access::Client::builder()
        .rate_limit(None)
        .base_url(format!("{}/v3/", server.base_url()))
        .access_token(TOKEN)
        .app_name("my-app/2.0")
        .build()
        .unwrap();
    client.access_request_config().get().await.unwrap();
    mock.assert_calls(1);
}

#[tokio::test]
async fn set_and_update_config_put_the_whole_document() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let before = AccessRequestConfig {
        approvals_must_be_external: true,
        ..Default::default()
    };
    let after = AccessRequestConfig {
        auto_approval_enabled: true,
        ..before.clone()
    };
    let get = server.get_access_request_config(|_, then| {
        then.ok(&before);
    });
    let put = server.set_access_request_config(|when, then| {
        let when = when.body(&after).into_inner();
        expect_common_headers(when)
            .header("content-type", "application/json")
            .json_body(json!({
                "approvalsMustBeExternal": true,
                "autoApprovalEnabled": true,
                "reauthorizationEnabled": false
            }));
        then.ok(&after);
    });
    let client = client(&server);
    let stored = client
        .access_request_config()
        .update(|cfg| cfg.auto_approval_enabled = true)
        .await
        .unwrap();
    assert_eq!(stored, after);
    let stored = client
        .access_request_config()
        .set(after.clone())
        .await
        .unwrap();
    assert_eq!(stored, after);
    get.assert_calls(1);
    put.assert_calls(2);
}

#[tokio::test]
async fn grant_builder_sends_the_documented_body() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let remove: Timestamp = "2099-01-02T03:04:05Z".parse().unwrap();
    let expected = AccessRequest {
        request_type: Some(sailpoint_access::types::AccessRequestType::GrantAccess),
        requested_for: vec!["id-a".into(), "id-b".into()],
        requested_items: vec![
            AccessRequestItem {
                id: "role-1".into(),
                type_: AccessItemType::Role,
                comment: Some("project X".into()),
                assignment_id: None,
                client_metadata: Default::default(),
                form_instance_id: None,
                native_identity: None,
                remove_date: None,
                start_date: None,
            },
            AccessRequestItem {
                id: "ent-1".into(),
                type_: AccessItemType::Entitlement,
                comment: None,
                assignment_id: None,
                client_metadata: Default::default(),
                form_instance_id: None,
                native_identity: None,
                remove_date: Some(remove),
                start_date: None,
            },
        ],
        ..Default::default()
    };
    let response = AccessRequestResponse {
        new_requests: vec![AccessRequestTracking {
            access_request_ids: vec!["ar-1".into()],
            requested_for: Some("id-a".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mock =
        server.create_access_request(|when, then| {
            let when = when.body(&expected).into_inner();
            expect_common_headers(when).path("/v3/access-requests").json_body(json!({
            "requestType": "GRANT_ACCESS",
            "requestedFor": ["id-a", "id-b"],
            "requestedItems": [
                { "type": "ROLE", "id": "role-1", "comment": "project X" },
                { "type": "ENTITLEMENT", "id": "ent-1", "removeDate": "2099-01-02T03:04:05Z" }
            ]
        }));
            then.accepted(&response);
        });
    let sent = client(&server)
        .access_requests()
        .grant()
        .for_identities(["id-a", "id-b"])
        .item(Item::role("role-1").comment("project X"))
        .item(Item::entitlement("ent-1").remove_date(remove))
        .send()
        .await
        .unwrap();
    assert_eq!(sent, response);
    mock.assert_calls(1);
}

#[tokio::test]
async fn create_accepts_the_2024_empty_object() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let mock = server.create_access_request(|_, then| {
        then.into_inner()
            .status(202)
            .header("content-type", "application/json")
            .body("{}");
    });
    let sent = client(&server)
        .access_requests()
        .grant()
        .for_identity("a")
        .access_profile("ap")
        .send()
        .await
        .unwrap();
    assert_eq!(sent, AccessRequestResponse::default());
    mock.assert_calls(1);
}

#[tokio::test]
async fn cancel_sends_id_and_comment() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let body = CancelAccessRequest {
        account_activity_id: "act-1".into(),
        comment: "by mistake".into(),
    };
    let mock = server.cancel_access_request(|when, then| {
        let when = when.body(&body).into_inner();
        expect_common_headers(when)
            .path("/v3/access-requests/cancel")
            .json_body(json!({ "accountActivityId": "act-1", "comment": "by mistake" }));
        then.accepted(&serde_json::Map::new());
    });
    client(&server)
        .access_requests()
        .cancel("act-1", "by mistake")
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
}

#[tokio::test]
async fn list_uses_kebab_case_query_names_and_typed_values() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let filter = r#"accountActivityItemId eq "a\"1" and created ge 2024-06-01T00:00:00Z"#;
    let mock = server.list_access_request_status(|when, then| {
        let when = when
            .requested_for("me")
            .requested_by("boss")
            .assigned_to("approver")
            .regarding_identity(None)
            .filters(filter)
            .sorters("-created,name,accountActivityItemId,modified")
            .request_state(&RequestStateFilter::Executing)
            .limit(50)
            .offset(100)
            .count(true);
        expect_common_headers(when.into_inner());
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .header("X-Total-Count", "101")
            .json_body(serde_json::to_value(statuses(0..1)).unwrap());
    });
    let since: Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
    let page = client(&server)
        .statuses()
        .requested_for("me")
        .requested_by("boss")
        .assigned_to("approver")
        .filter(
            Filter::account_activity_item_id()
                .eq("a\"1")
                .and(Filter::created().ge(since)),
        )
        .sort_desc(StatusSort::Created)
        .sort_asc(StatusSort::Name)
        .sort_asc(StatusSort::AccountActivityItemId)
        .sort_asc(StatusSort::Modified)
        .request_state(RequestStateFilter::Executing)
        .limit(50)
        .offset(100)
        .count(true)
        .page()
        .await
        .unwrap();
    assert_eq!(page.items, statuses(0..1));
    assert_eq!(page.total, Some(101));
    assert_eq!((page.offset, page.limit), (100, 50));
    mock.assert_calls(1);
}

#[tokio::test]
async fn list_always_sends_limit_and_omits_unset_parameters() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let mock = server.list_access_request_status(|when, then| {
        when.limit(250)
            .offset(0)
            .regarding_identity("me")
            .requested_for(None)
            .requested_by(None)
            .filters(None)
            .sorters(None)
            .count(None)
            .request_state(None);
        then.ok(&vec![]);
    });
    let page = client(&server)
        .statuses()
        .regarding_identity("me")
        .page()
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.total, None);
    mock.assert_calls(1);
}
