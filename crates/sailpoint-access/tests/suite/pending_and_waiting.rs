//! submit_unless_pending and wait_until_done.

use std::time::Duration;

use crate::common::*;
use httpmock::MockServer;
use sailpoint_access::types::{
    AccessItemType, AccessRequest, AccessRequestResponse, AccessRequestTracking, AccessRequestType,
    RequestedItemState, RequestedItemStatus,
};
use sailpoint_access::{ErrorKind, RetryPolicy, TimeoutPhase};
use sailpoint_access_httpmock::MockServerExt;
use sailpoint_access_sandbox::Sandbox;

fn pending(id: &str, kind: AccessItemType) -> RequestedItemStatus {
    RequestedItemStatus {
        id: Some(id.into()),
        type_: Some(kind),
        state: Some(RequestedItemState::Executing),
        request_type: Some(AccessRequestType::GrantAccess),
        account_activity_item_id: Some(format!("act-{id}")),
        ..Default::default()
    }
}

#[tokio::test]
async fn nothing_is_submitted_when_everything_is_pending() {
    let server = MockServer::start_async().await;
    let list = server.list_access_request_status(|when, then| {
        when.requested_for("a").limit(250).offset(0);
        then.ok(&vec![pending("r", AccessItemType::Role)]);
    });
    let create = server.create_access_request(|_, then| {
        then.accepted(&AccessRequestResponse::default());
    });
    let client = static_client(&server, RetryPolicy::disabled());
    let body = client
        .access_requests()
        .grant()
        .for_identity("a")
        .role("r")
        .build()
        .unwrap();
    let outcome = client.submit_unless_pending(body).await.unwrap();
    assert!(outcome.submitted.is_none());
    assert_eq!(
        outcome.already_pending,
        vec![pending("r", AccessItemType::Role)]
    );
    list.assert_calls(1);
    create.assert_calls(0);
}

#[tokio::test]
async fn only_items_not_pending_are_submitted() {
    let server = MockServer::start_async().await;
    let mut done = pending("ap", AccessItemType::AccessProfile);
    done.state = Some(RequestedItemState::Rejected);
    server.list_access_request_status(|when, then| {
        when.requested_for("a");
        then.ok(&vec![
            pending("r", AccessItemType::Role),
            done,
            pending("e", AccessItemType::Role),
        ]);
    });
    let client = static_client(&server, RetryPolicy::disabled());
    let expected: AccessRequest = client
        .access_requests()
        .grant()
        .for_identity("a")
        .access_profile("ap")
        .entitlement("e")
        .build()
        .unwrap();
    let create = server.create_access_request(|when, then| {
        when.body(&expected);
        then.accepted(&AccessRequestResponse::default());
    });
    let body = client
        .access_requests()
        .grant()
        .for_identity("a")
        .role("r")
        .access_profile("ap")
        .entitlement("e")
        .build()
        .unwrap();
    let outcome = client.submit_unless_pending(body).await.unwrap();
    assert_eq!(outcome.submitted, Some(AccessRequestResponse::default()));
    assert_eq!(outcome.already_pending.len(), 1);
    create.assert_calls(1);
}

#[tokio::test]
async fn wait_until_done_polls_until_terminal() {
    let server = MockServer::start_async().await;
    let mut running = pending("r", AccessItemType::Role);
    running.access_request_id = Some("ar-1".into());
    let mut finished = running.clone();
    finished.state = Some(RequestedItemState::RequestCompleted);
    let first = server.list_access_request_status(|when, then| {
        when.filters(r#"accessRequestId in ("ar-1")"#);
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .json_body(serde_json::to_value(vec![running.clone()]).unwrap())
            .up_to_n_times(1);
    });
    let second = server.list_access_request_status(|when, then| {
        when.filters(r#"accessRequestId in ("ar-1")"#);
        then.ok(&vec![finished.clone()]);
    });
    let client = static_client(&server, RetryPolicy::disabled());
    let response = AccessRequestResponse {
        new_requests: vec![AccessRequestTracking {
            access_request_ids: vec!["ar-1".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let statuses = client
        .wait_until_done_for(&response)
        .poll_interval(Duration::from_millis(10), Duration::from_millis(20))
        .wait()
        .await
        .unwrap();
    assert_eq!(statuses, vec![finished]);
    first.assert_calls(1);
    second.assert_calls(1);
}

#[tokio::test]
async fn wait_until_done_gives_up_at_the_deadline() {
    let server = MockServer::start_async().await;
    server.list_access_request_status(|_, then| {
        then.ok(&vec![]);
    });
    let client = static_client(&server, RetryPolicy::disabled());
    let err = client
        .wait_until_done(["ar-1"])
        .poll_interval(Duration::from_millis(10), Duration::from_millis(10))
        .deadline(Duration::from_millis(100))
        .wait()
        .await
        .unwrap_err();
    assert!(
        err.kind() == ErrorKind::Timeout(TimeoutPhase::Wait),
        "{err:?}"
    );
    let err = client
        .wait_until_done(Vec::<String>::new())
        .wait()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, "wait.ids");
}

#[tokio::test]
async fn the_waiter_counts_existing_requests_and_reports_what_is_pending() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let sent = grant_role(&client, ALICE, "r-1").await.unwrap();
    // A response that lists the request only as already existing.
    let existing = AccessRequestResponse {
        new_requests: vec![],
        existing_requests: sent.new_requests.clone(),
    };
    assert!(existing
        .existing_requests
        .iter()
        .all(|t: &AccessRequestTracking| !t.access_request_ids.is_empty()));
    let err = client
        .wait_until_done_for(&existing)
        .poll_interval(Duration::from_millis(10), Duration::from_millis(20))
        .deadline(Duration::from_millis(150))
        .wait()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Wait));
    assert!(err.attempts().unwrap() >= 2, "{err:?}");
    let pending = err.pending().expect("the pending statuses");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, Some(RequestedItemState::Executing));
}
