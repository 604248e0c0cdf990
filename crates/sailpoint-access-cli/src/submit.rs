//! `sail-access submit`: plan a file, send it through the library's bulk
//! submit (journal, resume, dedupe, pacing), report every row.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use sailpoint_access::bulk::{
    plan, BulkRow, DoneBy, Journal, JournalEntry, JsonlJournal, PlanLimits, RequestResult,
    RowOutcome,
};
use sailpoint_access::types::AccessRequestType;
use sailpoint_access::Client;
use serde::Serialize;

use crate::error::{self, CliError, CliResult};
use crate::output::{self, note, or_empty, table_row, Output, OutputArgs};
use crate::plan_file::{self, BadRow, PlanFormat};
use crate::resolve::{self, Resolved, ResolvedRow};
use crate::table;

/// The request type of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestKind {
    /// GRANT_ACCESS
    Grant,
    /// REVOKE_ACCESS
    Revoke,
    /// MODIFY_ACCESS
    Modify,
}

/// `sail-access submit`.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  sail-access submit plan.csv --dry-run\n",
    "  sail-access submit plan.csv --journal plan.journal.jsonl --wait 600\n",
    "  sail-access submit plan.csv --journal plan.journal.jsonl --resume   # after a crash\n",
    "  sail-access submit leavers.jsonl --type revoke --output json\n",
    "  sail-access submit plan.csv --allow-refused   # exit 0 although rows are refused\n\n",
    "CSV columns (header required): identity,type,id,comment,start,end,metadata\n",
    "  by name: alias or email instead of identity; name (+ source for entitlements) instead of id\n",
    "  type: role | access_profile | entitlement (or ROLE, ACCESS_PROFILE, ENTITLEMENT)\n",
    "  start, end: RFC 3339 date-times; metadata: k=v;k2=v2\n",
    "JSON lines: one object a line with identity, item_type, item_id, and optional\n",
    "  comment, start_date, remove_date, metadata (an object).\n",
    "A row that does not parse is refused with its line number; the rest proceeds,\n",
    "and the run exits 3 (partial), also with --dry-run, unless --allow-refused."
))]
pub struct SubmitArgs {
    /// The plan file (.csv or .jsonl; `-` for stdin with --format).
    pub plan: PathBuf,

    /// The plan's format (default: from the extension).
    #[arg(long, value_enum)]
    pub format: Option<PlanFormat>,

    /// The request type of every request.
    #[arg(long = "type", value_enum, default_value = "grant")]
    pub kind: RequestKind,

    /// Print the planned requests and the refused rows; send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Exit 0 even when rows of the plan are refused (by default a refused
    /// row makes the run partial, exit code 3, as it was not done).
    #[arg(long)]
    pub allow_refused: bool,

    /// Record intents and outcomes here, so that a re-run with --resume sends
    /// nothing twice.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,

    /// Continue the run recorded in --journal (required when it is not empty).
    #[arg(long, requires = "journal")]
    pub resume: bool,

    /// After submitting, wait for every submitted row to end (default 600 s).
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = "600")]
    pub wait: Option<u64>,

    /// How long a request whose answer was lost is looked for before it is
    /// reported unknown.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub reconcile_grace: u64,

    /// Send again a request whose answer was lost after one look at the
    /// statuses, without waiting the grace period for evidence (may
    /// duplicate on a tenant that lists new requests late). Without it, such
    /// a request is sent again once its key stayed unlisted for the grace.
    #[arg(long)]
    pub resend_unknown: bool,

    /// Also send rows already pending for their identity.
    #[arg(long)]
    pub no_skip_pending: bool,

    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,

    /// Identities per request without entitlements (the vendor documents no limit).
    #[arg(long, value_name = "N")]
    pub max_identities: Option<usize>,

    /// Resolve names with the look-ups any user may call (public identities,
    /// requestable objects) instead of the administrators' lists.
    #[arg(long)]
    pub public_lookups: bool,

    /// Before planning, ask per identity what it already holds or awaits
    /// (requestable objects ASSIGNED/PENDING, entitlements held) and skip
    /// those rows, saying why.
    #[arg(long)]
    pub preflight: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// One row of the final report, with its line in the plan file.
#[derive(Debug, Default, Serialize)]
struct ReportRow {
    line: u64,
    identity: String,
    item_type: String,
    item_id: String,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    access_request_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    final_state: Option<String>,
    /// `this_run` or `earlier_run`, for a submitted or failed row.
    #[serde(skip_serializing_if = "Option::is_none")]
    done_by: Option<&'static str>,
    /// The alias or email the file gave, when the row named the identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_as_written: Option<String>,
    /// The name the file gave, when the row named the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    item_as_written: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    run_id: String,
    rows: Vec<ReportRow>,
    totals: BTreeMap<&'static str, usize>,
    requests_planned: usize,
    requests_sent: usize,
    /// Rows the journal records that the plan no longer holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    removed_rows: Vec<sailpoint_access::bulk::RemovedRow>,
}

#[derive(Debug, Serialize)]
struct DryRunRequest {
    number: usize,
    lines: Vec<u64>,
    body: sailpoint_access::types::AccessRequest,
}

#[derive(Debug, Clone, Serialize)]
struct DryRunRefused {
    line: u64,
    rule: String,
    message: String,
    identity: String,
    item_type: String,
    item_id: String,
}

impl DryRunRefused {
    /// A row of the plan that the library refused or the pre-flight skipped.
    fn of_row(line: u64, rule: &str, message: &str, row: &BulkRow) -> Self {
        Self {
            line,
            rule: rule.to_owned(),
            message: message.to_owned(),
            identity: row.identity.clone(),
            item_type: row.item.item_type().as_str().to_owned(),
            item_id: row.item.id().to_owned(),
        }
    }

    /// A row of the file that the command line refused.
    fn of_bad_row(b: &BadRow) -> Self {
        Self {
            line: b.line,
            rule: b.rule.code().to_owned(),
            message: b.message.clone(),
            identity: b.identity.clone(),
            item_type: b.item_type.clone(),
            item_id: b.item_id.clone(),
        }
    }
}

impl output::Row for ReportRow {
    const HEADER: &'static [&'static str] = &[
        "LINE",
        "IDENTITY",
        "TYPE",
        "ITEM",
        "OUTCOME",
        "ACCESS REQUEST",
        "STATE",
        "DETAIL",
        "BY",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.line.to_string(),
            self.identity.clone(),
            self.item_type.clone(),
            self.item_id.clone(),
            self.outcome.to_owned(),
            self.access_request_ids.join(","),
            self.final_state.clone().unwrap_or_default(),
            match (&self.rule, &self.detail) {
                (Some(rule), Some(d)) => format!("{rule}: {d}"),
                (None, Some(d)) => d.clone(),
                (Some(rule), None) => rule.clone(),
                (None, None) => String::new(),
            },
            self.done_by.unwrap_or_default().to_owned(),
        ]
    }
}

impl ReportRow {
    /// A row that never reached the plan: refused, or skipped by the
    /// pre-flight; `r.message` becomes its detail.
    fn unplanned(r: &DryRunRefused, outcome: RowOutcome, rule: Option<String>) -> Self {
        Self {
            line: r.line,
            identity: r.identity.clone(),
            item_type: r.item_type.clone(),
            item_id: r.item_id.clone(),
            outcome: outcome.as_str(),
            rule,
            detail: Some(r.message.clone()),
            ..Self::default()
        }
    }
}

#[derive(Debug, Serialize)]
struct DryRun {
    dry_run: bool,
    request_type: AccessRequestType,
    requests: Vec<DryRunRequest>,
    refused: Vec<DryRunRefused>,
    lower_bound: usize,
    /// What each row given by name resolved to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resolved: Vec<ResolvedRow>,
    /// Rows the pre-flight found held or pending (`--preflight`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<DryRunRefused>,
}

/// The journal, counting outcomes on the progress bar.
struct Progress<J> {
    inner: J,
    bar: ProgressBar,
}

impl<J: Journal> Journal for Progress<J> {
    fn record(&mut self, entry: &JournalEntry) -> std::io::Result<()> {
        self.inner.record(entry)?;
        if let JournalEntry::Outcome { .. } = entry {
            self.bar.inc(1);
        }
        Ok(())
    }

    fn entries(&self) -> std::io::Result<Vec<JournalEntry>> {
        self.inner.entries()
    }

    fn is_durable(&self) -> bool {
        self.inner.is_durable()
    }
}

fn progress_bar(len: usize) -> ProgressBar {
    let bar = output::progress_bar(
        Some(len as u64),
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} requests {msg}",
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub async fn exec(client: &Client, args: SubmitArgs) -> CliResult {
    let mut file = plan_file::load(&args.plan, args.format)?;
    // Rows that name people or items get their ids first (or are refused).
    let names = resolve::resolve_plan(client, &mut file, args.public_lookups).await?;
    for r in names.rows.values().filter(|r| r.outcome == "resolved") {
        note!(
            "line {}: {} -> {}; {} -> {}",
            r.line,
            r.identity_as_written,
            r.identity_id.as_deref().unwrap_or_default(),
            r.item_as_written,
            r.item_id.as_deref().unwrap_or_default()
        );
    }
    let request_type = match args.kind {
        RequestKind::Grant => AccessRequestType::GrantAccess,
        RequestKind::Revoke => AccessRequestType::RevokeAccess,
        RequestKind::Modify => AccessRequestType::ModifyAccess,
    };
    let skipped = if args.preflight {
        preflight(client, &mut file).await?
    } else {
        Vec::new()
    };
    let lines: Vec<u64> = file.rows.iter().map(|(l, _)| *l).collect();
    let rows: Vec<BulkRow> = file.rows.into_iter().map(|(_, r)| r).collect();
    let mut limits = PlanLimits::default();
    if let Some(n) = args.max_identities {
        limits = limits.with_max_identities(n);
    }
    let plan = plan(request_type.clone(), rows, limits);
    let refused: BTreeMap<usize, (&'static str, String)> = plan
        .refused
        .iter()
        .map(|r| (r.row, (r.rule.code(), r.message.clone())))
        .collect();
    for bad in &file.bad {
        note!("line {}: refused ({}): {}", bad.line, bad.rule, bad.message);
    }
    for r in &plan.refused {
        note!("line {}: refused ({}): {}", lines[r.row], r.rule, r.message);
    }
    if args.dry_run {
        return dry_run(&args, &plan, &lines, &file.bad, &names, &skipped);
    }

    let journal_path = args.journal.clone();
    if let Some(path) = &journal_path {
        let used = std::fs::metadata(path)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if used && !args.resume {
            return Err(CliError::usage(format!(
                "the journal {} already records a run: pass --resume to continue it, or choose another file",
                path.display()
            )));
        }
    }
    let bar = progress_bar(plan.requests.len());
    let mut submit = client
        .bulk_submit(plan.clone())
        .concurrency(args.concurrency)
        .skip_pending(!args.no_skip_pending)
        .reconcile_grace(Duration::from_secs(args.reconcile_grace))
        .resend_unknown(args.resend_unknown);
    if let Some(path) = &journal_path {
        let inner = JsonlJournal::open(path).map_err(|e| {
            CliError::usage(format!("cannot open the journal {}: {e}", path.display()))
        })?;
        let done = inner
            .entries()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| {
                        matches!(
                            e,
                            JournalEntry::Outcome {
                                result: RequestResult::Accepted | RequestResult::Failed,
                                ..
                            }
                        )
                    })
                    .count()
            })
            .unwrap_or(0);
        bar.set_position(done.min(plan.requests.len()) as u64);
        submit = submit.journal(Progress {
            inner,
            bar: bar.clone(),
        });
    } else {
        submit = submit.journal(Progress {
            inner: sailpoint_access::bulk::MemoryJournal::default(),
            bar: bar.clone(),
        });
    }
    if let Some(secs) = args.wait {
        submit = submit.wait(Duration::from_secs(secs));
    }
    let result = submit.send().await;
    bar.finish_and_clear();
    // A run that stopped still reports every row: print it, then the error.
    let (report, stopped) = match result {
        Ok(report) => (report, None),
        Err(failure) => (failure.report, Some(failure.error)),
    };

    let mut out_rows: Vec<ReportRow> = report
        .rows
        .iter()
        .map(|r| {
            let (rule, detail) = match refused.get(&r.row) {
                Some((rule, message)) => (Some((*rule).to_owned()), Some(message.clone())),
                None => (None, r.detail.clone()),
            };
            ReportRow {
                line: lines.get(r.row).copied().unwrap_or_default(),
                identity: r.identity.clone(),
                item_type: r.item_type.as_str().to_owned(),
                item_id: r.item_id.clone(),
                outcome: r.outcome.as_str(),
                rule,
                detail,
                request: r.request,
                access_request_ids: {
                    let mut ids = r.access_request_ids.clone();
                    ids.sort();
                    ids.dedup();
                    ids
                },
                final_state: r.final_state.as_ref().map(|s| s.as_str().to_owned()),
                done_by: r.done_by.map(|by| by.as_str()),
                ..ReportRow::default()
            }
        })
        .collect();
    out_rows.extend(file.bad.iter().map(|b| {
        let refused = DryRunRefused::of_bad_row(b);
        ReportRow::unplanned(&refused, RowOutcome::Refused, Some(refused.rule.clone()))
    }));
    out_rows.extend(
        skipped
            .iter()
            .map(|s| ReportRow::unplanned(s, RowOutcome::Skipped, None)),
    );
    for row in &mut out_rows {
        if let Some(named) = names.rows.get(&row.line) {
            row.identity_as_written = Some(named.identity_as_written.clone());
            row.item_as_written = Some(named.item_as_written.clone());
        }
    }
    out_rows.sort_by_key(|r| r.line);
    let mut totals: BTreeMap<&'static str, usize> =
        RowOutcome::ALL.iter().map(|o| (o.as_str(), 0)).collect();
    for r in &out_rows {
        *totals.entry(r.outcome).or_default() += 1;
    }
    let refused_rows = totals[RowOutcome::Refused.as_str()];
    let partial = totals[RowOutcome::Failed.as_str()]
        + totals[RowOutcome::NotSent.as_str()]
        + totals[RowOutcome::Unknown.as_str()]
        > 0
        || refused_by_default(refused_rows, args.allow_refused);
    let summary = totals
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let full = Report {
        run_id: report.run_id.clone(),
        rows: out_rows,
        totals,
        requests_planned: plan.requests.len(),
        requests_sent: report.requests_sent,
        removed_rows: report.removed_rows.clone(),
    };
    output::Report {
        doc: &full,
        rows: &full.rows,
    }
    .print(args.output.format())?;
    note!(
        "run {}: {summary} ({} request(s) sent of {} planned)",
        full.run_id,
        full.requests_sent,
        full.requests_planned
    );
    let earlier = full
        .rows
        .iter()
        .filter(|r| r.done_by == Some(DoneBy::EarlierRun.as_str()))
        .count();
    if earlier > 0 {
        note!("{earlier} row(s) were done by an earlier run on this journal (BY earlier_run)");
    }
    for removed in &full.removed_rows {
        note!(
            "left the plan since an earlier run: {} {} {} ({})",
            removed.identity,
            removed.item_type.as_str(),
            removed.item_id,
            removed.outcome
        );
    }
    if report.wait_ran_out {
        note!("the wait ran out: a STATE that is not final is still pending");
    }
    if refused_by_default(refused_rows, args.allow_refused) {
        note!("{refused_rows} row(s) refused and not done: exit code 3 (--allow-refused accepts them)");
    }
    if let Some(error) = stopped {
        return Err(error.into());
    }
    Ok(if partial { error::PARTIAL } else { error::OK })
}

fn dry_run(
    args: &SubmitArgs,
    plan: &sailpoint_access::bulk::Plan,
    lines: &[u64],
    bad: &[BadRow],
    names: &Resolved,
    skipped: &[DryRunRefused],
) -> CliResult {
    let mut refused: Vec<DryRunRefused> = plan
        .refused
        .iter()
        .map(|r| DryRunRefused::of_row(lines[r.row], r.rule.code(), &r.message, &plan.rows[r.row]))
        .chain(bad.iter().map(DryRunRefused::of_bad_row))
        .collect();
    refused.sort_by_key(|r| r.line);
    let doc = DryRun {
        dry_run: true,
        request_type: plan.request_type.clone(),
        requests: plan
            .requests
            .iter()
            .map(|r| DryRunRequest {
                number: r.number,
                lines: r.rows.iter().map(|&i| lines[i]).collect(),
                body: r.body.clone(),
            })
            .collect(),
        refused,
        lower_bound: plan.lower_bound,
        resolved: names.rows.values().cloned().collect(),
        skipped: skipped.iter().map(DryRunRefused::clone).collect(),
    };
    let format = args.output.format();
    if format == Output::Table {
        dry_run_tables(plan, &doc)?;
    } else {
        // The row formats: one row a plan line, planned or refused.
        let mut rows: Vec<DryRunLine> = plan
            .requests
            .iter()
            .zip(&doc.requests)
            .flat_map(|(request, r)| {
                r.lines.iter().zip(&request.rows).map(move |(&line, &i)| {
                    let row = &plan.rows[i];
                    DryRunLine {
                        line,
                        identity: row.identity.clone(),
                        item_type: row.item.item_type().as_str().to_owned(),
                        item_id: row.item.id().to_owned(),
                        request: Some(r.number),
                        rule: None,
                        message: None,
                    }
                })
            })
            .chain(doc.refused.iter().map(|r| DryRunLine {
                line: r.line,
                identity: r.identity.clone(),
                item_type: r.item_type.clone(),
                item_id: r.item_id.clone(),
                request: None,
                rule: Some(r.rule.clone()),
                message: Some(r.message.clone()),
            }))
            .collect();
        rows.sort_by_key(|r| r.line);
        output::Report {
            doc: &doc,
            rows: &rows,
        }
        .print(format)?;
    }
    note!(
        "dry run: {} request(s) planned (lower bound {}), {} row(s) refused; nothing was sent",
        doc.requests.len(),
        doc.lower_bound,
        doc.refused.len()
    );
    if refused_by_default(doc.refused.len(), args.allow_refused) {
        note!(
            "{} row(s) would be refused: exit code 3 (--allow-refused accepts them)",
            doc.refused.len()
        );
        return Ok(error::PARTIAL);
    }
    Ok(error::OK)
}

/// `--preflight`: asks per identity what it holds or awaits and takes the
/// rows found so out of `file`, returned with the evidence as their message.
async fn preflight(
    client: &Client,
    file: &mut plan_file::PlanFile,
) -> Result<Vec<DryRunRefused>, CliError> {
    let report = client
        .preflight()
        .run(
            file.rows
                .iter()
                .map(|(_, r)| (r.identity.as_str(), r.item.item_type(), r.item.id())),
        )
        .await?;
    note!(
        "pre-flight: {} identit(ies) in {} look-up call(s); {} held or pending",
        report.identities,
        report.calls,
        report.len()
    );
    let mut skipped = Vec::new();
    file.rows.retain(|(line, row)| {
        let Some(evidence) = report.evidence(&row.identity, row.item.id()) else {
            return true;
        };
        note!("line {line}: skipped (pre-flight): {evidence}");
        skipped.push(DryRunRefused::of_row(
            *line,
            "preflight",
            &evidence.to_string(),
            row,
        ));
        false
    });
    Ok(skipped)
}

/// Whether refused rows make the run partial: a refused row of the file
/// was not done, and automation must be able to tell, unless the caller
/// said refusals are expected.
fn refused_by_default(refused: usize, allow_refused: bool) -> bool {
    refused > 0 && !allow_refused
}

table_row! {
    /// One line of a plan in a dry run, for the row formats: the request it
    /// is planned in, or why it is refused.
    #[derive(Debug, Serialize)]
    struct DryRunLine {
        "LINE" line: u64,
        "IDENTITY" identity: String,
        "TYPE" item_type: String,
        "ITEM" item_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        "REQUEST" request: Option<usize> => or_empty,
        #[serde(skip_serializing_if = "Option::is_none")]
        "RULE" rule: Option<String> => or_empty,
        #[serde(skip_serializing_if = "Option::is_none")]
        "MESSAGE" message: Option<String> => or_empty,
    }
}

/// A dry run as tables: the planned requests, then the refused rows.
fn dry_run_tables(plan: &sailpoint_access::bulk::Plan, doc: &DryRun) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let rows: Vec<Vec<String>> = plan
        .requests
        .iter()
        .zip(&doc.requests)
        .map(|(r, d)| {
            let identities: std::collections::BTreeSet<&str> = r
                .rows
                .iter()
                .map(|&i| plan.rows[i].identity.as_str())
                .collect();
            let form = if r.body.requested_for_with_requested_items.is_some() {
                "per-identity"
            } else {
                "flat"
            };
            vec![
                r.number.to_string(),
                form.to_owned(),
                identities.len().to_string(),
                r.rows.len().to_string(),
                compact_lines(&d.lines),
            ]
        })
        .collect();
    table::write(
        &mut stdout,
        &["REQUEST", "FORM", "IDENTITIES", "ROWS", "LINES"],
        &rows,
    )?;
    if !doc.refused.is_empty() {
        writeln!(stdout)?;
        let rows: Vec<Vec<String>> = doc
            .refused
            .iter()
            .map(|r| {
                vec![
                    r.line.to_string(),
                    r.rule.clone(),
                    r.identity.clone(),
                    r.item_id.clone(),
                    r.message.clone(),
                ]
            })
            .collect();
        table::write(
            &mut stdout,
            &["LINE", "RULE", "IDENTITY", "ITEM", "MESSAGE"],
            &rows,
        )?;
    }
    stdout.flush()
}

/// `2-5,7,9-10`.
fn compact_lines(lines: &[u64]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn compact_lines_joins_runs() {
        assert_eq!(super::compact_lines(&[2, 3, 4, 7, 9, 10]), "2-4,7,9-10");
        assert_eq!(super::compact_lines(&[]), "");
    }
}
