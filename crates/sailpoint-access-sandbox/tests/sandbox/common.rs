//! Helpers shared by the sandbox tests: a started sandbox with a token, the
//! generated client and a plain reqwest client on it.

use std::fmt::Debug;
use std::future::Future;

use sailpoint_access_api::progenitor_client::{Error, ResponseValue};
use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestItem, AccessRequestType, CancelAccessRequest,
    ErrorResponse, RequestedItemStatus,
};
use sailpoint_access_api::{Client, Context, Rule};
use sailpoint_access_sandbox::{Operation, SandboxBuilder, SandboxHandle};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

pub struct Setup {
    pub sandbox: SandboxHandle,
    pub client: Client,
    pub http: reqwest::Client,
    pub token: String,
}

impl Setup {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// How many requests of `operation` the sandbox has received.
    pub fn received(&self, operation: Operation) -> u64 {
        self.sandbox.requests_received(operation)
    }

    /// A reqwest GET with the bearer token.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    /// The answer to a bearer GET.
    pub async fn get_response(&self, path: &str) -> reqwest::Response {
        self.get(path).send().await.unwrap()
    }

    /// The status of a bearer GET.
    pub async fn get_status(&self, path: &str) -> reqwest::StatusCode {
        self.get_response(path).await.status()
    }

    /// A reqwest POST with the bearer token.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(&self.token)
    }

    /// The answer to a bearer POST without a body.
    pub async fn post_response(&self, path: &str) -> reqwest::Response {
        self.post(path).send().await.unwrap()
    }

    /// The answer to a bearer POST of `body` as JSON.
    pub async fn post_json(&self, path: &str, body: &impl Serialize) -> reqwest::Response {
        self.post(path).json(body).send().await.unwrap()
    }

    /// The body of a bearer GET, decoded.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> T {
        self.get_response(path).await.json().await.unwrap()
    }

    /// A reqwest PUT with the bearer token.
    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.put(self.url(path)).bearer_auth(&self.token)
    }
}

/// Starts `builder` and obtains a token through `POST /oauth/token`.
pub async fn setup(builder: SandboxBuilder) -> Setup {
    let sandbox = builder.start().await.expect("sandbox starts");
    let http = http();
    let token = fetch_token(&http, &sandbox).await;
    let client = Client::new_with_client(
        sandbox.base_url(),
        http.clone(),
        Context::with_bearer_token(&token).unwrap(),
    );
    Setup {
        sandbox,
        client,
        http,
        token,
    }
}

/// A plain HTTP client whose every request is bounded in time.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The answer of `POST {base}/oauth/token` for these credentials, which
/// must be 200.
pub async fn token_answer(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    client_secret: &str,
) -> serde_json::Value {
    let response = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn fetch_token(http: &reqwest::Client, sandbox: &SandboxHandle) -> String {
    let body = token_answer(
        http,
        sandbox.base_url(),
        &sandbox.client_id(),
        &sandbox.client_secret(),
    )
    .await;
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub fn item(kind: AccessItemType, id: &str) -> AccessRequestItem {
    AccessRequestItem {
        type_: kind,
        id: id.to_owned(),
        comment: Some("needed for the quarter close".to_owned()),
        assignment_id: None,
        native_identity: None,
        form_instance_id: None,
        client_metadata: Default::default(),
        start_date: None,
        remove_date: None,
    }
}

pub fn grant(identities: &[&str], items: Vec<AccessRequestItem>) -> AccessRequest {
    AccessRequest {
        requested_for: identities.iter().map(|s| s.to_string()).collect(),
        request_type: Some(AccessRequestType::GrantAccess),
        requested_items: items,
        ..AccessRequest::default()
    }
}

/// The body of a call through the generated client that must succeed.
pub async fn succeeded<T, E: Debug>(
    call: impl Future<Output = Result<ResponseValue<T>, Error<E>>>,
) -> T {
    call.await.unwrap().into_inner()
}

/// The body of a call through the generated client that must be accepted
/// (202).
pub async fn accepted<T, E: Debug>(
    call: impl Future<Output = Result<ResponseValue<T>, Error<E>>>,
) -> T {
    let response = call.await.expect("202");
    assert_eq!(response.status(), 202);
    response.into_inner()
}

/// Submits a GRANT of the roles `role_ids` for `who` through v3; returns
/// its access request id.
pub async fn submit_roles(s: &Setup, who: &str, role_ids: &[impl AsRef<str>]) -> String {
    let roles = role_ids
        .iter()
        .map(|id| item(AccessItemType::Role, id.as_ref()));
    let request = grant(&[who], roles.collect());
    let response = s.client.create_access_request().body(request).send();
    let response = response.await.unwrap().into_inner();
    response.new_requests[0].access_request_ids[0].clone()
}

/// The statuses of one access request, through the v3 list.
pub async fn statuses_of_request(s: &Setup, access_request_id: &str) -> Vec<RequestedItemStatus> {
    succeeded(
        s.client
            .list_access_request_status()
            .filters(format!("accessRequestId eq \"{access_request_id}\""))
            .send(),
    )
    .await
}

/// The cancel of the item `activity_id`, with `comment`.
pub fn cancel_of(activity_id: &str, comment: &str) -> CancelAccessRequest {
    CancelAccessRequest {
        account_activity_id: activity_id.to_owned(),
        comment: comment.to_owned(),
    }
}

/// Cancels the item `activity_id` through v3, which must answer 202; the
/// answer's body.
pub async fn cancel_v3(s: &Setup, activity_id: &str, comment: &str) -> Map<String, Value> {
    let call = s
        .client
        .cancel_access_request()
        .body(cancel_of(activity_id, comment));
    accepted(call.send()).await
}

/// `X-Total-Count` of the v3 list of executing requests.
pub async fn executing(s: &Setup) -> String {
    let response = s
        .client
        .list_access_request_status()
        .request_state(sailpoint_access_api::types::RequestStateFilter::Executing)
        .count(true)
        .send()
        .await
        .unwrap();
    response.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The status and error body of a failed call through the generated client.
pub async fn api_error<T: Debug>(
    result: Result<ResponseValue<T>, Error<ErrorResponse>>,
) -> (u16, ErrorResponse) {
    match result {
        Err(Error::ErrorResponse(value)) => (value.status().as_u16(), value.into_inner()),
        Err(Error::UnexpectedResponse(response)) => {
            let status = response.status().as_u16();
            (
                status,
                response
                    .json()
                    .await
                    .expect("error body in the error shape"),
            )
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// Asserts the 4xx/5xx error shape and returns its message text.
pub fn detailed_text(error: &ErrorResponse) -> String {
    assert!(error.detail_code.is_some(), "detailCode in {error:?}");
    assert!(error.tracking_id.is_some(), "trackingId in {error:?}");
    let message = error.messages.first().expect("a message");
    assert_eq!(message.locale.as_deref(), Some("en-US"));
    assert!(message.locale_origin.is_some());
    message.text.clone().expect("message text")
}

/// A raw reqwest response checked for status and the 4xx error shape.
pub async fn raw_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    let body: ErrorResponse = response.json().await.expect("error shape");
    detailed_text(&body)
}

/// The rule a 400 names in `causes`: exactly one entry whose text is the
/// rule's code; `None` when the error names no rule (no `causes` at all).
pub fn rule_of(error: &ErrorResponse) -> Option<Rule> {
    match error.causes.as_slice() {
        [] => None,
        [cause] => {
            assert_eq!(cause.locale.as_deref(), Some("en-US"), "{error:?}");
            let code = cause.text.as_deref().expect("a cause text");
            Some(Rule::from_code(code).unwrap_or_else(|| panic!("unknown rule code {code:?}")))
        }
        more => panic!("expected at most one cause, got {more:?}"),
    }
}

/// As [`raw_error`], and the rule named in `causes`.
pub async fn raw_rule_error(response: reqwest::Response, status: u16) -> (String, Option<Rule>) {
    assert_eq!(response.status(), status);
    let body: ErrorResponse = response.json().await.expect("error shape");
    (detailed_text(&body), rule_of(&body))
}
