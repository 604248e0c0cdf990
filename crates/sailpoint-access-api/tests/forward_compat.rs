//! Values and properties that neither vendor description lists must decode,
//! and unknown enum values must survive re-encoding unchanged.

use sailpoint_access_api::types;
use serde_json::json;

#[test]
fn unseen_enum_values_and_properties_decode_and_survive() {
    let body = json!({
        "id": "2c9180835d2e5168015d32f890ca1581",
        "requestType": "TRANSFER_ACCESS",
        "state": "AWAITING_QUANTUM_APPROVAL",
        "type": "MACHINE_ROLE",
        "approvalDetails": [{ "status": "DELEGATED", "scheme": "AI_AGENT" }],
        "sodViolationContext": { "state": "SKIPPED" },
        "someFieldFrom2030": { "nested": [1, 2, 3] },
        "requester": { "type": "SERVICE_PRINCIPAL", "id": "x", "alsoNew": true }
    });
    let status: types::RequestedItemStatus = serde_json::from_value(body).expect("decodes");

    assert_eq!(
        status.request_type,
        Some(types::AccessRequestType::Unknown("TRANSFER_ACCESS".into()))
    );
    assert_eq!(
        status.state,
        Some(types::RequestedItemState::Unknown(
            "AWAITING_QUANTUM_APPROVAL".into()
        ))
    );
    assert_eq!(
        status.type_,
        Some(types::AccessItemType::Unknown("MACHINE_ROLE".into()))
    );
    assert!(status.approval_details[0]
        .status
        .as_ref()
        .is_some_and(|s| s.is_unknown()));

    let encoded = serde_json::to_value(&status).expect("encodes");
    assert_eq!(encoded["requestType"], "TRANSFER_ACCESS");
    assert_eq!(encoded["state"], "AWAITING_QUANTUM_APPROVAL");
    assert_eq!(encoded["type"], "MACHINE_ROLE");
    assert_eq!(encoded["approvalDetails"][0]["status"], "DELEGATED");
    assert_eq!(encoded["approvalDetails"][0]["scheme"], "AI_AGENT");
    assert_eq!(encoded["sodViolationContext"]["state"], "SKIPPED");
    assert_eq!(encoded["requester"]["type"], "SERVICE_PRINCIPAL");
    // Unknown properties are ignored, not kept: the types carry only what the spec names.
    assert!(encoded.get("someFieldFrom2030").is_none());
}

#[test]
fn known_values_parse_to_variants_and_unknown_ones_keep_their_text() {
    assert_eq!(
        types::AccessRequestType::from("MODIFY_ACCESS"),
        types::AccessRequestType::ModifyAccess
    );
    let unknown: types::AccessRequestType = "SOMETHING_NEW".parse().expect("infallible");
    assert!(unknown.is_unknown());
    assert_eq!(unknown.to_string(), "SOMETHING_NEW");
    for value in types::DtoType::KNOWN {
        let text = serde_json::to_string(value).expect("encodes");
        let back: types::DtoType = serde_json::from_str(&text).expect("decodes");
        assert_eq!(&back, value);
        assert!(!back.is_unknown());
    }
    // Escaped JSON strings take the allocating path of the visitor.
    let escaped: types::LocaleOrigin = serde_json::from_str(r#""DEF\u0041ULT""#).expect("decodes");
    assert_eq!(escaped, types::LocaleOrigin::Default);
}

#[test]
fn non_string_enum_values_are_decode_errors_not_panics() {
    let err = serde_json::from_value::<types::RequestedItemStatus>(json!({ "state": 7 }))
        .expect_err("rejected");
    assert!(err.to_string().contains("a string"), "{err}");
}

#[test]
fn schemas_list_the_known_values() {
    let schema = schemars::schema_for!(types::AccessRequestType);
    let text = serde_json::to_string(&schema).expect("schema encodes");
    for value in ["GRANT_ACCESS", "REVOKE_ACCESS", "MODIFY_ACCESS"] {
        assert!(text.contains(value), "{value} missing from {text}");
    }
    let status =
        serde_json::to_string(&schemars::schema_for!(types::RequestedItemStatus)).expect("encodes");
    assert!(
        status.contains("date-time"),
        "timestamps keep their format in the schema"
    );
}

#[test]
fn unseen_values_in_the_versioned_shapes_decode_and_survive() {
    let body = json!({
        "identityType": "ROBOT",
        "requestedFor": {"type": "WORKLOAD_IDENTITY", "id": "w-1"},
        "jitDetails": [{"attributeName": "roles", "attributeValues": ["x"], "expiresIn": "PT1H"}],
        "form": {"formInstanceId": "f", "formVersion": 3}
    });
    let status: types::RequestedItemStatus = serde_json::from_value(body).expect("decodes");
    assert_eq!(
        status.identity_type,
        Some(types::IdentityType::Unknown("ROBOT".into()))
    );
    let encoded = serde_json::to_value(&status).expect("encodes");
    assert_eq!(encoded["identityType"], "ROBOT");
    assert_eq!(encoded["requestedFor"]["type"], "WORKLOAD_IDENTITY");
    // These two components keep unknown properties (additionalProperties: {}).
    assert_eq!(encoded["jitDetails"][0]["expiresIn"], "PT1H");
    assert_eq!(encoded["form"]["formVersion"], 3);

    let config: types::AccessRequestConfigV2 = serde_json::from_value(json!({
        "entitlementRequestConfig": {"accessRequestConfig": {
            "approvalSchemes": [{"approverType": "AI_AGENT"}],
            "maxPermittedAccessDuration": {"value": 1, "timeUnit": "FORTNIGHTS"}
        }}
    }))
    .expect("decodes");
    let encoded = serde_json::to_value(&config).expect("encodes");
    let access = &encoded["entitlementRequestConfig"]["accessRequestConfig"];
    assert_eq!(access["approvalSchemes"][0]["approverType"], "AI_AGENT");
    assert_eq!(
        access["maxPermittedAccessDuration"]["timeUnit"],
        "FORTNIGHTS"
    );
}
