//! The router, and the layer that counts requests, injects faults and checks
//! tokens before any handler runs. The top of the serving stack: it wires
//! the handlers to the routes the operation table describes.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::error::ApiError;
use crate::faults::Action;
use crate::handlers;
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
    }
}

/// The sandbox's routes behind the gate layer: one per operation, at the
/// path the operation table gives (operations sharing a path share a route).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Operation::ALL
        .into_iter()
        .fold(Router::new(), |router, op| {
            router.route(op.path(), endpoint(op))
        })
        .fallback(|| async { ApiError::not_found("No such resource.").into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// Counts the request, applies the fault knobs, then checks the bearer token
/// for API operations.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(op) = Operation::route(request.method().as_str(), request.uri().path()) else {
        return next.run(request).await;
    };
    shared.count(op);
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
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
                let _ = authorized(&shared, op, request, next).await;
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
    authorized(&shared, op, request, next).await
}

/// Runs the handler if the operation needs no token or the token is valid.
async fn authorized(shared: &Shared, op: Operation, request: Request, next: Next) -> Response {
    if op != Operation::Token {
        let checked = shared.tokens().check(request.headers(), Instant::now());
        if let Err(e) = checked {
            return e.into_response();
        }
    }
    next.run(request).await
}
