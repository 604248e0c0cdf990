//! `cargo xtask lint-spec`: structural checks of our OpenAPI document, and of
//! the extensions the code generator reads (`x-replay`, `x-family` and
//! `x-same-as`, checked by [`extensions`]; `x-limits`, `x-rate-limit`).
//!
//! The checks work on the raw document as a [`serde_json::Value`] so that they
//! see exactly what the file says (typed OpenAPI models would silently drop or
//! normalise some of it). Each problem becomes one [`Finding`] naming the rule,
//! where it was found (a JSON pointer or `METHOD /path`) and why it matters.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

/// Name of the one schema every 4xx/5xx response must use, under
/// `#/components/schemas/`.
pub const ERROR_SCHEMA: &str = "ErrorResponse";

use crate::extensions;
use crate::spec::{compact, deref, escape_token, pointer, ref_tokens, resolve_ref, SpecOperation};

/// The component kinds whose entries must be reachable from `paths`.
pub const CHECKED_COMPONENTS: [&str; 5] = [
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
];

/// Which check produced a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The document is not shaped like an OpenAPI document at all
    /// (for example `paths` is missing or an operation is not a mapping).
    Structure,
    /// `openapi` is not a `3.0.x` version string.
    OpenApiVersion,
    /// An operation has no `operationId`, or one is used twice.
    OperationId,
    /// An operation has no tag.
    OperationTags,
    /// A `$ref` (or a security requirement) points outside the document or
    /// at nothing.
    Ref,
    /// A 4xx/5xx response does not use the shared error schema.
    ErrorResponse,
    /// A component is not reachable from `paths`, or a security scheme is
    /// never required.
    UnusedComponent,
    /// A path template parameter is undeclared, declared but absent from the
    /// template, or not `required: true`.
    PathParameter,
    /// The same `(name, in)` parameter is declared twice in one list.
    DuplicateParameter,
    /// An operation has no `x-replay`, or not one of [`extensions::REPLAY`]'s values.
    Replay,
    /// An operation has no `x-family`, or not one of [`extensions::FAMILY`]'s values.
    Family,
    /// An `x-same-as` names no operation, or one of the same family or
    /// another method, or a logical operation misses a family
    /// ([`extensions::twins`]).
    SameAs,
    /// An `x-limits` entry of a component schema is not a mapping with a
    /// non-negative integer `value` and a `description`.
    Limits,
    /// The top-level `x-rate-limit` is not a mapping with positive integer
    /// `requests` and `windowSeconds`.
    RateLimit,
    /// A `filters` parameter without `x-filter-operators`, or one that is not
    /// a mapping of field to known operators
    /// ([`extensions::filter_operators`]).
    FilterOperators,
    /// An `x-fixed-headers` that is not a mapping of header name to a
    /// non-empty string ([`extensions::fixed_headers`]).
    FixedHeaders,
}

impl Rule {
    /// The short, stable name printed in front of each finding.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Structure => "structure",
            Rule::OpenApiVersion => "openapi-version",
            Rule::OperationId => "operation-id",
            Rule::OperationTags => "operation-tags",
            Rule::Ref => "ref",
            Rule::ErrorResponse => "error-response",
            Rule::UnusedComponent => "unused-component",
            Rule::PathParameter => "path-parameter",
            Rule::DuplicateParameter => "duplicate-parameter",
            Rule::Replay => "x-replay",
            Rule::Family => "x-family",
            Rule::SameAs => "x-same-as",
            Rule::Limits => "x-limits",
            Rule::RateLimit => "x-rate-limit",
            Rule::FilterOperators => "x-filter-operators",
            Rule::FixedHeaders => "x-fixed-headers",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem found in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check that failed.
    pub rule: Rule,
    /// Where: a JSON pointer (`/components/schemas/Foo`) or an operation
    /// (`POST /access-requests`), possibly followed by a status code.
    pub location: String,
    /// What is wrong and why it matters.
    pub message: String,
}

impl Finding {
    fn new(rule: Rule, location: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule,
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.rule, self.location, self.message)
    }
}

/// Entry point of `cargo xtask lint-spec [PATH]`: prints one line per finding
/// and a count, and fails when there is at least one finding.
pub fn run(path: &Path) -> Result<(), String> {
    let doc = crate::spec::load_value(path)?;
    let findings = lint(&doc);
    for finding in &findings {
        println!("{finding}");
    }
    match findings.len() {
        0 => {
            println!("lint-spec: {}: no findings", path.display());
            Ok(())
        }
        n => {
            let noun = if n == 1 { "finding" } else { "findings" };
            println!("lint-spec: {n} {noun} in {}", path.display());
            Err(format!("lint-spec found {n} {noun} in {}", path.display()))
        }
    }
}

/// Runs every check on `doc` and returns the findings, grouped by check.
pub fn lint(doc: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_version(doc, &mut findings);
    let operations = operations(doc, &mut findings);
    check_operation_ids_and_tags(&operations, &mut findings);
    check_refs(doc, &mut findings);
    check_error_responses(doc, &operations, &mut findings);
    check_unused_components(doc, &mut findings);
    check_parameters(doc, &operations, &mut findings);
    check_extensions(&operations, &mut findings);
    check_limits(doc, &mut findings);
    check_rate_limit(doc, &mut findings);
    findings
}

// ---------------------------------------------------------------------------
// JSON pointers and references

/// Keys whose object values are maps from user-chosen names to objects, so
/// a child key there is a name and never a keyword.
const NAME_MAPS: [&str; 14] = [
    "properties",
    "paths",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "examples",
    "links",
    "callbacks",
    "content",
    "encoding",
    "variables",
];

/// Whether the value under `key` is literal data (an example, an enum, a
/// default, an extension) rather than part of the description, so a `$ref`
/// inside it is just data. `parents` are the tokens leading to the object
/// that holds `key`.
fn is_literal(parents: &[String], key: &str) -> bool {
    let parent = parents.last().map(String::as_str);
    if parent.is_some_and(|p| NAME_MAPS.contains(&p)) {
        return false;
    }
    if matches!(key, "example" | "enum" | "default" | "const") || key.starts_with("x-") {
        return true;
    }
    // `value` of an Example Object: .../examples/<name>/value.
    let n = parents.len();
    key == "value"
        && n >= 2
        && parents[n - 2] == "examples"
        && (n < 3 || parents[n - 3] != "properties")
}

/// A reference found in the document: where it is and what it says.
#[derive(Debug, Clone)]
struct FoundRef {
    /// JSON pointer of the object holding the reference.
    at: String,
    /// The reference as written (schema names of a discriminator mapping are
    /// expanded to `#/components/schemas/<name>`).
    target: String,
}

/// Collects every reference below `value`: `$ref` strings and discriminator
/// mapping values. `tokens` is the location of `value` in the document.
fn collect_refs(value: &Value, tokens: &mut Vec<String>, out: &mut Vec<FoundRef>) {
    match value {
        Value::Object(map) => {
            let at = || {
                tokens
                    .iter()
                    .map(|t| format!("/{}", escape_token(t)))
                    .collect::<String>()
            };
            if let Some(Value::String(target)) = map.get("$ref") {
                out.push(FoundRef {
                    at: at(),
                    target: target.clone(),
                });
            }
            if tokens.last().is_some_and(|t| t == "discriminator") {
                if let Some(Value::Object(mapping)) = map.get("mapping") {
                    for target in mapping.values().filter_map(Value::as_str) {
                        let target = if target.contains('#') || target.contains('/') {
                            target.to_string()
                        } else {
                            format!("#/components/schemas/{target}")
                        };
                        out.push(FoundRef { at: at(), target });
                    }
                }
            }
            for (key, child) in map {
                if key == "$ref" || is_literal(tokens, key) {
                    continue;
                }
                tokens.push(key.clone());
                collect_refs(child, tokens, out);
                tokens.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                tokens.push(index.to_string());
                collect_refs(child, tokens, out);
                tokens.pop();
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Operations

/// The operations under `paths` ([`crate::spec::walk`]), reporting what kept
/// the walk from reading some.
fn operations<'a>(doc: &'a Value, findings: &mut Vec<Finding>) -> Vec<SpecOperation<'a>> {
    let (operations, problems) = crate::spec::walk(doc);
    findings.extend(
        problems
            .into_iter()
            .map(|p| Finding::new(Rule::Structure, p.at, p.message)),
    );
    operations
}

// ---------------------------------------------------------------------------
// Rule: openapi version

fn check_version(doc: &Value, findings: &mut Vec<Finding>) {
    match doc.get("openapi") {
        Some(Value::String(v)) if v.starts_with("3.0.") => {}
        Some(Value::String(v)) => findings.push(Finding::new(
            Rule::OpenApiVersion,
            "/openapi",
            format!(
                "is \"{v}\", expected a 3.0.x version; the generator and this \
                 project target OpenAPI 3.0"
            ),
        )),
        Some(other) => findings.push(Finding::new(
            Rule::OpenApiVersion,
            "/openapi",
            format!(
                "is {other}, expected a string such as \"3.0.3\" (quote it in YAML \
                 so it is not read as a number)"
            ),
        )),
        None => findings.push(Finding::new(
            Rule::OpenApiVersion,
            "/openapi",
            "missing; the document must declare an OpenAPI 3.0.x version",
        )),
    }
}

// ---------------------------------------------------------------------------
// Rule: operationIds and tags

fn check_operation_ids_and_tags(operations: &[SpecOperation<'_>], findings: &mut Vec<Finding>) {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for operation in operations {
        match operation.op.get("operationId") {
            Some(Value::String(id)) if !id.trim().is_empty() => {
                if let Some(first) = seen.get(id.as_str()) {
                    findings.push(Finding::new(
                        Rule::OperationId,
                        operation.label(),
                        format!(
                            "operationId \"{id}\" is already used by {first}; operationIds \
                             must be unique because they name the generated client methods"
                        ),
                    ));
                } else {
                    seen.insert(id, operation.label());
                }
            }
            Some(_) => findings.push(Finding::new(
                Rule::OperationId,
                operation.label(),
                "operationId must be a non-empty string",
            )),
            None => findings.push(Finding::new(
                Rule::OperationId,
                operation.label(),
                "has no operationId; every operation needs one to name its generated \
                 client method",
            )),
        }
        let tagged = operation
            .op
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|tags| {
                tags.iter()
                    .any(|t| t.as_str().is_some_and(|s| !s.is_empty()))
            });
        if !tagged {
            findings.push(Finding::new(
                Rule::OperationTags,
                operation.label(),
                "has no tags; every operation needs at least one tag to group it in \
                 the generated code and the documentation",
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Rule: every $ref is local and resolves

fn check_refs(doc: &Value, findings: &mut Vec<Finding>) {
    let mut refs = Vec::new();
    collect_refs(doc, &mut Vec::new(), &mut refs);
    for found in refs {
        if !found.target.starts_with('#') {
            findings.push(Finding::new(
                Rule::Ref,
                location_or_root(&found.at),
                format!(
                    "$ref \"{}\" is not local; only \"#/...\" references are allowed so \
                     the document stays self-contained",
                    found.target
                ),
            ));
        } else if ref_tokens(&found.target).is_none() {
            findings.push(Finding::new(
                Rule::Ref,
                location_or_root(&found.at),
                format!(
                    "$ref \"{}\" is not a JSON pointer (expected \"#/...\")",
                    found.target
                ),
            ));
        } else if resolve_ref(doc, &found.target).is_none() {
            findings.push(Finding::new(
                Rule::Ref,
                location_or_root(&found.at),
                format!(
                    "$ref \"{}\" does not resolve: there is no node at that pointer",
                    found.target
                ),
            ));
        }
    }
    // Security requirements name schemes; check those names too.
    let schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for (at, name) in security_requirements(doc) {
        if !schemes.is_some_and(|s| s.contains_key(&name)) {
            findings.push(Finding::new(
                Rule::Ref,
                at,
                format!(
                    "security requirement names \"{name}\", which is not defined under \
                     /components/securitySchemes"
                ),
            ));
        }
    }
}

fn location_or_root(at: &str) -> &str {
    if at.is_empty() {
        "/"
    } else {
        at
    }
}

/// Every scheme name used in a security requirement, with the JSON pointer of
/// the requirement list naming it (top level and per operation).
fn security_requirements(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |at: String, security: Option<&Value>| {
        for requirement in security.and_then(Value::as_array).into_iter().flatten() {
            for name in requirement.as_object().into_iter().flat_map(Map::keys) {
                out.push((at.clone(), name.clone()));
            }
        }
    };
    add("/security".to_string(), doc.get("security"));
    for operation in crate::spec::walk(doc).0 {
        add(
            pointer(&["paths", operation.path, operation.method, "security"]),
            operation.op.get("security"),
        );
    }
    out
}

// ---------------------------------------------------------------------------
// Rule: 4xx/5xx responses use the shared error schema

fn is_error_status(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

fn check_error_responses(
    doc: &Value,
    operations: &[SpecOperation<'_>],
    findings: &mut Vec<Finding>,
) {
    let expected = format!("#/components/schemas/{ERROR_SCHEMA}");
    let why = format!(
        "expected application/json with schema exactly {{$ref: '{expected}'}} \
         (one shared error type for every 4xx/5xx)"
    );
    for operation in operations {
        let Some(responses) = operation.op.get("responses").and_then(Value::as_object) else {
            findings.push(Finding::new(
                Rule::Structure,
                operation.label(),
                "has no responses mapping",
            ));
            continue;
        };
        for (status, response) in responses.iter().filter(|(s, _)| is_error_status(s)) {
            let Some((resolved, via)) = deref(doc, response) else {
                // An unresolvable $ref is reported by the ref check.
                continue;
            };
            let location = match via {
                Some(reference) => format!("{} {status} (via {reference})", operation.label()),
                None => format!("{} {status}", operation.label()),
            };
            if let Some(reference) = via {
                if !reference.starts_with("#/components/responses/") {
                    findings.push(Finding::new(
                        Rule::ErrorResponse,
                        &location,
                        format!(
                            "refers to \"{reference}\"; error responses must be inline or \
                             refer to #/components/responses/..."
                        ),
                    ));
                }
            }
            let schema = resolved.pointer("/content/application~1json/schema");
            let problem = match schema {
                None if resolved.pointer("/content/application~1json").is_none() => {
                    Some("has no application/json content".to_string())
                }
                None => Some("application/json content has no schema".to_string()),
                Some(schema) => {
                    let exact = schema.as_object().is_some_and(|s| {
                        s.len() == 1 && s.get("$ref").and_then(Value::as_str) == Some(&expected)
                    });
                    (!exact).then(|| format!("application/json schema is {}", compact(schema)))
                }
            };
            if let Some(problem) = problem {
                findings.push(Finding::new(
                    Rule::ErrorResponse,
                    location,
                    format!("{problem}; {why}"),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Rule: no unused component

fn check_unused_components(doc: &Value, findings: &mut Vec<Finding>) {
    let Some(components) = doc.get("components").and_then(Value::as_object) else {
        return;
    };
    // Walk the reference graph from `paths`.
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut walked: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut queue: Vec<FoundRef> = Vec::new();
    if let Some(paths) = doc.get("paths") {
        collect_refs(paths, &mut vec!["paths".to_string()], &mut queue);
    }
    while let Some(found) = queue.pop() {
        let Some(mut tokens) = ref_tokens(&found.target) else {
            continue;
        };
        if tokens.len() >= 3 && tokens[0] == "components" {
            used.insert((tokens[1].clone(), tokens[2].clone()));
            // A reference into a component uses (and walks) the whole component.
            tokens.truncate(3);
        }
        if !walked.insert(tokens.clone()) {
            continue;
        }
        let target = format!(
            "#{}",
            tokens
                .iter()
                .map(|t| format!("/{}", escape_token(t)))
                .collect::<String>()
        );
        if let Some(node) = resolve_ref(doc, &target) {
            collect_refs(node, &mut tokens, &mut queue);
        }
    }
    for kind in CHECKED_COMPONENTS {
        let Some(entries) = components.get(kind).and_then(Value::as_object) else {
            continue;
        };
        for name in entries.keys() {
            if name.starts_with("x-") || used.contains(&(kind.to_string(), name.clone())) {
                continue;
            }
            findings.push(Finding::new(
                Rule::UnusedComponent,
                pointer(&["components", kind, name]),
                "is not reachable from any operation under /paths; remove it or refer \
                 to it, since unused components still generate code",
            ));
        }
    }
    // Security schemes are used by name, not by $ref.
    let required: BTreeSet<String> = security_requirements(doc)
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    if let Some(schemes) = components.get("securitySchemes").and_then(Value::as_object) {
        for name in schemes.keys().filter(|n| !n.starts_with("x-")) {
            if !required.contains(name) {
                findings.push(Finding::new(
                    Rule::UnusedComponent,
                    pointer(&["components", "securitySchemes", name]),
                    "is not named in any security requirement (top-level or per \
                     operation); remove it or require it",
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Rule: path parameters declared, no duplicate parameters

/// The `(in, name)` key of a parameter; header names are case-insensitive.
fn parameter_key(parameter: &Value) -> Option<(String, String)> {
    let location = parameter.get("in")?.as_str()?;
    let name = parameter.get("name")?.as_str()?;
    let name = if location == "header" {
        name.to_ascii_lowercase()
    } else {
        name.to_string()
    };
    Some((location.to_string(), name))
}

/// The resolved parameters of one `parameters` list, reporting duplicates.
fn parameter_list<'a>(
    doc: &'a Value,
    list: Option<&'a Value>,
    location: &str,
    findings: &mut Vec<Finding>,
) -> Vec<((String, String), &'a Value)> {
    let mut out: Vec<((String, String), &'a Value)> = Vec::new();
    for parameter in list.and_then(Value::as_array).into_iter().flatten() {
        // Unresolvable refs are reported by the ref check.
        let Some((parameter, _)) = deref(doc, parameter) else {
            continue;
        };
        let Some(key) = parameter_key(parameter) else {
            findings.push(Finding::new(
                Rule::Structure,
                location,
                format!("parameter {} has no string name/in", compact(parameter)),
            ));
            continue;
        };
        if out.iter().any(|(k, _)| *k == key) {
            findings.push(Finding::new(
                Rule::DuplicateParameter,
                location,
                format!(
                    "parameter (name: {}, in: {}) is declared more than once; each \
                     (name, in) pair may appear only once per parameter list",
                    key.1, key.0
                ),
            ));
            continue;
        }
        out.push((key, parameter));
    }
    out
}

/// The `{name}` placeholders of a path template, in order.
fn template_names(path: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    names
}

fn check_parameters(doc: &Value, operations: &[SpecOperation<'_>], findings: &mut Vec<Finding>) {
    let mut reported_path_level: BTreeSet<&str> = BTreeSet::new();
    for operation in operations {
        // Path-level parameters: report their duplicates once per path.
        let path_label = format!("{} (path-level parameters)", operation.path);
        let mut scratch = Vec::new();
        let path_level = parameter_list(
            doc,
            operation.item.get("parameters"),
            &path_label,
            &mut scratch,
        );
        if reported_path_level.insert(operation.path) {
            findings.append(&mut scratch);
        }
        let own = parameter_list(
            doc,
            operation.op.get("parameters"),
            &operation.label(),
            findings,
        );
        // Operation-level parameters override path-level ones with the same key.
        let mut effective: BTreeMap<(String, String), &Value> = path_level.into_iter().collect();
        effective.extend(own);

        let names = template_names(operation.path);
        for name in &names {
            match effective.get(&("path".to_string(), name.to_string())) {
                None => findings.push(Finding::new(
                    Rule::PathParameter,
                    operation.label(),
                    format!(
                        "path template has {{{name}}} but no parameter (name: {name}, in: \
                         path) is declared"
                    ),
                )),
                Some(parameter) if parameter.get("required") != Some(&Value::Bool(true)) => {
                    findings.push(Finding::new(
                        Rule::PathParameter,
                        operation.label(),
                        format!(
                            "path parameter \"{name}\" must have required: true (OpenAPI \
                             requires it for path parameters)"
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        for (location, name) in effective.keys() {
            if location == "path" && !names.contains(&name.as_str()) {
                findings.push(Finding::new(
                    Rule::PathParameter,
                    operation.label(),
                    format!("path parameter \"{name}\" is declared but the path has no {{{name}}}"),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Rules: the extensions the code generator reads (`x-replay`, `x-limits`,
// `x-rate-limit`); `tables` turns them into constants, so a malformed one
// must be caught here rather than become a wrong constant.

fn check_extensions(operations: &[SpecOperation<'_>], findings: &mut Vec<Finding>) {
    for (rule, choice) in [
        (Rule::Replay, &extensions::REPLAY),
        (Rule::Family, &extensions::FAMILY),
    ] {
        for operation in operations {
            if let Err(problem) = choice.read(operation) {
                let at = pointer(&["paths", operation.path, operation.method, choice.key]);
                findings.push(Finding::new(rule, at, problem));
            }
        }
    }
    let (_, refused) = extensions::twins(operations);
    findings.extend(
        refused
            .into_iter()
            .map(|(at, message)| Finding::new(Rule::SameAs, at, message)),
    );
    for operation in operations {
        let (_, refused) = extensions::filter_operators(operation);
        findings.extend(
            refused
                .into_iter()
                .map(|(at, message)| Finding::new(Rule::FilterOperators, at, message)),
        );
        let (_, refused) = extensions::fixed_headers(operation);
        findings.extend(
            refused
                .into_iter()
                .map(|(at, message)| Finding::new(Rule::FixedHeaders, at, message)),
        );
    }
}

fn check_limits(doc: &Value, findings: &mut Vec<Finding>) {
    let (_, refused) = extensions::limits(doc);
    findings.extend(
        refused
            .into_iter()
            .map(|(at, message)| Finding::new(Rule::Limits, at, message)),
    );
}

fn check_rate_limit(doc: &Value, findings: &mut Vec<Finding>) {
    let (_, refused) = extensions::rate_limit(doc);
    findings.extend(
        refused
            .into_iter()
            .map(|(at, message)| Finding::new(Rule::RateLimit, at, message)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{remove, set};
    use serde_json::json;

    /// A small document that passes every check.
    fn valid() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "x-rate-limit": {"requests": 100, "windowSeconds": 10},
            "security": [{"bearer": []}],
            "paths": {
                "/items/{id}": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}
                    ],
                    "get": {
                        "operationId": "getItem",
                        "x-replay": "safe",
                        "x-family": "v3",
                        "tags": ["Items"],
                        "parameters": [{"$ref": "#/components/parameters/Limit"}],
                        "responses": {
                            "200": {
                                "description": "ok",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}
                            },
                            "404": {"$ref": "#/components/responses/NotFound"},
                            "500": {
                                "description": "boom",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
                            }
                        }
                    },
                    "put": {
                        "operationId": "putItem",
                        "x-replay": "not-after-send",
                        "x-family": "versioned",
                        "tags": ["Items"],
                        "requestBody": {"$ref": "#/components/requestBodies/ItemBody"},
                        "responses": {
                            "204": {"description": "done", "headers": {"X-Trace": {"$ref": "#/components/headers/Trace"}}}
                        }
                    }
                }
            },
            "components": {
                "schemas": {
                    "Item": {
                        "type": "object",
                        "x-limits": {"maxTags": {"value": 3, "description": "At most this many tags."}},
                        "properties": {
                            "tag": {"$ref": "#/components/schemas/Tag~1Name"},
                            "example": {"type": "string", "example": {"$ref": "not a ref, just data"}}
                        }
                    },
                    "Tag/Name": {"type": "string"},
                    "ErrorResponse": {"type": "object", "properties": {"message": {"type": "string"}}}
                },
                "responses": {
                    "NotFound": {
                        "description": "missing",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
                    }
                },
                "parameters": {
                    "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}
                },
                "requestBodies": {
                    "ItemBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}
                },
                "headers": {"Trace": {"schema": {"type": "string"}}},
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
            }
        })
    }

    /// Asserts that exactly the given rule fired, and that one of its
    /// findings mentions `location`.
    fn assert_only(doc: &Value, rule: Rule, location: &str) -> Vec<Finding> {
        let findings = lint(doc);
        assert!(!findings.is_empty(), "expected a {rule} finding, got none");
        for f in &findings {
            assert_eq!(f.rule, rule, "unexpected finding: {f}");
        }
        assert!(
            findings.iter().any(|f| f.location.contains(location)),
            "no {rule} finding at {location}: {findings:#?}"
        );
        for f in &findings {
            let line = f.to_string();
            assert!(line.starts_with(&format!("[{}] ", rule.name())), "{line}");
        }
        findings
    }

    #[test]
    fn valid_document_has_no_findings() {
        let findings = lint(&valid());
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn version_must_be_3_0() {
        let mut doc = valid();
        set(&mut doc, "/openapi", json!("3.1.0"));
        let f = assert_only(&doc, Rule::OpenApiVersion, "/openapi");
        assert!(f[0].message.contains("3.1.0"));

        set(&mut doc, "/openapi", json!(3.0));
        assert_only(&doc, Rule::OpenApiVersion, "/openapi");

        remove(&mut doc, "", "openapi");
        assert_only(&doc, Rule::OpenApiVersion, "/openapi");
    }

    #[test]
    fn operation_id_is_required() {
        let mut doc = valid();
        remove(&mut doc, "/paths/~1items~1{id}/get", "operationId");
        let f = assert_only(&doc, Rule::OperationId, "GET /items/{id}");
        assert!(f[0].message.contains("no operationId"));
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/put/operationId",
            json!("getItem"),
        );
        let f = assert_only(&doc, Rule::OperationId, "PUT /items/{id}");
        assert!(f[0].message.contains("already used by GET /items/{id}"));
    }

    #[test]
    fn operations_need_a_tag() {
        let mut doc = valid();
        set(&mut doc, "/paths/~1items~1{id}/put/tags", json!([]));
        assert_only(&doc, Rule::OperationTags, "PUT /items/{id}");
        remove(&mut doc, "/paths/~1items~1{id}/put", "tags");
        assert_only(&doc, Rule::OperationTags, "PUT /items/{id}");
    }

    #[test]
    fn refs_must_resolve() {
        let mut doc = valid();
        set(
            &mut doc,
            "/components/schemas/Item/properties/tag/$ref",
            json!("#/components/schemas/TagName"),
        );
        // Tag/Name is now unused too; only look at the ref finding.
        let findings = lint(&doc);
        let refs: Vec<_> = findings.iter().filter(|f| f.rule == Rule::Ref).collect();
        assert_eq!(refs.len(), 1, "{findings:#?}");
        assert_eq!(refs[0].location, "/components/schemas/Item/properties/tag");
        assert!(refs[0].to_string().starts_with("[ref] "));
        assert!(refs[0].message.contains("does not resolve"));
    }

    #[test]
    fn refs_must_be_local() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/get/responses/200/content/application~1json/schema/$ref",
            json!("other.yaml#/components/schemas/Item"),
        );
        let findings = lint(&doc);
        let refs: Vec<_> = findings.iter().filter(|f| f.rule == Rule::Ref).collect();
        assert_eq!(refs.len(), 1, "{findings:#?}");
        assert!(refs[0].message.contains("not local"));
        assert_eq!(
            refs[0].location,
            "/paths/~1items~1{id}/get/responses/200/content/application~1json/schema"
        );
    }

    #[test]
    fn pointer_escapes_and_percent_encoding_are_decoded() {
        let doc = valid();
        assert!(resolve_ref(&doc, "#/components/schemas/Tag~1Name").is_some());
        assert!(resolve_ref(&doc, "#/paths/~1items~1%7Bid%7D/get").is_some());
        assert!(resolve_ref(&doc, "#/paths/~1items~1{id}/parameters/0").is_some());
        assert!(resolve_ref(&doc, "#/paths/~1items~1{id}/parameters/00").is_none());
        assert!(resolve_ref(&doc, "#").is_some());
        assert!(resolve_ref(&doc, "#/components/schemas/Tag/Name").is_none());
        let tilde = json!({"a~b": {"c/d": 1}});
        assert_eq!(resolve_ref(&tilde, "#/a~0b/c~1d"), Some(&json!(1)));
    }

    #[test]
    fn undefined_security_scheme_is_a_ref_finding() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/put/security",
            json!([{"bearer": []}, {"oauth": ["read"]}]),
        );
        let f = assert_only(&doc, Rule::Ref, "/paths/~1items~1{id}/put/security");
        assert!(f[0].message.contains("\"oauth\""));
    }

    #[test]
    fn error_responses_use_the_shared_schema() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/get/responses/500/content/application~1json/schema",
            json!({"type": "object"}),
        );
        let f = assert_only(&doc, Rule::ErrorResponse, "GET /items/{id} 500");
        assert!(f[0].message.contains(ERROR_SCHEMA));
    }

    #[test]
    fn error_responses_checked_through_component_refs() {
        let mut doc = valid();
        set(
            &mut doc,
            "/components/responses/NotFound/content",
            json!({"text/plain": {"schema": {"type": "string"}}}),
        );
        // ErrorResponse is still used by the 500.
        let f = assert_only(
            &doc,
            Rule::ErrorResponse,
            "GET /items/{id} 404 (via #/components/responses/NotFound)",
        );
        assert!(f[0].message.contains("no application/json content"));
    }

    #[test]
    fn error_schema_must_be_exactly_the_ref() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/get/responses/500/content/application~1json/schema",
            json!({"$ref": "#/components/schemas/ErrorResponse", "nullable": true}),
        );
        assert_only(&doc, Rule::ErrorResponse, "GET /items/{id} 500");
    }

    #[test]
    fn unused_components_are_reported() {
        let mut doc = valid();
        set(
            &mut doc,
            "/components/schemas/Orphan",
            json!({"type": "object", "properties": {"item": {"$ref": "#/components/schemas/Item"}}}),
        );
        set(
            &mut doc,
            "/components/headers/Unused",
            json!({"schema": {"type": "string"}}),
        );
        set(
            &mut doc,
            "/components/securitySchemes/basic",
            json!({"type": "http", "scheme": "basic"}),
        );
        let findings = lint(&doc);
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "/components/schemas/Orphan",
                "/components/headers/Unused",
                "/components/securitySchemes/basic"
            ],
            "{findings:#?}"
        );
        assert!(findings.iter().all(|f| f.rule == Rule::UnusedComponent));
    }

    #[test]
    fn components_used_only_by_unused_components_are_unused() {
        let mut doc = valid();
        // Drop the only path use of the parameter; Limit becomes unused.
        remove(&mut doc, "/paths/~1items~1{id}/get", "parameters");
        assert_only(&doc, Rule::UnusedComponent, "/components/parameters/Limit");
    }

    #[test]
    fn transitively_used_components_are_used() {
        // Tag/Name is only reached via Item, which is reached via a response
        // and a request body: no finding (checked by the valid document), and
        // removing the 200 keeps everything reachable through the body.
        let mut doc = valid();
        remove(&mut doc, "/paths/~1items~1{id}/get/responses", "200");
        assert!(lint(&doc).is_empty(), "{:#?}", lint(&doc));
    }

    #[test]
    fn path_parameters_must_be_declared() {
        let mut doc = valid();
        remove(&mut doc, "/paths/~1items~1{id}", "parameters");
        let f = assert_only(&doc, Rule::PathParameter, "GET /items/{id}");
        assert_eq!(f.len(), 2, "one per operation: {f:#?}");
        assert!(f[0].message.contains("{id}"));
    }

    #[test]
    fn path_parameters_must_be_required_and_in_the_template() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/parameters/0/required",
            json!(false),
        );
        let f = assert_only(&doc, Rule::PathParameter, "PUT /items/{id}");
        assert!(f[0].message.contains("required: true"));

        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/get/parameters",
            json!([{"name": "other", "in": "path", "required": true, "schema": {"type": "string"}}]),
        );
        remove(&mut doc, "/components/parameters", "Limit");
        let f = assert_only(&doc, Rule::PathParameter, "GET /items/{id}");
        assert!(f[0].message.contains("\"other\" is declared"));
    }

    #[test]
    fn duplicate_parameters_are_reported() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/get/parameters",
            json!([
                {"$ref": "#/components/parameters/Limit"},
                {"name": "limit", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "header", "schema": {"type": "string"}},
                {"name": "Limit", "in": "header", "schema": {"type": "string"}}
            ]),
        );
        let f = assert_only(&doc, Rule::DuplicateParameter, "GET /items/{id}");
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f[0].message.contains("name: limit, in: query"));
        assert!(f[1].message.contains("in: header"));
    }

    #[test]
    fn operation_level_parameter_may_override_path_level() {
        let mut doc = valid();
        set(
            &mut doc,
            "/paths/~1items~1{id}/get/parameters",
            json!([
                {"$ref": "#/components/parameters/Limit"},
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}
            ]),
        );
        assert!(lint(&doc).is_empty(), "{:#?}", lint(&doc));
    }

    #[test]
    fn missing_paths_is_a_structure_finding() {
        let mut doc = valid();
        remove(&mut doc, "", "paths");
        let findings = lint(&doc);
        assert_eq!(findings[0].rule, Rule::Structure);
        assert_eq!(findings[0].location, "/paths");
    }

    #[test]
    fn refs_inside_examples_and_extensions_are_data() {
        let mut doc = valid();
        set(
            &mut doc,
            "/components/schemas/Item/x-note",
            json!({"$ref": "#/nowhere"}),
        );
        set(
            &mut doc,
            "/components/responses/NotFound/content/application~1json/examples",
            json!({"one": {"value": {"$ref": "#/nowhere"}}}),
        );
        assert!(lint(&doc).is_empty(), "{:#?}", lint(&doc));
    }

    #[test]
    fn operations_need_a_known_x_replay() {
        let at = "/paths/~1items~1{id}/put/x-replay";
        let mut doc = valid();
        set(&mut doc, at, json!("safe-already-done"));
        assert!(lint(&doc).is_empty(), "{:#?}", lint(&doc));

        set(&mut doc, at, json!("sometimes"));
        let f = assert_only(&doc, Rule::Replay, at);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("\"sometimes\", not one of safe,"),
            "{f:#?}"
        );

        set(&mut doc, at, json!(true));
        let f = assert_only(&doc, Rule::Replay, at);
        assert!(f[0].message.contains("expected a string"), "{f:#?}");

        remove(&mut doc, "/paths/~1items~1{id}/put", "x-replay");
        let f = assert_only(&doc, Rule::Replay, at);
        assert!(
            f[0].message.contains("missing on PUT /items/{id}"),
            "{f:#?}"
        );
        assert_eq!(f[0].location, at);
    }

    #[test]
    fn operations_need_a_known_x_family() {
        let at = "/paths/~1items~1{id}/get/x-family";
        let mut doc = valid();
        set(&mut doc, at, json!("versioned"));
        assert!(lint(&doc).is_empty(), "{:#?}", lint(&doc));

        set(&mut doc, at, json!("v1"));
        let f = assert_only(&doc, Rule::Family, at);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("\"v1\", not one of v3, versioned"),
            "{f:#?}"
        );

        set(&mut doc, at, json!(["v3"]));
        let f = assert_only(&doc, Rule::Family, at);
        assert!(f[0].message.contains("expected a string"), "{f:#?}");

        remove(&mut doc, "/paths/~1items~1{id}/get", "x-family");
        let f = assert_only(&doc, Rule::Family, at);
        assert!(
            f[0].message.contains("missing on GET /items/{id}"),
            "{f:#?}"
        );
        assert_eq!(f[0].location, at);
        assert_eq!(Rule::Family.name(), "x-family");
    }

    #[test]
    fn x_same_as_names_another_family_s_operation_of_the_same_method() {
        let at = "/paths/~1items~1{id}/put/x-same-as";
        let mut doc = valid();
        set(&mut doc, at, json!("getItem"));
        let f = assert_only(&doc, Rule::SameAs, at);
        assert!(f[0].message.contains("a different method"), "{f:#?}");

        set(&mut doc, at, json!("deleteItem"));
        let f = assert_only(&doc, Rule::SameAs, at);
        assert!(f[0].message.contains("not an operationId"), "{f:#?}");
        assert_eq!(Rule::SameAs.name(), "x-same-as");
    }

    #[test]
    fn x_limits_need_an_integer_value_and_a_description() {
        let base = "/components/schemas/Item/x-limits";
        let mut doc = valid();
        set(&mut doc, &format!("{base}/maxTags/value"), json!(0));
        assert!(lint(&doc).is_empty(), "{:#?}", lint(&doc));

        set(&mut doc, &format!("{base}/maxTags/value"), json!("3"));
        remove(&mut doc, &format!("{base}/maxTags"), "description");
        set(
            &mut doc,
            &format!("{base}/maxNames"),
            json!({"value": 2.5, "description": ""}),
        );
        set(&mut doc, &format!("{base}/minTags"), json!(1));
        let findings = lint(&doc);
        let got: Vec<(&str, Rule)> = findings
            .iter()
            .map(|f| (f.location.as_str(), f.rule))
            .collect();
        assert_eq!(
            got,
            [
                (&*format!("{base}/maxNames/value"), Rule::Limits),
                (&*format!("{base}/maxNames/description"), Rule::Limits),
                (&*format!("{base}/maxTags/value"), Rule::Limits),
                (&*format!("{base}/maxTags/description"), Rule::Limits),
                (&*format!("{base}/minTags"), Rule::Limits),
            ],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .contains("is 2.5, expected a non-negative integer"));

        set(&mut doc, base, json!([1, 2]));
        let f = assert_only(&doc, Rule::Limits, base);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].to_string().starts_with("[x-limits] "), "{f:#?}");
    }

    #[test]
    fn x_rate_limit_needs_positive_integers() {
        let mut doc = valid();
        remove(&mut doc, "", "x-rate-limit");
        assert!(lint(&doc).is_empty(), "optional: {:#?}", lint(&doc));

        set(
            &mut doc,
            "/x-rate-limit",
            json!({"requests": 0, "window": 10}),
        );
        let findings = lint(&doc);
        let locations: Vec<&str> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(
            locations,
            ["/x-rate-limit/requests", "/x-rate-limit/windowSeconds"],
            "{findings:#?}"
        );
        assert!(findings.iter().all(|f| f.rule == Rule::RateLimit));
        assert!(findings[0].message.contains("positive integer"));
        assert!(findings[1].message.starts_with("missing"));

        set(&mut doc, "/x-rate-limit", json!("100 per 10s"));
        let f = assert_only(&doc, Rule::RateLimit, "/x-rate-limit");
        assert_eq!(f.len(), 1, "{f:#?}");
    }
}
