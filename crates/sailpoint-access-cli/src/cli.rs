//! The top-level command line: the global flags and the list of commands.
//! Each command's arguments, examples and execution live in its own module.

use clap::{Args, Parser, Subcommand};
use sailpoint_access::Family;
use sailpoint_access_sandbox::SandboxArgs;

use crate::{approvals, change, config, doctor, explain, resolve, sandbox, status, submit};

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
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command takes: logging, and the settings of the client.
#[derive(Debug, Args)]
pub struct GlobalArgs {
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
}

impl GlobalArgs {
    /// The settings flags given, as (flag, the setting it sets), for the doctor.
    pub fn given(&self) -> Vec<(&'static str, &'static str)> {
        [
            (self.base_url.is_some(), "--base-url", "base_url"),
            (self.client_id.is_some(), "--client-id", "credentials"),
            (self.api_family.is_some(), "--api-family", "family"),
            (self.rate_limit.is_some(), "--rate-limit", "rate_limit"),
        ]
        .into_iter()
        .filter(|(given, ..)| *given)
        .map(|(_, flag, setting)| (flag, setting))
        .collect()
    }
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
    Submit(submit::SubmitArgs),

    /// Resolve the names of a plan (aliases, emails, item names) to ids.
    Resolve(resolve::ResolveArgs),

    /// List request statuses (streamed), or follow requests until they end.
    Status(status::StatusArgs),

    /// Cancel requests by id or by a filter; reports what really changed.
    Cancel(change::CancelArgs),

    /// Close requests by id or by a filter; reports what really changed.
    Close(change::CloseArgs),

    /// Read, compare and change the tenant's access request configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),

    /// Serve the embedded sandbox tenant in process until Ctrl-C.
    #[command(after_help = sandbox::EXAMPLES)]
    Sandbox(SandboxArgs),

    /// List, approve, reject or forward approvals; count them.
    #[command(subcommand)]
    Approvals(approvals::ApprovalsCommand),

    /// Why requests are where they are: phases, approvers, errors, next action.
    Explain(explain::ExplainArgs),

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
    Doctor(doctor::DoctorArgs),
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
        assert_eq!(cli.global.api_family, Some(Family::Versioned));
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
