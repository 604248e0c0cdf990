//! Hostile responses to every operation: never a panic; either a correct
//! parse or a decode error with the status, a JSON path and a short excerpt.

mod common;

use std::time::Duration;

use common::TOKEN;
use httpmock::{Method, MockServer};
use sailpoint_access::types::{AccessRequestConfig, RequestedItemState};
use sailpoint_access::{Client, Error, ErrorKind, RetryPolicy};

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
            Op::GetConfig => (Method::GET, "/v3/access-request-config", 200),
            Op::SetConfig => (Method::PUT, "/v3/access-request-config", 200),
            Op::List => (Method::GET, "/v3/access-request-status", 200),
            Op::Create => (Method::POST, "/v3/access-requests", 202),
            Op::Cancel => (Method::POST, "/v3/access-requests/cancel", 202),
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
        Op::Create => client
            .access_requests()
            .grant()
            .for_identity("a")
            .role("r")
            .send()
            .await
            .map(|r| {
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
