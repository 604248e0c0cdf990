//! What is known about each operation, as data: the generated
//! [`operations`](crate::operations) table fills these in from the spec, so the
//! facade's transport and the sandbox's router never keep a copy of their own.

use std::fmt;

/// Whether an operation may be sent again after an attempt that may have
/// reached the server (a lost response, a timeout, a 5xx).
///
/// Recorded in the spec as `x-replay` on each operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Replay {
    /// Sending it twice has the effect of sending it once (reads, replacing a document).
    Safe,
    /// Never replayed once it may have reached the server: the service does
    /// not de-duplicate, so a replay could act twice (submitting a request).
    NotAfterSend,
    /// Replayed, and an answer saying the work was already done (a cancel
    /// answered "already cancelled") counts as success for a replay.
    SafeAlreadyDone,
}

impl Replay {
    /// The spec's spelling (`safe`, `not-after-send`, `safe-already-done`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Replay::Safe => "safe",
            Replay::NotAfterSend => "not-after-send",
            Replay::SafeAlreadyDone => "safe-already-done",
        }
    }
}

/// One operation of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's `operationId`, such as `createAccessRequest`.
    pub id: &'static str,
    /// The same in snake case, as used in logs and errors (`create_access_request`).
    pub name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path below the tenant's base URL, such as `/v3/access-requests`.
    pub path: &'static str,
    /// The status the generated client decodes as success.
    pub success: u16,
    /// Whether and how it may be replayed.
    pub replay: Replay,
    /// Whether the vendor marks it deprecated.
    pub deprecated: bool,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
