//! End-to-end: the facade against the embedded sandbox tenant, over real HTTP
//! on loopback. Every operation, the request lifecycle, the validations both
//! sides perform, and each fault knob of the sandbox.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::common::{all_statuses, grant_role, quick_retry, sandbox_client};
use futures::TryStreamExt;
use sailpoint_access::types::{
    AccessItemType, AccessRequest, AccessRequestItem, AccessRequestType, RequestedItemState,
};
use sailpoint_access::{Client, ErrorKind, Filter, Item, RetryPolicy, StatusSort, Timestamp};
use sailpoint_access_sandbox::{
    DropConnections, FaultConfig, Latency, Operation, Operations, RateLimitFault, Sandbox,
    SandboxHandle, ServerErrors, Stall,
};

const ALICE: &str = "2c9180857182305e0171993735622948";
const BOB: &str = "2c9180857182305e0171993735622949";

async fn sandbox() -> SandboxHandle {
    Sandbox::builder().start().await.expect("sandbox starts")
}

fn item(kind: AccessItemType, id: &str) -> AccessRequestItem {
    AccessRequestItem {
        type_: kind,
        id: id.into(),
        comment: Some("e2e".into()),
        client_metadata: Default::default(),
        start_date: None,
        remove_date: None,
        assignment_id: None,
        native_identity: None,
        form_instance_id: None,
    }
}

#[tokio::test]
async fn every_operation_round_trips_through_the_sandbox() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(4));

    // Configuration: read, replace, update.
    let mut config = client
        .access_request_config()
        .get()
        .await
        .expect("get config");
    config.auto_approval_enabled = true;
    let stored = client
        .access_request_config()
        .set(config.clone())
        .await
        .expect("set config");
    assert!(stored.auto_approval_enabled);
    let updated = client
        .access_request_config()
        .update(|cfg| cfg.reauthorization_enabled = true)
        .await
        .expect("update config");
    assert!(updated.auto_approval_enabled && updated.reauthorization_enabled);
    assert!(
        sandbox.config().reauthorization_enabled,
        "the sandbox stored it"
    );

    // Submit for two identities, three items each.
    let response = client
        .access_requests()
        .grant()
        .for_identities([ALICE, BOB])
        .role("role-1")
        .access_profile("profile-1")
        .item(
            Item::entitlement("entitlement-1")
                .remove_date(chrono::Utc::now() + chrono::Duration::days(7)),
        )
        .send()
        .await
        .expect("submit");
    assert_eq!(response.new_requests.len(), 2);
    assert_eq!(sandbox.access_requests_accepted(), 1);
    // One access request per identity, as the vendor tracks them.
    let request_ids: Vec<String> = response
        .new_requests
        .iter()
        .flat_map(|t| t.access_request_ids.clone())
        .collect();
    assert_eq!(request_ids.len(), 2);
    assert_ne!(request_ids[0], request_ids[1]);

    // List: filtered, sorted, paged by 2, with the total.
    let query = client
        .statuses()
        .filter(Filter::access_request_id().in_(&request_ids))
        .sort_asc(StatusSort::Name)
        .limit(2)
        .count(true);
    let pages: Vec<_> = query.pages().try_collect().await.expect("pages");
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p.total == Some(6)));
    let all: Vec<_> = pages.into_iter().flat_map(|p| p.items).collect();
    assert_eq!(all.len(), 6);
    let names: Vec<_> = all
        .iter()
        .map(|s| s.name.clone().unwrap_or_default())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");

    // Cancel one; it is cancelled and no longer cancelable, the others untouched.
    let victim = all[0].account_activity_item_id.clone().expect("id");
    client
        .access_requests()
        .cancel(&victim, "not needed")
        .send()
        .await
        .expect("cancel");
    let after = query.collect(100).await.expect("collect");
    for status in after {
        let cancelled = status.account_activity_item_id.as_deref() == Some(victim.as_str());
        assert_eq!(
            status.state == Some(RequestedItemState::Cancelled),
            cancelled
        );
        assert_eq!(status.cancelable, !cancelled);
    }
}

#[tokio::test]
async fn lifecycle_submit_approve_provision_and_cancel() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(4));
    let response = client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("role-a")
        .role("role-b")
        .send()
        .await
        .expect("submit");
    let statuses = client
        .statuses()
        .requested_for(ALICE)
        .collect(10)
        .await
        .expect("list");
    assert_eq!(statuses.len(), 2);
    assert!(statuses
        .iter()
        .all(|s| s.state == Some(RequestedItemState::Executing) && s.cancelable));

    let first = statuses[0].account_activity_item_id.clone().expect("id");
    let second = statuses[1].account_activity_item_id.clone().expect("id");
    sandbox.approve(&first).expect("approve");
    sandbox.provision(&first).expect("provision");
    client
        .access_requests()
        .cancel(&second, "changed my mind")
        .send()
        .await
        .expect("cancel");

    // Both items are now terminal, so waiting returns at once with their states.
    let done = client
        .wait_until_done_for(&response)
        .deadline(Duration::from_secs(5))
        .wait()
        .await
        .expect("terminal");
    let states: HashSet<_> = done.iter().filter_map(|s| s.state.clone()).collect();
    assert_eq!(
        states,
        HashSet::from([
            RequestedItemState::RequestCompleted,
            RequestedItemState::Cancelled
        ])
    );

    // Cancelling again: the service answers 400, which says the item is
    // already cancelled: that outcome, typed, after one request (no retry).
    let before = sandbox.requests_received(Operation::CancelAccessRequest);
    let again = client
        .access_requests()
        .cancel(&second, "again")
        .send()
        .await
        .expect("already cancelled is an outcome");
    assert!(again.was_already_cancelled() && !again.was_replayed());
    assert_eq!(
        sandbox.requests_received(Operation::CancelAccessRequest),
        before + 1
    );
    // An unknown id is a 404.
    let err = client
        .access_requests()
        .cancel("no-such-activity", "x")
        .send()
        .await
        .expect_err("unknown");
    assert!(matches!(err.kind(), ErrorKind::NotFound), "{err:?}");
}

/// The facade refuses each invalid body before sending, naming the rule; the
/// same body sent raw is refused by the sandbox too, so both sides agree.
#[tokio::test]
async fn invalid_requests_are_refused_by_the_facade_and_by_the_sandbox() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, RetryPolicy::disabled());
    // One facade call fetches the token the raw client below borrows.
    client.access_request_config().get().await.expect("token");
    let past = Timestamp::from(chrono::Utc::now() - chrono::Duration::days(1));
    let future = Timestamp::from(chrono::Utc::now() + chrono::Duration::days(1));
    let entitlements = |n: usize| {
        (0..n)
            .map(|i| item(AccessItemType::Entitlement, &format!("e{i}")))
            .collect::<Vec<_>>()
    };
    let identities = |n: usize| (0..n).map(|i| format!("identity-{i}")).collect::<Vec<_>>();
    let revoke = Some(AccessRequestType::RevokeAccess);

    let cases: Vec<(&str, AccessRequest)> = vec![
        (
            "more than 25 entitlements",
            AccessRequest {
                requested_for: identities(1),
                requested_items: entitlements(26),
                ..Default::default()
            },
        ),
        (
            "more than 10 identities with an entitlement",
            AccessRequest {
                requested_for: identities(11),
                requested_items: entitlements(1),
                ..Default::default()
            },
        ),
        (
            "a revoke for several identities",
            AccessRequest {
                requested_for: identities(2),
                requested_items: vec![item(AccessItemType::Role, "r")],
                request_type: revoke.clone(),
                ..Default::default()
            },
        ),
        (
            "a revoke with a start date",
            AccessRequest {
                requested_for: identities(1),
                requested_items: vec![AccessRequestItem {
                    start_date: Some(future),
                    ..item(AccessItemType::Role, "r")
                }],
                request_type: revoke,
                ..Default::default()
            },
        ),
        (
            "no items",
            AccessRequest {
                requested_for: identities(1),
                requested_items: vec![],
                ..Default::default()
            },
        ),
        (
            "no identities",
            AccessRequest {
                requested_for: vec![],
                requested_items: entitlements(1),
                ..Default::default()
            },
        ),
        (
            "a remove date in the past",
            AccessRequest {
                requested_for: identities(1),
                requested_items: vec![AccessRequestItem {
                    remove_date: Some(past),
                    ..item(AccessItemType::Role, "r")
                }],
                ..Default::default()
            },
        ),
    ];
    for (what, body) in cases {
        let err = client
            .access_requests()
            .submit(body.clone())
            .send()
            .await
            .expect_err(what);
        let rule = err.validation().map(|v| v.rule.to_string());
        assert!(
            rule.is_some(),
            "{what}: expected a validation error, got {err:?}"
        );
        assert_eq!(
            sandbox.requests_received(Operation::CreateAccessRequest),
            0,
            "{what}: nothing sent"
        );

        let raw = client.raw().create_access_request().body(body).send().await;
        let status = raw.expect_err(what).status().map(|s| s.as_u16());
        assert_eq!(status, Some(400), "{what}: the sandbox refuses it too");
        sandbox.reset_counters();
    }
    assert_eq!(sandbox.access_requests_accepted(), 0);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_replayed() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(4));
    client
        .access_request_config()
        .get()
        .await
        .expect("first call");
    assert_eq!(sandbox.requests_received(Operation::Token), 1);
    sandbox.expire_tokens();
    client
        .access_request_config()
        .get()
        .await
        .expect("after expiry");
    assert_eq!(
        sandbox.requests_received(Operation::Token),
        2,
        "one refresh"
    );
    assert_eq!(
        sandbox.requests_received(Operation::GetAccessRequestConfig),
        3,
        "one replay"
    );
}

#[tokio::test]
async fn paging_past_a_full_last_page_ends_cleanly_on_the_offset_quirk() {
    let sandbox = Sandbox::builder()
        .seed_statuses(500)
        .start()
        .await
        .expect("start");
    let client = sandbox_client(&sandbox, quick_retry(4));
    let items: Vec<_> = all_statuses(&client).await.expect("walk");
    assert_eq!(items.len(), 500);
    let ids: HashSet<_> = items
        .iter()
        .filter_map(|s| s.account_activity_item_id.clone())
        .collect();
    assert_eq!(ids.len(), 500, "no duplicates");
    // 0, 250, then 500 == total: the sandbox answered 400 "Specified offset is invalid."
    assert_eq!(
        sandbox.requests_received(Operation::ListAccessRequestStatus),
        3
    );
}

#[tokio::test]
async fn rate_limiting_is_waited_out() {
    let sandbox = sandbox().await;
    sandbox.set_faults(FaultConfig {
        rate_limit: Some(RateLimitFault::new(3, Duration::from_secs(1))),
        ..Default::default()
    });
    let client = sandbox_client(&sandbox, quick_retry(4));
    let started = Instant::now();
    for _ in 0..5 {
        client
            .access_request_config()
            .get()
            .await
            .expect("eventually served");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "waited for the window"
    );
    assert!(
        sandbox.requests_received(Operation::GetAccessRequestConfig) > 5,
        "some answers were 429"
    );
}

#[tokio::test]
async fn server_errors_are_retried_on_reads() {
    let sandbox = sandbox().await;
    sandbox.set_faults(FaultConfig {
        server_errors: Some(
            ServerErrors::new(0.3).on(Operations::only(Operation::GetAccessRequestConfig)),
        ),
        ..Default::default()
    });
    let client = sandbox_client(&sandbox, quick_retry(8));
    // The sandbox injects 500, 502 and 503. 502/503 are transient and retried;
    // 500 is reported at once, since replaying a server bug rarely helps.
    let mut surfaced = Vec::new();
    for _ in 0..40 {
        if let Err(err) = client.access_request_config().get().await {
            surfaced.push(err.status());
        }
    }
    assert!(
        surfaced.iter().all(|s| *s == Some(500)),
        "only 500s surface: {surfaced:?}"
    );
    let received = sandbox.requests_received(Operation::GetAccessRequestConfig);
    assert!(
        received > 40,
        "502/503 answers were retried ({received} requests for 40 calls)"
    );
}

#[tokio::test]
async fn latency_is_added_to_each_response() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(4));
    client.access_request_config().get().await.expect("warm up");
    sandbox.set_faults(FaultConfig {
        latency: Some(Latency::new(Duration::from_millis(120))),
        ..Default::default()
    });
    let started = Instant::now();
    client
        .access_request_config()
        .get()
        .await
        .expect("slow but fine");
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn a_stalled_response_times_out_within_the_bound() {
    let sandbox = sandbox().await;
    sandbox.set_faults(FaultConfig {
        stall: Some(Stall::forever(1.0)),
        ..Default::default()
    });
    let client = Client::builder()
        .rate_limit(None)
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .retry(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let started = Instant::now();
    let err = client
        .access_request_config()
        .get()
        .await
        .expect_err("stalled");
    let elapsed = started.elapsed();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err:?}");
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn dropped_connections_are_retried_for_reads_but_never_for_a_submission() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(10));
    client
        .access_request_config()
        .get()
        .await
        .expect("token fetched before faults");

    sandbox.set_faults(FaultConfig {
        drop_connections: Some(
            DropConnections::new(0.5).on(Operations::only(Operation::GetAccessRequestConfig)),
        ),
        ..Default::default()
    });
    for _ in 0..10 {
        client
            .access_request_config()
            .get()
            .await
            .expect("retried past dropped connections");
    }

    // The service processed the submission, then the connection dropped: the
    // client must report the failure rather than submit a second time.
    sandbox.set_faults(FaultConfig {
        drop_connections: Some(
            DropConnections::new(1.0)
                .after_processing()
                .on(Operations::only(Operation::CreateAccessRequest)),
        ),
        ..Default::default()
    });
    let err = grant_role(&client, ALICE, "role-1")
        .await
        .expect_err("response lost");
    assert!(matches!(err.kind(), ErrorKind::Transport(_)), "{err:?}");
    assert_eq!(
        sandbox.requests_received(Operation::CreateAccessRequest),
        1,
        "sent once"
    );
    assert_eq!(
        sandbox.access_requests_accepted(),
        1,
        "recorded once, not duplicated"
    );
}

/// The pending index: one walk of the executing statuses serves every
/// identity; an item is left out only when pending for every identity.
#[tokio::test]
async fn submit_unless_pending_leaves_out_only_what_every_identity_has_pending() {
    let sandbox = sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(2));
    let grant = |who: &[&str], role: &str| {
        client
            .access_requests()
            .grant()
            .for_identities(who.iter().map(|w| w.to_string()))
            .role(role)
            .build()
            .unwrap()
    };
    client
        .access_requests()
        .submit(grant(&[ALICE, BOB], "role-both"))
        .send()
        .await
        .unwrap();
    client
        .access_requests()
        .submit(grant(&[ALICE], "role-alice"))
        .send()
        .await
        .unwrap();
    let lists = sandbox.requests_received(Operation::ListAccessRequestStatus);
    let mut body = grant(&[ALICE, BOB], "role-both");
    body.requested_items.push(Item::role("role-alice").into());
    body.requested_items.push(Item::role("role-new").into());
    let outcome = client.submit_unless_pending(body).await.unwrap();
    assert!(outcome.submitted.is_some());
    // role-both is pending for both and left out; role-alice for Alice only,
    // so it is sent (a flat request cannot leave it out for one identity).
    let mut pending: Vec<(String, String)> = outcome
        .already_pending
        .iter()
        .map(|s| {
            let who = s.requested_for_ids().collect::<Vec<_>>().join("+");
            (who, s.id.clone().unwrap_or_default())
        })
        .collect();
    pending.sort();
    let mut expected = vec![
        (ALICE.to_owned(), "role-both".to_owned()),
        (BOB.to_owned(), "role-both".to_owned()),
    ];
    expected.sort();
    assert_eq!(pending, expected);
    assert_eq!(
        sandbox.requests_received(Operation::ListAccessRequestStatus) - lists,
        1,
        "one walk serves both identities"
    );
    let sent: HashSet<String> = sandbox
        .statuses()
        .iter()
        .filter_map(|s| s.id.clone())
        .collect();
    assert!(sent.contains("role-new") && sent.contains("role-alice"));
}
