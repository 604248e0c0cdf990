//! Measuring: building the bench binary and the sample applications,
//! running scenarios, reading their output into series, and the machine's
//! facts. Nothing here writes Markdown (see `render`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::BIN;

/// How many of what each scenario runs; `--quick` shrinks everything.
pub(super) struct Counts {
    pub(super) calls: usize,
    pub(super) warmup: usize,
    pub(super) statuses: usize,
    pub(super) latency_runs: usize,
    pub(super) bare_runs: usize,
    pub(super) memory_sizes: [usize; 2],
    pub(super) memory_runs: usize,
    pub(super) decode_iters: usize,
    /// Rows of the bulk grant; runs of its planned submission.
    pub(super) bulk_rows: usize,
    pub(super) bulk_runs: usize,
    /// Rounds of the rate-ceiling phases.
    pub(super) ceiling_runs: usize,
}

impl Counts {
    pub(super) fn new(quick: bool) -> Self {
        if quick {
            Self {
                calls: 200,
                warmup: 20,
                statuses: 10_000,
                latency_runs: 1,
                bare_runs: 2,
                memory_sizes: [2_000, 20_000],
                memory_runs: 1,
                decode_iters: 30,
                bulk_rows: 300,
                bulk_runs: 1,
                ceiling_runs: 1,
            }
        } else {
            Self {
                calls: 2_000,
                warmup: 200,
                statuses: 100_000,
                latency_runs: 5,
                bare_runs: 7,
                memory_sizes: [10_000, 100_000],
                memory_runs: 3,
                decode_iters: 300,
                bulk_rows: 10_000,
                bulk_runs: 3,
                ceiling_runs: 3,
            }
        }
    }
}

pub(super) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

pub(super) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

pub(super) fn run_checked(command: &mut Command, what: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if !status.success() {
        return Err(format!("{what}: {status}"));
    }
    Ok(started.elapsed())
}

/// The output lines of one scenario process.
pub(super) struct Run {
    pub(super) lines: Vec<Value>,
}

impl Run {
    pub(super) fn start(bin: &Path, args: &[String]) -> Result<Self, String> {
        eprintln!("bench: {BIN} {}", args.join(" "));
        let output = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        if !output.status.success() {
            return Err(format!("{BIN} {}: {}", args.join(" "), output.status));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let lines = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| format!("bad result line {l:?}: {e}")))
            .collect::<Result<Vec<Value>, String>>()?;
        Ok(Self { lines })
    }

    pub(super) fn find(&self, kind: &str, name: &str) -> Result<&Value, String> {
        self.lines
            .iter()
            .find(|l| l["kind"] == kind && l["name"] == name)
            .ok_or_else(|| format!("no {kind} named {name} in the results"))
    }

    pub(super) fn series(&self, name: &str) -> Result<Series, String> {
        let line = self.find("series", name)?;
        let num = |key: &str| line[key].as_f64().ok_or(format!("{name}.{key} missing"));
        Ok(Series {
            n: line["n"].as_u64().unwrap_or(0),
            median: num("median")?,
            p1: num("p1")?,
            p25: num("p25")?,
            p75: num("p75")?,
            p99: num("p99")?,
            min: num("min")?,
            max: num("max")?,
            unit: line["unit"].as_str().unwrap_or("").to_owned(),
        })
    }

    pub(super) fn value(&self, name: &str) -> Result<f64, String> {
        self.find("value", name)?["value"]
            .as_f64()
            .ok_or(format!("{name} is not a number"))
    }
}

pub(super) struct Series {
    pub(super) n: u64,
    pub(super) median: f64,
    pub(super) p1: f64,
    pub(super) p25: f64,
    pub(super) p75: f64,
    pub(super) p99: f64,
    pub(super) min: f64,
    pub(super) max: f64,
    pub(super) unit: String,
}

pub(super) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Machine facts from /proc, and signs of concurrent load.
pub(super) struct Machine {
    pub(super) cpu: String,
    pub(super) cores: usize,
    pub(super) memory: String,
    pub(super) kernel: String,
    pub(super) rustc: String,
}

pub(super) fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kib| kib.parse::<f64>().ok())
        .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    Machine {
        cpu,
        cores,
        memory,
        kernel,
        rustc,
    }
}

/// Load average and running `rustc` processes: how busy the machine was.
pub(super) fn load() -> String {
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let avg: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    let rustc = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_to_string(e.path().join("comm"))
                        .is_ok_and(|comm| comm.trim() == "rustc")
                })
                .count()
        })
        .unwrap_or(0);
    format!("load average {}, {rustc} rustc process(es)", avg.join(" "))
}

pub(super) fn now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "unknown date".into())
}

/// Sets the modification time of `path` to now, as an editor save would.
pub(super) fn touch(path: &Path) -> Result<(), String> {
    std::fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", path.display()))
}

pub(super) struct BuildCost {
    pub(super) rows: Vec<(String, String, Duration)>,
    /// Clean builds of an application that depends on the facade alone, one
    /// per TLS provider feature.
    pub(super) apps: Vec<AppBuild>,
    pub(super) generated_lines: usize,
    pub(super) spec_bytes: u64,
    pub(super) load: [String; 2],
}

/// The clean builds of one application crate (see [`app_crate`]).
pub(super) struct AppBuild {
    pub(super) provider: &'static str,
    /// Packages in its normal and build dependency tree, itself included.
    pub(super) packages: usize,
    /// Seconds, in the order they ran.
    pub(super) times: Vec<f64>,
}

impl AppBuild {
    pub(super) fn median(&self) -> f64 {
        median(&mut self.times.clone())
    }
}

/// The TLS provider features an application can choose, default first.
pub(super) const PROVIDERS: [&str; 2] = ["aws-lc-rs", "ring"];

/// Writes, under `dir`, an application crate that depends on the facade
/// only (with one provider feature) and builds a client, as a user's first
/// `cargo build` would. It starts from the workspace's lockfile, so that it
/// builds the same versions, and has a `[workspace]` of its own, so that
/// cargo does not take it for a member of ours.
pub(super) fn app_crate(root: &Path, dir: &Path, provider: &str) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write the {provider} application crate: {e}");
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    let facade = root.join("crates/sailpoint-access");
    let manifest = format!(
        "[package]\nname = \"bench-app-{provider}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[workspace]\n\n[dependencies]\nsailpoint-access = {{ path = {:?}, \
         default-features = false, features = [\"{provider}\"] }}\n",
        facade.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    let client = sailpoint_access::Client::builder()\n        \
         .base_url(\"https://tenant.api.identitynow.com\")\n        \
         .access_token(\"token\")\n        .build();\n    \
         println!(\"{}\", client.is_ok());\n}\n",
    )
    .map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io)?;
    Ok(())
}

/// The number of distinct packages in a crate's normal and build tree.
pub(super) fn package_count(manifest: &Path) -> Result<usize, String> {
    let out = cargo()
        .args([
            "tree",
            "--offline",
            "--quiet",
            "-e",
            "normal,build",
            "--prefix",
            "none",
        ])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree {}: {}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let packages: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end_matches(" (*)").trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    Ok(packages.len())
}

/// Clean builds of the application crates, in the order A B B A (and so on)
/// so that a drift in the machine's load falls on both alike.
pub(super) fn app_builds(root: &Path, base: &Path, rounds: usize) -> Result<Vec<AppBuild>, String> {
    let mut apps = Vec::new();
    for provider in PROVIDERS {
        let dir = base.join(format!("app-{provider}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot clean {}: {e}", dir.display()))?;
        }
        app_crate(root, &dir, provider)?;
        apps.push(AppBuild {
            provider,
            packages: package_count(&dir.join("Cargo.toml"))?,
            times: Vec::new(),
        });
    }
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..apps.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let dir = base.join(format!("app-{}", apps[i].provider));
            let target = dir.join("target");
            if target.exists() {
                std::fs::remove_dir_all(&target)
                    .map_err(|e| format!("cannot clean {}: {e}", target.display()))?;
            }
            eprintln!(
                "bench: clean build of an application using the facade with `{}` (round {})",
                apps[i].provider,
                round + 1
            );
            let mut command = cargo();
            command
                .current_dir(&dir)
                .env("CARGO_TARGET_DIR", &target)
                .args(["build", "--offline", "--quiet"]);
            let t = run_checked(
                &mut command,
                &format!("{} application build", apps[i].provider),
            )?;
            apps[i].times.push(t.as_secs_f64());
        }
    }
    Ok(apps)
}

/// (5) Clean and incremental builds in target dirs of their own, and codegen.
pub(super) fn build_cost(root: &Path) -> Result<BuildCost, String> {
    let load_start = load();
    let mut rows = Vec::new();
    let target = target_dir(root);
    let ws_dir = target.join("bench-build/workspace");
    let api_dir = target.join("bench-build/api");
    for dir in [&ws_dir, &api_dir] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot clean {}: {e}", dir.display()))?;
        }
    }
    let build = |dir: &Path, args: &[&str]| {
        let mut command = cargo();
        command
            .current_dir(root)
            .env("CARGO_TARGET_DIR", dir)
            .arg("build")
            .arg("--quiet")
            .args(args);
        command
    };

    eprintln!("bench: clean build of the workspace (dev profile)");
    let t = run_checked(&mut build(&ws_dir, &["--workspace"]), "workspace build")?;
    rows.push((
        "Clean build, whole workspace".into(),
        "`cargo build --workspace`, empty target dir".into(),
        t,
    ));

    eprintln!("bench: clean build of sailpoint-access-api");
    let t = run_checked(
        &mut build(&api_dir, &["-p", "sailpoint-access-api"]),
        "api build",
    )?;
    rows.push((
        "Clean build, generated crate with its dependencies".into(),
        "`cargo build -p sailpoint-access-api`, empty target dir".into(),
        t,
    ));
    let mut clean = cargo();
    clean
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &api_dir)
        .args(["clean", "--quiet", "-p", "sailpoint-access-api"]);
    run_checked(&mut clean, "cargo clean -p sailpoint-access-api")?;
    let t = run_checked(
        &mut build(&api_dir, &["-p", "sailpoint-access-api"]),
        "api rebuild",
    )?;
    rows.push((
        "Generated crate alone".into(),
        "after `cargo clean -p sailpoint-access-api`, dependencies built".into(),
        t,
    ));

    eprintln!("bench: incremental rebuilds after touching the facade");
    let facade = root.join("crates/sailpoint-access/src/lib.rs");
    let mut times = Vec::new();
    for _ in 0..3 {
        touch(&facade)?;
        times.push(
            run_checked(&mut build(&ws_dir, &["--workspace"]), "incremental build")?.as_secs_f64(),
        );
    }
    rows.push((
        "Incremental rebuild after touching the facade (median of 3)".into(),
        "touch `crates/sailpoint-access/src/lib.rs`, `cargo build --workspace`".into(),
        Duration::from_secs_f64(median(&mut times)),
    ));

    let apps = app_builds(root, &target.join("bench-build"), 2)?;

    eprintln!("bench: codegen");
    let xtask = std::env::current_exe().map_err(|e| format!("no current exe: {e}"))?;
    let mut times = Vec::new();
    for _ in 0..3 {
        let mut command = Command::new(&xtask);
        command
            .current_dir(root)
            .args(["codegen", "--check"])
            .stdout(Stdio::null());
        times.push(run_checked(&mut command, "codegen --check")?.as_secs_f64());
    }
    rows.push((
        "Code generation (median of 3)".into(),
        "`cargo xtask codegen --check`: the same generation and rustfmt as `codegen`, compared instead of written".into(),
        Duration::from_secs_f64(median(&mut times)),
    ));

    let generated_lines =
        std::fs::read_to_string(root.join("crates/sailpoint-access-api/src/generated.rs"))
            .map(|s| s.lines().count())
            .unwrap_or(0);
    let spec_bytes = std::fs::metadata(root.join(crate::spec::SPEC_PATH))
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(BuildCost {
        rows,
        apps,
        generated_lines,
        spec_bytes,
        load: [load_start, load()],
    })
}
