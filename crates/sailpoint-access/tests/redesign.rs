//! The behaviours the redesign added: replay-safe cancel, the retry budget,
//! configuration round trips that keep unknown properties, a raw client that
//! authenticates on its own, owned handles and `Unpin` streams, the waiter's
//! report on timeout, and errors that keep their cause.

mod common;

use std::error::Error as _;
use std::time::Duration;

use common::*;
use httpmock::MockServer;
use sailpoint_access::types::{AccessRequestResponse, AccessRequestTracking, RequestedItemState};
use sailpoint_access::{Client, ErrorKind, Item, RetryPolicy, TimeoutPhase, TransportKind};
use sailpoint_access_httpmock::MockServerExt;
use sailpoint_access_sandbox::{DropConnections, Operation, Sandbox};
use serde_json::json;

const ALICE: &str = "2c9180857182305e0171993735622948";

#[tokio::test]
async fn a_cancel_whose_answer_was_lost_is_reported_done_on_replay() {
    let sandbox = Sandbox::builder()
        .drop_connections(DropConnections::once_after_processing(
            Operation::CancelAccessRequest,
        ))
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(3));
    client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .item(Item::role("role-1").comment("test"))
        .send()
        .await
        .unwrap();
    let status = client.statuses().collect(10).await.unwrap().remove(0);
    let activity = status.account_activity_item_id.unwrap();
    let (capture, _guard) = Capture::install();
    let outcome = client
        .access_requests()
        .cancel(&activity, "not needed")
        .send()
        .await
        .expect("the replay that finds the request cancelled is a success");
    assert!(outcome.was_replayed());
    assert_eq!(sandbox.requests_received(Operation::CancelAccessRequest), 2);
    assert_eq!(
        sandbox.status(&activity).unwrap().state,
        Some(RequestedItemState::Cancelled)
    );
    assert!(
        capture.text().contains("already cancelled"),
        "{}",
        capture.text()
    );

    // A first attempt that is refused is still an error: nothing was replayed.
    let err = client
        .access_requests()
        .cancel(&activity, "again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientError);
    assert!(!err.after_possible_delivery());
}

#[tokio::test]
async fn a_storm_of_5xx_costs_at_most_the_budgeted_retries() {
    let server = MockServer::start_async().await;
    let failing = server.get_access_request_config(|_, then| {
        then.into_inner().status(503).body("busy");
    });
    // 50 tokens at 5 a retry: 10 retries for the whole client, shared by clones.
    let client = static_client(
        &server,
        fast_retry().with_max_attempts(4).with_retry_budget(50),
    );
    let mut errors = Vec::new();
    for i in 0..20 {
        let clone = if i % 2 == 0 {
            client.clone()
        } else {
            client.clone().clone()
        };
        errors.push(clone.access_request_config().get().await.unwrap_err());
    }
    assert!(errors.iter().all(|e| e.kind() == ErrorKind::ServerError));
    failing.assert_calls(20 + 10);
    let retried: u32 = errors.iter().map(|e| e.attempts().unwrap() - 1).sum();
    assert_eq!(retried, 10, "retries stop when the budget is spent");

    // Without a budget every call takes all its attempts.
    let server = MockServer::start_async().await;
    let failing = server.get_access_request_config(|_, then| {
        then.into_inner().status(503).body("busy");
    });
    let client = static_client(
        &server,
        fast_retry().with_max_attempts(4).without_retry_budget(),
    );
    for _ in 0..5 {
        client.access_request_config().get().await.unwrap_err();
    }
    failing.assert_calls(5 * 4);
}

#[tokio::test]
async fn update_keeps_properties_this_sdk_does_not_know() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    sandbox
        .set_config_json(json!({
            "autoApprovalEnabled": false,
            "futureSetting": {"x": 1},
            "entitlementRequestConfig": {"allowEntitlementRequest": true, "futureFlag": "on"}
        }))
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let read = client.access_request_config().get().await.unwrap();
    assert_eq!(read.extra.get("futureSetting"), Some(&json!({"x": 1})));
    client
        .access_request_config()
        .update(|cfg| cfg.auto_approval_enabled = true)
        .await
        .unwrap();
    let stored = sandbox.config_json();
    assert_eq!(stored["autoApprovalEnabled"], json!(true));
    assert_eq!(stored["futureSetting"], json!({"x": 1}), "{stored}");
    assert_eq!(
        stored["entitlementRequestConfig"]["futureFlag"],
        json!("on")
    );
    assert_eq!(
        stored["entitlementRequestConfig"]["allowEntitlementRequest"],
        json!(true)
    );
}

#[test]
fn a_document_from_a_file_is_strict_about_unknown_keys() {
    let err = sailpoint_access::config_from_json_strict(
        r#"{"entitlementRequestConfig": {"allowEntitlementRequests": true}, "autoApproval": 1}"#,
    )
    .unwrap_err();
    let v = err.validation().expect("a validation error");
    assert_eq!(v.rule, "document.known_fields");
    assert_eq!(
        v.value,
        "autoApproval, entitlementRequestConfig.allowEntitlementRequests"
    );
}

#[tokio::test]
async fn the_raw_client_fetches_its_own_token_through_the_shared_cache() {
    let sandbox = Sandbox::builder().seed_statuses(3).start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let page = client
        .raw()
        .list_access_request_status()
        .limit(10)
        .send()
        .await
        .expect("the first raw call authenticates");
    assert_eq!(page.into_inner().len(), 3);
    // The facade then reuses the same token: no second token request.
    client.access_request_config().get().await.unwrap();
    assert_eq!(sandbox.requests_received(Operation::Token), 1);
}

#[tokio::test]
async fn handles_futures_and_streams_are_owned_send_and_unpin() {
    fn assert_unpin<T: Unpin + Send + 'static>(_: &T) {}
    let sandbox = Sandbox::builder().seed_statuses(600).start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let query = client.statuses().limit(100).prefetch(2);
    let mut items = query.items();
    assert_unpin(&items);
    let mut n = 0;
    while let Some(_status) = items.try_next().await.unwrap() {
        n += 1;
    }
    assert_eq!(n, 600);
    // Every builder's future can be spawned: it owns its client handle.
    let spawned = tokio::spawn(client.statuses().limit(50).collect(120));
    assert_eq!(spawned.await.unwrap().unwrap().len(), 120);
    let submit = client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("r-1");
    let sent = tokio::spawn(submit.send()).await.unwrap().unwrap();
    assert_eq!(sent.new_requests.len(), 1);
    let body = client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("r-2")
        .build()
        .unwrap();
    let sent = tokio::spawn(client.access_requests().submit(body).send())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.new_requests.len(), 1);
    let config = tokio::spawn(client.access_request_config().get())
        .await
        .unwrap()
        .unwrap();
    let flipped = !config.auto_approval_enabled;
    let updated = tokio::spawn(
        client
            .access_request_config()
            .update(move |cfg| cfg.auto_approval_enabled = flipped),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(updated.auto_approval_enabled, flipped);
    assert_eq!(sandbox.config().auto_approval_enabled, flipped);
    drop(client);
    let cancel = sandbox_client(&sandbox, quick_retry(2))
        .access_requests()
        .cancel("no-such-activity", "x");
    let err = tokio::spawn(cancel.send()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn the_waiter_counts_existing_requests_and_reports_what_is_pending() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let sent = client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("r-1")
        .send()
        .await
        .unwrap();
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

#[tokio::test]
async fn transport_errors_keep_their_kind_cause_and_operation() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .rate_limit(None)
        .base_url(format!("http://127.0.0.1:{port}"))
        .access_token(TOKEN)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = client.statuses().page().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport(TransportKind::Connect));
    assert_eq!(err.operation(), Some("list_access_request_status"));
    assert!(err.before_send());
    let source = err.source().expect("the cause is kept");
    assert!(!source.to_string().contains(TOKEN));
    let text = err.to_string();
    assert!(
        text.starts_with("list_access_request_status: transport error (connect)"),
        "{text}"
    );
}
