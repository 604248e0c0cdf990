//! The generated low-level client, for anything the facade does not cover.
//! It shares the facade's connection pool and token cache and authenticates
//! on its own: here it is the very first call, so it fetches the token. It has
//! none of the facade's validation or retries.
//!
//! ```sh
//! cargo run -p sailpoint-access --example raw_escape_hatch
//! ```

#[path = "support/mod.rs"]
mod support;

use sailpoint_access::types::RequestedItemStatus;
use sailpoint_access_sandbox::{Operation, Sandbox};
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("raw_escape_hatch", run()).await;
}

async fn run() -> Outcome<()> {
    let target = support::target(Sandbox::builder().seed_statuses(40)).await?;
    let client = target.builder.app_name("raw-example").build()?;

    // No facade call before this one: no token has been fetched yet.
    let response = client
        .raw()
        .list_access_request_status()
        .limit(10)
        .count(true)
        .send()
        .await?;
    let total = response
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("?")
        .to_string();
    println!("raw call answered {}", response.status());
    let statuses: Vec<RequestedItemStatus> = response.into_inner();
    println!(
        "{} status(es) on this page, {total} in total",
        statuses.len()
    );
    for status in statuses.iter().take(3) {
        println!("  {}", status.name.as_deref().unwrap_or("-"));
    }

    if let Some(sandbox) = &target.sandbox {
        println!(
            "token requests made by the raw client: {}",
            sandbox.requests_received(Operation::Token)
        );
    }
    Ok(())
}
