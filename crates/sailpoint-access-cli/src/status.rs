//! `sail-access status`: stream statuses in constant memory, or follow
//! requests until they end.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use sailpoint_access::types::RequestedItemStatus;
use sailpoint_access::{Client, StatusSort};

use crate::error::{self, CliResult};
use crate::output::{csv_io, note, yaml, Output, OutputArgs};
use crate::selection::Selection;
use crate::table;

/// One `--sort` key: a field, ascending unless written with `-` in front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The field.
    pub field: StatusSort,
    /// Whether `-` was written in front.
    pub descending: bool,
}

impl std::str::FromStr for SortKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let field = name
            .parse()
            .map_err(|e| format!("{e} (with - for descending)"))?;
        Ok(Self { field, descending })
    }
}

/// `sail-access status`.
#[derive(Debug, Args)]
#[command(after_help = concat!(
    "Examples:\n",
    "  sail-access status --requested-for 2c91...a --pending\n",
    "  sail-access status --created-after 7d --sort -created --output csv\n",
    "  sail-access status --created-after 2026-06-01 --created-before 2026-06-01T12:00:00Z --json\n",
    "  sail-access status --watch 2c91...req1 2c91...req2 --timeout 900"
))]
pub struct StatusArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// Sort by created, modified, accountActivityItemId or name; `-` in
    /// front for descending (repeatable).
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
    pub sort: Vec<SortKey>,

    /// Statuses per page (1 to 250).
    #[arg(long, value_name = "N")]
    pub page_size: Option<u32>,

    /// Stop after this many statuses.
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,

    /// Skip this many statuses first.
    #[arg(long, value_name = "N")]
    pub offset: Option<u32>,

    /// Pages fetched ahead while printing.
    #[arg(long, value_name = "N")]
    pub prefetch: Option<usize>,

    /// Follow these access requests until every item has ended; prints
    /// their final statuses.
    #[arg(long, value_name = "ID", num_args = 1.., conflicts_with_all = ["sort", "page_size", "max", "offset"])]
    pub watch: Vec<String>,

    /// Instead of the statuses: the requests still executing that were
    /// created before --older-than (among those the filters select), with
    /// what each waits on and what would move it (as `explain`).
    #[arg(long, requires = "older_than", conflicts_with_all = ["watch", "sort", "max", "offset"])]
    pub stuck: bool,

    /// With --stuck: how old a request must be (30m, 24h, 7d, 2w, a date or
    /// RFC 3339).
    #[arg(long, value_name = "DURATION", requires = "stuck", value_parser = crate::time_arg::parse)]
    pub older_than: Option<sailpoint_access::Timestamp>,

    /// With --watch: give up after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,

    /// csv, jsonl, json and yaml stream; a table is printed at the end, its
    /// columns sized to the content.
    #[command(flatten)]
    pub output: OutputArgs,
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
    let requested_for = s.requested_for_ids().collect::<Vec<_>>().join(";");
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

/// The columns of a table: (index in [`cells`], header).
const TABLE: [(usize, &str); 5] = [
    (0, "CREATED"),
    (1, "ACCESS REQUEST"),
    (3, "REQUESTED FOR"),
    (7, "NAME"),
    (8, "STATE"),
];

/// Writes statuses one at a time in a format (a table collects them, to
/// size its columns).
pub struct Sink<W: Write> {
    output: Output,
    out: W,
    csv: Option<csv::Writer<W>>,
    table: Vec<Vec<String>>,
    count: u64,
}

impl<W: Write> Sink<W> {
    pub fn new(output: Output, mut out: W) -> std::io::Result<Self>
    where
        W: Clone,
    {
        let mut csv = None;
        match output {
            Output::Table | Output::Jsonl | Output::Yaml => {}
            Output::Json => write!(out, "[")?,
            Output::Csv => {
                let mut w = csv::Writer::from_writer(out.clone());
                w.write_record(COLUMNS).map_err(csv_io)?;
                csv = Some(w);
            }
        }
        Ok(Self {
            output,
            out,
            csv,
            table: Vec::new(),
            count: 0,
        })
    }

    pub fn push(&mut self, s: &RequestedItemStatus) -> std::io::Result<()> {
        match self.output {
            Output::Table => {
                let c = cells(s);
                self.table
                    .push(TABLE.iter().map(|&(i, _)| c[i].clone()).collect());
            }
            Output::Json => {
                let sep = if self.count == 0 { "\n  " } else { ",\n  " };
                write!(self.out, "{sep}")?;
                serde_json::to_writer(&mut self.out, s).map_err(std::io::Error::from)?;
            }
            Output::Jsonl => {
                serde_json::to_writer(&mut self.out, s).map_err(std::io::Error::from)?;
                writeln!(self.out)?;
            }
            Output::Csv => {
                if let Some(w) = &mut self.csv {
                    w.write_record(cells(s)).map_err(csv_io)?;
                    w.flush()?;
                }
            }
            Output::Yaml => {
                // One item of a sequence at a time: together, one document.
                self.out
                    .write_all(yaml(&std::slice::from_ref(s))?.as_bytes())?;
            }
        }
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<u64> {
        match self.output {
            Output::Json => {
                writeln!(self.out, "{}]", if self.count == 0 { "" } else { "\n" })?;
            }
            Output::Yaml if self.count == 0 => writeln!(self.out, "[]")?,
            Output::Table => {
                let header = TABLE.map(|(_, h)| h);
                table::write(&mut self.out, &header, &self.table)?;
            }
            _ => {}
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

pub async fn exec(client: &Client, args: StatusArgs) -> CliResult {
    if let (true, Some(before)) = (args.stuck, args.older_than) {
        return crate::explain::explain_stuck(client, &args.selection, before, args.output).await;
    }
    if !args.watch.is_empty() {
        note!(
            "waiting for {} request(s) to end (up to {} s)...",
            args.watch.len(),
            args.timeout
        );
        let statuses = client
            .wait_until_done(args.watch.iter().cloned())
            .deadline(Duration::from_secs(args.timeout))
            .wait()
            .await?;
        let mut sink = Sink::new(args.output.format(), Stdout)?;
        for s in &statuses {
            sink.push(s)?;
        }
        let n = sink.finish()?;
        note!("{n} item(s), every one ended");
        return Ok(error::OK);
    }
    let mut q = args.selection.query(client);
    for key in &args.sort {
        q = if key.descending {
            q.sort_desc(key.field)
        } else {
            q.sort_asc(key.field)
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
    let mut sink = Sink::new(args.output.format(), Stdout)?;
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
    note!("{n} status(es)");
    Ok(error::OK)
}
