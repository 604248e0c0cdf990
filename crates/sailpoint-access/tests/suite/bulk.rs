//! Bulk submission: the planner's promises (property tests), a whole run
//! against the sandbox, pending rows skipped with one walk, and pacing at
//! the tenant's rate with no 429.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::common::*;
use chrono::Utc;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use sailpoint_access::bulk::{plan, BulkRow, MemoryJournal, PlanLimits, RowOutcome};
use sailpoint_access::types::{
    AccessItemType, AccessRequestType, RequestedForIdentities, RequestedItemState,
};
use sailpoint_access::{validate_access_request, Client, RateLimit, Timestamp};
use sailpoint_access_sandbox::{Latency, Operation, RateLimitFault, Sandbox};

fn row_strategy() -> impl Strategy<Value = BulkRow> {
    (
        0usize..30,
        0u8..3,
        0usize..40,
        prop_oneof![4 => Just(Some("because".to_owned())), 1 => Just(None)],
        prop_oneof![6 => Just(None), 1 => Just(Some(-3i64)), 2 => Just(Some(30i64))],
        prop_oneof![6 => Just(None), 2 => Just(Some(60i64))],
    )
        .prop_map(|(who, kind, item, comment, start, remove)| {
            let kind = [
                AccessItemType::Role,
                AccessItemType::AccessProfile,
                AccessItemType::Entitlement,
            ][usize::from(kind)]
            .clone();
            let mut row = BulkRow::new(format!("identity-{who}"), kind, format!("item-{item}"));
            if let Some(c) = comment {
                row = row.comment(c);
            }
            if let Some(d) = start {
                row = row.start_date(Utc::now() + chrono::Duration::days(d));
            }
            if let Some(d) = remove {
                row = row.remove_date(Utc::now() + chrono::Duration::days(d));
            }
            row
        })
}

proptest! {
    #![proptest_config(Config {
        cases: 160,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    /// Every planned request validates; every row is covered exactly once
    /// (planned or refused); the request count equals the documented bound.
    #[test]
    fn plans_are_valid_cover_every_row_once_and_reach_the_bound(
        kind in 0u8..3,
        rows in prop::collection::vec(row_strategy(), 0..400),
    ) {
        let kind = [AccessRequestType::GrantAccess, AccessRequestType::RevokeAccess, AccessRequestType::ModifyAccess][usize::from(kind)].clone();
        let n = rows.len();
        let plan = plan(kind.clone(), rows, PlanLimits::default());
        let now = Timestamp::now();
        let mut covered = vec![0u32; n];
        for request in &plan.requests {
            prop_assert!(validate_access_request(sailpoint_access::Family::V3, &request.body, now).is_ok(),
                "invalid: {:?}", validate_access_request(sailpoint_access::Family::V3, &request.body, now));
            prop_assert_eq!(request.body.request_type.as_ref(), Some(&kind));
            for &i in &request.rows {
                covered[i] += 1;
            }
            // The body carries exactly its rows.
            let items: usize = match &request.body.requested_for_with_requested_items {
                Some(entries) => entries.iter().map(|e| e.requested_items.len()).sum(),
                None => request.body.requested_for.len() * request.body.requested_items.len(),
            };
            prop_assert_eq!(items, request.rows.len());
        }
        for refused in &plan.refused {
            covered[refused.row] += 1;
            prop_assert!(!refused.rule.code().is_empty());
        }
        prop_assert!(covered.iter().all(|&c| c == 1), "coverage {:?}", covered);
        prop_assert_eq!(plan.requests.len(), plan.lower_bound);
    }
}

#[test]
fn the_planner_groups_shared_items_and_splits_by_the_limits() {
    // 40 hires on one role: 2 flat requests (25 + 15 identities).
    let rows: Vec<BulkRow> = (0..40)
        .map(|i| BulkRow::new(format!("hire-{i}"), AccessItemType::Role, "role-1"))
        .collect();
    let p = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());
    assert_eq!(p.requests.len(), 2);
    assert!(p
        .requests
        .iter()
        .all(|r| r.body.requested_for_with_requested_items.is_none()));
    // With one entitlement each, 10 identities per request.
    let rows: Vec<BulkRow> = (0..40)
        .map(|i| {
            BulkRow::new(
                format!("hire-{i}"),
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            )
        })
        .collect();
    let p = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());
    assert_eq!(
        p.requests.len(),
        4,
        "different entitlements: the per-identity form, 10 a request"
    );
    assert!(p
        .requests
        .iter()
        .all(|r| r.body.requested_for_with_requested_items.is_some()));
    // A revoke with three entitlements for one identity: three requests.
    let rows: Vec<BulkRow> = (0..3)
        .map(|i| {
            BulkRow::new("leaver", AccessItemType::Entitlement, format!("ent-{i}")).comment("left")
        })
        .collect();
    let p = plan(AccessRequestType::RevokeAccess, rows, PlanLimits::default());
    assert_eq!(p.requests.len(), 3);
    // Rows that can never be valid are refused with their rule, one by one.
    let rows = vec![
        BulkRow::new("a", AccessItemType::Role, "r")
            .comment("x")
            .start_date(Utc::now() + chrono::Duration::days(3)),
        BulkRow::new("a", AccessItemType::Role, "r2"),
        BulkRow::new("b", AccessItemType::Role, "r").comment("y"),
        BulkRow::new("b", AccessItemType::Role, "r").comment("y"),
    ];
    let p = plan(AccessRequestType::RevokeAccess, rows, PlanLimits::default());
    let rules: Vec<(usize, &str)> = p.refused.iter().map(|r| (r.row, r.rule.code())).collect();
    assert_eq!(
        rules,
        [
            (0, "revoke.no_start_date"),
            (1, "revoke.comment_required"),
            (3, "bulk.duplicate_row")
        ]
    );
    assert_eq!(p.requests.len(), 1);
}

/// The realistic onboarding mix: shared roles, per-person entitlements.
fn onboarding(hires: usize) -> Vec<BulkRow> {
    let mut rows = Vec::new();
    for i in 0..hires {
        let who = format!("2c9180857182305e01719937356{i:05}");
        rows.push(BulkRow::new(&who, AccessItemType::Role, "role-employee").comment("onboarding"));
        rows.push(BulkRow::new(
            &who,
            AccessItemType::AccessProfile,
            format!("ap-dept-{}", i % 7),
        ));
        if i % 3 == 0 {
            rows.push(BulkRow::new(
                &who,
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            ));
        }
    }
    rows
}

fn unpaced(sandbox: &sailpoint_access_sandbox::SandboxHandle) -> Client {
    sandbox_client(sandbox, quick_retry(3))
}

#[tokio::test]
async fn a_bulk_run_submits_every_row_once_then_skips_them_as_pending() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let rows = onboarding(120);
    let total = rows.len();
    let p = plan(
        AccessRequestType::GrantAccess,
        rows.clone(),
        PlanLimits::default(),
    );
    let bound = p.lower_bound;
    let report = client
        .bulk_submit(p)
        .journal(MemoryJournal::default())
        .concurrency(6)
        .wait(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    assert_eq!(
        report.count(RowOutcome::Submitted),
        total,
        "{:?}",
        report.totals
    );
    assert_eq!(report.requests_sent, bound);
    assert!(report
        .rows
        .iter()
        .all(|r| r.final_state == Some(RequestedItemState::Executing)));
    // One status per row in the sandbox, none twice.
    let statuses = sandbox.statuses();
    assert_eq!(statuses.len(), total);
    let mut seen = HashSet::new();
    for s in &statuses {
        let who = match &s.requested_for {
            Some(RequestedForIdentities::One(one)) => one.id.clone().unwrap(),
            other => panic!("{other:?}"),
        };
        assert!(seen.insert((who, s.id.clone())), "duplicate status");
        assert!(
            s.client_metadata
                .as_ref()
                .is_some_and(|m| m.contains_key("sailpointAccessKey")),
            "{s:?}"
        );
    }
    // The same rows again: all pending, found with one walk, nothing sent.
    let before = sandbox.requests_received(Operation::CreateAccessRequest);
    let again = client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            rows,
            PlanLimits::default(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.count(RowOutcome::Skipped), total);
    assert_eq!(
        sandbox.requests_received(Operation::CreateAccessRequest),
        before
    );
    assert!(
        again.dedupe_calls <= total.div_ceil(250) + 1,
        "{}",
        again.dedupe_calls
    );
    let json = serde_json::to_value(&again).unwrap();
    assert_eq!(json["totals"]["skipped"], total);
    eprintln!(
        "FIGURES bulk-run: rows={total} requests={} lower_bound={bound} dedupe_calls={} wait_calls={}",
        report.requests_sent, again.dedupe_calls, report.wait_calls
    );
}

#[tokio::test]
async fn pacing_keeps_to_the_rate_limit_with_no_429() {
    let limit = 50u32;
    let sandbox = Sandbox::builder()
        .rate_limit(RateLimitFault::new(limit, Duration::from_secs(1)))
        .latency(Latency::new(Duration::from_millis(20)))
        .start()
        .await
        .unwrap();
    let (capture, _guard) = Capture::install();
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .rate_limit(Some(RateLimit::new(limit, Duration::from_secs(1))))
        .build()
        .unwrap();
    // Warm the token outside the measurement.
    client.access_request_config().get().await.unwrap();
    let rows: Vec<BulkRow> = (0..150)
        .map(|i| {
            BulkRow::new(
                format!("identity-{i}"),
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            )
        })
        .collect();
    // One identity and one entitlement per request: 150 requests, 15 per
    // request would be fewer; force one per request with the limits.
    let limits = PlanLimits::default().with_max_identities_with_entitlements(1);
    let p = plan(AccessRequestType::GrantAccess, rows, limits);
    assert_eq!(p.requests.len(), 150);
    let started = Instant::now();
    let report = client
        .bulk_submit(p)
        .skip_pending(false)
        .concurrency(8)
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(report.count(RowOutcome::Submitted), 150);
    let limited = capture
        .retry_waits()
        .iter()
        .filter(|(_, limited)| *limited)
        .count();
    assert_eq!(limited, 0, "429s while paced");
    let rate = 150.0 / took.as_secs_f64();
    let ratio = rate / f64::from(limit);
    assert!(
        (0.9..=1.02).contains(&ratio),
        "achieved {rate:.1}/s of {limit}/s"
    );
    eprintln!("FIGURES bulk-pacing: requests=150 allowed_per_s={limit} achieved_per_s={rate:.1} ratio={ratio:.3} responses_429={limited}");
}

#[test]
fn the_journal_format_is_one_json_object_per_line() {
    use sailpoint_access::bulk::{Journal, JournalEntry, JsonlJournal, RequestResult};
    let dir = std::env::temp_dir().join(format!("bulk-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("j.jsonl");
    let _ = std::fs::remove_file(&path);
    let mut j = JsonlJournal::open(&path).unwrap();
    j.record(&JournalEntry::Intent {
        key: "run-1/0".into(),
        request: 0,
        at: "2026-12-01T00:00:00Z".parse().unwrap(),
        fingerprint: None,
        rows: vec![],
    })
    .unwrap();
    j.record(&JournalEntry::Outcome {
        key: "run-1/0".into(),
        request: 0,
        result: RequestResult::Accepted,
        access_request_ids: vec!["ar-1".into()],
        error: None,
        at: None,
    })
    .unwrap();
    // A cut last line, as a crash would leave it, is ignored.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"{\"type\":\"inte")
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"type":"intent","key":"run-1/0","request":0,"at":"2026-12-01T00:00:00Z"}"#
    );
    assert_eq!(
        lines[1],
        r#"{"type":"outcome","key":"run-1/0","request":0,"result":"accepted","accessRequestIds":["ar-1"]}"#
    );
    let entries = JsonlJournal::open(&path).unwrap().entries().unwrap();
    assert_eq!(entries.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = HashMap::<u8, u8>::new();
}

#[tokio::test]
async fn cancel_and_close_by_filter_with_a_dry_run_first() {
    use sailpoint_access::types::RequestStateFilter;
    use sailpoint_access::{ChangeKind, ChangeOutcome};
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let mut ids = Vec::new();
    for i in 0..70 {
        let sent = grant_role(&client, format!("identity-{i}"), "role-1")
            .await
            .unwrap();
        ids.extend(
            sent.new_requests
                .into_iter()
                .flat_map(|t| t.access_request_ids),
        );
    }
    let pending = client
        .statuses()
        .requested_by("me")
        .request_state(RequestStateFilter::Executing);
    let preview = client
        .cancel_many("cleanup")
        .matching(pending.clone())
        .dry_run(true)
        .send()
        .await
        .unwrap();
    assert!(preview.dry_run);
    assert_eq!(preview.outcomes.len(), 70);
    assert!(preview
        .outcomes
        .values()
        .all(|o| *o == ChangeOutcome::Selected));
    assert_eq!(
        sandbox.requests_received(Operation::BulkCancelAccessRequests),
        0
    );
    // Close ten of them first, then cancel whatever is still pending.
    let closed = client
        .close_many()
        .ids(ids[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(closed.change_calls, 1);
    assert_eq!(closed.kind, ChangeKind::Close);
    assert_eq!(closed.changed().count(), 10);
    let done = client
        .cancel_many("cleanup")
        .matching(pending)
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.outcomes.len(),
        60,
        "the closed ones are terminal, not selected"
    );
    assert_eq!(done.change_calls, 2, "60 ids in chunks of 50");
    assert_eq!(done.kind, ChangeKind::Cancel);
    assert_eq!(done.changed().count(), 60);
    eprintln!(
        "FIGURES bulk-cleanup: selected=70 dry_run_calls={} closed=10 cancelled=60 cancel_calls={} check_calls={}",
        preview.check_calls, done.change_calls, done.check_calls
    );
}

#[tokio::test]
async fn a_change_report_says_changed_unchanged_not_found_or_selected() {
    use sailpoint_access::{ChangeKind, ChangeOutcome};
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let submit = |who: &'static str| {
        let client = client.clone();
        async move {
            let sent = grant_role(&client, who, "role-1").await.unwrap();
            sent.new_requests[0].access_request_ids[0].clone()
        }
    };
    let finished = submit("done-already").await;
    sandbox.approve_all_pending();
    sandbox.provision_all_approved();
    let pending = submit("still-pending").await;
    let closing = submit("to-close").await;
    let ids = [
        pending.clone(),
        finished.clone(),
        "no-such-request".to_owned(),
    ];

    let preview = client
        .cancel_many("cleanup")
        .ids(ids.clone())
        .dry_run(true)
        .send()
        .await
        .unwrap();
    assert_eq!((preview.kind, preview.dry_run), (ChangeKind::Cancel, true));
    assert!(preview
        .outcomes
        .values()
        .all(|o| *o == ChangeOutcome::Selected));
    assert_eq!(preview.outcomes.len(), 3);
    assert_eq!(preview.change_calls, 0);

    let report = client.cancel_many("cleanup").ids(ids).send().await.unwrap();
    assert_eq!(report.outcomes[&pending], ChangeOutcome::Changed);
    assert_eq!(
        report.outcomes[&finished],
        ChangeOutcome::Unchanged {
            states: vec![RequestedItemState::RequestCompleted]
        }
    );
    assert_eq!(report.outcomes["no-such-request"], ChangeOutcome::NotFound);
    assert_eq!(report.changed().collect::<Vec<_>>(), [pending.as_str()]);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["kind"], "cancel");
    assert_eq!(json["outcomes"][&pending]["outcome"], "cancelled");
    assert_eq!(json["outcomes"][&finished]["outcome"], "unchanged");
    assert_eq!(
        json["outcomes"][&finished]["states"][0],
        "REQUEST_COMPLETED"
    );
    assert_eq!(json["outcomes"]["no-such-request"]["outcome"], "not_found");

    let closed = client
        .close_many()
        .ids([closing.clone()])
        .send()
        .await
        .unwrap();
    assert_eq!(closed.kind, ChangeKind::Close);
    assert_eq!(closed.outcomes[&closing], ChangeOutcome::Changed);
    let json = serde_json::to_value(&closed).unwrap();
    assert_eq!(json["outcomes"][&closing]["outcome"], "closed");
}

/// A 429 is answered before the service acts: its rows are reported and
/// journaled as not sent (not "failed", not counted as sent), and a resume
/// on the same journal against a healthy tenant sends exactly those.
#[tokio::test]
async fn rows_answered_429_are_not_sent_and_a_resume_sends_exactly_them() {
    use sailpoint_access::bulk::JsonlJournal;
    use sailpoint_access_sandbox::FaultConfig;
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, sailpoint_access::RetryPolicy::disabled());
    // Warm the token, then allow one request an hour: the first create
    // passes, every other one is answered 429.
    client.access_request_config().get().await.unwrap();
    sandbox.set_faults(FaultConfig {
        rate_limit: Some(RateLimitFault::new(1, Duration::from_secs(3600))),
        ..FaultConfig::default()
    });
    let rows: Vec<BulkRow> = (0..30)
        .map(|i| {
            BulkRow::new(
                format!("storm-{i}"),
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            )
        })
        .collect();
    let limits = PlanLimits::default().with_max_identities_with_entitlements(1);
    let journal = std::env::temp_dir().join(format!("storm-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let first = client
        .bulk_submit(plan(AccessRequestType::GrantAccess, rows.clone(), limits))
        .skip_pending(false)
        .journal(JsonlJournal::open(&journal).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(first.count(RowOutcome::Submitted), 1, "{:?}", first.totals);
    assert_eq!(first.count(RowOutcome::NotSent), 29, "{:?}", first.totals);
    assert_eq!(first.count(RowOutcome::Failed), 0);
    assert_eq!(first.requests_sent, 1, "a 429 is not a request sent");
    assert_eq!(sandbox.access_requests_accepted(), 1);

    sandbox.set_faults(FaultConfig::default());
    let again = client
        .bulk_submit(plan(AccessRequestType::GrantAccess, rows, limits))
        .skip_pending(false)
        .journal(JsonlJournal::open(&journal).unwrap())
        .send()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&journal);
    assert_eq!(again.count(RowOutcome::Submitted), 30, "{:?}", again.totals);
    assert_eq!(again.requests_sent, 29, "only the rows not sent before");
    assert_eq!(sandbox.access_requests_accepted(), 30);
    let mut per_row: HashMap<String, usize> = HashMap::new();
    for status in sandbox.statuses() {
        *per_row.entry(status.id.clone().unwrap()).or_default() += 1;
    }
    assert_eq!(per_row.len(), 30);
    assert!(per_row.values().all(|n| *n == 1), "{per_row:?}");
}

/// A journal that stops accepting entries after `limit` of them.
struct FailingJournal {
    entries: Vec<sailpoint_access::bulk::JournalEntry>,
    limit: usize,
}

impl sailpoint_access::bulk::Journal for FailingJournal {
    fn record(&mut self, entry: &sailpoint_access::bulk::JournalEntry) -> std::io::Result<()> {
        if self.entries.len() >= self.limit {
            return Err(std::io::Error::other("disk full"));
        }
        self.entries.push(entry.clone());
        Ok(())
    }

    fn entries(&self) -> std::io::Result<Vec<sailpoint_access::bulk::JournalEntry>> {
        Ok(self.entries.clone())
    }
}

/// A run that stops on an error hands back its report with the error: what
/// was submitted is reported submitted, what was never sent `not_sent`, and
/// the sandbox holds exactly the submitted rows.
#[tokio::test]
async fn a_run_that_stops_still_reports_every_row() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let rows: Vec<BulkRow> = (0..10)
        .map(|i| {
            BulkRow::new(
                format!("stop-{i}"),
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            )
        })
        .collect();
    let limits = PlanLimits::default().with_max_identities_with_entitlements(1);
    // Room for the tenant, three intents and their outcomes, then the disk is full.
    let failure = client
        .bulk_submit(plan(AccessRequestType::GrantAccess, rows, limits))
        .skip_pending(false)
        .concurrency(1)
        .journal(FailingJournal {
            entries: Vec::new(),
            limit: 7,
        })
        .send()
        .await
        .unwrap_err();
    assert!(failure.to_string().contains("disk full"), "{failure}");
    let report = &failure.report;
    assert_eq!(report.rows.len(), 10);
    assert_eq!(
        report.count(RowOutcome::Submitted),
        3,
        "{:?}",
        report.totals
    );
    assert_eq!(report.count(RowOutcome::NotSent), 7, "{:?}", report.totals);
    assert_eq!(report.requests_sent, 3);
    assert_eq!(sandbox.access_requests_accepted(), 3);
    let error: sailpoint_access::Error = failure.into();
    assert_eq!(error.kind(), sailpoint_access::ErrorKind::Configuration);
}

/// A wait whose deadline passes says so, and the rows keep the state they
/// were last seen in (still pending), not a final one.
#[tokio::test]
async fn a_wait_that_runs_out_says_so() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let rows = vec![BulkRow::new("waiter", AccessItemType::Role, "role-slow")];
    let report = client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            rows,
            PlanLimits::default(),
        ))
        .wait(Duration::from_millis(300))
        .send()
        .await
        .unwrap();
    assert!(report.wait_ran_out);
    assert_eq!(report.count(RowOutcome::Submitted), 1);
    let state = report.rows[0].final_state.clone();
    assert!(state.as_ref().is_none_or(|s| !s.is_terminal()), "{state:?}");
}

/// In the versioned family (no `in` on `accessRequestId`), the check after
/// cancelling 750 requests walks the newest statuses instead of asking for
/// each id: a handful of calls, not 750, on a tenant with older history.
#[tokio::test]
async fn the_versioned_check_after_a_mass_cancel_costs_a_few_calls() {
    use sailpoint_access::{ChangeOutcome, Family};
    let sandbox = Sandbox::builder()
        .seed_statuses(2000)
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .rate_limit(None)
        .family(Family::Versioned)
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .build()
        .unwrap();
    let identities: Vec<String> = (0..750).map(|i| format!("mass-{i}")).collect();
    let mut ids = Vec::new();
    for chunk in identities.chunks(10) {
        let sent = client
            .access_requests()
            .grant()
            .for_identities(chunk.iter().cloned())
            .role("role-mass")
            .send()
            .await
            .unwrap();
        ids.extend(
            sent.new_requests
                .into_iter()
                .flat_map(|t| t.access_request_ids),
        );
    }
    assert_eq!(ids.len(), 750);
    let report = client
        .cancel_many("cleanup")
        .ids(ids.iter().cloned())
        .send()
        .await
        .unwrap();
    assert_eq!(
        report.changed().count(),
        750,
        "{:?}",
        report
            .outcomes
            .values()
            .find(|o| **o != ChangeOutcome::Changed)
    );
    assert_eq!(report.change_calls, 15, "chunks of 50");
    assert!(
        report.check_calls <= 5,
        "{} status calls to check 750 requests",
        report.check_calls
    );
    // An id that does not exist costs the walk's pages and one query more.
    let unknown = client
        .cancel_many("cleanup")
        .ids(["no-such-1".to_owned(), "no-such-2".to_owned()])
        .send()
        .await
        .unwrap();
    assert!(unknown
        .outcomes
        .values()
        .all(|o| *o == ChangeOutcome::NotFound));
    assert!(unknown.check_calls <= 4, "{}", unknown.check_calls);
    eprintln!(
        "FIGURES versioned-check: ids=750 check_calls={} (one per id before: 750)",
        report.check_calls
    );
}

/// A mass cancel whose second chunk fails still reports the first chunk's
/// requests as cancelled, and the second chunk's as failed with the error.
#[tokio::test]
async fn a_failed_chunk_does_not_hide_the_chunks_that_worked() {
    use httpmock::{Method::GET, Method::POST, MockServer};
    use sailpoint_access::{ChangeOutcome, Family};
    let server = MockServer::start_async().await;
    let ids: Vec<String> = (0..60).map(|i| format!("req-{i:02}")).collect();
    let first: Vec<&String> = ids[..50].iter().collect();
    server.mock(|when, then| {
        when.method(POST)
            .path("/access-requests/v1/bulk-cancel")
            .json_body_includes(serde_json::json!({"accessRequestIds": [ids[0]]}).to_string());
        then.status(202).body("{}");
    });
    server.mock(|when, then| {
        when.method(POST).path("/access-requests/v1/bulk-cancel");
        then.status(500)
            .json_body(serde_json::json!({"messages": [{"text": "backend down"}]}));
    });
    let statuses: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "accessRequestId": id,
                "created": format!("2026-12-01T00:{:02}:00Z", 59 - i),
                "state": if first.contains(&id) { "CANCELLED" } else { "EXECUTING" },
            })
        })
        .collect();
    server.mock(|when, then| {
        when.method(GET).path("/access-request-status/v1");
        then.status(200)
            .json_body(serde_json::Value::Array(statuses));
    });
    let client = Client::builder()
        .rate_limit(None)
        .family(Family::Versioned)
        .base_url(server.base_url())
        .access_token(TOKEN)
        .retry(sailpoint_access::RetryPolicy::disabled())
        .build()
        .unwrap();
    let report = client
        .cancel_many("cleanup")
        .ids(ids.iter().cloned())
        .send()
        .await
        .unwrap();
    assert_eq!(report.change_calls, 2);
    assert_eq!(report.changed().count(), 50);
    let failed: Vec<_> = report
        .outcomes
        .iter()
        .filter_map(|(id, o)| match o {
            ChangeOutcome::Failed { error } => Some((id.clone(), error.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 10);
    assert!(
        failed
            .iter()
            .all(|(id, e)| id.as_str() >= "req-50" && e.contains("backend down")),
        "{failed:?}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["outcomes"]["req-55"]["outcome"], "failed");
}

/// Mass changes stay inside their selection: the service cancels whole
/// access requests, so a request the query selected only in part is left
/// alone (and reported) unless the scope is widened; another identity of
/// the same submission is never touched; a dry run lists whom and what each
/// change would touch.
#[tokio::test]
async fn a_mass_cancel_stays_inside_its_selection() {
    use sailpoint_access::{ChangeOutcome, Filter};
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let sent = client
        .access_requests()
        .grant()
        .for_identities(["ann", "ben"])
        .role("role-a")
        .role("role-b")
        .send()
        .await
        .unwrap();
    let ann_request = sent
        .new_requests
        .iter()
        .find(|t| t.requested_for.as_deref() == Some("ann"))
        .unwrap()
        .access_request_ids[0]
        .clone();
    let ann_role_a = sandbox
        .statuses()
        .into_iter()
        .find(|s| {
            s.access_request_id.as_deref() == Some(ann_request.as_str())
                && s.id.as_deref() == Some("role-a")
        })
        .unwrap();
    let one_item = client.statuses().filter(
        Filter::account_activity_item_id().eq(ann_role_a.account_activity_item_id.clone().unwrap()),
    );

    let preview = client
        .cancel_many("cleanup")
        .matching(client.statuses().requested_for("ann"))
        .dry_run(true)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.outcomes.len(), 1);
    let touched = &preview.items[&ann_request];
    assert_eq!(touched.len(), 2);
    assert!(
        touched.iter().all(|i| i.identities == ["ann"]),
        "{touched:?}"
    );

    let partial = client
        .cancel_many("cleanup")
        .matching(one_item.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        partial.outcomes[&ann_request],
        ChangeOutcome::OutsideSelection { items_outside: 1 }
    );
    assert_eq!(partial.change_calls, 0, "nothing was sent");
    assert!(sandbox.statuses().iter().all(|s| !s.is_terminal()));

    let widened = client
        .cancel_many("cleanup")
        .matching(one_item)
        .widen_scope(true)
        .send()
        .await
        .unwrap();
    assert_eq!(widened.outcomes[&ann_request], ChangeOutcome::Changed);
    for status in sandbox.statuses() {
        let ann = status.requested_for_ids().any(|w| w == "ann");
        assert_eq!(status.is_terminal(), ann, "only ann's request: {status:?}");
    }
}

/// A journal is bound to the tenant and client id it was written against:
/// resuming it against another tenant is refused, naming both, and nothing
/// is sent there; the first tenant still resumes it.
#[tokio::test]
async fn a_journal_of_another_tenant_is_refused() {
    let staging = Sandbox::builder().start().await.unwrap();
    let production = Sandbox::builder().start().await.unwrap();
    let rows = onboarding(12);
    let journal = std::env::temp_dir().join(format!("tenant-bound-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let run = |client: Client| {
        let rows = rows.clone();
        let journal = journal.clone();
        async move { grant_journaled(&client, rows, &journal).await }
    };
    let first = run(unpaced(&staging)).await.unwrap();
    assert_eq!(first.count(RowOutcome::Submitted), rows.len());
    let refused = run(unpaced(&production)).await.unwrap_err();
    let text = refused.to_string();
    assert!(text.contains(staging.base_url()), "{text}");
    assert!(text.contains(production.base_url()), "{text}");
    assert_eq!(production.access_requests_accepted(), 0);
    assert!(
        refused
            .report
            .rows
            .iter()
            .all(|r| r.outcome != RowOutcome::Submitted),
        "no row reads submitted for a tenant that received nothing"
    );
    let again = run(unpaced(&staging)).await.unwrap();
    assert_eq!(again.requests_sent, 0);
    let _ = std::fs::remove_file(&journal);
}

/// Limits above the vendor's are held at the vendor's: the planner never
/// builds a request the validator refuses, so no row fails locally.
#[test]
fn plan_limits_never_exceed_the_vendors() {
    let rows: Vec<BulkRow> = (0..40)
        .map(|i| {
            BulkRow::new(
                "one-identity",
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            )
        })
        .collect();
    let mut limits = PlanLimits::default().with_max_entitlements(100);
    limits.max_items = 100;
    let p = plan(AccessRequestType::GrantAccess, rows, limits);
    assert!(p.refused.is_empty(), "{:?}", p.refused);
    assert_eq!(p.requests.len(), 2, "40 entitlements: 25 + 15");
    let now = Timestamp::now();
    for request in &p.requests {
        assert!(request.body.requested_items.len() <= sailpoint_access::MAX_ENTITLEMENTS);
        assert!(validate_access_request(sailpoint_access::Family::V3, &request.body, now).is_ok());
    }
}
