//! Bounded in time and memory against any server: trickled heads and bodies,
//! stalls, endless and oversized bodies, numeric extremes, echoed
//! credentials, zero-lifetime tokens, and pages that contradict each other.
//! Each case prints a `FIGURES` line with the bound it measured.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::hostile::{self, chunked_head, json, json_head, Reply};
use common::*;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use sailpoint_access::types::AccessRequestConfig;
use sailpoint_access::{Client, Error, ErrorKind, Item, RetryPolicy, TimeoutPhase, TransportKind};
use serde_json::json;

const ATTEMPT: Duration = Duration::from_millis(300);
/// Scheduling slack on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(700);

fn token_client(base: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .rate_limit(None)
        .base_url(base)
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(retry)
        .attempt_timeout(ATTEMPT)
        .build()
        .unwrap()
}

fn static_token_client(base: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .rate_limit(None)
        .base_url(base)
        .access_token(TOKEN)
        .retry(retry)
        .attempt_timeout(ATTEMPT)
        .build()
        .unwrap()
}

/// One call of each of the five operations.
async fn call(client: &Client, op: usize) -> Result<(), Error> {
    match op {
        0 => client.access_request_config().get().await.map(|_| ()),
        1 => client
            .access_request_config()
            .set(AccessRequestConfig::default())
            .await
            .map(|_| ()),
        2 => client.statuses().limit(10).page().await.map(|_| ()),
        3 => client
            .access_requests()
            .grant()
            .for_identity("a")
            .item(Item::role("r"))
            .send()
            .await
            .map(|_| ()),
        _ => client
            .access_requests()
            .cancel("act", "why")
            .send()
            .await
            .map(|_| ()),
    }
}

const OPS: [&str; 5] = ["get config", "set config", "list", "create", "cancel"];

#[tokio::test]
async fn trickled_heads_bodies_and_stalls_end_within_the_attempt_timeout_on_every_route() {
    let gap = Duration::from_millis(40);
    let cases: Vec<(&str, Reply)> = vec![
        (
            "trickled head",
            Reply::Trickle {
                head: json_head(200, 2),
                body: b"{}".to_vec(),
                gap,
            },
        ),
        (
            "trickled body",
            Reply::Trickle {
                head: String::new(),
                body: format!("{}{}", json_head(200, 40), " ".repeat(38) + "{}").into_bytes(),
                gap,
            },
        ),
        (
            "trickled 503 body",
            Reply::Trickle {
                head: String::new(),
                body: format!("{}{}", json_head(503, 40), "x".repeat(40)).into_bytes(),
                gap,
            },
        ),
        ("stall", Reply::Stall),
    ];
    let mut worst = Duration::ZERO;
    for (name, reply) in cases {
        // The API routes, with a static token.
        let server = hostile::start({
            let reply = reply.clone();
            move |_| reply.clone()
        })
        .await;
        let client = static_token_client(&server.base_url, RetryPolicy::disabled());
        for (op, label) in OPS.iter().enumerate() {
            let started = Instant::now();
            let err = call(&client, op).await.unwrap_err();
            let took = started.elapsed();
            worst = worst.max(took);
            assert_eq!(
                err.kind(),
                ErrorKind::Timeout(TimeoutPhase::Attempt),
                "{name} {label}: {err}"
            );
            assert!(took < ATTEMPT + MARGIN, "{name} {label}: {took:?}");
        }
        // The token endpoint, the same way.
        let server = hostile::start({
            let reply = reply.clone();
            move |line| {
                if line.contains("/oauth/token") {
                    reply.clone()
                } else {
                    json(200, "{}")
                }
            }
        })
        .await;
        let client = token_client(&server.base_url, RetryPolicy::disabled());
        let started = Instant::now();
        let err = client.access_request_config().get().await.unwrap_err();
        let took = started.elapsed();
        worst = worst.max(took);
        assert_eq!(
            err.kind(),
            ErrorKind::Timeout(TimeoutPhase::Attempt),
            "{name} token: {err}"
        );
        assert!(took < ATTEMPT + MARGIN, "{name} token: {took:?}");
    }
    eprintln!(
        "FIGURES hardening-trickle: attempt_timeout_ms={} worst_ms={}",
        ATTEMPT.as_millis(),
        worst.as_millis()
    );
}

#[tokio::test]
async fn with_retries_every_call_ends_within_the_total_timeout() {
    let server = hostile::start(|_| Reply::Stall).await;
    let total = Duration::from_millis(800);
    let client = Client::builder()
        .rate_limit(None)
        .base_url(&server.base_url)
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(quick_retry(10))
        .attempt_timeout(ATTEMPT)
        .total_timeout(total)
        .build()
        .unwrap();
    for (op, label) in OPS.iter().enumerate() {
        let started = Instant::now();
        let err = call(&client, op).await.unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(err.kind(), ErrorKind::Timeout(_)),
            "{label}: {err}"
        );
        assert!(took < total + MARGIN, "{label}: {took:?}");
    }
    eprintln!(
        "FIGURES hardening-total: total_ms={} requests={}",
        total.as_millis(),
        server.requests.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn the_default_total_deadline_is_sixty_seconds() {
    // Documented worst case; checked through Debug, since waiting a minute is no test.
    let client = Client::builder()
        .rate_limit(None)
        .base_url("https://acme.api.identitynow.com")
        .access_token(TOKEN)
        .build()
        .unwrap();
    let text = format!("{client:?}");
    assert!(text.contains("total: Some(60s)"), "{text}");
}

#[tokio::test]
async fn oversized_and_endless_bodies_are_cut_at_the_cap() {
    let filler = vec![b' '; 64 * 1024];
    let server = hostile::start(move |line| {
        if line.starts_with("GET /v3/access-request-status") {
            Reply::Endless {
                head: chunked_head(200),
                chunk: filler.clone(),
            }
        } else if line.starts_with("GET /v3/access-request-config") {
            // Declares 2 GB: refused before reading.
            Reply::Now(json_head(200, 2_000_000_000).into_bytes())
        } else {
            Reply::Endless {
                head: chunked_head(503),
                chunk: filler.clone(),
            }
        }
    })
    .await;
    let cap = 1 << 20;
    let client = Client::builder()
        .rate_limit(None)
        .base_url(&server.base_url)
        .access_token(TOKEN)
        .retry(quick_retry(3))
        .max_response_bytes(cap)
        .max_status_bytes(4096)
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = client.statuses().limit(10).page().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    let page_cap = cap + 10 * 4096;
    assert_eq!(err.size_limit(), Some(page_cap));
    assert_eq!(err.operation(), Some("list_access_request_status"));
    assert!(err.to_string().contains(&page_cap.to_string()), "{err}");
    let err = client.access_request_config().get().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    assert_eq!(err.size_limit(), Some(cap));
    // An endless 503 is read up to the cap on each of its 3 attempts, then reported.
    let before = server.requests.load(Ordering::Relaxed);
    let err = client
        .access_request_config()
        .set(AccessRequestConfig::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(server.requests.load(Ordering::Relaxed) - before, 3);
    eprintln!(
        "FIGURES hardening-size: cap={cap} page_cap={page_cap} server_bytes_sent={}",
        server.bytes_sent.load(Ordering::Relaxed)
    );
}

#[tokio::test]
async fn no_numeric_value_in_a_response_panics_the_client() {
    for expires_in in [
        json!(u64::MAX),
        json!(i64::MAX),
        json!(1e308),
        json!(-1),
        json!(0),
        json!(0.5),
        json!(null),
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200)
                .json_body(json!({"access_token": TOKEN, "expires_in": expires_in}));
        });
        server.mock(|when, then| {
            when.method(GET).path("/v3/access-request-config");
            then.status(200).json_body(json!({}));
        });
        let result = client(&server).access_request_config().get().await;
        assert!(result.is_ok(), "expires_in {expires_in}: {result:?}");
    }
    for total in [
        "18446744073709551615",
        "99999999999999999999999",
        "-5",
        "1e9",
        "NaN",
        "",
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.method(GET).path("/v3/access-request-status");
            then.status(200)
                .header("x-total-count", total)
                .json_body(json!([{"accountActivityItemId": "a1"}]));
        });
        let result = static_client(&server, RetryPolicy::disabled())
            .statuses()
            .count(true)
            .collect(100)
            .await;
        assert_eq!(
            result.map(|v| v.len()).ok(),
            Some(1),
            "X-Total-Count {total}"
        );
    }
    for retry_after in [
        "1e30",
        "99999999999999999999",
        "-1",
        "NaN",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.method(GET).path("/v3/access-request-config");
            then.status(429)
                .header("retry-after", retry_after)
                .body("{}");
        });
        let err = static_client(&server, quick_retry(2))
            .access_request_config()
            .get()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited, "{retry_after}");
    }
}

#[tokio::test]
async fn echoed_credentials_never_reach_display_debug_or_logs() {
    let (capture, _guard) = Capture::install();
    let server = MockServer::start_async().await;
    let upper = TOKEN.to_ascii_uppercase();
    server.mock(|when, then| {
        when.method(GET).path("/v3/access-request-config");
        then.status(500).json_body(
            json!({"messages": [{"text": format!("bad header Authorization: Bearer {TOKEN}")}]}),
        );
    });
    server.mock(|when, then| {
        when.method(GET).path("/v3/access-request-status");
        then.status(429)
            .json_body(json!({"message": format!("slow down {upper}")}));
    });
    server.mock(|when, then| {
        when.method(POST).path("/v3/access-requests/cancel");
        then.status(502)
            .body(format!("<html>upstream said Bearer {TOKEN}</html>"));
    });
    server.mock(|when, then| {
        when.method(POST).path("/v3/access-requests");
        then.status(401)
            .json_body(json!({"error": format!("token {TOKEN} expired")}));
    });
    let client = static_client(&server, quick_retry(2));
    let mut texts = Vec::new();
    for op in [0, 2, 3, 4] {
        let err = call(&client, op).await.unwrap_err();
        texts.push(format!("{err} {err:?}"));
    }
    // The token endpoint echoing the form, URL-encoded and upper-cased.
    let token_server = MockServer::start_async().await;
    // Every byte but letters and digits percent-encoded, as some servers echo it.
    let encoded: String = CLIENT_SECRET.replace('-', "%2D").to_ascii_uppercase();
    token_server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(400).json_body(json!({
            "error": "invalid_client",
            "error_description": format!("client_secret={encoded} or {} refused", CLIENT_SECRET.to_ascii_uppercase())
        }));
    });
    let err = client_with(&token_server, RetryPolicy::disabled())
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidCredentials);
    texts.push(format!("{err} {err:?}"));
    texts.push(capture.text());
    for text in &texts {
        let lower = text.to_ascii_lowercase();
        assert!(
            !lower.contains(&TOKEN.to_ascii_lowercase()),
            "token leaked: {text}"
        );
        assert!(
            !lower.contains(&CLIENT_SECRET.to_ascii_lowercase()),
            "secret leaked: {text}"
        );
        assert!(!lower.contains("9f8e7d6c5b4a"), "secret leaked: {text}");
    }
    assert!(texts[0].contains("<redacted>"), "{}", texts[0]);
}

#[tokio::test]
async fn tokens_without_a_lifetime_are_still_shared() {
    for expires_in in [json!(0), json!(null)] {
        let server = MockServer::start_async().await;
        let token = server.mock(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200)
                .delay(Duration::from_millis(100))
                .json_body(json!({"access_token": TOKEN, "expires_in": expires_in}));
        });
        server.mock(|when, then| {
            when.method(GET).path("/v3/access-request-config");
            then.status(200).json_body(json!({}));
        });
        let client = client(&server);
        let calls: Vec<_> = (0..20)
            .map(|_| tokio::spawn(client.access_request_config().get()))
            .collect();
        for c in calls {
            c.await.unwrap().unwrap();
        }
        let fetched = token.calls();
        assert!(
            fetched <= 2,
            "expires_in {expires_in}: {fetched} token requests for 20 concurrent calls"
        );
        eprintln!("FIGURES hardening-zero-lifetime: expires_in={expires_in} concurrent_calls=20 token_requests={fetched}");
    }
}

#[tokio::test]
async fn paging_refuses_ignored_offsets_oversized_pages_and_contradicted_totals() {
    // Ignores offset: the same full page for every request.
    let server = MockServer::start_async().await;
    let page: Vec<_> = (0..250)
        .map(|i| json!({"accountActivityItemId": format!("a{i}")}))
        .collect();
    let list = server.mock(|when, then| {
        when.method(GET).path("/v3/access-request-status");
        then.status(200).json_body(json!(page));
    });
    let client = static_client(&server, RetryPolicy::disabled());
    let started = Instant::now();
    let err = client.statuses().collect(1_000_000).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Paging, "{err}");
    assert!(err.to_string().contains("does not honour offset"), "{err}");
    assert_eq!(list.calls(), 2, "found out on the second page");
    // The waiter hits the same wall instead of polling for ever.
    let err = client
        .wait_until_done(["req-1"])
        .deadline(Duration::from_secs(5))
        .wait()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Paging, "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        list.calls(),
        4,
        "two pages for the walk, two for the waiter's poll"
    );

    // A page larger than its limit.
    let server = MockServer::start_async().await;
    let big: Vec<_> = (0..11)
        .map(|i| json!({"accountActivityItemId": format!("b{i}")}))
        .collect();
    server.mock(|when, then| {
        when.method(GET).path("/v3/access-request-status");
        then.status(200).json_body(json!(big));
    });
    let err = static_client(&server, RetryPolicy::disabled())
        .statuses()
        .limit(10)
        .collect(100)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Paging);
    assert!(err.to_string().contains("more than its limit"), "{err}");

    // The offset quirk while X-Total-Count says more remain: 15 of 35 read.
    let server = MockServer::start_async().await;
    for (offset, items) in [(0, 0..5), (5, 5..10), (10, 10..15)] {
        let page: Vec<_> = items
            .map(|i| json!({"accountActivityItemId": format!("c{i}")}))
            .collect();
        server.mock(|when, then| {
            when.method(GET)
                .path("/v3/access-request-status")
                .query_param("offset", offset.to_string());
            then.status(200)
                .header("x-total-count", "35")
                .json_body(json!(page));
        });
    }
    server.mock(|when, then| {
        when.method(GET)
            .path("/v3/access-request-status")
            .query_param("offset", "15");
        then.status(400)
            .json_body(json!({"messages": [{"text": "Specified offset is invalid."}]}));
    });
    let err = static_client(&server, RetryPolicy::disabled())
        .statuses()
        .limit(5)
        .count(true)
        .collect(100)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Paging);
    assert!(
        err.to_string()
            .contains("announced 35 items and 15 arrived"),
        "{err}"
    );
}

#[tokio::test]
async fn the_waiter_keeps_its_deadline_against_a_stalled_list() {
    let server = hostile::start(|_| Reply::Stall).await;
    let client = Client::builder()
        .rate_limit(None)
        .base_url(&server.base_url)
        .access_token(TOKEN)
        .attempt_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let deadline = Duration::from_millis(400);
    let started = Instant::now();
    let err = client
        .wait_until_done(["req-1"])
        .deadline(deadline)
        .wait()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutPhase::Wait), "{err}");
    assert!(took < deadline + MARGIN, "{took:?}");
    eprintln!(
        "FIGURES hardening-wait: deadline_ms={} took_ms={}",
        deadline.as_millis(),
        took.as_millis()
    );
}

/// An `https://` base URL whose server does not speak TLS, or stops in the
/// middle of the handshake: a TLS transport error before anything was sent,
/// or a timeout within the attempt bound; never a hang or a panic.
#[tokio::test]
async fn a_failed_or_stalled_tls_handshake_is_a_bounded_transport_error() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_addr = plain.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = plain.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 512];
                let _ = socket.read(&mut hello).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    let client = static_token_client(&format!("https://{plain_addr}"), RetryPolicy::disabled());
    let err = client.access_request_config().get().await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Transport(TransportKind::Tls),
        "{err:?}"
    );
    assert!(err.before_send(), "{err:?}");

    // Accepts, reads the ClientHello and never answers: held until the test ends.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = silent.accept().await {
            let mut hello = [0u8; 512];
            let _ = socket.read(&mut hello).await;
            held.push(socket);
        }
    });
    let client = static_token_client(&format!("https://{silent_addr}"), RetryPolicy::disabled());
    let started = Instant::now();
    let err = client.access_request_config().get().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err.kind(), ErrorKind::Timeout(_)),
        "a stalled handshake must time out, got {err:?}"
    );
    assert!(
        took < ATTEMPT + MARGIN,
        "the stalled handshake took {took:?}, bound {ATTEMPT:?}"
    );
}

/// `expires_in` as a numeric string is read as the number it holds; a body
/// that is not an object, or has no `access_token`, is never taken for a
/// token, and the error names the endpoint without quoting the body.
#[tokio::test]
async fn token_responses_are_read_leniently_where_clear_and_strictly_elsewhere() {
    let server = MockServer::start_async().await;
    let token = server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200)
            .json_body(json!({"access_token": TOKEN, "expires_in": "3600"}));
    });
    server.mock(|when, then| {
        when.method(GET).path("/v3/access-request-config");
        then.status(200).json_body(json!({}));
    });
    let c = client(&server);
    c.access_request_config().get().await.unwrap();
    c.access_request_config().get().await.unwrap();
    token.assert_calls(1);

    for body in [
        json!([TOKEN]),
        json!({"token": TOKEN}),
        json!({"access_token": TOKEN, "expires_in": "soon"}),
        json!(TOKEN),
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(200).json_body(body.clone());
        });
        let api = server.mock(|when, then| {
            when.method(GET).path("/v3/access-request-config");
            then.status(200).json_body(json!({}));
        });
        let err = client(&server)
            .access_request_config()
            .get()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode, "{body}: {err}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("token"), "{text}");
        assert!(!text.contains(TOKEN), "the body is quoted: {text}");
        api.assert_calls(0);
    }
}
