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
//!   the lane beyond the cap); nothing of the family leaves before the pause
//!   ends;
//! - learns a ceiling from evidence and resumes at it (below); the 429s of
//!   requests that were in flight, arriving while that pause runs, only
//!   extend the pause.
//!
//! ### The ceiling a 429 teaches
//!
//! The pacer assumes what the vendor states, "N requests per window", read
//! as a fixed window (the sandbox counts so too: a window opens with the
//! first request after the previous one closed). The lane keeps the instants
//! of the slots it granted over the last two windows. When a request whose
//! slot was granted at `g` is answered 429, the slots granted in the window
//! before `g` went through: that count is what the tenant allows us per
//! window. The ceiling becomes `count / configured count x 0.95`
//! ([`EVIDENCE_MARGIN`]), and the lane resumes at it after the pause, so a
//! tenant at half the believed limit costs one burst of 429s (the requests
//! already in flight when its quota ran out), not one per halving.
//!
//! Two bounds keep a poor estimate from doing harm. It is never above 0.9 x
//! the throttled rate ([`CEILING_MARGIN`]), so a window that straddled two
//! of the tenant's windows (over-counted) still converges as fast as before.
//! It never cuts the rate below a quarter of itself in one 429
//! ([`DEEPEST_CUT`]), nor below 1/64 of the limit ([`MIN_RATE`]), so a
//! throttle caused by someone else's burst (few of our slots in the window)
//! cannot floor the lane. The slots granted after `g` were in flight with
//! it and answered 429 too: they leave the log, so the next estimate counts
//! only requests that went through.
//!
//! Without that evidence (a 429 of the token endpoint, a custom budget that
//! names no slots) the rule is additive-increase/multiplicative-decrease:
//! the ceiling becomes 0.9 x the throttled rate, the rate halves, and each
//! success adds 2% of the limit back, up to the ceiling.
//!
//! A ceiling that held for [`PROBE_AFTER_WINDOWS`] windows without a 429
//! rises by 5% of the limit, so a tenant whose limit was raised (or a
//! throttle caused by someone else's burst) is found again; against a
//! tenant that really allows less, that costs one burst of 429s per probe.
//!
//! All time arithmetic saturates: no header value can overflow an `Instant`.

use std::collections::VecDeque;
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
/// The share of the evidence (slots that went through in the window before
/// a throttled one) that becomes the ceiling.
pub(crate) const EVIDENCE_MARGIN: f64 = 0.95;
/// One 429 never cuts the rate below this share of itself.
pub(crate) const DEEPEST_CUT: f64 = 0.25;
/// How many windows of granted slots a lane remembers.
pub(crate) const GRANT_LOG_WINDOWS: u32 = 2;
/// After this many windows without a 429, the ceiling is probed upwards.
pub(crate) const PROBE_AFTER_WINDOWS: u32 = 30;
/// How much a probe raises the ceiling.
pub(crate) const PROBE_STEP: f64 = 0.05;

/// What the first 429 of a pause teaches: the new ceiling and the rate to
/// resume at, from the rate in use and, when the throttled request's slot
/// is known, how many slots were granted in the window before it (see the
/// module's documentation).
pub(crate) fn after_throttle(
    rate: f64,
    granted_before: Option<usize>,
    requests: u32,
) -> (f64, f64) {
    let rule = (rate * CEILING_MARGIN).max(MIN_RATE);
    match granted_before {
        None => (rule, (rate / 2.0).max(MIN_RATE)),
        Some(count) => {
            let estimate = count as f64 / f64::from(requests.max(1)) * EVIDENCE_MARGIN;
            let ceiling = estimate.max(rate * DEEPEST_CUT).min(rule).max(MIN_RATE);
            (ceiling, ceiling)
        }
    }
}

/// Where a request's slot came from, so that its 429 can name it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Grant {
    /// Not paced, or the slot is not known.
    Unknown,
    /// A slot of this process's lane.
    Local(Instant),
    /// A slot of a shared budget, in the budget's own clock (if it names one).
    Shared(Option<f64>),
}

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
    /// The configured count per window.
    requests: u32,
    /// The slots granted over the last [`GRANT_LOG_WINDOWS`] windows, oldest
    /// first, minus those answered 429: the evidence a 429 learns from.
    grants: VecDeque<Instant>,
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

    /// Notes a slot granted at `at`, forgetting what is too old to matter.
    fn log_grant(&mut self, at: Instant) {
        self.grants.push_back(at);
        let keep = self.window.saturating_mul(GRANT_LOG_WINDOWS);
        let most = self.requests.saturating_mul(GRANT_LOG_WINDOWS) as usize;
        while self.grants.len() > most
            || self
                .grants
                .front()
                .is_some_and(|first| at.saturating_duration_since(*first) > keep)
        {
            self.grants.pop_front();
        }
    }

    /// How many slots were granted in the window before `g`; the slots from
    /// `g` on leave the log (in flight with the throttled one, answered 429).
    fn went_through_before(&mut self, g: Instant) -> usize {
        self.grants.retain(|t| *t < g);
        self.grants
            .iter()
            .filter(|t| g.saturating_duration_since(**t) < self.window)
            .count()
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
                requests: limit.requests(),
                grants: VecDeque::new(),
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

    /// Waits for this family's turn, then marks a request as leaving now;
    /// answers the slot, for [`back_off_granted`](Self::back_off_granted).
    /// Dropping the future before it completes gives the turn back (with a
    /// shared budget, the slot already reserved there is lost: one interval,
    /// at most one per client and family at a time).
    pub(crate) async fn acquire(&self, family: Family) -> Result<Grant> {
        let Some(lane) = self.lane(family) else {
            return Ok(Grant::Unknown);
        };
        let _turn = lane.gate.lock().await;
        if let (Some(shared), Some(limit)) = (&self.shared, self.limit) {
            let key = Self::key(shared, family);
            loop {
                let slot = shared.budget.take_slot(&key, limit).await?;
                tokio::time::sleep(slot.wait).await;
                // A sharer's 429 during that wait may have paused past the
                // slot: sending now would only draw another 429.
                match slot.at {
                    Some(at) if !slot.wait.is_zero() => {
                        if !shared.budget.slot_voided(&key, at).await? {
                            return Ok(Grant::Shared(slot.at));
                        }
                    }
                    _ => return Ok(Grant::Shared(slot.at)),
                }
            }
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
        let mut s = lane.state();
        s.last_sent = Some(at);
        s.log_grant(at);
        Ok(Grant::Local(at))
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

    /// A 429 whose slot is not known asked to wait `retry_after`.
    #[cfg(test)]
    pub(crate) async fn back_off(&self, family: Family, retry_after: Duration, cap: Duration) {
        self.back_off_granted(family, Grant::Unknown, retry_after, cap)
            .await
    }

    /// A 429 answered to the request of slot `grant` asked to wait
    /// `retry_after`: nobody of this family goes before then (at most `cap`
    /// from now), and the lane slows down to what the slots before `grant`
    /// show the tenant allows; with a shared budget, every sharer does.
    pub(crate) async fn back_off_granted(
        &self,
        family: Family,
        grant: Grant,
        retry_after: Duration,
        cap: Duration,
    ) {
        if let (Some(shared), Some(limit)) = (&self.shared, self.limit) {
            let key = Self::key(shared, family);
            let slot = match grant {
                Grant::Shared(at) => at,
                _ => None,
            };
            if let Err(e) = shared
                .budget
                .throttled_slot(&key, limit, retry_after.min(cap), slot)
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
        let evidence = match grant {
            Grant::Local(g) => Some(s.went_through_before(g)),
            _ => None,
        };
        (s.ceiling, s.rate) = after_throttle(s.rate, evidence, s.requests);
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
    async fn a_429_learns_the_ceiling_from_the_slots_that_went_through_before_it() {
        // The tenant allows 5 per second while the client believes 10: the
        // request of the sixth slot is the first answered 429, and the four
        // after it were in flight with it.
        let limit = RateLimit::new(10, Duration::from_secs(1));
        let pacer = Pacer::new(Some(limit));
        let mut slots = Vec::new();
        for _ in 0..10 {
            slots.push(pacer.acquire(Family::V3).await.unwrap());
        }
        let cap = Duration::from_secs(30);
        for slot in &slots[5..] {
            pacer
                .back_off_granted(Family::V3, *slot, Duration::from_secs(1), cap)
                .await;
        }
        let learned = pacer.rate(Family::V3);
        assert!(
            (learned - 5.0 / 10.0 * EVIDENCE_MARGIN).abs() < 1e-9,
            "{learned}"
        );
        // Nothing leaves before the pause ends; then the lane goes at the
        // ceiling at once (no halving to recover from), and successes do not
        // raise it past what the tenant allows.
        let paused = Instant::now();
        pacer.acquire(Family::V3).await.unwrap();
        assert!(paused.elapsed() >= Duration::from_secs(1));
        for _ in 0..50 {
            pacer.succeeded(Family::V3);
        }
        let spaced = Instant::now();
        pacer.acquire(Family::V3).await.unwrap();
        let interval = limit.interval().as_secs_f64() / learned;
        assert!(
            (spaced.elapsed().as_secs_f64() - interval).abs() < 0.002,
            "{:?} for {interval}",
            spaced.elapsed()
        );
        // The next 429, for the request just granted, counts the two slots
        // granted since the pause; the five before it are more than a
        // window old, and the ones answered 429 left the evidence.
        let third = pacer.acquire(Family::V3).await.unwrap();
        pacer
            .back_off_granted(Family::V3, third, Duration::ZERO, cap)
            .await;
        assert!(
            (pacer.rate(Family::V3) - 2.0 / 10.0 * EVIDENCE_MARGIN).abs() < 1e-9,
            "{}",
            pacer.rate(Family::V3)
        );
    }

    #[test]
    fn the_learned_ceiling_is_bounded_by_the_rule_the_deepest_cut_and_the_floor() {
        // 50 of 100 went through: 0.475 of the limit, and the lane resumes there.
        assert_eq!(after_throttle(1.0, Some(50), 100), (0.475, 0.475));
        // A window that over-counts is still capped at 0.9 x the throttled rate.
        assert_eq!(after_throttle(0.5, Some(100), 100), (0.45, 0.45));
        // No slot of ours went through (someone else's burst): a quarter.
        assert_eq!(after_throttle(1.0, Some(0), 100), (0.25, 0.25));
        assert_eq!(after_throttle(MIN_RATE, Some(0), 100), (MIN_RATE, MIN_RATE));
        // Without evidence: the AIMD rule.
        assert_eq!(after_throttle(1.0, None, 100), (0.9, 0.5));
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
