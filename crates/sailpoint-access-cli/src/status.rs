//! `sail-access status`: stream statuses in constant memory, or follow
//! requests until they end.

use std::io::Write;
use std::time::Duration;

use sailpoint_access::types::{RequestStateFilter, RequestedForIdentities, RequestedItemStatus};
use sailpoint_access::{Client, Filter, StatusQuery, StatusSort, Timestamp};

use crate::cli::{ListOutput, Selection, StatusArgs};
use crate::error::{self, CliError, CliResult};

fn timestamp(flag: &str, text: &str) -> Result<Timestamp, CliError> {
    text.parse().map_err(|_| {
        CliError::usage(format!(
            "{flag} {text:?} is not an RFC 3339 date-time (such as 2026-07-01T00:00:00Z)"
        ))
    })
}

/// The status query of a selection.
pub fn query(client: &Client, sel: &Selection) -> Result<StatusQuery, CliError> {
    let mut q = client.statuses();
    if let Some(id) = &sel.requested_for {
        q = q.requested_for(id);
    }
    if let Some(id) = &sel.requested_by {
        q = q.requested_by(id);
    }
    if let Some(id) = &sel.regarding_identity {
        q = q.regarding_identity(id);
    }
    if let Some(id) = &sel.assigned_to {
        q = q.assigned_to(id);
    }
    if sel.pending {
        q = q.request_state(RequestStateFilter::Executing);
    }
    let mut filters: Vec<Filter> = Vec::new();
    if let Some(id) = &sel.access_request_id {
        filters.push(Filter::access_request_id().eq(id));
    }
    if let Some(id) = &sel.activity_id {
        filters.push(Filter::account_activity_item_id().eq(id));
    }
    if let Some(t) = &sel.created_after {
        filters.push(Filter::created().ge(timestamp("--created-after", t)?));
    }
    if let Some(t) = &sel.created_before {
        filters.push(Filter::created().lt(timestamp("--created-before", t)?));
    }
    let mut filters = filters.into_iter();
    if let Some(first) = filters.next() {
        q = q.filter(filters.fold(first, Filter::and));
    }
    Ok(q)
}

fn sort_field(text: &str) -> Result<StatusSort, CliError> {
    match text {
        "created" => Ok(StatusSort::Created),
        "modified" => Ok(StatusSort::Modified),
        "accountActivityItemId" | "account_activity_item_id" => {
            Ok(StatusSort::AccountActivityItemId)
        }
        "name" => Ok(StatusSort::Name),
        other => Err(CliError::usage(format!(
            "--sort {other:?}: expected created, modified, accountActivityItemId or name (with - for descending)"
        ))),
    }
}

/// The columns of every listing.
pub const COLUMNS: [&str; 10] = [
    "created",
    "access_request_id",
    "account_activity_item_id",
    "requested_for",
    "requester",
    "item_type",
    "item_id",
    "name",
    "state",
    "modified",
];

/// A status as the listing's cells.
pub fn cells(s: &RequestedItemStatus) -> [String; 10] {
    let requested_for = match &s.requested_for {
        Some(RequestedForIdentities::One(one)) => one.id.clone().unwrap_or_default(),
        Some(RequestedForIdentities::Many(many)) => many
            .iter()
            .filter_map(|r| r.id.clone())
            .collect::<Vec<_>>()
            .join(";"),
        None => String::new(),
    };
    [
        s.created
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        s.access_request_id.clone().unwrap_or_default(),
        s.account_activity_item_id.clone().unwrap_or_default(),
        requested_for,
        s.requester
            .as_ref()
            .and_then(|r| r.id.clone())
            .unwrap_or_default(),
        s.type_
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        s.id.clone().unwrap_or_default(),
        s.name.clone().unwrap_or_default(),
        s.state
            .as_ref()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        s.modified
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    ]
}

/// Writes statuses one at a time in a format.
pub struct Sink<W: Write> {
    output: ListOutput,
    out: W,
    csv: Option<csv::Writer<W>>,
    count: u64,
}

const TABLE: [(usize, usize); 5] = [(0, 30), (1, 32), (3, 32), (7, 28), (8, 0)];

impl<W: Write> Sink<W> {
    pub fn new(output: ListOutput, mut out: W) -> std::io::Result<Self>
    where
        W: Clone,
    {
        let mut csv = None;
        match output {
            ListOutput::Table => {
                let header = [
                    "CREATED",
                    "ACCESS REQUEST",
                    "REQUESTED FOR",
                    "NAME",
                    "STATE",
                ];
                let line = TABLE
                    .iter()
                    .zip(header)
                    .map(|((_, w), h)| format!("{h:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ");
                writeln!(out, "{}", line.trim_end())?;
            }
            ListOutput::Json => write!(out, "[")?,
            ListOutput::Jsonl => {}
            ListOutput::Csv => {
                let mut w = csv::Writer::from_writer(out.clone());
                w.write_record(COLUMNS).map_err(std::io::Error::other)?;
                csv = Some(w);
            }
        }
        Ok(Self {
            output,
            out,
            csv,
            count: 0,
        })
    }

    pub fn push(&mut self, s: &RequestedItemStatus) -> std::io::Result<()> {
        match self.output {
            ListOutput::Table => {
                let c = cells(s);
                let line = TABLE
                    .iter()
                    .map(|&(i, w)| format!("{:<w$}", c[i]))
                    .collect::<Vec<_>>()
                    .join("  ");
                writeln!(self.out, "{}", line.trim_end())?;
            }
            ListOutput::Json => {
                let sep = if self.count == 0 { "\n  " } else { ",\n  " };
                write!(self.out, "{sep}")?;
                serde_json::to_writer(&mut self.out, s).map_err(std::io::Error::other)?;
            }
            ListOutput::Jsonl => {
                serde_json::to_writer(&mut self.out, s).map_err(std::io::Error::other)?;
                writeln!(self.out)?;
            }
            ListOutput::Csv => {
                if let Some(w) = &mut self.csv {
                    w.write_record(cells(s)).map_err(std::io::Error::other)?;
                    w.flush()?;
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<u64> {
        if self.output == ListOutput::Json {
            writeln!(self.out, "{}]", if self.count == 0 { "" } else { "\n" })?;
        }
        if let Some(mut w) = self.csv.take() {
            w.flush()?;
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// Stdout as a cloneable writer (for the CSV writer beside the sink).
#[derive(Clone, Copy)]
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

pub async fn run(client: &Client, args: StatusArgs) -> CliResult {
    if !args.watch.is_empty() {
        eprintln!(
            "waiting for {} request(s) to end (up to {} s)...",
            args.watch.len(),
            args.timeout
        );
        let statuses = client
            .wait_until_done(args.watch.iter().cloned())
            .deadline(Duration::from_secs(args.timeout))
            .wait()
            .await?;
        let mut sink = Sink::new(args.output, Stdout)?;
        for s in &statuses {
            sink.push(s)?;
        }
        let n = sink.finish()?;
        eprintln!("{n} item(s), every one ended");
        return Ok(error::OK);
    }
    let mut q = query(client, &args.selection)?;
    for field in &args.sort {
        q = match field.strip_prefix('-') {
            Some(f) => q.sort_desc(sort_field(f)?),
            None => q.sort_asc(sort_field(field.trim_start_matches('+'))?),
        };
    }
    if let Some(n) = args.page_size {
        q = q.limit(n);
    }
    if let Some(n) = args.offset {
        q = q.offset(n);
    }
    if let Some(n) = args.prefetch {
        q = q.prefetch(n);
    }
    let mut items = q.items();
    let mut sink = Sink::new(args.output, Stdout)?;
    let mut left = args.max;
    while left != Some(0) {
        let Some(status) = items.try_next().await? else {
            break;
        };
        sink.push(&status)?;
        if let Some(n) = &mut left {
            *n -= 1;
        }
    }
    let n = sink.finish()?;
    eprintln!("{n} status(es)");
    Ok(error::OK)
}
