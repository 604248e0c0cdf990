//! Benchmark scenarios for `sailpoint-access`, one per process so that peak
//! RSS belongs to one scenario. Results are JSON lines on stdout (see
//! `stats.rs`); `cargo xtask bench` runs every scenario and writes
//! `BENCHMARKS.md`.
//!
//! ```text
//! sailpoint-access-bench overhead [--calls 2000] [--warmup 200] [--seed-statuses 1000]
//! sailpoint-access-bench pagination-latency [--statuses 100000] [--latency-ms 20] [--runs 5]
//! sailpoint-access-bench pagination-bare [--statuses 100000] [--runs 7]
//! sailpoint-access-bench memory --statuses N [--base-url URL]
//! sailpoint-access-bench decode [--iters 300] [--pages 4]
//! sailpoint-access-bench bulk-grant [--quick] [--rows 10000] [--limit 100] [--window-ms 1000]
//!     [--latency-ms 100] [--concurrency 16] [--runs 3] [--naive-runs 1]
//! sailpoint-access-bench rate-ceiling [--quick] [--statuses 40000] [--prefetch 8] [--rows 20000]
//!     [--limit 100] [--window-ms 2000] [--latency-ms 100] [--concurrency 16] [--runs 3]
//! sailpoint-access-bench shared-budget [--quick] [--limit 100] [--latency-ms 100] [--run-ms 5000]
//! sailpoint-access-bench budget-worker --base-url URL [--budget SPEC] [--limit N] ...
//! sailpoint-access-bench serve [every flag of sailpoint-access-sandbox, see serve --help]
//! sailpoint-access-bench peer-walk --base-url URL --expected N [--prefetch P]
//! ```
//!
//! `--quick` (bulk-grant, rate-ceiling) shrinks the defaults to a smoke run;
//! options given with it still win.

// The only unsafe code of the workspace: a `GlobalAlloc` impl forwarding to `System`.
#[allow(unsafe_code)]
mod alloc;
mod bare;
mod budget;
mod ratelimit;
mod scenarios;
mod stats;

use std::collections::HashMap;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Options that take no value.
const FLAGS: [&str; 1] = ["quick"];

/// `--key value` options of one scenario, and the flags in `FLAGS`.
pub(crate) struct Args {
    values: HashMap<String, String>,
}

impl Args {
    fn parse(raw: &[String]) -> Result<Self, BoxError> {
        let mut values = HashMap::new();
        let mut iter = raw.iter();
        while let Some(flag) = iter.next() {
            let key = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got {flag}"))?;
            if FLAGS.contains(&key) {
                values.insert(key.to_owned(), "1".to_owned());
                continue;
            }
            let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
            values.insert(key.to_owned(), value.clone());
        }
        Ok(Self { values })
    }

    pub(crate) fn num(&self, key: &str, default: usize) -> Result<usize, BoxError> {
        match self.values.get(key) {
            Some(v) => Ok(v.parse().map_err(|_| format!("--{key}: bad number {v}"))?),
            None => Ok(default),
        }
    }

    /// Whether a flag (an option without a value, see `FLAGS`) was given.
    pub(crate) fn flag(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// The options of a scenario; `serve` parses its own (the sandbox's).
fn parse(scenario: &str, rest: &[String]) -> Result<Args, BoxError> {
    if scenario == "serve" {
        Ok(Args {
            values: HashMap::new(),
        })
    } else {
        Args::parse(rest)
    }
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((scenario, rest)) = raw.split_first() else {
        eprintln!("usage: sailpoint-access-bench <overhead|pagination-latency|pagination-bare|memory|decode|bulk-grant|rate-ceiling|shared-budget|serve|peer-walk> [--option value]...");
        return ExitCode::from(2);
    };
    if scenario == "memory" {
        // Before the runtime exists, so its allocations are counted too.
        alloc::enable();
    }
    let result = parse(scenario, rest).and_then(|args| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            match scenario.as_str() {
                "overhead" => scenarios::overhead(&args).await,
                "pagination-latency" => scenarios::pagination_latency(&args).await,
                "pagination-bare" => scenarios::pagination_bare(&args).await,
                "memory" => scenarios::memory(&args).await,
                "decode" => scenarios::decode(&args).await,
                "bulk-grant" => ratelimit::bulk_grant(&args).await,
                "rate-ceiling" => ratelimit::rate_ceiling(&args).await,
                "shared-budget" => budget::shared_budget(&args).await,
                "budget-worker" => budget::worker(&args).await,
                "serve" => scenarios::serve(rest).await,
                "peer-walk" => scenarios::peer_walk(&args).await,
                other => Err(format!("unknown scenario {other}").into()),
            }
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
