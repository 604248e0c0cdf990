//! The command line, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sailpoint_access::Family;

/// Exit codes, shown at the end of `--help` and in the README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  everything was done
  1  failure (the service or the network refused; nothing or not all was done)
  2  usage error (bad flag, unreadable file, refused confirmation)
  3  partial: some rows failed or ended unknown, or some requests were not cancelled

Settings: flags win over SAIL_BASE_URL, SAIL_CLIENT_ID, SAIL_CLIENT_SECRET
(or SAIL_ACCESS_TOKEN) and SAIL_API_FAMILY, which win over config.json in the
working directory. stdout carries data only; progress, prompts and logs go to
stderr.";

/// A command line for SailPoint Identity Security Cloud access requests.
#[derive(Debug, Parser)]
#[command(name = "sail-access", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Log to stderr: -v for info, -vv for debug, -vvv for trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// The tenant's API host.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help = "The tenant's API host, such as https://acme.api.identitynow.com (default: SAIL_BASE_URL, then config.json)"
    )]
    pub base_url: Option<String>,

    /// The OAuth client id (default: SAIL_CLIENT_ID, then config.json). The
    /// secret is read from SAIL_CLIENT_SECRET or config.json only, never
    /// from a flag.
    #[arg(long, global = true, value_name = "ID")]
    pub client_id: Option<String>,

    /// Which API family shared operations use: v3 (/v3/access-requests, ...)
    /// or versioned (/access-requests/v1, /access-request-status/v1,
    /// /access-request-config/v1); default: SAIL_API_FAMILY, else v3.
    #[arg(long, global = true, value_name = "FAMILY", value_parser = FamilyParser)]
    pub api_family: Option<Family>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--api-family`: read by the library's `Family::from_str`, with the
/// families' names offered to `--help` and shell completion.
#[derive(Clone)]
struct FamilyParser;

impl clap::builder::TypedValueParser for FamilyParser {
    type Value = Family;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Family, clap::Error> {
        clap::builder::StringValueParser::new()
            .try_map(|text| text.parse::<Family>())
            .parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(Family::ALL.into_iter().map(|family| {
            clap::builder::PossibleValue::new(family.as_str())
        })))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Submit a plan file (CSV or JSON lines) as the fewest valid access requests.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access submit plan.csv --dry-run\n",
        "  sail-access submit plan.csv --journal plan.journal.jsonl --wait 600\n",
        "  sail-access submit plan.csv --journal plan.journal.jsonl --resume   # after a crash\n",
        "  sail-access submit leavers.jsonl --type revoke --output json\n\n",
        "CSV columns (header required): identity,type,id,comment,start,end,metadata\n",
        "  type: role | access_profile | entitlement (or ROLE, ACCESS_PROFILE, ENTITLEMENT)\n",
        "  start, end: RFC 3339 date-times; metadata: k=v;k2=v2\n",
        "JSON lines: one object a line with identity, item_type, item_id, and optional\n",
        "  comment, start_date, remove_date, metadata (an object).\n",
        "A row that does not parse is refused with its line number; the rest proceeds."
    ))]
    Submit(SubmitArgs),

    /// List request statuses (streamed), or follow requests until they end.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access status --requested-for 2c91...a --pending\n",
        "  sail-access status --created-after 2026-06-01T00:00:00Z --sort -created --output csv\n",
        "  sail-access status --watch 2c91...req1 2c91...req2 --timeout 900"
    ))]
    Status(StatusArgs),

    /// Cancel requests by id or by a filter; reports what really changed.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access cancel --id 2c91...req1 --id 2c91...req2 --comment \"project ended\"\n",
        "  sail-access cancel --requested-by me --created-before 2026-01-01T00:00:00Z \\\n",
        "      --comment stale --dry-run\n",
        "Asks for confirmation on a terminal unless --yes; without a terminal, --yes is required."
    ))]
    Cancel(CancelArgs),

    /// Close requests by id or by a filter; reports what really changed.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access close --id 2c91...req1 --completion-status failure --message \"source gone\"\n",
        "  sail-access close --requested-for 2c91...a --dry-run\n",
        "Asks for confirmation on a terminal unless --yes; without a terminal, --yes is required."
    ))]
    Close(CloseArgs),

    /// Read, compare and change the tenant's access request configuration.
    #[command(subcommand)]
    Config(ConfigCommand),

    /// Serve the embedded sandbox tenant in process until Ctrl-C.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access sandbox --port 8787 --seed-statuses 100\n",
        "  sail-access sandbox --port 0 > sandbox.env &  sleep 1; . ./sandbox.env\n",
        "Prints `export SAIL_...=...` lines on stdout for another terminal."
    ))]
    Sandbox(SandboxArgs),

    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  sail-access completions bash > /etc/bash_completion.d/sail-access"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Plan file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

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

/// Outputs of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportOutput {
    /// Aligned columns.
    Table,
    /// One JSON document.
    Json,
}

#[derive(Debug, Args)]
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

    /// Send again a request whose answer was lost and that was not found in
    /// the statuses within the grace period (may duplicate on a tenant that
    /// lists new requests later than that).
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

    /// How to print the report on stdout.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ReportOutput,
}

/// Outputs of status listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListOutput {
    /// Aligned columns.
    Table,
    /// One JSON array (streamed).
    Json,
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
}

/// The filters shared by `status`, `cancel` and `close`.
#[derive(Debug, Args, Default, Clone)]
pub struct Selection {
    /// Requests for this identity (`me` for the caller).
    #[arg(long, value_name = "IDENTITY")]
    pub requested_for: Option<String>,
    /// Requests made by this identity (`me` for the caller).
    #[arg(long, value_name = "IDENTITY")]
    pub requested_by: Option<String>,
    /// Requests for or by this identity.
    #[arg(long, value_name = "IDENTITY")]
    pub regarding_identity: Option<String>,
    /// Requests with an approval assigned to this identity.
    #[arg(long, value_name = "IDENTITY")]
    pub assigned_to: Option<String>,
    /// Only requests still executing.
    #[arg(long)]
    pub pending: bool,
    /// Only this access request.
    #[arg(long, value_name = "ID")]
    pub access_request_id: Option<String>,
    /// Only this account activity item.
    #[arg(long, value_name = "ID")]
    pub activity_id: Option<String>,
    /// Only requests created at or after this RFC 3339 date-time.
    #[arg(long, value_name = "TIME")]
    pub created_after: Option<String>,
    /// Only requests created before this RFC 3339 date-time.
    #[arg(long, value_name = "TIME")]
    pub created_before: Option<String>,
}

impl Selection {
    /// Whether any filter is given.
    pub fn is_empty(&self) -> bool {
        self.requested_for.is_none()
            && self.requested_by.is_none()
            && self.regarding_identity.is_none()
            && self.assigned_to.is_none()
            && !self.pending
            && self.access_request_id.is_none()
            && self.activity_id.is_none()
            && self.created_after.is_none()
            && self.created_before.is_none()
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub selection: Selection,

    /// Sort by created, modified, accountActivityItemId or name; `-` in
    /// front for descending (repeatable).
    #[arg(long, value_name = "FIELD", allow_hyphen_values = true)]
    pub sort: Vec<String>,

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

    /// With --watch: give up after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub timeout: u64,

    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ListOutput,
}

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

    /// How to print the report on stdout.
    #[arg(short, long, value_enum, default_value = "table")]
    pub output: ReportOutput,
}

#[derive(Debug, Args)]
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

#[derive(Debug, Args)]
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

/// Document formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// JSON
    Json,
    /// YAML
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration (or write it to --file).
    #[command(
        after_help = "Examples:\n  sail-access config get -o yaml\n  sail-access config get --file tenant.json\n  sail-access config get --v2"
    )]
    Get {
        /// Output format (default: from --file's extension, else json).
        #[arg(short, long, value_enum)]
        output: Option<DocFormat>,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The v2 configuration (versioned family).
        #[arg(long)]
        v2: bool,
    },
    /// Compare a file with the tenant, field by field.
    #[command(after_help = "Example:\n  sail-access config diff tenant.yaml")]
    Diff {
        /// A JSON or YAML document: every field it names is compared.
        file: PathBuf,
        /// The v2 configuration.
        #[arg(long)]
        v2: bool,
        /// How to print the differences.
        #[arg(short, long, value_enum, default_value = "table")]
        output: ReportOutput,
    },
    /// Apply a file to the tenant (read, merge, write), showing the diff first.
    #[command(after_help = concat!(
        "Example:\n  sail-access config get --file tenant.json && $EDITOR tenant.json\n",
        "  sail-access config apply tenant.json --dry-run\n  sail-access config apply tenant.json --yes\n",
        "Fields the file does not name keep their values; unknown keys in the file are refused."
    ))]
    Apply {
        /// A JSON or YAML document, loaded strictly (unknown keys are refused).
        file: PathBuf,
        /// The v2 configuration.
        #[arg(long)]
        v2: bool,
        /// Show the diff; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        yes: bool,
        /// How to print the differences.
        #[arg(short, long, value_enum, default_value = "table")]
        output: ReportOutput,
    },
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Start with this many generated statuses.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed_statuses: usize,
    /// Approve pending items this many milliseconds after creation
    /// (turns the automatic lifecycle on).
    #[arg(long, value_name = "MS")]
    pub auto_approve_ms: Option<u64>,
    /// Provision approved items this many milliseconds after approval
    /// (turns the automatic lifecycle on).
    #[arg(long, value_name = "MS")]
    pub auto_provision_ms: Option<u64>,
    /// Add this many milliseconds to every API response.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Answer 429 past this many requests per window (per token and family).
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// The rate limit's window.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 10_000,
        requires = "rate_limit"
    )]
    pub rate_window_ms: u64,
    /// Answer this share of API requests (0 to 1) with a server error.
    #[arg(long, value_name = "RATIO", value_parser = ratio)]
    pub server_errors: Option<f64>,
    /// The status of those server errors (default: a mix of 500, 502, 503).
    #[arg(long, value_name = "STATUS", requires = "server_errors", value_parser = clap::value_parser!(u16).range(500..600))]
    pub server_error_status: Option<u16>,
    /// List new statuses only this many milliseconds after their creation.
    #[arg(long, value_name = "MS")]
    pub visibility_delay_ms: Option<u64>,
    /// Answer an empty page instead of 400 "Specified offset is invalid."
    #[arg(long)]
    pub no_offset_quirk: bool,
}

fn ratio(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and 1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn api_family_is_read_by_the_library_s_parser() {
        let cli = Cli::try_parse_from(["sail-access", "--api-family", "versioned", "status"])
            .expect("a known family");
        assert_eq!(cli.api_family, Some(Family::Versioned));
        let err = Cli::try_parse_from(["sail-access", "--api-family", "v2024", "status"])
            .expect_err("an unknown family")
            .to_string();
        assert!(
            err.contains(r#"unknown API family "v2024"; expected "v3" or "versioned""#),
            "{err}"
        );
        let help = Cli::command().render_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(help.contains("[possible values: v3, versioned]"), "{help}");
    }
}
