//! The configuration documents: read-modify-write keeps what this SDK does
//! not know, files are read strictly, partial documents merge.

use crate::common::*;
use sailpoint_access::types::AccessRequestConfig;
use sailpoint_access::RetryPolicy;
use sailpoint_access_sandbox::{Operation, Sandbox};
use serde_json::json;

#[tokio::test]
async fn update_keeps_properties_this_sdk_does_not_know() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    sandbox
        .set_config_json(json!({
            "autoApprovalEnabled": false,
            "futureSetting": {"x": 1},
            "entitlementRequestConfig": {"allowEntitlementRequest": true, "futureFlag": "on"}
        }))
        .unwrap();
    let client = sandbox_client(&sandbox, quick_retry(2));
    let read = client.access_request_config().get().await.unwrap();
    assert_eq!(read.extra.get("futureSetting"), Some(&json!({"x": 1})));
    client
        .access_request_config()
        .update(|cfg| cfg.auto_approval_enabled = true)
        .await
        .unwrap();
    let stored = sandbox.config_json();
    assert_eq!(stored["autoApprovalEnabled"], json!(true));
    assert_eq!(stored["futureSetting"], json!({"x": 1}), "{stored}");
    assert_eq!(
        stored["entitlementRequestConfig"]["futureFlag"],
        json!("on")
    );
    assert_eq!(
        stored["entitlementRequestConfig"]["allowEntitlementRequest"],
        json!(true)
    );
}

#[test]
fn a_document_from_a_file_is_strict_about_unknown_keys() {
    let err = sailpoint_access::config_from_json_strict(
        r#"{"entitlementRequestConfig": {"allowEntitlementRequests": true}, "autoApproval": 1}"#,
    )
    .unwrap_err();
    let v = err.validation().expect("a validation error");
    assert_eq!(v.rule, "document.known_fields");
    assert_eq!(
        v.value,
        "autoApproval, entitlementRequestConfig.allowEntitlementRequests"
    );
}

/// Configuration as code that cannot erase: a partial document merged over
/// the tenant's keeps every setting it does not name, unknown properties
/// included; `null` removes; a misspelt key is refused before anything is
/// written.
#[tokio::test]
async fn merging_a_partial_document_keeps_what_it_does_not_name() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = sandbox_client(&sandbox, RetryPolicy::disabled());
    let full: AccessRequestConfig = serde_json::from_value(json!({
        "approvalsMustBeExternal": true,
        "autoApprovalEnabled": false,
        "reauthorizationEnabled": true,
        "requestOnBehalfOfConfig": {"allowRequestOnBehalfOfAnyoneByAnyone": true},
        "entitlementRequestConfig": {"allowEntitlementRequest": true, "requestCommentsRequired": true},
        "futureTenantSetting": {"level": 3}
    }))
    .unwrap();
    client.access_request_config().set(full).await.unwrap();

    let stored = client
        .access_request_config()
        .merge(json!({"autoApprovalEnabled": true, "reauthorizationEnabled": null}))
        .await
        .unwrap();
    let stored = serde_json::to_value(stored).unwrap();
    assert_eq!(stored["autoApprovalEnabled"], true);
    assert_eq!(stored["approvalsMustBeExternal"], true, "{stored}");
    assert_eq!(
        stored["requestOnBehalfOfConfig"]["allowRequestOnBehalfOfAnyoneByAnyone"],
        true
    );
    assert_eq!(
        stored["entitlementRequestConfig"]["requestCommentsRequired"],
        true
    );
    assert_eq!(stored["futureTenantSetting"], json!({"level": 3}));
    assert_eq!(
        stored["reauthorizationEnabled"], false,
        "null removed it: its default"
    );

    let writes = sandbox.requests_received(Operation::SetAccessRequestConfig);
    let err = client
        .access_request_config()
        .merge(json!({"autoAprovalEnabled": false}))
        .await
        .unwrap_err();
    assert_eq!(
        err.validation().unwrap().rule.code(),
        "document.known_fields"
    );
    assert!(err.to_string().contains("autoAprovalEnabled"), "{err}");
    assert_eq!(
        sandbox.requests_received(Operation::SetAccessRequestConfig),
        writes,
        "nothing was written"
    );
}
