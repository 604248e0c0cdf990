//! The standalone binary: prints its base URL and credentials, then serves.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sailpoint_access_api::operations;

use crate::common::{http, token_answer};

const BIN: &str = env!("CARGO_BIN_EXE_sailpoint-access-sandbox");

#[tokio::test]
async fn binary_serves_with_the_given_options() {
    let running = Running::start(&[
        "--seed-statuses",
        "30",
        "--client-id",
        "cli-id",
        "--client-secret",
        "cli-secret",
        "--token-lifetime",
        "120",
        "--seed",
        "5",
    ])
    .await;
    let banner = &running.banner;
    let value = |key: &str| {
        banner
            .iter()
            .find_map(|l| l.trim().strip_prefix(key).map(str::to_owned))
            .unwrap_or_else(|| panic!("{key} in {banner:?}"))
    };
    let base = value("SAIL_BASE_URL=");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert_eq!(value("SAIL_CLIENT_ID="), "cli-id");
    assert_eq!(value("SAIL_CLIENT_SECRET="), "cli-secret");

    let http = http();
    let token = token_answer(&http, &base, "cli-id", "cli-secret").await;
    assert_eq!(token["expires_in"], 120);
    let response = http
        .get(format!(
            "{base}/v3/access-request-status?count=true&limit=1"
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-total-count"], "30");
}

#[test]
fn binary_help_and_bad_options() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--seed-statuses"));
    let bad = Command::new(BIN).arg("--frobnicate").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("unexpected argument '--frobnicate'"),
        "{stderr}"
    );
    let bad = Command::new(BIN).args(["--port", "http"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// The binary, killed when dropped (a failed assertion must not leave it
/// running).
struct Running {
    child: Child,
    base: String,
    banner: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts the binary on a free port with `args`, and reads its banner.
    async fn start(args: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().unwrap();
        let banner = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || {
                let mut lines = Vec::new();
                for line in BufReader::new(stdout).lines() {
                    let line = line.unwrap();
                    let done = line.starts_with("Press Ctrl-C");
                    lines.push(line);
                    if done {
                        break;
                    }
                }
                lines
            }),
        )
        .await
        .expect("banner in time")
        .unwrap();
        let base = banner
            .iter()
            .find_map(|l| l.trim().strip_prefix("SAIL_BASE_URL=").map(str::to_owned))
            .unwrap_or_else(|| panic!("base URL in {banner:?}"));
        Running {
            child,
            base,
            banner,
        }
    }

    /// A token for the default credentials, and calls that carry it.
    async fn bearer(&self, http: &reqwest::Client) -> Bearer {
        let token = token_answer(
            http,
            &self.base,
            sailpoint_access_sandbox::DEFAULT_CLIENT_ID,
            sailpoint_access_sandbox::DEFAULT_CLIENT_SECRET,
        )
        .await;
        Bearer {
            http: http.clone(),
            base: self.base.clone(),
            token: token["access_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// Calls to a running binary with a bearer token.
struct Bearer {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Bearer {
    async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    /// A POST of `body` as JSON.
    async fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        request.bearer_auth(&self.token).send().await.unwrap()
    }
}

fn grant_body() -> serde_json::Value {
    serde_json::json!({
        "requestedFor": ["identity-1"],
        "requestType": "GRANT_ACCESS",
        "requestedItems": [{"type": "ROLE", "id": "role-1", "comment": "bench"}]
    })
}

#[tokio::test]
async fn binary_rate_limit_and_lifecycle_flags_take_effect() {
    let running = Running::start(&[
        "--rate-limit",
        "3",
        "--rate-window-ms",
        "60000",
        "--auto-approve-ms",
        "0",
        "--auto-provision-ms",
        "0",
    ])
    .await;
    assert!(
        running.banner.iter().any(|l| l.contains("lifecycle:")),
        "{:?}",
        running.banner
    );
    let api = running.bearer(&http()).await;
    let created = api
        .post(operations::CREATE_ACCESS_REQUEST.path, &grant_body())
        .await;
    assert_eq!(created.status(), 202);
    // Provisioned by itself, and listed so.
    let listed = api.get(operations::LIST_ACCESS_REQUEST_STATUS.path).await;
    let listed: Vec<serde_json::Value> = listed.json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["state"], "REQUEST_COMPLETED");
    // The third v3 request of the window is the last one allowed.
    let third = api.get(operations::GET_ACCESS_REQUEST_CONFIG.path).await;
    assert_eq!(third.status(), 200);
    let fourth = api.get(operations::GET_ACCESS_REQUEST_CONFIG.path).await;
    assert_eq!(fourth.status(), 429);
    let retry_after: u64 = fourth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

#[tokio::test]
async fn binary_server_error_latency_and_visibility_flags_take_effect() {
    let running = Running::start(&[
        "--server-errors",
        "1",
        "--server-error-status",
        "503",
        "--latency-ms",
        "150",
    ])
    .await;
    let http = http();
    let api = running.bearer(&http).await;
    let started = Instant::now();
    let response = api
        .get(operations::LIST_ACCESS_REQUEST_STATUS_V1.path)
        .await;
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() >= Duration::from_millis(150));
    drop(running);

    let running = Running::start(&["--visibility-delay-ms", "3600000"]).await;
    let api = running.bearer(&http).await;
    let created = api
        .post(operations::CREATE_ACCESS_REQUEST_V1.path, &grant_body())
        .await;
    assert_eq!(created.status(), 202);
    let list = operations::LIST_ACCESS_REQUEST_STATUS.path;
    let listed = api.get(&format!("{list}?count=true")).await;
    assert_eq!(listed.headers()["x-total-count"], "0");
    // It exists all the same: submitting it again finds it pending.
    let again = api
        .post(operations::CREATE_ACCESS_REQUEST.path, &grant_body())
        .await;
    let again: serde_json::Value = again.json().await.unwrap();
    // An empty list is left out of the body, as the generated type does.
    assert!(
        again["newRequests"].as_array().is_none_or(Vec::is_empty),
        "{again}"
    );
    assert_eq!(again["existingRequests"][0]["requestedFor"], "identity-1");
}

#[test]
fn binary_help_documents_the_benchmark_flags_and_refuses_bad_values() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--latency-ms",
        "--rate-limit",
        "--rate-window-ms",
        "--server-errors",
        "--server-error-status",
        "--no-offset-quirk",
        "--visibility-delay-ms",
        "--auto-approve-ms",
        "--auto-provision-ms",
    ] {
        assert!(text.contains(flag), "{flag} in --help");
    }
    // Every flag of the shared command line, the ones added since included.
    let shared = {
        use clap::Args;
        sailpoint_access_sandbox::SandboxArgs::augment_args(clap::Command::new("flags"))
    };
    for flag in shared.get_arguments().filter_map(|a| a.get_long()) {
        assert!(text.contains(&format!("--{flag}")), "--{flag} in --help");
    }
    for bad in [
        &["--server-errors", "1.5"][..],
        &["--server-errors", "1", "--server-error-status", "404"],
        &["--server-error-status", "503"],
        &["--rate-window-ms", "100"],
        &["--auto-reject-ratio", "0.1"],
        &["--latency-ms"],
    ] {
        let out = Command::new(BIN).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}
