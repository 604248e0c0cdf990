//! `sail-access approvals list|approve|reject|forward|summary`: the
//! approvals of given requests (by id, or every
//! request a submit run's journal accepted), decided in bulk where allowed,
//! confirmed as for cancel, and reported per approval after a re-read.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use sailpoint_access::bulk::JsonlJournal;
use sailpoint_access::{access_request_ids_of_journal, ApprovalReport, ApprovalResult, Client};
use serde::Serialize;

use crate::error::{self, CliError, CliResult};
use crate::output::{self, note, table_row, OutputArgs, Report};
use crate::prompt::confirm;
use crate::selection::Selection;

/// Which approvals a command is about.
#[derive(Debug, Args, Default, Clone)]
pub struct Which {
    /// An approval id (repeatable).
    #[arg(long = "approval-id", value_name = "ID")]
    pub approval_ids: Vec<String>,
    /// The access requests whose approvals are meant: the filters of
    /// `status` (`--access-request-id` is repeatable); with filters beyond
    /// the ids, the requests the status list selects.
    #[command(flatten)]
    pub selection: Selection,
    /// The pending approvals of every request a submit run's journal
    /// records as accepted.
    #[arg(long, value_name = "FILE")]
    pub from_journal: Option<std::path::PathBuf>,
    /// The pending approvals of every request a submit run's JSON report
    /// (`submit --output json`) names.
    #[arg(long, value_name = "FILE")]
    pub from_report: Option<std::path::PathBuf>,
    /// Read the lists as this owner (`me`; required of approvers who are
    /// not org administrators).
    #[arg(long, value_name = "IDENTITY")]
    pub owner: Option<String>,
}

impl Which {
    fn is_empty(&self) -> bool {
        self.approval_ids.is_empty()
            && self.selection.is_empty()
            && self.from_journal.is_none()
            && self.from_report.is_none()
    }

    /// The access request ids given, those the filters select, and those of
    /// the journal and the report, each once.
    async fn request_ids(&self, client: &Client) -> Result<Vec<String>, CliError> {
        let mut ids = if self.selection.filters_beyond_ids() {
            self.selection.request_ids(client).await?
        } else {
            self.selection.access_request_id.clone()
        };
        if let Some(path) = &self.from_journal {
            ids.extend(journal_ids(path)?);
        }
        if let Some(path) = &self.from_report {
            ids.extend(report_ids(path)?);
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        Ok(ids)
    }
}

fn journal_ids(path: &Path) -> Result<Vec<String>, CliError> {
    if !path.is_file() {
        return Err(CliError::usage(format!(
            "--from-journal {}: no such file",
            path.display()
        )));
    }
    let journal = JsonlJournal::open(path)?;
    Ok(access_request_ids_of_journal(&journal)?)
}

/// The access request ids of a submit run's JSON report: every
/// `rows[].access_request_ids`.
fn report_ids(path: &Path) -> Result<Vec<String>, CliError> {
    let invalid = |why: &str| {
        CliError::usage(format!(
            "--from-report {}: {why} (expected the JSON report of `submit --output json`)",
            path.display()
        ))
    };
    let text = std::fs::read_to_string(path).map_err(|e| invalid(&e.to_string()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid(&format!("not JSON: {e}")))?;
    let rows = doc
        .get("rows")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| invalid("no `rows` array"))?;
    let mut ids = Vec::new();
    for row in rows {
        for id in row
            .get("access_request_ids")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = id
                .as_str()
                .ok_or_else(|| invalid(&format!("access request id {id} is not a string")))?;
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}

/// A decision's arguments.
#[derive(Debug, Args)]
pub struct DecideArgs {
    #[command(flatten)]
    pub which: Which,
    /// The reviewer's comment (required to reject, forward, and approve in
    /// bulk).
    #[arg(long)]
    pub comment: String,
    /// List what would be decided; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
    /// Seconds between re-reads of approvals still pending after their
    /// decision was accepted (the service decides asynchronously).
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub settle: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `approvals forward`'s arguments.
#[derive(Debug, Args)]
pub struct ForwardArgs {
    /// The new owner's identity id.
    #[arg(long, value_name = "IDENTITY")]
    pub to: String,
    #[command(flatten)]
    pub decide: DecideArgs,
}

/// `approvals list`'s arguments.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub which: Which,
    /// The completed (approved or rejected) approvals instead of the pending.
    #[arg(long)]
    pub completed: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `approvals summary`'s arguments.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Only approvals of this owner (`me` for the caller).
    #[arg(long, value_name = "IDENTITY")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `sail-access approvals ...`.
#[derive(Debug, Subcommand)]
#[command(after_help = concat!(
    "Examples:\n",
    "  sail-access approvals list --from-journal plan.journal.jsonl\n",
    "  sail-access approvals approve --from-journal plan.journal.jsonl --comment ok --dry-run\n",
    "  sail-access approvals reject --access-request-id 2c91...req --comment \"not now\" --yes\n",
    "  sail-access approvals forward --approval-id 2c91...ap --to 2c91...id --comment \"on leave\"\n",
    "Decisions ask for confirmation on a terminal unless --yes; without a terminal, --yes is required."
))]
pub enum ApprovalsCommand {
    /// List pending (or completed) approvals, of given requests or all.
    List(ListArgs),
    /// Approve: in bulk (50 a call) where allowed, else one by one; re-read.
    Approve(DecideArgs),
    /// Reject, one by one, paced; re-read.
    Reject(DecideArgs),
    /// Forward to another owner, one by one, paced; re-read.
    Forward(ForwardArgs),
    /// Count pending, approved and rejected approvals.
    Summary(SummaryArgs),
}

pub async fn exec(client: &Client, command: ApprovalsCommand) -> CliResult {
    match command {
        ApprovalsCommand::List(args) => list(client, args).await,
        ApprovalsCommand::Approve(args) => decide(client, args, None, Verb::Approve).await,
        ApprovalsCommand::Reject(args) => decide(client, args, None, Verb::Reject).await,
        ApprovalsCommand::Forward(args) => {
            decide(client, args.decide, Some(args.to), Verb::Forward).await
        }
        ApprovalsCommand::Summary(args) => summary(client, args).await,
    }
}

#[derive(Clone, Copy)]
enum Verb {
    Approve,
    Reject,
    Forward,
}

impl Verb {
    fn word(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Reject => "reject",
            Verb::Forward => "forward",
        }
    }
}

table_row! {
    #[derive(Debug, Serialize)]
    struct ListRow {
        "APPROVAL" approval_id: String,
        "ACCESS REQUEST" access_request_id: String,
        "OWNER" owner: String,
        "REQUESTED FOR" requested_for: String,
        "ITEM" item: String,
        "STATE" state: String,
    }
}

async fn list(client: &Client, args: ListArgs) -> CliResult {
    let which = &args.which;
    let requests = which.request_ids(client).await?;
    let mut rows: Vec<ListRow> = Vec::new();
    let name = |r: Option<&sailpoint_access::types::IdentityReference>| {
        r.and_then(|r| r.id.clone()).unwrap_or_default()
    };
    if args.completed {
        let mut query = client.approvals().completed();
        if let Some(owner) = &which.owner {
            query = query.owner(owner);
        }
        for c in query.send_all().await? {
            rows.push(ListRow {
                approval_id: c.id.clone().unwrap_or_default(),
                access_request_id: String::new(),
                owner: name(c.owner.as_ref()),
                requested_for: name(c.requested_for.as_ref()),
                item: c.name.clone().unwrap_or_default(),
                state: c
                    .state
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            });
        }
    } else {
        let selects_requests = !which.selection.is_empty()
            || which.from_journal.is_some()
            || which.from_report.is_some();
        let pending = if requests.is_empty() && selects_requests {
            // The filters selected no request: no approval of theirs.
            Vec::new()
        } else if requests.is_empty() {
            let mut query = client.approvals().pending();
            if let Some(owner) = &which.owner {
                query = query.owner(owner);
            }
            query.send_all().await?
        } else {
            let mut query = client.approvals_of(requests);
            if let Some(owner) = &which.owner {
                query = query.owner(owner);
            }
            let by_request: BTreeMap<_, _> = query.send().await?.into_iter().collect();
            by_request.into_values().flatten().collect()
        };
        for p in pending {
            rows.push(ListRow {
                approval_id: p.id.clone().unwrap_or_default(),
                access_request_id: p.access_request_id.clone().unwrap_or_default(),
                owner: name(p.owner.as_ref()),
                requested_for: name(p.requested_for.as_ref()),
                item: p.name.clone().unwrap_or_default(),
                state: "PENDING".to_owned(),
            });
        }
    }
    if !which.approval_ids.is_empty() {
        rows.retain(|r| which.approval_ids.contains(&r.approval_id));
    }
    Report {
        doc: &rows,
        rows: &rows,
    }
    .print(args.output.format())?;
    note!("{} approval(s)", rows.len());
    Ok(error::OK)
}

async fn decide(client: &Client, args: DecideArgs, to: Option<String>, verb: Verb) -> CliResult {
    let which = &args.which;
    if which.is_empty() {
        return Err(CliError::usage(format!(
            "nothing to {}: give --approval-id, --access-request-id (repeatable), status filters, --from-journal FILE or --from-report FILE",
            verb.word()
        )));
    }
    let requests = which.request_ids(client).await?;
    let build = |dry: bool, progress: Option<Box<dyn Fn(usize, usize) + Send + Sync>>| {
        let job = match (verb, &to) {
            (Verb::Forward, Some(owner)) => client.forward_many(owner, &args.comment),
            (Verb::Reject, _) => client.reject_many(&args.comment),
            _ => client.approve_many(&args.comment),
        };
        let mut job = job
            .approval_ids(which.approval_ids.iter().cloned())
            .access_request_ids(requests.iter().cloned())
            .verify(3, Duration::from_secs(args.settle))
            .dry_run(dry);
        if let Some(owner) = &which.owner {
            job = job.owner(owner);
        }
        if let Some(progress) = progress {
            job = job.on_progress(progress);
        }
        job.send()
    };
    if !args.dry_run && !args.yes {
        let preview = build(true, None).await?;
        let n = preview.count(&ApprovalResult::WouldDecide);
        if n == 0 {
            note!(
                "no pending approval among those given: nothing to {}",
                verb.word()
            );
            return print(args.output, &preview);
        }
        confirm(&format!("{} {n} approval(s)?", verb.word()), false)?;
    }
    let report = if args.dry_run {
        build(true, None).await?
    } else {
        // The approvals decided so far.
        let template = format!(
            "{{spinner}} {{bar:30}} {{pos}}/{{len}} approvals to {}",
            verb.word()
        );
        let bar = output::progress_bar(None, &template);
        let shown = bar.clone();
        let progress = move |sent: usize, total: usize| {
            shown.set_length(total as u64);
            shown.set_position(sent as u64);
        };
        let report = build(false, Some(Box::new(progress))).await;
        bar.finish_and_clear();
        report?
    };
    print(args.output, &report)
}

table_row! {
    #[derive(Debug, Serialize)]
    struct OutcomeRow {
        "APPROVAL" approval_id: String,
        "ACCESS REQUEST" access_request_id: String,
        "OUTCOME" outcome: &'static str,
        "DETAIL" detail: String,
    }
}

fn print(output: OutputArgs, report: &ApprovalReport) -> CliResult {
    let rows: Vec<OutcomeRow> = report
        .outcomes
        .iter()
        .map(|o| OutcomeRow {
            approval_id: o.approval_id.clone(),
            access_request_id: o.access_request_id.clone().unwrap_or_default(),
            outcome: o.result.name(),
            detail: o.result.detail().to_owned(),
        })
        .collect();
    Report {
        doc: report,
        rows: &rows,
    }
    .print(output.format())?;
    let total = report.outcomes.len();
    let would = report.count(&ApprovalResult::WouldDecide);
    if would > 0 || (total > 0 && report.bulk_calls + report.single_calls == 0) {
        note!("dry run or nothing pending: {would} of {total} approval(s) would be decided; nothing was sent");
        return Ok(error::OK);
    }
    let done = report.count(&ApprovalResult::Decided);
    note!(
        "{done} of {total} approval(s) decided ({} bulk call(s), {} single call(s), {} read(s){})",
        report.bulk_calls,
        report.single_calls,
        report.read_calls,
        if report.fell_back_to_single {
            "; bulk approve refused, went on one by one"
        } else {
            ""
        }
    );
    Ok(if done == total {
        error::OK
    } else {
        error::PARTIAL
    })
}

async fn summary(client: &Client, args: SummaryArgs) -> CliResult {
    let mut query = client.approvals().summary();
    if let Some(owner) = &args.owner {
        query = query.owner(owner);
    }
    let counts = query.send().await?;
    table_row! {
        #[derive(Serialize)]
        struct Row {
            "PENDING" pending: i32,
            "APPROVED" approved: i32,
            "REJECTED" rejected: i32,
        }
    }
    let row = Row {
        pending: counts.pending.unwrap_or(0),
        approved: counts.approved.unwrap_or(0),
        rejected: counts.rejected.unwrap_or(0),
    };
    let rows = [row];
    Report {
        doc: &rows[0],
        rows: &rows,
    }
    .print(args.output.format())?;
    Ok(error::OK)
}
