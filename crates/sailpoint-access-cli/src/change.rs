//! `sail-access cancel` and `sail-access close`: by id or by a filter,
//! confirmed, reporting what the statuses show afterwards.

use std::future::Future;
use std::time::Duration;

use clap::{Args, ValueEnum};
use sailpoint_access::types::{CloseCompletionStatus, CloseExecutionStatus};
use sailpoint_access::{ChangeKind, ChangeOutcome, ChangeReport, Client};

use serde::Serialize;

use crate::error::{self, CliError, CliResult};
use crate::output::{note, table_row, Output, OutputArgs, Report};
use crate::prompt::confirm;
use crate::selection::Selection;

/// What `cancel` and `close` share.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// An access request id (repeatable).
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,

    #[command(flatten)]
    pub selection: Selection,

    /// List what would be changed; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,

    /// Seconds to wait before re-reading the statuses, for a tenant that
    /// applies changes asynchronously.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub settle: u64,

    /// With filters: also change a request whose other open items the
    /// filters did not select (the service changes whole requests); by
    /// default such a request is left alone and reported outside_selection.
    #[arg(long)]
    pub widen_scope: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `sail-access cancel`.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  sail-access cancel --id 2c91...req1 --id 2c91...req2 --comment \"project ended\"\n",
    "  sail-access cancel --requested-by me --created-before 2w \\\n",
    "      --comment stale --dry-run\n",
    "Asks for confirmation on a terminal unless --yes; without a terminal, --yes is required."
))]
pub struct CancelArgs {
    #[command(flatten)]
    pub change: ChangeArgs,

    /// Why (required by the service).
    #[arg(long)]
    pub comment: String,
}

/// A close's execution status.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExecutionStatus {
    /// Terminated
    Terminated,
    /// Completed
    Completed,
}

/// A close's completion status.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionStatus {
    /// Success
    Success,
    /// Incomplete
    Incomplete,
    /// Failure
    Failure,
}

/// `sail-access close`.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  sail-access close --id 2c91...req1 --completion-status failure --message \"source gone\"\n",
    "  sail-access close --requested-for 2c91...a --dry-run\n",
    "Asks for confirmation on a terminal unless --yes; without a terminal, --yes is required."
))]
pub struct CloseArgs {
    #[command(flatten)]
    pub change: ChangeArgs,

    /// The execution status recorded.
    #[arg(long, value_enum)]
    pub execution_status: Option<ExecutionStatus>,

    /// The completion status recorded.
    #[arg(long, value_enum)]
    pub completion_status: Option<CompletionStatus>,

    /// A message recorded with the close.
    #[arg(long)]
    pub message: Option<String>,
}

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

/// Runs the job `build` makes (for a dry run or not), after confirmation.
async fn execute<F, Job>(kind: ChangeKind, args: &ChangeArgs, build: F) -> CliResult
where
    F: Fn(bool) -> Result<Job, CliError>,
    Job: Future<Output = sailpoint_access::Result<ChangeReport>>,
{
    let verb = kind.verb();
    if !args.dry_run && !args.yes {
        // How many: the ids given, or a dry run of the filter.
        let n = if args.ids.is_empty() {
            let mut preview = build(true)?.await?;
            if preview.outcomes.is_empty() {
                note!("no request matches: nothing to {verb}");
                preview.dry_run = false;
                return print(args.output.format(), &preview);
            }
            preview.outcomes.len()
        } else {
            args.ids.len()
        };
        confirm(&format!("{verb} {n} access request(s)?"), false)?;
    }
    let report = build(args.dry_run)?.await?;
    print(args.output.format(), &report)
}

table_row! {
    /// One request of a report, for the row formats.
    #[derive(Debug, Serialize)]
    struct OutcomeRow {
        "ACCESS REQUEST" access_request_id: String,
        "OUTCOME" outcome: &'static str,
        /// The item states of a request left unchanged, why a change failed
        /// or was not made, or (dry run) whom and what it would touch.
        "DETAIL" detail: String,
    }
}

fn print(output: Output, report: &ChangeReport) -> CliResult {
    let rows: Vec<OutcomeRow> = report
        .outcomes
        .iter()
        .map(|(id, o)| OutcomeRow {
            access_request_id: id.clone(),
            outcome: o.name(report.kind),
            detail: match o {
                ChangeOutcome::Unchanged { states } => states
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                ChangeOutcome::Failed { error } => error.clone(),
                ChangeOutcome::OutsideSelection { items_outside } => format!(
                    "{items_outside} open item(s) outside the selection (--widen-scope to include)"
                ),
                ChangeOutcome::Selected => report
                    .items
                    .get(id)
                    .map(|items| {
                        items
                            .iter()
                            .map(|i| format!("{} {}", i.identities.join("+"), i.item))
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            },
        })
        .collect();
    Report {
        doc: report,
        rows: &rows,
    }
    .print(output)?;
    let done = report.changed().count();
    let total = report.outcomes.len();
    let past = report.kind.past_tense();
    if report.dry_run {
        note!("dry run: {total} request(s) would be {past}; nothing was sent");
        return Ok(error::OK);
    }
    note!(
        "{done} of {total} request(s) {past} ({} change call(s), {} status call(s))",
        report.change_calls,
        report.check_calls
    );
    Ok(if done == total {
        error::OK
    } else {
        error::PARTIAL
    })
}

pub async fn cancel(client: &Client, args: CancelArgs) -> CliResult {
    check_selection(&args.change, ChangeKind::Cancel.verb())?;
    let change = &args.change;
    let settle = Duration::from_secs(change.settle);
    let build = |dry: bool| {
        let job = client
            .cancel_many(&args.comment)
            .settle(settle)
            .widen_scope(change.widen_scope)
            .dry_run(dry);
        let job = match change.ids.is_empty() {
            true => job.matching(change.selection.query(client)),
            false => job.ids(change.ids.iter().cloned()),
        };
        Ok(job.send())
    };
    execute(ChangeKind::Cancel, change, build).await
}

pub async fn close(client: &Client, args: CloseArgs) -> CliResult {
    check_selection(&args.change, ChangeKind::Close.verb())?;
    let change = &args.change;
    let settle = Duration::from_secs(change.settle);
    let build = |dry: bool| {
        let mut job = client
            .close_many()
            .settle(settle)
            .widen_scope(change.widen_scope)
            .dry_run(dry);
        job = match change.ids.is_empty() {
            true => job.matching(change.selection.query(client)),
            false => job.ids(change.ids.iter().cloned()),
        };
        if let Some(s) = args.execution_status {
            job = job.execution_status(match s {
                ExecutionStatus::Terminated => CloseExecutionStatus::Terminated,
                ExecutionStatus::Completed => CloseExecutionStatus::Completed,
            });
        }
        if let Some(s) = args.completion_status {
            job = job.completion_status(match s {
                CompletionStatus::Success => CloseCompletionStatus::Success,
                CompletionStatus::Incomplete => CloseCompletionStatus::Incomplete,
                CompletionStatus::Failure => CloseCompletionStatus::Failure,
            });
        }
        if let Some(m) = &args.message {
            job = job.message(m);
        }
        Ok(job.send())
    };
    execute(ChangeKind::Close, change, build).await
}
