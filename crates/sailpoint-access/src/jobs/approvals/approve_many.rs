//! Deciding many approvals, then re-reading them: the service answers 202
//! to a decision once it is queued, and to a bulk approve even for unknown
//! ids, so an answer proves nothing; only the pending and completed lists
//! tell what happened to each approval.
//!
//! Approving goes through bulk approve, in calls of at most 50 ids, while
//! the service allows it; when it refuses a bulk call with 403 (the caller
//! is an approver, not an administrator) the rest go one by one, paced by
//! the client's rate limit. Rejecting and forwarding have no bulk call.
//! Only approvals pending before the job are sent at all.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sailpoint_access_api::types::{CompletedApproval, CompletedApprovalState, PendingApproval};
use sailpoint_access_api::Rule;
use serde::Serialize;

use super::{in_filter, IDS_PER_FILTER};
use crate::engine::setters::{list_setters, pass_set, setters};
use crate::error::{Error, Result, ValidationError};
use crate::ops::approvals::{Approvals, MAX_BULK_APPROVE_IDS};

/// What to do with each approval.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Approve (a comment is optional for single calls, required in bulk).
    Approve,
    /// Reject (comment required).
    Reject,
    /// Forward to this identity (comment required).
    Forward(String),
}

/// What became of one approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApprovalResult {
    /// Decided as asked, and the re-read confirms it.
    Decided,
    /// Dry run: pending, and would be decided.
    WouldDecide,
    /// It was not pending when the job started: decided before, by someone
    /// (the state, `APPROVED` or `REJECTED`, from the completed list).
    NoLongerPending {
        /// The completed state.
        state: String,
    },
    /// Neither pending nor completed: no such approval (or not visible to
    /// this caller).
    NotFound,
    /// Pending, but the decision did not take: why (the service's answer,
    /// or what the re-read showed).
    Refused {
        /// The reason.
        reason: String,
    },
}

/// One approval and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApprovalOutcome {
    /// The approval.
    pub approval_id: String,
    /// Its access request, when the pending list named it.
    pub access_request_id: Option<String>,
    /// What became of it.
    pub result: ApprovalResult,
}

/// The report of [`ApproveMany`]: one outcome per approval, in the order
/// given, and the calls used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApprovalReport {
    /// One per distinct approval id.
    pub outcomes: Vec<ApprovalOutcome>,
    /// Bulk approve calls sent.
    pub bulk_calls: usize,
    /// Single decision calls sent.
    pub single_calls: usize,
    /// List calls (mapping, reading before, verifying).
    pub read_calls: usize,
    /// Whether the service refused bulk approve (403) and the job went on
    /// with single approvals.
    pub fell_back_to_single: bool,
}

impl ApprovalResult {
    /// A short name for tables: `decided`, `would_decide`,
    /// `no_longer_pending`, `not_found`, `refused`.
    pub fn name(&self) -> &'static str {
        match self {
            ApprovalResult::Decided => "decided",
            ApprovalResult::WouldDecide => "would_decide",
            ApprovalResult::NoLongerPending { .. } => "no_longer_pending",
            ApprovalResult::NotFound => "not_found",
            ApprovalResult::Refused { .. } => "refused",
        }
    }

    /// The state or the reason, when there is one.
    pub fn detail(&self) -> &str {
        match self {
            ApprovalResult::NoLongerPending { state } => state,
            ApprovalResult::Refused { reason } => reason,
            _ => "",
        }
    }
}

impl ApprovalReport {
    /// How many outcomes are `result`.
    pub fn count(&self, result: &ApprovalResult) -> usize {
        self.outcomes.iter().filter(|o| &o.result == result).count()
    }
}

/// A callback told `(decided so far, to decide)` after each decision call.
#[derive(Clone)]
struct Progress(std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(<callback>)")
    }
}

/// Decides many approvals and verifies each; from `Client::approve_many`,
/// `Client::reject_many` or `Client::forward_many`.
#[derive(Clone, Debug)]
#[must_use = "a job does nothing until `send` is awaited"]
pub struct ApproveMany {
    approvals: Approvals,
    decision: Decision,
    comment: String,
    approval_ids: Vec<String>,
    access_request_ids: Vec<String>,
    owner: Option<String>,
    dry_run: bool,
    verify_attempts: u32,
    verify_interval: Duration,
    progress: Option<Progress>,
}

/// The whole approval list `$list` (`pending` or `completed`) matching
/// `$filter`, read as the job's owner, 250 per call; counts the calls.
macro_rules! read_list {
    ($job:expr, $list:ident, $filter:expr, $report:expr) => {{
        let mut query = $job.approvals.$list().filters($filter).limit(250);
        pass_set!(query; $job.owner => owner);
        let found = query.send_all().await?;
        $report.read_calls += 1 + found.len() / 250;
        found
    }};
}

/// The approvals of list `$list` with these ids, by id (50 ids per filter).
macro_rules! by_id {
    ($job:expr, $list:ident, $ids:expr, $report:expr) => {{
        let mut out = HashMap::new();
        for chunk in $ids.chunks(IDS_PER_FILTER) {
            let found = read_list!($job, $list, in_filter("id", chunk), $report);
            out.extend(found.into_iter().filter_map(|a| Some((a.id.clone()?, a))));
        }
        out
    }};
}

impl ApproveMany {
    pub(crate) fn new(approvals: Approvals, decision: Decision, comment: String) -> Self {
        Self {
            approvals,
            decision,
            comment,
            approval_ids: Vec::new(),
            access_request_ids: Vec::new(),
            owner: None,
            dry_run: false,
            verify_attempts: 3,
            verify_interval: Duration::from_secs(1),
            progress: None,
        }
    }

    /// Calls `f(sent, total)` after each decision call (a bulk chunk
    /// counts its ids), for a progress bar.
    pub fn on_progress(mut self, f: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        self.progress = Some(Progress(std::sync::Arc::new(f)));
        self
    }

    fn report_progress(&self, sent: usize, total: usize) {
        if let Some(Progress(f)) = &self.progress {
            f(sent, total);
        }
    }

    list_setters! {
        /// Adds approvals by id.
        approval_ids => approval_ids;
        /// Adds the pending approvals of these access requests (found through
        /// the pending list, 50 requests per call).
        access_request_ids => access_request_ids;
    }

    setters! {
        /// Reads the lists as this owner (`me`: required of callers who are
        /// not org administrators, who see only their own approvals).
        owner(impl Into<String>) => owner = Some;
        /// Reads and reports, sends no decision.
        dry_run(bool) => dry_run;
    }

    /// How often to re-read approvals still pending after their decision
    /// was accepted (the service decides asynchronously), and how long to
    /// wait before each re-read after the first (default 3 times, 1 s).
    pub fn verify(mut self, attempts: u32, interval: Duration) -> Self {
        self.verify_attempts = attempts.max(1);
        self.verify_interval = interval;
        self
    }

    fn check(&self) -> Result<(), ValidationError> {
        let blank = |s: &str| s.trim().is_empty();
        match &self.decision {
            Decision::Approve if blank(&self.comment) => Err(ValidationError::new(
                Rule::BulkApproveComment,
                format!("{:?}", self.comment),
            )),
            Decision::Reject if blank(&self.comment) => Err(ValidationError::new(
                Rule::ApprovalRejectComment,
                format!("{:?}", self.comment),
            )),
            Decision::Forward(owner) if blank(owner) => Err(ValidationError::new(
                Rule::ApprovalForwardOwner,
                format!("{owner:?}"),
            )),
            Decision::Forward(_) if blank(&self.comment) => Err(ValidationError::new(
                Rule::ApprovalForwardComment,
                format!("{:?}", self.comment),
            )),
            _ => Ok(()),
        }
    }

    /// Runs the job: validates (a comment for approve in bulk, reject and
    /// forward; a new owner for forward) before anything is sent, maps
    /// requests to approvals, reads which are pending, decides those,
    /// then re-reads and reports each.
    pub async fn send(self) -> Result<ApprovalReport> {
        self.check()?;
        let mut report = ApprovalReport::default();
        let mut request_of: HashMap<String, String> = HashMap::new();
        let mut targets: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for id in &self.approval_ids {
            if id.trim().is_empty() {
                return Err(ValidationError::new(Rule::ApprovalId, format!("{id:?}")).into());
            }
            if seen.insert(id.clone()) {
                targets.push(id.clone());
            }
        }
        // What the mapping finds is pending already: not read again.
        let mut before: HashMap<String, PendingApproval> = HashMap::new();
        if !self.access_request_ids.is_empty() {
            let mut ids = self.access_request_ids.clone();
            ids.sort();
            ids.dedup();
            for chunk in ids.chunks(IDS_PER_FILTER) {
                let found = self
                    .read_pending(&in_filter("accessRequestId", chunk), &mut report)
                    .await?;
                for approval in found {
                    let Some(id) = approval.id.clone() else {
                        continue;
                    };
                    if let Some(request) = &approval.access_request_id {
                        request_of.insert(id.clone(), request.clone());
                    }
                    if seen.insert(id.clone()) {
                        targets.push(id.clone());
                    }
                    before.insert(id, approval);
                }
            }
        }
        let unread: Vec<String> = targets
            .iter()
            .filter(|id| !before.contains_key(*id))
            .cloned()
            .collect();
        before.extend(by_id!(self, pending, unread, report));
        for (id, approval) in &before {
            if let Some(request) = &approval.access_request_id {
                request_of.insert(id.clone(), request.clone());
            }
        }
        let to_send: Vec<String> = targets
            .iter()
            .filter(|id| before.contains_key(*id))
            .cloned()
            .collect();
        let mut errors: HashMap<String, String> = HashMap::new();
        if !self.dry_run {
            self.decide(&to_send, &mut errors, &mut report).await?;
        }
        // Verify: what is still pending, then what completed.
        let mut after = HashMap::new();
        if !self.dry_run && !to_send.is_empty() {
            for attempt in 0..self.verify_attempts {
                if attempt > 0 {
                    tokio::time::sleep(self.verify_interval).await;
                }
                after = by_id!(self, pending, to_send, report);
                let unsettled = after
                    .iter()
                    .any(|(id, approval)| !errors.contains_key(id) && !self.forward_took(approval));
                if !unsettled {
                    break;
                }
            }
        }
        // Completed is read for what was not pending before (decided
        // earlier, or unknown) and for what left the pending list.
        let gone: Vec<String> = targets
            .iter()
            .filter(|id| !before.contains_key(*id) || (!self.dry_run && !after.contains_key(*id)))
            .cloned()
            .collect();
        let completed = by_id!(self, completed, gone, report);
        for id in targets {
            let result = self.classify(&id, &before, &after, &completed, &errors);
            report.outcomes.push(ApprovalOutcome {
                access_request_id: request_of.get(&id).cloned(),
                approval_id: id,
                result,
            });
        }
        Ok(report)
    }

    fn forward_took(&self, approval: &PendingApproval) -> bool {
        match &self.decision {
            Decision::Forward(owner) => {
                approval.owner.as_ref().and_then(|o| o.id.as_deref()) == Some(owner.as_str())
            }
            _ => false,
        }
    }

    fn classify(
        &self,
        id: &str,
        before: &HashMap<String, PendingApproval>,
        after: &HashMap<String, PendingApproval>,
        completed: &HashMap<String, CompletedApproval>,
        errors: &HashMap<String, String>,
    ) -> ApprovalResult {
        let state_of = |c: &CompletedApproval| {
            c.state
                .as_ref()
                .map_or_else(|| "unknown".to_owned(), ToString::to_string)
        };
        if !before.contains_key(id) {
            return match completed.get(id) {
                Some(c) => ApprovalResult::NoLongerPending { state: state_of(c) },
                None => ApprovalResult::NotFound,
            };
        }
        if self.dry_run {
            return ApprovalResult::WouldDecide;
        }
        let refused = |fallback: &str| ApprovalResult::Refused {
            reason: errors
                .get(id)
                .cloned()
                .unwrap_or_else(|| fallback.to_owned()),
        };
        let wanted = match &self.decision {
            Decision::Forward(_) => {
                return match after.get(id) {
                    Some(a) if self.forward_took(a) => ApprovalResult::Decided,
                    Some(_) => refused("still pending with its former owner"),
                    None => match completed.get(id) {
                        Some(c) => ApprovalResult::NoLongerPending { state: state_of(c) },
                        None => refused("no longer listed after the forward"),
                    },
                };
            }
            Decision::Approve => CompletedApprovalState::Approved,
            Decision::Reject => CompletedApprovalState::Rejected,
        };
        if after.contains_key(id) {
            return refused("still pending after the decision was accepted");
        }
        match completed.get(id) {
            Some(c) if c.state.as_ref() == Some(&wanted) => ApprovalResult::Decided,
            Some(c) => ApprovalResult::NoLongerPending { state: state_of(c) },
            None => refused("no longer pending, and not among the completed approvals"),
        }
    }

    /// Sends the decisions: bulk approve while allowed, else single calls.
    async fn decide(
        &self,
        ids: &[String],
        errors: &mut HashMap<String, String>,
        report: &mut ApprovalReport,
    ) -> Result<()> {
        let mut single_from = 0;
        let mut sent = 0;
        if self.decision == Decision::Approve {
            single_from = ids.len();
            for (n, chunk) in ids.chunks(MAX_BULK_APPROVE_IDS).enumerate() {
                report.bulk_calls += 1;
                match self
                    .approvals
                    .bulk_approve(chunk.iter().cloned(), self.comment.clone())
                    .send()
                    .await
                {
                    Ok(()) => {
                        sent += chunk.len();
                        self.report_progress(sent, ids.len());
                    }
                    // Not allowed to approve in bulk: one by one from here.
                    Err(e) if e.status() == Some(403) => {
                        report.fell_back_to_single = true;
                        single_from = n * MAX_BULK_APPROVE_IDS;
                        break;
                    }
                    Err(e) if e.validation().is_some() => return Err(e),
                    Err(e) => {
                        for id in chunk {
                            errors.insert(id.clone(), e.to_string());
                        }
                        sent += chunk.len();
                        self.report_progress(sent, ids.len());
                    }
                }
            }
        }
        for id in &ids[single_from..] {
            report.single_calls += 1;
            let answer = match &self.decision {
                Decision::Approve => {
                    self.approvals
                        .approve(id.as_str())
                        .comment(self.comment.clone())
                        .send()
                        .await
                }
                Decision::Reject => {
                    self.approvals
                        .reject(id.as_str(), self.comment.clone())
                        .send()
                        .await
                }
                Decision::Forward(owner) => {
                    self.approvals
                        .forward(id.as_str(), owner.as_str(), self.comment.clone())
                        .send()
                        .await
                }
            };
            match answer {
                Ok(()) => {}
                Err(e) if e.validation().is_some() => return Err(e),
                Err(e) => {
                    errors.insert(id.clone(), refusal(&e));
                }
            }
            sent += 1;
            self.report_progress(sent, ids.len());
        }
        Ok(())
    }

    async fn read_pending(
        &self,
        filter: &str,
        report: &mut ApprovalReport,
    ) -> Result<Vec<PendingApproval>> {
        Ok(read_list!(self, pending, filter, report))
    }
}

/// The reason to report for a refused call: its status and the service's
/// message.
fn refusal(error: &Error) -> String {
    match error.status() {
        Some(status) => format!("HTTP {status}: {error}"),
        None => error.to_string(),
    }
}
