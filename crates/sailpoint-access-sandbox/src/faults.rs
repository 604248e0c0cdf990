//! Fault injection knobs and the seeded decisions they drive.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sailpoint_access_api::{limits, Family};

use crate::operation::{Operation, Operations};
use crate::rng::SplitMix64;

/// 429 `Rate Limit Exceeded` with `Retry-After` once a caller (its client
/// id: every token the sandbox issued counts for it) has made `max_requests`
/// in the current fixed window
/// of one API family.
///
/// As on a tenant, where the limit is counted per client id and per API
/// version, each family ([`Operation::family`]) has a window of its own: a
/// caller that exhausted its v3 budget can still call the versioned family,
/// and the other way round. The token endpoint, outside both, has its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitFault {
    /// Requests allowed per window.
    pub max_requests: u32,
    /// Window length.
    pub window: Duration,
    /// Operations counted and limited.
    pub operations: Operations,
}

impl RateLimitFault {
    /// `max_requests` per `window` on the API operations.
    pub fn new(max_requests: u32, window: Duration) -> Self {
        Self {
            max_requests,
            window,
            operations: Operations::API,
        }
    }

    /// The vendor's documented limit, from the spec's `x-rate-limit`:
    /// [`limits::RATE_LIMIT_REQUESTS`] requests per client id per
    /// [`limits::RATE_LIMIT_WINDOW_SECONDS`] seconds.
    pub fn vendor_default() -> Self {
        Self::new(
            u32::try_from(limits::RATE_LIMIT_REQUESTS).unwrap_or(u32::MAX),
            Duration::from_secs(limits::RATE_LIMIT_WINDOW_SECONDS),
        )
    }

    setters! {
        /// The same limit on other operations.
        on(operations: Operations) => operations = operations;
    }
}

/// The statuses [`ServerErrors`] answers unless told otherwise.
pub const DEFAULT_SERVER_ERROR_STATUSES: [u16; 3] = [500, 502, 503];

/// A share of requests answered with a 5xx instead of being processed: by
/// default 500, 502 or 503, chosen at random; [`statuses`](Self::statuses)
/// or [`only`](Self::only) say which.
///
/// ```
/// use sailpoint_access_sandbox::{ServerErrors, DEFAULT_SERVER_ERROR_STATUSES};
///
/// assert_eq!(ServerErrors::new(0.5).statuses, DEFAULT_SERVER_ERROR_STATUSES);
/// // Every failure a 503, as a tenant under maintenance answers.
/// assert_eq!(ServerErrors::new(1.0).only(503).statuses, [503]);
/// assert_eq!(ServerErrors::new(1.0).statuses(&[502, 504]).statuses, [502, 504]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ServerErrors {
    /// Probability in `0.0..=1.0`.
    pub ratio: f64,
    /// Operations affected.
    pub operations: Operations,
    /// The statuses answered, one chosen at random (seeded) per failure. An
    /// empty list means the default mix; a number that is not an HTTP
    /// status is answered 500. Meant for 5xx: other codes are sent as
    /// given, in the server-error body.
    pub statuses: Vec<u16>,
}

impl ServerErrors {
    /// `ratio` of API requests fail with 500, 502 or 503.
    pub fn new(ratio: f64) -> Self {
        Self {
            ratio,
            operations: Operations::API,
            statuses: DEFAULT_SERVER_ERROR_STATUSES.to_vec(),
        }
    }

    /// Fails with these statuses (one at random per failure) instead of the
    /// default mix; an empty slice restores the default.
    pub fn statuses(mut self, statuses: &[u16]) -> Self {
        self.statuses = if statuses.is_empty() {
            DEFAULT_SERVER_ERROR_STATUSES.to_vec()
        } else {
            statuses.to_vec()
        };
        self
    }

    /// Fails always with `status`.
    pub fn only(self, status: u16) -> Self {
        self.statuses(&[status])
    }

    setters! {
        /// The same ratio on other operations.
        on(operations: Operations) => operations = operations;
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

    setters! {
        /// The same delay on other operations.
        on(operations: Operations) => operations = operations;
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

    setters! {
        /// The same stall on other operations.
        on(operations: Operations) => operations = operations;
    }
}

/// A share of requests whose TCP connection is closed after the request was
/// read, without any response: the client sees a connection error.
///
/// By default the request is not processed. With
/// [`after_processing`](Self::after_processing) it is processed first (a
/// create records its statuses and counts as accepted, a cancel cancels) and
/// only the response is lost: the ambiguous failure that makes blind retries
/// create duplicates, and that a replayed cancel must survive. With
/// [`times`](Self::times) only the first `n` selected requests are dropped,
/// so the replay that follows gets a real answer.
///
/// ```
/// use sailpoint_access_sandbox::{DropConnections, Operation, Operations};
///
/// // The next cancel is processed, then its connection is dropped; later
/// // cancels are answered normally.
/// let once = DropConnections::once_after_processing(Operation::CancelAccessRequest);
/// assert_eq!(
///     once,
///     DropConnections::new(1.0)
///         .after_processing()
///         .on(Operations::only(Operation::CancelAccessRequest))
///         .times(1)
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DropConnections {
    /// Probability in `0.0..=1.0`.
    pub ratio: f64,
    /// Whether the request is processed before the connection is dropped.
    pub after_processing: bool,
    /// Operations affected.
    pub operations: Operations,
    /// Most connections dropped (counted from when the knob is set);
    /// `None` keeps dropping.
    pub times: Option<u32>,
}

impl DropConnections {
    /// `ratio` of API requests lose their connection, unprocessed.
    pub fn new(ratio: f64) -> Self {
        Self {
            ratio,
            after_processing: false,
            operations: Operations::API,
            times: None,
        }
    }

    /// The next request of `op` is processed, then its connection is
    /// dropped; later ones are answered. The shape of a lost response to a
    /// request that took effect, such as a cancel whose replay is answered
    /// "cannot be cancelled: it is CANCELLED".
    pub fn once_after_processing(op: Operation) -> Self {
        Self::new(1.0).after_processing().on(op.into()).times(1)
    }

    /// Processes the request before dropping the connection.
    pub fn after_processing(mut self) -> Self {
        self.after_processing = true;
        self
    }

    setters! {
        /// The same ratio on other operations.
        on(operations: Operations) => operations = operations;
        /// Drops at most `n` connections, then lets every request through.
        times(n: u32) => times = Some(n);
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
    pub rate_limit: Option<RateLimitFault>,
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
    // Fixed windows per family and caller key: (window start, requests in it).
    windows: HashMap<(Option<Family>, String), (Instant, u32)>,
    // Connections dropped since the knobs were last set, for `times`.
    dropped: u32,
}

impl FaultState {
    pub(crate) fn new(config: FaultConfig, seed: u64) -> Self {
        Self {
            config,
            rng: SplitMix64::new(seed ^ 0xFA17_FA17_FA17_FA17),
            windows: HashMap::new(),
            dropped: 0,
        }
    }

    /// Replaces the knobs; rate windows and drop counts restart so new
    /// knobs start clean.
    pub(crate) fn set_config(&mut self, config: FaultConfig) {
        self.config = config;
        self.windows.clear();
        self.dropped = 0;
    }

    /// Decides the fate of one request and the latency to add to it.
    pub(crate) fn decide(&mut self, op: Operation, key: &str, now: Instant) -> (Action, Duration) {
        let latency = match &self.config.latency {
            Some(l) if l.operations.contains(op) => l.delay,
            _ => Duration::ZERO,
        };
        if let Some(d) = &self.config.drop_connections {
            let exhausted = d.times.is_some_and(|n| self.dropped >= n);
            if !exhausted && d.operations.contains(op) && self.rng.chance(d.ratio) {
                self.dropped = self.dropped.saturating_add(1);
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
                let entry = self
                    .windows
                    .entry((op.family(), key.to_owned()))
                    .or_insert((now, 0));
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
                let statuses: &[u16] = if e.statuses.is_empty() {
                    &DEFAULT_SERVER_ERROR_STATUSES
                } else {
                    &e.statuses
                };
                let status = statuses[self.rng.below(statuses.len() as u64) as usize];
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
    fn vendor_default_is_the_documented_limit() {
        let limit = RateLimitFault::vendor_default();
        assert_eq!(u64::from(limit.max_requests), limits::RATE_LIMIT_REQUESTS);
        assert_eq!(limit.window.as_secs(), limits::RATE_LIMIT_WINDOW_SECONDS);
        assert_eq!(limit.operations, Operations::API);
    }

    #[test]
    fn drops_stop_after_times_and_restart_with_new_knobs() {
        let knobs = FaultConfig {
            drop_connections: Some(DropConnections::once_after_processing(
                Operation::CancelAccessRequest,
            )),
            ..FaultConfig::default()
        };
        let mut state = FaultState::new(knobs.clone(), 4);
        let now = Instant::now();
        let create = Operation::CreateAccessRequest;
        let cancel = Operation::CancelAccessRequest;
        assert_eq!(state.decide(create, "", now).0, Action::Proceed);
        assert_eq!(
            state.decide(cancel, "", now).0,
            Action::Drop {
                after_processing: true
            }
        );
        assert_eq!(state.decide(cancel, "", now).0, Action::Proceed);
        assert_eq!(state.decide(cancel, "", now).0, Action::Proceed);
        state.set_config(knobs);
        assert_ne!(state.decide(cancel, "", now).0, Action::Proceed);
    }

    #[test]
    fn rate_limit_counts_per_key_and_resets_per_window() {
        let mut state = FaultState::new(
            FaultConfig {
                rate_limit: Some(RateLimitFault::new(2, Duration::from_secs(10))),
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
    fn rate_limit_windows_are_per_family() {
        let mut state = FaultState::new(
            FaultConfig {
                rate_limit: Some(
                    RateLimitFault::new(1, Duration::from_secs(10)).on(Operations::ALL),
                ),
                ..FaultConfig::default()
            },
            1,
        );
        let t0 = Instant::now();
        let v3 = Operation::ListAccessRequestStatus;
        let versioned = Operation::ListAccessRequestStatusV1;
        assert_eq!(state.decide(v3, "a", t0).0, Action::Proceed);
        assert!(matches!(
            state.decide(v3, "a", t0).0,
            Action::RateLimited { .. }
        ));
        // Another family, another budget; within a family every operation shares it.
        assert_eq!(state.decide(versioned, "a", t0).0, Action::Proceed);
        assert!(matches!(
            state.decide(Operation::CloseAccessRequests, "a", t0).0,
            Action::RateLimited { .. }
        ));
        assert_eq!(state.decide(Operation::Token, "a", t0).0, Action::Proceed);
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

    #[test]
    fn server_errors_answer_the_statuses_they_are_given() {
        let decide = |errors: ServerErrors| {
            let mut state = FaultState::new(
                FaultConfig {
                    server_errors: Some(errors),
                    ..FaultConfig::default()
                },
                9,
            );
            (0..200)
                .map(|_| {
                    match state
                        .decide(Operation::CreateAccessRequest, "", Instant::now())
                        .0
                    {
                        Action::ServerError(code) => code,
                        other => panic!("{other:?}"),
                    }
                })
                .collect::<Vec<_>>()
        };
        assert!(decide(ServerErrors::new(1.0).only(503))
            .iter()
            .all(|&c| c == 503));
        let two = decide(ServerErrors::new(1.0).statuses(&[502, 504]));
        assert!(two.iter().all(|&c| c == 502 || c == 504));
        assert!(two.contains(&502) && two.contains(&504));
        // An empty list, even set by hand, is the default mix.
        let mut empty = ServerErrors::new(1.0);
        empty.statuses.clear();
        let mixed = decide(empty);
        for code in DEFAULT_SERVER_ERROR_STATUSES {
            assert!(mixed.contains(&code));
        }
        assert_eq!(
            ServerErrors::new(1.0).statuses(&[]).statuses,
            DEFAULT_SERVER_ERROR_STATUSES
        );
    }
}
