//! The scenarios. Each prints a `meta` line, then `series` and `value` lines.

use std::io::{BufRead, BufReader};
use std::pin::pin;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use futures::TryStreamExt;
use sailpoint_access::Client;
use sailpoint_access_api::types::RequestedItemStatus;
use sailpoint_access_sandbox::{
    Latency, Sandbox, SandboxArgs, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
};
use serde_json::json;

use crate::bare::Bare;
use crate::stats::Out;
use crate::{alloc, Args, BoxError};

pub(crate) const PAGE: usize = 250;
// Fixed so every run serves the same data.
pub(crate) const SEED: u64 = 7;

/// The command line of `serve`: the sandbox's own.
#[derive(Parser)]
#[command(name = "sailpoint-access-bench serve")]
struct Serve {
    #[command(flatten)]
    sandbox: SandboxArgs,
}

fn facade(base_url: &str) -> Result<Client, BoxError> {
    Ok(Client::builder()
        .rate_limit(None)
        .base_url(base_url)
        .client_credentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        .build()?)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn timed<T, F: std::future::Future<Output = Result<T, BoxError>>>(
    f: F,
) -> Result<Duration, BoxError> {
    let started = Instant::now();
    std::hint::black_box(f.await?);
    Ok(started.elapsed())
}

/// Walks every status with `items()`; returns how many were read.
pub(crate) async fn walk_items(client: &Client, prefetch: usize) -> Result<usize, BoxError> {
    let mut items = pin!(client
        .statuses()
        .limit(PAGE as u32)
        .prefetch(prefetch)
        .items());
    let mut count = 0;
    while let Some(item) = items.try_next().await? {
        std::hint::black_box(item);
        count += 1;
    }
    Ok(count)
}

/// (1) Per-call cost of `config().get()` and one page of 250, facade against
/// bare, interleaved call by call (the order alternates every round).
pub async fn overhead(args: &Args) -> Result<(), BoxError> {
    let out = Out::new("overhead");
    let calls = args.num("calls", 2000)?;
    let warmup = args.num("warmup", 200)?;
    let seeded = args.num("seed-statuses", 1000)?.max(PAGE);
    out.meta(json!({ "calls": calls, "warmup": warmup, "seed_statuses": seeded, "page": PAGE }));
    let sandbox = Sandbox::builder()
        .seed(SEED)
        .seed_statuses(seeded)
        .start()
        .await?;
    let client = facade(sandbox.base_url())?;
    let bare = Bare::new(sandbox.base_url(), &sandbox.issue_token())?;

    // Token fetch, connection set-up, allocator and cache warm-up.
    for _ in 0..warmup {
        client.access_request_config().get().await?;
        bare.config().await?;
        client.statuses().limit(PAGE as u32).page().await?;
        bare.page(0, PAGE).await?;
    }

    // The generated client alone (`client.raw()`, same connection pool and
    // token) is timed too, to split the overhead between the generated code
    // and the facade's transport. `--only config` leaves out the pages.
    let pages = args.text("only") != Some("config");
    let mut samples: [Vec<f64>; 5] = Default::default();
    let [f_cfg, b_cfg, g_cfg, f_page, b_page] = &mut samples;
    for round in 0..calls {
        let mut order = [0, 1, 2];
        order.rotate_left(round % 3);
        for which in order {
            match which {
                0 => f_cfg.push(micros(
                    timed(async { Ok(client.access_request_config().get().await?) }).await?,
                )),
                1 => b_cfg.push(micros(timed(bare.config()).await?)),
                _ => g_cfg.push(micros(
                    timed(async { Ok(client.raw().get_access_request_config().send().await?) })
                        .await?,
                )),
            }
        }
        if !pages {
            continue;
        }
        let facade_page = || async { Ok(client.statuses().limit(PAGE as u32).page().await?) };
        let bare_page = || bare.page(0, PAGE);
        if round % 2 == 0 {
            f_page.push(micros(timed(facade_page()).await?));
            b_page.push(micros(timed(bare_page()).await?));
        } else {
            b_page.push(micros(timed(bare_page()).await?));
            f_page.push(micros(timed(facade_page()).await?));
        }
    }
    out.series("config_get.generated", "us", g_cfg);
    if !pages {
        out.series("config_get.facade", "us", f_cfg);
        out.series("config_get.bare", "us", b_cfg);
        return Ok(());
    }
    out.series("config_get.facade", "us", f_cfg);
    out.series("config_get.bare", "us", b_cfg);
    out.series("list_page.facade", "us", f_page);
    out.series("list_page.bare", "us", b_page);
    sandbox.shutdown().await;
    Ok(())
}

/// (2a) Walking every status with 20 ms added per response: sequential, then
/// prefetch 4 and 8, in interleaved rounds.
pub async fn pagination_latency(args: &Args) -> Result<(), BoxError> {
    let out = Out::new("pagination-latency");
    let statuses = args.num("statuses", 100_000)?;
    let latency_ms = args.num("latency-ms", 20)?;
    let runs = args.num("runs", 5)?.max(1);
    out.meta(json!({ "statuses": statuses, "latency_ms": latency_ms, "runs": runs, "page": PAGE }));
    let sandbox = Sandbox::builder()
        .seed(SEED)
        .seed_statuses(statuses)
        .latency(Latency::new(Duration::from_millis(latency_ms as u64)))
        .start()
        .await?;
    let client = facade(sandbox.base_url())?;
    // Token and connections (prefetch 8 keeps up to 9 open).
    client.statuses().prefetch(8).collect(10 * PAGE).await?;

    let modes = [("sequential", 0), ("prefetch4", 4), ("prefetch8", 8)];
    let mut rates = vec![Vec::new(); modes.len()];
    let mut ratios = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        for (i, (_, prefetch)) in modes.iter().enumerate() {
            let started = Instant::now();
            let read = walk_items(&client, *prefetch).await?;
            let elapsed = started.elapsed();
            if read != statuses {
                return Err(format!("prefetch {prefetch}: read {read} of {statuses}").into());
            }
            rates[i].push(read as f64 / elapsed.as_secs_f64());
        }
        let round = rates[0].len() - 1;
        ratios[0].push(rates[1][round] / rates[0][round]);
        ratios[1].push(rates[2][round] / rates[0][round]);
    }
    for (i, (name, _)) in modes.iter().enumerate() {
        out.series(&format!("items_per_s.{name}"), "items/s", &rates[i]);
    }
    out.series("speedup.prefetch4", "x", &ratios[0]);
    out.series("speedup.prefetch8", "x", &ratios[1]);
    sandbox.shutdown().await;
    Ok(())
}

/// (2b) Sequential walk without added latency: facade `items()` against a
/// bare loop over the same pages, alternating which goes first.
pub async fn pagination_bare(args: &Args) -> Result<(), BoxError> {
    let out = Out::new("pagination-bare");
    let statuses = args.num("statuses", 100_000)?;
    let runs = args.num("runs", 7)?.max(1);
    out.meta(json!({ "statuses": statuses, "runs": runs, "page": PAGE }));
    let sandbox = Sandbox::builder()
        .seed(SEED)
        .seed_statuses(statuses)
        .start()
        .await?;
    let client = facade(sandbox.base_url())?;
    let bare = Bare::new(sandbox.base_url(), &sandbox.issue_token())?;
    client.statuses().collect(4 * PAGE).await?;
    bare.page(0, PAGE).await?;

    let (mut f_rate, mut b_rate, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let facade_walk = || async {
            let started = Instant::now();
            let read = walk_items(&client, 0).await?;
            Ok::<_, BoxError>((read, started.elapsed()))
        };
        let (f, b) = if run % 2 == 0 {
            let f = facade_walk().await?;
            let started = Instant::now();
            (f, (bare.walk(PAGE).await?, started.elapsed()))
        } else {
            let started = Instant::now();
            let b = (bare.walk(PAGE).await?, started.elapsed());
            (facade_walk().await?, b)
        };
        if f.0 != statuses || b.0 != statuses {
            return Err(format!("read {} (facade), {} (bare) of {statuses}", f.0, b.0).into());
        }
        f_rate.push(statuses as f64 / f.1.as_secs_f64());
        b_rate.push(statuses as f64 / b.1.as_secs_f64());
        ratio.push(f.1.as_secs_f64() / b.1.as_secs_f64());
    }
    out.series("items_per_s.facade", "items/s", &f_rate);
    out.series("items_per_s.bare", "items/s", &b_rate);
    out.series("time_ratio.facade_over_bare", "x", &ratio);
    sandbox.shutdown().await;
    Ok(())
}

/// `VmHWM` and `VmRSS` of this process, in KiB.
pub(crate) fn rss_kib() -> Result<(u64, u64), BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> Result<u64, BoxError> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or_else(|| format!("{name} missing from /proc/self/status"))?;
        let kib = line[name.len()..].trim().trim_end_matches("kB").trim();
        Ok(kib.parse()?)
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

/// A sandbox in a child process (this binary's `serve`), so that its store
/// does not count towards our RSS. It exits when our end of its stdin closes.
pub(crate) struct ServerChild {
    child: std::process::Child,
    pub(crate) base_url: String,
}

impl ServerChild {
    fn start(statuses: usize) -> Result<Self, BoxError> {
        Self::start_with(statuses, &[])
    }

    /// With more `serve` options (`--limit`, `--window-ms`, `--latency-ms`).
    pub(crate) fn start_with(statuses: usize, extra: &[String]) -> Result<Self, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["serve", "--seed-statuses", &statuses.to_string()])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let base_url = line.trim().to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            return Err(format!("the sandbox child said {line:?}").into());
        }
        Ok(Self { child, base_url })
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (3) Peak RSS and heap of walking `--statuses` with `items()`.
pub async fn memory(args: &Args) -> Result<(), BoxError> {
    let out = Out::new("memory");
    let statuses = args.num("statuses", 10_000)?;
    let server = match args.text("base-url") {
        Some(_) => None,
        None => Some(ServerChild::start(statuses)?),
    };
    let base_url = match (&server, args.text("base-url")) {
        (Some(s), _) => s.base_url.clone(),
        (None, Some(url)) => url.to_owned(),
        (None, None) => unreachable!("one of the two is set above"),
    };
    out.meta(json!({ "statuses": statuses, "page": PAGE, "sandbox": if server.is_some() { "child process" } else { "external" } }));
    let client = facade(&base_url)?;
    client.access_request_config().get().await?; // token and connection

    // One page's working memory: the heap peak of fetching and decoding one page.
    let live = alloc::current();
    alloc::reset_peak();
    let page = client.statuses().limit(PAGE as u32).page().await?;
    let page_peak = alloc::peak() - live;
    let page_json = serde_json::to_vec(&page.items)?.len();
    drop(page);

    let (hwm_before, rss_before) = rss_kib()?;
    let live = alloc::current();
    alloc::reset_peak();
    let started = Instant::now();
    let read = walk_items(&client, 0).await?;
    let elapsed = started.elapsed();
    let walk_peak = alloc::peak() - live;
    let (hwm_after, rss_after) = rss_kib()?;
    if read != statuses {
        return Err(format!("read {read} of {statuses}").into());
    }
    out.value("items", "items", read as f64);
    out.value("walk_seconds", "s", elapsed.as_secs_f64());
    out.value("page.heap_peak_bytes", "bytes", page_peak as f64);
    out.value("page.json_bytes", "bytes", page_json as f64);
    out.value("rss.hwm_before_kib", "KiB", hwm_before as f64);
    out.value("rss.before_kib", "KiB", rss_before as f64);
    out.value("rss.hwm_after_kib", "KiB", hwm_after as f64);
    out.value("rss.after_kib", "KiB", rss_after as f64);
    out.value("heap.walk_peak_bytes", "bytes", walk_peak as f64);
    drop(server);
    Ok(())
}

/// (4) Typed page decode against `serde_json::Value` decode of the same bytes.
pub async fn decode(args: &Args) -> Result<(), BoxError> {
    let out = Out::new("decode");
    let iters = args.num("iters", 300)?.max(1);
    let pages = args.num("pages", 4)?.max(1);
    out.meta(json!({ "iters": iters, "pages": pages, "page": PAGE }));
    let sandbox = Sandbox::builder()
        .seed(SEED)
        .seed_statuses(pages * PAGE * 4)
        .start()
        .await?;
    let bare = Bare::new(sandbox.base_url(), &sandbox.issue_token())?;
    // Pages spread over the store, so more than one page's mix of fields counts.
    let mut bodies = Vec::new();
    for i in 0..pages {
        bodies.push(bare.page_bytes(i * 4 * PAGE, PAGE).await?);
    }
    sandbox.shutdown().await;
    let bytes: usize = bodies.iter().map(Vec::len).sum();

    let typed = || -> Result<Duration, BoxError> {
        let started = Instant::now();
        for body in &bodies {
            let page: Vec<RequestedItemStatus> = serde_json::from_slice(body)?;
            std::hint::black_box(page);
        }
        Ok(started.elapsed())
    };
    let value = || -> Result<Duration, BoxError> {
        let started = Instant::now();
        for body in &bodies {
            let page: serde_json::Value = serde_json::from_slice(body)?;
            std::hint::black_box(page);
        }
        Ok(started.elapsed())
    };
    for _ in 0..iters.div_ceil(10) {
        typed()?;
        value()?;
    }
    let mb = bytes as f64 / 1e6;
    let (mut t_rate, mut v_rate, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..iters {
        let (t, v) = if i % 2 == 0 {
            let t = typed()?;
            (t, value()?)
        } else {
            let v = value()?;
            (typed()?, v)
        };
        t_rate.push(mb / t.as_secs_f64());
        v_rate.push(mb / v.as_secs_f64());
        ratio.push(v.as_secs_f64() / t.as_secs_f64());
    }
    out.value("bytes_per_sample", "bytes", bytes as f64);
    out.series("mb_per_s.typed", "MB/s", &t_rate);
    out.series("mb_per_s.value", "MB/s", &v_rate);
    out.series("speed_ratio.typed_over_value", "x", &ratio);
    Ok(())
}

/// The sandbox for `memory` and `bulk-grant`: prints its base URL, serves
/// until stdin closes. Every flag of the sandbox's own command line
/// (`SandboxArgs`: `--rate-limit`/`--limit`, `--rate-window-ms`/`--window-ms`,
/// `--latency-ms`, `--no-offset-quirk`, ...) applies; unlike the sandbox
/// binary it picks a free port and seeds with `SEED` unless told otherwise.
pub async fn serve(argv: &[String]) -> Result<(), BoxError> {
    // `--help` and a bad flag end the process as any clap command does.
    let serve = Serve::parse_from(std::iter::once("serve").chain(argv.iter().map(String::as_str)));
    let builder = serve.sandbox.apply(Sandbox::builder().seed(SEED));
    let sandbox = builder.start().await?;
    println!("{}", sandbox.base_url());
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await?;
    sandbox.shutdown().await;
    Ok(())
}

/// Our side of the peers comparison: walks every status of an external
/// sandbox (`--base-url`, started by `serve`) with `items()`, pages of 250,
/// and prints one `{"peer": …}` line in the shape the peer scripts print
/// (`peers/walk.py`, `peers/walk.mjs`). The token is fetched before the clock.
pub async fn peer_walk(args: &Args) -> Result<(), BoxError> {
    let started_process = Instant::now();
    let base_url = args.text("base-url").ok_or("--base-url is required")?;
    let expected = args.num("expected", 0)?;
    let prefetch = args.num("prefetch", 0)?;
    let client = facade(base_url)?;
    let mut errors = Vec::new();
    let mut items = 0;
    let mut walk_s = None;
    match client.access_request_config().get().await {
        Err(e) => errors.push(json!({ "kind": "token", "message": e.to_string() })),
        Ok(_) => {
            let started = Instant::now();
            match walk_items(&client, prefetch).await {
                Ok(n) => items = n,
                Err(e) => errors.push(json!({ "kind": "walk", "message": e.to_string() })),
            }
            walk_s = Some(started.elapsed().as_secs_f64());
        }
    }
    let outcome = if errors.is_empty() && items == expected {
        "clean"
    } else if items == 0 {
        "failed"
    } else {
        "lost"
    };
    let (hwm, _) = rss_kib()?;
    println!(
        "{}",
        json!({
            "peer": "ours",
            "mode": format!("prefetch {prefetch}"),
            "version": env!("CARGO_PKG_VERSION"),
            "expected": expected,
            "items": items,
            "errors": errors,
            "outcome": outcome,
            "walk_s": walk_s,
            "process_s": started_process.elapsed().as_secs_f64(),
            "self_max_rss_kib": hwm,
        })
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_takes_the_sandbox_flags_over_its_own_defaults() {
        let argv = [
            "serve",
            "--seed-statuses",
            "5",
            "--limit",
            "3",
            "--window-ms",
            "300",
            "--stall",
            "0.5",
            "--no-offset-quirk",
        ];
        let serve = Serve::try_parse_from(argv).unwrap();
        let expected = Sandbox::builder()
            .seed(SEED)
            .seed_statuses(5)
            .offset_quirk(false)
            .rate_limit(sailpoint_access_sandbox::RateLimitFault::new(
                3,
                Duration::from_millis(300),
            ))
            .stall(sailpoint_access_sandbox::Stall::forever(0.5));
        assert_eq!(
            format!("{:?}", serve.sandbox.apply(Sandbox::builder().seed(SEED))),
            format!("{expected:?}")
        );
        assert!(Serve::try_parse_from(["serve", "--window-ms", "5"]).is_err());
    }
}
