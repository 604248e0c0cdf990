//! Names in plan files: rows that give an alias or email instead of the
//! identity's id, or an item's name (with `source` for an entitlement)
//! instead of its id, are resolved in batches by the library's resolver
//! before planning. A row whose name is unknown, ambiguous or not
//! requestable is refused by line with the candidates, and nothing is sent
//! for it. `sail-access resolve` prints what each row resolves to.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use clap::Args;

use sailpoint_access::bulk::BulkRow;
use sailpoint_access::{Client, Item};
use sailpoint_access::{IdentityRef, ItemRef, Resolution, ResolveReport};
use serde::Serialize;

use crate::error::{self, CliError, CliResult};
use crate::output::{self, note, or_empty, table_row, OutputArgs};
use crate::plan_file::{self, BadRow, CliRule, PlanFile, PlanFormat};

/// `sail-access resolve`: the ids a plan's names stand for.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  sail-access resolve plan-by-name.csv\n",
    "  sail-access resolve plan-by-name.csv --output csv > resolved.csv\n",
    "Exit code 3 when a name is unknown, ambiguous or not requestable."
))]
pub struct ResolveArgs {
    /// The plan file (.csv or .jsonl; `-` for stdin with --format), with
    /// alias/email and name/source columns.
    pub plan: PathBuf,

    /// The plan's format (default: from the extension).
    #[arg(long, value_enum)]
    pub format: Option<PlanFormat>,

    /// Use the look-ups any user may call instead of the administrators' lists.
    #[arg(long)]
    pub public_lookups: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

table_row! {
    /// What one row named and the ids used for it.
    #[derive(Debug, Clone, Serialize)]
    pub struct ResolvedRow {
        "LINE" pub line: u64,
        "IDENTITY" pub identity_as_written: String,
        "IDENTITY ID" pub identity_id: Option<String> => or_empty,
        "TYPE" pub item_type: String,
        "ITEM" pub item_as_written: String,
        "ITEM ID" pub item_id: Option<String> => or_empty,
        "OUTCOME" pub outcome: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        "CANDIDATES" pub candidates: Vec<String> => |c: &Vec<String>| c.join("; "),
    }
}

impl ResolvedRow {
    /// A row as the file wrote it, each name standing for itself.
    fn as_written(line: u64, row: &BulkRow, outcome: &str) -> Self {
        Self {
            line,
            identity_as_written: row.identity.clone(),
            identity_id: Some(row.identity.clone()),
            item_type: row.item.item_type().as_str().to_owned(),
            item_as_written: row.item.id().to_owned(),
            item_id: Some(row.item.id().to_owned()),
            outcome: outcome.to_owned(),
            candidates: Vec::new(),
        }
    }
}

/// The rows of a plan after resolving, and what it cost.
#[derive(Debug, Default)]
pub struct Resolved {
    /// By line, every row that named something.
    pub rows: BTreeMap<u64, ResolvedRow>,
    pub report: ResolveReport,
}

fn refusal(what: &str, resolution: &Resolution) -> Option<(CliRule, String, Vec<String>)> {
    match resolution {
        Resolution::Refused { rule, candidates } => Some((
            CliRule::Resolve(*rule),
            format!("{what}: {resolution}"),
            candidates.iter().map(ToString::to_string).collect(),
        )),
        _ => None,
    }
}

/// Resolves the names of `file` in place: rows resolved get their ids,
/// rows refused move to `file.bad` (with their line and candidates).
pub async fn resolve_plan(
    client: &Client,
    file: &mut PlanFile,
    public: bool,
) -> Result<Resolved, CliError> {
    let mut out = Resolved::default();
    if file.names.is_empty() {
        return Ok(out);
    }
    let identity_refs: Vec<IdentityRef> = file
        .names
        .values()
        .filter_map(|n| n.identity.clone())
        .collect();
    let item_refs: Vec<ItemRef> = file.names.values().filter_map(|n| n.item.clone()).collect();
    let mut resolver = client.resolver().public(public);
    let people = resolver.identities(&identity_refs).await?;
    let items = resolver.items(&item_refs).await?;
    let people: HashMap<&IdentityRef, &Resolution> = identity_refs.iter().zip(&people).collect();
    let items: HashMap<&ItemRef, &Resolution> = item_refs.iter().zip(&items).collect();
    out.report = resolver.report().clone();

    let rows = std::mem::take(&mut file.rows);
    for (line, mut row) in rows {
        let Some(names) = file.names.get(&line) else {
            file.rows.push((line, row));
            continue;
        };
        let mut resolved = ResolvedRow::as_written(line, &row, "resolved");
        let mut refused = None;
        if let Some(r) = &names.identity {
            let resolution = people[r];
            resolved.identity_id = resolution.id().map(str::to_owned);
            refused = refusal(&r.to_string(), resolution);
        }
        if let Some(r) = &names.item {
            let resolution = items[r];
            resolved.item_id = resolution.id().map(str::to_owned);
            refused = refused.or_else(|| refusal(&r.to_string(), resolution));
        }
        match refused {
            Some((rule, message, candidates)) => {
                resolved.outcome = rule.code().to_owned();
                resolved.candidates = candidates;
                file.bad.push(BadRow {
                    line,
                    rule,
                    message,
                    identity: resolved.identity_as_written.clone(),
                    item_type: resolved.item_type.clone(),
                    item_id: resolved.item_as_written.clone(),
                });
            }
            None => {
                if let Some(id) = &resolved.identity_id {
                    row.identity = id.clone();
                }
                if let Some(id) = &resolved.item_id {
                    let mut inner = row.item.into_inner();
                    inner.id = id.clone();
                    row.item = Item::from(inner);
                }
                file.rows.push((line, row));
            }
        }
        out.rows.insert(line, resolved);
    }
    file.bad.sort_by_key(|b| b.line);
    note!("resolved {} row(s) by name: {}", out.rows.len(), out.report);
    Ok(out)
}

#[derive(Debug, Serialize)]
struct ResolveDoc<'a> {
    rows: &'a [ResolvedRow],
    lookup_requests: usize,
    lookup_lower_bound: usize,
}

/// `sail-access resolve`: what every row of a plan names, as ids.
pub async fn exec(client: &Client, args: ResolveArgs) -> CliResult {
    let mut file = plan_file::load(&args.plan, args.format)?;
    let parse_errors = file.bad.len();
    let resolved = resolve_plan(client, &mut file, args.public_lookups).await?;
    let mut rows: Vec<ResolvedRow> = resolved.rows.values().cloned().collect();
    // Rows given by id are listed as they are.
    for (line, row) in &file.rows {
        if !resolved.rows.contains_key(line) {
            rows.push(ResolvedRow::as_written(*line, row, "given"));
        }
    }
    rows.sort_by_key(|r| r.line);
    for bad in file
        .bad
        .iter()
        .filter(|b| !resolved.rows.contains_key(&b.line))
    {
        note!("line {}: refused ({}): {}", bad.line, bad.rule, bad.message);
    }
    let doc = ResolveDoc {
        rows: &rows,
        lookup_requests: resolved.report.total_requests(),
        lookup_lower_bound: resolved.report.total_lower_bound(),
    };
    let report = output::Report {
        doc: &doc,
        rows: &rows,
    };
    report.print(args.output.format())?;
    let refused = rows.iter().any(|r| r.outcome.starts_with("resolve."));
    Ok(if refused || parse_errors > 0 {
        error::PARTIAL
    } else {
        error::OK
    })
}
