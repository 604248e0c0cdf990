//! The endpoint handlers. Bodies and query strings are parsed here rather
//! than by axum's extractors so that every rejection comes back in the API's
//! error shape; the rules themselves live in the validator, and a broken one
//! is answered with its code in `causes`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sailpoint_access_api::types::{
    AccessRequest, AccessRequestConfig, AccessRequestConfigV2, AccessRequestItemForm,
    AccessRequestResponse, AccessRequestTracking, BulkCancelAccessRequests, CancelAccessRequest,
    CloseAccessRequests, CommentDto, IdentityReferenceType, IdentityType, RequestedForIdentities,
    RequestedItemDetails, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_api::{Family, Timestamp};
use serde::de::DeserializeOwned;

use crate::auth::token_endpoint;
use crate::error::{json_bytes, json_response, with_total, ApiError};
use crate::filter::ParsedFilter;
use crate::shared::Shared;
use crate::sort::parse_sorters;
use crate::state::{identity, item_name, phase, CancelError, StatusQuery};
use crate::tenant::{CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME};
use crate::validate::{
    check_bulk_cancel, check_cancel, check_close, check_config, check_config_v2,
    check_exclusive_identity, check_item_types, parse_limit, parse_offset, validate, CloseError,
    Item, CLOSE_DEFAULT_MESSAGE, LIST_LIMIT_DEFAULT,
};

pub(crate) type Body = Result<Bytes, BytesRejection>;

pub(crate) fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        let body = body.map_err(|e| {
            ApiError::bad_request(format!("The request body could not be read: {e}"))
        })?;
        let issue = |lifetime, approver: bool| {
            let mut tokens = shared.tokens();
            let token = tokens.issue(lifetime, Instant::now());
            if approver {
                tokens.mark_approver(&token);
            }
            token
        };
        token_endpoint(&shared.settings(), issue, uri.query(), &headers, &body)
    })())
}

fn is_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("<not text>"));
    let ok = value.is_some_and(|v| {
        let mime = v
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Unsupported Content-Type {}: expected application/json.",
            value.map_or("(none)".to_owned(), |v| format!("'{v}'"))
        )))
    }
}

pub(crate) fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    let body = body
        .map_err(|e| ApiError::bad_request(format!("The request body could not be read: {e}")))?;
    is_json(headers)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("A JSON request body is required."));
    }
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Malformed request body: {e}")))
}

/// A stable 32-bit hash of what was requested for one identity, like the
/// service's `attributesHash`.
fn attributes_hash(identity: &str, items: &[&Item]) -> i64 {
    let mut hash: u32 = 0x811C_9DC5;
    let mut feed = |s: &str| {
        for b in s.bytes().chain([0]) {
            hash ^= u32::from(b);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(identity);
    for item in items {
        feed(item.kind.as_str());
        feed(&item.id);
    }
    i64::from(hash)
}

/// The items of a tracking entry.
fn details(items: &[&Item]) -> Vec<RequestedItemDetails> {
    items
        .iter()
        .map(|i| RequestedItemDetails {
            id: Some(i.id.clone()),
            type_: Some(i.kind.clone()),
        })
        .collect()
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    submit(&shared, &headers, body, Family::V3)
}

pub(crate) async fn create_v1(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    submit(&shared, &headers, body, Family::Versioned)
}

/// A submission through either family: the same rules, one store. Only the
/// versioned family reads `identityType` and `formInstanceId` (a v3 tenant
/// ignores them); its statuses record them.
fn submit(shared: &Shared, headers: &HeaderMap, body: Body, family: Family) -> Response {
    respond((|| {
        let request: AccessRequest = read_json(headers, body)?;
        let now = Timestamp::now();
        check_item_types(&request).map_err(ApiError::bad_request)?;
        let versioned = family != Family::V3;
        // Per identity, whether it is a machine (per-identity form only).
        let machines: HashMap<String, bool> = request
            .requested_for_with_requested_items
            .iter()
            .flatten()
            .map(|e| {
                let machine = e.identity_type == Some(IdentityType::Machine);
                (e.identity_id.clone(), machine)
            })
            .collect();
        if let Some(kind) = request
            .requested_for_with_requested_items
            .iter()
            .flatten()
            .filter_map(|e| e.identity_type.as_ref())
            .find(|t| versioned && t.is_unknown())
        {
            return Err(ApiError::bad_request(format!(
                "Invalid identityType '{}': expected HUMAN or MACHINE.",
                kind.as_str()
            )));
        }
        let validated = validate(family, request, now)?;
        let caller = identity(CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME);

        let mut store = shared.store_mut();
        store
            .directory
            .check_create(validated.targets.iter().map(|(who, items)| {
                let items = items.iter().map(|i| (&i.kind, i.id.as_str())).collect();
                (who.as_str(), items)
            }))
            .map_err(ApiError::bad_request)?;
        // One access request per identity of the submission, as the
        // vendor's answer tracks them (`newRequests[].requestedFor` with its
        // own `accessRequestIds`): cancelling or closing one person's request
        // never touches another's. Drawn only when something is created.
        let mut statuses = Vec::new();
        let mut tracking = Vec::new();
        let mut existing = Vec::new();
        for (identity_id, items) in &validated.targets {
            // An item still open for this identity is not requested again:
            // the answer names the request it belongs to instead.
            let mut fresh: Vec<&Item> = Vec::new();
            let mut already: Vec<&Item> = Vec::new();
            let mut already_ids: Vec<String> = Vec::new();
            for item in items {
                match store.open_duplicate(
                    identity_id,
                    &validated.request_type,
                    &item.kind,
                    &item.id,
                ) {
                    Some(id) => {
                        if !already_ids.iter().any(|known| known == id) {
                            already_ids.push(id.to_owned());
                        }
                        already.push(item);
                    }
                    None => fresh.push(item),
                }
            }
            if !already.is_empty() {
                existing.push(AccessRequestTracking {
                    requested_for: Some(identity_id.clone()),
                    requested_items_details: details(&already),
                    attributes_hash: Some(attributes_hash(identity_id, &already)),
                    access_request_ids: already_ids,
                });
            }
            if fresh.is_empty() {
                continue;
            }
            let access_request_id = store.ids.hex_id();
            let identity_name = store.name_of(identity_id).unwrap_or(identity_id).to_owned();
            let machine = versioned && machines.get(identity_id).copied().unwrap_or(false);
            let mut target = identity(identity_id, &identity_name);
            if machine {
                target.type_ = Some(IdentityReferenceType::MachineIdentity);
            }
            for &item in &fresh {
                let activity_id = store.ids.hex_id();
                let approval_id = store.ids.hex_id();
                let mut steps = crate::steps::plan(
                    &store,
                    &validated.request_type,
                    &item.kind,
                    &item.id,
                    identity_id,
                )
                .into_iter();
                let first = steps
                    .next()
                    .map(|step| crate::state::step_status(step, approval_id.clone(), now));
                store.plan_later_steps(&activity_id, steps.collect());
                let mut metadata: HashMap<String, String> = validated.client_metadata.clone();
                metadata.extend(item.client_metadata.clone());
                statuses.push(RequestedItemStatus {
                    id: Some(item.id.clone()),
                    name: Some(
                        store
                            .name_of(&item.id)
                            .map_or_else(|| item_name(&item.kind, &item.id), str::to_owned),
                    ),
                    type_: Some(item.kind.clone()),
                    state: Some(RequestedItemState::Executing),
                    approval_details: first.into_iter().collect(),
                    approval_ids: Some(vec![approval_id]),
                    account_activity_item_id: Some(activity_id),
                    request_type: Some(validated.request_type.clone()),
                    created: Some(now),
                    modified: Some(now),
                    requester: Some(caller.clone()),
                    requested_for: Some(RequestedForIdentities::One(target.clone())),
                    identity_type: versioned.then_some(if machine {
                        IdentityType::Machine
                    } else {
                        IdentityType::Human
                    }),
                    form: item
                        .form_instance_id
                        .as_ref()
                        .filter(|_| versioned)
                        .map(|id| AccessRequestItemForm {
                            form_instance_id: Some(id.clone()),
                            ..AccessRequestItemForm::default()
                        }),
                    requester_comment: item.comment.as_ref().map(|c| CommentDto {
                        comment: Some(c.clone()),
                        created: Some(now),
                        author: Some(caller.clone()),
                    }),
                    access_request_phases: Some(vec![phase("APPROVAL_PHASE", now)]),
                    start_date: item.start_date,
                    remove_date: item.remove_date,
                    cancelable: true,
                    access_request_id: Some(access_request_id.clone()),
                    client_metadata: (!metadata.is_empty()).then_some(metadata),
                    ..RequestedItemStatus::default()
                });
            }
            tracking.push(AccessRequestTracking {
                requested_for: Some(identity_id.clone()),
                requested_items_details: details(&fresh),
                attributes_hash: Some(attributes_hash(identity_id, &fresh)),
                access_request_ids: vec![access_request_id],
            });
        }
        store.insert(statuses);
        drop(store);
        shared.accepted_creates.fetch_add(1, Ordering::Relaxed);
        Ok(json_response(
            StatusCode::ACCEPTED,
            &AccessRequestResponse {
                new_requests: tracking,
                existing_requests: existing,
            },
        ))
    })())
}

pub(crate) async fn cancel(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        let request: CancelAccessRequest = read_json(&headers, body)?;
        check_cancel(&request)?;
        let by = identity(CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME);
        match shared
            .store_mut()
            .cancel(&request.account_activity_id, &request.comment, by)
        {
            Ok(()) => Ok(json_bytes(StatusCode::ACCEPTED, b"{}".to_vec())),
            Err(CancelError::NotFound) => Err(ApiError::not_found(format!(
                "Access request with accountActivityId {} was not found.",
                request.account_activity_id
            ))),
            // Not a rule: the item's state. The wording is stable, clients
            // match "cannot be cancelled: it is CANCELLED" to recognise a
            // replayed cancel that already took effect.
            Err(CancelError::NotCancelable(current)) => Err(ApiError::bad_request(format!(
                "Access request with accountActivityId {} cannot be cancelled: it is {current}.",
                request.account_activity_id
            ))),
        }
    })())
}

/// `POST /access-requests/v1/close`: 202 once the rules pass, whatever the
/// ids name (unknown ones are accepted, as the vendor does).
pub(crate) async fn close(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        let request: CloseAccessRequests = read_json(&headers, body)?;
        let outcome = check_close(&request).map_err(|e| match e {
            CloseError::Rule(failure) => ApiError::from(failure),
            CloseError::Schema(text) => ApiError::bad_request(text),
        })?;
        let message = request.message.as_deref().unwrap_or(CLOSE_DEFAULT_MESSAGE);
        shared
            .store_mut()
            .close(&request.access_request_ids, &outcome, message);
        Ok(json_bytes(StatusCode::ACCEPTED, b"{}".to_vec()))
    })())
}

/// `POST /access-requests/v1/bulk-cancel`: 202 once the rules pass; the
/// cancelable items of the named requests are cancelled, unknown ids and
/// items past approval are left alone.
pub(crate) async fn bulk_cancel(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        let request: BulkCancelAccessRequests = read_json(&headers, body)?;
        check_bulk_cancel(&request)?;
        let by = identity(CALLER_IDENTITY_ID, CALLER_IDENTITY_NAME);
        shared
            .store_mut()
            .bulk_cancel(&request.access_request_ids, &request.comment, &by);
        Ok(json_bytes(StatusCode::ACCEPTED, b"{}".to_vec()))
    })())
}

pub(crate) async fn get_config_v2(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.store().config_v2)
}

pub(crate) async fn set_config_v2(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        let config: AccessRequestConfigV2 = read_json(&headers, body)?;
        check_config_v2(&config).map_err(ApiError::bad_request)?;
        let mut store = shared.store_mut();
        store.config_v2 = config;
        Ok(json_response(StatusCode::OK, &store.config_v2))
    })())
}

pub(crate) async fn get_config(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, &shared.store().config)
}

pub(crate) async fn set_config(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    respond((|| {
        let config: AccessRequestConfig = read_json(&headers, body)?;
        check_config(&config).map_err(ApiError::bad_request)?;
        let mut store = shared.store_mut();
        store.config = config;
        Ok(json_response(StatusCode::OK, &store.config))
    })())
}

const LIST_PARAMS: &[&str] = &[
    "requested-for",
    "requested-by",
    "regarding-identity",
    "assigned-to",
    "count",
    "limit",
    "offset",
    "filters",
    "sorters",
    "request-state",
];

/// Validates the status-list query string.
pub(crate) fn parse_list_query(raw: Option<&str>) -> Result<StatusQuery, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (name, value) in pairs {
        let Some(known) = LIST_PARAMS.iter().find(|p| **p == name) else {
            return Err(ApiError::bad_request(format!(
                "Unknown query parameter '{name}'. Supported: {}.",
                LIST_PARAMS.join(", ")
            )));
        };
        if seen.insert(known, value).is_some() {
            return Err(ApiError::bad_request(format!(
                "Query parameter '{name}' is given more than once."
            )));
        }
    }
    let identity_param = |name: &str| -> Result<Option<String>, ApiError> {
        match seen.get(name).map(|v| v.trim()) {
            None => Ok(None),
            Some("") => Err(ApiError::bad_request(format!("{name} must not be empty."))),
            Some("me") => Ok(Some(CALLER_IDENTITY_ID.to_owned())),
            Some(id) => Ok(Some(id.to_owned())),
        }
    };
    let mut query = StatusQuery {
        requested_for: identity_param("requested-for")?,
        requested_by: identity_param("requested-by")?,
        regarding: identity_param("regarding-identity")?,
        assigned_to: identity_param("assigned-to")?,
        limit: LIST_LIMIT_DEFAULT,
        ..StatusQuery::default()
    };
    check_exclusive_identity(
        query.regarding.is_some(),
        query.requested_for.is_some(),
        query.requested_by.is_some(),
    )?;
    if let Some(v) = seen.get("count") {
        query.count = match v.as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid value '{other}' for count: expected true or false."
                )))
            }
        };
    }
    if let Some(v) = seen.get("limit") {
        query.limit = parse_limit(v)?;
    }
    if let Some(v) = seen.get("offset") {
        query.offset = parse_offset(v)?;
    }
    if let Some(v) = seen.get("filters").filter(|v| !v.trim().is_empty()) {
        query.filter = Some(ParsedFilter::parse(v).map_err(ApiError::bad_request)?);
    }
    if let Some(v) = seen.get("sorters").filter(|v| !v.trim().is_empty()) {
        query.sorters = parse_sorters(v).map_err(ApiError::bad_request)?;
    }
    if let Some(v) = seen.get("request-state") {
        if v != "EXECUTING" {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{v}' for request-state: only EXECUTING is supported."
            )));
        }
        query.executing_only = true;
    }
    Ok(query)
}

pub(crate) async fn list_status(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    list(&shared, &uri, Family::V3)
}

pub(crate) async fn list_status_v1(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    list(&shared, &uri, Family::Versioned)
}

/// One page of the status list, in `family`'s shape.
fn list(shared: &Shared, uri: &Uri, family: Family) -> Response {
    // Each family's documented operators per field, from the spec.
    let operation = sailpoint_access_api::dispatch::ListAccessRequestStatus::operation(family);
    list_as(shared, uri, family, operation)
}

/// One page of statuses in `family`'s shape, with the filter operators
/// `operation` documents (the administrators' list has its own).
pub(crate) fn list_as(
    shared: &Shared,
    uri: &Uri,
    family: Family,
    operation: &'static sailpoint_access_api::Operation,
) -> Response {
    respond((|| {
        let query = parse_list_query(uri.query())?;
        if let Some((field, op)) = query
            .filter
            .as_ref()
            .and_then(|f| f.undocumented(|field| operation.operators_of(field)))
        {
            return Err(ApiError::bad_request(format!(
                "Invalid filter: {field} does not support the '{op}' operator here."
            )));
        }
        let page = shared
            .store()
            .page(&query, family, Timestamp::now())
            .map_err(|_| ApiError::server(StatusCode::INTERNAL_SERVER_ERROR))?;
        // Some tenants refuse an offset that lands exactly on the end of a
        // list whose size is a multiple of the page size, instead of
        // answering an empty page; paginators must cope.
        if shared.offset_quirk.load(Ordering::Relaxed)
            && page.empty
            && query.offset > 0
            && query.limit > 0
            && page.total == query.offset
            && query.offset % query.limit == 0
        {
            return Err(ApiError::bad_request("Specified offset is invalid."));
        }
        Ok(with_total(
            json_bytes(StatusCode::OK, page.body),
            query.count.then_some(page.total),
        ))
    })())
}
