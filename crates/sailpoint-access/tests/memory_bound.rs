//! Memory stays flat when a server streams without end: the peak resident
//! set (VmHWM, Linux) grows by no more than a few body caps, however much the
//! server tries to send. Alone in its binary so that no other test moves the peak.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::hostile::{self, chunked_head, Reply};
use common::TOKEN;
use sailpoint_access::{Client, ErrorKind, RetryPolicy};

/// The peak resident set of this process, in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test]
async fn an_endless_body_does_not_grow_the_client() {
    let Some(before) = peak_kib() else {
        eprintln!("no /proc/self/status here: the memory figure cannot be read, test skipped");
        return;
    };
    let filler = vec![b' '; 256 * 1024];
    let server = hostile::start(move |line| Reply::Endless {
        head: chunked_head(if line.starts_with("GET /v3/access-request-status") {
            200
        } else {
            503
        }),
        chunk: filler.clone(),
    })
    .await;
    let client = Client::builder()
        .rate_limit(None)
        .base_url(&server.base_url)
        .access_token(TOKEN)
        .retry(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    // Default caps: 8 MiB, and 8 MiB + 250 × 64 KiB for a full page.
    for _ in 0..8 {
        let err = client.statuses().page().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
        let err = client.access_request_config().get().await.unwrap_err();
        assert_eq!(err.status(), Some(503), "{err}");
    }
    let after = peak_kib().unwrap();
    let grown_mib = after.saturating_sub(before) / 1024;
    let sent_mib = server.bytes_sent.load(Ordering::Relaxed) >> 20;
    eprintln!("FIGURES memory-bound: calls=16 server_sent_mib={sent_mib} peak_before_kib={before} peak_after_kib={after} grown_mib={grown_mib}");
    assert!(
        sent_mib >= 16 * 8,
        "the server streamed at least the caps: {sent_mib} MiB"
    );
    // A page cap is 24 MiB; decoding keeps at most one body at a time.
    assert!(grown_mib < 96, "peak grew by {grown_mib} MiB");
}
