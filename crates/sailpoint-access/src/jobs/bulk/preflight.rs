//! Pre-flight per identity: what each identity already holds or awaits,
//! from one requestable-objects call per identity (`identity-id` with
//! `statuses=ASSIGNED,PENDING`: roles and access profiles), plus, for the
//! identities that are asked entitlements, the list of entitlements they
//! hold (directly or through roles and access profiles). Pending
//! entitlements are not listed there; the bulk engine's pending check (the
//! status list) still covers them.
//!
//! The cost grows with the plan (one or two calls per identity, more only
//! for identities with more than a page of holdings), not with the tenant.

use std::collections::{BTreeSet, HashMap};

use futures::stream::{self, StreamExt, TryStreamExt};
use sailpoint_access_api::types::{AccessItemType, RequestableObjectStatus, RequestableObjectType};

use super::plan::BulkRow;
use crate::engine::Engine;
use crate::error::Result;
use crate::ops::lookups::identity_entitlements::held_entitlement;
use crate::ops::lookups::Lookups;

/// What one identity was found to hold or await, and the calls it took.
type Found = (Vec<((String, String), Evidence)>, usize);

/// Why a row needs not be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Evidence {
    /// The requestable objects mark the role or access profile ASSIGNED.
    Assigned,
    /// The requestable objects mark it PENDING (with the request in flight,
    /// when the service names it).
    Pending(Option<String>),
    /// The identity's entitlement list holds it.
    EntitlementHeld,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evidence::Assigned => f.write_str("already assigned (requestable objects: ASSIGNED)"),
            Evidence::Pending(Some(id)) => {
                write!(f, "already requested (requestable objects: PENDING, {id})")
            }
            Evidence::Pending(None) => {
                f.write_str("already requested (requestable objects: PENDING)")
            }
            Evidence::EntitlementHeld => f.write_str("already held (the identity's entitlements)"),
        }
    }
}

/// What the pre-flight found, per identity, and what it cost.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct PreflightReport {
    found: HashMap<(String, String), Evidence>,
    /// Look-up requests sent.
    pub calls: usize,
    /// Identities looked at.
    pub identities: usize,
}

impl PreflightReport {
    /// Why `identity` needs not be asked `item_id` again, if it needs not.
    pub fn evidence(&self, identity: &str, item_id: &str) -> Option<&Evidence> {
        self.found.get(&(identity.to_owned(), item_id.to_owned()))
    }

    /// How many (identity, item) pairs are held or awaited.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// Whether nothing is held or awaited.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Splits plan rows into those to send and those the evidence says are
    /// held or awaited already (each with why), in order: the input of
    /// [`bulk::plan`](crate::bulk::plan) is the first part.
    pub fn partition(&self, rows: Vec<BulkRow>) -> (Vec<BulkRow>, Vec<(BulkRow, Evidence)>) {
        let mut send = Vec::new();
        let mut skip = Vec::new();
        for row in rows {
            match self.evidence(&row.identity, row.item.id()) {
                Some(evidence) => skip.push((row, evidence.clone())),
                None => send.push(row),
            }
        }
        (send, skip)
    }
}

/// The pre-flight of a plan; from `Client::preflight`.
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// use sailpoint_access::types::AccessItemType;
///
/// let rows = [("2c91...a", AccessItemType::Role, "2c91...r")];
/// let report = client.preflight().concurrency(4).run(rows.iter().map(|(i, k, r)| (*i, k, *r))).await?;
/// if let Some(why) = report.evidence("2c91...a", "2c91...r") {
///     println!("skip: {why}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a pre-flight does nothing until it is run"]
pub struct Preflight {
    lookups: Lookups,
    concurrency: usize,
}

impl Preflight {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            lookups: Lookups::new(engine),
            concurrency: 4,
        }
    }

    /// Identities looked at at once (default 4, at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Looks at every identity of `rows` (identity id, item type, item id).
    pub async fn run<'a>(
        &self,
        rows: impl IntoIterator<Item = (&'a str, &'a AccessItemType, &'a str)>,
    ) -> Result<PreflightReport> {
        // Per identity, whether any of its rows is an entitlement.
        let mut identities: HashMap<&str, bool> = HashMap::new();
        for (identity, kind, _) in rows {
            *identities.entry(identity).or_default() |= *kind == AccessItemType::Entitlement;
        }
        let ordered: BTreeSet<(&str, bool)> = identities.into_iter().collect();
        let count = ordered.len();
        let per_identity = stream::iter(ordered)
            .map(|(identity, entitlements)| self.one(identity, entitlements))
            .buffer_unordered(self.concurrency);
        let results: Vec<Found> = per_identity.try_collect().await?;
        let mut report = PreflightReport {
            identities: count,
            ..PreflightReport::default()
        };
        for (found, calls) in results {
            report.calls += calls;
            report.found.extend(found);
        }
        Ok(report)
    }

    async fn one(&self, identity: &str, entitlements: bool) -> Result<Found> {
        let statuses = [
            RequestableObjectStatus::Assigned,
            RequestableObjectStatus::Pending,
        ];
        let (objects, mut calls) = self
            .lookups
            .requestable_objects()
            .identity_id(identity)
            .statuses(&statuses)
            .collect_counted(usize::MAX)
            .await?;
        let mut found = Vec::new();
        for o in objects {
            let Some(id) = o.id else { continue };
            if o.type_ == Some(RequestableObjectType::Entitlement) {
                continue;
            }
            let evidence = match o.request_status {
                Some(RequestableObjectStatus::Assigned) => Evidence::Assigned,
                Some(RequestableObjectStatus::Pending) => Evidence::Pending(o.identity_request_id),
                _ => continue,
            };
            found.push(((identity.to_owned(), id), evidence));
        }
        if entitlements {
            let (held, more) = self
                .lookups
                .identity_entitlements(identity)
                .collect_counted(usize::MAX)
                .await?;
            calls += more;
            for entry in &held {
                if let Some((id, _)) = held_entitlement(entry) {
                    found.push((
                        (identity.to_owned(), id.to_owned()),
                        Evidence::EntitlementHeld,
                    ));
                }
            }
        }
        Ok((found, calls))
    }
}
