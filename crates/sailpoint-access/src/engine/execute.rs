//! The attempt loop: token, attempt timeout, classification, retries under the
//! policy and the budget, the once-only 401 replay, and the tracing span.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use progenitor_client::{Error as RawError, ResponseValue};
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::{Operation, Replay};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::engine::classify::{classify, Failure};
use crate::engine::pace::Grant;
use crate::engine::EngineInner;
use crate::error::{Error, ErrorKind, Result, TimeoutPhase};

/// Runs `call` (one generated-client request per invocation) under the
/// engine's auth, timeout and retry policy.
pub(crate) async fn execute<T, F, Fut>(
    engine: &EngineInner,
    op: &'static Operation,
    max_body: u64,
    mut call: F,
) -> Result<ResponseValue<T>>
where
    T: DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>>,
{
    let span = tracing::debug_span!(
        "sailpoint_access",
        operation = op.name,
        method = op.method,
        path = op.path,
        status = tracing::field::Empty,
        attempt = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    );
    let started = Instant::now();
    let progress = Progress::default();
    let run = attempt_loop(engine, op, max_body, &mut call, started, &span, &progress)
        .instrument(span.clone());
    let result = match engine.timeouts.total {
        Some(total) => match tokio::time::timeout(total, run).await {
            Ok(r) => r,
            Err(_) => Err(Error::timeout(TimeoutPhase::Total, total)
                .with_before_send(!progress.sent.load(Ordering::Relaxed))),
        },
        None => run.await,
    };
    let result = result.map_err(|e| {
        e.with_attempts(progress.attempts.load(Ordering::Relaxed))
            .with_operation(op.name)
    });
    span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    match &result {
        Ok(_) => tracing::debug!(parent: &span, "call succeeded"),
        Err(e) => tracing::debug!(parent: &span, error = %e, "call failed"),
    }
    result
}

/// Shared with the attempt loop, so that a total timeout, which drops the
/// loop, still reports how many attempts were made and whether any of them
/// got past the token and the pacer (before that, nothing was on the wire).
#[derive(Default)]
struct Progress {
    attempts: AtomicU32,
    sent: AtomicBool,
}

async fn attempt_loop<T, F, Fut>(
    engine: &EngineInner,
    op: &'static Operation,
    max_body: u64,
    call: &mut F,
    started: Instant,
    span: &tracing::Span,
    progress: &Progress,
) -> Result<ResponseValue<T>>
where
    T: DeserializeOwned,
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>>,
{
    let policy = &engine.retry;
    let timeouts = engine.timeouts;
    let mut attempt = 0u32;
    let mut replayed_after_401 = false;
    let mut maybe_delivered = false;
    let mut spent = 0u32;
    loop {
        attempt += 1;
        progress.attempts.store(attempt, Ordering::Relaxed);
        span.record("attempt", attempt);
        // The pacer's slot of this attempt: its 429 tells the pacer which one.
        let mut grant = Grant::Unknown;
        let (failure, generation) = match engine.auth.ensure().await {
            // Without a token the API request never left the client.
            Err(error) => (
                Failure {
                    sent: false,
                    error: error.with_before_send(true),
                },
                None,
            ),
            Ok(generation) => 'attempt: {
                // A shared budget that cannot be read fails the call unsent.
                match engine.pacer.acquire(op.family).await {
                    Ok(slot) => grant = slot,
                    Err(error) => {
                        break 'attempt (
                            Failure {
                                sent: false,
                                error: error.with_before_send(true),
                            },
                            None,
                        );
                    }
                }
                progress.sent.store(true, Ordering::Relaxed);
                // Sending, the status, every byte of the body and the
                // classification of a failure all fall inside one attempt timeout.
                let exchange = async {
                    let (result, meta) =
                        sailpoint_access_api::observe_limited(Some(max_body), call()).await;
                    if let Some(notice) = meta.as_ref().and_then(|m| m.deprecation.as_ref()) {
                        engine.note_deprecation(op, notice);
                    }
                    match result {
                        Ok(value) => Ok(value),
                        Err(raw) => Err(classify::<T>(raw, meta, op, timeouts.connect).await),
                    }
                };
                let failure = match tokio::time::timeout(timeouts.attempt, exchange).await {
                    Ok(Ok(value)) => {
                        span.record("status", value.status().as_u16());
                        engine.budget.deposit(spent);
                        engine.pacer.succeeded(op.family);
                        return Ok(value);
                    }
                    Ok(Err(failure)) => failure,
                    Err(_) => Failure {
                        error: Error::timeout(TimeoutPhase::Attempt, timeouts.attempt),
                        sent: true,
                    },
                };
                (failure, Some(generation))
            }
        };
        // Scrubbed before anything logs it: a server may echo credentials.
        let error = failure
            .error
            .with_possible_delivery(maybe_delivered)
            .scrubbed(&|text| engine.auth.scrub(text));
        if let Some(status) = error.status() {
            span.record("status", status);
        }

        // A rejected token is replaced once and the request replayed once, even a
        // submission: a 401 means the service did not act on it.
        if let (ErrorKind::Unauthorized, Some(generation)) = (error.kind(), generation) {
            if !replayed_after_401 && engine.auth.can_refresh() {
                replayed_after_401 = true;
                engine.auth.invalidate(generation);
                tracing::debug!(attempt, "token rejected; refreshing and replaying once");
                attempt -= 1;
                continue;
            }
        }
        // A 429 is answered before the service acts on the request: that
        // attempt delivered nothing that could act twice.
        maybe_delivered |= failure.sent && error.kind() != ErrorKind::RateLimited;

        let replayable = match op.replay {
            Replay::Safe | Replay::SafeAlreadyDone => true,
            // A 429 is answered before the service acts on the request.
            _ => !failure.sent || error.kind() == ErrorKind::RateLimited,
        };
        // Every 429 paces the family (and every sharer of its budget), even
        // one this call does not retry.
        if let (ErrorKind::RateLimited, Some(after)) = (error.kind(), error.retry_after()) {
            engine
                .pacer
                .back_off_granted(op.family, grant, after, policy.max_retry_after())
                .await;
        }
        if !(error.is_retryable() && replayable && attempt < policy.max_attempts()) {
            return Err(error);
        }
        let wait = match (error.kind(), error.retry_after()) {
            (ErrorKind::RateLimited, Some(after)) => {
                if after > policy.max_retry_after() && !policy.waits_out_long_retry_after() {
                    // Fail fast with the server's own figure rather than retry
                    // early into another 429.
                    return Err(error);
                }
                after
            }
            _ => policy.backoff(attempt),
        };
        if started.elapsed().saturating_add(wait) > policy.max_elapsed() {
            return Err(error);
        }
        // A 429 says when to come back: waiting it out is the server's own
        // pacing, not extra load on a failing service, so it costs nothing.
        let cost = if error.kind() == ErrorKind::RateLimited {
            Some(0)
        } else {
            engine
                .budget
                .withdraw(matches!(error.kind(), ErrorKind::Timeout(_)))
        };
        let Some(cost) = cost else {
            tracing::debug!(attempt, error = %error, "retry budget exhausted; giving up");
            return Err(error);
        };
        spent += cost;
        // `status` is structured so that a subscriber can count 429s
        // without reading the message.
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            status = error.status(),
            error = %error,
            "retrying"
        );
        tokio::time::sleep(wait).await;
    }
}
