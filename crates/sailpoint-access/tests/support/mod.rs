//! Helpers for the reliability and security suites: sandbox clients and
//! captured `tracing` output.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sailpoint_access::{Client, RetryConfig};
use sailpoint_access_sandbox::SandboxHandle;

/// A client of `sandbox` using its client credentials.
pub fn sandbox_client(sandbox: &SandboxHandle, retry: RetryConfig) -> Client {
    Client::builder()
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .retry(retry)
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// Retries quick enough for tests, `attempts` in all.
pub fn quick_retry(attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_backoff(Duration::from_millis(2), Duration::from_millis(10))
        .with_max_retry_after(Duration::from_secs(5))
}

/// Everything a `tracing` subscriber wrote, at every level.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Captures this thread's `tracing` output at TRACE until the guard drops.
    /// Tests using it run on the current-thread runtime so nothing escapes.
    pub fn install() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (capture, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The waits the client announced before retrying: (milliseconds, whether
    /// the failure was a 429), in order.
    pub fn retry_waits(&self) -> Vec<(u64, bool)> {
        self.text()
            .lines()
            .filter(|line| line.contains(" retrying "))
            .map(|line| {
                let wait = line
                    .split("wait_ms=")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .expect("retry events carry wait_ms");
                (wait, line.contains("error=rate limited"))
            })
            .collect()
    }
}
