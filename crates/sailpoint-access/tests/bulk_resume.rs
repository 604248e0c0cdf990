//! Crash and resume: a child process runs a bulk submission against the
//! sandbox and is killed (SIGKILL) at random instants, again and again; each
//! re-run resumes from the journal, at least 30 times over 375 rows, with a
//! listing delay and latency. At the end the sandbox holds every row exactly
//! once (0 duplicates, 0 lost) and the last run exits 0 with no row unknown,
//! without `resend_unknown`: an intent whose key stayed absent from the
//! listing for the grace period is sent again on that evidence.
//!
//! Alone in its binary: its children are that binary, and the load of 80
//! of them should not slow the timed tests of the suite.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sailpoint_access::bulk::{plan, BulkRow, JsonlJournal, PlanLimits, RowOutcome};
use sailpoint_access::types::{AccessItemType, AccessRequestType, RequestedForIdentities};
use sailpoint_access::{Client, RetryPolicy};
use sailpoint_access_sandbox::{Latency, Operations, Sandbox};

const CHILD: &str = "BULK_RESUME_CHILD";

fn rows() -> Vec<BulkRow> {
    (0..300)
        .flat_map(|i| {
            let who = format!("identity-{i:04}");
            let mut v = vec![
                BulkRow::new(&who, AccessItemType::Role, "role-employee").comment("onboarding")
            ];
            if i % 4 == 0 {
                v.push(BulkRow::new(
                    &who,
                    AccessItemType::Entitlement,
                    format!("ent-{i}"),
                ));
            }
            v
        })
        .collect()
}

/// The sandbox's visibility delay, and the grace period that covers it.
const VISIBILITY: Duration = Duration::from_millis(150);

fn grace() -> Duration {
    VISIBILITY * 4
}

fn limits() -> PlanLimits {
    // Small requests, so a run has many of them to be killed between.
    PlanLimits::default()
        .with_max_identities(3)
        .with_max_identities_with_entitlements(2)
}

/// The child: runs (or resumes) the submission; exit 0 when every row is
/// accounted for, 3 otherwise. Does nothing unless started by the parent.
#[test]
fn child_process() {
    let Ok(base) = std::env::var(CHILD) else {
        return;
    };
    let journal = std::env::var("BULK_RESUME_JOURNAL").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let code = rt.block_on(async {
        let client = Client::builder()
            .rate_limit(None)
            .base_url(&base)
            .client_credentials(
                std::env::var("BULK_ID").unwrap(),
                std::env::var("BULK_SECRET").unwrap(),
            )
            .retry(
                RetryPolicy::standard()
                    .with_max_attempts(3)
                    .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
            )
            .build()
            .unwrap();
        let p = plan(AccessRequestType::GrantAccess, rows(), limits());
        let report = client
            .bulk_submit(p)
            .run_id("resume-test")
            .journal(JsonlJournal::open(&journal).unwrap())
            .concurrency(3)
            // Longer than the sandbox's visibility delay: a key still not
            // listed after it was never received, so resending is safe (the
            // one assumption the guarantee rests on).
            .reconcile_grace(grace())
            .send()
            .await
            .unwrap();
        if report.count(RowOutcome::Unknown)
            + report.count(RowOutcome::Failed)
            + report.count(RowOutcome::NotSent)
            == 0
        {
            0
        } else {
            eprintln!("child: {:?}", report.totals);
            for row in report
                .rows
                .iter()
                .filter(|r| r.outcome == RowOutcome::Unknown)
            {
                eprintln!(
                    "unknown row {} request {:?}: {:?}",
                    row.row, row.request, row.detail
                );
            }
            3
        }
    });
    std::process::exit(code);
}

#[test]
fn killed_at_random_instants_and_resumed_it_sends_every_row_exactly_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(
            Sandbox::builder()
                .latency(Latency::new(Duration::from_millis(8)).on(Operations::API))
                .visibility_delay(VISIBILITY)
                .start(),
        )
        .unwrap();
    let dir = std::env::temp_dir().join(format!("bulk-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = dir.join("run.jsonl");
    let _ = std::fs::remove_file(&journal);
    let exe = std::env::current_exe().unwrap();
    // A quiet child for the runs that are killed, a loud one for the last.
    let spawn_child = |loud: bool| {
        let mut command = Command::new(&exe);
        command
            .args([
                "--exact",
                "child_process",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD, sandbox.base_url())
            .env("BULK_RESUME_JOURNAL", &journal)
            .env("BULK_ID", sandbox.client_id())
            .env("BULK_SECRET", sandbox.client_secret());
        if !loud {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
        command.spawn().unwrap()
    };
    let spawn = || spawn_child(false);
    let spawn_loud = || spawn_child(true);
    let started = Instant::now();
    let seed = std::env::var("BULK_RESUME_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5a11_ac55);
    let mut rng = fastrand::Rng::with_seed(seed);
    let journal_lines =
        || std::fs::read(&journal).map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count());
    let mut kills = 0;
    let mut finished = false;
    // Kill at random instants until the run gets through on its own; bounded
    // in count and time. An instant is a random time, or earlier, the moment
    // the journal has grown by a random 1 to 3 lines: a fast machine then
    // still cuts every run short mid-work instead of letting one finish after
    // a handful of kills (a time window alone gave 25 kills on one CI runner
    // and 40 on another).
    for round in 0..80 {
        let lines_before = journal_lines();
        let mut child = spawn();
        let deadline = Instant::now() + Duration::from_millis(rng.u64(20..250));
        let grow_by = rng.usize(1..=3);
        while Instant::now() < deadline
            && journal_lines() < lines_before + grow_by
            && child.try_wait().unwrap().is_none()
        {
            std::thread::sleep(Duration::from_millis(1));
        }
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "round {round}: child exited {status}");
                finished = true;
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            break;
        }
    }
    if !finished {
        let status = spawn_loud().wait().unwrap();
        assert!(
            status.success(),
            "the final run did not account for every row: {status}"
        );
    }
    let statuses = sandbox.statuses();
    let mut per_row: HashMap<(String, String), usize> = HashMap::new();
    for s in &statuses {
        let who = match &s.requested_for {
            Some(RequestedForIdentities::One(one)) => one.id.clone().unwrap_or_default(),
            other => panic!("{other:?}"),
        };
        *per_row
            .entry((who, s.id.clone().unwrap_or_default()))
            .or_default() += 1;
    }
    let expected = rows();
    let duplicates = per_row.values().filter(|&&n| n > 1).count();
    let lost = expected
        .iter()
        .filter(|r| !per_row.contains_key(&(r.identity.clone(), r.item.id().to_owned())))
        .count();
    let requests = plan(AccessRequestType::GrantAccess, rows(), limits())
        .requests
        .len();
    eprintln!(
        "FIGURES bulk-resume: seed={seed} rows={} requests={requests} kills={kills} statuses={} duplicates={duplicates} lost={lost} accepted_requests={}",
        expected.len(),
        statuses.len(),
        sandbox.access_requests_accepted()
    );
    assert!(kills >= 30, "the child was killed only {kills} times");
    assert_eq!(duplicates, 0);
    assert_eq!(lost, 0);
    assert_eq!(statuses.len(), expected.len());
    assert_eq!(
        sandbox.access_requests_accepted() as usize,
        requests,
        "no request accepted twice"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
