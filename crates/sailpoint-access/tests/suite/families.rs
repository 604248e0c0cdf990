//! Both API families: the wire format of every operation in each, the
//! operations only the versioned family has, deprecation signals, and the
//! two families over one sandbox state.

use std::collections::HashMap;
use std::time::Duration;

use crate::common::*;
use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use sailpoint_access::types::{
    AccessRequestConfig, AccessRequestConfigV2, CloseCompletionStatus, CloseExecutionStatus,
    RequestedItemState,
};
use sailpoint_access::{
    AccessRequestConfigs, ChangeOutcome, Client, ConfigDocument, ErrorKind, Family, Item,
    RetryPolicy,
};
use sailpoint_access_sandbox::{Operation, Sandbox};
use serde_json::json;

fn client_in(server: &MockServer, family: Family) -> Client {
    Client::builder()
        .rate_limit(None)
        .base_url(server.base_url())
        .access_token(TOKEN)
        .family(family)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// The five shared operations go to the family's own paths, with the same
/// bodies and query names.
#[tokio::test]
async fn shared_operations_use_the_paths_of_the_chosen_family() {
    for (family, create, cancel, list, config) in [
        (
            Family::V3,
            "/v3/access-requests",
            "/v3/access-requests/cancel",
            "/v3/access-request-status",
            "/v3/access-request-config",
        ),
        (
            Family::Versioned,
            "/access-requests/v1",
            "/access-requests/v1/cancel",
            "/access-request-status/v1",
            "/access-request-config/v1",
        ),
    ] {
        let server = MockServer::start_async().await;
        let created = server.mock(|when, then| {
            when.method(POST)
                .path(create)
                .header("authorization", format!("Bearer {TOKEN}"))
                .json_body(json!({
                    "requestType": "GRANT_ACCESS",
                    "requestedFor": ["id-a"],
                    "requestedItems": [{"type": "ROLE", "id": "role-1", "comment": "x"}]
                }));
            then.status(202)
                .json_body(json!({"newRequests": [], "existingRequests": []}));
        });
        let cancelled = server.mock(|when, then| {
            when.method(POST)
                .path(cancel)
                .json_body(json!({"accountActivityId": "act-1", "comment": "why"}));
            then.status(202).json_body(json!({}));
        });
        let listed = server.mock(|when, then| {
            when.method(GET)
                .path(list)
                .query_param("requested-for", "me")
                .query_param("limit", "5")
                .query_param("offset", "0")
                .query_param("sorters", "-created");
            then.status(200)
                .json_body(json!([{"accountActivityItemId": "a1", "identityType": "HUMAN"}]));
        });
        let read = server.mock(|when, then| {
            when.method(GET).path(config);
            then.status(200)
                .json_body(json!({"autoApprovalEnabled": true}));
        });
        let written = server.mock(|when, then| {
            when.method(PUT)
                .path(config)
                .json_body_includes(r#"{"autoApprovalEnabled": false}"#);
            then.status(200).json_body(json!({}));
        });
        let client = client_in(&server, family);
        assert_eq!(client.family(), family);
        client
            .access_requests()
            .grant()
            .for_identity("id-a")
            .item(Item::role("role-1").comment("x"))
            .send()
            .await
            .unwrap();
        client
            .access_requests()
            .cancel("act-1", "why")
            .send()
            .await
            .unwrap();
        let page = client
            .statuses()
            .requested_for("me")
            .limit(5)
            .sort_desc(sailpoint_access::StatusSort::Created)
            .page()
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let cfg = client.access_request_config().get().await.unwrap();
        assert!(cfg.auto_approval_enabled);
        client
            .access_request_config()
            .set(AccessRequestConfig::default())
            .await
            .unwrap();
        for mock in [&created, &cancelled, &listed, &read, &written] {
            mock.assert_calls(1);
        }
    }
}

/// Close, bulk cancel and config v2 always use the versioned family.
#[tokio::test]
async fn versioned_only_operations_have_their_own_wire_format() {
    for family in [Family::V3, Family::Versioned] {
        let server = MockServer::start_async().await;
        let close = server.mock(|when, then| {
            when.method(POST)
                .path("/access-requests/v1/close")
                .json_body(json!({
                    "accessRequestIds": ["r1", "r2"],
                    "executionStatus": "Completed",
                    "completionStatus": "Success",
                    "message": "done elsewhere"
                }));
            then.status(202).json_body(json!({}));
        });
        let bulk = server.mock(|when, then| {
            when.method(POST)
                .path("/access-requests/v1/bulk-cancel")
                .json_body(json!({"accessRequestIds": ["r1"], "comment": "cleanup"}));
            then.status(202).json_body(json!({}));
        });
        let v2_read = server.mock(|when, then| {
            when.method(GET).path("/access-request-config/v2");
            then.status(200).json_body(json!({
                "machineIdentityAccessRequestEnabled": true,
                "futureV2Setting": [1, 2]
            }));
        });
        let v2_write =
            server.mock(|when, then| {
                when.method(PUT).path("/access-request-config/v2").json_body_includes(
                r#"{"machineIdentityAccessRequestEnabled": false, "futureV2Setting": [1, 2]}"#,
            );
                then.status(200).json_body(json!({}));
            });
        let client = client_in(&server, family);
        client
            .access_requests()
            .close(["r1", "r2"])
            .execution_status(CloseExecutionStatus::Completed)
            .completion_status(CloseCompletionStatus::Success)
            .message("done elsewhere")
            .send()
            .await
            .unwrap();
        client
            .access_requests()
            .bulk_cancel(["r1"], "cleanup")
            .send()
            .await
            .unwrap();
        let updated: AccessRequestConfigV2 = client
            .access_request_config_v2()
            .update(|cfg| cfg.machine_identity_access_request_enabled = Some(false))
            .await
            .unwrap();
        let _ = updated;
        for mock in [&close, &bulk, &v2_read, &v2_write] {
            mock.assert_calls(1);
        }
    }
}

#[tokio::test]
async fn close_and_bulk_cancel_are_validated_before_sending() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(202).json_body(json!({}));
    });
    let client = client_in(&server, Family::V3);
    let rule = |e: sailpoint_access::Error| e.validation().map(|v| v.rule.code()).unwrap_or("none");
    let err = client
        .access_requests()
        .close(Vec::<String>::new())
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "close.ids_count");
    let many: Vec<String> = (0..501).map(|i| format!("r{i}")).collect();
    let err = client
        .access_requests()
        .close(many.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "close.ids_count");
    client
        .access_requests()
        .close(many[..500].to_vec())
        .send()
        .await
        .unwrap();
    let err = client
        .access_requests()
        .bulk_cancel(many[..51].to_vec(), "x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "bulk_cancel.ids_count");
    let err = client
        .access_requests()
        .bulk_cancel(["r1"], " ")
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "bulk_cancel.comment");
    let err = client
        .access_requests()
        .close([" "])
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "close.ids_count");
    any.assert_calls(1);
}

#[tokio::test]
async fn deprecation_headers_are_warned_once_per_operation_and_queryable() {
    let (capture, _guard) = Capture::install();
    let server = MockServer::start_async().await;
    server.mock(|when, then| {
        when.method(GET).path("/access-request-config/v1");
        then.status(200)
            .header("Deprecation", "Thu, 26 Feb 2026 00:00:00 GMT")
            .header("Sunset", "Tue, 26 Feb 2028 00:00:00 GMT")
            .header(
                "Link",
                r#"<https://developer.example/v2>; rel="deprecation""#,
            )
            .json_body(json!({}));
    });
    server.mock(|when, then| {
        when.method(GET).path("/access-request-status/v1");
        then.status(200)
            .header("X-Deprecated", "true")
            .json_body(json!([]));
    });
    server.mock(|when, then| {
        when.method(GET).path("/access-request-config/v2");
        then.status(200).json_body(json!({}));
    });
    let client = client_in(&server, Family::Versioned);
    for _ in 0..3 {
        client.access_request_config().get().await.unwrap();
    }
    client.statuses().page().await.unwrap();
    client.access_request_config_v2().get().await.unwrap();
    let seen: HashMap<_, _> = client.deprecations().into_iter().collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let v1 = &seen["get_access_request_config_v1"];
    assert_eq!(v1.sunset.as_deref(), Some("Tue, 26 Feb 2028 00:00:00 GMT"));
    assert_eq!(v1.link.as_deref(), Some("https://developer.example/v2"));
    assert!(seen["list_access_request_status_v1"].x_deprecated);
    let logs = capture.text();
    assert_eq!(
        logs.matches("the service marks this operation deprecated")
            .count(),
        2,
        "{logs}"
    );
}

#[test]
fn the_family_comes_from_the_environment() {
    let dir = std::env::temp_dir();
    let env = |family: &str| {
        HashMap::from([
            (
                "SAIL_BASE_URL".to_owned(),
                "https://acme.api.identitynow.com".to_owned(),
            ),
            ("SAIL_ACCESS_TOKEN".to_owned(), "t".to_owned()),
            ("SAIL_API_FAMILY".to_owned(), family.to_owned()),
        ])
    };
    assert_eq!(
        Client::from_env_map(&env("versioned"), &dir)
            .unwrap()
            .family(),
        Family::Versioned
    );
    assert_eq!(
        Client::from_env_map(&env(""), &dir).unwrap().family(),
        Family::V3
    );
    let err = Client::from_env_map(&env("v2026"), &dir).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);
    assert!(err.to_string().contains("SAIL_API_FAMILY"), "{err}");
}

/// One sandbox state behind both families.
#[tokio::test]
async fn a_request_created_in_one_family_is_listed_and_cancelled_in_the_other() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let v3 = sandbox_client(&sandbox, quick_retry(2));
    let versioned = Client::builder()
        .rate_limit(None)
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .family(Family::Versioned)
        .build()
        .unwrap();
    let sent = grant_role(&v3, "2c9180857182305e0171993735622948", "role-1")
        .await
        .unwrap();
    let ids: Vec<String> = sent
        .new_requests
        .iter()
        .flat_map(|t| t.access_request_ids.clone())
        .collect();
    assert_eq!(ids.len(), 1);
    let listed = versioned.statuses().collect(10).await.unwrap();
    assert_eq!(listed.len(), 1);
    let activity = listed[0].account_activity_item_id.clone().unwrap();
    versioned
        .access_requests()
        .cancel(&activity, "changed my mind")
        .send()
        .await
        .unwrap();
    let after = v3.statuses().collect(10).await.unwrap();
    assert_eq!(after[0].state, Some(RequestedItemState::Cancelled));
    assert!(sandbox.requests_received(Operation::CancelAccessRequestV1) >= 1);
    assert_eq!(sandbox.requests_received(Operation::CancelAccessRequest), 0);

    // Created in the versioned family, cancelled through v3.
    let sent = grant_role(&versioned, "2c9180857182305e0171993735622949", "role-2")
        .await
        .unwrap();
    assert_eq!(sent.new_requests.len(), 1);
    let pending: Vec<_> = v3
        .statuses()
        .collect(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.state == Some(RequestedItemState::Executing))
        .collect();
    assert_eq!(pending.len(), 1);
    v3.access_requests()
        .cancel(pending[0].account_activity_item_id.clone().unwrap(), "no")
        .send()
        .await
        .unwrap();
}

/// Cancelling many: chunks of 50, then a re-read that tells the truth.
#[tokio::test]
async fn cancel_many_splits_by_fifty_and_reports_what_really_changed() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    for family in [Family::V3, Family::Versioned] {
        let client = Client::builder()
            .rate_limit(None)
            .base_url(sandbox.base_url())
            .client_credentials(sandbox.client_id(), sandbox.client_secret())
            .family(family)
            .build()
            .unwrap();
        let mut ids = Vec::new();
        for i in 0..60 {
            let sent = grant_role(&client, format!("identity-{family:?}-{i}"), "role-1")
                .await
                .unwrap();
            ids.extend(
                sent.new_requests
                    .iter()
                    .flat_map(|t| t.access_request_ids.clone()),
            );
        }
        assert_eq!(ids.len(), 60);
        let unknown: Vec<String> = (0..5).map(|i| format!("no-such-request-{i}")).collect();
        let report = client
            .cancel_many("project ended")
            .ids(ids.iter().chain(&unknown).cloned())
            .settle(Duration::from_millis(10))
            .send()
            .await
            .unwrap();
        assert_eq!(report.change_calls, 2, "65 ids in chunks of 50");
        assert_eq!(report.changed().count(), 60);
        for id in &unknown {
            assert_eq!(report.outcomes[id], ChangeOutcome::NotFound);
        }
        // A second round: nothing left to cancel, and the report says so.
        let again = client
            .cancel_many("again")
            .ids(ids[..3].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(again.changed().count(), 3, "still cancelled: {again:?}");
        eprintln!(
            "FIGURES cancel-requests: family={family:?} ids=65 cancel_calls={} check_calls={}",
            report.change_calls, report.check_calls
        );
    }
    assert_eq!(
        sandbox.requests_received(Operation::BulkCancelAccessRequests),
        2 * 3
    );
}

#[tokio::test]
async fn an_in_filter_on_access_request_ids_is_refused_for_the_versioned_family() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!([]));
    });
    let filter = sailpoint_access::Filter::access_request_id().in_(["r1", "r2"]);
    let err = client_in(&server, Family::Versioned)
        .statuses()
        .filter(filter.clone())
        .page()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, "filter.versioned_operator");
    any.assert_calls(0);
    // v3 sends it.
    client_in(&server, Family::V3)
        .statuses()
        .filter(filter)
        .page()
        .await
        .unwrap();
    any.assert_calls(1);
}

/// Each family gets only the operators it documents per field (data from
/// the spec's `x-filter-operators`): `accountActivityItemId isnull` and `lt`
/// are v3 only and refused before sending in the versioned family, naming
/// the family and what it takes; the sandbox refuses them too.
#[tokio::test]
async fn filters_carry_only_the_operators_their_family_documents() {
    use sailpoint_access::Filter;
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!([]));
    });
    for filter in [
        Filter::account_activity_item_id().is_null(),
        Filter::account_activity_item_id().lt("x"),
        Filter::created()
            .ge(sailpoint_access::Timestamp::now())
            .and(Filter::account_activity_item_id().is_null()),
    ] {
        let err = client_in(&server, Family::Versioned)
            .statuses()
            .filter(filter.clone())
            .page()
            .await
            .unwrap_err();
        let v = err.validation().expect("refused before sending");
        assert_eq!(v.rule, "filter.versioned_operator");
        assert!(v.message.contains("versioned"), "{v}");
        assert!(v.message.contains("eq, ne, gt, ge, le, in, sw"), "{v}");
        client_in(&server, Family::V3)
            .statuses()
            .filter(filter)
            .page()
            .await
            .unwrap();
    }
    any.assert_calls(3);

    let sandbox = Sandbox::builder().start().await.unwrap();
    let raw = sandbox_client(&sandbox, RetryPolicy::disabled());
    let refused = raw
        .raw()
        .list_access_request_status_v1()
        .filters("accountActivityItemId isnull")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    raw.raw()
        .list_access_request_status()
        .filters("accountActivityItemId isnull")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_waiter_works_in_the_versioned_family() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = Client::builder()
        .rate_limit(None)
        .base_url(sandbox.base_url())
        .client_credentials(sandbox.client_id(), sandbox.client_secret())
        .family(Family::Versioned)
        .build()
        .unwrap();
    let sent = client
        .access_requests()
        .grant()
        .for_identities([
            "2c9180857182305e0171993735622948",
            "2c9180857182305e0171993735622949",
        ])
        .role("role-1")
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = sent
        .new_requests
        .iter()
        .flat_map(|t| t.access_request_ids.clone())
        .collect();
    let report = client.cancel_many("done").ids(ids).send().await.unwrap();
    assert_eq!(report.changed().count(), report.outcomes.len());
    let done = client
        .wait_until_done_for(&sent)
        .poll_interval(Duration::from_millis(10), Duration::from_millis(20))
        .deadline(Duration::from_secs(5))
        .wait()
        .await
        .unwrap();
    assert!(
        done.iter()
            .all(|s| s.state == Some(RequestedItemState::Cancelled)),
        "{done:?}"
    );
    assert!(sandbox.requests_received(Operation::ListAccessRequestStatusV1) >= 2);
}

/// Reads the document, changes one setting through `update`, and checks the
/// tenant kept it; the same code for every document.
async fn update_round_trip<D: ConfigDocument + PartialEq>(
    handle: AccessRequestConfigs<D>,
    change: fn(&mut D),
) {
    let before = handle.get().await.unwrap();
    let mut expected = before.clone();
    change(&mut expected);
    assert_ne!(before, expected, "the change changes something");
    let stored = handle.update(change).await.unwrap();
    assert_eq!(stored, expected);
    assert_eq!(handle.get().await.unwrap(), expected);
}

/// One generic handle serves both configuration documents, in both families.
#[tokio::test]
async fn one_config_handle_serves_both_documents() {
    for family in Family::ALL {
        let sandbox = Sandbox::builder().start().await.unwrap();
        let client = Client::builder()
            .base_url(sandbox.base_url())
            .client_credentials(sandbox.client_id(), sandbox.client_secret())
            .family(family)
            .retry(quick_retry(2))
            .build()
            .unwrap();
        update_round_trip(client.access_request_config(), |c| {
            c.auto_approval_enabled = !c.auto_approval_enabled
        })
        .await;
        update_round_trip(client.access_request_config_v2(), |c| {
            c.machine_identity_access_request_enabled =
                Some(!c.machine_identity_access_request_enabled.unwrap_or(false))
        })
        .await;
        let config_op = match family {
            Family::V3 => Operation::GetAccessRequestConfig,
            _ => Operation::GetAccessRequestConfigV1,
        };
        assert_eq!(sandbox.requests_received(config_op), 3, "{family}");
        assert_eq!(
            sandbox.requests_received(Operation::GetAccessRequestConfigV2),
            3,
            "{family}: v2 is versioned whatever the client's family"
        );
    }
    let strict = |text: &str| AccessRequestConfigV2::from_json_strict(text);
    let err = strict(r#"{"entitlementRequestConfig": {"revocationRequestConfig": {"x": 1}}}"#)
        .unwrap_err();
    assert_eq!(
        err.validation().unwrap().value,
        "entitlementRequestConfig.revocationRequestConfig.x"
    );
    assert!(strict("[]")
        .unwrap_err()
        .to_string()
        .contains("not a v2 access request configuration"));
    assert!(
        AccessRequestConfig::from_json_strict(r#"{"autoApprovalEnabled": true}"#)
            .unwrap()
            .auto_approval_enabled
    );
}
