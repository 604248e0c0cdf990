//! Token handling: cached, refreshed before expiry, once on 401, shared under concurrency.

use sailpoint_access::ErrorKind;
use std::time::Duration;

use crate::common::*;
use httpmock::{Method::POST, MockServer};
use sailpoint_access::types::{AccessRequestConfig, ErrorResponse};

use sailpoint_access_httpmock::MockServerExt;

fn config_ok<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    server.get_access_request_config(|when, then| {
        when.into_inner()
            .header("authorization", format!("Bearer {token}"));
        then.ok(&AccessRequestConfig::default());
    })
}

#[tokio::test]
async fn token_is_fetched_once_and_reused() {
    let server = MockServer::start_async().await;
    let token = mock_token(&server, TOKEN, 3600);
    let api = config_ok(&server, TOKEN);
    let client = client(&server);
    for _ in 0..5 {
        client.access_request_config().get().await.unwrap();
    }
    // Clones share the cache.
    client.clone().access_request_config().get().await.unwrap();
    token.assert_calls(1);
    api.assert_calls(6);
}

#[tokio::test]
async fn token_is_refreshed_before_it_expires() {
    let server = MockServer::start_async().await;
    // A 1 s token is replaced after 0.8 s (a fifth of its life as skew).
    let token = mock_token(&server, TOKEN, 1);
    let api = config_ok(&server, TOKEN);
    let client = client(&server);
    client.access_request_config().get().await.unwrap();
    client.access_request_config().get().await.unwrap();
    token.assert_calls(1);
    tokio::time::sleep(Duration::from_millis(850)).await;
    client.access_request_config().get().await.unwrap();
    token.assert_calls(2);
    api.assert_calls(3);
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_replays_once() {
    let server = MockServer::start_async().await;
    let first = server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200)
            .json_body(serde_json::json!({"access_token": "old-token", "expires_in": 3600}))
            .up_to_n_times(1);
    });
    let second = mock_token(&server, TOKEN, 3600);
    let rejected = server.get_access_request_config(|when, then| {
        when.into_inner()
            .header("authorization", "Bearer old-token");
        then.unauthorized(&ErrorResponse {
            error: Some("JWT is expired".into()),
            ..Default::default()
        });
    });
    let api = config_ok(&server, TOKEN);
    client(&server).access_request_config().get().await.unwrap();
    first.assert_calls(1);
    second.assert_calls(1);
    rejected.assert_calls(1);
    api.assert_calls(1);
}

#[tokio::test]
async fn a_second_401_is_returned_without_looping() {
    let server = MockServer::start_async().await;
    let token = mock_token(&server, TOKEN, 3600);
    let rejected = server.create_access_request(|_, then| {
        then.unauthorized(&ErrorResponse {
            error: Some("nope".into()),
            ..Default::default()
        });
    });
    let err = grant_role(&client(&server), "a", "r").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unauthorized), "{err:?}");
    // The submission was replayed exactly once after the refresh: a 401 means it was not acted on.
    rejected.assert_calls(2);
    token.assert_calls(2);
}

#[tokio::test]
async fn a_static_token_is_not_refreshed() {
    let server = MockServer::start_async().await;
    let token = mock_token(&server, TOKEN, 3600);
    let rejected = server.get_access_request_config(|_, then| {
        then.unauthorized(&ErrorResponse::default());
    });
    let err = static_client(&server, fast_retry())
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Unauthorized));
    rejected.assert_calls(1);
    token.assert_calls(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_share_one_token_request() {
    let server = MockServer::start_async().await;
    let token = server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200)
            .delay(Duration::from_millis(150))
            .json_body(serde_json::json!({"access_token": TOKEN, "expires_in": 3600, "token_type": "bearer"}));
    });
    let api = config_ok(&server, TOKEN);
    let client = client(&server);
    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.access_request_config().get().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    token.assert_calls(1);
    api.assert_calls(50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_401s_cause_one_refresh() {
    let server = MockServer::start_async().await;
    let first = server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200)
            .json_body(serde_json::json!({"access_token": "old-token", "expires_in": 3600}))
            .up_to_n_times(1);
    });
    let second = mock_token(&server, TOKEN, 3600);
    let rejected = server.get_access_request_config(|when, then| {
        when.into_inner()
            .header("authorization", "Bearer old-token");
        then.into_inner()
            .status(401)
            .delay(Duration::from_millis(50))
            .body(r#"{"error":"expired"}"#);
    });
    let api = config_ok(&server, TOKEN);
    let client = client(&server);
    // All 50 get the first token, all are rejected, and only the first
    // invalidation counts: the rest find the refreshed token.
    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.access_request_config().get().await })
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    first.assert_calls(1);
    second.assert_calls(1);
    rejected.assert_calls(50);
    api.assert_calls(50);
}

#[tokio::test]
async fn token_endpoint_rejection_is_invalid_credentials_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let token = server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(401).json_body(
            serde_json::json!({"error": "invalid_client", "error_description": "Bad credentials"}),
        );
    });
    let api = config_ok(&server, TOKEN);
    let err = client(&server)
        .access_request_config()
        .get()
        .await
        .unwrap_err();
    // Bad credentials are told apart from an expired or rejected token.
    assert!(
        matches!(err.kind(), ErrorKind::InvalidCredentials),
        "{err:?}"
    );
    assert_eq!(err.operation(), Some("get_access_request_config"));
    assert!(err.to_string().contains("token request failed"), "{err}");
    assert!(err.to_string().contains("Bad credentials"), "{err}");
    token.assert_calls(1);
    api.assert_calls(0);
}

#[tokio::test]
async fn a_transient_token_failure_is_retried_even_for_submissions() {
    let server = MockServer::start_async().await;
    let failing = server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(503).up_to_n_times(1);
    });
    let token = mock_token(&server, TOKEN, 3600);
    let create = server.create_access_request(|when, then| {
        when.into_inner()
            .header("authorization", format!("Bearer {TOKEN}"));
        then.accepted(&Default::default());
    });
    grant_role(&client(&server), "a", "r").await.unwrap();
    failing.assert_calls(1);
    token.assert_calls(1);
    create.assert_calls(1);
}
