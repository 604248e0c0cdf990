//! Values refused by the command line itself, before any request: dates,
//! sort keys and sandbox knobs, each error naming the value and the flag.

use std::process::{Command, Stdio};

use crate::harness::{run, Tenant, BIN};

#[test]
fn a_bad_date_or_sort_key_is_refused_at_parse_time_naming_it() {
    let t = Tenant::start("parse-time");
    for (args, value, flag) in [
        (
            &["status", "--created-after", "yesterday"][..],
            "yesterday",
            "--created-after",
        ),
        (
            &["cancel", "--created-before", "2026-13-01", "--comment", "c"],
            "2026-13-01",
            "--created-before",
        ),
        (
            &["close", "--created-after", "soon", "--dry-run"],
            "soon",
            "--created-after",
        ),
        (&["status", "--sort", "-size"], "-size", "--sort"),
        (
            &["status", "--sort", "created", "--sort", "colour"],
            "colour",
            "--sort",
        ),
    ] {
        let out = t.run(args);
        out.expect(2);
        assert!(
            out.stderr
                .contains(&format!("invalid value '{value}' for '{flag}")),
            "{args:?}: {}",
            out.stderr
        );
    }
    // Refused before any request reached the tenant.
    assert_eq!(
        t.handle
            .requests_received(sailpoint_access_sandbox::Operation::ListAccessRequestStatus),
        0
    );
    // A good key in either direction passes.
    let ok = t.run(&[
        "status",
        "--sort",
        "-created",
        "--sort",
        "+name",
        "--created-after",
        "2026-01-01T00:00:00Z",
    ]);
    ok.expect(0);
}

#[test]
fn bad_sandbox_values_are_refused_naming_them() {
    for (args, needle) in [
        (&["--server-errors", "2"][..], "'2'"),
        (&["--stall-ms", "10"], "--stall"),
        (&["--auto-fail-ratio", "0.5"], "--auto-approve-ms"),
    ] {
        let mut cmd = Command::new(BIN);
        cmd.arg("sandbox")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let out = run(cmd);
        out.expect(2);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
}
