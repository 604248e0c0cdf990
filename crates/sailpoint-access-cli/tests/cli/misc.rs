//! `sandbox`, `completions`, help, logs and secrets.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{run, wait, Tenant, BIN};

/// Starts `sail-access sandbox` with `args` and reads its three export lines.
fn start_sandbox(
    dir: &std::path::Path,
    args: &[&str],
) -> (std::process::Child, Vec<(String, String)>) {
    let mut child = Command::new(BIN)
        .arg("sandbox")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut vars = Vec::new();
    let started = Instant::now();
    while vars.len() < 3 && started.elapsed() < Duration::from_secs(20) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let (k, v) = line
                .strip_prefix("export ")
                .and_then(|l| l.split_once('='))
                .unwrap_or_else(|| panic!("not an export line: {line}"));
            vars.push((k.to_owned(), v.to_owned()));
        }
    }
    (child, vars)
}

#[test]
fn sandbox_prints_its_variables_and_serves_until_interrupted() {
    let dir = crate::harness::temp_dir("sandbox");
    let (mut child, vars) = start_sandbox(&dir, &["--port", "0", "--seed-statuses", "12"]);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["SAIL_BASE_URL", "SAIL_CLIENT_ID", "SAIL_CLIENT_SECRET"]
    );
    let mut status = Command::new(BIN);
    status
        .args(["status", "-o", "jsonl"])
        .current_dir(&dir)
        .env_remove("SAIL_ACCESS_TOKEN")
        .envs(vars.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let listed = run(status);
    listed.expect(0);
    assert_eq!(listed.stdout.lines().count(), 12);
    // Ctrl-C stops it cleanly.
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let started = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("the sandbox did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
}

#[test]
fn sandbox_fault_flags_take_effect_and_bad_values_are_usage_errors() {
    let dir = crate::harness::temp_dir("sandbox-faults");
    let (mut child, vars) = start_sandbox(
        &dir,
        &[
            "--port",
            "0",
            "--server-errors",
            "1",
            "--server-error-status",
            "503",
            "--latency-ms",
            "20",
        ],
    );
    assert_eq!(vars.len(), 3);
    let mut status = Command::new(BIN);
    status
        .args(["status", "-o", "jsonl"])
        .current_dir(&dir)
        .env_remove("SAIL_ACCESS_TOKEN")
        .envs(vars.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let failed = run(status);
    failed.expect(1);
    assert!(failed.stderr.contains("503"), "{}", failed.stderr);
    let _ = child.kill();
    let _ = child.wait();
    for bad in [
        &["--server-errors", "1.5"][..],
        &["--server-error-status", "404"][..],
        &["--rate-window-ms", "10"][..],
    ] {
        let mut cmd = Command::new(BIN);
        cmd.arg("sandbox")
            .args(bad)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run(cmd).expect(2);
    }
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let mut cmd = Command::new(BIN);
        cmd.args(["completions", shell])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = run(cmd);
        out.expect(0);
        assert!(out.stdout.contains("sail-access"), "{shell}");
        assert!(out.stdout.contains("submit"), "{shell}");
    }
    let mut cmd = Command::new(BIN);
    cmd.args(["completions", "tcsh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run(cmd).expect(2);
}

#[test]
fn help_documents_exit_codes_and_an_example_per_command() {
    let mut cmd = Command::new(BIN);
    cmd.arg("--help")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let top = run(cmd);
    top.expect(0);
    for needle in ["Exit codes", "3  partial", "SAIL_BASE_URL"] {
        assert!(top.stdout.contains(needle), "{needle}: {}", top.stdout);
    }
    for sub in [
        &["submit"][..],
        &["status"],
        &["cancel"],
        &["close"],
        &["config", "get"],
        &["config", "diff"],
        &["config", "apply"],
        &["sandbox"],
        &["completions"],
    ] {
        let mut cmd = Command::new(BIN);
        cmd.args(sub)
            .arg("--help")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = run(cmd);
        out.expect(0);
        assert!(out.stdout.contains("Example"), "{sub:?}: {}", out.stdout);
    }
}

#[test]
fn verbose_logs_go_to_stderr_and_stdout_stays_data() {
    let t = Tenant::start("verbose");
    let run = t.run(&["-vv", "config", "get"]);
    run.expect(0);
    assert_eq!(run.json(), t.handle.config_json());
    assert!(!run.stderr.is_empty(), "no logs with -vv");
}

#[test]
fn errors_are_one_line_without_secrets() {
    let t = Tenant::start("secrets");
    let mut cmd = t.command(&["status"]);
    cmd.env("SAIL_CLIENT_SECRET", "wrong-secret-s3cr3t");
    let out = wait(cmd.spawn().unwrap(), Duration::from_secs(60));
    out.expect(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        !out.stderr.contains("wrong-secret-s3cr3t"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("wrong-secret-s3cr3t"));
    // No settings at all: a usage error naming what is missing.
    let mut bare = Command::new(BIN);
    bare.arg("status")
        .current_dir(&t.dir)
        .env_remove("SAIL_BASE_URL")
        .env_remove("SAIL_CLIENT_ID")
        .env_remove("SAIL_CLIENT_SECRET")
        .env_remove("SAIL_ACCESS_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = run(bare);
    out.expect(2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn flags_win_over_variables() {
    let t = Tenant::start("flags");
    let mut cmd = t.command(&["--base-url", t.handle.base_url(), "config", "get"]);
    cmd.env("SAIL_BASE_URL", "http://127.0.0.1:9");
    let out = wait(cmd.spawn().unwrap(), Duration::from_secs(60));
    out.expect(0);
}
