//! Measures how fast the sandbox serves pages of 250 from 100,000 seeded
//! statuses over loopback HTTP (request, server work, full body read).
//!
//! ```text
//! cargo run --release -p sailpoint-access-sandbox --example throughput
//! ```
//!
//! Each scenario is run five times after a warm-up; the median run is
//! reported as pages/s and items/s.

use std::time::{Duration, Instant};

use sailpoint_access_api::limits;
use sailpoint_access_sandbox::{Operation, Sandbox};

const STATUSES: usize = 100_000;
/// The largest page the API serves.
const PAGE: usize = limits::LIST_ACCESS_REQUEST_STATUS_LIMIT_MAXIMUM as usize;
/// The status list's path, from the operation table.
const STATUS_PATH: &str = Operation::ListAccessRequestStatus.path();
const PAGES_PER_RUN: usize = 40;
const RUNS: usize = 5;

struct Scenario {
    label: &'static str,
    query: &'static str,
    // Walk from offset 0 (for filtered lists, whose total is smaller) rather
    // than spreading offsets over the whole store.
    sequential: bool,
    concurrency: usize,
}

async fn one_run(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    s: &Scenario,
) -> (Duration, usize) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..s.concurrency {
        let http = http.clone();
        let base = base.to_owned();
        let token = token.to_owned();
        let query = s.query;
        let sequential = s.sequential;
        let workers = s.concurrency;
        tasks.push(tokio::spawn(async move {
            let mut bytes = 0usize;
            for p in (worker..PAGES_PER_RUN).step_by(workers) {
                let offset = if sequential {
                    p * PAGE
                } else {
                    (p * (STATUSES / PAGES_PER_RUN)).min(STATUSES - PAGE)
                };
                let response = http
                    .get(format!(
                        "{base}{STATUS_PATH}?limit={PAGE}&offset={offset}{query}"
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200, "offset {offset}");
                bytes += response.bytes().await.expect("body").len();
            }
            bytes
        }));
    }
    let mut bytes = 0;
    for t in tasks {
        bytes += t.await.expect("worker");
    }
    (started.elapsed(), bytes)
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let sandbox = Sandbox::builder()
        .seed(7)
        .seed_statuses(STATUSES)
        .start()
        .await
        .expect("sandbox");
    println!(
        "seeded {STATUSES} statuses in {:.2?} ({} build)",
        started.elapsed(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    let token = sandbox.issue_token();
    let http = reqwest::Client::new();
    let base = sandbox.base_url().to_owned();
    let scenarios = [
        Scenario {
            label: "unfiltered, offsets across the list",
            query: "",
            sequential: false,
            concurrency: 1,
        },
        Scenario {
            label: "unfiltered + count=true",
            query: "&count=true",
            sequential: false,
            concurrency: 1,
        },
        Scenario {
            label: "sorters=-created",
            query: "&sorters=-created",
            sequential: false,
            concurrency: 1,
        },
        Scenario {
            label: "requested-by=me + sorters=name + count=true",
            query: "&requested-by=me&sorters=name&count=true",
            sequential: true,
            concurrency: 1,
        },
        Scenario {
            label: "filters=created ge ... + count=true",
            query: "&filters=created%20ge%202000-01-01T00:00:00Z&count=true",
            sequential: true,
            concurrency: 1,
        },
        Scenario {
            label: "unfiltered, 4 concurrent clients",
            query: "",
            sequential: false,
            concurrency: 4,
        },
    ];
    println!(
        "{:<48} {:>10} {:>12} {:>10}",
        "scenario (pages of 250)", "pages/s", "items/s", "KiB/page"
    );
    for scenario in &scenarios {
        one_run(&http, &base, &token, scenario).await; // warm-up (and sort cache)
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            runs.push(one_run(&http, &base, &token, scenario).await);
        }
        runs.sort_by_key(|r| r.0);
        let (median, bytes) = runs[RUNS / 2];
        let pages_per_s = PAGES_PER_RUN as f64 / median.as_secs_f64();
        println!(
            "{:<48} {:>10.0} {:>12.0} {:>10.0}",
            scenario.label,
            pages_per_s,
            pages_per_s * PAGE as f64,
            bytes as f64 / PAGES_PER_RUN as f64 / 1024.0
        );
    }
    sandbox.shutdown().await;
}
