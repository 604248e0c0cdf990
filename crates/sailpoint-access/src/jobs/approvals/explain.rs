//! "Why is it stuck": for each access request, its items' phases, the
//! approvers they wait on, their errors, whether they can be cancelled, and
//! the action that would move them, from the fewest calls: the statuses of
//! the requests (50 per call where the family has `accessRequestId in`) and
//! the pending approvals of the requests (50 per call).

use std::collections::HashMap;

use sailpoint_access_api::types::{PendingApproval, RequestedItemState, RequestedItemStatus};
use sailpoint_access_api::Rule;
use serde::Serialize;

use super::map::ApprovalsOf;
use crate::error::{Result, ValidationError};
use crate::ops::approvals::Approvals;
use crate::ops::statuses::StatusQuery;

/// What would move a request on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NextAction {
    /// It waits for these approvals: approve (or forward) them.
    Approve {
        /// The approvals it waits on.
        approval_ids: Vec<String>,
    },
    /// Approved and provisioning without an error: wait.
    Wait,
    /// Provisioning reported errors and the request is still open: close it
    /// (or fix the source and wait).
    Close,
    /// Still open but waiting on nothing the lists show (no pending
    /// approval, no error): cancel it if it can be, else close it.
    CancelOrClose,
    /// Finished: nothing to do.
    Nothing,
    /// No status has this id (unknown, or not visible to this caller).
    Unknown,
}

/// One approval an item waits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitingOn {
    /// The approval.
    pub approval_id: String,
    /// Its owner's identity id.
    pub owner_id: Option<String>,
    /// Its owner's name.
    pub owner_name: Option<String>,
}

/// One item of a request, explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemExplanation {
    /// The item's name.
    pub name: Option<String>,
    /// Its state (`EXECUTING`, `REQUEST_COMPLETED`, ...).
    pub state: Option<String>,
    /// `(phase, state)` in order, such as `("APPROVAL_PHASE", "EXECUTING")`.
    pub phases: Vec<(String, String)>,
    /// The approvals it waits on.
    pub waiting_on: Vec<WaitingOn>,
    /// The errors reported on it.
    pub errors: Vec<String>,
    /// Whether it can still be cancelled (then with this account activity id).
    pub cancelable: bool,
    /// The id to cancel it with.
    pub account_activity_item_id: Option<String>,
    /// What would move it on.
    pub next: NextAction,
}

/// One access request, explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The access request.
    pub access_request_id: String,
    /// Its items (none when the id is unknown).
    pub items: Vec<ItemExplanation>,
    /// What would move the request on: the first item's action that is not
    /// `Nothing` (approvals first), else `Nothing`; `Unknown` without items.
    pub next: NextAction,
}

/// Explains why access requests are where they are; from `Client::explain`.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct Explain {
    statuses: StatusQuery,
    approvals: Approvals,
    ids: Vec<String>,
}

impl NextAction {
    /// A sentence for people: what to do.
    pub fn describe(&self) -> String {
        match self {
            NextAction::Approve { approval_ids } => {
                format!("approve (or forward) {}", approval_ids.join(", "))
            }
            NextAction::Wait => "wait: approved, provisioning".to_owned(),
            NextAction::Close => "close it: provisioning reported errors".to_owned(),
            NextAction::CancelOrClose => {
                "cancel it if it can be, else close it: it waits on nothing listed".to_owned()
            }
            NextAction::Nothing => "nothing: finished".to_owned(),
            NextAction::Unknown => "none: no such request".to_owned(),
        }
    }
}

impl Explain {
    pub(crate) fn new(statuses: StatusQuery, approvals: Approvals, ids: Vec<String>) -> Self {
        Self {
            statuses,
            approvals,
            ids,
        }
    }

    /// Validates (`wait.ids`: at least one non-blank id) and explains each
    /// request, in the order given.
    pub async fn send(self) -> Result<Vec<Explanation>> {
        if self.ids.is_empty() || self.ids.iter().any(|id| id.trim().is_empty()) {
            return Err(ValidationError::new(Rule::WaitIds, format!("{:?}", self.ids)).into());
        }
        let (statuses, _) = self.statuses.of_requests(&self.ids, usize::MAX).await?;
        let pending = ApprovalsOf::new(self.approvals, self.ids.clone())
            .send()
            .await?;
        let mut by_request: HashMap<&str, Vec<&RequestedItemStatus>> = HashMap::new();
        for status in &statuses {
            if let Some(id) = status.access_request_id.as_deref() {
                by_request.entry(id).or_default().push(status);
            }
        }
        Ok(self
            .ids
            .iter()
            .map(|id| {
                let items: Vec<ItemExplanation> = by_request
                    .get(id.as_str())
                    .into_iter()
                    .flatten()
                    .map(|s| explain_item(s, pending.get(id).map_or(&[][..], Vec::as_slice)))
                    .collect();
                let next = overall(&items);
                Explanation {
                    access_request_id: id.clone(),
                    items,
                    next,
                }
            })
            .collect())
    }
}

fn overall(items: &[ItemExplanation]) -> NextAction {
    if items.is_empty() {
        return NextAction::Unknown;
    }
    let approvals: Vec<String> = items
        .iter()
        .flat_map(|i| i.waiting_on.iter().map(|w| w.approval_id.clone()))
        .collect();
    if !approvals.is_empty() {
        return NextAction::Approve {
            approval_ids: approvals,
        };
    }
    items
        .iter()
        .map(|i| i.next.clone())
        .find(|n| *n != NextAction::Nothing)
        .unwrap_or(NextAction::Nothing)
}

fn explain_item(status: &RequestedItemStatus, pending: &[PendingApproval]) -> ItemExplanation {
    // An item's approvals: those of its request that name it.
    let waiting_on: Vec<WaitingOn> = pending
        .iter()
        .filter(|p| {
            let object = p.requested_object.as_ref().and_then(|o| o.id.as_deref());
            object.is_none() || object == status.id.as_deref()
        })
        .filter(|p| {
            let target = p.requested_for.as_ref().and_then(|r| r.id.as_deref());
            target.is_none() || requested_for_ids(status).contains(&target.unwrap_or_default())
        })
        .filter_map(|p| {
            Some(WaitingOn {
                approval_id: p.id.clone()?,
                owner_id: p.owner.as_ref().and_then(|o| o.id.clone()),
                owner_name: p.owner.as_ref().and_then(|o| o.name.clone()),
            })
        })
        .collect();
    let errors: Vec<String> = status
        .error_messages
        .iter()
        .flatten()
        .flatten()
        .filter_map(|m| m.text.clone())
        .collect();
    let phases = status
        .access_request_phases
        .iter()
        .flatten()
        .map(|p| {
            (
                p.name.clone().unwrap_or_default(),
                p.state
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
            )
        })
        .collect();
    let open = status.state.as_ref().is_none_or(|s| !s.is_terminal());
    let approved = !status.approval_details.is_empty()
        && status
            .approval_details
            .iter()
            .all(|a| a.status.as_ref().map(ToString::to_string).as_deref() == Some("APPROVED"));
    let next = if !open {
        NextAction::Nothing
    } else if !waiting_on.is_empty() {
        NextAction::Approve {
            approval_ids: waiting_on.iter().map(|w| w.approval_id.clone()).collect(),
        }
    } else if !errors.is_empty() {
        NextAction::Close
    } else if approved || status.state == Some(RequestedItemState::ProvisioningVerificationPending)
    {
        NextAction::Wait
    } else {
        NextAction::CancelOrClose
    };
    ItemExplanation {
        name: status.name.clone(),
        state: status.state.as_ref().map(ToString::to_string),
        phases,
        waiting_on,
        errors,
        cancelable: status.cancelable,
        account_activity_item_id: status.account_activity_item_id.clone(),
        next,
    }
}

fn requested_for_ids(status: &RequestedItemStatus) -> Vec<&str> {
    use sailpoint_access_api::types::RequestedForIdentities;
    match &status.requested_for {
        Some(RequestedForIdentities::One(one)) => one.id.as_deref().into_iter().collect(),
        Some(RequestedForIdentities::Many(many)) => {
            many.iter().filter_map(|r| r.id.as_deref()).collect()
        }
        None => Vec::new(),
    }
}
