//! End-to-end tests of `cargo xtask spec-diff`: run the built binary on the
//! vendor's reference bundles (when available) and on small documents.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spec_diff(old: &Path, new: &Path) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("spec-diff")
        .arg(old)
        .arg(new)
        .output()
        .expect("run xtask");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("write a temporary spec");
    path
}

/// Asserts that some line starts with `sign` and contains every needle.
fn assert_line(stdout: &str, sign: char, needles: &[&str]) {
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with(sign) && needles.iter().all(|n| line.contains(n))),
        "no line starting with {sign:?} containing {needles:?} in:\n{stdout}"
    );
}

#[test]
fn reference_bundles_report_known_changes() {
    let Some(dir) = std::env::var_os("SAILPOINT_REFERENCE_DIR") else {
        println!("skipped: SAILPOINT_REFERENCE_DIR is not set");
        return;
    };
    let dir = PathBuf::from(dir);
    let old = dir.join("isc-v3-access-requests.2024-06.yaml");
    let new = dir.join("isc-v3-access-requests.2026-08.yaml");
    let (output, stdout) = spec_diff(&old, &new);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_line(&stdout, '+', &["MODIFY_ACCESS"]);
    assert_line(&stdout, '+', &["startDate"]);
    assert_line(&stdout, '+', &["request-state"]);
    // More of the documented differences.
    assert_line(
        &stdout,
        '+',
        &["requestedItems[].startDate", "property added"],
    );
    assert_line(&stdout, '+', &["createAccessRequest 202 .newRequests"]);
    assert_line(&stdout, '~', &["[].requestedFor", "type array -> object"]);
    assert_line(
        &stdout,
        '~',
        &["getAccessRequestConfig", "became deprecated"],
    );
    assert_line(
        &stdout,
        '~',
        &["setAccessRequestConfig", "became deprecated"],
    );
    assert!(stdout.contains("\nSummary: "), "{stdout}");
}

fn spec_diff_family(family: &str, old: &Path, new: &Path) -> (Output, String) {
    spec_diff_tagged(family, "Access Requests", old, new)
}

/// The operations of one family that carry `tag` (one vendor bundle covers
/// one area of a family: access requests, look-ups).
fn spec_diff_tagged(family: &str, tag: &str, old: &Path, new: &Path) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["spec-diff", "--family", family, "--tag", tag])
        .arg(old)
        .arg(new)
        .output()
        .expect("run xtask");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// Our versioned operations against the vendor's versioned bundle: every one
/// is found (close and bulk cancel by method and path, since the bundle names
/// them `closeAccessRequestV1` and `cancelAccessRequestInBulkV1`), and the
/// differences are the documented departures of our spec.
#[test]
fn versioned_family_matches_its_vendor_bundle() {
    let Some(dir) = std::env::var_os("SAILPOINT_REFERENCE_DIR") else {
        println!("skipped: SAILPOINT_REFERENCE_DIR is not set");
        return;
    };
    let bundle = PathBuf::from(dir).join("isc-access-requests-v1.2026-08.yaml");
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/access-requests.yaml");
    let (output, stdout) = spec_diff_family("versioned", &ours, &bundle);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "operations: createAccessRequestV1, cancelAccessRequestV1, closeAccessRequests, \
             bulkCancelAccessRequests, listAccessRequestStatusV1, getAccessRequestConfigV1, \
             setAccessRequestConfigV1, getAccessRequestConfigV2, setAccessRequestConfigV2\n"
        ),
        "{stdout}"
    );
    // Only the versioned family, and every operation found in both.
    assert!(!stdout.contains("createAccessRequest:"), "{stdout}");
    assert!(!stdout.contains("note:"), "{stdout}");
    assert!(!stdout.contains("operation added"), "{stdout}");
    assert!(!stdout.contains("operation removed"), "{stdout}");
    assert!(!stdout.contains("moved from"), "{stdout}");
    // The limits the vendor states in prose only are schema limits here.
    assert_line(
        &stdout,
        '~',
        &[
            "closeAccessRequests request body .accessRequestIds",
            "maxItems 500 -> (none)",
        ],
    );
    assert_line(
        &stdout,
        '~',
        &[
            "bulkCancelAccessRequests request body .accessRequestIds",
            "maxItems 50 -> (none)",
        ],
    );
    // The vendor's defaults, left to the service here.
    assert_line(
        &stdout,
        '~',
        &[
            "closeAccessRequests request body .executionStatus",
            "default (none) -> Terminated",
        ],
    );
    assert_line(
        &stdout,
        '~',
        &[
            "requestedForWithRequestedItems[].identityType",
            "default (none) -> HUMAN",
        ],
    );
    // One superset status type: v3's approvalId stays, the bundle has none.
    assert_line(
        &stdout,
        '-',
        &[
            "listAccessRequestStatusV1 200 [].approvalDetails[].approvalId",
            "property removed",
        ],
    );
    // The bundle's v1 document lacks v3's flat entitlement settings we keep.
    assert_line(
        &stdout,
        '-',
        &["getAccessRequestConfigV1 200 .entitlementRequestConfig.allowEntitlementRequest"],
    );
    // The new v1-only status properties are modelled: no `+` for them.
    for property in ["[].identityType:", "[].jitDetails:", "[].form:"] {
        assert!(
            !stdout
                .lines()
                .any(|l| l.starts_with('+') && l.contains(property)),
            "{property} is missing from our spec:\n{stdout}"
        );
    }
    // The v2 document: no reminders block on either side.
    assert!(!stdout.contains("getAccessRequestConfigV2 200 .approvalReminderAndEscalationConfig"));
    assert!(stdout.contains("\nSummary: "), "{stdout}");
}

/// Our v3 operations against the newest v3 bundle, which puts `/v3` in its
/// server URL rather than in its paths: no operation looks moved.
#[test]
fn v3_family_matches_its_vendor_bundle_despite_the_server_prefix() {
    let Some(dir) = std::env::var_os("SAILPOINT_REFERENCE_DIR") else {
        println!("skipped: SAILPOINT_REFERENCE_DIR is not set");
        return;
    };
    let bundle = PathBuf::from(dir).join("isc-v3-access-requests.2026-08.yaml");
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/access-requests.yaml");
    let (output, stdout) = spec_diff_family("v3", &ours, &bundle);
    assert!(output.status.success(), "{stdout}");
    assert!(!stdout.contains("V1"), "{stdout}");
    assert!(!stdout.contains("moved from"), "{stdout}");
    assert!(!stdout.contains("operation removed"), "{stdout}");
    // The superset status type shows as our addition.
    assert_line(
        &stdout,
        '-',
        &[
            "listAccessRequestStatus 200 [].identityType",
            "property removed",
        ],
    );
}

#[test]
fn an_unknown_family_is_an_error() {
    let old = write("diff-family.yaml", OLD);
    let (output, _) = spec_diff_family("v2", &old, &old);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown family \"v2\""), "{stderr}");
}

/// A document that names an operation differently is still matched, by
/// method and full path (server URL path included).
#[test]
fn operations_are_matched_by_route_when_ids_differ() {
    let old = write(
        "diff-route-old.yaml",
        r##"
openapi: 3.0.1
servers: [{url: "https://{tenant}.api.identitynow.com"}]
paths:
  /access-requests/v1/close:
    post:
      operationId: closeAccessRequestV1
      responses: {"202": {description: ok}}
"##,
    );
    let new = write(
        "diff-route-new.yaml",
        r##"
openapi: 3.0.1
servers: [{url: "https://{tenant}.api.identitynow.com/"}]
paths:
  /access-requests/v1/close:
    post:
      operationId: somethingElse
      deprecated: true
      responses: {"202": {description: ok}}
"##,
    );
    let (output, stdout) = spec_diff_family("versioned", &old, &new);
    assert!(output.status.success(), "{stdout}");
    assert_line(&stdout, '~', &["closeAccessRequests: became deprecated"]);
    assert!(
        stdout.contains("note:"),
        "the other operations are absent: {stdout}"
    );
}

const OLD: &str = r##"
openapi: 3.0.1
paths:
  /access-request-status:
    get:
      operationId: listAccessRequestStatus
      parameters:
        - {in: query, name: limit, schema: {type: integer, maximum: 250}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "#/components/schemas/Status"}
components:
  schemas:
    Status:
      type: object
      properties:
        state: {type: string, enum: [EXECUTING, ERROR]}
        gone: {type: string}
"##;

const NEW: &str = r##"
openapi: 3.0.1
paths:
  /access-request-status:
    get:
      operationId: listAccessRequestStatus
      deprecated: true
      parameters:
        - {in: query, name: limit, schema: {type: integer, maximum: 500}}
        - {in: query, name: request-state, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "#/components/schemas/RenamedStatus"}
components:
  schemas:
    RenamedStatus:
      type: object
      properties:
        state: {type: string, enum: [EXECUTING, ERROR, DONE]}
        startDate: {type: string, format: date-time}
"##;

#[test]
fn small_documents_produce_grouped_report() {
    let old = write("diff-old.yaml", OLD);
    let new = write("diff-new.yaml", NEW);
    let (output, stdout) = spec_diff(&old, &new);
    assert!(output.status.success(), "{stdout}");
    let body: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Added"))
        .collect();
    assert_eq!(
        body,
        [
            "Added (3):",
            "+ listAccessRequestStatus query parameter request-state: parameter added (string, optional)",
            "+ listAccessRequestStatus 200 [].startDate: property added (string, date-time, optional)",
            "+ listAccessRequestStatus 200 [].state: enum value DONE added",
            "",
            "Removed (1):",
            "- listAccessRequestStatus 200 [].gone: property removed (was string, optional)",
            "",
            "Changed (2):",
            "~ listAccessRequestStatus: became deprecated",
            "~ listAccessRequestStatus query parameter limit: maximum 250 -> 500",
            "",
            "Summary: 3 added, 1 removed, 2 changed (6 differences).",
        ],
        "{stdout}"
    );
}

#[test]
fn identical_documents_report_no_differences() {
    let old = write("diff-same.yaml", OLD);
    let (output, stdout) = spec_diff(&old, &old);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("Summary: no differences"), "{stdout}");
    assert!(
        !stdout.lines().any(|l| l.starts_with(['+', '-', '~'])),
        "{stdout}"
    );
}

#[test]
fn unreadable_input_is_an_error() {
    let good = write("diff-good.yaml", OLD);
    let bad = write("diff-bad.yaml", "paths: [unclosed\n");
    let (output, _) = spec_diff(&good, &bad);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not valid YAML"), "{stderr}");

    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-missing.yaml");
    let (output, _) = spec_diff(&missing, &good);
    assert!(!output.status.success());

    let scalar = write("diff-scalar.yaml", "just a string\n");
    let (output, _) = spec_diff(&good, &scalar);
    assert!(!output.status.success());
}

/// Our look-ups against the vendor's look-up bundle: every one is found (by
/// method and path: the bundle names them `...V1`).
#[test]
fn look_ups_match_their_vendor_bundle() {
    let Some(dir) = std::env::var_os("SAILPOINT_REFERENCE_DIR") else {
        println!("skipped: SAILPOINT_REFERENCE_DIR is not set");
        return;
    };
    let bundle = PathBuf::from(dir).join("isc-lookups-v1.2026-08.yaml");
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/access-requests.yaml");
    let (output, stdout) = spec_diff_tagged("versioned", "Look-ups", &ours, &bundle);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "operations: listRequestableObjects, listIdentities, listPublicIdentities, \
             listEntitlements, listRoles, listAccessProfiles, listIdentityEntitlements\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("note:"), "{stdout}");
    assert!(!stdout.contains("operation removed"), "{stdout}");
}
