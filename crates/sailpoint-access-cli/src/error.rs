//! Errors of the command line: one line, and the exit code it maps to.

use std::fmt;

use sailpoint_access::ErrorKind;

/// Everything was done.
pub const OK: u8 = 0;
/// A failure.
pub const FAILURE: u8 = 1;
/// A usage error.
pub const USAGE: u8 = 2;
/// Some of the work failed or ended unknown.
pub const PARTIAL: u8 = 3;

/// An error to print on stderr as one line, with its exit code.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub code: u8,
    /// The line.
    pub message: String,
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            message: message.into(),
        }
    }

    /// A failure (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            code: FAILURE,
            message: message.into(),
        }
    }
}

impl CliError {
    /// The reader of stdout went away (`| head`): that is the reader's
    /// choice, so the command stops, prints nothing more and exits 0.
    pub fn closed_output() -> Self {
        Self {
            code: OK,
            message: String::new(),
        }
    }

    /// Whether this ends the command without a message (see
    /// [`closed_output`](Self::closed_output)).
    pub fn is_quiet(&self) -> bool {
        self.code == OK
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<sailpoint_access::Error> for CliError {
    fn from(e: sailpoint_access::Error) -> Self {
        // The library's Display is one line and never carries a secret.
        let code = match e.kind() {
            ErrorKind::Validation | ErrorKind::Configuration => USAGE,
            _ => FAILURE,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Self::closed_output();
        }
        Self::failure(format!("i/o error: {e}"))
    }
}

/// The result of a command: its exit code.
pub type CliResult = Result<u8, CliError>;
