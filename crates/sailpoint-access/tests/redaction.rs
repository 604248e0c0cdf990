//! The client secret and tokens never show in Debug, Display, errors or logs.

mod common;

use common::*;
use httpmock::{Method::POST, MockServer};
use sailpoint_access::types::{AccessRequestConfig, ErrorResponse};
use sailpoint_access::{Client, RetryPolicy};
use sailpoint_access_httpmock::MockServerExt;

fn assert_clean(text: &str, what: &str) {
    for secret in [CLIENT_SECRET, TOKEN] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

#[tokio::test]
async fn nothing_secret_in_logs_at_any_level_nor_in_debug_or_errors() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    server.get_access_request_config(|_, then| {
        then.ok(&AccessRequestConfig::default());
    });
    server.set_access_request_config(|_, then| {
        then.into_inner()
            .status(401)
            .body(r#"{"error":"bad token"}"#);
    });
    server.create_access_request(|_, then| {
        then.bad_request(&ErrorResponse {
            detail_code: Some("400".into()),
            ..Default::default()
        });
    });
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = client_with(&server, RetryPolicy::disabled());
    assert_clean(&format!("{client:?}"), "Client debug");
    client.access_request_config().get().await.unwrap();
    let err = client
        .access_request_config()
        .set(AccessRequestConfig::default())
        .await
        .unwrap_err();
    assert_clean(&format!("{err} {err:?}"), "401 error");
    let err = client
        .access_requests()
        .grant()
        .for_identity("a")
        .role("r")
        .send()
        .await
        .unwrap_err();
    assert_clean(&format!("{err} {err:?}"), "400 error");

    // A failing token endpoint that echoes the form must not leak through the error either.
    let other = MockServer::start_async().await;
    other.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(500)
            .body(format!("oops client_secret={CLIENT_SECRET}"));
    });
    let err = client_with(&other, RetryPolicy::disabled())
        .access_request_config()
        .get()
        .await;
    let err = err.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_clean(&format!("{err} {err:?}"), "token endpoint error");

    let logs = capture.text();
    assert!(
        logs.contains("operation=\"get_access_request_config\""),
        "spans are logged: {logs}"
    );
    assert!(logs.contains("status=200"), "{logs}");
    assert_clean(&logs, "tracing output");

    let builder = Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .client_credentials(CLIENT_ID, CLIENT_SECRET);
    assert_clean(&format!("{builder:?}"), "builder debug");
    let builder = Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(TOKEN);
    assert_clean(&format!("{builder:?}"), "builder debug");
}

/// A proxy that echoes the `Authorization` header into the deprecation
/// headers: the warning, the notices kept by `deprecations()` and their
/// lengths stay clean and bounded.
#[tokio::test]
async fn echoed_credentials_in_deprecation_headers_are_scrubbed_and_bounded() {
    let (capture, _guard) = Capture::install();
    let server = MockServer::start_async().await;
    let echoed = format!("Bearer {TOKEN}");
    let long_tail = "x".repeat(5000);
    server.mock(|when, then| {
        when.path("/v3/access-request-config");
        then.status(200)
            .header("content-type", "application/json")
            .header("Deprecation", &echoed)
            .header("Sunset", format!("{echoed} {long_tail}"))
            .header(
                "Link",
                format!("<https://proxy.example/?auth={TOKEN}>; rel=\"deprecation\""),
            )
            .body(serde_json::to_string(&AccessRequestConfig::default()).unwrap());
    });
    let client = static_client(&server, RetryPolicy::disabled());
    client.access_request_config().get().await.unwrap();
    let logs = capture.text();
    assert!(
        logs.contains("deprecated"),
        "the notice is still logged: {logs}"
    );
    assert_clean(&logs, "the deprecation warning");
    let notices = client.deprecations();
    assert_eq!(notices.len(), 1);
    let (_, notice) = &notices[0];
    let kept = format!("{notice:?}");
    assert_clean(&kept, "deprecations()");
    assert!(kept.contains("<redacted>"), "{kept}");
    for text in [&notice.deprecation, &notice.sunset, &notice.link] {
        let text = text.as_deref().unwrap_or("");
        assert!(
            text.chars().count() <= 201,
            "{} characters kept",
            text.len()
        );
    }
}
