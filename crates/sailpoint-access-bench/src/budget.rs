//! (8) Shared rate budgets: several processes of one client id against the
//! sandbox at a scaled vendor limit, each pacing alone (in-process, the
//! baseline) or through a shared budget (a file-locked directory, Redis);
//! a tenant with a custom limit; a tenant at half the believed limit; and a
//! burst of queued calls that time out, then one call.
//!
//! The processes are this binary (`budget-worker`), started together at an
//! agreed wall-clock instant after their token is fetched. A 429 is not
//! retried (the policy is disabled), so each one is counted once, and every
//! 429 still paces (and, shared, pauses every sharer).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use sailpoint_access::{Client, ErrorKind, RateBudgetSpec, RateLimit, RetryPolicy};
use sailpoint_access_sandbox::{
    Latency, RateLimitFault, Sandbox, SandboxHandle, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET,
};
use serde_json::{json, Value};

use crate::stats::Out;
use crate::{Args, BoxError};

fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn client(
    base_url: &str,
    believed: RateLimit,
    budget: RateBudgetSpec,
    total: Duration,
) -> Result<Client, BoxError> {
    Ok(Client::builder()
        .base_url(base_url)
        .client_credentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        .rate_limit(Some(believed))
        .rate_budget(budget)
        .retry(RetryPolicy::disabled())
        .total_timeout(total)
        .build()?)
}

/// One process: `concurrency` callers loop until the run ends. Prints one
/// JSON line: successes in the measured span (and in its second half),
/// 429s (and those in the first half), other errors.
pub async fn worker(args: &Args) -> Result<(), BoxError> {
    let base_url = args.text("base-url").ok_or("--base-url is required")?;
    let budget: RateBudgetSpec = args.text("budget").unwrap_or("in-process").parse()?;
    let believed = RateLimit::new(
        u32::try_from(args.num("limit", 100)?)?,
        Duration::from_millis(args.num("window-ms", 1000)? as u64),
    );
    let concurrency = args.num("concurrency", 16)?.max(1);
    let run = Duration::from_millis(args.num("run-ms", 5000)? as u64);
    let latency = Duration::from_millis(args.num("latency-ms", 100)? as u64);
    let start_at = args.num("start-at-ms", 0)? as u64;
    let client = client(base_url, believed, budget, Duration::from_secs(60))?;
    client.statuses().limit(1).page().await?; // token and connection, before the start
    let wait = start_at.saturating_sub(epoch_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let started = Instant::now();
    let callers = (0..concurrency).map(|_| {
        let client = client.clone();
        async move {
            let mut done: Vec<(Duration, Option<ErrorKind>)> = Vec::new();
            while started.elapsed() < run {
                let result = client.statuses().limit(1).page().await;
                done.push((started.elapsed(), result.err().map(|e| e.kind())));
            }
            done
        }
    });
    let done: Vec<_> = join_all(callers).await.into_iter().flatten().collect();
    // Answers arrive one latency after they were counted by the sandbox.
    let from = latency;
    let to = run + latency;
    let half = latency + run / 2;
    let ok = |lo: Duration, hi: Duration| {
        done.iter()
            .filter(|(t, e)| e.is_none() && *t >= lo && *t < hi)
            .count()
    };
    let limited = |hi: Duration| {
        done.iter()
            .filter(|(t, e)| *e == Some(ErrorKind::RateLimited) && *t < hi)
            .count()
    };
    let other = done
        .iter()
        .filter(|(_, e)| e.is_some_and(|k| k != ErrorKind::RateLimited))
        .count();
    println!(
        "{}",
        json!({
            "ok": ok(from, to),
            "ok_late": ok(half, to),
            "limited": limited(Duration::MAX),
            "limited_early": limited(half),
            "other": other,
        })
    );
    Ok(())
}

/// A `redis-server` on a free loopback port, nothing persisted, stopped by
/// its pid on drop; `None` when it is not installed.
struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> Option<Self> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = Self {
            child,
            url: format!("redis://127.0.0.1:{port}/0"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One setting of the sandbox and the workers.
struct Phase<'a> {
    processes: usize,
    budget: &'a RateBudgetSpec,
    /// The sandbox's limit per second (window 1 s).
    real: u32,
    /// The workers' belief.
    believed: u32,
    concurrency: usize,
    run: Duration,
    latency: Duration,
}

/// What a phase's processes achieved together.
struct Achieved {
    /// Successes per second ÷ the real limit, over the run.
    ratio: f64,
    /// The same over the run's second half.
    ratio_late: f64,
    limited: f64,
    limited_early: f64,
    other: f64,
}

async fn sandbox(real: u32, latency: Duration) -> Result<SandboxHandle, BoxError> {
    Ok(Sandbox::builder()
        .seed_statuses(10)
        .rate_limit(RateLimitFault::new(real, Duration::from_secs(1)))
        .latency(Latency::new(latency))
        .start()
        .await?)
}

async fn phase(p: &Phase<'_>) -> Result<Achieved, BoxError> {
    let sandbox = sandbox(p.real, p.latency).await?;
    let me = std::env::current_exe()?;
    let budget = match p.budget {
        RateBudgetSpec::File(dir) => format!("file:{}", dir.display()),
        RateBudgetSpec::Redis(url) => url.clone(),
        _ => "in-process".to_owned(),
    };
    // Long enough for every process to start and fetch its token.
    let start_at = epoch_ms() + 2000;
    let mut children = Vec::new();
    for _ in 0..p.processes {
        children.push(
            Command::new(&me)
                .arg("budget-worker")
                .args(["--base-url", sandbox.base_url()])
                .args(["--budget", &budget])
                .args(["--limit", &p.believed.to_string(), "--window-ms", "1000"])
                .args(["--concurrency", &p.concurrency.to_string()])
                .args(["--run-ms", &p.run.as_millis().to_string()])
                .args(["--latency-ms", &p.latency.as_millis().to_string()])
                .args(["--start-at-ms", &start_at.to_string()])
                .stdout(Stdio::piped())
                .spawn()?,
        );
    }
    // The sandbox serves on this runtime: wait for the workers off it.
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output())
            .collect::<Vec<_>>()
    })
    .await?;
    sandbox.shutdown().await;
    let mut sum = [0.0f64; 5];
    for output in outputs {
        let output = output?;
        if !output.status.success() {
            return Err(format!("budget-worker failed: {}", output.status).into());
        }
        let line: Value = serde_json::from_slice(&output.stdout)?;
        for (i, key) in ["ok", "ok_late", "limited", "limited_early", "other"]
            .iter()
            .enumerate()
        {
            sum[i] += line[key].as_f64().unwrap_or(0.0);
        }
    }
    let allowed = f64::from(p.real);
    let secs = p.run.as_secs_f64();
    Ok(Achieved {
        ratio: sum[0] / secs / allowed,
        ratio_late: sum[1] / (secs / 2.0) / allowed,
        limited: sum[2],
        limited_early: sum[3],
        other: sum[4],
    })
}

/// 1,000 calls queue behind the pacer with a short total timeout; then one
/// more call: was it sent, and how long did it wait?
async fn burst(out: &Out, calls: usize, timeout: Duration) -> Result<(), BoxError> {
    let sandbox = sandbox(100, Duration::ZERO).await?;
    let limit = RateLimit::new(100, Duration::from_secs(1));
    let client = client(
        sandbox.base_url(),
        limit,
        RateBudgetSpec::InProcess,
        timeout,
    )?;
    client.statuses().limit(1).page().await?;
    let queued = (0..calls).map(|_| {
        let client = client.clone();
        async move { client.statuses().limit(1).page().await.is_ok() }
    });
    let sent = join_all(queued).await.into_iter().filter(|ok| *ok).count();
    let t = Instant::now();
    let last = client.statuses().limit(1).page().await;
    let waited = t.elapsed().as_secs_f64();
    sandbox.shutdown().await;
    out.value("burst.calls", "calls", calls as f64);
    out.value("burst.timeout_s", "s", timeout.as_secs_f64());
    out.value("burst.sent", "calls", sent as f64);
    out.value(
        "burst.next_sent",
        "bool",
        if last.is_ok() { 1.0 } else { 0.0 },
    );
    out.value("burst.next_wait_s", "s", waited);
    Ok(())
}

/// (8) See the module's documentation.
pub async fn shared_budget(args: &Args) -> Result<(), BoxError> {
    let out = Out::new("shared-budget");
    let quick = args.flag("quick");
    let run = Duration::from_millis(args.num("run-ms", if quick { 2000 } else { 5000 })? as u64);
    let latency = Duration::from_millis(args.num("latency-ms", 100)? as u64);
    let limit = u32::try_from(args.num("limit", 100)?)?;
    let dir = std::env::temp_dir().join(format!("sail-bench-budget-{}", std::process::id()));
    let redis = RedisServer::start();
    out.meta(json!({
        "limit": limit, "window_ms": 1000, "latency_ms": latency.as_millis() as u64,
        "run_ms": run.as_millis() as u64, "redis": redis.is_some(), "quick": quick,
    }));
    let mut budgets = vec![
        ("in_process", RateBudgetSpec::InProcess),
        ("file", RateBudgetSpec::File(dir.clone())),
    ];
    if let Some(redis) = &redis {
        budgets.push(("redis", RateBudgetSpec::Redis(redis.url.clone())));
    }
    let base = |processes, budget| Phase {
        processes,
        budget,
        real: limit,
        believed: limit,
        concurrency: 16,
        run,
        latency,
    };
    for (name, budget) in &budgets {
        for processes in [1usize, 2, 4] {
            // A fresh directory per phase: no state from the last one.
            let _ = std::fs::remove_dir_all(&dir);
            let a = phase(&base(processes, budget)).await?;
            let key = |what: &str| format!("shared.{name}.p{processes}.{what}");
            out.value(&key("rate_ratio"), "x", a.ratio);
            out.value(&key("responses_429"), "responses", a.limited);
            out.value(&key("other_errors"), "errors", a.other);
        }
    }
    // A tenant whose custom limit is 3x the default, configured as such.
    let custom = phase(&Phase {
        real: limit * 3,
        believed: limit * 3,
        concurrency: 64,
        ..base(1, &RateBudgetSpec::InProcess)
    })
    .await?;
    out.value("custom3x.rate_ratio", "x", custom.ratio);
    out.value("custom3x.responses_429", "responses", custom.limited);
    // A tenant at half the believed limit.
    let long = run * 2;
    for (name, budget) in &budgets {
        let processes = if *name == "in_process" { 1 } else { 4 };
        let _ = std::fs::remove_dir_all(&dir);
        let a = phase(&Phase {
            real: limit / 2,
            run: long,
            ..base(processes, budget)
        })
        .await?;
        let key = |what: &str| format!("half.{name}.{what}");
        out.value(&key("processes"), "processes", processes as f64);
        out.value(
            &key("responses_429_per_process"),
            "responses",
            a.limited / processes as f64,
        );
        out.value(
            &key("responses_429_first_half_per_process"),
            "responses",
            a.limited_early / processes as f64,
        );
        out.value(&key("rate_ratio_second_half"), "x", a.ratio_late);
    }
    // The same for one process at the vendor's scale of time: the window
    // here is 1 s for the vendor's 10 s, so the latency shrinks by the same
    // factor; what a 429 costs is the requests in flight (rate × round
    // trip), and that count is then the one a real tenant sees.
    let scaled = latency / 10;
    let a = phase(&Phase {
        real: limit / 2,
        run: long,
        latency: scaled,
        ..base(1, &RateBudgetSpec::InProcess)
    })
    .await?;
    out.value(
        "half.vendor_scale.latency_ms",
        "ms",
        scaled.as_secs_f64() * 1000.0,
    );
    out.value(
        "half.vendor_scale.responses_429_per_process",
        "responses",
        a.limited,
    );
    out.value(
        "half.vendor_scale.responses_429_first_half_per_process",
        "responses",
        a.limited_early,
    );
    out.value(
        "half.vendor_scale.rate_ratio_second_half",
        "x",
        a.ratio_late,
    );
    let _ = std::fs::remove_dir_all(&dir);
    burst(&out, 1000, Duration::from_secs(3)).await?;
    Ok(())
}
