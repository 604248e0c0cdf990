//! Handling failures by kind. Three are provoked on purpose: a request that
//! breaks a documented rule (refused before anything is sent), a cancel of an
//! activity that does not exist (404), and, on the sandbox, a rate limit
//! (429 with `Retry-After`).
//!
//! ```sh
//! cargo run -p sailpoint-access --example error_handling
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use sailpoint_access::{Error, ErrorKind, RetryPolicy};
use sailpoint_access_sandbox::{FaultConfig, Operation, RateLimitFault, Sandbox};
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("error_handling", run()).await;
}

async fn run() -> Outcome<()> {
    let target = support::target(Sandbox::builder()).await?;
    // No retries, so that the 429 comes back at once instead of being waited out.
    let client = target.builder.retry(RetryPolicy::disabled()).build()?;

    println!("\n1. a revoke for two identities (a revoke names exactly one)");
    let err = client
        .access_requests()
        .revoke()
        .for_identities([
            "2c9180857182305e0171993735622948",
            "2c9180857182305e0171993735622949",
        ])
        .role("2c918086749d78830174a1a40e121518")
        .send()
        .await
        .err()
        .ok_or("the SDK accepted a revoke for two identities")?;
    explain(&err);
    if let Some(sandbox) = &target.sandbox {
        let sent = sandbox.requests_received(Operation::CreateAccessRequest);
        println!("   requests the sandbox received: {sent}");
    }

    println!("\n2. cancel an activity that does not exist");
    let err = client
        .access_requests()
        .cancel("2c9180835d2e5168015d32f890ca0000", "error handling example")
        .send()
        .await
        .err()
        .ok_or("the cancel of an unknown activity succeeded")?;
    explain(&err);

    let Some(sandbox) = &target.sandbox else {
        println!("\n3. rate limit: skipped on a real tenant");
        return Ok(());
    };
    println!("\n3. two requests per minute allowed, three made");
    sandbox.set_faults(FaultConfig {
        rate_limit: Some(RateLimitFault::new(2, Duration::from_secs(60))),
        ..FaultConfig::default()
    });
    for call in 1..=3 {
        match client.access_request_config().get().await {
            Ok(_) => println!("   call {call}: ok"),
            Err(err) => explain(&err),
        }
    }
    Ok(())
}

/// One `match` over the kinds, with the context each one carries.
fn explain(err: &Error) {
    let what = match err.kind() {
        ErrorKind::Validation => match err.validation() {
            Some(v) => format!("not sent, rule {} broken: {}", v.rule.code(), v.message),
            None => "not sent: invalid request".into(),
        },
        ErrorKind::NotFound => format!("404 not found (tracking id {:?})", err.tracking_id()),
        ErrorKind::RateLimited => format!("429: retry after {:?}", err.retry_after()),
        ErrorKind::InvalidCredentials => "the client id or secret was refused".into(),
        ErrorKind::Unauthorized | ErrorKind::Forbidden => format!("access denied: {err}"),
        ErrorKind::Timeout(phase) => format!("the {phase} time limit was hit"),
        ErrorKind::Transport(how) => format!("{how} failure: {err}"),
        ErrorKind::ServerError | ErrorKind::ClientError => {
            format!("status {:?}: {err}", err.status())
        }
        ErrorKind::Configuration | ErrorKind::Decode => format!("{err}"),
        _ => format!("other: {err}"),
    };
    println!(
        "   {what} [operation {}, attempts {}]",
        err.operation().unwrap_or("-"),
        err.attempts().unwrap_or(0)
    );
}
