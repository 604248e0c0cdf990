//! `cargo xtask bench --peers`: this SDK against the official Python and
//! TypeScript SDKs, each walking the same statuses of the same sandbox (the
//! bench binary's `serve`, in a child process), rounds interleaved, one
//! process per walk. The peers are installed under `target/peers/` with their
//! ordinary clients (pip, npm); whatever cannot be installed or run is
//! reported as not measured, never a failure of the bench.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::{load, median, num};

/// Statuses seeded: a multiple of the page size on purpose, so a paginator
/// that stops on a short page asks for the offset past the end.
pub(super) const STATUSES: usize = 20_000;
const PAGE: usize = 250;
const ROUNDS: usize = 3;
const CLIENT_ID: &str = "sandbox-client-id";
const CLIENT_SECRET: &str = "sandbox-client-secret";
/// The Python SDK releases measured: (pip requirement, label).
const PYTHON: [(&str, &str); 2] = [
    ("sailpoint==1.4.2", "venv"),
    ("sailpoint>=2.1,<2.2", "venv2"),
];

/// One way of walking: a label and the command line.
#[derive(Clone)]
struct Entry {
    sdk: String,
    how: String,
    /// `how` in a few words, for the short table.
    short: &'static str,
    program: Vec<String>,
    ours_sequential: bool,
}

/// What one walk reported.
#[derive(Default, Clone)]
pub(super) struct Walk {
    pub(super) items: u64,
    pub(super) walk_s: Option<f64>,
    pub(super) rss_kib: Option<f64>,
    pub(super) outcome: String,
    pub(super) errors: Vec<String>,
    pub(super) version: Option<String>,
}

/// A sandbox in a child process; it exits when its stdin closes.
struct Sandbox {
    child: Child,
    base_url: String,
}

impl Sandbox {
    fn start(bin: &Path, quirk: bool) -> Result<Self, String> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--seed-statuses", &STATUSES.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if !quirk {
            command.arg("--no-offset-quirk");
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("sandbox: {e}"))?;
        let base_url = line.trim().to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the sandbox said {line:?}"));
        }
        Ok(Self { child, base_url })
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run_quiet(command: &mut Command) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!("{} ({})", output.status, last.trim()))
}

/// Installs one Python SDK release in a venv of its own; returns the
/// interpreter and the installed version.
fn install_python(peers: &Path, requirement: &str, dir: &str) -> Result<(PathBuf, String), String> {
    let venv = peers.join(dir);
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!("bench: python3 -m venv {}", venv.display());
        run_quiet(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .map_err(|e| format!("python3 -m venv failed: {e}"))?;
    }
    eprintln!("bench: pip install {requirement}");
    run_quiet(
        Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .arg(requirement),
    )
    .map_err(|e| format!("pip install {requirement} failed: {e}"))?;
    let output = Command::new(&python)
        .args([
            "-c",
            "from importlib.metadata import version; print(version('sailpoint'))",
        ])
        .output()
        .map_err(|e| format!("cannot ask the venv for its version: {e}"))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok((python, version))
}

/// Installs the TypeScript SDK; returns the npm prefix and the version.
fn install_node(peers: &Path) -> Result<(PathBuf, String), String> {
    let prefix = peers.join("node");
    let manifest = prefix.join("node_modules/sailpoint-api-client/package.json");
    if !manifest.exists() {
        eprintln!(
            "bench: npm install --prefix {} sailpoint-api-client",
            prefix.display()
        );
        run_quiet(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(&prefix)
                .arg("sailpoint-api-client"),
        )
        .map_err(|e| format!("npm install sailpoint-api-client failed: {e}"))?;
    }
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("{e}"))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| format!("{e}"))?;
    let version = json["version"].as_str().unwrap_or("unknown").to_owned();
    Ok((prefix, version))
}

/// `Maximum resident set size (kbytes): N` from `/usr/bin/time -v`.
pub(super) fn time_rss_kib(stderr: &str) -> Option<f64> {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

/// The `{"peer": …}` line a walk prints last, and the RSS `time` measured.
pub(super) fn parse_walk(stdout: &str, stderr: &str) -> Result<Walk, String> {
    let v: Value = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
        .find(|v| v.get("peer").is_some())
        .ok_or("no result line")?;
    let errors = v["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    let message = e["message"].as_str().unwrap_or("").replace('\n', " ");
                    format!(
                        "{}: {}",
                        e["kind"].as_str().unwrap_or("error"),
                        message.trim()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut walk = Walk {
        items: v["items"].as_u64().unwrap_or(0),
        walk_s: v["walk_s"].as_f64(),
        rss_kib: time_rss_kib(stderr).or(v["self_max_rss_kib"].as_f64()),
        outcome: v["outcome"].as_str().unwrap_or("unknown").to_owned(),
        errors,
        version: v["version"].as_str().map(str::to_owned),
    };
    if let Some(refused) = v["refused"].as_u64() {
        walk.errors
            .push(format!("{refused} items refused and skipped"));
    }
    Ok(walk)
}

fn run_entry(entry: &Entry, sandbox: &Sandbox, node_prefix: Option<&Path>) -> Walk {
    let time = Path::new("/usr/bin/time");
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").args(&entry.program);
        c
    } else {
        let mut c = Command::new(&entry.program[0]);
        c.args(&entry.program[1..]);
        c
    };
    command
        .env("SAIL_BASE_URL", &sandbox.base_url)
        .env("SAIL_CLIENT_ID", CLIENT_ID)
        .env("SAIL_CLIENT_SECRET", CLIENT_SECRET)
        // Loopback only: no proxy may see the measurement.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null());
    if let Some(prefix) = node_prefix {
        command.env("PEERS_NODE_PREFIX", prefix);
    }
    let failed = |e: String| Walk {
        outcome: "failed".into(),
        errors: vec![e],
        ..Walk::default()
    };
    let output = match command.output() {
        Ok(o) => o,
        Err(e) => return failed(format!("cannot start: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match parse_walk(&stdout, &stderr) {
        Ok(w) => w,
        Err(e) => {
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            failed(format!("{e}; exit {}; {}", output.status, last.trim()))
        }
    }
}

/// The peers section of BENCHMARKS.md; never fails, says what was not measured.
pub(super) fn section(root: &Path, target: &Path, bin: &Path) -> String {
    let peers = target.join("peers");
    let _ = std::fs::create_dir_all(&peers);
    let scripts = root.join("crates/sailpoint-access-bench/peers");
    let mut md = String::from("## Peers\n\n");
    let mut not_measured = Vec::new();
    let bin_s = bin.display().to_string();
    let mut entries = vec![
        Entry {
            sdk: "sailpoint-access {version} (this SDK)".into(),
            how: "`statuses().limit(250).items()`, sequential".into(),
            short: "its stream, sequential",
            program: vec![
                bin_s.clone(),
                "peer-walk".into(),
                "--prefetch".into(),
                "0".into(),
            ],
            ours_sequential: true,
        },
        Entry {
            sdk: "sailpoint-access {version} (this SDK)".into(),
            how: "same, `.prefetch(8)`".into(),
            short: "its stream, prefetch 8",
            program: vec![bin_s, "peer-walk".into(), "--prefetch".into(), "8".into()],
            ours_sequential: false,
        },
    ];
    let walk_py = scripts.join("walk.py").display().to_string();
    for (requirement, dir) in PYTHON {
        match install_python(&peers, requirement, dir) {
            Ok((python, version)) => {
                let py = python.display().to_string();
                let family = if version.starts_with("1.") {
                    "`sailpoint.v3`, `GET /v3/access-request-status`"
                } else {
                    "`sailpoint.access_requests`, `GET /access-request-status/v1`"
                };
                entries.push(Entry {
                    sdk: format!("Python `sailpoint` {version}"),
                    how: format!("{family}, `Paginator.paginate(…, 10**9, limit=250)`"),
                    short: "its paginator",
                    program: vec![
                        py.clone(),
                        walk_py.clone(),
                        "--mode".into(),
                        "paginator".into(),
                    ],
                    ours_sequential: false,
                });
                entries.push(Entry {
                    sdk: format!("Python `sailpoint` {version}"),
                    how: "workaround: own loop over `…_without_preload_content`, each item \
                          `RequestedItemStatus.from_dict`, refused items skipped, 400 past the end taken as the end"
                        .into(),
                    short: "workaround loop",
                    program: vec![py, walk_py.clone(), "--mode".into(), "tolerant".into()],
                    ours_sequential: false,
                });
            }
            Err(e) => not_measured.push(format!("Python `{requirement}`: not measured: {e}")),
        }
    }
    let mut node_prefix = None;
    let node_installed = Command::new("node").arg("--version").output().is_ok();
    match install_node(&peers) {
        Ok(_) if !node_installed => {
            not_measured.push("TypeScript SDK: not measured: no `node` on PATH".into());
        }
        Ok((prefix, version)) => {
            let mjs = scripts.join("walk.mjs").display().to_string();
            for (mode, short, how) in [
                ("paginator", "its paginator", "`new Configuration()` from the environment, `Paginator.paginate(api, api.listAccessRequestStatus, {limit: 0}, 250)`"),
                ("token-supplied", "its paginator, token supplied", "same paginator; token fetched by the script (form-urlencoded) and passed as `accessToken`"),
            ] {
                entries.push(Entry {
                    sdk: format!("TypeScript `sailpoint-api-client` {version}"),
                    how: how.into(),
                    short,
                    program: vec!["node".into(), mjs.clone(), "--mode".into(), mode.into()],
                    ours_sequential: false,
                });
            }
            node_prefix = Some(prefix);
        }
        Err(e) => not_measured.push(format!("TypeScript SDK: not measured: {e}")),
    }

    let load_start = load();
    // Both sandboxes: as the service answers (offset quirk on), and with the
    // quirk off, so a paginator that fails only there is measured too.
    let mut results: Vec<[Vec<Walk>; 2]> = entries.iter().map(|_| Default::default()).collect();
    for (q, quirk) in [true, false].into_iter().enumerate() {
        let sandbox = match Sandbox::start(bin, quirk) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(md, "Not measured: {e}\n");
                return md;
            }
        };
        for round in 0..ROUNDS {
            for (i, entry) in entries.iter().enumerate() {
                eprintln!(
                    "bench: peers round {} ({}): {} {}",
                    round + 1,
                    if quirk {
                        "offset quirk on"
                    } else {
                        "offset quirk off"
                    },
                    entry.sdk,
                    entry.how
                );
                let mut entry_cmd = entry.clone();
                entry_cmd
                    .program
                    .extend(["--expected".into(), STATUSES.to_string()]);
                if entry_cmd.program[1] == "peer-walk" {
                    entry_cmd
                        .program
                        .extend(["--base-url".into(), sandbox.base_url.clone()]);
                }
                results[i][q].push(run_entry(&entry_cmd, &sandbox, node_prefix.as_deref()));
            }
        }
    }
    let load_end = load();
    render(
        &mut md,
        &entries,
        &results,
        &not_measured,
        [&load_start, &load_end],
    );
    md
}

fn rate(w: &Walk) -> Option<f64> {
    match (w.walk_s, w.outcome.as_str()) {
        (Some(s), "clean" | "lost") if s > 0.0 && w.items > 0 => Some(w.items as f64 / s),
        _ => None,
    }
}

fn med_of(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.flatten().collect();
    (!v.is_empty()).then(|| median(&mut v))
}

/// This SDK's sequential items/s against sandbox `q`: what ratios divide by.
fn ours_rate(entries: &[Entry], results: &[[Vec<Walk>; 2]], q: usize) -> Option<f64> {
    entries
        .iter()
        .position(|e| e.ours_sequential)
        .and_then(|i| med_of(results[i][q].iter().map(rate)))
}

fn render(
    md: &mut String,
    entries: &[Entry],
    results: &[[Vec<Walk>; 2]],
    not_measured: &[String],
    load: [&str; 2],
) {
    let _ = writeln!(
        md,
        "Each SDK walks all {STATUSES} seeded statuses (a multiple of {PAGE} on purpose) \
         with its own paginator, pages of {PAGE}, from the same sandbox (`sailpoint-access-bench \
         serve --seed-statuses {STATUSES}` in a child process, loopback, no added latency; \
         about 2% of the seeded statuses have `requestType: MODIFY_ACCESS`). Every walk is a \
         process of its own, {ROUNDS} rounds with the SDKs interleaved within each round; \
         first against the sandbox as the service answers (offset quirk on: past the end of \
         a list whose size is a multiple of the limit it answers `400 \"Specified offset is \
         invalid.\"`), then the same rounds with `--no-offset-quirk` (an empty page instead). \
         The peers are configured only through their documented environment variables: \
         `SAIL_BASE_URL` is the sandbox's root *without* `/v3` (both add the path \
         themselves), `SAIL_CLIENT_ID`, `SAIL_CLIENT_SECRET`; both fetch the token from \
         `{{SAIL_BASE_URL}}/oauth/token`. Items/s = items read / walk time measured inside \
         the process after the token is held (interpreter start-up and imports excluded); \
         medians over the rounds that read items. Peak RSS: the process's maximum RSS from \
         `/usr/bin/time -v` (else the process's own `getrusage`), median. Ratio = items/s \
         over this SDK's sequential walk against the same sandbox.\n"
    );
    for line in not_measured {
        let _ = writeln!(md, "- {line}");
    }
    if !not_measured.is_empty() {
        md.push('\n');
    }
    in_short(md, entries, results);
    for (q, title) in [
        "Offset quirk on (as the service)",
        "Offset quirk off (`--no-offset-quirk`)",
    ]
    .iter()
    .enumerate()
    {
        let _ = writeln!(md, "### {title}\n");
        md.push_str("| SDK | How | Items/s (median) | Ratio to ours (sequential) | Peak RSS, KiB | Items read of N, per round | Outcome | Problems seen |\n");
        md.push_str("|---|---|---:|---:|---:|---|---|---|\n");
        let ours = ours_rate(entries, results, q);
        for (entry, res) in entries.iter().zip(results) {
            let runs = &res[q];
            let r = med_of(runs.iter().map(rate));
            let rss = med_of(runs.iter().map(|w| w.rss_kib));
            let items: Vec<String> = runs.iter().map(|w| w.items.to_string()).collect();
            let mut outcomes: Vec<String> = runs.iter().map(|w| w.outcome.clone()).collect();
            outcomes.dedup();
            let mut problems: Vec<String> = Vec::new();
            for w in runs {
                for e in &w.errors {
                    let short: String = e.chars().take(160).collect();
                    if !problems.contains(&short) {
                        problems.push(short);
                    }
                }
            }
            let cell = |s: String| s.replace('|', "\\|");
            let version = runs.iter().find_map(|w| w.version.clone());
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} of {STATUSES} | {} | {} |",
                entry
                    .sdk
                    .replace("{version}", version.as_deref().unwrap_or("?")),
                entry.how,
                r.map(num).unwrap_or_else(|| "—".into()),
                match (r, ours) {
                    (Some(r), Some(o)) => format!("{:.3}", r / o),
                    _ => "—".into(),
                },
                rss.map(num).unwrap_or_else(|| "—".into()),
                items.join(", "),
                outcomes.join(", "),
                if problems.is_empty() {
                    "none".into()
                } else {
                    cell(problems.join("; "))
                }
            );
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Load when the peers started: {}; when they ended: {}. Outcome: `clean` = all \
         {STATUSES} read without an error, `lost` = fewer read, `failed` = nothing usable \
         returned (both peers' paginators collect the whole list and return it only at the \
         end, so an error on any page loses every item read before it).\n",
        load[0], load[1]
    );
}

/// One line per SDK and way of walking, both sandboxes side by side: what
/// came back and how fast against ours. The tables below have the detail.
fn in_short(md: &mut String, entries: &[Entry], results: &[[Vec<Walk>; 2]]) {
    md.push_str(
        "In short (outcome over the rounds; items/s as a ratio to this SDK's sequential walk \
         against the same sandbox):\n\n\
         | SDK | How | As the service (offset quirk on) | Offset quirk off |\n\
         |---|---|---|---|\n",
    );
    let ours = [
        ours_rate(entries, results, 0),
        ours_rate(entries, results, 1),
    ];
    for (entry, res) in entries.iter().zip(results) {
        let cell = |q: usize| {
            let runs = &res[q];
            let mut outcomes: Vec<&str> = runs.iter().map(|w| w.outcome.as_str()).collect();
            outcomes.dedup();
            let items = med_of(runs.iter().map(|w| Some(w.items as f64))).unwrap_or(0.0);
            let mut text = format!("{}, {items:.0} of {STATUSES}", outcomes.join("/"));
            if let (Some(r), Some(o)) = (med_of(runs.iter().map(rate)), ours[q]) {
                let _ = write!(text, ", {:.3}x", r / o);
            }
            text
        };
        let version = res
            .iter()
            .flatten()
            .find_map(|w| w.version.clone())
            .unwrap_or_else(|| "?".into());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            entry.sdk.replace("{version}", &version),
            entry.short,
            cell(0),
            cell(1)
        );
    }
    md.push('\n');
}

/// Replaces the `## Peers` section of `md` (up to the next `## ` heading),
/// or appends it.
pub(super) fn splice(md: &str, section: &str) -> String {
    super::budget::splice_section(md, "Peers", section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_result_line_and_the_rss_of_time() {
        let out = "Paginating call, offset = 0\n{\"errors\":[{\"kind\":\"x\",\"message\":\"a\\nb\"}],\"items\":5,\"outcome\":\"lost\",\"peer\":\"ours\",\"walk_s\":0.5,\"version\":\"0.1.0\",\"self_max_rss_kib\":7}\n";
        let err = "\tMaximum resident set size (kbytes): 1234\n";
        let w = parse_walk(out, err).unwrap();
        assert_eq!(w.items, 5);
        assert_eq!(w.rss_kib, Some(1234.0));
        assert_eq!(w.errors, vec!["x: a b".to_owned()]);
        assert_eq!(w.version.as_deref(), Some("0.1.0"));
        assert_eq!(parse_walk(out, "").unwrap().rss_kib, Some(7.0));
        assert!(parse_walk("nothing", "").is_err());
    }

    #[test]
    fn the_short_table_puts_both_sandboxes_side_by_side() {
        let entry = |sdk: &str, short: &'static str, ours: bool| Entry {
            sdk: sdk.into(),
            how: String::new(),
            short,
            program: Vec::new(),
            ours_sequential: ours,
        };
        let walk = |items: usize, walk_s: Option<f64>, outcome: &str| Walk {
            items: items as u64,
            walk_s,
            outcome: outcome.into(),
            version: Some("9.9".into()),
            ..Walk::default()
        };
        let entries = [
            entry("ours {version}", "its stream, sequential", true),
            entry("peer", "its paginator", false),
        ];
        let results = vec![
            [
                vec![walk(STATUSES, Some(0.1), "clean"); 3],
                vec![walk(STATUSES, Some(0.2), "clean"); 3],
            ],
            [
                vec![walk(0, None, "failed"); 3],
                vec![walk(STATUSES, Some(0.4), "clean"); 3],
            ],
        ];
        let mut md = String::new();
        in_short(&mut md, &entries, &results);
        let n = STATUSES;
        assert!(
            md.contains(&format!(
                "| ours 9.9 | its stream, sequential | clean, {n} of {STATUSES}, 1.000x | clean, {n} of {STATUSES}, 1.000x |"
            )),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "| peer | its paginator | failed, 0 of {STATUSES} | clean, {n} of {STATUSES}, 0.500x |"
            )),
            "{md}"
        );
    }

    #[test]
    fn splices_only_the_peers_section() {
        let md = "# B\n\n## A\n\na\n";
        let once = splice(md, "## Peers\n\np1\n");
        assert_eq!(once, "# B\n\n## A\n\na\n\n## Peers\n\np1\n");
        let middle = "# B\n\n## Peers\n\nold\n\n## Z\n\nz\n";
        assert_eq!(
            splice(middle, "## Peers\n\nnew\n\n"),
            "# B\n\n## Peers\n\nnew\n\n## Z\n\nz\n"
        );
        assert_eq!(
            splice(&once, "## Peers\n\np2\n"),
            "# B\n\n## A\n\na\n\n## Peers\n\np2\n"
        );
    }
}
