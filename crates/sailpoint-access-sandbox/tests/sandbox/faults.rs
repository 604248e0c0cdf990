//! Each fault knob, observed from the client side.

use std::time::{Duration, Instant};

use sailpoint_access_api::progenitor_client::{Error, ResponseValue};
use sailpoint_access_api::types::{
    AccessItemType, AccessRequestResponse, ErrorResponse, RequestedItemState,
};
use sailpoint_access_api::{Client, Context};
use sailpoint_access_sandbox::{
    DropConnections, FaultConfig, Latency, Operation, Operations, RateLimitFault, Sandbox,
    ServerErrors, Stall,
};

use crate::common::{
    api_error, cancel_of, detailed_text, fetch_token, grant, item, rule_of, setup,
};

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_per_client_id_and_window() {
    let s =
        setup(Sandbox::builder().rate_limit(RateLimitFault::new(3, Duration::from_secs(30)))).await;
    for _ in 0..3 {
        assert_eq!(s.get_status("/v3/access-request-config").await, 200);
    }
    let response = s.get_response("/v3/access-request-status").await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let body: ErrorResponse = response.json().await.unwrap();
    assert_eq!(body.message.as_deref(), Some("Rate Limit Exceeded"));

    // Through the generated client: a typed 429.
    match s.client.get_access_request_config().send().await {
        Err(Error::ErrorResponse(r)) => {
            assert_eq!(r.status(), 429);
            assert!(r.headers().contains_key("retry-after"));
        }
        other => panic!("expected 429, got {other:?}"),
    }
    // The token endpoint is not limited by default, and a new token of the
    // same client id shares its window: the limit counts per client id.
    let other = fetch_token(&s.http, &s.sandbox).await;
    let response = s
        .http
        .get(s.url("/v3/access-request-config"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);

    // Windows end: with a short window the caller gets through again.
    s.sandbox.set_faults(FaultConfig {
        rate_limit: Some(RateLimitFault::new(2, Duration::from_millis(300))),
        ..FaultConfig::default()
    });
    assert_eq!(config_codes(&s, 3).await, [200, 200, 429]);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(config_codes(&s, 1).await, [200]);
    assert_eq!(s.received(Operation::GetAccessRequestConfig), 9);
    assert_eq!(s.received(Operation::ListAccessRequestStatus), 1);
}

/// A GRANT of role `r` for `a` through `client`.
async fn submit_one(
    client: &Client,
) -> Result<ResponseValue<AccessRequestResponse>, Error<ErrorResponse>> {
    let request = grant(&["a"], vec![item(AccessItemType::Role, "r")]);
    client.create_access_request().body(request).send().await
}

async fn config_codes(s: &crate::common::Setup, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(s.get_status("/v3/access-request-config").await.as_u16());
    }
    out
}

async fn codes(seed: u64, ratio: f64, n: usize) -> Vec<u16> {
    let s = setup(
        Sandbox::builder()
            .seed(seed)
            .server_errors(ServerErrors::new(ratio)),
    )
    .await;
    let mut codes = Vec::new();
    for _ in 0..n {
        let response = s.get_response("/v3/access-request-config").await;
        let code = response.status().as_u16();
        if code != 200 {
            let body: ErrorResponse = response.json().await.unwrap();
            assert!(body.detail_code.is_some() && body.tracking_id.is_some());
        }
        codes.push(code);
    }
    codes
}

#[tokio::test]
async fn server_errors_follow_the_ratio_deterministically() {
    let a = codes(11, 0.4, 80).await;
    assert_eq!(a, codes(11, 0.4, 80).await, "same seed, same faults");
    assert_ne!(a, codes(12, 0.4, 80).await, "another seed, other faults");
    let failed = a.iter().filter(|c| **c != 200).count();
    assert!((15..=50).contains(&failed), "{failed} of 80 failed");
    for code in &a {
        assert!([200, 500, 502, 503].contains(code), "{code}");
    }
    assert!(codes(1, 0.0, 20).await.iter().all(|c| *c == 200));
    assert!(codes(1, 1.0, 20).await.iter().all(|c| *c >= 500));
}

#[tokio::test]
async fn server_errors_answer_the_chosen_status() {
    let s = setup(Sandbox::builder().server_errors(ServerErrors::new(1.0).only(503))).await;
    for _ in 0..10 {
        let response = s
            .get_response(sailpoint_access_api::operations::GET_ACCESS_REQUEST_CONFIG.path)
            .await;
        assert_eq!(response.status(), 503);
        let body: ErrorResponse = response.json().await.unwrap();
        assert_eq!(body.detail_code.as_deref(), Some("503 Service Unavailable"));
    }
    // Changed at runtime to another set; the token endpoint is never hit.
    s.sandbox.set_faults(FaultConfig {
        server_errors: Some(ServerErrors::new(1.0).statuses(&[502, 504])),
        ..FaultConfig::default()
    });
    let mut seen = Vec::new();
    for _ in 0..30 {
        let response = s
            .get_response(sailpoint_access_api::operations::LIST_ACCESS_REQUEST_STATUS_V1.path)
            .await;
        seen.push(response.status().as_u16());
    }
    assert!(seen.iter().all(|c| *c == 502 || *c == 504), "{seen:?}");
    assert!(seen.contains(&502) && seen.contains(&504), "{seen:?}");
    assert!(!fetch_token(&s.http, &s.sandbox).await.is_empty());
}

#[tokio::test]
async fn faults_apply_only_to_their_operations() {
    let s = setup(Sandbox::builder().server_errors(
        ServerErrors::new(1.0).on(Operations::only(Operation::CreateAccessRequest)),
    ))
    .await;
    assert!(s.client.list_access_request_status().send().await.is_ok());
    let result = submit_one(&s.client).await;
    let status = match result {
        Err(Error::ErrorResponse(r)) => r.status().as_u16(),
        Err(Error::UnexpectedResponse(r)) => r.status().as_u16(),
        other => panic!("expected a 5xx, got {other:?}"),
    };
    assert!(status >= 500);
    assert_eq!(
        s.sandbox.access_requests_accepted(),
        0,
        "a failed create records nothing"
    );
    assert_eq!(s.sandbox.status_count(), 0);
    assert_eq!(s.received(Operation::CreateAccessRequest), 1);
    assert_eq!(s.sandbox.faults().server_errors.unwrap().ratio, 1.0);
}

#[tokio::test]
async fn latency_delays_api_responses() {
    let s = setup(Sandbox::builder().latency(Latency::new(Duration::from_millis(200)))).await;
    let started = Instant::now();
    s.client.get_access_request_config().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Not the token endpoint unless asked.
    let started = Instant::now();
    fetch_token(&s.http, &s.sandbox).await;
    assert!(started.elapsed() < Duration::from_millis(200));
    s.sandbox.set_faults(FaultConfig {
        latency: Some(Latency::new(Duration::from_millis(150)).on(Operations::ALL)),
        ..FaultConfig::default()
    });
    let started = Instant::now();
    fetch_token(&s.http, &s.sandbox).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn stalled_requests_hang_or_answer_late() {
    let s = setup(Sandbox::builder().stall(Stall::forever(1.0))).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = impatient
        .get(s.url("/v3/access-request-config"))
        .bearer_auth(&s.token)
        .send()
        .await
        .expect_err("no answer");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));

    s.sandbox.set_faults(FaultConfig {
        stall: Some(Stall::for_duration(1.0, Duration::from_millis(250))),
        ..FaultConfig::default()
    });
    let started = Instant::now();
    let response = s.get_response("/v3/access-request-config").await;
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(250));

    s.sandbox.set_faults(FaultConfig::default());
    let started = Instant::now();
    assert_eq!(s.get_status("/v3/access-request-config").await, 200);
    assert!(started.elapsed() < Duration::from_millis(250));
}

#[tokio::test]
async fn dropped_connections_are_connection_errors() {
    let s = setup(Sandbox::builder().drop_connections(DropConnections::new(1.0))).await;
    let started = Instant::now();
    let err = s
        .get("/v3/access-request-config")
        .send()
        .await
        .expect_err("connection dropped");
    assert!(!err.is_timeout(), "{err:?}");
    assert!(err.status().is_none(), "no HTTP response at all: {err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Through the generated client: a communication error, nothing recorded.
    let result = submit_one(&s.client).await;
    assert!(
        matches!(result, Err(Error::CommunicationError(_))),
        "{result:?}"
    );
    assert_eq!(s.received(Operation::CreateAccessRequest), 1);
    assert_eq!(s.sandbox.access_requests_accepted(), 0);

    // Half the requests with a seed: both outcomes occur; clearing the knob heals.
    s.sandbox.set_faults(FaultConfig {
        drop_connections: Some(DropConnections::new(0.5)),
        ..FaultConfig::default()
    });
    let mut outcomes = (0, 0);
    for _ in 0..30 {
        match s.get("/v3/access-request-config").send().await {
            Ok(r) => {
                assert_eq!(r.status(), 200);
                outcomes.0 += 1;
            }
            Err(e) => {
                assert!(!e.is_timeout());
                outcomes.1 += 1;
            }
        }
    }
    assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
    s.sandbox.set_faults(FaultConfig::default());
    let client = Client::new(
        s.sandbox.base_url(),
        Context::with_bearer_token(&s.token).unwrap(),
    );
    assert!(client.get_access_request_config().send().await.is_ok());
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let url = format!("{}/v3/access-request-config", sandbox.base_url());
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    sandbox.shutdown().await;
    assert!(reqwest::Client::new().get(&url).send().await.is_err());

    // Dropping the handle stops it too.
    let sandbox = Sandbox::builder().start().await.unwrap();
    let url = format!("{}/v3/access-request-config", sandbox.base_url());
    drop(sandbox);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}

#[tokio::test]
async fn dropped_after_processing_loses_only_the_response() {
    let s = setup(
        Sandbox::builder().drop_connections(
            DropConnections::new(1.0)
                .after_processing()
                .on(Operations::only(Operation::CreateAccessRequest)),
        ),
    )
    .await;
    let result = submit_one(&s.client).await;
    assert!(
        matches!(result, Err(Error::CommunicationError(_))),
        "{result:?}"
    );
    // The service did its work: a blind retry would now create a duplicate.
    assert_eq!(s.sandbox.access_requests_accepted(), 1);
    assert_eq!(s.sandbox.status_count(), 1);
    assert!(submit_one(&s.client).await.is_err());
    assert_eq!(s.sandbox.access_requests_accepted(), 2);
    assert_eq!(s.received(Operation::CreateAccessRequest), 2);
    // Without a valid token nothing is processed, even so.
    let anonymous = Client::new(s.sandbox.base_url(), Context::default());
    assert!(submit_one(&anonymous).await.is_err());
    assert_eq!(s.sandbox.access_requests_accepted(), 2);
}

#[tokio::test]
async fn a_cancel_dropped_after_processing_took_effect_and_its_replay_is_refused() {
    let s = setup(Sandbox::builder()).await;
    submit_one(&s.client).await.unwrap();
    let id = s.sandbox.statuses()[0]
        .account_activity_item_id
        .clone()
        .unwrap();
    // Armed at runtime, scoped to cancels: creates and reads are untouched.
    s.sandbox.set_faults(FaultConfig {
        drop_connections: Some(DropConnections::once_after_processing(
            Operation::CancelAccessRequest,
        )),
        ..FaultConfig::default()
    });
    assert!(s.client.get_access_request_config().send().await.is_ok());
    let cancel = || {
        s.client
            .cancel_access_request()
            .body(cancel_of(&id, "raised twice"))
            .send()
    };

    // The client sees a dropped connection...
    let result = cancel().await;
    assert!(
        matches!(result, Err(Error::CommunicationError(_))),
        "{result:?}"
    );
    // ...but the cancel took effect.
    let status = s.sandbox.status(&id).unwrap();
    assert_eq!(status.state, Some(RequestedItemState::Cancelled));
    assert!(!status.cancelable);

    // The replay is answered: 400, already CANCELLED, in stable words and
    // without a rule (it is the item's state, not the request's shape).
    let (code, error) = api_error(cancel().await).await;
    assert_eq!(code, 400);
    let text = detailed_text(&error);
    assert!(text.contains("CANCELLED"), "{text}");
    assert!(
        text.contains("cannot be cancelled: it is CANCELLED"),
        "{text}"
    );
    assert_eq!(rule_of(&error), None);
    assert_eq!(s.received(Operation::CancelAccessRequest), 2);

    // Without `times`, every cancel is processed and then loses its answer.
    s.sandbox.set_faults(FaultConfig {
        drop_connections: Some(
            DropConnections::new(1.0)
                .after_processing()
                .on(Operations::only(Operation::CancelAccessRequest)),
        ),
        ..FaultConfig::default()
    });
    assert!(matches!(cancel().await, Err(Error::CommunicationError(_))));
    assert!(matches!(cancel().await, Err(Error::CommunicationError(_))));
    assert_eq!(
        s.sandbox.status(&id).unwrap().state,
        Some(RequestedItemState::Cancelled)
    );
}
