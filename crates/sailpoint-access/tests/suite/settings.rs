//! Where settings come from: environment map, then config.json; never the process environment.

use std::collections::HashMap;
use std::path::PathBuf;

use sailpoint_access::settings::{
    CredentialStore, SettingSources, StoreUnavailable, KEYRING_CLIENT_ID, KEYRING_CLIENT_SECRET,
};
use sailpoint_access::{Client, ClientBuilder, ErrorKind, SecretString};

/// A fresh directory, optionally with a config.json.
fn dir(name: &str, config_json: Option<&str>) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sailpoint-access-config-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(text) = config_json {
        std::fs::write(dir.join("config.json"), text).unwrap();
    }
    dir
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn debug(client: &Client) -> String {
    format!("{client:?}")
}

const FILE: &str = r#"{"BaseURL":"https://file.api.identitynow.com","ClientId":"file-id","ClientSecret":"file-secret"}"#;

#[test]
fn environment_wins_over_the_file() {
    let d = dir("env-wins", Some(FILE));
    let client = Client::from_env_map(
        &env(&[
            ("SAIL_BASE_URL", "https://env.api.identitynow.com/v3"),
            ("SAIL_CLIENT_ID", "env-id"),
            ("SAIL_CLIENT_SECRET", "env-secret"),
        ]),
        &d,
    )
    .unwrap();
    assert_eq!(client.base_url(), "https://env.api.identitynow.com");
    assert!(debug(&client).contains("env-id"));
}

#[test]
fn the_file_is_used_when_the_environment_is_empty() {
    let d = dir("file-only", Some(FILE));
    let client = Client::from_env_map(&env(&[("SAIL_BASE_URL", "  ")]), &d).unwrap();
    assert_eq!(client.base_url(), "https://file.api.identitynow.com");
    assert!(debug(&client).contains("file-id"));
    assert!(!debug(&client).contains("file-secret"));
}

#[test]
fn each_setting_falls_back_separately() {
    let d = dir("mixed", Some(FILE));
    // Base URL from the environment, credentials from the file.
    let client = Client::from_env_map(
        &env(&[("SAIL_BASE_URL", "https://env.api.identitynow.com")]),
        &d,
    )
    .unwrap();
    assert_eq!(client.base_url(), "https://env.api.identitynow.com");
    assert!(debug(&client).contains("file-id"));
    // Credentials from the environment, base URL from the file.
    let client = Client::from_env_map(
        &env(&[("SAIL_CLIENT_ID", "env-id"), ("SAIL_CLIENT_SECRET", "s")]),
        &d,
    )
    .unwrap();
    assert_eq!(client.base_url(), "https://file.api.identitynow.com");
    assert!(debug(&client).contains("env-id"));
}

#[test]
fn client_credentials_win_over_an_access_token_which_wins_over_the_file() {
    let d = dir("token", Some(FILE));
    let base = ("SAIL_BASE_URL", "https://env.api.identitynow.com");
    let client = Client::from_env_map(
        &env(&[
            base,
            ("SAIL_CLIENT_ID", "env-id"),
            ("SAIL_CLIENT_SECRET", "s"),
            ("SAIL_ACCESS_TOKEN", "tok"),
        ]),
        &d,
    )
    .unwrap();
    assert!(debug(&client).contains("ClientCredentials"));
    let client = Client::from_env_map(&env(&[base, ("SAIL_ACCESS_TOKEN", "tok")]), &d).unwrap();
    assert!(debug(&client).contains("AccessToken"), "{client:?}");
}

#[test]
fn half_set_credentials_are_an_error_not_a_fallback() {
    let d = dir("half", Some(FILE));
    let err = Client::from_env_map(&env(&[("SAIL_CLIENT_ID", "env-id")]), &d).unwrap_err();
    assert!(
        err.kind() == ErrorKind::Configuration && err.to_string().contains("SAIL_CLIENT_SECRET"),
        "{err}"
    );
    let err = Client::from_env_map(&env(&[("SAIL_CLIENT_SECRET", "x")]), &d).unwrap_err();
    assert!(err.to_string().contains("SAIL_CLIENT_ID"), "{err}");
}

#[test]
fn missing_settings_say_what_to_set() {
    let d = dir("nothing", None);
    let err = Client::from_env_map(&env(&[]), &d).unwrap_err();
    assert!(err.to_string().contains("SAIL_BASE_URL"), "{err}");
    let err = Client::from_env_map(
        &env(&[("SAIL_BASE_URL", "https://x.api.identitynow.com")]),
        &d,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("configuration error: no credentials"),
        "{err}"
    );
}

#[test]
fn a_broken_file_is_reported_with_its_path() {
    let d = dir("broken", Some("{not json"));
    let err = ClientBuilder::from_env_map(&env(&[]), &d).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
}

#[test]
fn the_base_url_is_checked() {
    let d = dir("url", None);
    let err = Client::from_env_map(
        &env(&[
            ("SAIL_BASE_URL", "http://acme.api.identitynow.com"),
            ("SAIL_ACCESS_TOKEN", "t"),
        ]),
        &d,
    )
    .unwrap_err();
    assert!(err.to_string().contains("https is required"), "{err}");
    let client = Client::from_env_map(
        &env(&[
            ("SAIL_BASE_URL", "http://localhost:9/v3/"),
            ("SAIL_ACCESS_TOKEN", "t"),
        ]),
        &d,
    )
    .unwrap();
    assert_eq!(client.base_url(), "http://localhost:9");
}

#[test]
fn the_builder_requires_base_url_and_credentials() {
    let err = Client::builder()
        .rate_limit(None)
        .access_token("t")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("no base URL"), "{err}");
    let err = Client::builder()
        .rate_limit(None)
        .base_url("https://a.example")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("no credentials"), "{err}");
    let err = Client::builder()
        .rate_limit(None)
        .base_url("https://a.example")
        .client_credentials("", "s")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("client id"), "{err}");
}

#[test]
fn the_sailpoint_cli_config_gives_the_base_url_of_its_active_environment() {
    let home = std::env::temp_dir().join(format!("sail-home-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".sailpoint")).unwrap();
    std::fs::write(
        home.join(".sailpoint/config.yaml"),
        "authtype: pat\nactiveenvironment: acme\nenvironments:\n  other:\n    baseurl: https://other.api.identitynow.com\n  acme:\n    baseurl: https://acme.api.identitynow.com\n    tenanturl: https://acme.identitynow.com\n",
    )
    .unwrap();
    let empty = std::env::temp_dir().join(format!("sail-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let vars = env(&[
        ("HOME", home.to_str().unwrap()),
        ("SAIL_CLIENT_ID", "id"),
        ("SAIL_CLIENT_SECRET", "secret"),
    ]);
    let client = Client::from_env_map(&vars, &empty).unwrap();
    assert_eq!(client.base_url(), "https://acme.api.identitynow.com");
    // SAIL_ENV chooses another environment of the file, as `sail --env` does;
    // one the file lacks is an error listing those it has.
    let mut chosen = vars.clone();
    chosen.insert("SAIL_ENV".into(), "other".into());
    assert_eq!(
        Client::from_env_map(&chosen, &empty).unwrap().base_url(),
        "https://other.api.identitynow.com"
    );
    chosen.insert("SAIL_ENV".into(), "prod".into());
    let err = Client::from_env_map(&chosen, &empty).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(err.to_string().contains("\"prod\""), "{err}");
    assert!(
        err.to_string().contains("other, acme") || err.to_string().contains("acme, other"),
        "{err}"
    );
    // SAIL_BASE_URL still wins.
    let mut vars = vars;
    vars.insert(
        "SAIL_BASE_URL".into(),
        "https://env.api.identitynow.com".into(),
    );
    assert_eq!(
        Client::from_env_map(&vars, &empty).unwrap().base_url(),
        "https://env.api.identitynow.com"
    );
    // Without credentials in the environment, the YAML file alone is not enough.
    let vars = env(&[("HOME", home.to_str().unwrap())]);
    let err = Client::from_env_map(&vars, &empty).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&empty);
}

/// `SAIL_RATE_LIMIT` states a tenant's custom limit (`REQUESTS/SECONDS`) or
/// `off`; a value that is neither is a configuration error naming it.
#[tokio::test]
async fn the_rate_limit_comes_from_sail_rate_limit() {
    let sandbox = sailpoint_access_sandbox::Sandbox::builder()
        .start()
        .await
        .unwrap();
    let base = sandbox.base_url().to_owned();
    let d = dir("rate-limit", None);
    let with = |limit: &str| {
        Client::from_env_map(
            &env(&[
                ("SAIL_BASE_URL", &base),
                ("SAIL_CLIENT_ID", &sandbox.client_id()),
                ("SAIL_CLIENT_SECRET", &sandbox.client_secret()),
                ("SAIL_RATE_LIMIT", limit),
            ]),
            &d,
        )
    };
    let err = with("lots").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(err.to_string().contains("SAIL_RATE_LIMIT"), "{err}");
    assert!(err.to_string().contains("lots"), "{err}");

    // 2 per second: four calls need three spacings of half a second.
    let paced = with("2/1").unwrap();
    let started = std::time::Instant::now();
    for _ in 0..4 {
        paced.access_request_config().get().await.unwrap();
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    let off = with("off").unwrap();
    for _ in 0..4 {
        off.access_request_config().get().await.unwrap();
    }
}

/// A keyring in memory, as (service, user, secret); `None`: unreachable.
#[derive(Debug)]
struct MemoryStore(Option<Vec<(&'static str, &'static str, &'static str)>>);

impl CredentialStore for MemoryStore {
    fn get(&self, service: &str, user: &str) -> Result<Option<SecretString>, StoreUnavailable> {
        let entries = self
            .0
            .as_ref()
            .ok_or_else(|| StoreUnavailable("no session bus".to_owned()))?;
        Ok(entries
            .iter()
            .find(|(s, u, _)| *s == service && *u == user)
            .map(|(_, _, v)| SecretString::from(v.to_string())))
    }

    fn name(&self) -> &str {
        "memory keyring"
    }
}

const ENTRIES: &[(&str, &str, &str)] = &[
    (KEYRING_CLIENT_ID, "dev", "dev-id"),
    (KEYRING_CLIENT_SECRET, "dev", "dev-secret"),
    (KEYRING_CLIENT_ID, "prod", "prod-id"),
    (KEYRING_CLIENT_SECRET, "prod", "prod-secret"),
];

/// A home with a sail-style config.yaml (`dev` and `prod`, `active` the
/// active one) and a working directory, with config.json when asked.
fn sail_dirs(
    name: &str,
    active: &str,
    auth: &str,
    config_json: bool,
) -> (HashMap<String, String>, PathBuf) {
    let home = dir(&format!("{name}-home"), None);
    std::fs::create_dir_all(home.join(".sailpoint")).unwrap();
    std::fs::write(
        home.join(".sailpoint/config.yaml"),
        format!(
            "activeenvironment: {active}\nauthtype: {auth}\nenvironments:\n  dev:\n    baseurl: https://dev.api.identitynow.com\n  prod:\n    baseurl: https://prod.api.identitynow.com\n"
        ),
    )
    .unwrap();
    let work = dir(&format!("{name}-work"), config_json.then_some(FILE));
    (env(&[("HOME", home.to_str().unwrap())]), work)
}

/// The builder's debug output names the client id (never the secret).
fn resolved(
    env: &HashMap<String, String>,
    dir: &std::path::Path,
    store: &dyn CredentialStore,
) -> (String, SettingSources) {
    let builder = ClientBuilder::from_env_map_with_store(env, dir, Some(store)).unwrap();
    let sources = builder.setting_sources().cloned().unwrap();
    let shown = format!("{builder:?}");
    assert!(!shown.contains("-secret"), "{shown}");
    (shown, sources)
}

#[test]
fn a_pat_environment_takes_its_credentials_from_the_keyring() {
    let store = MemoryStore(Some(ENTRIES.to_vec()));
    let (mut vars, work) = sail_dirs("pat", "prod", "pat", false);
    let (shown, sources) = resolved(&vars, &work, &store);
    assert!(
        shown.contains("prod-id") && shown.contains("https://prod.api"),
        "{shown}"
    );
    assert_eq!(sources.credentials, "memory keyring (environment \"prod\")");
    assert_eq!(sources.environment.as_deref(), Some("prod"));
    vars.insert("SAIL_ENV".into(), "dev".into());
    let (shown, sources) = resolved(&vars, &work, &store);
    assert!(shown.contains("dev-id"), "{shown}");
    assert!(
        sources.base_url.starts_with("chosen environment \"dev\""),
        "{sources:?}"
    );
    // Another tenant's base URL: the environment's secret is not sent there.
    let mut elsewhere = vars.clone();
    elsewhere.insert("SAIL_BASE_URL".into(), "https://other.example".into());
    let err = ClientBuilder::from_env_map_with_store(&elsewhere, &work, Some(&store))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not the keyring of environment \"dev\""),
        "{err}"
    );
    elsewhere.insert(
        "SAIL_BASE_URL".into(),
        "https://dev.api.identitynow.com/v3/".into(),
    );
    assert!(resolved(&elsewhere, &work, &store).0.contains("dev-id"));
    // SAIL_* variables come first.
    vars.insert("SAIL_CLIENT_ID".into(), "var-id".into());
    vars.insert("SAIL_CLIENT_SECRET".into(), "var-secret".into());
    let (shown, sources) = resolved(&vars, &work, &store);
    assert!(shown.contains("var-id"), "{shown}");
    assert_eq!(sources.credentials, "SAIL_CLIENT_ID and SAIL_CLIENT_SECRET");
}

/// A named environment ranks before config.json, the active one after it.
#[test]
fn a_named_environment_comes_before_config_json_and_the_active_one_after() {
    let store = MemoryStore(Some(ENTRIES.to_vec()));
    let (mut vars, work) = sail_dirs("order", "prod", "pat", true);
    let (shown, _) = resolved(&vars, &work, &store);
    assert!(
        shown.contains("file-id") && shown.contains("https://file.api"),
        "{shown}"
    );
    vars.insert("SAIL_ENV".into(), "dev".into());
    let (shown, _) = resolved(&vars, &work, &store);
    assert!(
        shown.contains("dev-id") && shown.contains("https://dev.api"),
        "{shown}"
    );
}

#[test]
fn keyring_failures_name_the_environment_and_the_entries() {
    let (vars, work) = sail_dirs("unreachable", "dev", "pat", false);
    let fail = |store: Option<&dyn CredentialStore>, vars: &HashMap<String, String>| {
        let err = ClientBuilder::from_env_map_with_store(vars, &work, store).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
        err.to_string()
    };
    let err = fail(Some(&MemoryStore(None)), &vars);
    for needle in [
        "\"dev\"",
        KEYRING_CLIENT_ID,
        KEYRING_CLIENT_SECRET,
        "no keyring service available",
        "no session bus",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    // Entries of another environment only: the entries tried are named.
    let err = fail(Some(&MemoryStore(Some(ENTRIES[2..].to_vec()))), &vars);
    assert!(err.contains("no credentials"), "{err}");
    assert!(
        err.contains("memory keyring entries environments.pat.clientid"),
        "{err}"
    );
    assert!(!err.contains("prod-secret"), "{err}");
    // No keyring in the build (or none given).
    let err = fail(None, &vars);
    assert!(err.contains("lacks the keyring feature"), "{err}");
    // An OAuth environment has no such entries: the keyring is not asked.
    let (vars, _) = sail_dirs("oauth", "dev", "oauth", false);
    let err = fail(Some(&MemoryStore(None)), &vars);
    assert!(err.contains("authtype \"oauth\""), "{err}");
}
