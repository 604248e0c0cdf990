//! Cancelling or closing any number of requests, chosen by id or by a status
//! query, and learning what really changed (a job over bulk cancel, close
//! and the status list). A dry run lists what would be touched and sends
//! nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sailpoint_access_api::types::{
    CloseCompletionStatus, CloseExecutionStatus, RequestedItemState, RequestedItemStatus,
};
use serde::ser::SerializeStruct;
use serde::Serialize;

use crate::engine::setters::{pass_set, setters};
use crate::engine::Engine;
use crate::error::{ErrorKind, Result};
use crate::ops::access_requests::{AccessRequests, MAX_BULK_CANCEL_IDS, MAX_CLOSE_IDS};
use crate::ops::statuses::StatusQuery;

/// The most statuses read per query: a bound whatever the server sends.
const MAX_STATUSES_PER_QUERY: usize = 100_000;

/// Which job a [`ChangeReport`] is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// `Client::cancel_many`: a changed request has every item `CANCELLED`.
    Cancel,
    /// `Client::close_many`: a changed request has every item terminal.
    Close,
}

impl ChangeKind {
    /// The verb: `cancel` or `close`.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Cancel => "cancel",
            Self::Close => "close",
        }
    }

    /// What a changed request became: `cancelled` or `closed`.
    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Cancel => "cancelled",
            Self::Close => "closed",
        }
    }

    /// Whether the statuses of a request show this change done.
    fn is_done(self, status: &RequestedItemStatus) -> bool {
        match self {
            Self::Cancel => status.state == Some(RequestedItemState::Cancelled),
            Self::Close => status.is_terminal(),
        }
    }
}

/// What became of one access request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeOutcome {
    /// The change took: cancelled or closed, as the report's
    /// [`ChangeKind`] says.
    Changed,
    /// The change did not take: some item is in another state (a request
    /// already completed or rejected cannot be cancelled).
    Unchanged {
        /// The states its items show (items sent without a state are left out).
        states: Vec<RequestedItemState>,
    },
    /// No status of the request was found: an unknown id, or not visible yet.
    NotFound,
    /// A dry run: it would have been sent.
    Selected,
    /// Left alone: the request also carries open items that the status
    /// query did not select (another identity's, for instance), and the
    /// job was not told to widen its scope.
    OutsideSelection {
        /// How many of its open items fall outside the selection.
        items_outside: usize,
    },
    /// Its chunk's call failed and the statuses do not show the change:
    /// the error, scrubbed like every error text.
    Failed {
        /// What the failed call answered.
        error: String,
    },
}

impl ChangeOutcome {
    /// The outcome's name in reports: the kind's past tense for
    /// [`Changed`](Self::Changed), else `unchanged`, `not_found` or `selected`.
    pub fn name(&self, kind: ChangeKind) -> &'static str {
        match self {
            Self::Changed => kind.past_tense(),
            Self::Unchanged { .. } => "unchanged",
            Self::NotFound => "not_found",
            Self::Selected => "selected",
            Self::OutsideSelection { .. } => "outside_selection",
            Self::Failed { .. } => "failed",
        }
    }
}

/// The report of a cancel or close job: per access request id, what the
/// statuses showed afterwards, and how many calls were made.
///
/// Serialised as `{"kind", "outcomes": {ID: {"outcome", "states"?}},
/// "change_calls", "check_calls", "dry_run"}`, each outcome by its
/// [`name`](ChangeOutcome::name).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChangeReport {
    /// Cancel or close.
    pub kind: ChangeKind,
    /// Per access request id.
    pub outcomes: BTreeMap<String, ChangeOutcome>,
    /// Cancel or close calls made (chunks within the family's limits).
    pub change_calls: usize,
    /// Status list calls made to select and to check.
    pub check_calls: usize,
    /// True for a dry run: nothing was sent.
    pub dry_run: bool,
    /// Per access request id, the open items the change touches (or, in a
    /// dry run, would touch): whom each is for and what it is.
    pub items: BTreeMap<String, Vec<TouchedItem>>,
}

/// One open item a change touches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TouchedItem {
    /// The identities it is for.
    pub identities: Vec<String>,
    /// The item's name, else its id.
    pub item: String,
    /// Its state when selected.
    pub state: String,
}

impl TouchedItem {
    fn of(status: &RequestedItemStatus) -> Self {
        Self {
            identities: status.requested_for_ids().map(str::to_owned).collect(),
            item: status
                .name
                .clone()
                .or_else(|| status.id.clone())
                .unwrap_or_default(),
            state: status.state_name().to_owned(),
        }
    }
}

impl ChangeReport {
    fn new(kind: ChangeKind, dry_run: bool) -> Self {
        Self {
            kind,
            outcomes: BTreeMap::new(),
            change_calls: 0,
            check_calls: 0,
            dry_run,
            items: BTreeMap::new(),
        }
    }

    /// The ids whose requests were changed (cancelled or closed).
    pub fn changed(&self) -> impl Iterator<Item = &str> {
        self.outcomes
            .iter()
            .filter(|(_, o)| **o == ChangeOutcome::Changed)
            .map(|(id, _)| id.as_str())
    }
}

impl Serialize for ChangeReport {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Line<'a> {
            outcome: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            states: Option<&'a [RequestedItemState]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<&'a str>,
        }
        let outcomes: BTreeMap<&str, Line<'_>> = self
            .outcomes
            .iter()
            .map(|(id, o)| {
                let states = match o {
                    ChangeOutcome::Unchanged { states } => Some(states.as_slice()),
                    _ => None,
                };
                let error = match o {
                    ChangeOutcome::Failed { error } => Some(error.as_str()),
                    _ => None,
                };
                let line = Line {
                    outcome: o.name(self.kind),
                    states,
                    error,
                };
                (id.as_str(), line)
            })
            .collect();
        let mut s = serializer.serialize_struct("ChangeReport", 6)?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("outcomes", &outcomes)?;
        s.serialize_field("change_calls", &self.change_calls)?;
        s.serialize_field("check_calls", &self.check_calls)?;
        s.serialize_field("dry_run", &self.dry_run)?;
        s.serialize_field("items", &self.items)?;
        s.end()
    }
}

/// An item of a request, told apart from its siblings.
fn item_key(status: &RequestedItemStatus) -> String {
    match &status.account_activity_item_id {
        Some(activity) => activity.clone(),
        None => format!(
            "{}/{}",
            status.requested_for_ids().collect::<Vec<_>>().join(","),
            status.id.as_deref().unwrap_or_default()
        ),
    }
}

/// Which requests a job touches.
#[derive(Clone, Debug)]
enum Selection {
    Ids(Vec<String>),
    Query(Box<StatusQuery>),
}

/// What both jobs share: the selection, the settle time, the dry run.
#[derive(Clone, Debug)]
struct Job {
    engine: Engine,
    selection: Selection,
    settle: Duration,
    dry_run: bool,
    /// Act on a selected request even when some of its open items fall
    /// outside the query.
    widen: bool,
}

/// The close-only settings, sent with each close call.
#[derive(Clone, Debug, Default)]
struct CloseSettings {
    execution: Option<CloseExecutionStatus>,
    completion: Option<CloseCompletionStatus>,
    message: Option<String>,
}

/// The change a job sends.
enum Change {
    Cancel { comment: String },
    Close(CloseSettings),
}

/// The setters both builders share.
macro_rules! job_setters {
    () => {
        /// The requests with these access request ids (repeated ids count once).
        pub fn ids<I, S>(mut self, access_request_ids: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.job.selection =
                Selection::Ids(access_request_ids.into_iter().map(Into::into).collect());
            self
        }

        /// The requests of the non-terminal statuses `query` finds (for
        /// example pending, requested by me, created before a date).
        pub fn matching(mut self, query: StatusQuery) -> Self {
            self.job.selection = Selection::Query(Box::new(query));
            self
        }

        /// How long to wait before re-reading the statuses, for a service
        /// that applies changes asynchronously (default none).
        pub fn settle(mut self, wait: Duration) -> Self {
            self.job.settle = wait;
            self
        }

        /// List what would be touched and send nothing.
        pub fn dry_run(mut self, dry_run: bool) -> Self {
            self.job.dry_run = dry_run;
            self
        }

        /// With a status query: act on a selected access request even when
        /// some of its open items fall outside the query (the service
        /// cancels and closes whole requests). Off by default: such requests
        /// are left alone and reported `OutsideSelection`.
        pub fn widen_scope(mut self, widen: bool) -> Self {
            self.job.widen = widen;
            self
        }
    };
}

/// Cancels any number of access requests; from `Client::cancel_many`.
///
/// Selects by [`ids`](Self::ids) or by a status query
/// ([`matching`](Self::matching); nothing selected is nothing to do), sends
/// bulk cancels of at most 50 ids (always the versioned family), then
/// re-reads the statuses of every id: the service answers 202 even for
/// unknown ids, so only the statuses say what changed.
///
/// The close-only settings are not offered on a cancel:
///
/// ```compile_fail
/// # fn run(client: sailpoint_access::Client) {
/// let _ = client.cancel_many("why").ids(["2c91...a"]).message("a close-only setting");
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `send` is awaited"]
pub struct CancelMany {
    job: Job,
    comment: String,
}

impl CancelMany {
    pub(crate) fn new(engine: Engine, comment: String) -> Self {
        Self {
            job: Job::new(engine),
            comment,
        }
    }

    job_setters!();

    /// Selects, cancels in chunks (each validated first), and reports.
    pub async fn send(self) -> Result<ChangeReport> {
        self.job
            .run(Change::Cancel {
                comment: self.comment,
            })
            .await
    }
}

/// Closes any number of access requests; from `Client::close_many`.
///
/// Like [`CancelMany`], with closes of at most 500 ids, and the settings
/// only a close has.
#[derive(Clone, Debug)]
#[must_use = "nothing happens until `send` is awaited"]
pub struct CloseMany {
    job: Job,
    close: CloseSettings,
}

impl CloseMany {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            job: Job::new(engine),
            close: CloseSettings::default(),
        }
    }

    job_setters!();

    setters! {
        /// How the requests ended (the service's default: `Terminated`).
        execution_status(CloseExecutionStatus) => close.execution = Some;
        /// Whether they succeeded (the service's default: `Failure`).
        completion_status(CloseCompletionStatus) => close.completion = Some;
        /// Why they were closed.
        message(impl Into<String>) => close.message = Some;
    }

    /// Selects, closes in chunks (each validated first), and reports.
    pub async fn send(self) -> Result<ChangeReport> {
        self.job.run(Change::Close(self.close)).await
    }
}

impl Job {
    fn new(engine: Engine) -> Self {
        Self {
            engine,
            selection: Selection::Ids(Vec::new()),
            settle: Duration::ZERO,
            dry_run: false,
            widen: false,
        }
    }

    async fn run(self, change: Change) -> Result<ChangeReport> {
        let kind = match change {
            Change::Cancel { .. } => ChangeKind::Cancel,
            Change::Close(_) => ChangeKind::Close,
        };
        let mut report = ChangeReport::new(kind, self.dry_run);
        let ids = self.select(&mut report).await?;
        if self.dry_run {
            report
                .outcomes
                .extend(ids.into_iter().map(|id| (id, ChangeOutcome::Selected)));
            return Ok(report);
        }
        // Every chunk is sent even when an earlier one failed (each is
        // replay-safe and independent), and each failure is kept for the
        // ids it carried: nothing applied goes unreported.
        let handle = AccessRequests::new(self.engine.clone());
        let mut failed: BTreeMap<String, String> = BTreeMap::new();
        let chunk_size = match change {
            Change::Cancel { .. } => MAX_BULK_CANCEL_IDS,
            Change::Close(_) => MAX_CLOSE_IDS,
        };
        for chunk in ids.chunks(chunk_size) {
            let sent = match &change {
                Change::Cancel { comment } => {
                    handle
                        .bulk_cancel(chunk.iter().cloned(), comment.clone())
                        .send()
                        .await
                }
                Change::Close(settings) => {
                    let mut close = handle.close(chunk.iter().cloned());
                    pass_set!(close;
                        settings.execution => execution_status,
                        settings.completion => completion_status,
                        settings.message => message,
                    );
                    close.send().await
                }
            };
            report.change_calls += 1;
            if let Err(e) = sent {
                if e.kind() == ErrorKind::Validation {
                    return Err(e);
                }
                let text = e.to_string();
                failed.extend(chunk.iter().map(|id| (id.clone(), text.clone())));
            }
        }
        if !self.settle.is_zero() {
            tokio::time::sleep(self.settle).await;
        }
        self.check(ids, &mut report).await?;
        for (id, error) in failed {
            if let Some(outcome) = report.outcomes.get_mut(&id) {
                if *outcome != ChangeOutcome::Changed {
                    *outcome = ChangeOutcome::Failed { error };
                }
            }
        }
        Ok(report)
    }

    /// The ids selected, sorted and once each, with the open items the
    /// change would touch. A request selected by a query whose other open
    /// items the query did not select is left out (reported
    /// `OutsideSelection`) unless the scope was widened: the service cancels
    /// and closes whole access requests.
    async fn select(&self, report: &mut ChangeReport) -> Result<Vec<String>> {
        let query = match &self.selection {
            Selection::Ids(ids) => {
                let ids: BTreeSet<String> = ids.iter().cloned().collect();
                return Ok(ids.into_iter().collect());
            }
            Selection::Query(query) => query,
        };
        let mut pages = query.pages();
        let mut chosen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        while let Some(page) = pages.try_next().await? {
            report.check_calls += 1;
            for status in page.items.iter().filter(|s| !s.is_terminal()) {
                let Some(id) = status.access_request_id.clone() else {
                    continue;
                };
                chosen
                    .entry(id.clone())
                    .or_default()
                    .insert(item_key(status));
                report
                    .items
                    .entry(id)
                    .or_default()
                    .push(TouchedItem::of(status));
            }
        }
        let ids: Vec<String> = chosen.keys().cloned().collect();
        if self.widen || ids.is_empty() {
            return Ok(ids);
        }
        let (all, calls) = StatusQuery::new(self.engine.clone())
            .of_requests(&ids, MAX_STATUSES_PER_QUERY)
            .await?;
        report.check_calls += calls;
        let mut outside: BTreeMap<String, usize> = BTreeMap::new();
        for status in all.iter().filter(|s| !s.is_terminal()) {
            let Some(id) = status.access_request_id.as_deref() else {
                continue;
            };
            if chosen
                .get(id)
                .is_some_and(|keys| !keys.contains(&item_key(status)))
            {
                *outside.entry(id.to_owned()).or_default() += 1;
            }
        }
        for (id, items_outside) in outside {
            report.items.remove(&id);
            report
                .outcomes
                .insert(id, ChangeOutcome::OutsideSelection { items_outside });
        }
        Ok(ids
            .into_iter()
            .filter(|id| !report.outcomes.contains_key(id))
            .collect())
    }

    /// Re-reads the statuses of `ids` and records what each shows.
    async fn check(&self, ids: Vec<String>, report: &mut ChangeReport) -> Result<()> {
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
            let outcome = match statuses.remove(&id) {
                None => ChangeOutcome::NotFound,
                Some(items) if items.iter().all(|s| report.kind.is_done(s)) => {
                    ChangeOutcome::Changed
                }
                Some(items) => ChangeOutcome::Unchanged {
                    states: items.into_iter().filter_map(|s| s.state).collect(),
                },
            };
            report.outcomes.insert(id, outcome);
        }
        Ok(())
    }
}
