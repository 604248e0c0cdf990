//! Finishing what a run started: a dozen contractors need the same access
//! profile; submit for the team, then approve what the run created as its
//! approver (found from the run's journal, approved in bulk, re-read), then
//! show the statuses. Approving twice, or an id no approval has, is
//! reported as such, never as approved.
//!
//! ```sh
//! cargo run -p sailpoint-access --example approve_team
//! ```
//!
//! Against a tenant, set `SAIL_*` (an administrator's client: bulk approve
//! needs ORG_ADMIN; an approver's client falls back to single approvals),
//! `TEAM_AP` and a file `TEAM_IDENTITIES` with one identity id per line.

#[path = "support/mod.rs"]
mod support;

use sailpoint_access::bulk::{plan, BulkRow, JsonlJournal, PlanLimits};
use sailpoint_access::types::{AccessItemType, AccessRequestType};
use sailpoint_access::{access_request_ids_of_journal, ApprovalResult};
use sailpoint_access_sandbox::Sandbox;
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("approve_team", run()).await;
}

async fn run() -> Outcome<()> {
    // No self-running lifecycle: the requests wait for their approver.
    let target = support::target(Sandbox::builder()).await?;
    let (team, profile) = if target.sandbox.is_some() {
        let ids: Vec<String> = (0..12).map(|i| format!("contractor-{i:02}")).collect();
        (ids, "ap-contractors".to_owned())
    } else {
        let ids = support::identities_from("TEAM_IDENTITIES")?;
        (ids, std::env::var("TEAM_AP")?)
    };
    let client = target.builder.app_name("approve-team").build()?;

    let rows: Vec<BulkRow> = team
        .iter()
        .map(|who| BulkRow::new(who, AccessItemType::AccessProfile, &profile).comment("contract"))
        .collect();
    let journal_path =
        std::env::temp_dir().join(format!("approve-team-{}.jsonl", std::process::id()));
    let submitted = client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            rows,
            PlanLimits::default(),
        ))
        .journal(JsonlJournal::open(&journal_path)?)
        .send()
        .await?;
    println!("submitted: {} request(s) sent", submitted.requests_sent);

    // The run's requests, from its journal; their approvals, approved in bulk.
    let requests = access_request_ids_of_journal(&JsonlJournal::open(&journal_path)?)?;
    let report = client
        .approve_many("approved for the contract")
        .access_request_ids(requests.clone())
        .approval_ids(["no-such-approval"])
        .send()
        .await?;
    println!(
        "approvals: {} decided, {} not found, {} bulk call(s), {} single call(s), {} read(s)",
        report.count(&ApprovalResult::Decided),
        report.count(&ApprovalResult::NotFound),
        report.bulk_calls,
        report.single_calls,
        report.read_calls
    );
    // Approving them again changes nothing, and says so.
    let again = client
        .approve_many("again")
        .approval_ids(
            report
                .outcomes
                .iter()
                .filter(|o| o.result == ApprovalResult::Decided)
                .map(|o| o.approval_id.clone())
                .collect::<Vec<_>>(),
        )
        .send()
        .await?;
    println!(
        "again: {} decided, {} no longer pending",
        again.count(&ApprovalResult::Decided),
        again
            .outcomes
            .iter()
            .filter(|o| matches!(o.result, ApprovalResult::NoLongerPending { .. }))
            .count()
    );
    // Approved: each item has left its approval step for provisioning.
    let statuses = client.statuses().collect(100).await?;
    for status in statuses.iter().take(3) {
        println!(
            "  {} for {:?}: {}, approval {}",
            status.name.as_deref().unwrap_or("-"),
            status.access_request_id,
            status.state.as_ref().map_or("-", |s| s.as_str()),
            status
                .approval_details
                .first()
                .and_then(|a| a.status.as_ref())
                .map_or("-", |s| s.as_str())
        );
    }
    let _ = std::fs::remove_file(&journal_path);
    if report.count(&ApprovalResult::Decided) != team.len()
        || report.count(&ApprovalResult::NotFound) != 1
        || again.count(&ApprovalResult::Decided) != 0
    {
        return Err("the approvals did not come out as expected: see the report".into());
    }
    Ok(())
}
