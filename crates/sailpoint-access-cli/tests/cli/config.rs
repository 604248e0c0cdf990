//! `config get`, `config diff`, `config apply`.

use sailpoint_access_sandbox::Operation;

use crate::harness::Tenant;

#[test]
fn get_in_json_and_yaml_to_stdout_and_file() {
    let t = Tenant::start("config-get");
    let json = t.run(&["config", "get"]);
    json.expect(0);
    assert_eq!(json.json(), t.handle.config_json());
    let yaml = t.run(&["config", "get", "-o", "yaml"]);
    yaml.expect(0);
    let parsed: serde_json::Value = serde_norway::from_str(&yaml.stdout).expect("YAML");
    assert_eq!(parsed, t.handle.config_json());
    let file = t.dir.join("tenant.yaml");
    let to_file = t.run(&["config", "get", "--file", file.to_str().unwrap()]);
    to_file.expect(0);
    assert!(to_file.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("autoApprovalEnabled: false"), "{text}");
    let v2 = t.run(&["config", "get", "--v2"]);
    v2.expect(0);
    assert_eq!(v2.json(), t.handle.config_v2_json());
}

#[test]
fn apply_round_trip_shows_the_diff_first_and_keeps_other_fields() {
    let t = Tenant::start("config-apply");
    let file = t.dir.join("tenant.yaml");
    t.run(&["config", "get", "--file", file.to_str().unwrap()])
        .expect(0);
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("autoApprovalEnabled: false", "autoApprovalEnabled: true");
    std::fs::write(&file, edited).unwrap();
    let before = t.handle.config_json();

    let diff = t.run(&["config", "diff", file.to_str().unwrap(), "-o", "json"]);
    diff.expect(0);
    assert_eq!(
        diff.json(),
        serde_json::json!([{"field": "autoApprovalEnabled", "tenant": false, "file": true}])
    );
    // As a drift check: exit 1 when a field differs.
    let drift = t.run(&["config", "diff", file.to_str().unwrap(), "--exit-code"]);
    drift.expect(1);
    drift.expect_stdout("autoApprovalEnabled");
    assert!(!drift.stderr.contains("error"), "{}", drift.stderr);
    let dry = t.run(&["config", "apply", file.to_str().unwrap(), "--dry-run"]);
    dry.expect(0);
    dry.expect_stdout("autoApprovalEnabled");
    t.expect_not_received(&[Operation::SetAccessRequestConfig]);
    // Without a terminal, --yes is needed.
    t.run(&["config", "apply", file.to_str().unwrap()])
        .expect(2);
    t.expect_not_received(&[Operation::SetAccessRequestConfig]);

    let apply = t.run(&["config", "apply", file.to_str().unwrap(), "--yes"]);
    apply.expect(0);
    apply.expect_stdout("autoApprovalEnabled");
    let mut expected = before;
    expected["autoApprovalEnabled"] = serde_json::json!(true);
    assert_eq!(t.handle.config_json(), expected);

    // A partial document changes only what it names.
    let patch = t.write("patch.json", r#"{"reauthorizationEnabled": true}"#);
    t.run(&["config", "apply", patch.to_str().unwrap(), "--yes"])
        .expect(0);
    expected["reauthorizationEnabled"] = serde_json::json!(true);
    assert_eq!(t.handle.config_json(), expected);

    let none = t.run(&["config", "diff", patch.to_str().unwrap()]);
    none.expect(0);
    none.expect_stderr("0 field(s) differ");
    t.run(&["config", "diff", patch.to_str().unwrap(), "--exit-code"])
        .expect(0);
}

#[test]
fn files_are_loaded_strictly() {
    let t = Tenant::start("config-strict");
    let file = t.write(
        "typo.json",
        r#"{"entitlementRequestConfig": {"allowEntitlementRequests": true}}"#,
    );
    let run = t.run(&["config", "apply", file.to_str().unwrap(), "--yes"]);
    run.expect(2);
    run.expect_stderr("entitlementRequestConfig.allowEntitlementRequests");
    run.expect_stderr("document.known_fields");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let v2 = t.write("typo-v2.yaml", "machineIdentityAccesRequestEnabled: true\n");
    let run = t.run(&["config", "diff", "--v2", v2.to_str().unwrap()]);
    run.expect(2);
    run.expect_stderr("machineIdentityAccesRequestEnabled");
    t.expect_not_received(&[
        Operation::SetAccessRequestConfig,
        Operation::GetAccessRequestConfigV2,
    ]);
}

#[test]
fn v2_apply_round_trip() {
    let t = Tenant::start("config-v2");
    let file = t.write(
        "v2.json",
        r#"{"machineIdentityAccessRequestEnabled": true}"#,
    );
    let run = t.run(&["config", "apply", "--v2", file.to_str().unwrap(), "--yes"]);
    run.expect(0);
    assert_eq!(
        t.handle.config_v2().machine_identity_access_request_enabled,
        Some(true)
    );
}
