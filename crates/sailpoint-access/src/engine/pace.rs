//! Client-side pacing: requests are spaced to stay under the tenant's rate
//! limit, shared by every clone of a client, one pacer per API family (the
//! vendor counts per client id and per API version).
//!
//! Each request takes the next free slot, one `window / requests` after the
//! previous one, with no burst: against a service counting fixed windows, a
//! burst would spill into a 429. A 429 pauses every caller until its
//! `Retry-After` and widens the spacing by a tenth.

use std::sync::Mutex;
use std::time::Duration;

use sailpoint_access_api::{limits, Family};
use tokio::time::Instant;

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

    /// The spacing between two requests: a hair wider than the exact share,
    /// so that timer jitter never puts one request too many in a window.
    fn interval(&self) -> Duration {
        (self.window / self.requests).mul_f64(1.01)
    }
}

#[derive(Debug)]
struct Slot {
    next: Option<Instant>,
    interval: Duration,
}

/// The pacer of one family.
#[derive(Debug)]
struct Lane {
    slot: Mutex<Slot>,
}

/// The pacers of a client: one per family, or none when pacing is off.
#[derive(Debug)]
pub(crate) struct Pacer {
    lanes: Option<[Lane; 2]>,
}

fn lane_index(family: Family) -> usize {
    match family {
        Family::Versioned => 1,
        _ => 0,
    }
}

impl Pacer {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        let lane = |limit: RateLimit| Lane {
            slot: Mutex::new(Slot {
                next: None,
                interval: limit.interval(),
            }),
        };
        Self {
            lanes: limit.map(|l| [lane(l), lane(l)]),
        }
    }

    /// Waits for this family's next slot.
    pub(crate) async fn acquire(&self, family: Family) {
        let Some(lanes) = &self.lanes else { return };
        let at = {
            let mut slot = lanes[lane_index(family)]
                .slot
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let at = slot.next.map_or(now, |next| next.max(now));
            slot.next = Some(at + slot.interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }

    /// A 429 asked to wait `retry_after`: nobody of this family goes before
    /// then, and the spacing widens by a tenth.
    pub(crate) fn back_off(&self, family: Family, retry_after: Duration) {
        let Some(lanes) = &self.lanes else { return };
        let mut slot = lanes[lane_index(family)]
            .slot
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let resume = Instant::now() + retry_after;
        slot.next = Some(slot.next.map_or(resume, |n| n.max(resume)));
        slot.interval = slot.interval.mul_f64(1.1);
        tracing::debug!(
            retry_after_ms = retry_after.as_millis() as u64,
            interval_ms = slot.interval.as_millis() as u64,
            "rate limited: pausing this family and slowing down"
        );
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
            pacer.acquire(Family::V3).await;
        }
        let spent = start.elapsed();
        assert!(
            spent >= Duration::from_millis(400) && spent < Duration::from_millis(420),
            "{spent:?}"
        );
        // The other family has its own lane.
        let other = Instant::now();
        pacer.acquire(Family::Versioned).await;
        assert!(other.elapsed() < Duration::from_millis(1));
        pacer.back_off(Family::V3, Duration::from_secs(2));
        let paused = Instant::now();
        pacer.acquire(Family::V3).await;
        assert!(paused.elapsed() >= Duration::from_secs(2));
        let off = Pacer::new(None);
        let t = Instant::now();
        for _ in 0..100 {
            off.acquire(Family::V3).await;
        }
        assert_eq!(t.elapsed(), Duration::ZERO);
    }
}
