//! The Redis budget, for a fleet: the same GCRA and self-correction as
//! [`SharedPace`](super::SharedPace), run atomically by a Lua script on a
//! plain Redis (no module), with the server's clock so that hosts whose
//! clocks differ still agree. Each key is a hash that expires when idle.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};

use super::{
    backend_error, redacted_url, wait_of, BudgetFuture, BudgetKey, RateBudget, BACKEND_TIMEOUT,
};
use crate::engine::pace::{
    RateLimit, CEILING_MARGIN, MIN_RATE, PROBE_AFTER_WINDOWS, PROBE_STEP, RECOVERY_STEP,
};
use crate::error::Result;

/// KEYS[1]: the key's hash. ARGV: operation (`take` or `throttle`), the
/// interval and the window in ms, the pause in ms, then the constants of
/// the self-correction (so that they have one source, the pacer's).
/// Answers the wait in microseconds (`take`) or 0.
const SCRIPT: &str = r#"
-- Before Redis 5, a script that read TIME could write only like this.
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local op = ARGV[1]
local interval = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local pause = tonumber(ARGV[4])
local min_rate = tonumber(ARGV[5])
local step = tonumber(ARGV[6])
local margin = tonumber(ARGV[7])
local probe_after = tonumber(ARGV[8])
local probe_step = tonumber(ARGV[9])
local h = redis.call('HMGET', KEYS[1], 'tat', 'rate', 'ceiling', 'since', 'paused')
local tat = tonumber(h[1]) or now
local rate = tonumber(h[2]) or 1.0
local ceiling = tonumber(h[3]) or 1.0
local since = tonumber(h[4]) or now
local paused = tonumber(h[5]) or 0
local answer = 0
if op == 'take' then
  if ceiling < 1.0 and now - since >= window * probe_after then
    ceiling = math.min(ceiling + probe_step, 1.0)
    since = now
  end
  local from = math.max(paused, now)
  local spacing = interval / rate
  local at = math.min(math.max(tat, from), from + math.max(window, spacing))
  tat = at + spacing
  rate = math.min(rate + step, ceiling)
  answer = math.floor((at - now) * 1000)
else
  if now < paused then
    paused = math.max(paused, now + pause)
  else
    paused = now + pause
    ceiling = math.max(rate * margin, min_rate)
    rate = math.max(rate / 2, min_rate)
    since = now
  end
end
redis.call('HSET', KEYS[1], 'tat', tostring(tat), 'rate', tostring(rate),
  'ceiling', tostring(ceiling), 'since', tostring(since), 'paused', tostring(paused))
-- Idle state goes away by itself, once the probe period and any pause are over.
local keep = math.max(paused - now, 0) + window * (probe_after + 1)
redis.call('PEXPIRE', KEYS[1], math.ceil(keep))
return answer
"#;

/// A rate budget on a Redis server, shared by a fleet.
pub struct RedisBudget {
    client: redis::Client,
    shown: String,
    script: Script,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
}

impl std::fmt::Debug for RedisBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBudget")
            .field("url", &self.shown)
            .finish()
    }
}

impl RedisBudget {
    /// A budget on the server at `url` (`redis://[:PASSWORD@]HOST:PORT/DB`).
    /// Nothing is connected until the first call.
    pub fn new(url: &str) -> Result<Self> {
        let shown = redacted_url(url);
        let client = redis::Client::open(url)
            .map_err(|e| backend_error(&shown, format!("not a Redis URL ({:?})", e.kind())))?;
        Ok(Self {
            client,
            shown,
            script: Script::new(SCRIPT),
            connection: tokio::sync::Mutex::new(None),
        })
    }

    async fn run(
        &self,
        key: &BudgetKey,
        op: &str,
        limit: RateLimit,
        pause: Duration,
    ) -> Result<i64> {
        let work = async {
            let mut held = self.connection.lock().await;
            let mut connection = match held.as_ref() {
                Some(c) => c.clone(),
                None => {
                    let config = AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(BACKEND_TIMEOUT))
                        .set_response_timeout(Some(BACKEND_TIMEOUT));
                    let c = self
                        .client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?;
                    *held = Some(c.clone());
                    c
                }
            };
            drop(held);
            let answer = self
                .script
                .key(format!("sail-access:budget:{}", key.encoded()))
                .arg(op)
                .arg(limit.interval().as_secs_f64() * 1000.0)
                .arg(limit.window().as_secs_f64() * 1000.0)
                .arg(pause.as_secs_f64() * 1000.0)
                .arg(MIN_RATE)
                .arg(RECOVERY_STEP)
                .arg(CEILING_MARGIN)
                .arg(PROBE_AFTER_WINDOWS)
                .arg(PROBE_STEP)
                .invoke_async::<i64>(&mut connection)
                .await;
            if answer.is_err() {
                // The next call connects afresh.
                *self.connection.lock().await = None;
            }
            answer
        };
        match tokio::time::timeout(BACKEND_TIMEOUT, work).await {
            Ok(Ok(answer)) => Ok(answer),
            // The error's text may quote the URL: only its kind is shown.
            Ok(Err(e)) => Err(backend_error(
                &self.shown,
                format!("{} ({:?})", describe(&e), e.kind()),
            )),
            Err(_) => Err(backend_error(
                &self.shown,
                format!("no answer within {BACKEND_TIMEOUT:?}"),
            )),
        }
    }
}

fn describe(e: &redis::RedisError) -> &'static str {
    if e.is_connection_refusal() {
        "connection refused"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_io_error() {
        "connection failed"
    } else {
        "the server refused the script"
    }
}

impl RateBudget for RedisBudget {
    fn take<'a>(&'a self, key: &'a BudgetKey, limit: RateLimit) -> BudgetFuture<'a, Duration> {
        Box::pin(async move {
            let micros = self.run(key, "take", limit, Duration::ZERO).await?;
            Ok(wait_of(micros as f64 / 1000.0))
        })
    }

    fn throttled<'a>(
        &'a self,
        key: &'a BudgetKey,
        limit: RateLimit,
        pause: Duration,
    ) -> BudgetFuture<'a, ()> {
        Box::pin(async move {
            self.run(key, "throttle", limit, pause).await?;
            Ok(())
        })
    }
}
