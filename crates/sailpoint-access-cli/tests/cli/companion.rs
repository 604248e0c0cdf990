//! `sail-access` beside the SailPoint CLI: its environments with their
//! credentials in the keyring (a test keyring file here, see
//! `SAIL_ACCESS_TEST_KEYRING`), and `sail-access doctor`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use crate::harness::{bare_command as bare, run, Tenant};

const TEST_KEYRING: &str = "SAIL_ACCESS_TEST_KEYRING";
const ID_SERVICE: &str = "environments.pat.clientid";
const SECRET_SERVICE: &str = "environments.pat.clientsecret";

/// A test keyring holding `entries` as (service, user, secret).
fn keyring(t: &Tenant, entries: &[(&str, &str, &str)]) -> PathBuf {
    let mut doc = serde_json::Map::new();
    for (service, user, secret) in entries {
        doc.entry(service.to_string())
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()
            .unwrap()
            .insert(user.to_string(), serde_json::json!(secret));
    }
    t.write("keyring.json", &serde_json::Value::Object(doc).to_string())
}

fn sandbox_entries(t: &Tenant, user: &'static str) -> Vec<(&'static str, &'static str, String)> {
    vec![
        (ID_SERVICE, user, t.handle.client_id()),
        (SECRET_SERVICE, user, t.handle.client_secret()),
    ]
}

fn keyring_of(t: &Tenant, entries: &[(&'static str, &'static str, String)]) -> PathBuf {
    let borrowed: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(s, u, v)| (*s, *u, v.as_str()))
        .collect();
    keyring(t, &borrowed)
}

/// The issue's "done when": a sail-style config.yaml and keyring entries,
/// no SAIL_* variable, and `--env NAME status` works; `SAIL_ENV` and the
/// active environment too, and `-v` says where each setting came from.
#[test]
fn a_pat_environment_takes_its_credentials_from_the_keyring() {
    let t = Tenant::start("keyring-env");
    let home = t.sail_home("prod");
    let store = keyring_of(&t, &sandbox_entries(&t, "acme-sbx"));

    let mut cmd = bare(
        &t.dir,
        &home,
        &["--env", "acme-sbx", "status", "-o", "json"],
    );
    cmd.env(TEST_KEYRING, &store);
    let out = run(cmd);
    out.expect(0);
    assert!(out.json().is_array(), "{}", out.stdout);

    let mut cmd = bare(&t.dir, &home, &["-v", "status", "-o", "json"]);
    cmd.env(TEST_KEYRING, &store).env("SAIL_ENV", "acme-sbx");
    let out = run(cmd);
    out.expect(0);
    out.expect_stderr("settings resolution order");
    out.expect_stderr("credentials from test keyring (environment \"acme-sbx\")");
    out.expect_stderr("base URL from chosen environment \"acme-sbx\"");
    assert!(!out.stderr.contains(&t.handle.client_secret()));

    // Without --env: the file's active environment.
    let home = t.sail_home("acme-sbx");
    let mut cmd = bare(&t.dir, &home, &["status", "-o", "json"]);
    cmd.env(TEST_KEYRING, &store);
    run(cmd).expect(0);
}

/// SAIL_* variables come before the keyring: a wrong secret in
/// SAIL_CLIENT_SECRET is used (and refused) although the keyring holds the
/// right one.
#[test]
fn variables_win_over_the_keyring() {
    let t = Tenant::start("keyring-order");
    let home = t.sail_home("prod");
    let store = keyring_of(&t, &sandbox_entries(&t, "acme-sbx"));
    let mut cmd = bare(&t.dir, &home, &["--env", "acme-sbx", "status"]);
    cmd.env(TEST_KEYRING, &store)
        .env("SAIL_CLIENT_ID", t.handle.client_id())
        .env("SAIL_CLIENT_SECRET", "not-the-secret-41");
    let out = run(cmd);
    out.expect(1);
    assert!(!out.stderr.contains("not-the-secret-41"), "{}", out.stderr);
}

/// A keyring that cannot be reached is an error naming the environment, the
/// entries tried and "no keyring service available"; entries missing for
/// the environment say which entries were looked for.
#[test]
fn keyring_failures_name_the_environment_and_the_entries() {
    let t = Tenant::start("keyring-errors");
    let home = t.sail_home("prod");
    let mut cmd = bare(&t.dir, &home, &["--env", "acme-sbx", "status"]);
    cmd.env(TEST_KEYRING, t.dir.join("no-such-keyring.json"));
    let out = run(cmd);
    out.expect(2);
    for needle in [
        "\"acme-sbx\"",
        ID_SERVICE,
        SECRET_SERVICE,
        "no keyring service available",
    ] {
        assert!(out.stderr.contains(needle), "{needle}: {}", out.stderr);
    }
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    // Entries for another environment only.
    let store = keyring_of(&t, &sandbox_entries(&t, "prod"));
    let mut cmd = bare(&t.dir, &home, &["--env", "acme-sbx", "status"]);
    cmd.env(TEST_KEYRING, &store);
    let out = run(cmd);
    out.expect(2);
    out.expect_stderr("no credentials");
    out.expect_stderr(ID_SERVICE);
    out.expect_stderr("\"acme-sbx\"");
    assert!(!out.stderr.contains(&t.handle.client_secret()));
}

/// Against the sandbox: every check passes, exit 0, and the report says
/// where the settings came from without the secret.
#[test]
fn doctor_passes_against_the_sandbox() {
    let t = Tenant::start("doctor-ok");
    let out = t.run(&["doctor", "--json"]);
    out.expect(0);
    let doc = out.json();
    assert_eq!(doc["severity"], "ok", "{}", out.stdout);
    assert_eq!(doc["token"]["granted"], true);
    assert!(doc["token"]["lifetime_seconds"].as_u64().unwrap() > 0);
    assert!(doc["token"]["expires_at"].is_string());
    let families = doc["families"].as_array().unwrap();
    assert!(families.len() >= 2, "{families:?}");
    assert!(families.iter().all(|f| f["ok"] == true), "{families:?}");
    assert!(families.iter().filter(|f| f["configured"] == true).count() == 1);
    assert_eq!(doc["rate_limit"]["configured"], "100/10s");
    assert!(doc["settings"]["credentials"]
        .as_str()
        .unwrap()
        .starts_with("set (SAIL_CLIENT_ID and SAIL_CLIENT_SECRET"));
    assert!(doc["settings"]["base_url"]
        .as_str()
        .unwrap()
        .contains("SAIL_BASE_URL"));
    assert!(!out.stdout.contains(&t.handle.client_secret()));

    // The table names each check; keyring credentials are shown as such.
    let home = t.sail_home("prod");
    let store = keyring_of(&t, &sandbox_entries(&t, "acme-sbx"));
    let mut cmd = bare(&t.dir, &home, &["--env", "acme-sbx", "doctor"]);
    cmd.env(TEST_KEYRING, &store);
    let out = run(cmd);
    out.expect(0);
    assert!(out.stdout.starts_with("CHECK"), "{}", out.stdout);
    out.expect_stdout("set (test keyring (environment \"acme-sbx\"))");
    out.expect_stdout("family v3");
    assert!(!out.stdout.contains(&t.handle.client_secret()));
}

/// A refused secret is an error (exit 1) that the report explains; settings
/// that cannot be resolved are exit 2 with a report saying why.
#[test]
fn doctor_reports_a_refused_secret_and_missing_settings() {
    let t = Tenant::start("doctor-bad");
    let mut cmd = t.command(&["doctor", "-o", "json"]);
    cmd.env("SAIL_CLIENT_SECRET", "wrong-secret-77x");
    let out = run(cmd);
    out.expect(1);
    let doc = out.json();
    assert_eq!(doc["severity"], "error");
    assert_eq!(doc["token"]["granted"], false);
    assert!(doc["token"]["error"].is_string());
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(!all.contains("wrong-secret-77x"), "{all}");

    let home = t.dir.join("empty-home");
    std::fs::create_dir_all(&home).unwrap();
    let out = run(bare(&t.dir, &home, &["doctor", "--json"]));
    out.expect(2);
    let doc = out.json();
    assert_eq!(doc["checks"][0]["check"], "settings");
    assert!(doc["checks"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("SAIL_BASE_URL"));
}

/// base64url without padding, for the fake token.
fn b64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// A server that echoes what it receives: the token response carries the
/// request body (with the secret) and a JWT whose claims quote the secret;
/// the v3 status list answers with a deprecation link quoting the
/// `Authorization` header; every other path is a 404 quoting the request.
fn echoing_server(secret: &str) -> (String, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let claims = serde_json::json!({
        "authorities": ["ORG_ADMIN", "sp:access-request-admin"],
        "client_id": "echo-client",
        "scope": ["sp:scopes:all"],
        "user_name": secret,
        "exp": exp,
    });
    let token = format!(
        "{}.{}.c2lnbmF0dXJl",
        b64url(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    );
    let served = token.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            let authorization = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("authorization:")
                        .then(|| l[14..].trim().to_owned())
                })
                .unwrap_or_default();
            let (status, headers, payload) = if path.starts_with("/oauth/token") {
                (
                    "200 OK",
                    String::new(),
                    serde_json::json!({
                        "access_token": served,
                        "token_type": "bearer",
                        "expires_in": 3600,
                        "scope": "sp:scopes:all",
                        "echo": body,
                    })
                    .to_string(),
                )
            } else if path.starts_with("/v3/access-request-status") {
                (
                    "200 OK",
                    format!(
                        "X-Total-Count: 0\r\nDeprecation: true\r\nSunset: Wed, 01 Jul 2026 00:00:00 GMT\r\nLink: <http://docs.example/deprecated?auth={}>; rel=\"deprecation\"\r\n",
                        authorization.replace(' ', "%20")
                    ),
                    "[]".to_owned(),
                )
            } else {
                (
                    "404 Not Found",
                    String::new(),
                    serde_json::json!({
                        "detailCode": "404 Not found",
                        "messages": [{"locale": "en-US", "text": format!("no route; you sent {head}")}],
                    })
                    .to_string(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                payload.len()
            );
        }
    });
    (base, token)
}

/// A server that echoes the secret and the token everywhere: the report
/// (table and json) quotes neither; the claims give the rights; a family
/// the tenant does not serve and an announced deprecation are warnings
/// (exit 3).
#[test]
fn doctor_never_prints_the_secret_or_the_token() {
    let secret = "echo-Secret-9f3k";
    let (base, token) = echoing_server(secret);
    let t = Tenant::start("doctor-echo");
    for format in ["json", "table", "yaml"] {
        let mut cmd = t.command(&["doctor", "-o", format]);
        cmd.env("SAIL_BASE_URL", &base)
            .env("SAIL_CLIENT_ID", "echo-client")
            .env("SAIL_CLIENT_SECRET", secret);
        let out = run(cmd);
        out.expect(3);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains(secret), "{format}: {all}");
        assert!(!all.contains(&token), "{format}: {all}");
        // Nor the token's signature or payload on their own.
        for part in token.split('.').skip(1) {
            assert!(!all.contains(part), "{format}: {all}");
        }
        assert!(all.contains("ORG_ADMIN"), "{format}: {all}");
        if format == "json" {
            let doc = out.json();
            assert_eq!(doc["severity"], "warning");
            assert_eq!(doc["token"]["claims"]["client_id"], "echo-client");
            assert_eq!(doc["deprecations"].as_array().unwrap().len(), 1);
            let families = doc["families"].as_array().unwrap();
            assert!(families
                .iter()
                .any(|f| f["configured"] == false && f["ok"] == false));
            assert!(families
                .iter()
                .any(|f| f["configured"] == true && f["ok"] == true));
        }
    }
}
