//! `sail-access sandbox`: the embedded sandbox tenant, in process.

use std::io::Write;

use sailpoint_access_sandbox::{SandboxArgs, DEFAULT_PORT};

use crate::error::{self, CliError, CliResult};
use crate::output::note;

/// The end of `sail-access sandbox --help`.
pub const EXAMPLES: &str = concat!(
    "Examples:\n",
    "  sail-access sandbox --port 8787 --seed-statuses 100\n",
    "  sail-access sandbox --port 0 > sandbox.env &  sleep 1; . ./sandbox.env\n",
    "Prints `export SAIL_...=...` lines on stdout for another terminal."
);

/// Serves until Ctrl-C. `client_id` is the global `--client-id`, given
/// before the subcommand; one given after it wins.
pub async fn exec(mut args: SandboxArgs, client_id: Option<String>) -> CliResult {
    if args.client_id.is_none() {
        args.client_id = client_id;
    }
    let port = args.port.unwrap_or(DEFAULT_PORT);
    let builder = args.into_builder();
    let sandbox = builder.start().await.map_err(|e| {
        let cause = std::error::Error::source(&e)
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        CliError::failure(format!(
            "cannot start the sandbox on port {port}: {e}{cause}"
        ))
    })?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "export SAIL_BASE_URL={}", sandbox.base_url())?;
        writeln!(stdout, "export SAIL_CLIENT_ID={}", sandbox.client_id())?;
        writeln!(
            stdout,
            "export SAIL_CLIENT_SECRET={}",
            sandbox.client_secret()
        )?;
        stdout.flush()?;
    }
    note!(
        "sandbox tenant listening on {} with {} status(es); the identity of its tokens is `{}`. Ctrl-C stops it.",
        sandbox.base_url(),
        sandbox.status_count(),
        sandbox.caller_identity_id()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::failure(format!("cannot wait for Ctrl-C: {e}")))?;
    note!("stopping the sandbox");
    sandbox.shutdown().await;
    Ok(error::OK)
}
