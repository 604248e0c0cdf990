//! Onboarding from a spreadsheet of email addresses and item names: the
//! resolver turns them into ids in a few batched look-ups, rows whose name
//! is unknown, ambiguous or not requestable are set aside with the
//! candidates, and the rest goes through the bulk submit and is waited for.
//!
//! ```sh
//! cargo run -p sailpoint-access --example onboard_by_name
//! ```
//!
//! Against a tenant, set `SAIL_*` and `ONBOARDING_CSV`, a file with the
//! header `email,type,name,source`.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use sailpoint_access::bulk::{plan, BulkRow, PlanLimits, RowOutcome};
use sailpoint_access::types::{AccessItemType, AccessRequestType};
use sailpoint_access::{IdentityRef, ItemRef};
use sailpoint_access_sandbox::{AutoLifecycle, Directory, Sandbox};
use support::Outcome;

/// The embedded sandbox's spreadsheet: people of its demo directory.
const DEMO_CSV: &str = "email,type,name,source\n\
    ada.lovelace@example.com,role,Finance,\n\
    alan.turing@example.com,entitlement,Admin,GitHub\n\
    katherine.johnson@example.com,access_profile,VPN Access,\n\
    chris.smith@example.com,entitlement,Admin,\n\
    new.hire@example.com,role,Engineering,\n";

#[tokio::main]
async fn main() {
    support::main("onboard_by_name", run()).await;
}

async fn run() -> Outcome<()> {
    let sandbox = Sandbox::builder()
        .directory(Directory::demo())
        .auto_lifecycle(AutoLifecycle::new(
            Duration::from_millis(100),
            Duration::from_millis(150),
        ));
    let target = support::target(sandbox).await?;
    let csv = match &target.sandbox {
        Some(_) => DEMO_CSV.to_owned(),
        None => std::fs::read_to_string(std::env::var("ONBOARDING_CSV")?)?,
    };
    let client = target.builder.app_name("onboard-by-name").build()?;

    // Read the sheet: one (person, item) a line.
    let mut people = Vec::new();
    let mut items = Vec::new();
    for line in csv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let kind = match cells.get(1).copied().unwrap_or_default() {
            "role" => AccessItemType::Role,
            "access_profile" => AccessItemType::AccessProfile,
            _ => AccessItemType::Entitlement,
        };
        people.push(IdentityRef::Email(cells[0].to_owned()));
        items.push(ItemRef::guess(
            kind,
            cells.get(2).copied().unwrap_or_default(),
            cells.get(3).copied(),
        ));
    }

    // Resolve every distinct name once, in batches.
    let mut resolver = client.resolver();
    let who = resolver.identities(&people).await?;
    let what = resolver.items(&items).await?;
    println!("resolved {} row(s): {}", people.len(), resolver.report());

    let mut rows = Vec::new();
    for (n, ((person, item), (who, what))) in people
        .iter()
        .zip(&items)
        .zip(who.iter().zip(&what))
        .enumerate()
    {
        match (who.id(), what.id()) {
            (Some(identity), Some(item_id)) => {
                println!(
                    "  line {}: {person} -> {identity}; {item} -> {item_id}",
                    n + 2
                );
                let kind = match item {
                    ItemRef::Name { kind, .. } | ItemRef::Id(kind, _) => kind.clone(),
                    _ => AccessItemType::Entitlement,
                };
                rows.push(BulkRow::new(identity, kind, item_id).comment("onboarding"));
            }
            _ => {
                let why = if who.id().is_none() { who } else { what };
                println!("  line {}: set aside: {why}", n + 2);
            }
        }
    }

    let plan = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());
    let report = client
        .bulk_submit(plan)
        .wait(Duration::from_secs(60))
        .send()
        .await?;
    println!(
        "run {}: {} request(s) sent, totals {:?}",
        report.run_id, report.requests_sent, report.totals
    );
    if report.count(RowOutcome::Failed)
        + report.count(RowOutcome::NotSent)
        + report.count(RowOutcome::Unknown)
        > 0
    {
        return Err("some rows were not done: see the totals".into());
    }
    if target.sandbox.is_some() && report.count(RowOutcome::Submitted) != 3 {
        return Err(format!(
            "expected 3 rows submitted on the sandbox, got {:?}",
            report.totals
        )
        .into());
    }
    Ok(())
}
