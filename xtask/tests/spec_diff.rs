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
