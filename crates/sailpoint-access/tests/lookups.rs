//! The look-ups on the wire (exactly the documented query parameters), their
//! validation before sending, and the resolver against the sandbox's
//! directory: names to ids, refusals with candidates, requests counted.

mod common;

use common::*;
use httpmock::MockServer;
use sailpoint_access::types::{
    AccessItemType, AccessRequestType, Entitlement, PublicIdentity, RequestableObject,
    RequestableObjectStatus, Role,
};
use sailpoint_access::{
    held_entitlement, IdentityRef, Item, ItemRef, LookupFilter, RequestableType, Resolution, Rule,
    MAX_FILTER_LEN,
};
use sailpoint_access_httpmock::MockServerExt;
use sailpoint_access_sandbox::{Directory, Operation, Sandbox};

/// A matcher that holds when the query has exactly these parameters.
fn exactly(expected: &[(&str, &str)]) -> impl Fn(&httpmock::HttpMockRequest) -> bool + Send + Sync {
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    move |req| {
        let mut got = req.query_params();
        got.sort();
        got == expected
    }
}

#[tokio::test]
async fn roles_send_their_filter_and_a_page_of_at_most_50() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let role = Role {
        id: Some("r1".into()),
        name: Some("Engineering".into()),
        ..Role::default()
    };
    let mock = server.list_roles(|when, then| {
        when.into_inner().is_true(exactly(&[
            ("limit", "50"),
            ("offset", "0"),
            ("filters", r#"name eq "Engineering""#),
            ("sorters", "-name"),
        ]));
        then.ok(&vec![role.clone()]);
    });
    let page = client(&server)
        .lookups()
        .roles()
        .filter(LookupFilter::eq("name", "Engineering"))
        .sort_desc("name")
        .send()
        .await
        .unwrap();
    assert_eq!(page.items, [role]);
    mock.assert_calls(1);

    let err = client(&server)
        .lookups()
        .roles()
        .limit(51)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, Rule::LookupLimit);
    let err = client(&server)
        .lookups()
        .roles()
        .filter(LookupFilter::in_("name", ["a", "b"]))
        .send()
        .await
        .unwrap_err();
    let v = err.validation().unwrap();
    assert_eq!(v.rule, Rule::LookupFilterOperator);
    assert!(v.message.contains("name takes eq, sw"), "{}", v.message);
    mock.assert_calls(1);
}

#[tokio::test]
async fn requestable_objects_send_identity_types_and_statuses_as_documented() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let mock = server.list_requestable_objects(|when, then| {
        when.into_inner().is_true(exactly(&[
            ("limit", "250"),
            ("offset", "0"),
            ("identity-id", "me"),
            ("types", "ROLE,ACCESS_PROFILE"),
            ("statuses", "ASSIGNED,PENDING"),
            ("count", "true"),
        ]));
        then.ok(&vec![RequestableObject::default()]);
    });
    let page = client(&server)
        .lookups()
        .requestable_objects()
        .identity_id("me")
        .types(&[RequestableType::Role, RequestableType::AccessProfile])
        .statuses(&[
            RequestableObjectStatus::Assigned,
            RequestableObjectStatus::Pending,
        ])
        .count(true)
        .send()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    mock.assert_calls(1);
    let err = client(&server)
        .lookups()
        .requestable_objects()
        .statuses(&[RequestableObjectStatus::Assigned])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.validation().unwrap().rule,
        Rule::LookupStatusesNeedIdentity
    );
    mock.assert_calls(1);
}

#[tokio::test]
async fn identities_and_entitlements_send_only_documented_parameters() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let people = server.list_public_identities(|when, then| {
        when.into_inner().is_true(exactly(&[
            ("limit", "100"),
            ("offset", "0"),
            (
                "filters",
                r#"alias eq "ada" or email eq "grace@example.com""#,
            ),
        ]));
        then.ok(&vec![PublicIdentity::default()]);
    });
    let ents = server.list_entitlements(|when, then| {
        when.into_inner().is_true(exactly(&[
            ("limit", "250"),
            ("offset", "0"),
            (
                "filters",
                r#"name in ("Admin","Read") and source.id eq "s1""#,
            ),
        ]));
        then.ok(&Vec::<Entitlement>::new());
    });
    let lookups = client(&server).lookups();
    lookups
        .public_identities()
        .limit(100)
        .filter(LookupFilter::eq("alias", "ada").or(LookupFilter::eq("email", "grace@example.com")))
        .send()
        .await
        .unwrap();
    lookups
        .entitlements()
        .filter(
            LookupFilter::in_("name", ["Admin", "Read"]).and(LookupFilter::eq("source.id", "s1")),
        )
        .send()
        .await
        .unwrap();
    people.assert_calls(1);
    ents.assert_calls(1);
    // Public identities have no `name` filter; a long filter is refused.
    let err = lookups
        .public_identities()
        .filter(LookupFilter::eq("name", "Ada"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, Rule::LookupFilterOperator);
    let long = LookupFilter::eq("alias", "x".repeat(MAX_FILTER_LEN));
    let err = lookups
        .public_identities()
        .filter(long)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, Rule::LookupFilterLength);
    people.assert_calls(1);
}

#[tokio::test]
async fn identity_entitlements_use_the_path_and_read_both_shapes() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let mock = server.mock(|when, then| {
        when.path("/entitlements/v1/identities/id-1/entitlements")
            .is_true(exactly(&[("limit", "250"), ("offset", "0")]));
        then.status(200)
            .header("content-type", "application/json")
            .body(
                r#"[{"objectRef":{"type":"ENTITLEMENT","id":"e1","name":"Admin"},"tags":[]},
                {"type":"ENTITLEMENT","id":"e2","name":"Read"}]"#,
            );
    });
    let held = client(&server)
        .lookups()
        .identity_entitlements("id-1")
        .collect(1_000)
        .await
        .unwrap();
    let names: Vec<_> = held.iter().filter_map(held_entitlement).collect();
    assert_eq!(names, [("e1", Some("Admin")), ("e2", Some("Read"))]);
    mock.assert_calls(1);
}

async fn demo_sandbox() -> sailpoint_access_sandbox::SandboxHandle {
    Sandbox::builder()
        .directory(Directory::demo())
        .start()
        .await
        .expect("sandbox starts")
}

fn lookup_requests(sandbox: &sailpoint_access_sandbox::SandboxHandle) -> u64 {
    [
        Operation::ListIdentities,
        Operation::ListPublicIdentities,
        Operation::ListRoles,
        Operation::ListAccessProfiles,
        Operation::ListEntitlements,
        Operation::ListRequestableObjects,
    ]
    .into_iter()
    .map(|op| sandbox.requests_received(op))
    .sum()
}

#[tokio::test]
async fn the_resolver_answers_names_with_ids_or_refusals_with_candidates() {
    let sandbox = demo_sandbox().await;
    let demo = Directory::demo();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let mut resolver = client.resolver();
    let people = resolver
        .identities(&[
            IdentityRef::Email("ADA.LOVELACE@example.com".into()),
            IdentityRef::Alias("alan.turing".into()),
            IdentityRef::Name("Chris Smith".into()),
            IdentityRef::Alias("nobody".into()),
            IdentityRef::Alias("alan.turing".into()),
        ])
        .await
        .unwrap();
    let ada = demo.identity_by_alias("ada.lovelace").unwrap();
    assert_eq!(people[0].id(), Some(ada.id.as_str()));
    assert_eq!(
        people[1].id(),
        Some(demo.identity_by_alias("alan.turing").unwrap().id.as_str())
    );
    match &people[2] {
        Resolution::Refused { rule, candidates } => {
            assert_eq!(*rule, Rule::ResolveAmbiguous);
            let mut ids: Vec<&str> = candidates.iter().map(|c| c.id.as_str()).collect();
            ids.sort_unstable();
            let mut want = vec![
                demo.identity_by_alias("chris.smith").unwrap().id.as_str(),
                demo.identity_by_alias("csmith2").unwrap().id.as_str(),
            ];
            want.sort_unstable();
            assert_eq!(ids, want);
        }
        other => panic!("expected ambiguous, got {other}"),
    }
    assert!(matches!(
        &people[3],
        Resolution::Refused {
            rule: Rule::ResolveNotFound,
            ..
        }
    ));
    assert_eq!(people[4], people[1]);
    // Four distinct references fit one or-joined request.
    assert_eq!(sandbox.requests_received(Operation::ListIdentities), 1);

    let ent = AccessItemType::Entitlement;
    let items = resolver
        .items(&[
            ItemRef::Name {
                kind: ent.clone(),
                name: "Admin".into(),
                source: Some("GitHub".into()),
            },
            ItemRef::Name {
                kind: ent.clone(),
                name: "Admin".into(),
                source: None,
            },
            ItemRef::Name {
                kind: ent.clone(),
                name: "Domain Admins".into(),
                source: None,
            },
            ItemRef::Name {
                kind: AccessItemType::Role,
                name: "engineering".into(),
                source: None,
            },
            ItemRef::Name {
                kind: AccessItemType::AccessProfile,
                name: "VPN Access".into(),
                source: None,
            },
            ItemRef::Name {
                kind: AccessItemType::Role,
                name: "Auditor".into(),
                source: None,
            },
        ])
        .await
        .unwrap();
    let gh_admin = &demo.items_named(&ent, "Admin")[0];
    assert_eq!(gh_admin.source, "GitHub");
    assert_eq!(items[0].id(), Some(gh_admin.id.as_str()));
    match &items[1] {
        Resolution::Refused { rule, candidates } => {
            assert_eq!(*rule, Rule::ResolveAmbiguous);
            assert_eq!(candidates.len(), 3);
            assert!(candidates
                .iter()
                .any(|c| c.detail.as_deref() == Some("Salesforce")));
        }
        other => panic!("expected ambiguous, got {other}"),
    }
    assert!(matches!(
        &items[2],
        Resolution::Refused {
            rule: Rule::ResolveNotRequestable,
            ..
        }
    ));
    assert_eq!(
        items[3].id(),
        Some(
            demo.items_named(&AccessItemType::Role, "Engineering")[0]
                .id
                .as_str()
        )
    );
    assert!(items[4].id().is_some());
    assert!(matches!(
        &items[5],
        Resolution::Refused {
            rule: Rule::ResolveNotRequestable,
            ..
        }
    ));

    let report = resolver.report().clone();
    assert_eq!(report.total_requests() as u64, lookup_requests(&sandbox));
    assert_eq!(report.total_requests(), 4, "{report:?}");
    assert_eq!(report.total_lower_bound(), 4, "{report:?}");

    // A kept cache asks nothing again.
    let before = lookup_requests(&sandbox);
    let mut again = client.resolver().with_cache(resolver.cache().clone());
    again
        .identities(&[IdentityRef::Alias("alan.turing".into())])
        .await
        .unwrap();
    assert_eq!(lookup_requests(&sandbox), before);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn public_lookups_resolve_without_administrator_lists() {
    let sandbox = demo_sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(2));
    let mut resolver = client.resolver().public(true);
    let people = resolver
        .identities(&[IdentityRef::Email("grace.hopper@example.com".into())])
        .await
        .unwrap();
    assert!(people[0].id().is_some());
    let items = resolver
        .items(&[
            ItemRef::Name {
                kind: AccessItemType::Role,
                name: "Finance".into(),
                source: None,
            },
            ItemRef::Name {
                kind: AccessItemType::Role,
                name: "Auditor".into(),
                source: None,
            },
        ])
        .await
        .unwrap();
    assert!(items[0].id().is_some());
    // Requestable objects list only requestable roles: not found here.
    assert!(matches!(
        &items[1],
        Resolution::Refused {
            rule: Rule::ResolveNotFound,
            ..
        }
    ));
    assert_eq!(sandbox.requests_received(Operation::ListIdentities), 0);
    assert_eq!(sandbox.requests_received(Operation::ListRoles), 0);
    assert_eq!(
        sandbox.requests_received(Operation::ListPublicIdentities),
        1
    );
    let err = resolver
        .identities(&[IdentityRef::Name("Ada Lovelace".into())])
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, Rule::LookupFilterOperator);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_marks_assigned_and_pending_and_completed_grants_become_holdings() {
    let sandbox = demo_sandbox().await;
    let demo = Directory::demo();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let ada = demo.identity_by_alias("ada.lovelace").unwrap().id.clone();
    let finance = demo.items_named(&AccessItemType::Role, "Finance")[0]
        .id
        .clone();
    let gh_admin = demo.items_named(&AccessItemType::Entitlement, "Admin")[0]
        .id
        .clone();
    let held_or_awaited = async || {
        client
            .lookups()
            .requestable_objects()
            .identity_id(ada.clone())
            .statuses(&[
                RequestableObjectStatus::Assigned,
                RequestableObjectStatus::Pending,
            ])
            .collect(1_000)
            .await
    };
    let before = held_or_awaited().await.unwrap();
    let names: Vec<_> = before.iter().filter_map(|o| o.name.clone()).collect();
    assert_eq!(names, ["Engineering"], "Ada holds Engineering only");
    // Engineering brings its access profiles' entitlements.
    let held = client
        .lookups()
        .identity_entitlements(ada.clone())
        .collect(100)
        .await
        .unwrap();
    let mut held: Vec<_> = held
        .iter()
        .filter_map(held_entitlement)
        .map(|(_, n)| n.unwrap_or_default().to_owned())
        .collect();
    held.sort();
    assert_eq!(held, ["Read", "VPN Users"]);

    client
        .access_requests()
        .grant()
        .for_identity(ada.clone())
        .item(Item::role(finance.clone()))
        .item(Item::entitlement(gh_admin.clone()))
        .send()
        .await
        .unwrap();
    let pending = held_or_awaited().await.unwrap();
    let finance_status = pending
        .iter()
        .find(|o| o.id.as_deref() == Some(finance.as_str()))
        .unwrap();
    assert_eq!(
        finance_status.request_status,
        Some(RequestableObjectStatus::Pending)
    );
    sandbox.approve_all_pending();
    sandbox.provision_all_approved();
    let after = held_or_awaited().await.unwrap();
    let finance_status = after
        .iter()
        .find(|o| o.id.as_deref() == Some(finance.as_str()))
        .unwrap();
    assert_eq!(
        finance_status.request_status,
        Some(RequestableObjectStatus::Assigned)
    );
    let held = client
        .lookups()
        .identity_entitlements(ada.clone())
        .collect(100)
        .await
        .unwrap();
    assert!(held
        .iter()
        .filter_map(held_entitlement)
        .any(|(id, _)| id == gh_admin));

    // A revoke that completes removes the entitlement again.
    client
        .access_requests()
        .revoke()
        .for_identity(ada.clone())
        .item(Item::entitlement(gh_admin.clone()).comment("leaving the project"))
        .send()
        .await
        .unwrap();
    sandbox.approve_all_pending();
    sandbox.provision_all_approved();
    let held = client
        .lookups()
        .identity_entitlements(ada.clone())
        .collect(100)
        .await
        .unwrap();
    assert!(!held
        .iter()
        .filter_map(held_entitlement)
        .any(|(id, _)| id == gh_admin));

    // A create naming an identity the directory does not have is refused.
    let err = client
        .access_requests()
        .grant()
        .for_identity("0".repeat(32))
        .item(Item::role(finance))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.api_error().map(|e| e.status), Some(400), "{err}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn preflight_tells_held_and_pending_rows_in_one_or_two_calls_per_identity() {
    let sandbox = demo_sandbox().await;
    let demo = Directory::demo();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let id = |alias: &str| demo.identity_by_alias(alias).unwrap().id.clone();
    let item = |kind: &AccessItemType, name: &str| demo.items_named(kind, name)[0].id.clone();
    let (ada, alan) = (id("ada.lovelace"), id("alan.turing"));
    let role = AccessItemType::Role;
    let ent = AccessItemType::Entitlement;
    let engineering = item(&role, "Engineering");
    let finance = item(&role, "Finance");
    let read = demo
        .items_named(&ent, "Read")
        .into_iter()
        .find(|i| i.source == "GitHub")
        .unwrap()
        .id
        .clone();
    client
        .access_requests()
        .grant()
        .for_identity(ada.clone())
        .item(Item::role(finance.clone()))
        .send()
        .await
        .unwrap();
    let rows = [
        (ada.as_str(), &role, engineering.as_str()),
        (ada.as_str(), &role, finance.as_str()),
        (alan.as_str(), &ent, read.as_str()),
        (alan.as_str(), &role, finance.as_str()),
    ];
    let report = client.preflight().run(rows).await.unwrap();
    assert_eq!(
        report.evidence(&ada, &engineering),
        Some(&sailpoint_access::Evidence::Assigned)
    );
    assert!(matches!(
        report.evidence(&ada, &finance),
        Some(sailpoint_access::Evidence::Pending(_))
    ));
    assert_eq!(
        report.evidence(&alan, &read),
        Some(&sailpoint_access::Evidence::EntitlementHeld)
    );
    assert_eq!(report.evidence(&alan, &finance), None);
    let plan_rows: Vec<_> = rows
        .iter()
        .map(|(who, kind, item)| sailpoint_access::bulk::BulkRow::new(*who, (*kind).clone(), *item))
        .collect();
    let (send, skip) = report.partition(plan_rows);
    assert_eq!(send.len(), 1);
    assert_eq!(
        (send[0].identity.as_str(), send[0].item.id()),
        (alan.as_str(), finance.as_str())
    );
    assert_eq!(skip.len(), 3);
    // Ada: requestable objects only; Alan: those and his entitlements.
    assert_eq!(report.calls, 3);
    assert_eq!(report.identities, 2);
    assert_eq!(
        sandbox.requests_received(Operation::ListRequestableObjects),
        2
    );
    assert_eq!(
        sandbox.requests_received(Operation::ListIdentityEntitlements),
        1
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_bulk_run_with_preflight_skips_held_and_pending_rows_saying_why() {
    use sailpoint_access::bulk::{plan, BulkRow, PlanLimits, RowOutcome};
    let sandbox = demo_sandbox().await;
    let demo = Directory::demo();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let id = |alias: &str| demo.identity_by_alias(alias).unwrap().id.clone();
    let item = |kind: &AccessItemType, name: &str| demo.items_named(kind, name)[0].id.clone();
    let (ada, alan) = (id("ada.lovelace"), id("alan.turing"));
    let (role, ent) = (AccessItemType::Role, AccessItemType::Entitlement);
    let engineering = item(&role, "Engineering");
    let finance = item(&role, "Finance");
    let read = demo
        .items_named(&ent, "Read")
        .into_iter()
        .find(|i| i.source == "GitHub")
        .unwrap()
        .id
        .clone();
    let pending = client
        .access_requests()
        .grant()
        .for_identity(ada.clone())
        .item(Item::role(finance.clone()))
        .send()
        .await
        .unwrap();
    let rows = vec![
        BulkRow::new(&ada, role.clone(), &engineering),
        BulkRow::new(&ada, role.clone(), &finance),
        BulkRow::new(&alan, ent.clone(), &read),
        BulkRow::new(&alan, role.clone(), &finance),
    ];
    let accepted_before = sandbox.access_requests_accepted();
    let report = client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            rows,
            PlanLimits::default(),
        ))
        .preflight(true)
        .send()
        .await
        .unwrap();
    let outcome = |who: &str, what: &str| {
        report
            .rows
            .iter()
            .find(|r| r.identity == who && r.item_id == what)
            .unwrap()
    };
    let assigned = outcome(&ada, &engineering);
    assert_eq!(assigned.outcome, RowOutcome::Skipped);
    assert!(
        assigned.detail.as_deref().unwrap().contains("ASSIGNED"),
        "{assigned:?}"
    );
    let awaited = outcome(&ada, &finance);
    assert_eq!(awaited.outcome, RowOutcome::Skipped);
    assert!(
        awaited.detail.as_deref().unwrap().contains("PENDING"),
        "{awaited:?}"
    );
    let held = outcome(&alan, &read);
    assert_eq!(held.outcome, RowOutcome::Skipped);
    assert!(
        held.detail.as_deref().unwrap().contains("entitlements"),
        "{held:?}"
    );
    assert_eq!(outcome(&alan, &finance).outcome, RowOutcome::Submitted);
    assert_eq!(report.count(RowOutcome::Skipped), 3);
    // One requestable-objects call per identity, one entitlements call for
    // the identity with an entitlement row.
    assert_eq!(report.preflight_calls, 3);
    assert_eq!(sandbox.access_requests_accepted(), accepted_before + 1);
    assert_eq!(pending.new_requests.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn identities_and_access_profiles_send_their_own_parameters() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let people = server.list_identities(|when, then| {
        when.into_inner().is_true(exactly(&[
            ("limit", "250"),
            ("offset", "0"),
            ("defaultFilter", "NONE"),
            ("filters", r#"id in ("a","b")"#),
            ("sorters", "alias"),
        ]));
        then.ok(&Vec::new());
    });
    let profiles = server.list_access_profiles(|when, then| {
        when.into_inner().is_true(exactly(&[
            ("limit", "10"),
            ("offset", "20"),
            ("for-subadmin", "me"),
            ("filters", r#"name sw "VPN""#),
        ]));
        then.ok(&Vec::new());
    });
    let lookups = client(&server).lookups();
    lookups
        .identities()
        .include_uncorrelated()
        .filter(LookupFilter::in_("id", ["a", "b"]))
        .sort_asc("alias")
        .send()
        .await
        .unwrap();
    lookups
        .access_profiles()
        .for_subadmin("me")
        .limit(10)
        .offset(20)
        .filter(LookupFilter::sw("name", "VPN"))
        .send()
        .await
        .unwrap();
    people.assert_calls(1);
    profiles.assert_calls(1);
    let err = lookups
        .access_profiles()
        .sort_asc("owner")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, Rule::LookupSortField);
    let err = lookups
        .identities()
        .filter(LookupFilter::in_("id", Vec::<String>::new()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().rule, Rule::FilterInNonEmpty);
    people.assert_calls(1);
}

#[tokio::test]
async fn the_sandbox_refuses_what_the_vendor_does_not_document() {
    let sandbox = demo_sandbox().await;
    let client = sandbox_client(&sandbox, quick_retry(1));
    let raw = client.raw();
    // Pages of roles hold at most 50.
    let err = raw.list_roles().limit(51).send().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
    assert!(raw.list_roles().limit(50).send().await.is_ok());
    // Public identities have no `in` on alias, and no `name` at all.
    for filter in [r#"alias in ("a","b")"#, r#"name eq "Ada Lovelace""#] {
        let err = raw
            .list_public_identities()
            .filters(filter)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(400),
            "{filter}: {err}"
        );
    }
    // `statuses` without `identity-id` is an error.
    let err = raw
        .list_requestable_objects()
        .statuses("ASSIGNED")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
    // An unknown identity's entitlements: 404.
    let err = raw
        .list_identity_entitlements()
        .id("0".repeat(32))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    sandbox.shutdown().await;
}
