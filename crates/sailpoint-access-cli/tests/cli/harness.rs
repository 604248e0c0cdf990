//! A sandbox in the test process, and the binary as a bounded child.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sailpoint_access_sandbox::{Operation, Sandbox, SandboxBuilder, SandboxHandle};

pub const BIN: &str = env!("CARGO_BIN_EXE_sail-access");
/// The header of a CSV plan that gives ids.
pub const HEADER: &str = "identity,type,id,comment,start,end,metadata\n";
/// The longest any one child may run.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A sandbox served by its own runtime, for as long as the test holds it.
pub struct Tenant {
    pub handle: SandboxHandle,
    pub dir: PathBuf,
    _rt: tokio::runtime::Runtime,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "sail-access-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Tenant {
    pub fn start(name: &str) -> Self {
        Self::start_with(name, |b| b)
    }

    pub fn start_with(name: &str, f: impl FnOnce(SandboxBuilder) -> SandboxBuilder) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let builder = f(Sandbox::builder().port(0));
        let handle = rt.block_on(builder.start()).expect("sandbox");
        Self {
            handle,
            dir: temp_dir(name),
            _rt: rt,
        }
    }

    /// The binary, with this tenant's variables and nothing else of SAIL_*.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.dir)
            .env_remove("SAIL_ACCESS_TOKEN")
            .env_remove("SAIL_API_FAMILY")
            .env_remove("SAIL_ENV")
            .env_remove("SAIL_RATE_LIMIT")
            .env("SAIL_BASE_URL", self.handle.base_url())
            .env("SAIL_CLIENT_ID", self.handle.client_id())
            .env("SAIL_CLIENT_SECRET", self.handle.client_secret())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// Writes a CSV plan of `rows` under [`HEADER`] as `name`; its path.
    pub fn plan(&self, name: &str, rows: &str) -> String {
        let path = self.write(name, &format!("{HEADER}{rows}"));
        path.to_str().expect("a UTF-8 path").to_owned()
    }

    /// Asserts that the tenant received no request of these operations.
    #[track_caller]
    pub fn expect_not_received(&self, operations: &[Operation]) {
        for &operation in operations {
            let received = self.handle.requests_received(operation);
            assert_eq!(received, 0, "{operation:?} received");
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    /// Statuses per (identity, item id, request type) in the tenant.
    pub fn counts(&self) -> BTreeMap<(String, String, String), usize> {
        let mut out = BTreeMap::new();
        for s in self.handle.statuses() {
            let identity = match &s.requested_for {
                Some(sailpoint_access::types::RequestedForIdentities::One(one)) => {
                    one.id.clone().unwrap_or_default()
                }
                Some(sailpoint_access::types::RequestedForIdentities::Many(many)) => many
                    .iter()
                    .filter_map(|r| r.id.clone())
                    .collect::<Vec<_>>()
                    .join(";"),
                None => String::new(),
            };
            let kind = s
                .request_type
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default();
            *out.entry((identity, s.id.clone().unwrap_or_default(), kind))
                .or_default() += 1;
        }
        out
    }
}

/// What a child did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts that stderr holds `needle`.
    #[track_caller]
    pub fn expect_stderr(&self, needle: &str) -> &Self {
        expect_in("stderr", &self.stderr, needle);
        self
    }

    /// Asserts that stdout holds `needle`.
    #[track_caller]
    pub fn expect_stdout(&self, needle: &str) -> &Self {
        expect_in("stdout", &self.stdout, needle);
        self
    }

    /// Stdout as JSON lines.
    pub fn jsonl(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// Asserts, of a submit run's JSON report, that each (line, rule) was
    /// refused by that rule, in the report and in a note on stderr.
    #[track_caller]
    pub fn expect_refused(&self, refused: &[(u64, &str)]) -> &Self {
        let report = self.json();
        let rows = report["rows"].as_array().expect("a rows array");
        for &(line, rule) in refused {
            let row = rows
                .iter()
                .find(|r| r["line"] == line)
                .unwrap_or_else(|| panic!("no row for line {line}: {report}"));
            assert_eq!(row["outcome"], "refused", "line {line}");
            assert_eq!(row["rule"], rule, "line {line}: {report}");
            self.expect_stderr(&format!("line {line}: refused ({rule})"));
        }
        self
    }

    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }
}

#[track_caller]
fn expect_in(stream: &str, text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} in {stream}: {text}");
}

fn output(o: Output) -> Run {
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The binary with `args` in the test's own environment, its output read.
pub fn run_bin(args: &[&str]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    run(cmd)
}

/// Runs `cmd` to its end, killing it (and failing) after [`LIMIT`].
pub fn run(mut cmd: Command) -> Run {
    let child = cmd.spawn().expect("spawn sail-access");
    wait(child, LIMIT)
}

/// Waits for `child`, killing it (and failing) after `limit`.
pub fn wait(mut child: Child, limit: Duration) -> Run {
    let started = Instant::now();
    // Read the pipes on threads so that a chatty child cannot block.
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = std::io::Read::read_to_end(o, &mut s);
        }
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = std::io::Read::read_to_end(e, &mut s);
        }
        s
    });
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return output(Output {
                status,
                stdout: out_t.join().unwrap_or_default(),
                stderr: err_t.join().unwrap_or_default(),
            });
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "sail-access ran longer than {limit:?}; stderr: {}",
                String::from_utf8_lossy(&err_t.join().unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every long flag of the sandbox's shared command line, as `--name`.
pub fn sandbox_flags() -> Vec<String> {
    use clap::Args;
    sailpoint_access_sandbox::SandboxArgs::augment_args(clap::Command::new("flags"))
        .get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect()
}

/// Runs with `input` on stdin.
#[allow(dead_code)]
pub fn run_with_stdin(mut cmd: Command, input: &str) -> Run {
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    wait(child, LIMIT)
}

/// The binary in `dir` with no SAIL_* variable at all and `HOME` at
/// `home`: settings come from the home's files and the keyring only.
pub fn bare_command(dir: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env("HOME", home);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SAIL_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

impl Tenant {
    /// A home directory (below the tenant's) with a `sail`-style
    /// config.yaml: PAT environments `prod` (unreachable) and `acme-sbx`
    /// (this tenant), `active` the active one.
    pub fn sail_home(&self, active: &str) -> PathBuf {
        let home = self.dir.join("home");
        std::fs::create_dir_all(home.join(".sailpoint")).expect("home");
        std::fs::write(
            home.join(".sailpoint/config.yaml"),
            format!(
                "activeenvironment: {active}\nauthtype: pat\nenvironments:\n  prod:\n    baseurl: http://127.0.0.1:9\n    tenanturl: http://127.0.0.1:9\n  acme-sbx:\n    baseurl: {}\n    tenanturl: {}\n",
                self.handle.base_url(),
                self.handle.base_url()
            ),
        )
        .expect("config.yaml");
        home
    }
}
