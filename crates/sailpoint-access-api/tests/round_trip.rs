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
    );
    assert!(
        missing.is_empty(),
        "enum values absent from fixtures: {missing:?}"
    );
    // Spot checks that the 2026 additions are there.
    assert!(types::AccessRequestType::KNOWN.contains(&types::AccessRequestType::ModifyAccess));
    assert!(types::DtoType::KNOWN.contains(&types::DtoType::MachineIdentity));
}
