//! Bulk submission: the planner's promises (property tests), a whole run
//! against the sandbox, pending rows skipped with one walk, and pacing at
//! the tenant's rate with no 429.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use sailpoint_access::bulk::{plan, BulkRow, MemoryJournal, PlanLimits, RowOutcome};
use sailpoint_access::types::{AccessItemType, AccessRequestType, RequestedForIdentities};
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
            row.comment = comment;
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
            prop_assert!(validate_access_request(&request.body, now).is_ok(),
                "invalid: {:?}", validate_access_request(&request.body, now));
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
            prop_assert!(!refused.rule.is_empty());
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
    let rules: Vec<(usize, &str)> = p.refused.iter().map(|r| (r.row, r.rule.as_str())).collect();
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
        .all(|r| r.final_state.as_deref() == Some("EXECUTING")));
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
        at: "2026-12-01T00:00:00Z".into(),
    })
    .unwrap();
    j.record(&JournalEntry::Outcome {
        key: "run-1/0".into(),
        request: 0,
        result: RequestResult::Accepted,
        access_request_ids: vec!["ar-1".into()],
        error: None,
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
    use sailpoint_access::CancelOutcome;
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = unpaced(&sandbox);
    let mut ids = Vec::new();
    for i in 0..70 {
        let sent = client
            .access_requests()
            .grant()
            .for_identity(format!("identity-{i}"))
            .role("role-1")
            .send()
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
        .cancel_matching(pending.clone(), "cleanup")
        .dry_run(true)
        .send()
        .await
        .unwrap();
    assert!(preview.dry_run);
    assert_eq!(preview.outcomes.len(), 70);
    assert!(preview
        .outcomes
        .values()
        .all(|o| *o == CancelOutcome::Selected));
    assert_eq!(
        sandbox.requests_received(Operation::BulkCancelAccessRequests),
        0
    );
    // Close ten of them first, then cancel whatever is still pending.
    let closed = client
        .close_requests(ids[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(closed.change_calls, 1);
    assert_eq!(closed.cancelled().count(), 10);
    let done = client
        .cancel_matching(pending, "cleanup")
        .send()
        .await
        .unwrap();
    assert_eq!(
        done.outcomes.len(),
        60,
        "the closed ones are terminal, not selected"
    );
    assert_eq!(done.change_calls, 2, "60 ids in chunks of 50");
    assert_eq!(done.cancelled().count(), 60);
    eprintln!(
        "FIGURES bulk-cleanup: selected=70 dry_run_calls={} closed=10 cancelled=60 cancel_calls={} check_calls={}",
        preview.check_calls, done.change_calls, done.check_calls
    );
}
