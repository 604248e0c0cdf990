//! `sail-access sandbox`: the embedded tenant served in process, with the
//! sandbox's own command line.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{run, run_bin, BIN};

/// Starts `sail-access sandbox --port 0` with `args` in a fresh directory
/// named after `name`, and reads its three export lines.
fn start_sandbox(
    name: &str,
    args: &[&str],
) -> (PathBuf, std::process::Child, Vec<(String, String)>) {
    let dir = crate::harness::temp_dir(name);
    let mut child = Command::new(BIN)
        .args(["sandbox", "--port", "0"])
        .args(args)
        .current_dir(&dir)
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
    (dir, child, vars)
}

/// `sail-access status -o jsonl` with the variables a sandbox printed.
fn status_from(dir: &std::path::Path, vars: &[(String, String)]) -> crate::harness::Run {
    let mut status = Command::new(BIN);
    status
        .args(["status", "-o", "jsonl"])
        .current_dir(dir)
        .env_remove("SAIL_ACCESS_TOKEN")
        .envs(vars.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run(status)
}

#[test]
fn sandbox_prints_its_variables_and_serves_until_interrupted() {
    let (dir, mut child, vars) = start_sandbox("sandbox", &["--seed-statuses", "12"]);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["SAIL_BASE_URL", "SAIL_CLIENT_ID", "SAIL_CLIENT_SECRET"]
    );
    let listed = status_from(&dir, &vars);
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
    let (dir, mut child, vars) = start_sandbox(
        "sandbox-faults",
        &[
            "--server-errors",
            "1",
            "--server-error-status",
            "503",
            "--latency-ms",
            "20",
        ],
    );
    assert_eq!(vars.len(), 3);
    let failed = status_from(&dir, &vars);
    failed.expect(1);
    failed.expect_stderr("503");
    let _ = child.kill();
    let _ = child.wait();
    for bad in [
        &["--server-errors", "1.5"][..],
        &["--server-error-status", "404"][..],
        &["--rate-window-ms", "10"][..],
    ] {
        run_bin(&[&["sandbox"][..], bad].concat()).expect(2);
    }
}

#[test]
fn sandbox_help_lists_every_flag_of_the_shared_command_line() {
    let help = run_bin(&["sandbox", "--help"]);
    help.expect(0);
    let flags = crate::harness::sandbox_flags();
    assert!(flags.len() >= 20, "{flags:?}");
    for flag in flags {
        assert!(help.stdout.contains(&flag), "{flag} in {}", help.stdout);
    }
}

#[test]
fn sandbox_takes_the_credentials_and_lifecycle_flags() {
    let (_, mut child, vars) = start_sandbox(
        "sandbox-credentials",
        &[
            "--client-id",
            "cli-id",
            "--client-secret",
            "cli-secret",
            "--seed",
            "3",
            "--auto-approve-ms",
            "0",
            "--auto-reject-ratio",
            "1",
        ],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(vars[1], ("SAIL_CLIENT_ID".to_owned(), "cli-id".to_owned()));
    assert_eq!(
        vars[2],
        ("SAIL_CLIENT_SECRET".to_owned(), "cli-secret".to_owned())
    );
}
