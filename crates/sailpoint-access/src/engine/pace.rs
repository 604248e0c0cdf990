//! Client-side pacing: requests are spaced to stay under the tenant's rate
//! limit, shared by every clone of a client, one lane per API family (the
//! vendor counts per client id and per API version).
//!
//! Each request waits its turn at the lane's gate (first come, first
//! served), then leaves one interval after the previous one, with no burst:
//! against a service counting fixed windows, a burst would spill into a 429.
//! A caller that gives up while waiting leaves the queue and takes nothing
//! with it: the schedule only advances when a request actually leaves, so it
//! never runs ahead of live callers.
//!
//! ## Self-correction after a 429
//!
//! The lane sends at a fraction `rate` of the configured limit (1.0 at
//! first). A 429:
//! - pauses the lane until its `Retry-After`, capped at the retry policy's
//!   `max_retry_after` (a longer figure fails that call fast and never stalls
//!   the lane beyond the cap);
//! - learns a ceiling of 0.9 x the rate that was throttled, and halves the
//!   rate (never below 1/64 of the limit); the 429s of requests that were
//!   in flight, arriving while that pause runs, only extend the pause.
//!
//! Each success adds 2% of the configured limit back, up to the ceiling: after
//! one 429 at full speed the lane is back at 0.9 of the limit after 20
//! successes. A ceiling that held for [`PROBE_AFTER_WINDOWS`] windows
//! without a 429 rises by 5% of the limit, so a tenant whose limit was raised
//! (or a throttle caused by someone else's burst) is found again; against a
//! tenant that really allows less, that costs at most one 429 per probe.
//!
//! All time arithmetic saturates: no header value can overflow an `Instant`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sailpoint_access_api::{limits, Family};
use tokio::time::Instant;

use crate::engine::budget::{BudgetKey, RateBudget};
use crate::error::Result;

/// A rate limit: `requests` per `window`.
///
/// ```
/// use std::time::Duration;
/// use sailpoint_access::RateLimit;
///
/// let vendor = RateLimit::vendor_default();
/// assert_eq!(vendor, RateLimit::new(100, Duration::from_secs(10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    window: Duration,
}

impl RateLimit {
    /// `requests` per `window` (at least one request).
    pub fn new(requests: u32, window: Duration) -> Self {
        Self {
            requests: requests.max(1),
            window,
        }
    }

    /// The vendor's documented limit: 100 requests per 10 s.
    pub fn vendor_default() -> Self {
        Self::new(
            limits::RATE_LIMIT_REQUESTS as u32,
            Duration::from_secs(limits::RATE_LIMIT_WINDOW_SECONDS),
        )
    }

    /// Requests per window.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Parses `REQUESTS/SECONDS` (`100/10`, or `300/10s`), a tenant's
    /// custom limit as administrators state it. Also `off` for no pacing
    /// is not a limit: see `ClientBuilder::rate_limit(None)`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sailpoint_access::RateLimit;
    ///
    /// let custom: RateLimit = "300/10".parse().unwrap();
    /// assert_eq!(custom, RateLimit::new(300, Duration::from_secs(10)));
    /// assert!("300".parse::<RateLimit>().unwrap_err().contains("REQUESTS/SECONDS"));
    /// ```
    fn parse_text(text: &str) -> Result<Self, String> {
        let refuse = || {
            format!(
                "invalid rate limit {text:?}: expected REQUESTS/SECONDS with whole numbers above 0, such as 100/10"
            )
        };
        let (requests, seconds) = text.trim().split_once('/').ok_or_else(refuse)?;
        let requests: u32 = requests.trim().parse().map_err(|_| refuse())?;
        let seconds: u64 = seconds
            .trim()
            .trim_end_matches('s')
            .parse()
            .map_err(|_| refuse())?;
        if requests == 0 || seconds == 0 {
            return Err(refuse());
        }
        Ok(Self::new(requests, Duration::from_secs(seconds)))
    }

    /// The spacing between two requests: a hair wider than the exact share,
    /// so that timer jitter never puts one request too many in a window.
    pub(crate) fn interval(&self) -> Duration {
        (self.window / self.requests).mul_f64(1.01)
    }
}

/// The share of the configured limit a lane never goes below.
pub(crate) const MIN_RATE: f64 = 1.0 / 64.0;
/// How much of the configured limit each success adds back.
pub(crate) const RECOVERY_STEP: f64 = 0.02;
/// The share of the throttled rate that becomes the ceiling.
pub(crate) const CEILING_MARGIN: f64 = 0.9;
/// After this many windows without a 429, the ceiling is probed upwards.
pub(crate) const PROBE_AFTER_WINDOWS: u32 = 30;
/// How much a probe raises the ceiling.
pub(crate) const PROBE_STEP: f64 = 0.05;

/// `t + d`, or a point so far ahead that it never comes when that overflows.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .unwrap_or_else(|| t + Duration::from_secs(60 * 60 * 24 * 365))
}

/// The schedule and the learned speed of one lane.
impl std::str::FromStr for RateLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_text(text)
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.requests, self.window.as_secs_f64())
    }
}

#[derive(Debug)]
struct LaneState {
    /// The configured spacing (`window / requests`, with its margin).
    base: Duration,
    /// The configured window, the period of the ceiling's probes.
    window: Duration,
    /// The share of the configured limit in use now, in `MIN_RATE..=ceiling`.
    rate: f64,
    /// The highest share used since the last 429.
    ceiling: f64,
    /// When the last request left, to space the next one.
    last_sent: Option<Instant>,
    /// No request leaves before this (a 429's `Retry-After`, capped).
    paused_until: Option<Instant>,
    /// When the ceiling was last lowered or probed.
    ceiling_since: Instant,
}

impl LaneState {
    fn interval(&self) -> Duration {
        Duration::try_from_secs_f64(self.base.as_secs_f64() / self.rate).unwrap_or(Duration::MAX)
    }

    /// The earliest instant the next request may leave.
    fn ready_at(&self, now: Instant) -> Instant {
        let spaced = self.last_sent.map_or(now, |t| later(t, self.interval()));
        spaced.max(self.paused_until.unwrap_or(now)).max(now)
    }
}

/// The pacer of one family: a gate that admits one caller at a time, and
/// the state the gate's holder reads.
#[derive(Debug)]
struct Lane {
    gate: tokio::sync::Mutex<()>,
    state: Mutex<LaneState>,
}

impl Lane {
    fn state(&self) -> std::sync::MutexGuard<'_, LaneState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The pacers of a client: one per family, in the order of `Family::ALL`
/// (so a new family gets its own lane without a change here), or none
/// when pacing is off.
#[derive(Debug)]
pub(crate) struct Pacer {
    lanes: Option<Vec<Lane>>,
    shared: Option<Shared>,
    /// The configured limit (`None`: pacing is off).
    limit: Option<RateLimit>,
}

/// A budget shared with other clients, and what this client's keys are made of.
#[derive(Debug)]
pub(crate) struct Shared {
    pub budget: Arc<dyn RateBudget>,
    pub host: String,
    pub client_id: String,
}

impl Pacer {
    #[cfg(test)]
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self::with_shared(limit, None)
    }

    /// A pacer whose slots come from `shared` (when pacing is on); the
    /// lanes then only admit one caller of this client at a time.
    pub(crate) fn with_shared(limit: Option<RateLimit>, shared: Option<Shared>) -> Self {
        let lane = |limit: RateLimit| Lane {
            gate: tokio::sync::Mutex::new(()),
            state: Mutex::new(LaneState {
                base: limit.interval(),
                window: limit.window(),
                rate: 1.0,
                ceiling: 1.0,
                last_sent: None,
                paused_until: None,
                ceiling_since: Instant::now(),
            }),
        };
        Self {
            lanes: limit.map(|l| Family::ALL.iter().map(|_| lane(l)).collect()),
            shared: limit.and(shared),
            limit,
        }
    }

    fn key(shared: &Shared, family: Family) -> BudgetKey {
        BudgetKey {
            host: shared.host.clone(),
            client_id: shared.client_id.clone(),
            family,
        }
    }

    fn lane(&self, family: Family) -> Option<&Lane> {
        let index = Family::ALL.iter().position(|f| *f == family)?;
        self.lanes.as_ref()?.get(index)
    }

    /// Waits for this family's turn, then marks a request as leaving now.
    /// Dropping the future before it completes gives the turn back (with a
    /// shared budget, the slot already reserved there is lost: one interval,
    /// at most one per client and family at a time).
    pub(crate) async fn acquire(&self, family: Family) -> Result<()> {
        let Some(lane) = self.lane(family) else {
            return Ok(());
        };
        let _turn = lane.gate.lock().await;
        if let (Some(shared), Some(limit)) = (&self.shared, self.limit) {
            let wait = shared
                .budget
                .take(&Self::key(shared, family), limit)
                .await?;
            tokio::time::sleep(wait).await;
            return Ok(());
        }
        let mut at = lane.state().ready_at(Instant::now());
        loop {
            tokio::time::sleep_until(at).await;
            // A 429 seen by another caller meanwhile may have moved the
            // lane's time later: wait again if so.
            let moved = lane.state().ready_at(at);
            if moved <= at {
                break;
            }
            at = moved;
        }
        // The slot's own time, not the moment the timer woke us: timer
        // lateness would otherwise add up, request after request.
        lane.state().last_sent = Some(at);
        Ok(())
    }

    /// A request of this family succeeded: the rate recovers a step toward
    /// the ceiling, and a ceiling that held long enough is probed upwards.
    pub(crate) fn succeeded(&self, family: Family) {
        let Some(lane) = self.lane(family) else {
            return;
        };
        let mut s = lane.state();
        s.rate = (s.rate + RECOVERY_STEP).min(s.ceiling);
        let probe_period = s.window.saturating_mul(PROBE_AFTER_WINDOWS);
        if s.ceiling < 1.0 && s.ceiling_since.elapsed() >= probe_period {
            s.ceiling = (s.ceiling + PROBE_STEP).min(1.0);
            s.ceiling_since = Instant::now();
        }
    }

    /// A 429 asked to wait `retry_after`: nobody of this family goes before
    /// then (at most `cap` from now), and the lane slows down; with a shared
    /// budget, every sharer does.
    pub(crate) async fn back_off(&self, family: Family, retry_after: Duration, cap: Duration) {
        if let (Some(shared), Some(limit)) = (&self.shared, self.limit) {
            let key = Self::key(shared, family);
            if let Err(e) = shared
                .budget
                .throttled(&key, limit, retry_after.min(cap))
                .await
            {
                // The call fails on its 429 anyway; the next one meets the
                // backend's error when it takes a slot.
                tracing::warn!(error = %e, "could not share a 429 with the rate budget");
            }
            return;
        }
        let Some(lane) = self.lane(family) else {
            return;
        };
        let mut s = lane.state();
        let now = Instant::now();
        let resume = later(now, retry_after.min(cap));
        let already_paused = s.paused_until.is_some_and(|p| now < p);
        s.paused_until = Some(s.paused_until.map_or(resume, |p| p.max(resume)));
        if already_paused {
            // Sent before the pause's first 429 was known (requests in
            // flight): one slow-down per pause, not one per request, or a
            // burst of them would floor the rate for good.
            return;
        }
        s.ceiling = (s.rate * CEILING_MARGIN).max(MIN_RATE);
        s.rate = (s.rate / 2.0).max(MIN_RATE);
        s.ceiling_since = now;
        tracing::debug!(
            retry_after_ms = retry_after.as_millis() as u64,
            rate = s.rate,
            ceiling = s.ceiling,
            "rate limited: pausing this family and slowing down"
        );
    }

    /// The share of the configured limit this family's lane uses now (1.0
    /// when pacing is off).
    pub(crate) fn rate(&self, family: Family) -> f64 {
        self.lane(family).map_or(1.0, |lane| lane.state().rate)
    }

    /// The configured limit; `None` when pacing is off.
    pub(crate) fn limit(&self) -> Option<RateLimit> {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_per_family_and_paused_by_a_429() {
        let pacer = Pacer::new(Some(RateLimit::new(10, Duration::from_secs(1))));
        let start = Instant::now();
        for _ in 0..5 {
            pacer.acquire(Family::V3).await.unwrap();
        }
        let spent = start.elapsed();
        assert!(
            spent >= Duration::from_millis(400) && spent < Duration::from_millis(420),
            "{spent:?}"
        );
        // The other family has its own lane.
        let other = Instant::now();
        pacer.acquire(Family::Versioned).await.unwrap();
        assert!(other.elapsed() < Duration::from_millis(1));
        pacer
            .back_off(Family::V3, Duration::from_secs(2), Duration::from_secs(30))
            .await;
        let paused = Instant::now();
        pacer.acquire(Family::V3).await.unwrap();
        assert!(paused.elapsed() >= Duration::from_secs(2));
        let off = Pacer::new(None);
        let t = Instant::now();
        for _ in 0..100 {
            off.acquire(Family::V3).await.unwrap();
        }
        assert_eq!(t.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_after_overflows_or_stalls_the_lane() {
        let pacer = Pacer::new(Some(RateLimit::new(10, Duration::from_secs(1))));
        let cap = Duration::from_secs(30);
        for secs in [
            u64::MAX,
            i64::MAX as u64,
            10_000_000_000_000_000_000u128 as u64,
        ] {
            pacer
                .back_off(Family::V3, Duration::from_secs(secs), cap)
                .await;
            pacer
                .back_off(Family::V3, Duration::MAX, Duration::MAX)
                .await;
        }
        // The pause is the cap of the last back-off, not years: the huge
        // uncapped one saturates instead of panicking, so use a fresh lane.
        let pacer = Pacer::new(Some(RateLimit::new(10, Duration::from_secs(1))));
        pacer
            .back_off(Family::V3, Duration::from_secs(99_999_999), cap)
            .await;
        let t = Instant::now();
        pacer.acquire(Family::V3).await.unwrap();
        assert_eq!(
            t.elapsed(),
            cap,
            "the lane pauses for the cap, not the server's figure"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_halves_on_a_429_and_recovers_to_the_learned_ceiling() {
        let limit = RateLimit::new(10, Duration::from_secs(1));
        let pacer = Pacer::new(Some(limit));
        assert_eq!(pacer.rate(Family::V3), 1.0);
        pacer
            .back_off(Family::V3, Duration::ZERO, Duration::from_secs(30))
            .await;
        assert_eq!(pacer.rate(Family::V3), 0.5);
        for _ in 0..100 {
            pacer.succeeded(Family::V3);
        }
        assert!(
            (pacer.rate(Family::V3) - 0.9).abs() < 1e-9,
            "{}",
            pacer.rate(Family::V3)
        );
        // Many 429s never stop the lane: the rate has a floor.
        for _ in 0..1000 {
            pacer
                .back_off(Family::V3, Duration::ZERO, Duration::from_secs(30))
                .await;
        }
        assert_eq!(pacer.rate(Family::V3), MIN_RATE);
        // After a quiet period the ceiling is probed back up to the limit.
        for _ in 0..40 {
            tokio::time::advance(limit.window() * PROBE_AFTER_WINDOWS).await;
            for _ in 0..60 {
                pacer.succeeded(Family::V3);
            }
        }
        assert_eq!(pacer.rate(Family::V3), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_429s_of_requests_in_flight_slow_the_lane_once_per_pause() {
        let pacer = Pacer::new(Some(RateLimit::new(10, Duration::from_secs(1))));
        let cap = Duration::from_secs(30);
        for _ in 0..10 {
            pacer
                .back_off(Family::V3, Duration::from_secs(1), cap)
                .await;
        }
        assert_eq!(pacer.rate(Family::V3), 0.5);
        // A 429 after the pause is a new one.
        tokio::time::advance(Duration::from_millis(1001)).await;
        pacer
            .back_off(Family::V3, Duration::from_secs(1), cap)
            .await;
        assert_eq!(pacer.rate(Family::V3), 0.25);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_that_give_up_leave_no_slot_behind() {
        let pacer =
            std::sync::Arc::new(Pacer::new(Some(RateLimit::new(10, Duration::from_secs(1)))));
        pacer.acquire(Family::V3).await.unwrap();
        // 1,000 callers queue, and all give up after 300 ms.
        let mut queued = Vec::new();
        for _ in 0..1000 {
            let pacer = pacer.clone();
            queued.push(tokio::spawn(async move {
                tokio::time::timeout(Duration::from_millis(300), pacer.acquire(Family::V3))
                    .await
                    .is_ok()
            }));
        }
        let mut sent = 0;
        for q in queued {
            sent += usize::from(q.await.unwrap());
        }
        assert_eq!(sent, 2, "two turns fit in 300 ms at 10/s");
        // The next caller waits one interval at most, not 1,000 of them.
        let t = Instant::now();
        pacer.acquire(Family::V3).await.unwrap();
        assert!(
            t.elapsed() <= Duration::from_millis(101),
            "{:?}",
            t.elapsed()
        );
    }
}
