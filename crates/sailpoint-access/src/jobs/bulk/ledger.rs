//! What a journal says about a run, read by content: per idempotency key,
//! the request's fingerprint, its rows and the fate of its latest intent;
//! per row fingerprint, the best evidence any key gives about it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sailpoint_access_api::Timestamp;

use super::fingerprint;
use super::journal::{JournalEntry, JournaledRow, RequestResult};
use super::plan::Plan;

/// What came of one journaled request (or of one sent by this run).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Settled {
    pub(super) result: RequestResult,
    /// The access requests it created (when accepted).
    pub(super) access_request_ids: Vec<String>,
    /// Why, for the other results.
    pub(super) error: Option<String>,
}

impl Settled {
    pub(super) fn accepted(access_request_ids: Vec<String>) -> Self {
        Self {
            result: RequestResult::Accepted,
            access_request_ids,
            error: None,
        }
    }

    pub(super) fn with_error(result: RequestResult, error: impl Into<String>) -> Self {
        Self {
            result,
            access_request_ids: Vec::new(),
            error: Some(error.into()),
        }
    }

    pub(super) fn entry(&self, key: &str, request: usize) -> JournalEntry {
        JournalEntry::Outcome {
            key: key.to_owned(),
            request,
            result: self.result.clone(),
            access_request_ids: self.access_request_ids.clone(),
            error: self.error.clone(),
            at: Some(Timestamp::now()),
        }
    }
}

/// One idempotency key of the run, as the journal left it.
#[derive(Clone, Debug)]
pub(super) struct Journaled {
    pub(super) key: String,
    pub(super) number: usize,
    pub(super) fingerprint: String,
    pub(super) rows: Vec<JournaledRow>,
    /// The latest intent's time.
    pub(super) intent_at: Option<Timestamp>,
    /// What came of the latest intent, when known.
    pub(super) outcome: Option<Settled>,
}

impl Journaled {
    /// Sent, and neither its answer nor a conclusion recorded since.
    pub(super) fn is_open(&self) -> bool {
        self.intent_at.is_some()
            && self
                .outcome
                .as_ref()
                .is_none_or(|s| s.result == RequestResult::Unknown)
    }

    /// How strongly it speaks for its rows: accepted, then possibly
    /// accepted (open), then refused; never sent says nothing.
    fn rank(&self) -> u8 {
        if self.is_open() {
            return 2;
        }
        match self.outcome.as_ref().map(|s| &s.result) {
            Some(RequestResult::Accepted) => 3,
            Some(RequestResult::Failed) => 1,
            _ => 0,
        }
    }
}

/// The run's journal, by key and by row content.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    pub(super) records: Vec<Journaled>,
    /// Fingerprints of every key used, so a new content never reuses one.
    used: HashMap<String, String>,
    /// The longest listing lag recorded.
    pub(super) lag: Duration,
}

impl Ledger {
    /// Reads the entries of run `run_id`. An intent without a fingerprint
    /// (a journal written before them) stands for the plan's request with
    /// its number, as such journals always meant.
    pub(super) fn read(entries: &[JournalEntry], run_id: &str, plan: &Plan) -> Self {
        let mut ledger = Ledger::default();
        let mut index: HashMap<String, usize> = HashMap::new();
        let ours = |key: &str| key.rsplit_once('/').is_some_and(|(run, _)| run == run_id);
        for entry in entries {
            match entry {
                JournalEntry::Intent {
                    key,
                    request,
                    at,
                    fingerprint,
                    rows,
                } if ours(key) => {
                    let (fingerprint, rows) = match fingerprint {
                        Some(f) => (f.clone(), rows.clone()),
                        None => legacy_content(plan, *request),
                    };
                    let i = *index.entry(key.clone()).or_insert_with(|| {
                        ledger.records.push(Journaled {
                            key: key.clone(),
                            number: *request,
                            fingerprint: fingerprint.clone(),
                            rows: Vec::new(),
                            intent_at: None,
                            outcome: None,
                        });
                        ledger.records.len() - 1
                    });
                    let record = &mut ledger.records[i];
                    record.fingerprint = fingerprint;
                    record.rows = rows;
                    record.intent_at = Some(*at);
                    // The latest intent's fate is open again.
                    record.outcome = None;
                }
                JournalEntry::Outcome {
                    key,
                    result,
                    access_request_ids,
                    error,
                    ..
                } if ours(key) => {
                    if let Some(&i) = index.get(key) {
                        ledger.records[i].outcome = Some(Settled {
                            result: result.clone(),
                            access_request_ids: access_request_ids.clone(),
                            error: error.clone(),
                        });
                    }
                }
                JournalEntry::ListingLag { ms } => {
                    ledger.lag = ledger.lag.max(Duration::from_millis(*ms));
                }
                _ => {}
            }
        }
        for record in &ledger.records {
            ledger
                .used
                .insert(record.key.clone(), record.fingerprint.clone());
        }
        ledger
    }

    /// Per row fingerprint, the record that speaks most strongly for it.
    pub(super) fn best_by_row(&self) -> HashMap<&str, &Journaled> {
        let mut best: HashMap<&str, &Journaled> = HashMap::new();
        for record in &self.records {
            for row in &record.rows {
                let slot = best.entry(row.fingerprint.as_str()).or_insert(record);
                if record.rank() > slot.rank() {
                    *slot = record;
                }
            }
        }
        best
    }

    /// The open keys that are the best evidence for a row of `wanted`.
    pub(super) fn open_for(&self, wanted: &HashSet<&str>) -> Vec<usize> {
        let best = self.best_by_row();
        let mut open: Vec<usize> = Vec::new();
        for (i, record) in self.records.iter().enumerate() {
            let decides = record.is_open()
                && record.rows.iter().any(|r| {
                    wanted.contains(r.fingerprint.as_str())
                        && best
                            .get(r.fingerprint.as_str())
                            .is_some_and(|b| b.key == record.key)
                });
            if decides {
                open.push(i);
            }
        }
        open
    }

    /// The key for a request numbered `number` with content `fingerprint`:
    /// `RUN/NUMBER` unless that key already stands for other content, then
    /// `RUN/NUMBER-` and the fingerprint's first 12 hex digits.
    pub(super) fn key_for(&mut self, run_id: &str, number: usize, fingerprint: &str) -> String {
        let plain = format!("{run_id}/{number}");
        let key = match self.used.get(&plain) {
            Some(f) if f != fingerprint => format!("{plain}-{}", &fingerprint[..12]),
            _ => plain,
        };
        self.used.insert(key.clone(), fingerprint.to_owned());
        key
    }
}

/// What a fingerprint-less intent for request `number` stands for: that
/// request of the plan being resumed.
fn legacy_content(plan: &Plan, number: usize) -> (String, Vec<JournaledRow>) {
    match plan.requests.get(number) {
        Some(request) => (
            fingerprint::of_request(&request.body),
            journaled_rows(plan, &request.rows),
        ),
        None => (String::new(), Vec::new()),
    }
}

/// The journal's view of rows `rows` of `plan`.
pub(super) fn journaled_rows(plan: &Plan, rows: &[usize]) -> Vec<JournaledRow> {
    rows.iter()
        .map(|&i| {
            let row = &plan.rows[i];
            JournaledRow::new(
                fingerprint::of_row(&plan.request_type, row),
                row.identity.clone(),
                row.item.item_type().clone(),
                row.item.id(),
            )
        })
        .collect()
}
