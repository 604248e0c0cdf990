//! The operation table and the limits of the spec, emitted as constants
//! into the generated crate (`operations` and `limits` modules), so that the
//! facade, the sandbox and the tooling read them instead of keeping copies.
//!
//! - Each operation's replay policy comes from its `x-replay` extension
//!   (`safe`, `not-after-send`, `safe-already-done`); an operation without one
//!   is an error, so a new operation cannot be added without deciding it.
//! - Each operation's API family comes from its `x-family` extension (`v3`,
//!   `versioned`); a missing or unknown one is an error too.
//! - Limits come from `minItems`/`maxItems`/`minimum`/`maximum` (and integer
//!   `default`s of parameters) on component properties and operation
//!   parameters, from `x-limits` on component schemas (rules the vendor states
//!   in prose only), and from the document's `x-rate-limit`.

use heck::ToShoutySnakeCase;
use heck::ToSnakeCase;
use heck::ToUpperCamelCase;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::extensions::{self, Twins, FAMILY, REPLAY};
use crate::spec::walk;

/// One operation as the table needs it.
pub struct Op {
    pub id: String,
    pub method: String,
    pub path: String,
    pub success: u16,
    pub replay: String,
    /// `v3` or `versioned`, from `x-family`.
    pub family: String,
    pub deprecated: bool,
    /// Per filterable field, its operators, from `x-filter-operators`.
    pub filter_operators: Vec<(String, Vec<String>)>,
    /// Headers always sent with a fixed value, from `x-fixed-headers`.
    pub fixed_headers: Vec<(String, String)>,
}

/// Every operation of `doc`, in path then method order.
pub fn operations(doc: &Value) -> Result<Vec<Op>, String> {
    let (walked, problems) = walk(doc);
    if let Some(problem) = problems.first() {
        return Err(format!("{}: {}", problem.at, problem.message));
    }
    let mut out = Vec::new();
    for op in &walked {
        let id = op
            .id()
            .ok_or_else(|| format!("{} has no operationId", op.label()))?
            .to_owned();
        let successes: Vec<u16> = op
            .op
            .get("responses")
            .and_then(Value::as_object)
            .map(|r| {
                r.keys()
                    .filter_map(|k| k.parse::<u16>().ok())
                    .filter(|s| (200..300).contains(s))
                    .collect()
            })
            .unwrap_or_default();
        let [success] = successes.as_slice() else {
            return Err(format!(
                "{id}: expected exactly one 2xx response, found {successes:?}"
            ));
        };
        let replay = REPLAY
            .read(op)
            .map_err(|e| format!("{id}: {e}"))?
            .to_owned();
        let family = FAMILY
            .read(op)
            .map_err(|e| format!("{id}: {e}"))?
            .to_owned();
        let (filter_operators, refused) = extensions::filter_operators(op);
        extensions::refuse(refused).map_err(|e| format!("{id}: {e}"))?;
        let (fixed_headers, refused) = extensions::fixed_headers(op);
        extensions::refuse(refused).map_err(|e| format!("{id}: {e}"))?;
        out.push(Op {
            id,
            family,
            filter_operators,
            fixed_headers,
            method: op.method.to_uppercase(),
            path: op.path.to_owned(),
            success: *success,
            replay,
            deprecated: op.op.get("deprecated").and_then(Value::as_bool) == Some(true),
        });
    }
    Ok(out)
}

/// [`operations`] of the spec at `path` (already read into `doc`), in the
/// order the file lists them: the JSON value's maps are sorted by key.
pub fn operations_in_file_order(path: &std::path::Path, doc: &Value) -> Result<Vec<Op>, String> {
    let order = crate::spec::operation_order(path)?;
    let mut ops = operations(doc).map_err(|e| format!("{}: {e}", path.display()))?;
    ops.sort_by_key(|op| {
        order
            .iter()
            .position(|(p, m)| *p == op.path && m.eq_ignore_ascii_case(&op.method))
            .unwrap_or(usize::MAX)
    });
    Ok(ops)
}

/// The logical operations that exist in every family, checked
/// ([`extensions::twins`]); an error names every refused `x-same-as`.
pub fn twins(doc: &Value) -> Result<Vec<Twins>, String> {
    let (walked, _) = walk(doc);
    let (twins, refused) = extensions::twins(&walked);
    extensions::refuse(refused)?;
    Ok(twins)
}

/// The `operations` and `limits` modules.
pub fn tokens(doc: &Value) -> Result<TokenStream, String> {
    let ops = operations(doc)?;
    let mut consts = Vec::new();
    let mut names = Vec::new();
    for op in &ops {
        let name = ident(&op.id.to_shouty_snake_case());
        let snake = op.id.to_snake_case();
        let (id, method, path, success, deprecated) =
            (&op.id, &op.method, &op.path, op.success, op.deprecated);
        let replay = ident(match op.replay.as_str() {
            "safe" => "Safe",
            "not-after-send" => "NotAfterSend",
            _ => "SafeAlreadyDone",
        });
        // `FAMILY` admitted the value; its variant is its camel case.
        let family = ident(&op.family.to_upper_camel_case());
        let doc = format!(" `{method} {path}` (`{id}`, {} family).", op.family);
        let filters = op.filter_operators.iter().map(|(field, ops)| {
            quote! { (#field, &[#(#ops),*]) }
        });
        let headers = op
            .fixed_headers
            .iter()
            .map(|(name, value)| quote! { (#name, #value) });
        consts.push(quote! {
            #[doc = #doc]
            pub const #name: Operation = Operation {
                id: #id,
                name: #snake,
                method: #method,
                path: #path,
                success: #success,
                replay: Replay::#replay,
                family: Family::#family,
                deprecated: #deprecated,
                filter_operators: &[#(#filters),*],
                fixed_headers: &[#(#headers),*],
            };
        });
        names.push(name);
    }
    let limits = limits(doc)?;
    Ok(quote! {
        /// Every operation of the spec, as data (generated from `openapi/`).
        pub mod operations {
            use crate::{Family, Operation, Replay};
            #(#consts)*
            /// All operations, sorted by path, then method.
            pub const ALL: &[Operation] = &[#(#names),*];
            /// The operation with this `operationId`.
            pub fn by_id(id: &str) -> Option<&'static Operation> {
                ALL.iter().find(|op| op.id == id)
            }
            /// The operations of one family, in the order of [`ALL`].
            pub fn of_family(family: Family) -> impl Iterator<Item = &'static Operation> {
                ALL.iter().filter(move |op| op.family == family)
            }
        }
        /// Every limit the spec states, as constants (generated from `openapi/`).
        pub mod limits {
            #(#limits)*
        }
    })
}

/// The sandbox's `Operation` enum: the token endpoint, which the spec does
/// not describe, then every operation of `ops` (in the spec file's order, so
/// the counters and fault scopes keep a stable order), with `ALL` and the
/// link to the `operations` table. The sandbox's router matches on it, so a
/// new operation in the spec does not compile until it has a handler.
pub fn sandbox_tokens(ops: &[Op]) -> TokenStream {
    let variants: Vec<Ident> = ops
        .iter()
        .map(|op| ident(&op.id.to_upper_camel_case()))
        .collect();
    let constants: Vec<Ident> = ops
        .iter()
        .map(|op| ident(&op.id.to_shouty_snake_case()))
        .collect();
    let docs: Vec<String> = ops
        .iter()
        .map(|op| {
            format!(
                " `{}` (`{} {}`, {} family{}).",
                op.id,
                op.method,
                op.path,
                op.family,
                if op.deprecated { ", deprecated" } else { "" }
            )
        })
        .collect();
    let count = ops.len() + 1;
    quote! {
        use sailpoint_access_api::{operations, Operation as SpecOperation};

        /// An operation the sandbox serves, for counters and for scoping
        /// faults: the token endpoint, then every operation of the spec in
        /// the spec's order (generated from `openapi/`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Operation {
            /// `POST /oauth/token`, served beside the API as on a tenant host.
            Token,
            #(#[doc = #docs] #variants,)*
        }

        impl Operation {
            /// Every operation, the token endpoint first.
            pub const ALL: [Operation; #count] = [Operation::Token, #(Operation::#variants),*];

            /// The spec's description of this operation (method, path,
            /// replay policy...), or `None` for the token endpoint, which the
            /// spec does not describe.
            pub const fn spec(self) -> Option<&'static SpecOperation> {
                match self {
                    Operation::Token => None,
                    #(Operation::#variants => Some(&operations::#constants),)*
                }
            }
        }
    }
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

fn limits(doc: &Value) -> Result<Vec<TokenStream>, String> {
    let mut out = Vec::new();
    let mut push = |name: String, ty: &str, value: i64, doc: String| -> Result<(), String> {
        let name = ident(&name.to_shouty_snake_case());
        let doc = format!(" {doc}");
        let value = match ty {
            "usize" => {
                let v = usize::try_from(value).map_err(|_| format!("{name}: negative count"))?;
                quote! { #v }
            }
            "u64" => {
                let v = u64::try_from(value).map_err(|_| format!("{name}: negative value"))?;
                quote! { #v }
            }
            _ => quote! { #value },
        };
        let ty = ident(ty);
        out.push(quote! { #[doc = #doc] pub const #name: #ty = #value; });
        Ok(())
    };
    let (rate, refused) = extensions::rate_limit(doc);
    extensions::refuse(refused)?;
    for (value, (key, what)) in rate.into_iter().flatten().zip([
        ("requests", "requests allowed per window"),
        ("windowSeconds", "the window, in seconds"),
    ]) {
        push(
            format!("rate_limit_{key}"),
            "u64",
            i64::try_from(value).map_err(|_| format!("x-rate-limit.{key} is too large"))?,
            format!("The vendor's documented rate limit: {what} (`x-rate-limit.{key}`)."),
        )?;
    }
    let (stated, refused) = extensions::limits(doc);
    extensions::refuse(refused)?;
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (schema, body) in schemas.into_iter().flatten() {
        for limit in stated.iter().filter(|l| l.schema == schema) {
            let (key, text) = (limit.key, limit.description);
            push(
                format!("{schema}_{key}"),
                "usize",
                i64::try_from(limit.value)
                    .map_err(|_| format!("{schema}.x-limits.{key} is too large"))?,
                format!("{text} (`{schema}` `x-limits.{key}`)"),
            )?;
        }
        for (prop, schema_of) in body
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            keywords(schema_of, false, &mut |keyword, ty, v| {
                push(
                    format!("{schema}_{prop}_{keyword}"),
                    ty,
                    v,
                    format!("`{keyword}` of `{schema}.{prop}`."),
                )
            })?;
        }
    }
    for op in operations(doc)? {
        let params = doc
            .pointer(&format!(
                "/paths/{}/{}/parameters",
                op.path.replace('~', "~0").replace('/', "~1"),
                op.method.to_lowercase()
            ))
            .and_then(Value::as_array);
        for param in params.into_iter().flatten() {
            let (Some(name), Some(schema)) = (
                param.get("name").and_then(Value::as_str),
                param.get("schema"),
            ) else {
                continue;
            };
            keywords(schema, true, &mut |keyword, ty, v| {
                push(
                    format!("{}_{}_{keyword}", op.id, name.replace('-', "_")),
                    ty,
                    v,
                    format!("`{keyword}` of the `{name}` parameter of `{}`.", op.id),
                )
            })?;
        }
    }
    Ok(out)
}

/// Calls `emit(keyword, type, value)` for each numeric bound of `schema`.
fn keywords(
    schema: &Value,
    with_default: bool,
    emit: &mut dyn FnMut(&str, &str, i64) -> Result<(), String>,
) -> Result<(), String> {
    for (keyword, ty) in [
        ("minItems", "usize"),
        ("maxItems", "usize"),
        ("minLength", "usize"),
        ("maxLength", "usize"),
        ("minimum", "i64"),
        ("maximum", "i64"),
        ("default", "i64"),
    ] {
        if keyword == "default" && !with_default {
            continue;
        }
        if let Some(v) = schema.get(keyword).and_then(Value::as_i64) {
            if keyword == "default" && schema.get("type").and_then(Value::as_str) != Some("integer")
            {
                continue;
            }
            emit(keyword, ty, v)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{self, SPEC_PATH};
    use crate::test_support::{remove, set};
    use serde_json::json;

    /// A document with one well-formed operation.
    fn one_operation() -> Value {
        json!({"paths": {"/things": {"get": {
            "operationId": "listThings",
            "x-replay": "safe",
            "x-family": "v3",
            "responses": {"200": {"description": "ok"}, "404": {"description": "no"}}
        }}}})
    }

    fn refusal(doc: &Value) -> String {
        match operations(doc) {
            Ok(ops) => panic!("accepted {} operation(s)", ops.len()),
            Err(message) => message,
        }
    }

    #[test]
    fn a_well_formed_operation_is_read() {
        let ops = operations(&one_operation()).unwrap();
        let [op] = ops.as_slice() else {
            panic!("one operation expected")
        };
        assert_eq!(
            (op.id.as_str(), op.method.as_str(), op.path.as_str()),
            ("listThings", "GET", "/things")
        );
        assert_eq!(
            (op.success, op.replay.as_str(), op.deprecated),
            (200, "safe", false)
        );
        assert_eq!(op.family, "v3");
    }

    #[test]
    fn an_operation_without_a_known_x_family_is_refused() {
        let mut doc = one_operation();
        remove(&mut doc, "/paths/~1things/get", "x-family");
        let message = refusal(&doc);
        assert!(message.starts_with("listThings: no x-family"), "{message}");
        assert!(tokens(&doc).is_err(), "codegen refuses it too");

        set(&mut doc, "/paths/~1things/get/x-family", json!("v2"));
        assert!(refusal(&doc).contains("unknown x-family \"v2\""));
        set(&mut doc, "/paths/~1things/get/x-family", json!(3));
        assert!(refusal(&doc).contains("no x-family"));

        set(&mut doc, "/paths/~1things/get/x-family", json!("versioned"));
        let tokens = tokens(&doc).unwrap().to_string();
        assert!(tokens.contains("Family :: Versioned"), "{tokens}");
    }

    #[test]
    fn our_spec_has_both_families() {
        let doc = spec::load_value(&spec::workspace_root().join(SPEC_PATH)).unwrap();
        let ops = operations(&doc).unwrap();
        let family = |id: &str| {
            ops.iter()
                .find(|op| op.id == id)
                .map(|op| op.family.clone())
                .unwrap_or_else(|| panic!("{id} is not in the spec"))
        };
        assert_eq!(family("createAccessRequest"), "v3");
        assert_eq!(family("createAccessRequestV1"), "versioned");
        assert_eq!(family("closeAccessRequests"), "versioned");
        assert!(ops
            .iter()
            .all(|op| (op.family == "v3") == op.path.starts_with("/v3/")));
    }

    #[test]
    fn codegen_refuses_malformed_limits_in_the_linter_s_words() {
        let mut doc = one_operation();
        set(
            &mut doc,
            "/x-rate-limit",
            json!({"requests": 0, "windowSeconds": 10}),
        );
        let message = tokens(&doc).unwrap_err();
        assert_eq!(
            message,
            "/x-rate-limit/requests: is 0, expected a positive integer"
        );
        set(&mut doc, "/x-rate-limit/requests", json!(100));
        set(
            &mut doc,
            "/components",
            json!({"schemas": {"Thing": {"x-limits": {"maxParts": {"value": 3}}}}}),
        );
        let message = tokens(&doc).unwrap_err();
        assert!(
            message.starts_with("/components/schemas/Thing/x-limits/maxParts/description: missing"),
            "{message}"
        );
    }

    #[test]
    fn an_operation_without_x_replay_is_refused() {
        let mut doc = one_operation();
        remove(&mut doc, "/paths/~1things/get", "x-replay");
        let message = refusal(&doc);
        assert!(message.starts_with("listThings: no x-replay"), "{message}");
        assert!(tokens(&doc).is_err(), "codegen refuses it too");

        set(&mut doc, "/paths/~1things/get/x-replay", json!("twice"));
        assert!(refusal(&doc).contains("unknown x-replay \"twice\""));
    }

    #[test]
    fn an_operation_with_two_success_responses_is_refused() {
        let mut doc = one_operation();
        set(
            &mut doc,
            "/paths/~1things/get/responses/204",
            json!({"description": "empty"}),
        );
        let message = refusal(&doc);
        assert!(
            message.contains("listThings: expected exactly one 2xx response, found [200, 204]"),
            "{message}"
        );
    }

    #[test]
    fn the_limits_include_the_list_maximum() {
        let doc = spec::load_value(&spec::workspace_root().join(SPEC_PATH)).unwrap();
        let list = operations(&doc)
            .unwrap()
            .into_iter()
            .find(|op| op.id == "listAccessRequestStatus")
            .expect("the spec lists statuses");
        let at = format!(
            "/paths/{}/{}/parameters",
            list.path.replace('~', "~0").replace('/', "~1"),
            list.method.to_lowercase()
        );
        let maximum = doc
            .pointer(&at)
            .and_then(Value::as_array)
            .and_then(|params| params.iter().find(|p| p["name"] == "limit"))
            .and_then(|p| p.pointer("/schema/maximum"))
            .and_then(Value::as_i64)
            .expect("the limit parameter has a maximum");
        // The vendor's documented page size; the facade's paging relies on it.
        assert_eq!(maximum, 250);

        let consts: Vec<syn::ItemConst> = limits(&doc)
            .unwrap()
            .into_iter()
            .map(|item| syn::parse2(item).expect("each limit is a const item"))
            .collect();
        let constant = consts
            .iter()
            .find(|c| c.ident == "LIST_ACCESS_REQUEST_STATUS_LIMIT_MAXIMUM")
            .unwrap_or_else(|| {
                let names: Vec<String> = consts.iter().map(|c| c.ident.to_string()).collect();
                panic!("no constant for the list's maximum among {names:?}")
            });
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(value),
            ..
        }) = &*constant.expr
        else {
            panic!("not an integer literal")
        };
        assert_eq!(value.base10_parse::<i64>().unwrap(), maximum);
    }
}
