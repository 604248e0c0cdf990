//! A bulk journal read by content: a changed plan resumed on its journal
//! sends exactly its new and changed rows and reports the rows that left;
//! each row says which run did it; what a resume concludes about an
//! unanswered intent is journaled, so the next resume does not wait again;
//! the listing's lag is measured and sizes the grace.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use sailpoint_access::bulk::{
    plan, BulkReport, BulkRow, DoneBy, Journal, JournalEntry, JsonlJournal, PlanLimits,
    RequestResult, RowOutcome,
};
use sailpoint_access::types::{AccessItemType, AccessRequestType};
use sailpoint_access::RetryPolicy;
use sailpoint_access_sandbox::{FaultConfig, Operation, RateLimitFault, Sandbox, SandboxHandle};

fn hire(i: usize) -> Vec<BulkRow> {
    let who = format!("hire-{i}");
    let mut rows =
        vec![BulkRow::new(&who, AccessItemType::Role, "role-employee").comment("onboarding")];
    if i.is_multiple_of(2) {
        rows.push(BulkRow::new(
            &who,
            AccessItemType::Entitlement,
            format!("ent-{i}"),
        ));
    }
    rows
}

/// (identity, item id) → access request ids the sandbox holds for it.
fn held(sandbox: &SandboxHandle) -> HashMap<(String, String), Vec<String>> {
    let mut held: HashMap<(String, String), Vec<String>> = HashMap::new();
    for status in sandbox.statuses() {
        for who in status.requested_for_ids() {
            held.entry((who.to_owned(), status.id.clone().unwrap_or_default()))
                .or_default()
                .push(status.access_request_id.clone().unwrap_or_default());
        }
    }
    held
}

/// Every submitted row names an access request the sandbox holds for its
/// identity and item.
fn assert_matches_sandbox(report: &BulkReport, sandbox: &SandboxHandle) {
    let held = held(sandbox);
    for row in &report.rows {
        assert_eq!(row.outcome, RowOutcome::Submitted, "{row:?}");
        let ids = held
            .get(&(row.identity.clone(), row.item_id.clone()))
            .unwrap_or_else(|| panic!("the sandbox holds nothing for {row:?}"));
        assert!(
            row.access_request_ids.iter().any(|id| ids.contains(id)),
            "{row:?} vs {ids:?}"
        );
    }
}

#[tokio::test]
async fn a_changed_plan_resumed_on_its_journal_sends_exactly_the_new_and_changed_rows() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(3));
    let path = std::env::temp_dir().join(format!("changed-plan-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let limits = PlanLimits::default().with_max_identities(3);
    let run = |rows: Vec<BulkRow>| {
        let client = client.clone();
        let path = path.clone();
        async move {
            client
                .bulk_submit(plan(AccessRequestType::GrantAccess, rows, limits))
                .journal(JsonlJournal::open(&path).unwrap())
                .send()
                .await
                .unwrap()
        }
    };
    let first_rows: Vec<BulkRow> = (0..8).flat_map(hire).collect();
    let first = run(first_rows.clone()).await;
    assert_eq!(first.count(RowOutcome::Submitted), first_rows.len());
    assert!(first
        .rows
        .iter()
        .all(|r| r.done_by == Some(DoneBy::ThisRun)));
    // Run 1's requests end, so a changed row opens a request of its own
    // rather than matching the one still pending.
    sandbox.approve_all_pending();
    sandbox.provision_all_approved();
    let before = held(&sandbox);
    let creates_before = sandbox.requests_received(Operation::CreateAccessRequest);

    // Tomorrow's list: a late hire at the top, hire 3 gone, hire 4's role
    // with another comment; the rest as it was.
    let mut changed: Vec<BulkRow> = hire(100);
    for i in (0..8).filter(|&i| i != 3) {
        for row in hire(i) {
            if i == 4 && row.item.item_type() == &AccessItemType::Role {
                changed.push(row.comment("onboarding, second week"));
            } else {
                changed.push(row);
            }
        }
    }
    let again = run(changed.clone()).await;
    assert_matches_sandbox(&again, &sandbox);

    // The sandbox received exactly the new and changed rows, nothing else.
    let after = held(&sandbox);
    let mut new_rows: Vec<(String, String)> = Vec::new();
    for (row, ids) in &after {
        let old = before.get(row).map_or(0, Vec::len);
        for _ in old..ids.len() {
            new_rows.push(row.clone());
        }
    }
    new_rows.sort();
    let mut expected = vec![
        ("hire-100".to_owned(), "ent-100".to_owned()),
        ("hire-100".to_owned(), "role-employee".to_owned()),
        ("hire-4".to_owned(), "role-employee".to_owned()),
    ];
    expected.sort();
    assert_eq!(new_rows, expected);
    let creates = sandbox.requests_received(Operation::CreateAccessRequest) - creates_before;
    assert_eq!(again.requests_sent as u64, creates);

    // Each row says which run did it.
    for row in &again.rows {
        let is_new = row.identity == "hire-100"
            || (row.identity == "hire-4" && row.item_type == AccessItemType::Role);
        let by = if is_new {
            DoneBy::ThisRun
        } else {
            DoneBy::EarlierRun
        };
        assert_eq!(row.done_by, Some(by), "{row:?}");
    }
    // The rows that left the plan: hire 3's role, and hire 4's role as it was.
    let mut removed: Vec<(String, String, RowOutcome)> = again
        .removed_rows
        .iter()
        .map(|r| (r.identity.clone(), r.item_id.clone(), r.outcome))
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        vec![
            (
                "hire-3".into(),
                "role-employee".into(),
                RowOutcome::Submitted
            ),
            (
                "hire-4".into(),
                "role-employee".into(),
                RowOutcome::Submitted
            ),
        ]
    );
    let json = serde_json::to_value(&again).unwrap();
    assert_eq!(json["rows"][0]["done_by"], "this_run");
    assert_eq!(json["removed_rows"].as_array().unwrap().len(), 2);

    // The same list once more: nothing sent, every row done earlier.
    let third = run(changed).await;
    assert_eq!(third.requests_sent, 0);
    assert!(third
        .rows
        .iter()
        .all(|r| r.done_by == Some(DoneBy::EarlierRun)));
    assert_matches_sandbox(&third, &sandbox);
    assert_eq!(
        sandbox.requests_received(Operation::CreateAccessRequest) - creates_before,
        creates
    );
    let _ = std::fs::remove_file(&path);
}

/// A journal in memory shared with the test, refusing entries past `limit`.
#[derive(Clone, Default)]
struct Shared {
    entries: Arc<Mutex<Vec<JournalEntry>>>,
    limit: Option<usize>,
}

impl Journal for Shared {
    fn record(&mut self, entry: &JournalEntry) -> std::io::Result<()> {
        let mut entries = self.entries.lock().unwrap();
        if self.limit.is_some_and(|limit| entries.len() >= limit) {
            return Err(std::io::Error::other("disk full"));
        }
        entries.push(entry.clone());
        Ok(())
    }

    fn entries(&self) -> std::io::Result<Vec<JournalEntry>> {
        Ok(self.entries.lock().unwrap().clone())
    }
}

/// Two intents whose requests never reached the service: the first resume
/// waits a multiple of the journaled listing lag, concludes they were never
/// received and journals it, then stops before resending (disk full); the
/// next resume reads the conclusion, does not look or wait again, and sends
/// them. Every row ends in the sandbox exactly once.
#[tokio::test]
async fn a_resume_journals_what_it_concludes_so_the_next_does_not_wait_again() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, RetryPolicy::disabled());
    client.access_request_config().get().await.unwrap();
    // One create passes, the others are answered 429.
    sandbox.set_faults(FaultConfig {
        rate_limit: Some(RateLimitFault::new(1, Duration::from_secs(3600))),
        ..FaultConfig::default()
    });
    let rows: Vec<BulkRow> = (0..3)
        .map(|i| {
            BulkRow::new(
                format!("lost-{i}"),
                AccessItemType::Entitlement,
                format!("ent-{i}"),
            )
        })
        .collect();
    let p = || {
        plan(
            AccessRequestType::GrantAccess,
            rows.clone(),
            PlanLimits::default().with_max_identities_with_entitlements(1),
        )
    };
    let first = Shared::default();
    let report = client
        .bulk_submit(p())
        .run_id("lost")
        .skip_pending(false)
        .concurrency(1)
        .journal(first.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(report.count(RowOutcome::Submitted), 1);
    sandbox.set_faults(FaultConfig::default());
    // As if the two 429s had never been answered: intents with no outcome,
    // for requests the service never received; and a journaled lag.
    let lag = Duration::from_millis(400);
    let mut entries: Vec<JournalEntry> = first
        .entries()
        .unwrap()
        .into_iter()
        .filter(|e| {
            !matches!(
                e,
                JournalEntry::Outcome {
                    result: RequestResult::NotSent,
                    ..
                } | JournalEntry::ListingLag { .. }
            )
        })
        .collect();
    entries.push(JournalEntry::ListingLag {
        ms: lag.as_millis() as u64,
    });
    let sent_at = Instant::now();
    let floor = Duration::from_millis(100);

    let entries_len = entries.len();
    let resumed = Shared {
        entries: Arc::new(Mutex::new(entries)),
        // Room for the two conclusions, not for the resend's intent.
        limit: Some(entries_len + 2),
    };
    let failure = client
        .bulk_submit(p())
        .skip_pending(false)
        .reconcile_grace(floor)
        .journal(resumed.clone())
        .send()
        .await
        .unwrap_err();
    let waited = sent_at.elapsed();
    assert!(failure.to_string().contains("disk full"), "{failure}");
    // The grace is the lag's multiple, not the floor.
    assert!(
        sent_at.elapsed() >= lag * 3,
        "concluded after {:?}",
        sent_at.elapsed()
    );
    assert!(failure.report.reconcile_calls >= 2);
    assert_eq!(failure.report.count(RowOutcome::NotSent), 2);
    assert_eq!(sandbox.access_requests_accepted(), 1);
    let concluded = resumed
        .entries()
        .unwrap()
        .iter()
        .filter(|e| {
            matches!(
                e,
                JournalEntry::Outcome {
                    result: RequestResult::NotSent,
                    ..
                }
            )
        })
        .count();
    assert_eq!(concluded, 2, "both conclusions journaled");

    let started = Instant::now();
    let last = client
        .bulk_submit(p())
        .skip_pending(false)
        .reconcile_grace(floor)
        .journal(Shared {
            entries: resumed.entries.clone(),
            limit: None,
        })
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!(
        "FIGURES bulk-conclusions: first_resume_waited_ms={} (lag {} ms x 3) second_resume_ms={} reconcile_calls={}",
        waited.as_millis(),
        lag.as_millis(),
        took.as_millis(),
        last.reconcile_calls
    );
    assert_eq!(last.reconcile_calls, 0, "no look-up again");
    assert!(took < lag * 3, "waited again: {took:?}");
    assert_eq!(last.requests_sent, 2);
    assert_eq!(last.count(RowOutcome::Submitted), 3);
    let by: HashSet<Option<DoneBy>> = last.rows.iter().map(|r| r.done_by).collect();
    assert_eq!(
        by,
        HashSet::from([Some(DoneBy::EarlierRun), Some(DoneBy::ThisRun)])
    );
    assert_matches_sandbox(&last, &sandbox);
    assert_eq!(sandbox.access_requests_accepted(), 3);
    assert!(held(&sandbox).values().all(|ids| ids.len() == 1));
}

/// The run measures the listing's lag (answer to key listed) and journals
/// it; the longest lag is reported.
#[tokio::test]
async fn the_listing_lag_is_measured_and_journaled() {
    let delay = Duration::from_millis(300);
    let sandbox = Sandbox::builder()
        .visibility_delay(delay)
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(3));
    let journal = Shared::default();
    let report = client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            hire(0),
            PlanLimits::default(),
        ))
        .reconcile_grace(Duration::from_secs(5))
        .journal(journal.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(report.count(RowOutcome::Submitted), 2);
    assert!(report.lag_calls >= 2, "{}", report.lag_calls);
    let ms = report.listing_lag_ms;
    // From the answer, which comes a little after the request is created.
    let least = delay.as_millis() as u64 - 50;
    assert!(
        (least..5_000).contains(&ms),
        "lag {ms} ms for a {delay:?} delay"
    );
    let journaled: Vec<u64> = journal
        .entries()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            JournalEntry::ListingLag { ms } => Some(*ms),
            _ => None,
        })
        .collect();
    assert_eq!(journaled, vec![ms]);
    eprintln!(
        "FIGURES bulk-lag: visibility_delay_ms={} measured_lag_ms={ms} lag_calls={}",
        delay.as_millis(),
        report.lag_calls
    );
}

/// A journal written before fingerprints (intents without `fingerprint` or
/// `rows`) is still read, by request position as it always meant: its
/// accepted requests are done, its unanswered one is looked up by key.
#[tokio::test]
async fn a_journal_without_fingerprints_is_read_by_position() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(3));
    let path = std::env::temp_dir().join(format!("legacy-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let rows: Vec<BulkRow> = (0..4).flat_map(hire).collect();
    let p = || {
        plan(
            AccessRequestType::GrantAccess,
            rows.clone(),
            PlanLimits::default().with_max_identities(2),
        )
    };
    let requests = p().requests.len();
    assert!(requests >= 2);
    let run = || {
        client
            .bulk_submit(p())
            .journal(JsonlJournal::open(&path).unwrap())
            .send()
    };
    let first = run().await.unwrap();
    assert_eq!(first.count(RowOutcome::Submitted), rows.len());
    // Rewrite it as the older format: no fingerprints, no rows, no outcome
    // times, no lag; and the last request's answer lost.
    let text = std::fs::read_to_string(&path).unwrap();
    let last_key = format!("{}/{}", first.run_id, requests - 1);
    let mut old = String::new();
    for line in text.lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        let object = value.as_object_mut().unwrap();
        let kind = object["type"].as_str().unwrap().to_owned();
        if kind == "listing_lag" || (kind == "outcome" && object["key"] == last_key.as_str()) {
            continue;
        }
        object.remove("fingerprint");
        object.remove("rows");
        if kind == "outcome" {
            object.remove("at");
        }
        old.push_str(&value.to_string());
        old.push('\n');
    }
    assert!(!old.contains("fingerprint"));
    std::fs::write(&path, old).unwrap();
    let accepted = sandbox.access_requests_accepted();

    let again = run().await.unwrap();
    assert_eq!(again.requests_sent, 0);
    assert_eq!(again.reconcile_calls, 1, "the lost answer looked up by key");
    assert_eq!(sandbox.access_requests_accepted(), accepted);
    assert!(again
        .rows
        .iter()
        .all(|r| r.done_by == Some(DoneBy::EarlierRun)));
    assert_matches_sandbox(&again, &sandbox);
    assert!(again.removed_rows.is_empty());
    let _ = std::fs::remove_file(&path);
}
