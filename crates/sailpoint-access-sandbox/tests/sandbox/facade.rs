//! `client_builder()`: the facade aimed at the sandbox in one call.
#![cfg(feature = "facade")]

use sailpoint_access_sandbox::Sandbox;

#[tokio::test]
async fn client_builder_reaches_the_sandbox_with_its_credentials() {
    let sandbox = Sandbox::builder()
        .client_id("facade-id")
        .client_secret("facade-secret")
        .seed_statuses(4)
        .start()
        .await
        .unwrap();
    let client = sandbox.client_builder().build().unwrap();
    assert_eq!(client.base_url(), sandbox.base_url());
    assert_eq!(client.statuses().collect(100).await.unwrap().len(), 4);
    client
        .access_requests()
        .grant()
        .for_identity("identity-1")
        .role("role-1")
        .send()
        .await
        .unwrap();
    assert_eq!(sandbox.access_requests_accepted(), 1);
    // Another secret is refused: the builder really carries the sandbox's.
    let wrong = Sandbox::builder().start().await.unwrap();
    let stranger = sandbox
        .client_builder()
        .base_url(wrong.base_url())
        .build()
        .unwrap();
    assert!(stranger.statuses().collect(1).await.is_err());
}
