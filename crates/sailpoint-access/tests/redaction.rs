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
