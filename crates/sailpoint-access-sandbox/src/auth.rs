//! The OAuth2 client-credentials token endpoint and bearer-token checks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use crate::error::{json_response, ApiError};
use crate::rng::SplitMix64;

/// The credentials and token lifetime; they can change while the sandbox
/// runs.
pub(crate) struct Settings {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) token_lifetime: Duration,
}

/// The token response body.
#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    scope: &'static str,
}

/// Issued tokens and their expiry.
pub(crate) struct Tokens {
    issued: HashMap<String, Instant>,
    /// Tokens of the ordinary approver client (the others act as the org
    /// administrator).
    approvers: std::collections::HashSet<String>,
    rng: SplitMix64,
}

/// Who a token acts as, for the operations whose rights depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The identity (`me`).
    pub(crate) id: &'static str,
    /// Whether it is an org administrator.
    pub(crate) admin: bool,
}

impl Tokens {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            issued: HashMap::new(),
            approvers: std::collections::HashSet::new(),
            rng: SplitMix64::new(seed ^ 0x70CE_70CE_70CE_70CE),
        }
    }

    /// A new token valid for `lifetime` from `now`.
    pub(crate) fn issue(&mut self, lifetime: Duration, now: Instant) -> String {
        // Long-running sandboxes would otherwise keep every token forever.
        if self.issued.len() >= 4096 {
            self.issued.retain(|_, expiry| *expiry > now);
            let issued = &self.issued;
            self.approvers.retain(|t| issued.contains_key(t));
        }
        let token = format!("sbx.{}{}", self.rng.hex_id(), self.rng.hex_id());
        self.issued.insert(token.clone(), now + lifetime);
        token
    }

    /// Makes every issued token expired.
    /// Marks `token` as the ordinary approver's.
    pub(crate) fn mark_approver(&mut self, token: &str) {
        self.approvers.insert(token.to_owned());
    }

    /// Who the bearer token of `headers` acts as (checked by the gate
    /// before any handler runs).
    pub(crate) fn caller(&self, headers: &HeaderMap) -> Caller {
        let approver = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(_, token)| self.approvers.contains(token.trim()));
        if approver {
            Caller {
                id: crate::tenant::APPROVER_IDENTITY_ID,
                admin: false,
            }
        } else {
            Caller {
                id: crate::tenant::CALLER_IDENTITY_ID,
                admin: true,
            }
        }
    }

    pub(crate) fn expire_all(&mut self, now: Instant) {
        for expiry in self.issued.values_mut() {
            *expiry = now;
        }
    }

    /// Whether `headers` carry a token this sandbox issued (expired or
    /// not): its caller is then the sandbox's one client id.
    pub(crate) fn issued_here(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .is_some_and(|(_, token)| self.issued.contains_key(token.trim()))
    }

    /// Checks an `Authorization` header.
    pub(crate) fn check(&self, headers: &HeaderMap, now: Instant) -> Result<(), ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "Full authentication is required to access this resource",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(|| ApiError::unauthorized("Authorization header is not a Bearer token"))?;
        match self.issued.get(token) {
            Some(expiry) if *expiry > now => Ok(()),
            Some(_) => Err(ApiError::unauthorized(
                "JWT validation failed: JWT is expired",
            )),
            None => Err(ApiError::unauthorized(
                "JWT validation failed: invalid token",
            )),
        }
    }
}

/// Handles `POST /oauth/token`: parameters come from the form body or, as
/// the service also accepts, the query string; `issue` makes a token of the
/// given lifetime once the credentials check out.
pub(crate) fn token_endpoint(
    settings: &Settings,
    issue: impl FnOnce(Duration, bool) -> String,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let mut params: Vec<(String, String)> = match query {
        Some(q) => serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?,
        None => Vec::new(),
    };
    if !body.is_empty() {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        if !form {
            return Err(ApiError::bad_request(
                "The token endpoint expects an application/x-www-form-urlencoded body.",
            ));
        }
        let body: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|e| ApiError::bad_request(format!("Invalid form body: {e}")))?;
        params.extend(body);
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match get("grant_type") {
        Some("client_credentials") => {}
        Some(_) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
            ))
        }
        None => return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_request")),
    }
    let admin = get("client_id") == Some(settings.client_id.as_str())
        && get("client_secret") == Some(settings.client_secret.as_str());
    let approver = get("client_id") == Some(crate::tenant::APPROVER_CLIENT_ID)
        && get("client_secret") == Some(crate::tenant::APPROVER_CLIENT_SECRET);
    if !admin && !approver {
        return Err(ApiError::unauthorized("invalid_client"));
    }
    let lifetime = settings.token_lifetime;
    let token = issue(lifetime, approver);
    Ok(json_response(
        StatusCode::OK,
        &TokenResponse {
            access_token: &token,
            token_type: "bearer",
            expires_in: lifetime.as_secs(),
            scope: "sp:scopes:all",
        },
    ))
}

fn oauth_error(status: StatusCode, error: &str) -> ApiError {
    let mut e = ApiError::unauthorized(error);
    e.set_status(status);
    e
}
