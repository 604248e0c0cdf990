//! The journal of a bulk run: what was about to be sent, and what came of it.
//!
//! ## Format (`JsonlJournal`)
//! An append-only file, one JSON object per line, each written and flushed
//! to disk (`fsync`) before the client goes on:
//! - `{"type":"intent","key":"RUN/7","request":7,"at":"2026-12-01T20:00:00Z"}`
//!   before request 7 of run `RUN` is sent;
//! - `{"type":"outcome","key":"RUN/7","request":7,"result":"accepted","accessRequestIds":[...]}`
//!   after, with `result` one of `accepted`, `not_sent` (certainly never
//!   reached the service), `failed` (refused by the service) or `unknown`
//!   (sent, answer lost), and an `error` text for the last three.
//!
//! - `{"type":"tenant","baseUrl":"https://acme.api.identitynow.com","client":"2c91..."}`
//!   first, binding the journal to the tenant and the client id that ran it:
//!   resuming against another is refused.
//!
//! An intent also carries the `fingerprint` of the request's content and
//! its `rows` (each with its own fingerprint, identity and item; see
//! [`fingerprint`](super::fingerprint) for the definition), so a resume
//! recognises what was sent by content, not by position: a changed plan
//! resumed on its journal sends only new or changed rows. An outcome may
//! carry `at`, when it was known; a `{"type":"listing_lag","ms":1500}` line
//! records the longest time seen between an answer and its key being
//! listed in the statuses, from which resumes size their grace period.
//! A resume's conclusions are outcomes too: a key found in the listing is
//! `accepted`; a key absent past the grace is `not_sent` (and its request
//! sent again), so the next resume does not wait for it again.
//!
//! Journals written before fingerprints (intents without `fingerprint`)
//! are still read, with their old meaning: an intent stands for the request
//! with the same number in the plan being resumed, which must therefore be
//! the same plan.
//!
//! A line that does not parse (a write cut by a crash) is ignored: the
//! intent before it still says the request may have been sent.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use sailpoint_access_api::types::AccessItemType;
use sailpoint_access_api::Timestamp;
use serde::{Deserialize, Serialize};

/// What became of one planned request, as the journal records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestResult {
    /// The service accepted it.
    Accepted,
    /// It certainly never reached the service: sending it again is safe.
    NotSent,
    /// The service refused it.
    Failed,
    /// It was sent and no answer was recorded.
    Unknown,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JournalEntry {
    /// The tenant and caller the run talks to (first in the journal).
    Tenant {
        /// The tenant's base URL.
        #[serde(rename = "baseUrl")]
        base_url: String,
        /// The client id, or `static token`.
        client: String,
    },
    /// About to send request `request`, with idempotency key `key`.
    Intent {
        /// `RUN/NUMBER`.
        key: String,
        /// The request's number in the plan.
        request: usize,
        /// When (written in RFC 3339).
        at: Timestamp,
        /// The fingerprint of the request's content (absent in journals
        /// written before fingerprints).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fingerprint: Option<String>,
        /// The rows the request carries.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rows: Vec<JournaledRow>,
    },
    /// What came of it.
    Outcome {
        /// `RUN/NUMBER`.
        key: String,
        /// The request's number in the plan.
        request: usize,
        /// The result.
        result: RequestResult,
        /// The access requests created (when accepted).
        #[serde(
            rename = "accessRequestIds",
            default,
            skip_serializing_if = "Vec::is_empty"
        )]
        access_request_ids: Vec<String>,
        /// Why, for the other results.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// When the result was known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Timestamp>,
    },
    /// The longest time seen from an accepted answer (or, for a lost one,
    /// its intent) to its key being listed in the statuses.
    ListingLag {
        /// Milliseconds.
        ms: u64,
    },
}

/// One row of a journaled request: enough to recognise it in a later plan
/// (its fingerprint) and to report it if it left the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JournaledRow {
    /// The row's fingerprint.
    pub fingerprint: String,
    /// The identity.
    pub identity: String,
    /// The item's type.
    pub item_type: AccessItemType,
    /// The item's id.
    pub item_id: String,
}

impl JournaledRow {
    /// A journaled row.
    pub fn new(
        fingerprint: impl Into<String>,
        identity: impl Into<String>,
        item_type: AccessItemType,
        item_id: impl Into<String>,
    ) -> Self {
        Self {
            fingerprint: fingerprint.into(),
            identity: identity.into(),
            item_type,
            item_id: item_id.into(),
        }
    }
}

/// Where a bulk run records its intents and outcomes; see the module docs.
/// `record` must not return before the entry is durable.
pub trait Journal: Send {
    /// Appends an entry durably.
    fn record(&mut self, entry: &JournalEntry) -> std::io::Result<()>;
    /// Every entry recorded so far, in order.
    fn entries(&self) -> std::io::Result<Vec<JournalEntry>>;
    /// Whether a later run can read it back (default true). A run whose
    /// journal is not durable skips the work done only for a resume
    /// (measuring the listing's lag).
    fn is_durable(&self) -> bool {
        true
    }
}

/// The default journal: an append-only JSON-lines file.
#[derive(Debug)]
pub struct JsonlJournal {
    path: PathBuf,
    file: File,
}

impl JsonlJournal {
    /// Opens (or creates) the journal at `path`, for appending.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self { path, file })
    }
}

impl Journal for JsonlJournal {
    fn record(&mut self, entry: &JournalEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }

    fn entries(&self) -> std::io::Result<Vec<JournalEntry>> {
        let file = File::open(&self.path)?;
        let mut out = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line?;
            if let Ok(entry) = serde_json::from_str(&line) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}

/// A journal in memory, for tests and for runs that need no resume.
#[derive(Debug, Default)]
pub struct MemoryJournal(Vec<JournalEntry>);

impl Journal for MemoryJournal {
    fn record(&mut self, entry: &JournalEntry) -> std::io::Result<()> {
        self.0.push(entry.clone());
        Ok(())
    }

    fn entries(&self) -> std::io::Result<Vec<JournalEntry>> {
        Ok(self.0.clone())
    }

    fn is_durable(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_reads_and_writes_its_time_as_rfc_3339() {
        // As journals have always been written, milliseconds or not.
        for (line, at) in [
            (
                r#"{"type":"intent","key":"RUN/7","request":7,"at":"2026-12-01T20:00:00Z"}"#,
                "2026-12-01T20:00:00Z",
            ),
            (
                r#"{"type":"intent","key":"RUN/7","request":7,"at":"2026-12-01T20:00:00.250Z"}"#,
                "2026-12-01T20:00:00.250Z",
            ),
        ] {
            let entry: JournalEntry = serde_json::from_str(line).unwrap();
            let JournalEntry::Intent { at: read, .. } = &entry else {
                panic!("{entry:?}");
            };
            assert_eq!(*read, at.parse::<Timestamp>().unwrap());
            assert_eq!(serde_json::to_string(&entry).unwrap(), line);
        }
        // A time that does not parse makes the line unreadable, like a cut line.
        let bad = r#"{"type":"intent","key":"RUN/7","request":7,"at":"yesterday"}"#;
        assert!(serde_json::from_str::<JournalEntry>(bad).is_err());
    }
}
