//! `sail-access doctor`: whether the settings work, and why not. Every
//! check becomes a row with a severity; the whole report is passed through
//! the client's redaction before it is printed, so a server that echoes the
//! secret or the token cannot make the report carry it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;

use sailpoint_access::{Client, ClientBuilder, Family};

use crate::error::{self, CliError, CliResult};
use crate::output::{table_row, Output, OutputArgs, Report};

/// The end of `sail-access doctor --help`.
const DOCTOR_HELP: &str = "\
Checks, in order: where each setting came from (secrets are shown only as
`set`, with their source), a token (its lifetime and the rights it carries,
read from the token's claims without verifying them; never the token), each
API family's status list with limit=0, the rate limit (configured, and the
share the pacer uses after 429s), and the deprecations the service announced.

Exit codes of doctor:
  0  every check passed
  1  an error: no token, or the configured family does not answer
  2  the settings cannot be resolved (nothing was sent)
  3  warnings only: another family does not answer, or deprecations were announced

Examples:
  sail-access doctor
  sail-access --env prod doctor --json > doctor.json   # for a support ticket";

/// `sail-access doctor`.
#[derive(Debug, Args)]
#[command(after_help = DOCTOR_HELP)]
pub struct DoctorArgs {
    /// Table for people, json for a support ticket (no secret in either).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The claims of a token that say who it is and what it may do; the others
/// (signature material, ids of the session) are not shown.
const CLAIMS_SHOWN: &[&str] = &[
    "authorities",
    "scope",
    "client_id",
    "user_name",
    "identity_id",
    "tenant_id",
    "org",
    "pod",
    "strong_auth",
    "exp",
    "iat",
];

/// How bad a check's result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Severity {
    Ok,
    Warning,
    Error,
}

impl Severity {
    fn label(&self) -> String {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
        .to_owned()
    }

    fn exit_code(self) -> u8 {
        match self {
            Severity::Ok => error::OK,
            Severity::Warning => error::PARTIAL,
            Severity::Error => error::FAILURE,
        }
    }
}

table_row! {
    /// One row of the report.
    #[derive(Debug, Serialize)]
    struct Check {
        "CHECK" check: String,
        "RESULT" severity: Severity => Severity::label,
        "DETAIL" detail: String,
    }
}

/// What the token endpoint and the token said.
#[derive(Debug, Default, Serialize)]
struct TokenReport {
    granted: bool,
    error: Option<String>,
    lifetime_seconds: Option<u64>,
    expires_at: Option<String>,
    scope: Option<String>,
    claims: BTreeMap<String, serde_json::Value>,
}

/// One family's status list probe.
#[derive(Debug, Serialize)]
struct FamilyProbe {
    family: String,
    configured: bool,
    ok: bool,
    total: Option<u64>,
    elapsed_ms: u64,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct RateLimitReport {
    /// `100/10s`, or `off`.
    configured: String,
    /// The share of the configured limit the pacer uses now, per family.
    learned_share: BTreeMap<String, f64>,
}

#[derive(Debug, Serialize)]
struct Deprecation {
    operation: String,
    deprecation: Option<String>,
    sunset: Option<String>,
    link: Option<String>,
}

/// The whole report, as `--output json` prints it.
#[derive(Debug, Serialize)]
struct Doctor {
    version: &'static str,
    severity: Severity,
    settings: BTreeMap<String, String>,
    token: Option<TokenReport>,
    families: Vec<FamilyProbe>,
    rate_limit: Option<RateLimitReport>,
    deprecations: Vec<Deprecation>,
    checks: Vec<Check>,
}

impl Doctor {
    fn check(&mut self, check: &str, severity: Severity, detail: impl Into<String>) {
        self.severity = self.severity.max(severity);
        self.checks.push(Check {
            check: check.to_owned(),
            severity,
            detail: detail.into(),
        });
    }
}

/// Checks the settings that `builder` was resolved from (or why it could
/// not be), `given` naming the settings flags of the command line.
pub async fn exec(
    builder: Result<ClientBuilder, CliError>,
    given: &[(&'static str, &'static str)],
    args: DoctorArgs,
) -> CliResult {
    let mut doctor = Doctor {
        version: env!("CARGO_PKG_VERSION"),
        severity: Severity::Ok,
        settings: BTreeMap::new(),
        token: None,
        families: Vec::new(),
        rate_limit: None,
        deprecations: Vec::new(),
        checks: Vec::new(),
    };
    let format = args.output.format();
    let builder = match builder {
        Ok(builder) => builder,
        Err(e) => {
            // Nothing can be sent: the report says why, exit 2 as any
            // command with unusable settings.
            doctor.check("settings", Severity::Error, e.message.clone());
            print(&doctor, format, &|text| text.to_owned())?;
            return Ok(error::USAGE);
        }
    };
    // Short limits: a doctor that hangs for minutes helps nobody.
    let builder = builder
        .attempt_timeout(Duration::from_secs(15))
        .total_timeout(Duration::from_secs(30));
    let client = builder.clone().build()?;
    settings(&mut doctor, given, &builder, &client);
    token(&mut doctor, &client).await;
    families(&mut doctor, &builder, &client).await;
    rate_limit(&mut doctor, &client);
    deprecations(&mut doctor, &client);
    print(&doctor, format, &|text| client.redact(text))?;
    Ok(doctor.severity.exit_code())
}

fn settings(
    doctor: &mut Doctor,
    given: &[(&'static str, &'static str)],
    builder: &ClientBuilder,
    client: &Client,
) {
    let mut sources = builder.setting_sources().cloned().unwrap_or_default();
    for &(flag, setting) in given {
        let source = format!("the {flag} flag");
        match setting {
            "base_url" => sources.base_url = source,
            "credentials" => {
                sources.credentials = format!("{source} (secret: {})", sources.credentials)
            }
            "family" => sources.family = source,
            _ => sources.rate_limit = source,
        }
    }
    let environment = sources
        .environment
        .clone()
        .unwrap_or_else(|| "none".to_owned());
    let credentials = format!("set ({})", sources.credentials);
    let rows = [
        ("environment", environment),
        (
            "base_url",
            format!("{} (from {})", client.base_url(), sources.base_url),
        ),
        ("credentials", credentials),
        (
            "family",
            format!("{} (from {})", client.family(), sources.family),
        ),
        ("rate_limit", format!("from {}", sources.rate_limit)),
    ];
    for (name, value) in rows {
        doctor.check(&format!("settings: {name}"), Severity::Ok, value.clone());
        doctor.settings.insert(name.to_owned(), value);
    }
}

async fn token(doctor: &mut Doctor, client: &Client) {
    let mut report = TokenReport::default();
    match client.token_info().await {
        Ok(info) => {
            report.granted = true;
            report.lifetime_seconds = info.lifetime.map(|l| l.as_secs());
            report.scope = info.scope.clone();
            let claims = info.claims.unwrap_or_default();
            report.claims = CLAIMS_SHOWN
                .iter()
                .filter_map(|name| claims.get(*name).map(|v| ((*name).to_owned(), v.clone())))
                .collect();
            let expiry = claims
                .get("exp")
                .and_then(|v| v.as_i64())
                .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
                .or_else(|| {
                    info.lifetime
                        .and_then(|l| chrono::Duration::from_std(l).ok())
                        .map(|l| chrono::Utc::now() + l)
                });
            report.expires_at =
                expiry.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            let lifetime = match (&report.expires_at, report.lifetime_seconds) {
                (Some(at), Some(s)) => format!("granted, valid {s} s (until {at})"),
                (Some(at), None) => format!("granted, valid until {at}"),
                (None, _) => "granted, no expiry announced".to_owned(),
            };
            doctor.check("token", Severity::Ok, lifetime);
            let rights = rights(&report);
            doctor.check("token: rights", Severity::Ok, rights);
        }
        Err(e) => {
            report.error = Some(e.to_string());
            doctor.check("token", Severity::Error, format!("not granted: {e}"));
        }
    }
    doctor.token = Some(report);
}

/// The rights a token reveals, in words.
fn rights(report: &TokenReport) -> String {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(" "),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut parts = Vec::new();
    if let Some(v) = report.claims.get("authorities") {
        parts.push(format!("authorities: {}", text(v)));
    }
    match (report.claims.get("scope"), &report.scope) {
        (Some(v), _) => parts.push(format!("scope: {}", text(v))),
        (None, Some(scope)) => parts.push(format!("scope: {scope}")),
        (None, None) => {}
    }
    if let Some(v) = report.claims.get("client_id") {
        parts.push(format!("client_id: {}", text(v)));
    }
    if parts.is_empty() {
        "not revealed (the token is not a JWT and the service named no scope)".to_owned()
    } else {
        parts.join("; ")
    }
}

async fn families(doctor: &mut Doctor, builder: &ClientBuilder, client: &Client) {
    for family in Family::ALL {
        let configured = family == client.family();
        let probe_client = if configured {
            Ok(client.clone())
        } else {
            builder.clone().family(family).build()
        };
        let started = Instant::now();
        let result = match probe_client {
            Ok(c) => c.statuses().limit(0).count(true).page().await,
            Err(e) => Err(e),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (ok, total, error) = match result {
            Ok(page) => (true, page.total, None),
            Err(e) => (false, None, Some(e.to_string())),
        };
        let name = format!("family {family}");
        match &error {
            None => doctor.check(
                &name,
                Severity::Ok,
                format!(
                    "status list answers ({} statuses, {elapsed_ms} ms){}",
                    total.map_or_else(|| "? ".to_owned(), |t| t.to_string()),
                    if configured { ", in use" } else { "" }
                ),
            ),
            Some(e) => {
                let severity = if configured {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                let role = if configured { "in use" } else { "not in use" };
                doctor.check(&name, severity, format!("{role}; status list fails: {e}"));
            }
        }
        doctor.families.push(FamilyProbe {
            family: family.to_string(),
            configured,
            ok,
            total,
            elapsed_ms,
            error,
        });
    }
}

fn rate_limit(doctor: &mut Doctor, client: &Client) {
    let configured = match client.rate_limit() {
        Some(limit) => format!("{}/{}s", limit.requests(), limit.window().as_secs_f64()),
        None => "off".to_owned(),
    };
    let learned_share: BTreeMap<String, f64> = Family::ALL
        .into_iter()
        .map(|f| (f.to_string(), client.pacing_share(f)))
        .collect();
    let slowed: Vec<String> = learned_share
        .iter()
        .filter(|(_, share)| **share < 1.0)
        .map(|(f, share)| format!("{f} at {:.0}%", share * 100.0))
        .collect();
    let detail = if slowed.is_empty() {
        format!("{configured}, no 429 seen")
    } else {
        format!("{configured}; slowed after 429: {}", slowed.join(", "))
    };
    doctor.check("rate limit", Severity::Ok, detail);
    doctor.rate_limit = Some(RateLimitReport {
        configured,
        learned_share,
    });
}

fn deprecations(doctor: &mut Doctor, client: &Client) {
    let seen = client.deprecations();
    if seen.is_empty() {
        doctor.check("deprecations", Severity::Ok, "none announced");
    }
    for (operation, notice) in seen {
        let detail = [
            notice
                .deprecation
                .as_deref()
                .map(|d| format!("deprecated {d}")),
            notice.sunset.as_deref().map(|s| format!("sunset {s}")),
            notice.link.as_deref().map(|l| format!("see {l}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        doctor.check(
            &format!("deprecation: {operation}"),
            Severity::Warning,
            detail,
        );
        doctor.deprecations.push(Deprecation {
            operation: operation.to_owned(),
            deprecation: notice.deprecation,
            sunset: notice.sunset,
            link: notice.link,
        });
    }
}

/// Prints the report in `format`, every byte of it passed through `redact`.
fn print(doctor: &Doctor, format: Output, redact: &dyn Fn(&str) -> String) -> Result<(), CliError> {
    let report = Report {
        doc: doctor,
        rows: &doctor.checks,
    };
    let mut text = Vec::new();
    report.write(&mut text, format)?;
    let text = redact(&String::from_utf8_lossy(&text));
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(())
}
