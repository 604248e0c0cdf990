//! The main job: read the configuration, submit a grant for two identities,
//! follow it through the status list, cancel one item, and show where
//! everything ended up.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With no `SAIL_*` variables it starts the embedded sandbox tenant. With
//! `SAIL_BASE_URL` and credentials (`SAIL_CLIENT_ID` + `SAIL_CLIENT_SECRET`, or
//! `SAIL_ACCESS_TOKEN`) it runs against that tenant; name real ids there with
//! `QUICKSTART_IDENTITIES` (two, comma-separated), `QUICKSTART_ROLE`,
//! `QUICKSTART_ACCESS_PROFILE` and `QUICKSTART_ENTITLEMENT`.

use std::error::Error as StdError;
use std::time::Duration;

use sailpoint_access::types::RequestedItemStatus;
use sailpoint_access::{Client, Family, Filter, Item, StatusSort};
use sailpoint_access_sandbox::{Sandbox, SandboxHandle};

type Outcome<T> = Result<T, Box<dyn StdError + Send + Sync>>;

/// The ids used on the sandbox, which accepts any id.
const SANDBOX_IDS: Ids<'static> = Ids {
    identities: [
        "2c9180857182305e0171993735622948",
        "2c9180857182305e0171993735622949",
    ],
    role: "2c918086749d78830174a1a40e121518",
    access_profile: "2c9180835d2e5168015d32f890ca1581",
    entitlement: "2c9180835d2e5168015d32f890ca1582",
};

struct Ids<'a> {
    identities: [&'a str; 2],
    role: &'a str,
    access_profile: &'a str,
    entitlement: &'a str,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("quickstart failed: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        std::process::exit(1);
    }
}

async fn run() -> Outcome<()> {
    let tenant_configured = [
        "SAIL_BASE_URL",
        "SAIL_CLIENT_ID",
        "SAIL_CLIENT_SECRET",
        "SAIL_ACCESS_TOKEN",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some());

    // Keep the sandbox alive for the whole run; dropping it shuts it down.
    let (client, _sandbox, owned_ids): (Client, Option<SandboxHandle>, Option<Vec<String>>) =
        if tenant_configured {
            let client = Client::from_env()?;
            println!("running against the tenant at {}", client.base_url());
            (client, None, Some(ids_from_env()?))
        } else {
            let sandbox = Sandbox::builder().start().await?;
            println!(
                "no SAIL_* variables set: running against the embedded sandbox tenant at {}",
                sandbox.base_url()
            );
            // The same variable `Client::from_env` reads picks the API family.
            let family: Family = match std::env::var(sailpoint_access::settings::ENV_API_FAMILY) {
                Ok(name) if !name.trim().is_empty() => name.parse()?,
                _ => Family::V3,
            };
            let client = sandbox
                .client_builder()
                .family(family)
                .app_name("quickstart")
                .build()?;
            (client, Some(sandbox), None)
        };
    println!("API family: {}", client.family().as_str());
    let ids = match &owned_ids {
        Some(v) => Ids {
            identities: [&v[0], &v[1]],
            role: &v[2],
            access_profile: &v[3],
            entitlement: &v[4],
        },
        None => SANDBOX_IDS,
    };

    println!("\n1. access request configuration");
    let config = client.access_request_config().get().await?;
    println!(
        "   auto approval enabled:        {}",
        config.auto_approval_enabled
    );
    println!(
        "   approvals must be external:   {}",
        config.approvals_must_be_external
    );
    if let Some(entitlements) = &config.entitlement_request_config {
        println!(
            "   entitlement requests allowed: {}",
            entitlements.allow_entitlement_request
        );
    }

    println!("\n2. submit a grant for two identities (a role, an access profile, an entitlement)");
    let in_30_days = chrono::Utc::now() + chrono::Duration::days(30);
    // A second of margin for the skew between this clock and the service's.
    let submitted_at = chrono::Utc::now() - chrono::Duration::seconds(1);
    let submitted = client
        .access_requests()
        .grant()
        .for_identities(ids.identities)
        .item(Item::role(ids.role).comment("quickstart: role for project X"))
        .item(Item::access_profile(ids.access_profile).comment("quickstart: access profile"))
        .item(
            Item::entitlement(ids.entitlement)
                .comment("quickstart: entitlement until the project ends")
                .remove_date(in_30_days),
        )
        .metadata("source", "sailpoint-access quickstart")
        .send()
        .await?;
    let mut request_ids: Vec<String> = submitted
        .new_requests
        .iter()
        .flat_map(|tracking| tracking.access_request_ids.iter().cloned())
        .collect();
    // The vendor tracks one request per identity; an id is listed once.
    request_ids.sort();
    request_ids.dedup();
    println!(
        "   accepted: {} new, {} already existing; access request ids: {}",
        submitted.new_requests.len(),
        submitted.existing_requests.len(),
        if request_ids.is_empty() {
            "(none reported by this tenant)".to_string()
        } else {
            request_ids.join(", ")
        }
    );

    println!("\n3. list their statuses: filtered, newest first, two per page");
    let mut query = client
        .statuses()
        .sort_desc(StatusSort::Created)
        .sort_asc(StatusSort::Name)
        .limit(2)
        .count(true);
    query = match request_ids.as_slice() {
        [] => query.requested_for(ids.identities[0]),
        ids => query.filter(by_request(client.family(), ids, submitted_at)),
    };
    let mut pages = query.pages();
    let mut statuses: Vec<RequestedItemStatus> = Vec::new();
    let mut page_number = 0;
    while let Some(page) = pages.try_next().await? {
        page_number += 1;
        let total = page
            .total
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into());
        println!(
            "   page {page_number} (offset {}, total {total}):",
            page.offset
        );
        for status in &page.items {
            println!("     {}", describe(status));
        }
        statuses.extend(page.items);
        if statuses.len() >= 50 {
            break; // a real tenant may hold far more; the point is made
        }
    }
    if statuses.is_empty() {
        return Err("the status list is empty: the submission was not recorded".into());
    }

    println!("\n4. cancel one item");
    let victim = statuses
        .iter()
        .find(|s| s.cancelable && s.account_activity_item_id.is_some())
        .ok_or("no cancelable item in the list")?;
    let activity = victim.account_activity_item_id.clone().unwrap_or_default();
    client
        .access_requests()
        .cancel(&activity, "quickstart: no longer needed")
        .send()
        .await?;
    println!(
        "   cancelled {} ({})",
        activity,
        victim.name.as_deref().unwrap_or("unnamed item")
    );

    println!("\n5. final states");
    // Give an asynchronous tenant a moment; the sandbox applies the cancel at once.
    tokio::time::sleep(Duration::from_millis(if tenant_configured {
        2000
    } else {
        0
    }))
    .await;
    let mut after = client.statuses().sort_asc(StatusSort::Name);
    after = match request_ids.as_slice() {
        [] => after.requested_for(ids.identities[0]),
        ids => after.filter(by_request(client.family(), ids, submitted_at)),
    };
    let finals = after.collect(50).await?;
    for status in &finals {
        println!("   {}", describe(status));
    }
    let cancelled = finals
        .iter()
        .find(|s| s.account_activity_item_id.as_deref() == Some(activity.as_str()))
        .ok_or("the cancelled item is missing from the final list")?;
    println!(
        "\ndone: {} item(s) followed, the cancelled one is now {}",
        finals.len(),
        cancelled.state_name()
    );
    Ok(())
}

fn describe(status: &RequestedItemStatus) -> String {
    let who = status.requested_for_ids().collect::<Vec<_>>().join("+");
    format!(
        "{:<14} {:<28} for {:<34} {:<10} cancelable={}",
        status
            .type_
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        status.name.as_deref().unwrap_or("-"),
        who,
        status
            .state
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        status.cancelable
    )
}

/// Ids for a real tenant, where the sandbox's made-up ids would be refused.
/// The statuses of these requests: one id is `eq` (both families serve it);
/// several are `in` where the family documents it (v3), else everything
/// created since the submission (the versioned family has no `in` there, so
/// on a busy tenant this lists other requests too).
fn by_request(
    family: Family,
    ids: &[String],
    submitted_at: chrono::DateTime<chrono::Utc>,
) -> Filter {
    match ids {
        [one] => Filter::access_request_id().eq(one),
        many if family == Family::V3 => Filter::access_request_id().in_(many),
        _ => Filter::created().ge(submitted_at),
    }
}

fn ids_from_env() -> Outcome<Vec<String>> {
    let need = |name: &str| {
        std::env::var(name)
            .map_err(|_| format!("{name} must name a real id when running against a tenant"))
    };
    let identities: Vec<String> = need("QUICKSTART_IDENTITIES")?
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    if identities.len() != 2 {
        return Err(format!(
            "QUICKSTART_IDENTITIES must hold two comma-separated ids, got {}",
            identities.len()
        )
        .into());
    }
    Ok(vec![
        identities[0].clone(),
        identities[1].clone(),
        need("QUICKSTART_ROLE")?,
        need("QUICKSTART_ACCESS_PROFILE")?,
        need("QUICKSTART_ENTITLEMENT")?,
    ])
}
