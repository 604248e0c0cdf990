//! Running a plan: skip what is pending, pace, journal, submit, reconcile,
//! wait, report. A planned request is never accepted twice: it is sent only
//! when the journal shows it was never sent, or said so for certain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use sailpoint_access_api::types::{
    AccessRequestType, RequestStateFilter, RequestedForDtoRef, RequestedForIdentities,
    RequestedItemDtoRef, RequestedItemStatus,
};
use sailpoint_access_api::Timestamp;
use serde::Serialize;

use super::journal::{Journal, JournalEntry, MemoryJournal, RequestResult};
use super::plan::{Plan, PlannedRequest};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::access_requests::AccessRequests;
use crate::ops::statuses::filter::Filter;
use crate::ops::statuses::{is_terminal, StatusQuery};

/// The request-level `clientMetadata` key holding a request's idempotency key.
pub const KEY_METADATA: &str = "sailpointAccessKey";

/// How a row ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
    /// Its request was sent and neither its answer nor its statuses were
    /// found: reported rather than risk a duplicate.
    Unknown,
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
    pub item_type: String,
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
    /// The item's state after waiting, when the run waited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_state: Option<String>,
}

/// The outcome of a bulk run, per row and in total; serialisable as JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BulkReport {
    /// The run id (the first half of every idempotency key).
    pub run_id: String,
    /// Every row of the plan, in order.
    pub rows: Vec<RowReport>,
    /// Rows per outcome.
    pub totals: BTreeMap<String, usize>,
    /// Requests sent by this invocation.
    pub requests_sent: usize,
    /// Status list calls made to find pending items.
    pub dedupe_calls: usize,
    /// Status list calls made to reconcile requests whose answer was lost.
    pub reconcile_calls: usize,
    /// Status list calls made while waiting.
    pub wait_calls: usize,
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

/// What came of one request: its result, the access requests, the error.
type Settled = (RequestResult, Vec<String>, Option<String>);

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
    /// statuses before it is reported unknown (default 10 s: the service
    /// lists new requests asynchronously).
    pub fn reconcile_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Send again a request whose answer was lost and whose statuses were
    /// not found within the grace period. Off by default: it may duplicate.
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
    pub async fn send(self) -> Result<BulkReport> {
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
        let journal = Mutex::new(journal);
        let entries = lock(&journal).entries().map_err(journal_error)?;
        let run_id = run_id_of(run_id, &entries)?;
        let mut known: HashMap<usize, Known> = HashMap::new();
        for entry in &entries {
            match entry {
                JournalEntry::Intent { key, request, .. } if key.starts_with(&run_id) => {
                    known.entry(*request).or_default().intent = true;
                }
                JournalEntry::Outcome {
                    key,
                    request,
                    result,
                    access_request_ids,
                    error,
                } if key.starts_with(&run_id) => {
                    known.entry(*request).or_default().outcome =
                        Some((result.clone(), access_request_ids.clone(), error.clone()));
                }
                _ => {}
            }
        }
        let mut report = BulkReport {
            run_id: run_id.clone(),
            ..Default::default()
        };
        let mut results: HashMap<usize, Settled> = HashMap::new();
        let mut to_send: Vec<PlannedRequest> = Vec::new();
        let mut to_reconcile: Vec<usize> = Vec::new();
        for request in &plan.requests {
            match known.get(&request.number) {
                Some(Known {
                    outcome: Some(settled @ (RequestResult::Accepted | RequestResult::Failed, ..)),
                    ..
                }) => {
                    results.insert(request.number, settled.clone());
                }
                Some(Known {
                    outcome: Some((RequestResult::NotSent, ..)),
                    ..
                })
                | None => {
                    to_send.push(keyed(request, &run_id));
                }
                Some(
                    Known { intent: true, .. }
                    | Known {
                        outcome: Some((RequestResult::Unknown, ..)),
                        ..
                    },
                ) => {
                    to_reconcile.push(request.number);
                }
                Some(_) => to_send.push(keyed(request, &run_id)),
            }
        }

        // Requests that may have reached the service: look them up by key.
        if !to_reconcile.is_empty() {
            let since = entries
                .iter()
                .filter_map(|e| match e {
                    JournalEntry::Intent { key, at, .. } if key.starts_with(&run_id) => {
                        chrono::DateTime::parse_from_rfc3339(at).ok()
                    }
                    _ => None,
                })
                .min()
                .map(|at| at.with_timezone(&chrono::Utc));
            let found = reconcile(
                &engine,
                &run_id,
                &to_reconcile,
                since.map(lookback),
                grace,
                &mut report.reconcile_calls,
            )
            .await?;
            for number in to_reconcile {
                let key = key(&run_id, number);
                match found.get(&key) {
                    Some(ids) => {
                        record(
                            &journal,
                            outcome(&key, number, RequestResult::Accepted, ids.clone(), None),
                        )?;
                        results.insert(number, (RequestResult::Accepted, ids.clone(), None));
                    }
                    None if resend_unknown => to_send.push(keyed(&plan.requests[number], &run_id)),
                    None => {
                        let why =
                            Some("sent earlier; no answer recorded and no status found".to_owned());
                        results.insert(number, (RequestResult::Unknown, vec![], why));
                    }
                }
            }
        }

        // Rows already pending for their identity are left out of what is sent.
        let mut skipped: HashMap<usize, String> = HashMap::new();
        if skip_pending && !to_send.is_empty() {
            let pending = pending_items(&engine, &mut report.dedupe_calls).await?;
            let mut matched: HashMap<usize, String> = HashMap::new();
            for request in &to_send {
                for &i in &request.rows {
                    let row = &plan.rows[i];
                    let probe = (
                        row.identity.clone(),
                        row.item_type.as_str().to_owned(),
                        row.item_id.clone(),
                    );
                    if let Some(id) = pending.get(&probe) {
                        matched.insert(i, id.clone());
                    }
                }
            }
            if !matched.is_empty() {
                let candidates: HashSet<usize> = matched.keys().copied().collect();
                for request in &mut to_send {
                    let (trimmed, removed) = without_pending(&plan, request, &candidates);
                    for i in removed {
                        skipped.insert(i, matched[&i].clone());
                    }
                    *request = trimmed;
                }
                to_send.retain(|r| !r.rows.is_empty());
            }
        }

        // Submit, each intent durable before its request leaves.
        let submitting_since = chrono::Utc::now();
        let handle = AccessRequests::new(engine.clone());
        let sent: Vec<(usize, Settled)> = stream::iter(to_send)
            .map(|request| {
                let handle = handle.clone();
                let journal = &journal;
                let run_id = &run_id;
                async move {
                    let key = key(run_id, request.number);
                    let intent = JournalEntry::Intent {
                        key: key.clone(),
                        request: request.number,
                        at: Timestamp::now().to_string(),
                    };
                    record(journal, intent)?;
                    let result = match handle.submit(request.body.clone()).await {
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
                            (RequestResult::Accepted, ids, None)
                        }
                        Err(e) => (classify(&e), vec![], Some(e.to_string())),
                    };
                    record(
                        journal,
                        outcome(
                            &key,
                            request.number,
                            result.0.clone(),
                            result.1.clone(),
                            result.2.clone(),
                        ),
                    )?;
                    Ok((request.number, result))
                }
            })
            .buffer_unordered(concurrency)
            .collect::<Vec<Result<_>>>()
            .await
            .into_iter()
            .collect::<Result<_>>()?;
        report.requests_sent = sent.len();
        let mut lost = Vec::new();
        for (number, result) in sent {
            if result.0 == RequestResult::Unknown {
                lost.push(number);
            }
            results.insert(number, result);
        }
        // Answers lost in this run: look once more before calling them unknown.
        if !lost.is_empty() {
            let found = reconcile(
                &engine,
                &run_id,
                &lost,
                Some(lookback(submitting_since)),
                grace,
                &mut report.reconcile_calls,
            )
            .await?;
            for number in lost {
                let key = key(&run_id, number);
                if let Some(ids) = found.get(&key) {
                    record(
                        &journal,
                        outcome(&key, number, RequestResult::Accepted, ids.clone(), None),
                    )?;
                    results.insert(number, (RequestResult::Accepted, ids.clone(), None));
                }
            }
        }

        // The report, per row.
        let mut carrier: HashMap<usize, usize> = HashMap::new();
        for request in &plan.requests {
            for &row in &request.rows {
                carrier.insert(row, request.number);
            }
        }
        let refused: HashMap<usize, String> = plan
            .refused
            .iter()
            .map(|r| (r.row, format!("{}: {}", r.rule, r.message)))
            .collect();
        for (i, row) in plan.rows.iter().enumerate() {
            let mut line = RowReport {
                row: i,
                identity: row.identity.clone(),
                item_type: row.item_type.as_str().to_owned(),
                item_id: row.item_id.clone(),
                outcome: RowOutcome::Unknown,
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
            } else if let Some((result, ids, error)) = line.request.and_then(|n| results.get(&n)) {
                line.outcome = match result {
                    RequestResult::Accepted => RowOutcome::Submitted,
                    RequestResult::Failed | RequestResult::NotSent => RowOutcome::Failed,
                    RequestResult::Unknown => RowOutcome::Unknown,
                };
                line.access_request_ids = ids.clone();
                line.detail = error.clone();
            }
            report.rows.push(line);
        }
        if let Some(deadline) = wait {
            wait_for(&engine, &mut report, deadline).await?;
        }
        for row in &report.rows {
            let name = serde_json::to_value(row.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            *report.totals.entry(name).or_default() += 1;
        }
        Ok(report)
    }
}

/// `at`, less a margin for the skew between this machine's clock and the service's.
fn lookback(at: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp::from(at - chrono::Duration::minutes(5))
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

fn outcome(
    key: &str,
    request: usize,
    result: RequestResult,
    access_request_ids: Vec<String>,
    error: Option<String>,
) -> JournalEntry {
    JournalEntry::Outcome {
        key: key.to_owned(),
        request,
        result,
        access_request_ids,
        error,
    }
}

/// The run id: the caller's, else the journal's, else a new one.
fn run_id_of(given: Option<String>, entries: &[JournalEntry]) -> Result<String> {
    let from_journal = entries.iter().find_map(|e| match e {
        JournalEntry::Intent { key, .. } | JournalEntry::Outcome { key, .. } => {
            key.rsplit_once('/').map(|(run, _)| run.to_owned())
        }
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
            let item = RequestedItemDtoRef {
                id: row.item_id.clone(),
                type_: row.item_type.clone(),
                account_selection: None,
                client_metadata: row.metadata.clone().into_iter().collect(),
                comment: row.comment.clone(),
                form_instance_id: None,
                native_identity: None,
                remove_date: row.remove_date,
                start_date: row.start_date,
            };
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
                    .retain(|it| !(it.id == row.item_id && it.type_ == row.item_type));
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
                .filter(|&i| rows[i].item_id == item.id && rows[i].item_type == item.type_)
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

/// Sent and certainly not acted on, refused, or unknown.
fn classify(e: &Error) -> RequestResult {
    match e.kind() {
        _ if e.before_send() && !e.after_possible_delivery() => RequestResult::NotSent,
        ErrorKind::Validation | ErrorKind::Configuration | ErrorKind::InvalidCredentials => {
            RequestResult::NotSent
        }
        ErrorKind::ClientError
        | ErrorKind::Forbidden
        | ErrorKind::NotFound
        | ErrorKind::Unauthorized
        | ErrorKind::RateLimited => RequestResult::Failed,
        _ => RequestResult::Unknown,
    }
}

/// The identities a status is for.
fn identities(status: &RequestedItemStatus) -> Vec<String> {
    match &status.requested_for {
        Some(RequestedForIdentities::One(one)) => one.id.clone().into_iter().collect(),
        Some(RequestedForIdentities::Many(many)) => {
            many.iter().filter_map(|r| r.id.clone()).collect()
        }
        None => Vec::new(),
    }
}

/// Pending (identity, item type, item id) → access request id, from one walk
/// of the executing requests.
async fn pending_items(
    engine: &Engine,
    calls: &mut usize,
) -> Result<HashMap<(String, String, String), String>> {
    let mut pages = StatusQuery::new(engine.clone())
        .request_state(RequestStateFilter::Executing)
        .pages();
    let mut out = HashMap::new();
    while let Some(page) = pages.try_next().await? {
        *calls += 1;
        for status in page.items {
            if status.state.as_ref().is_some_and(is_terminal) {
                continue;
            }
            let (Some(id), Some(kind)) = (status.id.clone(), status.type_.as_ref()) else {
                continue;
            };
            let request = status.access_request_id.clone().unwrap_or_default();
            for who in identities(&status) {
                out.insert((who, kind.as_str().to_owned(), id.clone()), request.clone());
            }
        }
    }
    Ok(out)
}

/// Looks the keys of `numbers` up in the statuses' `clientMetadata`, for up
/// to `grace`; returns key → access request ids.
async fn reconcile(
    engine: &Engine,
    run_id: &str,
    numbers: &[usize],
    since: Option<Timestamp>,
    grace: Duration,
    calls: &mut usize,
) -> Result<HashMap<String, Vec<String>>> {
    let wanted: HashSet<String> = numbers.iter().map(|n| key(run_id, *n)).collect();
    let started = Instant::now();
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    loop {
        let mut query = StatusQuery::new(engine.clone())
            .requested_by("me")
            .sort_desc(crate::ops::statuses::StatusSort::Created);
        // Only what was created since the earliest intent: the walk's cost
        // follows the run, not the tenant's history.
        if let Some(since) = &since {
            query = query.filter(Filter::created().ge(*since));
        }
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
        if found.len() == wanted.len() || started.elapsed() >= grace {
            return Ok(found);
        }
        tokio::time::sleep((grace / 5).clamp(Duration::from_millis(20), Duration::from_secs(2)))
            .await;
    }
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
    let started = Instant::now();
    let mut interval = Duration::from_millis(100);
    let query = StatusQuery::new(engine.clone());
    loop {
        let (statuses, calls) = query.of_requests(&ids, 100_000).await?;
        report.wait_calls += calls;
        let mut states: HashMap<(String, String, String), String> = HashMap::new();
        let mut all_done = true;
        for s in &statuses {
            let done = s.state.as_ref().is_some_and(is_terminal);
            all_done &= done;
            let state = s
                .state
                .as_ref()
                .map_or("unknown", |st| st.as_str())
                .to_owned();
            for who in identities(s) {
                if let (Some(req), Some(item)) = (&s.access_request_id, &s.id) {
                    states.insert((req.clone(), who, item.clone()), state.clone());
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
                    states.get(&(req.clone(), row.identity.clone(), row.item_id.clone()))
                })
                .cloned();
        }
        let seen = report
            .rows
            .iter()
            .filter(|r| r.outcome == RowOutcome::Submitted)
            .all(|r| r.final_state.is_some());
        if (all_done && seen) || started.elapsed() + interval > deadline {
            return Ok(());
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(30));
    }
}
