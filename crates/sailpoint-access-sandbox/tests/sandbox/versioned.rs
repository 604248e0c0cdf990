//! The versioned family beside v3: one tenant behind both, per-family rate
//! limits, close and bulk cancel with their limits, the second configuration
//! document and the deprecation headers.

use std::time::Duration;

use sailpoint_access_api::operations;
use sailpoint_access_api::types::{
    BulkCancelAccessRequests, CloseAccessRequests, CloseCompletionStatus, CloseExecutionStatus,
    IdentityReferenceType, IdentityType, RequestedForIdentities, RequestedItemState,
    RequestedItemStatus,
};
use sailpoint_access_api::{Family, Rule};
use sailpoint_access_sandbox::{Operation, RateLimitFault, Sandbox};
use serde_json::{json, Value};

use crate::common::{
    api_error, cancel_of, cancel_v3, raw_rule_error, rule_of, setup, submit_roles, succeeded, Setup,
};

/// The status list of `family` as raw JSON.
async fn raw_list(s: &Setup, family: Family, query: &str) -> Vec<Value> {
    let op = match family {
        Family::V3 => &operations::LIST_ACCESS_REQUEST_STATUS,
        _ => &operations::LIST_ACCESS_REQUEST_STATUS_V1,
    };
    let response = s.get_response(&format!("{}{query}", op.path)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_request_created_in_one_family_is_listed_and_cancelled_in_the_other() {
    let s = setup(Sandbox::builder()).await;

    // v3 create, versioned list and cancel.
    let v3_request = submit_roles(&s, "id-alice", &["role-1"]).await;
    let listed = succeeded(
        s.client
            .list_access_request_status_v1()
            .requested_for("id-alice")
            .send(),
    )
    .await;
    assert_eq!(listed.len(), 1);
    let status = &listed[0];
    assert_eq!(
        status.access_request_id.as_deref(),
        Some(v3_request.as_str())
    );
    assert_eq!(status.identity_type, Some(IdentityType::Human));
    assert!(
        status
            .approval_details
            .iter()
            .all(|a| a.approval_id.is_none()),
        "the versioned family sends no approvalDetails[].approvalId"
    );
    let raw_v1 = raw_list(&s, Family::Versioned, "?requested-for=id-alice").await;
    assert_eq!(raw_v1[0]["identityType"], "HUMAN");
    // The v3 list keeps today's shape.
    let raw_v3 = raw_list(&s, Family::V3, "?requested-for=id-alice").await;
    assert!(raw_v3[0].get("identityType").is_none(), "{}", raw_v3[0]);
    assert!(raw_v3[0]["approvalDetails"][0]["approvalId"].is_string());

    let activity = status.account_activity_item_id.clone().unwrap();
    let cancelled = s
        .client
        .cancel_access_request_v1()
        .body(cancel_of(&activity, "wrong role"))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 202);
    let v3_view = succeeded(
        s.client
            .list_access_request_status()
            .requested_for("id-alice")
            .send(),
    )
    .await;
    assert_eq!(v3_view[0].state, Some(RequestedItemState::Cancelled));

    // Versioned create (a machine identity, with a form), v3 list and cancel.
    let response = s.post_json(operations::CREATE_ACCESS_REQUEST_V1.path, &json!({
            "requestType": "GRANT_ACCESS",
            "requestedForWithRequestedItems": [{
                "identityId": "machine-1",
                "identityType": "MACHINE",
                // A machine grant names its one account (the vendor requires it).
                "requestedItems": [{
                    "type": "ENTITLEMENT", "id": "ent-1", "formInstanceId": "form-9",
                    "accountSelection": [{"sourceId": "src-1", "accounts": [{"nativeIdentity": "svc-1"}]}]
                }]
            }]
        })).await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        s.sandbox.access_requests_accepted(),
        2,
        "both families count"
    );
    let v1_listed = raw_list(&s, Family::Versioned, "?requested-for=machine-1").await;
    assert_eq!(v1_listed[0]["identityType"], "MACHINE");
    assert_eq!(v1_listed[0]["requestedFor"]["type"], "MACHINE_IDENTITY");
    assert_eq!(v1_listed[0]["form"]["formInstanceId"], "form-9");
    let v3_listed = succeeded(
        s.client
            .list_access_request_status()
            .requested_for("machine-1")
            .send(),
    )
    .await;
    assert_eq!(v3_listed.len(), 1);
    assert_eq!(v3_listed[0].identity_type, None, "not part of v3 answers");
    assert_eq!(v3_listed[0].form, None);
    assert!(matches!(
        &v3_listed[0].requested_for,
        Some(RequestedForIdentities::One(r)) if r.type_ == Some(IdentityReferenceType::MachineIdentity)
    ));
    let listed_activity = v3_listed[0].account_activity_item_id.clone().unwrap();
    cancel_v3(&s, &listed_activity, "not needed").await;
    let after = raw_list(&s, Family::Versioned, "?requested-for=machine-1").await;
    assert_eq!(after[0]["state"], "CANCELLED");
    assert_eq!(s.received(Operation::CreateAccessRequestV1), 1);
}

#[tokio::test]
async fn the_versioned_list_refuses_in_on_access_request_id() {
    let s = setup(Sandbox::builder()).await;
    let id = submit_roles(&s, "id-a", &["r"]).await;
    let filter = format!("accessRequestId in (\"{id}\")");
    let v3 = s
        .client
        .list_access_request_status()
        .filters(&filter)
        .send()
        .await
        .unwrap();
    assert_eq!(v3.into_inner().len(), 1);
    let (status, error) = api_error(
        s.client
            .list_access_request_status_v1()
            .filters(&filter)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(rule_of(&error), None);
    let eq = s
        .client
        .list_access_request_status_v1()
        .filters(format!("accessRequestId eq \"{id}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(eq.into_inner().len(), 1);
}

#[tokio::test]
async fn rate_limits_are_counted_per_family() {
    let s =
        setup(Sandbox::builder().rate_limit(RateLimitFault::new(2, Duration::from_secs(60)))).await;
    for _ in 0..2 {
        s.client.list_access_request_status().send().await.unwrap();
    }
    let (status, _) = api_error(s.client.list_access_request_status().send().await).await;
    assert_eq!(status, 429);
    // The versioned family has a budget of its own ...
    for _ in 0..2 {
        s.client
            .list_access_request_status_v1()
            .send()
            .await
            .unwrap();
    }
    // ... shared by all its operations.
    let (status, error) = api_error(s.client.get_access_request_config_v2().send().await).await;
    assert_eq!(status, 429);
    assert_eq!(error.message.as_deref(), Some("Rate Limit Exceeded"));
    let (status, _) = api_error(s.client.get_access_request_config().send().await).await;
    assert_eq!(status, 429, "v3 is still exhausted");
}

/// Three GRANTs through v3: two roles for `id-a`, one each for `id-b` and
/// `id-c`; their access request ids.
async fn three_requests(s: &Setup) -> (String, String, String) {
    (
        submit_roles(s, "id-a", &["r1", "r2"]).await,
        submit_roles(s, "id-b", &["r3"]).await,
        submit_roles(s, "id-c", &["r4"]).await,
    )
}

/// The first status the sandbox holds for `request`.
fn first_status(s: &Setup, request: &str) -> RequestedItemStatus {
    s.sandbox
        .statuses()
        .into_iter()
        .find(|st| st.access_request_id.as_deref() == Some(request))
        .unwrap()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("ar-{i}")).collect()
}

#[tokio::test]
async fn close_ends_open_items_and_accepts_unknown_ids() {
    let s = setup(Sandbox::builder()).await;
    let (completed, terminated, untouched) = three_requests(&s).await;

    let accepted = s
        .client
        .close_access_requests()
        .body(CloseAccessRequests {
            access_request_ids: vec![completed.clone(), "no-such-request".into()],
            execution_status: Some(CloseExecutionStatus::Completed),
            completion_status: Some(CloseCompletionStatus::Success),
            message: Some("done by hand".into()),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    // The defaults: Terminated, Failure and the vendor's message.
    let response = s
        .post_json(
            operations::CLOSE_ACCESS_REQUESTS.path,
            &json!({"accessRequestIds": [terminated]}),
        )
        .await;
    assert_eq!(response.status(), 202);

    let state_of = |request: &str| {
        s.sandbox
            .statuses()
            .into_iter()
            .filter(|st| st.access_request_id.as_deref() == Some(request))
            .map(|st| (st.state, st.cancelable))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        state_of(&completed),
        vec![(Some(RequestedItemState::RequestCompleted), false); 2]
    );
    assert_eq!(
        state_of(&terminated),
        vec![(Some(RequestedItemState::Terminated), false)]
    );
    assert_eq!(
        state_of(&untouched),
        vec![(Some(RequestedItemState::Executing), true)]
    );
    let closed = first_status(&s, &terminated);
    let warning = closed.error_messages.unwrap()[0][0].text.clone().unwrap();
    assert!(warning.contains("manually closed"), "{warning}");

    // Closing again is accepted and changes nothing: replay-safe.
    let again = s
        .client
        .close_access_requests()
        .body(CloseAccessRequests {
            access_request_ids: vec![completed.clone()],
            execution_status: Some(CloseExecutionStatus::Terminated),
            completion_status: None,
            message: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(
        state_of(&completed),
        vec![(Some(RequestedItemState::RequestCompleted), false); 2]
    );
    assert_eq!(
        operations::CLOSE_ACCESS_REQUESTS.replay,
        sailpoint_access_api::Replay::Safe
    );
}

#[tokio::test]
async fn close_refuses_empty_and_oversized_id_lists() {
    let s = setup(Sandbox::builder()).await;
    let max = sailpoint_access_api::limits::CLOSE_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS;
    assert_eq!(max, 500);
    for n in [0, max + 1] {
        let response = s
            .post_json(
                operations::CLOSE_ACCESS_REQUESTS.path,
                &json!({"accessRequestIds": ids(n)}),
            )
            .await;
        let (text, rule) = raw_rule_error(response, 400).await;
        assert_eq!(rule, Some(Rule::CloseIdsCount), "{n} ids: {text}");
    }
    let response = s
        .post_json(
            operations::CLOSE_ACCESS_REQUESTS.path,
            &json!({"accessRequestIds": ids(max)}),
        )
        .await;
    assert_eq!(response.status(), 202, "the maximum itself is accepted");
    // A value outside the enum is a schema matter: a 400 without a rule.
    let response = s
        .post_json(
            operations::CLOSE_ACCESS_REQUESTS.path,
            &json!({"accessRequestIds": ["x"], "executionStatus": "Paused"}),
        )
        .await;
    let (text, rule) = raw_rule_error(response, 400).await;
    assert_eq!(rule, None, "{text}");
    assert!(text.contains("Paused"), "{text}");
}

#[tokio::test]
async fn bulk_cancel_cancels_the_cancelable_items_and_accepts_unknown_ids() {
    let s = setup(Sandbox::builder()).await;
    let (first, second, kept) = three_requests(&s).await;
    // One item of the first request is past approval: no longer cancelable.
    let approved = first_status(&s, &first).account_activity_item_id.unwrap();
    s.sandbox.approve(&approved).unwrap();

    let response = s
        .client
        .bulk_cancel_access_requests()
        .body(BulkCancelAccessRequests {
            access_request_ids: vec![first.clone(), second.clone(), "unknown".into()],
            comment: "reorganisation".into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    for st in s.sandbox.statuses() {
        let request = st.access_request_id.clone().unwrap();
        let activity = st.account_activity_item_id.clone().unwrap();
        let expected = if activity == approved || request == kept {
            RequestedItemState::Executing
        } else {
            RequestedItemState::Cancelled
        };
        assert_eq!(st.state, Some(expected), "{request}/{activity}");
        if st.state == Some(RequestedItemState::Cancelled) {
            let details = st.cancelled_request_details.unwrap();
            assert_eq!(details.comment.as_deref(), Some("reorganisation"));
        }
    }
    // A replay is accepted and changes nothing.
    let again = s
        .post_json(
            operations::BULK_CANCEL_ACCESS_REQUESTS.path,
            &json!({"accessRequestIds": [first], "comment": "again"}),
        )
        .await;
    assert_eq!(again.status(), 202);
    let comments: Vec<String> = s
        .sandbox
        .statuses()
        .into_iter()
        .filter_map(|st| st.cancelled_request_details.and_then(|d| d.comment))
        .collect();
    assert!(
        comments.iter().all(|c| c == "reorganisation"),
        "{comments:?}"
    );
}

#[tokio::test]
async fn bulk_cancel_refuses_bad_id_lists_and_a_missing_comment() {
    let s = setup(Sandbox::builder()).await;
    let max =
        sailpoint_access_api::limits::BULK_CANCEL_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS;
    assert_eq!(max, 50);
    let path = operations::BULK_CANCEL_ACCESS_REQUESTS.path;
    for (body, want) in [
        (
            json!({"accessRequestIds": ids(max + 1), "comment": "c"}),
            Rule::BulkCancelIdsCount,
        ),
        (
            json!({"accessRequestIds": [], "comment": "c"}),
            Rule::BulkCancelIdsCount,
        ),
        (
            json!({"accessRequestIds": ["a"], "comment": "  "}),
            Rule::BulkCancelComment,
        ),
    ] {
        let response = s.post_json(path, &body).await;
        let (text, rule) = raw_rule_error(response, 400).await;
        assert_eq!(rule, Some(want), "{body}: {text}");
    }
    let response = s
        .post_json(path, &json!({"accessRequestIds": ids(max), "comment": "c"}))
        .await;
    assert_eq!(response.status(), 202, "the maximum itself is accepted");
    // Without the comment at all, the body does not decode: a plain 400.
    let response = s.post_json(path, &json!({"accessRequestIds": ["a"]})).await;
    let (_, rule) = raw_rule_error(response, 400).await;
    assert_eq!(rule, None);
}

#[tokio::test]
async fn config_v2_round_trips_unknown_properties_and_is_validated() {
    let s = setup(Sandbox::builder()).await;
    let path = operations::SET_ACCESS_REQUEST_CONFIG_V2.path;
    let mut document: Value = s.get_json(path).await;
    assert_eq!(document["machineIdentityAccessRequestEnabled"], true);
    assert!(
        document.get("autoApprovalEnabled").is_none(),
        "not the v3 document"
    );
    document["futureSwitch"] = json!({"on": true});
    document["entitlementRequestConfig"]["accessRequestConfig"]["futureLimit"] = json!(7);
    document["entitlementRequestConfig"]["accessRequestConfig"]["maxPermittedAccessDuration"] =
        json!({"value": 2, "timeUnit": "WEEKS", "futureUnitHint": "iso"});
    let put = s.put(path).json(&document).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let stored: Value = put.json().await.unwrap();
    assert_eq!(stored, document);
    let read: Value = s.get_json(path).await;
    assert_eq!(read, document, "served back whole");
    assert_eq!(s.sandbox.config_v2_json(), document);

    // Through the generated client too: the unknown properties survive its types.
    let typed = succeeded(s.client.get_access_request_config_v2().send()).await;
    assert_eq!(typed.extra["futureSwitch"], json!({"on": true}));
    let written = succeeded(s.client.set_access_request_config_v2().body(typed).send()).await;
    assert_eq!(serde_json::to_value(&written).unwrap(), document);

    // The v3/v1 document is untouched.
    assert!(s.sandbox.config_json().get("futureSwitch").is_none());

    for value in [json!(0), json!(-3)] {
        let mut bad = document.clone();
        bad["entitlementRequestConfig"]["accessRequestConfig"]["maxPermittedAccessDuration"]
            ["value"] = value.clone();
        let response = s.put(path).json(&bad).send().await.unwrap();
        let (text, rule) = raw_rule_error(response, 400).await;
        assert_eq!(rule, None);
        assert!(text.contains("Malformed request body"), "{value}: {text}");
    }
    let mut bad = document.clone();
    bad["entitlementRequestConfig"]["accessRequestConfig"]["approvalSchemes"] =
        json!([{"approverType": "GOVERNANCE_GROUP"}]);
    let response = s.put(path).json(&bad).send().await.unwrap();
    let (text, _) = raw_rule_error(response, 400).await;
    assert!(text.contains("approverId"), "{text}");
    assert_eq!(
        s.sandbox.config_v2_json(),
        document,
        "refusals store nothing"
    );
}

#[tokio::test]
async fn config_v1_and_v3_are_one_document() {
    let s = setup(Sandbox::builder()).await;
    let mut config = succeeded(s.client.get_access_request_config_v1().send()).await;
    assert_eq!(config, s.sandbox.config());
    config.auto_approval_enabled = true;
    config
        .extra
        .insert("fromV1".into(), json!({"kept": [1, 2]}));
    s.client
        .set_access_request_config_v1()
        .body(config.clone())
        .send()
        .await
        .unwrap();
    let through_v3 = succeeded(s.client.get_access_request_config().send()).await;
    assert_eq!(through_v3, config);
    assert_eq!(s.sandbox.config_json()["fromV1"]["kept"], json!([1, 2]));
}

#[tokio::test]
async fn deprecation_headers_mark_the_v3_and_v1_configuration_only() {
    let s = setup(Sandbox::builder()).await;
    let config = serde_json::to_value(s.sandbox.config()).unwrap();
    let config_v2 = s.sandbox.config_v2_json();
    let deprecated = [
        &operations::GET_ACCESS_REQUEST_CONFIG,
        &operations::SET_ACCESS_REQUEST_CONFIG,
        &operations::GET_ACCESS_REQUEST_CONFIG_V1,
        &operations::SET_ACCESS_REQUEST_CONFIG_V1,
    ];
    for op in operations::ALL {
        let request = match op.method {
            "GET" => s.get(op.path),
            "PUT" if op.path == operations::SET_ACCESS_REQUEST_CONFIG_V2.path => {
                s.put(op.path).json(&config_v2)
            }
            "PUT" => s.put(op.path).json(&config),
            // The POSTs are answered 400 (no body): the headers do not depend on it.
            _ => s.post(op.path).json(&json!({})),
        };
        let response = request.send().await.unwrap();
        let headers = response.headers();
        if deprecated.contains(&op) {
            assert!(op.deprecated, "{op}");
            assert_eq!(response.status(), 200, "{op}");
            assert_eq!(
                headers["deprecation"], "Thu, 26 Feb 2026 00:00:00 GMT",
                "{op}"
            );
            assert!(headers.contains_key("sunset"), "{op}");
            let link = headers["link"].to_str().unwrap();
            assert!(
                link.starts_with(&format!(
                    "<{}>",
                    operations::GET_ACCESS_REQUEST_CONFIG_V2.path
                )) && link.ends_with("rel=\"deprecation\""),
                "{op}: {link}"
            );
            assert_eq!(headers["x-deprecated"], "true", "{op}");
        } else {
            assert!(!op.deprecated, "{op}");
            for name in ["deprecation", "sunset", "link", "x-deprecated"] {
                assert!(!headers.contains_key(name), "{op} sends {name}");
            }
        }
    }
    // A per-resource version ends two years after its deprecation; v3 at its switch-off.
    let v1 = s
        .get_response(operations::GET_ACCESS_REQUEST_CONFIG_V1.path)
        .await;
    let v3 = s
        .get_response(operations::GET_ACCESS_REQUEST_CONFIG.path)
        .await;
    assert_ne!(v1.headers()["sunset"], v3.headers()["sunset"]);
}
