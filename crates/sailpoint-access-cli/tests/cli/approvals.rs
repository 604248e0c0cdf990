//! `approvals` and `explain`: a submit run's approvals approved from its
//! journal, confirmation, dry run, per-approval report, exit codes.

use crate::harness::{Run, Tenant};

/// `sail-access approvals approve --comment ok` with `args`.
fn approve(t: &Tenant, args: &[&str]) -> Run {
    t.run(&[&["approvals", "approve", "--comment", "ok"][..], args].concat())
}

#[test]
fn approvals_of_a_run_are_approved_from_its_journal_and_reported_each() {
    let t = Tenant::start("approvals");
    let plan = t.plan("plan.csv", "a,role,r1,,,,\nb,role,r1,,,,\nc,role,r1,,,,\n");
    let journal = t.dir.join("run.journal.jsonl");
    let journal = journal.to_str().unwrap();
    t.run(&["submit", &plan, "--journal", journal]).expect(0);

    let listed = t.run(&["approvals", "list", "--from-journal", journal, "--json"]);
    listed.expect(0);
    assert_eq!(listed.json().as_array().unwrap().len(), 3);

    // Without a terminal, a decision needs --yes; nothing is sent.
    let refused = approve(&t, &["--from-journal", journal]);
    refused.expect(2);
    refused.expect_stderr("--yes");

    let dry = approve(&t, &["--from-journal", journal, "--dry-run", "--json"]);
    dry.expect(0);
    let outcomes = dry.json()["outcomes"].as_array().unwrap().clone();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes
        .iter()
        .all(|o| o["result"]["result"] == "would_decide"));

    let done = approve(
        &t,
        &[
            "--from-journal",
            journal,
            "--approval-id",
            "no-such-approval",
            "--yes",
            "--json",
        ],
    );
    // One unknown id: partial.
    done.expect(3);
    let report = done.json();
    let results: Vec<String> = report["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["result"]["result"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(results.iter().filter(|r| *r == "decided").count(), 3);
    assert_eq!(results.iter().filter(|r| *r == "not_found").count(), 1);
    assert_eq!(report["bulk_calls"], 1);

    let summary = t.run(&["approvals", "summary", "--json"]);
    summary.expect(0);
    assert_eq!(summary.json()["approved"], 3);
    assert_eq!(summary.json()["pending"], 0);
}

#[test]
fn explain_names_the_approver_a_request_waits_on() {
    let t = Tenant::start("explain");
    let plan = t.plan("plan.csv", "a,role,r1,,,,\n");
    let journal = t.dir.join("run.journal.jsonl");
    t.run(&["submit", &plan, "--journal", journal.to_str().unwrap()])
        .expect(0);
    let request = t.handle.statuses()[0].access_request_id.clone().unwrap();
    let explained = t.run(&["explain", &request, "unknown-request", "--json"]);
    explained.expect(0);
    let doc = explained.json();
    assert_eq!(doc[0]["next"]["action"], "approve");
    assert_eq!(
        doc[0]["items"][0]["waiting_on"][0]["owner_id"],
        sailpoint_access_sandbox::APPROVER_IDENTITY_ID
    );
    assert_eq!(doc[1]["next"]["action"], "unknown");
}

#[test]
fn explain_stuck_finds_the_executing_requests_older_than_given() {
    let t = Tenant::start("stuck");
    let plan = t.plan("plan.csv", "a,role,r1,,,,\nb,role,r2,,,,\n");
    t.run(&["submit", &plan]).expect(0);
    let all = t.run(&["explain", "--stuck", "--older-than", "2099-01-01", "--json"]);
    all.expect(0);
    let doc = all.json();
    assert_eq!(doc.as_array().unwrap().len(), 2, "{doc}");
    assert!(doc
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["next"]["action"] == "approve"));
    let none = t.run(&["explain", "--stuck", "--older-than", "2000-01-01", "--json"]);
    none.expect(0);
    assert_eq!(none.json().as_array().unwrap().len(), 0);
    let table = t.run(&["explain", "--stuck", "--older-than", "2000-01-01"]);
    table.expect(0);
    let missing = t.run(&["explain", "--stuck"]);
    missing.expect(2);
}

/// The access request of the item requested for `who` (one per identity).
fn request_of(t: &Tenant, who: &str) -> String {
    t.handle
        .statuses()
        .iter()
        .find(|s| s.requested_for_ids().any(|id| id == who))
        .and_then(|s| s.access_request_id.clone())
        .unwrap()
}

#[test]
fn status_stuck_explains_the_old_executing_requests_the_filters_select() {
    let t = Tenant::start("status-stuck");
    let plan = t.plan("plan.csv", "a,role,r1,,,,\nb,role,r2,,,,\n");
    t.run(&["submit", &plan]).expect(0);
    let only_a = t.run(&[
        "status",
        "--stuck",
        "--older-than",
        "2099-01-01",
        "--requested-for",
        "a",
        "--json",
    ]);
    only_a.expect(0);
    let doc = only_a.json();
    let listed = doc.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{doc}");
    assert_eq!(listed[0]["access_request_id"], request_of(&t, "a").as_str());
    assert_eq!(listed[0]["next"]["action"], "approve");
    assert_eq!(
        listed[0]["items"][0]["waiting_on"][0]["owner_id"],
        sailpoint_access_sandbox::APPROVER_IDENTITY_ID
    );
    let both = t.run(&["status", "--stuck", "--older-than", "2099-01-01", "--json"]);
    both.expect(0);
    assert_eq!(both.json().as_array().unwrap().len(), 2);
    // Nothing is that old.
    let none = t.run(&["status", "--stuck", "--older-than", "30d", "--json"]);
    none.expect(0);
    assert_eq!(none.json().as_array().unwrap().len(), 0);
    // Each flag needs the other.
    t.run(&["status", "--older-than", "1d"]).expect(2);
    t.run(&["status", "--stuck"]).expect(2);
}

#[test]
fn approvals_are_chosen_by_the_status_filters_and_by_a_submit_report() {
    let t = Tenant::start("approvals-filters");
    let plan = t.plan("plan.csv", "a,role,r1,,,,\nb,role,r1,,,,\nc,role,r1,,,,\n");
    let submitted = t.run(&["submit", &plan, "--output", "json"]);
    submitted.expect(0);
    let report = t.write("report.json", &submitted.stdout);

    let of_b = t.run(&["approvals", "list", "--requested-for", "b", "--json"]);
    of_b.expect(0);
    let rows = of_b.json().as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["access_request_id"], request_of(&t, "b").as_str());
    // Filters that select no request select no approval (not all of them).
    let nobody = t.run(&["approvals", "list", "--requested-for", "nobody", "--json"]);
    nobody.expect(0);
    assert_eq!(nobody.json().as_array().unwrap().len(), 0);

    let approved = approve(
        &t,
        &["--pending", "--requested-for", "a", "--yes", "--json"],
    );
    approved.expect(0);
    let outcomes = approved.json()["outcomes"].as_array().unwrap().clone();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0]["result"]["result"], "decided");
    assert_eq!(
        outcomes[0]["access_request_id"],
        request_of(&t, "a").as_str()
    );

    // The report names all three requests; only b's and c's still wait.
    let from_report = t.run(&[
        "approvals",
        "list",
        "--from-report",
        report.to_str().unwrap(),
        "--json",
    ]);
    from_report.expect(0);
    let mut waiting: Vec<String> = from_report
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["access_request_id"].as_str().unwrap().to_owned())
        .collect();
    waiting.sort();
    let mut expected = vec![request_of(&t, "b"), request_of(&t, "c")];
    expected.sort();
    assert_eq!(waiting, expected);

    let bad = t.run(&["approvals", "list", "--from-report", &plan]);
    bad.expect(2);
    bad.expect_stderr("--from-report");
}
