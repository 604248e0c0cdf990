//! `sail-access cancel` and `sail-access close`: by id or by a filter,
//! confirmed, reporting what the statuses show afterwards.

use std::io::Write;
use std::time::Duration;

use sailpoint_access::types::{CloseCompletionStatus, CloseExecutionStatus};
use sailpoint_access::{CancelOutcome, CancelReport, CancelRequests, Client};

use crate::cli::{
    CancelArgs, ChangeArgs, CloseArgs, CompletionStatus, ExecutionStatus, ReportOutput,
};
use crate::error::{self, CliError, CliResult};
use crate::prompt::confirm;
use crate::table;

fn check_selection(args: &ChangeArgs, verb: &str) -> Result<(), CliError> {
    match (args.ids.is_empty(), args.selection.is_empty()) {
        (true, true) => Err(CliError::usage(format!(
            "nothing to {verb}: give --id ID (repeatable) or a filter such as --requested-by, --requested-for, --created-before"
        ))),
        (false, false) => Err(CliError::usage(format!(
            "--id and filters cannot be combined: {verb} either the ids given or the requests a filter finds"
        ))),
        _ => Ok(()),
    }
}

async fn execute(
    verb: &str,
    args: &ChangeArgs,
    build: impl Fn(bool) -> Result<CancelRequests, CliError>,
) -> CliResult {
    let settle = Duration::from_secs(args.settle);
    if !args.dry_run && !args.yes {
        // How many: the ids given, or a dry run of the filter.
        let n = if args.ids.is_empty() {
            build(true)?.send().await?.outcomes.len()
        } else {
            args.ids.len()
        };
        if n == 0 {
            eprintln!("no request matches: nothing to {verb}");
            return print(args.output, &CancelReport::default(), verb);
        }
        confirm(&format!("{verb} {n} access request(s)?"), false)?;
    }
    let report = build(args.dry_run)?.settle(settle).send().await?;
    print(args.output, &report, verb)
}

fn print(output: ReportOutput, report: &CancelReport, verb: &str) -> CliResult {
    let mut stdout = std::io::stdout().lock();
    match output {
        ReportOutput::Json => {
            serde_json::to_writer_pretty(&mut stdout, report).map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
        ReportOutput::Table => {
            let rows: Vec<Vec<String>> = report
                .outcomes
                .iter()
                .map(|(id, o)| {
                    let (name, states) = describe(o);
                    vec![id.clone(), name.to_owned(), states]
                })
                .collect();
            table::write(&mut stdout, &["ACCESS REQUEST", "OUTCOME", "STATES"], &rows)?;
        }
    }
    drop(stdout);
    let done = report.cancelled().count();
    let total = report.outcomes.len();
    if report.dry_run {
        eprintln!(
            "dry run: {total} request(s) would be {}; nothing was sent",
            past(verb)
        );
        return Ok(error::OK);
    }
    eprintln!(
        "{done} of {total} request(s) {} ({} change call(s), {} status call(s))",
        past(verb),
        report.change_calls,
        report.check_calls
    );
    Ok(if done == total {
        error::OK
    } else {
        error::PARTIAL
    })
}

fn past(verb: &str) -> &'static str {
    if verb == "cancel" {
        "cancelled"
    } else {
        "closed"
    }
}

fn describe(o: &CancelOutcome) -> (&'static str, String) {
    match o {
        CancelOutcome::Cancelled => ("done", String::new()),
        CancelOutcome::NotCancelled { states } => ("not_changed", states.join(",")),
        CancelOutcome::NotFound => ("not_found", String::new()),
        CancelOutcome::Selected => ("selected", String::new()),
        _ => ("other", String::new()),
    }
}

pub async fn cancel(client: &Client, args: CancelArgs) -> CliResult {
    check_selection(&args.change, "cancel")?;
    let change = &args.change;
    execute("cancel", change, |dry| {
        let c = if change.ids.is_empty() {
            client.cancel_matching(change.selection.query(client), &args.comment)
        } else {
            client.cancel_requests(change.ids.iter().cloned(), &args.comment)
        };
        Ok(c.dry_run(dry))
    })
    .await
}

pub async fn close(client: &Client, args: CloseArgs) -> CliResult {
    check_selection(&args.change, "close")?;
    let change = &args.change;
    execute("close", change, |dry| {
        let mut c = if change.ids.is_empty() {
            client.close_matching(change.selection.query(client))
        } else {
            client.close_requests(change.ids.iter().cloned())
        };
        if let Some(s) = args.execution_status {
            c = c.execution_status(match s {
                ExecutionStatus::Terminated => CloseExecutionStatus::Terminated,
                ExecutionStatus::Completed => CloseExecutionStatus::Completed,
            });
        }
        if let Some(s) = args.completion_status {
            c = c.completion_status(match s {
                CompletionStatus::Success => CloseCompletionStatus::Success,
                CompletionStatus::Incomplete => CloseCompletionStatus::Incomplete,
                CompletionStatus::Failure => CloseCompletionStatus::Failure,
            });
        }
        if let Some(m) = &args.message {
            c = c.message(m);
        }
        Ok(c.dry_run(dry))
    })
    .await
}
