//! When to try a call again, how long to wait first, and the retry budget
//! that stops retries when most attempts are failing.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::engine::setters::setters;

/// The retry policy of a client.
///
/// What is retried: 429 (after the server's `Retry-After`), and 502, 503,
/// 504, timeouts and connection failures (after a jittered exponential
/// backoff). Reads, the configuration `PUT` and cancel are retried on all of
/// these; submitting a request is retried only when it certainly did not
/// reach the server (a connect failure, or a 429, which the service answers
/// before processing), because the service accepts duplicates.
///
/// Every retry also draws on a **retry budget** shared by all clones of the
/// client, in the manner of the AWS SDKs' standard strategy: the budget holds
/// 500 tokens, a retry costs 5 (10 after a timeout), a call that succeeds at
/// once puts 1 back and one that succeeds after retries puts back what it
/// took. Waiting out a 429's `Retry-After` is free: the server chose the
/// pace. When the budget is empty, failures are returned without retrying,
/// so a struggling tenant is not hit with every call's maximum of attempts.
///
/// A `Retry-After` longer than [`with_max_retry_after`](Self::with_max_retry_after)
/// (30 s by default) is not slept: the call fails at once with
/// [`ErrorKind::RateLimited`](crate::ErrorKind) and the server's figure in
/// `retry_after()`, unless [`wait_out_long_retry_after`](Self::wait_out_long_retry_after)
/// allows waiting it out (still within `max_elapsed`).
///
/// ```
/// use std::time::Duration;
/// use sailpoint_access::RetryPolicy;
///
/// let policy = RetryPolicy::standard()
///     .with_max_attempts(5)
///     .with_max_elapsed(Duration::from_secs(30))
///     .with_backoff(Duration::from_millis(100), Duration::from_secs(2))
///     .with_retry_budget(100);
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(RetryPolicy::disabled().max_attempts(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_elapsed: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    wait_long_retry_after: bool,
    budget: Option<u32>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

/// What a retry costs the budget, and what a first-attempt success returns.
const RETRY_COST: u32 = 5;
const TIMEOUT_RETRY_COST: u32 = 10;
const SUCCESS_REFUND: u32 = 1;
const DEFAULT_BUDGET: u32 = 500;

impl RetryPolicy {
    /// Four attempts within 60 s, backoff from 250 ms doubling up to 8 s,
    /// `Retry-After` honoured up to 30 s, a retry budget of 500 tokens.
    pub fn standard() -> Self {
        Self {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            wait_long_retry_after: false,
            budget: Some(DEFAULT_BUDGET),
        }
    }

    /// One attempt, no retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Total attempts per call, the first included (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    setters! {
        /// No retry is started once this much time has passed since the call began,
        /// nor one whose wait would end later than that.
        with_max_elapsed(Duration) => max_elapsed;
    }

    /// The first backoff and the cap of the doubling.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    setters! {
        /// The longest `Retry-After` slept before retrying (default 30 s).
        with_max_retry_after(Duration) => max_retry_after;
        /// Waits out a `Retry-After` longer than the cap instead of failing fast
        /// (still bounded by `max_elapsed`).
        wait_out_long_retry_after(bool) => wait_long_retry_after;
        /// The size of the shared retry budget, in tokens (a retry costs 5, 10
        /// after a timeout). Default 500.
        with_retry_budget(u32) => budget = Some;
    }

    /// No retry budget: every call may use all its attempts.
    pub fn without_retry_budget(mut self) -> Self {
        self.budget = None;
        self
    }

    /// Total attempts per call.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The time budget for retries.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The longest `Retry-After` slept.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    pub(crate) fn waits_out_long_retry_after(&self) -> bool {
        self.wait_long_retry_after
    }

    /// The wait before retry number `retry` (1 for the first retry): exponential,
    /// capped, with "equal jitter" (between half and all of the step) so that
    /// clients failing together do not retry together.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1).min(16))
            .unwrap_or(u32::MAX);
        let step = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }

    pub(crate) fn new_budget(&self) -> RetryBudget {
        RetryBudget {
            tokens: Mutex::new(self.budget.unwrap_or(0)),
            capacity: self.budget,
        }
    }
}

/// The token bucket behind the retry budget; one per client, shared by clones.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    tokens: Mutex<u32>,
    capacity: Option<u32>,
}

impl RetryBudget {
    /// Takes the cost of one retry; `None` (and nothing taken) when the
    /// budget cannot pay for it. Without a budget, every retry is free.
    pub(crate) fn withdraw(&self, after_timeout: bool) -> Option<u32> {
        if self.capacity.is_none() {
            return Some(0);
        }
        let cost = if after_timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        (*tokens >= cost).then(|| {
            *tokens -= cost;
            cost
        })
    }

    /// A call succeeded after taking `spent` for its retries.
    pub(crate) fn deposit(&self, spent: u32) {
        let Some(capacity) = self.capacity else {
            return;
        };
        let refund = if spent == 0 { SUCCESS_REFUND } else { spent };
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        *tokens = tokens.saturating_add(refund).min(capacity);
    }
}

/// Reads `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?, SystemTime::now())
}

pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // Fractional seconds are not in the RFC but cost nothing to accept.
    if let Ok(secs) = value.parse::<f64>() {
        // `try_`: a hostile `1e30` must not panic the caller.
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21T07:27:50Z
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        // The obsolete RFC 850 form, which HTTP dates must also accept.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("1e30", now), None);
        assert_eq!(parse_retry_after("99999999999999999999", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
        assert_eq!(parse_retry_after("inf", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy::standard()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(400));
        for _ in 0..50 {
            let first = p.backoff(1);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let late = p.backoff(10);
            assert!(
                late >= Duration::from_millis(200) && late <= Duration::from_millis(400),
                "{late:?}"
            );
        }
    }

    #[test]
    fn the_budget_pays_for_retries_until_empty_and_refills_on_success() {
        let budget = RetryPolicy::standard().with_retry_budget(12).new_budget();
        assert_eq!(budget.withdraw(false), Some(5));
        assert_eq!(budget.withdraw(false), Some(5));
        assert_eq!(budget.withdraw(false), None, "2 tokens left");
        assert_eq!(budget.withdraw(true), None);
        budget.deposit(5);
        assert_eq!(budget.withdraw(false), Some(5));
        budget.deposit(0);
        budget.deposit(1000);
        assert_eq!(
            budget.withdraw(true),
            Some(10),
            "refilled up to capacity only"
        );
        assert_eq!(budget.withdraw(false), None);
        let free = RetryPolicy::standard().without_retry_budget().new_budget();
        assert!((0..1000).all(|_| free.withdraw(true).is_some()));
    }
}
