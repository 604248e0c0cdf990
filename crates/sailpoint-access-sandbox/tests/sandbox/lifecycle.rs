//! Moving items through their lifecycle: the test controls on the handle
//! and the cancel operation.

use sailpoint_access_api::types::{
    AccessRequestPhaseState, ManualWorkItemState, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_sandbox::{ControlError, Sandbox};

use crate::common::{
    api_error, cancel_of, detailed_text, executing, setup, statuses_of_request, submit_roles,
    succeeded, Setup,
};

async fn submit(s: &Setup, items: usize) -> Vec<String> {
    let roles: Vec<String> = (0..items).map(|i| format!("role-{i}")).collect();
    let access_request_id = submit_roles(s, "id-dana", &roles).await;
    // Find the new items through the API, by the returned id.
    statuses_of_request(s, &access_request_id)
        .await
        .into_iter()
        .map(|st| st.account_activity_item_id.unwrap())
        .collect()
}

async fn fetch(s: &Setup, activity_id: &str) -> RequestedItemStatus {
    let mut page = succeeded(
        s.client
            .list_access_request_status()
            .filters(format!("accountActivityItemId eq \"{activity_id}\""))
            .send(),
    )
    .await;
    assert_eq!(page.len(), 1);
    page.remove(0)
}

async fn cancel(s: &Setup, activity_id: &str) -> (u16, String) {
    let result = s
        .client
        .cancel_access_request()
        .body(cancel_of(activity_id, "not needed"))
        .send()
        .await;
    match result {
        Ok(r) => (r.status().as_u16(), String::new()),
        Err(e) => {
            let (status, body) =
                api_error::<serde_json::Map<String, serde_json::Value>>(Err(e)).await;
            (status, detailed_text(&body))
        }
    }
}

#[tokio::test]
async fn submit_approve_provision() {
    let s = setup(Sandbox::builder()).await;
    let ids = submit(&s, 2).await;
    assert_eq!(ids.len(), 2);
    let approved = s.sandbox.approve(&ids[0]).unwrap();
    assert_eq!(approved.state, Some(RequestedItemState::Executing));
    assert!(!approved.cancelable);

    let seen = fetch(&s, &ids[0]).await;
    assert_eq!(
        seen.approval_details[0].status,
        Some(ManualWorkItemState::Approved)
    );
    assert!(seen.modified >= seen.created);
    assert!(!seen.cancelable);

    assert_eq!(executing(&s).await, "2");
    s.sandbox.provision(&ids[0]).unwrap();
    // Cached query results are dropped on every change.
    assert_eq!(executing(&s).await, "1");
    let done = fetch(&s, &ids[0]).await;
    assert_eq!(done.state, Some(RequestedItemState::RequestCompleted));
    let phases = done.access_request_phases.unwrap();
    assert!(phases
        .iter()
        .all(|p| p.state == Some(AccessRequestPhaseState::Completed)));

    // The other item is untouched; approved items can no longer be cancelled.
    assert!(fetch(&s, &ids[1]).await.cancelable);
    let (status, text) = cancel(&s, &ids[0]).await;
    assert_eq!(status, 400);
    assert!(text.contains("cannot be cancelled"), "{text}");
}

#[tokio::test]
async fn submit_approve_fail_and_submit_reject() {
    let s = setup(Sandbox::builder()).await;
    let ids = submit(&s, 2).await;
    s.sandbox.approve(&ids[0]).unwrap();
    let failed = s.sandbox.fail(&ids[0]).unwrap();
    assert_eq!(failed.state, Some(RequestedItemState::ProvisioningFailed));
    assert!(fetch(&s, &ids[0]).await.error_messages.is_some());

    let rejected = s.sandbox.reject(&ids[1]).unwrap();
    assert_eq!(rejected.state, Some(RequestedItemState::Rejected));
    assert_eq!(
        fetch(&s, &ids[1]).await.approval_details[0].status,
        Some(ManualWorkItemState::Rejected)
    );

    // Invalid moves are refused with a reason.
    assert!(matches!(
        s.sandbox.provision(&ids[1]),
        Err(ControlError::InvalidTransition {
            action: "provision",
            ..
        })
    ));
    assert!(matches!(
        s.sandbox.approve(&ids[0]),
        Err(ControlError::InvalidTransition { .. })
    ));
    let pending = submit(&s, 1).await;
    let err = s.sandbox.provision(&pending[0]).unwrap_err();
    assert!(
        err.to_string().contains("EXECUTING (approval PENDING)"),
        "{err}"
    );
    assert_eq!(
        s.sandbox.approve("nope"),
        Err(ControlError::NotFound("nope".to_owned()))
    );
}

#[tokio::test]
async fn submit_cancel_then_cancel_again_and_unknown() {
    let s = setup(Sandbox::builder()).await;
    let ids = submit(&s, 1).await;
    assert_eq!(cancel(&s, &ids[0]).await.0, 202);
    let cancelled = fetch(&s, &ids[0]).await;
    assert_eq!(cancelled.state, Some(RequestedItemState::Cancelled));
    assert!(!cancelled.cancelable);
    assert_eq!(
        cancelled
            .cancelled_request_details
            .unwrap()
            .comment
            .as_deref(),
        Some("not needed")
    );
    // Not cancelable any more: 400; unknown: 404.
    let (status, text) = cancel(&s, &ids[0]).await;
    assert_eq!(status, 400);
    assert!(text.contains("CANCELLED"), "{text}");
    let (status, text) = cancel(&s, "2c9180000000000000000000000dead").await;
    assert_eq!(status, 404);
    assert!(text.contains("not found"), "{text}");
    // A cancelled item cannot be approved.
    assert!(s.sandbox.approve(&ids[0]).is_err());
}

#[tokio::test]
async fn inserted_statuses_are_served_as_given() {
    let s = setup(Sandbox::builder()).await;
    let ids = s.sandbox.insert_statuses([
        RequestedItemStatus {
            name: Some("Custom".to_owned()),
            state: Some(RequestedItemState::Unknown("ON_HOLD".to_owned())),
            cancelable: false,
            ..Default::default()
        },
        RequestedItemStatus {
            account_activity_item_id: Some("fixed-id".to_owned()),
            state: Some(RequestedItemState::Executing),
            cancelable: true,
            ..Default::default()
        },
    ]);
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1], "fixed-id");
    let page = succeeded(s.client.list_access_request_status().send()).await;
    assert_eq!(page.len(), 2);
    assert_eq!(
        page[0].state,
        Some(RequestedItemState::Unknown("ON_HOLD".to_owned()))
    );
    assert_eq!(cancel(&s, "fixed-id").await.0, 202);
}
