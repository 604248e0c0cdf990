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

use super::journal::{Journal, JournalEntry, MemoryJournal, RequestResult};
use super::plan::{Plan, PlannedRequest};
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
    /// Already pending for the identity: not sent.
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
    /// Status list calls made to reconcile requests whose answer was lost.
    pub reconcile_calls: usize,
    /// Status list calls made while waiting.
    pub wait_calls: usize,
    /// The run waited and its deadline passed before every submitted item
    /// ended: a `final_state` that is not terminal is still pending.
    pub wait_ran_out: bool,
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

/// What came of one planned request.
#[derive(Clone, Debug, PartialEq)]
struct Settled {
    result: RequestResult,
    /// The access requests it created (when accepted).
    access_request_ids: Vec<String>,
    /// Why, for the other results.
    error: Option<String>,
}

impl Settled {
    fn accepted(access_request_ids: Vec<String>) -> Self {
        Self {
            result: RequestResult::Accepted,
            access_request_ids,
            error: None,
        }
    }

    fn entry(&self, key: &str, request: usize) -> JournalEntry {
        JournalEntry::Outcome {
            key: key.to_owned(),
            request,
            result: self.result.clone(),
            access_request_ids: self.access_request_ids.clone(),
            error: self.error.clone(),
        }
    }
}

/// What the journal says about one planned request.
#[derive(Clone, Debug, Default)]
struct Known {
    intent: bool,
    outcome: Option<Settled>,
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
            grace: Duration::from_secs(10),
            resend_unknown: false,
            wait: None,
        }
    }

    /// The run id (default: taken from the journal, or a new one).
    pub fn run_id(mut self, id: impl Into<String>) -> Self {
        self.run_id = Some(id.into());
        self
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

    /// Leave out rows already pending for their identity (default true),
    /// found with one walk of the executing requests.
    pub fn skip_pending(mut self, skip: bool) -> Self {
        self.skip_pending = skip;
        self
    }

    /// How long a request whose answer was lost is looked for in the
    /// statuses (default 10 s: the service lists new requests
    /// asynchronously). A request whose intent is older than this and whose
    /// key is still not listed was not received, and is sent again; so this
    /// must exceed the service's listing delay, the one assumption the
    /// exactly-once guarantee rests on.
    pub fn reconcile_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Send again a request whose answer was lost without waiting for the
    /// evidence (its key absent from the listing for the grace period): one
    /// look at the listing, then resend. Off by default: it may duplicate on
    /// a tenant that lists new requests late.
    pub fn resend_unknown(mut self, resend: bool) -> Self {
        self.resend_unknown = resend;
        self
    }

    /// After submitting, wait up to `deadline` for every submitted row to be
    /// terminal (batched status queries), and report final states.
    pub fn wait(mut self, deadline: Duration) -> Self {
        self.wait = Some(deadline);
        self
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
            grace,
            resend_unknown,
            wait,
        } = self;
        let mut run = Run {
            engine,
            plan,
            journal: Mutex::new(journal),
            settled: HashMap::new(),
            may_have_left: HashSet::new(),
            report: BulkReport::default(),
            run_id: String::new(),
            run_id_given: run_id,
            grace,
        };
        let mut skipped = HashMap::new();
        let phases = run.phases(&mut skipped, concurrency, skip_pending, resend_unknown);
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

/// A run under way: the phases of `BulkSubmit::send` read it and add to it.
struct Run {
    engine: Engine,
    plan: Plan,
    run_id: String,
    journal: Mutex<Box<dyn Journal>>,
    /// Per planned request, what came of it.
    settled: HashMap<usize, Settled>,
    /// Requests that may have reached the service without a settled
    /// outcome yet (an earlier intent, or sent by this run): if the run
    /// stops, they are `unknown`, never `not_sent`.
    may_have_left: HashSet<usize>,
    /// The caller's run id, checked against the journal's when the run starts.
    run_id_given: Option<String>,
    /// The call counts, filled as the phases go.
    report: BulkReport,
    grace: Duration,
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
        skipped: &mut HashMap<usize, String>,
        concurrency: usize,
        skip_pending: bool,
        resend_unknown: bool,
    ) -> Result<()> {
        let entries = lock(&self.journal).entries().map_err(journal_error)?;
        self.bind_tenant(&entries)?;
        self.run_id = run_id_of(self.run_id_given.take(), &entries)?;
        self.report.run_id = self.run_id.clone();
        let (mut to_send, to_reconcile) = self.triage(&entries);
        self.may_have_left.extend(to_reconcile.iter().copied());
        to_send.extend(
            self.reconcile_earlier(&entries, to_reconcile, resend_unknown)
                .await?,
        );
        if skip_pending {
            *skipped = self.skip_pending(&mut to_send).await?;
        }
        self.submit(to_send, concurrency).await
    }

    /// Triage by the journal: requests settled earlier are kept as they
    /// were, those that may have reached the service are to be looked up
    /// (returned second), the others are to be sent (returned first, keyed).
    fn triage(&mut self, entries: &[JournalEntry]) -> (Vec<PlannedRequest>, Vec<usize>) {
        let mut known: HashMap<usize, Known> = HashMap::new();
        for entry in entries {
            match entry {
                JournalEntry::Intent { key, request, .. } if key.starts_with(&self.run_id) => {
                    known.entry(*request).or_default().intent = true;
                }
                JournalEntry::Outcome {
                    key,
                    request,
                    result,
                    access_request_ids,
                    error,
                } if key.starts_with(&self.run_id) => {
                    known.entry(*request).or_default().outcome = Some(Settled {
                        result: result.clone(),
                        access_request_ids: access_request_ids.clone(),
                        error: error.clone(),
                    });
                }
                _ => {}
            }
        }
        let mut to_send = Vec::new();
        let mut to_reconcile = Vec::new();
        for request in &self.plan.requests {
            let number = request.number;
            match known.remove(&number) {
                Some(Known {
                    outcome: Some(settled),
                    ..
                }) => match settled.result {
                    RequestResult::Accepted | RequestResult::Failed => {
                        self.settled.insert(number, settled);
                    }
                    RequestResult::NotSent => to_send.push(keyed(request, &self.run_id)),
                    RequestResult::Unknown => to_reconcile.push(number),
                },
                Some(Known { intent: true, .. }) => to_reconcile.push(number),
                _ => to_send.push(keyed(request, &self.run_id)),
            }
        }
        (to_send, to_reconcile)
    }

    /// Looks up by key the requests an earlier invocation may have sent;
    /// returns those to send again.
    ///
    /// A request is sent again on evidence: its key is absent from the
    /// status listing although its intent is older than the grace period
    /// (which the listing was watched for). That rests on one assumption:
    /// the service lists an accepted request within the grace (10 s by
    /// default; `reconcile_grace`). `resend_unknown` sends them again
    /// without waiting for that evidence.
    async fn reconcile_earlier(
        &mut self,
        entries: &[JournalEntry],
        numbers: Vec<usize>,
        resend_unknown: bool,
    ) -> Result<Vec<PlannedRequest>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let since = entries
            .iter()
            .filter_map(|e| match e {
                JournalEntry::Intent { key, at, .. } if key.starts_with(&self.run_id) => Some(*at),
                _ => None,
            })
            .min();
        // The latest intent of each request: the one whose fate is open.
        let mut intent_at: HashMap<usize, Timestamp> = HashMap::new();
        for entry in entries {
            if let JournalEntry::Intent {
                key, request, at, ..
            } = entry
            {
                if key.starts_with(&self.run_id) {
                    intent_at.insert(*request, *at);
                }
            }
        }
        let grace = self.grace;
        if resend_unknown {
            // One look, no waiting for evidence.
            self.grace = Duration::ZERO;
        }
        let found = self.reconcile(&numbers, since.map(lookback)).await;
        self.grace = grace;
        let found = found?;
        let now = Timestamp::now();
        let absent_long_enough = |number: usize| {
            intent_at.get(&number).is_some_and(|at| {
                let age = (chrono::DateTime::from(now) - chrono::DateTime::from(*at))
                    .to_std()
                    .unwrap_or_default();
                age >= grace
            })
        };
        let mut resend = Vec::new();
        for number in numbers {
            match found.get(&key(&self.run_id, number)) {
                Some(ids) => self.settle(number, Settled::accepted(ids.clone()))?,
                None if resend_unknown || absent_long_enough(number) => {
                    resend.push(keyed(&self.plan.requests[number], &self.run_id))
                }
                None => {
                    let why = "sent earlier; no answer recorded and no status found";
                    self.settled.insert(
                        number,
                        Settled {
                            result: RequestResult::Unknown,
                            access_request_ids: Vec::new(),
                            error: Some(why.to_owned()),
                        },
                    );
                }
            }
        }
        Ok(resend)
    }

    /// Leaves out of `to_send` the rows already pending for their identity
    /// (one walk of the pending index); returns them with the access
    /// request they are pending in.
    async fn skip_pending(
        &mut self,
        to_send: &mut Vec<PlannedRequest>,
    ) -> Result<HashMap<usize, String>> {
        let mut skipped = HashMap::new();
        if to_send.is_empty() {
            return Ok(skipped);
        }
        let rows = &self.plan.rows;
        let identities: HashSet<&str> = to_send
            .iter()
            .flat_map(|r| r.rows.iter().map(|&i| rows[i].identity.as_str()))
            .collect();
        let pending =
            PendingIndex::load(&self.engine, &self.plan.request_type, &identities).await?;
        self.report.dedupe_calls += pending.calls;
        let mut matched: HashMap<usize, String> = HashMap::new();
        for request in to_send.iter() {
            for &i in &request.rows {
                let row = &self.plan.rows[i];
                if let Some(status) = pending
                    .find(&row.identity, row.item.item_type(), row.item.id())
                    .first()
                {
                    matched.insert(i, status.access_request_id.clone().unwrap_or_default());
                }
            }
        }
        if matched.is_empty() {
            return Ok(skipped);
        }
        let candidates: HashSet<usize> = matched.keys().copied().collect();
        for request in to_send.iter_mut() {
            let (trimmed, removed) = without_pending(&self.plan, request, &candidates);
            for i in removed {
                skipped.insert(i, matched[&i].clone());
            }
            *request = trimmed;
        }
        to_send.retain(|r| !r.rows.is_empty());
        Ok(skipped)
    }

    /// Sends the requests, `concurrency` at a time, each intent durable
    /// before its request leaves; answers lost on the way are looked up once
    /// more before they are called unknown.
    async fn submit(&mut self, to_send: Vec<PlannedRequest>, concurrency: usize) -> Result<()> {
        let since = Timestamp::now();
        let handle = AccessRequests::new(self.engine.clone());
        let journal = &self.journal;
        let run_id = self.run_id.as_str();
        let answers: Vec<Sent> = stream::iter(to_send)
            .map(|request| send_one(handle.clone(), journal, run_id, request))
            .buffer_unordered(concurrency)
            .collect()
            .await;
        // Every answer is kept, even when one of them failed to be journaled:
        // what was sent must be reported.
        let mut stopped = None;
        let mut sent = Vec::new();
        for answer in answers {
            if answer.left {
                self.may_have_left.insert(answer.number);
            }
            if let Some(settled) = answer.settled {
                sent.push((answer.number, settled));
            }
            if let Some(error) = answer.error {
                stopped.get_or_insert(error);
            }
        }
        // Only what left the client counts as sent.
        self.report.requests_sent = sent
            .iter()
            .filter(|(_, settled)| settled.result != RequestResult::NotSent)
            .count();
        if let Some(error) = stopped {
            self.settled.extend(sent);
            return Err(error);
        }
        let lost: Vec<usize> = sent
            .iter()
            .filter(|(_, settled)| settled.result == RequestResult::Unknown)
            .map(|(number, _)| *number)
            .collect();
        self.settled.extend(sent);
        if lost.is_empty() {
            return Ok(());
        }
        let found = self.reconcile(&lost, Some(lookback(since))).await?;
        for number in lost {
            if let Some(ids) = found.get(&key(&self.run_id, number)) {
                self.settle(number, Settled::accepted(ids.clone()))?;
            }
        }
        Ok(())
    }

    /// The report, one line per row of the plan.
    fn report(&mut self, skipped: &HashMap<usize, String>) -> BulkReport {
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
                outcome: match carrier.get(&i) {
                    Some(n) if self.may_have_left.contains(n) => RowOutcome::Unknown,
                    _ => RowOutcome::NotSent,
                },
                request: carrier.get(&i).copied(),
                access_request_ids: vec![],
                detail: None,
                final_state: None,
            };
            if let Some(why) = refused.get(&i) {
                line.outcome = RowOutcome::Refused;
                line.detail = Some(why.clone());
            } else if let Some(id) = skipped.get(&i) {
                line.outcome = RowOutcome::Skipped;
                line.access_request_ids = vec![id.clone()];
                line.detail = Some(format!("already pending in access request {id}"));
            } else if let Some(settled) = line.request.and_then(|n| self.settled.get(&n)) {
                line.outcome = match settled.result {
                    RequestResult::Accepted => RowOutcome::Submitted,
                    RequestResult::Failed => RowOutcome::Failed,
                    RequestResult::NotSent => RowOutcome::NotSent,
                    RequestResult::Unknown => RowOutcome::Unknown,
                };
                line.access_request_ids = settled.access_request_ids.clone();
                line.detail = settled.error.clone();
            }
            report.rows.push(line);
        }
        report
    }

    /// Records what came of request `number` and keeps it.
    fn settle(&mut self, number: usize, settled: Settled) -> Result<()> {
        record(
            &self.journal,
            settled.entry(&key(&self.run_id, number), number),
        )?;
        self.settled.insert(number, settled);
        Ok(())
    }

    /// Looks the keys of `numbers` up in the statuses' `clientMetadata`, for
    /// up to the grace period; returns key → access request ids.
    async fn reconcile(
        &mut self,
        numbers: &[usize],
        since: Option<Timestamp>,
    ) -> Result<HashMap<String, Vec<String>>> {
        let wanted: HashSet<String> = numbers.iter().map(|n| key(&self.run_id, *n)).collect();
        let mut query = StatusQuery::new(self.engine.clone())
            .requested_by("me")
            .sort_desc(StatusSort::Created);
        // Only what was created since the earliest intent: the walk's cost
        // follows the run, not the tenant's history.
        if let Some(since) = since {
            query = query.filter(Filter::created().ge(since));
        }
        let every = (self.grace / 5).clamp(Duration::from_millis(20), Duration::from_secs(2));
        let mut poller = Poller::new(self.grace, every, every);
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        let calls = &mut self.report.reconcile_calls;
        loop {
            if let Some(walked) = poller
                .poll(walk_keys(&query, &wanted, &mut found, calls))
                .await
            {
                walked?;
            }
            if found.len() == wanted.len() || !poller.next().await {
                return Ok(found);
            }
        }
    }
}

/// Sends one request: its intent recorded first, its outcome after.
/// What came of sending one planned request.
struct Sent {
    number: usize,
    /// Its intent was journaled, so it may have left.
    left: bool,
    /// The answer, when the request was sent.
    settled: Option<Settled>,
    /// A journal failure, before sending or after the answer.
    error: Option<Error>,
}

async fn send_one(
    handle: AccessRequests,
    journal: &Mutex<Box<dyn Journal>>,
    run_id: &str,
    request: PlannedRequest,
) -> Sent {
    let number = request.number;
    let key = key(run_id, number);
    let intent = JournalEntry::Intent {
        key: key.clone(),
        request: number,
        at: Timestamp::now(),
    };
    if let Err(error) = record(journal, intent) {
        // Never sent without a durable intent.
        return Sent {
            number,
            left: false,
            settled: None,
            error: Some(error),
        };
    }
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
        Err(e) => Settled {
            result: classify(&e),
            access_request_ids: Vec::new(),
            error: Some(e.to_string()),
        },
    };
    let error = record(journal, settled.entry(&key, number)).err();
    Sent {
        number,
        left: true,
        settled: Some(settled),
        error,
    }
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

fn key(run_id: &str, number: usize) -> String {
    format!("{run_id}/{number}")
}

/// The run id: the caller's, else the journal's, else a new one.
fn run_id_of(given: Option<String>, entries: &[JournalEntry]) -> Result<String> {
    let from_journal = entries.iter().find_map(|e| match e {
        JournalEntry::Intent { key, .. } | JournalEntry::Outcome { key, .. } => {
            key.rsplit_once('/').map(|(run, _)| run.to_owned())
        }
        JournalEntry::Tenant { .. } => None,
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
fn keyed(request: &PlannedRequest, run_id: &str) -> PlannedRequest {
    let mut keyed = request.clone();
    keyed
        .body
        .client_metadata
        .insert(KEY_METADATA.to_owned(), key(run_id, request.number));
    keyed
}

/// `request` without the rows in `pending` that can be taken out; returns
/// it and the rows taken out (reported as skipped). A flat GRANT that loses
/// some rows becomes a per-identity request; a flat REVOKE or MODIFY loses an
/// item only when it is pending for every identity of the request, so no
/// row is ever dropped without being reported.
fn without_pending(
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
