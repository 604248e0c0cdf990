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

/// The keys of a path item that hold operations.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The `(path, method)` of every operation under `paths`, in the order the
/// file lists them. [`load_value`] cannot tell: its JSON maps are sorted by
/// key, so this reads the file again into an order-keeping YAML value.
pub fn operation_order(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: serde_norway::Value = serde_norway::from_str(&text)
        .map_err(|e| format!("{} is not valid YAML: {e}", path.display()))?;
    let mut out = Vec::new();
    let paths = doc.get("paths").and_then(serde_norway::Value::as_mapping);
    for (key, item) in paths.into_iter().flatten() {
        let (Some(key), Some(item)) = (key.as_str(), item.as_mapping()) else {
            continue;
        };
        for method in item.keys().filter_map(serde_norway::Value::as_str) {
            if METHODS.contains(&method) {
                out.push((key.to_owned(), method.to_owned()));
            }
        }
    }
    Ok(out)
}
