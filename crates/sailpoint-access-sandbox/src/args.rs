//! The sandbox's command line, shared by every front end that serves one
//! (this crate's binary, `sail-access sandbox`, the bench's `serve`): one
//! `clap::Args` struct, so that a knob added to the builder is added here
//! once and reaches all three.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use clap::{ArgGroup, Args};
use sailpoint_access_api::limits;
use sailpoint_access_api::types::{AccessRequestConfig, AccessRequestConfigV2};
use serde::de::DeserializeOwned;

use crate::{
    AutoLifecycle, DropConnections, Latency, RateLimitFault, Sandbox, SandboxBuilder, ServerErrors,
    Stall,
};

/// Help headings of the knobs that are not about the server itself.
const FAULTS: &str = "Faults (API operations only)";
const TENANT: &str = "Tenant behaviour";

/// The port a served sandbox listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8787;

/// Every knob of [`SandboxBuilder`] as a flag. Flatten it into a clap
/// command (`#[command(flatten)] sandbox: SandboxArgs`), then call
/// [`into_builder`](Self::into_builder).
///
/// Combinations are checked while parsing: a half of a knob (a window
/// without a limit, a status without a share of server errors, a ratio of
/// the lifecycle without its schedule) is a usage error naming the flag.
///
/// ```
/// use clap::Parser;
/// use sailpoint_access_sandbox::SandboxArgs;
///
/// #[derive(Parser)]
/// struct Serve {
///     #[command(flatten)]
///     sandbox: SandboxArgs,
/// }
///
/// let serve = Serve::try_parse_from(["serve", "--port", "0", "--rate-limit", "5"]).unwrap();
/// let builder = serve.sandbox.into_builder();
/// # drop(builder);
/// assert!(Serve::try_parse_from(["serve", "--rate-window-ms", "100"]).is_err());
/// ```
#[derive(Args, Clone, Debug, Default, PartialEq)]
#[command(group(ArgGroup::new("lifecycle").multiple(true).args(["auto_approve_ms", "auto_provision_ms"])))]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one) [default: 8787; the bench's
    /// serve: 0]
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Listen on this IP address instead of 127.0.0.1
    #[arg(long, value_name = "IP")]
    pub host: Option<IpAddr>,
    /// Start with this many generated statuses [default: 0]
    #[arg(long, value_name = "N")]
    pub seed_statuses: Option<usize>,
    /// Seed the directory the look-ups serve: `demo` (a few named people and
    /// items), or `IDENTITIES,ITEMS` (that many generated, plus the demo)
    #[arg(long, value_name = "SPEC", value_parser = parse_directory)]
    pub directory: Option<(usize, usize)>,
    /// The client id the token endpoint accepts [default: the sandbox's]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The client secret the token endpoint accepts [default: the sandbox's]
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,
    /// Lifetime of issued tokens, in seconds [default: 43200]
    #[arg(long, value_name = "SECS")]
    pub token_lifetime: Option<u64>,
    /// Seed of ids, generated data and fault decisions [default: 0; the
    /// bench's serve: 7]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Answer an empty page instead of 400 "Specified offset is invalid."
    #[arg(long)]
    pub no_offset_quirk: bool,
    /// Start with this access request configuration (a JSON file; unknown
    /// properties are kept) [default: the sandbox's]
    #[arg(long, value_name = "FILE", value_parser = json_file::<AccessRequestConfig>)]
    pub config: Option<AccessRequestConfig>,
    /// Start with this second configuration document (a JSON file)
    /// [default: the sandbox's]
    #[arg(long, value_name = "FILE", value_parser = json_file::<AccessRequestConfigV2>)]
    pub config_v2: Option<AccessRequestConfigV2>,

    /// Delay every API response by this many milliseconds.
    #[arg(long, value_name = "MS", help_heading = FAULTS)]
    pub latency_ms: Option<u64>,
    /// Answer 429 once a caller made this many requests of one API family
    /// in a window.
    #[arg(long, visible_alias = "limit", value_name = "N", help_heading = FAULTS)]
    pub rate_limit: Option<u32>,
    /// Length of the rate-limit window [default: 10000]
    #[arg(long, visible_alias = "window-ms", value_name = "MS", requires = "rate_limit", help_heading = FAULTS)]
    pub rate_window_ms: Option<u64>,
    /// Answer this share (0 to 1) of API requests with a server error.
    #[arg(long, value_name = "RATIO", value_parser = ratio, help_heading = FAULTS)]
    pub server_errors: Option<f64>,
    /// The 5xx answered (repeatable or comma-separated) [default: a mix of
    /// 500, 502 and 503]
    #[arg(long, value_name = "STATUS", value_delimiter = ',', requires = "server_errors", value_parser = clap::value_parser!(u16).range(500..600), help_heading = FAULTS)]
    pub server_error_status: Vec<u16>,
    /// Hold this share (0 to 1) of API requests without answering.
    #[arg(long, value_name = "RATIO", value_parser = ratio, help_heading = FAULTS)]
    pub stall: Option<f64>,
    /// Answer stalled requests after this many milliseconds [default: never]
    #[arg(long, value_name = "MS", requires = "stall", help_heading = FAULTS)]
    pub stall_ms: Option<u64>,
    /// Close the connection of this share (0 to 1) of API requests without
    /// answering.
    #[arg(long, value_name = "RATIO", value_parser = ratio, help_heading = FAULTS)]
    pub drop_connections: Option<f64>,
    /// Process a request before dropping its connection (the lost answer).
    #[arg(long, requires = "drop_connections", help_heading = FAULTS)]
    pub drop_after_processing: bool,
    /// Drop at most this many connections, then answer every request.
    #[arg(long, value_name = "N", requires = "drop_connections", help_heading = FAULTS)]
    pub drop_times: Option<u32>,

    /// Keep a new status out of the lists for this many milliseconds.
    #[arg(long, value_name = "MS", help_heading = TENANT)]
    pub visibility_delay_ms: Option<u64>,
    /// Approve pending items this many milliseconds after creation (turns
    /// the automatic lifecycle on).
    #[arg(long, value_name = "MS", help_heading = TENANT)]
    pub auto_approve_ms: Option<u64>,
    /// Provision approved items this many milliseconds after approval
    /// (turns the automatic lifecycle on).
    #[arg(long, value_name = "MS", help_heading = TENANT)]
    pub auto_provision_ms: Option<u64>,
    /// Share of items rejected instead of approved [default: 0]
    #[arg(long, value_name = "RATIO", value_parser = ratio, requires = "lifecycle", help_heading = TENANT)]
    pub auto_reject_ratio: Option<f64>,
    /// Share of approved items whose provisioning fails [default: 0]
    #[arg(long, value_name = "RATIO", value_parser = ratio, requires = "lifecycle", help_heading = TENANT)]
    pub auto_fail_ratio: Option<f64>,
}

impl SandboxArgs {
    /// A builder with every flag applied over the defaults of a served
    /// sandbox ([`Sandbox::builder`] on port [`DEFAULT_PORT`]).
    pub fn into_builder(self) -> SandboxBuilder {
        self.apply(Sandbox::builder().port(DEFAULT_PORT))
    }

    /// `base` with every flag given applied; what was not given keeps the
    /// value `base` has (for a front end whose defaults differ, such as
    /// the bench's free port and fixed seed).
    pub fn apply(self, mut b: SandboxBuilder) -> SandboxBuilder {
        let ms = Duration::from_millis;
        if let Some(port) = self.port {
            b = b.port(port);
        }
        if let Some(ip) = self.host {
            b = b.host(ip);
        }
        if let Some(config) = self.config {
            b = b.config(config);
        }
        if let Some(config) = self.config_v2 {
            b = b.config_v2(config);
        }
        if let Some(n) = self.seed_statuses {
            b = b.seed_statuses(n);
        }
        if let Some((identities, items)) = self.directory {
            let demo = crate::Directory::demo();
            b = b.directory(if identities + items == 0 {
                demo
            } else {
                demo.merge(crate::Directory::generated(identities, items))
            });
        }
        if let Some(id) = self.client_id {
            b = b.client_id(id);
        }
        if let Some(secret) = self.client_secret {
            b = b.client_secret(secret);
        }
        if let Some(secs) = self.token_lifetime {
            b = b.token_lifetime(Duration::from_secs(secs));
        }
        if let Some(seed) = self.seed {
            b = b.seed(seed);
        }
        if self.no_offset_quirk {
            b = b.offset_quirk(false);
        }
        if let Some(delay) = self.latency_ms {
            b = b.latency(Latency::new(ms(delay)));
        }
        if let Some(n) = self.rate_limit {
            let window = self
                .rate_window_ms
                .map_or(Duration::from_secs(limits::RATE_LIMIT_WINDOW_SECONDS), ms);
            b = b.rate_limit(RateLimitFault::new(n, window));
        }
        if let Some(share) = self.server_errors {
            b = b.server_errors(ServerErrors::new(share).statuses(&self.server_error_status));
        }
        if let Some(share) = self.stall {
            b = b.stall(match self.stall_ms {
                Some(after) => Stall::for_duration(share, ms(after)),
                None => Stall::forever(share),
            });
        }
        if let Some(share) = self.drop_connections {
            let mut drops = DropConnections::new(share);
            if self.drop_after_processing {
                drops = drops.after_processing();
            }
            if let Some(n) = self.drop_times {
                drops = drops.times(n);
            }
            b = b.drop_connections(drops);
        }
        if let Some(delay) = self.visibility_delay_ms {
            b = b.visibility_delay(ms(delay));
        }
        if self.auto_approve_ms.is_some() || self.auto_provision_ms.is_some() {
            let auto = AutoLifecycle::new(
                ms(self.auto_approve_ms.unwrap_or(0)),
                ms(self.auto_provision_ms.unwrap_or(0)),
            )
            .reject_ratio(self.auto_reject_ratio.unwrap_or(0.0))
            .fail_ratio(self.auto_fail_ratio.unwrap_or(0.0));
            b = b.auto_lifecycle(auto);
        }
        b
    }
}

/// A JSON document read from a file while parsing, so that a bad file is
/// a usage error naming it.
fn json_file<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let text =
        std::fs::read_to_string(Path::new(path)).map_err(|e| format!("cannot read it: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("not the expected JSON document: {e}"))
}

/// A share between 0 and 1.
fn ratio(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not a ratio between 0 and 1"))
    }
}

/// `--directory`: `demo` is (0, 0); `IDENTITIES,ITEMS` adds that many generated.
fn parse_directory(text: &str) -> Result<(usize, usize), String> {
    if text.eq_ignore_ascii_case("demo") {
        return Ok((0, 0));
    }
    let parsed = text
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    parsed.ok_or_else(|| {
        format!("{text:?}: expected demo or IDENTITIES,ITEMS (such as 100000,20000)")
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::FaultConfig;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    fn parse(argv: &[&str]) -> Result<SandboxArgs, clap::Error> {
        Serve::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))
            .map(|s| s.sandbox)
    }

    #[test]
    fn every_flag_sets_its_knob() {
        let b = parse(&[
            "--port",
            "0",
            "--seed-statuses",
            "3",
            "--client-id",
            "id",
            "--client-secret",
            "secret",
            "--token-lifetime",
            "60",
            "--seed",
            "9",
            "--no-offset-quirk",
            "--latency-ms",
            "5",
            "--limit",
            "7",
            "--window-ms",
            "700",
            "--server-errors",
            "0.5",
            "--server-error-status",
            "502,503",
            "--server-error-status",
            "504",
            "--stall",
            "0.25",
            "--stall-ms",
            "40",
            "--drop-connections",
            "0.125",
            "--drop-after-processing",
            "--drop-times",
            "2",
            "--visibility-delay-ms",
            "30",
            "--auto-provision-ms",
            "20",
            "--auto-reject-ratio",
            "0.5",
            "--auto-fail-ratio",
            "0.25",
        ])
        .unwrap()
        .into_builder();
        let ms = Duration::from_millis;
        let expected = Sandbox::builder()
            .port(0)
            .seed_statuses(3)
            .client_id("id")
            .client_secret("secret")
            .token_lifetime(Duration::from_secs(60))
            .seed(9)
            .offset_quirk(false)
            .faults(FaultConfig {
                rate_limit: Some(RateLimitFault::new(7, ms(700))),
                server_errors: Some(ServerErrors::new(0.5).statuses(&[502, 503, 504])),
                latency: Some(Latency::new(ms(5))),
                stall: Some(Stall::for_duration(0.25, ms(40))),
                drop_connections: Some(DropConnections::new(0.125).after_processing().times(2)),
            })
            .visibility_delay(ms(30))
            .auto_lifecycle(
                AutoLifecycle::new(Duration::ZERO, ms(20))
                    .reject_ratio(0.5)
                    .fail_ratio(0.25),
            );
        assert_eq!(format!("{b:?}"), format!("{expected:?}"));
    }

    #[test]
    fn defaults_are_a_served_sandbox_and_apply_keeps_the_base() {
        let b = parse(&[]).unwrap().into_builder();
        let expected = Sandbox::builder().port(DEFAULT_PORT);
        assert_eq!(format!("{b:?}"), format!("{expected:?}"));
        let base = Sandbox::builder().seed(7);
        let b = parse(&["--seed-statuses", "2"])
            .unwrap()
            .apply(base.clone());
        assert_eq!(format!("{b:?}"), format!("{:?}", base.seed_statuses(2)));
        // A limit alone gets the vendor's window.
        let b = parse(&["--rate-limit", "4"]).unwrap().into_builder();
        let expected = Sandbox::builder()
            .port(DEFAULT_PORT)
            .rate_limit(RateLimitFault::new(
                4,
                Duration::from_secs(limits::RATE_LIMIT_WINDOW_SECONDS),
            ));
        assert_eq!(format!("{b:?}"), format!("{expected:?}"));
    }

    #[test]
    fn host_and_configuration_files_are_read_while_parsing() {
        let dir = std::env::temp_dir().join(format!("sandbox-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let v3 = dir.join("config.json");
        std::fs::write(&v3, r#"{"autoApprovalEnabled": true, "futureSetting": 1}"#).unwrap();
        let v2 = dir.join("config-v2.json");
        std::fs::write(&v2, r#"{"machineIdentityAccessRequestEnabled": false}"#).unwrap();
        let args = parse(&[
            "--host",
            "127.0.0.2",
            "--config",
            v3.to_str().unwrap(),
            "--config-v2",
            v2.to_str().unwrap(),
        ])
        .unwrap();
        let config = args.config.clone().unwrap();
        assert!(config.auto_approval_enabled);
        let expected = Sandbox::builder()
            .port(DEFAULT_PORT)
            .host([127, 0, 0, 2].into())
            .config(config)
            .config_v2(args.config_v2.clone().unwrap());
        assert_eq!(
            format!("{:?}", args.into_builder()),
            format!("{expected:?}")
        );
        let missing = dir.join("missing.json");
        let err = parse(&["--config", missing.to_str().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("missing.json") && err.contains("--config"),
            "{err}"
        );
        std::fs::write(&v3, r#"{"autoApprovalEnabled": "yes"}"#).unwrap();
        let err = parse(&["--config", v3.to_str().unwrap()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not the expected JSON document"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn halves_of_a_knob_and_bad_values_are_refused_naming_the_flag() {
        for (argv, flag) in [
            (&["--rate-window-ms", "100"][..], "--rate-limit"),
            (&["--server-error-status", "503"], "--server-errors"),
            (
                &["--server-errors", "1", "--server-error-status", "404"],
                "404",
            ),
            (&["--server-errors", "1.5"], "1.5"),
            (&["--auto-reject-ratio", "0.1"], "--auto-approve-ms"),
            (&["--stall-ms", "5"], "--stall"),
            (&["--drop-times", "1"], "--drop-connections"),
            (&["--latency-ms"], "--latency-ms"),
            (&["--port", "http"], "http"),
        ] {
            let err = parse(argv).expect_err(&format!("{argv:?}")).to_string();
            assert!(err.contains(flag), "{argv:?}: {err}");
        }
    }

    #[test]
    fn directory_flag_reads_demo_or_sizes_and_names_a_bad_value() {
        assert_eq!(parse_directory("demo"), Ok((0, 0)));
        assert_eq!(parse_directory("100000, 20000"), Ok((100_000, 20_000)));
        let err = parse_directory("lots").unwrap_err();
        assert!(
            err.contains("\"lots\"") && err.contains("IDENTITIES,ITEMS"),
            "{err}"
        );
    }
}
