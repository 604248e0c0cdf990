//! Behaviour that depends on time: the visibility delay of new statuses and
//! the lifecycle that runs by itself.

use std::time::{Duration, Instant};

use sailpoint_access_api::types::{
    AccessRequestPhaseState, ManualWorkItemState, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_sandbox::{AutoLifecycle, Operation, Sandbox};

use crate::common::{cancel_v3, executing, setup, statuses_of_request, submit_roles, Setup};

const HOUR: Duration = Duration::from_secs(3600);

/// Submits `n` roles for `who` through v3; returns the access request id.
async fn submit(s: &Setup, who: &str, n: usize) -> String {
    let roles: Vec<String> = (0..n).map(|i| format!("role-{who}-{i}")).collect();
    submit_roles(s, who, &roles).await
}

/// `X-Total-Count` of both families' lists.
async fn listed(s: &Setup) -> (u64, u64) {
    let v3 = s
        .client
        .list_access_request_status()
        .count(true)
        .send()
        .await
        .unwrap();
    let v1 = s
        .client
        .list_access_request_status_v1()
        .count(true)
        .send()
        .await
        .unwrap();
    let total = |h: &reqwest::header::HeaderMap| {
        h["x-total-count"].to_str().unwrap().parse::<u64>().unwrap()
    };
    (total(v3.headers()), total(v1.headers()))
}

fn elapsed(from: &RequestedItemStatus, to: Option<sailpoint_access_api::Timestamp>) -> Duration {
    let from = *from.created.unwrap().as_datetime();
    let to = *to.unwrap().as_datetime();
    (to - from).to_std().unwrap()
}

#[tokio::test]
async fn new_statuses_are_listed_only_after_the_visibility_delay() {
    let s = setup(
        Sandbox::builder()
            .seed_statuses(10)
            .visibility_delay(Duration::from_millis(1000)),
    )
    .await;
    // Seeded statuses are old enough to be listed.
    assert_eq!(listed(&s).await, (10, 10));
    let started = Instant::now();
    let request = submit(&s, "id-vic", 2).await;
    assert_eq!(listed(&s).await, (10, 10));
    assert!(statuses_of_request(&s, &request).await.is_empty());

    // The items exist: the handle sees them, they count, and one is
    // cancelled by id while still unlisted.
    assert_eq!(s.sandbox.access_requests_accepted(), 1);
    assert_eq!(s.sandbox.status_count(), 12);
    let hidden: Vec<String> = s
        .sandbox
        .statuses()
        .into_iter()
        .filter(|st| st.access_request_id.as_deref() == Some(request.as_str()))
        .map(|st| st.account_activity_item_id.unwrap())
        .collect();
    assert_eq!(hidden.len(), 2);
    // A 202, checked by the helper.
    cancel_v3(&s, &hidden[0], "not needed").await;
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "too slow to check the delay"
    );

    // Listed once the delay has passed, cancellation included.
    let deadline = Instant::now() + Duration::from_secs(5);
    while listed(&s).await != (12, 12) {
        assert!(Instant::now() < deadline, "never listed");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(1000));
    let seen = statuses_of_request(&s, &request).await;
    assert_eq!(seen.len(), 2);
    let cancelled = seen
        .iter()
        .find(|st| st.account_activity_item_id.as_ref() == Some(&hidden[0]))
        .unwrap();
    assert_eq!(cancelled.state, Some(RequestedItemState::Cancelled));

    // Changed at runtime, for every status: an hour hides all that are
    // younger (the two above included), zero shows everything.
    s.sandbox.set_visibility_delay(HOUR);
    assert_eq!(s.sandbox.visibility_delay(), HOUR);
    let later = submit(&s, "id-wes", 1).await;
    assert_eq!(listed(&s).await, (10, 10));
    s.sandbox.set_visibility_delay(Duration::ZERO);
    assert_eq!(listed(&s).await, (13, 13));
    assert_eq!(statuses_of_request(&s, &later).await.len(), 1);
}

#[tokio::test]
async fn the_visibility_delay_applies_to_filtered_and_sorted_lists() {
    let s = setup(Sandbox::builder().visibility_delay(HOUR)).await;
    submit(&s, "id-una", 3).await;
    let filtered = s
        .client
        .list_access_request_status()
        .requested_for("id-una")
        .count(true)
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.headers()["x-total-count"], "0");
    let sorted = s
        .get_response("/v3/access-request-status?sorters=-created&count=true")
        .await;
    assert_eq!(sorted.status(), 200);
    assert_eq!(sorted.headers()["x-total-count"], "0");
    // Offset 0 of an empty list is never the offset quirk.
    assert_eq!(
        sorted.json::<Vec<serde_json::Value>>().await.unwrap().len(),
        0
    );
    s.sandbox.set_visibility_delay(Duration::ZERO);
    let sorted = s
        .get_response("/v3/access-request-status?sorters=-created&count=true")
        .await;
    assert_eq!(sorted.headers()["x-total-count"], "3");
}

#[tokio::test]
async fn immediate_lifecycle_provisions_on_the_next_read() {
    let s = setup(Sandbox::builder().auto_lifecycle(AutoLifecycle::immediate())).await;
    let request = submit(&s, "id-ida", 2).await;
    let seen = statuses_of_request(&s, &request).await;
    assert_eq!(seen.len(), 2);
    for status in &seen {
        assert_eq!(status.state, Some(RequestedItemState::RequestCompleted));
        assert!(!status.cancelable);
        assert_eq!(
            status.approval_details[0].status,
            Some(ManualWorkItemState::Approved)
        );
        let phases = status.access_request_phases.as_ref().unwrap();
        assert_eq!(phases.len(), 2);
        assert!(phases
            .iter()
            .all(|p| p.state == Some(AccessRequestPhaseState::Completed)));
    }
}

#[tokio::test]
async fn the_lifecycle_follows_its_schedule_and_stamps_due_times() {
    let approve = Duration::from_millis(150);
    let provision = Duration::from_millis(150);
    let s = setup(Sandbox::builder().auto_lifecycle(AutoLifecycle::new(approve, provision))).await;
    let request = submit(&s, "id-sam", 1).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let done = loop {
        let status = statuses_of_request(&s, &request).await.remove(0);
        if status.state == Some(RequestedItemState::RequestCompleted) {
            break status;
        }
        assert!(Instant::now() < deadline, "never provisioned: {status:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    // Stamped when due, not when noticed.
    assert_eq!(elapsed(&done, done.approval_details[0].modified), approve);
    assert_eq!(elapsed(&done, done.modified), approve + provision);
}

#[tokio::test]
async fn the_lifecycle_moves_stage_by_stage_as_it_is_changed() {
    let s = setup(Sandbox::builder().auto_lifecycle(AutoLifecycle::new(HOUR, HOUR))).await;
    let request = submit(&s, "id-pat", 2).await;
    let seen = statuses_of_request(&s, &request).await;
    assert!(seen
        .iter()
        .all(|st| st.cancelable && st.state == Some(RequestedItemState::Executing)));
    // A cancelled item is left alone by the lifecycle.
    let cancelled = seen[1].account_activity_item_id.clone().unwrap();
    cancel_v3(&s, &cancelled, "no").await;

    // Approval now, provisioning in an hour.
    s.sandbox.set_auto_lifecycle(Some(
        AutoLifecycle::new(HOUR, HOUR).approve_after(Duration::ZERO),
    ));
    let approved = &statuses_of_request(&s, &request).await;
    let first = approved
        .iter()
        .find(|st| st.account_activity_item_id.as_ref() != Some(&cancelled))
        .unwrap();
    assert_eq!(first.state, Some(RequestedItemState::Executing));
    assert!(!first.cancelable);
    assert_eq!(
        first.approval_details[0].status,
        Some(ManualWorkItemState::Approved)
    );
    let first_id = first.account_activity_item_id.clone().unwrap();

    // Provisioning now; the handle reads through the lifecycle too.
    s.sandbox
        .set_auto_lifecycle(Some(AutoLifecycle::immediate().approve_after(HOUR)));
    assert_eq!(
        s.sandbox.status(&first_id).unwrap().state,
        Some(RequestedItemState::RequestCompleted)
    );
    assert_eq!(
        s.sandbox.status(&cancelled).unwrap().state,
        Some(RequestedItemState::Cancelled)
    );

    // Off: new items stay pending.
    s.sandbox.set_auto_lifecycle(None);
    assert_eq!(s.sandbox.auto_lifecycle(), None);
    let later = submit(&s, "id-pat", 1).await;
    assert_eq!(
        statuses_of_request(&s, &later).await[0].state,
        Some(RequestedItemState::Executing)
    );
}

#[tokio::test]
async fn auto_approval_in_the_tenant_config_skips_the_wait() {
    let mut config = sailpoint_access_sandbox::default_config();
    config.auto_approval_enabled = true;
    let s = setup(
        Sandbox::builder()
            .config(config)
            .auto_lifecycle(AutoLifecycle::new(HOUR, Duration::ZERO)),
    )
    .await;
    let request = submit(&s, "id-ada", 1).await;
    assert_eq!(
        statuses_of_request(&s, &request).await[0].state,
        Some(RequestedItemState::RequestCompleted)
    );
    // Without it, the hour applies.
    let mut config = s.sandbox.config();
    config.auto_approval_enabled = false;
    s.sandbox.set_config(config);
    let request = submit(&s, "id-ben", 1).await;
    assert_eq!(
        statuses_of_request(&s, &request).await[0].state,
        Some(RequestedItemState::Executing)
    );
}

/// Final states of 40 items under a lifecycle that rejects and fails half.
async fn outcomes(seed: u64) -> Vec<(String, RequestedItemState)> {
    let auto = AutoLifecycle::immediate().reject_ratio(0.5).fail_ratio(0.5);
    let s = setup(Sandbox::builder().seed(seed).auto_lifecycle(auto)).await;
    // At most 25 items per request.
    submit(&s, "id-rae", 20).await;
    submit(&s, "id-rue", 20).await;
    let mut states: Vec<_> = s
        .sandbox
        .statuses()
        .into_iter()
        .map(|st| (st.id.unwrap(), st.state.unwrap()))
        .collect();
    states.sort_by(|a, b| a.0.cmp(&b.0));
    states
}

#[tokio::test]
async fn rejections_and_failures_are_a_seeded_share() {
    let a = outcomes(11).await;
    assert_eq!(a, outcomes(11).await, "same seed, same outcomes");
    let count = |state: RequestedItemState| a.iter().filter(|(_, s)| *s == state).count();
    let (rejected, failed, completed) = (
        count(RequestedItemState::Rejected),
        count(RequestedItemState::ProvisioningFailed),
        count(RequestedItemState::RequestCompleted),
    );
    assert_eq!(rejected + failed + completed, 40);
    assert!((8..=32).contains(&rejected), "{rejected}");
    assert!(failed > 0 && completed > 0, "{failed} {completed}");

    // Ratios of one: every item rejected, or every approved item failed.
    let s = setup(Sandbox::builder().auto_lifecycle(AutoLifecycle::immediate().reject_ratio(1.0)))
        .await;
    let request = submit(&s, "id-rex", 3).await;
    assert!(statuses_of_request(&s, &request)
        .await
        .iter()
        .all(|st| st.state == Some(RequestedItemState::Rejected)
            && st.approval_details[0].status == Some(ManualWorkItemState::Rejected)));
    s.sandbox
        .set_auto_lifecycle(Some(AutoLifecycle::immediate().fail_ratio(1.0)));
    let request = submit(&s, "id-fay", 3).await;
    let failed = statuses_of_request(&s, &request).await;
    assert!(failed.iter().all(
        |st| st.state == Some(RequestedItemState::ProvisioningFailed)
            && st.error_messages.is_some()
    ));
}

#[tokio::test]
async fn bulk_controls_approve_and_provision_everything_waiting() {
    let s = setup(Sandbox::builder()).await;
    let request = submit(&s, "id-bo", 3).await;
    let ids: Vec<String> = statuses_of_request(&s, &request)
        .await
        .into_iter()
        .map(|st| st.account_activity_item_id.unwrap())
        .collect();
    s.sandbox.reject(&ids[2]).unwrap();
    assert_eq!(s.sandbox.provision_all_approved(), 0);
    assert_eq!(s.sandbox.approve_all_pending(), 2);
    assert_eq!(s.sandbox.approve_all_pending(), 0);
    assert_eq!(s.sandbox.provision_all_approved(), 2);
    assert_eq!(s.sandbox.provision_all_approved(), 0);
    let states: Vec<_> = ids
        .iter()
        .map(|id| s.sandbox.status(id).unwrap().state.unwrap())
        .collect();
    assert_eq!(
        states,
        [
            RequestedItemState::RequestCompleted,
            RequestedItemState::RequestCompleted,
            RequestedItemState::Rejected
        ]
    );
    // The lists see the change (cached query results are dropped).
    assert_eq!(executing(&s).await, "0");
    assert_eq!(s.received(Operation::CreateAccessRequest), 1);
}
