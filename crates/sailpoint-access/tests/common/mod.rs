//! Shared test setup: a mock tenant on loopback and clients pointed at it.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::time::Duration;

use httpmock::{Method::POST, Mock, MockServer};
use sailpoint_access::types::{AccessItemType, RequestedItemStatus};
use sailpoint_access::{Client, RetryConfig};
use serde_json::json;

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "sEcReT-9f8e7d6c5b4a";
pub const TOKEN: &str = "tok-1-aaaabbbbccccdddd";

/// Fast retries so that tests finish quickly.
pub fn fast_retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .with_max_retry_after(Duration::from_secs(2))
}

/// Answers the client-credentials form with `token`.
pub fn mock_token<'a>(server: &'a MockServer, token: &str, expires_in: u64) -> Mock<'a> {
    let body = json!({ "access_token": token, "expires_in": expires_in, "token_type": "bearer" });
    server.mock(|when, then| {
        when.method(POST)
            .path("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .form_urlencoded_tuple("grant_type", "client_credentials")
            .form_urlencoded_tuple("client_id", CLIENT_ID)
            .form_urlencoded_tuple("client_secret", CLIENT_SECRET);
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

/// A client using client credentials, with fast retries.
pub fn client(server: &MockServer) -> Client {
    client_with(server, fast_retry())
}

pub fn client_with(server: &MockServer, retry: RetryConfig) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(retry)
        .attempt_timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

/// A client with a static token and no retries, for status mapping tests.
pub fn static_client(server: &MockServer, retry: RetryConfig) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .access_token(TOKEN)
        .retry(retry)
        .build()
        .expect("client builds")
}

pub fn status(i: usize) -> RequestedItemStatus {
    RequestedItemStatus {
        name: Some(format!("item-{i}")),
        id: Some(format!("id-{i}")),
        type_: Some(AccessItemType::Role),
        ..Default::default()
    }
}

pub fn statuses(range: std::ops::Range<usize>) -> Vec<RequestedItemStatus> {
    range.map(status).collect()
}
