//! Submitting only what is not already pending (a helper over the status
//! list and the submission).

use std::collections::{HashMap, HashSet};

use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestResponse, AccessRequestType, RequestStateFilter,
    RequestedItemStatus,
};

use crate::engine::Engine;
use crate::error::Result;
use crate::ops::access_requests::AccessRequests;
use crate::ops::statuses::StatusQuery;

/// The outcome of `Client::submit_unless_pending`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Submission {
    /// The service's answer, when something was submitted.
    pub submitted: Option<AccessRequestResponse>,
    /// Statuses of the pending requests that made items be left out.
    pub already_pending: Vec<RequestedItemStatus>,
}

/// What is already under way, per identity and item, for one request type.
///
/// Built from one walk of the statuses the service lists as executing
/// (`request-state=EXECUTING`, narrowed with `requested-for` when only one
/// identity matters), keeping those that are not terminal (a tenant that
/// ignores the state filter sends every state), of the request type at
/// hand, for the identities that matter. The walk costs what is pending, not
/// the tenant's history, and serves any number of identities; it replaced a
/// walk of each identity's whole history (capped at 2,000 statuses), whose
/// cost grew with the identities and which could miss an old pending item.
#[derive(Debug, Default)]
pub(crate) struct PendingIndex {
    by_item: HashMap<(String, AccessItemType, String), Vec<RequestedItemStatus>>,
    /// Status list calls made to build it.
    pub(crate) calls: usize,
}

impl PendingIndex {
    /// Walks the executing statuses of `request_type` for `identities`.
    pub(crate) async fn load(
        engine: &Engine,
        request_type: &AccessRequestType,
        identities: &HashSet<&str>,
    ) -> Result<Self> {
        let mut query =
            StatusQuery::new(engine.clone()).request_state(RequestStateFilter::Executing);
        // Narrowed to one identity, every status returned is hers, even one
        // that leaves out `requestedFor`.
        let only = match identities.iter().collect::<Vec<_>>()[..] {
            [one] => Some(*one),
            _ => None,
        };
        if let Some(one) = only {
            query = query.requested_for(one);
        }
        let mut index = Self::default();
        let mut pages = query.pages();
        while let Some(page) = pages.try_next().await? {
            index.calls += 1;
            for status in page.items {
                let kind = status
                    .request_type
                    .as_ref()
                    .unwrap_or(&AccessRequestType::GrantAccess);
                if status.is_terminal() || kind != request_type {
                    continue;
                }
                let (Some(id), Some(item_type)) = (status.id.clone(), status.type_.clone()) else {
                    continue;
                };
                let whose: Vec<String> = match only {
                    Some(one) => vec![one.to_owned()],
                    None => status
                        .requested_for_ids()
                        .filter(|who| identities.contains(who))
                        .map(str::to_owned)
                        .collect(),
                };
                for who in whose {
                    index
                        .by_item
                        .entry((who, item_type.clone(), id.clone()))
                        .or_default()
                        .push(status.clone());
                }
            }
        }
        Ok(index)
    }

    /// The pending statuses of this item for this identity.
    pub(crate) fn find(
        &self,
        identity: &str,
        item_type: &AccessItemType,
        item_id: &str,
    ) -> &[RequestedItemStatus] {
        self.by_item
            .get(&(identity.to_owned(), item_type.clone(), item_id.to_owned()))
            .map_or(&[], Vec::as_slice)
    }
}

/// Finds the pending items of each target identity of `body` (see
/// [`PendingIndex`]), leaves out items pending for every target identity,
/// and submits the rest (nothing when nothing is left).
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
    let pending = PendingIndex::load(
        &engine,
        &kind,
        &identities.iter().map(String::as_str).collect(),
    )
    .await?;
    // Each pending status once, however many items or identities it matches.
    let mut already: Vec<RequestedItemStatus> = Vec::new();
    let mut note = |found: &[RequestedItemStatus]| {
        for status in found {
            if !already.contains(status) {
                already.push(status.clone());
            }
        }
    };
    let remaining = match body.requested_for_with_requested_items.as_mut() {
        Some(entries) => {
            for entry in entries.iter_mut() {
                entry.requested_items.retain(|item| {
                    let found = pending.find(&entry.identity_id, &item.type_, &item.id);
                    note(found);
                    found.is_empty()
                });
            }
            entries.retain(|e| !e.requested_items.is_empty());
            !entries.is_empty()
        }
        None => {
            // The flat form names its items for every identity: an item is
            // left out only when pending for all of them.
            let targets = &body.requested_for;
            body.requested_items.retain(|item| {
                let found: Vec<&[RequestedItemStatus]> = targets
                    .iter()
                    .map(|who| pending.find(who, &item.type_, &item.id))
                    .collect();
                let everywhere = found.iter().all(|f| !f.is_empty());
                if everywhere {
                    found.into_iter().for_each(&mut note);
                }
                !everywhere
            });
            !body.requested_items.is_empty()
        }
    };
    let submitted = if remaining {
        Some(AccessRequests::new(engine).submit(body).send().await?)
    } else {
        None
    };
    Ok(Submission {
        submitted,
        already_pending: already,
    })
}
