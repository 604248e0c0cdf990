//! `status` in every format, `--watch`, and `cancel` / `close`.

use sailpoint_access_sandbox::Operation;

use crate::harness::{Tenant, HEADER};

/// Submits one role for each identity; returns the access request ids.
fn submit(t: &Tenant, identities: &[&str]) -> Vec<String> {
    let mut text = HEADER.to_owned();
    for who in identities {
        text.push_str(&format!("{who},role,r-{who},,,,\n"));
    }
    let plan = t.write("seed.csv", &text);
    let run = t.run(&["submit", plan.to_str().unwrap(), "-o", "json"]);
    run.expect(0);
    let mut ids: Vec<String> = run.json()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["access_request_ids"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn status_streams_every_format() {
    let t = Tenant::start_with("status", |b| b.seed_statuses(40));
    let total = t.handle.status_count();
    let table = t.run(&["status", "--page-size", "7"]);
    table.expect(0);
    assert_eq!(table.stdout.lines().count(), total + 1, "{}", table.stdout);
    assert!(table.stdout.starts_with("CREATED"));

    let json = t.run(&[
        "status",
        "-o",
        "json",
        "--page-size",
        "7",
        "--sort",
        "-created",
    ]);
    json.expect(0);
    let items = json.json();
    assert_eq!(items.as_array().unwrap().len(), total);
    let created: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["created"].as_str().unwrap())
        .collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted);

    let jsonl = t.run(&["status", "-o", "jsonl", "--max", "5"]);
    jsonl.expect(0);
    assert_eq!(jsonl.stdout.lines().count(), 5);
    for line in jsonl.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("a JSON line");
    }

    let csv = t.run(&["status", "-o", "csv", "--pending"]);
    csv.expect(0);
    let executing = t
        .handle
        .statuses()
        .iter()
        .filter(|s| !s.is_terminal())
        .count();
    assert_eq!(csv.stdout.lines().count(), executing + 1, "{}", csv.stdout);
    assert!(csv.stdout.starts_with("created,access_request_id,"));

    let empty = t.run(&["status", "-o", "json", "--requested-for", "nobody"]);
    empty.expect(0);
    assert_eq!(empty.json(), serde_json::json!([]));

    let bad = t.run(&["status", "--created-after", "yesterday"]);
    bad.expect(2);
    bad.expect_stderr("yesterday");
    let limit = t.run(&["status", "--page-size", "999"]);
    limit.expect(2);
    limit.expect_stderr("statuses.limit");
}

#[test]
fn status_filters_by_identity_and_request() {
    let t = Tenant::start("status-filter");
    let ids = submit(&t, &["ann", "ben"]);
    assert_eq!(ids.len(), 2, "one access request per identity");
    let run = t.run(&["status", "-o", "jsonl", "--requested-for", "ann"]);
    run.expect(0);
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(run.stdout.contains("r-ann"));
    let mut items = String::new();
    for id in &ids {
        let by_id = t.run(&["status", "-o", "csv", "--access-request-id", id]);
        by_id.expect(0);
        assert_eq!(by_id.stdout.lines().count(), 2, "{}", by_id.stdout);
        items.push_str(&by_id.stdout);
    }
    assert!(
        items.contains("r-ann") && items.contains("r-ben"),
        "{items}"
    );
}

#[test]
fn watch_follows_requests_until_they_end() {
    let t = Tenant::start_with("watch", |b| {
        b.auto_lifecycle(sailpoint_access_sandbox::AutoLifecycle::new(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_millis(200),
        ))
    });
    let ids = submit(&t, &["wes"]);
    let run = t.run(&[
        "status",
        "--watch",
        &ids[0],
        "--timeout",
        "30",
        "-o",
        "json",
    ]);
    run.expect(0);
    let items = run.json();
    assert_eq!(items[0]["state"], "REQUEST_COMPLETED", "{items}");
}

#[test]
fn cancel_by_id_and_by_filter_reports_what_changed() {
    let t = Tenant::start("cancel");
    let ids = submit(&t, &["cy"]);
    let plan = t.plan("more.csv", "dee,role,r-x,,,,\n");
    t.run(&["submit", &plan]).expect(0);

    // No terminal and no --yes: refused, nothing sent.
    let refused = t.run(&["cancel", "--id", &ids[0], "--comment", "done"]);
    refused.expect(2);
    refused.expect_stderr("--yes");
    // Nothing selected: a usage error.
    t.run(&["cancel", "--comment", "done", "--yes"]).expect(2);
    // A dry run selects and sends nothing.
    let dry = t.run(&[
        "cancel",
        "--requested-for",
        "dee",
        "--comment",
        "x",
        "--dry-run",
        "-o",
        "json",
    ]);
    dry.expect(0);
    let outcomes = dry.json()["outcomes"].as_object().unwrap().clone();
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes.values().all(|o| o["outcome"] == "selected"));
    t.expect_not_received(&[
        Operation::BulkCancelAccessRequests,
        Operation::CancelAccessRequest,
    ]);

    let run = t.run(&[
        "cancel",
        "--id",
        &ids[0],
        "--comment",
        "done",
        "--yes",
        "-o",
        "json",
    ]);
    run.expect(0);
    let report = run.json();
    assert_eq!(
        report["outcomes"][&ids[0]]["outcome"], "cancelled",
        "{report}"
    );
    assert_eq!(report["dry_run"], false);

    let by_filter = t.run(&[
        "cancel",
        "--requested-for",
        "dee",
        "--comment",
        "x",
        "--yes",
    ]);
    by_filter.expect(0);
    by_filter.expect_stdout("cancelled");
    let states: Vec<String> = t
        .handle
        .statuses()
        .iter()
        .map(|s| s.state.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert!(states.iter().all(|s| s == "CANCELLED"), "{states:?}");

    // A completed request cannot be cancelled: reported, exit 3.
    let done = submit(&t, &["eve"]);
    t.handle.approve_all_pending();
    t.handle.provision_all_approved();
    let again = t.run(&[
        "cancel",
        "--id",
        &done[0],
        "--id",
        "unknown-id",
        "--comment",
        "done",
        "--yes",
    ]);
    again.expect(3);
    again.expect_stdout("unchanged");
}

#[test]
fn close_by_id_reports_and_dry_run_sends_nothing() {
    let t = Tenant::start("close");
    let ids = submit(&t, &["flo"]);
    let dry = t.run(&["close", "--id", &ids[0], "--dry-run"]);
    dry.expect(0);
    dry.expect_stdout("selected");
    t.expect_not_received(&[Operation::CloseAccessRequests]);
    let run = t.run(&[
        "close",
        "--id",
        &ids[0],
        "--completion-status",
        "failure",
        "--message",
        "source gone",
        "--yes",
        "-o",
        "json",
    ]);
    run.expect(0);
    // A close reports what it did: closed, not cancelled.
    assert_eq!(run.json()["outcomes"][&ids[0]]["outcome"], "closed");
    assert_eq!(run.json()["kind"], "close");
    assert_eq!(
        t.handle.requests_received(Operation::CloseAccessRequests),
        1
    );
}
