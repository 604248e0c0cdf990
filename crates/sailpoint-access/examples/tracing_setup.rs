//! Seeing what the SDK does: every call runs in a `sailpoint_access` span
//! with the fields `operation`, `method`, `path`, `status`, `attempt` and
//! `elapsed_ms`, and logs its outcome at DEBUG (bodies only at TRACE).
//!
//! ```sh
//! cargo run -p sailpoint-access --example tracing_setup
//! ```
//!
//! The subscriber writes to stderr; the example's own output goes to stdout.

#[path = "support/mod.rs"]
mod support;

use sailpoint_access_sandbox::Sandbox;
use support::Outcome;
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() {
    // DEBUG for this crate's targets (`sailpoint_access::...`), WARN for the
    // rest. With tracing-subscriber's `env-filter` feature an `EnvFilter`
    // parsed from `RUST_LOG=sailpoint_access=debug` does the same.
    let only_the_sdk = Targets::new()
        .with_target("sailpoint_access", Level::DEBUG)
        .with_default(Level::WARN);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(Level::DEBUG)
        .with_ansi(false)
        // One extra line when a span closes, with all its recorded fields.
        .with_span_events(FmtSpan::CLOSE)
        .finish()
        .with(only_the_sdk)
        .init();
    support::main("tracing_setup", run()).await;
}

async fn run() -> Outcome<()> {
    let target = support::target(Sandbox::builder().seed_statuses(3)).await?;
    let client = target.builder.app_name("tracing-example").build()?;

    println!("listing statuses; the span of the call is logged to stderr");
    let statuses = client.statuses().limit(3).collect(3).await?;
    println!("got {} status(es)", statuses.len());
    Ok(())
}
