//! The sandbox as a standalone server, for curl and other languages:
//!
//! ```text
//! cargo run -p sailpoint-access-sandbox -- --port 8787 --seed-statuses 1000
//! ```

use std::process::ExitCode;
use std::time::Duration;

use sailpoint_access_sandbox::{Sandbox, SandboxBuilder};

const USAGE: &str = "\
Usage: sailpoint-access-sandbox [OPTIONS]

Serves a sandbox SailPoint tenant (v3 Access Requests and /oauth/token) on 127.0.0.1
until Ctrl-C.

Options:
  --port N              port to listen on (default 8787; 0 picks a free one)
  --seed-statuses N     start with N generated statuses (default 0)
  --client-id ID        client id the token endpoint accepts
  --client-secret S     client secret the token endpoint accepts
  --token-lifetime SECS token lifetime in seconds (default 43200)
  --seed N              seed of ids, generated data and faults (default 0)
  --no-offset-quirk     answer an empty page instead of 400 \"Specified offset is invalid.\"
  -h, --help            this text";

fn parse(args: &[String]) -> Result<Option<SandboxBuilder>, String> {
    let mut builder = Sandbox::builder().port(8787);
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let mut value = || {
            iter.next()
                .ok_or_else(|| format!("{flag} needs a value"))
                .cloned()
        };
        fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{flag}: '{v}' is not a valid number"))
        }
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
            other => return Err(format!("unknown option {other}")),
        };
    }
    Ok(Some(builder))
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
