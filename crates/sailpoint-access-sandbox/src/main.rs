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

use clap::Parser;
use sailpoint_access_sandbox::{FaultConfig, SandboxArgs};

/// Serves a sandbox SailPoint tenant (the v3 and the versioned Access
/// Requests operations, and /oauth/token) on 127.0.0.1 until Ctrl-C.
#[derive(Parser)]
#[command(name = "sailpoint-access-sandbox", version)]
struct Serve {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let builder = Serve::parse().sandbox.into_builder();
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
