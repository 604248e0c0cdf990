//! The Redis budget, for a fleet: the same GCRA and self-correction as
//! [`SharedPace`](super::SharedPace), run atomically by a Lua script on a
//! plain Redis (no module), with the server's clock so that hosts whose
//! clocks differ still agree. Each key is a hash that expires when idle.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};

use super::{
    backend_error, redacted_url, slot_budget, wait_of, BudgetKey, BudgetSlot, SlotAnswer, SlotOp,
    BACKEND_TIMEOUT,
};
use crate::engine::pace::{
    RateLimit, CEILING_MARGIN, DEEPEST_CUT, EVIDENCE_MARGIN, GRANT_LOG_WINDOWS, MIN_RATE,
    PROBE_AFTER_WINDOWS, PROBE_STEP, RECOVERY_STEP,
};
use crate::error::Result;

/// KEYS[1]: the key's hash; KEYS[2]: the list of the slots taken over the
/// last windows (server microseconds, oldest first). ARGV: operation (`take`
/// or `throttle`), the interval and the window in ms, the pause in ms, then
/// the constants of the self-correction (so that they have one source, the
/// pacer's), the configured count per window, and the throttled slot
/// (microseconds, or empty when unknown). Answers the wait and the slot in
/// microseconds (`take`), or zeros.
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
local requests = tonumber(ARGV[10])
local slot = tonumber(ARGV[11])
local evidence_margin = tonumber(ARGV[12])
local deepest_cut = tonumber(ARGV[13])
local log_windows = tonumber(ARGV[14])
local h = redis.call('HMGET', KEYS[1], 'tat', 'rate', 'ceiling', 'since', 'paused')
local tat = tonumber(h[1]) or now
local rate = tonumber(h[2]) or 1.0
local ceiling = tonumber(h[3]) or 1.0
local since = tonumber(h[4]) or now
local paused = tonumber(h[5]) or 0
local answer = 0
local slot_us = 0
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
  slot_us = math.floor(at * 1000)
  redis.call('RPUSH', KEYS[2], string.format('%.0f', slot_us))
  redis.call('LTRIM', KEYS[2], -requests * log_windows, -1)
elseif op == 'check' then
  -- Is the slot (microseconds) inside a pause that began after it was taken?
  if slot and paused * 1000 > slot then answer = 1 end
else
  if now < paused then
    paused = math.max(paused, now + pause)
  else
    paused = now + pause
    local rule = math.max(rate * margin, min_rate)
    if slot then
      -- The slots before the throttled one, in the window before it, went
      -- through; those from it on were in flight with it (429s too).
      local kept = {}
      local count = 0
      for _, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        local t = tonumber(v)
        if t < slot then
          kept[#kept + 1] = v
          if slot - t < window * 1000 then count = count + 1 end
        end
      end
      redis.call('DEL', KEYS[2])
      -- In chunks: unpack is bounded by the Lua stack.
      for i = 1, #kept, 1000 do
        redis.call('RPUSH', KEYS[2], unpack(kept, i, math.min(i + 999, #kept)))
      end
      local estimate = count / requests * evidence_margin
      ceiling = math.max(math.min(math.max(estimate, rate * deepest_cut), rule), min_rate)
      rate = ceiling
    else
      ceiling = rule
      rate = math.max(rate / 2, min_rate)
    end
    since = now
  end
end
redis.call('HSET', KEYS[1], 'tat', tostring(tat), 'rate', tostring(rate),
  'ceiling', tostring(ceiling), 'since', tostring(since), 'paused', tostring(paused))
-- Idle state goes away by itself, once the probe period and any pause are over.
local keep = math.max(paused - now, 0) + window * (probe_after + 1)
redis.call('PEXPIRE', KEYS[1], math.ceil(keep))
redis.call('PEXPIRE', KEYS[2], math.ceil(keep))
return {answer, slot_us}
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
        slot: Option<f64>,
    ) -> Result<(i64, i64)> {
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
            let name = format!("sail-access:budget:{}", key.encoded());
            let answer = self
                .script
                .key(&name)
                .key(format!("{name}:grants"))
                .arg(op)
                .arg(limit.interval().as_secs_f64() * 1000.0)
                .arg(limit.window().as_secs_f64() * 1000.0)
                .arg(pause.as_secs_f64() * 1000.0)
                .arg(MIN_RATE)
                .arg(RECOVERY_STEP)
                .arg(CEILING_MARGIN)
                .arg(PROBE_AFTER_WINDOWS)
                .arg(PROBE_STEP)
                .arg(limit.requests())
                .arg(slot.map_or(String::new(), |ms| format!("{:.0}", ms * 1000.0)))
                .arg(EVIDENCE_MARGIN)
                .arg(DEEPEST_CUT)
                .arg(GRANT_LOG_WINDOWS)
                .invoke_async::<(i64, i64)>(&mut connection)
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

impl RedisBudget {
    /// Runs `op` on the key's state by the script.
    async fn answer(&self, key: &BudgetKey, op: SlotOp) -> Result<SlotAnswer> {
        Ok(match op {
            SlotOp::Take(limit) => {
                let (wait, at) = self.run(key, "take", limit, Duration::ZERO, None).await?;
                SlotAnswer::slot(BudgetSlot {
                    wait: wait_of(wait as f64 / 1000.0),
                    // The server's microseconds, as the script logged them.
                    at: Some(at as f64 / 1000.0),
                })
            }
            SlotOp::Check(slot) => {
                // The limit plays no part in a check.
                let limit = RateLimit::new(1, Duration::from_secs(1));
                let (voided, _) = self
                    .run(key, "check", limit, Duration::ZERO, Some(slot))
                    .await?;
                SlotAnswer::voided(voided != 0)
            }
            SlotOp::Throttle(limit, pause, slot) => {
                self.run(key, "throttle", limit, pause, slot).await?;
                SlotAnswer::default()
            }
        })
    }
}

slot_budget!(RedisBudget);
