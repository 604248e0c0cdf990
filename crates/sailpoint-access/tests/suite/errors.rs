//! Status codes mapped to error kinds, retries, timeouts and decode errors.

use std::error::Error as _;
use std::time::{Duration, Instant};

use crate::common::*;
use httpmock::MockServer;
use sailpoint_access::types::{
    AccessRequestConfig, ErrorMessageDto, ErrorResponse, RequestedItemState,
};
use sailpoint_access::{Client, Error, ErrorKind, Item, RetryPolicy, TimeoutPhase, TransportKind};
use sailpoint_access_httpmock::MockServerExt;
use sailpoint_access_sandbox::{DropConnections, Operation, Sandbox};

fn dto_error() -> ErrorResponse {
    ErrorResponse {
        detail_code: Some("400.1 Bad Request Content".into()),
        tracking_id: Some("track-42".into()),
        messages: vec![ErrorMessageDto {
            text: Some(
                "The request was syntactically correct but its content is semantically invalid."
                    .into(),
            ),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn get_config_error(server: &MockServer, status: u16, body: &str) -> Error {
    let mock = server.mock(|when, then| {
        when.path("/v3/access-request-config");
        then.status(status)
            .header("content-type", "application/json")
            .body(body);
    });
    let err = static_client(server, RetryPolicy::disabled())
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    mock.assert_calls(1);
    err
}

#[tokio::test]
async fn each_status_maps_to_its_kind() {
    let server = MockServer::start_async().await;
    let body = serde_json::to_string(&dto_error()).unwrap();

    let err = get_config_error(&server, 400, &body).await;
    assert!(
        (err.status() == Some(400)
            && matches!(err.kind(), ErrorKind::ClientError | ErrorKind::ServerError)),
        "{err:?}"
    );
    assert_eq!(err.tracking_id(), Some("track-42"));
    assert_eq!(
        err.api_error().unwrap().detail_code.as_deref(),
        Some("400.1 Bad Request Content")
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("semantically invalid"), "{err}");

    let server = MockServer::start_async().await;
    let err = get_config_error(
        &server,
        401,
        r#"{"error":"JWT validation failed: JWT is expired"}"#,
    )
    .await;
    assert!(
        err.kind() == ErrorKind::Unauthorized
            && err
                .api_error()
                .is_some_and(|e| e.messages == ["JWT validation failed: JWT is expired"]),
        "{err:?}"
    );

    let server = MockServer::start_async().await;
    let err = get_config_error(&server, 403, &body).await;
    assert!(matches!(err.kind(), ErrorKind::Forbidden), "{err:?}");

    let server = MockServer::start_async().await;
    let err = get_config_error(&server, 429, r#"{"message":" Rate Limit Exceeded "}"#).await;
    assert!(
        err.kind() == ErrorKind::RateLimited && err.retry_after().is_none(),
        "{err:?}"
    );
    assert!(err.is_retryable());

    let server = MockServer::start_async().await;
    let err = get_config_error(&server, 500, &body).await;
    assert!(
        (err.status() == Some(500)
            && matches!(err.kind(), ErrorKind::ClientError | ErrorKind::ServerError)),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    for status in [502, 503, 504] {
        let server = MockServer::start_async().await;
        let err = get_config_error(&server, status, "<html>bad gateway</html>").await;
        assert!(
            (err.status() == Some(status)
                && matches!(err.kind(), ErrorKind::ClientError | ErrorKind::ServerError)),
            "{err:?}"
        );
        assert!(err.is_retryable());
        assert_eq!(err.status(), Some(status));
    }

    let server = MockServer::start_async().await;
    let err = get_config_error(&server, 418, "").await;
    assert!(
        (err.status() == Some(418)
            && matches!(err.kind(), ErrorKind::ClientError | ErrorKind::ServerError)),
        "{err:?}"
    );
}

#[tokio::test]
async fn cancel_404_is_not_found() {
    let server = MockServer::start_async().await;
    let mock = server.cancel_access_request(|_, then| {
        then.not_found(&ErrorResponse {
            detail_code: Some("404 Not found".into()),
            ..Default::default()
        });
    });
    let err = static_client(&server, fast_retry())
        .access_requests()
        .cancel("nope", "x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotFound), "{err:?}");
    assert_eq!(err.status(), Some(404));
    mock.assert_calls(1);
}

#[tokio::test]
async fn rate_limit_waits_retry_after_then_retries() {
    let server = MockServer::start_async().await;
    let limited = server.get_access_request_config(|_, then| {
        then.into_inner()
            .status(429)
            .header("Retry-After", "1")
            .header("content-type", "application/json")
            .body(r#"{"message":"Rate Limit Exceeded"}"#)
            .up_to_n_times(1);
    });
    let ok = server.get_access_request_config(|_, then| {
        then.ok(&AccessRequestConfig::default());
    });
    let started = Instant::now();
    static_client(&server, fast_retry())
        .access_request_config()
        .get()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    limited.assert_calls(1);
    ok.assert_calls(1);
}

/// A `Retry-After` beyond the cap fails fast with the server's figure, instead
/// of sleeping the cap and retrying early into another 429; a caller who
/// allows it waits the whole figure out.
#[tokio::test]
async fn retry_after_beyond_the_cap_fails_fast_or_is_waited_out() {
    let server = MockServer::start_async().await;
    let limited = server.get_access_request_config(|_, then| {
        then.into_inner()
            .status(429)
            .header("Retry-After", "3600")
            .body(r#"{"message":"slow down"}"#)
            .up_to_n_times(1);
    });
    let ok = server.get_access_request_config(|_, then| {
        then.ok(&AccessRequestConfig::default());
    });
    let policy = fast_retry().with_max_retry_after(Duration::from_millis(50));
    let started = Instant::now();
    let err = static_client(&server, policy)
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(err.attempts(), Some(1));
    limited.assert_calls(1);
    ok.assert_calls(0);

    let server = MockServer::start_async().await;
    let limited = server.get_access_request_config(|_, then| {
        then.into_inner()
            .status(429)
            .header("Retry-After", "1")
            .body(r#"{"message":"slow down"}"#)
            .up_to_n_times(1);
    });
    let ok = server.get_access_request_config(|_, then| {
        then.ok(&AccessRequestConfig::default());
    });
    let policy = fast_retry()
        .with_max_retry_after(Duration::from_millis(50))
        .wait_out_long_retry_after(true);
    let started = Instant::now();
    static_client(&server, policy)
        .access_request_config()
        .get()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    limited.assert_calls(1);
    ok.assert_calls(1);
}

#[tokio::test]
async fn create_is_not_replayed_after_a_500_or_a_503() {
    for status in [500, 503] {
        let server = MockServer::start_async().await;
        let mock = server.create_access_request(|_, then| {
            then.into_inner().status(status).body("{}");
        });
        let err = grant_role(&static_client(&server, fast_retry()), "a", "r")
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        mock.assert_calls(1);
    }
}

#[tokio::test]
async fn create_is_retried_after_a_429() {
    let server = MockServer::start_async().await;
    let limited = server.create_access_request(|_, then| {
        then.into_inner()
            .status(429)
            .header("Retry-After", "0")
            .body(r#"{"message":"slow down"}"#)
            .up_to_n_times(1);
    });
    let ok = server.create_access_request(|_, then| {
        then.accepted(&Default::default());
    });
    grant_role(&static_client(&server, fast_retry()), "a", "r")
        .await
        .unwrap();
    limited.assert_calls(1);
    ok.assert_calls(1);
}

#[tokio::test]
async fn create_is_retried_when_the_connection_is_refused() {
    // Bind and drop a listener to get a loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .rate_limit(None)
        .base_url(format!("http://127.0.0.1:{port}"))
        .access_token(TOKEN)
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = grant_role(&client, "a", "r").await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Transport(TransportKind::Connect)) && err.before_send(),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn cancel_is_replayed_after_a_503() {
    let server = MockServer::start_async().await;
    let failing = server.cancel_access_request(|_, then| {
        then.into_inner()
            .status(503)
            .body("unavailable")
            .up_to_n_times(1);
    });
    let ok = server.cancel_access_request(|_, then| {
        then.accepted(&serde_json::Map::new());
    });
    static_client(&server, fast_retry())
        .access_requests()
        .cancel("act", "why")
        .send()
        .await
        .unwrap();
    failing.assert_calls(1);
    ok.assert_calls(1);
}

#[tokio::test]
async fn reads_are_retried_on_502_and_504_up_to_max_attempts() {
    let server = MockServer::start_async().await;
    let failing = server.get_access_request_config(|_, then| {
        then.into_inner().status(502).up_to_n_times(1);
    });
    let failing2 = server.get_access_request_config(|_, then| {
        then.into_inner().status(504).up_to_n_times(1);
    });
    let ok = server.get_access_request_config(|_, then| {
        then.ok(&AccessRequestConfig::default());
    });
    static_client(&server, fast_retry())
        .access_request_config()
        .get()
        .await
        .unwrap();
    failing.assert_calls(1);
    failing2.assert_calls(1);
    ok.assert_calls(1);

    let server = MockServer::start_async().await;
    let always = server.get_access_request_config(|_, then| {
        then.into_inner().status(503);
    });
    let err = static_client(&server, fast_retry())
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    always.assert_calls(3);
}

#[tokio::test]
async fn attempt_timeout_is_a_timeout_and_is_retried_for_reads() {
    let server = MockServer::start_async().await;
    let slow = server.get_access_request_config(|_, then| {
        then.into_inner()
            .status(200)
            .delay(Duration::from_millis(400))
            .body("{}");
    });
    let client = Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(TOKEN)
        .retry(fast_retry().with_max_attempts(2))
        .attempt_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = client.access_request_config().get().await.unwrap_err();
    assert!(
        err.kind() == ErrorKind::Timeout(TimeoutPhase::Attempt),
        "{err:?}"
    );
    assert!(err.is_retryable());
    slow.assert_calls(2);
}

#[tokio::test]
async fn total_timeout_bounds_the_whole_call() {
    let server = MockServer::start_async().await;
    server.get_access_request_config(|_, then| {
        then.into_inner().status(503);
    });
    let client = Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(TOKEN)
        .retry(
            RetryPolicy::standard()
                .with_max_attempts(100)
                .with_backoff(Duration::from_millis(50), Duration::from_millis(50)),
        )
        .total_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.access_request_config().get().await.unwrap_err();
    assert!(
        err.kind() == ErrorKind::Timeout(TimeoutPhase::Total),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn decode_errors_carry_status_path_and_excerpt() {
    let server = MockServer::start_async().await;
    server.list_access_request_status(|_, then| {
        then.into_inner()
            .status(200)
            .header("content-type", "application/json")
            .body(r#"[{"name":"ok"},{"name":"bad","created":"yesterday"}]"#);
    });
    let err = static_client(&server, RetryPolicy::disabled())
        .statuses()
        .page()
        .await
        .unwrap_err();
    let Some(d) = err.decode() else {
        panic!("{err:?}")
    };
    assert_eq!(d.status, Some(200));
    assert_eq!(d.path, "[1].created");
    assert!(d.body_excerpt.starts_with(r#"[{"name":"ok"}"#), "{d:?}");
    assert!(
        err.to_string().starts_with(
            "list_access_request_status: cannot decode response (status 200) at [1].created"
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
}

/// Gateways answer documented statuses with bodies the generated code cannot
/// decode (HTML, empty); the status still decides the error kind, so a 429 is
/// rate limiting with its `Retry-After` and a 401 is unauthorized.
#[tokio::test]
async fn undecodable_bodies_keep_their_status_meaning() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.path("/v3/access-request-config");
        then.status(429)
            .header("content-type", "text/html")
            .header("retry-after", "3")
            .body("<html><body>Too many</body></html>");
    });
    let err = static_client(&server, RetryPolicy::disabled())
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    mock.assert_calls(1);
    assert!(
        err.kind() == ErrorKind::RateLimited && err.retry_after() == Some(Duration::from_secs(3)),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(429));

    let server = MockServer::start_async().await;
    let err = get_config_error(&server, 500, "").await;
    assert_eq!(err.status(), Some(500), "{err:?}");

    let server = MockServer::start_async().await;
    let err = get_config_error(&server, 200, "<html>login page</html>").await;
    assert!(
        err.decode().is_some_and(|d| d.status == Some(200)),
        "{err:?}"
    );
}

/// A paced client (the default pacing is on) answered 429 with any
/// `Retry-After`, however large, neither panics nor stalls the family's
/// lane: the pause is capped like the sleep, and the next call goes out.
#[tokio::test]
async fn no_retry_after_value_panics_or_stalls_the_lane() {
    for retry_after in [
        "18446744073709551615",
        "9223372036854775807",
        "1e19",
        "99999999",
    ] {
        let server = MockServer::start_async().await;
        let limited = server.get_access_request_config(|_, then| {
            then.into_inner()
                .status(429)
                .header("Retry-After", retry_after)
                .body(r#"{"message":"slow down"}"#)
                .up_to_n_times(1);
        });
        let ok = server.get_access_request_config(|_, then| {
            then.ok(&AccessRequestConfig::default());
        });
        let client = Client::builder()
            .base_url(server.base_url())
            .access_token(TOKEN)
            .retry(fast_retry().with_max_retry_after(Duration::from_millis(100)))
            .total_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let err = client.access_request_config().get().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{retry_after}");
        let started = Instant::now();
        client
            .access_request_config()
            .get()
            .await
            .unwrap_or_else(|e| panic!("Retry-After {retry_after} stalled the lane: {e}"));
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "Retry-After {retry_after}: the next call waited {:?}",
            started.elapsed()
        );
        limited.assert_calls(1);
        ok.assert_calls(1);
    }
}

/// The token endpoint's 429 with an enormous `Retry-After` is an error, not a panic.
#[tokio::test]
async fn token_endpoint_429_with_any_retry_after_is_an_error() {
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.path("/oauth/token");
        then.status(429)
            .header("Retry-After", "18446744073709551615")
            .body(r#"{"message":"slow down"}"#);
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(fast_retry())
        .total_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = client.access_request_config().get().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert!(err.before_send(), "the API request never left: {err:?}");
}

/// A call that times out while queued in the pacer never left the client:
/// its error says so, so a bulk journal can send it again safely.
#[tokio::test]
async fn a_call_that_times_out_in_the_pacer_is_before_send() {
    let server = MockServer::start_async().await;
    let ok = server.get_access_request_config(|_, then| {
        then.ok(&AccessRequestConfig::default());
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .access_token(TOKEN)
        .rate_limit(Some(sailpoint_access::RateLimit::new(
            1,
            Duration::from_secs(30),
        )))
        .total_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    client.access_request_config().get().await.unwrap();
    let err = client.access_request_config().get().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Total));
    assert!(err.before_send(), "{err:?}");
    ok.assert_calls(1);
}

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

    // A first attempt answered "already cancelled" is that outcome, typed
    // (issue 20), and says that nothing was replayed.
    let again = client
        .access_requests()
        .cancel(&activity, "again")
        .send()
        .await
        .unwrap();
    assert!(again.was_already_cancelled());
    assert!(!again.was_replayed());
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

/// A cancel of an item already cancelled is an outcome, not an error
/// (`was_already_cancelled`); a cancel of a completed item stays an error.
#[tokio::test]
async fn an_already_cancelled_item_is_a_typed_outcome() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, RetryPolicy::disabled());
    client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("role-1")
        .role("role-2")
        .send()
        .await
        .unwrap();
    let statuses = sandbox.statuses();
    let first = statuses[0].account_activity_item_id.clone().unwrap();
    let cancelled = client
        .access_requests()
        .cancel(&first, "not needed")
        .send()
        .await
        .unwrap();
    assert!(!cancelled.was_already_cancelled() && !cancelled.was_replayed());
    let again = client
        .access_requests()
        .cancel(&first, "not needed")
        .send()
        .await
        .unwrap();
    assert!(again.was_already_cancelled());
    assert!(!again.was_replayed());

    sandbox.approve_all_pending();
    sandbox.provision_all_approved();
    let second = statuses[1].account_activity_item_id.clone().unwrap();
    let err = client
        .access_requests()
        .cancel(&second, "too late")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClientError, "{err}");
}
