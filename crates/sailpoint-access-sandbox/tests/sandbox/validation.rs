//! Every rule the sandbox enforces on submissions and requests, each a 400
//! in the error shape (never a panic or a hang) naming the rule in `causes`,
//! and nothing recorded.

use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestItem, AccessRequestType, RequestedForDtoRef,
    RequestedItemDtoRef,
};
use sailpoint_access_api::{Family, Rule, Timestamp};
use sailpoint_access_sandbox::{validate_access_request, Sandbox};

use crate::common::{
    api_error, detailed_text, grant, item, raw_error, raw_rule_error, rule_of, setup, Setup,
};

/// Submits `request` and expects a 400 whose message contains `needle` and
/// whose `causes` name `rule` (`None`: a schema error, no `causes`). The
/// direct validator agrees on the rule.
async fn refused(s: &Setup, cases: Vec<(AccessRequest, &str, Option<Rule>)>) {
    for (request, needle, rule) in cases {
        let direct = validate_access_request(Family::V3, &request, Timestamp::now()).err();
        let (status, error) =
            api_error(s.client.create_access_request().body(request).send().await).await;
        assert_eq!(status, 400);
        let text = detailed_text(&error);
        assert!(text.contains(needle), "expected {needle:?} in {text:?}");
        assert_eq!(
            error.detail_code.as_deref(),
            Some("400.1 Bad Request Content")
        );
        assert_eq!(rule_of(&error), rule, "{text}");
        if let Some(rule) = rule {
            assert_eq!(direct, Some((rule, text)));
        }
    }
}

fn entitlements(n: usize) -> Vec<AccessRequestItem> {
    (0..n)
        .map(|i| item(AccessItemType::Entitlement, &format!("ent-{i}")))
        .collect()
}

fn future(days: i64) -> Timestamp {
    (chrono::Utc::now() + chrono::Duration::days(days)).into()
}

/// A role item `r` as `change` leaves it.
fn role_with(change: impl FnOnce(&mut AccessRequestItem)) -> AccessRequestItem {
    let mut role = role();
    change(&mut role);
    role
}

/// A per-identity role item.
fn per_role(id: &str) -> RequestedItemDtoRef {
    RequestedItemDtoRef {
        type_: AccessItemType::Role,
        id: id.to_owned(),
        comment: None,
        client_metadata: Default::default(),
        start_date: None,
        remove_date: None,
        account_selection: None,
        native_identity: None,
        form_instance_id: None,
    }
}

/// A request in the per-identity form: (identity, its items) entries.
fn per_identity(entries: Vec<(&str, Vec<RequestedItemDtoRef>)>) -> AccessRequest {
    let entries = entries.into_iter().map(|(id, items)| RequestedForDtoRef {
        identity_id: id.to_owned(),
        identity_type: None,
        requested_items: items,
    });
    AccessRequest {
        requested_for_with_requested_items: Some(entries.collect()),
        ..AccessRequest::default()
    }
}

fn role() -> AccessRequestItem {
    item(AccessItemType::Role, "r")
}

#[tokio::test]
async fn limits_on_entitlements_identities_and_revokes() {
    let s = setup(Sandbox::builder()).await;
    // At the limits: accepted.
    let ten: Vec<String> = (0..10).map(|i| format!("id-{i}")).collect();
    let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
    s.client
        .create_access_request()
        .body(grant(&ten, entitlements(25)))
        .send()
        .await
        .expect("25 entitlements for 10 identities is allowed");
    assert_eq!(s.sandbox.status_count(), 250);

    let eleven: Vec<String> = (0..11).map(|i| format!("id-{i}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let revoke = |ids: &[&str], items| AccessRequest {
        request_type: Some(AccessRequestType::RevokeAccess),
        ..grant(ids, items)
    };
    let dated = role_with(|r| r.start_date = Some(future(3)));
    let silent = role_with(|r| r.comment = None);
    let cases = vec![
        (
            grant(&["a"], entitlements(26)),
            "at most 25",
            Some(Rule::RequestedItemsCount),
        ),
        (
            grant(&eleven, entitlements(1)),
            "at most 10",
            Some(Rule::GrantEntitlementLimits),
        ),
        (
            revoke(&["a", "b"], vec![role()]),
            "single identity",
            Some(Rule::RevokeSingleIdentity),
        ),
        (
            revoke(&["a"], entitlements(2)),
            "1 entitlement",
            Some(Rule::RevokeSingleEntitlement),
        ),
        (
            revoke(&["a"], vec![dated]),
            "startDate is not allowed",
            Some(Rule::RevokeNoStartDate),
        ),
        (
            revoke(&["a"], vec![silent]),
            "comment is required",
            Some(Rule::RevokeCommentRequired),
        ),
    ];
    refused(&s, cases).await;
    // Roles only: more than 10 identities is fine.
    s.client
        .create_access_request()
        .body(grant(&eleven, vec![item(AccessItemType::Role, "r")]))
        .send()
        .await
        .expect("roles for 11 identities");

    // Valid revokes: a sunset on a role, and (as tenants accept since 2026) on an entitlement.
    let mut sunset_role = item(AccessItemType::Role, "r");
    sunset_role.remove_date = Some(future(3));
    s.client
        .create_access_request()
        .body(revoke(&["a"], vec![sunset_role]))
        .send()
        .await
        .expect("revoke of a role with a removeDate");
    let mut sunset = item(AccessItemType::Entitlement, "e");
    sunset.remove_date = Some(future(3));
    s.client
        .create_access_request()
        .body(revoke(&["a"], vec![sunset]))
        .send()
        .await
        .expect("revoke of an entitlement with a removeDate");
    assert_eq!(s.sandbox.access_requests_accepted(), 4);
}

#[tokio::test]
async fn missing_fields_bad_enums_and_dates() {
    let s = setup(Sandbox::builder()).await;
    let group = item(AccessItemType::Unknown("GROUP".into()), "r");
    let borrow = AccessRequest {
        request_type: Some(AccessRequestType::Unknown("BORROW_ACCESS".into())),
        ..grant(&["a"], vec![role()])
    };
    let past = role_with(|r| r.remove_date = Some("2020-01-01T00:00:00Z".parse().unwrap()));
    let backwards = role_with(|r| {
        r.start_date = Some(future(5));
        r.remove_date = Some(future(2));
    });
    // Both request forms at once, and the per-identity form outside GRANT.
    let one_entry = per_identity(vec![("a", vec![per_role("r")])]);
    let both = AccessRequest {
        requested_for_with_requested_items: one_entry.requested_for_with_requested_items.clone(),
        ..grant(&["a"], vec![role()])
    };
    let revoke_per_identity = AccessRequest {
        request_type: Some(AccessRequestType::RevokeAccess),
        ..one_entry.clone()
    };
    let cases = vec![
        (
            grant(&[], vec![role()]),
            "requestedFor is required",
            Some(Rule::RequestedForNonEmpty),
        ),
        (
            grant(&["a"], vec![]),
            "requestedItems is required",
            Some(Rule::RequestedItemsCount),
        ),
        (grant(&["a"], vec![group]), "Invalid type 'GROUP'", None),
        (
            borrow,
            "Invalid requestType 'BORROW_ACCESS'",
            Some(Rule::RequestType),
        ),
        (
            grant(&["a"], vec![item(AccessItemType::Role, " ")]),
            "empty id",
            Some(Rule::ItemId),
        ),
        (
            grant(&["a"], vec![past]),
            "must be in the future",
            Some(Rule::DatesRemoveInFuture),
        ),
        (
            grant(&["a"], vec![backwards]),
            "after its startDate",
            Some(Rule::DatesStartBeforeRemove),
        ),
        (both, "not both", Some(Rule::RequestForm)),
        (
            revoke_per_identity,
            "only supported for GRANT_ACCESS",
            Some(Rule::PerIdentityGrantOnly),
        ),
    ];
    refused(&s, cases).await;
    // The per-identity form on its own is accepted.
    s.client
        .create_access_request()
        .body(one_entry)
        .send()
        .await
        .expect("requestedForWithRequestedItems alone");
    assert_eq!(s.sandbox.status_count(), 1);
}

#[tokio::test]
async fn malformed_bodies_and_content_types() {
    let s = setup(Sandbox::builder()).await;
    let cases: [(&str, Option<&str>, &str); 9] = [
        (
            "/v3/access-requests",
            Some("application/json"),
            "{\"requestedFor\": [\"a\"",
        ),
        ("/v3/access-requests", Some("application/json"), "not json"),
        ("/v3/access-requests", Some("application/json"), ""),
        ("/v3/access-requests", Some("application/json"), "[1,2]"),
        // A requested item without `type`: a missing field.
        (
            "/v3/access-requests",
            Some("application/json"),
            r#"{"requestedFor":["a"],"requestedItems":[{"id":"r"}]}"#,
        ),
        (
            "/v3/access-requests",
            Some("text/plain"),
            r#"{"requestedFor":["a"],"requestedItems":[{"type":"ROLE","id":"r"}]}"#,
        ),
        (
            "/v3/access-requests",
            None,
            r#"{"requestedFor":["a"],"requestedItems":[{"type":"ROLE","id":"r"}]}"#,
        ),
        (
            "/v3/access-requests/cancel",
            Some("application/json"),
            r#"{"accountActivityId":"x"}"#,
        ),
        (
            "/v3/access-requests/cancel",
            Some("application/x-www-form-urlencoded"),
            "accountActivityId=x&comment=y",
        ),
    ];
    for (path, content_type, body) in cases {
        let mut request = s.post(path).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let text = raw_error(request.send().await.unwrap(), 400).await;
        if content_type != Some("application/json") {
            assert!(text.contains("Content-Type"), "{text}");
        }
    }
    // Empty or blank strings where ids and the comment are required.
    let cases = [
        ("", "c", "accountActivityId", Rule::CancelAccountActivityId),
        (" ", "c", "accountActivityId", Rule::CancelAccountActivityId),
        ("x", " ", "comment", Rule::CancelComment),
        ("x", "", "comment", Rule::CancelComment),
    ];
    for (activity, comment, needle, expected) in cases {
        let body = serde_json::json!({"accountActivityId": activity, "comment": comment});
        let response = s.post("/v3/access-requests/cancel").json(&body).send();
        let (text, rule) = raw_rule_error(response.await.unwrap(), 400).await;
        assert!(text.contains(needle), "{body}: {text}");
        assert_eq!(rule, Some(expected), "{body}");
    }
    assert_eq!(s.sandbox.status_count(), 0);
    assert_eq!(s.sandbox.access_requests_accepted(), 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let s = setup(Sandbox::builder()).await;
    let response = s.get_response("/v3/nothing-here").await;
    raw_error(response, 404).await;
    let response = s
        .http
        .delete(s.url("/v3/access-request-config"))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    raw_error(response, 405).await;
}

#[tokio::test]
async fn duplicate_and_per_identity_rules_name_their_codes() {
    let s = setup(Sandbox::builder()).await;
    let early = role_with(|r| r.start_date = Some("2020-01-01T00:00:00Z".parse().unwrap()));
    let many: Vec<RequestedItemDtoRef> = (0..26).map(|i| per_role(&format!("r{i}"))).collect();
    let twice = per_identity(vec![("a", vec![per_role("r")]), ("a", vec![per_role("q")])]);
    let cases = vec![
        // A duplicate identity in requestedFor is refused.
        (
            grant(&["a", "b", "a"], vec![role()]),
            "more than once",
            Some(Rule::RequestedForUnique),
        ),
        (
            grant(&["a"], vec![early]),
            "must be in the future",
            Some(Rule::DatesStartInFuture),
        ),
        (
            grant(&[" "], vec![role()]),
            "empty identity",
            Some(Rule::RequestedForId),
        ),
        (
            twice,
            "more than once",
            Some(Rule::PerIdentityUniqueIdentity),
        ),
        (
            per_identity(vec![("", vec![per_role("r")])]),
            "empty identityId",
            Some(Rule::PerIdentityIdentityId),
        ),
        (
            per_identity(vec![("a", vec![])]),
            "No items are requested for identity a",
            Some(Rule::PerIdentityItemsCount),
        ),
        (
            per_identity(vec![("a", many)]),
            "at most 25",
            Some(Rule::PerIdentityItemsCount),
        ),
        (
            per_identity(vec![]),
            "at least one identity",
            Some(Rule::RequestedForNonEmpty),
        ),
    ];
    refused(&s, cases).await;
    assert_eq!(s.sandbox.status_count(), 0);
    assert_eq!(s.sandbox.access_requests_accepted(), 0);

    // Malformed bodies are schema errors: no rule named.
    let (_, rule) = raw_rule_error(
        s.post("/v3/access-requests")
            .header("content-type", "application/json")
            .body("not json")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(rule, None);
}

#[tokio::test]
async fn the_rule_code_is_in_causes_on_the_wire() {
    let s = setup(Sandbox::builder()).await;
    let response = s
        .post_json(
            "/v3/access-requests",
            &serde_json::json!({
                "requestType": "REVOKE_ACCESS",
                "requestedFor": ["a", "b"],
                "requestedItems": [{"type": "ROLE", "id": "r", "comment": "gone"}]
            }),
        )
        .await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["detailCode"], "400.1 Bad Request Content");
    assert!(body["messages"][0]["text"]
        .as_str()
        .unwrap()
        .contains("single identity"));
    assert_eq!(
        body["causes"],
        serde_json::json!([{
            "locale": "en-US",
            "localeOrigin": "DEFAULT",
            "text": "revoke.single_identity"
        }])
    );
}
