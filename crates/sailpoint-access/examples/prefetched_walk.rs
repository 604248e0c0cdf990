//! Walking a long status list item by item, with pages fetched ahead while
//! the current one is consumed. `items()` is `Unpin`, so `try_next` needs no
//! `pin!`; pages still come in order.
//!
//! ```sh
//! cargo run -p sailpoint-access --example prefetched_walk
//! ```
//!
//! On the sandbox: 2,000 seeded statuses and 20 ms added to every response,
//! walked once page by page and once with four pages prefetched. On a tenant
//! the walk stops after `WALK_MAX` items (default 5,000).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use sailpoint_access::{Client, StatusSort};
use sailpoint_access_sandbox::{Latency, Sandbox};
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("prefetched_walk", run()).await;
}

async fn run() -> Outcome<()> {
    let sandbox = Sandbox::builder()
        .seed_statuses(2000)
        .latency(Latency::new(Duration::from_millis(20)));
    let target = support::target(sandbox).await?;
    let client = target.builder.app_name("prefetched-walk").build()?;
    let max: usize = match std::env::var("WALK_MAX") {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("WALK_MAX is not a number: {v}"))?,
        Err(_) => 5_000,
    };

    let sequential = walk(&client, 0, max).await?;
    let prefetched = walk(&client, 4, max).await?;
    if sequential != prefetched {
        return Err(format!("the walks disagree: {sequential} vs {prefetched} items").into());
    }
    Ok(())
}

/// Walks the list in pages of 250 with `prefetch` pages ahead; returns the count.
async fn walk(client: &Client, prefetch: usize, max: usize) -> Outcome<usize> {
    let started = Instant::now();
    let mut items = client
        .statuses()
        .sort_asc(StatusSort::Created)
        .limit(250)
        .prefetch(prefetch)
        .items();
    let mut count = 0usize;
    let mut pending = 0usize;
    while let Some(status) = items.try_next().await? {
        count += 1;
        if status.cancelable {
            pending += 1;
        }
        if count >= max {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "prefetch {prefetch}: {count} items ({pending} cancelable) in {:.0} ms, {:.0} items/s",
        secs * 1000.0,
        count as f64 / secs.max(1e-9)
    );
    Ok(count)
}
