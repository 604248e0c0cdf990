//! Fault injection knobs and the seeded decisions they drive.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use crate::rng::SplitMix64;

/// An operation the sandbox serves, for counters and for scoping faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `POST /oauth/token`.
    Token,
    /// `POST /v3/access-requests`.
    CreateAccessRequest,
    /// `POST /v3/access-requests/cancel`.
    CancelAccessRequest,
    /// `GET /v3/access-request-config`.
    GetAccessRequestConfig,
    /// `PUT /v3/access-request-config`.
    SetAccessRequestConfig,
    /// `GET /v3/access-request-status`.
    ListAccessRequestStatus,
}

impl Operation {
    /// Every operation, the token endpoint first.
    pub const ALL: [Operation; 6] = [
        Operation::Token,
        Operation::CreateAccessRequest,
        Operation::CancelAccessRequest,
        Operation::GetAccessRequestConfig,
        Operation::SetAccessRequestConfig,
        Operation::ListAccessRequestStatus,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The operation id as the spec names it (`createAccessRequest`, ...), or
    /// `token` for the token endpoint.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Token => "token",
            Operation::CreateAccessRequest => "createAccessRequest",
            Operation::CancelAccessRequest => "cancelAccessRequest",
            Operation::GetAccessRequestConfig => "getAccessRequestConfig",
            Operation::SetAccessRequestConfig => "setAccessRequestConfig",
            Operation::ListAccessRequestStatus => "listAccessRequestStatus",
        }
    }

    /// The operation a method and path address, if any.
    pub(crate) fn route(method: &axum::http::Method, path: &str) -> Option<Operation> {
        use axum::http::Method;
        let path = path.strip_suffix('/').unwrap_or(path);
        match (method, path) {
            (&Method::POST, "/oauth/token") => Some(Operation::Token),
            (&Method::POST, "/v3/access-requests") => Some(Operation::CreateAccessRequest),
            (&Method::POST, "/v3/access-requests/cancel") => Some(Operation::CancelAccessRequest),
            (&Method::GET, "/v3/access-request-config") => Some(Operation::GetAccessRequestConfig),
            (&Method::PUT, "/v3/access-request-config") => Some(Operation::SetAccessRequestConfig),
            (&Method::GET, "/v3/access-request-status") => Some(Operation::ListAccessRequestStatus),
            _ => None,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Operation`]s a fault applies to.
///
/// ```
/// use sailpoint_access_sandbox::{Operation, Operations};
///
/// let ops = Operations::only(Operation::CreateAccessRequest).with(Operation::CancelAccessRequest);
/// assert!(ops.contains(Operation::CancelAccessRequest));
/// assert!(!ops.contains(Operation::Token));
/// assert!(Operations::API.contains(Operation::ListAccessRequestStatus));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operations(u8);

impl Operations {
    /// No operation.
    pub const NONE: Operations = Operations(0);
    /// The five API operations, not the token endpoint (the default scope of
    /// every fault, so that tests can always obtain a token).
    pub const API: Operations = Operations(0b11_1110);
    /// Every operation, the token endpoint included.
    pub const ALL: Operations = Operations(0b11_1111);

    /// Just `op`.
    pub const fn only(op: Operation) -> Operations {
        Operations(1 << op as u8)
    }

    /// This set plus `op`.
    pub const fn with(self, op: Operation) -> Operations {
        Operations(self.0 | (1 << op as u8))
    }

    /// Whether `op` is in the set.
    pub const fn contains(self, op: Operation) -> bool {
        self.0 & (1 << op as u8) != 0
    }
}

impl Default for Operations {
    fn default() -> Self {
        Operations::API
    }
}

impl From<Operation> for Operations {
    fn from(op: Operation) -> Self {
        Operations::only(op)
    }
}

impl FromIterator<Operation> for Operations {
    fn from_iter<I: IntoIterator<Item = Operation>>(iter: I) -> Self {
        iter.into_iter().fold(Operations::NONE, Operations::with)
    }
}

impl fmt::Debug for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(Operation::ALL.iter().filter(|op| self.contains(**op)))
            .finish()
    }
}

/// 429 `Rate Limit Exceeded` with `Retry-After` once a caller (keyed by its
/// `Authorization` header) has made `max_requests` in the current fixed window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub max_requests: u32,
    /// Window length.
    pub window: Duration,
    /// Operations counted and limited.
    pub operations: Operations,
}

impl RateLimit {
    /// `max_requests` per `window` on the API operations.
    pub fn new(max_requests: u32, window: Duration) -> Self {
        Self {
            max_requests,
            window,
            operations: Operations::API,
        }
    }

    /// The vendor's documented limit: 100 requests per token per 10 seconds.
    pub fn vendor_default() -> Self {
        Self::new(100, Duration::from_secs(10))
    }

    /// The same limit on other operations.
    pub fn on(mut self, operations: Operations) -> Self {
        self.operations = operations;
        self
    }
}

/// A share of requests answered 500, 502 or 503 (chosen at random) instead of
/// being processed.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerErrors {
    /// Probability in `0.0..=1.0`.
    pub ratio: f64,
    /// Operations affected.
    pub operations: Operations,
}

impl ServerErrors {
    /// `ratio` of API requests fail.
    pub fn new(ratio: f64) -> Self {
        Self {
            ratio,
            operations: Operations::API,
        }
    }

    /// The same ratio on other operations.
    pub fn on(mut self, operations: Operations) -> Self {
        self.operations = operations;
        self
    }
}

/// A delay added before every response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latency {
    /// The delay.
    pub delay: Duration,
    /// Operations affected.
    pub operations: Operations,
}

impl Latency {
    /// `delay` on every API response.
    pub fn new(delay: Duration) -> Self {
        Self {
            delay,
            operations: Operations::API,
        }
    }

    /// The same delay on other operations.
    pub fn on(mut self, operations: Operations) -> Self {
        self.operations = operations;
        self
    }
}

/// A share of requests that are read and then not answered: never (`duration`
/// `None`, the connection stays open until the client gives up), or only after
/// `duration`, when they are processed normally.
#[derive(Clone, Debug, PartialEq)]
pub struct Stall {
    /// Probability in `0.0..=1.0`.
    pub ratio: f64,
    /// How long to hold the request; `None` holds it forever.
    pub duration: Option<Duration>,
    /// Operations affected.
    pub operations: Operations,
}

impl Stall {
    /// `ratio` of API requests are never answered.
    pub fn forever(ratio: f64) -> Self {
        Self {
            ratio,
            duration: None,
            operations: Operations::API,
        }
    }

    /// `ratio` of API requests are answered only after `duration`.
    pub fn for_duration(ratio: f64, duration: Duration) -> Self {
        Self {
            duration: Some(duration),
            ..Self::forever(ratio)
        }
    }

    /// The same stall on other operations.
    pub fn on(mut self, operations: Operations) -> Self {
        self.operations = operations;
        self
    }
}

/// A share of requests whose TCP connection is closed after the request was
/// read, without any response: the client sees a connection error.
///
/// By default the request is not processed. With
/// [`after_processing`](Self::after_processing) it is processed first (a
/// create records its statuses and counts as accepted) and only the response
/// is lost: the ambiguous failure that makes blind retries create duplicates.
#[derive(Clone, Debug, PartialEq)]
pub struct DropConnections {
    /// Probability in `0.0..=1.0`.
    pub ratio: f64,
    /// Whether the request is processed before the connection is dropped.
    pub after_processing: bool,
    /// Operations affected.
    pub operations: Operations,
}

impl DropConnections {
    /// `ratio` of API requests lose their connection, unprocessed.
    pub fn new(ratio: f64) -> Self {
        Self {
            ratio,
            after_processing: false,
            operations: Operations::API,
        }
    }

    /// Processes the request before dropping the connection.
    pub fn after_processing(mut self) -> Self {
        self.after_processing = true;
        self
    }

    /// The same ratio on other operations.
    pub fn on(mut self, operations: Operations) -> Self {
        self.operations = operations;
        self
    }
}

/// Every fault knob; the default injects nothing.
///
/// Decisions are drawn from a PRNG seeded by the sandbox seed, in the order
/// requests arrive, so a sequential test sees the same faults on every run.
/// For each request they are taken in this order: dropped connection, stall,
/// rate limit, server error; latency applies to whatever response follows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    /// 429 after N requests per window.
    pub rate_limit: Option<RateLimit>,
    /// Injected 5xx.
    pub server_errors: Option<ServerErrors>,
    /// Added latency.
    pub latency: Option<Latency>,
    /// Stalled responses.
    pub stall: Option<Stall>,
    /// Dropped connections.
    pub drop_connections: Option<DropConnections>,
}

/// What the fault layer does with one request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Proceed,
    Drop { after_processing: bool },
    Stall(Option<Duration>),
    RateLimited { retry_after_secs: u64 },
    ServerError(u16),
}

pub(crate) struct FaultState {
    pub(crate) config: FaultConfig,
    rng: SplitMix64,
    // Fixed windows per caller key: (window start, requests in it).
    windows: HashMap<String, (Instant, u32)>,
}

impl FaultState {
    pub(crate) fn new(config: FaultConfig, seed: u64) -> Self {
        Self {
            config,
            rng: SplitMix64::new(seed ^ 0xFA17_FA17_FA17_FA17),
            windows: HashMap::new(),
        }
    }

    /// Replaces the knobs; rate windows restart so a new limit starts clean.
    pub(crate) fn set_config(&mut self, config: FaultConfig) {
        self.config = config;
        self.windows.clear();
    }

    /// Decides the fate of one request and the latency to add to it.
    pub(crate) fn decide(&mut self, op: Operation, key: &str, now: Instant) -> (Action, Duration) {
        let latency = match &self.config.latency {
            Some(l) if l.operations.contains(op) => l.delay,
            _ => Duration::ZERO,
        };
        if let Some(d) = &self.config.drop_connections {
            if d.operations.contains(op) && self.rng.chance(d.ratio) {
                return (
                    Action::Drop {
                        after_processing: d.after_processing,
                    },
                    latency,
                );
            }
        }
        if let Some(s) = &self.config.stall {
            if s.operations.contains(op) && self.rng.chance(s.ratio) {
                return (Action::Stall(s.duration), latency);
            }
        }
        if let Some(limit) = &self.config.rate_limit {
            if limit.operations.contains(op) {
                let entry = self.windows.entry(key.to_owned()).or_insert((now, 0));
                if now.duration_since(entry.0) >= limit.window {
                    *entry = (now, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                if entry.1 > limit.max_requests {
                    let left = limit.window.saturating_sub(now.duration_since(entry.0));
                    // Whole seconds, rounded up, never 0: clients that honour it must wait.
                    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                    return (
                        Action::RateLimited {
                            retry_after_secs: secs.max(1),
                        },
                        latency,
                    );
                }
            }
        }
        if let Some(e) = &self.config.server_errors {
            if e.operations.contains(op) && self.rng.chance(e.ratio) {
                let status = [500, 502, 503][self.rng.below(3) as usize];
                return (Action::ServerError(status), latency);
            }
        }
        (Action::Proceed, latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_counts_per_key_and_resets_per_window() {
        let mut state = FaultState::new(
            FaultConfig {
                rate_limit: Some(RateLimit::new(2, Duration::from_secs(10))),
                ..FaultConfig::default()
            },
            1,
        );
        let t0 = Instant::now();
        let op = Operation::ListAccessRequestStatus;
        assert_eq!(state.decide(op, "a", t0).0, Action::Proceed);
        assert_eq!(state.decide(op, "a", t0).0, Action::Proceed);
        assert_eq!(
            state.decide(op, "a", t0 + Duration::from_millis(1500)).0,
            Action::RateLimited {
                retry_after_secs: 9
            }
        );
        assert_eq!(state.decide(op, "b", t0).0, Action::Proceed);
        assert_eq!(state.decide(Operation::Token, "a", t0).0, Action::Proceed);
        assert_eq!(
            state.decide(op, "a", t0 + Duration::from_secs(10)).0,
            Action::Proceed
        );
    }

    #[test]
    fn server_errors_follow_the_ratio_and_the_seed() {
        let config = FaultConfig {
            server_errors: Some(ServerErrors::new(0.5)),
            ..FaultConfig::default()
        };
        let run = |seed| {
            let mut state = FaultState::new(config.clone(), seed);
            (0..1000)
                .map(|_| {
                    state
                        .decide(Operation::CreateAccessRequest, "", Instant::now())
                        .0
                })
                .collect::<Vec<_>>()
        };
        let a = run(3);
        assert_eq!(a, run(3));
        let failed = a.iter().filter(|x| **x != Action::Proceed).count();
        assert!((400..600).contains(&failed), "{failed}");
        for code in [500, 502, 503] {
            assert!(a.contains(&Action::ServerError(code)));
        }
    }
}
