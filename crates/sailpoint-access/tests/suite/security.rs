//! Security: secrets never shown (in Debug, Display, errors, logs, and
//! whatever a server echoes, deprecation headers included), https only off loopback, rustls only,
//! tokens sent and requested only where configured, and a sandbox that
//! refuses missing tokens and never echoes secrets.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::common::*;
use httpmock::{Method::POST, MockServer};
use sailpoint_access::types::{AccessRequestConfig, ErrorResponse};
use sailpoint_access::{Client, Error, ErrorKind, RetryPolicy};
use sailpoint_access_httpmock::MockServerExt;
use sailpoint_access_sandbox::{Operation, Sandbox};

fn oauth_client(server: &MockServer) -> Client {
    Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// Every failure path of the token request and of API calls, with the
/// secret or the token echoed back by the server: not in the error's
/// `Display` or `Debug`, nor in `tracing` output at TRACE.
#[tokio::test]
async fn failures_never_show_the_secret_or_the_token() {
    let (capture, _guard) = Capture::install();
    let mut errors: Vec<Error> = Vec::new();

    // Token endpoint failures that echo what they were sent.
    for (status, body) in [
        (
            401,
            format!(
                r#"{{"error":"invalid_client","error_description":"bad secret {CLIENT_SECRET}"}}"#
            ),
        ),
        (
            400,
            format!(
                r#"{{"error":"invalid_request","error_description":"client_secret={CLIENT_SECRET}"}}"#
            ),
        ),
        (
            500,
            format!("grant_type=client_credentials&client_secret={CLIENT_SECRET}"),
        ),
        (503, format!("<html>{CLIENT_SECRET}</html>")),
        // A token response that does not decode, quoting the token.
        (
            200,
            format!(r#"{{"access_token":"{TOKEN}","expires_in":"{TOKEN}"}}"#),
        ),
        (200, format!(r#"{{"access_token":{{"t":"{TOKEN}"}}}}"#)),
    ] {
        let server = MockServer::start_async().await;
        server.mock(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(status).body(body.clone());
        });
        errors.push(
            oauth_client(&server)
                .access_request_config()
                .get()
                .await
                .unwrap_err(),
        );
    }

    // API failures with a good token.
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    server.mock(|when, then| {
        when.path("/v3/access-request-config");
        then.status(200)
            .header("content-type", "text/html")
            .body("<html>login</html>");
    });
    server.mock(|when, then| {
        when.path("/v3/access-requests");
        then.status(401)
            .body(r#"{"error":"JWT validation failed"}"#);
    });
    server.mock(|when, then| {
        when.path("/v3/access-request-status");
        then.status(503).body("unavailable");
    });
    let client = oauth_client(&server);
    errors.push(client.access_request_config().get().await.unwrap_err());
    errors.push(grant_role(&client, "a", "r").await.unwrap_err());
    errors.push(client.statuses().page().await.unwrap_err());

    // Transport failures: nobody listening, and a stalled token endpoint.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = Client::builder()
        .rate_limit(None)
        .base_url(format!("http://127.0.0.1:{port}"))
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    errors.push(refused.access_request_config().get().await.unwrap_err());
    let slow = MockServer::start_async().await;
    slow.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200).delay(Duration::from_secs(3)).body("{}");
    });
    errors.push(
        oauth_client(&slow)
            .access_request_config()
            .get()
            .await
            .unwrap_err(),
    );

    assert_eq!(errors.len(), 11);
    for err in &errors {
        assert_clean(&format!("{err} {err:?}"), "error");
    }
    assert!(
        errors[4]
            .decode()
            .is_some_and(|d| d.body_excerpt == "<redacted>"),
        "{:?}",
        errors[4]
    );
    assert!(matches!(errors[9].kind(), ErrorKind::Transport(_)) && errors[9].before_send());
    assert!(matches!(errors[10].kind(), ErrorKind::Timeout(_)));
    let logs = capture.text();
    assert!(
        logs.contains("token request"),
        "the token path is traced: {logs}"
    );
    assert!(logs.contains("TRACE"), "trace level is captured");
    assert_clean(&logs, "tracing output");
    assert_clean(&format!("{client:?} {refused:?}"), "client debug");
}

/// The token request goes to `{base}/oauth/token` and nowhere else, not
/// even when the token endpoint redirects elsewhere.
#[tokio::test]
async fn the_token_request_goes_only_to_the_configured_host() {
    let elsewhere = MockServer::start_async().await;
    let stolen = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200)
            .json_body(serde_json::json!({"access_token": "evil", "expires_in": 3600}));
    });
    for status in [301, 302, 303, 307, 308] {
        let server = MockServer::start_async().await;
        let token = server.mock(|when, then| {
            when.method(POST).path("/oauth/token");
            then.status(status)
                .header("location", elsewhere.url("/oauth/token"));
        });
        let err = oauth_client(&server)
            .access_request_config()
            .get()
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status), "{err:?}");
        token.assert_calls(1);
    }
    stolen.assert_calls(0);

    // API calls are not redirected either (bodies and tokens stay put).
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    server.mock(|when, then| {
        when.path("/v3/access-requests");
        then.status(307)
            .header("location", elsewhere.url("/v3/access-requests"));
    });
    let err = grant_role(&oauth_client(&server), "a", "r")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(307), "{err:?}");
    stolen.assert_calls(0);

    // The token URL is derived from the base URL, path prefix included.
    let server = MockServer::start_async().await;
    let prefixed = server.mock(|when, then| {
        when.method(POST).path("/isc/oauth/token");
        then.status(200)
            .json_body(serde_json::json!({"access_token": TOKEN, "expires_in": 3600}));
    });
    server.mock(|when, then| {
        when.path("/isc/v3/access-request-config")
            .header("authorization", format!("Bearer {TOKEN}"));
        then.status(200)
            .json_body(serde_json::to_value(AccessRequestConfig::default()).unwrap());
    });
    Client::builder()
        .rate_limit(None)
        .base_url(format!("{}/isc", server.base_url()))
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .build()
        .unwrap()
        .access_request_config()
        .get()
        .await
        .unwrap();
    prefixed.assert_calls(1);
}

#[test]
fn plain_http_is_refused_off_loopback() {
    for url in [
        "http://acme.api.identitynow.com",
        "HTTP://ACME.API.IDENTITYNOW.COM/v3",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0:8080",
        "http://10.0.0.1",
        "http://[::ffff:8.8.8.8]",
        "ws://acme.example",
    ] {
        let err = Client::builder()
            .rate_limit(None)
            .base_url(url)
            .access_token(TOKEN)
            .build()
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Configuration),
            "{url}: {err:?}"
        );
        let env = HashMap::from([
            ("SAIL_BASE_URL".to_owned(), url.to_owned()),
            ("SAIL_ACCESS_TOKEN".to_owned(), TOKEN.to_owned()),
        ]);
        let err = Client::from_env_map(&env, Path::new("/nonexistent")).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Configuration),
            "{url}: {err:?}"
        );
        assert_clean(&err.to_string(), "config error");
    }
    for url in [
        "http://localhost:1",
        "http://127.0.0.1:1",
        "http://127.8.9.10",
        "http://[::1]:1",
        "https://acme.api.identitynow.com",
    ] {
        Client::builder()
            .rate_limit(None)
            .base_url(url)
            .access_token(TOKEN)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

/// TLS through rustls only: the lock file, which covers every platform and
/// feature combination of the workspace, holds no OpenSSL or native-tls crate.
/// By hand: `cargo tree --workspace -e normal,build -i openssl` finds nothing.
#[test]
fn neither_openssl_nor_native_tls_is_in_the_dependency_tree() {
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let text = std::fs::read_to_string(&lock).expect("Cargo.lock is next to the workspace");
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .collect();
    assert!(names.contains(&"rustls"), "rustls is the TLS stack");
    let banned = [
        "openssl",
        "openssl-sys",
        "openssl-src",
        "native-tls",
        "hyper-tls",
        "tokio-native-tls",
    ];
    let found: Vec<&&str> = names.iter().filter(|n| banned.contains(n)).collect();
    assert!(
        found.is_empty(),
        "banned TLS crates in Cargo.lock: {found:?}"
    );
}

/// Tokens live in memory only: the facade writes no file but the bulk journal.
#[test]
fn the_facade_never_writes_files() {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 10, "the walk found the sources: {files:?}");
    for path in files {
        let code = std::fs::read_to_string(&path).unwrap();
        // The crate writes files only where the caller chose it: the bulk
        // journal (idempotency keys, ids and error texts, scrubbed) and the
        // file rate budget (schedules keyed by host, client id and family).
        // Neither ever touches a credential.
        if path.ends_with("bulk/journal.rs") || path.ends_with("budget/file.rs") {
            for word in [
                "Credentials",
                "SecretString",
                "expose_secret",
                "TokenSource",
            ] {
                assert!(
                    !code.contains(word),
                    "{} must not handle credentials: {word}",
                    path.display()
                );
            }
            continue;
        }
        for call in [
            "fs::write",
            "File::create",
            "OpenOptions",
            "create_dir",
            "fs::rename",
        ] {
            assert!(!code.contains(call), "{} calls {call}", path.display());
        }
    }
}

/// The sandbox answers 401 to a missing, malformed, unknown or expired token
/// on every API operation, and no response repeats a secret it was sent.
#[tokio::test]
async fn the_sandbox_refuses_bad_tokens_and_never_echoes_secrets() {
    const WRONG: &str = "wrong-secret-7a7a7a";
    let sandbox = Sandbox::builder().start().await.unwrap();
    let http = reqwest::Client::new();
    let base = sandbox.base_url().to_owned();
    let expired = sandbox.issue_token();
    sandbox.expire_tokens();
    let valid = sandbox.issue_token();
    let routes = [
        (reqwest::Method::GET, "/v3/access-request-config", ""),
        (reqwest::Method::PUT, "/v3/access-request-config", "{}"),
        (reqwest::Method::GET, "/v3/access-request-status", ""),
        (
            reqwest::Method::POST,
            "/v3/access-requests",
            r#"{"requestedFor":["a"],"requestedItems":[{"type":"ROLE","id":"r"}]}"#,
        ),
        (
            reqwest::Method::POST,
            "/v3/access-requests/cancel",
            r#"{"accountActivityId":"x","comment":"c"}"#,
        ),
    ];
    let bad_auth = [
        None,
        Some(format!("Bearer {WRONG}")),
        Some(format!("Basic {WRONG}")),
        Some(format!("Bearer {expired}")),
        Some(WRONG.to_owned()),
    ];
    let mut refused = 0;
    for (method, path, body) in &routes {
        for auth in &bad_auth {
            let mut request = http
                .request(method.clone(), format!("{base}{path}"))
                .header("content-type", "application/json")
                .body(*body);
            if let Some(auth) = auth {
                request = request.header("authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {auth:?}");
            let headers = format!("{:?}", response.headers());
            let text = response.text().await.unwrap();
            for secret in [WRONG, expired.as_str(), valid.as_str()] {
                assert!(
                    !text.contains(secret) && !headers.contains(secret),
                    "{path}: {text}"
                );
            }
            refused += 1;
        }
        // A valid token gets through (the body may still be refused: 400).
        let response = http
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(&valid)
            .header("content-type", "application/json")
            .body(*body)
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), 401, "{method} {path}");
    }
    assert_eq!(refused, 25);

    // The token endpoint: wrong secrets and malformed forms are refused
    // without repeating the secret sent or the one expected.
    let id = sandbox.client_id();
    let secret = sandbox.client_secret();
    for form in [
        format!("grant_type=client_credentials&client_id={id}&client_secret={WRONG}"),
        format!("grant_type=client_credentials&client_id={WRONG}&client_secret={secret}"),
        format!("grant_type=password&client_id={id}&client_secret={secret}"),
        format!("client_id={id}&client_secret={secret}"),
        format!("grant_type=client_credentials&client_secret={WRONG}&%zz"),
        format!("grant_type=client_credentials&client_secret={WRONG}&a=%ff%fe"),
    ] {
        let response = http
            .post(format!("{base}/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(matches!(status, 400 | 401), "{form}: {status}");
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(WRONG) && !text.contains(&secret),
            "{form}: {text}"
        );
        assert!(!text.contains("access_token"), "{form}: {text}");
    }
    // Secrets in the query string are not echoed either.
    let response = http
        .post(format!(
            "{base}/oauth/token?grant_type=client_credentials&client_id={id}&client_secret={WRONG}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(!response.text().await.unwrap().contains(WRONG));
    assert_eq!(sandbox.requests_received(Operation::Token), 7);
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
    let (capture, _guard) = Capture::install();

    let client = client_with(&server, RetryPolicy::disabled());
    assert_clean(&format!("{client:?}"), "Client debug");
    client.access_request_config().get().await.unwrap();
    let err = client
        .access_request_config()
        .set(AccessRequestConfig::default())
        .await
        .unwrap_err();
    assert_clean(&format!("{err} {err:?}"), "401 error");
    let err = grant_role(&client, "a", "r").await.unwrap_err();
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

/// A proxy that echoes the `Authorization` header into the deprecation
/// headers: the warning, the notices kept by `deprecations()` and their
/// lengths stay clean and bounded.
#[tokio::test]
async fn echoed_credentials_in_deprecation_headers_are_scrubbed_and_bounded() {
    let (capture, _guard) = Capture::install();
    let server = MockServer::start_async().await;
    let echoed = format!("Bearer {TOKEN}");
    let long_tail = "x".repeat(5000);
    server.mock(|when, then| {
        when.path("/v3/access-request-config");
        then.status(200)
            .header("content-type", "application/json")
            .header("Deprecation", &echoed)
            .header("Sunset", format!("{echoed} {long_tail}"))
            .header(
                "Link",
                format!("<https://proxy.example/?auth={TOKEN}>; rel=\"deprecation\""),
            )
            .body(serde_json::to_string(&AccessRequestConfig::default()).unwrap());
    });
    let client = static_client(&server, RetryPolicy::disabled());
    client.access_request_config().get().await.unwrap();
    let logs = capture.text();
    assert!(
        logs.contains("deprecated"),
        "the notice is still logged: {logs}"
    );
    assert_clean(&logs, "the deprecation warning");
    let notices = client.deprecations();
    assert_eq!(notices.len(), 1);
    let (_, notice) = &notices[0];
    let kept = format!("{notice:?}");
    assert_clean(&kept, "deprecations()");
    assert!(kept.contains("<redacted>"), "{kept}");
    for text in [&notice.deprecation, &notice.sunset, &notice.link] {
        let text = text.as_deref().unwrap_or("");
        assert!(
            text.chars().count() <= 201,
            "{} characters kept",
            text.len()
        );
    }
}
