//! The standalone binary: prints its base URL and credentials, then serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sailpoint-access-sandbox");

#[tokio::test]
async fn binary_serves_with_the_given_options() {
    let mut child = Command::new(BIN)
        .args([
            "--port",
            "0",
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
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    // Read the banner on a blocking thread; it ends with the Ctrl-C hint.
    let banner = tokio::task::spawn_blocking(move || {
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
    })
    .await
    .unwrap();
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

    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "cli-id"),
            ("client_secret", "cli-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn binary_help_and_bad_options() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--seed-statuses"));
    let bad = Command::new(BIN).arg("--frobnicate").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown option --frobnicate"));
    let bad = Command::new(BIN).args(["--port", "http"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
