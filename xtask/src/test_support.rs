//! Helpers shared by the unit tests of the spec checks.

use serde_json::Value;

/// Replaces or inserts the node at JSON pointer `at` (its parent must be a
/// mapping when the node does not exist yet).
pub fn set(doc: &mut Value, at: &str, value: Value) {
    if let Some(node) = doc.pointer_mut(at) {
        *node = value;
        return;
    }
    let (parent, key) = at.rsplit_once('/').expect("a JSON pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    doc.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no mapping at {parent}"))
        .insert(key, value);
}

/// Removes `key` from the mapping at JSON pointer `parent`.
pub fn remove(doc: &mut Value, parent: &str, key: &str) {
    doc.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no mapping at {parent}"))
        .remove(key);
}
