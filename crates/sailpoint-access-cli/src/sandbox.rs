//! `sail-access sandbox`: the embedded sandbox tenant, in process.

use std::io::Write;
use std::time::Duration;

use sailpoint_access_sandbox::{AutoLifecycle, Latency, RateLimit, Sandbox, ServerErrors};

use crate::cli::SandboxArgs;
use crate::error::{self, CliError, CliResult};

pub async fn run(args: SandboxArgs) -> CliResult {
    let mut builder = Sandbox::builder()
        .port(args.port)
        .seed_statuses(args.seed_statuses);
    if args.auto_approve_ms.is_some() || args.auto_provision_ms.is_some() {
        builder = builder.auto_lifecycle(AutoLifecycle::new(
            Duration::from_millis(args.auto_approve_ms.unwrap_or(0)),
            Duration::from_millis(args.auto_provision_ms.unwrap_or(0)),
        ));
    }
    if let Some(ms) = args.latency_ms {
        builder = builder.latency(Latency::new(Duration::from_millis(ms)));
    }
    if let Some(n) = args.rate_limit {
        builder = builder.rate_limit(RateLimit::new(
            n,
            Duration::from_millis(args.rate_window_ms),
        ));
    }
    if let Some(share) = args.server_errors {
        let mut errors = ServerErrors::new(share);
        if let Some(status) = args.server_error_status {
            errors = errors.only(status);
        }
        builder = builder.server_errors(errors);
    }
    if let Some(ms) = args.visibility_delay_ms {
        builder = builder.visibility_delay(Duration::from_millis(ms));
    }
    if args.no_offset_quirk {
        builder = builder.offset_quirk(false);
    }
    let sandbox = builder.start().await.map_err(|e| {
        let cause = std::error::Error::source(&e)
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        CliError::failure(format!(
            "cannot start the sandbox on port {}: {e}{cause}",
            args.port
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
    eprintln!(
        "sandbox tenant listening on {} with {} status(es); the identity of its tokens is `{}`. Ctrl-C stops it.",
        sandbox.base_url(),
        sandbox.status_count(),
        sandbox.caller_identity_id()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::failure(format!("cannot wait for Ctrl-C: {e}")))?;
    eprintln!("stopping the sandbox");
    sandbox.shutdown().await;
    Ok(error::OK)
}
