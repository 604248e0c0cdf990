//! The `x-` extensions an operation carries, read and checked in one place:
//! `lint-spec` reports what these functions refuse, and the code generator
//! (`tables`) refuses the same, with the same words.
//!
//! - `x-replay`: whether a retry may send the operation again.
//! - `x-family`: the API family it belongs to.
//! - `x-limits` (on component schemas) and `x-rate-limit` (on the document):
//!   bounds the vendor states in prose, which become constants.
//! - `x-same-as`: on an operation of one family, the `operationId` of the
//!   operation that does the same in another family (the versioned
//!   `createAccessRequestV1` names `createAccessRequest`). The operations
//!   linked this way form one *logical operation*, reachable by family
//!   through the generated `dispatch` module.
//! - `x-filter-operators` (on an operation's `filters` parameter): per
//!   filterable field, the operators the vendor documents for it in that
//!   family (its descriptions list them in prose), which become the
//!   operation's `filter_operators`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::{compact, pointer, SpecOperation};

/// An extension whose value is one of a fixed set of strings.
pub struct Choice {
    /// The key, such as `x-replay`.
    pub key: &'static str,
    /// The values it may take.
    pub values: &'static [&'static str],
    /// Why every operation needs it, completing "every operation must ...".
    pub purpose: &'static str,
}

/// `x-replay`: whether a retry may send the operation again once an attempt
/// may have reached the server.
pub const REPLAY: Choice = Choice {
    key: "x-replay",
    values: &["safe", "not-after-send", "safe-already-done"],
    purpose: "say whether a retry may send it again",
};

/// `x-family`: the API family (`v3` below `/v3`, or the per-resource
/// `versioned` family).
pub const FAMILY: Choice = Choice {
    key: "x-family",
    values: &["v3", "versioned"],
    purpose: "name its API family",
};

/// The key linking an operation to its counterpart in another family.
pub const SAME_AS: &str = "x-same-as";

impl Choice {
    /// The operation's value, or why it is refused (a message that starts
    /// with `no x-...` or `unknown x-...`).
    pub fn read<'a>(&self, operation: &SpecOperation<'a>) -> Result<&'a str, String> {
        let (key, expected) = (self.key, self.values.join(", "));
        match operation.op.get(key) {
            Some(Value::String(v)) if self.values.contains(&v.as_str()) => Ok(v.as_str()),
            Some(Value::String(v)) => Err(format!("unknown {key} \"{v}\", not one of {expected}")),
            Some(other) => Err(format!(
                "no {key}: is {}, expected a string, one of {expected}",
                compact(other)
            )),
            None => Err(format!(
                "no {key}: missing on {}; every operation must {}: one of {expected}",
                operation.label(),
                self.purpose
            )),
        }
    }
}

/// One logical operation that exists in several families.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twins {
    /// The `operationId` the others name in `x-same-as`.
    pub root: String,
    /// `(family, operationId)` of each member, the root included, in the
    /// order of [`FAMILY`]'s values.
    pub members: Vec<(String, String)>,
}

/// A refused `x-same-as`: where (a JSON pointer) and why.
pub type Refusal = (String, String);

/// The logical operations `x-same-as` links, checked: the named operation
/// exists and names no other itself, it is of another family with the same
/// method, no family appears twice in a group, and every group covers every
/// family (the generated dispatch matches on all of them). Operations with
/// a malformed `x-family` are left to [`FAMILY`]'s check.
pub fn twins(operations: &[SpecOperation<'_>]) -> (Vec<Twins>, Vec<Refusal>) {
    let by_id: BTreeMap<&str, &SpecOperation<'_>> = operations
        .iter()
        .filter_map(|op| Some((op.id()?, op)))
        .collect();
    fn family<'a>(op: &SpecOperation<'a>) -> Option<&'a str> {
        FAMILY.read(op).ok()
    }
    let mut groups: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    let mut refused = Vec::new();
    for op in operations {
        let Some(value) = op.op.get(SAME_AS) else {
            continue;
        };
        let at = format!(
            "/paths/{}/{}/{SAME_AS}",
            crate::spec::escape_token(op.path),
            op.method
        );
        let mut refuse = |message: String| refused.push((at.clone(), message));
        let (Some(id), Some(own_family)) = (op.id(), family(op)) else {
            continue;
        };
        let Some(target) = value.as_str() else {
            refuse(format!(
                "is {value}, expected the operationId of the same operation in another family"
            ));
            continue;
        };
        let Some(root) = by_id.get(target) else {
            refuse(format!(
                "names \"{target}\", which is not an operationId of this document"
            ));
            continue;
        };
        if let Some(next) = root.op.get(SAME_AS) {
            refuse(format!(
                "names \"{target}\", which names {next} itself; name the operation the others name"
            ));
            continue;
        }
        let Some(root_family) = family(root) else {
            continue;
        };
        if root_family == own_family {
            refuse(format!(
                "names \"{target}\" of the same family ({own_family}); it must name another family's operation"
            ));
            continue;
        }
        if root.method != op.method {
            refuse(format!(
                "names \"{target}\" ({}), a different method from {}",
                root.label(),
                op.label()
            ));
            continue;
        }
        let group = groups
            .entry(target)
            .or_insert_with(|| BTreeMap::from([(root_family, target)]));
        if let Some(other) = group.insert(own_family, id) {
            refuse(format!(
                "names \"{target}\", which {other} of the same family ({own_family}) names too"
            ));
        }
    }
    let mut out = Vec::new();
    for (root, group) in groups {
        let missing: Vec<&str> = FAMILY
            .values
            .iter()
            .copied()
            .filter(|f| !group.contains_key(f))
            .collect();
        if !missing.is_empty() {
            let op = by_id[root];
            refused.push((
                format!(
                    "/paths/{}/{}",
                    crate::spec::escape_token(op.path),
                    op.method
                ),
                format!(
                    "\"{root}\" is named in {SAME_AS} but has no counterpart in {}; a logical \
                     operation exists in every family or in one",
                    missing.join(", ")
                ),
            ));
            continue;
        }
        out.push(Twins {
            root: root.to_owned(),
            members: FAMILY
                .values
                .iter()
                .map(|f| ((*f).to_owned(), group[f].to_owned()))
                .collect(),
        });
    }
    (out, refused)
}

/// One `x-limits` entry of a component schema: a rule the vendor states in
/// prose only, which becomes a count constant.
pub struct Limit<'a> {
    /// The component schema it bounds.
    pub schema: &'a str,
    /// Its name under `x-limits`, such as `maxEntitlements`.
    pub key: &'a str,
    /// The bound.
    pub value: u64,
    /// What it bounds, which documents the constant.
    pub description: &'a str,
}

/// Every well-formed `x-limits` entry (schemas and keys in order), and the
/// refused ones: each needs a non-negative integer `value` and a non-empty
/// `description`.
pub fn limits(doc: &Value) -> (Vec<Limit<'_>>, Vec<Refusal>) {
    let (mut out, mut refused) = (Vec::new(), Vec::new());
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        let Some(limits) = schema.get("x-limits") else {
            continue;
        };
        let base = ["components", "schemas", name.as_str(), "x-limits"];
        let Some(limits) = limits.as_object() else {
            refused.push((
                pointer(&base),
                format!(
                    "is {}, expected a mapping from limit names to {{value, description}}",
                    compact(limits)
                ),
            ));
            continue;
        };
        for (key, limit) in limits {
            let at = |field: Option<&str>| {
                let mut tokens = base.to_vec();
                tokens.push(key);
                tokens.extend(field);
                pointer(&tokens)
            };
            let Some(limit) = limit.as_object() else {
                refused.push((
                    at(None),
                    format!(
                        "is {}, expected a mapping with an integer value and a description",
                        compact(limit)
                    ),
                ));
                continue;
            };
            let value = match limit.get("value") {
                Some(v) if v.as_u64().is_some() => v.as_u64(),
                Some(v) => {
                    refused.push((
                        at(Some("value")),
                        format!(
                            "is {}, expected a non-negative integer (it becomes a count \
                             constant)",
                            compact(v)
                        ),
                    ));
                    None
                }
                None => {
                    refused.push((
                        at(Some("value")),
                        "missing; every limit needs an integer value".into(),
                    ));
                    None
                }
            };
            let description = match limit.get("description") {
                Some(Value::String(text)) if !text.trim().is_empty() => Some(text.as_str()),
                Some(other) => {
                    refused.push((
                        at(Some("description")),
                        format!(
                            "is {}, expected a non-empty string (it documents the constant)",
                            compact(other)
                        ),
                    ));
                    None
                }
                None => {
                    refused.push((
                        at(Some("description")),
                        "missing; every limit needs a description saying what it bounds".into(),
                    ));
                    None
                }
            };
            if let (Some(value), Some(description)) = (value, description) {
                out.push(Limit {
                    schema: name,
                    key,
                    value,
                    description,
                });
            }
        }
    }
    (out, refused)
}

/// The document's `x-rate-limit` as `[requests, windowSeconds]`, when it is
/// there and well-formed (both positive integers), and what is refused.
pub fn rate_limit(doc: &Value) -> (Option<[u64; 2]>, Vec<Refusal>) {
    let Some(rate) = doc.get("x-rate-limit") else {
        return (None, Vec::new());
    };
    let Some(rate) = rate.as_object() else {
        let message = format!(
            "is {}, expected a mapping with integer requests and windowSeconds",
            compact(rate)
        );
        return (None, vec![("/x-rate-limit".into(), message)]);
    };
    let mut refused = Vec::new();
    let mut values = [0; 2];
    for (slot, key) in values.iter_mut().zip(["requests", "windowSeconds"]) {
        let at = pointer(&["x-rate-limit", key]);
        match rate.get(key) {
            Some(v) if v.as_u64().is_some_and(|n| n > 0) => *slot = v.as_u64().unwrap_or(0),
            Some(v) => refused.push((
                at,
                format!("is {}, expected a positive integer", compact(v)),
            )),
            None => refused.push((
                at,
                "missing; x-rate-limit needs both requests and windowSeconds".into(),
            )),
        }
    }
    (refused.is_empty().then_some(values), refused)
}

/// The key of the filter operators extension.
pub const FILTER_OPERATORS: &str = "x-filter-operators";

/// The operators of the standard collection filter syntax.
const KNOWN_OPERATORS: &[&str] = &[
    "eq", "ne", "gt", "ge", "lt", "le", "in", "sw", "co", "isnull", "pr",
];

/// Per field, the operators an operation's `filters` parameter admits
/// (`x-filter-operators`, required on every `filters` parameter), sorted by
/// field; and what is refused.
pub fn filter_operators(
    operation: &SpecOperation<'_>,
) -> (Vec<(String, Vec<String>)>, Vec<Refusal>) {
    let Some(parameters) = operation.op.get("parameters").and_then(Value::as_array) else {
        return (Vec::new(), Vec::new());
    };
    let Some((index, filters)) = parameters
        .iter()
        .enumerate()
        .find(|(_, p)| p.get("name").and_then(Value::as_str) == Some("filters"))
    else {
        return (Vec::new(), Vec::new());
    };
    let index = index.to_string();
    let at = |key: &str| {
        pointer(&[
            "paths",
            operation.path,
            operation.method,
            "parameters",
            &index,
            FILTER_OPERATORS,
            key,
        ])
    };
    let Some(fields) = filters.get(FILTER_OPERATORS).and_then(Value::as_object) else {
        let message = "missing or not a mapping of field to operators: the filters parameter must say which operators each field takes".to_owned();
        return (Vec::new(), vec![(at(""), message)]);
    };
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for (field, operators) in fields {
        let listed: Option<Vec<&str>> = operators
            .as_array()
            .and_then(|ops| ops.iter().map(Value::as_str).collect());
        match listed {
            Some(ops) if !ops.is_empty() && ops.iter().all(|o| KNOWN_OPERATORS.contains(o)) => {
                out.push((field.clone(), ops.iter().map(|o| (*o).to_owned()).collect()));
            }
            _ => refused.push((
                at(field),
                format!(
                    "is {}, expected a non-empty list of operators among {}",
                    compact(operators),
                    KNOWN_OPERATORS.join(", ")
                ),
            )),
        }
    }
    (out, refused)
}

/// `Err` naming every refusal, for the code generator, which refuses what
/// `lint-spec` reports.
pub fn refuse(refused: Vec<Refusal>) -> Result<(), String> {
    if refused.is_empty() {
        return Ok(());
    }
    let refused: Vec<String> = refused
        .into_iter()
        .map(|(at, message)| format!("{at}: {message}"))
        .collect();
    Err(refused.join("; "))
}

/// The key of the fixed headers extension.
pub const FIXED_HEADERS: &str = "x-fixed-headers";

/// The headers an operation must always carry with a fixed value
/// (`x-fixed-headers`, a mapping of header name to string value), such as
/// the `X-SailPoint-Experimental: true` the vendor requires on experimental
/// operations; and what is refused. The generated client sends them on
/// every call, so no caller can forget one.
pub fn fixed_headers(operation: &SpecOperation<'_>) -> (Vec<(String, String)>, Vec<Refusal>) {
    let Some(value) = operation.op.get(FIXED_HEADERS) else {
        return (Vec::new(), Vec::new());
    };
    let at = |key: &str| {
        pointer(&[
            "paths",
            operation.path,
            operation.method,
            FIXED_HEADERS,
            key,
        ])
    };
    let Some(headers) = value.as_object().filter(|m| !m.is_empty()) else {
        let message = format!(
            "is {}, expected a non-empty mapping of header name to string value",
            compact(value)
        );
        return (Vec::new(), vec![(at(""), message)]);
    };
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for (name, value) in headers {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match value.as_str() {
            Some(text) if valid_name && !text.is_empty() && text.is_ascii() => {
                out.push((name.clone(), text.to_owned()));
            }
            _ => refused.push((
                at(name),
                format!(
                    "is {}, expected a header name (letters, digits, `-`) with a non-empty ASCII string value",
                    compact(value)
                ),
            )),
        }
    }
    (out, refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{self, walk, SPEC_PATH};
    use serde_json::json;

    fn doc_with(same_as: Value) -> Value {
        json!({"paths": {
            "/v3/things": {"post": {"operationId": "makeThing", "x-family": "v3"}},
            "/things/v1": {"post": {"operationId": "makeThingV1", "x-family": "versioned", "x-same-as": same_as}},
            "/things/v1/close": {"get": {"operationId": "closeThings", "x-family": "versioned"}},
        }})
    }

    fn messages(doc: &Value) -> Vec<String> {
        let (ops, _) = walk(doc);
        twins(&ops).1.into_iter().map(|(_, m)| m).collect()
    }

    #[test]
    fn a_versioned_operation_names_its_v3_counterpart() {
        let doc = doc_with(json!("makeThing"));
        let (ops, _) = walk(&doc);
        let (groups, refused) = twins(&ops);
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(
            groups,
            [Twins {
                root: "makeThing".into(),
                members: vec![
                    ("v3".into(), "makeThing".into()),
                    ("versioned".into(), "makeThingV1".into())
                ],
            }]
        );
    }

    #[test]
    fn a_wrong_x_same_as_is_refused() {
        let unknown = messages(&doc_with(json!("makeThings")));
        assert!(
            unknown[0].contains("\"makeThings\", which is not an operationId"),
            "{unknown:?}"
        );
        let same_family = messages(&doc_with(json!("closeThings")));
        assert!(
            same_family[0].contains("of the same family (versioned)"),
            "{same_family:?}"
        );
        let not_a_string = messages(&doc_with(json!(true)));
        assert!(
            not_a_string[0].contains("expected the operationId"),
            "{not_a_string:?}"
        );

        let mut other_method = doc_with(json!("makeThing"));
        let op = other_method["paths"]["/v3/things"]["post"].take();
        other_method["paths"]["/v3/things"] = json!({ "put": op });
        let method = messages(&other_method);
        assert!(method[0].contains("a different method"), "{method:?}");
    }

    #[test]
    fn our_spec_links_five_logical_operations() {
        let doc = spec::load_value(&spec::workspace_root().join(SPEC_PATH)).unwrap();
        let (ops, _) = walk(&doc);
        let (groups, refused) = twins(&ops);
        assert!(refused.is_empty(), "{refused:?}");
        let roots: Vec<&str> = groups.iter().map(|g| g.root.as_str()).collect();
        assert_eq!(
            roots,
            [
                "cancelAccessRequest",
                "createAccessRequest",
                "getAccessRequestConfig",
                "listAccessRequestStatus",
                "setAccessRequestConfig"
            ]
        );
    }

    #[test]
    fn choices_name_the_value_and_the_operation() {
        let doc = json!({"paths": {"/a": {"get": {"operationId": "a", "x-replay": 3}}}});
        let (ops, _) = walk(&doc);
        assert_eq!(
            REPLAY.read(&ops[0]).unwrap_err(),
            "no x-replay: is 3, expected a string, one of safe, not-after-send, safe-already-done"
        );
        assert!(FAMILY.read(&ops[0]).unwrap_err().starts_with(
            "no x-family: missing on GET /a; every operation must name its API family"
        ));
    }

    #[test]
    fn fixed_headers_are_read_and_malformed_ones_refused() {
        let doc = json!({"paths": {"/things/v1": {"get": {
            "operationId": "listThings",
            "x-fixed-headers": {"X-SailPoint-Experimental": "true"}
        }, "post": {
            "operationId": "makeThing",
            "x-fixed-headers": {"Bad Name": "true", "X-Empty": ""}
        }}}});
        let (ops, _) = walk(&doc);
        let get = ops.iter().find(|o| o.method == "get").unwrap();
        let (headers, refused) = fixed_headers(get);
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(
            headers,
            [("X-SailPoint-Experimental".to_owned(), "true".to_owned())]
        );
        let post = ops.iter().find(|o| o.method == "post").unwrap();
        let (headers, refused) = fixed_headers(post);
        assert!(headers.is_empty());
        let at: Vec<&str> = refused.iter().map(|(at, _)| at.as_str()).collect();
        assert_eq!(
            at,
            [
                "/paths/~1things~1v1/post/x-fixed-headers/Bad Name",
                "/paths/~1things~1v1/post/x-fixed-headers/X-Empty"
            ]
        );
        let none = json!({"paths": {"/t": {"get": {"operationId": "t", "x-fixed-headers": []}}}});
        let (ops, _) = walk(&none);
        assert_eq!(fixed_headers(&ops[0]).1.len(), 1);
    }
}
