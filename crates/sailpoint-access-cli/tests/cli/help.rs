//! `--help` of every command, and shell completions.

use std::process::{Command, Stdio};

use crate::harness::{run, BIN};

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
    for needle in [
        "Exit codes",
        "3  partial",
        "SAIL_BASE_URL",
        "--allow-refused",
        "config diff --exit-code` exits 1",
        "30m, 24h, 7d, 2w",
        "--json is --output json",
        "-q keeps stderr to errors",
    ] {
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
        &["resolve"],
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
    for (sub, needle) in [
        (&["submit"][..], "--allow-refused"),
        (&["config", "diff"], "--exit-code"),
        (&["status"], "--created-after 7d"),
        (&["status"], "yaml"),
    ] {
        let mut cmd = Command::new(BIN);
        cmd.args(sub)
            .arg("--help")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = run(cmd);
        assert!(
            out.stdout.contains(needle),
            "{sub:?} {needle}: {}",
            out.stdout
        );
    }
}
