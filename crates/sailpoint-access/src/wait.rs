//! Waiting for submitted requests to finish.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sailpoint_access_api::types::{AccessRequestResponse, RequestedItemState, RequestedItemStatus};

use crate::error::{Error, Result, ValidationError};
use crate::filter::Filter;
use crate::requests::AccessRequests;
use crate::Client;

/// Whether an item in `state` will not change any more.
///
/// `EXECUTING`, `PROVISIONING_VERIFICATION_PENDING` and states this crate
/// does not know are not terminal, so that waiting on an unknown state ends
/// at the deadline rather than too early.
pub fn is_terminal(state: &RequestedItemState) -> bool {
    matches!(
        state,
        RequestedItemState::RequestCompleted
            | RequestedItemState::Cancelled
            | RequestedItemState::Terminated
            | RequestedItemState::Rejected
            | RequestedItemState::ProvisioningFailed
            | RequestedItemState::NotAllItemsProvisioned
            | RequestedItemState::Error
    )
}

impl<'c> AccessRequests<'c> {
    /// Polls the statuses of the given access requests until every item is in
    /// a terminal state; see [`WaitUntilDone`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use std::time::Duration;
    /// let sent = client.access_requests().grant().for_identity("2c91...a").role("2c91...r").send().await?;
    /// let done = client
    ///     .access_requests()
    ///     .wait_until_done_for(&sent)
    ///     .deadline(Duration::from_secs(600))
    ///     .wait()
    ///     .await?;
    /// for status in done {
    ///     println!("{:?}: {:?}", status.name, status.state);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn wait_until_done<I, S>(self, access_request_ids: I) -> WaitUntilDone
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        WaitUntilDone {
            client: self.client().clone(),
            ids: access_request_ids.into_iter().map(Into::into).collect(),
            deadline: Duration::from_secs(300),
            first_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
        }
    }

    /// [`wait_until_done`](Self::wait_until_done) for every request a submission created.
    pub fn wait_until_done_for(self, response: &AccessRequestResponse) -> WaitUntilDone {
        let ids: Vec<String> = response
            .new_requests
            .iter()
            .flat_map(|t| t.access_request_ids.iter().cloned())
            .collect();
        self.wait_until_done(ids)
    }
}

/// Polls statuses until done; from [`AccessRequests::wait_until_done`].
///
/// Uses the `accessRequestId` filter, which tenants serve since 2026. The
/// poll interval doubles from `first` up to `max`. An id with no status yet
/// (the list is eventually consistent) counts as not done.
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `wait` is awaited"]
pub struct WaitUntilDone {
    client: Client,
    ids: Vec<String>,
    deadline: Duration,
    first_interval: Duration,
    max_interval: Duration,
}

impl WaitUntilDone {
    /// Gives up with [`Error::Timeout`] after this long (default 5 minutes).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
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
            return Err(ValidationError::new(
                "wait.ids",
                format!("{:?}", self.ids),
                "give at least one non-blank access request id",
            )
            .into());
        }
        let started = Instant::now();
        let mut interval = self.first_interval;
        let filter = Filter::access_request_id().in_(&self.ids);
        loop {
            let statuses = self
                .client
                .statuses()
                .filter(filter.clone())
                .collect(usize::MAX)
                .await?;
            let seen: HashSet<&str> = statuses
                .iter()
                .filter_map(|s| s.access_request_id.as_deref())
                .collect();
            let all_seen = self.ids.iter().all(|id| seen.contains(id.as_str()));
            let all_done = statuses
                .iter()
                .all(|s| s.state.as_ref().is_some_and(is_terminal));
            if all_seen && all_done {
                return Ok(statuses);
            }
            let elapsed = started.elapsed();
            if elapsed + interval > self.deadline {
                return Err(Error::Timeout {
                    what: "wait",
                    after: self.deadline,
                    attempts: 0,
                });
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(self.max_interval);
        }
    }
}
