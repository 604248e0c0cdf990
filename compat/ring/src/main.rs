//! Built with `ring` alone, the client must still build (reqwest has no
//! provider of its own then, and would panic), talk to the sandbox, and fail
//! a TLS handshake with an error rather than a panic.

use sailpoint_access::{Client, ErrorKind, Item, RetryPolicy, TransportKind};
use sailpoint_access_sandbox::Sandbox;

#[tokio::main]
async fn main() {
    assert_eq!(sailpoint_access::TLS_PROVIDER, "ring");
    let sandbox = Sandbox::builder().start().await.expect("sandbox starts");
    let client = sandbox
        .client_builder()
        .build()
        .expect("a client builds with the ring provider");
    let submitted = client
        .access_requests()
        .grant()
        .for_identity("2c9180857182305e0171993735622948")
        .item(Item::role("2c918086749d78830174a1a40e121518"))
        .send()
        .await
        .expect("submission accepted");
    assert_eq!(submitted.new_requests.len(), 1, "{submitted:?}");
    let config = client.access_request_config().get().await.expect("config");
    println!(
        "ring build: submitted one request; configuration read (auto approval {})",
        config.auto_approval_enabled
    );

    // The sandbox speaks plain HTTP: an https:// URL to it makes rustls (with
    // ring) send a ClientHello and fail on the answer.
    let https = sandbox.base_url().replacen("http://", "https://", 1);
    let tls_client = Client::builder()
        .base_url(&https)
        .access_token("not-a-real-token")
        .retry(RetryPolicy::disabled())
        .build()
        .expect("client for https builds");
    let error = tls_client
        .access_request_config()
        .get()
        .await
        .expect_err("a TLS handshake with a plain HTTP server fails");
    assert_eq!(
        error.kind(),
        ErrorKind::Transport(TransportKind::Tls),
        "{error:?}"
    );
    println!("ring build: TLS handshake against plain HTTP fails cleanly: {error}");
}
