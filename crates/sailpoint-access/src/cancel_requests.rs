//! Cancelling any number of requests and learning which really were (a
//! helper over bulk cancel and the status list).

use std::collections::BTreeMap;
use std::time::Duration;

use sailpoint_access_api::types::{RequestedItemState, RequestedItemStatus};
use serde::Serialize;

use crate::access_requests::{AccessRequests, MAX_BULK_CANCEL_IDS};
use crate::engine::Engine;
use crate::error::Result;
use crate::statuses::StatusQuery;

/// The most statuses read per check query: a bound whatever the server sends.
const MAX_STATUSES_PER_QUERY: usize = 100_000;

/// What became of one access request after `Client::cancel_requests`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CancelOutcome {
    /// Every item of the request is `CANCELLED`.
    Cancelled,
    /// Some item is in another state (already completed, rejected, ...).
    NotCancelled {
        /// The states of its items.
        states: Vec<String>,
    },
    /// No status of the request was found: an unknown id, or not visible yet.
    NotFound,
}

/// The report of `Client::cancel_requests`: per id, what the statuses showed
/// after the bulk cancel calls, and how many calls were made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CancelReport {
    /// Per access request id.
    pub outcomes: BTreeMap<String, CancelOutcome>,
    /// Bulk cancel calls made (chunks of at most 50 ids).
    pub cancel_calls: usize,
    /// Status list calls made to check.
    pub check_calls: usize,
}

impl CancelReport {
    /// The ids whose requests are cancelled.
    pub fn cancelled(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|(_, o)| **o == CancelOutcome::Cancelled)
            .map(|(id, _)| id.as_str())
    }
}

/// Cancels `ids` with a comment; from `Client::cancel_requests`.
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `send` is awaited"]
pub struct CancelRequests {
    engine: Engine,
    ids: Vec<String>,
    comment: String,
    settle: Duration,
}

impl CancelRequests {
    pub(crate) fn new(engine: Engine, ids: Vec<String>, comment: String) -> Self {
        Self {
            engine,
            ids,
            comment,
            settle: Duration::ZERO,
        }
    }

    /// How long to wait before re-reading the statuses, for a service that
    /// applies cancellations asynchronously (default none).
    pub fn settle(mut self, wait: Duration) -> Self {
        self.settle = wait;
        self
    }

    /// Sends the bulk cancels in chunks of at most 50 ids (each validated
    /// first), then re-reads the statuses of every id to report what really
    /// changed: the service answers 202 even for unknown ids.
    pub async fn send(self) -> Result<CancelReport> {
        let mut ids = self.ids;
        ids.sort();
        ids.dedup();
        let handle = AccessRequests::new(self.engine.clone());
        let mut report = CancelReport::default();
        for chunk in ids.chunks(MAX_BULK_CANCEL_IDS) {
            handle
                .bulk_cancel(chunk.iter().cloned(), self.comment.clone())
                .send()
                .await?;
            report.cancel_calls += 1;
        }
        if !self.settle.is_zero() {
            tokio::time::sleep(self.settle).await;
        }
        let mut statuses: BTreeMap<String, Vec<RequestedItemStatus>> = BTreeMap::new();
        let (found, calls) = StatusQuery::new(self.engine.clone())
            .of_requests(&ids, MAX_STATUSES_PER_QUERY)
            .await?;
        report.check_calls = calls;
        for status in found {
            if let Some(id) = status.access_request_id.clone() {
                statuses.entry(id).or_default().push(status);
            }
        }
        for id in ids {
            let outcome = match statuses.get(&id) {
                None => CancelOutcome::NotFound,
                Some(items)
                    if items
                        .iter()
                        .all(|s| s.state == Some(RequestedItemState::Cancelled)) =>
                {
                    CancelOutcome::Cancelled
                }
                Some(items) => CancelOutcome::NotCancelled {
                    states: items
                        .iter()
                        .map(|s| {
                            s.state
                                .as_ref()
                                .map_or("unknown", |st| st.as_str())
                                .to_owned()
                        })
                        .collect(),
                },
            };
            report.outcomes.insert(id, outcome);
        }
        Ok(report)
    }
}
