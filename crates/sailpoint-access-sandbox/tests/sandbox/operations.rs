//! Happy paths of the five operations through the generated client.

use std::collections::HashMap;

use sailpoint_access_api::types::{
    AccessItemType, AccessRequestConfig, AccessRequestType, ApprovalReminderAndEscalationConfig,
    ManualWorkItemState, RequestedForIdentities, RequestedItemState,
};
use sailpoint_access_sandbox::{Operation, Sandbox, APPROVER_IDENTITY_ID, CALLER_IDENTITY_ID};

use crate::common::{accepted, api_error, cancel_v3, detailed_text, grant, item, setup, succeeded};

#[tokio::test]
async fn create_records_one_pending_status_per_identity_and_item() {
    let s = setup(Sandbox::builder()).await;
    let mut request = grant(
        &["id-alice", "id-bob"],
        vec![
            item(AccessItemType::Role, "role-1"),
            item(AccessItemType::AccessProfile, "ap-1"),
            item(AccessItemType::Entitlement, "ent-1"),
        ],
    );
    request.client_metadata = HashMap::from([("ticket".to_owned(), "T-1".to_owned())]);
    let before = sailpoint_access_api::Timestamp::now();
    // A 202, checked by the helper.
    let response = accepted(s.client.create_access_request().body(request).send()).await;
    assert!(response.existing_requests.is_empty());
    assert_eq!(response.new_requests.len(), 2);
    let ids: Vec<&String> = response
        .new_requests
        .iter()
        .flat_map(|t| &t.access_request_ids)
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(
        ids[0], ids[1],
        "one access request per identity, as the vendor tracks them"
    );
    let alice = &response.new_requests[0];
    assert_eq!(alice.requested_for.as_deref(), Some("id-alice"));
    assert_eq!(alice.requested_items_details.len(), 3);
    assert!(alice.attributes_hash.is_some());
    assert_eq!(s.sandbox.access_requests_accepted(), 1);
    assert_eq!(s.received(Operation::CreateAccessRequest), 1);

    // The statuses as the list operation returns them.
    let statuses = succeeded(
        s.client
            .list_access_request_status()
            .requested_for("id-bob")
            .send(),
    )
    .await;
    assert_eq!(statuses.len(), 3);
    let all = s.sandbox.statuses();
    assert_eq!(all.len(), 6);
    let mut activity_ids: Vec<_> = all
        .iter()
        .map(|s| s.account_activity_item_id.clone().unwrap())
        .collect();
    activity_ids.sort();
    activity_ids.dedup();
    assert_eq!(activity_ids.len(), 6, "accountActivityItemId is unique");
    for status in &statuses {
        assert_eq!(status.state, Some(RequestedItemState::Executing));
        assert!(status.cancelable);
        assert_eq!(
            status.access_request_id.as_ref(),
            Some(ids[1]),
            "bob's statuses carry bob's request"
        );
        assert_eq!(status.request_type, Some(AccessRequestType::GrantAccess));
        assert!(status.created.unwrap() >= before);
        assert_eq!(
            status.requester.as_ref().and_then(|r| r.id.as_deref()),
            Some(CALLER_IDENTITY_ID)
        );
        match &status.requested_for {
            Some(RequestedForIdentities::One(r)) => assert_eq!(r.id.as_deref(), Some("id-bob")),
            other => panic!("requestedFor should be one reference, got {other:?}"),
        }
        let approval = &status.approval_details[0];
        assert_eq!(approval.status, Some(ManualWorkItemState::Pending));
        assert_eq!(
            approval
                .current_owner
                .as_ref()
                .and_then(|o| o.id.as_deref()),
            Some(APPROVER_IDENTITY_ID)
        );
        assert_eq!(
            status
                .client_metadata
                .as_ref()
                .and_then(|m| m.get("ticket"))
                .map(String::as_str),
            Some("T-1")
        );
        assert_eq!(
            status
                .requester_comment
                .as_ref()
                .and_then(|c| c.comment.as_deref()),
            Some("needed for the quarter close")
        );
    }
    let kinds: Vec<_> = statuses.iter().map(|s| s.type_.clone().unwrap()).collect();
    assert!(kinds.contains(&AccessItemType::Entitlement));

    // The wire form of requestedFor is a single object (the 2026 shape).
    let raw: serde_json::Value = s
        .get_json("/v3/access-request-status?requested-for=id-alice&limit=1")
        .await;
    assert!(raw[0]["requestedFor"].is_object(), "{raw}");
    assert_eq!(raw[0]["requestedFor"]["type"], "IDENTITY");
}

#[tokio::test]
async fn cancel_marks_the_item_cancelled_with_details() {
    let s = setup(Sandbox::builder()).await;
    s.client
        .create_access_request()
        .body(grant(
            &["id-carol"],
            vec![item(AccessItemType::Role, "role-9")],
        ))
        .send()
        .await
        .unwrap();
    let activity_id = s.sandbox.statuses()[0]
        .account_activity_item_id
        .clone()
        .unwrap();
    // A 202 (checked by the helper) with an empty body.
    let answer = cancel_v3(&s, &activity_id, "raised by mistake").await;
    assert!(answer.is_empty());
    let status = s.sandbox.status(&activity_id).unwrap();
    assert_eq!(status.state, Some(RequestedItemState::Cancelled));
    assert!(!status.cancelable);
    let details = status.cancelled_request_details.unwrap();
    assert_eq!(details.comment.as_deref(), Some("raised by mistake"));
    assert!(details.modified.is_some());
    assert_eq!(
        details.owner.unwrap().id.as_deref(),
        Some(CALLER_IDENTITY_ID)
    );
    assert_eq!(
        status.approval_details[0].status,
        Some(ManualWorkItemState::Cancelled)
    );
}

#[tokio::test]
async fn config_round_trips_and_is_validated() {
    let s = setup(Sandbox::builder()).await;
    let config = succeeded(s.client.get_access_request_config().send()).await;
    assert_eq!(config, s.sandbox.config());
    assert!(config.entitlement_request_config.is_some());

    let updated = AccessRequestConfig {
        auto_approval_enabled: true,
        reauthorization_enabled: true,
        approval_reminder_and_escalation_config: Some(ApprovalReminderAndEscalationConfig {
            days_until_escalation: Some(7),
            days_between_reminders: Some(2),
            max_reminders: std::num::NonZeroU32::new(4),
            fallback_approver_ref: None,
            extra: Default::default(),
        }),
        ..config.clone()
    };
    let stored = succeeded(
        s.client
            .set_access_request_config()
            .body(updated.clone())
            .send(),
    )
    .await;
    assert_eq!(stored, updated);
    let read = succeeded(s.client.get_access_request_config().send()).await;
    assert_eq!(read, updated);
    assert_eq!(s.sandbox.config(), updated);

    // maxReminders >= 1, other rules, and malformed bodies: 400, config unchanged.
    let url = "/v3/access-request-config";
    for body in [
        r#"{"approvalReminderAndEscalationConfig":{"maxReminders":0}}"#,
        r#"{"approvalReminderAndEscalationConfig":{"daysUntilEscalation":-1}}"#,
        r#"{"entitlementRequestConfig":{"grantRequestApprovalSchemes":"manager,ceo"}}"#,
        r#"{"autoApprovalEnabled":"yes"}"#,
        r#"{"autoApprovalEnabled":"#,
    ] {
        let response = s
            .put(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let text = crate::common::raw_error(response, 400).await;
        assert!(!text.is_empty(), "{body}");
    }
    assert_eq!(s.sandbox.config(), updated);

    // An empty object resets to the schema defaults.
    let reset: AccessRequestConfig = serde_json::from_str("{}").unwrap();
    let stored = s
        .client
        .set_access_request_config()
        .body(reset.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.into_inner(), reset);
    assert_eq!(s.received(Operation::SetAccessRequestConfig), 7);
    assert_eq!(s.received(Operation::GetAccessRequestConfig), 2);

    // Through the generated client, an invalid scheme is a typed 400.
    let mut bad = updated.clone();
    bad.entitlement_request_config
        .get_or_insert_with(|| serde_json::from_str("{}").unwrap())
        .grant_request_approval_schemes = Some("workgroup:".to_owned());
    let (status, error) =
        api_error(s.client.set_access_request_config().body(bad).send().await).await;
    assert_eq!(status, 400);
    assert!(detailed_text(&error).contains("workgroup:"));
}

#[tokio::test]
async fn list_serves_seeded_statuses() {
    let s = setup(Sandbox::builder().seed(42).seed_statuses(600)).await;
    let response = s
        .client
        .list_access_request_status()
        .count(true)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "600");
    let page = response.into_inner();
    assert_eq!(page.len(), 250, "default limit");
    // Seeded data decodes with the generated types and varies.
    let states: std::collections::HashSet<_> = page.iter().map(|s| s.state.clone()).collect();
    assert!(states.len() >= 5, "{states:?}");
    assert!(page
        .iter()
        .all(|s| s.account_activity_item_id.is_some() && s.created.is_some()));
    // Same seed, same data.
    let again = setup(Sandbox::builder().seed(42).seed_statuses(600)).await;
    let first = again.sandbox.statuses();
    assert_eq!(
        first[17].account_activity_item_id,
        s.sandbox.statuses()[17].account_activity_item_id
    );
}

#[tokio::test]
async fn unknown_config_properties_survive_get_modify_put() {
    let s = setup(Sandbox::builder()).await;
    let mut planted = serde_json::to_value(s.sandbox.config()).unwrap();
    planted["futureSetting"] = serde_json::json!({"x": 1});
    planted["entitlementRequestConfig"]["futureFlag"] = serde_json::json!(true);
    s.sandbox.set_config_json(planted.clone()).unwrap();
    assert_eq!(s.sandbox.config_json(), planted);

    // Served as stored, on the wire...
    let raw: serde_json::Value = s.get_json("/v3/access-request-config").await;
    assert_eq!(raw["futureSetting"], serde_json::json!({"x": 1}));
    assert_eq!(raw["entitlementRequestConfig"]["futureFlag"], true);

    // ...and through the typed client: get, modify, put.
    let mut config = succeeded(s.client.get_access_request_config().send()).await;
    assert_eq!(config.extra["futureSetting"], serde_json::json!({"x": 1}));
    config.auto_approval_enabled = true;
    let stored = succeeded(s.client.set_access_request_config().body(config).send()).await;
    assert!(stored.auto_approval_enabled);
    let after = s.sandbox.config_json();
    assert_eq!(after["futureSetting"], serde_json::json!({"x": 1}));
    assert_eq!(after["entitlementRequestConfig"]["futureFlag"], true);
    assert_eq!(after["autoApprovalEnabled"], true);

    // A raw PUT with an unknown property keeps it too.
    let response = s
        .put("/v3/access-request-config")
        .json(&serde_json::json!({"otherSetting": [1, 2]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let echoed: serde_json::Value = response.json().await.unwrap();
    assert_eq!(echoed["otherSetting"], serde_json::json!([1, 2]));
    assert_eq!(
        s.sandbox.config().extra["otherSetting"],
        serde_json::json!([1, 2])
    );

    // Planting is checked against the schema; a refused document changes nothing.
    let before = s.sandbox.config_json();
    assert!(s
        .sandbox
        .set_config_json(
            serde_json::json!({"approvalReminderAndEscalationConfig": {"maxReminders": 0}})
        )
        .is_err());
    assert!(s.sandbox.set_config_json(serde_json::json!([1])).is_err());
    assert_eq!(s.sandbox.config_json(), before);
}
