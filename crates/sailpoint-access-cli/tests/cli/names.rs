//! Plans by name: aliases, emails and item names resolved against the
//! sandbox's directory, refusals by line with candidates, nothing sent for
//! them; `sail-access resolve`.

use sailpoint_access::types::AccessItemType;
use sailpoint_access_sandbox::{Directory, Operation};

use crate::harness::Tenant;

const PLAN: &str = "email,alias,type,name,source,comment\n\
    ada.lovelace@example.com,,role,Finance,,onboarding\n\
    ,alan.turing,entitlement,Admin,GitHub,repo admin\n\
    katherine.johnson@example.com,,access_profile,VPN Access,,remote\n\
    ,chris.smith,entitlement,Admin,,which one?\n\
    nobody@example.com,,role,Finance,,unknown person\n\
    ,grace.hopper,role,Auditor,,not requestable\n";

fn id_of(alias: &str) -> String {
    Directory::demo()
        .identity_by_alias(alias)
        .unwrap()
        .id
        .clone()
}

#[test]
fn a_plan_by_names_runs_end_to_end_and_refuses_unknown_and_ambiguous_rows_by_line() {
    let t = Tenant::start_with("names-submit", |b| b.directory(Directory::demo()));
    let plan = t.write("by-name.csv", PLAN);
    let run = t.run(&["submit", plan.to_str().unwrap(), "--output", "json"]);
    run.expect(3);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let by_line = |line: u64| rows.iter().find(|r| r["line"] == line).unwrap();
    for line in [2, 3, 4] {
        assert_eq!(
            by_line(line)["outcome"],
            "submitted",
            "line {line}: {report}"
        );
    }
    // The report gives the name from the file and the id used.
    assert_eq!(by_line(2)["identity"], id_of("ada.lovelace"));
    assert_eq!(
        by_line(2)["identity_as_written"],
        "ada.lovelace@example.com"
    );
    assert_eq!(by_line(2)["item_as_written"], "Finance");
    let demo = Directory::demo();
    let gh_admin = demo
        .items_named(&AccessItemType::Entitlement, "Admin")
        .into_iter()
        .find(|i| i.source == "GitHub")
        .unwrap()
        .id
        .clone();
    assert_eq!(by_line(3)["item_id"], gh_admin);
    for (line, rule) in [
        (5, "resolve.ambiguous"),
        (6, "resolve.not_found"),
        (7, "resolve.not_requestable"),
    ] {
        assert_eq!(by_line(line)["outcome"], "refused", "line {line}");
        assert_eq!(by_line(line)["rule"], rule, "line {line}: {report}");
        assert!(
            run.stderr
                .contains(&format!("line {line}: refused ({rule})")),
            "{}",
            run.stderr
        );
    }
    // The ambiguous row names its candidates.
    let detail = by_line(5)["detail"].as_str().unwrap();
    for source in ["GitHub", "Active Directory", "Salesforce"] {
        assert!(detail.contains(source), "{detail}");
    }
    // Nothing was sent for the refused rows: only the three resolved ones.
    let counts = t.counts();
    assert_eq!(counts.len(), 3, "{counts:?}");
    for who in ["chris.smith", "grace.hopper"] {
        assert!(
            counts.keys().all(|(i, _, _)| *i != id_of(who)),
            "{who}: {counts:?}"
        );
    }
}

#[test]
fn dry_run_shows_what_each_name_resolved_to_and_sends_nothing() {
    let t = Tenant::start_with("names-dry", |b| b.directory(Directory::demo()));
    let plan = t.write("by-name.csv", PLAN);
    let run = t.run(&[
        "submit",
        plan.to_str().unwrap(),
        "--dry-run",
        "--output",
        "json",
    ]);
    run.expect(3);
    let doc = run.json();
    let resolved = doc["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 6, "{doc}");
    assert_eq!(resolved[0]["identity_id"], id_of("ada.lovelace"));
    assert_eq!(resolved[0]["outcome"], "resolved");
    assert_eq!(resolved[3]["outcome"], "resolve.ambiguous");
    assert_eq!(resolved[3]["candidates"].as_array().unwrap().len(), 3);
    assert!(
        run.stderr.contains("line 2: ada.lovelace@example.com -> "),
        "{}",
        run.stderr
    );
    assert_eq!(
        t.handle.requests_received(Operation::CreateAccessRequest),
        0
    );
    assert!(t.counts().is_empty());
}

#[test]
fn resolve_answers_names_as_csv_and_today_s_plans_need_no_look_up() {
    let t = Tenant::start_with("names-resolve", |b| b.directory(Directory::demo()));
    let plan = t.write("by-name.csv", PLAN);
    let run = t.run(&["resolve", plan.to_str().unwrap(), "--output", "csv"]);
    run.expect(3);
    let mut lines = run.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("line,identity,identity_id,type,item,item_id,outcome,candidates")
    );
    let second = lines.next().unwrap();
    assert!(
        second.starts_with(&format!(
            "2,ada.lovelace@example.com,{},ROLE,Finance,",
            id_of("ada.lovelace")
        )),
        "{second}"
    );
    assert!(run.stdout.contains("resolve.not_found"), "{}", run.stdout);
    // A plan with ids only is read as before: no look-up at all.
    let by_id = t.write(
        "by-id.csv",
        "identity,type,id\n2c918085-alice,role,2c91808a-role-engineering\n",
    );
    let run = t.run(&["resolve", by_id.to_str().unwrap(), "--json"]);
    run.expect(0);
    assert_eq!(run.json()["rows"][0]["outcome"], "given");
    assert_eq!(t.handle.requests_received(Operation::ListIdentities), 1);
}

#[test]
fn preflight_skips_rows_already_held_or_pending_and_says_why() {
    let t = Tenant::start_with("names-preflight", |b| b.directory(Directory::demo()));
    // Ada holds Engineering (seeded); Alan holds Read on GitHub.
    let plan = t.write(
        "preflight.csv",
        "alias,type,name,source\n\
         ada.lovelace,role,Engineering,\n\
         ada.lovelace,role,Finance,\n\
         alan.turing,entitlement,Read,GitHub\n",
    );
    let run = t.run(&[
        "submit",
        plan.to_str().unwrap(),
        "--preflight",
        "--output",
        "json",
    ]);
    run.expect(0);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let by_line = |line: u64| rows.iter().find(|r| r["line"] == line).unwrap();
    assert_eq!(by_line(2)["outcome"], "skipped", "{report}");
    assert!(by_line(2)["detail"].as_str().unwrap().contains("ASSIGNED"));
    assert_eq!(by_line(3)["outcome"], "submitted");
    assert_eq!(by_line(4)["outcome"], "skipped");
    assert!(by_line(4)["detail"]
        .as_str()
        .unwrap()
        .contains("entitlements"));
    assert!(
        run.stderr
            .contains("pre-flight: 2 identit(ies) in 3 look-up call(s)"),
        "{}",
        run.stderr
    );
    assert_eq!(t.counts().len(), 1, "only Finance for Ada was sent");
}

#[test]
fn a_json_lines_plan_may_name_people_and_items_too() {
    let t = Tenant::start_with("names-jsonl", |b| b.directory(Directory::demo()));
    let plan = t.write(
        "by-name.jsonl",
        concat!(
            r#"{"email":"ada.lovelace@example.com","item_type":"role","name":"Finance"}"#,
            "\n",
            r#"{"alias":"alan.turing","item_type":"entitlement","name":"Admin","source":"GitHub"}"#,
            "\n",
            r#"{"alias":"chris.smith","item_type":"entitlement","name":"Admin"}"#,
            "\n",
        ),
    );
    let run = t.run(&["submit", plan.to_str().unwrap(), "--output", "json"]);
    run.expect(3);
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    let by_line = |line: u64| rows.iter().find(|r| r["line"] == line).unwrap();
    assert_eq!(by_line(1)["outcome"], "submitted", "{report}");
    assert_eq!(by_line(1)["identity"], id_of("ada.lovelace"));
    assert_eq!(by_line(1)["item_as_written"], "Finance");
    assert_eq!(by_line(2)["outcome"], "submitted", "{report}");
    assert_eq!(by_line(2)["identity"], id_of("alan.turing"));
    assert_eq!(by_line(3)["outcome"], "refused");
    assert_eq!(by_line(3)["rule"], "resolve.ambiguous", "{report}");
    assert_eq!(t.counts().len(), 2, "{:?}", t.counts());
}
