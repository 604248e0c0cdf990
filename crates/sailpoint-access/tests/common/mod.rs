//! Shared test setup: a mock tenant (httpmock) or the sandbox on loopback,
//! clients pointed at them, and captured `tracing` output.
#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod hostile;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::{Method::POST, Mock, MockServer};
use sailpoint_access::types::{AccessItemType, RequestedItemStatus};
use sailpoint_access::{Client, RetryPolicy};
use sailpoint_access_sandbox::SandboxHandle;
use serde_json::json;

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "sEcReT-9f8e7d6c5b4a";
pub const TOKEN: &str = "tok-1-aaaabbbbccccdddd";
/// An identity id in the vendor's format.
pub const ALICE: &str = "2c9180857182305e0171993735622948";

/// Fast retries so that tests finish quickly: three attempts.
pub fn fast_retry() -> RetryPolicy {
    quick_retry(3)
}

/// Fails when `text` shows the client secret or the token.
pub fn assert_clean(text: &str, what: &str) {
    for secret in [CLIENT_SECRET, TOKEN] {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
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

pub fn client_with(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(retry)
        .attempt_timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

/// A client with a static token and no retries, for status mapping tests.
pub fn static_client(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .rate_limit(None)
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

/// A client of `sandbox` using its client credentials.
pub fn sandbox_client(sandbox: &SandboxHandle, retry: RetryPolicy) -> Client {
    sandbox
        .client_builder()
        .rate_limit(None)
        .retry(retry)
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// Retries quick enough for tests, `attempts` in all.
pub fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy::standard()
        .with_max_attempts(attempts)
        .with_backoff(Duration::from_millis(2), Duration::from_millis(10))
        .with_max_retry_after(Duration::from_secs(5))
}

/// Everything a `tracing` subscriber wrote, at every level.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Captures this thread's `tracing` output at TRACE until the guard drops.
    /// Tests using it run on the current-thread runtime so nothing escapes.
    pub fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (capture, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The waits the client announced before retrying: (milliseconds, whether
    /// the failure was a 429), in order.
    pub fn retry_waits(&self) -> Vec<(u64, bool)> {
        self.text()
            .lines()
            .filter(|line| line.contains(" retrying "))
            .map(|line| {
                let wait = line
                    .split("wait_ms=")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .expect("retry events carry wait_ms");
                (wait, line.contains("error=rate limited"))
            })
            .collect()
    }
}

/// A grant of one role for one identity, the submission most tests send.
pub async fn grant_role(
    client: &Client,
    identity: impl Into<String>,
    role: &str,
) -> sailpoint_access::Result<sailpoint_access::types::AccessRequestResponse> {
    client
        .access_requests()
        .grant()
        .for_identity(identity)
        .role(role)
        .send()
        .await
}

/// Every status the token can see, in pages of 250.
pub async fn all_statuses(client: &Client) -> sailpoint_access::Result<Vec<RequestedItemStatus>> {
    use futures::TryStreamExt;
    client.statuses().limit(250).items().try_collect().await
}

/// A bulk grant of `rows`, planned within the vendor's limits and journaled
/// in `journal`.
pub async fn grant_journaled(
    client: &Client,
    rows: Vec<sailpoint_access::bulk::BulkRow>,
    journal: &std::path::Path,
) -> Result<sailpoint_access::bulk::BulkReport, sailpoint_access::bulk::BulkFailure> {
    use sailpoint_access::bulk::{plan, JsonlJournal, PlanLimits};
    use sailpoint_access::types::AccessRequestType;
    client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            rows,
            PlanLimits::default(),
        ))
        .journal(JsonlJournal::open(journal).unwrap())
        .send()
        .await
}
