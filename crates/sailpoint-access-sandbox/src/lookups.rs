//! The look-up handlers over the directory: each takes only the query
//! parameters its operation documents (anything else is a 400 naming it, a
//! choice: it makes a client that sends undocumented parameters fail here
//! rather than on a tenant), pages within the documented limit (`roles/v1`
//! at most 50), filters with the fields and operators the spec lists for
//! that operation, and answers `X-Total-Count` when `count=true`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use sailpoint_access_api::types::{
    AccessItemType, AccessProfile, AccessRequestType, DtoType, Entitlement, Identity,
    IdentityEntitlement, IdentityReference, IdentityReferenceType, LifecycleState, PublicIdentity,
    RequestableObject, RequestableObjectStatus, RequestableObjectType, Role, SourceReference,
    TaggedObjectRef,
};
use sailpoint_access_api::{limits, operations, Operation};
use serde::Serialize;

use crate::directory::expr::{Expression, Value};
use crate::directory::{CatalogueItem, Directory, DirectoryIdentity};
use crate::error::{json_response, with_total, ApiError};
use crate::handlers::respond;
use crate::shared::Shared;
use crate::state::Store;
use crate::tenant::CALLER_IDENTITY_ID;

/// The parsed query of one look-up.
struct Query {
    params: HashMap<String, String>,
    limit: usize,
    offset: usize,
    count: bool,
    filter: Option<Expression>,
}

impl Query {
    /// Reads `raw`, accepting only `allowed` parameters (plus paging), a
    /// limit up to `max_limit` and a filter `op` documents.
    fn parse(
        raw: Option<&str>,
        op: &'static Operation,
        allowed: &[&str],
        max_limit: i64,
    ) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("Invalid query string: {e}")))?;
        let mut params = HashMap::new();
        for (name, value) in pairs {
            let known = ["limit", "offset", "count"].contains(&name.as_str())
                || allowed.contains(&name.as_str());
            if !known {
                return Err(ApiError::bad_request(format!(
                    "Unknown query parameter '{name}' for {}.",
                    op.id
                )));
            }
            if params.insert(name.clone(), value).is_some() {
                return Err(ApiError::bad_request(format!(
                    "Query parameter '{name}' is given more than once."
                )));
            }
        }
        let limit = match params.get("limit") {
            None => max_limit as usize,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (0..=max_limit).contains(&n) => n as usize,
                _ => {
                    return Err(ApiError::bad_request(format!(
                    "Invalid value '{raw}' for limit: expected an integer from 0 to {max_limit}."
                )))
                }
            },
        };
        let offset = match params.get("offset") {
            None => 0,
            Some(raw) => match raw.parse::<i32>() {
                Ok(n) if n >= 0 => n as usize,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid value '{raw}' for offset: expected a non-negative integer."
                    )))
                }
            },
        };
        let count = match params.get("count").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "Invalid value '{other}' for count: expected true or false."
                )))
            }
        };
        let filter = match params.get("filters") {
            Some(text) => Some(
                Expression::parse(text, |field| op.operators_of(field))
                    .map_err(ApiError::bad_request)?,
            ),
            None => None,
        };
        Ok(Query {
            params,
            limit,
            offset,
            count,
            filter,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    fn keeps<'v>(&self, get: &dyn Fn(&str) -> Option<Value<'v>>) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(get))
    }

    /// One page of `matching` (already filtered), encoded.
    fn page<T: Serialize>(&self, matching: impl Iterator<Item = T>) -> Response {
        let mut total = 0usize;
        let mut items = Vec::new();
        for item in matching {
            if total >= self.offset && items.len() < self.limit {
                items.push(item);
            }
            total += 1;
            if !self.count && items.len() >= self.limit && total > self.offset {
                break;
            }
        }
        with_total(
            json_response(StatusCode::OK, &items),
            self.count.then_some(total),
        )
    }
}

fn identity_field<'a>(i: &'a DirectoryIdentity, field: &str) -> Option<Value<'a>> {
    Some(Value::Str(match field {
        "id" => &i.id,
        "name" => &i.name,
        "alias" => &i.alias,
        "email" => &i.email,
        "firstname" => i.name.split(' ').next().unwrap_or(""),
        "lastname" => i.name.rsplit(' ').next().unwrap_or(""),
        "correlated" | "protected" => return Some(Value::Bool(field == "correlated")),
        "cloudStatus" | "processingState" => return None,
        _ => return None,
    }))
}

fn item_field<'a>(dir: &'a Directory, i: &'a CatalogueItem, field: &str) -> Option<Value<'a>> {
    Some(match field {
        "id" => Value::Str(&i.id),
        "name" => Value::Str(&i.name),
        "requestable" => Value::Bool(i.requestable),
        "source.id" => Value::Str(dir.source_id(&i.source)?),
        _ => return None,
    })
}

/// The identities the query keeps: an `email` equality list is answered
/// from the index, anything else by a scan.
fn identities<'a>(
    dir: &'a Directory,
    query: &'a Query,
) -> Box<dyn Iterator<Item = &'a DirectoryIdentity> + 'a> {
    let keep = move |i: &&DirectoryIdentity| query.keeps(&|f| identity_field(i, f));
    match query.filter.as_ref().and_then(|f| f.equal_values("email")) {
        Some(emails) => Box::new(dir.identities_by_email(&emails).filter(keep)),
        None => Box::new(dir.identities().iter().filter(keep)),
    }
}

fn manager_ref(dir: &Directory, i: &DirectoryIdentity) -> Option<IdentityReference> {
    let manager = dir.identity_by_alias(i.manager.as_deref()?)?;
    Some(IdentityReference {
        id: Some(manager.id.clone()),
        name: Some(manager.name.clone()),
        type_: Some(IdentityReferenceType::Identity),
    })
}

fn source_ref(dir: &Directory, name: &str) -> Option<SourceReference> {
    (!name.is_empty()).then(|| SourceReference {
        id: dir.source_id(name).map(str::to_owned),
        name: Some(name.to_owned()),
        type_: Some("SOURCE".to_owned()),
    })
}

/// The frame of every look-up: the query read against what the operation
/// accepts (its parameters and page limit) before the store is locked, then
/// `answer` over the store.
fn lookup(
    shared: &Shared,
    uri: &Uri,
    (op, allowed, max_limit): (&'static Operation, &[&str], i64),
    answer: impl FnOnce(&Query, &Store) -> Result<Response, ApiError>,
) -> Response {
    respond(
        Query::parse(uri.query(), op, allowed, max_limit)
            .and_then(|query| answer(&query, &shared.store())),
    )
}

pub(crate) async fn list_identities(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let op = &operations::LIST_IDENTITIES;
    let max = limits::LIST_IDENTITIES_LIMIT_MAXIMUM;
    let accepts = (op, &["filters", "sorters", "defaultFilter"][..], max);
    lookup(&shared, &uri, accepts, |query, store| {
        let dir = &store.directory;
        Ok(query.page(identities(dir, query).map(|i| {
            Identity {
                id: Some(i.id.clone()),
                name: Some(i.name.clone()),
                alias: Some(i.alias.clone()),
                email_address: Some(i.email.clone()),
                identity_status: Some(
                    if i.lifecycle == "active" {
                        "ACTIVE"
                    } else {
                        "DISABLED"
                    }
                    .to_owned(),
                ),
                manager_ref: manager_ref(dir, i),
                lifecycle_state: Some(LifecycleState {
                    state_name: Some(i.lifecycle.clone()),
                    manually_updated: Some(false),
                }),
            }
        })))
    })
}

pub(crate) async fn list_public_identities(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Response {
    let op = &operations::LIST_PUBLIC_IDENTITIES;
    let max = limits::LIST_PUBLIC_IDENTITIES_LIMIT_MAXIMUM;
    let accepts = (op, &["filters", "sorters", "add-core-filters"][..], max);
    lookup(&shared, &uri, accepts, |query, store| {
        let dir = &store.directory;
        Ok(query.page(identities(dir, query).map(|i| PublicIdentity {
            id: Some(i.id.clone()),
            name: Some(i.name.clone()),
            alias: Some(i.alias.clone()),
            email: Some(i.email.clone()),
            status: Some(i.lifecycle.clone()),
            manager: manager_ref(dir, i),
        })))
    })
}

fn items_of<'a>(
    dir: &'a Directory,
    query: &'a Query,
    kinds: &'a [AccessItemType],
) -> impl Iterator<Item = &'a CatalogueItem> + 'a {
    dir.items()
        .iter()
        .filter(move |i| kinds.contains(&i.kind))
        .filter(move |i| query.keeps(&|f| item_field(dir, i, f)))
}

/// The catalogue look-ups (roles, access profiles, entitlements): the items
/// of `kind` that the filter keeps, each answered as `wire` makes it; each
/// takes one parameter of its own beside `filters` and `sorters`.
fn list_catalogue<T: Serialize>(
    shared: &Shared,
    uri: &Uri,
    (op, own_param, max_limit): (&'static Operation, &str, i64),
    kind: AccessItemType,
    wire: impl Fn(&Directory, &CatalogueItem) -> T,
) -> Response {
    let allowed = ["filters", "sorters", own_param];
    lookup(shared, uri, (op, &allowed, max_limit), |query, store| {
        let dir = &store.directory;
        let kinds = [kind];
        Ok(query.page(items_of(dir, query, &kinds).map(|i| wire(dir, i))))
    })
}

pub(crate) async fn list_entitlements(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let op = &operations::LIST_ENTITLEMENTS;
    let max = limits::LIST_ENTITLEMENTS_LIMIT_MAXIMUM;
    let kind = AccessItemType::Entitlement;
    list_catalogue(
        &shared,
        &uri,
        (op, "segmented-for-identity", max),
        kind,
        |dir, i| Entitlement {
            id: Some(i.id.clone()),
            name: Some(i.name.clone()),
            attribute: Some("memberOf".to_owned()),
            value: Some(format!("CN={},OU={}", i.name, i.source)),
            description: None,
            requestable: Some(i.requestable),
            source: source_ref(dir, &i.source),
        },
    )
}

pub(crate) async fn list_roles(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let op = &operations::LIST_ROLES;
    let max = limits::LIST_ROLES_LIMIT_MAXIMUM;
    let kind = AccessItemType::Role;
    list_catalogue(&shared, &uri, (op, "for-subadmin", max), kind, |_, i| {
        Role {
            id: Some(i.id.clone()),
            name: Some(i.name.clone()),
            description: None,
            enabled: Some(true),
            requestable: Some(i.requestable),
        }
    })
}

pub(crate) async fn list_access_profiles(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let op = &operations::LIST_ACCESS_PROFILES;
    let max = limits::LIST_ACCESS_PROFILES_LIMIT_MAXIMUM;
    let kind = AccessItemType::AccessProfile;
    list_catalogue(&shared, &uri, (op, "for-subadmin", max), kind, |dir, i| {
        AccessProfile {
            id: Some(i.id.clone()),
            name: Some(i.name.clone()),
            description: None,
            enabled: Some(true),
            requestable: Some(i.requestable),
            source: source_ref(dir, &i.source),
        }
    })
}

/// `me` is the caller; any other value is taken as an identity id.
fn identity_param(value: &str) -> &str {
    if value == "me" {
        CALLER_IDENTITY_ID
    } else {
        value
    }
}

/// A comma list given for `param`, each entry one of `known`'s wire names
/// (two or more); anything else is a 400 naming the value and the choices.
fn parse_list<T: Clone>(raw: &str, param: &str, known: &[(&str, T)]) -> Result<Vec<T>, ApiError> {
    let names: Vec<&str> = known.iter().map(|(name, _)| *name).collect();
    let (last, rest) = names.split_last().expect("a list takes some values");
    raw.split(',')
        .map(|entry| {
            let entry = entry.trim();
            let found = known.iter().find(|(name, _)| *name == entry);
            found.map(|(_, value)| value.clone()).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid value '{entry}' for {param}: expected {} or {last}.",
                    rest.join(", ")
                ))
            })
        })
        .collect()
}

pub(crate) async fn list_requestable_objects(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Response {
    let op = &operations::LIST_REQUESTABLE_OBJECTS;
    let max = limits::LIST_REQUESTABLE_OBJECTS_LIMIT_MAXIMUM;
    let allowed = [
        "identity-id",
        "types",
        "term",
        "statuses",
        "filters",
        "sorters",
    ];
    lookup(&shared, &uri, (op, &allowed, max), |query, store| {
        let kinds = parse_list(
            query.get("types").unwrap_or("ROLE,ACCESS_PROFILE"),
            "types",
            &[
                ("ROLE", AccessItemType::Role),
                ("ACCESS_PROFILE", AccessItemType::AccessProfile),
            ],
        )?;
        let identity = query.get("identity-id").map(identity_param);
        let mut statuses = Vec::new();
        if let Some(raw) = query.get("statuses") {
            if identity.is_none() {
                return Err(ApiError::bad_request(
                    "statuses can only be given with identity-id.",
                ));
            }
            statuses = parse_list(
                raw,
                "statuses",
                &[
                    ("AVAILABLE", RequestableObjectStatus::Available),
                    ("ASSIGNED", RequestableObjectStatus::Assigned),
                    ("PENDING", RequestableObjectStatus::Pending),
                ],
            )?;
        }
        let dir = &store.directory;
        let held = identity
            .map(|who| dir.held_by(store.all(), who))
            .unwrap_or_default();
        let term = query.get("term").map(str::to_ascii_lowercase);
        let status_of = |item: &CatalogueItem| -> (RequestableObjectStatus, Option<String>) {
            let Some(who) = identity else {
                return (RequestableObjectStatus::Available, None);
            };
            if held.iter().any(|(k, id)| *k == item.kind && *id == item.id) {
                return (RequestableObjectStatus::Assigned, None);
            }
            match store.open_duplicate(who, &AccessRequestType::GrantAccess, &item.kind, &item.id) {
                Some(request) => (RequestableObjectStatus::Pending, Some(request.to_owned())),
                None => (RequestableObjectStatus::Available, None),
            }
        };
        // `term` replaces `filters`, as documented.
        let matching = dir
            .items()
            .iter()
            .filter(|i| kinds.contains(&i.kind) && i.requestable)
            .filter(|i| match &term {
                Some(term) => i.name.to_ascii_lowercase().contains(term.as_str()),
                None => query.keeps(&|f| item_field(dir, i, f)),
            })
            .map(|i| (i, status_of(i)))
            .filter(|(_, (status, _))| statuses.is_empty() || statuses.contains(status));
        Ok(
            query.page(matching.map(|(i, (status, request))| RequestableObject {
                id: Some(i.id.clone()),
                name: Some(i.name.clone()),
                description: None,
                type_: Some(if i.kind == AccessItemType::Role {
                    RequestableObjectType::Role
                } else {
                    RequestableObjectType::AccessProfile
                }),
                request_status: Some(status),
                identity_request_id: request,
                request_comments_required: Some(false),
            })),
        )
    })
}

pub(crate) async fn list_identity_entitlements(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let op = &operations::LIST_IDENTITY_ENTITLEMENTS;
    let max = limits::LIST_IDENTITY_ENTITLEMENTS_LIMIT_MAXIMUM;
    lookup(&shared, &uri, (op, &[], max), |query, store| {
        let dir = &store.directory;
        if dir.identity(&id).is_none() {
            return Err(ApiError::not_found(format!(
                "Identity '{id}' was not found."
            )));
        }
        let held = dir.entitlements_of(store.all(), &id);
        Ok(query.page(held.into_iter().map(|e| IdentityEntitlement {
            object_ref: Some(TaggedObjectRef {
                type_: Some(DtoType::Entitlement),
                id: Some(e.id.clone()),
                name: Some(e.name.clone()),
            }),
            tags: Vec::new(),
            ..IdentityEntitlement::default()
        })))
    })
}
