//! The figures of BENCHMARKS.md for names instead of ids (ignored by
//! default; `cargo test -p sailpoint-access --release --test suite
//! lookups_bench -- --ignored --nocapture`): resolving a plan of 10,000 rows (2,000
//! people by email, 300 distinct item names of which 40 entitlement names
//! exist on three sources each) against a sandbox directory of 100,000
//! identities and 20,000 items.

use std::time::Instant;

use crate::common::*;
use sailpoint_access::types::AccessItemType;
use sailpoint_access::{IdentityRef, ItemRef};
use sailpoint_access_sandbox::{Directory, Sandbox};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run by hand for BENCHMARKS.md"]
async fn resolve_ten_thousand_rows() {
    let started = Instant::now();
    let directory = Directory::generated(100_000, 20_000);
    let seeded = started.elapsed();
    let sandbox = Sandbox::builder()
        .directory(directory)
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    // 10,000 rows: 2,000 people, 5 rows each, over 300 item names:
    // 40 shared entitlement names (on 3 sources each, named with their
    // source), 160 other entitlements, 50 roles, 50 access profiles.
    let mut people = Vec::new();
    let mut items = Vec::new();
    for row in 0..10_000usize {
        let person = (row / 5) * 37 % 100_000;
        people.push(IdentityRef::Email(format!("person.{person}@example.com")));
        let k = row % 300;
        items.push(match k {
            0..40 => ItemRef::Name {
                kind: AccessItemType::Entitlement,
                name: format!("Shared Group {k}"),
                source: Some(format!("Source {}", row % 3)),
            },
            40..200 => ItemRef::Name {
                kind: AccessItemType::Entitlement,
                name: format!("Group {}", 120 + k),
                source: None,
            },
            200..250 => ItemRef::Name {
                kind: AccessItemType::Role,
                name: format!("Role {}", (k - 200) * 7),
                source: None,
            },
            _ => ItemRef::Name {
                kind: AccessItemType::AccessProfile,
                name: format!("Access Profile {}", (k - 250) * 7),
                source: None,
            },
        });
    }
    let t = Instant::now();
    let mut resolver = client.resolver();
    let who = resolver.identities(&people).await.unwrap();
    let what = resolver.items(&items).await.unwrap();
    let elapsed = t.elapsed();
    let report = resolver.report();
    let found_people = who.iter().filter(|r| r.id().is_some()).count();
    let found_items = what.iter().filter(|r| r.id().is_some()).count();
    assert_eq!(found_people, 10_000, "every person resolves");
    let requests = report.total_requests();
    let bound = report.total_lower_bound();
    println!("seeded directory in {seeded:?}");
    println!("rows resolved: people {found_people}/10000, items {found_items}/10000");
    println!("requests by operation: {:?}", report.requests);
    println!("lower bound by operation: {:?}", report.lower_bound);
    println!(
        "requests {requests}, lower bound {bound}, ratio {:.2}",
        requests as f64 / bound as f64
    );
    println!(
        "wall time on loopback {elapsed:?}; at the vendor's 100 requests / 10 s: {:.1} s",
        requests as f64 / 10.0
    );
    println!(
        "peak RSS of the process (sandbox included): {:?} KiB",
        peak_rss_kib()
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: run by hand for BENCHMARKS.md"]
async fn preflight_two_thousand_identities_against_the_pending_scan() {
    use sailpoint_access::types::RequestStateFilter;

    let sandbox = Sandbox::builder()
        .directory(Directory::generated(100_000, 20_000))
        .seed_statuses(20_000)
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let demo = Directory::generated(100_000, 20_000);
    // 2,000 identities, each asked a role; one in five also an entitlement.
    let role = demo.items_named(&AccessItemType::Role, "Role 0")[0]
        .id
        .clone();
    let ent = demo.items_named(&AccessItemType::Entitlement, "Group 200")[0]
        .id
        .clone();
    let kinds = (AccessItemType::Role, AccessItemType::Entitlement);
    let mut rows = Vec::new();
    for i in 0..2_000 {
        let who = demo.identities()[i * 37 % 100_000].id.as_str();
        rows.push((who, &kinds.0, role.as_str()));
        if i % 5 == 0 {
            rows.push((who, &kinds.1, ent.as_str()));
        }
    }
    let t = Instant::now();
    let report = client
        .preflight()
        .concurrency(4)
        .run(rows.iter().copied())
        .await
        .unwrap();
    let preflight_time = t.elapsed();
    // Today's pending scan: every executing request the token can see.
    let t = Instant::now();
    let mut pages = client
        .statuses()
        .request_state(RequestStateFilter::Executing)
        .pages();
    let mut scan_calls = 0;
    let mut executing = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        scan_calls += 1;
        executing += page.items.len();
    }
    let scan_time = t.elapsed();
    println!(
        "pre-flight: {} identities, {} calls, {} held or pending, {preflight_time:?} on loopback, {:.1} s at 100 requests / 10 s",
        report.identities,
        report.calls,
        report.len(),
        report.calls as f64 / 10.0
    );
    println!(
        "pending scan: {executing} executing of 20000 statuses, {scan_calls} calls, {scan_time:?} on loopback, {:.1} s at 100 requests / 10 s",
        scan_calls as f64 / 10.0
    );
    sandbox.shutdown().await;
}
