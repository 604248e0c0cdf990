//! Onboarding 400 new hires: a shared role, a department access profile, and
//! for some a personal entitlement. Planned within the limits (the fewest
//! requests the rules allow), pending items skipped, paced to the rate limit,
//! journaled so that a re-run after a crash resumes without duplicates, then
//! waited for. Prints the plan, the report's totals and a few rows.
//!
//! ```sh
//! cargo run -p sailpoint-access --example bulk_onboarding
//! ```
//!
//! Against a tenant, set `SAIL_*` and `ONBOARDING_ROLE`, `ONBOARDING_AP`
//! and a file `ONBOARDING_IDENTITIES` with one identity id per line.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use sailpoint_access::bulk::{plan, BulkRow, JsonlJournal, PlanLimits, RowOutcome};
use sailpoint_access::types::{AccessItemType, AccessRequestType};
use sailpoint_access::RateLimit;
use sailpoint_access_sandbox::{AutoLifecycle, Sandbox};
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("bulk_onboarding", run()).await;
}

async fn run() -> Outcome<()> {
    // On the sandbox, requests approve and provision themselves shortly after.
    let sandbox = Sandbox::builder().auto_lifecycle(AutoLifecycle::new(
        Duration::from_millis(200),
        Duration::from_millis(300),
    ));
    let target = support::target(sandbox).await?;
    let (identities, role, profile) = if target.sandbox.is_some() {
        let ids: Vec<String> = (0..400)
            .map(|i| format!("2c9180857182305e0171{i:012}"))
            .collect();
        (ids, "role-new-hire".to_owned(), "ap-department".to_owned())
    } else {
        let ids = support::identities_from("ONBOARDING_IDENTITIES")?;
        (
            ids,
            std::env::var("ONBOARDING_ROLE")?,
            std::env::var("ONBOARDING_AP")?,
        )
    };
    // The sandbox counts its rate limit per second here, to keep the demo short.
    let limit = match &target.sandbox {
        Some(_) => RateLimit::new(100, Duration::from_secs(1)),
        None => RateLimit::vendor_default(),
    };
    let client = target
        .builder
        .rate_limit(Some(limit))
        .app_name("bulk-onboarding")
        .build()?;

    let mut rows = Vec::new();
    for (i, who) in identities.iter().enumerate() {
        rows.push(BulkRow::new(who, AccessItemType::Role, &role).comment("new hire"));
        rows.push(BulkRow::new(who, AccessItemType::AccessProfile, &profile));
        if target.sandbox.is_some() && i % 5 == 0 {
            rows.push(BulkRow::new(
                who,
                AccessItemType::Entitlement,
                format!("ent-laptop-{i}"),
            ));
        }
    }
    let plan = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());
    println!(
        "plan: {} rows in {} requests (lower bound {}), {} refused",
        plan.rows.len(),
        plan.requests.len(),
        plan.lower_bound,
        plan.refused.len()
    );

    let journal_path =
        std::env::temp_dir().join(format!("bulk-onboarding-{}.jsonl", std::process::id()));
    let report = client
        .bulk_submit(plan)
        .journal(JsonlJournal::open(&journal_path)?)
        .wait(Duration::from_secs(60))
        .send()
        .await?;
    println!(
        "run {}: {} request(s) sent",
        report.run_id, report.requests_sent
    );
    println!("totals: {:?}", report.totals);
    for row in report.rows.iter().take(3) {
        println!(
            "  row {}: {} {} {} -> {:?}, final state {}",
            row.row,
            row.identity,
            row.item_type,
            row.item_id,
            row.outcome,
            row.final_state.as_ref().map_or("-", |s| s.as_str())
        );
    }
    println!("journal: {}", journal_path.display());
    if report.count(RowOutcome::Unknown)
        + report.count(RowOutcome::Failed)
        + report.count(RowOutcome::NotSent)
        > 0
    {
        return Err("some rows failed, were not sent or are unknown: see the report".into());
    }
    let _ = std::fs::remove_file(&journal_path);
    Ok(())
}
