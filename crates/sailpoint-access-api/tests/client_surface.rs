//! The generated client exposes all five operations with every parameter, and
//! puts them on the wire under the names the API uses (kebab-case queries,
//! `/v3` paths, JSON bodies). Checked against the generated typed mocks.

use httpmock::MockServer;
use sailpoint_access_api::{types, Client, Context};
use sailpoint_access_httpmock::MockServerExt;

fn client(server: &MockServer) -> Client {
    Client::new(
        &server.base_url(),
        Context::with_bearer_token("test-token").expect("valid header"),
    )
}

#[tokio::test]
async fn list_sends_every_parameter_by_its_wire_name() {
    let server = MockServer::start_async().await;
    let status = types::RequestedItemStatus {
        account_activity_item_id: Some("2c918086771c86df0177401efcdf54c0".into()),
        ..Default::default()
    };
    let mock = server.list_access_request_status(|when, then| {
        let when = when
            .requested_for("2c9180877b2b6ea4017b2c545f971429")
            .requested_by("me")
            .assigned_to("2c9180877b2b6ea4017b2c545f971430")
            .count(true)
            .limit(100)
            .offset(10)
            .filters(r#"accountActivityItemId eq "2c918086771c86df0177401efcdf54c0""#)
            .sorters("created,-modified")
            .request_state(&types::RequestStateFilter::Executing)
            .regarding_identity(None);
        let _ = when
            .into_inner()
            .header("authorization", "Bearer test-token");
        then.ok(&vec![status.clone()]);
    });
    let page = client(&server)
        .list_access_request_status()
        .requested_for("2c9180877b2b6ea4017b2c545f971429")
        .requested_by("me")
        .assigned_to("2c9180877b2b6ea4017b2c545f971430")
        .count(true)
        .limit(100)
        .offset(10)
        .filters(r#"accountActivityItemId eq "2c918086771c86df0177401efcdf54c0""#)
        .sorters("created,-modified")
        .request_state(types::RequestStateFilter::Executing)
        .send()
        .await
        .expect("mock answers");
    mock.assert();
    assert_eq!(page.into_inner(), vec![status]);
}

#[tokio::test]
async fn regarding_identity_has_its_own_parameter() {
    let server = MockServer::start_async().await;
    let mock = server.list_access_request_status(|when, then| {
        when.regarding_identity("me").requested_for(None);
        then.ok(&vec![]);
    });
    let page = client(&server)
        .list_access_request_status()
        .regarding_identity("me")
        .send()
        .await
        .expect("ok");
    mock.assert();
    assert!(page.into_inner().is_empty());
}

#[tokio::test]
async fn create_posts_the_body_and_decodes_the_tracking_response() {
    let server = MockServer::start_async().await;
    let body = types::AccessRequest {
        requested_for: vec!["2c918084660f45d6016617daa9210584".into()],
        request_type: Some(types::AccessRequestType::GrantAccess),
        requested_items: vec![types::AccessRequestItem {
            type_: types::AccessItemType::Role,
            id: "2c9180835d2e5168015d32f890ca1581".into(),
            comment: Some("project X".into()),
            remove_date: Some("2030-01-01T00:00:00Z".parse().expect("timestamp")),
            client_metadata: Default::default(),
            start_date: None,
            assignment_id: None,
            native_identity: None,
            form_instance_id: None,
        }],
        ..Default::default()
    };
    let response = types::AccessRequestResponse {
        new_requests: vec![types::AccessRequestTracking {
            access_request_ids: vec!["5d3118c518a44ec7805450d53479ccdb".into()],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mock = server.create_access_request(|when, then| {
        when.body(&body);
        then.accepted(&response);
    });
    let got = client(&server)
        .create_access_request()
        .body(body.clone())
        .send()
        .await
        .expect("accepted");
    mock.assert();
    assert_eq!(got.status().as_u16(), 202);
    assert_eq!(got.into_inner(), response);
}

#[tokio::test]
async fn cancel_posts_the_activity_and_comment() {
    let server = MockServer::start_async().await;
    let body = types::CancelAccessRequest {
        account_activity_id: "2c91808568c529c60168cca6f90c1313".into(),
        comment: "requested by mistake".into(),
    };
    let mock = server.cancel_access_request(|when, then| {
        when.body(&body);
        then.accepted(&serde_json::Map::new());
    });
    let got = client(&server)
        .cancel_access_request()
        .body(body)
        .send()
        .await
        .expect("accepted");
    mock.assert();
    assert!(got.into_inner().is_empty());
}

#[tokio::test]
async fn config_get_and_put() {
    let server = MockServer::start_async().await;
    let config = types::AccessRequestConfig {
        auto_approval_enabled: true,
        reauthorization_enabled: true,
        ..Default::default()
    };
    let get = server.get_access_request_config(|_, then| {
        then.ok(&config);
    });
    let put = server.set_access_request_config(|when, then| {
        when.body(&config);
        then.ok(&config);
    });
    let client = client(&server);
    let read = client
        .get_access_request_config()
        .send()
        .await
        .expect("ok")
        .into_inner();
    let written = client
        .set_access_request_config()
        .body(read.clone())
        .send()
        .await
        .expect("ok")
        .into_inner();
    get.assert();
    put.assert();
    assert_eq!(read, config);
    assert_eq!(written, config);
}

#[tokio::test]
async fn documented_errors_decode_into_error_response() {
    let server = MockServer::start_async().await;
    let error = types::ErrorResponse {
        detail_code: Some("404 Not found".into()),
        tracking_id: Some("b21b1f7ce4da4d639f2c62a57171b427".into()),
        ..Default::default()
    };
    server.cancel_access_request(|_, then| {
        then.not_found(&error);
    });
    let err = client(&server)
        .cancel_access_request()
        .body(types::CancelAccessRequest {
            account_activity_id: "nope".into(),
            comment: "x".into(),
        })
        .send()
        .await
        .expect_err("404");
    match err {
        sailpoint_access_api::Error::ErrorResponse(value) => {
            assert_eq!(value.status().as_u16(), 404);
            assert_eq!(value.into_inner(), error);
        }
        other => panic!("expected a documented error, got {other:?}"),
    }
}

#[tokio::test]
async fn observe_recovers_the_status_of_an_undecodable_documented_response() {
    let server = MockServer::start_async().await;
    server.get_access_request_config(|_, then| {
        then.into_inner()
            .status(429)
            .header("retry-after", "7")
            .header("content-type", "text/html")
            .body("<html>slow down</html>");
    });
    let client = client(&server);
    let (result, meta) =
        sailpoint_access_api::observe(client.get_access_request_config().send()).await;
    assert!(matches!(
        result,
        Err(sailpoint_access_api::Error::InvalidResponsePayload(..))
    ));
    let meta = meta.expect("the hook saw the response");
    assert_eq!(meta.status.as_u16(), 429);
    assert_eq!(
        meta.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );

    // Outside `observe` the hook records nothing and the call behaves the same.
    assert!(client.get_access_request_config().send().await.is_err());
}

#[tokio::test]
async fn observing_a_request_costs_its_slot_not_a_second_copy_of_the_request() {
    // A future whose state is large across an await, as a request's is.
    let big = async {
        let buffer = [7u8; 4096];
        tokio::task::yield_now().await;
        buffer.iter().map(|&b| u64::from(b)).sum::<u64>()
    };
    let alone = std::mem::size_of_val(&big);
    assert!(
        alone >= 4096,
        "the probe future holds its buffer ({alone} bytes)"
    );
    let observed = sailpoint_access_api::observe_limited(Some(1 << 20), big);
    let wrapped = std::mem::size_of_val(&observed);
    // An `async` wrapper would hold the request twice (>= 8 KiB here).
    assert!(
        wrapped < alone + 1024,
        "observe_limited is {wrapped} bytes around a {alone}-byte future"
    );
    let (output, meta) = observed.await;
    assert_eq!(output, 7 * 4096);
    assert!(
        meta.is_none(),
        "no request was sent, so nothing was recorded"
    );
}
