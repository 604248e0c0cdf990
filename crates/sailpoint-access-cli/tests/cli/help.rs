//! `--help` of every command, and shell completions.

use crate::harness::{run_bin, Run};

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run_bin(&["completions", shell]);
        out.expect(0);
        assert!(out.stdout.contains("sail-access"), "{shell}");
        assert!(out.stdout.contains("submit"), "{shell}");
    }
    run_bin(&["completions", "tcsh"]).expect(2);
}

/// `sail-access SUB... --help`.
fn help_of(sub: &[&str]) -> Run {
    run_bin(&[sub, &["--help"]].concat())
}

#[test]
fn help_documents_exit_codes_and_an_example_per_command() {
    let top = help_of(&[]);
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
        let out = help_of(sub);
        out.expect(0);
        assert!(out.stdout.contains("Example"), "{sub:?}: {}", out.stdout);
    }
    for (sub, needle) in [
        (&["submit"][..], "--allow-refused"),
        (&["config", "diff"], "--exit-code"),
        (&["status"], "--created-after 7d"),
        (&["status"], "yaml"),
    ] {
        let out = help_of(sub);
        assert!(
            out.stdout.contains(needle),
            "{sub:?} {needle}: {}",
            out.stdout
        );
    }
}
