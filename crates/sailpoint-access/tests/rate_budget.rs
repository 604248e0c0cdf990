//! Rate budgets shared by several clients of one client id (each client
//! stands for a process: it has its own pacer): a file-locked directory
//! and, with the `redis` feature, a real `redis-server` on loopback.
//!
//! Without `redis-server` on PATH the Redis tests say so and return, unless
//! `CI` or `SAIL_TEST_REQUIRE_REDIS` is set (`.ci/run` sets the latter),
//! where they fail.
//!
//! Alone in its binary: its rates and its "no 429" are measured against
//! the clock, so no other test's load should slow its clients.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::future::join_all;
use sailpoint_access::{
    BudgetKey, Client, ErrorKind, Family, FileBudget, RateBudget, RateBudgetSpec, RateLimit,
    RetryPolicy,
};
use sailpoint_access_sandbox::{RateLimitFault, Sandbox, SandboxHandle};

/// The sandbox's limit and the clients' belief, unless a test says otherwise.
const REQUESTS: u32 = 20;
const WINDOW: Duration = Duration::from_secs(1);

fn limit() -> RateLimit {
    RateLimit::new(REQUESTS, WINDOW)
}

async fn sandbox(limit: RateLimitFault) -> SandboxHandle {
    Sandbox::builder()
        .rate_limit(limit)
        .start()
        .await
        .expect("sandbox starts")
}

fn client(sandbox: &SandboxHandle, believed: RateLimit, budget: RateBudgetSpec) -> Client {
    sandbox
        .client_builder()
        .rate_limit(Some(believed))
        .rate_budget(budget)
        // A 429 surfaces as an error, to be counted.
        .retry(RetryPolicy::disabled())
        .total_timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sail-rate-budget-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What several clients achieved together.
#[derive(Debug)]
struct Together {
    ok: usize,
    limited: usize,
    other: Vec<String>,
    /// Successful requests per second ÷ the allowed rate.
    ratio: f64,
}

/// `clients` each make `per_client` calls as fast as their pacer lets them.
async fn run_together(clients: &[Client], per_client: usize) -> Together {
    let started = Instant::now();
    let runs = clients.iter().map(|client| async move {
        let mut outcomes = Vec::new();
        for _ in 0..per_client {
            outcomes.push(client.access_request_config().get().await.map(|_| ()));
        }
        outcomes
    });
    let outcomes: Vec<_> = join_all(runs).await.into_iter().flatten().collect();
    let elapsed = started.elapsed().as_secs_f64();
    let ok = outcomes.iter().filter(|r| r.is_ok()).count();
    let limited = outcomes
        .iter()
        .filter(|r| matches!(r, Err(e) if e.kind() == ErrorKind::RateLimited))
        .count();
    let other = outcomes
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| e.kind() != ErrorKind::RateLimited)
        .map(|e| e.to_string())
        .collect();
    // The first request goes at once; the others are spaced: n requests
    // span n - 1 intervals.
    let allowed = f64::from(REQUESTS) / WINDOW.as_secs_f64();
    let ratio = (ok.saturating_sub(1)) as f64 / elapsed / allowed;
    Together {
        ok,
        limited,
        other,
        ratio,
    }
}

/// Four clients of one client id sharing `budget` reach ≥ 95% of the
/// allowed rate with no 429.
async fn four_sharers_stay_under_the_limit(budget: RateBudgetSpec) {
    let sandbox = sandbox(RateLimitFault::new(REQUESTS, WINDOW)).await;
    let clients: Vec<Client> = (0..4)
        .map(|_| client(&sandbox, limit(), budget.clone()))
        .collect();
    let together = run_together(&clients, 15).await;
    println!("FIGURES shared budget {budget:?}: {together:?}");
    assert!(together.other.is_empty(), "{:?}", together.other);
    assert_eq!(together.limited, 0, "{together:?}");
    assert_eq!(together.ok, 60);
    assert!(together.ratio >= 0.95, "{together:?}");
    assert!(together.ratio <= 1.05, "faster than allowed: {together:?}");
}

#[tokio::test]
async fn four_clients_sharing_a_file_budget_get_no_429_and_reach_the_rate() {
    let dir = TempDir::new("four");
    four_sharers_stay_under_the_limit(RateBudgetSpec::File(dir.0.clone())).await;
}

#[tokio::test]
async fn four_clients_pacing_alone_get_429s() {
    // The baseline the shared budgets fix: each client keeps to the limit
    // on its own, so together they send four times too much.
    let sandbox = sandbox(RateLimitFault::new(REQUESTS, WINDOW)).await;
    let clients: Vec<Client> = (0..4)
        .map(|_| client(&sandbox, limit(), RateBudgetSpec::InProcess))
        .collect();
    let together = run_together(&clients, 10).await;
    println!("FIGURES in-process budgets: {together:?}");
    assert!(together.limited > 0, "{together:?}");
}

/// A 429 answered to one sharer pauses the other too.
async fn a_429_seen_by_one_sharer_slows_the_other(budget: RateBudgetSpec) -> Duration {
    // 3 requests per 2 s, while the clients believe 100 per second.
    let sandbox = sandbox(RateLimitFault::new(3, Duration::from_secs(2))).await;
    let believed = RateLimit::new(100, Duration::from_secs(1));
    let first = client(&sandbox, believed, budget.clone());
    let second = client(&sandbox, believed, budget);
    let mut limited = None;
    for _ in 0..4 {
        if let Err(e) = first.access_request_config().get().await {
            assert_eq!(e.kind(), ErrorKind::RateLimited, "{e}");
            limited = Some(Instant::now());
            break;
        }
    }
    let limited = limited.expect("the fourth request is answered 429");
    // The other client was told nothing directly: it waits out the pause.
    second
        .access_request_config()
        .get()
        .await
        .expect("sent after the pause");
    limited.elapsed()
}

#[tokio::test]
async fn a_429_seen_through_a_file_budget_pauses_every_sharer() {
    let dir = TempDir::new("pause");
    let waited =
        a_429_seen_by_one_sharer_slows_the_other(RateBudgetSpec::File(dir.0.clone())).await;
    // Retry-After is the rest of the 2 s window, in whole seconds (≥ 1 s).
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
}

/// A tenant that allows half of what the clients believe: one 429 (nothing
/// else is in flight here) teaches every sharer the real limit, and the
/// rest goes through at ≥ 90% of it, no faster than allowed.
async fn a_tenant_at_half_the_believed_limit_costs_one_429(budget: RateBudgetSpec, sharers: usize) {
    let real = REQUESTS / 2;
    let sandbox = sandbox(RateLimitFault::new(real, WINDOW)).await;
    let clients: Vec<Client> = (0..sharers)
        .map(|_| client(&sandbox, limit(), budget.clone()))
        .collect();
    let per_client = 40 / sharers;
    let runs = clients.iter().map(|client| async move {
        let mut outcomes = Vec::new();
        for _ in 0..per_client {
            let result = client.access_request_config().get().await;
            outcomes.push((Instant::now(), result.map(|_| ()).map_err(|e| e.kind())));
        }
        outcomes
    });
    let mut outcomes: Vec<_> = join_all(runs).await.into_iter().flatten().collect();
    outcomes.sort_by_key(|(t, _)| *t);
    let limited: Vec<Instant> = outcomes
        .iter()
        .filter(|(_, r)| *r == Err(ErrorKind::RateLimited))
        .map(|(t, _)| *t)
        .collect();
    assert!(
        outcomes
            .iter()
            .all(|(_, r)| r.is_ok() || *r == Err(ErrorKind::RateLimited)),
        "{outcomes:?}"
    );
    assert_eq!(limited.len(), 1, "{budget:?}: {limited:?}");
    // Settled: the successes after the 429's pause, n of them spanning
    // n - 1 intervals.
    let settled: Vec<Instant> = outcomes
        .iter()
        .filter(|(t, r)| r.is_ok() && *t > limited[0])
        .map(|(t, _)| *t)
        .collect();
    assert!(settled.len() >= 20, "{}", settled.len());
    let span = settled[settled.len() - 1] - settled[0];
    let ratio = (settled.len() - 1) as f64 / span.as_secs_f64() / f64::from(real);
    println!("FIGURES half the believed limit, {budget:?} x{sharers}: 429s {}, settled rate ÷ real limit {ratio:.3}", limited.len());
    assert!(ratio >= 0.90, "{budget:?}: {ratio}");
    assert!(
        ratio <= 1.0,
        "{budget:?}: faster than the tenant allows: {ratio}"
    );
}

#[tokio::test]
async fn one_client_learns_half_the_believed_limit_from_one_429() {
    a_tenant_at_half_the_believed_limit_costs_one_429(RateBudgetSpec::InProcess, 1).await;
}

#[tokio::test]
async fn four_file_sharers_learn_half_the_believed_limit_from_one_429() {
    let dir = TempDir::new("half");
    a_tenant_at_half_the_believed_limit_costs_one_429(RateBudgetSpec::File(dir.0.clone()), 4).await;
}

fn key(client: &str) -> BudgetKey {
    BudgetKey {
        host: "acme.api.identitynow.com".to_owned(),
        client_id: client.to_owned(),
        family: Family::V3,
    }
}

/// Ten slots of one client id reach a second ahead, while another client
/// id starts at once.
async fn client_ids_have_their_own_schedule(budget: &dyn RateBudget) {
    let limit = RateLimit::new(10, Duration::from_secs(1));
    let mut last = Duration::ZERO;
    for _ in 0..10 {
        last = budget.take(&key("jobs"), limit).await.unwrap();
    }
    assert!(last >= Duration::from_millis(850), "{last:?}");
    assert!(budget.take(&key("reports"), limit).await.unwrap() < Duration::from_millis(20));
}

#[tokio::test]
async fn distinct_client_ids_do_not_share_a_budget() {
    let dir = TempDir::new("ids");
    let budget = FileBudget::new(&dir.0);
    client_ids_have_their_own_schedule(&budget).await;
    let limit = RateLimit::new(10, Duration::from_secs(1));
    // The other family has its own schedule too.
    let versioned = BudgetKey {
        family: Family::Versioned,
        ..key("jobs")
    };
    assert!(budget.take(&versioned, limit).await.unwrap() < Duration::from_millis(20));
    // A 429 of one client id pauses only that one.
    budget
        .throttled(&key("reports"), limit, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(budget.take(&key("reports"), limit).await.unwrap() >= Duration::from_secs(4));
    assert!(budget.take(&key("other"), limit).await.unwrap() < Duration::from_millis(20));
}

#[tokio::test]
async fn a_budget_is_refused_with_a_clear_error_before_anything_is_sent() {
    let err = "memcached://h:1".parse::<RateBudgetSpec>().unwrap_err();
    assert!(err.contains("file:") && err.contains("redis://"), "{err}");
    let env = std::collections::HashMap::from([
        (
            "SAIL_BASE_URL".to_owned(),
            "https://acme.api.identitynow.com".to_owned(),
        ),
        ("SAIL_CLIENT_ID".to_owned(), "id".to_owned()),
        ("SAIL_CLIENT_SECRET".to_owned(), "secret".to_owned()),
        ("SAIL_RATE_BUDGET".to_owned(), "nowhere".to_owned()),
    ]);
    let err =
        sailpoint_access::ClientBuilder::from_env_map(&env, std::path::Path::new(".")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(err.to_string().contains("SAIL_RATE_BUDGET"), "{err}");
}

#[cfg(feature = "redis")]
mod redis_budget {
    use std::net::{Ipv4Addr, TcpListener, TcpStream};
    use std::process::{Child, Command, Stdio};

    use super::*;

    /// A `redis-server` on a free loopback port, with nothing persisted;
    /// stopped by its pid on drop.
    pub(super) struct RedisServer {
        child: Child,
        pub port: u16,
    }

    impl RedisServer {
        /// `None` (after saying so) when `redis-server` is not installed and
        /// `CI` is not set; under CI its absence is a failure.
        pub fn start() -> Option<Self> {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string()])
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(e)
                    if std::env::var_os("CI").is_none()
                        && std::env::var_os("SAIL_TEST_REQUIRE_REDIS").is_none() =>
                {
                    eprintln!("SKIPPED: redis-server cannot be started ({e}); install it to run the Redis budget tests");
                    return None;
                }
                Err(e) => panic!("redis-server is required here (CI or SAIL_TEST_REQUIRE_REDIS is set) but cannot be started: {e}"),
            };
            let server = Self { child, port };
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "redis-server did not listen on {port}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Some(server)
        }

        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}/0", self.port)
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[tokio::test]
    async fn four_clients_sharing_a_redis_budget_get_no_429_and_reach_the_rate() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        four_sharers_stay_under_the_limit(RateBudgetSpec::Redis(redis.url())).await;
    }

    #[tokio::test]
    async fn a_429_seen_through_redis_pauses_every_sharer() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let waited =
            a_429_seen_by_one_sharer_slows_the_other(RateBudgetSpec::Redis(redis.url())).await;
        assert!(waited >= Duration::from_millis(900), "{waited:?}");
    }

    #[tokio::test]
    async fn four_redis_sharers_learn_half_the_believed_limit_from_one_429() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        a_tenant_at_half_the_believed_limit_costs_one_429(RateBudgetSpec::Redis(redis.url()), 4)
            .await;
    }

    #[tokio::test]
    async fn redis_keys_are_per_client_id() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let budget = sailpoint_access::RedisBudget::new(&redis.url()).unwrap();
        client_ids_have_their_own_schedule(&budget).await;
    }

    #[tokio::test]
    async fn an_unreachable_redis_fails_the_call_unsent_within_the_bound() {
        // A port nobody listens on: taken, then released.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let sandbox = sandbox(RateLimitFault::new(REQUESTS, WINDOW)).await;
        let url = format!("redis://:hunter2@127.0.0.1:{port}/0");
        let client = client(&sandbox, limit(), RateBudgetSpec::Redis(url));
        let started = Instant::now();
        let err = client.access_request_config().get().await.unwrap_err();
        let took = started.elapsed();
        let text = err.to_string();
        assert_eq!(err.kind(), ErrorKind::Configuration, "{text}");
        assert!(err.before_send(), "{text}");
        assert!(
            text.contains(&format!("redis://127.0.0.1:{port}/0")),
            "{text}"
        );
        assert!(!text.contains("hunter2") && !format!("{err:?}").contains("hunter2"));
        assert!(
            took <= sailpoint_access::BUDGET_BACKEND_TIMEOUT + Duration::from_secs(1),
            "{took:?}"
        );
        assert_eq!(
            sandbox.requests_received(sailpoint_access_sandbox::Operation::GetAccessRequestConfig),
            0
        );
    }
}
