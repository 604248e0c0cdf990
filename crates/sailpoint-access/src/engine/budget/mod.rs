//! Rate budgets shared by several clients: processes on one host (a
//! file-locked state file) or a fleet (Redis), so that jobs running with one
//! client id stay under the tenant's limit together.
//!
//! The in-process budget (the default) is the client's own pacer
//! ([`RateLimit`] lanes, see `pace`): nothing leaves the process. With a
//! shared budget, the pacer's lane of each family still admits one caller of
//! the process at a time, first come first served, and that caller asks the
//! shared budget for the next slot; so a process holds at most one
//! reservation per family, and the shared schedule never runs more than one
//! slot per process ahead of live callers. A reservation that a sharer's
//! 429 paused past while its holder waited is not sent: the holder asks
//! again ([`RateBudget::slot_voided`]), so a 429 costs the sharers only the
//! requests already in flight.
//!
//! ## The shared state (one per tenant host, client id and family)
//!
//! A GCRA "theoretical arrival time" with no burst allowance: a slot is
//! taken at `max(tat, now, paused_until)`, and `tat` moves one interval
//! (`window / requests`, divided by the current rate) past it. Beside it,
//! the same self-correction as the in-process pacer, shared:
//! - the instants of the slots taken over the last two windows (every
//!   sharer's), so that a 429 answered to one slot learns the ceiling from
//!   the slots before it that went through, as the in-process pacer does
//!   (see `pace`'s "The ceiling a 429 teaches"): every sharer learns the
//!   same ceiling and resumes at it;
//! - a 429 seen by any sharer pauses every sharer until its `Retry-After`
//!   (capped by the retry policy's `max_retry_after`); 429s that arrive
//!   while that pause runs count once (they were sent before anybody knew);
//! - without a slot to learn from, the rate halves (floor 1/64 of the
//!   limit) under a ceiling of 0.9 x the throttled rate, and each slot taken
//!   adds 2% of the limit back, up to the ceiling; a ceiling that held for
//!   30 windows is probed 5% higher.
//!
//! ## When the backend fails
//!
//! A budget that cannot be read within [`BACKEND_TIMEOUT`] fails the call
//! before anything is sent, with a [`Configuration`](crate::ErrorKind)
//! error naming the backend (never a password of its URL). There is no
//! silent fallback to in-process pacing: with several sharers that would
//! multiply the rate by their number and draw 429s for every job of the
//! client id, which is what the shared budget exists to prevent.

mod file;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sailpoint_access_api::Family;
use serde::{Deserialize, Serialize};

use crate::engine::pace::{
    after_throttle, RateLimit, GRANT_LOG_WINDOWS, PROBE_AFTER_WINDOWS, PROBE_STEP, RECOVERY_STEP,
};
use crate::error::{Error, Result};

pub use file::FileBudget;
#[cfg(feature = "redis")]
pub use redis::RedisBudget;

/// How long a shared budget may take to answer before the call fails.
pub const BACKEND_TIMEOUT: Duration = Duration::from_secs(2);

/// The future a [`RateBudget`] returns.
pub type BudgetFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// What a shared budget is kept per: the tenant's host, the client id (so
/// two clients never share by accident) and the API family (the vendor
/// counts each version apart).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BudgetKey {
    /// The tenant's host (and port, when not the scheme's default).
    pub host: String,
    /// The client id, or `static token` for a client built from a token.
    pub client_id: String,
    /// The API family.
    pub family: Family,
}

impl BudgetKey {
    /// The key as one string, safe as a file name and a Redis key: every
    /// byte but ASCII letters, digits, `.` and `-` is written `%XX`.
    pub fn encoded(&self) -> String {
        let mut out = String::new();
        for (i, part) in [
            self.host.as_str(),
            self.client_id.as_str(),
            &self.family.to_string(),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push('_');
            }
            for b in part.bytes() {
                if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
        out
    }
}

/// A slot taken from a [`RateBudget`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetSlot {
    /// How long to wait before sending.
    pub wait: Duration,
    /// The slot's instant in the budget's own clock (milliseconds), handed
    /// back by [`RateBudget::throttled_slot`] when its request is answered
    /// 429; `None` when the budget does not name its slots.
    pub at: Option<f64>,
}

/// A rate budget shared by several clients.
///
/// Implementations keep one schedule per [`BudgetKey`]; [`FileBudget`] and
/// `RedisBudget` (feature `redis`) are the ones this crate provides. Each
/// method must answer within a bounded time (the client does not add a
/// timeout of its own to a custom budget).
pub trait RateBudget: Send + Sync + fmt::Debug {
    /// Takes the next slot of `key` at or after now, slots spaced to stay
    /// under `limit`; answers how long to wait before sending.
    fn take<'a>(&'a self, key: &'a BudgetKey, limit: RateLimit) -> BudgetFuture<'a, Duration>;

    /// A 429 was answered: every sharer of `key` waits `pause` (already
    /// capped by the caller) and slows down.
    fn throttled<'a>(
        &'a self,
        key: &'a BudgetKey,
        limit: RateLimit,
        pause: Duration,
    ) -> BudgetFuture<'a, ()>;

    /// [`take`](Self::take), naming the slot so that a 429 answered to its
    /// request can say which one it was. By default the slot is not named.
    fn take_slot<'a>(
        &'a self,
        key: &'a BudgetKey,
        limit: RateLimit,
    ) -> BudgetFuture<'a, BudgetSlot> {
        Box::pin(async move {
            let wait = self.take(key, limit).await?;
            Ok(BudgetSlot { wait, at: None })
        })
    }

    /// [`throttled`](Self::throttled) for the request of slot `slot` (from
    /// [`take_slot`](Self::take_slot)): the slots before it that went
    /// through tell how far to slow down. By default the slot is ignored.
    fn throttled_slot<'a>(
        &'a self,
        key: &'a BudgetKey,
        limit: RateLimit,
        pause: Duration,
        slot: Option<f64>,
    ) -> BudgetFuture<'a, ()> {
        let _ = slot;
        self.throttled(key, limit, pause)
    }

    /// Whether a 429 seen by a sharer since slot `slot` was taken paused
    /// past it: its request would only draw another 429, so the caller
    /// takes a new slot instead. By default never.
    fn slot_voided<'a>(&'a self, key: &'a BudgetKey, slot: f64) -> BudgetFuture<'a, bool> {
        let _ = (key, slot);
        Box::pin(async { Ok(false) })
    }
}

/// One request to the shared state of a key, as the backends of this
/// crate run it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SlotOp {
    /// Take the next slot under the limit.
    Take(RateLimit),
    /// Whether a pause begun after this slot (ms) was taken covers it.
    Check(f64),
    /// A 429: pause every sharer this long and slow down, learning from
    /// the slots before the throttled one when it is known.
    Throttle(RateLimit, Duration, Option<f64>),
}

/// What a backend answers to a [`SlotOp`]: the slot taken (`Take`) or
/// whether the slot is void (`Check`); nothing for `Throttle`.
#[derive(Debug, Default)]
pub(crate) struct SlotAnswer {
    slot: Option<BudgetSlot>,
    voided: bool,
}

impl SlotAnswer {
    pub(crate) fn slot(slot: BudgetSlot) -> Self {
        Self {
            slot: Some(slot),
            voided: false,
        }
    }

    pub(crate) fn voided(voided: bool) -> Self {
        Self { slot: None, voided }
    }
}

/// Implements [`RateBudget`] for a backend that names its slots and runs
/// each [`SlotOp`] with its `async fn answer(&self, &BudgetKey, SlotOp)`.
macro_rules! slot_budget {
    ($backend:ty) => {
        // A scope of its own for the names the impl uses.
        const _: () = {
            use std::time::Duration;

            use $crate::engine::budget::{BudgetFuture, BudgetKey, BudgetSlot, RateBudget, SlotOp};
            use $crate::engine::pace::RateLimit;

            impl RateBudget for $backend {
                fn take<'a>(
                    &'a self,
                    key: &'a BudgetKey,
                    limit: RateLimit,
                ) -> BudgetFuture<'a, Duration> {
                    Box::pin(async move { Ok(self.take_slot(key, limit).await?.wait) })
                }

                fn throttled<'a>(
                    &'a self,
                    key: &'a BudgetKey,
                    limit: RateLimit,
                    pause: Duration,
                ) -> BudgetFuture<'a, ()> {
                    self.throttled_slot(key, limit, pause, None)
                }

                fn take_slot<'a>(
                    &'a self,
                    key: &'a BudgetKey,
                    limit: RateLimit,
                ) -> BudgetFuture<'a, BudgetSlot> {
                    Box::pin(async move {
                        let op = SlotOp::Take(limit);
                        // A take always answers its slot.
                        Ok(self.answer(key, op).await?.slot.unwrap_or(BudgetSlot {
                            wait: Duration::ZERO,
                            at: None,
                        }))
                    })
                }

                fn slot_voided<'a>(
                    &'a self,
                    key: &'a BudgetKey,
                    slot: f64,
                ) -> BudgetFuture<'a, bool> {
                    let op = SlotOp::Check(slot);
                    Box::pin(async move { Ok(self.answer(key, op).await?.voided) })
                }

                fn throttled_slot<'a>(
                    &'a self,
                    key: &'a BudgetKey,
                    limit: RateLimit,
                    pause: Duration,
                    slot: Option<f64>,
                ) -> BudgetFuture<'a, ()> {
                    let op = SlotOp::Throttle(limit, pause, slot);
                    Box::pin(async move { self.answer(key, op).await.map(drop) })
                }
            }
        };
    };
}
use slot_budget;

/// Where a client's rate budget is kept.
///
/// Parsed from `SAIL_RATE_BUDGET` and `--rate-budget`: `in-process`,
/// `file:DIRECTORY` or `redis://HOST:PORT/DB` (feature `redis`).
///
/// ```
/// use sailpoint_access::RateBudgetSpec;
///
/// let spec: RateBudgetSpec = "file:/var/run/sail-budget".parse().unwrap();
/// assert!(matches!(spec, RateBudgetSpec::File(_)));
/// assert!("ftp://x".parse::<RateBudgetSpec>().unwrap_err().contains("file:"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum RateBudgetSpec {
    /// The client's own pacer (the default): nothing shared.
    InProcess,
    /// One state file per key in this directory (created when missing),
    /// read and written under an exclusive lock: processes on one host.
    File(PathBuf),
    /// A Redis server, `redis://[:PASSWORD@]HOST:PORT/DB`: a fleet.
    Redis(String),
    /// A budget of your own.
    Custom(Arc<dyn RateBudget>),
}

impl fmt::Debug for RateBudgetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InProcess => f.write_str("InProcess"),
            Self::File(dir) => f.debug_tuple("File").field(dir).finish(),
            Self::Redis(url) => f.debug_tuple("Redis").field(&redacted_url(url)).finish(),
            Self::Custom(budget) => f.debug_tuple("Custom").field(budget).finish(),
        }
    }
}

impl std::str::FromStr for RateBudgetSpec {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("in-process") {
            return Ok(Self::InProcess);
        }
        if let Some(dir) = text.strip_prefix("file:") {
            if dir.trim().is_empty() {
                return Err(
                    "invalid rate budget \"file:\": a directory is required after file:".into(),
                );
            }
            return Ok(Self::File(PathBuf::from(dir.trim())));
        }
        if text.starts_with("redis://") {
            return Ok(Self::Redis(text.to_owned()));
        }
        Err(format!(
            "invalid rate budget {:?}: expected in-process, file:DIRECTORY or redis://HOST:PORT/DB",
            redacted_url(text)
        ))
    }
}

impl RateBudgetSpec {
    /// The backend, or `None` for the in-process pacer. Nothing is
    /// connected yet: Redis is reached by the first call.
    pub(crate) fn open(&self) -> Result<Option<Arc<dyn RateBudget>>> {
        match self {
            Self::InProcess => Ok(None),
            Self::File(dir) => Ok(Some(Arc::new(FileBudget::new(dir.clone())))),
            Self::Custom(budget) => Ok(Some(budget.clone())),
            Self::Redis(url) => open_redis(url),
        }
    }
}

#[cfg(feature = "redis")]
fn open_redis(url: &str) -> Result<Option<Arc<dyn RateBudget>>> {
    Ok(Some(Arc::new(RedisBudget::new(url)?)))
}

#[cfg(not(feature = "redis"))]
fn open_redis(url: &str) -> Result<Option<Arc<dyn RateBudget>>> {
    Err(Error::config(format!(
        "rate budget {}: this build has no Redis support (the `redis` feature of sailpoint-access)",
        redacted_url(url)
    )))
}

/// A URL without its user name and password, to be shown.
pub(crate) fn redacted_url(text: &str) -> String {
    match reqwest::Url::parse(text) {
        Ok(mut url) if url.has_host() => {
            let _ = url.set_password(None);
            let _ = url.set_username("");
            url.to_string()
        }
        // Not a URL with a host: only its scheme is shown, in case the rest
        // holds a secret.
        _ => match text.split_once(':') {
            Some((scheme, _)) => format!("{}:...", scheme.chars().take(20).collect::<String>()),
            None => "(not a URL)".to_owned(),
        },
    }
}

/// The shared state of one key, as the file budget stores it (the Redis
/// script keeps the same fields in a hash). Times are wall-clock
/// milliseconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SharedPace {
    /// The theoretical arrival time: the next slot's earliest instant.
    pub tat_ms: f64,
    /// The share of the limit in use, in `MIN_RATE..=ceiling`.
    pub rate: f64,
    /// The highest share allowed since the last 429.
    pub ceiling: f64,
    /// When the ceiling was last lowered or probed.
    pub ceiling_since_ms: f64,
    /// No slot before this (a 429's pause).
    pub paused_until_ms: f64,
    /// The slots taken over the last two windows, oldest first, minus those
    /// answered 429 (absent from a state written before it was kept).
    #[serde(default)]
    pub grants_ms: Vec<f64>,
}

impl SharedPace {
    pub(crate) fn fresh(now_ms: f64) -> Self {
        Self {
            tat_ms: now_ms,
            rate: 1.0,
            ceiling: 1.0,
            ceiling_since_ms: now_ms,
            paused_until_ms: 0.0,
            grants_ms: Vec::new(),
        }
    }

    /// Takes the next slot; answers the wait in milliseconds.
    #[cfg(test)]
    pub(crate) fn take(&mut self, now_ms: f64, limit: RateLimit) -> f64 {
        self.take_slot(now_ms, limit) - now_ms
    }

    /// Takes the next slot; answers its instant in milliseconds.
    pub(crate) fn take_slot(&mut self, now_ms: f64, limit: RateLimit) -> f64 {
        let window_ms = limit.window().as_secs_f64() * 1000.0;
        let probe_ms = window_ms * f64::from(PROBE_AFTER_WINDOWS);
        if self.ceiling < 1.0 && now_ms - self.ceiling_since_ms >= probe_ms {
            self.ceiling = (self.ceiling + PROBE_STEP).min(1.0);
            self.ceiling_since_ms = now_ms;
        }
        let paused = self.paused_until_ms.max(now_ms);
        let interval_ms = limit.interval().as_secs_f64() * 1000.0 / self.rate;
        // A schedule further past the pause than a window or an interval (a
        // clock set back, a file left by a crashed run) is pulled back
        // rather than waited for.
        let at = self
            .tat_ms
            .max(paused)
            .min(paused + window_ms.max(interval_ms));
        self.tat_ms = at + interval_ms;
        self.rate = (self.rate + RECOVERY_STEP).min(self.ceiling);
        self.grants_ms.push(at);
        let keep_ms = window_ms * f64::from(GRANT_LOG_WINDOWS);
        let most = limit.requests().saturating_mul(GRANT_LOG_WINDOWS) as usize;
        let stale = self
            .grants_ms
            .iter()
            .take_while(|t| at - **t > keep_ms)
            .count()
            .max(self.grants_ms.len().saturating_sub(most));
        self.grants_ms.drain(..stale);
        at
    }

    /// Whether a pause that began after slot `slot_ms` was taken covers it.
    pub(crate) fn voids(&self, slot_ms: f64) -> bool {
        self.paused_until_ms > slot_ms
    }

    /// A 429 (answered to the request of slot `slot_ms`, when known) asked
    /// every sharer to wait `pause_ms` and slow down.
    pub(crate) fn throttle(
        &mut self,
        now_ms: f64,
        pause_ms: f64,
        limit: RateLimit,
        slot_ms: Option<f64>,
    ) {
        let resume = now_ms + pause_ms;
        if now_ms < self.paused_until_ms {
            // Sent before the first 429 of this pause was known: one slow-down.
            self.paused_until_ms = self.paused_until_ms.max(resume);
            return;
        }
        self.paused_until_ms = resume;
        let window_ms = limit.window().as_secs_f64() * 1000.0;
        let evidence = slot_ms.map(|g| {
            // Slots from `g` on were in flight with it: answered 429 too.
            self.grants_ms.retain(|t| *t < g);
            self.grants_ms
                .iter()
                .filter(|t| g - **t < window_ms)
                .count()
        });
        (self.ceiling, self.rate) = after_throttle(self.rate, evidence, limit.requests());
        self.ceiling_since_ms = now_ms;
    }
}

/// The host (and port) of a base URL, the tenant part of a key.
pub(crate) fn host_of(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => base_url.to_owned(),
        },
        Err(_) => base_url.to_owned(),
    }
}

/// Wall-clock milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// A wait in milliseconds as a duration (negative or not a number: none).
pub(crate) fn wait_of(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms.max(0.0) / 1000.0).unwrap_or(Duration::ZERO)
}

/// A backend error that names the backend.
pub(crate) fn backend_error(backend: &str, what: impl fmt::Display) -> Error {
    Error::config(format!("rate budget {backend}: {what}")).with_before_send(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit() -> RateLimit {
        RateLimit::new(10, Duration::from_secs(1))
    }

    #[test]
    fn slots_are_spaced_and_a_429_pauses_halves_and_counts_once_per_pause() {
        let mut s = SharedPace::fresh(0.0);
        let waits: Vec<f64> = (0..3).map(|_| s.take(0.0, limit())).collect();
        assert_eq!(waits[0], 0.0);
        assert!((waits[1] - 101.0).abs() < 1e-6, "{waits:?}");
        assert!((waits[2] - 202.0).abs() < 1e-6, "{waits:?}");
        s.throttle(300.0, 1000.0, limit(), None);
        assert_eq!(s.rate, 0.5);
        // A second 429 inside the pause does not halve again, but its own
        // Retry-After, ending later, extends the pause (to 1,400).
        s.throttle(400.0, 1000.0, limit(), None);
        assert_eq!(s.rate, 0.5);
        let wait = s.take(400.0, limit());
        assert!((wait - 1000.0).abs() < 1e-6, "waits for the pause: {wait}");
        // A slot taken before the pause is void; one after it is not.
        assert!(s.voids(250.0) && !s.voids(1400.0));
        // Taking slots recovers up to the ceiling, 0.9 of the throttled rate.
        for _ in 0..100 {
            s.take(1_000.0, limit());
        }
        assert!((s.rate - 0.9).abs() < 1e-9, "{}", s.rate);
    }

    #[test]
    fn sharers_learn_the_ceiling_from_the_slots_before_the_throttled_one() {
        // Two sharers take slots alternately; the tenant allows 5 per second.
        let mut s = SharedPace::fresh(0.0);
        let slots: Vec<f64> = (0..10).map(|_| s.take_slot(0.0, limit())).collect();
        s.throttle(700.0, 1000.0, limit(), Some(slots[5]));
        assert!((s.rate - 0.475).abs() < 1e-9, "{}", s.rate);
        assert_eq!(s.ceiling, s.rate);
        // The later 429s of the slots in flight change nothing, and the
        // slots from the throttled one on left the log.
        for slot in &slots[6..] {
            s.throttle(750.0, 1000.0, limit(), Some(*slot));
        }
        assert!((s.rate - 0.475).abs() < 1e-9, "{}", s.rate);
        assert_eq!(s.grants_ms, slots[..5]);
        // The next slot waits for the pause (extended by the last 429 to
        // 1,750), then they are spaced at the ceiling.
        let first = s.take_slot(800.0, limit());
        let second = s.take_slot(800.0, limit());
        assert!((first - 1750.0).abs() < 1e-6, "{first}");
        assert!((second - first - 101.0 / 0.475).abs() < 1e-6, "{second}");
        // The log is bounded: two windows, at most twice the count.
        for _ in 0..1000 {
            s.take_slot(5000.0, limit());
        }
        assert!(s.grants_ms.len() <= 20, "{}", s.grants_ms.len());
    }

    #[test]
    fn a_state_written_without_a_grant_log_still_reads() {
        let old = r#"{"tat_ms":1.0,"rate":0.5,"ceiling":0.9,"ceiling_since_ms":0.0,"paused_until_ms":0.0}"#;
        let s: SharedPace = serde_json::from_str(old).unwrap();
        assert!(s.grants_ms.is_empty() && s.rate == 0.5);
    }

    #[test]
    fn a_schedule_far_ahead_is_pulled_back_to_one_window() {
        let mut s = SharedPace::fresh(0.0);
        s.tat_ms = 1e15;
        let wait = s.take(0.0, limit());
        assert!(wait <= 1000.0, "{wait}");
    }

    #[test]
    fn keys_encode_to_safe_distinct_names() {
        let key = |client: &str| BudgetKey {
            host: "acme.api.identitynow.com".into(),
            client_id: client.into(),
            family: Family::V3,
        };
        let a = key("a/b").encoded();
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-%".contains(&b)),
            "{a}"
        );
        assert_ne!(a, key("a_b").encoded());
        assert_ne!(key("x").encoded(), key("y").encoded());
    }

    #[test]
    fn specs_parse_and_never_show_a_password() {
        assert!(matches!(
            "in-process".parse::<RateBudgetSpec>(),
            Ok(RateBudgetSpec::InProcess)
        ));
        let spec: RateBudgetSpec = "redis://:hunter2@10.0.0.1:6379/0".parse().unwrap();
        let shown = format!("{spec:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("10.0.0.1"),
            "{shown}"
        );
        let err = "rediss:x:hunter2@h".parse::<RateBudgetSpec>().unwrap_err();
        assert!(
            !err.contains("hunter2") && err.contains("redis://"),
            "{err}"
        );
        assert!("file:".parse::<RateBudgetSpec>().is_err());
    }
}
