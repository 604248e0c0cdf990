//! Waiting for submitted requests to finish (a helper over the status list).

use std::collections::HashSet;
use std::time::Duration;

use sailpoint_access_api::types::{AccessRequestResponse, RequestedItemStatus};
use sailpoint_access_api::Rule;

use super::poll::Poller;
use crate::engine::setters::setters;
use crate::engine::Engine;
use crate::error::{Error, Result, ValidationError};
use crate::ops::statuses::StatusQuery;

/// The most statuses one poll reads: a bound on memory whatever the server sends.
const MAX_STATUSES_PER_POLL: usize = 100_000;

/// Polls statuses until every item of the given access requests is terminal;
/// from `Client::wait_until_done` or `Client::wait_until_done_for`.
///
/// Uses the `accessRequestId` filter, which tenants serve since 2026: on v3
/// one query per poll for up to 50 ids, on the versioned family (which has
/// no `in` for that field) one query per id. The poll interval doubles from `first` up
/// to `max`. An id with no status yet (the list is eventually consistent)
/// counts as not done. The deadline is kept to within one attempt: a poll
/// still running when it passes is abandoned.
///
/// On timeout the error has [`TimeoutPhase::Wait`](crate::TimeoutPhase::Wait), the number of polls as
/// its attempts, and the statuses still pending in [`Error::pending`].
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `wait` is awaited"]
pub struct WaitUntilDone {
    engine: Engine,
    ids: Vec<String>,
    deadline: Duration,
    first_interval: Duration,
    max_interval: Duration,
}

impl WaitUntilDone {
    pub(crate) fn new(engine: Engine, ids: Vec<String>) -> Self {
        Self {
            engine,
            ids,
            deadline: Duration::from_secs(300),
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
        }
    }

    /// Waits for every request a submission created or found already existing.
    pub(crate) fn for_response(engine: Engine, response: &AccessRequestResponse) -> Self {
        let ids = response
            .new_requests
            .iter()
            .chain(&response.existing_requests)
            .flat_map(|t| t.access_request_ids.iter().cloned())
            .collect();
        Self::new(engine, ids)
    }

    setters! {
        /// Gives up after this long (default 5 minutes).
        deadline(Duration) => deadline;
    }

    /// The first poll interval and its cap (default 2 s doubling to 30 s).
    pub fn poll_interval(mut self, first: Duration, max: Duration) -> Self {
        self.first_interval = first;
        self.max_interval = max.max(first);
        self
    }

    /// Waits; returns the final statuses of all items of the requests.
    pub async fn wait(self) -> Result<Vec<RequestedItemStatus>> {
        if self.ids.is_empty() || self.ids.iter().any(|id| id.trim().is_empty()) {
            return Err(ValidationError::new(Rule::WaitIds, format!("{:?}", self.ids)).into());
        }
        let mut poller =
            Poller::new(self.deadline, self.first_interval, self.max_interval).abandon_late_poll();
        let query = StatusQuery::new(self.engine.clone());
        let mut pending: Vec<RequestedItemStatus> = Vec::new();
        loop {
            let polled = poller
                .poll(query.of_requests(&self.ids, MAX_STATUSES_PER_POLL))
                .await;
            let Some(result) = polled else {
                return Err(self.timed_out(poller.polls(), pending));
            };
            let statuses = result?.0;
            let seen: HashSet<&str> = statuses
                .iter()
                .filter_map(|s| s.access_request_id.as_deref())
                .collect();
            let all_seen = self.ids.iter().all(|id| seen.contains(id.as_str()));
            if all_seen && statuses.iter().all(RequestedItemStatus::is_terminal) {
                return Ok(statuses);
            }
            // Keep only what is still pending: what the timeout reports.
            pending = statuses.into_iter().filter(|s| !s.is_terminal()).collect();
            if !poller.next().await {
                return Err(self.timed_out(poller.polls(), pending));
            }
        }
    }

    fn timed_out(&self, polls: u32, pending: Vec<RequestedItemStatus>) -> Error {
        Error::wait_timeout(self.deadline, pending).with_attempts(polls)
    }
}
