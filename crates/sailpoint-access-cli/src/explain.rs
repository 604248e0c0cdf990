//! `sail-access explain` (and `status --stuck`): what requests wait on,
//! and what would move them.

use clap::Args;
use sailpoint_access::Client;
use serde::Serialize;

use crate::error::{self, CliResult};
use crate::output::{note, table_row, OutputArgs, Report};
use crate::selection::Selection;

/// `sail-access explain ID...`'s arguments.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  sail-access explain 2c91...req1 2c91...req2 --output json")]
pub struct ExplainArgs {
    /// Access request ids.
    #[arg(value_name = "ID", required_unless_present = "stuck")]
    pub ids: Vec<String>,
    /// Instead of ids: every request still executing that was created
    /// before --older-than.
    #[arg(long, requires = "older_than", conflicts_with = "ids")]
    pub stuck: bool,
    /// With --stuck: how old a request must be (30m, 24h, 7d, 2w, a date or
    /// RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = crate::time_arg::parse)]
    pub older_than: Option<sailpoint_access::Timestamp>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// What the requests `selection` picks that are still executing and were
/// created before `before` wait on (`explain --stuck`, `status --stuck`).
pub async fn explain_stuck(
    client: &Client,
    selection: &Selection,
    before: sailpoint_access::Timestamp,
    output: OutputArgs,
) -> CliResult {
    let mut stuck = selection.clone();
    stuck.pending = true;
    stuck.created_before = Some(stuck.created_before.map_or(before, |t| t.min(before)));
    let ids = stuck.request_ids(client).await?;
    if ids.is_empty() {
        note!("no request still executing is that old");
        Report {
            doc: &Vec::<sailpoint_access::Explanation>::new(),
            rows: &Vec::<NoColumn>::new(),
        }
        .print(output.format())?;
        return Ok(error::OK);
    }
    explain_ids(client, ids, output).await
}

table_row! {
    #[derive(Debug, Default, Serialize)]
    struct ExplainRow {
        "ACCESS REQUEST" access_request_id: String,
        "ITEM" item: String,
        "STATE" state: String,
        "PHASE" phase: String,
        "WAITING ON" waiting_on: String,
        "CANCELABLE" cancelable: bool,
        "ERRORS" errors: String,
        "NEXT" next: String,
    }
}

table_row! {
    /// No column: an empty `--stuck` answer prints no header either.
    #[derive(Serialize)]
    struct NoColumn {}
}

pub async fn exec(client: &Client, args: ExplainArgs) -> CliResult {
    match (args.stuck, args.older_than) {
        (true, Some(before)) => {
            explain_stuck(client, &Selection::default(), before, args.output).await
        }
        _ => explain_ids(client, args.ids, args.output).await,
    }
}

/// What each of these access requests waits on, and what would move it.
async fn explain_ids(client: &Client, ids: Vec<String>, output: OutputArgs) -> CliResult {
    let explained = client.explain(ids).send().await?;
    let mut rows = Vec::new();
    for e in &explained {
        if e.items.is_empty() {
            rows.push(ExplainRow {
                access_request_id: e.access_request_id.clone(),
                next: e.next.describe(),
                ..ExplainRow::default()
            });
        }
        for i in &e.items {
            rows.push(ExplainRow {
                access_request_id: e.access_request_id.clone(),
                item: i.name.clone().unwrap_or_default(),
                state: i.state.clone().unwrap_or_default(),
                phase: i
                    .phases
                    .last()
                    .map(|(name, state)| format!("{name} {state}"))
                    .unwrap_or_default(),
                waiting_on: i
                    .waiting_on
                    .iter()
                    .map(|w| {
                        format!(
                            "{} ({})",
                            w.owner_name
                                .as_deref()
                                .or(w.owner_id.as_deref())
                                .unwrap_or("?"),
                            w.approval_id
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                cancelable: i.cancelable,
                errors: i.errors.join("; "),
                next: i.next.describe(),
            });
        }
    }
    Report {
        doc: &explained,
        rows: &rows,
    }
    .print(output.format())?;
    Ok(error::OK)
}
