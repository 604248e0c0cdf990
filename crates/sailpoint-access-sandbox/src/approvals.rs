//! The approver's side of a request, and the administrators' operations:
//! pending and completed approvals per owner, approve / reject / forward,
//! bulk approve, the approval summary, the approvers of a request, the
//! administrators' status list, accounts selection and revocable objects.
//!
//! Approvals are the approval steps the create handler stores on each item,
//! derived from the configuration and the item (see `steps`): one is open at
//! a time; deciding it moves the item as the tenant would (approve: the next
//! step, or provisioning after the last; reject: rejected).
//! The sandbox's choices where the vendor is silent: approving or rejecting
//! an approval that is no longer pending is refused with 400; an approval id
//! no item has is 404, except in bulk approve, which answers 202 and skips
//! it (as the service has been seen to); an experimental operation called
//! without `X-SailPoint-Experimental: true` is refused with 400 naming the
//! header. The administrators' list adds `reauthorizationRequired` to each
//! row (see `with_reauthorization`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use sailpoint_access_api::types::{
    AccessRequest, AccessRequestApprover, AccessRequestType, AccountsSelection, ApprovalComment,
    ApprovalStatusDto, ApprovalSummary, BulkApproveApprovals, CompletedApproval,
    CompletedApprovalState, DtoType, ForwardApproval, IdentityAccountSelections, IdentityReference,
    ManualWorkItemState, PendingApproval, RequestedForIdentities, RequestedItemAccountSelections,
    RequestedItemState, RequestedItemStatus, RequestedObjectReference, RevocableAccountTarget,
    RevocableEntitlement, RevocableObject,
};
use sailpoint_access_api::{limits, operations, Family, Rule};

use crate::auth::Caller;
use crate::error::{json_response, with_total, ApiError};
use crate::handlers::{list_as, read_json, respond, Body};
use crate::shared::Shared;
use crate::state::{identity, Decision, DecisionError};

/// The header the vendor requires on its experimental operations.
const EXPERIMENTAL: &str = "X-SailPoint-Experimental";

/// Refuses a call of an experimental operation without its header.
fn require_experimental(headers: &HeaderMap) -> Result<(), ApiError> {
    let ok = headers
        .get(EXPERIMENTAL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "This API is experimental: send the header {EXPERIMENTAL}: true to use it."
        )))
    }
}

/// Who the request's token acts as.
fn caller(shared: &Shared, headers: &HeaderMap) -> Caller {
    shared.tokens().caller(headers)
}

/// An org administrator's right, refused to anyone else with 403.
fn require_admin(caller: Caller, what: &str) -> Result<(), ApiError> {
    if caller.admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{what} needs ORG_ADMIN (or the access request administration right)."
        )))
    }
}

/// The owner a list is about: an administrator may name anyone or no one
/// (the whole tenant); anyone else only themselves, which is also the
/// default.
fn owner_for(caller: Caller, asked: Option<String>) -> Result<Option<String>, ApiError> {
    // `me` is the token's identity.
    let asked = asked.map(|id| if id == "me" { caller.id.to_owned() } else { id });
    if caller.admin {
        return Ok(asked);
    }
    match asked {
        None => Ok(Some(caller.id.to_owned())),
        Some(id) if id == caller.id => Ok(Some(id)),
        Some(id) => Err(ApiError::forbidden(format!(
            "Only an org administrator may read the approvals of '{id}'."
        ))),
    }
}

/// The `{id}` segment of a path such as `/access-request-approvals/v1/{id}/approve`.
fn path_segment(uri: &Uri, index: usize) -> Result<String, ApiError> {
    uri.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(index)
        .map(|s| {
            percent_decode(s)
                .ok_or_else(|| ApiError::bad_request(format!("Invalid path segment '{s}'.")))
        })
        .unwrap_or_else(|| Err(ApiError::not_found("No such resource.")))
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The query of the approval lists: the owner, paging and the filter terms.
struct ApprovalQuery {
    /// `None`: every owner (an org administrator's view).
    owner: Option<String>,
    limit: usize,
    offset: usize,
    count: bool,
    terms: Vec<Term>,
    newest_first: bool,
}

/// One `field eq "v"` or `field in ("a","b")` of a filter.
struct Term {
    field: String,
    values: Vec<String>,
}

fn parse_query(
    raw: Option<&str>,
    operation: &sailpoint_access_api::Operation,
) -> Result<ApprovalQuery, ApiError> {
    const PARAMS: &[&str] = &["owner-id", "limit", "offset", "count", "filters", "sorters"];
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
    let mut query = ApprovalQuery {
        owner: None,
        limit: limits::LIST_PENDING_APPROVALS_LIMIT_DEFAULT as usize,
        offset: 0,
        count: false,
        terms: Vec::new(),
        newest_first: false,
    };
    for (name, value) in pairs {
        match name.as_str() {
            "owner-id" => query.owner = Some(value.trim().to_owned()),
            "limit" => query.limit = crate::validate::parse_limit(&value)?,
            "offset" => query.offset = crate::validate::parse_offset(&value)?,
            "count" => query.count = value == "true",
            "filters" => query.terms = parse_terms(&value, operation)?,
            "sorters" => {
                for key in value.split(',').map(str::trim) {
                    match key {
                        "created" | "modified" => query.newest_first = false,
                        "-created" | "-modified" => query.newest_first = true,
                        other => {
                            return Err(ApiError::bad_request(format!(
                                "Invalid sorter '{other}': sort on created or modified."
                            )))
                        }
                    }
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Unknown query parameter '{other}'. Supported: {}.",
                    PARAMS.join(", ")
                )))
            }
        }
    }
    Ok(query)
}

/// Parses `a eq "x" and b in ("y","z")`: the sandbox serves `eq` and `in`
/// on the string fields the operation documents, and refuses the rest.
fn parse_terms(
    input: &str,
    operation: &sailpoint_access_api::Operation,
) -> Result<Vec<Term>, ApiError> {
    let invalid = |why: &str| ApiError::bad_request(format!("Invalid filter {input:?}: {why}."));
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        let (field, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| invalid("expected an operator"))?;
        let after = after.trim_start();
        let (op, after) = after
            .split_once(char::is_whitespace)
            .ok_or_else(|| invalid("expected a value"))?;
        if !operation.operators_of(field).contains(&op) {
            return Err(ApiError::bad_request(format!(
                "Invalid filter: {field} does not support the '{op}' operator here."
            )));
        }
        let after = after.trim_start();
        let (values, after) = match op {
            "eq" => {
                let (value, after) =
                    quoted(after).ok_or_else(|| invalid("expected a quoted value"))?;
                (vec![value], after)
            }
            "in" => {
                let mut inner = after
                    .strip_prefix('(')
                    .ok_or_else(|| invalid("expected '(' after in"))?;
                let mut values = Vec::new();
                loop {
                    let (value, after) = quoted(inner.trim_start())
                        .ok_or_else(|| invalid("expected a quoted value in the list"))?;
                    values.push(value);
                    let after = after.trim_start();
                    if let Some(after) = after.strip_prefix(',') {
                        inner = after;
                    } else if let Some(after) = after.strip_prefix(')') {
                        break (values, after);
                    } else {
                        return Err(invalid("expected ',' or ')' in the list"));
                    }
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid filter: the sandbox serves eq and in on approvals, not '{other}'."
                )))
            }
        };
        terms.push(Term {
            field: field.to_owned(),
            values,
        });
        rest = after.trim_start();
        if !rest.is_empty() {
            rest = rest
                .strip_prefix("and")
                .filter(|r| r.starts_with(char::is_whitespace))
                .ok_or_else(|| invalid("terms are joined with 'and'"))?
                .trim_start();
        }
    }
    Ok(terms)
}

/// A double-quoted string at the start of `input`, and what follows it.
fn quoted(input: &str) -> Option<(String, &str)> {
    let body = input.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '"' => return Some((value, &body[i + 1..])),
            c => value.push(c),
        }
    }
    None
}

/// One approval step of one item, as the lists see it.
struct Seen<'a> {
    status: &'a RequestedItemStatus,
    step: &'a ApprovalStatusDto,
}

impl Seen<'_> {
    fn owner(&self) -> Option<&IdentityReference> {
        self.step.current_owner.as_ref()
    }

    fn field(&self, field: &str) -> Option<&str> {
        match field {
            "id" => self.step.approval_id.as_deref(),
            "accessRequestId" => self.status.access_request_id.as_deref(),
            "requestedFor.id" => requested_for(self.status).and_then(|r| r.id.as_deref()),
            _ => None,
        }
    }

    fn admitted(&self, query: &ApprovalQuery) -> bool {
        let owner_ok = query
            .owner
            .as_deref()
            .is_none_or(|wanted| self.owner().and_then(|o| o.id.as_deref()) == Some(wanted));
        owner_ok
            && query.terms.iter().all(|t| {
                self.field(&t.field)
                    .is_some_and(|v| t.values.iter().any(|w| w == v))
            })
    }
}

fn requested_for(status: &RequestedItemStatus) -> Option<&IdentityReference> {
    match status.requested_for.as_ref()? {
        RequestedForIdentities::One(one) => Some(one),
        RequestedForIdentities::Many(many) => many.first(),
    }
}

/// Every approval step whose state `wanted` admits on its item.
fn steps<'a>(
    records: &'a [RequestedItemStatus],
    wanted: fn(&RequestedItemStatus, &ManualWorkItemState) -> bool,
) -> impl Iterator<Item = Seen<'a>> + 'a {
    records.iter().flat_map(move |status| {
        status
            .approval_details
            .iter()
            .filter(move |step| {
                step.approval_id.is_some()
                    && step
                        .status
                        .as_ref()
                        .is_some_and(|state| wanted(status, state))
            })
            .map(move |step| Seen { status, step })
    })
}

fn requested_object(status: &RequestedItemStatus) -> RequestedObjectReference {
    RequestedObjectReference {
        id: status.id.clone(),
        name: status.name.clone(),
        type_: status.type_.clone(),
    }
}

/// One step as an approval of type `$wire`: the fields pending and completed
/// approvals share, then the type's own.
macro_rules! approval_view {
    ($wire:ident, $seen:expr, { $($field:ident: $value:expr),* $(,)? }) => {{
        let seen: &Seen<'_> = $seen;
        let s = seen.status;
        $wire {
            id: seen.step.approval_id.clone(),
            name: s.name.clone(),
            created: s.created,
            modified: seen.step.modified,
            request_created: s.created,
            request_type: s.request_type.clone(),
            identity_type: s.identity_type.clone(),
            requester: s.requester.clone(),
            requested_for: requested_for(s).cloned(),
            owner: seen.owner().cloned(),
            requested_object: Some(requested_object(s)),
            requester_comment: s.requester_comment.clone(),
            client_metadata: s.client_metadata.clone(),
            $($field: $value,)*
            ..$wire::default()
        }
    }};
}

fn pending_view(seen: &Seen<'_>) -> PendingApproval {
    approval_view!(PendingApproval, seen, {
        access_request_id: seen.status.access_request_id.clone(),
        remove_date: seen.status.remove_date,
        start_date: seen.status.start_date,
    })
}

fn completed_view(seen: &Seen<'_>) -> CompletedApproval {
    let state = match seen.step.status {
        Some(ManualWorkItemState::Rejected) => CompletedApprovalState::Rejected,
        _ => CompletedApprovalState::Approved,
    };
    approval_view!(CompletedApproval, seen, {
        reviewed_by: seen.owner().cloned(),
        state: Some(state),
    })
}

/// A step awaiting its decision; one of an item no longer open (cancelled,
/// closed) is no one's to decide.
fn is_pending(status: &RequestedItemStatus, state: &ManualWorkItemState) -> bool {
    crate::state::is_open(status) && *state == ManualWorkItemState::Pending
}

fn is_completed(_: &RequestedItemStatus, state: &ManualWorkItemState) -> bool {
    matches!(
        state,
        ManualWorkItemState::Approved | ManualWorkItemState::Rejected
    )
}

/// One page of `items`, with `X-Total-Count` when asked.
fn page<T: serde::Serialize>(items: impl Iterator<Item = T>, query: &ApprovalQuery) -> Response {
    let mut items: Vec<T> = items.collect();
    let total = items.len();
    if query.newest_first {
        items.reverse();
    }
    let shown: Vec<T> = items
        .into_iter()
        .skip(query.offset)
        .take(query.limit)
        .collect();
    with_total(
        json_response(StatusCode::OK, &shown),
        query.count.then_some(total),
    )
}

/// An owner's list: the query, the owner the caller may read, then a page
/// of the `wanted` steps the query admits, each shown as `view` makes it.
fn owner_list<T: serde::Serialize>(
    (shared, uri, headers): (&Shared, &Uri, &HeaderMap),
    op: &sailpoint_access_api::Operation,
    wanted: fn(&RequestedItemStatus, &ManualWorkItemState) -> bool,
    view: fn(&Seen<'_>) -> T,
) -> Response {
    respond((|| {
        let mut query = parse_query(uri.query(), op)?;
        query.owner = owner_for(caller(shared, headers), query.owner)?;
        let store = shared.store();
        let admitted = steps(store.all(), wanted).filter(|seen| seen.admitted(&query));
        Ok(page(admitted.map(|seen| view(&seen)), &query))
    })())
}

pub(crate) async fn list_pending(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let op = &operations::LIST_PENDING_APPROVALS;
    owner_list((&shared, &uri, &headers), op, is_pending, pending_view)
}

pub(crate) async fn list_completed(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let op = &operations::LIST_COMPLETED_APPROVALS;
    owner_list((&shared, &uri, &headers), op, is_completed, completed_view)
}

/// Applies one decision, answering as the service does.
fn decide(
    shared: &Shared,
    headers: &HeaderMap,
    approval_id: &str,
    decision: &Decision,
) -> Result<Response, ApiError> {
    let who = caller(shared, headers);
    let owner_only = (!who.admin).then_some(who.id);
    match shared.store_mut().decide(approval_id, decision, owner_only) {
        Ok(()) => Ok(json_response(StatusCode::ACCEPTED, &serde_json::json!({}))),
        Err(DecisionError::NotFound) => Err(ApiError::not_found(format!(
            "No approval has the id '{approval_id}'."
        ))),
        Err(DecisionError::NotPending(state)) => Err(ApiError::bad_request(format!(
            "The approval '{approval_id}' is not pending: {state}."
        ))),
        Err(DecisionError::OwnedByAnother) => Err(ApiError::forbidden(format!(
            "Only the owner of '{approval_id}' or an org administrator may decide it."
        ))),
    }
}

/// The frame of approve, reject and forward: the approval's id from the
/// path, then the decision `read` makes of the body, applied.
fn decide_on(
    shared: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    read: impl FnOnce() -> Result<Decision, ApiError>,
) -> Response {
    respond(path_segment(uri, 2).and_then(|id| decide(shared, headers, &id, &read()?)))
}

pub(crate) async fn approve(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    decide_on(&shared, &uri, &headers, || {
        // The comment is optional, and so is the body.
        let empty = body
            .as_ref()
            .is_ok_and(|b| b.iter().all(u8::is_ascii_whitespace));
        if !empty {
            let _: ApprovalComment = read_json(&headers, body)?;
        }
        Ok(Decision::Approve)
    })
}

pub(crate) async fn reject(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    decide_on(&shared, &uri, &headers, || {
        let comment: ApprovalComment = read_json(&headers, body)?;
        if comment
            .comment
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            return Err(ApiError::rule(
                Rule::ApprovalRejectComment,
                "A comment is required to reject an approval.",
            ));
        }
        Ok(Decision::Reject)
    })
}

/// A forward's `field` must have `min` to `max` characters (its documented
/// bounds), not all blank; else a 400 naming `rule`.
fn check_forward_text(
    (field, text): (&str, &str),
    (min, max): (usize, usize),
    rule: Rule,
) -> Result<(), ApiError> {
    if (min..=max).contains(&text.chars().count()) && !text.trim().is_empty() {
        Ok(())
    } else {
        let why = format!("{field} must have {min} to {max} characters.");
        Err(ApiError::rule(rule, why))
    }
}

pub(crate) async fn forward(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    decide_on(&shared, &uri, &headers, || {
        let forward: ForwardApproval = read_json(&headers, body)?;
        check_forward_text(
            ("newOwnerId", &forward.new_owner_id),
            (
                limits::FORWARD_APPROVAL_NEW_OWNER_ID_MIN_LENGTH,
                limits::FORWARD_APPROVAL_NEW_OWNER_ID_MAX_LENGTH,
            ),
            Rule::ApprovalForwardOwner,
        )?;
        check_forward_text(
            ("comment", &forward.comment),
            (
                limits::FORWARD_APPROVAL_COMMENT_MIN_LENGTH,
                limits::FORWARD_APPROVAL_COMMENT_MAX_LENGTH,
            ),
            Rule::ApprovalForwardComment,
        )?;
        let name = shared
            .store()
            .name_of(&forward.new_owner_id)
            .unwrap_or(&forward.new_owner_id)
            .to_owned();
        Ok(Decision::Forward(identity(&forward.new_owner_id, &name)))
    })
}

pub(crate) async fn bulk_approve(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        require_admin(caller(&shared, &headers), "Bulk approve")?;
        let request: BulkApproveApprovals = read_json(&headers, body)?;
        let max = limits::BULK_APPROVE_APPROVALS_APPROVAL_IDS_MAX_ITEMS;
        let n = request.approval_ids.len();
        if n == 0 || n > max {
            return Err(ApiError::rule(
                Rule::BulkApproveIdsCount,
                format!("Between 1 and {max} approval ids are required; got {n}."),
            ));
        }
        if request.comment.trim().is_empty() {
            return Err(ApiError::rule(
                Rule::BulkApproveComment,
                "A comment is required to approve in bulk.",
            ));
        }
        let mut store = shared.store_mut();
        for id in &request.approval_ids {
            // Unknown or already decided ids are skipped: the answer is 202
            // whatever happened, as on a tenant.
            let _ = store.decide(id, &Decision::Approve, None);
        }
        Ok(json_response(StatusCode::ACCEPTED, &serde_json::json!({})))
    })())
}

pub(crate) async fn summary(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond((|| {
        let pairs: HashMap<String, String> = serde_urlencoded::from_str(uri.query().unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
        if let Some(unknown) = pairs
            .keys()
            .find(|k| !matches!(k.as_str(), "owner-id" | "from-date"))
        {
            return Err(ApiError::bad_request(format!(
                "Unknown query parameter '{unknown}'. Supported: owner-id, from-date."
            )));
        }
        let since = match pairs.get("from-date") {
            Some(raw) => Some(
                raw.parse::<sailpoint_access_api::Timestamp>()
                    .map_err(|_| {
                        ApiError::bad_request(format!(
                            "Invalid from-date '{raw}': expected an ISO-8601 date-time."
                        ))
                    })?,
            ),
            None => None,
        };
        let owner = owner_for(
            caller(&shared, &headers),
            pairs.get("owner-id").map(|v| v.trim().to_owned()),
        )?;
        let store = shared.store();
        let (mut pending, mut approved, mut rejected) = (0, 0, 0);
        for seen in steps(store.all(), |_, _| true) {
            let owned = owner
                .as_deref()
                .is_none_or(|o| seen.owner().and_then(|r| r.id.as_deref()) == Some(o));
            let recent = since.is_none_or(|t| seen.step.modified.is_some_and(|m| m >= t));
            if !owned || !recent {
                continue;
            }
            match seen.step.status {
                Some(ManualWorkItemState::Pending) => pending += 1,
                Some(ManualWorkItemState::Approved) => approved += 1,
                Some(ManualWorkItemState::Rejected) => rejected += 1,
                _ => {}
            }
        }
        Ok(json_response(
            StatusCode::OK,
            &ApprovalSummary {
                pending: Some(pending),
                approved: Some(approved),
                rejected: Some(rejected),
            },
        ))
    })())
}

pub(crate) async fn approvers(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    respond((|| {
        require_admin(
            caller(&shared, &headers),
            "Listing the approvers of a request",
        )?;
        let request_id = path_segment(&uri, 2)?;
        let query = parse_query(uri.query(), &operations::LIST_ACCESS_REQUEST_APPROVERS)?;
        let store = shared.store();
        let known = store
            .all()
            .iter()
            .any(|s| s.access_request_id.as_deref() == Some(request_id.as_str()));
        if !known {
            return Err(ApiError::not_found(format!(
                "No access request has the id '{request_id}'."
            )));
        }
        let approvers = steps(store.all(), is_pending)
            .filter(|seen| seen.status.access_request_id.as_deref() == Some(request_id.as_str()))
            .map(|seen| {
                let owner = seen.owner();
                AccessRequestApprover {
                    id: owner.and_then(|o| o.id.clone()),
                    name: owner.and_then(|o| o.name.clone()),
                    email: None,
                    approval_id: seen.step.approval_id.clone(),
                    type_: Some("IDENTITY".to_owned()),
                }
            });
        Ok(page(approvers, &query))
    })())
}

pub(crate) async fn administrators_list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = require_experimental(&headers)
        .and_then(|()| require_admin(caller(&shared, &headers), "The administrators' status list"))
    {
        return respond(Err(refused));
    }
    let page = list_as(
        &shared,
        &uri,
        Family::Versioned,
        &operations::LIST_ADMINISTRATORS_ACCESS_REQUEST_STATUS,
    );
    if page.status() != StatusCode::OK {
        return page;
    }
    let reauthorize = shared
        .store()
        .config_v2
        .entitlement_request_config
        .as_ref()
        .and_then(|e| e.access_request_config.as_ref())
        .is_some_and(|a| a.reauthorization_required);
    with_reauthorization(page, reauthorize).await
}

/// Adds `reauthorizationRequired`, which only this list documents, to each
/// row of a status page: the configuration's flag for grants of
/// entitlements (the requests its entitlement settings govern; read when
/// listed), false for the rest.
async fn with_reauthorization(page: Response, reauthorize: bool) -> Response {
    let (parts, body) = page.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return respond(Err(ApiError::server(StatusCode::INTERNAL_SERVER_ERROR)));
    };
    let Ok(mut rows) = serde_json::from_slice::<Vec<serde_json::Value>>(&bytes) else {
        return respond(Err(ApiError::server(StatusCode::INTERNAL_SERVER_ERROR)));
    };
    for row in &mut rows {
        let governed = row["type"] == "ENTITLEMENT"
            && (row["requestType"].is_null() || row["requestType"] == "GRANT_ACCESS");
        row["reauthorizationRequired"] = serde_json::Value::Bool(reauthorize && governed);
    }
    let mut response = json_response(StatusCode::OK, &rows);
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

pub(crate) async fn accounts_selection(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        require_experimental(&headers)?;
        let request: AccessRequest = read_json(&headers, body)?;
        let store = shared.store();
        let item = |kind, id: &str| RequestedItemAccountSelections {
            id: Some(id.to_owned()),
            name: store.name_of(id).map(str::to_owned),
            type_: Some(kind),
            // The sandbox's identities have one account per source.
            accounts_selection_blocked: false,
            accounts_selection_blocked_reason: None,
            sources: Vec::new(),
        };
        let mut identities: Vec<IdentityAccountSelections> = Vec::new();
        let mut push = |id: &str, items: Vec<RequestedItemAccountSelections>| {
            identities.push(IdentityAccountSelections {
                id: Some(id.to_owned()),
                name: store.name_of(id).map(str::to_owned),
                type_: Some(DtoType::Identity),
                accounts_selection_required: false,
                requested_items: items,
            });
        };
        for id in &request.requested_for {
            let items = request
                .requested_items
                .iter()
                .map(|i| item(i.type_.clone(), &i.id))
                .collect();
            push(id, items);
        }
        for one in request.requested_for_with_requested_items.iter().flatten() {
            let items = one
                .requested_items
                .iter()
                .map(|i| item(i.type_.clone(), &i.id))
                .collect();
            push(&one.identity_id, items);
        }
        Ok(json_response(
            StatusCode::OK,
            &AccountsSelection { identities },
        ))
    })())
}

pub(crate) async fn revocable_object(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    respond((|| {
        let identity_id = path_segment(&uri, 3)?;
        let entitlement_id = path_segment(&uri, 5)?;
        let store = shared.store();
        // Held: a completed grant of this entitlement for this identity.
        let held = store.all().iter().find(|s| {
            s.id.as_deref() == Some(entitlement_id.as_str())
                && s.state == Some(RequestedItemState::RequestCompleted)
                && s.request_type
                    .as_ref()
                    .is_none_or(|t| *t == AccessRequestType::GrantAccess)
                && requested_for(s).and_then(|r| r.id.as_deref()) == Some(identity_id.as_str())
        });
        let Some(held) = held else {
            return Err(ApiError::not_found(format!(
                "The identity '{identity_id}' holds no entitlement '{entitlement_id}'."
            )));
        };
        let source = "2c9180835d2e5168015d32f890ca1581".to_owned();
        Ok(json_response(
            StatusCode::OK,
            &RevocableObject {
                identity_id: Some(identity_id.clone()),
                source_id: Some(source.clone()),
                entitlement: Some(RevocableEntitlement {
                    id: Some(entitlement_id.clone()),
                    name: held.name.clone(),
                    source_id: Some(source.clone()),
                    ..RevocableEntitlement::default()
                }),
                account_targets: vec![RevocableAccountTarget {
                    account_id: Some(format!("{identity_id}-account")),
                    source_id: Some(source),
                    remove_date: held.remove_date.map(|d| d.to_string()),
                    revocable: true,
                    ..RevocableAccountTarget::default()
                }],
            },
        ))
    })())
}
