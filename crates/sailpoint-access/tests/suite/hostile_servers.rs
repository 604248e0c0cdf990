//! Hostile servers: every call ends, bounded in time and memory, and never
//! panics, whatever a server sends.
//!
//! - Bounds: trickled heads and bodies, stalls, endless and oversized
//!   bodies, numeric extremes, echoed credentials, zero-lifetime tokens and
//!   pages that contradict each other; each case prints a `FIGURES` line
//!   with the bound it measured.
//! - Bodies: hostile responses to every operation give either a correct
//!   parse or a decode error with the status, a JSON path and a short
//!   excerpt.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::common::hostile::{self, chunked_head, json, json_head, Reply};
use crate::common::*;
use httpmock::Method::{self, GET, POST};
use httpmock::MockServer;
use sailpoint_access::types::{AccessRequestConfig, RequestedItemState};
use sailpoint_access::{Client, Error, ErrorKind, RetryPolicy, TimeoutPhase, TransportKind};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    GetConfig,
    SetConfig,
    List,
    Create,
    Cancel,
}

const OPS: [Op; 5] = [
    Op::GetConfig,
    Op::SetConfig,
    Op::List,
    Op::Create,
    Op::Cancel,
];

impl Op {
    fn route(self) -> (Method, &'static str, u16) {
        match self {
            Op::GetConfig => (GET, "/v3/access-request-config", 200),
            Op::SetConfig => (Method::PUT, "/v3/access-request-config", 200),
            Op::List => (GET, "/v3/access-request-status", 200),
            Op::Create => (POST, "/v3/access-requests", 202),
            Op::Cancel => (POST, "/v3/access-requests/cancel", 202),
        }
    }

    /// A document of the operation's success shape with `inner` spliced in
    /// as the value of a string field the type has.
    fn with_string(self, inner: &str) -> String {
        match self {
            Op::GetConfig | Op::SetConfig => format!(
                r#"{{"approvalsMustBeExternal":false,"autoApprovalEnabled":true,"requestOnBehalfOfConfig":null,"futureSetting":"{inner}"}}"#
            ),
            Op::List => format!(r#"[{{"name":"{inner}","state":"EXECUTING"}}]"#),
            Op::Create => {
                format!(
                    r#"{{"newRequests":[{{"requestedFor":"{inner}","accessRequestIds":["x"]}}]}}"#
                )
            }
            Op::Cancel => format!(r#"{{"message":"{inner}"}}"#),
        }
    }
}

/// What one operation made of the response: `Ok(n)` with a size observed in
/// the parsed value, or the error.
async fn call(client: &Client, op: Op) -> Result<usize, Error> {
    match op {
        Op::GetConfig => client
            .access_request_config()
            .get()
            .await
            .map(|c| usize::from(c.auto_approval_enabled)),
        Op::SetConfig => client
            .access_request_config()
            .set(AccessRequestConfig::default())
            .await
            .map(|c| usize::from(c.auto_approval_enabled)),
        Op::List => client.statuses().page().await.map(|p| {
            p.items
                .first()
                .and_then(|s| s.name.as_ref())
                .map_or(0, String::len)
        }),
        Op::Create => grant_role(client, "a", "r").await.map(|r| {
            r.new_requests
                .first()
                .and_then(|n| n.requested_for.as_ref())
                .map_or(0, String::len)
        }),
        Op::Cancel => client
            .access_requests()
            .cancel("act", "why")
            .send()
            .await
            .map(|_| 0),
    }
}

/// Serves `body` with the operation's success status (or `status`) and returns
/// what the client made of it; the response is requested exactly once.
async fn serve(
    op: Op,
    status: Option<u16>,
    content_type: &str,
    body: Vec<u8>,
) -> Result<usize, Error> {
    let server = MockServer::start_async().await;
    let (method, path, success) = op.route();
    let mock = server.mock(|when, then| {
        when.method(method).path(path);
        then.status(status.unwrap_or(success))
            .header("content-type", content_type)
            .body(body);
    });
    let client = Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(TOKEN)
        .retry(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let result = call(&client, op).await;
    mock.assert_calls(1);
    result
}

/// A decode error that names the status, a path and a short excerpt, and
/// whose whole text stays short.
fn assert_decode_error(op: Op, case: &str, result: &Result<usize, Error>, status: u16) {
    let Err(err) = result else {
        panic!("{case} {op:?}: parsed as {result:?}");
    };
    let Some(d) = err.decode() else {
        panic!("{case} {op:?}: {err:?}");
    };
    assert_eq!(d.status, Some(status), "{case} {op:?}: {d:?}");
    assert!(!d.path.is_empty(), "{case} {op:?}");
    assert!(d.body_excerpt.chars().count() <= 201, "{case} {op:?}");
    let text = err.to_string();
    assert!(text.len() < 2_000, "{case} {op:?}: {} bytes", text.len());
    assert!(text.contains(&format!("status {status}")), "{text}");
    assert!(!err.is_retryable(), "{case} {op:?}");
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    for op in OPS {
        let full = op.with_string("value");
        let cut = full.as_bytes()[..full.len() - 7].to_vec();
        let result = serve(op, None, "application/json", cut).await;
        assert_decode_error(op, "truncated", &result, op.route().2);
    }
}

#[tokio::test]
async fn an_html_page_with_a_success_status_is_a_decode_error() {
    let html = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>login</body></html>";
    for op in OPS {
        let result = serve(op, None, "text/html", html.to_vec()).await;
        assert_decode_error(op, "html", &result, op.route().2);
        let Some(d) = result.as_ref().err().and_then(|e| e.decode()) else {
            unreachable!()
        };
        assert!(d.body_excerpt.starts_with("<!DOCTYPE html>"), "{d:?}");
        assert_eq!(d.path, ".", "{d:?}");
    }
}

#[tokio::test]
async fn a_wrong_content_type_with_a_valid_body_still_parses() {
    for op in OPS {
        for content_type in ["text/plain", "application/octet-stream", "application/xml"] {
            let body = op.with_string("v").into_bytes();
            let result = serve(op, None, content_type, body).await;
            assert!(result.is_ok(), "{op:?} {content_type}: {result:?}");
        }
    }
}

#[tokio::test]
async fn an_empty_body_is_a_decode_error_and_a_submission_is_not_replayed() {
    for op in OPS {
        let result = serve(op, None, "application/json", Vec::new()).await;
        assert_decode_error(op, "empty", &result, op.route().2);
    }
    // The 2024 service answered a submission with an empty object: that parses.
    let result = serve(Op::Create, None, "application/json", b"{}".to_vec()).await;
    assert_eq!(result.unwrap(), 0);
}

#[tokio::test]
async fn a_5_mb_string_field_parses_and_a_5_mb_bad_field_gives_a_short_error() {
    let big = "x".repeat(5 << 20);
    for op in OPS {
        let result = serve(
            op,
            None,
            "application/json",
            op.with_string(&big).into_bytes(),
        )
        .await;
        let n = result.unwrap_or_else(|e| panic!("{op:?}: {e}"));
        if matches!(op, Op::List | Op::Create) {
            assert_eq!(n, big.len(), "{op:?}");
        }
    }
    // The same string where a boolean belongs: serde quotes it in its message.
    let body = format!(r#"{{"approvalsMustBeExternal":"{big}"}}"#);
    for op in [Op::GetConfig, Op::SetConfig] {
        let result = serve(op, None, "application/json", body.clone().into_bytes()).await;
        assert_decode_error(op, "5 MB bad field", &result, 200);
        let Some(d) = result.as_ref().err().and_then(|e| e.decode()) else {
            unreachable!()
        };
        assert_eq!(d.path, "approvalsMustBeExternal");
    }
}

/// Either outcome is correct for hostile content the type does not keep
/// (an ignored unknown field is skipped unchecked); anything else fails.
fn assert_parsed_or_decode_error(op: Op, case: &str, result: &Result<usize, Error>) -> bool {
    match result {
        Ok(_) => true,
        Err(_) => {
            assert_decode_error(op, case, result, op.route().2);
            false
        }
    }
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    const DEPTH: usize = 100_000;
    let nested = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    for op in OPS {
        let body = match op {
            // Where the type keeps free-form JSON: serde_json's depth limit.
            Op::Cancel => format!(r#"{{"deep":{nested}}}"#),
            // Where a string map is expected.
            Op::List => format!(r#"[{{"name":"n","clientMetadata":{{"k":{nested}}}}}]"#),
            // As an unknown field, which is skipped.
            _ => format!(r#"{{"deep":{nested}}}"#),
        };
        let result = serve(op, None, "application/json", body.into_bytes()).await;
        let parsed = assert_parsed_or_decode_error(op, "nested", &result);
        if matches!(op, Op::Cancel | Op::List) {
            assert!(!parsed, "{op:?}");
        }
        if op == Op::Cancel {
            let Some(d) = result.as_ref().err().and_then(|e| e.decode()) else {
                unreachable!()
            };
            assert!(d.message.contains("recursion limit"), "{}", d.message);
        }
    }
}

#[tokio::test]
async fn invalid_utf8_is_a_decode_error_with_a_readable_excerpt() {
    for op in OPS {
        let mut body = op.with_string("AB").into_bytes();
        let at = body.windows(2).position(|w| w == b"AB").unwrap();
        body[at] = 0xff;
        body[at + 1] = 0xfe;
        let result = serve(op, None, "application/json", body).await;
        let parsed = assert_parsed_or_decode_error(op, "utf-8", &result);
        // Every document keeps the string (config documents in their
        // catch-all map of unknown properties), so each must refuse it.
        assert!(!parsed, "{op:?}");
        if let Some(d) = result.as_ref().err().and_then(|e| e.decode()) {
            assert!(d.body_excerpt.contains('\u{fffd}'), "{d:?}");
        }
    }
}

#[tokio::test]
async fn unknown_enum_values_and_properties_are_kept_or_ignored() {
    let body = r#"[{"name":"n","state":"QUANTUM_PENDING","type":"HOLOGRAM","requestType":"TELEPORT_ACCESS",
        "brandNewField":{"a":[1,2,3]},"approvalDetails":[{"status":"MAYBE","scheme":"ORACLE","newProp":1}]}]"#;
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.path("/v3/access-request-status");
        then.status(200)
            .header("content-type", "application/json")
            .body(body);
    });
    let client = Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(TOKEN)
        .build()
        .unwrap();
    let page = client.statuses().page().await.unwrap();
    let status = &page.items[0];
    assert_eq!(
        status.state,
        Some(RequestedItemState::Unknown("QUANTUM_PENDING".into()))
    );
    assert_eq!(
        serde_json::to_value(&status.type_).unwrap(),
        serde_json::json!("HOLOGRAM")
    );
    assert_eq!(status.approval_details.len(), 1);
    // Unknown fields of the other operations are ignored too.
    for op in [Op::GetConfig, Op::SetConfig, Op::Create, Op::Cancel] {
        let body = op
            .with_string("v")
            .replace('{', r#"{"zz_unknown":{"nested":[true]},"#);
        let result = serve(op, None, "application/json", body.into_bytes()).await;
        assert!(result.is_ok(), "{op:?}: {result:?}");
    }
}

/// Hostile error responses: HTML, huge bodies and unreadable `Retry-After`
/// still map to the status's error kind, briefly.
#[tokio::test]
async fn hostile_error_responses_keep_their_kind_and_stay_short() {
    let huge = format!("<html>{}</html>", "e".repeat(5 << 20));
    for op in OPS {
        for (status, body) in [
            (400u16, huge.as_str()),
            (503, "<html>oops</html>"),
            (404, "{"),
        ] {
            let result = serve(op, Some(status), "text/html", body.as_bytes().to_vec()).await;
            let err = result.unwrap_err();
            assert_eq!(err.status(), Some(status), "{op:?}: {err:?}");
            assert!(err.to_string().len() < 2_000, "{op:?}");
        }
    }
    for retry_after in [
        "soon",
        "-1",
        "1e30",
        "99999999999999999999",
        "NaN",
        "Wed, 99 Foo",
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.path("/v3/access-request-config");
            then.status(429)
                .header("retry-after", retry_after)
                .body("{}");
        });
        let client = Client::builder()
            .rate_limit(None)
            .base_url(server.base_url())
            .access_token(TOKEN)
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = client.access_request_config().get().await.unwrap_err();
        assert!(
            err.kind() == ErrorKind::RateLimited && err.retry_after().is_none(),
            "{retry_after}: {err:?}"
        );
    }
}

// Bounds in time and memory.

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
        for op in OPS {
            let label = format!("{op:?}");
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
    for op in OPS {
        let label = format!("{op:?}");
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
    for op in [Op::GetConfig, Op::List, Op::Create, Op::Cancel] {
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
