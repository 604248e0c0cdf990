//! The sandbox as a standalone server, for curl and other languages:
//!
//! ```text
//! cargo run -p sailpoint-access-sandbox -- --port 8787 --seed-statuses 1000
//! cargo run -p sailpoint-access-sandbox -- --port 0 --latency-ms 50 \
//!     --rate-limit 100 --server-errors 0.01 --server-error-status 503
//! ```
//!
//! `--help` lists every flag; the fault and lifecycle flags set the same
//! knobs as the library's builder.

use std::process::ExitCode;
use std::time::Duration;

use sailpoint_access_api::limits;
use sailpoint_access_sandbox::{
    AutoLifecycle, FaultConfig, Latency, RateLimit, Sandbox, SandboxBuilder, ServerErrors,
};

const USAGE: &str = "\
Usage: sailpoint-access-sandbox [OPTIONS]

Serves a sandbox SailPoint tenant (the v3 and the versioned Access Requests
operations, and /oauth/token) on 127.0.0.1 until Ctrl-C.

Options:
  --port N                  port to listen on (default 8787; 0 picks a free one)
  --seed-statuses N         start with N generated statuses (default 0)
  --client-id ID            client id the token endpoint accepts
  --client-secret S         client secret the token endpoint accepts
  --token-lifetime SECS     token lifetime in seconds (default 43200)
  --seed N                  seed of ids, generated data and faults (default 0)
  --no-offset-quirk         answer an empty page instead of 400 \"Specified offset is invalid.\"

Faults (API operations only; the token endpoint is never faulted):
  --latency-ms N            delay every response by N milliseconds
  --rate-limit N            429 once a caller made N requests of one API family in a window
  --rate-window-ms N        length of the rate-limit window (default 10000)
  --server-errors RATIO     answer this share (0.0 to 1.0) of requests with a 5xx
  --server-error-status N   the 5xx to answer (repeatable or comma-separated;
                            default a mix of 500, 502 and 503)

Tenant behaviour:
  --visibility-delay-ms N   keep a new status out of the lists for N milliseconds
  --auto-approve-ms N       approve pending items N milliseconds after creation
  --auto-provision-ms N     provision approved items N milliseconds after approval
                            (either of the two turns the lifecycle on; the other is 0)
  --auto-reject-ratio R     share of items rejected instead of approved (default 0)
  --auto-fail-ratio R       share of approved items whose provisioning fails (default 0)
  -h, --help                this text";

/// Flags that combine into one knob, applied once every flag is read so
/// their order does not matter.
#[derive(Default)]
struct Knobs {
    rate_limit: Option<u32>,
    rate_window_ms: Option<u64>,
    server_errors: Option<f64>,
    server_error_statuses: Vec<u16>,
    auto_approve_ms: Option<u64>,
    auto_provision_ms: Option<u64>,
    auto_reject_ratio: Option<f64>,
    auto_fail_ratio: Option<f64>,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{flag}: '{v}' is not a valid number"))
}

fn ratio(flag: &str, v: &str) -> Result<f64, String> {
    let r: f64 = number(flag, v)?;
    if (0.0..=1.0).contains(&r) {
        Ok(r)
    } else {
        Err(format!("{flag}: {v} is not a ratio between 0 and 1"))
    }
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn parse(args: &[String]) -> Result<Option<SandboxBuilder>, String> {
    let mut builder = Sandbox::builder().port(8787);
    let mut knobs = Knobs::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        builder = match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => builder.port(number(flag, value()?)?),
            "--seed-statuses" => builder.seed_statuses(number(flag, value()?)?),
            "--client-id" => builder.client_id(value()?),
            "--client-secret" => builder.client_secret(value()?),
            "--token-lifetime" => {
                builder.token_lifetime(Duration::from_secs(number(flag, value()?)?))
            }
            "--seed" => builder.seed(number(flag, value()?)?),
            "--no-offset-quirk" => builder.offset_quirk(false),
            "--latency-ms" => builder.latency(Latency::new(millis(number(flag, value()?)?))),
            "--visibility-delay-ms" => builder.visibility_delay(millis(number(flag, value()?)?)),
            other => {
                match other {
                    "--rate-limit" => knobs.rate_limit = Some(number(flag, value()?)?),
                    "--rate-window-ms" => knobs.rate_window_ms = Some(number(flag, value()?)?),
                    "--server-errors" => knobs.server_errors = Some(ratio(flag, value()?)?),
                    "--server-error-status" => {
                        for code in value()?.split(',') {
                            let code: u16 = number(flag, code.trim())?;
                            if !(500..=599).contains(&code) {
                                return Err(format!("{flag}: {code} is not a 5xx status"));
                            }
                            knobs.server_error_statuses.push(code);
                        }
                    }
                    "--auto-approve-ms" => knobs.auto_approve_ms = Some(number(flag, value()?)?),
                    "--auto-provision-ms" => {
                        knobs.auto_provision_ms = Some(number(flag, value()?)?)
                    }
                    "--auto-reject-ratio" => knobs.auto_reject_ratio = Some(ratio(flag, value()?)?),
                    "--auto-fail-ratio" => knobs.auto_fail_ratio = Some(ratio(flag, value()?)?),
                    _ => return Err(format!("unknown option {other}")),
                }
                builder
            }
        };
    }
    apply(builder, knobs).map(Some)
}

/// Turns the combined flags into knobs, refusing halves of one.
fn apply(mut builder: SandboxBuilder, knobs: Knobs) -> Result<SandboxBuilder, String> {
    match (knobs.rate_limit, knobs.rate_window_ms) {
        (Some(n), window) => {
            let window = window.map_or(
                Duration::from_secs(limits::RATE_LIMIT_WINDOW_SECONDS),
                millis,
            );
            builder = builder.rate_limit(RateLimit::new(n, window));
        }
        (None, Some(_)) => return Err("--rate-window-ms needs --rate-limit".to_owned()),
        (None, None) => {}
    }
    match knobs.server_errors {
        Some(r) => {
            builder =
                builder.server_errors(ServerErrors::new(r).statuses(&knobs.server_error_statuses));
        }
        None if !knobs.server_error_statuses.is_empty() => {
            return Err("--server-error-status needs --server-errors".to_owned())
        }
        None => {}
    }
    if knobs.auto_approve_ms.is_some() || knobs.auto_provision_ms.is_some() {
        let auto = AutoLifecycle::new(
            millis(knobs.auto_approve_ms.unwrap_or(0)),
            millis(knobs.auto_provision_ms.unwrap_or(0)),
        )
        .reject_ratio(knobs.auto_reject_ratio.unwrap_or(0.0))
        .fail_ratio(knobs.auto_fail_ratio.unwrap_or(0.0));
        builder = builder.auto_lifecycle(auto);
    } else if knobs.auto_reject_ratio.is_some() || knobs.auto_fail_ratio.is_some() {
        return Err(
            "--auto-reject-ratio and --auto-fail-ratio need --auto-approve-ms or --auto-provision-ms"
                .to_owned(),
        );
    }
    Ok(builder)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let builder = match parse(&args) {
        Ok(Some(builder)) => builder,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match builder.start().await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            let cause = std::error::Error::source(&e)
                .map(|c| format!(": {c}"))
                .unwrap_or_default();
            eprintln!("error: {e}{cause}");
            return ExitCode::FAILURE;
        }
    };
    println!("SailPoint access sandbox listening");
    println!("  SAIL_BASE_URL={}", sandbox.base_url());
    println!("  SAIL_CLIENT_ID={}", sandbox.client_id());
    println!("  SAIL_CLIENT_SECRET={}", sandbox.client_secret());
    println!("  statuses: {}", sandbox.status_count());
    let faults = sandbox.faults();
    if faults != FaultConfig::default() {
        println!("  faults: {faults:?}");
    }
    if !sandbox.visibility_delay().is_zero() {
        println!("  visibility delay: {:?}", sandbox.visibility_delay());
    }
    if let Some(auto) = sandbox.auto_lifecycle() {
        println!("  lifecycle: {auto:?}");
    }
    println!(
        "  try: curl -s -d grant_type=client_credentials -d client_id={} -d client_secret={} {}/oauth/token",
        sandbox.client_id(),
        sandbox.client_secret(),
        sandbox.base_url()
    );
    println!("Press Ctrl-C to stop.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
