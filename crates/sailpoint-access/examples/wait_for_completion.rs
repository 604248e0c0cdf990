//! Submit a grant, then wait until every item of it has reached a final state
//! (completed, rejected, failed, cancelled), polling with backoff.
//!
//! ```sh
//! cargo run -p sailpoint-access --example wait_for_completion
//! ```
//!
//! On the sandbox a background task plays the approver: after a short delay
//! it approves and then provisions each item. On a tenant, name real ids with
//! `WAIT_IDENTITY` and `WAIT_ROLE`; someone has to approve the request there.

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::Duration;

use sailpoint_access::Item;
use sailpoint_access_sandbox::{Sandbox, SandboxHandle};
use support::Outcome;

#[tokio::main]
async fn main() {
    support::main("wait_for_completion", run()).await;
}

async fn run() -> Outcome<()> {
    let mut target = support::target(Sandbox::builder()).await?;
    let client = target.builder.app_name("wait-example").build()?;
    let sandbox = target.sandbox.take().map(Arc::new);
    let (identity, role, deadline) = match &sandbox {
        Some(_) => (
            "2c9180857182305e0171993735622948".to_string(),
            "2c918086749d78830174a1a40e121518".to_string(),
            Duration::from_secs(30),
        ),
        None => (
            std::env::var("WAIT_IDENTITY").map_err(|_| "set WAIT_IDENTITY on a tenant")?,
            std::env::var("WAIT_ROLE").map_err(|_| "set WAIT_ROLE on a tenant")?,
            Duration::from_secs(600),
        ),
    };

    let sent = client
        .access_requests()
        .grant()
        .for_identity(&identity)
        .item(Item::role(&role).comment("wait_for_completion example"))
        .send()
        .await?;
    let ids: Vec<String> = sent
        .new_requests
        .iter()
        .flat_map(|t| t.access_request_ids.iter().cloned())
        .collect();
    println!("submitted: access request(s) {}", ids.join(", "));

    let approver = sandbox.clone().map(|sandbox| {
        let ids = ids.clone();
        tokio::spawn(async move { approve_and_provision(&sandbox, &ids).await })
    });

    println!("waiting (deadline {deadline:?})...");
    let finals = client
        .wait_until_done_for(&sent)
        .deadline(deadline)
        .poll_interval(Duration::from_millis(200), Duration::from_secs(5))
        .wait()
        .await?;
    if let Some(task) = approver {
        task.await??;
    }
    for status in &finals {
        let state = status.state.as_ref().map(|s| s.to_string());
        println!(
            "final: {} {} -> {}",
            status.account_activity_item_id.as_deref().unwrap_or("-"),
            status.name.as_deref().unwrap_or("-"),
            state.as_deref().unwrap_or("unknown")
        );
    }
    Ok(())
}

/// What an approver and the provisioning engine would do on a real tenant.
async fn approve_and_provision(sandbox: &SandboxHandle, ids: &[String]) -> Outcome<()> {
    tokio::time::sleep(Duration::from_millis(600)).await;
    let items: Vec<String> = sandbox
        .statuses()
        .into_iter()
        .filter(|s| {
            s.access_request_id
                .as_ref()
                .is_some_and(|id| ids.contains(id))
        })
        .filter_map(|s| s.account_activity_item_id)
        .collect();
    for item in &items {
        sandbox.approve(item)?;
        println!("sandbox: approved {item}");
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    for item in &items {
        sandbox.provision(item)?;
        println!("sandbox: provisioned {item}");
    }
    Ok(())
}
