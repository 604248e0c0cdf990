//! Every validation rule: one accepted and one rejected case, and nothing sent when rejected.

use crate::common::*;
use chrono::{Duration, Utc};
use httpmock::{Mock, MockServer};
use sailpoint_access::types::{
    AccessItemType, AccessRequest, AccessRequestResponse, AccessRequestType, RequestedForDtoRef,
    RequestedItemDtoRef,
};
use sailpoint_access::{Client, Error, Filter, Item, Rule, StatusSort, SubmitRequest};
use sailpoint_access_httpmock::MockServerExt;

struct Env {
    server: MockServer,
    client: Client,
}

impl Env {
    async fn new() -> Self {
        let server = MockServer::start_async().await;
        let client = static_client(&server, sailpoint_access::RetryPolicy::disabled());
        Env { server, client }
    }

    fn create(&self) -> Mock<'_> {
        self.server.create_access_request(|_, then| {
            then.accepted(&AccessRequestResponse::default());
        })
    }

    fn list(&self) -> Mock<'_> {
        self.server.list_access_request_status(|_, then| {
            then.ok(&vec![]);
        })
    }
}

fn rule(err: Error) -> Rule {
    match err.validation() {
        Some(v) => {
            assert!(
                v.to_string().contains(v.rule.code()),
                "message names the rule: {v}"
            );
            v.rule
        }
        None => panic!("expected a validation error, got {err}"),
    }
}

/// Sends `ok` (must be accepted) and `bad` (must fail `expected` without a request).
async fn submit_case<'a>(
    env: &'a Env,
    ok: impl FnOnce(&'a Client) -> SubmitRequest,
    bad: impl FnOnce(&'a Client) -> SubmitRequest,
    expected: &str,
) {
    let mut mock = env.create();
    ok(&env.client)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{expected}: accepted case failed: {e}"));
    mock.assert_calls(1);
    mock.delete();
    let mut mock = env.create();
    let err = bad(&env.client).send().await.expect_err(expected);
    assert_eq!(rule(err), expected);
    mock.assert_calls(0);
    mock.delete();
}

fn many(c: &Client, n: usize) -> SubmitRequest {
    let mut b = c.access_requests().grant().for_identity("a");
    for i in 0..n {
        b = b.access_profile(format!("ap{i}"));
    }
    b
}

fn revoke(c: &Client) -> SubmitRequest {
    c.access_requests().revoke()
}

fn grant(c: &Client, item: Item) -> SubmitRequest {
    c.access_requests().grant().for_identity("a").item(item)
}

fn future(days: i64) -> chrono::DateTime<Utc> {
    Utc::now() + Duration::days(days)
}

#[tokio::test]
async fn requested_for_non_empty_unique_and_not_blank() {
    let env = Env::new().await;
    submit_case(
        &env,
        |c| c.access_requests().grant().for_identity("a").role("r"),
        |c| c.access_requests().grant().role("r"),
        "requested_for.non_empty",
    )
    .await;
    submit_case(
        &env,
        |c| c.access_requests().grant().for_identity("a").role("r"),
        |c| c.access_requests().grant().for_identity(" ").role("r"),
        "requested_for.id",
    )
    .await;
    submit_case(
        &env,
        |c| {
            c.access_requests()
                .grant()
                .for_identities(["a", "b"])
                .role("r")
        },
        |c| {
            c.access_requests()
                .grant()
                .for_identities(["a", "a"])
                .role("r")
        },
        "requested_for.unique",
    )
    .await;
}

#[tokio::test]
async fn items_between_1_and_25_with_ids() {
    let env = Env::new().await;
    submit_case(
        &env,
        |c| many(c, 25),
        |c| many(c, 26),
        "requested_items.count",
    )
    .await;
    submit_case(
        &env,
        |c| many(c, 1),
        |c| many(c, 0),
        "requested_items.count",
    )
    .await;
    submit_case(
        &env,
        |c| c.access_requests().grant().for_identity("a").role("r"),
        |c| c.access_requests().grant().for_identity("a").role(""),
        "item.id",
    )
    .await;
}

#[tokio::test]
async fn grant_with_entitlements_allows_25_entitlements_and_10_identities() {
    let env = Env::new().await;
    let ids = |n: usize| (0..n).map(|i| format!("id-{i}")).collect::<Vec<_>>();
    submit_case(
        &env,
        |c| {
            c.access_requests()
                .grant()
                .for_identities(ids(10))
                .entitlement("e")
        },
        |c| {
            c.access_requests()
                .grant()
                .for_identities(ids(11))
                .entitlement("e")
        },
        "grant.entitlement_limits",
    )
    .await;
    // Without entitlements there is no identity limit.
    let mut mock = env.create();
    env.client
        .access_requests()
        .grant()
        .for_identities(ids(40))
        .role("r")
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    mock.delete();
    // 25 entitlements is the item cap as well; the entitlement rule is checked per identity in the per-identity form.
    let per = |n: usize| RequestedForDtoRef {
        identity_id: "a".into(),
        identity_type: None,
        requested_items: (0..n)
            .map(|i| dto(AccessItemType::Entitlement, &format!("e{i}")))
            .collect(),
    };
    let mut ok = AccessRequest {
        requested_for_with_requested_items: Some(vec![per(25)]),
        ..Default::default()
    };
    let mut mock = env.create();
    env.client
        .access_requests()
        .submit(ok.clone())
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    mock.delete();
    let mock = env.create();
    ok.requested_for_with_requested_items = Some(
        (0..11)
            .map(|i| RequestedForDtoRef {
                identity_id: format!("id-{i}"),
                ..per(1)
            })
            .collect(),
    );
    assert_eq!(
        rule(
            env.client
                .access_requests()
                .submit(ok)
                .send()
                .await
                .unwrap_err()
        ),
        "grant.entitlement_limits"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn revoke_rules() {
    let env = Env::new().await;
    submit_case(
        &env,
        |c| {
            revoke(c)
                .for_identity("a")
                .item(Item::role("r").comment("x"))
        },
        |c| {
            revoke(c)
                .for_identities(["a", "b"])
                .item(Item::role("r").comment("x"))
        },
        "revoke.single_identity",
    )
    .await;
    submit_case(
        &env,
        |c| {
            revoke(c)
                .for_identity("a")
                .item(Item::entitlement("e").comment("x"))
                .item(Item::role("r").comment("y"))
        },
        |c| {
            revoke(c)
                .for_identity("a")
                .item(Item::entitlement("e1").comment("x"))
                .item(Item::entitlement("e2").comment("y"))
        },
        "revoke.single_entitlement",
    )
    .await;
    submit_case(
        &env,
        |c| {
            revoke(c)
                .for_identity("a")
                .item(Item::role("r").comment("x").remove_date(future(3)))
        },
        |c| {
            revoke(c)
                .for_identity("a")
                .item(Item::role("r").comment("x").start_date(future(3)))
        },
        "revoke.no_start_date",
    )
    .await;
    submit_case(
        &env,
        |c| {
            revoke(c)
                .for_identity("a")
                .item(Item::role("r").comment("x"))
        },
        |c| revoke(c).for_identity("a").role("r"),
        "revoke.comment_required",
    )
    .await;
}

#[tokio::test]
async fn dates_in_future_and_ordered() {
    let env = Env::new().await;
    submit_case(
        &env,
        |c| grant(c, Item::role("r").remove_date(future(1))),
        |c| grant(c, Item::role("r").remove_date(future(-1))),
        "dates.remove_in_future",
    )
    .await;
    submit_case(
        &env,
        |c| grant(c, Item::role("r").start_date(future(1))),
        |c| grant(c, Item::role("r").start_date(future(-1))),
        "dates.start_in_future",
    )
    .await;
    submit_case(
        &env,
        |c| {
            grant(
                c,
                Item::role("r").start_date(future(1)).remove_date(future(2)),
            )
        },
        |c| {
            grant(
                c,
                Item::role("r").start_date(future(2)).remove_date(future(1)),
            )
        },
        "dates.start_before_remove",
    )
    .await;
}

fn dto(kind: AccessItemType, id: &str) -> RequestedItemDtoRef {
    RequestedItemDtoRef {
        id: id.into(),
        type_: kind,
        account_selection: None,
        client_metadata: Default::default(),
        comment: None,
        form_instance_id: None,
        native_identity: None,
        remove_date: None,
        start_date: None,
    }
}

#[tokio::test]
async fn per_identity_form_rules() {
    let env = Env::new().await;
    let entry = |who: &str| RequestedForDtoRef {
        identity_id: who.into(),
        identity_type: None,
        requested_items: vec![dto(AccessItemType::Role, "r")],
    };
    submit_case(
        &env,
        |c| {
            c.access_requests()
                .grant()
                .per_identity(entry("a"))
                .per_identity(entry("b"))
        },
        |c| {
            c.access_requests()
                .grant()
                .per_identity(entry("a"))
                .for_identity("b")
                .role("r")
        },
        "request.form",
    )
    .await;
    submit_case(
        &env,
        |c| c.access_requests().grant().per_identity(entry("a")),
        |c| c.access_requests().revoke().per_identity(entry("a")),
        "per_identity.grant_only",
    )
    .await;
    submit_case(
        &env,
        |c| c.access_requests().grant().per_identity(entry("a")),
        |c| c.access_requests().grant().per_identity(entry("")),
        "per_identity.identity_id",
    )
    .await;
    submit_case(
        &env,
        |c| {
            c.access_requests()
                .grant()
                .per_identity(entry("a"))
                .per_identity(entry("b"))
        },
        |c| {
            c.access_requests()
                .grant()
                .per_identity(entry("a"))
                .per_identity(entry("a"))
        },
        "per_identity.unique_identity",
    )
    .await;
    submit_case(
        &env,
        |c| c.access_requests().grant().per_identity(entry("a")),
        |c| {
            c.access_requests()
                .grant()
                .per_identity(RequestedForDtoRef {
                    requested_items: vec![],
                    ..entry("a")
                })
        },
        "per_identity.items_count",
    )
    .await;
    let mut late = entry("a");
    late.requested_items[0].remove_date = Some(future(-1).into());
    let late2 = late.clone();
    submit_case(
        &env,
        |c| c.access_requests().grant().per_identity(entry("a")),
        move |c| c.access_requests().grant().per_identity(late2),
        "dates.remove_in_future",
    )
    .await;
    // The per-identity form goes out as requestedForWithRequestedItems only.
    let body = env
        .client
        .access_requests()
        .grant()
        .per_identity(entry("a"))
        .build()
        .unwrap();
    assert_eq!(body.request_type, Some(AccessRequestType::GrantAccess));
    let json = serde_json::to_value(&body).unwrap();
    assert!(
        json.get("requestedFor").is_none() && json.get("requestedItems").is_none(),
        "{json}"
    );
    assert_eq!(json["requestedForWithRequestedItems"][0]["identityId"], "a");
}

#[tokio::test]
async fn cancel_rules() {
    let env = Env::new().await;
    let mock = env.server.cancel_access_request(|_, then| {
        then.accepted(&serde_json::Map::new());
    });
    env.client
        .access_requests()
        .cancel("act", "why")
        .send()
        .await
        .unwrap();
    mock.assert_calls(1);
    let err = env
        .client
        .access_requests()
        .cancel(" ", "why")
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "cancel.account_activity_id");
    let err = env
        .client
        .access_requests()
        .cancel("act", "")
        .send()
        .await
        .unwrap_err();
    assert_eq!(rule(err), "cancel.comment");
    mock.assert_calls(1);
}

#[tokio::test]
async fn status_query_rules() {
    let env = Env::new().await;
    let list = env.list();
    let c = &env.client;
    // Accepted cases.
    c.statuses()
        .requested_for("me")
        .requested_by("me")
        .page()
        .await
        .unwrap();
    c.statuses().regarding_identity("me").page().await.unwrap();
    c.statuses().limit(0).page().await.unwrap();
    c.statuses()
        .limit(250)
        .offset(i32::MAX as u32)
        .page()
        .await
        .unwrap();
    c.statuses()
        .sort_asc(StatusSort::Created)
        .sort_desc(StatusSort::Name)
        .page()
        .await
        .unwrap();
    c.statuses()
        .filter(Filter::access_request_id().in_(["x"]))
        .page()
        .await
        .unwrap();
    c.statuses().limit(1).collect(10).await.unwrap();
    list.assert_calls(7);
    // Rejected cases send nothing.
    let cases = [
        (
            c.statuses().requested_for("me").regarding_identity("me"),
            "statuses.exclusive_identity",
        ),
        (
            c.statuses().requested_by("me").regarding_identity("me"),
            "statuses.exclusive_identity",
        ),
        (c.statuses().limit(251), "statuses.limit"),
        (c.statuses().offset(i32::MAX as u32 + 1), "statuses.offset"),
        (
            c.statuses()
                .sort_asc(StatusSort::Created)
                .sort_desc(StatusSort::Created),
            "statuses.sort_unique",
        ),
        (
            c.statuses()
                .filter(Filter::access_request_id().in_(Vec::<String>::new())),
            "filter.in_non_empty",
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(rule(query.page().await.unwrap_err()), expected);
        assert_eq!(rule(query.collect(10).await.unwrap_err()), expected);
    }
    assert_eq!(
        rule(c.statuses().limit(0).collect(10).await.unwrap_err()),
        "pagination.limit"
    );
    list.assert_calls(7);
}

/// The machine-identity builders, end to end on the sandbox: in the
/// versioned family a machine GRANT with its account and form, a MODIFY with
/// a date and a REVOKE with `nativeIdentity` are accepted; the same GRANT
/// without its account, or sent to v3, is refused before sending.
#[tokio::test]
async fn machine_requests_are_built_validated_and_accepted_in_the_versioned_family() {
    use sailpoint_access::{Family, PerIdentity, PerIdentityItem};
    let sandbox = sailpoint_access_sandbox::Sandbox::builder()
        .start()
        .await
        .unwrap();
    let client = |family: Family| {
        Client::builder()
            .rate_limit(None)
            .family(family)
            .base_url(sandbox.base_url())
            .client_credentials(sandbox.client_id(), sandbox.client_secret())
            .build()
            .unwrap()
    };
    let versioned = client(Family::Versioned);
    let machine = "b1f2c3d4-0000-4000-8000-000000000001";
    let granted = PerIdentity::new(machine).machine().item(
        PerIdentityItem::entitlement("ent-build")
            .account("source-ci", "svc-build")
            .form_instance_id("form-7"),
    );
    let sent = versioned
        .access_requests()
        .grant()
        .per_identity(granted.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.new_requests.len(), 1);
    let in_a_week = Utc::now() + Duration::days(7);
    versioned
        .access_requests()
        .modify()
        .per_identity(
            PerIdentity::new(machine).machine().item(
                PerIdentityItem::entitlement("ent-build")
                    .account_uuid("source-ci", "uuid-1")
                    .remove_date(in_a_week),
            ),
        )
        .send()
        .await
        .unwrap();
    versioned
        .access_requests()
        .revoke()
        .per_identity(
            PerIdentity::new(machine).machine().item(
                PerIdentityItem::entitlement("ent-old")
                    .comment("no longer used")
                    .native_identity("svc-build"),
            ),
        )
        .send()
        .await
        .unwrap();
    let accepted = sandbox.access_requests_accepted();
    assert_eq!(accepted, 3);

    let refused = |result: sailpoint_access::Result<_>| {
        result
            .map(|_: sailpoint_access::types::AccessRequestResponse| ())
            .unwrap_err()
            .validation()
            .map(|v| v.rule.code())
    };
    let no_account = PerIdentity::new(machine)
        .machine()
        .item(PerIdentityItem::entitlement("ent-build"));
    assert_eq!(
        refused(
            versioned
                .access_requests()
                .grant()
                .per_identity(no_account)
                .send()
                .await
        ),
        Some("machine.account_selection")
    );
    let blank_form = PerIdentity::new(machine).machine().item(
        PerIdentityItem::entitlement("ent-build")
            .account("source-ci", "svc-build")
            .form_instance_id(" "),
    );
    assert_eq!(
        refused(
            versioned
                .access_requests()
                .grant()
                .per_identity(blank_form)
                .send()
                .await
        ),
        Some("item.form_instance_id")
    );
    assert_eq!(
        refused(
            client(Family::V3)
                .access_requests()
                .grant()
                .per_identity(granted)
                .send()
                .await
        ),
        Some("machine.versioned_only")
    );
    assert_eq!(
        sandbox.access_requests_accepted(),
        accepted,
        "nothing more was sent"
    );
}
