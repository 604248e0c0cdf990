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
//! A line that does not parse (a write cut by a crash) is ignored: the
//! intent before it still says the request may have been sent.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

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
    },
}

/// Where a bulk run records its intents and outcomes; see the module docs.
/// `record` must not return before the entry is durable.
pub trait Journal: Send {
    /// Appends an entry durably.
    fn record(&mut self, entry: &JournalEntry) -> std::io::Result<()>;
    /// Every entry recorded so far, in order.
    fn entries(&self) -> std::io::Result<Vec<JournalEntry>>;
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
