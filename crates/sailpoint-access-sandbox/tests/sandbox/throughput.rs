//! Serving pages of 250 from 100,000 seeded statuses: no quadratic work.
//! Prints pages/s and items/s (median of several runs). The figures from
//! this debug-build test are a floor; `cargo run --release --example
//! throughput -p sailpoint-access-sandbox` gives the optimised ones.

use std::time::{Duration, Instant};

use sailpoint_access_sandbox::Sandbox;

use crate::common::setup;

const STATUSES: usize = 100_000;
const PAGE: usize = 250;

async fn run(s: &crate::common::Setup, query: &str, pages: usize) -> Duration {
    let started = Instant::now();
    let stride = STATUSES / pages;
    for p in 0..pages {
        // Spread across the whole list, the last page included: deep offsets
        // must cost no more than shallow ones.
        let offset = if p + 1 == pages {
            STATUSES - PAGE
        } else {
            p * stride
        };
        let response = s
            .get_response(&format!(
                "/v3/access-request-status?limit={PAGE}&offset={offset}{query}"
            ))
            .await;
        assert_eq!(response.status(), 200);
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 1000);
    }
    started.elapsed()
}

#[tokio::test]
async fn pages_of_250_from_100k_statuses() {
    let started = Instant::now();
    let s = setup(Sandbox::builder().seed(7).seed_statuses(STATUSES)).await;
    let seeded_in = started.elapsed();
    assert_eq!(s.sandbox.status_count(), STATUSES);
    let pages = 20;
    for (label, query) in [
        ("unfiltered", ""),
        ("sorted -created with count", "&sorters=-created&count=true"),
    ] {
        let mut runs: Vec<Duration> = Vec::new();
        for _ in 0..3 {
            runs.push(run(&s, query, pages).await);
        }
        runs.sort();
        let median = runs[1].as_secs_f64();
        let pages_per_s = pages as f64 / median;
        println!(
            "sandbox throughput (debug build, {label}): {pages_per_s:.0} pages/s, {:.0} items/s (median of 3 runs of {pages} pages of {PAGE} from {STATUSES}; seeded in {seeded_in:?})",
            pages_per_s * PAGE as f64
        );
        // Linear work per page would still pass this comfortably; quadratic would not.
        assert!(pages_per_s > 5.0, "{label}: {pages_per_s:.1} pages/s");
    }
}
