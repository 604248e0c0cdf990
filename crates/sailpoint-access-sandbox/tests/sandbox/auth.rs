//! The token endpoint and bearer checks.

use std::time::Duration;

use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::{Client, Context};
use sailpoint_access_sandbox::{Operation, Sandbox};

use crate::common::{api_error, fetch_token, setup};

#[tokio::test]
async fn token_endpoint_issues_bearer_tokens_with_the_configured_lifetime() {
    let sandbox = Sandbox::builder()
        .client_id("my-id")
        .client_secret("my-secret")
        .token_lifetime(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    assert_eq!(sandbox.client_id(), "my-id");
    assert_eq!(sandbox.client_secret(), "my-secret");
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/oauth/token", sandbox.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "my-id"),
            ("client_secret", "my-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 600);
    let token = body["access_token"].as_str().unwrap();
    assert!(!token.is_empty());

    // The token works with the generated client.
    let client = Client::new(
        sandbox.base_url(),
        Context::with_bearer_token(token).unwrap(),
    );
    let config = client.get_access_request_config().send().await.unwrap();
    assert_eq!(config.status(), 200);

    // Query-string credentials are accepted too, as by the service.
    let response = http
        .post(format!(
            "{}/oauth/token?grant_type=client_credentials&client_id=my-id&client_secret=my-secret",
            sandbox.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(sandbox.requests_received(Operation::Token), 2);
}

#[tokio::test]
async fn bad_credentials_and_grant_types_are_refused_in_the_error_shape() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/oauth/token", sandbox.base_url());
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form, u16, &str); 4] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "sandbox-client-id"),
                ("client_secret", "wrong"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", "sandbox-client-secret"),
            ],
            401,
            "invalid_client",
        ),
        (&[("grant_type", "password")], 400, "unsupported_grant_type"),
        (&[("client_id", "x")], 400, "invalid_request"),
    ];
    for (form, status, error) in cases {
        let response = http.post(&url).form(form).send().await.unwrap();
        assert_eq!(response.status(), status, "{form:?}");
        let body: ErrorResponse = response.json().await.unwrap();
        assert_eq!(body.error.as_deref(), Some(error));
    }
    // A JSON body is not a form.
    let response = http
        .post(&url)
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn api_calls_need_a_valid_bearer_token() {
    let s = setup(Sandbox::builder()).await;
    let url = s.url("/v3/access-request-config");
    for request in [
        s.http.get(&url),
        s.http.get(&url).bearer_auth("not-a-token"),
        s.http
            .get(&url)
            .basic_auth("sandbox-client-id", Some("sandbox-client-secret")),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: ErrorResponse = response.json().await.unwrap();
        assert!(body.error.is_some(), "{body:?}");
        assert!(body.detail_code.is_none());
    }
    // Every API route is guarded, not just one.
    let anonymous = Client::new(s.sandbox.base_url(), Context::default());
    let (status, body) = api_error(anonymous.list_access_request_status().send().await).await;
    assert_eq!(status, 401);
    assert!(body.error.is_some());
    let (status, _) = api_error(
        anonymous
            .create_access_request()
            .body(crate::common::grant(
                &["a"],
                vec![crate::common::item(
                    sailpoint_access_api::types::AccessItemType::Role,
                    "r",
                )],
            ))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(s.sandbox.access_requests_accepted(), 0);
}

#[tokio::test]
async fn expired_tokens_get_401() {
    let s = setup(Sandbox::builder()).await;
    assert!(s.client.get_access_request_config().send().await.is_ok());
    s.sandbox.expire_tokens();
    let (status, body) = api_error(s.client.get_access_request_config().send().await).await;
    assert_eq!(status, 401);
    assert!(body.error.unwrap().contains("expired"));

    // And by the clock: a short lifetime runs out.
    s.sandbox.set_token_lifetime(Duration::from_millis(150));
    let token = fetch_token(&s.http, &s.sandbox).await;
    let client = Client::new(
        s.sandbox.base_url(),
        Context::with_bearer_token(&token).unwrap(),
    );
    assert!(client.get_access_request_config().send().await.is_ok());
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, _) = api_error(client.get_access_request_config().send().await).await;
    assert_eq!(status, 401);

    // A fresh token from the handle works again.
    s.sandbox.set_token_lifetime(Duration::from_secs(60));
    let client = Client::new(
        s.sandbox.base_url(),
        Context::with_bearer_token(&s.sandbox.issue_token()).unwrap(),
    );
    assert!(client.get_access_request_config().send().await.is_ok());
}
