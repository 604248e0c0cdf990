//! Where the settings come from, and errors that name them without secrets.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{run, wait, Tenant, BIN};

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
