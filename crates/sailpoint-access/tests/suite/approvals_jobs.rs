//! Approving what a bulk run created: its approvals are found from its
//! journal, approved in bulk and re-read, and every approval gets its own
//! outcome; unknown and already-approved ids are reported as such, never
//! as approved. Against the sandbox (the approval engine) and, for the
//! service's refusal of bulk approve, a mock.

use std::time::Duration;

use crate::common::*;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use sailpoint_access::bulk::{plan, BulkRow, JsonlJournal, PlanLimits, RowOutcome};
use sailpoint_access::types::{AccessItemType, AccessRequestType, ManualWorkItemState};
use sailpoint_access::{access_request_ids_of_journal, ApprovalResult, Client, Rule};
use sailpoint_access_sandbox::{Operation, Sandbox};
use serde_json::json;

/// Submits one role for each of `n` identities through a journaled bulk
/// run; returns the journal's path.
async fn submit_run(client: &Client, n: usize, name: &str) -> std::path::PathBuf {
    let rows: Vec<BulkRow> = (0..n)
        .map(|i| BulkRow::new(format!("{name}-{i}"), AccessItemType::Role, "role-1"))
        .collect();
    let journal = std::env::temp_dir().join(format!("{name}-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let report = grant_journaled(client, rows, &journal).await.unwrap();
    assert_eq!(report.count(RowOutcome::Submitted), n);
    journal
}

/// The sandbox's ordinary approver, unpaced.
fn approver_client(sandbox: &sailpoint_access_sandbox::SandboxHandle) -> Client {
    sandbox
        .approver_client_builder()
        .rate_limit(None)
        .retry(fast_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_runs_approvals_are_found_from_its_journal_approved_in_bulk_and_verified() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, fast_retry());
    let journal = submit_run(&client, 60, "approve-run").await;
    let requests = access_request_ids_of_journal(&JsonlJournal::open(&journal).unwrap()).unwrap();
    let _ = std::fs::remove_file(&journal);
    assert_eq!(requests.len(), 60, "one access request per identity");

    // One approval decided before the job; one id no approval has.
    let by_request = client.approvals_of(requests.clone()).send().await.unwrap();
    assert_eq!(by_request.len(), 60);
    let decided_before = by_request[&requests[0]][0].id.clone().unwrap();
    client
        .approvals()
        .approve(decided_before.as_str())
        .send()
        .await
        .unwrap();
    sandbox.reset_counters();

    let progress = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = progress.clone();
    let report = client
        .approve_many("approved for the project")
        .access_request_ids(requests.clone())
        .approval_ids([decided_before.as_str(), "no-such-approval"])
        .on_progress(move |sent, total| seen.lock().unwrap().push((sent, total)))
        .send()
        .await
        .unwrap();
    // One report per bulk call, of the 59 pending approvals only.
    assert_eq!(*progress.lock().unwrap(), [(50, 59), (59, 59)]);

    assert_eq!(report.outcomes.len(), 61);
    assert_eq!(report.count(&ApprovalResult::Decided), 59);
    let of = |id: &str| {
        report
            .outcomes
            .iter()
            .find(|o| o.approval_id == id)
            .unwrap()
            .result
            .clone()
    };
    assert_eq!(
        of(&decided_before),
        ApprovalResult::NoLongerPending {
            state: "APPROVED".into()
        }
    );
    assert_eq!(of("no-such-approval"), ApprovalResult::NotFound);
    // 59 pending approvals: two bulk calls of at most 50, no single call.
    assert_eq!(report.bulk_calls, 2);
    assert_eq!(report.single_calls, 0);
    assert!(!report.fell_back_to_single);
    assert_eq!(
        sandbox.requests_received(Operation::BulkApproveApprovals),
        2
    );
    assert_eq!(sandbox.requests_received(Operation::ApproveApproval), 0);
    // Every request's item has left the approval step.
    let statuses = sandbox.statuses();
    assert_eq!(statuses.len(), 60);
    for status in &statuses {
        assert_eq!(
            status.approval_details[0].status,
            Some(ManualWorkItemState::Approved),
            "{:?}",
            status.access_request_id
        );
    }
    // Each decided outcome names its request.
    assert!(report
        .outcomes
        .iter()
        .filter(|o| o.result == ApprovalResult::Decided)
        .all(|o| o
            .access_request_id
            .as_ref()
            .is_some_and(|r| requests.contains(r))));
}

#[tokio::test]
async fn a_dry_run_lists_what_would_be_approved_and_decides_nothing() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, fast_retry());
    let journal = submit_run(&client, 3, "dry-run").await;
    let requests = access_request_ids_of_journal(&JsonlJournal::open(&journal).unwrap()).unwrap();
    let _ = std::fs::remove_file(&journal);
    let report = client
        .approve_many("ok")
        .access_request_ids(requests)
        .approval_ids(["unknown"])
        .dry_run(true)
        .send()
        .await
        .unwrap();
    assert_eq!(report.count(&ApprovalResult::WouldDecide), 3);
    assert_eq!(report.count(&ApprovalResult::NotFound), 1);
    assert_eq!((report.bulk_calls, report.single_calls), (0, 0));
    assert_eq!(
        sandbox.requests_received(Operation::BulkApproveApprovals),
        0
    );
    assert!(sandbox
        .statuses()
        .iter()
        .all(|s| s.approval_details[0].status == Some(ManualWorkItemState::Pending)));
}

#[tokio::test]
async fn reject_many_and_forward_many_decide_one_by_one_and_verify() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, fast_retry());
    let journal = submit_run(&client, 4, "reject-forward").await;
    let requests = access_request_ids_of_journal(&JsonlJournal::open(&journal).unwrap()).unwrap();
    let _ = std::fs::remove_file(&journal);
    let rejected = client
        .reject_many("not this quarter")
        .access_request_ids(requests[..2].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.count(&ApprovalResult::Decided), 2);
    assert_eq!(rejected.single_calls, 2);
    let forwarded = client
        .forward_many("2c9180867624cbd7017642d8c8c81f67", "please decide")
        .access_request_ids(requests[2..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.count(&ApprovalResult::Decided), 2);
    // Now owned by the caller: `me` sees them.
    let mine = client
        .approvals()
        .pending()
        .owner("me")
        .send()
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    // Rejecting what is already rejected is reported, not counted.
    let again = client
        .reject_many("again")
        .access_request_ids(requests[..2].to_vec())
        .approval_ids(
            rejected
                .outcomes
                .iter()
                .map(|o| o.approval_id.clone())
                .collect::<Vec<_>>(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.count(&ApprovalResult::NoLongerPending {
            state: "REJECTED".into()
        }),
        2
    );
    assert_eq!(again.single_calls, 0);
}

#[tokio::test]
async fn comments_are_required_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(500);
    });
    let client = client(&server);
    let cases = [
        (
            client.approve_many(" ").approval_ids(["a"]).send().await,
            Rule::BulkApproveComment,
        ),
        (
            client.reject_many("").approval_ids(["a"]).send().await,
            Rule::ApprovalRejectComment,
        ),
        (
            client
                .forward_many(" ", "c")
                .approval_ids(["a"])
                .send()
                .await,
            Rule::ApprovalForwardOwner,
        ),
        (
            client
                .forward_many("o", "")
                .approval_ids(["a"])
                .send()
                .await,
            Rule::ApprovalForwardComment,
        ),
        (
            client.approve_many("ok").approval_ids([" "]).send().await,
            Rule::ApprovalId,
        ),
    ];
    for (result, rule) in cases {
        assert_eq!(result.unwrap_err().validation().map(|v| v.rule), Some(rule));
    }
    any.assert_calls(0);
}

/// The caller may not approve in bulk (403): the job goes on with single
/// approvals, decided from that answer.
#[tokio::test]
async fn a_403_on_bulk_approve_falls_back_to_single_approvals() {
    let server = MockServer::start_async().await;
    mock_token(&server, TOKEN, 3600);
    let pending = server.mock(|when, then| {
        when.method(GET)
            .path("/access-request-approvals/v1/pending");
        then.status(200).json_body(json!([
            {"id": "a1", "accessRequestId": "r1"},
            {"id": "a2", "accessRequestId": "r2"}
        ]));
    });
    let bulk = server.mock(|when, then| {
        when.method(POST)
            .path("/access-request-approvals/v1/bulk-approve")
            .json_body(json!({"approvalIds": ["a1", "a2"], "comment": "ok"}));
        then.status(403).json_body(json!({
            "detailCode": "403 Forbidden",
            "messages": [{"locale": "en-US", "text": "not an administrator"}]
        }));
    });
    let singles: Vec<_> = ["a1", "a2"]
        .iter()
        .map(|id| {
            server.mock(|when, then| {
                when.method(POST)
                    .path(format!("/access-request-approvals/v1/{id}/approve"))
                    .json_body(json!({"comment": "ok"}));
                then.status(202).json_body(json!({}));
            })
        })
        .collect();
    let report = client(&server)
        .approve_many("ok")
        .approval_ids(["a1", "a2"])
        .owner("me")
        .verify(1, Duration::ZERO)
        .send()
        .await
        .unwrap();
    bulk.assert_calls(1);
    for single in &singles {
        single.assert_calls(1);
    }
    assert!(report.fell_back_to_single);
    assert_eq!((report.bulk_calls, report.single_calls), (1, 2));
    // The mock still lists both as pending: reported refused, not approved.
    assert_eq!(report.count(&ApprovalResult::Decided), 0);
    assert!(report
        .outcomes
        .iter()
        .all(|o| matches!(&o.result, ApprovalResult::Refused { reason } if reason.contains("still pending"))));
    assert!(pending.calls() >= 2);
}

/// Explaining requests at every stage: waiting on an approver, approved and
/// provisioning, failed, finished, and an unknown id, from two calls.
#[tokio::test]
async fn explain_says_what_each_request_waits_on_and_what_would_move_it() {
    use sailpoint_access::NextAction;
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, fast_retry());
    let journal = submit_run(&client, 3, "explain").await;
    let requests = access_request_ids_of_journal(&JsonlJournal::open(&journal).unwrap()).unwrap();
    let _ = std::fs::remove_file(&journal);
    // The second approved (provisioning), the third approved and failed.
    let by_request = client.approvals_of(requests.clone()).send().await.unwrap();
    for r in &requests[1..] {
        let id = by_request[r][0].id.clone().unwrap();
        client.approvals().approve(id).send().await.unwrap();
    }
    let failed = sandbox
        .statuses()
        .into_iter()
        .find(|s| s.access_request_id.as_deref() == Some(requests[2].as_str()))
        .unwrap();
    sandbox
        .fail(failed.account_activity_item_id.as_deref().unwrap())
        .unwrap();
    sandbox.reset_counters();
    let mut ids = requests.clone();
    ids.push("no-such-request".into());
    let explained = client.explain(ids).send().await.unwrap();
    assert_eq!(explained.len(), 4);
    let waiting = &explained[0];
    assert_eq!(
        waiting.next,
        NextAction::Approve {
            approval_ids: vec![by_request[&requests[0]][0].id.clone().unwrap()]
        }
    );
    let item = &waiting.items[0];
    assert_eq!(
        item.waiting_on[0].owner_id.as_deref(),
        Some(sailpoint_access_sandbox::APPROVER_IDENTITY_ID)
    );
    assert!(item.cancelable);
    assert_eq!(
        item.phases[0],
        ("APPROVAL_PHASE".into(), "EXECUTING".into())
    );
    assert_eq!(explained[1].next, NextAction::Wait);
    assert!(!explained[1].items[0].cancelable);
    assert_eq!(explained[2].next, NextAction::Nothing, "failed is final");
    assert!(!explained[2].items[0].errors.is_empty());
    assert_eq!(explained[3].next, NextAction::Unknown);
    assert!(explained[3].items.is_empty());
    // The statuses and the pending approvals: one call each.
    assert_eq!(
        sandbox.requests_received(Operation::ListPendingApprovals),
        1
    );
    let status_calls = sandbox.requests_received(Operation::ListAccessRequestStatus)
        + sandbox.requests_received(Operation::ListAccessRequestStatusV1);
    assert!(status_calls <= 2, "{status_calls}");
}

/// The sandbox's ordinary approver may not approve in bulk: the job learns
/// it from the 403 and approves its own approvals one by one.
#[tokio::test]
async fn an_ordinary_approver_is_refused_bulk_and_approves_one_by_one_on_the_sandbox() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let admin = sandbox_client(&sandbox, fast_retry());
    let journal = submit_run(&admin, 5, "approver").await;
    let requests = access_request_ids_of_journal(&JsonlJournal::open(&journal).unwrap()).unwrap();
    let _ = std::fs::remove_file(&journal);
    let approver = approver_client(&sandbox);
    // Its own approvals only: naming someone else is refused.
    let refused = approver
        .approvals()
        .pending()
        .owner(sandbox.caller_identity_id())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    let report = approver
        .approve_many("fine by me")
        .access_request_ids(requests)
        .owner("me")
        .send()
        .await
        .unwrap();
    assert!(report.fell_back_to_single);
    assert_eq!((report.bulk_calls, report.single_calls), (1, 5));
    assert_eq!(report.count(&ApprovalResult::Decided), 5);
    assert_eq!(sandbox.requests_received(Operation::ApproveApproval), 5);
    assert!(sandbox
        .statuses()
        .iter()
        .all(|s| s.approval_details[0].status == Some(ManualWorkItemState::Approved)));
}

/// The figures of BENCHMARKS.md: the 1,000 approvals of a 1,000-row run,
/// approved as an administrator (bulk) and as an ordinary approver (single
/// calls), paced to a rate the sandbox enforces, with no 429. The sandbox
/// counts 100 requests per second here, the vendor's 100 per 10 seconds
/// sped up ten times: times at the vendor's rate are ten times those
/// measured.
#[tokio::test]
async fn figures_approving_the_thousand_approvals_of_a_thousand_row_run() {
    use sailpoint_access::RateLimit;
    use sailpoint_access_sandbox::RateLimitFault;
    let (limit, window) = (100u32, Duration::from_secs(1));
    let sandbox = Sandbox::builder()
        .rate_limit(RateLimitFault::new(limit, window))
        .start()
        .await
        .unwrap();
    let (capture, _guard) = Capture::install();
    let paced = |builder: sailpoint_access::ClientBuilder| {
        builder
            .rate_limit(Some(RateLimit::new(limit, window)))
            .build()
            .unwrap()
    };
    let admin = paced(sandbox.client_builder());
    let n = 1000;
    // Two runs of 1,000 rows: one approved by the administrator, one by
    // the ordinary approver.
    let mut runs = Vec::new();
    for name in ["figures-admin", "figures-approver"] {
        let journal = submit_run(&admin, n, name).await;
        let requests =
            access_request_ids_of_journal(&JsonlJournal::open(&journal).unwrap()).unwrap();
        let _ = std::fs::remove_file(&journal);
        assert_eq!(requests.len(), n);
        runs.push(requests);
    }
    let (half, rest) = (runs[0].clone(), runs[1].clone());

    // As an administrator: map, bulk approve, verify.
    sandbox.reset_counters();
    let started = std::time::Instant::now();
    let report = admin
        .approve_many("approved")
        .access_request_ids(half.clone())
        .send()
        .await
        .unwrap();
    let admin_took = started.elapsed();
    let used: u64 = [
        Operation::ListPendingApprovals,
        Operation::BulkApproveApprovals,
        Operation::ListCompletedApprovals,
    ]
    .into_iter()
    .map(|op| sandbox.requests_received(op))
    .sum();
    // Mapping, bulk approve and one verification pass: 50 a call each.
    let chunks = half.len().div_ceil(50) as u64;
    let lower_bound = 3 * chunks;
    assert_eq!(report.count(&ApprovalResult::Decided), half.len());
    assert_eq!(
        sandbox.requests_received(Operation::BulkApproveApprovals),
        chunks
    );
    let ratio = used as f64 / lower_bound as f64;
    assert!(
        ratio <= 1.34,
        "{used} requests for a lower bound of {lower_bound}"
    );

    // As the ordinary approver: single approvals, paced.
    let approver = paced(sandbox.approver_client_builder());
    sandbox.reset_counters();
    let started = std::time::Instant::now();
    let single = approver
        .approve_many("approved")
        .access_request_ids(rest.clone())
        .owner("me")
        .send()
        .await
        .unwrap();
    let approver_took = started.elapsed();
    assert_eq!(single.count(&ApprovalResult::Decided), rest.len());
    assert!(single.fell_back_to_single);
    let approver_calls: u64 = Operation::ALL
        .into_iter()
        .filter(|op| *op != Operation::Token)
        .map(|op| sandbox.requests_received(op))
        .sum();
    let rate = approver_calls as f64 / approver_took.as_secs_f64();
    let limited = capture
        .retry_waits()
        .iter()
        .filter(|(_, limited)| *limited)
        .count();
    assert_eq!(limited, 0, "429s while paced");
    eprintln!(
        "FIGURES approvals-admin: approvals={} requests={used} lower_bound={lower_bound} ratio={ratio:.2} took_s={:.2} at_vendor_rate_s={:.1} responses_429={limited}",
        half.len(),
        admin_took.as_secs_f64(),
        admin_took.as_secs_f64() * 10.0
    );
    eprintln!(
        "FIGURES approvals-approver: approvals={} requests={approver_calls} single_calls={} took_s={:.2} rate_per_s={rate:.1} allowed_per_s={limit} ratio={:.3} at_vendor_rate_s={:.1} responses_429={limited}",
        rest.len(),
        single.single_calls,
        approver_took.as_secs_f64(),
        rate / f64::from(limit),
        approver_took.as_secs_f64() * 10.0
    );
}

/// A sandbox whose configuration asks two approvers of an entitlement, in
/// order: the source owner (unknown to the directory, so the sandbox
/// approver) and the requested-for identity's manager. Returns it with the
/// requester's and the manager's ids and the entitlement's id.
async fn two_step_sandbox() -> (
    sailpoint_access_sandbox::SandboxHandle,
    String,
    String,
    String,
) {
    use sailpoint_access::types::EntitlementApproverType;
    use sailpoint_access_sandbox::Directory;
    let directory = Directory::empty()
        .person("Manon Lead", "manon.lead", "manon@example.test", None)
        .person(
            "Ari Member",
            "ari.member",
            "ari@example.test",
            Some("manon.lead"),
        )
        .item(AccessItemType::Entitlement, "Reader", "Files", true, &[]);
    let member = directory
        .identity_by_alias("ari.member")
        .unwrap()
        .id
        .clone();
    let manager = directory
        .identity_by_alias("manon.lead")
        .unwrap()
        .id
        .clone();
    let entitlement = directory.items_named(&AccessItemType::Entitlement, "Reader")[0]
        .id
        .clone();
    let config = sailpoint_access_sandbox::config_v2_with_entitlement_approvers([
        EntitlementApproverType::SourceOwner,
        EntitlementApproverType::Manager,
    ]);
    let sandbox = Sandbox::builder()
        .directory(directory)
        .config_v2(config)
        .start()
        .await
        .unwrap();
    (sandbox, member, manager, entitlement)
}

#[tokio::test]
async fn a_two_step_configuration_yields_two_approvals_in_order_across_approve_many() {
    use sailpoint_access::types::ApprovalScheme;
    let (sandbox, member, manager, entitlement) = two_step_sandbox().await;
    let client = sandbox_client(&sandbox, fast_retry());
    let report = client
        .bulk_submit(plan(
            AccessRequestType::GrantAccess,
            vec![BulkRow::new(
                member.as_str(),
                AccessItemType::Entitlement,
                entitlement.as_str(),
            )],
            PlanLimits::default(),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(report.count(RowOutcome::Submitted), 1);
    let request = sandbox.statuses()[0].access_request_id.clone().unwrap();

    // Only the first step is open, owned by the source owner's stand-in.
    let status = &sandbox.statuses()[0];
    assert_eq!(status.approval_details.len(), 1);
    assert_eq!(
        status.approval_details[0].scheme,
        Some(ApprovalScheme::SourceOwner)
    );
    let first = client
        .approvals_of(vec![request.clone()])
        .send()
        .await
        .unwrap();
    let first = &first[&request];
    assert_eq!(first.len(), 1);
    let first_id = first[0].id.clone().unwrap();
    assert_eq!(
        first[0].owner.as_ref().and_then(|o| o.id.as_deref()),
        Some(sailpoint_access_sandbox::APPROVER_IDENTITY_ID)
    );

    // Approving it opens the second step for the manager; the item waits.
    let report = client
        .approve_many("first step")
        .access_request_ids(vec![request.clone()])
        .send()
        .await
        .unwrap();
    assert_eq!(report.outcomes.len(), 1);
    assert_eq!(report.outcomes[0].approval_id, first_id);
    assert_eq!(report.count(&ApprovalResult::Decided), 1);
    let status = &sandbox.statuses()[0];
    assert_eq!(status.approval_details.len(), 2);
    assert_eq!(
        status.approval_details[0].status,
        Some(ManualWorkItemState::Approved)
    );
    assert_eq!(
        status.approval_details[1].status,
        Some(ManualWorkItemState::Pending)
    );
    assert_eq!(
        status.approval_details[1].scheme,
        Some(ApprovalScheme::Manager)
    );
    assert_eq!(
        status.state,
        Some(sailpoint_access::types::RequestedItemState::Executing)
    );
    let second = client
        .approvals_of(vec![request.clone()])
        .send()
        .await
        .unwrap();
    let second = &second[&request];
    assert_eq!(second.len(), 1);
    let second_id = second[0].id.clone().unwrap();
    assert_ne!(second_id, first_id);
    assert_eq!(
        second[0].owner.as_ref().and_then(|o| o.id.as_deref()),
        Some(manager.as_str())
    );
    // The sandbox approver does not own the manager's step.
    let approver = approver_client(&sandbox);
    let refused = approver
        .approvals()
        .approve(second_id.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));

    // The first id is now reported as decided before, the second approved;
    // the item then moves to provisioning.
    let report = client
        .approve_many("second step")
        .access_request_ids(vec![request.clone()])
        .approval_ids([first_id.as_str()])
        .send()
        .await
        .unwrap();
    let of = |id: &str| {
        report
            .outcomes
            .iter()
            .find(|o| o.approval_id == id)
            .unwrap()
            .result
            .clone()
    };
    assert_eq!(of(&second_id), ApprovalResult::Decided);
    assert_eq!(
        of(&first_id),
        ApprovalResult::NoLongerPending {
            state: "APPROVED".into()
        }
    );
    let status = &sandbox.statuses()[0];
    assert!(status
        .approval_details
        .iter()
        .all(|a| a.status == Some(ManualWorkItemState::Approved)));
    assert!(status
        .access_request_phases
        .iter()
        .flatten()
        .any(|p| p.name.as_deref() == Some("PROVISIONING_PHASE")));
    assert!(client
        .approvals_of(vec![request.clone()])
        .send()
        .await
        .unwrap()
        .get(&request)
        .is_none_or(Vec::is_empty));
}
