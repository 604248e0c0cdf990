//! The planner: rows in, the fewest valid requests out.
//!
//! ## The algorithm
//! 1. Each row is checked alone (as a one-item request of the plan's type,
//!    with the facade's validator); a row that can never be valid is refused
//!    with its rule, and so is a second row for the same identity and item
//!    (`bulk.duplicate_row`). Refused rows never block the others.
//! 2. **GRANT**: each identity's items, in row order, are cut into *entries*
//!    of at most [`PlanLimits::max_items`] items (at most as many
//!    entitlements). Entry number `r` of every identity forms *round* `r`: an
//!    identity appears once per round, so one request never names it twice.
//!    In each round, entries with an entitlement are packed
//!    [`PlanLimits::max_identities_with_entitlements`] to a request and the
//!    others [`PlanLimits::max_identities`] to a request, after sorting by
//!    their items so that identities wanting the same items land together. A
//!    request whose identities all want the same items is sent in the flat
//!    form (`requestedFor` + `requestedItems`); any other in the per-identity
//!    form.
//! 3. **REVOKE** (one identity and at most one entitlement per request): an
//!    identity with `e` entitlements and `o` other items takes
//!    `max(e, ceil((e + o) / max_items))` requests, each with at most one
//!    entitlement.
//! 4. **MODIFY** (flat form only): identities are grouped by identical item
//!    lists; each list is cut into chunks of `max_items`, and each chunk is
//!    sent for the group's identities, as many per request as the
//!    identity limits allow.
//!
//! ## The lower bound it reaches
//! [`Plan::lower_bound`] is computed from the rows alone and equals the
//! number of planned requests (a property test checks it):
//! GRANT: `Σ over rounds r of ceil(E_r / max_identities_with_entitlements) +
//! ceil(N_r / max_identities)`, where `E_r` and `N_r` count the round's
//! entries with and without an entitlement — no plan can do better, since
//! an identity appears at most once per request and every request obeys the
//! identity limits; REVOKE: `Σ over identities of max(e, ceil((e + o) /
//! max_items))`; MODIFY: `Σ over distinct item lists of chunks ×
//! ceil(identities / cap)`. When every identity wants at most `max_items`
//! items, the GRANT bound is the least number of requests any valid plan
//! needs.

use std::collections::{BTreeMap, HashMap, HashSet};

use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestItem, AccessRequestType, RequestedForDtoRef,
    RequestedItemDtoRef,
};
use sailpoint_access_api::{Family, Rule, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::ops::access_requests::{
    validate_access_request, Item, MAX_ENTITLEMENTS, MAX_IDENTITIES_WITH_ENTITLEMENTS, MAX_ITEMS,
};

/// One identity and one item: the unit of a bulk job.
///
/// Plan files hold it flat: `identity`, `item_type`, `item_id`, and
/// optionally `comment`, `start_date`, `remove_date`, `metadata`,
/// `native_identity`, `assignment_id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "FlatRow", from = "FlatRow")]
#[non_exhaustive]
pub struct BulkRow {
    /// The identity the item is for.
    pub identity: String,
    /// The item, with its comment, dates and metadata.
    pub item: Item,
}

impl BulkRow {
    /// A row with no comment, dates or metadata.
    pub fn new(
        identity: impl Into<String>,
        item_type: AccessItemType,
        item_id: impl Into<String>,
    ) -> Self {
        Self::for_item(identity, Item::new(item_type, item_id))
    }

    /// A row for an item built whole.
    pub fn for_item(identity: impl Into<String>, item: Item) -> Self {
        Self {
            identity: identity.into(),
            item,
        }
    }

    /// With a comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.item = self.item.comment(comment);
        self
    }

    /// With a start date.
    pub fn start_date(mut self, at: impl Into<Timestamp>) -> Self {
        self.item = self.item.start_date(at);
        self
    }

    /// With a remove date.
    pub fn remove_date(mut self, at: impl Into<Timestamp>) -> Self {
        self.item = self.item.remove_date(at);
        self
    }

    /// With a metadata pair.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.item = self.item.metadata(key, value);
        self
    }

    fn item(&self) -> AccessRequestItem {
        self.item.clone().into()
    }

    pub(super) fn nested_item(&self) -> RequestedItemDtoRef {
        let item = self.item.as_inner();
        RequestedItemDtoRef {
            id: item.id.clone(),
            type_: item.type_.clone(),
            account_selection: None,
            client_metadata: item.client_metadata.clone(),
            comment: item.comment.clone(),
            form_instance_id: None,
            native_identity: item.native_identity.clone(),
            remove_date: item.remove_date,
            start_date: item.start_date,
        }
    }

    fn is_entitlement(&self) -> bool {
        *self.item.item_type() == AccessItemType::Entitlement
    }

    /// Everything about the item that must match for two identities to
    /// share a flat request.
    fn signature(&self) -> String {
        serde_json::to_string(&FlatRow::from(self.clone()).item_fields()).unwrap_or_default()
    }
}

/// The flat form of a [`BulkRow`], as plan files hold it.
#[derive(Serialize, Deserialize)]
struct FlatRow {
    identity: String,
    item_type: AccessItemType,
    item_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remove_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    native_identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assignment_id: Option<String>,
}

impl FlatRow {
    /// Every field but the identity, in a fixed order (metadata sorted).
    fn item_fields(&self) -> impl Serialize + '_ {
        (
            self.item_type.as_str(),
            &self.item_id,
            &self.comment,
            self.start_date.as_ref().map(ToString::to_string),
            self.remove_date.as_ref().map(ToString::to_string),
            &self.metadata,
            &self.native_identity,
            &self.assignment_id,
        )
    }
}

impl From<BulkRow> for FlatRow {
    fn from(row: BulkRow) -> Self {
        let item = row.item.into_inner();
        Self {
            identity: row.identity,
            item_type: item.type_,
            item_id: item.id,
            comment: item.comment,
            start_date: item.start_date,
            remove_date: item.remove_date,
            metadata: item.client_metadata.into_iter().collect(),
            native_identity: item.native_identity,
            assignment_id: item.assignment_id,
        }
    }
}

impl From<FlatRow> for BulkRow {
    fn from(flat: FlatRow) -> Self {
        let mut item: AccessRequestItem = Item::new(flat.item_type, flat.item_id).into();
        item.comment = flat.comment;
        item.start_date = flat.start_date;
        item.remove_date = flat.remove_date;
        item.client_metadata = flat.metadata.into_iter().collect();
        item.native_identity = flat.native_identity;
        item.assignment_id = flat.assignment_id;
        Self::for_item(flat.identity, Item::from(item))
    }
}

/// The limits a plan obeys: the documented defaults, which can be lowered
/// (never raised: a limit above the vendor's is held at the vendor's, so
/// the planner never builds a request the validator would refuse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlanLimits {
    /// Items per request, or per identity in the per-identity form (25).
    pub max_items: usize,
    /// Entitlements per request or per identity (25).
    pub max_entitlements: usize,
    /// Identities per request when any entitlement is requested (10).
    pub max_identities_with_entitlements: usize,
    /// Identities per request without entitlements. The vendor documents
    /// no limit; this crate chooses 25 (set it to what your tenant allows).
    pub max_identities: usize,
}

impl Default for PlanLimits {
    fn default() -> Self {
        Self {
            max_items: MAX_ITEMS,
            max_entitlements: MAX_ENTITLEMENTS,
            max_identities_with_entitlements: MAX_IDENTITIES_WITH_ENTITLEMENTS,
            max_identities: 25,
        }
    }
}

impl PlanLimits {
    /// Items per request (or per identity entry).
    pub fn with_max_items(mut self, n: usize) -> Self {
        self.max_items = n.clamp(1, MAX_ITEMS);
        self
    }

    /// Entitlements per request (or per identity entry).
    pub fn with_max_entitlements(mut self, n: usize) -> Self {
        self.max_entitlements = n.clamp(1, MAX_ENTITLEMENTS);
        self
    }

    /// Identities per request when an entitlement is requested.
    pub fn with_max_identities_with_entitlements(mut self, n: usize) -> Self {
        self.max_identities_with_entitlements = n.clamp(1, MAX_IDENTITIES_WITH_ENTITLEMENTS);
        self
    }

    /// These limits held within the vendor's (the fields are public, so a
    /// caller may have set one above).
    fn within_vendor_limits(self) -> Self {
        Self {
            max_items: self.max_items.clamp(1, MAX_ITEMS),
            max_entitlements: self.max_entitlements.clamp(1, MAX_ENTITLEMENTS),
            max_identities_with_entitlements: self
                .max_identities_with_entitlements
                .clamp(1, MAX_IDENTITIES_WITH_ENTITLEMENTS),
            max_identities: self.max_identities.max(1),
        }
    }

    /// Identities per request without entitlements.
    pub fn with_max_identities(mut self, n: usize) -> Self {
        self.max_identities = n.max(1);
        self
    }

    fn items_per_entry(&self) -> usize {
        self.max_items.min(self.max_entitlements).max(1)
    }
}

/// One planned request: its number, its body, and the rows it carries.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PlannedRequest {
    /// 0-based position in the plan; with the run id, the idempotency key.
    pub number: usize,
    /// The body, valid under the facade's rules.
    pub body: AccessRequest,
    /// Indices of the rows it carries.
    pub rows: Vec<usize>,
}

/// A row that can never be sent, with the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RefusedRow {
    /// Index of the row.
    pub row: usize,
    /// The rule it breaks.
    #[serde(serialize_with = "rule_code")]
    pub rule: Rule,
    /// Why.
    pub message: String,
}

/// The planned requests, the refused rows, and the bound the plan reaches.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The request type of every request.
    pub request_type: AccessRequestType,
    /// The rows, as given.
    pub rows: Vec<BulkRow>,
    /// The requests, each valid, together covering every accepted row once.
    pub requests: Vec<PlannedRequest>,
    /// The rows refused, each with its rule.
    pub refused: Vec<RefusedRow>,
    /// The least number of requests for the accepted rows (see the module docs).
    pub lower_bound: usize,
}

/// Plans `rows` (from code or any iterator) for `request_type`.
///
/// ```
/// use sailpoint_access::bulk::{plan, BulkRow, PlanLimits};
/// use sailpoint_access::types::{AccessItemType, AccessRequestType};
///
/// let rows: Vec<BulkRow> = (0..40)
///     .map(|i| BulkRow::new(format!("hire-{i}"), AccessItemType::Role, "role-onboarding"))
///     .collect();
/// let plan = plan(AccessRequestType::GrantAccess, rows, PlanLimits::default());
/// assert_eq!(plan.requests.len(), 2); // 25 + 15 identities, one flat request each
/// assert_eq!(plan.requests.len(), plan.lower_bound);
/// ```
pub fn plan(
    request_type: AccessRequestType,
    rows: impl IntoIterator<Item = BulkRow>,
    limits: PlanLimits,
) -> Plan {
    let limits = limits.within_vendor_limits();
    let rows: Vec<BulkRow> = rows.into_iter().collect();
    let now = Timestamp::now();
    let mut refused = Vec::new();
    let mut seen = HashSet::new();
    // Accepted rows per identity, identities in first-appearance order.
    let mut order: Vec<&str> = Vec::new();
    let mut by_identity: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let alone = AccessRequest {
            request_type: Some(request_type.clone()),
            requested_for: vec![row.identity.clone()],
            requested_items: vec![row.item()],
            ..Default::default()
        };
        // The plan's requests use the flat form, whose rules are the same in
        // both families.
        if let Err(e) = validate_access_request(Family::V3, &alone, now) {
            refused.push(refusal(i, &e));
            continue;
        }
        if !seen.insert((
            row.identity.as_str(),
            row.item.item_type().as_str(),
            row.item.id(),
        )) {
            let e = ValidationError::new(
                Rule::BulkDuplicateRow,
                format!("{} {}", row.identity, row.item.id()),
            );
            refused.push(refusal(i, &e));
            continue;
        }
        by_identity
            .entry(row.identity.as_str())
            .or_insert_with(|| {
                order.push(row.identity.as_str());
                Vec::new()
            })
            .push(i);
    }
    let groups: Vec<(&str, Vec<usize>)> = order
        .into_iter()
        .map(|id| (id, by_identity.remove(id).unwrap_or_default()))
        .collect();
    let (bodies, lower_bound) = match request_type {
        AccessRequestType::RevokeAccess => plan_revoke(&rows, &groups, &limits),
        AccessRequestType::GrantAccess => plan_grant(&rows, &groups, &limits),
        _ => plan_flat(&rows, &groups, &limits, &request_type),
    };
    let requests = bodies
        .into_iter()
        .enumerate()
        .map(|(number, (mut body, rows))| {
            body.request_type = Some(request_type.clone());
            PlannedRequest { number, body, rows }
        })
        .collect();
    Plan {
        request_type,
        rows,
        requests,
        refused,
        lower_bound,
    }
}

/// A rule is written as its code.
fn rule_code<S: serde::Serializer>(rule: &Rule, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(rule.code())
}

fn refusal(row: usize, e: &ValidationError) -> RefusedRow {
    RefusedRow {
        row,
        rule: e.rule,
        message: e.message.clone(),
    }
}

type Bodies = Vec<(AccessRequest, Vec<usize>)>;

/// Identities sharing one item list, with their rows.
type Members<'a> = Vec<(&'a str, &'a Vec<usize>)>;

fn ceil_div(a: usize, b: usize) -> usize {
    a.div_ceil(b.max(1))
}

/// One identity's share of a request: its rows.
struct Entry<'a> {
    identity: &'a str,
    rows: Vec<usize>,
    signature: String,
    entitlement: bool,
}

fn entries<'a>(
    rows: &[BulkRow],
    identity: &'a str,
    mine: &[usize],
    per_entry: usize,
) -> Vec<Entry<'a>> {
    mine.chunks(per_entry)
        .map(|chunk| Entry {
            identity,
            rows: chunk.to_vec(),
            signature: chunk
                .iter()
                .map(|&i| rows[i].signature())
                .collect::<Vec<_>>()
                .join("|"),
            entitlement: chunk.iter().any(|&i| rows[i].is_entitlement()),
        })
        .collect()
}

fn plan_grant(
    rows: &[BulkRow],
    groups: &[(&str, Vec<usize>)],
    limits: &PlanLimits,
) -> (Bodies, usize) {
    let per_entry = limits.items_per_entry();
    let mut rounds: Vec<Vec<Entry<'_>>> = Vec::new();
    for (identity, mine) in groups {
        for (r, entry) in entries(rows, identity, mine, per_entry)
            .into_iter()
            .enumerate()
        {
            if rounds.len() <= r {
                rounds.push(Vec::new());
            }
            rounds[r].push(entry);
        }
    }
    let mut bodies = Vec::new();
    let mut bound = 0;
    for round in rounds {
        let (mut with, mut without): (Vec<_>, Vec<_>) =
            round.into_iter().partition(|e| e.entitlement);
        bound += ceil_div(with.len(), limits.max_identities_with_entitlements)
            + ceil_div(without.len(), limits.max_identities);
        for (list, cap) in [
            (&mut with, limits.max_identities_with_entitlements),
            (&mut without, limits.max_identities),
        ] {
            // Stable: equal signatures stay in row order, and end up together.
            list.sort_by(|a, b| a.signature.cmp(&b.signature));
            for pack in list.chunks(cap.max(1)) {
                bodies.push(grant_body(rows, pack));
            }
        }
    }
    (bodies, bound)
}

fn grant_body(rows: &[BulkRow], pack: &[Entry<'_>]) -> (AccessRequest, Vec<usize>) {
    let carried: Vec<usize> = pack.iter().flat_map(|e| e.rows.iter().copied()).collect();
    let same = pack.windows(2).all(|w| w[0].signature == w[1].signature);
    let body = if same {
        AccessRequest {
            requested_for: pack.iter().map(|e| e.identity.to_owned()).collect(),
            requested_items: pack[0].rows.iter().map(|&i| rows[i].item()).collect(),
            ..Default::default()
        }
    } else {
        AccessRequest {
            requested_for_with_requested_items: Some(
                pack.iter()
                    .map(|e| RequestedForDtoRef {
                        identity_id: e.identity.to_owned(),
                        identity_type: None,
                        requested_items: e.rows.iter().map(|&i| rows[i].nested_item()).collect(),
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    };
    (body, carried)
}

fn plan_revoke(
    rows: &[BulkRow],
    groups: &[(&str, Vec<usize>)],
    limits: &PlanLimits,
) -> (Bodies, usize) {
    let mut bodies = Vec::new();
    let mut bound = 0;
    for (identity, mine) in groups {
        let (ents, others): (Vec<usize>, Vec<usize>) =
            mine.iter().partition(|&&i| rows[i].is_entitlement());
        let n = ents.len().max(ceil_div(mine.len(), limits.max_items));
        bound += n;
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, &e) in ents.iter().enumerate() {
            buckets[k].push(e);
        }
        let mut others = others.into_iter();
        for bucket in &mut buckets {
            while bucket.len() < limits.max_items {
                match others.next() {
                    Some(o) => bucket.push(o),
                    None => break,
                }
            }
        }
        for bucket in buckets.into_iter().filter(|b| !b.is_empty()) {
            let body = AccessRequest {
                requested_for: vec![(*identity).to_owned()],
                requested_items: bucket.iter().map(|&i| rows[i].item()).collect(),
                ..Default::default()
            };
            bodies.push((body, bucket));
        }
    }
    (bodies, bound)
}

fn plan_flat(
    rows: &[BulkRow],
    groups: &[(&str, Vec<usize>)],
    limits: &PlanLimits,
    _kind: &AccessRequestType,
) -> (Bodies, usize) {
    // Identities with the same item list, in first-appearance order.
    let mut lists: Vec<(String, Members<'_>)> = Vec::new();
    for (identity, mine) in groups {
        let signature = mine
            .iter()
            .map(|&i| rows[i].signature())
            .collect::<Vec<_>>()
            .join("|");
        match lists.iter_mut().find(|(s, _)| *s == signature) {
            Some((_, members)) => members.push((identity, mine)),
            None => lists.push((signature, vec![(identity, mine)])),
        }
    }
    let per_chunk = limits.items_per_entry();
    let mut bodies = Vec::new();
    let mut bound = 0;
    for (_, members) in lists {
        let chunks = members[0].1.len().div_ceil(per_chunk);
        for c in 0..chunks {
            let ent = members[0].1[c * per_chunk..]
                .iter()
                .take(per_chunk)
                .any(|&i| rows[i].is_entitlement());
            let cap = if ent {
                limits.max_identities_with_entitlements
            } else {
                limits.max_identities
            };
            bound += ceil_div(members.len(), cap);
            for pack in members.chunks(cap.max(1)) {
                let items: Vec<usize> = pack[0].1[c * per_chunk..]
                    .iter()
                    .take(per_chunk)
                    .copied()
                    .collect();
                let carried: Vec<usize> = pack
                    .iter()
                    .flat_map(|(_, mine)| mine[c * per_chunk..].iter().take(per_chunk).copied())
                    .collect();
                let body = AccessRequest {
                    requested_for: pack.iter().map(|(id, _)| (*id).to_owned()).collect(),
                    requested_items: items.iter().map(|&i| rows[i].item()).collect(),
                    ..Default::default()
                };
                bodies.push((body, carried));
            }
        }
    }
    (bodies, bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_flat_on_the_wire_and_reads_back_whole() {
        let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let row = BulkRow::new("alice", AccessItemType::Entitlement, "ent-1")
            .comment("project X")
            .remove_date(at)
            .metadata("ticket", "CHG-1");
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "identity": "alice",
                "item_type": "ENTITLEMENT",
                "item_id": "ent-1",
                "comment": "project X",
                "remove_date": "2030-01-01T00:00:00Z",
                "metadata": {"ticket": "CHG-1"},
            })
        );
        let back: BulkRow = serde_json::from_value(json).unwrap();
        assert_eq!(back, row);
        assert_eq!(back.item.item_type(), &AccessItemType::Entitlement);
    }
}
