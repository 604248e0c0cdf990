//! Cancelling or closing any number of requests, chosen by id or by a status
//! query, and learning what really changed (a helper over bulk cancel,
//! close and the status list). A dry run lists what would be touched and
//! sends nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sailpoint_access_api::types::{
    CloseCompletionStatus, CloseExecutionStatus, RequestedItemState, RequestedItemStatus,
};
use serde::Serialize;

use crate::engine::Engine;
use crate::error::Result;
use crate::ops::access_requests::{AccessRequests, MAX_BULK_CANCEL_IDS, MAX_CLOSE_IDS};
use crate::ops::statuses::{is_terminal, StatusQuery};

/// The most statuses read per query: a bound whatever the server sends.
const MAX_STATUSES_PER_QUERY: usize = 100_000;

/// What became of one access request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CancelOutcome {
    /// Every item of the request is `CANCELLED` (for a cancel) or terminal
    /// (for a close).
    Cancelled,
    /// Some item is in another state (already completed, rejected, ...).
    NotCancelled {
        /// The states of its items.
        states: Vec<String>,
    },
    /// No status of the request was found: an unknown id, or not visible yet.
    NotFound,
    /// A dry run: it would have been sent.
    Selected,
}

/// The report of a cancel or close: per id, what the statuses showed
/// afterwards, and how many calls were made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CancelReport {
    /// Per access request id.
    pub outcomes: BTreeMap<String, CancelOutcome>,
    /// Cancel or close calls made (chunks within the family's limits).
    pub change_calls: usize,
    /// Status list calls made to select and to check.
    pub check_calls: usize,
    /// True for a dry run: nothing was sent.
    pub dry_run: bool,
}

impl CancelReport {
    /// The ids whose requests were cancelled (or closed).
    pub fn cancelled(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|(_, o)| **o == CancelOutcome::Cancelled)
            .map(|(id, _)| id.as_str())
    }
}

#[derive(Clone, Debug)]
enum Selection {
    Ids(Vec<String>),
    Query(Box<StatusQuery>),
}

#[derive(Clone, Debug)]
enum Change {
    Cancel(String),
    Close {
        execution: Option<CloseExecutionStatus>,
        completion: Option<CloseCompletionStatus>,
        message: Option<String>,
    },
}

/// Cancels or closes requests; from `Client::cancel_requests`,
/// `Client::cancel_matching`, `Client::close_requests` or `Client::close_matching`.
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `send` is awaited"]
pub struct CancelRequests {
    engine: Engine,
    selection: Selection,
    change: Change,
    settle: Duration,
    dry_run: bool,
}

impl CancelRequests {
    pub(crate) fn cancel(engine: Engine, ids: Vec<String>, comment: String) -> Self {
        Self::new(engine, Selection::Ids(ids), Change::Cancel(comment))
    }

    pub(crate) fn cancel_matching(engine: Engine, query: StatusQuery, comment: String) -> Self {
        Self::new(
            engine,
            Selection::Query(Box::new(query)),
            Change::Cancel(comment),
        )
    }

    pub(crate) fn close(engine: Engine, ids: Vec<String>) -> Self {
        Self::new(engine, Selection::Ids(ids), Change::close())
    }

    pub(crate) fn close_matching(engine: Engine, query: StatusQuery) -> Self {
        Self::new(engine, Selection::Query(Box::new(query)), Change::close())
    }

    fn new(engine: Engine, selection: Selection, change: Change) -> Self {
        Self {
            engine,
            selection,
            change,
            settle: Duration::ZERO,
            dry_run: false,
        }
    }

    /// How long to wait before re-reading the statuses, for a service that
    /// applies changes asynchronously (default none).
    pub fn settle(mut self, wait: Duration) -> Self {
        self.settle = wait;
        self
    }

    /// List what would be touched and send nothing.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// For a close: how the requests ended.
    pub fn execution_status(mut self, status: CloseExecutionStatus) -> Self {
        if let Change::Close { execution, .. } = &mut self.change {
            *execution = Some(status);
        }
        self
    }

    /// For a close: whether they succeeded.
    pub fn completion_status(mut self, status: CloseCompletionStatus) -> Self {
        if let Change::Close { completion, .. } = &mut self.change {
            *completion = Some(status);
        }
        self
    }

    /// For a close: why.
    pub fn message(mut self, text: impl Into<String>) -> Self {
        if let Change::Close { message, .. } = &mut self.change {
            *message = Some(text.into());
        }
        self
    }

    /// Selects the requests (a query selects the requests of its non-terminal
    /// statuses), sends the changes in chunks within the family's limits (50
    /// per bulk cancel, 500 per close; each validated first), then re-reads
    /// the statuses of every id to report what really changed: the service
    /// answers 202 even for unknown ids.
    pub async fn send(self) -> Result<CancelReport> {
        let mut report = CancelReport {
            dry_run: self.dry_run,
            ..Default::default()
        };
        let ids: Vec<String> = match self.selection {
            Selection::Ids(ids) => ids
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            Selection::Query(query) => {
                let mut pages = query.pages();
                let mut ids = BTreeSet::new();
                while let Some(page) = pages.try_next().await? {
                    report.check_calls += 1;
                    ids.extend(
                        page.items
                            .into_iter()
                            .filter(|s| !s.state.as_ref().is_some_and(is_terminal))
                            .filter_map(|s| s.access_request_id),
                    );
                }
                ids.into_iter().collect()
            }
        };
        if self.dry_run {
            report.outcomes = ids
                .into_iter()
                .map(|id| (id, CancelOutcome::Selected))
                .collect();
            return Ok(report);
        }
        let handle = AccessRequests::new(self.engine.clone());
        let closing = matches!(self.change, Change::Close { .. });
        match &self.change {
            Change::Cancel(comment) => {
                for chunk in ids.chunks(MAX_BULK_CANCEL_IDS) {
                    handle
                        .bulk_cancel(chunk.iter().cloned(), comment.clone())
                        .send()
                        .await?;
                    report.change_calls += 1;
                }
            }
            Change::Close {
                execution,
                completion,
                message,
            } => {
                for chunk in ids.chunks(MAX_CLOSE_IDS) {
                    let mut close = handle.close(chunk.iter().cloned());
                    if let Some(e) = execution {
                        close = close.execution_status(e.clone());
                    }
                    if let Some(c) = completion {
                        close = close.completion_status(c.clone());
                    }
                    if let Some(m) = message {
                        close = close.message(m.clone());
                    }
                    close.send().await?;
                    report.change_calls += 1;
                }
            }
        }
        if !self.settle.is_zero() {
            tokio::time::sleep(self.settle).await;
        }
        let (found, calls) = StatusQuery::new(self.engine.clone())
            .of_requests(&ids, MAX_STATUSES_PER_QUERY)
            .await?;
        report.check_calls += calls;
        let mut statuses: BTreeMap<String, Vec<RequestedItemStatus>> = BTreeMap::new();
        for status in found {
            if let Some(id) = status.access_request_id.clone() {
                statuses.entry(id).or_default().push(status);
            }
        }
        for id in ids {
            let done = |s: &RequestedItemStatus| match closing {
                true => s.state.as_ref().is_some_and(is_terminal),
                false => s.state == Some(RequestedItemState::Cancelled),
            };
            let outcome = match statuses.get(&id) {
                None => CancelOutcome::NotFound,
                Some(items) if items.iter().all(done) => CancelOutcome::Cancelled,
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

impl Change {
    fn close() -> Self {
        Change::Close {
            execution: None,
            completion: None,
            message: None,
        }
    }
}
