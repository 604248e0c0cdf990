//! The command line, as clap derive types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sailpoint_access::Family;
use sailpoint_access_sandbox::SandboxArgs;

use crate::output::{Output, OutputArgs};
use crate::selection::Selection;
use crate::status::StatusArgs;

/// Exit codes, shown at the end of `--help` and in the README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  everything was done
  1  failure (the service or the network refused; nothing or not all was done)
  2  usage error (bad flag, unreadable file, refused confirmation)
  3  partial: some rows failed, ended unknown or were refused (submit, also with
     --dry-run, unless --allow-refused), or some requests were not cancelled or closed
`config diff --exit-code` exits 1 when the tenant and the file differ, 0 when
they are equal (as `git diff --exit-code`); without it, 0 either way.

Settings: flags win over SAIL_BASE_URL, SAIL_CLIENT_ID, SAIL_CLIENT_SECRET
(or SAIL_ACCESS_TOKEN) and SAIL_API_FAMILY, which win over the SailPoint CLI
environment named by --env / SAIL_ENV (base URL from ~/.sailpoint/config.yaml,
client id and secret from the keyring entries `sail` writes), then config.json
in the working directory, then the CLI's active environment; -v prints the
order and where each setting came from, `sail-access doctor` checks them. stdout carries data only, in the
format of --output (table, json, jsonl, csv, yaml; --json is --output json);
progress, prompts and logs go to stderr, and -q keeps stderr to errors (and
prompts). Times (--created-after, --created-before) are 30m, 24h, 7d, 2w (that
long before now), 2026-07-01 (midnight UTC) or RFC 3339. A closed stdout
(`| head`) ends a command quietly with exit code 0.";

/// A command line for SailPoint Identity Security Cloud access requests.
#[derive(Debug, Parser)]
#[command(name = "sail-access", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Log to stderr: -v for info, -vv for debug, -vvv for trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Print nothing on stderr but errors and prompts: no progress bar, no
    /// summary, no notes (the data on stdout is unchanged).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// The tenant's API host.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help = "The tenant's API host, such as https://acme.api.identitynow.com (default: SAIL_BASE_URL, then config.json)"
    )]
    pub base_url: Option<String>,

    /// The OAuth client id (default: SAIL_CLIENT_ID, then config.json). The
    /// secret is read from SAIL_CLIENT_SECRET, config.json or the keyring
    /// of a SailPoint CLI environment, never from a flag.
    #[arg(long, global = true, value_name = "ID")]
    pub client_id: Option<String>,

    /// Which API family shared operations use: v3 (/v3/access-requests, ...)
    /// or versioned (/access-requests/v1, /access-request-status/v1,
    /// /access-request-config/v1); default: SAIL_API_FAMILY, else v3.
    #[arg(long, global = true, value_name = "FAMILY", value_parser = FamilyParser)]
    pub api_family: Option<Family>,

    /// The SailPoint CLI environment (of ~/.sailpoint/config.yaml) to use,
    /// as `sail --env NAME`: its base URL, and for a PAT environment the
    /// client id and secret `sail` keeps in the system keyring; default:
    /// SAIL_ENV, else the file's active environment.
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub environment: Option<String>,

    /// The tenant's rate limit as REQUESTS/SECONDS, for a tenant with a
    /// custom limit (300/10), or `off`; default: SAIL_RATE_LIMIT, else the
    /// vendor's 100/10. Requests are paced to stay under it. Given before
    /// the command (`sail-access --rate-limit 300/10 status`): the sandbox
    /// command has a `--rate-limit` fault of its own.
    #[arg(long, value_name = "N/SECONDS", value_parser = rate_limit_arg)]
    pub rate_limit: Option<String>,

    /// Where the rate budget is kept, to share it with other processes of
    /// the same client id: `file:DIRECTORY` (processes of this host) or
    /// `redis://HOST:PORT/DB` (a fleet), or `in-process` (the default);
    /// default: SAIL_RATE_BUDGET. Together they stay under --rate-limit,
    /// and a 429 seen by one slows them all.
    #[arg(long, value_name = "file:DIR|redis://HOST:PORT/DB", value_parser = rate_budget_arg)]
    pub rate_budget: Option<String>,

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

// Parsed once per run: the sandbox's many knobs cost nothing worth boxing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Submit a plan file (CSV or JSON lines) as the fewest valid access requests.
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
    Submit(SubmitArgs),

    /// Resolve the names of a plan (aliases, emails, item names) to ids.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access resolve plan-by-name.csv\n",
        "  sail-access resolve plan-by-name.csv --output csv > resolved.csv\n",
        "Exit code 3 when a name is unknown, ambiguous or not requestable."
    ))]
    Resolve(ResolveArgs),

    /// List request statuses (streamed), or follow requests until they end.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access status --requested-for 2c91...a --pending\n",
        "  sail-access status --created-after 7d --sort -created --output csv\n",
        "  sail-access status --created-after 2026-06-01 --created-before 2026-06-01T12:00:00Z --json\n",
        "  sail-access status --watch 2c91...req1 2c91...req2 --timeout 900"
    ))]
    Status(StatusArgs),

    /// Cancel requests by id or by a filter; reports what really changed.
    #[command(after_help = concat!(
        "Examples:\n",
        "  sail-access cancel --id 2c91...req1 --id 2c91...req2 --comment \"project ended\"\n",
        "  sail-access cancel --requested-by me --created-before 2w \\\n",
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

    /// List, approve, reject or forward approvals; count them.
    #[command(subcommand, after_help = concat!(
        "Examples:\n",
        "  sail-access approvals list --from-journal plan.journal.jsonl\n",
        "  sail-access approvals approve --from-journal plan.journal.jsonl --comment ok --dry-run\n",
        "  sail-access approvals reject --access-request-id 2c91...req --comment \"not now\" --yes\n",
        "  sail-access approvals forward --approval-id 2c91...ap --to 2c91...id --comment \"on leave\"\n",
        "Decisions ask for confirmation on a terminal unless --yes; without a terminal, --yes is required."
    ))]
    Approvals(crate::approvals::ApprovalsCommand),

    /// Why requests are where they are: phases, approvers, errors, next action.
    #[command(
        after_help = "Example:\n  sail-access explain 2c91...req1 2c91...req2 --output json"
    )]
    Explain(crate::approvals::ExplainArgs),

    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  sail-access completions bash > /etc/bash_completion.d/sail-access"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Check the settings: where each came from, the token and its rights,
    /// each API family, the rate limit, the deprecations announced.
    #[command(after_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),
}

/// The end of `sail-access doctor --help`.
const DOCTOR_HELP: &str = "\
Checks, in order: where each setting came from (secrets are shown only as
`set`, with their source), a token (its lifetime and the rights it carries,
read from the token's claims without verifying them; never the token), each
API family's status list with limit=0, the rate limit (configured, and the
share the pacer uses after 429s), and the deprecations the service announced.

Exit codes of doctor:
  0  every check passed
  1  an error: no token, or the configured family does not answer
  2  the settings cannot be resolved (nothing was sent)
  3  warnings only: another family does not answer, or deprecations were announced

Examples:
  sail-access doctor
  sail-access --env prod doctor --json > doctor.json   # for a support ticket";

/// `sail-access doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Table for people, json for a support ticket (no secret in either).
    #[command(flatten)]
    pub output: OutputArgs,
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

/// `sail-access resolve`: the ids a plan's names stand for.
#[derive(Debug, Args)]
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

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration (or write it to --file).
    #[command(
        after_help = "Examples:\n  sail-access config get -o yaml\n  sail-access config get --file tenant.json\n  sail-access config get --v2"
    )]
    Get {
        /// Output format (default: from --file's extension, else json);
        /// table and csv show one field a row, jsonl one field a line.
        #[arg(short, long, value_enum)]
        output: Option<Output>,
        /// Same as --output json.
        #[arg(long, conflicts_with = "output")]
        json: bool,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The v2 configuration (versioned family).
        #[arg(long)]
        v2: bool,
    },
    /// Compare a file with the tenant, field by field.
    #[command(after_help = concat!(
        "Examples:\n  sail-access config diff tenant.yaml\n",
        "  sail-access config diff tenant.yaml --exit-code || echo \"the tenant drifted\"\n",
        "Exit code: 0, or with --exit-code 1 when a field differs and 0 when none does."
    ))]
    Diff {
        /// A JSON or YAML document: every field it names is compared.
        file: PathBuf,
        /// The v2 configuration.
        #[arg(long)]
        v2: bool,
        #[command(flatten)]
        output: OutputArgs,
        /// Exit 1 when a field differs, 0 when none does (a drift check).
        #[arg(long)]
        exit_code: bool,
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
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// `--rate-limit`: `off`, or a limit the library parses (checked while
/// parsing the command line, so a bad value is a usage error).
fn rate_limit_arg(text: &str) -> Result<String, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok("off".to_owned());
    }
    text.parse::<sailpoint_access::RateLimit>()
        .map(|_| text.trim().to_owned())
}

/// `--rate-budget`: checked while parsing the command line.
fn rate_budget_arg(text: &str) -> Result<String, String> {
    text.parse::<sailpoint_access::RateBudgetSpec>()
        .map(|_| text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// The sandbox binary's own command line: the shared struct, flattened.
    #[derive(Parser)]
    struct Standalone {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    const ARGV: [&str; 24] = [
        "--port",
        "0",
        "--seed",
        "4",
        "--client-id",
        "id",
        "--token-lifetime",
        "30",
        "--limit",
        "9",
        "--window-ms",
        "900",
        "--server-errors",
        "0.5",
        "--server-error-status",
        "502,503",
        "--drop-connections",
        "0.25",
        "--drop-times",
        "1",
        "--auto-provision-ms",
        "10",
        "--auto-fail-ratio",
        "0.5",
    ];

    #[test]
    fn sandbox_subcommand_parses_as_the_sandbox_binary_does() {
        let cli = Cli::try_parse_from(["sail-access", "sandbox"].into_iter().chain(ARGV)).unwrap();
        let Command::Sandbox(ours) = cli.command else {
            panic!("not the sandbox command");
        };
        let standalone = Standalone::try_parse_from(["sandbox"].into_iter().chain(ARGV))
            .unwrap()
            .sandbox;
        assert_eq!(ours, standalone);
        assert_eq!(ours.client_id.as_deref(), Some("id"));
        assert_eq!(
            format!("{:?}", ours.into_builder()),
            format!("{:?}", standalone.into_builder())
        );
    }

    #[test]
    fn status_flags_are_typed_at_parse_time() {
        let cli = Cli::try_parse_from([
            "sail-access",
            "status",
            "--sort",
            "-created",
            "--sort",
            "account_activity_item_id",
            "--created-after",
            "2026-07-01T00:00:00Z",
        ])
        .unwrap();
        let Command::Status(args) = cli.command else {
            panic!("not the status command");
        };
        let keys: Vec<(sailpoint_access::StatusSort, bool)> =
            args.sort.iter().map(|k| (k.field, k.descending)).collect();
        assert_eq!(
            keys,
            [
                (sailpoint_access::StatusSort::Created, true),
                (sailpoint_access::StatusSort::AccountActivityItemId, false)
            ]
        );
        assert_eq!(
            args.selection.created_after.map(|t| t.to_string()),
            Some("2026-07-01T00:00:00Z".to_owned())
        );
    }

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
