//! What goes where: data on stdout, logs on stderr, and a closed stdout
//! (`| head`) ends the command quietly.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use crate::harness::{wait, Tenant};

#[test]
fn verbose_logs_go_to_stderr_and_stdout_stays_data() {
    let t = Tenant::start("verbose");
    let run = t.run(&["-vv", "config", "get"]);
    run.expect(0);
    assert_eq!(run.json(), t.handle.config_json());
    assert!(!run.stderr.is_empty(), "no logs with -vv");
}

/// Reads `lines` lines of `sail-access status -o output`, then closes the
/// pipe, as `| head -n lines` does.
fn status_read_then_closed(t: &Tenant, output: &str, lines: usize) -> crate::harness::Run {
    let mut child = t.command(&["status", "-o", output]).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "{output}: too few lines"
        );
    }
    drop(reader);
    wait(child, Duration::from_secs(60))
}

#[test]
fn a_closed_stdout_ends_status_quietly_with_exit_0() {
    // Far more than a pipe buffers, so the writes after the close fail.
    let t = Tenant::start_with("closed-stdout", |b| b.seed_statuses(3000));
    for output in ["table", "csv", "jsonl", "json"] {
        let out = status_read_then_closed(&t, output, 3);
        out.expect(0);
        assert!(!out.stderr.contains("error"), "{output}: {}", out.stderr);
    }
}

/// The display column where `needle` starts in `line` (ASCII lines).
fn column(line: &str, needle: &str) -> usize {
    line.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {line:?}"))
}

#[test]
fn a_status_table_sizes_its_columns_to_a_long_name() {
    let t = Tenant::start_with("long-name", |b| b.seed_statuses(6));
    let long = "CN=Warehouse-Operator,OU=Groups,DC=example,DC=com";
    let mut statuses = t.handle.statuses();
    statuses[2].name = Some(long.to_owned());
    statuses[4].name = Some("VPN".to_owned());
    t.handle.insert_statuses(statuses);
    let out = t.run(&["status"]);
    out.expect(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{}", out.stdout);
    let state_at = column(lines[0], "STATE");
    assert!(
        state_at >= column(lines[0], "NAME") + long.len() + 2,
        "{}",
        out.stdout
    );
    let states: Vec<String> = t
        .handle
        .statuses()
        .iter()
        .filter_map(|s| s.state.as_ref().map(|s| s.as_str().to_owned()))
        .collect();
    for line in &lines[1..] {
        let rest = &line[state_at..];
        assert!(
            states.iter().any(|s| rest == s) && line[..state_at].ends_with("  "),
            "STATE misaligned in {line:?}\n{}",
            out.stdout
        );
    }
    out.expect_stdout(long);
}

#[test]
fn every_command_prints_every_format_and_json_is_a_shorthand() {
    let t = Tenant::start_with("formats", |b| b.seed_statuses(5));
    let total = t.handle.status_count();

    let yaml = t.run(&["status", "-o", "yaml"]);
    yaml.expect(0);
    let items: Vec<serde_json::Value> = serde_norway::from_str(&yaml.stdout).unwrap();
    assert_eq!(items.len(), total, "{}", yaml.stdout);
    let json = t.run(&["status", "--json"]);
    json.expect(0);
    assert_eq!(json.json(), serde_json::Value::Array(items));
    // --json and another --output is a usage error.
    let both = t.run(&["status", "--json", "-o", "csv"]);
    both.expect(2);
    both.expect_stderr("--json");

    let plan = t.plan("plan.csv", "alice,role,r-eng,,,,\nbob,group,g-1,,,,\n");
    let plan = &plan;
    let dry = t.run(&["submit", plan, "--dry-run", "--allow-refused", "-o", "csv"]);
    dry.expect(0);
    let dry_lines: Vec<&str> = dry.stdout.lines().collect();
    assert_eq!(
        dry_lines,
        [
            "line,identity,type,item,request,rule,message",
            "2,alice,ROLE,r-eng,0,,",
            r#"3,bob,group,g-1,,plan.item_type,"unknown item type ""group"": expected role, access_profile or entitlement""#,
        ],
        "{}",
        dry.stdout
    );
    let sent = t.run(&["submit", plan, "--allow-refused", "-o", "jsonl"]);
    sent.expect(0);
    let rows = sent.jsonl();
    assert_eq!(rows.len(), 2, "{}", sent.stdout);
    assert_eq!(rows[0]["outcome"], "submitted");
    assert_eq!(rows[1]["outcome"], "refused");
    let request = rows[0]["access_request_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();

    let cancel_as = |format| {
        t.run(&[
            "cancel",
            "--id",
            &request,
            "--comment",
            "c",
            "--yes",
            "-o",
            format,
        ])
    };
    let cancel = cancel_as("yaml");
    cancel.expect(0);
    let report: serde_json::Value = serde_norway::from_str(&cancel.stdout).unwrap();
    assert_eq!(report["kind"], "cancel", "{}", cancel.stdout);
    let again = cancel_as("csv");
    assert!(
        again.stdout.starts_with("access_request,outcome,detail\n"),
        "{}",
        again.stdout
    );

    let get = t.run(&["config", "get", "-o", "table"]);
    get.expect(0);
    assert!(get.stdout.starts_with("FIELD"), "{}", get.stdout);
    assert!(
        get.stdout
            .lines()
            .any(|l| l.starts_with("autoApprovalEnabled ") && l.ends_with("false")),
        "{}",
        get.stdout
    );
    t.run(&["config", "get", "--json"]).expect(0);
    assert_eq!(
        t.run(&["config", "get", "--json"]).json(),
        t.handle.config_json()
    );
    let file = t.write("want.json", r#"{"autoApprovalEnabled": true}"#);
    let diff = t.run(&["config", "diff", file.to_str().unwrap(), "-o", "jsonl"]);
    diff.expect(0);
    assert_eq!(
        diff.stdout,
        "{\"field\":\"autoApprovalEnabled\",\"tenant\":false,\"file\":true}\n"
    );
}

#[test]
fn quiet_keeps_stderr_to_errors() {
    let t = Tenant::start_with("quiet", |b| b.seed_statuses(5));
    let loud = t.run(&["status"]);
    loud.expect_stderr("status(es)");
    let quiet = t.run(&["status", "-q"]);
    quiet.expect(0);
    assert_eq!(quiet.stdout, loud.stdout);
    assert_eq!(quiet.stderr, "");

    // A partial run says nothing but its exit code and its report.
    let plan = t.plan("plan.csv", "alice,role,r-eng,,,,\nbob,group,g-1,,,,\n");
    let partial = t.run(&["-q", "submit", &plan, "--json"]);
    partial.expect(3);
    assert_eq!(partial.stderr, "");
    assert_eq!(partial.json()["totals"]["refused"], 1);

    // Errors are still printed.
    let missing = t.run(&["config", "diff", "absent.json", "--quiet"]);
    missing.expect(2);
    assert!(
        missing
            .stderr
            .starts_with("sail-access: error: cannot read absent.json"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_stdout_closed_from_the_start_ends_every_command_quietly() {
    let t = Tenant::start_with("closed-from-start", |b| b.seed_statuses(5));
    let plan = t.plan("plan.csv", "alice,role,r-eng,,,,\n");
    let want = t.write("want.json", r#"{"autoApprovalEnabled": true}"#);
    let (plan, want) = (&plan, want.to_str().unwrap());
    for args in [
        &["status"][..],
        &["status", "-o", "yaml"],
        &["status", "-o", "csv"],
        &["config", "get"],
        &["config", "get", "-o", "table"],
        &["config", "diff", want],
        &["submit", plan, "--dry-run"],
        &["submit", plan, "-o", "jsonl"],
        &["completions", "bash"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // The reader is gone before the command writes a byte.
        drop(reader);
        let mut cmd = t.command(args);
        cmd.stdout(writer);
        let out = crate::harness::run(cmd);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr.matches("error").count(),
            0,
            "{args:?}: {}",
            out.stderr
        );
    }
}
