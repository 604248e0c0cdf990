//! End-to-end tests of `cargo xtask lint-spec`: run the built binary on
//! small documents written to a temporary directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VALID: &str = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
x-rate-limit: {requests: 100, windowSeconds: 10}
security:
  - bearer: []
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getThing
      x-replay: safe
      x-family: v3
      tags: [Things]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "404":
          $ref: "#/components/responses/NotFound"
components:
  schemas:
    Thing:
      type: object
      x-limits:
        maxNames: {value: 5, description: At most this many names.}
      properties:
        name: {type: string}
    ErrorResponse:
      type: object
      properties:
        message: {type: string}
  responses:
    NotFound:
      description: missing
      content:
        application/json:
          schema: {$ref: "#/components/schemas/ErrorResponse"}
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"##;

/// One problem per structural rule (the extension rules have their own tests
/// below, so here every operation has a valid `x-replay`).
const BROKEN: &str = r##"
openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      x-replay: safe
      x-family: v3
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Missing"}
        "500":
          description: boom
          content:
            application/json:
              schema: {type: object}
  /other:
    post:
      operationId: getThing
      x-replay: not-after-send
      x-family: v3
      tags: [Things]
      responses:
        "204": {description: done}
components:
  schemas:
    Orphan: {type: string}
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"##;

fn write(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("write a temporary spec");
    path
}

fn lint(args: &[&Path]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("lint-spec")
        .args(args)
        .output()
        .expect("run xtask");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

#[test]
fn valid_spec_passes() {
    let path = write("lint-valid.yaml", VALID);
    let (output, stdout) = lint(&[&path]);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("no findings"), "{stdout}");
}

#[test]
fn broken_spec_fails_with_one_line_per_finding() {
    let path = write("lint-broken.yaml", BROKEN);
    let (output, stdout) = lint(&[&path]);
    assert!(!output.status.success(), "{stdout}");
    let expected = [
        "[openapi-version] /openapi:",
        // Which of the two comes first depends on the mapping order.
        "[operation-id] ",
        "[operation-tags] GET /things/{id}:",
        "[ref] /paths/~1things~1{id}/get/responses/200/content/application~1json/schema:",
        "[error-response] GET /things/{id} 500:",
        "[unused-component] /components/schemas/Orphan:",
        "[unused-component] /components/securitySchemes/bearer:",
        "[path-parameter] GET /things/{id}:",
        "[duplicate-parameter] GET /things/{id}:",
    ];
    for prefix in expected {
        assert!(
            stdout.lines().any(|line| line.starts_with(prefix)),
            "no line starting with {prefix:?} in:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("operationId \"getThing\" is already used by"),
        "{stdout}"
    );
    let findings = stdout.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(findings, expected.len(), "{stdout}");
    assert!(
        stdout.contains(&format!("lint-spec: {findings} findings in")),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: lint-spec found"), "{stderr}");
}

#[test]
fn unreadable_file_is_an_error() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lint-does-not-exist.yaml");
    let (output, _) = lint(&[&path]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read"), "{stderr}");
}

/// The spec this repository generates from must pass its own checks.
#[test]
fn repository_spec_passes() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/access-requests.yaml");
    if !spec.exists() {
        println!("skipped: {} does not exist yet", spec.display());
        return;
    }
    let (output, stdout) = lint(&[]);
    assert!(output.status.success(), "{stdout}");
}

/// Lints `VALID` with `from` replaced by `to`: whether it passed, and the
/// finding lines.
fn lint_variant(name: &str, from: &str, to: &str) -> (bool, Vec<String>) {
    assert!(VALID.contains(from), "{from:?} is not in VALID");
    let path = write(name, &VALID.replace(from, to));
    let (output, stdout) = lint(&[&path]);
    let findings = stdout
        .lines()
        .filter(|l| l.starts_with('['))
        .map(String::from)
        .collect();
    (output.status.success(), findings)
}

#[test]
fn known_x_replay_passes() {
    let (ok, findings) = lint_variant(
        "lint-replay-ok.yaml",
        "x-replay: safe",
        "x-replay: safe-already-done",
    );
    assert!(ok, "{findings:?}");
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn missing_or_unknown_x_replay_fails_at_its_pointer() {
    for (name, to, why) in [
        (
            "lint-replay-unknown.yaml",
            "x-replay: sometimes",
            "\"sometimes\", not one of",
        ),
        (
            "lint-replay-missing.yaml",
            "",
            "missing on GET /things/{id}",
        ),
    ] {
        let (ok, findings) = lint_variant(name, "x-replay: safe", to);
        assert!(!ok, "{findings:?}");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].starts_with("[x-replay] /paths/~1things~1{id}/get/x-replay: "),
            "{findings:?}"
        );
        assert!(findings[0].contains(why), "{findings:?}");
    }
}

#[test]
fn well_formed_x_limits_pass() {
    let (ok, findings) = lint_variant(
        "lint-limits-ok.yaml",
        "maxNames: {value: 5, description: At most this many names.}",
        "maxNames: {value: 0, description: None at all.}\n        maxTags: {value: 2, description: Two.}",
    );
    assert!(ok, "{findings:?}");
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn malformed_x_limits_fail_at_their_pointers() {
    let (ok, findings) = lint_variant(
        "lint-limits-bad.yaml",
        "maxNames: {value: 5, description: At most this many names.}",
        "maxNames: {value: five, description: At most this many names.}\n        maxTags: {value: 2}",
    );
    assert!(!ok, "{findings:?}");
    let base = "[x-limits] /components/schemas/Thing/x-limits";
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(
        findings[0].starts_with(&format!("{base}/maxNames/value: is \"five\"")),
        "{findings:?}"
    );
    assert!(
        findings[1].starts_with(&format!("{base}/maxTags/description: missing")),
        "{findings:?}"
    );
}

#[test]
fn absent_x_rate_limit_passes() {
    let (ok, findings) = lint_variant(
        "lint-rate-absent.yaml",
        "x-rate-limit: {requests: 100, windowSeconds: 10}\n",
        "",
    );
    assert!(ok, "{findings:?}");
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn malformed_x_rate_limit_fails_at_its_pointers() {
    let (ok, findings) = lint_variant(
        "lint-rate-bad.yaml",
        "x-rate-limit: {requests: 100, windowSeconds: 10}",
        "x-rate-limit: {requests: 1.5, window: 10}",
    );
    assert!(!ok, "{findings:?}");
    assert_eq!(
        findings,
        [
            "[x-rate-limit] /x-rate-limit/requests: is 1.5, expected a positive integer",
            "[x-rate-limit] /x-rate-limit/windowSeconds: missing; x-rate-limit needs both \
             requests and windowSeconds",
        ],
        "{findings:?}"
    );
}

#[test]
fn missing_or_unknown_x_family_fails_at_its_pointer() {
    let (ok, findings) = lint_variant("lint-family-ok.yaml", "x-family: v3", "x-family: versioned");
    assert!(ok, "{findings:?}");
    for (name, to, why) in [
        (
            "lint-family-unknown.yaml",
            "x-family: v2",
            "\"v2\", not one of",
        ),
        (
            "lint-family-missing.yaml",
            "",
            "missing on GET /things/{id}",
        ),
    ] {
        let (ok, findings) = lint_variant(name, "x-family: v3", to);
        assert!(!ok, "{findings:?}");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].starts_with("[x-family] /paths/~1things~1{id}/get/x-family: "),
            "{findings:?}"
        );
        assert!(findings[0].contains(why), "{findings:?}");
    }
}
