//! Values refused by the command line itself, before any request: dates,
//! sort keys and sandbox knobs, each error naming the value and the flag.

use crate::harness::{run, run_bin, Tenant};

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
        (&["--rate-limit", "lots", "status"], "lots", "--rate-limit"),
        (&["--rate-limit", "0/10", "status"], "0/10", "--rate-limit"),
        (
            &["--rate-budget", "ftp://x", "status"],
            "ftp://x",
            "--rate-budget",
        ),
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
    t.expect_not_received(&[sailpoint_access_sandbox::Operation::ListAccessRequestStatus]);
    // A good key in either direction passes, under a custom rate limit.
    let ok = t.run(&[
        "--rate-limit",
        "300/10",
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
        let out = run_bin(&[&["sandbox"][..], args].concat());
        out.expect(2);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
}

/// The statuses of the tenant created at or after `since`.
fn created_since(t: &Tenant, since: chrono::DateTime<chrono::Utc>) -> usize {
    t.handle
        .statuses()
        .iter()
        .filter(|s| s.created.is_some_and(|c| *c.as_datetime() >= since))
        .count()
}

#[test]
fn created_after_takes_a_span_before_now_and_a_date() {
    // A year of seeded statuses: a few fall within the last week.
    let t = Tenant::start_with("relative-time", |b| b.seed_statuses(400));
    let week = chrono::Duration::days(7);
    let before = chrono::Utc::now();
    let out = t.run(&["status", "--created-after", "7d", "-o", "jsonl"]);
    let after = chrono::Utc::now();
    out.expect(0);
    let printed = out.jsonl();
    // The child read the clock between `before` and `after`.
    let (least, most) = (
        created_since(&t, after - week),
        created_since(&t, before - week),
    );
    assert!(
        (least..=most).contains(&printed.len()) && least > 0,
        "{} printed, {least}..={most} expected",
        printed.len()
    );
    for s in &printed {
        let created: sailpoint_access::Timestamp = s["created"].as_str().unwrap().parse().unwrap();
        assert!(*created.as_datetime() >= before - week, "{s}");
    }
    // A date is that day's midnight UTC: the whole year is after it.
    let year_ago = (before - chrono::Duration::days(400))
        .format("%Y-%m-%d")
        .to_string();
    let all = t.run(&["status", "--created-after", &year_ago, "-o", "jsonl"]);
    all.expect(0);
    assert_eq!(all.stdout.lines().count(), 400);
}

/// `--env NAME` picks an environment of the SailPoint CLI's config.yaml (in
/// the home directory) for the base URL, as `sail --env` does; an unknown
/// name is refused with the environments the file has.
#[test]
fn env_chooses_a_sailpoint_cli_environment() {
    let t = Tenant::start("sail-env");
    let home = t.dir.join("home");
    std::fs::create_dir_all(home.join(".sailpoint")).unwrap();
    std::fs::write(
        home.join(".sailpoint/config.yaml"),
        format!(
            "activeenvironment: prod\nenvironments:\n  prod:\n    baseurl: http://127.0.0.1:9\n  sandbox:\n    baseurl: {}\n",
            t.handle.base_url()
        ),
    )
    .unwrap();
    let mut cmd = t.command(&["--env", "sandbox", "status", "-o", "json"]);
    cmd.env_remove("SAIL_BASE_URL").env("HOME", &home);
    let out = run(cmd);
    out.expect(0);
    let mut cmd = t.command(&["--env", "staging", "status"]);
    cmd.env_remove("SAIL_BASE_URL").env("HOME", &home);
    let out = run(cmd);
    out.expect(2);
    out.expect_stderr("\"staging\"");
    assert!(
        out.stderr.contains("prod, sandbox") || out.stderr.contains("sandbox, prod"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_rate_budget_is_kept_in_the_given_directory() {
    let t = Tenant::start("rate-budget");
    let dir = crate::harness::temp_dir("rate-budget-state");
    let flag = format!("file:{}", dir.display());
    t.run(&["--rate-budget", &flag, "status"]).expect(0);
    // One state file, for this tenant, client id and family.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the budget's directory exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("_v3.json"), "{files:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
