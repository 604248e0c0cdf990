//! The shape of the client for callers: owned, `Send` and `Unpin` handles,
//! futures and streams, and a raw client that authenticates on its own.

use crate::common::*;
use sailpoint_access::ErrorKind;
use sailpoint_access_sandbox::{Operation, Sandbox};

#[tokio::test]
async fn the_raw_client_fetches_its_own_token_through_the_shared_cache() {
    let sandbox = Sandbox::builder().seed_statuses(3).start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let page = client
        .raw()
        .list_access_request_status()
        .limit(10)
        .send()
        .await
        .expect("the first raw call authenticates");
    assert_eq!(page.into_inner().len(), 3);
    // The facade then reuses the same token: no second token request.
    client.access_request_config().get().await.unwrap();
    assert_eq!(sandbox.requests_received(Operation::Token), 1);
}

#[tokio::test]
async fn handles_futures_and_streams_are_owned_send_and_unpin() {
    fn assert_unpin<T: Unpin + Send + 'static>(_: &T) {}
    let sandbox = Sandbox::builder().seed_statuses(600).start().await.unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let query = client.statuses().limit(100).prefetch(2);
    let mut items = query.items();
    assert_unpin(&items);
    let mut n = 0;
    while let Some(_status) = items.try_next().await.unwrap() {
        n += 1;
    }
    assert_eq!(n, 600);
    // Every builder's future can be spawned: it owns its client handle.
    let spawned = tokio::spawn(client.statuses().limit(50).collect(120));
    assert_eq!(spawned.await.unwrap().unwrap().len(), 120);
    let submit = client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("r-1");
    let sent = tokio::spawn(submit.send()).await.unwrap().unwrap();
    assert_eq!(sent.new_requests.len(), 1);
    let body = client
        .access_requests()
        .grant()
        .for_identity(ALICE)
        .role("r-2")
        .build()
        .unwrap();
    let sent = tokio::spawn(client.access_requests().submit(body).send())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.new_requests.len(), 1);
    let config = tokio::spawn(client.access_request_config().get())
        .await
        .unwrap()
        .unwrap();
    let flipped = !config.auto_approval_enabled;
    let updated = tokio::spawn(
        client
            .access_request_config()
            .update(move |cfg| cfg.auto_approval_enabled = flipped),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(updated.auto_approval_enabled, flipped);
    assert_eq!(sandbox.config().auto_approval_enabled, flipped);
    drop(client);
    let cancel = sandbox_client(&sandbox, quick_retry(2))
        .access_requests()
        .cancel("no-such-activity", "x");
    let err = tokio::spawn(cancel.send()).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}
