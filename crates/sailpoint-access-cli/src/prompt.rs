//! Asking the person at the terminal before a change.

use std::io::{IsTerminal, Write};

use crate::error::CliError;

/// Asks `question` on stderr and reads the answer from a terminal; refuses
/// without a terminal unless `yes`.
pub fn confirm(question: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "{question}: refusing without --yes, since stdin is not a terminal"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(CliError::usage("not confirmed: nothing was changed"))
    }
}
