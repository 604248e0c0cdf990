//! The tenant's data: requested-item statuses, the access request config, and
//! the lifecycle transitions tests drive.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sailpoint_access_api::types::{
    AccessDuration, AccessDurationUnit, AccessItemType, AccessRequestConfig, AccessRequestConfigV2,
    AccessRequestPhaseResult, AccessRequestPhaseState, AccessRequestPhases, AccessRequestType,
    ApprovalReminderAndEscalationConfig, CancelledRequestDetails, EntitlementAccessRequestConfig,
    EntitlementApprovalScheme, EntitlementApproverType, EntitlementRequestConfig,
    EntitlementRequestConfigV2, EntitlementRevocationRequestConfig, ErrorMessageDto,
    IdentityReference, IdentityReferenceType, IdentityType, LocaleOrigin, ManualWorkItemState,
    RequestOnBehalfOfConfig, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_api::{Family, Timestamp};

use crate::directory::Directory;
use crate::filter::ParsedFilter;
use crate::lifecycle::{after, before, selected, AutoLifecycle, Draw};
use crate::rng::SplitMix64;
use crate::sort::{compare, SortKey};

/// Why a test control (approve, reject, provision, fail) was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlError {
    /// No status has this `accountActivityItemId`.
    NotFound(String),
    /// The item is not in a state the action applies to.
    InvalidTransition {
        /// The item.
        account_activity_item_id: String,
        /// The refused action (`approve`, `reject`, `provision`, `fail`).
        action: &'static str,
        /// The item's state and approval status, for the message.
        current: String,
    },
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::NotFound(id) => {
                write!(f, "no requested item with accountActivityItemId {id}")
            }
            ControlError::InvalidTransition {
                account_activity_item_id,
                action,
                current,
            } => write!(
                f,
                "cannot {action} requested item {account_activity_item_id}: it is {current}"
            ),
        }
    }
}

impl std::error::Error for ControlError {}

/// Why the cancel operation refused, mapped to 404 / 400 by the handler.
#[derive(Debug)]
pub(crate) enum CancelError {
    NotFound,
    NotCancelable(String),
}

/// A status-list query after its parameters were validated.
#[derive(Debug, Default)]
pub(crate) struct StatusQuery {
    pub(crate) requested_for: Option<String>,
    pub(crate) requested_by: Option<String>,
    pub(crate) regarding: Option<String>,
    pub(crate) assigned_to: Option<String>,
    pub(crate) executing_only: bool,
    pub(crate) filter: Option<ParsedFilter>,
    pub(crate) sorters: Vec<SortKey>,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
    pub(crate) count: bool,
}

impl StatusQuery {
    fn restricts(&self) -> bool {
        self.requested_for.is_some()
            || self.requested_by.is_some()
            || self.regarding.is_some()
            || self.assigned_to.is_some()
            || self.executing_only
            || self.filter.is_some()
    }

    /// Identifies the query's result set: everything but paging.
    fn predicate_key(&self) -> String {
        format!(
            "{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}",
            self.requested_for,
            self.requested_by,
            self.regarding,
            self.assigned_to,
            self.executing_only,
            self.filter,
            self.sorters
        )
    }

    fn matches(&self, s: &RequestedItemStatus) -> bool {
        let requester = s.requester.as_ref().and_then(|r| r.id.as_deref());
        if let Some(id) = &self.requested_for {
            if !requested_for_contains(s, id) {
                return false;
            }
        }
        if let Some(id) = &self.requested_by {
            if requester != Some(id.as_str()) {
                return false;
            }
        }
        if let Some(id) = &self.regarding {
            if requester != Some(id.as_str()) && !requested_for_contains(s, id) {
                return false;
            }
        }
        if let Some(id) = &self.assigned_to {
            if !assigned_to(s, id) {
                return false;
            }
        }
        // `request-state=EXECUTING` keeps the requests not yet finished
        // (see `is_open`): a documented choice, see the README.
        if self.executing_only && !is_open(s) {
            return false;
        }
        self.filter.as_ref().is_none_or(|f| f.matches(s))
    }
}

fn requested_for_contains(s: &RequestedItemStatus, id: &str) -> bool {
    s.requested_for_ids().any(|who| who == id)
}

/// The owner of a pending approval or manual work item.
fn assigned_to(s: &RequestedItemStatus, id: &str) -> bool {
    let approvals = s.approval_details.iter().any(|a| {
        a.status == Some(ManualWorkItemState::Pending)
            && (a.current_owner.as_ref().and_then(|o| o.id.as_deref()) == Some(id)
                || a.original_owner.as_ref().and_then(|o| o.id.as_deref()) == Some(id))
    });
    approvals
        || s.manual_work_item_details.iter().flatten().any(|w| {
            w.status == Some(ManualWorkItemState::Pending)
                && w.current_owner.as_ref().and_then(|o| o.id.as_deref()) == Some(id)
        })
}

/// One page of the status list, already encoded.
pub(crate) struct Page {
    pub(crate) body: Vec<u8>,
    pub(crate) total: usize,
    pub(crate) empty: bool,
}

/// What makes two requested items the same request on a tenant: the
/// identity, the request type, the item type and the item id.
type Identity = (String, String, String, String);

fn identity_key(
    identity: &str,
    request_type: Option<&AccessRequestType>,
    kind: &AccessItemType,
    id: &str,
) -> Identity {
    // A status without a request type is a grant, the service's default.
    let request_type = request_type.unwrap_or(&AccessRequestType::GrantAccess);
    (
        identity.to_owned(),
        request_type.as_str().to_owned(),
        kind.as_str().to_owned(),
        id.to_owned(),
    )
}

/// The keys under which `s` is found as a possible duplicate.
fn identity_keys(s: &RequestedItemStatus) -> Vec<Identity> {
    let (Some(kind), Some(id)) = (&s.type_, &s.id) else {
        return Vec::new();
    };
    s.requested_for_ids()
        .map(|who| identity_key(who, s.request_type.as_ref(), kind, id))
        .collect()
}

/// Whether an item is still open (pending): not in a final state. Such an
/// item blocks a second request for the same identity and item, can be
/// closed, and is what `request-state=EXECUTING` lists. The vendor describes
/// PROVISIONING_VERIFICATION_PENDING as a request past its approvals whose
/// provisioning awaits verification: not finished, so open.
pub(crate) fn is_open(s: &RequestedItemStatus) -> bool {
    matches!(
        s.state,
        None | Some(RequestedItemState::Executing)
            | Some(RequestedItemState::ProvisioningVerificationPending)
    )
}

/// Statuses, config, and the id generator.
pub(crate) struct Store {
    records: Vec<RequestedItemStatus>,
    by_activity_id: HashMap<String, usize>,
    /// Records by [`Identity`], for duplicate detection: a superset (a
    /// replaced record may leave a stale entry), checked on lookup.
    by_identity: HashMap<Identity, Vec<u32>>,
    /// The newest `created` of any record, so lists skip the visibility
    /// filter when nothing is recent enough to be hidden.
    latest_created: Option<Timestamp>,
    /// How long after its creation a status stays out of the lists.
    pub(crate) visibility_delay: Duration,
    /// The lifecycle that runs by itself, when set.
    auto: Option<AutoLifecycle>,
    /// When `auto` was set: older items start their clock then.
    auto_since: Timestamp,
    /// Records `auto` may still move (open when last looked at).
    auto_queue: Vec<u32>,
    /// The sandbox seed, for the lifecycle's reject and fail draws.
    seed: u64,
    /// The document of the v3 and v1 configuration operations (one store
    /// behind both, as on a tenant).
    pub(crate) config: AccessRequestConfig,
    /// The second configuration document (`/access-request-config/v2`).
    pub(crate) config_v2: AccessRequestConfigV2,
    /// The directory and catalogue the look-ups serve (empty unless seeded).
    pub(crate) directory: Directory,
    pub(crate) ids: SplitMix64,
    names: HashMap<String, String>,
    /// The approval steps still to come per item (`accountActivityItemId`),
    /// in order: approving a step opens the next one. Only the approvals
    /// API walks them; the test controls and the self-running lifecycle
    /// approve an item whole.
    later_steps: HashMap<String, VecDeque<PlannedStep>>,
    // Orderings of `records` per sort spec, built on first use and dropped on
    // any change, so paging through a large sorted list sorts once.
    sorted: Mutex<HashMap<Vec<SortKey>, Arc<[u32]>>>,
    // The matching records, in order, per query (paging aside), likewise:
    // paging through a filtered list filters once, then slices.
    matched: Mutex<HashMap<String, Arc<[u32]>>>,
}

/// Cached query results kept at most; a client walking many distinct
/// filters just starts over.
const MATCH_CACHE_ENTRIES: usize = 64;

impl Store {
    pub(crate) fn new(
        seed: u64,
        config: AccessRequestConfig,
        config_v2: AccessRequestConfigV2,
    ) -> Self {
        Self {
            records: Vec::new(),
            by_activity_id: HashMap::new(),
            config,
            config_v2,
            directory: Directory::empty(),
            by_identity: HashMap::new(),
            latest_created: None,
            visibility_delay: Duration::ZERO,
            auto: None,
            auto_since: Timestamp::now(),
            auto_queue: Vec::new(),
            seed,
            ids: SplitMix64::new(seed),
            names: HashMap::new(),
            later_steps: HashMap::new(),
            sorted: Mutex::new(HashMap::new()),
            matched: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    fn changed(&mut self) {
        self.sorted
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.matched
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Remembers display names (identities and items) for later references.
    pub(crate) fn learn_names(&mut self, names: impl IntoIterator<Item = (String, String)>) {
        self.names.extend(names);
    }

    pub(crate) fn name_of(&self, id: &str) -> Option<&str> {
        self.names
            .get(id)
            .map(String::as_str)
            .or_else(|| self.directory.name_of(id))
    }

    /// Adds or replaces (by `accountActivityItemId`) statuses; ones without
    /// that id get a fresh one. Returns the ids in order.
    pub(crate) fn insert(
        &mut self,
        statuses: impl IntoIterator<Item = RequestedItemStatus>,
    ) -> Vec<String> {
        let statuses = statuses.into_iter();
        self.records.reserve(statuses.size_hint().0);
        let mut ids = Vec::new();
        for mut status in statuses {
            let id = match &status.account_activity_item_id {
                Some(id) => id.clone(),
                None => {
                    let id = self.ids.hex_id();
                    status.account_activity_item_id = Some(id.clone());
                    id
                }
            };
            if let Some(created) = status.created {
                self.latest_created = Some(self.latest_created.map_or(created, |t| t.max(created)));
            }
            let (index, replaced) = match self.by_activity_id.get(&id) {
                Some(&index) => {
                    self.records[index] = status;
                    (index, true)
                }
                None => {
                    self.by_activity_id.insert(id.clone(), self.records.len());
                    self.records.push(status);
                    (self.records.len() - 1, false)
                }
            };
            let record = &self.records[index];
            let position = index as u32;
            // A new record is in no list yet; only a replaced one needs a check.
            for key in identity_keys(record) {
                let entries = self.by_identity.entry(key).or_default();
                if !replaced || !entries.contains(&position) {
                    entries.push(position);
                }
            }
            if self.auto.is_some()
                && is_open(record)
                && (!replaced || !self.auto_queue.contains(&position))
            {
                self.auto_queue.push(position);
            }
            ids.push(id);
        }
        self.changed();
        ids
    }

    pub(crate) fn get(&self, activity_id: &str) -> Option<&RequestedItemStatus> {
        self.by_activity_id
            .get(activity_id)
            .map(|&i| &self.records[i])
    }

    pub(crate) fn all(&self) -> &[RequestedItemStatus] {
        &self.records
    }

    fn get_mut(&mut self, activity_id: &str) -> Result<&mut RequestedItemStatus, ControlError> {
        let index = *self
            .by_activity_id
            .get(activity_id)
            .ok_or_else(|| ControlError::NotFound(activity_id.to_owned()))?;
        self.changed();
        Ok(&mut self.records[index])
    }

    fn order(&self, keys: &[SortKey]) -> Arc<[u32]> {
        let mut cache = self.sorted.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(order) = cache.get(keys) {
            return order.clone();
        }
        let mut order: Vec<u32> = (0..self.records.len() as u32).collect();
        // Stable, so ties keep insertion order and pages never shuffle.
        order.sort_by(|&a, &b| compare(keys, &self.records[a as usize], &self.records[b as usize]));
        let order: Arc<[u32]> = order.into();
        cache.insert(keys.to_vec(), order.clone());
        order
    }

    /// The indices of the records matching `query`, in its order.
    fn matching(&self, query: &StatusQuery) -> Arc<[u32]> {
        let key = query.predicate_key();
        if let Some(found) = self
            .matched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return found.clone();
        }
        let order = (!query.sorters.is_empty()).then(|| self.order(&query.sorters));
        let positions = 0..self.records.len() as u32;
        let found: Arc<[u32]> = match &order {
            Some(order) => order
                .iter()
                .copied()
                .filter(|&i| query.matches(&self.records[i as usize]))
                .collect(),
            None => positions
                .filter(|&i| query.matches(&self.records[i as usize]))
                .collect(),
        };
        let mut cache = self.matched.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= MATCH_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, found.clone());
        found
    }

    /// The `created` before which statuses are visible at `now`, when the
    /// visibility delay may hide any (`None`: every status is listed).
    fn visible_before(&self, now: Timestamp) -> Option<Timestamp> {
        if self.visibility_delay.is_zero() {
            return None;
        }
        let cutoff = before(now, self.visibility_delay);
        self.latest_created.filter(|&t| t > cutoff).map(|_| cutoff)
    }

    /// Filters, sorts and slices without cloning records: one linear pass
    /// (plus a sort) the first time a query is seen, then O(limit) per page.
    /// Each family sees the records in its own shape ([`family_view`]).
    /// While the visibility delay hides recent statuses, each page filters
    /// the matching records again (they are not hidden for long).
    pub(crate) fn page(
        &self,
        query: &StatusQuery,
        family: Family,
        now: Timestamp,
    ) -> Result<Page, serde_json::Error> {
        let n = self.records.len();
        let (page, total): (Vec<usize>, usize) = if let Some(cutoff) = self.visible_before(now) {
            let visible = |i: &u32| {
                self.records[*i as usize]
                    .created
                    .is_none_or(|created| created <= cutoff)
            };
            let found: Vec<u32> = if query.restricts() {
                self.matching(query)
                    .iter()
                    .copied()
                    .filter(visible)
                    .collect()
            } else if query.sorters.is_empty() {
                (0..n as u32).filter(visible).collect()
            } else {
                self.order(&query.sorters)
                    .iter()
                    .copied()
                    .filter(visible)
                    .collect()
            };
            let start = query.offset.min(found.len());
            let end = query.offset.saturating_add(query.limit).min(found.len());
            (
                found[start..end].iter().map(|&i| i as usize).collect(),
                found.len(),
            )
        } else if query.restricts() {
            let found = self.matching(query);
            let start = query.offset.min(found.len());
            let end = query.offset.saturating_add(query.limit).min(found.len());
            (
                found[start..end].iter().map(|&i| i as usize).collect(),
                found.len(),
            )
        } else {
            let start = query.offset.min(n);
            let end = query.offset.saturating_add(query.limit).min(n);
            let page = if query.sorters.is_empty() {
                (start..end).collect()
            } else {
                self.order(&query.sorters)[start..end]
                    .iter()
                    .map(|&i| i as usize)
                    .collect()
            };
            (page, n)
        };
        let items: Vec<Cow<'_, RequestedItemStatus>> = page
            .iter()
            .map(|&i| family_view(&self.records[i], family))
            .collect();
        Ok(Page {
            body: serde_json::to_vec(&items)?,
            total,
            empty: items.is_empty(),
        })
    }

    fn describe(status: &RequestedItemStatus) -> String {
        let state = status
            .state
            .as_ref()
            .map_or("without state", |s| s.as_str());
        let approval = status
            .approval_details
            .first()
            .and_then(|a| a.status.as_ref())
            .map_or("none", |s| s.as_str());
        format!("{state} (approval {approval})")
    }

    fn transition(
        &mut self,
        activity_id: &str,
        action: &'static str,
        allowed: impl Fn(&RequestedItemStatus) -> bool,
        apply: impl FnOnce(&mut RequestedItemStatus, Timestamp),
    ) -> Result<RequestedItemStatus, ControlError> {
        let status = self.get_mut(activity_id)?;
        if !allowed(status) {
            return Err(ControlError::InvalidTransition {
                account_activity_item_id: activity_id.to_owned(),
                action,
                current: Self::describe(status),
            });
        }
        apply(status, Timestamp::now());
        Ok(status.clone())
    }

    pub(crate) fn approve(
        &mut self,
        activity_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.transition(activity_id, "approve", pending_approval, approve_status)
    }

    pub(crate) fn reject(
        &mut self,
        activity_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.transition(activity_id, "reject", pending_approval, reject_status)
    }

    pub(crate) fn provision(
        &mut self,
        activity_id: &str,
    ) -> Result<RequestedItemStatus, ControlError> {
        self.transition(
            activity_id,
            "provision",
            approved_executing,
            provision_status,
        )
    }

    pub(crate) fn fail(&mut self, activity_id: &str) -> Result<RequestedItemStatus, ControlError> {
        self.transition(activity_id, "fail", approved_executing, fail_status)
    }

    /// Applies `apply` to every record `allowed` admits; returns how many.
    fn apply_all(
        &mut self,
        allowed: impl Fn(&RequestedItemStatus) -> bool,
        apply: impl Fn(&mut RequestedItemStatus, Timestamp),
    ) -> usize {
        let now = Timestamp::now();
        let mut moved = 0;
        for status in self.records.iter_mut().filter(|s| allowed(s)) {
            apply(status, now);
            moved += 1;
        }
        if moved > 0 {
            self.changed();
        }
        moved
    }

    /// Approves every item waiting for its approval; returns how many.
    pub(crate) fn approve_all_pending(&mut self) -> usize {
        self.apply_all(pending_approval, approve_status)
    }

    /// Provisions every approved item; returns how many.
    pub(crate) fn provision_all_approved(&mut self) -> usize {
        self.apply_all(approved_executing, provision_status)
    }

    /// The lifecycle that runs by itself, if set.
    pub(crate) fn auto_lifecycle(&self) -> Option<&AutoLifecycle> {
        self.auto.as_ref()
    }

    /// Sets or clears the lifecycle that runs by itself. Items already
    /// stored start their clock at `now`.
    pub(crate) fn set_auto_lifecycle(&mut self, auto: Option<AutoLifecycle>, now: Timestamp) {
        self.auto_queue = if auto.is_some() {
            (0..self.records.len() as u32)
                .filter(|&i| is_open(&self.records[i as usize]))
                .collect()
        } else {
            Vec::new()
        };
        self.auto = auto;
        self.auto_since = now;
    }

    /// Applies every transition of the lifecycle that runs by itself that
    /// is due at `now`, each stamped with the time it was due. Returns how
    /// many transitions were applied.
    pub(crate) fn advance(&mut self, now: Timestamp) -> usize {
        let Some(auto) = self.auto.clone() else {
            return 0;
        };
        // With auto-approval on, the tenant approves without waiting.
        let approve_after = if self.config.auto_approval_enabled {
            Duration::ZERO
        } else {
            auto.approve_after
        };
        let (since, seed) = (self.auto_since, self.seed);
        let mut queue = std::mem::take(&mut self.auto_queue);
        let records = &mut self.records;
        let mut moved = 0;
        queue.retain(|&i| {
            let status = &mut records[i as usize];
            let id = status.account_activity_item_id.clone().unwrap_or_default();
            if pending_approval(status) {
                let clock = status.created.map_or(since, |c| c.max(since));
                let Some(due) = after(clock, approve_after).filter(|&due| due <= now) else {
                    return true;
                };
                moved += 1;
                if selected(seed, &id, Draw::Reject, auto.reject_ratio) {
                    reject_status(status, due);
                    return false;
                }
                approve_status(status, due);
            }
            if approved_executing(status) {
                let approved = status
                    .approval_details
                    .iter()
                    .filter_map(|a| a.modified)
                    .max();
                let clock = approved.map_or(since, |c| c.max(since));
                let Some(due) = after(clock, auto.provision_after).filter(|&due| due <= now) else {
                    return true;
                };
                moved += 1;
                if selected(seed, &id, Draw::Fail, auto.fail_ratio) {
                    fail_status(status, due);
                } else {
                    provision_status(status, due);
                }
                return false;
            }
            // Final, or waiting on something the lifecycle does not drive
            // (no approval at all, provisioning verification): done with it.
            false
        });
        self.auto_queue = queue;
        if moved > 0 {
            self.changed();
        }
        moved
    }

    /// The access request id of an open status requested for `identity`
    /// with this request type, item type and item id, if there is one.
    pub(crate) fn open_duplicate(
        &self,
        identity: &str,
        request_type: &AccessRequestType,
        kind: &AccessItemType,
        id: &str,
    ) -> Option<&str> {
        let key = identity_key(identity, Some(request_type), kind, id);
        self.by_identity.get(&key)?.iter().find_map(|&i| {
            let s = &self.records[i as usize];
            if is_open(s) && identity_keys(s).contains(&key) {
                s.access_request_id.as_deref()
            } else {
                None
            }
        })
    }

    pub(crate) fn cancel(
        &mut self,
        activity_id: &str,
        comment: &str,
        by: IdentityReference,
    ) -> Result<(), CancelError> {
        let status = self
            .get_mut(activity_id)
            .map_err(|_| CancelError::NotFound)?;
        if !status.cancelable {
            return Err(CancelError::NotCancelable(Self::describe(status)));
        }
        cancel_status(status, comment, by, Timestamp::now());
        Ok(())
    }

    /// Offers each record of these access requests to `change`, which says
    /// whether it changed it; returns how many it changed.
    fn change_requests(
        &mut self,
        access_request_ids: &[String],
        mut change: impl FnMut(&mut RequestedItemStatus) -> bool,
    ) -> usize {
        let wanted: HashSet<&str> = access_request_ids.iter().map(String::as_str).collect();
        let mut changed = 0;
        for status in self.records.iter_mut() {
            let wanted_one = status
                .access_request_id
                .as_deref()
                .is_some_and(|id| wanted.contains(id));
            if wanted_one && change(status) {
                changed += 1;
            }
        }
        if changed > 0 {
            self.changed();
        }
        changed
    }

    /// Cancels every cancelable item of these access requests; the others,
    /// and ids no record has, are left alone. Returns how many items were
    /// cancelled.
    pub(crate) fn bulk_cancel(
        &mut self,
        access_request_ids: &[String],
        comment: &str,
        by: &IdentityReference,
    ) -> usize {
        let now = Timestamp::now();
        self.change_requests(access_request_ids, |status| {
            let cancelable = status.cancelable;
            if cancelable {
                cancel_status(status, comment, by.clone(), now);
            }
            cancelable
        })
    }

    /// Ends every still-open item of these access requests in `outcome`,
    /// with `message` as a warning; items already in a final state, and ids
    /// no record has, are left alone, so closing twice changes nothing.
    /// Returns how many items were closed.
    pub(crate) fn close(
        &mut self,
        access_request_ids: &[String],
        outcome: &RequestedItemState,
        message: &str,
    ) -> usize {
        let now = Timestamp::now();
        self.change_requests(access_request_ids, |status| {
            if !is_open(status) {
                return false;
            }
            status.state = Some(outcome.clone());
            status.cancelable = false;
            status.modified = Some(now);
            status
                .error_messages
                .get_or_insert_with(Vec::new)
                .push(vec![ErrorMessageDto {
                    locale: Some("en-US".to_owned()),
                    locale_origin: Some(LocaleOrigin::Default),
                    text: Some(message.to_owned()),
                }]);
            decide_approval(status, ManualWorkItemState::Cancelled, now);
            let result = if *outcome == RequestedItemState::RequestCompleted {
                AccessRequestPhaseResult::Successful
            } else {
                AccessRequestPhaseResult::Failed
            };
            finish_phase(status, now, result);
            true
        })
    }
}

/// A record as one family's status list serves it. Records are stored in
/// the superset shape; the v3 list leaves out what only the versioned family
/// sends (`identityType`, `jitDetails`, `form`), and the versioned list fills
/// in `identityType` (HUMAN for requests without one, as the vendor does) and
/// leaves out `approvalDetails[].approvalId`, which it does not send.
pub(crate) fn family_view(
    status: &RequestedItemStatus,
    family: Family,
) -> Cow<'_, RequestedItemStatus> {
    if family == Family::V3 {
        if status.identity_type.is_none() && status.jit_details.is_none() && status.form.is_none() {
            return Cow::Borrowed(status);
        }
        let mut v3 = status.clone();
        v3.identity_type = None;
        v3.jit_details = None;
        v3.form = None;
        return Cow::Owned(v3);
    }
    let mut versioned = status.clone();
    versioned.identity_type.get_or_insert(IdentityType::Human);
    for approval in &mut versioned.approval_details {
        approval.approval_id = None;
    }
    Cow::Owned(versioned)
}

fn cancel_status(
    status: &mut RequestedItemStatus,
    comment: &str,
    by: IdentityReference,
    now: Timestamp,
) {
    status.cancelable = false;
    status.state = Some(RequestedItemState::Cancelled);
    status.modified = Some(now);
    status.cancelled_request_details = Some(CancelledRequestDetails {
        comment: Some(comment.to_owned()),
        modified: Some(now),
        owner: Some(by),
    });
    decide_approval(status, ManualWorkItemState::Cancelled, now);
    for p in status.access_request_phases.iter_mut().flatten() {
        if p.state == Some(AccessRequestPhaseState::Executing) {
            p.state = Some(AccessRequestPhaseState::Cancelled);
            p.finished = Some(now);
        }
    }
}

fn approve_status(s: &mut RequestedItemStatus, now: Timestamp) {
    s.modified = Some(now);
    decide_approval(s, ManualWorkItemState::Approved, now);
    s.cancelable = false;
    finish_phase(s, now, AccessRequestPhaseResult::Successful);
    s.access_request_phases
        .get_or_insert_with(Vec::new)
        .push(phase("PROVISIONING_PHASE", now));
}

fn reject_status(s: &mut RequestedItemStatus, now: Timestamp) {
    s.modified = Some(now);
    decide_approval(s, ManualWorkItemState::Rejected, now);
    s.cancelable = false;
    s.state = Some(RequestedItemState::Rejected);
    finish_phase(s, now, AccessRequestPhaseResult::Failed);
}

fn provision_status(s: &mut RequestedItemStatus, now: Timestamp) {
    s.modified = Some(now);
    s.state = Some(RequestedItemState::RequestCompleted);
    finish_phase(s, now, AccessRequestPhaseResult::Successful);
}

fn fail_status(s: &mut RequestedItemStatus, now: Timestamp) {
    s.modified = Some(now);
    s.state = Some(RequestedItemState::ProvisioningFailed);
    s.error_messages = Some(vec![vec![ErrorMessageDto {
        locale: Some("en-US".to_owned()),
        locale_origin: Some(LocaleOrigin::Default),
        text: Some("The source rejected the provisioning request (sandbox).".to_owned()),
    }]]);
    finish_phase(s, now, AccessRequestPhaseResult::Failed);
}

fn pending_approval(s: &RequestedItemStatus) -> bool {
    s.state == Some(RequestedItemState::Executing)
        && s.approval_details
            .iter()
            .any(|a| a.status == Some(ManualWorkItemState::Pending))
}

fn approved_executing(s: &RequestedItemStatus) -> bool {
    s.state == Some(RequestedItemState::Executing)
        && !s.approval_details.is_empty()
        && s.approval_details
            .iter()
            .all(|a| a.status == Some(ManualWorkItemState::Approved))
}

fn decide_approval(s: &mut RequestedItemStatus, to: ManualWorkItemState, now: Timestamp) {
    for a in &mut s.approval_details {
        if a.status == Some(ManualWorkItemState::Pending) {
            a.status = Some(to.clone());
            a.modified = Some(now);
        }
    }
}

fn finish_phase(s: &mut RequestedItemStatus, now: Timestamp, result: AccessRequestPhaseResult) {
    for p in s.access_request_phases.iter_mut().flatten() {
        if p.state == Some(AccessRequestPhaseState::Executing) {
            p.state = Some(AccessRequestPhaseState::Completed);
            p.finished = Some(now);
            p.result = Some(result.clone());
        }
    }
}

/// A phase that started at `now` and is running.
pub(crate) fn phase(name: &str, now: Timestamp) -> AccessRequestPhases {
    AccessRequestPhases {
        name: Some(name.to_owned()),
        started: Some(now),
        state: Some(AccessRequestPhaseState::Executing),
        ..AccessRequestPhases::default()
    }
}

/// An identity reference.
pub(crate) fn identity(id: &str, name: &str) -> IdentityReference {
    IdentityReference {
        id: Some(id.to_owned()),
        name: Some(name.to_owned()),
        type_: Some(IdentityReferenceType::Identity),
    }
}

/// A display name for an item the catalog does not know.
pub(crate) fn item_name(kind: &AccessItemType, id: &str) -> String {
    let kind = match kind {
        AccessItemType::Role => "Role",
        AccessItemType::AccessProfile => "Access Profile",
        AccessItemType::Entitlement => "Entitlement",
        other => other.as_str(),
    };
    // By characters, not bytes: ids are caller-supplied and may be any UTF-8.
    let short: String = id.chars().take(8).collect();
    format!("{kind} {short}")
}

/// The configuration a fresh tenant has.
pub fn default_config() -> AccessRequestConfig {
    AccessRequestConfig {
        approvals_must_be_external: false,
        auto_approval_enabled: false,
        reauthorization_enabled: false,
        request_on_behalf_of_config: Some(RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: true,
            allow_request_on_behalf_of_employee_by_manager: true,
            allow_request_on_behalf_of_for_machine_identity: None,
            allow_request_for_machine_by_owner: None,
            extra: serde_json::Map::new(),
        }),
        approval_reminder_and_escalation_config: Some(ApprovalReminderAndEscalationConfig {
            days_until_escalation: Some(5),
            days_between_reminders: Some(1),
            max_reminders: std::num::NonZeroU32::new(3),
            fallback_approver_ref: None,
            extra: serde_json::Map::new(),
        }),
        entitlement_request_config: Some(EntitlementRequestConfig {
            allow_entitlement_request: true,
            request_comments_required: false,
            denied_comments_required: false,
            grant_request_approval_schemes: Some("sourceOwner".to_owned()),
            access_request_config: None,
            revocation_request_config: None,
            extra: serde_json::Map::new(),
        }),
        extra: serde_json::Map::new(),
    }
}

/// The second configuration document a fresh tenant has.
pub fn default_config_v2() -> AccessRequestConfigV2 {
    config_v2_with_entitlement_approvers([EntitlementApproverType::SourceOwner])
}

/// [`default_config_v2`] with grants of entitlements going through
/// `approvers`, in order (an empty list: the v3 document's schemes decide).
pub fn config_v2_with_entitlement_approvers(
    approvers: impl IntoIterator<Item = EntitlementApproverType>,
) -> AccessRequestConfigV2 {
    let step = |approver_type| EntitlementApprovalScheme {
        approver_type: Some(approver_type),
        approver_id: None,
        extra: serde_json::Map::new(),
    };
    AccessRequestConfigV2 {
        approvals_must_be_external: false,
        reauthorization_enabled: false,
        gov_group_visibility_enabled: false,
        machine_identity_access_request_enabled: Some(true),
        request_on_behalf_of_config: Some(RequestOnBehalfOfConfig {
            allow_request_on_behalf_of_anyone_by_anyone: true,
            allow_request_on_behalf_of_employee_by_manager: true,
            allow_request_on_behalf_of_for_machine_identity: Some(true),
            allow_request_for_machine_by_owner: Some(false),
            extra: serde_json::Map::new(),
        }),
        entitlement_request_config: Some(EntitlementRequestConfigV2 {
            access_request_config: Some(EntitlementAccessRequestConfig {
                approval_schemes: Some(approvers.into_iter().map(step).collect()),
                request_comment_required: false,
                denial_comment_required: false,
                reauthorization_required: false,
                require_end_date: false,
                max_permitted_access_duration: Some(AccessDuration {
                    value: std::num::NonZeroU32::new(90),
                    time_unit: Some(AccessDurationUnit::Days),
                    extra: serde_json::Map::new(),
                }),
                form_definition_id: None,
                extra: serde_json::Map::new(),
            }),
            revocation_request_config: Some(EntitlementRevocationRequestConfig {
                approval_schemes: Some(Vec::new()),
                extra: serde_json::Map::new(),
            }),
            extra: serde_json::Map::new(),
        }),
        extra: serde_json::Map::new(),
    }
}

/// Why an approval decision was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DecisionError {
    /// No item has an approval with this id.
    NotFound,
    /// The approval is no longer pending; its state, for the message.
    NotPending(String),
    /// The caller neither owns the approval nor is an org administrator.
    OwnedByAnother,
}

/// A decision on one approval.
#[derive(Clone, Debug)]
pub(crate) enum Decision {
    Approve,
    Reject,
    Forward(IdentityReference),
}

/// Approves the pending step of `s` and opens `step` as its next one.
/// One approval step still to come: who approves, and under which scheme.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlannedStep {
    pub(crate) scheme: sailpoint_access_api::types::ApprovalScheme,
    pub(crate) owner: IdentityReference,
}

fn open_next_step(s: &mut RequestedItemStatus, step: PlannedStep, id: String, now: Timestamp) {
    decide_approval(s, ManualWorkItemState::Approved, now);
    s.approval_details.push(step_status(step, id.clone(), now));
    s.approval_ids.get_or_insert_with(Vec::new).push(id);
    s.modified = Some(now);
}

/// A pending approval step with this id, opened at `now`.
pub(crate) fn step_status(
    step: PlannedStep,
    id: String,
    now: Timestamp,
) -> sailpoint_access_api::types::ApprovalStatusDto {
    sailpoint_access_api::types::ApprovalStatusDto {
        approval_id: Some(id),
        original_owner: Some(sailpoint_access_api::types::OwnerReference {
            id: step.owner.id.clone(),
            name: step.owner.name.clone(),
            type_: Some(sailpoint_access_api::types::OwnerType::Identity),
        }),
        current_owner: Some(step.owner),
        modified: Some(now),
        status: Some(ManualWorkItemState::Pending),
        scheme: Some(step.scheme),
        ..Default::default()
    }
}

/// The approval step of `s` with this id, if any.
pub(crate) fn step_of<'a>(
    s: &'a RequestedItemStatus,
    approval_id: &str,
) -> Option<&'a sailpoint_access_api::types::ApprovalStatusDto> {
    s.approval_details
        .iter()
        .find(|a| a.approval_id.as_deref() == Some(approval_id))
}

impl Store {
    /// Applies `decision` to the approval `approval_id`: approving moves the
    /// item to provisioning, rejecting ends it, forwarding changes the
    /// step's owner. Only a pending approval of an open item is decided.
    /// Records the steps that follow an item's first one.
    pub(crate) fn plan_later_steps(&mut self, activity_id: &str, later: Vec<PlannedStep>) {
        if !later.is_empty() {
            self.later_steps
                .insert(activity_id.to_owned(), later.into_iter().collect());
        }
    }

    pub(crate) fn decide(
        &mut self,
        approval_id: &str,
        decision: &Decision,
        owner_only: Option<&str>,
    ) -> Result<(), DecisionError> {
        let index = self
            .records
            .iter()
            .position(|s| step_of(s, approval_id).is_some())
            .ok_or(DecisionError::NotFound)?;
        let status = &mut self.records[index];
        if let Some(caller) = owner_only {
            let owner = step_of(status, approval_id)
                .and_then(|a| a.current_owner.as_ref())
                .and_then(|o| o.id.as_deref());
            if owner != Some(caller) {
                return Err(DecisionError::OwnedByAnother);
            }
        }
        let step_pending = step_of(status, approval_id)
            .is_some_and(|a| a.status == Some(ManualWorkItemState::Pending));
        if !step_pending || !pending_approval(status) {
            return Err(DecisionError::NotPending(Self::describe(status)));
        }
        let now = Timestamp::now();
        let item = status.account_activity_item_id.clone().unwrap_or_default();
        match decision {
            Decision::Approve => {
                let next = self
                    .later_steps
                    .get_mut(&item)
                    .and_then(VecDeque::pop_front);
                match next {
                    Some(step) => {
                        let id = self.ids.hex_id();
                        open_next_step(&mut self.records[index], step, id, now);
                    }
                    None => {
                        self.later_steps.remove(&item);
                        approve_status(&mut self.records[index], now);
                    }
                }
            }
            Decision::Reject => {
                self.later_steps.remove(&item);
                reject_status(status, now);
            }
            Decision::Forward(owner) => {
                for step in &mut status.approval_details {
                    if step.approval_id.as_deref() == Some(approval_id) {
                        step.forwarded = true;
                        step.current_owner = Some(owner.clone());
                        step.modified = Some(now);
                    }
                }
                status.modified = Some(now);
            }
        }
        let position = index as u32;
        if self.auto.is_some()
            && is_open(&self.records[index])
            && !self.auto_queue.contains(&position)
        {
            self.auto_queue.push(position);
        }
        self.changed();
        Ok(())
    }
}
