//! Walking the status list at the edges: 0, 1, 249, 250, 251, 500 items.

use crate::common::*;
use futures::{StreamExt, TryStreamExt};
use httpmock::{Mock, MockServer};
use sailpoint_access::types::{ErrorMessageDto, ErrorResponse, RequestedItemStatus};
use sailpoint_access::{Client, RetryPolicy};
use sailpoint_access_httpmock::MockServerExt;

/// How the service behaves after the last full page.
#[derive(Clone, Copy)]
enum PastEnd {
    EmptyPage,
    OffsetInvalid,
}

/// Serves `total` items in pages of `limit`; returns the mocks per offset.
fn serve(
    server: &MockServer,
    total: usize,
    limit: usize,
    past_end: PastEnd,
    with_count: bool,
) -> Vec<Mock<'_>> {
    let all = statuses(0..total);
    let mut mocks = Vec::new();
    let mut offset = 0;
    loop {
        let page: Vec<RequestedItemStatus> = all.iter().skip(offset).take(limit).cloned().collect();
        let len = page.len();
        let offset_invalid = len == 0 && offset > 0 && matches!(past_end, PastEnd::OffsetInvalid);
        mocks.push(server.list_access_request_status(|when, then| {
            when.limit(limit as i32)
                .offset(offset as i32)
                .count(if with_count { Some(true) } else { None });
            if offset_invalid {
                then.bad_request(&ErrorResponse {
                    detail_code: Some("400.1 Bad Request Content".into()),
                    messages: vec![ErrorMessageDto {
                        text: Some("Specified offset is invalid.".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                });
            } else {
                let then = then
                    .into_inner()
                    .status(200)
                    .header("content-type", "application/json");
                // The service sends the total only when asked.
                let then = if with_count {
                    then.header("X-Total-Count", total.to_string())
                } else {
                    then
                };
                then.json_body(serde_json::to_value(&page).unwrap());
            }
        }));
        if len < limit {
            break;
        }
        offset += limit;
    }
    mocks
}

fn names(items: &[RequestedItemStatus]) -> Vec<String> {
    items.iter().map(|s| s.name.clone().unwrap()).collect()
}

fn client_for(server: &MockServer) -> Client {
    static_client(server, RetryPolicy::disabled())
}

#[tokio::test]
async fn walks_every_size_with_both_past_end_behaviours() {
    for total in [0, 1, 249, 250, 251, 500] {
        for past_end in [PastEnd::EmptyPage, PastEnd::OffsetInvalid] {
            let server = MockServer::start_async().await;
            let mocks = serve(&server, total, 250, past_end, false);
            let client = client_for(&server);
            let items: Vec<_> = client
                .statuses()
                .items()
                .try_collect()
                .await
                .unwrap_or_else(|e| panic!("{total}: {e}"));
            assert_eq!(names(&items), names(&statuses(0..total)), "total {total}");
            for mock in &mocks {
                mock.assert_calls(1);
            }
            // Pages: a short page ends the walk; a full page is followed by exactly one more request.
            let expected_requests = total / 250 + 1;
            assert_eq!(mocks.len(), expected_requests, "total {total}");
        }
    }
}

#[tokio::test]
async fn pages_report_offsets_and_the_total_when_counted() {
    let server = MockServer::start_async().await;
    let mocks = serve(&server, 500, 250, PastEnd::OffsetInvalid, true);
    let client = client_for(&server);
    let pages: Vec<_> = client
        .statuses()
        .count(true)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!((pages[0].offset, pages[1].offset), (0, 250));
    assert_eq!(pages[0].total, Some(500));
    // The total is a hint, not a stop: the walk asks past the end, and the
    // offset quirk there agrees with it (500 announced, 500 read): a clean end.
    mocks[0].assert_calls(1);
    mocks[1].assert_calls(1);
    mocks[2].assert_calls(1);
}

#[tokio::test]
async fn an_empty_collection_yields_one_empty_page() {
    let server = MockServer::start_async().await;
    serve(&server, 0, 250, PastEnd::EmptyPage, false);
    let pages: Vec<_> = client_for(&server)
        .statuses()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].items.is_empty());
}

#[tokio::test]
async fn a_400_on_the_first_page_is_an_error() {
    let server = MockServer::start_async().await;
    server.list_access_request_status(|_, then| {
        then.bad_request(&ErrorResponse {
            messages: vec![ErrorMessageDto {
                text: Some("Specified offset is invalid.".into()),
                ..Default::default()
            }],
            ..Default::default()
        });
    });
    let err = client_for(&server)
        .statuses()
        .offset(500)
        .collect(10)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
}

#[tokio::test]
async fn errors_mid_walk_are_reported_after_the_pages_read() {
    let server = MockServer::start_async().await;
    server.list_access_request_status(|when, then| {
        when.offset(0);
        then.ok(&statuses(0..2));
    });
    server.list_access_request_status(|when, then| {
        when.offset(2);
        then.forbidden(&ErrorResponse::default());
    });
    let results: Vec<_> = client_for(&server)
        .statuses()
        .limit(2)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(matches!(
        results[2].as_ref().map_err(|e| e.kind()),
        Err(sailpoint_access::ErrorKind::Forbidden)
    ));
}

#[tokio::test]
async fn collect_stops_at_max_items() {
    let server = MockServer::start_async().await;
    let mocks = serve(&server, 500, 100, PastEnd::EmptyPage, false);
    let client = client_for(&server);
    let items = client.statuses().limit(100).collect(150).await.unwrap();
    assert_eq!(names(&items), names(&statuses(0..150)));
    mocks[0].assert_calls(1);
    mocks[1].assert_calls(1);
    mocks[2].assert_calls(0);
    let items = client.statuses().limit(100).collect(10_000).await.unwrap();
    assert_eq!(items.len(), 500);
}

#[tokio::test]
async fn starts_at_the_given_offset() {
    let server = MockServer::start_async().await;
    server.list_access_request_status(|when, then| {
        when.offset(10).limit(5);
        then.ok(&statuses(10..13));
    });
    let items = client_for(&server)
        .statuses()
        .offset(10)
        .limit(5)
        .collect(100)
        .await
        .unwrap();
    assert_eq!(names(&items), names(&statuses(10..13)));
}

#[tokio::test]
async fn prefetch_keeps_order() {
    let server = MockServer::start_async().await;
    // Earlier pages answer slower, so out-of-order completion would show.
    let all = statuses(0..45);
    for (i, offset) in (0..=45).step_by(10).enumerate() {
        let page: Vec<_> = all.iter().skip(offset).take(10).cloned().collect();
        server.list_access_request_status(|when, then| {
            when.offset(offset as i32).limit(10);
            then.into_inner()
                .status(200)
                .delay(std::time::Duration::from_millis(
                    60u64.saturating_sub(i as u64 * 10),
                ))
                .header("content-type", "application/json")
                .json_body(serde_json::to_value(&page).unwrap());
        });
    }
    let items: Vec<_> = client_for(&server)
        .statuses()
        .limit(10)
        .prefetch(3)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names(&items), names(&all));
}

/// One definition of pending: the statuses `request-state=EXECUTING` lists
/// are exactly those whose state is not terminal, the seeded
/// PROVISIONING_VERIFICATION_PENDING ones included.
#[tokio::test]
async fn the_executing_filter_and_is_terminal_agree_on_what_is_pending() {
    use sailpoint_access::types::{RequestStateFilter, RequestedItemState};
    let sandbox = sailpoint_access_sandbox::Sandbox::builder()
        .seed_statuses(600)
        .start()
        .await
        .unwrap();
    let client = sandbox_client(&sandbox, sailpoint_access::RetryPolicy::disabled());
    let all = client.statuses().collect(10_000).await.unwrap();
    let mut pending: Vec<String> = all
        .iter()
        .filter(|s| !s.is_terminal())
        .filter_map(|s| s.account_activity_item_id.clone())
        .collect();
    assert!(
        all.iter()
            .any(|s| s.state == Some(RequestedItemState::ProvisioningVerificationPending)),
        "the seed has verification-pending items"
    );
    let mut executing: Vec<String> = client
        .statuses()
        .request_state(RequestStateFilter::Executing)
        .collect(10_000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|s| s.account_activity_item_id)
        .collect();
    pending.sort();
    executing.sort();
    assert!(!pending.is_empty());
    assert_eq!(executing, pending);
}
