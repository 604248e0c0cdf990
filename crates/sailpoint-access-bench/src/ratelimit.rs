//! (6) Bulk grant and (7) rate ceiling: the bulk planner and the client-side
//! pacing against a sandbox enforcing the vendor's rate limit, scaled down.
//!
//! 429s are counted on the client side: a `tracing` subscriber of our own
//! counts the engine's `retrying` debug events whose `status` field is 429,
//! and sums the `wait_ms` they announce.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sailpoint_access::bulk::{plan, BulkRow, Plan, PlanLimits, RowOutcome};
use sailpoint_access::types::{AccessItemType, AccessRequestType};
use sailpoint_access::{Client, RateLimit, RetryPolicy};
use sailpoint_access_sandbox::{
    Latency, Operation, RateLimitFault, Sandbox, SandboxHandle, DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{span, Event, Level, Metadata, Subscriber};

use crate::scenarios::{rss_kib, walk_items, ServerChild, PAGE, SEED};
use crate::stats::Out;
use crate::{Args, BoxError};

static LIMITED: AtomicU64 = AtomicU64::new(0);
static LIMITED_WAIT_MS: AtomicU64 = AtomicU64::new(0);
static OTHER_RETRIES: AtomicU64 = AtomicU64::new(0);

/// Counts the engine's retry events; records nothing else.
struct RetryCounter;

#[derive(Default)]
struct RetryEvent {
    message: String,
    status: Option<u64>,
    wait_ms: u64,
}

impl Visit for RetryEvent {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "wait_ms" => self.wait_ms = value,
            "status" => self.status = Some(value),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.message);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl Subscriber for RetryCounter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event()
            && *metadata.level() != Level::TRACE
            && metadata.target().starts_with("sailpoint_access")
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::DEBUG)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut seen = RetryEvent::default();
        event.record(&mut seen);
        if seen.message != "retrying" {
            return;
        }
        if seen.status == Some(429) {
            LIMITED.fetch_add(1, Ordering::Relaxed);
            LIMITED_WAIT_MS.fetch_add(seen.wait_ms, Ordering::Relaxed);
        } else {
            OTHER_RETRIES.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

fn install_counter() -> Result<(), BoxError> {
    tracing::subscriber::set_global_default(RetryCounter)
        .map_err(|e| format!("cannot install the retry counter: {e}").into())
}

/// The retry counters at one moment.
#[derive(Clone, Copy)]
struct Retries {
    limited: u64,
    wait_ms: u64,
    other: u64,
}

impl Retries {
    fn now() -> Self {
        Self {
            limited: LIMITED.load(Ordering::Relaxed),
            wait_ms: LIMITED_WAIT_MS.load(Ordering::Relaxed),
            other: OTHER_RETRIES.load(Ordering::Relaxed),
        }
    }

    fn since(self) -> Self {
        let now = Self::now();
        Self {
            limited: now.limited - self.limited,
            wait_ms: now.wait_ms - self.wait_ms,
            other: now.other - self.other,
        }
    }
}

/// The limit the sandbox enforces and, when paced, the client keeps to.
#[derive(Clone, Copy)]
struct Limit {
    requests: u32,
    window: Duration,
    latency: Duration,
}

impl Limit {
    fn from_args(
        args: &Args,
        requests: usize,
        window_ms: usize,
        latency_ms: usize,
    ) -> Result<Self, BoxError> {
        Ok(Self {
            requests: u32::try_from(args.num("limit", requests)?.max(1))?,
            window: Duration::from_millis(args.num("window-ms", window_ms)?.max(1) as u64),
            latency: Duration::from_millis(args.num("latency-ms", latency_ms)? as u64),
        })
    }

    fn per_second(&self) -> f64 {
        f64::from(self.requests) / self.window.as_secs_f64()
    }

    fn pace(&self, paced: bool) -> Option<RateLimit> {
        paced.then(|| RateLimit::new(self.requests, self.window))
    }

    async fn sandbox(&self, statuses: usize) -> Result<SandboxHandle, BoxError> {
        Ok(Sandbox::builder()
            .seed(SEED)
            .seed_statuses(statuses)
            .rate_limit(RateLimitFault::new(self.requests, self.window))
            .latency(Latency::new(self.latency))
            .start()
            .await?)
    }

    fn meta(&self) -> serde_json::Value {
        json!({
            "limit": self.requests,
            "window_ms": self.window.as_millis() as u64,
            "latency_ms": self.latency.as_millis() as u64,
            "allowed_per_s": self.per_second(),
        })
    }
}

/// Patient enough that an unpaced caller finishes despite its 429s: the
/// same policy paced and unpaced, so only the pacing differs.
fn retry_policy() -> RetryPolicy {
    RetryPolicy::standard()
        .with_max_attempts(64)
        .with_max_elapsed(Duration::from_secs(600))
}

fn client(base_url: &str, pace: Option<RateLimit>) -> Result<Client, BoxError> {
    Ok(Client::builder()
        .rate_limit(pace)
        .retry(retry_policy())
        .base_url(base_url)
        .client_credentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        .build()?)
}

/// An onboarding batch of `n` rows: every hire gets the shared role and
/// their department's access profile, one in three a personal entitlement.
/// Returns the rows and the number of hires.
pub(crate) fn hire_rows(n: usize) -> (Vec<BulkRow>, usize) {
    let mut rows = Vec::with_capacity(n);
    let mut hires = 0;
    while rows.len() < n {
        let who = format!("hire-{hires:05}");
        rows.push(BulkRow::new(
            who.clone(),
            AccessItemType::Role,
            "role-all-staff",
        ));
        if rows.len() < n {
            rows.push(BulkRow::new(
                who.clone(),
                AccessItemType::AccessProfile,
                format!("ap-department-{:02}", hires % 12),
            ));
        }
        if hires % 3 == 0 && rows.len() < n {
            rows.push(BulkRow::new(
                who,
                AccessItemType::Entitlement,
                format!("ent-personal-{hires:05}"),
            ));
        }
        hires += 1;
    }
    (rows, hires)
}

/// One row per request: what a caller without the planner sends.
fn naive_limits() -> PlanLimits {
    PlanLimits::default()
        .with_max_items(1)
        .with_max_identities(1)
        .with_max_identities_with_entitlements(1)
}

/// The figures of one bulk submission.
struct Submitted {
    wall: f64,
    requests: usize,
    dedupe_calls: usize,
    submitted: usize,
    retries: Retries,
}

impl Submitted {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.wall
    }
}

/// Submits `plan` with a fresh client (token fetched before the clock starts).
async fn submit(
    base_url: &str,
    plan: Plan,
    pace: Option<RateLimit>,
    concurrency: usize,
    skip_pending: bool,
) -> Result<Submitted, BoxError> {
    let client = client(base_url, pace)?;
    client.access_request_config().get().await?; // token and connection
    let before = Retries::now();
    let started = Instant::now();
    let report = client
        .bulk_submit(plan)
        .concurrency(concurrency)
        .skip_pending(skip_pending)
        .send()
        .await?;
    let wall = started.elapsed().as_secs_f64();
    Ok(Submitted {
        wall,
        requests: report.requests_sent
            + report.dedupe_calls
            + report.reconcile_calls
            + report.wait_calls,
        dedupe_calls: report.dedupe_calls,
        submitted: report.count(RowOutcome::Submitted),
        retries: before.since(),
    })
}

/// Resets `VmHWM` to the current RSS (`/proc/self/clear_refs`, value 5).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[derive(Default)]
struct PhaseSeries {
    wall: Vec<f64>,
    requests: Vec<f64>,
    rate: Vec<f64>,
    ratio: Vec<f64>,
    limited: Vec<f64>,
    wait_s: Vec<f64>,
    other_retries: Vec<f64>,
    dedupe: Vec<f64>,
    submitted: Vec<f64>,
    rss: Vec<f64>,
}

impl PhaseSeries {
    fn push(&mut self, s: &Submitted, allowed: f64, rss: f64) {
        self.wall.push(s.wall);
        self.requests.push(s.requests as f64);
        self.rate.push(s.rate());
        self.ratio.push(s.rate() / allowed);
        self.limited.push(s.retries.limited as f64);
        self.wait_s.push(s.retries.wait_ms as f64 / 1000.0);
        self.other_retries.push(s.retries.other as f64);
        self.dedupe.push(s.dedupe_calls as f64);
        self.submitted.push(s.submitted as f64);
        self.rss.push(rss);
    }

    fn emit(&self, out: &Out, phase: &str) {
        let name = |what: &str| format!("{phase}.{what}");
        out.series(&name("wall_s"), "s", &self.wall);
        out.series(&name("requests"), "requests", &self.requests);
        out.series(&name("rate_per_s"), "requests/s", &self.rate);
        out.series(&name("rate_ratio"), "x", &self.ratio);
        out.series(&name("responses_429"), "responses", &self.limited);
        out.series(&name("wait_429_s"), "s", &self.wait_s);
        out.series(&name("other_retries"), "retries", &self.other_retries);
        out.series(&name("dedupe_calls"), "calls", &self.dedupe);
        out.series(&name("rows_submitted"), "rows", &self.submitted);
        out.series(&name("rss_hwm_kib"), "KiB", &self.rss);
    }
}

/// (6) 10,000 onboarding rows through the planner, paced, against the same
/// rows sent one per request, unpaced and paced. The sandbox runs in a
/// child process per submission, so peak RSS is the client's.
pub async fn bulk_grant(args: &Args) -> Result<(), BoxError> {
    install_counter()?;
    let out = Out::new("bulk-grant");
    let quick = args.flag("quick");
    let n = args.num("rows", if quick { 300 } else { 10_000 })?;
    let limit = Limit::from_args(args, 100, 1000, if quick { 5 } else { 100 })?;
    let concurrency = args.num("concurrency", 16)?.max(1);
    let runs = args.num("runs", if quick { 1 } else { 3 })?.max(1);
    let naive_runs = args.num("naive-runs", 1)?;
    let (rows, hires) = hire_rows(n);
    let planned = plan(
        AccessRequestType::GrantAccess,
        rows.clone(),
        PlanLimits::default(),
    );
    let naive = plan(AccessRequestType::GrantAccess, rows, naive_limits());
    out.meta(json!({
        "rows": n, "hires": hires, "concurrency": concurrency, "runs": runs,
        "naive_runs": naive_runs, "rate": limit.meta(), "quick": quick,
    }));
    out.value("rows", "rows", n as f64);
    out.value("hires", "identities", hires as f64);
    out.value("allowed_per_s", "requests/s", limit.per_second());
    out.value("plan.requests", "requests", planned.requests.len() as f64);
    out.value("plan.lower_bound", "requests", planned.lower_bound as f64);
    out.value("plan.refused", "rows", planned.refused.len() as f64);
    out.value("naive.requests", "requests", naive.requests.len() as f64);

    let serve_args = |limit: &Limit| {
        vec![
            "--limit".to_owned(),
            limit.requests.to_string(),
            "--window-ms".to_owned(),
            (limit.window.as_millis() as u64).to_string(),
            "--latency-ms".to_owned(),
            (limit.latency.as_millis() as u64).to_string(),
        ]
    };
    let allowed = limit.per_second();
    let mut rss_reset = true;
    let mut phase = |plan: &Plan, paced: bool, skip: bool| {
        let plan = plan.clone();
        let extra = serve_args(&limit);
        rss_reset &= reset_peak_rss();
        async move {
            let server = ServerChild::start_with(0, &extra)?;
            let s = submit(&server.base_url, plan, limit.pace(paced), concurrency, skip).await?;
            let (hwm, _) = rss_kib()?;
            drop(server);
            Ok::<_, BoxError>((s, hwm as f64))
        }
    };

    let mut series = [
        PhaseSeries::default(),
        PhaseSeries::default(),
        PhaseSeries::default(),
    ];
    for _ in 0..runs {
        let (s, rss) = phase(&planned, true, true).await?;
        if s.submitted != n {
            return Err(format!("planned: {} of {n} rows submitted", s.submitted).into());
        }
        series[0].push(&s, allowed, rss);
    }
    for _ in 0..naive_runs {
        for (i, paced) in [(1, false), (2, true)] {
            let (s, rss) = phase(&naive, paced, false).await?;
            if s.submitted != n {
                return Err(format!("naive: {} of {n} rows submitted", s.submitted).into());
            }
            series[i].push(&s, allowed, rss);
        }
    }
    out.value("rss_reset", "bool", if rss_reset { 1.0 } else { 0.0 });
    series[0].emit(&out, "planned");
    if naive_runs > 0 {
        series[1].emit(&out, "naive_unpaced");
        series[2].emit(&out, "naive_paced");
    }
    Ok(())
}

/// The figures of one rate-limited phase, from the sandbox's counters.
struct Ceiling {
    wall: f64,
    answered: u64,
    retries: Retries,
}

fn api_received(sandbox: &SandboxHandle) -> u64 {
    Operation::ALL
        .iter()
        .filter(|op| **op != Operation::Token)
        .map(|op| sandbox.requests_received(*op))
        .sum()
}

async fn measured<F, Fut>(sandbox: &SandboxHandle, work: F) -> Result<Ceiling, BoxError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), BoxError>>,
{
    let received = api_received(sandbox);
    let before = Retries::now();
    let started = Instant::now();
    work().await?;
    let wall = started.elapsed().as_secs_f64();
    let retries = before.since();
    let received = api_received(sandbox) - received;
    Ok(Ceiling {
        wall,
        answered: received.saturating_sub(retries.limited),
        retries,
    })
}

/// (7) The status walk with prefetch and the bulk submission against the
/// rate-limited sandbox, paced and unpaced: achieved rate against allowed,
/// and the 429s. A fresh sandbox per phase, so every phase starts with an
/// empty window.
pub async fn rate_ceiling(args: &Args) -> Result<(), BoxError> {
    install_counter()?;
    let out = Out::new("rate-ceiling");
    let quick = args.flag("quick");
    let statuses = args.num("statuses", if quick { 2_500 } else { 40_000 })?;
    let prefetch = args.num("prefetch", 8)?;
    // Twice the bulk-grant batch: the run's fixed costs (the de-duplication
    // walk before the first submission, the last response's latency) are
    // then about 2% of the wall time rather than 4%.
    let n = args.num("rows", if quick { 300 } else { 20_000 })?;
    let concurrency = args.num("concurrency", 16)?.max(1);
    let runs = args.num("runs", if quick { 1 } else { 3 })?.max(1);
    let limit = Limit::from_args(args, 100, 2000, if quick { 5 } else { 100 })?;
    out.meta(json!({
        "statuses": statuses, "prefetch": prefetch, "page": PAGE, "rows": n,
        "concurrency": concurrency, "runs": runs, "rate": limit.meta(), "quick": quick,
    }));
    let allowed = limit.per_second();
    out.value("allowed_per_s", "requests/s", allowed);
    let (rows, _) = hire_rows(n);
    let bulk_plan = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());

    let names = ["walk_paced", "walk_unpaced", "bulk_paced", "bulk_unpaced"];
    let mut samples: Vec<[Vec<f64>; 6]> = names.iter().map(|_| Default::default()).collect();
    for _ in 0..runs {
        for (i, name) in names.iter().enumerate() {
            let paced = !name.ends_with("unpaced");
            let walk = name.starts_with("walk");
            let sandbox = limit.sandbox(if walk { statuses } else { 0 }).await?;
            let client = client(sandbox.base_url(), limit.pace(paced))?;
            client.access_request_config().get().await?; // token and connection
            let c = if walk {
                measured(&sandbox, || async {
                    let read = walk_items(&client, prefetch).await?;
                    if read != statuses {
                        return Err(format!("{name}: read {read} of {statuses}").into());
                    }
                    Ok(())
                })
                .await?
            } else {
                let plan = bulk_plan.clone();
                measured(&sandbox, || async {
                    let report = client
                        .bulk_submit(plan)
                        .concurrency(concurrency)
                        .send()
                        .await?;
                    let done = report.count(RowOutcome::Submitted);
                    if done != n {
                        return Err(format!("{name}: {done} of {n} rows submitted").into());
                    }
                    Ok(())
                })
                .await?
            };
            sandbox.shutdown().await;
            let rate = c.answered as f64 / c.wall;
            let s = &mut samples[i];
            s[0].push(c.answered as f64);
            s[1].push(rate);
            s[2].push(rate / allowed);
            s[3].push(c.retries.limited as f64);
            s[4].push(c.retries.wait_ms as f64 / 1000.0);
            s[5].push(c.wall);
        }
    }
    for (name, s) in names.iter().zip(&samples) {
        out.series(&format!("{name}.requests"), "requests", &s[0]);
        out.series(&format!("{name}.rate_per_s"), "requests/s", &s[1]);
        out.series(&format!("{name}.rate_ratio"), "x", &s[2]);
        out.series(&format!("{name}.responses_429"), "responses", &s[3]);
        out.series(&format!("{name}.wait_429_s"), "s", &s[4]);
        out.series(&format!("{name}.wall_s"), "s", &s[5]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_tells_429s_from_other_retries_by_status() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let before = Retries::now();
        tracing::subscriber::with_default(RetryCounter, || {
            runtime.block_on(async {
                let sandbox = Sandbox::builder()
                    .rate_limit(RateLimitFault::new(1, Duration::from_millis(300)))
                    .start()
                    .await
                    .unwrap();
                let client = sandbox
                    .client_builder()
                    .rate_limit(None)
                    .retry(retry_policy())
                    .build()
                    .unwrap();
                client.access_request_config().get().await.unwrap();
                // Over the limit: retried after the window, counted as a 429.
                client.access_request_config().get().await.unwrap();
            });
        });
        let seen = before.since();
        assert!(seen.limited >= 1, "429s counted: {}", seen.limited);
        assert_eq!(seen.other, 0);
    }
}
