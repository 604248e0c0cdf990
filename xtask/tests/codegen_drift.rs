//! `cargo xtask codegen --check` on a scratch copy of the workspace: clean when
//! the generated files match the spec, failing with a named file and a diff
//! after a schema change or a hand edit, and deterministic across runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GENERATED: [&str; 3] = [
    "crates/sailpoint-access-api/src/generated.rs",
    "crates/sailpoint-access-httpmock/src/generated.rs",
    "crates/sailpoint-access-sandbox/src/generated.rs",
];
const SPEC: &str = "openapi/access-requests.yaml";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn scratch_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-drift-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for file in GENERATED.iter().chain([&SPEC, &"Cargo.lock"]) {
        let to = dir.join(file);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(repo().join(file), &to).expect("copy");
    }
    dir
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("XTASK_ROOT", root)
        .output()
        .expect("xtask runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn checked_in_code_matches_the_spec() {
    let root = scratch_copy("clean");
    let out = xtask(&root, &["codegen", "--check"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_dir_all(root).ok();
}

#[test]
fn a_schema_change_is_reported_as_drift_with_a_diff() {
    let root = scratch_copy("schema");
    let spec = root.join(SPEC);
    let original = std::fs::read_to_string(&spec).expect("spec");
    let changed = original.replacen(
        "        privilegeLevel:\n",
        "        riskScore:\n          type: integer\n          format: int32\n          description: A new field.\n        privilegeLevel:\n",
        1,
    );
    assert_ne!(
        changed, original,
        "the test's anchor must exist in the spec"
    );
    std::fs::write(&spec, changed).expect("write");

    let out = xtask(&root, &["codegen", "--check"]);
    let output = text(&out);
    assert!(
        !out.status.success(),
        "drift must fail the check:\n{output}"
    );
    assert!(
        output.contains(GENERATED[0]),
        "names the drifted file:\n{output}"
    );
    assert!(
        output.contains("+") && output.contains("risk_score"),
        "prints a diff:\n{output}"
    );

    // Regenerating fixes it, and a second run changes no byte.
    assert!(xtask(&root, &["codegen"]).status.success());
    let first = std::fs::read(root.join(GENERATED[0])).expect("read");
    let again = xtask(&root, &["codegen"]);
    assert!(text(&again).contains("unchanged"), "{}", text(&again));
    assert_eq!(std::fs::read(root.join(GENERATED[0])).expect("read"), first);
    assert!(xtask(&root, &["codegen", "--check"]).status.success());
    std::fs::remove_dir_all(root).ok();
}

#[test]
fn a_hand_edit_of_generated_code_is_caught() {
    let root = scratch_copy("edit");
    let file = root.join(GENERATED[1]);
    let mut code = std::fs::read_to_string(&file).expect("read");
    code.push_str("\n// a quick local fix\n");
    std::fs::write(&file, code).expect("write");
    let out = xtask(&root, &["codegen", "--check"]);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(
        output.contains(GENERATED[1]) && output.contains("a quick local fix"),
        "{output}"
    );
    std::fs::remove_dir_all(root).ok();
}

#[test]
fn the_header_names_command_spec_hash_and_generator() {
    let code = std::fs::read_to_string(repo().join(GENERATED[0])).expect("read");
    let header: Vec<&str> = code.lines().take(4).collect();
    assert!(
        header[0].contains("cargo xtask codegen") && header[0].contains("DO NOT EDIT"),
        "{header:?}"
    );
    assert!(
        header[2].contains(SPEC) && header[2].contains("sha256 "),
        "{header:?}"
    );
    assert!(header[3].contains("progenitor-impl 0.15."), "{header:?}");
}
