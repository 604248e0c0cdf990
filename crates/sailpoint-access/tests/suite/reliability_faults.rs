//! Faults injected by the sandbox (and httpmock where exact sequences
//! matter): every call succeeds within its budget or fails with a typed error
//! carrying its attempt count, and nothing is submitted twice, lost or hung.
//!
//! Each test prints a `FIGURES` line (see RELIABILITY.md); run with
//! `-- --nocapture` to read them.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::common::{all_statuses, grant_role, quick_retry, sandbox_client, Capture};
use futures::TryStreamExt;
use httpmock::MockServer;
use sailpoint_access::types::AccessRequestConfig;
use sailpoint_access::{Client, ErrorKind, RetryPolicy, TimeoutPhase};
use sailpoint_access_httpmock::MockServerExt;
use sailpoint_access_sandbox::{
    default_config, DropConnections, FaultConfig, Operation, Operations, RateLimitFault, Sandbox,
    SandboxHandle, ServerErrors, Stall,
};

fn api_received(sandbox: &SandboxHandle) -> u64 {
    Operation::ALL
        .iter()
        .filter(|op| **op != Operation::Token)
        .map(|op| sandbox.requests_received(*op))
        .sum()
}

/// 500 concurrent calls (reads, config writes' reads and submissions) against
/// a limit that refuses 30% of them with 429 and `Retry-After: 1`.
#[tokio::test]
async fn a_429_storm_of_500_calls_all_succeed_and_honour_retry_after() {
    const CALLS: usize = 500;
    const CREATES: usize = 100;
    let sandbox = Sandbox::builder()
        .seed_statuses(50)
        // The window holds 70% of the burst; the rest get 429 with a
        // Retry-After reaching the next window, where all fit.
        .rate_limit(RateLimitFault::new(350, Duration::from_secs(1)))
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(4));
    let (capture, _guard) = Capture::install();

    let started = Instant::now();
    let calls = (0..CALLS).map(|i| {
        let client = client.clone();
        async move {
            let t = Instant::now();
            let result = match i % 5 {
                0 => client
                    .access_requests()
                    .grant()
                    .for_identity(format!("identity-{i}"))
                    .role(format!("role-{i}"))
                    .send()
                    .await
                    .map(|_| ()),
                1 | 2 => client.access_request_config().get().await.map(|_| ()),
                _ => client.statuses().limit(10).page().await.map(|_| ()),
            };
            (result, t.elapsed())
        }
    });
    let results = futures::future::join_all(calls).await;
    let storm = started.elapsed();

    let waits = capture.retry_waits();
    let limited = waits.iter().filter(|(_, limited)| *limited).count();
    for (i, (result, took)) in results.iter().enumerate() {
        assert!(result.is_ok(), "call {i} failed: {result:?}");
        assert!(*took < Duration::from_secs(10), "call {i} took {took:?}");
    }
    // Every retry was a 429, and each waited what Retry-After asked (1 s).
    assert_eq!(limited, waits.len(), "{waits:?}");
    assert!(waits.iter().all(|(ms, _)| *ms == 1000), "{waits:?}");
    // 150 when the burst lands within one window; fewer if a slow machine
    // spreads it over two.
    assert!(
        (50..=150).contains(&limited),
        "{limited} calls were limited"
    );
    assert!(
        storm >= Duration::from_secs(1),
        "no wait happened: {storm:?}"
    );
    // Attempts seen by the server = calls + retries; no submission twice.
    let received = api_received(&sandbox);
    assert_eq!(received, (CALLS + limited) as u64);
    assert_eq!(sandbox.access_requests_accepted(), CREATES as u64);
    assert_eq!(sandbox.requests_received(Operation::Token), 1);
    eprintln!(
        "FIGURES 429-storm: calls={CALLS} attempts={received} responses_429={limited} \
         share_429={:.1}% waits={} wait_ms_each=1000 (Retry-After: 1) failed=0 \
         creates={CREATES} accepted={} duplicates=0 elapsed_ms={}",
        100.0 * limited as f64 / received as f64,
        waits.len(),
        sandbox.access_requests_accepted(),
        storm.as_millis()
    );
}

fn httpmock_client(server: &MockServer, attempts: u32) -> Client {
    Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(crate::common::TOKEN)
        .retry(
            RetryPolicy::standard()
                .with_max_attempts(attempts)
                .with_backoff(Duration::from_millis(40), Duration::from_millis(400)),
        )
        .build()
        .unwrap()
}

/// Exact sequences: a GET, the PUT and cancel answered 502/503/504 every time
/// are tried `max_attempts` times with growing, jittered backoff; the error
/// keeps its status and says how many attempts were made.
#[tokio::test]
async fn gateway_errors_on_get_put_and_cancel_exhaust_the_attempts_then_say_how_many() {
    let (capture, _guard) = Capture::install();
    let mut exhausted = 0;
    for status in [502u16, 503, 504] {
        for op in ["get", "put", "cancel"] {
            let server = MockServer::start_async().await;
            let mock = server.mock(|when, then| {
                let when = match op {
                    "get" => when.method(httpmock::Method::GET),
                    "put" => when.method(httpmock::Method::PUT),
                    _ => when.method(httpmock::Method::POST),
                };
                when.path_includes("/v3/access-request");
                then.status(status)
                    .header("content-type", "text/html")
                    .body("<html>gateway</html>");
            });
            let client = httpmock_client(&server, 3);
            let before = capture.retry_waits().len();
            let started = Instant::now();
            let err = match op {
                "get" => client.access_request_config().get().await.map(|_| ()),
                "put" => client
                    .access_request_config()
                    .set(AccessRequestConfig::default())
                    .await
                    .map(|_| ()),
                _ => client
                    .access_requests()
                    .cancel("act-1", "why")
                    .send()
                    .await
                    .map(|_| ()),
            }
            .unwrap_err();
            let took = started.elapsed();
            assert_eq!(err.status(), Some(status), "{op}: {err:?}");
            assert_eq!(err.attempts(), Some(3), "{op}: {err:?}");
            assert!(err.to_string().contains("after 3 attempts"), "{err}");
            assert!(err.is_retryable());
            mock.assert_calls(3);
            // Backoff: retry 1 waits 20-40 ms, retry 2 waits 40-80 ms.
            let waits: Vec<u64> = capture.retry_waits()[before..]
                .iter()
                .map(|w| w.0)
                .collect();
            assert_eq!(waits.len(), 2, "{waits:?}");
            assert!((20..=40).contains(&waits[0]), "{waits:?}");
            assert!((40..=80).contains(&waits[1]), "{waits:?}");
            assert!(took >= Duration::from_millis(60), "{took:?}");
            exhausted += 1;
        }
    }
    // A plain 500 is not retried (it may be a processing failure); one attempt.
    let server = MockServer::start_async().await;
    let mock = server.get_access_request_config(|_, then| {
        then.into_inner().status(500).body("{}");
    });
    let err = httpmock_client(&server, 3)
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(500), Some(1)));
    mock.assert_calls(1);
    eprintln!("FIGURES gateway-exhaustion: cases={exhausted} attempts_each=3 typed_errors={exhausted} plain_500_attempts=1");
}

/// Connections dropped after the request was read, on GET, PUT and cancel:
/// retried to the limit, then a transport error with the attempt count.
#[tokio::test]
async fn dropped_connections_on_get_put_and_cancel_exhaust_the_attempts() {
    for op in [
        Operation::GetAccessRequestConfig,
        Operation::SetAccessRequestConfig,
        Operation::CancelAccessRequest,
    ] {
        let sandbox = Sandbox::builder()
            .drop_connections(DropConnections::new(1.0).on(op.into()))
            .start()
            .await
            .unwrap();
        let client = sandbox_client(&sandbox, quick_retry(4));
        let err = match op {
            Operation::GetAccessRequestConfig => {
                client.access_request_config().get().await.map(|_| ())
            }
            Operation::SetAccessRequestConfig => client
                .access_request_config()
                .set(default_config())
                .await
                .map(|_| ()),
            _ => client
                .access_requests()
                .cancel("act-1", "why")
                .send()
                .await
                .map(|_| ()),
        }
        .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Transport(_))
                && !err.before_send()
                && err.attempts() == Some(4),
            "{op}: {err:?}"
        );
        assert_eq!(sandbox.requests_received(op), 4, "{op}");
    }
}

/// Random 5xx and dropped connections on GET, PUT and cancel: each call either
/// succeeds or fails typed; the server saw exactly calls + announced retries.
#[tokio::test]
async fn random_5xx_and_drops_on_get_put_and_cancel_are_survived_or_reported() {
    const PER_OP: usize = 100;
    let sandbox = Sandbox::builder().seed(7).start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(4));
    for i in 0..PER_OP {
        grant_role(&client, format!("identity-{i}"), "role-1")
            .await
            .unwrap();
    }
    let activities: Vec<String> = sandbox
        .statuses()
        .into_iter()
        .filter_map(|s| s.account_activity_item_id)
        .collect();
    assert_eq!(activities.len(), PER_OP);
    let ops = Operations::only(Operation::GetAccessRequestConfig)
        .with(Operation::SetAccessRequestConfig)
        .with(Operation::CancelAccessRequest);
    sandbox.set_faults(FaultConfig {
        server_errors: Some(ServerErrors::new(0.2).on(ops)),
        drop_connections: Some(DropConnections::new(0.1).on(ops)),
        ..FaultConfig::default()
    });
    sandbox.reset_counters();
    let (capture, _guard) = Capture::install();

    let (mut ok, mut failed) = (0, 0);
    for (i, activity) in activities.iter().enumerate() {
        for op in 0..3 {
            let result = match op {
                0 => client.access_request_config().get().await.map(|_| ()),
                1 => client
                    .access_request_config()
                    .set(default_config())
                    .await
                    .map(|_| ()),
                _ => client
                    .access_requests()
                    .cancel(activity, "cleanup")
                    .send()
                    .await
                    .map(|_| ()),
            };
            match result {
                Ok(()) => ok += 1,
                Err(e) => {
                    failed += 1;
                    let attempts = e.attempts().expect("attempts are counted");
                    // Given up only at the limit, or on a non-retryable 500.
                    assert!(
                        attempts == 4 || e.status() == Some(500),
                        "call {i}/{op}: {e:?}"
                    );
                }
            }
        }
    }
    let retries = capture.retry_waits().len() as u64;
    let received = api_received(&sandbox);
    assert_eq!(received, (ok + failed) as u64 + retries);
    // Each cancelled request is cancelled once: every success left it CANCELLED.
    let cancelled = sandbox
        .statuses()
        .iter()
        .filter(|s| s.state == Some(sailpoint_access::types::RequestedItemState::Cancelled))
        .count();
    assert!(cancelled > 0 && cancelled <= PER_OP);
    assert!(ok > failed, "ok {ok}, failed {failed}");
    eprintln!(
        "FIGURES random-5xx-drops: calls={} succeeded={ok} failed_typed={failed} attempts={received} retries={retries} cancelled={cancelled}",
        ok + failed
    );
}

/// `POST /access-requests` under 500/502/503 and connections dropped after the
/// service processed the request: never replayed. The sandbox records exactly
/// one request per call, one accepted submission per success, and at most one
/// per failure.
#[tokio::test]
async fn submissions_are_never_replayed_under_5xx_or_dropped_connections() {
    const CALLS: usize = 300;
    let create = Operations::only(Operation::CreateAccessRequest);
    let sandbox = Sandbox::builder()
        .seed(11)
        .server_errors(ServerErrors::new(0.25).on(create))
        .drop_connections(DropConnections::new(0.15).after_processing().on(create))
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(4));
    let (mut ok, mut server_errors, mut lost_responses) = (0u64, 0u64, 0u64);
    let mut ids = HashSet::new();
    for i in 0..CALLS {
        let before = sandbox.requests_received(Operation::CreateAccessRequest);
        let accepted_before = sandbox.access_requests_accepted();
        let result = grant_role(&client, format!("identity-{i}"), "role-1").await;
        let received = sandbox.requests_received(Operation::CreateAccessRequest) - before;
        let accepted = sandbox.access_requests_accepted() - accepted_before;
        assert_eq!(received, 1, "call {i} sent {received} requests: {result:?}");
        match result {
            Ok(response) => {
                ok += 1;
                assert_eq!(accepted, 1, "call {i}");
                for id in response
                    .new_requests
                    .iter()
                    .flat_map(|r| &r.access_request_ids)
                {
                    assert!(ids.insert(id.clone()), "id {id} seen twice");
                }
            }
            Err(e) => {
                assert!(accepted <= 1, "call {i}");
                assert_eq!(e.attempts(), Some(1), "{e:?}");
                match &e {
                    _ if matches!(e.kind(), ErrorKind::Transport(_)) => lost_responses += 1,
                    _ if e.status().is_some_and(|s| s >= 500) => server_errors += 1,
                    other => panic!("call {i}: unexpected {other:?}"),
                }
            }
        }
    }
    // Lost responses are the ambiguous case: processed once, reported as failed.
    assert_eq!(sandbox.access_requests_accepted(), ok + lost_responses);
    assert_eq!(
        sandbox.requests_received(Operation::CreateAccessRequest),
        CALLS as u64
    );
    assert_eq!(sandbox.status_count() as u64, ok + lost_responses);
    assert!(server_errors > 0 && lost_responses > 0 && ok > 0);
    eprintln!(
        "FIGURES create-no-replay: calls={CALLS} requests_recorded={CALLS} succeeded={ok} \
         failed_5xx={server_errors} failed_dropped_after_processing={lost_responses} \
         accepted={} duplicates=0",
        sandbox.access_requests_accepted()
    );
}

async fn walk_with_expiry(prefetch: usize) -> (Vec<String>, SandboxHandle) {
    let sandbox = Sandbox::builder()
        .seed_statuses(10_000)
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(3));
    let query = client.statuses().limit(250).prefetch(prefetch);
    let mut pages = std::pin::pin!(query.pages());
    let mut ids = Vec::new();
    let mut n = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        n += 1;
        ids.extend(
            page.items
                .into_iter()
                .map(|s| s.account_activity_item_id.expect("seeded ids")),
        );
        if n == 17 {
            // Every token issued so far now answers 401.
            sandbox.expire_tokens();
        }
    }
    (ids, sandbox)
}

/// A token expiring in the middle of walking 10,000 statuses: every status
/// read exactly once, in order, with one refresh (also with pages in flight).
#[tokio::test]
async fn a_token_expiring_mid_walk_loses_and_duplicates_nothing() {
    for prefetch in [0, 3] {
        let (ids, sandbox) = walk_with_expiry(prefetch).await;
        let expected: Vec<String> = sandbox
            .statuses()
            .into_iter()
            .map(|s| s.account_activity_item_id.unwrap())
            .collect();
        assert_eq!(expected.len(), 10_000);
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "duplicates (prefetch {prefetch})");
        assert_eq!(ids, expected, "lost or reordered (prefetch {prefetch})");
        assert_eq!(
            sandbox.requests_received(Operation::Token),
            2,
            "one refresh (prefetch {prefetch})"
        );
        let lists = sandbox.requests_received(Operation::ListAccessRequestStatus);
        eprintln!(
            "FIGURES token-expiry-walk: prefetch={prefetch} statuses=10000 read={} unique={} \
             lost=0 duplicated=0 token_requests=2 list_requests={lists}",
            ids.len(),
            unique.len()
        );
    }
}

/// A token whose lifetime ends during the walk is replaced before it expires.
#[tokio::test]
async fn a_short_lived_token_is_renewed_during_a_walk_without_a_401() {
    let sandbox = Sandbox::builder()
        .seed_statuses(10_000)
        .token_lifetime(Duration::from_secs(1))
        .latency(sailpoint_access_sandbox::Latency::new(
            Duration::from_millis(40),
        ))
        .start()
        .await
        .unwrap();
    // No retries and no 401 replay budget needed: a 401 would fail the walk.
    let client = sandbox_client(&sandbox, RetryPolicy::disabled());
    let items: Vec<_> = all_statuses(&client).await.unwrap();
    let unique: HashSet<_> = items
        .iter()
        .map(|s| s.account_activity_item_id.clone())
        .collect();
    assert_eq!((items.len(), unique.len()), (10_000, 10_000));
    let tokens = sandbox.requests_received(Operation::Token);
    assert!(tokens >= 2, "the token was never renewed ({tokens})");
    // 41 pages and the past-the-end 400; no 401 replays.
    assert_eq!(
        sandbox.requests_received(Operation::ListAccessRequestStatus),
        41
    );
}

/// A response that never comes: a timeout within the bound plus a small
/// margin, for reads, submissions (not replayed) and the token endpoint.
#[tokio::test]
async fn stalled_responses_time_out_within_the_bound() {
    const BOUND: Duration = Duration::from_millis(300);
    const MARGIN: Duration = Duration::from_millis(250);
    let sandbox = Sandbox::builder()
        .stall(Stall::forever(1.0).on(Operations::ALL))
        .start()
        .await
        .unwrap();
    let token = sandbox.issue_token();
    let client = |retry: RetryPolicy| {
        Client::builder()
            .rate_limit(None)
            .base_url(sandbox.base_url())
            .access_token(token.clone())
            .attempt_timeout(BOUND)
            .retry(retry)
            .build()
            .unwrap()
    };

    let started = Instant::now();
    let err = client(RetryPolicy::disabled())
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        err.kind() == ErrorKind::Timeout(TimeoutPhase::Attempt) && err.attempts() == Some(1),
        "{err:?}"
    );
    assert!(took >= BOUND && took < BOUND + MARGIN, "{took:?}");

    // Three attempts of 300 ms plus 2-10 ms backoffs.
    let started = Instant::now();
    let err = client(quick_retry(3))
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.attempts(), Some(3), "{err:?}");
    assert!(took >= BOUND * 3 && took < BOUND * 3 + MARGIN, "{took:?}");

    // A stalled submission times out once and is not replayed.
    sandbox.reset_counters();
    let started = Instant::now();
    let err = grant_role(&client(quick_retry(3)), "a", "r")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Timeout(_)) && err.attempts() == Some(1),
        "{err:?}"
    );
    assert!(started.elapsed() < BOUND + MARGIN);
    assert_eq!(sandbox.requests_received(Operation::CreateAccessRequest), 1);

    // A stalled token endpoint.
    let oauth = Client::builder()
        .rate_limit(None)
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .attempt_timeout(BOUND)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = oauth.access_request_config().get().await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < BOUND + MARGIN);

    // A total limit cuts retries short and still reports the attempts made.
    let total = Client::builder()
        .rate_limit(None)
        .base_url(sandbox.base_url())
        .access_token(token.clone())
        .attempt_timeout(BOUND)
        .total_timeout(Duration::from_millis(500))
        .retry(quick_retry(10))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = total.access_request_config().get().await.unwrap_err();
    assert!(
        err.kind() == ErrorKind::Timeout(TimeoutPhase::Total) && err.attempts() == Some(2),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(500) + MARGIN);
}

/// The sandbox counts the rate limit per client id, not per token: three
/// clients with one client id, each with its own token, share one budget,
/// so unpaced they draw 429s that a per-token count would not give.
#[tokio::test]
async fn the_sandbox_counts_the_limit_per_client_id() {
    use sailpoint_access_sandbox::RateLimitFault;
    let sandbox = Sandbox::builder()
        .rate_limit(RateLimitFault::new(10, Duration::from_secs(60)))
        .start()
        .await
        .unwrap();
    let clients: Vec<_> = (0..3)
        .map(|_| sandbox_client(&sandbox, RetryPolicy::disabled()))
        .collect();
    let mut limited = 0;
    let mut ok = 0;
    for client in &clients {
        for _ in 0..5 {
            match client.access_request_config().get().await {
                Ok(_) => ok += 1,
                Err(e) if e.kind() == ErrorKind::RateLimited => limited += 1,
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!((ok, limited), (10, 5), "one budget of 10 for the client id");
}
