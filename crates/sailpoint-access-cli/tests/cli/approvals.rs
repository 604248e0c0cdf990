//! `approvals` and `explain`: a submit run's approvals approved from its
//! journal, confirmation, dry run, per-approval report, exit codes.

use crate::harness::Tenant;

const HEADER: &str = "identity,type,id,comment,start,end,metadata\n";

#[test]
fn approvals_of_a_run_are_approved_from_its_journal_and_reported_each() {
    let t = Tenant::start("approvals");
    let plan = t.write(
        "plan.csv",
        &format!("{HEADER}a,role,r1,,,,\nb,role,r1,,,,\nc,role,r1,,,,\n"),
    );
    let journal = t.dir.join("run.journal.jsonl");
    let journal = journal.to_str().unwrap();
    t.run(&["submit", plan.to_str().unwrap(), "--journal", journal])
        .expect(0);

    let listed = t.run(&["approvals", "list", "--from-journal", journal, "--json"]);
    listed.expect(0);
    assert_eq!(listed.json().as_array().unwrap().len(), 3);

    // Without a terminal, a decision needs --yes; nothing is sent.
    let refused = t.run(&[
        "approvals",
        "approve",
        "--from-journal",
        journal,
        "--comment",
        "ok",
    ]);
    refused.expect(2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);

    let dry = t.run(&[
        "approvals",
        "approve",
        "--from-journal",
        journal,
        "--comment",
        "ok",
        "--dry-run",
        "--json",
    ]);
    dry.expect(0);
    let outcomes = dry.json()["outcomes"].as_array().unwrap().clone();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes
        .iter()
        .all(|o| o["result"]["result"] == "would_decide"));

    let done = t.run(&[
        "approvals",
        "approve",
        "--from-journal",
        journal,
        "--approval-id",
        "no-such-approval",
        "--comment",
        "ok",
        "--yes",
        "--json",
    ]);
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
    let plan = t.write("plan.csv", &format!("{HEADER}a,role,r1,,,,\n"));
    let journal = t.dir.join("run.journal.jsonl");
    t.run(&[
        "submit",
        plan.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ])
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
    let plan = t.write(
        "plan.csv",
        &format!("{HEADER}a,role,r1,,,,\nb,role,r2,,,,\n"),
    );
    t.run(&["submit", plan.to_str().unwrap()]).expect(0);
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
