//! Every response type decodes our fixtures and encodes them back without
//! losing a known field; together the fixtures hold every enum value of the
//! 2024 and 2026 vendor descriptions, nulls wherever the spec allows them, and
//! sparse objects.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use sailpoint_access_api::types;

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Checks that `encoded` keeps every non-null value of `original`, at the same place.
/// Nulls may disappear (an absent optional field means the same), and fields the
/// original lacked may appear with their documented defaults.
fn assert_keeps(original: &Value, encoded: &Value, path: &str) {
    match (original, encoded) {
        (Value::Null, _) => {}
        (Value::Object(o), Value::Object(e)) => {
            for (key, value) in o {
                if value.is_null() {
                    continue;
                }
                let child = format!("{path}.{key}");
                let got = e
                    .get(key)
                    .unwrap_or_else(|| panic!("{child} was lost on re-encoding"));
                assert_keeps(value, got, &child);
            }
        }
        (Value::Array(o), Value::Array(e)) => {
            assert_eq!(o.len(), e.len(), "{path}: array length changed");
            for (i, (a, b)) in o.iter().zip(e).enumerate() {
                assert_keeps(a, b, &format!("{path}[{i}]"));
            }
        }
        (a, b) => assert_eq!(a, b, "{path} changed on re-encoding"),
    }
}

fn round_trip<T>(name: &str) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let original = fixture(name);
    let decoded: T = serde_json::from_value(original.clone())
        .unwrap_or_else(|e| panic!("{name} does not decode: {e}"));
    let encoded = serde_json::to_value(&decoded).expect("encodes");
    assert_keeps(&original, &encoded, name);
    let again: T = serde_json::from_value(encoded).expect("re-decodes");
    assert_eq!(again, decoded, "{name}: decode(encode(x)) != x");
    decoded
}

#[test]
fn access_request_config_fixtures_round_trip() {
    let full: types::AccessRequestConfig = round_trip("config-full.json");
    assert!(full.reauthorization_enabled);
    let reminders = full
        .approval_reminder_and_escalation_config
        .expect("present");
    assert_eq!(reminders.max_reminders.map(|n| n.get()), Some(5));

    let nulls: types::AccessRequestConfig = round_trip("config-nulls.json");
    let reminders = nulls
        .approval_reminder_and_escalation_config
        .expect("present");
    assert_eq!(reminders.fallback_approver_ref, None);
    assert_eq!(
        nulls
            .entitlement_request_config
            .expect("present")
            .grant_request_approval_schemes,
        None
    );

    let sparse: types::AccessRequestConfig = round_trip("config-sparse.json");
    assert!(!sparse.approvals_must_be_external && sparse.request_on_behalf_of_config.is_none());
}

#[test]
fn create_responses_of_both_eras_round_trip() {
    let new: types::AccessRequestResponse = round_trip("create-response-2026.json");
    assert_eq!(
        new.new_requests[0].access_request_ids,
        ["5d3118c518a44ec7805450d53479ccdb"]
    );
    // Larger than i32: the vendor's own example, kept by declaring int64.
    assert_eq!(new.new_requests[0].attributes_hash, Some(2_843_118_224));
    assert_eq!(new.existing_requests[0].access_request_ids.len(), 2);

    let old: types::AccessRequestResponse = round_trip("create-response-2024.json");
    assert!(old.new_requests.is_empty() && old.existing_requests.is_empty());
}

#[test]
fn every_error_shape_decodes_into_the_one_error_type() {
    let bad: types::ErrorResponse = round_trip("error-400.json");
    assert_eq!(
        bad.tracking_id.as_deref(),
        Some("e7eab60924f64aa284175b9fa3309599")
    );
    assert_eq!(bad.messages.len(), 2);
    assert_eq!(
        bad.messages[1].locale_origin,
        Some(types::LocaleOrigin::Request)
    );
    assert_eq!(bad.causes[0].locale_origin, None);

    let unauthorized: types::ErrorResponse = round_trip("error-401.json");
    assert_eq!(
        unauthorized.error.as_deref(),
        Some("JWT validation failed: JWT is expired")
    );

    let limited: types::ErrorResponse = round_trip("error-429.json");
    assert_eq!(limited.message.as_deref(), Some(" Rate Limit Exceeded "));
}

#[test]
fn cancel_response_is_a_free_form_object() {
    let body: serde_json::Map<String, Value> = round_trip("cancel-response.json");
    assert!(body.is_empty());
}

#[test]
fn status_fixtures_round_trip() {
    let full: Vec<types::RequestedItemStatus> = round_trip("statuses-full.json");
    assert_eq!(full.len(), 9);
    assert!(full
        .iter()
        .all(|s| s.state.as_ref().is_some_and(|s| !s.is_unknown())));
    // Both shapes of `requestedFor`: a list (2024) and a single reference (2026).
    assert!(
        matches!(full[0].requested_for, Some(types::RequestedForIdentities::Many(ref v)) if v.len() == 1)
    );
    assert!(matches!(
        full[1].requested_for,
        Some(types::RequestedForIdentities::One(_))
    ));
    assert_eq!(
        full[0].created.map(|t| t.to_string()).as_deref(),
        Some("2024-06-12T21:22:23Z")
    );

    let nulls: Vec<types::RequestedItemStatus> = round_trip("statuses-nulls.json");
    assert_eq!(nulls[0].request_type, None);
    assert_eq!(nulls[0].type_, None);
    assert_eq!(nulls[1].sod_violation_context, None);

    let sparse: Vec<types::RequestedItemStatus> = round_trip("statuses-sparse.json");
    assert_eq!(sparse[0], types::RequestedItemStatus::default());
}

#[test]
fn versioned_status_fixtures_round_trip() {
    let statuses: Vec<types::RequestedItemStatus> = round_trip("statuses-v1.json");
    let machine = &statuses[0];
    assert_eq!(machine.id, None, "the versioned family may send a null id");
    assert_eq!(machine.identity_type, Some(types::IdentityType::Machine));
    assert!(matches!(
        &machine.requested_for,
        Some(types::RequestedForIdentities::One(r))
            if r.type_ == Some(types::IdentityReferenceType::MachineIdentity)
    ));
    assert_eq!(machine.approval_details[0].approval_id, None);
    let jit = &machine.jit_details.as_ref().expect("jitDetails")[0];
    assert_eq!(jit.attribute_name.as_deref(), Some("groups"));
    assert_eq!(
        jit.extra["ttlHint"]["minutes"], 30,
        "unknown JIT properties are kept"
    );
    let form = machine.form.as_ref().expect("form");
    assert_eq!(
        form.form_instance_id.as_deref(),
        Some("9f3a1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e")
    );
    let data = form.form_data.as_ref().expect("formData");
    assert_eq!(data["platforms"][1], "GCP");
    assert_eq!(data["budget"], 12.5);
    assert_eq!(
        form.extra["signature"]["by"], "ada",
        "unknown form properties are kept"
    );
    assert_eq!(
        machine.description.as_deref(),
        Some("Admin rights on the build account")
    );

    let human = &statuses[1];
    assert_eq!(human.identity_type, Some(types::IdentityType::Human));
    assert_eq!(
        (human.jit_details.as_ref(), human.form.as_ref()),
        (None, None)
    );

    // Nothing is lost: the encoding equals the fixture minus its nulls.
    let original = fixture("statuses-v1.json");
    let encoded = serde_json::to_value(&statuses).expect("encodes");
    assert_eq!(encoded, without_nulls(&original));
}

/// `value` with every null-valued property removed (an absent optional field
/// means the same).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[test]
fn config_v2_fixtures_round_trip_with_unknown_properties() {
    let documents: Vec<types::AccessRequestConfigV2> = round_trip("config-v2-full.json");
    let full = &documents[0];
    assert_eq!(full.machine_identity_access_request_enabled, Some(false));
    assert!(full.gov_group_visibility_enabled);
    assert_eq!(full.extra["settingFrom2030"]["nested"][2], 3);
    let access = full
        .entitlement_request_config
        .as_ref()
        .and_then(|e| e.access_request_config.as_ref())
        .expect("accessRequestConfig");
    let schemes = access.approval_schemes.as_ref().expect("approvalSchemes");
    assert_eq!(schemes.len(), 5);
    assert_eq!(schemes[4].extra["futureFlag"], "kept");
    let duration = access
        .max_permitted_access_duration
        .as_ref()
        .expect("duration");
    assert_eq!(duration.value.map(|v| v.get()), Some(5));
    assert_eq!(duration.time_unit, Some(types::AccessDurationUnit::Days));
    // An empty list of revocation steps stays an empty list, not an absent one.
    let encoded = serde_json::to_value(full).expect("encodes");
    assert_eq!(
        encoded["entitlementRequestConfig"]["revocationRequestConfig"]["approvalSchemes"],
        serde_json::json!([])
    );
    // Absent stays absent (the vendor's default of true is the service's business).
    let empty = serde_json::to_value(&documents[5]).expect("encodes");
    assert!(
        empty.get("machineIdentityAccessRequestEnabled").is_none(),
        "{empty}"
    );

    // The type refuses what the schema does: a duration of zero or less.
    for value in [0, -1] {
        let bad = serde_json::json!({"entitlementRequestConfig": {"accessRequestConfig": {
            "maxPermittedAccessDuration": {"value": value, "timeUnit": "DAYS"}}}});
        assert!(serde_json::from_value::<types::AccessRequestConfigV2>(bad).is_err());
    }
}

#[test]
fn the_v1_configuration_decodes_into_the_shared_document() {
    let config: types::AccessRequestConfig = round_trip("config-v1.json");
    let on_behalf = config
        .request_on_behalf_of_config
        .as_ref()
        .expect("present");
    assert_eq!(
        on_behalf.allow_request_on_behalf_of_for_machine_identity,
        Some(true)
    );
    let entitlements = config.entitlement_request_config.as_ref().expect("present");
    let access = entitlements
        .access_request_config
        .as_ref()
        .expect("structured block");
    assert_eq!(
        access.approval_schemes.as_ref().expect("steps")[0].approver_type,
        Some(types::EntitlementApproverType::Manager)
    );
    assert!(entitlements.revocation_request_config.is_some());
    // A v3 document keeps its shape: none of the v1 additions appear.
    let v3: types::AccessRequestConfig =
        serde_json::from_value(fixture("config-full.json")).expect("decodes");
    let encoded = serde_json::to_value(&v3).expect("encodes");
    for absent in [
        "allowRequestOnBehalfOfForMachineIdentity",
        "allowRequestForMachineByOwner",
    ] {
        assert!(
            encoded["requestOnBehalfOfConfig"].get(absent).is_none(),
            "{encoded}"
        );
    }
    assert!(encoded["entitlementRequestConfig"]
        .get("accessRequestConfig")
        .is_none());
}

#[test]
fn versioned_request_bodies_round_trip() {
    let creates: Vec<types::AccessRequest> = round_trip("create-request-v1.json");
    assert_eq!(
        creates[0].requested_items[0].form_instance_id.as_deref(),
        Some("9f3a1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e")
    );
    let per_identity = |i: usize| {
        &creates[i]
            .requested_for_with_requested_items
            .as_ref()
            .unwrap()[0]
    };
    assert_eq!(
        per_identity(1).identity_type,
        Some(types::IdentityType::Human)
    );
    assert_eq!(
        per_identity(1).requested_items[0]
            .form_instance_id
            .as_deref(),
        Some("f-1")
    );
    assert_eq!(
        per_identity(2).identity_type,
        Some(types::IdentityType::Machine)
    );
    assert_eq!(
        per_identity(2).requested_items[0]
            .native_identity
            .as_deref(),
        Some("CN=build-bot,OU=Machines")
    );
    // A v3 body built without the new fields does not send them.
    let plain = serde_json::to_value(types::AccessRequest {
        requested_for_with_requested_items: Some(vec![types::RequestedForDtoRef {
            identity_id: "a".into(),
            identity_type: None,
            requested_items: Vec::new(),
        }]),
        ..Default::default()
    })
    .expect("encodes");
    assert!(plain["requestedForWithRequestedItems"][0]
        .get("identityType")
        .is_none());

    #[derive(serde::Deserialize, serde::Serialize, PartialEq, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Bodies {
        close: Vec<types::CloseAccessRequests>,
        bulk_cancel: Vec<types::BulkCancelAccessRequests>,
    }
    let bodies: Bodies = round_trip("close-and-bulk-cancel-requests.json");
    assert_eq!(
        bodies.close[1].execution_status,
        Some(types::CloseExecutionStatus::Completed)
    );
    assert_eq!(
        bodies.close[3].completion_status, None,
        "the service's default applies"
    );
    assert_eq!(bodies.bulk_cancel[0].access_request_ids.len(), 2);
    assert!(
        serde_json::from_value::<types::BulkCancelAccessRequests>(
            serde_json::json!({"accessRequestIds": ["x"]})
        )
        .is_err(),
        "the comment is required"
    );
}

/// Each open enum's known values must all occur in the fixtures, so the tests
/// above exercise every value both vendor descriptions list.
#[test]
fn fixtures_cover_every_enum_value() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut all = String::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        all.push_str(&std::fs::read_to_string(entry.expect("entry").path()).expect("readable"));
    }
    macro_rules! check {
        ($($ty:ident),* $(,)?) => {{
            let mut missing = Vec::new();
            $(
                for value in types::$ty::KNOWN {
                    if !all.contains(&format!("\"{}\"", value.as_str())) {
                        missing.push(format!("{}::{}", stringify!($ty), value));
                    }
                }
            )*
            missing
        }};
    }
    let missing = check!(
        AccessItemType,
        AccessRequestPhaseResult,
        AccessRequestPhaseState,
        AccessRequestType,
        ApprovalScheme,
        DtoType,
        IdentityReferenceType,
        LocaleOrigin,
        ManualWorkItemState,
        OwnerType,
        PreApprovalDecision,
        ReassignmentType,
        RequestedItemState,
        SodCheckState,
        SodPolicyType,
        IdentityType,
        CloseExecutionStatus,
        CloseCompletionStatus,
        EntitlementApproverType,
        AccessDurationUnit,
    );
    assert!(
        missing.is_empty(),
        "enum values absent from fixtures: {missing:?}"
    );
    // Spot checks that the 2026 additions are there.
    assert!(types::AccessRequestType::KNOWN.contains(&types::AccessRequestType::ModifyAccess));
    assert!(types::DtoType::KNOWN.contains(&types::DtoType::MachineIdentity));
}
