//! Where the client's settings come from (environment variables, the
//! `config.json` the SailPoint CLI writes for SDKs, and the base URL of the
//! active environment in the CLI's `~/.sailpoint/config.yaml`) and the
//! checks of a base URL.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

use sailpoint_access_api::Family;

use crate::engine::auth::Credentials;
use crate::error::{Error, Result};

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

/// The base URL of an environment of the SailPoint CLI, from
/// `$HOME/.sailpoint/config.yaml`: the one `SAIL_ENV` names, else its
/// `activeenvironment`, then `environments.<name>.baseurl`. Its secrets are
/// not read (the CLI keeps them in the system keyring), so credentials still
/// come from the environment. Keys are matched ignoring case. No file:
/// `None`; `SAIL_ENV` naming an environment the file lacks is an error
/// listing those it has.
pub(crate) fn cli_base_url(env: &HashMap<String, String>) -> Result<Option<String>> {
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
    let chosen = env
        .get(ENV_ENVIRONMENT)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty());
    let Some(active) = chosen.or_else(|| get(&doc, "activeenvironment").and_then(|v| v.as_str()))
    else {
        return Ok(None);
    };
    let environments = get(&doc, "environments");
    if let Some(name) = chosen {
        if environments.and_then(|envs| get(envs, name)).is_none() {
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
    }
    let url = environments
        .and_then(|envs| get(envs, active))
        .and_then(|e| get(e, "baseurl"))
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    Ok(url)
}

/// Settings resolved from the environment and `config.json`.
pub(crate) struct Resolved {
    pub base_url: String,
    pub credentials: Credentials,
    pub family: Family,
    /// From `SAIL_RATE_LIMIT`, when set: `Some(None)` is `off`.
    pub rate_limit: Option<Option<crate::engine::pace::RateLimit>>,
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

/// Resolves the base URL and credentials.
///
/// Precedence, per setting: a non-empty environment variable wins over
/// `config.json`. For credentials, `SAIL_CLIENT_ID` + `SAIL_CLIENT_SECRET`
/// come first (they can be refreshed), then `SAIL_ACCESS_TOKEN`, then the
/// file's `ClientId` + `ClientSecret`. The file is read only when the
/// environment leaves something missing.
pub(crate) fn resolve(env: &HashMap<String, String>, dir: &Path) -> Result<Resolved> {
    let var = |name: &str| {
        env.get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let env_base = var(ENV_BASE_URL);
    let env_id = var(ENV_CLIENT_ID);
    let env_secret = var(ENV_CLIENT_SECRET);
    let env_token = var(ENV_ACCESS_TOKEN);

    let env_credentials = match (env_id, env_secret) {
        (Some(id), Some(secret)) => Some(Credentials::client_credentials(id, secret)),
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
        (None, None) => env_token.map(Credentials::access_token),
    };

    if let (Some(base_url), Some(credentials)) = (&env_base, &env_credentials) {
        return Ok(Resolved {
            base_url: normalize_base_url(base_url)?,
            credentials: credentials.clone(),
            family: family(env)?,
            rate_limit: rate_limit(env)?,
            rate_budget: rate_budget(env)?,
        });
    }

    let path = dir.join(CONFIG_FILE);
    let file = match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice::<ConfigFile>(&bytes).map_err(|e| {
            Error::config(format!(
                "{} is not a valid config file: {e}",
                path.display()
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Error::config(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let file_var = |get: fn(&ConfigFile) -> &Option<String>| {
        file.as_ref()
            .and_then(|f| get(f).as_deref())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };

    let base_url = match env_base.or_else(|| file_var(|f| &f.base_url)) {
        Some(url) => url,
        None => cli_base_url(env)?.ok_or_else(|| {
            Error::config(format!(
                "no base URL: set {ENV_BASE_URL}, BaseURL in {}, or an active environment in ~/{CLI_CONFIG}",
                path.display()
            ))
        })?,
    };
    let credentials = match env_credentials {
        Some(c) => c,
        None => match (file_var(|f| &f.client_id), file_var(|f| &f.client_secret)) {
            (Some(id), Some(secret)) => Credentials::client_credentials(id, secret),
            _ => {
                return Err(Error::config(format!(
                    "no credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or {ENV_ACCESS_TOKEN}, \
                     or ClientId and ClientSecret in {}",
                    path.display()
                )))
            }
        },
    };
    Ok(Resolved {
        base_url: normalize_base_url(&base_url)?,
        credentials,
        family: family(env)?,
        rate_limit: rate_limit(env)?,
        rate_budget: rate_budget(env)?,
    })
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
