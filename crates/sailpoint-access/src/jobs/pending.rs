//! Submitting only what is not already pending (a helper over the status
//! list and the submission).

use std::collections::{HashMap, HashSet};

use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestResponse, AccessRequestType, RequestedItemStatus,
};

use crate::engine::Engine;
use crate::error::Result;
use crate::ops::access_requests::AccessRequests;
use crate::ops::statuses::{is_terminal, StatusQuery};

/// How many statuses per identity are scanned.
const PENDING_SCAN_LIMIT: usize = 2_000;

/// The outcome of `Client::submit_unless_pending`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Submission {
    /// The service's answer, when something was submitted.
    pub submitted: Option<AccessRequestResponse>,
    /// Statuses of the pending requests that made items be left out.
    pub already_pending: Vec<RequestedItemStatus>,
}

/// Lists the statuses of each target identity of `body`, treats an item as
/// pending for an identity when a status of the same request type, item id
/// and item type is not yet terminal, leaves out items pending for every
/// target identity, and submits the rest (nothing when nothing is left).
pub(crate) async fn submit_unless_pending(
    engine: Engine,
    mut body: AccessRequest,
) -> Result<Submission> {
    crate::ops::access_requests::validate_access_request(
        engine.family(),
        &body,
        sailpoint_access_api::Timestamp::now(),
    )?;
    let kind = body
        .request_type
        .clone()
        .unwrap_or(AccessRequestType::GrantAccess);
    let identities: Vec<String> = match &body.requested_for_with_requested_items {
        Some(entries) => entries.iter().map(|e| e.identity_id.clone()).collect(),
        None => body.requested_for.clone(),
    };
    let mut pending: HashMap<String, Vec<RequestedItemStatus>> = HashMap::new();
    for identity in &identities {
        let statuses = StatusQuery::new(engine.clone())
            .requested_for(identity.as_str())
            .collect(PENDING_SCAN_LIMIT)
            .await?;
        let open = statuses
            .into_iter()
            .filter(|s| !s.state.as_ref().is_some_and(is_terminal))
            .filter(|s| {
                s.request_type
                    .clone()
                    .unwrap_or(AccessRequestType::GrantAccess)
                    == kind
            })
            .collect();
        pending.insert(identity.clone(), open);
    }
    let matching = |identity: &str, id: &str, kind: &AccessItemType| -> Vec<RequestedItemStatus> {
        pending
            .get(identity)
            .map(|list| {
                list.iter()
                    .filter(|s| s.id.as_deref() == Some(id) && s.type_.as_ref() == Some(kind))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut already = Vec::new();
    let mut seen = HashSet::new();
    let mut note = |found: Vec<RequestedItemStatus>, identity: &str| {
        for s in found {
            let key = (
                identity.to_owned(),
                s.account_activity_item_id.clone(),
                s.access_request_id.clone(),
            );
            if seen.insert(key) {
                already.push(s);
            }
        }
    };
    let remaining = match body.requested_for_with_requested_items.as_mut() {
        Some(entries) => {
            for entry in entries.iter_mut() {
                entry.requested_items.retain(|item| {
                    let found = matching(&entry.identity_id, &item.id, &item.type_);
                    let dup = !found.is_empty();
                    note(found, &entry.identity_id);
                    !dup
                });
            }
            entries.retain(|e| !e.requested_items.is_empty());
            !entries.is_empty()
        }
        None => {
            let targets = body.requested_for.clone();
            body.requested_items.retain(|item| {
                let found: Vec<_> = targets
                    .iter()
                    .map(|who| (who, matching(who, &item.id, &item.type_)))
                    .collect();
                let dup = found.iter().all(|(_, f)| !f.is_empty());
                if dup {
                    for (who, f) in found {
                        note(f, who);
                    }
                }
                !dup
            });
            !body.requested_items.is_empty()
        }
    };
    let submitted = if remaining {
        Some(AccessRequests::new(engine).submit(body).await?)
    } else {
        None
    };
    Ok(Submission {
        submitted,
        already_pending: already,
    })
}
