//! The router, and the layer that counts requests, injects faults and checks
//! tokens before any handler runs. The top of the serving stack: it wires
//! the handlers to the routes the operation table describes.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use sailpoint_access_api::Family;

use crate::approvals;
use crate::error::ApiError;
use crate::faults::Action;
use crate::handlers;
use crate::lookups as serve;
use crate::operation::Operation;
use crate::server::ConnectionKill;
use crate::shared::Shared;

/// The route of one operation: its method (from the operation table) and
/// its handler.
fn endpoint(op: Operation) -> MethodRouter<Arc<Shared>> {
    let method = Method::from_bytes(op.method().as_bytes())
        .ok()
        .and_then(|m| MethodFilter::try_from(m).ok())
        .unwrap_or_else(|| panic!("{op} has an unroutable method {}", op.method()));
    match op {
        Operation::Token => on(method, handlers::token),
        Operation::CreateAccessRequest => on(method, handlers::create),
        Operation::CancelAccessRequest => on(method, handlers::cancel),
        Operation::GetAccessRequestConfig => on(method, handlers::get_config),
        Operation::SetAccessRequestConfig => on(method, handlers::set_config),
        Operation::ListAccessRequestStatus => on(method, handlers::list_status),
        Operation::CreateAccessRequestV1 => on(method, handlers::create_v1),
        Operation::CancelAccessRequestV1 => on(method, handlers::cancel),
        Operation::CloseAccessRequests => on(method, handlers::close),
        Operation::BulkCancelAccessRequests => on(method, handlers::bulk_cancel),
        Operation::ListAccessRequestStatusV1 => on(method, handlers::list_status_v1),
        // One stored document behind the v3 and the v1 configuration.
        Operation::GetAccessRequestConfigV1 => on(method, handlers::get_config),
        Operation::SetAccessRequestConfigV1 => on(method, handlers::set_config),
        Operation::GetAccessRequestConfigV2 => on(method, handlers::get_config_v2),
        Operation::SetAccessRequestConfigV2 => on(method, handlers::set_config_v2),
        // look-ups (issue 21), served from the directory.
        Operation::ListRequestableObjects => on(method, serve::list_requestable_objects),
        Operation::ListIdentities => on(method, serve::list_identities),
        Operation::ListPublicIdentities => on(method, serve::list_public_identities),
        Operation::ListEntitlements => on(method, serve::list_entitlements),
        Operation::ListRoles => on(method, serve::list_roles),
        Operation::ListAccessProfiles => on(method, serve::list_access_profiles),
        Operation::ListIdentityEntitlements => on(method, serve::list_identity_entitlements),
        Operation::ListPendingApprovals => on(method, approvals::list_pending),
        Operation::ListCompletedApprovals => on(method, approvals::list_completed),
        Operation::ApproveApproval => on(method, approvals::approve),
        Operation::RejectApproval => on(method, approvals::reject),
        Operation::ForwardApproval => on(method, approvals::forward),
        Operation::GetApprovalSummary => on(method, approvals::summary),
        Operation::ListAccessRequestApprovers => on(method, approvals::approvers),
        Operation::BulkApproveApprovals => on(method, approvals::bulk_approve),
        Operation::ListAdministratorsAccessRequestStatus => {
            on(method, approvals::administrators_list)
        }
        Operation::LoadAccountsSelection => on(method, approvals::accounts_selection),
        Operation::GetRevocableObject => on(method, approvals::revocable_object),
    }
}

/// `path` as the router takes it: every `{name}` segment renamed by its
/// position, because the router refuses two routes that name the same
/// segment differently (`{approvalId}/approve`, `{accessRequestId}/approvers`);
/// handlers read their ids from the path itself.
fn route_path(path: &str) -> String {
    path.split('/')
        .enumerate()
        .map(|(i, segment)| {
            if segment.starts_with('{') && segment.ends_with('}') {
                format!("{{p{i}}}")
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// When the vendor deprecated the configuration operations of v3 and of the
/// versioned family's v1 (2026-02-26), as an HTTP date.
pub(crate) const DEPRECATED_ON: &str = "Thu, 26 Feb 2026 00:00:00 GMT";

/// When a deprecated operation stops being served: two years after its
/// deprecation for a per-resource version, and v3's announced switch-off
/// (first quarter of 2029) for v3.
const fn sunset(op: Operation) -> &'static str {
    match op.family() {
        Some(Family::V3) => "Mon, 01 Jan 2029 00:00:00 GMT",
        _ => "Sat, 26 Feb 2028 00:00:00 GMT",
    }
}

/// Adds the deprecation headers tenants send on every answer of an
/// operation the spec marks deprecated: `Deprecation` and `Sunset` (HTTP
/// dates), `Link` to the replacement with `rel="deprecation"`, and the
/// vendor's documented `X-Deprecated: true`.
fn announce_deprecation(op: Operation, response: &mut Response) {
    if !op.spec().is_some_and(|spec| spec.deprecated) {
        return;
    }
    // The replacement is the v2 document, whichever family was deprecated.
    let successor = Operation::GetAccessRequestConfigV2.path();
    let headers = response.headers_mut();
    headers.insert("Deprecation", HeaderValue::from_static(DEPRECATED_ON));
    headers.insert("Sunset", HeaderValue::from_static(sunset(op)));
    if let Ok(link) = HeaderValue::from_str(&format!("<{successor}>; rel=\"deprecation\"")) {
        headers.insert(header::LINK, link);
    }
    headers.insert("X-Deprecated", HeaderValue::from_static("true"));
}

/// The sandbox's routes behind the gate layer: one per operation, at the
/// path the operation table gives (operations sharing a path share a route).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Operation::ALL
        .into_iter()
        .fold(Router::new(), |router, op| {
            router.route(&route_path(op.path()), endpoint(op))
        })
        .fallback(|| async { ApiError::not_found("No such resource.").into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// Counts the request, applies the fault knobs, then checks the bearer token
/// for API operations; the answers of deprecated operations say so.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(op) = Operation::route(request.method().as_str(), request.uri().path()) else {
        return next.run(request).await;
    };
    let mut response = gated(&shared, op, request, next).await;
    announce_deprecation(op, &mut response);
    response
}

async fn gated(shared: &Arc<Shared>, op: Operation, request: Request, next: Next) -> Response {
    shared.count(op);
    // The rate limit counts per client id (and per family), as the vendor
    // has since March 2026, not per token: every token this sandbox issued
    // belongs to its one client id, so processes that each fetched their own
    // token share one budget. A token it never issued is its own caller.
    let key = if shared.tokens().issued_here(request.headers()) {
        format!("client:{}", shared.settings().client_id)
    } else {
        request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (action, latency) = shared.faults().decide(op, &key, Instant::now());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match action {
        Action::Proceed => {}
        Action::Drop { after_processing } => {
            let kill = request.extensions().get::<ConnectionKill>().cloned();
            if after_processing {
                // Process as usual (auth included), then lose the response.
                let _ = authorized(shared, op, request, next).await;
            } else {
                // Read the whole request first, so the close is a clean FIN
                // after the request rather than a reset in the middle of it.
                let _ = axum::body::to_bytes(request.into_body(), 4 << 20).await;
            }
            // The connection task drops the socket; this future is dropped
            // with it. Without a connection handle (a router served some
            // other way) it degrades to a stall.
            if let Some(kill) = kill {
                kill.fire();
            }
            return std::future::pending().await;
        }
        Action::Stall(None) => return std::future::pending().await,
        Action::Stall(Some(delay)) => tokio::time::sleep(delay).await,
        Action::RateLimited { retry_after_secs } => {
            return ApiError::rate_limited(retry_after_secs).into_response()
        }
        Action::ServerError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return ApiError::server(status).into_response();
        }
    }
    authorized(shared, op, request, next).await
}

/// Runs the handler if the operation needs no token or the token is valid.
async fn authorized(shared: &Shared, op: Operation, request: Request, next: Next) -> Response {
    if op != Operation::Token {
        let checked = shared.tokens().check(request.headers(), Instant::now());
        if let Err(e) = checked {
            return e.into_response();
        }
        shared.tick();
    }
    next.run(request).await
}
