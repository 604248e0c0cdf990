//! The status list: identity parameters, filters, sorters, paging,
//! `X-Total-Count`, and the "Specified offset is invalid." quirk.

use sailpoint_access_api::types::{
    ApprovalStatusDto, IdentityReference, ManualWorkItemState, OwnerReference, RequestStateFilter,
    RequestedForIdentities, RequestedItemState, RequestedItemStatus,
};
use sailpoint_access_api::Rule;
use sailpoint_access_sandbox::{Directory, Sandbox, APPROVER_IDENTITY_ID, CALLER_IDENTITY_ID};

use crate::common::{
    api_error, detailed_text, raw_error, raw_rule_error, rule_of, setup, succeeded, Setup,
};

fn person(id: &str) -> IdentityReference {
    IdentityReference {
        id: Some(id.to_owned()),
        name: Some(id.to_uppercase()),
        type_: None,
    }
}

/// Twelve statuses with known fields: `aai-00`..`aai-11`, three per access
/// request, created on consecutive days and modified in reverse order.
async fn known() -> Setup {
    let s = setup(Sandbox::builder()).await;
    let names = ["delta", "alpha", "charlie", "bravo"];
    s.sandbox.insert_statuses((0..12).map(|i| {
        let executing = i % 2 == 0;
        RequestedItemStatus {
            account_activity_item_id: Some(format!("aai-{i:02}")),
            access_request_id: Some(format!("ar-{}", i / 3)),
            name: Some(names[i % 4].to_owned()),
            created: Some(format!("2024-01-{:02}T10:00:00Z", i + 1).parse().unwrap()),
            modified: Some(format!("2024-06-{:02}T10:00:00Z", 20 - i).parse().unwrap()),
            requester: Some(person(if i < 4 { CALLER_IDENTITY_ID } else { "id-req" })),
            requested_for: Some(RequestedForIdentities::One(person(&format!(
                "id-{}",
                i % 4
            )))),
            state: Some(if executing {
                RequestedItemState::Executing
            } else {
                RequestedItemState::RequestCompleted
            }),
            approval_details: vec![ApprovalStatusDto {
                status: Some(if executing {
                    ManualWorkItemState::Pending
                } else {
                    ManualWorkItemState::Approved
                }),
                original_owner: Some(OwnerReference {
                    id: Some(APPROVER_IDENTITY_ID.to_owned()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            cancelable: executing,
            ..Default::default()
        }
    }));
    s
}

async fn ids_for(s: &Setup, query: &str) -> Vec<String> {
    let response = s
        .get_response(&format!("/v3/access-request-status?{query}"))
        .await;
    assert_eq!(response.status(), 200, "{query}");
    let page: Vec<RequestedItemStatus> = response.json().await.unwrap();
    page.into_iter()
        .map(|st| st.account_activity_item_id.unwrap())
        .map(|id| id.trim_start_matches("aai-").to_owned())
        .collect()
}

async fn filtered(s: &Setup, filter: &str) -> Vec<String> {
    let page = s
        .client
        .list_access_request_status()
        .filters(filter)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
        .into_inner();
    page.into_iter()
        .map(|st| {
            st.account_activity_item_id
                .unwrap()
                .trim_start_matches("aai-")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn filters_on_each_documented_field_and_operator() {
    let s = known().await;
    let cases: [(&str, &[&str]); 16] = [
        (r#"accountActivityItemId eq "aai-03""#, &["03"]),
        (
            r#"accountActivityItemId ne "aai-03""#,
            &[
                "00", "01", "02", "04", "05", "06", "07", "08", "09", "10", "11",
            ],
        ),
        (r#"accountActivityItemId gt "aai-09""#, &["10", "11"]),
        (r#"accountActivityItemId ge "aai-10""#, &["10", "11"]),
        (r#"accountActivityItemId lt "aai-02""#, &["00", "01"]),
        (r#"accountActivityItemId le "aai-01""#, &["00", "01"]),
        (
            r#"accountActivityItemId in ("aai-01","aai-07", "nope")"#,
            &["01", "07"],
        ),
        (r#"accountActivityItemId sw "aai-1""#, &["10", "11"]),
        ("accountActivityItemId isnull", &[]),
        (r#"accessRequestId eq "ar-1""#, &["03", "04", "05"]),
        (
            r#"accessRequestId in ("ar-0", "ar-3")"#,
            &["00", "01", "02", "09", "10", "11"],
        ),
        (r#"accessRequestId sw "ar-2""#, &["06", "07", "08"]),
        ("created gt 2024-01-10T10:00:00Z", &["10", "11"]),
        (r#"created le "2024-01-02T10:00:00Z""#, &["00", "01"]),
        ("created eq 2024-01-05T10:00:00.000Z", &["04"]),
        (
            r#"accessRequestId ne "ar-0" and (created lt 2024-01-08T00:00:00Z and accountActivityItemId ne "aai-04")"#,
            &["03", "05", "06"],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(filtered(&s, filter).await, expected, "{filter}");
    }
}

#[tokio::test]
async fn bad_filters_name_the_problem() {
    let s = known().await;
    let cases = [
        (r#"name eq "alpha""#, "field 'name'"),
        (
            r#"created sw "2024""#,
            "'sw' is not supported for field 'created'",
        ),
        ("accessRequestId isnull", "'isnull' is not supported"),
        (r#"accountActivityItemId co "a""#, "unknown operator 'co'"),
        ("accountActivityItemId eq aai-01", "double-quoted"),
        (r#"accountActivityItemId eq "aai-01"#, "not closed"),
        (
            r#"accountActivityItemId eq "a" or accessRequestId eq "b""#,
            "'or'",
        ),
        ("created gt yesterday", "'created'"),
        (r#"accountActivityItemId in ("a""#, "not closed"),
    ];
    for (filter, needle) in cases {
        let (status, error) = api_error(
            s.client
                .list_access_request_status()
                .filters(filter)
                .send()
                .await,
        )
        .await;
        assert_eq!(status, 400, "{filter}");
        let text = detailed_text(&error);
        assert!(text.contains(needle), "{filter}: {text}");
    }
}

#[tokio::test]
async fn sorters_single_multiple_and_descending() {
    let s = known().await;
    assert_eq!(
        ids_for(&s, "sorters=-created&limit=3").await,
        ["11", "10", "09"]
    );
    assert_eq!(ids_for(&s, "sorters=modified&limit=2").await, ["11", "10"]);
    assert_eq!(
        ids_for(&s, "sorters=-accountActivityItemId&limit=2").await,
        ["11", "10"]
    );
    // name ascending, ties by accountActivityItemId descending.
    assert_eq!(
        ids_for(&s, "sorters=name,-accountActivityItemId&limit=4").await,
        ["09", "05", "01", "11"]
    );
    // Sorting composes with filtering and paging.
    assert_eq!(
        ids_for(
            &s,
            "sorters=-created&filters=accessRequestId%20eq%20%22ar-1%22&offset=1&limit=5"
        )
        .await,
        ["04", "03"]
    );
    for bad in ["priority", "created,", "-", "created;name"] {
        let response = s
            .get("/v3/access-request-status")
            .query(&[("sorters", bad)])
            .send()
            .await
            .unwrap();
        let text = raw_error(response, 400).await;
        assert!(text.contains("sorters"), "{bad}: {text}");
    }
}

#[tokio::test]
async fn paging_with_counts() {
    let s = known().await;
    let mut seen = Vec::new();
    for offset in [0, 5, 10] {
        let response = s
            .client
            .list_access_request_status()
            .limit(5)
            .offset(offset)
            .count(true)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-total-count"], "12");
        seen.extend(response.into_inner());
    }
    assert_eq!(seen.len(), 12);
    assert_eq!(
        seen,
        s.sandbox.statuses(),
        "pages cover the list once, in order"
    );

    // The count ignores paging but not filters; no header without count=true.
    let response = s
        .client
        .list_access_request_status()
        .request_state(RequestStateFilter::Executing)
        .limit(2)
        .count(true)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-total-count"], "6");
    assert_eq!(response.into_inner().len(), 2);
    let response = s
        .client
        .list_access_request_status()
        .limit(2)
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("x-total-count").is_none());

    // limit=0: an empty page, still counted.
    let response = s
        .get_response("/v3/access-request-status?limit=0&count=true")
        .await;
    assert_eq!(response.headers()["x-total-count"], "12");
    assert_eq!(
        response
            .json::<Vec<serde_json::Value>>()
            .await
            .unwrap()
            .len(),
        0
    );
    // Past the end (not a multiple): an empty page.
    assert!(ids_for(&s, "limit=5&offset=15").await.is_empty());
}

#[tokio::test]
async fn offset_at_a_multiple_of_the_limit_is_invalid_when_the_quirk_is_on() {
    let s = known().await;
    for (limit, offset) in [(4, 12), (6, 12), (3, 12), (1, 12)] {
        let (status, error) = api_error(
            s.client
                .list_access_request_status()
                .limit(limit)
                .offset(offset)
                .send()
                .await,
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(detailed_text(&error), "Specified offset is invalid.");
    }
    // Not on a multiple, or not at the end: ordinary pages.
    assert!(ids_for(&s, "limit=5&offset=12").await.is_empty());
    assert!(ids_for(&s, "limit=4&offset=16").await.is_empty());
    assert_eq!(ids_for(&s, "limit=4&offset=8").await.len(), 4);
    // Filters change the total the rule looks at.
    let (status, _) = api_error(
        s.client
            .list_access_request_status()
            .filters(r#"accessRequestId eq "ar-0""#)
            .limit(3)
            .offset(3)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 400);

    s.sandbox.set_offset_quirk(false);
    let page = s
        .client
        .list_access_request_status()
        .limit(4)
        .offset(12)
        .send()
        .await
        .unwrap();
    assert!(page.into_inner().is_empty());
    let quiet = setup(Sandbox::builder().offset_quirk(false)).await;
    assert!(quiet
        .client
        .list_access_request_status()
        .offset(0)
        .send()
        .await
        .unwrap()
        .into_inner()
        .is_empty());
}

#[tokio::test]
async fn identity_parameters_and_request_state() {
    let s = known().await;
    assert_eq!(ids_for(&s, "requested-for=id-1").await, ["01", "05", "09"]);
    assert_eq!(
        ids_for(&s, "requested-by=me").await,
        ["00", "01", "02", "03"]
    );
    assert_eq!(
        ids_for(
            &s,
            &format!("requested-by={CALLER_IDENTITY_ID}&requested-for=id-2")
        )
        .await,
        ["02"]
    );
    // regarding-identity: requester or target.
    assert_eq!(
        ids_for(&s, "regarding-identity=id-0").await,
        ["00", "04", "08"]
    );
    assert_eq!(
        ids_for(&s, "regarding-identity=me").await,
        ["00", "01", "02", "03"]
    );
    // assigned-to: the owner of a pending approval.
    assert_eq!(
        ids_for(&s, &format!("assigned-to={APPROVER_IDENTITY_ID}")).await,
        ["00", "02", "04", "06", "08", "10"]
    );
    assert!(ids_for(&s, "assigned-to=me").await.is_empty());
    assert_eq!(
        ids_for(&s, "request-state=EXECUTING&requested-for=id-2").await,
        ["02", "06", "10"]
    );

    // Through the generated client too.
    let page = succeeded(
        s.client
            .list_access_request_status()
            .regarding_identity("id-3")
            .send(),
    )
    .await;
    assert_eq!(page.len(), 3);
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let s = known().await;
    let cases = [
        (
            "regarding-identity=a&requested-for=b",
            "cannot be combined",
            Some(Rule::StatusesExclusiveIdentity),
        ),
        (
            "regarding-identity=a&requested-by=b",
            "cannot be combined",
            Some(Rule::StatusesExclusiveIdentity),
        ),
        ("request-state=COMPLETED", "only EXECUTING", None),
        ("request-state=executing", "only EXECUTING", None),
        ("limit=251", "limit", Some(Rule::StatusesLimit)),
        ("limit=-1", "limit", Some(Rule::StatusesLimit)),
        ("limit=ten", "limit", Some(Rule::StatusesLimit)),
        ("offset=-5", "offset", Some(Rule::StatusesOffset)),
        ("offset=1.5", "offset", Some(Rule::StatusesOffset)),
        ("offset=2147483648", "offset", Some(Rule::StatusesOffset)),
        ("count=yes", "count", None),
        ("requested-for=", "must not be empty", None),
        ("page=2", "Unknown query parameter 'page'", None),
        ("limit=5&limit=6", "more than once", None),
        ("filters=name%20eq%20%22x%22", "filter", None),
    ];
    for (query, needle, rule) in cases {
        let response = s
            .get_response(&format!("/v3/access-request-status?{query}"))
            .await;
        let (text, named) = raw_rule_error(response, 400).await;
        assert!(text.contains(needle), "{query}: {text}");
        assert_eq!(named, rule, "{query}: {text}");
    }
    // The generated client's typed builders reach the same checks.
    let (status, error) = api_error(
        s.client
            .list_access_request_status()
            .regarding_identity("me")
            .requested_for("me")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(rule_of(&error), Some(Rule::StatusesExclusiveIdentity));
    let (status, _) = api_error(
        s.client
            .list_access_request_status()
            .request_state(RequestStateFilter::Unknown("DONE".into()))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, error) = api_error(
        s.client
            .list_access_request_status()
            .limit(1000)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(rule_of(&error), Some(Rule::StatusesLimit));
}

/// The look-ups read their comma lists strictly: a value outside the list
/// is a 400 naming the value, the parameter and what it takes.
#[tokio::test]
async fn requestable_objects_name_a_bad_type_or_status() {
    let s = setup(Sandbox::builder().directory(Directory::demo())).await;
    let cases = [
        (
            "types=ROLE,GROUP",
            "Invalid value 'GROUP' for types: expected ROLE or ACCESS_PROFILE.",
        ),
        (
            "identity-id=me&statuses=AVAILABLE,%20GONE",
            "Invalid value 'GONE' for statuses: expected AVAILABLE, ASSIGNED or PENDING.",
        ),
        (
            "statuses=GONE",
            "statuses can only be given with identity-id.",
        ),
    ];
    for (query, expected) in cases {
        let response = s
            .get_response(&format!("/requestable-objects/v1?{query}"))
            .await;
        let text = raw_error(response, 400).await;
        assert!(text.contains(expected), "{query}: {text}");
    }
    let ok = s
        .get_response(
            "/requestable-objects/v1?types=%20ACCESS_PROFILE&identity-id=me&statuses=AVAILABLE",
        )
        .await;
    assert_eq!(ok.status(), 200);
    let listed: Vec<serde_json::Value> = ok.json().await.unwrap();
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|o| o["type"] == "ACCESS_PROFILE"));
}
