//! `submit`: plans, bad rows, dry runs, journals, kill and resume, exit codes.

use std::process::Stdio;
use std::time::{Duration, Instant};

use sailpoint_access_sandbox::{FaultConfig, Latency, Operation, Operations};

use crate::harness::{wait, Tenant, HEADER};

#[test]
fn csv_bad_rows_are_refused_by_line_and_rule_and_the_rest_is_submitted() {
    let t = Tenant::start("bad-rows");
    let plan = t.write(
        "plan.csv",
        &format!(
            "{HEADER}\
             alice,role,r-eng,onboarding,,,ticket=1\n\
             bob,group,g-1,,,,\n\
             bob,role,r-eng,onboarding,,,\n\
             carol,entitlement,e-admin,,not-a-date,,\n\
             dave,role,,,,,\n\
             alice,ROLE,r-eng,again,,,\n\
             erin,access_profile,ap-vpn,,,,broken\n\
             frank,ENTITLEMENT,e-admin,,,2035-01-01T00:00:00Z,\n"
        ),
    );
    let run = t.run(&["submit", plan.to_str().unwrap(), "--output", "json"]);
    // Refused rows were not done: the run is partial.
    run.expect(3);
    run.expect_stderr("5 row(s) refused and not done: exit code 3 (--allow-refused accepts them)");
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let by_line = |line: u64| {
        rows.iter()
            .find(|r| r["line"] == line)
            .unwrap_or_else(|| panic!("no row for line {line}: {report}"))
    };
    run.expect_refused(&[
        (3, "plan.item_type"),
        (5, "plan.date"),
        (6, "plan.required"),
        (7, "bulk.duplicate_row"),
        (8, "plan.metadata"),
    ]);
    for line in [2, 4, 9] {
        assert_eq!(by_line(line)["outcome"], "submitted", "line {line}");
    }
    assert_eq!(report["totals"]["submitted"], 3);
    assert_eq!(report["totals"]["refused"], 5);
    let counts = t.counts();
    for (who, item) in [("alice", "r-eng"), ("bob", "r-eng"), ("frank", "e-admin")] {
        let key = (who.to_owned(), item.to_owned(), "GRANT_ACCESS".to_owned());
        assert_eq!(counts.get(&key), Some(&1), "{who} {item}: {counts:?}");
    }
    // Nothing was sent for the refused rows.
    for who in ["carol", "dave", "erin"] {
        assert!(counts.keys().all(|(i, _, _)| i != who), "{who}: {counts:?}");
    }
    assert!(counts.keys().all(|(_, item, _)| item != "g-1"));
    assert_eq!(counts.len(), 3);
}

#[test]
fn dry_run_prints_the_plan_and_sends_nothing() {
    let t = Tenant::start("dry-run");
    let plan = t.plan(
        "plan.csv",
        "a,role,r1,,,,\nb,role,r1,,,,\nc,entitlement,e1,,,,\nd,bogus,x,,,,\n",
    );
    let table = t.run(&["submit", &plan, "--dry-run"]);
    // A refused row fails the check a dry run is, unless allowed.
    table.expect(3);
    table.expect_stderr("1 row(s) would be refused: exit code 3");
    table.expect_stdout("REQUEST");
    table.expect_stdout("plan.item_type");
    let json = t.run(&[
        "submit",
        &plan,
        "--dry-run",
        "-o",
        "json",
        "--allow-refused",
    ]);
    json.expect(0);
    let doc = json.json();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["requests"].as_array().unwrap().len(), 2);
    assert_eq!(doc["refused"][0]["line"], 5);
    assert_eq!(doc["refused"][0]["rule"], "plan.item_type");
    t.expect_not_received(&[
        Operation::CreateAccessRequest,
        Operation::ListAccessRequestStatus,
    ]);
    assert_eq!(t.handle.access_requests_accepted(), 0);
}

#[test]
fn jsonl_plans_revoke_and_wait() {
    let t = Tenant::start_with("jsonl", |b| {
        b.auto_lifecycle(sailpoint_access_sandbox::AutoLifecycle::immediate())
    });
    let plan = t.write(
        "leavers.jsonl",
        "{\"identity\":\"a\",\"item_type\":\"ROLE\",\"item_id\":\"r1\",\"comment\":\"left\"}\n\
         \n\
         {\"identity\":\"b\",\"item_type\":\"ENTITLEMENT\",\"item_id\":\"e1\",\"comment\":\"left\",\"metadata\":{\"t\":\"1\"}}\n\
         not json\n\
         {\"identity\":\"c\",\"item_type\":\"ROLE\",\"item_id\":\"r1\"}\n",
    );
    let run = t.run(&[
        "submit",
        plan.to_str().unwrap(),
        "--type",
        "revoke",
        "--wait",
        "30",
        "-o",
        "json",
        "--allow-refused",
    ]);
    run.expect(0);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{report}");
    assert_eq!(rows[0]["line"], 1);
    assert_eq!(rows[0]["outcome"], "submitted");
    assert_eq!(rows[0]["final_state"], "REQUEST_COMPLETED");
    assert_eq!(rows[1]["line"], 3);
    assert_eq!(rows[2]["line"], 4);
    assert_eq!(rows[2]["rule"], "plan.parse");
    // A revocation needs a comment: the library's rule, by line.
    assert_eq!(rows[3]["line"], 5);
    assert_eq!(rows[3]["outcome"], "refused");
    assert_eq!(rows[3]["rule"], "revoke.comment_required");
}

#[test]
fn an_existing_journal_needs_resume_and_resume_sends_nothing_twice() {
    let t = Tenant::start("journal");
    let plan = t.plan("plan.csv", "a,role,r1,,,,\nb,role,r2,,,,\n");
    let journal = t.dir.join("run.journal.jsonl");
    let args = ["submit", &plan, "--journal", journal.to_str().unwrap()];
    t.run(&args).expect(0);
    assert_eq!(t.handle.access_requests_accepted(), 1);
    let again = t.run(&args);
    again.expect(2);
    again.expect_stderr("--resume");
    let mut resumed: Vec<&str> = args.to_vec();
    resumed.push("--resume");
    t.run(&resumed).expect(0);
    assert_eq!(t.handle.access_requests_accepted(), 1);
}

/// The list changed between two runs on one journal: the resume sends only
/// the new row, says per row which run did it (`BY` / `done_by`), and
/// reports the row that left the list.
#[test]
fn a_resume_of_a_changed_list_says_which_run_did_each_row() {
    let t = Tenant::start("changed");
    let journal = t.dir.join("run.journal.jsonl");
    let first = t.write(
        "plan.csv",
        &format!("{HEADER}a,role,r1,,,,\nb,role,r2,,,,\n"),
    );
    let run = |plan: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "submit",
            plan.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        t.run(&args)
    };
    run(&first, &[]).expect(0);
    let accepted = t.handle.access_requests_accepted();
    let changed = t.write(
        "plan2.csv",
        &format!("{HEADER}c,role,r3,,,,\na,role,r1,,,,\n"),
    );
    let resumed = run(&changed, &["--resume", "-o", "json"]);
    resumed.expect(0);
    assert_eq!(t.handle.access_requests_accepted(), accepted + 1);
    let report = resumed.json();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows[0]["identity"], "c");
    assert_eq!(rows[0]["done_by"], "this_run");
    assert_eq!(rows[1]["identity"], "a");
    assert_eq!(rows[1]["done_by"], "earlier_run");
    assert_eq!(report["requests_sent"], 1);
    let removed = report["removed_rows"].as_array().unwrap();
    assert_eq!(removed.len(), 1, "{report}");
    assert_eq!(removed[0]["identity"], "b");
    assert_eq!(removed[0]["outcome"], "submitted");
    resumed.expect_stderr("left the plan");
    let table = run(&changed, &["--resume"]);
    table.expect(0);
    table.expect_stdout("BY");
    assert_eq!(
        table.stdout.matches("earlier_run").count(),
        2,
        "{}",
        table.stdout
    );
}

#[test]
fn killed_during_submit_then_resumed_loses_nothing_and_duplicates_nothing() {
    // Every submission takes 150 ms, so the run is long enough to be killed.
    let t = Tenant::start_with("kill", |b| {
        b.faults(FaultConfig {
            latency: Some(
                Latency::new(Duration::from_millis(150))
                    .on(Operations::only(Operation::CreateAccessRequest)),
            ),
            ..FaultConfig::default()
        })
    });
    // 120 identities with one entitlement each: 12 requests of 10.
    let mut text = HEADER.to_owned();
    for i in 0..120 {
        text.push_str(&format!("user-{i:03},entitlement,ent-{},,,,\n", i % 3));
    }
    let plan = t.write("plan.csv", &text);
    let journal = t.dir.join("kill.journal.jsonl");
    let args = [
        "submit",
        plan.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "--concurrency",
        "2",
        "--reconcile-grace",
        "2",
        "--resend-unknown",
    ];
    let mut first = t.command(&args);
    first.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = first.spawn().expect("spawn");
    let started = Instant::now();
    let mut killed = false;
    loop {
        let outcomes = std::fs::read_to_string(&journal)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"outcome\""))
            .count();
        if outcomes >= 3 {
            if child.try_wait().expect("try_wait").is_none() {
                child.kill().expect("SIGKILL");
                killed = true;
            }
            break;
        }
        if child.try_wait().expect("try_wait").is_some()
            || started.elapsed() > Duration::from_secs(30)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.wait();
    assert!(killed, "the first run ended before it could be killed");
    let before = t.handle.access_requests_accepted();
    assert!(before < 12, "{before} requests accepted before the kill");

    let mut resumed: Vec<&str> = args.to_vec();
    resumed.extend(["--resume", "-o", "json"]);
    let mut second = t.command(&resumed);
    second.stdin(Stdio::null());
    let run = wait(second.spawn().expect("spawn"), Duration::from_secs(60));
    run.expect(0);
    let report = run.json();
    assert_eq!(report["totals"]["submitted"], 120, "{}", run.stderr);

    let counts = t.counts();
    let mut lost = Vec::new();
    for i in 0..120 {
        let key = (
            format!("user-{i:03}"),
            format!("ent-{}", i % 3),
            "GRANT_ACCESS".to_owned(),
        );
        match counts.get(&key) {
            Some(1) => {}
            Some(n) => panic!("{key:?} was submitted {n} times"),
            None => lost.push(key),
        }
    }
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert_eq!(counts.values().sum::<usize>(), 120);
    assert_eq!(t.handle.access_requests_accepted(), 12);
}

#[test]
fn rows_the_service_refuses_end_failed_and_exit_3() {
    let t = Tenant::start("partial");
    // JSON lines carry the item type as written; the sandbox (like the
    // service) refuses a type it does not know, and only that request fails.
    let plan = t.write(
        "plan.jsonl",
        "{\"identity\":\"a\",\"item_type\":\"GROUP\",\"item_id\":\"g1\"}\n\
         {\"identity\":\"b\",\"item_type\":\"ENTITLEMENT\",\"item_id\":\"e1\"}\n",
    );
    let run = t.run(&["submit", plan.to_str().unwrap()]);
    run.expect(3);
    run.expect_stdout("failed");
    run.expect_stdout("submitted");
    run.expect_stderr("1 failed");
}

#[test]
fn usage_errors_exit_2() {
    let t = Tenant::start("usage");
    t.run(&["submit"]).expect(2);
    t.run(&["submit", "plan.csv", "--type", "borrow"]).expect(2);
    t.run(&["status", "--bogus"]).expect(2);
    let unknown = t.write("plan.txt", "x");
    let run = t.run(&["submit", unknown.to_str().unwrap()]);
    run.expect(2);
    run.expect_stderr("--format");
    let missing = t.run(&["submit", "nowhere.csv"]);
    missing.expect(2);
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
    let header = t.write("bad.csv", "who,what\nx,y\n");
    t.run(&["submit", header.to_str().unwrap()]).expect(2);
    t.expect_not_received(&[Operation::CreateAccessRequest]);
}

#[test]
fn refused_rows_make_the_run_partial_unless_allowed() {
    let t = Tenant::start("allow-refused");
    let plan = &t.plan("plan.csv", "alice,role,r-eng,,,,\nbob,group,g-1,,,,\n");
    let allowed = t.run(&["submit", plan, "--allow-refused", "-o", "json"]);
    allowed.expect(0);
    assert_eq!(allowed.json()["totals"]["refused"], 1);
    assert_eq!(allowed.json()["totals"]["submitted"], 1);
    assert!(
        !allowed.stderr.contains("exit code 3"),
        "{}",
        allowed.stderr
    );
    // The same plan again: alice is pending (skipped), bob still refused.
    let strict = t.run(&["submit", plan, "-o", "json"]);
    strict.expect(3);
    assert_eq!(strict.json()["totals"]["refused"], 1);
    assert_eq!(t.handle.access_requests_accepted(), 1);
    // Without a refused row, exit 0 without the flag.
    let clean = t.plan("clean.csv", "carol,role,r-eng,,,,\n");
    t.run(&["submit", &clean]).expect(0);
    assert_eq!(t.handle.access_requests_accepted(), 2);
}
