//! The one polling schedule of the jobs: a deadline, an interval that
//! doubles up to a cap, and the count of polls made. The waiter, the bulk
//! reconcile and the bulk wait each say what to poll and when it is done.

use std::future::Future;
use std::time::Duration;

// Tokio's clock, so that tests can pause it.
use tokio::time::Instant;

/// When to poll again and when to stop.
///
/// The deadline is kept to within one poll: no poll starts after it. With
/// [`abandon_late_poll`](Self::abandon_late_poll), a poll still running when
/// it passes is abandoned too.
#[derive(Debug)]
pub(crate) struct Poller {
    started: Instant,
    deadline: Duration,
    interval: Duration,
    max_interval: Duration,
    abandon_late: bool,
    polls: u32,
}

impl Poller {
    /// Starts the clock: polls `first` apart at first, doubling up to `max`
    /// (equal values give a fixed interval), until `deadline` has passed.
    pub(crate) fn new(deadline: Duration, first: Duration, max: Duration) -> Self {
        Self {
            started: Instant::now(),
            deadline,
            interval: first,
            max_interval: max.max(first),
            abandon_late: false,
            polls: 0,
        }
    }

    /// A poll still running at the deadline is abandoned: [`poll`](Self::poll)
    /// then gives `None`.
    pub(crate) fn abandon_late_poll(mut self) -> Self {
        self.abandon_late = true;
        self
    }

    /// Runs one poll; `None` when it was abandoned at the deadline.
    pub(crate) async fn poll<F: Future>(&mut self, poll: F) -> Option<F::Output> {
        self.polls += 1;
        if !self.abandon_late {
            return Some(poll.await);
        }
        let remaining = self.deadline.saturating_sub(self.started.elapsed());
        tokio::time::timeout(remaining, poll).await.ok()
    }

    /// Sleeps until the next poll is due and returns true, or returns false
    /// at once when that poll would start after the deadline.
    pub(crate) async fn next(&mut self) -> bool {
        if self.started.elapsed() + self.interval > self.deadline {
            return false;
        }
        tokio::time::sleep(self.interval).await;
        self.interval = (self.interval * 2).min(self.max_interval);
        true
    }

    /// The polls made so far.
    pub(crate) fn polls(&self) -> u32 {
        self.polls
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn no_poll_starts_after_the_deadline_and_the_interval_doubles() {
        let start = tokio::time::Instant::now();
        let mut poller = Poller::new(100 * MS, 10 * MS, 40 * MS);
        let mut at = Vec::new();
        loop {
            poller.poll(async {}).await;
            at.push(start.elapsed().as_millis());
            if !poller.next().await {
                break;
            }
        }
        // 0, +10, +20, +40, then +40 would pass 100: stop.
        assert_eq!(at, [0, 10, 30, 70]);
        assert_eq!(poller.polls(), 4);
        assert!(start.elapsed() <= 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_poll_is_abandoned_only_when_asked() {
        let slow = || tokio::time::sleep(Duration::from_secs(5));
        let mut patient = Poller::new(100 * MS, 10 * MS, 10 * MS);
        assert_eq!(patient.poll(slow()).await, Some(()));
        let start = tokio::time::Instant::now();
        let mut strict = Poller::new(100 * MS, 10 * MS, 10 * MS).abandon_late_poll();
        assert_eq!(strict.poll(slow()).await, None);
        assert_eq!(start.elapsed(), 100 * MS);
        assert_eq!(strict.polls(), 1);
        assert!(!strict.next().await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_deadline_allows_exactly_one_poll() {
        let mut poller = Poller::new(Duration::ZERO, 10 * MS, 10 * MS);
        assert_eq!(poller.poll(async { 7 }).await, Some(7));
        assert!(!poller.next().await);
    }
}
