//! Loading OpenAPI documents (YAML or JSON) from disk.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

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

// ---------------------------------------------------------------------------
// Walking the operations: the one loop over `paths` x methods that lint,
// tables and spec-diff share.

/// One operation under `paths`.
pub struct SpecOperation<'a> {
    /// The key under `paths`, such as `/v3/access-requests`.
    pub path: &'a str,
    /// The key under the path item (`get`, `post`, ...).
    pub method: &'static str,
    /// The operation object.
    pub op: &'a Map<String, Value>,
    /// The path item holding it (after following a path item `$ref`).
    pub item: &'a Map<String, Value>,
}

impl SpecOperation<'_> {
    /// `POST /v3/access-requests`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    /// Its `operationId`, if it is a string.
    pub fn id(&self) -> Option<&str> {
        self.op.get("operationId").and_then(Value::as_str)
    }
}

/// A structural problem met while walking: where, and what.
pub struct WalkProblem {
    /// A JSON pointer or `METHOD /path`.
    pub at: String,
    /// What is wrong.
    pub message: &'static str,
}

/// Every operation under `doc`'s `paths` (in key order), and what kept the
/// walk from reading some (no `paths`, a path item or an operation that is
/// not a mapping). Path items may be `$ref`s; one that does not resolve is
/// skipped silently (the reference check reports it).
pub fn walk(doc: &Value) -> (Vec<SpecOperation<'_>>, Vec<WalkProblem>) {
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        problems.push(WalkProblem {
            at: "/paths".into(),
            message: "missing or not a mapping; an OpenAPI 3.0 document must list its paths",
        });
        return (out, problems);
    };
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        let Some(item) = deref(doc, item).and_then(|(v, _)| v.as_object()) else {
            if item.get("$ref").is_none() {
                problems.push(WalkProblem {
                    at: format!("/paths/{}", escape_token(path)),
                    message: "path item is not a mapping",
                });
            }
            continue;
        };
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            match op.as_object() {
                Some(op) => out.push(SpecOperation {
                    path,
                    method,
                    op,
                    item,
                }),
                None => problems.push(WalkProblem {
                    at: format!("{} {path}", method.to_uppercase()),
                    message: "operation is not a mapping",
                }),
            }
        }
    }
    (out, problems)
}

// ---------------------------------------------------------------------------
// JSON pointers and references

/// Escapes one JSON pointer token (`~` becomes `~0`, `/` becomes `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer (`/a/b~1c`) from unescaped tokens.
pub fn pointer(tokens: &[&str]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", escape_token(t)))
        .collect()
}

/// Decodes `%XX` escapes of a URI fragment; returns the input unchanged when
/// it holds an invalid escape or the result is not UTF-8.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => return text.to_string(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Splits a local reference (`#/a/b~1c`) into unescaped pointer tokens.
/// Returns `None` for a reference that is not local to this document.
pub fn ref_tokens(reference: &str) -> Option<Vec<String>> {
    let fragment = reference.strip_prefix('#')?;
    let fragment = percent_decode(fragment);
    if fragment.is_empty() {
        return Some(Vec::new());
    }
    let rest = fragment.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Resolves a local reference (`#/components/schemas/Foo`) against `doc`.
/// Returns `None` when the reference is not local or points at nothing.
pub fn resolve_ref<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let tokens = ref_tokens(reference)?;
    let mut node = doc;
    for token in &tokens {
        node = match node {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => {
                // RFC 6901: no leading zeros, no sign.
                if token.len() > 1 && token.starts_with('0') {
                    return None;
                }
                items.get(token.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(node)
}

/// Follows `$ref` chains starting at `value` (at most a few hops, so a ref
/// cycle cannot hang the linter). Returns the final node and the first
/// reference followed, if any; `None` when a reference does not resolve.
pub fn deref<'a>(doc: &'a Value, value: &'a Value) -> Option<(&'a Value, Option<&'a str>)> {
    let mut node = value;
    let mut first = None;
    for _ in 0..16 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                first.get_or_insert(reference);
                node = resolve_ref(doc, reference)?;
            }
            None => return Some((node, first)),
        }
    }
    None
}

/// A JSON value on one line, cut to 80 characters, for messages.
pub fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}
