//! Shared state, the router, and the layer that counts requests, injects
//! faults and checks tokens before any handler runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::auth::Tokens;
use crate::error::ApiError;
use crate::faults::{Action, FaultState, Operation};
use crate::handlers;
use crate::server::ConnectionKill;
use crate::state::Store;

/// Settings that can change while the sandbox runs.
pub(crate) struct Settings {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) token_lifetime: Duration,
}

/// Everything the handlers and the handle share.
pub(crate) struct Shared {
    store: RwLock<Store>,
    faults: Mutex<FaultState>,
    tokens: Mutex<Tokens>,
    settings: RwLock<Settings>,
    pub(crate) offset_quirk: AtomicBool,
    received: [AtomicU64; Operation::ALL.len()],
    pub(crate) accepted_creates: AtomicU64,
}

// A panic while a lock is held must not wedge the sandbox for the rest of a
// test run: poisoned locks are used as they are.
impl Shared {
    pub(crate) fn new(
        store: Store,
        faults: FaultState,
        tokens: Tokens,
        settings: Settings,
        offset_quirk: bool,
    ) -> Self {
        Self {
            store: RwLock::new(store),
            faults: Mutex::new(faults),
            tokens: Mutex::new(tokens),
            settings: RwLock::new(settings),
            offset_quirk: AtomicBool::new(offset_quirk),
            received: Default::default(),
            accepted_creates: AtomicU64::new(0),
        }
    }

    pub(crate) fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn store_mut(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn settings(&self) -> RwLockReadGuard<'_, Settings> {
        self.settings.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn settings_mut(&self) -> RwLockWriteGuard<'_, Settings> {
        self.settings
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn received(&self, op: Operation) -> u64 {
        self.received[op.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn reset_counters(&self) {
        for c in &self.received {
            c.store(0, Ordering::Relaxed);
        }
        self.accepted_creates.store(0, Ordering::Relaxed);
    }
}

/// The sandbox's routes behind the gate layer.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth/token", post(handlers::token))
        .route("/v3/access-requests", post(handlers::create))
        .route("/v3/access-requests/cancel", post(handlers::cancel))
        .route(
            "/v3/access-request-config",
            get(handlers::get_config).put(handlers::set_config),
        )
        .route("/v3/access-request-status", get(handlers::list_status))
        .fallback(|| async { ApiError::not_found("No such resource.").into_response() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed().into_response() })
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

/// Counts the request, applies the fault knobs, then checks the bearer token
/// for API operations.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(op) = Operation::route(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    shared.received[op.index()].fetch_add(1, Ordering::Relaxed);
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
            let status = axum::http::StatusCode::from_u16(code)
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
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
