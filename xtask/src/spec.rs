//! Loading OpenAPI documents (YAML or JSON) from disk.

use std::path::{Path, PathBuf};

/// The spec this repository generates from, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/access-requests.yaml";

/// The workspace root: the parent of this crate's manifest directory, unless
/// `XTASK_ROOT` names another copy (the drift tests use a scratch copy).
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Reads a YAML or JSON document into a JSON value (YAML is a superset of JSON).
pub fn load_value(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_norway::from_str(&text).map_err(|e| format!("{} is not valid YAML: {e}", path.display()))
}
