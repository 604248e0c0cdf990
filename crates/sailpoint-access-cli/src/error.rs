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
        // A closed pipe (`| head`) is not worth a message.
        Self::failure(format!("i/o error: {e}"))
    }
}

/// The result of a command: its exit code.
pub type CliResult = Result<u8, CliError>;
