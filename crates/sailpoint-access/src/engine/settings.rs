//! Where the client's settings come from: explicit settings, environment
//! variables, the `config.json` the SailPoint CLI writes for SDKs, and the
//! environments of the CLI's own `~/.sailpoint/config.yaml` with their
//! credentials in the system keyring; and the checks of a base URL.
//!
//! # Resolution order
//!
//! This is the one description of the order; `sail-access -v` prints it
//! ([`RESOLUTION_ORDER`]).
//!
#![doc = include_str!("settings_order.md")]

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use secrecy::ExposeSecret;
use serde::Deserialize;

use sailpoint_access_api::Family;

use crate::engine::auth::Credentials;
use crate::engine::credential_store::{CredentialStore, KEYRING_CLIENT_ID, KEYRING_CLIENT_SECRET};
use crate::error::{Error, Result};

/// The order in which settings are resolved, as text (the module's
/// documentation, which `sail-access -v` prints).
pub const RESOLUTION_ORDER: &str = include_str!("settings_order.md");

/// Environment variable with the tenant's API host, e.g. `https://acme.api.identitynow.com`.
pub const ENV_BASE_URL: &str = "SAIL_BASE_URL";
/// Environment variable with the OAuth2 client id.
pub const ENV_CLIENT_ID: &str = "SAIL_CLIENT_ID";
/// Environment variable with the OAuth2 client secret.
pub const ENV_CLIENT_SECRET: &str = "SAIL_CLIENT_SECRET";
/// Environment variable with a ready bearer token.
pub const ENV_ACCESS_TOKEN: &str = "SAIL_ACCESS_TOKEN";
/// Environment variable choosing the API family: `v3` (the default) or
/// `versioned` (the per-resource paths such as `/access-requests/v1`).
pub const ENV_API_FAMILY: &str = "SAIL_API_FAMILY";
/// Environment variable with the tenant's rate limit as `REQUESTS/SECONDS`
/// (`300/10` for a tenant with a custom limit), or `off` for no pacing;
/// absent: the vendor's default, 100 per 10 s.
pub const ENV_RATE_LIMIT: &str = "SAIL_RATE_LIMIT";
/// Where the rate budget is kept: `in-process` (the default),
/// `file:DIRECTORY` or `redis://HOST:PORT/DB`.
pub const ENV_RATE_BUDGET: &str = "SAIL_RATE_BUDGET";
/// The file the SailPoint CLI writes for SDKs, read from the working directory.
pub const CONFIG_FILE: &str = "config.json";

#[derive(Deserialize)]
struct ConfigFile {
    #[serde(rename = "BaseURL")]
    base_url: Option<String>,
    #[serde(rename = "ClientId")]
    client_id: Option<String>,
    #[serde(rename = "ClientSecret")]
    client_secret: Option<String>,
}

/// The SailPoint CLI's configuration, below the home directory.
pub const CLI_CONFIG: &str = ".sailpoint/config.yaml";
/// Environment variable naming the SailPoint CLI environment to use (an
/// `environments.<name>` of its `config.yaml`) instead of its active one.
pub const ENV_ENVIRONMENT: &str = "SAIL_ENV";

/// Where each resolved setting came from, in words (`SAIL_BASE_URL`,
/// `keyring (environment "dev")`, `default`...). It never holds a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettingSources {
    /// Where the base URL came from.
    pub base_url: String,
    /// Where the credentials came from.
    pub credentials: String,
    /// Where the API family came from.
    pub family: String,
    /// Where the rate limit came from.
    pub rate_limit: String,
    /// The SailPoint CLI environment a step read, if any.
    pub environment: Option<String>,
}

/// An environment of the SailPoint CLI's `config.yaml`.
struct CliEnvironment {
    name: String,
    /// Named by `SAIL_ENV` rather than being the active one.
    chosen: bool,
    base_url: Option<String>,
    /// `pat` or `oauth`: the environment's own `authtype`, else the file's.
    auth_type: Option<String>,
}

impl CliEnvironment {
    fn label(&self) -> String {
        let how = if self.chosen { "chosen" } else { "active" };
        format!("{how} environment {:?} of ~/{CLI_CONFIG}", self.name)
    }

    fn is_pat(&self) -> bool {
        self.auth_type
            .as_deref()
            .is_none_or(|t| t.trim().eq_ignore_ascii_case("pat"))
    }
}

/// The environment of the SailPoint CLI's `$HOME/.sailpoint/config.yaml`
/// that `SAIL_ENV` names, else its `activeenvironment`. Keys are matched
/// ignoring case. No file or no active environment: `None`; `SAIL_ENV`
/// naming an environment the file lacks is an error listing those it has.
fn cli_environment(env: &HashMap<String, String>) -> Result<Option<CliEnvironment>> {
    let Some(home) = env.get("HOME").or_else(|| env.get("USERPROFILE")) else {
        return Ok(None);
    };
    let path = Path::new(home).join(CLI_CONFIG);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let doc: serde_norway::Value = serde_norway::from_str(&text)
        .map_err(|e| Error::config(format!("{} is not valid YAML: {e}", path.display())))?;
    fn get<'a>(value: &'a serde_norway::Value, key: &str) -> Option<&'a serde_norway::Value> {
        value.as_mapping()?.iter().find_map(|(k, v)| {
            k.as_str()
                .filter(|k| k.eq_ignore_ascii_case(key))
                .map(|_| v)
        })
    }
    let text_of = |v: Option<&serde_norway::Value>| {
        v.and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let chosen = env
        .get(ENV_ENVIRONMENT)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty());
    let Some(name) = chosen.or_else(|| get(&doc, "activeenvironment").and_then(|v| v.as_str()))
    else {
        return Ok(None);
    };
    let environments = get(&doc, "environments");
    let found = environments.and_then(|envs| get(envs, name));
    if chosen.is_some() && found.is_none() {
        let known: Vec<&str> = environments
            .and_then(|e| e.as_mapping())
            .map(|m| m.keys().filter_map(|k| k.as_str()).collect())
            .unwrap_or_default();
        return Err(Error::config(format!(
            "{ENV_ENVIRONMENT} names environment {name:?}, which {} does not have (it has: {})",
            path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    Ok(Some(CliEnvironment {
        name: name.to_owned(),
        chosen: chosen.is_some(),
        base_url: text_of(found.and_then(|e| get(e, "baseurl"))),
        auth_type: text_of(found.and_then(|e| get(e, "authtype")))
            .or_else(|| text_of(get(&doc, "authtype"))),
    }))
}

/// The client id and secret the SailPoint CLI keeps in the keyring for a
/// PAT environment: `None` when either entry is missing, an error when the
/// keyring cannot be reached.
fn keyring_credentials(
    store: &dyn CredentialStore,
    environment: &CliEnvironment,
) -> Result<Option<Credentials>> {
    let user = environment.name.as_str();
    let read = |service: &str| {
        store.get(service, user).map_err(|e| {
            Error::config(format!(
                "environment {user:?}: no keyring service available to read its credentials \
                 (tried {} entries {KEYRING_CLIENT_ID} and {KEYRING_CLIENT_SECRET} for user {user:?}): {e}; \
                 set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} instead",
                store.name()
            ))
        })
    };
    let id = read(KEYRING_CLIENT_ID)?;
    let secret = read(KEYRING_CLIENT_SECRET)?;
    Ok(match (id, secret) {
        (Some(id), Some(secret)) => Some(Credentials::client_credentials(
            id.expose_secret().trim(),
            secret.expose_secret().trim(),
        )),
        _ => None,
    })
}

/// Settings resolved from the environment, `config.json` and the SailPoint
/// CLI's environments.
pub(crate) struct Resolved {
    pub base_url: String,
    pub credentials: Credentials,
    pub family: Family,
    /// From `SAIL_RATE_LIMIT`, when set: `Some(None)` is `off`.
    pub rate_limit: Option<Option<crate::engine::pace::RateLimit>>,
    pub sources: SettingSources,
    /// From `SAIL_RATE_BUDGET`, when set.
    pub rate_budget: Option<crate::engine::budget::RateBudgetSpec>,
}

/// Reads `SAIL_RATE_BUDGET`.
pub(crate) fn rate_budget(
    env: &HashMap<String, String>,
) -> Result<Option<crate::engine::budget::RateBudgetSpec>> {
    match env.get(ENV_RATE_BUDGET).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|e| Error::config(format!("{ENV_RATE_BUDGET}: {e}"))),
    }
}

/// Reads `SAIL_RATE_LIMIT`: `REQUESTS/SECONDS`, or `off`.
pub(crate) fn rate_limit(
    env: &HashMap<String, String>,
) -> Result<Option<Option<crate::engine::pace::RateLimit>>> {
    match env.get(ENV_RATE_LIMIT).map(|v| v.trim()) {
        None | Some("") => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("off") => Ok(Some(None)),
        Some(v) => v
            .parse()
            .map(|limit| Some(Some(limit)))
            .map_err(|e| Error::config(format!("{ENV_RATE_LIMIT}: {e}"))),
    }
}

/// Reads `SAIL_API_FAMILY`; absent or empty is v3.
pub(crate) fn family(env: &HashMap<String, String>) -> Result<Family> {
    match env.get(ENV_API_FAMILY).map(|v| v.trim()) {
        None | Some("") => Ok(Family::V3),
        Some(v) => v
            .parse()
            .map_err(|e| Error::config(format!("{ENV_API_FAMILY}: {e}"))),
    }
}

/// A base URL or credentials found by one step, and the step's name.
type Found<T> = Option<(T, String)>;

/// The steps of the resolution that read files or the keyring.
enum Step {
    /// The SailPoint CLI environment: named by `SAIL_ENV`, else the active one.
    SailEnvironment,
    /// `config.json` in the working directory.
    ConfigJson,
}

/// Resolves every setting in the order of the module's documentation; the
/// later steps (files, keyring) are read only when an earlier one left
/// something missing.
pub(crate) fn resolve(
    env: &HashMap<String, String>,
    dir: &Path,
    store: Option<&dyn CredentialStore>,
) -> Result<Resolved> {
    let var = |name: &str| {
        env.get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut base_url: Found<String> = var(ENV_BASE_URL).map(|u| (u, ENV_BASE_URL.to_owned()));
    let mut credentials: Found<Credentials> = match (var(ENV_CLIENT_ID), var(ENV_CLIENT_SECRET)) {
        (Some(id), Some(secret)) => Some((
            Credentials::client_credentials(id, secret),
            format!("{ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}"),
        )),
        (Some(_), None) => {
            return Err(Error::config(format!(
                "{ENV_CLIENT_ID} is set but {ENV_CLIENT_SECRET} is not"
            )))
        }
        (None, Some(_)) => {
            return Err(Error::config(format!(
                "{ENV_CLIENT_SECRET} is set but {ENV_CLIENT_ID} is not"
            )))
        }
        (None, None) => var(ENV_ACCESS_TOKEN)
            .map(|t| (Credentials::access_token(t), ENV_ACCESS_TOKEN.to_owned())),
    };
    let config_path = dir.join(CONFIG_FILE);
    // What the steps tried, for the message when nothing gave credentials.
    let mut tried = vec![
        format!("{ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or {ENV_ACCESS_TOKEN}"),
        format!("ClientId and ClientSecret in {}", config_path.display()),
    ];
    let mut environment_used = None;
    // Steps 3 to 5: an environment named by SAIL_ENV before config.json,
    // the active one after it.
    let steps = if var(ENV_ENVIRONMENT).is_some() {
        [Step::SailEnvironment, Step::ConfigJson]
    } else {
        [Step::ConfigJson, Step::SailEnvironment]
    };
    for step in steps {
        if base_url.is_some() && credentials.is_some() {
            break;
        }
        match step {
            Step::ConfigJson => {
                let Some(file) = read_config_json(&config_path)? else {
                    continue;
                };
                let source = format!("{CONFIG_FILE} ({})", config_path.display());
                let field =
                    |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
                if base_url.is_none() {
                    base_url = field(file.base_url).map(|u| (u, source.clone()));
                }
                if credentials.is_none() {
                    if let (Some(id), Some(secret)) =
                        (field(file.client_id), field(file.client_secret))
                    {
                        credentials =
                            Some((Credentials::client_credentials(id, secret), source.clone()));
                    }
                }
            }
            Step::SailEnvironment => {
                let Some(environment) = cli_environment(env)? else {
                    continue;
                };
                environment_used = Some(environment.name.clone());
                if base_url.is_none() {
                    base_url = environment
                        .base_url
                        .clone()
                        .map(|u| (u, environment.label()));
                }
                if credentials.is_some() {
                    continue;
                }
                let user = &environment.name;
                // An environment's secret goes only to its own tenant: with
                // a base URL from elsewhere, its keyring is not read.
                let same_tenant = match (&base_url, &environment.base_url) {
                    (Some((url, _)), Some(own)) => {
                        normalize_base_url(url).ok() == normalize_base_url(own).ok()
                    }
                    _ => false,
                };
                if !same_tenant {
                    tried.push(format!(
                        "not the keyring of environment {user:?}: the base URL in use is not its baseurl"
                    ));
                } else if !environment.is_pat() {
                    tried.push(format!(
                        "environment {user:?} uses authtype {:?}, whose tokens this client does not read",
                        environment.auth_type.as_deref().unwrap_or_default()
                    ));
                } else if let Some(store) = store {
                    tried.push(format!(
                        "{} entries {KEYRING_CLIENT_ID} and {KEYRING_CLIENT_SECRET} for user {user:?}",
                        store.name()
                    ));
                    credentials = keyring_credentials(store, &environment)?
                        .map(|c| (c, format!("{} (environment {user:?})", store.name())));
                } else {
                    tried.push(format!(
                        "no keyring for environment {user:?}: this build lacks the keyring feature"
                    ));
                }
            }
        }
    }

    let Some((base_url, base_url_source)) = base_url else {
        return Err(Error::config(format!(
            "no base URL: set {ENV_BASE_URL}, BaseURL in {}, or an environment in ~/{CLI_CONFIG}",
            config_path.display()
        )));
    };
    let Some((credentials, credentials_source)) = credentials else {
        return Err(Error::config(format!(
            "no credentials: tried {}",
            tried.join("; ")
        )));
    };
    let family_source = match var(ENV_API_FAMILY) {
        Some(_) => ENV_API_FAMILY.to_owned(),
        None => "default".to_owned(),
    };
    let rate_limit_source = match var(ENV_RATE_LIMIT) {
        Some(_) => ENV_RATE_LIMIT.to_owned(),
        None => "default (the vendor's limit)".to_owned(),
    };
    Ok(Resolved {
        base_url: normalize_base_url(&base_url)?,
        credentials,
        family: family(env)?,
        rate_limit: rate_limit(env)?,
        sources: SettingSources {
            base_url: base_url_source,
            credentials: credentials_source,
            family: family_source,
            rate_limit: rate_limit_source,
            environment: environment_used,
        },
        rate_budget: rate_budget(env)?,
    })
}

/// `config.json`, if there is one.
fn read_config_json(path: &Path) -> Result<Option<ConfigFile>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<ConfigFile>(&bytes)
            .map(Some)
            .map_err(|e| {
                Error::config(format!(
                    "{} is not a valid config file: {e}",
                    path.display()
                ))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Checks a base URL and puts it in the form the client uses: scheme and host,
/// plus any path prefix, with no trailing `/` and no trailing `/v3`.
///
/// `https` is required except for loopback hosts (`localhost`, `127.0.0.0/8`,
/// `::1`), which tests and local proxies use.
pub(crate) fn normalize_base_url(input: &str) -> Result<String> {
    // A URL with user info may carry a password: never echo it.
    let shown = if input.contains('@') {
        "<redacted>"
    } else {
        input
    };
    let bad = |why: &str| Error::config(format!("invalid base URL {shown:?}: {why}"));
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        bad(&format!(
            "{e}; expected e.g. https://acme.api.identitynow.com"
        ))
    })?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("it has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => {
            return Err(bad(
                "https is required (plain http is only allowed for loopback hosts)",
            ))
        }
        other => return Err(bad(&format!("unsupported scheme {other:?}, use https"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    let mut path = url.path().trim_end_matches('/');
    if let Some(stripped) = path.strip_suffix("/v3") {
        path = stripped.trim_end_matches('/');
    }
    if let Some(last) = path.rsplit('/').next().filter(|s| !s.is_empty()) {
        let looks_versioned = last == "beta"
            || (last.starts_with('v')
                && last[1..].chars().all(|c| c.is_ascii_digit())
                && last.len() > 1);
        if looks_versioned {
            return Err(bad(&format!(
                "it ends in API version {last:?}; this client speaks v3 and adds /v3 itself"
            )));
        }
    }
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(host));
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(path);
    Ok(out)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_trailing_slashes_and_v3() {
        for (input, expected) in [
            (
                "https://acme.api.identitynow.com",
                "https://acme.api.identitynow.com",
            ),
            (
                "https://acme.api.identitynow.com/",
                "https://acme.api.identitynow.com",
            ),
            (
                "https://acme.api.identitynow.com/v3",
                "https://acme.api.identitynow.com",
            ),
            (
                "https://acme.api.identitynow.com/v3//",
                "https://acme.api.identitynow.com",
            ),
            (
                " https://ACME.api.identitynow.com:8443/v3/ ",
                "https://acme.api.identitynow.com:8443",
            ),
            ("https://proxy.example/isc/v3", "https://proxy.example/isc"),
            ("http://localhost:8080/v3", "http://localhost:8080"),
            ("http://127.0.0.1:1234", "http://127.0.0.1:1234"),
            ("http://[::1]:1234/", "http://[::1]:1234"),
        ] {
            assert_eq!(normalize_base_url(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn rejects_what_cannot_work_and_says_why() {
        for (input, why) in [
            ("", "empty"),
            ("acme.api.identitynow.com", "expected e.g."),
            ("http://acme.api.identitynow.com", "https is required"),
            ("ftp://acme.example", "unsupported scheme"),
            ("https://user:pw@acme.example", "credentials"),
            ("https://acme.example/?x=1", "query"),
            ("https://acme.example/beta", "API version"),
            ("https://acme.example/v2024", "API version"),
        ] {
            let err = normalize_base_url(input).unwrap_err().to_string();
            assert!(err.contains(why), "{input}: {err}");
            assert!(!err.contains("pw@"), "{err}");
        }
    }
}
