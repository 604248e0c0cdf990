//! `cargo xtask spec-diff OLD NEW`: a semantic diff of two OpenAPI documents,
//! limited to the operations of our spec (`spec_operations`).
//!
//! Meant for maintainers when the vendor publishes a new spec: it lists what
//! a client would notice (operations, OAuth scopes, parameters, properties,
//! types, formats, enum values, limits, required-ness, nullability, status
//! codes, media types) and ignores prose (descriptions, summaries, examples)
//! and response headers.
//!
//! Schemas are compared by *where they are used*, never by component name,
//! since names differ between documents: each schema reachable from an
//! operation is flattened into a map from a readable path (`.requestedItems[]
//! .startDate`) to the facts about the node at that path, following `$ref`
//! (with a cycle guard) and merging `allOf`. The two maps are then compared.
//!
//! Path notation: `.name` is a property, `[]` the items of an array, `{*}` the
//! values of a map (`additionalProperties`), `<oneOf #0>` an alternative.
//!
//! Operations are found in each document by our `operationId` first, then by
//! method and full path (the path of the document's first server URL followed
//! by the path key), so that a document naming an operation differently still
//! matches: the vendor's versioned bundle calls our `closeAccessRequests`
//! `closeAccessRequestV1` and our `bulkCancelAccessRequests`
//! `cancelAccessRequestInBulkV1`, and its v3 bundles put `/v3` in the server
//! URL where we put it in the paths. Both documents may be vendor bundles or
//! one may be our own spec (`spec-diff --family versioned
//! openapi/access-requests.yaml isc-access-requests-v1.2026-08.yaml` lists
//! where our versioned operations depart from the vendor's description).
//! `--family v3|versioned` restricts the diff to one family of our spec.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::extensions::FAMILY;
use crate::spec::{self, deref, resolve_ref, walk, SpecOperation, SPEC_PATH};
use crate::tables;

/// The operationIds the diff looks at: every operation of our spec
/// ([`SPEC_PATH`] under `root`) as [`tables::operations`] reads it, in the
/// order the file lists them, which is the order they are reported in.
/// Other operations in either document are ignored.
#[cfg(test)]
pub fn spec_operations(root: &Path) -> Result<Vec<String>, String> {
    Ok(spec_targets(root, None)?
        .into_iter()
        .map(|t| t.id)
        .collect())
}

/// One operation of our spec to look for: found by `id`, else by `method`
/// and `path` (the full path below the host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Our `operationId`, under which changes are reported.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// Our full path, such as `/v3/access-requests` or `/access-requests/v1`.
    pub path: String,
    /// `v3` or `versioned`.
    pub family: String,
}

impl Target {
    /// A target found by operationId only (no method and path to fall back on).
    #[cfg(test)]
    pub fn by_id(id: &str) -> Target {
        Target {
            id: id.to_owned(),
            method: String::new(),
            path: String::new(),
            family: String::new(),
        }
    }
}

/// The operations of our spec ([`SPEC_PATH`] under `root`), in file order,
/// optionally of one family only (`v3` or `versioned`).
pub fn spec_targets(root: &Path, family: Option<&str>) -> Result<Vec<Target>, String> {
    let path = root.join(SPEC_PATH);
    let doc = spec::load_value(&path)?;
    let ops = tables::operations_in_file_order(&path, &doc)?;
    let prefix = server_path(&doc);
    Ok(ops
        .into_iter()
        .filter(|op| family.is_none_or(|f| op.family == f))
        .map(|op| Target {
            path: format!("{prefix}{}", op.path),
            id: op.id,
            method: op.method,
            family: op.family,
        })
        .collect())
}

/// The path part of the document's first server URL (`/v3` for
/// `https://{tenant}.api.identitynow.com/v3`), without a trailing `/`; empty
/// when there is none.
fn server_path(doc: &Value) -> String {
    let Some(url) = doc.pointer("/servers/0/url").and_then(Value::as_str) else {
        return String::new();
    };
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("", |at| &rest[at..]);
    path.trim_end_matches('/').to_owned()
}

/// Schema keywords compared verbatim (absent and present differ). `type`,
/// `enum`, `nullable` and `required` get their own, more readable, reports.
const COMPARED_KEYWORDS: [&str; 17] = [
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minProperties",
    "maxProperties",
    "default",
    "readOnly",
    "writeOnly",
];

/// Schemas nested deeper than this are not walked (a guard against
/// pathological documents; the reference bundles stay far below it).
const MAX_DEPTH: usize = 48;

/// Whether a difference adds, removes or changes something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Present only in the new document (`+`).
    Added,
    /// Present only in the old document (`-`).
    Removed,
    /// Present in both, but different (`~`).
    Changed,
}

impl Kind {
    /// The character each output line starts with.
    pub fn sign(self) -> char {
        match self {
            Kind::Added => '+',
            Kind::Removed => '-',
            Kind::Changed => '~',
        }
    }

    /// The heading of this group in the report.
    pub fn heading(self) -> &'static str {
        match self {
            Kind::Added => "Added",
            Kind::Removed => "Removed",
            Kind::Changed => "Changed",
        }
    }
}

/// One difference between the two documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Added, removed or changed.
    pub kind: Kind,
    /// Where, readable: `createAccessRequest request body .requestType`,
    /// `listAccessRequestStatus 200 [].requestedFor`,
    /// `listAccessRequestStatus query parameter limit`.
    pub location: String,
    /// What: `enum value MODIFY_ACCESS added`, `type array -> object`, ...
    pub detail: String,
}

impl Change {
    fn new(kind: Kind, location: impl Into<String>, detail: impl Into<String>) -> Self {
        Change {
            kind,
            location: location.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.kind.sign(), self.location, self.detail)
    }
}

/// Entry point of `cargo xtask spec-diff OLD NEW`: prints the differences in
/// the operations of our spec (`spec_operations`), grouped by kind, and a
/// summary. Differences are not an error; only an unreadable document is
/// (including our own spec, which names the operations).
pub fn run(old: &Path, new: &Path, family: Option<&str>) -> Result<(), String> {
    run_tagged(old, new, family, None)
}

/// [`run`] over the operations of our spec that carry `tag` (all when
/// `None`): one vendor bundle covers one area (access requests, look-ups),
/// while one family spans several.
pub fn run_tagged(
    old: &Path,
    new: &Path,
    family: Option<&str>,
    tag: Option<&str>,
) -> Result<(), String> {
    if let Some(f) = family {
        if !FAMILY.values.contains(&f) {
            return Err(format!(
                "unknown family {f:?}: expected one of {}",
                FAMILY.values.join(", ")
            ));
        }
    }
    let mut targets = spec_targets(&spec::workspace_root(), family)?;
    if let Some(tag) = tag {
        let ours = spec::load_value(&spec::workspace_root().join(SPEC_PATH))?;
        targets.retain(|t| {
            ours.pointer("/paths")
                .and_then(|paths| paths.get(&t.path[server_path(&ours).len()..]))
                .and_then(|item| item.get(t.method.to_lowercase()))
                .and_then(|op| op.get("tags"))
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|x| x.as_str() == Some(tag)))
        });
    }
    let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let old_doc = load(old)?;
    let new_doc = load(new)?;
    println!("spec-diff: {} -> {}", old.display(), new.display());
    println!("operations: {}", ids.join(", "));
    for (path, doc) in [(old, &old_doc), (new, &new_doc)] {
        let missing: Vec<&str> = targets
            .iter()
            .filter(|t| find_target(doc, t).is_none())
            .map(|t| t.id.as_str())
            .collect();
        if !missing.is_empty() {
            println!(
                "note: {} does not define {}",
                path.display(),
                missing.join(", ")
            );
        }
    }
    let changes = diff_targets(&old_doc, &new_doc, &targets);
    print!("{}", report(&changes));
    Ok(())
}

fn load(path: &Path) -> Result<Value, String> {
    let doc = crate::spec::load_value(path)?;
    if !doc.is_object() {
        return Err(format!(
            "{} is not an OpenAPI document (the top level is not a mapping)",
            path.display()
        ));
    }
    Ok(doc)
}

/// Renders the changes grouped under Added / Removed / Changed headings, one
/// change per line, followed by a summary line.
pub fn report(changes: &[Change]) -> String {
    let mut out = String::new();
    for kind in [Kind::Added, Kind::Removed, Kind::Changed] {
        let group: Vec<&Change> = changes.iter().filter(|c| c.kind == kind).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} ({}):\n", kind.heading(), group.len()));
        for change in group {
            out.push_str(&format!("{change}\n"));
        }
    }
    let count = |kind| changes.iter().filter(|c| c.kind == kind).count();
    if changes.is_empty() {
        out.push_str("\nSummary: no differences in these operations.\n");
    } else {
        out.push_str(&format!(
            "\nSummary: {} added, {} removed, {} changed ({} differences).\n",
            count(Kind::Added),
            count(Kind::Removed),
            count(Kind::Changed),
            changes.len()
        ));
    }
    out
}

/// Compares the operations `ids` (see `spec_operations`) of two documents.
/// Changes come in the order of `ids`, then parameters, request body and
/// responses; identical lines are reported once.
#[cfg(test)]
pub fn diff(old: &Value, new: &Value, ids: &[&str]) -> Vec<Change> {
    let targets: Vec<Target> = ids.iter().map(|id| Target::by_id(id)).collect();
    diff_targets(old, new, &targets)
}

/// As `diff`, finding each operation by operationId, else by method and
/// full path ([`Target`]).
pub fn diff_targets(old: &Value, new: &Value, targets: &[Target]) -> Vec<Change> {
    let mut changes = Vec::new();
    for target in targets {
        let id = target.id.as_str();
        match (find_target(old, target), find_target(new, target)) {
            (None, None) => {}
            (None, Some(n)) => changes.push(Change::new(
                Kind::Added,
                id,
                format!("operation added ({})", full_label(new, &n)),
            )),
            (Some(o), None) => changes.push(Change::new(
                Kind::Removed,
                id,
                format!("operation removed (was {})", full_label(old, &o)),
            )),
            (Some(o), Some(n)) => diff_operation(id, (old, &o), (new, &n), &mut changes),
        }
    }
    let mut seen = BTreeSet::new();
    changes.retain(|c| seen.insert(c.to_string()));
    changes
}

// ---------------------------------------------------------------------------
// Operations

/// `POST /v3/access-requests`: the method and the full path (the path of
/// `doc`'s server URL, then the path key), so that documents that put the
/// version in different places compare equal.
fn full_label(doc: &Value, op: &SpecOperation<'_>) -> String {
    format!(
        "{} {}{}",
        op.method.to_uppercase(),
        server_path(doc),
        op.path
    )
}

/// Finds `target` by operationId, else by method and full path.
fn find_target<'a>(doc: &'a Value, target: &Target) -> Option<SpecOperation<'a>> {
    let (mut operations, _) = walk(doc);
    let prefix = server_path(doc);
    let by_route = |op: &SpecOperation<'_>| {
        !target.path.is_empty()
            && op.method.eq_ignore_ascii_case(&target.method)
            && format!("{prefix}{}", op.path) == target.path
    };
    let at = operations
        .iter()
        .position(|op| op.id() == Some(target.id.as_str()))
        .or_else(|| operations.iter().position(by_route))?;
    Some(operations.swap_remove(at))
}

/// The OAuth scopes named by the security requirements that apply to an
/// operation (its own, else the document's). Scheme names are ignored: they
/// are component names and differ between documents.
fn scopes(doc: &Value, op: &Map<String, Value>) -> BTreeSet<String> {
    let security = op.get("security").or_else(|| doc.get("security"));
    security
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(Map::values)
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

fn flag(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn diff_operation(
    id: &str,
    (old_doc, old): (&Value, &SpecOperation<'_>),
    (new_doc, new): (&Value, &SpecOperation<'_>),
    changes: &mut Vec<Change>,
) {
    let (old_label, new_label) = (full_label(old_doc, old), full_label(new_doc, new));
    if old_label != new_label {
        changes.push(Change::new(
            Kind::Changed,
            id,
            format!("moved from {old_label} to {new_label}"),
        ));
    }
    match (flag(old.op, "deprecated"), flag(new.op, "deprecated")) {
        (false, true) => changes.push(Change::new(Kind::Changed, id, "became deprecated")),
        (true, false) => changes.push(Change::new(Kind::Changed, id, "no longer deprecated")),
        _ => {}
    }
    let (old_scopes, new_scopes) = (scopes(old_doc, old.op), scopes(new_doc, new.op));
    for scope in new_scopes.difference(&old_scopes) {
        changes.push(Change::new(
            Kind::Added,
            id,
            format!("security scope {scope} added"),
        ));
    }
    for scope in old_scopes.difference(&new_scopes) {
        changes.push(Change::new(
            Kind::Removed,
            id,
            format!("security scope {scope} removed"),
        ));
    }
    diff_parameters(id, (old_doc, old), (new_doc, new), changes);
    diff_request_body(id, (old_doc, old.op), (new_doc, new.op), changes);
    diff_responses(id, (old_doc, old.op), (new_doc, new.op), changes);
}

// ---------------------------------------------------------------------------
// Parameters

/// The effective parameters of an operation (operation-level ones override
/// path-level ones), keyed by `(in, name)`, in declaration order.
fn parameters<'a>(doc: &'a Value, op: &SpecOperation<'a>) -> Vec<((String, String), &'a Value)> {
    let mut out: Vec<((String, String), &'a Value)> = Vec::new();
    for list in [op.item.get("parameters"), op.op.get("parameters")] {
        for parameter in list.and_then(Value::as_array).into_iter().flatten() {
            let Some((parameter, _)) = deref(doc, parameter) else {
                continue;
            };
            let (Some(location), Some(name)) = (
                parameter.get("in").and_then(Value::as_str),
                parameter.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let name = if location == "header" {
                name.to_ascii_lowercase()
            } else {
                name.to_string()
            };
            let key = (location.to_string(), name);
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = parameter,
                None => out.push((key, parameter)),
            }
        }
    }
    out
}

/// The schema of a parameter (`schema`, or the first `content` entry's).
fn parameter_schema(parameter: &Value) -> Option<&Value> {
    parameter.get("schema").or_else(|| {
        parameter
            .get("content")?
            .as_object()?
            .values()
            .next()?
            .get("schema")
    })
}

fn diff_parameters(
    id: &str,
    (old_doc, old): (&Value, &SpecOperation<'_>),
    (new_doc, new): (&Value, &SpecOperation<'_>),
    changes: &mut Vec<Change>,
) {
    let old_params = parameters(old_doc, old);
    let new_params = parameters(new_doc, new);
    let location = |(place, name): &(String, String)| format!("{id} {place} parameter {name}");
    for (key, old_param) in &old_params {
        let Some((_, new_param)) = new_params.iter().find(|(k, _)| k == key) else {
            let summary = parameter_summary(old_doc, old_param);
            changes.push(Change::new(
                Kind::Removed,
                location(key),
                format!("parameter removed (was {summary})"),
            ));
            continue;
        };
        let base = location(key);
        for (word, yes, no) in [
            ("required", "became required", "became optional"),
            ("deprecated", "became deprecated", "no longer deprecated"),
        ] {
            let before = old_param
                .get(word)
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let after = new_param
                .get(word)
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if before != after {
                let detail = if after { yes } else { no };
                changes.push(Change::new(Kind::Changed, &base, detail));
            }
        }
        diff_schema(
            &base,
            (old_doc, parameter_schema(old_param)),
            (new_doc, parameter_schema(new_param)),
            changes,
        );
    }
    for (key, new_param) in &new_params {
        if !old_params.iter().any(|(k, _)| k == key) {
            let summary = parameter_summary(new_doc, new_param);
            changes.push(Change::new(
                Kind::Added,
                location(key),
                format!("parameter added ({summary})"),
            ));
        }
    }
}

fn parameter_summary(doc: &Value, parameter: &Value) -> String {
    let mut node = parameter_schema(parameter)
        .map(|schema| flatten_root(doc, schema))
        .unwrap_or_default();
    node.required = Some(flag_of(parameter, "required"));
    node.summary()
}

fn flag_of(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

// ---------------------------------------------------------------------------
// Request bodies and responses

fn diff_request_body(
    id: &str,
    (old_doc, old): (&Value, &Map<String, Value>),
    (new_doc, new): (&Value, &Map<String, Value>),
    changes: &mut Vec<Change>,
) {
    let base = format!("{id} request body");
    let old_body = old
        .get("requestBody")
        .and_then(|b| deref(old_doc, b))
        .map(|(v, _)| v);
    let new_body = new
        .get("requestBody")
        .and_then(|b| deref(new_doc, b))
        .map(|(v, _)| v);
    match (old_body, new_body) {
        (None, None) => {}
        (None, Some(body)) => {
            let required = if flag_of(body, "required") {
                "required"
            } else {
                "optional"
            };
            changes.push(Change::new(
                Kind::Added,
                base,
                format!("request body added ({required})"),
            ));
        }
        (Some(_), None) => changes.push(Change::new(Kind::Removed, base, "request body removed")),
        (Some(o), Some(n)) => {
            match (flag_of(o, "required"), flag_of(n, "required")) {
                (false, true) => changes.push(Change::new(Kind::Changed, &base, "became required")),
                (true, false) => changes.push(Change::new(Kind::Changed, &base, "became optional")),
                _ => {}
            }
            diff_content(&base, (old_doc, o), (new_doc, n), changes);
        }
    }
}

fn diff_responses(
    id: &str,
    (old_doc, old): (&Value, &Map<String, Value>),
    (new_doc, new): (&Value, &Map<String, Value>),
    changes: &mut Vec<Change>,
) {
    let empty = Map::new();
    let old_responses = old
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new_responses = new
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let statuses: BTreeSet<&String> = old_responses.keys().chain(new_responses.keys()).collect();
    for status in statuses {
        let base = format!("{id} {status}");
        let old_response = old_responses
            .get(status)
            .and_then(|r| deref(old_doc, r))
            .map(|(v, _)| v);
        let new_response = new_responses
            .get(status)
            .and_then(|r| deref(new_doc, r))
            .map(|(v, _)| v);
        match (old_response, new_response) {
            (None, None) => {}
            (None, Some(_)) => changes.push(Change::new(Kind::Added, base, "response added")),
            (Some(_), None) => changes.push(Change::new(Kind::Removed, base, "response removed")),
            (Some(o), Some(n)) => diff_content(&base, (old_doc, o), (new_doc, n), changes),
        }
    }
}

/// Compares the `content` of two request bodies or responses, media type by
/// media type. `application/json` is the default and is not named in the
/// location; other media types are.
fn diff_content(
    base: &str,
    (old_doc, old): (&Value, &Value),
    (new_doc, new): (&Value, &Value),
    changes: &mut Vec<Change>,
) {
    let empty = Map::new();
    let old_content = old
        .get("content")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new_content = new
        .get("content")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let media_types: BTreeSet<&String> = old_content.keys().chain(new_content.keys()).collect();
    for media_type in media_types {
        match (old_content.get(media_type), new_content.get(media_type)) {
            (None, None) => {}
            (None, Some(_)) => changes.push(Change::new(
                Kind::Added,
                base,
                format!("{media_type} content added"),
            )),
            (Some(_), None) => changes.push(Change::new(
                Kind::Removed,
                base,
                format!("{media_type} content removed"),
            )),
            (Some(o), Some(n)) => {
                let location = if media_type == "application/json" {
                    base.to_string()
                } else {
                    format!("{base} ({media_type})")
                };
                diff_schema(
                    &location,
                    (old_doc, o.get("schema")),
                    (new_doc, n.get("schema")),
                    changes,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Schemas: flattening

/// One step of a schema path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    /// A named property: `.name`.
    Prop(String),
    /// The items of an array: `[]`.
    Items,
    /// The values of a map (`additionalProperties`): `{*}`.
    Values,
    /// An alternative of `oneOf` / `anyOf`: `<oneOf #0>`.
    Variant(&'static str, usize),
}

/// Renders a schema path such as `.requestedItems[].startDate`.
fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Prop(name) => {
                let plain = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-$@".contains(c));
                if plain {
                    out.push('.');
                    out.push_str(name);
                } else {
                    out.push_str(&format!(".{name:?}"));
                }
            }
            Seg::Items => out.push_str("[]"),
            Seg::Values => out.push_str("{*}"),
            Seg::Variant(keyword, index) => out.push_str(&format!("<{keyword} #{index}>")),
        }
    }
    out
}

/// What the diff knows about one node of a schema.
#[derive(Debug, Clone, Default, PartialEq)]
struct Node {
    /// `type`, rendered (`string`, `integer|null`), if given.
    types: Option<String>,
    /// `nullable: true` anywhere in the merged node.
    nullable: bool,
    /// For properties: whether the parent lists it in `required`.
    required: Option<bool>,
    /// `enum`, if given.
    enum_values: Option<Vec<Value>>,
    /// The [`COMPARED_KEYWORDS`] present.
    keywords: BTreeMap<&'static str, Value>,
    /// The node refers back to a schema being expanded (not walked again).
    recursive: bool,
}

impl Node {
    /// A short description for added and removed nodes.
    fn summary(&self) -> String {
        let mut parts = vec![self.types.clone().unwrap_or_else(|| "untyped".into())];
        if let Some(format) = self.keywords.get("format") {
            parts.push(show(Some(format)));
        }
        if let Some(values) = &self.enum_values {
            parts.push(format!("enum {}", show_list(values)));
        }
        match self.required {
            Some(true) => parts.push("required".into()),
            Some(false) => parts.push("optional".into()),
            None => {}
        }
        if self.nullable {
            parts.push("nullable".into());
        }
        if self.recursive {
            parts.push("recursive".into());
        }
        parts.join(", ")
    }
}

/// All the schema keywords of one node, with `$ref` followed and `allOf`
/// merged. Children keep a list of schemas to merge in turn.
#[derive(Default)]
struct Merged<'a> {
    keywords: Map<String, Value>,
    properties: Vec<(String, Vec<&'a Value>)>,
    required: BTreeSet<String>,
    items: Vec<&'a Value>,
    values: Vec<&'a Value>,
    variants: Vec<(&'static str, &'a Value)>,
    refs: Vec<String>,
    recursive: bool,
}

/// Keywords where any `true` among merged schemas wins.
const OR_FLAGS: [&str; 4] = ["nullable", "readOnly", "writeOnly", "deprecated"];

/// Merges `schema` into `m`: follows `$ref` (treating sibling keywords like
/// an `allOf` member, since vendors write `nullable` next to `$ref`), merges
/// every `allOf` member; otherwise the first value of a keyword wins.
/// `stack` holds the references being expanded above this node.
fn merge<'a>(
    doc: &'a Value,
    schema: &'a Value,
    stack: &[String],
    m: &mut Merged<'a>,
    depth: usize,
) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if depth > MAX_DEPTH {
        m.recursive = true;
        return;
    }
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|r| r == reference) {
            m.recursive = true;
        } else if !m.refs.iter().any(|r| r == reference) {
            m.refs.push(reference.to_string());
            match resolve_ref(doc, reference) {
                Some(target) => merge(doc, target, stack, m, depth + 1),
                None => {
                    m.keywords
                        .entry("x-unresolved-ref")
                        .or_insert_with(|| Value::String(reference.to_string()));
                }
            }
        }
    }
    for (key, value) in map {
        match key.as_str() {
            "$ref" => {}
            "allOf" => {
                for member in value.as_array().into_iter().flatten() {
                    merge(doc, member, stack, m, depth + 1);
                }
            }
            "oneOf" | "anyOf" => {
                let keyword = if key == "oneOf" { "oneOf" } else { "anyOf" };
                for alternative in value.as_array().into_iter().flatten() {
                    m.variants.push((keyword, alternative));
                }
            }
            "properties" => {
                for (name, sub) in value.as_object().into_iter().flatten() {
                    match m.properties.iter_mut().find(|(n, _)| n == name) {
                        Some((_, subs)) => subs.push(sub),
                        None => m.properties.push((name.clone(), vec![sub])),
                    }
                }
            }
            "required" => {
                let names = value.as_array().into_iter().flatten();
                m.required
                    .extend(names.filter_map(Value::as_str).map(String::from));
            }
            "items" => m.items.push(value),
            "additionalProperties" if value.is_object() => m.values.push(value),
            _ if OR_FLAGS.contains(&key.as_str()) => {
                if value == &Value::Bool(true) {
                    m.keywords.insert(key.clone(), Value::Bool(true));
                }
            }
            _ => {
                m.keywords
                    .entry(key.clone())
                    .or_insert_with(|| value.clone());
            }
        }
    }
}

/// The facts of a merged node.
fn node_of(m: &Merged<'_>, required: Option<bool>) -> Node {
    let types = m.keywords.get("type").map(|t| match t {
        Value::Array(types) => types
            .iter()
            .map(|t| show(Some(t)))
            .collect::<Vec<_>>()
            .join("|"),
        other => show(Some(other)),
    });
    let mut keywords = BTreeMap::new();
    for keyword in COMPARED_KEYWORDS {
        if let Some(value) = m.keywords.get(keyword) {
            keywords.insert(keyword, value.clone());
        }
    }
    if let Some(Value::Bool(open)) = m.keywords.get("additionalProperties") {
        keywords.insert("additionalProperties", Value::Bool(*open));
    }
    if let Some(reference) = m.keywords.get("x-unresolved-ref") {
        keywords.insert("unresolved $ref", reference.clone());
    }
    Node {
        types,
        nullable: m.keywords.get("nullable") == Some(&Value::Bool(true)),
        required,
        enum_values: m.keywords.get("enum").and_then(Value::as_array).cloned(),
        keywords,
        recursive: m.recursive,
    }
}

type Flat = BTreeMap<Vec<Seg>, Node>;

/// Flattens the merge of `schemas` (and everything below it) into `out`.
fn flatten(
    doc: &Value,
    schemas: &[&Value],
    required: Option<bool>,
    path: &mut Vec<Seg>,
    stack: &mut Vec<String>,
    out: &mut Flat,
) {
    if out.contains_key(path.as_slice()) {
        return;
    }
    let mut m = Merged::default();
    for schema in schemas {
        merge(doc, schema, stack, &mut m, 0);
    }
    let mut node = node_of(&m, required);
    let too_deep = path.len() > MAX_DEPTH;
    node.recursive |= too_deep;
    out.insert(path.clone(), node);
    if too_deep {
        return;
    }
    let pushed = m.refs.len();
    stack.extend(m.refs.iter().cloned());
    for (name, subs) in &m.properties {
        path.push(Seg::Prop(name.clone()));
        let required = Some(m.required.contains(name));
        flatten(doc, subs, required, path, stack, out);
        path.pop();
    }
    let children = [(Seg::Items, &m.items), (Seg::Values, &m.values)];
    for (seg, subs) in children {
        if !subs.is_empty() {
            path.push(seg);
            flatten(doc, subs, None, path, stack, out);
            path.pop();
        }
    }
    let mut counters: BTreeMap<&str, usize> = BTreeMap::new();
    for (keyword, alternative) in &m.variants {
        let index = counters.entry(keyword).or_default();
        path.push(Seg::Variant(keyword, *index));
        *index += 1;
        flatten(doc, &[alternative], None, path, stack, out);
        path.pop();
    }
    stack.truncate(stack.len() - pushed);
}

/// Flattens a whole schema.
fn flatten_schema(doc: &Value, schema: &Value) -> Flat {
    let mut out = Flat::new();
    flatten(
        doc,
        &[schema],
        None,
        &mut Vec::new(),
        &mut Vec::new(),
        &mut out,
    );
    out
}

/// The facts of the root node of a schema only.
fn flatten_root(doc: &Value, schema: &Value) -> Node {
    let mut m = Merged::default();
    merge(doc, schema, &[], &mut m, 0);
    node_of(&m, None)
}

// ---------------------------------------------------------------------------
// Schemas: comparing

/// Renders a value for a report line: strings bare, the rest as JSON.
fn show(value: Option<&Value>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Renders a list of enum values (shortened when long).
fn show_list(values: &[Value]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = values.iter().take(SHOWN).map(|v| show(Some(v))).collect();
    if values.len() > SHOWN {
        parts.push(format!("... ({} in all)", values.len()));
    }
    format!("[{}]", parts.join(", "))
}

fn what(path: &[Seg]) -> &'static str {
    match path.last() {
        None => "schema",
        Some(Seg::Prop(_)) => "property",
        Some(Seg::Items) => "array items",
        Some(Seg::Values) => "map values",
        Some(Seg::Variant(..)) => "alternative",
    }
}

fn at(base: &str, path: &[Seg]) -> String {
    if path.is_empty() {
        base.to_string()
    } else {
        format!("{base} {}", render(path))
    }
}

/// Compares two schemas used at the same place (`base`).
fn diff_schema(
    base: &str,
    (old_doc, old): (&Value, Option<&Value>),
    (new_doc, new): (&Value, Option<&Value>),
    changes: &mut Vec<Change>,
) {
    let old_flat = old.map(|s| flatten_schema(old_doc, s)).unwrap_or_default();
    let new_flat = new.map(|s| flatten_schema(new_doc, s)).unwrap_or_default();
    let paths: BTreeSet<&Vec<Seg>> = old_flat.keys().chain(new_flat.keys()).collect();
    for path in paths {
        // Report an added or removed subtree once, at its top.
        let parent_in = |flat: &Flat| path.is_empty() || flat.contains_key(&path[..path.len() - 1]);
        match (old_flat.get(path), new_flat.get(path)) {
            (None, None) => {}
            (None, Some(node)) => {
                if parent_in(&old_flat) {
                    changes.push(Change::new(
                        Kind::Added,
                        at(base, path),
                        format!("{} added ({})", what(path), node.summary()),
                    ));
                }
            }
            (Some(node), None) => {
                if parent_in(&new_flat) {
                    changes.push(Change::new(
                        Kind::Removed,
                        at(base, path),
                        format!("{} removed (was {})", what(path), node.summary()),
                    ));
                }
            }
            (Some(o), Some(n)) => diff_node(&at(base, path), o, n, changes),
        }
    }
}

/// Compares the facts of one node present in both documents.
fn diff_node(location: &str, old: &Node, new: &Node, changes: &mut Vec<Change>) {
    let mut changed = |detail: String| changes_push(changes, Kind::Changed, location, detail);
    if old.types != new.types {
        changed(format!(
            "type {} -> {}",
            old.types.as_deref().unwrap_or("(none)"),
            new.types.as_deref().unwrap_or("(none)")
        ));
    }
    if let (Some(before), Some(after)) = (old.required, new.required) {
        if before != after {
            changed(
                if after {
                    "became required"
                } else {
                    "became optional"
                }
                .to_string(),
            );
        }
    }
    if old.nullable != new.nullable {
        changed(
            if new.nullable {
                "became nullable"
            } else {
                "no longer nullable"
            }
            .to_string(),
        );
    }
    let keywords: BTreeSet<&&str> = old.keywords.keys().chain(new.keywords.keys()).collect();
    for keyword in keywords {
        let (before, after) = (old.keywords.get(*keyword), new.keywords.get(*keyword));
        if before != after {
            changed(format!("{keyword} {} -> {}", show(before), show(after)));
        }
    }
    match (&old.enum_values, &new.enum_values) {
        (None, None) => {}
        (None, Some(values)) => changed(format!("enum constraint added: {}", show_list(values))),
        (Some(values), None) => changed(format!(
            "enum constraint removed (was {})",
            show_list(values)
        )),
        (Some(before), Some(after)) => {
            for value in after.iter().filter(|v| !before.contains(v)) {
                changes_push(
                    changes,
                    Kind::Added,
                    location,
                    format!("enum value {} added", show(Some(value))),
                );
            }
            for value in before.iter().filter(|v| !after.contains(v)) {
                changes_push(
                    changes,
                    Kind::Removed,
                    location,
                    format!("enum value {} removed", show(Some(value))),
                );
            }
        }
    }
}

fn changes_push(changes: &mut Vec<Change>, kind: Kind, location: &str, detail: String) {
    changes.push(Change::new(kind, location, detail));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{remove, set};
    use serde_json::json;

    /// The operations of `doc` the tests compare, in the order they expect
    /// them reported (`somethingElse` is left out on purpose).
    const FIXTURE_OPERATIONS: [&str; 5] = [
        "createAccessRequest",
        "cancelAccessRequest",
        "getAccessRequestConfig",
        "setAccessRequestConfig",
        "listAccessRequestStatus",
    ];

    /// A document with the five operations, built around `schemas`.
    fn doc(schemas: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "paths": {
                "/access-requests": {"post": {
                    "operationId": "createAccessRequest",
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Request"}}}},
                    "responses": {
                        "202": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": {"$ref": "#/components/responses/Error"}
                    }
                }},
                "/access-requests/cancel": {"post": {
                    "operationId": "cancelAccessRequest",
                    "responses": {"202": {"description": "ok"}}
                }},
                "/access-request-config": {
                    "get": {"operationId": "getAccessRequestConfig", "responses": {"200": {"description": "ok"}}},
                    "put": {"operationId": "setAccessRequestConfig", "responses": {"200": {"description": "ok"}}}
                },
                "/access-request-status": {"get": {
                    "operationId": "listAccessRequestStatus",
                    "parameters": [
                        {"in": "query", "name": "limit", "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 250}},
                        {"in": "query", "name": "filters", "schema": {"type": "string"}}
                    ],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Status"}}}}}}
                }},
                "/other": {"get": {"operationId": "somethingElse", "responses": {"200": {"description": "ok"}}}}
            },
            "components": {
                "responses": {"Error": {"description": "bad", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}},
                "schemas": schemas
            }
        })
    }

    fn base_schemas() -> Value {
        json!({
            "Request": {
                "type": "object",
                "required": ["requestedFor", "requestedItems"],
                "properties": {
                    "requestedFor": {"type": "array", "items": {"type": "string"}},
                    "requestType": {"$ref": "#/components/schemas/Type"},
                    "requestedItems": {"type": "array", "minItems": 1, "maxItems": 25,
                        "items": {"$ref": "#/components/schemas/Item"}}
                }
            },
            "Type": {"type": "string", "nullable": true, "enum": ["GRANT_ACCESS", "REVOKE_ACCESS", null]},
            "Item": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "removeDate": {"type": "string", "format": "date-time"}
                }
            },
            "Status": {
                "type": "object",
                "properties": {
                    "requestType": {"$ref": "#/components/schemas/Type"},
                    "requestedFor": {"type": "array", "minItems": 1,
                        "items": {"$ref": "#/components/schemas/Who"}},
                    "comment": {"allOf": [{"$ref": "#/components/schemas/Comment"}, {"nullable": true}]}
                }
            },
            "Who": {"type": "object", "properties": {"id": {"type": "string"}}},
            "Comment": {"type": "object", "properties": {"text": {"type": "string"}}},
            "Error": {"type": "object", "properties": {"message": {"type": "string"}}}
        })
    }

    fn lines(changes: &[Change]) -> Vec<String> {
        changes.iter().map(ToString::to_string).collect()
    }

    fn diff_with(edit: impl FnOnce(&mut Value)) -> Vec<String> {
        let old = doc(base_schemas());
        let mut new = old.clone();
        edit(&mut new);
        lines(&diff(&old, &new, &FIXTURE_OPERATIONS))
    }

    const LIST: &str = "/paths/~1access-request-status/get";

    #[test]
    fn identical_documents_have_no_changes() {
        assert_eq!(diff_with(|_| {}), Vec::<String>::new());
    }

    #[test]
    fn renamed_components_are_not_changes() {
        let old = doc(base_schemas());
        let text = old
            .to_string()
            .replace("schemas/Item", "schemas/AccessRequestItem")
            .replace("\"Item\":", "\"AccessRequestItem\":");
        let new: Value = serde_json::from_str(&text).unwrap();
        assert!(new
            .pointer("/components/schemas/AccessRequestItem")
            .is_some());
        assert_eq!(
            lines(&diff(&old, &new, &FIXTURE_OPERATIONS)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn other_operations_are_ignored() {
        let out = diff_with(|d| {
            set(d, "/paths/~1other/get/deprecated", json!(true));
            set(
                d,
                "/paths/~1more",
                json!({"get": {"operationId": "more", "responses": {}}}),
            );
        });
        assert_eq!(out, Vec::<String>::new());
    }

    #[test]
    fn operations_added_removed_moved_and_deprecated() {
        let out = diff_with(|d| {
            remove(d, "/paths", "/access-requests/cancel");
            remove(d, "/paths/~1access-request-config", "put");
            set(
                d,
                "/paths/~1access-request-config/get/deprecated",
                json!(true),
            );
            let list = d.pointer(LIST).unwrap().clone();
            remove(d, "/paths", "/access-request-status");
            set(
                d,
                "/paths/~1v2~1access-request-status",
                json!({"get": list}),
            );
        });
        assert_eq!(
            out,
            [
                "- cancelAccessRequest: operation removed (was POST /access-requests/cancel)",
                "~ getAccessRequestConfig: became deprecated",
                "- setAccessRequestConfig: operation removed (was PUT /access-request-config)",
                "~ listAccessRequestStatus: moved from GET /access-request-status to GET /v2/access-request-status",
            ]
        );
        let back = {
            let old = doc(base_schemas());
            let mut new = old.clone();
            remove(&mut new, "/paths", "/access-requests/cancel");
            lines(&diff(&new, &old, &FIXTURE_OPERATIONS))
        };
        assert_eq!(
            back,
            ["+ cancelAccessRequest: operation added (POST /access-requests/cancel)"]
        );
    }

    #[test]
    fn parameters_added_removed_and_changed() {
        let out = diff_with(|d| {
            set(
                d,
                &format!("{LIST}/parameters"),
                json!([
                    {"in": "query", "name": "limit", "required": true,
                     "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 500}},
                    {"in": "query", "name": "request-state", "schema": {"type": "string", "enum": ["EXECUTING"]}}
                ]),
            );
        });
        assert_eq!(
            out,
            [
                "~ listAccessRequestStatus query parameter limit: became required",
                "~ listAccessRequestStatus query parameter limit: format int32 -> int64",
                "~ listAccessRequestStatus query parameter limit: maximum 250 -> 500",
                "~ listAccessRequestStatus query parameter limit: minimum 0 -> 1",
                "- listAccessRequestStatus query parameter filters: parameter removed (was string, optional)",
                "+ listAccessRequestStatus query parameter request-state: parameter added (string, enum [EXECUTING], optional)",
            ]
        );
    }

    #[test]
    fn parameter_type_and_enum_changes() {
        let out = diff_with(|d| {
            set(
                d,
                &format!("{LIST}/parameters/1/schema"),
                json!({"type": "array", "items": {"type": "string"}}),
            );
            set(
                d,
                "/paths/~1access-request-status/parameters",
                json!([{"in": "query", "name": "limit", "schema": {"type": "integer", "enum": [10, 20]}}]),
            );
        });
        // The operation-level `limit` overrides the path-level one.
        assert_eq!(
            out,
            [
                "~ listAccessRequestStatus query parameter filters: type string -> array",
                "+ listAccessRequestStatus query parameter filters []: array items added (string)",
            ]
        );
        let out = diff_with(|d| {
            set(d, &format!("{LIST}/parameters/1/schema/enum"), json!(["a"]));
        });
        assert_eq!(
            out,
            ["~ listAccessRequestStatus query parameter filters: enum constraint added: [a]"]
        );
    }

    #[test]
    fn properties_added_and_removed_with_readable_paths() {
        let out = diff_with(|d| {
            set(
                d,
                "/components/schemas/Item/properties/startDate",
                json!({"type": "string", "format": "date-time"}),
            );
            set(
                d,
                "/components/schemas/Request/properties/perIdentity",
                json!({"type": "array", "items": {"type": "object", "required": ["identityId"],
                    "properties": {"identityId": {"type": "string"}}}}),
            );
            remove(d, "/components/schemas/Comment/properties", "text");
        });
        assert_eq!(
            out,
            [
                "+ createAccessRequest request body .perIdentity: property added (array, optional)",
                "+ createAccessRequest request body .requestedItems[].startDate: property added (string, date-time, optional)",
                "- listAccessRequestStatus 200 [].comment.text: property removed (was string, optional)",
            ]
        );
    }

    #[test]
    fn enum_values_added_and_removed_at_every_use() {
        let out = diff_with(|d| {
            set(
                d,
                "/components/schemas/Type/enum",
                json!(["GRANT_ACCESS", "MODIFY_ACCESS", null]),
            );
        });
        assert_eq!(
            out,
            [
                "+ createAccessRequest request body .requestType: enum value MODIFY_ACCESS added",
                "- createAccessRequest request body .requestType: enum value REVOKE_ACCESS removed",
                "+ listAccessRequestStatus 200 [].requestType: enum value MODIFY_ACCESS added",
                "- listAccessRequestStatus 200 [].requestType: enum value REVOKE_ACCESS removed",
            ]
        );
    }

    #[test]
    fn array_becoming_an_object() {
        let out = diff_with(|d| {
            set(
                d,
                "/components/schemas/Status/properties/requestedFor",
                json!({"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}),
            );
        });
        assert_eq!(
            out,
            [
                "~ listAccessRequestStatus 200 [].requestedFor: type array -> object",
                "~ listAccessRequestStatus 200 [].requestedFor: minItems 1 -> (none)",
                "+ listAccessRequestStatus 200 [].requestedFor.id: property added (string, optional)",
                "+ listAccessRequestStatus 200 [].requestedFor.name: property added (string, optional)",
                "- listAccessRequestStatus 200 [].requestedFor[]: array items removed (was object)",
            ]
        );
    }

    #[test]
    fn required_nullable_and_limits() {
        let out = diff_with(|d| {
            set(
                d,
                "/components/schemas/Request/required",
                json!(["requestedItems", "requestType"]),
            );
            set(d, "/components/schemas/Type/nullable", json!(false));
            set(
                d,
                "/components/schemas/Request/properties/requestedItems/maxItems",
                json!(50),
            );
            set(
                d,
                "/components/schemas/Status/properties/comment/allOf/1",
                json!({"description": "x"}),
            );
        });
        assert_eq!(
            out,
            [
                "~ createAccessRequest request body .requestType: became required",
                "~ createAccessRequest request body .requestType: no longer nullable",
                "~ createAccessRequest request body .requestedFor: became optional",
                "~ createAccessRequest request body .requestedItems: maxItems 25 -> 50",
                "~ listAccessRequestStatus 200 [].comment: no longer nullable",
                "~ listAccessRequestStatus 200 [].requestType: no longer nullable",
            ]
        );
    }

    #[test]
    fn nullable_next_to_a_ref_counts() {
        let out = diff_with(|d| {
            set(
                d,
                "/components/schemas/Status/properties/requestedFor/items",
                json!({"$ref": "#/components/schemas/Who", "nullable": true}),
            );
        });
        assert_eq!(
            out,
            ["~ listAccessRequestStatus 200 [].requestedFor[]: became nullable"]
        );
    }

    #[test]
    fn response_status_codes_and_typed_bodies() {
        let out = diff_with(|d| {
            set(
                d,
                "/paths/~1access-requests/post/responses/202/content/application~1json/schema",
                json!({"$ref": "#/components/schemas/Created"}),
            );
            set(
                d,
                "/components/schemas/Created",
                json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}}),
            );
            remove(d, "/paths/~1access-requests/post/responses", "400");
            set(
                d,
                "/paths/~1access-requests~1cancel/post/responses/404",
                json!({"$ref": "#/components/responses/Error"}),
            );
            set(
                d,
                "/paths/~1access-requests~1cancel/post/requestBody",
                json!({"content": {"application/json": {"schema": {"type": "object"}}}}),
            );
            set(
                d,
                "/paths/~1access-requests/post/requestBody/content/text~1plain",
                json!({"schema": {"type": "string"}}),
            );
        });
        assert_eq!(
            out,
            [
                "+ createAccessRequest request body: text/plain content added",
                "+ createAccessRequest 202 .ids: property added (array, optional)",
                "- createAccessRequest 400: response removed",
                "+ cancelAccessRequest request body: request body added (optional)",
                "+ cancelAccessRequest 404: response added",
            ]
        );
    }

    #[test]
    fn recursive_schemas_terminate() {
        let mut schemas = base_schemas();
        set(
            &mut schemas,
            "/Who/properties/manager",
            json!({"$ref": "#/components/schemas/Who"}),
        );
        let old = doc(schemas.clone());
        set(
            &mut schemas,
            "/Who/properties/email",
            json!({"type": "string"}),
        );
        let new = doc(schemas);
        assert_eq!(
            lines(&diff(&old, &new, &FIXTURE_OPERATIONS)),
            ["+ listAccessRequestStatus 200 [].requestedFor[].email: property added (string, optional)"]
        );
        let flat = flatten_schema(&new, &json!({"$ref": "#/components/schemas/Who"}));
        let manager = flat
            .get(&vec![Seg::Prop("manager".into())])
            .expect("manager is listed");
        assert!(manager.recursive);
    }

    #[test]
    fn security_scopes_compare_by_scope_not_scheme_name() {
        let out = diff_with(|d| {
            set(d, "/security", json!([{"oauth": ["read"]}]));
            set(
                d,
                "/paths/~1access-requests/post/security",
                json!([{"userAuth": ["manage", "self"]}]),
            );
        });
        assert_eq!(
            out,
            [
                "+ createAccessRequest: security scope manage added",
                "+ createAccessRequest: security scope self added",
                "+ cancelAccessRequest: security scope read added",
                "+ getAccessRequestConfig: security scope read added",
                "+ setAccessRequestConfig: security scope read added",
                "+ listAccessRequestStatus: security scope read added",
            ]
        );
        let old = diff_with(|d| {
            set(d, "/security", json!([{"a": ["read"]}]));
        });
        assert_eq!(old.len(), 5);
        let mut renamed = doc(base_schemas());
        set(&mut renamed, "/security", json!([{"a": ["read"]}]));
        let mut other = renamed.clone();
        set(&mut other, "/security", json!([{"b": ["read"]}]));
        assert!(diff(&renamed, &other, &FIXTURE_OPERATIONS).is_empty());
    }

    #[test]
    fn report_groups_and_counts() {
        let changes = vec![
            Change::new(Kind::Changed, "a", "type string -> integer"),
            Change::new(Kind::Added, "b", "property added (string, optional)"),
            Change::new(Kind::Added, "c", "enum value X added"),
        ];
        let text = report(&changes);
        assert_eq!(
            text,
            "\nAdded (2):\n+ b: property added (string, optional)\n+ c: enum value X added\n\
             \nChanged (1):\n~ a: type string -> integer\n\
             \nSummary: 2 added, 0 removed, 1 changed (3 differences).\n"
        );
        assert!(report(&[]).contains("no differences"));
    }

    #[test]
    fn odd_property_names_are_quoted() {
        assert_eq!(
            render(&[
                Seg::Prop("a b".into()),
                Seg::Items,
                Seg::Values,
                Seg::Variant("oneOf", 1)
            ]),
            ".\"a b\"[]{*}<oneOf #1>"
        );
    }

    #[test]
    fn our_spec_names_the_operations_in_file_order() {
        let root = spec::workspace_root();
        let ids = spec_operations(&root).expect("our spec loads");
        let doc = spec::load_value(&root.join(SPEC_PATH)).unwrap();
        let mut from_tables: Vec<String> = tables::operations(&doc)
            .unwrap()
            .into_iter()
            .map(|op| op.id)
            .collect();
        from_tables.sort();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, from_tables, "every operation, each once");
        assert!(!ids.is_empty());
        // Reported in the order the file defines them.
        let text = std::fs::read_to_string(root.join(SPEC_PATH)).unwrap();
        let at: Vec<usize> = ids
            .iter()
            .map(|id| {
                text.find(&format!("operationId: {id}\n"))
                    .unwrap_or_else(|| panic!("{id} is not in the file"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{ids:?} at {at:?}");
    }

    #[test]
    fn operation_order_follows_the_file_not_the_keys() {
        let path =
            std::env::temp_dir().join(format!("xtask-operation-order-{}.yaml", std::process::id()));
        std::fs::write(
            &path,
            "paths:\n  /z:\n    put: {}\n    get: {}\n    x-note: {}\n  /a:\n    post: {}\n",
        )
        .unwrap();
        let order = spec::operation_order(&path);
        std::fs::remove_file(&path).unwrap();
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(p, m)| (p.to_string(), m.to_string()))
                .collect()
        };
        assert_eq!(
            order.unwrap(),
            pairs(&[("/z", "put"), ("/z", "get"), ("/a", "post")])
        );
    }
}
