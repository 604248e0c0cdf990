//! Running a plan: skip what is pending, pace, journal, submit, reconcile,
//! wait, report. A planned request is never accepted twice: it is sent only
//! when the journal shows it was never sent, or said so for certain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use sailpoint_access_api::types::{
    AccessItemType, AccessRequestType, RequestedForDtoRef, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_api::Timestamp;
use serde::Serialize;

use super::fingerprint;
use super::journal::{Journal, JournalEntry, JournaledRow, MemoryJournal, RequestResult};
use super::ledger::{journaled_rows, Ledger, Settled};
use super::plan::{BulkRow, Plan, PlanLimits, PlannedRequest};
use super::preflight::{Evidence, Preflight};
use crate::engine::setters::setters;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::pending::PendingIndex;
use crate::jobs::poll::Poller;
use crate::ops::access_requests::AccessRequests;
use crate::ops::statuses::filter::Filter;
use crate::ops::statuses::{StatusQuery, StatusSort};

/// The request-level `clientMetadata` key holding a request's idempotency key.
pub const KEY_METADATA: &str = "sailpointAccessKey";

/// How a row ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RowOutcome {
    /// Its request was accepted.
    Submitted,
    /// Already pending for the identity, or (with the pre-flight) already
    /// held by it: not sent.
    Skipped,
    /// Breaks a rule: never sent.
    Refused,
    /// Its request was refused by the service.
    Failed,
    /// Its request never reached the service, or was answered before the
    /// service acted (a 429, a refused connection, a deadline reached while
    /// waiting to send): nothing happened, and a resume sends it.
    NotSent,
    /// Its request was sent and neither its answer nor its statuses were
    /// found: reported rather than risk a duplicate.
    Unknown,
}

impl RowOutcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [RowOutcome; 6] = [
        Self::Submitted,
        Self::Skipped,
        Self::Refused,
        Self::Failed,
        Self::NotSent,
        Self::Unknown,
    ];

    /// The outcome's name, as reports write it (`submitted`, `skipped`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Skipped => "skipped",
            Self::Refused => "refused",
            Self::Failed => "failed",
            Self::NotSent => "not_sent",
            Self::Unknown => "unknown",
        }
    }
}

impl RequestResult {
    /// The row outcome of a request that ended so.
    fn outcome(&self) -> RowOutcome {
        match self {
            RequestResult::Accepted => RowOutcome::Submitted,
            RequestResult::Failed => RowOutcome::Failed,
            RequestResult::NotSent => RowOutcome::NotSent,
            RequestResult::Unknown => RowOutcome::Unknown,
        }
    }
}

impl std::fmt::Display for RowOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RowReport {
    /// Index of the row in the plan.
    pub row: usize,
    /// The identity.
    pub identity: String,
    /// The item's type.
    pub item_type: AccessItemType,
    /// The item's id.
    pub item_id: String,
    /// How it ended.
    pub outcome: RowOutcome,
    /// The planned request that carried it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<usize>,
    /// The access request(s) behind it (created, or the pending one it matched).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_request_ids: Vec<String>,
    /// The rule, error or matched status, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The item's state after waiting, when the run waited and the
    /// service reported one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_state: Option<RequestedItemState>,
    /// For a submitted or failed row, which run sent its request: this one,
    /// or an earlier one on the same journal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done_by: Option<DoneBy>,
}

/// Which run sent a row's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DoneBy {
    /// This invocation sent it.
    ThisRun,
    /// An earlier invocation on the same journal sent it (this one found it
    /// journaled, or listed under its key).
    EarlierRun,
}

impl DoneBy {
    /// The name reports write (`this_run`, `earlier_run`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThisRun => "this_run",
            Self::EarlierRun => "earlier_run",
        }
    }
}

/// A row an earlier run on the same journal recorded that the plan no
/// longer holds (its content changed or it was taken out): reported with
/// what the journal knows of it, and never sent by this run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RemovedRow {
    /// The identity.
    pub identity: String,
    /// The item's type.
    pub item_type: AccessItemType,
    /// The item's id.
    pub item_id: String,
    /// How its request ended, as journaled (`submitted`, `failed`,
    /// `unknown` for an intent never resolved, `not_sent`).
    pub outcome: RowOutcome,
    /// The access request(s) it is in, when it was submitted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_request_ids: Vec<String>,
}

/// The outcome of a bulk run, per row and in total; serialisable as JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkReport {
    /// The run id (the first half of every idempotency key).
    pub run_id: String,
    /// Every row of the plan, in order.
    pub rows: Vec<RowReport>,
    /// Rows per outcome (outcomes no row ended with are left out).
    pub totals: BTreeMap<RowOutcome, usize>,
    /// Requests sent by this invocation.
    pub requests_sent: usize,
    /// Status list calls made to find pending items.
    pub dedupe_calls: usize,
    /// Look-up calls the pre-flight made (see [`BulkSubmit::preflight`]).
    pub preflight_calls: usize,
    /// Status list calls made to reconcile requests whose answer was lost.
    pub reconcile_calls: usize,
    /// Status list calls made while waiting.
    pub wait_calls: usize,
    /// The run waited and its deadline passed before every submitted item
    /// ended: a `final_state` that is not terminal is still pending.
    pub wait_ran_out: bool,
    /// Rows the journal records from earlier runs that this plan no longer
    /// holds (taken out, or changed: a changed row is also in `rows`).
    pub removed_rows: Vec<RemovedRow>,
    /// Status list calls made to measure the listing's lag.
    pub lag_calls: usize,
    /// The longest listing lag known to the run (journaled or measured),
    /// in milliseconds: the time from an accepted answer to its key being
    /// listed. A resume's grace is a multiple of it.
    pub listing_lag_ms: u64,
}

/// A bulk run that stopped on an error, with the report of everything it
/// did before: rows settled before the error keep their outcome, rows whose
/// request may have left are `unknown`, the others `not_sent`.
///
/// `?` turns it into the [`Error`] alone.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkFailure {
    /// What stopped the run.
    pub error: Error,
    /// What the run did before it stopped.
    pub report: BulkReport,
}

impl std::fmt::Display for BulkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the bulk run stopped: {} ({} of {} rows submitted before it did)",
            self.error,
            self.report.count(RowOutcome::Submitted),
            self.report.rows.len()
        )
    }
}

impl std::error::Error for BulkFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<BulkFailure> for Error {
    fn from(failure: BulkFailure) -> Self {
        failure.error
    }
}

impl BulkReport {
    /// How many rows ended with `outcome`.
    pub fn count(&self, outcome: RowOutcome) -> usize {
        self.rows.iter().filter(|r| r.outcome == outcome).count()
    }

    /// True when every row was submitted, skipped as pending, or refused.
    pub fn is_complete(&self) -> bool {
        self.count(RowOutcome::Failed) == 0 && self.count(RowOutcome::Unknown) == 0
    }
}

/// A bulk submission; from `Client::bulk_submit`. See the `bulk` module.
#[must_use = "nothing happens until `send` is awaited"]
pub struct BulkSubmit {
    engine: Engine,
    plan: Plan,
    run_id: Option<String>,
    journal: Box<dyn Journal>,
    concurrency: usize,
    skip_pending: bool,
    preflight: bool,
    grace: Duration,
    resend_unknown: bool,
    wait: Option<Duration>,
}

impl std::fmt::Debug for BulkSubmit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkSubmit")
            .field("requests", &self.plan.requests.len())
            .field("run_id", &self.run_id)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl BulkSubmit {
    pub(crate) fn new(engine: Engine, plan: Plan) -> Self {
        Self {
            engine,
            plan,
            run_id: None,
            journal: Box::new(MemoryJournal::default()),
            concurrency: 4,
            skip_pending: true,
            preflight: false,
            grace: Duration::from_secs(10),
            resend_unknown: false,
            wait: None,
        }
    }

    setters! {
        /// The run id (default: taken from the journal, or a new one).
        run_id(impl Into<String>) => run_id = Some;
    }

    /// Where intents and outcomes are recorded (default: in memory, so no
    /// resume). Re-running with the same journal resumes the run.
    pub fn journal(mut self, journal: impl Journal + 'static) -> Self {
        self.journal = Box::new(journal);
        self
    }

    /// Requests in flight at once (default 4); the client's pacing still applies.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    setters! {
        /// Leave out rows already pending for their identity (default true),
        /// found with one walk of the executing requests.
        skip_pending(bool) => skip_pending;
        /// Before sending, ask per identity what it already holds or awaits
        /// and leave those rows out, each reported `skipped` with the evidence
        /// (default false). One look-up of the identity's requestable objects
        /// (ASSIGNED or PENDING roles and access profiles), and for identities
        /// with entitlement rows one of the entitlements it holds: the calls
        /// follow the plan's identities, not the tenant's requests, and are
        /// counted in [`BulkReport::preflight_calls`]. The caller needs the
        /// rights of those look-ups (see [`Preflight`](crate::Preflight)).
        preflight(bool) => preflight;
        /// The least grace before a request whose answer was lost is taken as
        /// never received (default 10 s: the service lists new requests
        /// asynchronously). The grace is the larger of this floor and 3 times
        /// the longest listing lag the journal has seen (each run measures it:
        /// the time from an accepted answer to its key being listed). A request
        /// whose intent is older than the grace and whose key is still not
        /// listed was not received, and is sent again; so the grace must exceed
        /// the service's listing delay, the one assumption the exactly-once
        /// guarantee rests on.
        reconcile_grace(Duration) => grace;
        /// Send again a request whose answer was lost without waiting for the
        /// evidence (its key absent from the listing for the grace period): one
        /// look at the listing, then resend. Off by default: it may duplicate on
        /// a tenant that lists new requests late.
        resend_unknown(bool) => resend_unknown;
        /// After submitting, wait up to this long for every submitted row to be
        /// terminal (batched status queries), and report final states.
        wait(Duration) => wait = Some;
    }

    /// Runs the plan; see the module docs for the guarantees.
    pub async fn send(self) -> std::result::Result<BulkReport, BulkFailure> {
        let BulkSubmit {
            engine,
            plan,
            run_id,
            journal,
            concurrency,
            skip_pending,
            preflight,
            grace,
            resend_unknown,
            wait,
        } = self;
        let row_fingerprints = plan
            .rows
            .iter()
            .map(|row| fingerprint::of_row(&plan.request_type, row))
            .collect();
        let mut run = Run {
            engine,
            plan,
            journal: Mutex::new(journal),
            rows: HashMap::new(),
            may_have_left: HashSet::new(),
            report: BulkReport::default(),
            run_id: String::new(),
            run_id_given: run_id,
            floor: grace,
            ledger: Ledger::default(),
            lag: Duration::ZERO,
            row_fingerprints,
        };
        let mut skipped = HashMap::new();
        let settings = Phases {
            concurrency,
            skip_pending,
            preflight,
            resend_unknown,
        };
        let phases = run.phases(&mut skipped, settings);
        let stopped = phases.await.err();
        let mut report = run.report(&skipped);
        let stopped = match (stopped, wait) {
            (None, Some(deadline)) => wait_for(&run.engine, &mut report, deadline).await.err(),
            (stopped, _) => stopped,
        };
        for row in &report.rows {
            *report.totals.entry(row.outcome).or_default() += 1;
        }
        match stopped {
            None => Ok(report),
            Some(error) => Err(BulkFailure { error, report }),
        }
    }
}

/// The grace before a key absent from the listing is taken as never
/// received is this multiple of the longest listing lag seen (never less
/// than `reconcile_grace`).
const LAG_MULTIPLE: u32 = 3;

/// How many times a resume looks for earlier keys before it leaves the
/// undecided ones unknown (each look waits out the grace of the youngest).
const MAX_LOOKS: usize = 4;

/// What the phases of a run are asked to do.
struct Phases {
    concurrency: usize,
    skip_pending: bool,
    preflight: bool,
    resend_unknown: bool,
}

/// A row left out before sending: why, and the request it awaits in (when
/// known).
struct SkippedRow {
    detail: String,
    access_request_id: Option<String>,
}

/// A run under way: the phases of `BulkSubmit::send` read it and add to it.
struct Run {
    engine: Engine,
    plan: Plan,
    run_id: String,
    journal: Mutex<Box<dyn Journal>>,
    /// Per row of the plan, what came of the request that carried it, and
    /// whether an earlier run sent that request.
    rows: HashMap<usize, (Settled, bool)>,
    /// Rows that may have reached the service without a settled outcome
    /// yet (an earlier intent, or sent by this run): if the run stops, they
    /// are `unknown`, never `not_sent`.
    may_have_left: HashSet<usize>,
    /// The caller's run id, checked against the journal's when the run starts.
    run_id_given: Option<String>,
    /// The call counts, filled as the phases go.
    report: BulkReport,
    /// The least grace (`reconcile_grace`).
    floor: Duration,
    /// The run's journal, read by content.
    ledger: Ledger,
    /// The longest listing lag this run measured.
    lag: Duration,
    /// The fingerprint of every row of the plan, by index.
    row_fingerprints: Vec<String>,
}

impl Run {
    /// Refuses a journal written against another tenant or client id (its
    /// keys would be looked up where they were never sent, and its accepted
    /// requests reported for a tenant that holds none); binds a new one.
    fn bind_tenant(&self, entries: &[JournalEntry]) -> Result<()> {
        let (base_url, client) = (self.engine.base_url(), self.engine.caller());
        let bound = entries.iter().find_map(|e| match e {
            JournalEntry::Tenant { base_url, client } => Some((base_url, client)),
            _ => None,
        });
        match bound {
            Some((b, c)) if b == base_url && c == client => Ok(()),
            Some((b, c)) => Err(Error::config(format!(
                "the bulk journal belongs to tenant {b} (client {c}), not {base_url} (client {client}): use a journal of its own for each tenant"
            ))),
            None => record(
                &self.journal,
                JournalEntry::Tenant {
                    base_url: base_url.to_owned(),
                    client: client.to_owned(),
                },
            ),
        }
    }

    /// Every phase up to the report; an error stops the run where it is.
    async fn phases(
        &mut self,
        skipped: &mut HashMap<usize, SkippedRow>,
        settings: Phases,
    ) -> Result<()> {
        let Phases {
            concurrency,
            skip_pending,
            preflight,
            resend_unknown,
        } = settings;
        let entries = lock(&self.journal).entries().map_err(journal_error)?;
        self.bind_tenant(&entries)?;
        self.run_id = run_id_of(self.run_id_given.take(), &entries)?;
        self.report.run_id = self.run_id.clone();
        self.ledger = Ledger::read(&entries, &self.run_id, &self.plan);
        self.reconcile_earlier(resend_unknown).await?;
        let mut to_send = self.triage();
        if preflight {
            skipped.extend(self.preflight(&mut to_send).await?);
        }
        if skip_pending {
            skipped.extend(self.skip_pending(&mut to_send).await?);
        }
        self.submit(to_send, concurrency).await
    }

    /// The grace before a key absent from the listing is taken as never
    /// received: a multiple of the longest listing lag seen, at least the floor.
    fn grace(&self) -> Duration {
        let lag = self.ledger.lag.max(self.lag);
        self.floor.max(lag.saturating_mul(LAG_MULTIPLE))
    }

    /// Per row fingerprint, the planned row (rows some request carries).
    fn planned_rows(&self) -> HashMap<&str, usize> {
        self.plan
            .requests
            .iter()
            .flat_map(|r| r.rows.iter())
            .map(|&i| (self.row_fingerprints[i].as_str(), i))
            .collect()
    }

    /// Looks up by key the requests an earlier invocation may have sent
    /// (those that are the best evidence for a planned row), and journals
    /// what it concludes: listed is accepted; absent past the grace is
    /// never received (`not_sent`, so the row is sent again). A key whose
    /// intent is younger than the grace stays open: its rows are unknown.
    ///
    /// The look lasts until the youngest open intent is as old as the
    /// grace, not a whole grace more: intents already older than it are
    /// decided by one walk. That rests on one assumption: the service lists
    /// an accepted request within the grace (see `reconcile_grace`).
    /// `resend_unknown` concludes after one walk without that evidence.
    async fn reconcile_earlier(&mut self, resend_unknown: bool) -> Result<()> {
        let planned = self.planned_rows();
        let wanted_rows: HashSet<&str> = planned.keys().copied().collect();
        let open = self.ledger.open_for(&wanted_rows);
        if open.is_empty() {
            return Ok(());
        }
        let mut wanted: HashMap<String, Timestamp> = HashMap::new();
        let mut left: HashMap<String, Vec<usize>> = HashMap::new();
        for &i in &open {
            let record = &self.ledger.records[i];
            let at = record.intent_at.unwrap_or_else(Timestamp::now);
            wanted.insert(record.key.clone(), at);
            left.insert(
                record.key.clone(),
                record
                    .rows
                    .iter()
                    .filter_map(|r| planned.get(r.fingerprint.as_str()).copied())
                    .collect(),
            );
        }
        self.may_have_left.extend(left.values().flatten().copied());
        let since = wanted.values().min().copied().map(lookback);
        let mut undecided = open;
        // Looks again while a key is undecided: a lag measured during the
        // look may have lengthened the grace past what was waited, and the
        // wall clock the intents carry may trail the monotonic one the look
        // waits on. Bounded: each look waits out the youngest key's grace.
        for looks in 1.. {
            let grace = self.grace();
            let wanting: HashMap<String, Timestamp> = undecided
                .iter()
                .map(|&i| {
                    let key = &self.ledger.records[i].key;
                    (key.clone(), wanted[key])
                })
                .collect();
            let look = match wanting.values().max() {
                Some(youngest) if !resend_unknown => {
                    grace.saturating_sub(age(*youngest, Timestamp::now()))
                }
                _ => Duration::ZERO,
            };
            let looked = self.reconcile(&wanting, since, look, false).await?;
            self.report.reconcile_calls += looked.calls;
            // Absent from a walk that started `grace` after the intent: the
            // evidence. The lag measured during the look counts.
            let longer = self.grace();
            let mut still = Vec::new();
            for i in undecided {
                let open = &self.ledger.records[i];
                let (key, number) = (open.key.clone(), open.number);
                let conclusion = match looked.found.get(&key) {
                    Some(ids) => Settled::accepted(ids.clone()),
                    None if resend_unknown => Settled::with_error(
                        RequestResult::NotSent,
                        "no answer recorded and not listed: sent again on request (resend_unknown)",
                    ),
                    None if age(wanted[&key], looked.last_walk) >= longer => Settled::with_error(
                        RequestResult::NotSent,
                        format!(
                            "not listed {:.1} s after it was sent: never received, sent again",
                            longer.as_secs_f64()
                        ),
                    ),
                    None => {
                        still.push(i);
                        continue;
                    }
                };
                record(&self.journal, conclusion.entry(&key, number))?;
                if conclusion.result == RequestResult::NotSent {
                    for row in &left[&key] {
                        self.may_have_left.remove(row);
                    }
                }
                self.ledger.records[i].outcome = Some(conclusion);
            }
            if still.is_empty() || looks >= MAX_LOOKS {
                break;
            }
            undecided = still;
        }
        self.note_lag()
    }

    /// What the journal leaves to send: each planned request with only the
    /// rows no earlier request speaks for (accepted, refused, or possibly
    /// received). A request that keeps only some of its rows is planned
    /// again from them, so it never carries a row already done.
    fn triage(&mut self) -> Vec<PlannedRequest> {
        let best = self.ledger.best_by_row();
        let mut earlier: Vec<(usize, Settled)> = Vec::new();
        let mut to_send = Vec::new();
        for request in &self.plan.requests {
            let mut free = Vec::new();
            for &i in &request.rows {
                let record = best.get(self.row_fingerprints[i].as_str());
                match record {
                    Some(record) if record.is_open() => earlier.push((
                        i,
                        Settled::with_error(
                            RequestResult::Unknown,
                            "sent earlier; no answer recorded and no status found",
                        ),
                    )),
                    Some(record) => match &record.outcome {
                        Some(s)
                            if matches!(
                                s.result,
                                RequestResult::Accepted | RequestResult::Failed
                            ) =>
                        {
                            earlier.push((i, s.clone()))
                        }
                        _ => free.push(i),
                    },
                    None => free.push(i),
                }
            }
            if free.len() == request.rows.len() {
                to_send.push(request.clone());
            } else if !free.is_empty() {
                let (requests, refused) = replan(&self.plan, request.number, &free);
                to_send.extend(requests);
                earlier.extend(refused);
            }
        }
        for (row, settled) in earlier {
            // Possibly received earlier: never reported as not sent.
            if settled.result == RequestResult::Unknown {
                self.may_have_left.insert(row);
            }
            self.rows.insert(row, (settled, true));
        }
        to_send
    }

    /// Leaves out of `to_send` the rows already pending for their identity
    /// (one walk of the pending index); returns them with the access
    /// request they are pending in.
    async fn skip_pending(
        &mut self,
        to_send: &mut Vec<PlannedRequest>,
    ) -> Result<HashMap<usize, SkippedRow>> {
        if to_send.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = &self.plan.rows;
        let identities: HashSet<&str> = to_send
            .iter()
            .flat_map(|r| r.rows.iter().map(|&i| rows[i].identity.as_str()))
            .collect();
        let pending =
            PendingIndex::load(&self.engine, &self.plan.request_type, &identities).await?;
        self.report.dedupe_calls += pending.calls;
        Ok(self.take_out(to_send, |row| {
            let status = pending
                .find(&row.identity, row.item.item_type(), row.item.id())
                .first()?;
            let id = status.access_request_id.clone().unwrap_or_default();
            Some(SkippedRow {
                detail: format!("already pending in access request {id}"),
                access_request_id: Some(id),
            })
        }))
    }

    /// Leaves out of `to_send` the rows the identity already holds or awaits
    /// by the pre-flight's evidence; returns them with that evidence.
    async fn preflight(
        &mut self,
        to_send: &mut Vec<PlannedRequest>,
    ) -> Result<HashMap<usize, SkippedRow>> {
        if to_send.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = &self.plan.rows;
        let found = Preflight::new(self.engine.clone())
            .run(to_send.iter().flat_map(|r| {
                r.rows.iter().map(|&i| {
                    let row = &rows[i];
                    (row.identity.as_str(), row.item.item_type(), row.item.id())
                })
            }))
            .await?;
        self.report.preflight_calls += found.calls;
        Ok(self.take_out(to_send, |row| {
            let evidence = found.evidence(&row.identity, row.item.id())?;
            let access_request_id = match evidence {
                Evidence::Pending(id) => id.clone(),
                _ => None,
            };
            Some(SkippedRow {
                detail: format!("pre-flight: {evidence}"),
                access_request_id,
            })
        }))
    }

    /// Takes the rows `skip` gives a reason for out of the requests of
    /// `to_send` (a request left without rows is dropped; one that loses
    /// some is planned again from the rest) and returns those actually
    /// taken out.
    fn take_out(
        &self,
        to_send: &mut Vec<PlannedRequest>,
        skip: impl Fn(&BulkRow) -> Option<SkippedRow>,
    ) -> HashMap<usize, SkippedRow> {
        let mut matched: HashMap<usize, SkippedRow> = to_send
            .iter()
            .flat_map(|request| request.rows.iter().copied())
            .filter_map(|i| Some((i, skip(&self.plan.rows[i])?)))
            .collect();
        let mut skipped = HashMap::new();
        if matched.is_empty() {
            return skipped;
        }
        let candidates: HashSet<usize> = matched.keys().copied().collect();
        for request in to_send.iter_mut() {
            let (trimmed, removed) = without_rows(&self.plan, request, &candidates);
            for i in removed {
                if let Some(why) = matched.remove(&i) {
                    skipped.insert(i, why);
                }
            }
            *request = trimmed;
        }
        to_send.retain(|r| !r.rows.is_empty());
        skipped
    }

    /// Sends the requests, `concurrency` at a time, each intent (with its
    /// content's fingerprint and rows) durable before its request leaves;
    /// answers lost on the way are looked up once more before they are
    /// called unknown. Then, for a durable journal, measures how long the
    /// listing took to show the last accepted keys.
    async fn submit(&mut self, to_send: Vec<PlannedRequest>, concurrency: usize) -> Result<()> {
        let since = Timestamp::now();
        let mut outgoing = Vec::with_capacity(to_send.len());
        for request in to_send {
            let fingerprint = fingerprint::of_request(&request.body);
            let key = self
                .ledger
                .key_for(&self.run_id, request.number, &fingerprint);
            outgoing.push(Outgoing {
                rows: journaled_rows(&self.plan, &request.rows),
                request: keyed(request, &key),
                key,
                fingerprint,
            });
        }
        let handle = AccessRequests::new(self.engine.clone());
        let journal = &self.journal;
        let answers: Vec<Sent> = stream::iter(outgoing)
            .map(|request| send_one(handle.clone(), journal, request))
            .buffer_unordered(concurrency)
            .collect()
            .await;
        // Every answer is kept, even when one of them failed to be journaled:
        // what was sent must be reported.
        let mut stopped = None;
        let mut lost = Vec::new();
        let mut accepted: HashMap<String, Timestamp> = HashMap::new();
        for answer in answers {
            if answer.left {
                self.may_have_left.extend(answer.rows.iter().copied());
            }
            if let Some(error) = answer.error {
                stopped.get_or_insert(error);
            }
            let Some(settled) = answer.settled else {
                continue;
            };
            // Only what left the client counts as sent.
            match settled.result {
                RequestResult::NotSent => {}
                RequestResult::Unknown => {
                    self.report.requests_sent += 1;
                    lost.push((answer.key.clone(), answer.number, answer.rows.clone()));
                }
                RequestResult::Accepted => {
                    self.report.requests_sent += 1;
                    accepted.insert(answer.key.clone(), answer.answered_at);
                }
                _ => self.report.requests_sent += 1,
            }
            for row in answer.rows {
                self.rows.insert(row, (settled.clone(), false));
            }
        }
        if let Some(error) = stopped {
            return Err(error);
        }
        if !lost.is_empty() {
            let wanted: HashMap<String, Timestamp> = lost
                .iter()
                .map(|(key, _, _)| (key.clone(), since))
                .collect();
            let grace = self.grace();
            let looked = self
                .reconcile(&wanted, Some(lookback(since)), grace, true)
                .await?;
            self.report.reconcile_calls += looked.calls;
            for (key, number, rows) in lost {
                if let Some(ids) = looked.found.get(&key) {
                    self.settle(&key, number, &rows, Settled::accepted(ids.clone()))?;
                }
            }
        }
        self.measure_lag(accepted, since).await;
        self.note_lag()
    }

    /// Watches the listing until the keys accepted last (within a second of
    /// the last answer) are listed, for up to the grace, and keeps the
    /// longest time from an answer to its key listed; a key not listed
    /// within the grace counts as the grace, so the next resume waits
    /// longer. The figure is high by up to one poll interval (a tenth of
    /// the grace), the safe side. Best effort: a failed look measures nothing.
    async fn measure_lag(&mut self, accepted: HashMap<String, Timestamp>, since: Timestamp) {
        if accepted.is_empty() || !lock(&self.journal).is_durable() {
            return;
        }
        let Some(last) = accepted.values().max().copied() else {
            return;
        };
        let recent = Timestamp::from(*last.as_datetime() - chrono::Duration::seconds(1));
        let sample: HashMap<String, Timestamp> = accepted
            .into_iter()
            .filter(|(_, at)| *at >= recent)
            .collect();
        let grace = self.grace();
        if let Ok(looked) = self
            .reconcile(&sample, Some(lookback(since)), grace, true)
            .await
        {
            self.report.lag_calls += looked.calls;
            if looked.found.len() < sample.len() {
                self.lag = self.lag.max(grace);
            }
        }
    }

    /// Journals the longest listing lag this run measured, when it is
    /// longer than the journal's.
    fn note_lag(&mut self) -> Result<()> {
        let lag = self.ledger.lag.max(self.lag);
        self.report.listing_lag_ms = u64::try_from(lag.as_millis()).unwrap_or(u64::MAX);
        if self.lag > self.ledger.lag {
            let ms = self.report.listing_lag_ms;
            record(&self.journal, JournalEntry::ListingLag { ms })?;
            self.ledger.lag = self.lag;
        }
        Ok(())
    }

    /// The report, one line per row of the plan, and the journaled rows
    /// that left it.
    fn report(&mut self, skipped: &HashMap<usize, SkippedRow>) -> BulkReport {
        let mut report = std::mem::take(&mut self.report);
        let mut carrier: HashMap<usize, usize> = HashMap::new();
        for request in &self.plan.requests {
            for &row in &request.rows {
                carrier.insert(row, request.number);
            }
        }
        let refused: HashMap<usize, String> = self
            .plan
            .refused
            .iter()
            .map(|r| (r.row, format!("{}: {}", r.rule, r.message)))
            .collect();
        for (i, row) in self.plan.rows.iter().enumerate() {
            let mut line = RowReport {
                row: i,
                identity: row.identity.clone(),
                item_type: row.item.item_type().clone(),
                item_id: row.item.id().to_owned(),
                // Overwritten below; what is left means the run stopped first.
                outcome: if self.may_have_left.contains(&i) {
                    RowOutcome::Unknown
                } else {
                    RowOutcome::NotSent
                },
                request: carrier.get(&i).copied(),
                access_request_ids: vec![],
                detail: None,
                final_state: None,
                done_by: None,
            };
            if let Some(why) = refused.get(&i) {
                line.outcome = RowOutcome::Refused;
                line.detail = Some(why.clone());
            } else if let Some(why) = skipped.get(&i) {
                line.outcome = RowOutcome::Skipped;
                line.access_request_ids = why.access_request_id.iter().cloned().collect();
                line.detail = Some(why.detail.clone());
            } else if let Some((settled, earlier)) = self.rows.get(&i) {
                line.outcome = settled.result.outcome();
                if matches!(line.outcome, RowOutcome::Submitted | RowOutcome::Failed) {
                    line.done_by = Some(if *earlier {
                        DoneBy::EarlierRun
                    } else {
                        DoneBy::ThisRun
                    });
                }
                line.access_request_ids = settled.access_request_ids.clone();
                line.detail = settled.error.clone();
            }
            report.rows.push(line);
        }
        report.removed_rows = self.removed_rows();
        report
    }

    /// The rows the journal records that the plan no longer holds, each
    /// with the best the journal knows of it.
    fn removed_rows(&self) -> Vec<RemovedRow> {
        let planned: HashSet<&str> = self.row_fingerprints.iter().map(String::as_str).collect();
        let best = self.ledger.best_by_row();
        let mut seen = HashSet::new();
        let mut removed = Vec::new();
        for record in &self.ledger.records {
            for row in &record.rows {
                let fp = row.fingerprint.as_str();
                if planned.contains(fp) || !seen.insert(fp) {
                    continue;
                }
                let Some(best) = best.get(fp) else {
                    continue;
                };
                let (outcome, ids) = match &best.outcome {
                    _ if best.is_open() => (RowOutcome::Unknown, Vec::new()),
                    Some(s) => (s.result.outcome(), s.access_request_ids.clone()),
                    None => (RowOutcome::NotSent, Vec::new()),
                };
                removed.push(RemovedRow {
                    identity: row.identity.clone(),
                    item_type: row.item_type.clone(),
                    item_id: row.item_id.clone(),
                    outcome,
                    access_request_ids: ids,
                });
            }
        }
        removed
    }

    /// Records what came of the request with `key` and keeps it for its rows.
    fn settle(&mut self, key: &str, number: usize, rows: &[usize], settled: Settled) -> Result<()> {
        record(&self.journal, settled.entry(key, number))?;
        for &row in rows {
            self.rows.insert(row, (settled.clone(), false));
        }
        Ok(())
    }

    /// Looks the `wanted` keys up in the statuses' `clientMetadata` until
    /// all are found or a walk has started at least `deadline` after the
    /// first (one walk for a zero deadline). A key first listed on a later
    /// walk (or on the first, with `first_walk_measures`, for keys just
    /// sent) gives a listing lag: from its time in `wanted` to that walk.
    async fn reconcile(
        &mut self,
        wanted: &HashMap<String, Timestamp>,
        since: Option<Timestamp>,
        deadline: Duration,
        first_walk_measures: bool,
    ) -> Result<Looked> {
        let keys: HashSet<String> = wanted.keys().cloned().collect();
        let mut query = StatusQuery::new(self.engine.clone())
            .requested_by("me")
            .sort_desc(StatusSort::Created);
        // Only what was created since the earliest intent: the walk's cost
        // follows the run, not the tenant's history.
        if let Some(since) = since {
            query = query.filter(Filter::created().ge(since));
        }
        let every = (deadline / 10).clamp(Duration::from_millis(20), Duration::from_secs(1));
        let mut poller = Poller::new(deadline, every, every);
        let started = std::time::Instant::now();
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        let mut calls = 0;
        let mut walks = 0;
        loop {
            let before: HashSet<String> = found.keys().cloned().collect();
            let last_walk = Timestamp::now();
            let walk_started = started.elapsed();
            if let Some(walked) = poller
                .poll(walk_keys(&query, &keys, &mut found, &mut calls))
                .await
            {
                walked?;
            }
            if walks > 0 || first_walk_measures {
                let now = Timestamp::now();
                for key in found.keys().filter(|k| !before.contains(*k)) {
                    self.lag = self.lag.max(age(wanted[key], now));
                }
            }
            walks += 1;
            if found.len() == keys.len() || walk_started >= deadline {
                return Ok(Looked {
                    found,
                    calls,
                    last_walk,
                });
            }
            // The poller stops before a walk would pass the deadline, and
            // walks take time: the last one then waits out the rest, so it
            // starts at or after the deadline, as the evidence needs.
            if !poller.next().await {
                tokio::time::sleep(deadline.saturating_sub(started.elapsed())).await;
            }
        }
    }
}

/// What a look-up by key found.
struct Looked {
    /// Key → access request ids, for the keys listed.
    found: HashMap<String, Vec<String>>,
    /// Status list calls made.
    calls: usize,
    /// When the last walk started.
    last_walk: Timestamp,
}

/// A request ready to leave: its key and content, as its intent records them.
struct Outgoing {
    key: String,
    fingerprint: String,
    rows: Vec<JournaledRow>,
    request: PlannedRequest,
}

/// What came of sending one planned request.
struct Sent {
    key: String,
    number: usize,
    /// The rows it carried.
    rows: Vec<usize>,
    /// Its intent was journaled, so it may have left.
    left: bool,
    /// The answer, when the request was sent.
    settled: Option<Settled>,
    /// When the answer came.
    answered_at: Timestamp,
    /// A journal failure, before sending or after the answer.
    error: Option<Error>,
}

/// Sends one request: its intent recorded first, its outcome after.
async fn send_one(
    handle: AccessRequests,
    journal: &Mutex<Box<dyn Journal>>,
    outgoing: Outgoing,
) -> Sent {
    let Outgoing {
        key,
        fingerprint,
        rows,
        request,
    } = outgoing;
    let number = request.number;
    let intent = JournalEntry::Intent {
        key: key.clone(),
        request: number,
        at: Timestamp::now(),
        fingerprint: Some(fingerprint),
        rows,
    };
    let mut sent = Sent {
        key,
        number,
        rows: request.rows,
        left: false,
        settled: None,
        answered_at: Timestamp::now(),
        error: None,
    };
    if let Err(error) = record(journal, intent) {
        // Never sent without a durable intent.
        sent.error = Some(error);
        return sent;
    }
    sent.left = true;
    let settled = match handle.submit(request.body).send().await {
        Ok(answer) => {
            // One tracking entry per identity: the same id repeats.
            let mut ids: Vec<String> = Vec::new();
            for id in answer
                .new_requests
                .iter()
                .chain(&answer.existing_requests)
                .flat_map(|t| t.access_request_ids.iter())
            {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            Settled::accepted(ids)
        }
        Err(e) => Settled::with_error(classify(&e), e.to_string()),
    };
    sent.answered_at = Timestamp::now();
    sent.error = record(journal, settled.entry(&sent.key, number)).err();
    sent.settled = Some(settled);
    sent
}

/// How long before `now` the instant `at` was (zero if after it).
fn age(at: Timestamp, now: Timestamp) -> Duration {
    (*now.as_datetime() - *at.as_datetime())
        .to_std()
        .unwrap_or_default()
}

/// Rows `rows` of request `number`, planned again on their own (their
/// request lost its other rows to an earlier run); rows no longer valid
/// come back apart, as not sent with their rule.
fn replan(
    plan: &Plan,
    number: usize,
    rows: &[usize],
) -> (Vec<PlannedRequest>, Vec<(usize, Settled)>) {
    let part = super::plan::plan(
        plan.request_type.clone(),
        rows.iter().map(|&i| plan.rows[i].clone()),
        PlanLimits::default(),
    );
    let requests = part
        .requests
        .into_iter()
        .map(|mut request| {
            request.number = number;
            request.rows = request.rows.iter().map(|&j| rows[j]).collect();
            request
        })
        .collect();
    let refused = part
        .refused
        .into_iter()
        .map(|r| {
            let why = format!("{}: {}", r.rule, r.message);
            (
                rows[r.row],
                Settled::with_error(RequestResult::NotSent, why),
            )
        })
        .collect();
    (requests, refused)
}

/// `at`, less a margin for the skew between this machine's clock and the service's.
fn lookback(at: Timestamp) -> Timestamp {
    Timestamp::from(*at.as_datetime() - chrono::Duration::minutes(5))
}

fn lock<'a>(journal: &'a Mutex<Box<dyn Journal>>) -> std::sync::MutexGuard<'a, Box<dyn Journal>> {
    journal.lock().unwrap_or_else(|e| e.into_inner())
}

fn record(journal: &Mutex<Box<dyn Journal>>, entry: JournalEntry) -> Result<()> {
    lock(journal).record(&entry).map_err(journal_error)
}

fn journal_error(e: std::io::Error) -> Error {
    Error::config(format!("the bulk journal cannot be used: {e}"))
}

/// The run id: the caller's, else the journal's, else a new one.
fn run_id_of(given: Option<String>, entries: &[JournalEntry]) -> Result<String> {
    let from_journal = entries.iter().find_map(|e| match e {
        JournalEntry::Intent { key, .. } | JournalEntry::Outcome { key, .. } => {
            key.rsplit_once('/').map(|(run, _)| run.to_owned())
        }
        JournalEntry::Tenant { .. } | JournalEntry::ListingLag { .. } => None,
    });
    match (given, from_journal) {
        (Some(g), Some(j)) if g != j => Err(Error::config(format!(
            "the journal belongs to run {j:?}, not {g:?}"
        ))),
        (Some(g), _) => Ok(g),
        (None, Some(j)) => Ok(j),
        (None, None) => Ok(format!(
            "run-{:x}-{:04x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0),
            fastrand::u16(..)
        )),
    }
}

/// The request with its idempotency key in its `clientMetadata`.
fn keyed(mut request: PlannedRequest, key: &str) -> PlannedRequest {
    request
        .body
        .client_metadata
        .insert(KEY_METADATA.to_owned(), key.to_owned());
    request
}

/// `request` without the rows in `pending` that can be taken out; returns
/// it and the rows taken out (reported as skipped). A flat GRANT that loses
/// some rows becomes a per-identity request; a flat REVOKE or MODIFY loses an
/// item only when it is pending for every identity of the request, so no
/// row is ever dropped without being reported.
fn without_rows(
    plan: &Plan,
    request: &PlannedRequest,
    pending: &HashSet<usize>,
) -> (PlannedRequest, Vec<usize>) {
    let rows = &plan.rows;
    let mut out = request.clone();
    let mut removed = Vec::new();
    let is_grant = plan.request_type == AccessRequestType::GrantAccess;
    if out.body.requested_for_with_requested_items.is_none() && is_grant {
        // Flat grant: every row is (identity, item); rebuild per identity.
        let mut entries: Vec<RequestedForDtoRef> = Vec::new();
        for &i in &request.rows {
            if pending.contains(&i) {
                removed.push(i);
                continue;
            }
            let row = &rows[i];
            let item = row.nested_item();
            match entries.iter_mut().find(|e| e.identity_id == row.identity) {
                Some(entry) => entry.requested_items.push(item),
                None => entries.push(RequestedForDtoRef {
                    identity_id: row.identity.clone(),
                    identity_type: None,
                    requested_items: vec![item],
                }),
            }
        }
        if !removed.is_empty() {
            out.body.requested_for.clear();
            out.body.requested_items.clear();
            out.body.requested_for_with_requested_items = Some(entries);
        }
    } else if let Some(entries) = out.body.requested_for_with_requested_items.as_mut() {
        for &i in &request.rows {
            if !pending.contains(&i) {
                continue;
            }
            let row = &rows[i];
            if let Some(entry) = entries.iter_mut().find(|e| e.identity_id == row.identity) {
                entry
                    .requested_items
                    .retain(|it| !(it.id == row.item.id() && it.type_ == *row.item.item_type()));
                removed.push(i);
            }
        }
        entries.retain(|e| !e.requested_items.is_empty());
    } else {
        // Flat revoke or modify: an item goes only if pending for everyone.
        let identities = out.body.requested_for.clone();
        out.body.requested_items.retain(|item| {
            let carriers: Vec<usize> = request
                .rows
                .iter()
                .copied()
                .filter(|&i| {
                    rows[i].item.id() == item.id && *rows[i].item.item_type() == item.type_
                })
                .collect();
            let all_pending =
                carriers.len() == identities.len() && carriers.iter().all(|i| pending.contains(i));
            if all_pending {
                removed.extend(carriers);
            }
            !all_pending
        });
    }
    out.rows.retain(|i| !removed.contains(i));
    (out, removed)
}

/// Not acted on (to send again), refused, or unknown.
fn classify(e: &Error) -> RequestResult {
    let earlier = e.after_possible_delivery();
    match e.kind() {
        _ if e.before_send() && !earlier => RequestResult::NotSent,
        ErrorKind::Validation | ErrorKind::Configuration | ErrorKind::InvalidCredentials => {
            RequestResult::NotSent
        }
        // Answered before the service acted; unless an earlier attempt may
        // have reached it, nothing happened.
        ErrorKind::RateLimited if !earlier => RequestResult::NotSent,
        ErrorKind::ClientError
        | ErrorKind::Forbidden
        | ErrorKind::NotFound
        | ErrorKind::Unauthorized
            if !earlier =>
        {
            RequestResult::Failed
        }
        _ => RequestResult::Unknown,
    }
}

/// One walk of `query`, adding the access requests of each wanted key to `found`.
async fn walk_keys(
    query: &StatusQuery,
    wanted: &HashSet<String>,
    found: &mut HashMap<String, Vec<String>>,
    calls: &mut usize,
) -> Result<()> {
    let mut pages = query.pages();
    while let Some(page) = pages.try_next().await? {
        *calls += 1;
        for status in page.items {
            let Some(k) = status
                .client_metadata
                .as_ref()
                .and_then(|m| m.get(KEY_METADATA))
            else {
                continue;
            };
            if wanted.contains(k) {
                let ids = found.entry(k.clone()).or_default();
                if let Some(id) = &status.access_request_id {
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
            }
        }
    }
    Ok(())
}

/// Waits for the submitted rows to be terminal and fills their final states.
async fn wait_for(engine: &Engine, report: &mut BulkReport, deadline: Duration) -> Result<()> {
    let ids: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::Submitted)
        .flat_map(|r| r.access_request_ids.iter().cloned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut poller = Poller::new(
        deadline,
        Duration::from_millis(100),
        Duration::from_secs(30),
    );
    let query = StatusQuery::new(engine.clone());
    loop {
        let Some(polled) = poller.poll(query.of_requests(&ids, 100_000)).await else {
            report.wait_ran_out = true;
            return Ok(());
        };
        let (statuses, calls) = polled?;
        report.wait_calls += calls;
        let mut states: HashMap<(&str, &str, &str), &RequestedItemState> = HashMap::new();
        for s in &statuses {
            if let (Some(req), Some(item), Some(state)) = (&s.access_request_id, &s.id, &s.state) {
                for who in s.requested_for_ids() {
                    states.insert((req, who, item), state);
                }
            }
        }
        for row in report
            .rows
            .iter_mut()
            .filter(|r| r.outcome == RowOutcome::Submitted)
        {
            row.final_state = row
                .access_request_ids
                .iter()
                .find_map(|req| {
                    states.get(&(req.as_str(), row.identity.as_str(), row.item_id.as_str()))
                })
                .map(|state| (*state).clone());
        }
        let all_done = statuses.iter().all(RequestedItemStatus::is_terminal);
        let seen = report
            .rows
            .iter()
            .filter(|r| r.outcome == RowOutcome::Submitted)
            .all(|r| r.final_state.is_some());
        if all_done && seen {
            return Ok(());
        }
        if !poller.next().await {
            report.wait_ran_out = true;
            return Ok(());
        }
    }
}
