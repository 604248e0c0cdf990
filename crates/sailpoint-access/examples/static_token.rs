//! A client with a ready bearer token instead of client credentials: the
//! token is sent as is and never refreshed, so this suits short jobs that are
//! handed a token by something else.
//!
//! ```sh
//! cargo run -p sailpoint-access --example static_token
//! ```
//!
//! With no `SAIL_*` variables it starts the embedded sandbox and asks it for a
//! token. Against a tenant, set `SAIL_BASE_URL` and `SAIL_ACCESS_TOKEN`.

#[path = "support/mod.rs"]
mod support;

use sailpoint_access_sandbox::Sandbox;
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("static_token", run()).await;
}

async fn run() -> Outcome<()> {
    let target = support::target(Sandbox::builder()).await?;
    let token = match &target.sandbox {
        Some(sandbox) => sandbox.issue_token(),
        None => std::env::var("SAIL_ACCESS_TOKEN")
            .map_err(|_| "SAIL_ACCESS_TOKEN must hold a token when running against a tenant")?,
    };
    println!("using a static token of {} characters", token.len());

    let client = target
        .builder
        .access_token(token)
        .app_name("static-token-example")
        .build()?;

    let config = client.access_request_config().get().await?;
    println!(
        "auto approval enabled:      {}",
        config.auto_approval_enabled
    );
    println!(
        "approvals must be external: {}",
        config.approvals_must_be_external
    );
    println!(
        "reauthorization required:   {}",
        config.reauthorization_enabled
    );
    Ok(())
}
