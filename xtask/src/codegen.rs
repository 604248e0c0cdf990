//! `cargo xtask codegen [--check]`: turns `openapi/access-requests.yaml` into the
//! generated client (`sailpoint-access-api`), mock helpers (`sailpoint-access-httpmock`)
//! and the sandbox's operation enum (`sailpoint-access-sandbox`).
//!
//! Everything that shapes the output lives here, so a change to the generated code is
//! always a change to the spec or to these settings:
//! - every string enum of the spec becomes an *open* enum (known variants plus
//!   `Unknown(String)`), emitted by [`open_enums`] and swapped in with `with_replacement`;
//! - every `format: date-time` becomes `crate::Timestamp`, which accepts the looser forms
//!   the API sends;
//! - the client carries facade state through `with_inner_type`, and the hooks that read it
//!   live in the generated crate's handwritten `lib.rs`;
//! - operations linked by `x-same-as` get one `dispatch` type each, reaching them by
//!   family ([`dispatch`]).

use std::path::Path;

use proc_macro2::{Delimiter, Group, Punct, Spacing, TokenStream, TokenTree};
use progenitor_impl::{
    GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl, TypePatch,
};
use quote::quote;
use schemars::schema::{InstanceType, SchemaObject, SingleOrVec};
use sha2::{Digest, Sha256};

use crate::dispatch;
use crate::open_enums::{self, OpenEnum};
use crate::spec::{self, SPEC_PATH};
use crate::tables;

/// A file this command owns, relative to the workspace root, and its expected content.
struct Output {
    path: &'static str,
    content: String,
}

const API_FILE: &str = "crates/sailpoint-access-api/src/generated.rs";
const MOCK_FILE: &str = "crates/sailpoint-access-httpmock/src/generated.rs";
const SANDBOX_FILE: &str = "crates/sailpoint-access-sandbox/src/generated.rs";

/// Runs the command: writes the files, or with `check` compares them.
pub fn run(check: bool) -> Result<(), String> {
    let root = spec::workspace_root();
    let outputs = generate(&root)?;
    if check {
        return compare(&root, &outputs);
    }
    for output in &outputs {
        let path = root.join(output.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != output.content {
            std::fs::write(&path, &output.content)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {}", output.path);
        } else {
            println!("unchanged {}", output.path);
        }
    }
    Ok(())
}

fn compare(root: &Path, outputs: &[Output]) -> Result<(), String> {
    let mut drifted = Vec::new();
    for output in outputs {
        let path = root.join(output.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != output.content {
            let diff = similar::TextDiff::from_lines(&current, &output.content);
            let text = diff
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{} (checked in)", output.path),
                    &format!("{} (from spec)", output.path),
                )
                .to_string();
            let shown: Vec<&str> = text.lines().take(60).collect();
            eprintln!("{} differs from what {SPEC_PATH} produces:", output.path);
            eprintln!("{}", shown.join("\n"));
            if text.lines().count() > shown.len() {
                eprintln!(
                    "... ({} more diff lines)",
                    text.lines().count() - shown.len()
                );
            }
            drifted.push(output.path);
        }
    }
    if drifted.is_empty() {
        println!("generated code matches {SPEC_PATH}");
        Ok(())
    } else {
        Err(format!(
            "generated code is out of date: {}; run `cargo xtask codegen` and commit the result \
             (generated files are never edited by hand)",
            drifted.join(", ")
        ))
    }
}

fn generate(root: &Path) -> Result<Vec<Output>, String> {
    let spec_path = root.join(SPEC_PATH);
    let spec_bytes = std::fs::read(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let document = spec::load_value(&spec_path)?;
    let openapi: openapiv3::OpenAPI = serde_json::from_value(document.clone())
        .map_err(|e| format!("{SPEC_PATH} is not an OpenAPI 3.0 document: {e}"))?;
    let enums = open_enums::collect(&document)?;
    let header = header(root, &spec_bytes)?;

    let settings = settings(&enums, &keeps_unknown_properties(&document));

    let client = Generator::new(&settings)
        .generate_tokens(&openapi)
        .map_err(|e| format!("progenitor failed on {SPEC_PATH}: {e}"))?;
    let mut file: syn::File = syn::parse2(one_line_docs(client))
        .map_err(|e| format!("progenitor produced unparsable code: {e}"))?;
    insert_into_types_module(&mut file, open_enums::items(&enums)?)?;
    let dispatch: syn::File = syn::parse2(dispatch::tokens(&file, &tables::twins(&document)?)?)
        .map_err(|e| format!("the dispatch module does not parse: {e}"))?;
    file.items.extend(dispatch.items);
    let tables: syn::File = syn::parse2(tables::tokens(&document)?)
        .map_err(|e| format!("the operation and limit tables do not parse: {e}"))?;
    file.items.extend(tables.items);
    let api = format!("{header}{}", format_source(&file)?);

    let mock = Generator::new(&settings)
        .httpmock(&openapi, "sailpoint_access_api")
        .map_err(|e| format!("progenitor failed to generate httpmock helpers: {e}"))?;
    let mock: syn::File = syn::parse2(one_line_docs(mock))
        .map_err(|e| format!("progenitor produced unparsable mock code: {e}"))?;
    let mock = format!("{header}{}", format_source(&mock)?);

    let ops = tables::operations_in_file_order(&spec_path, &document)?;
    let sandbox: syn::File = syn::parse2(tables::sandbox_tokens(&ops))
        .map_err(|e| format!("the sandbox's operation enum does not parse: {e}"))?;
    let sandbox = format!("{header}{}", format_source(&sandbox)?);

    Ok(vec![
        Output {
            path: API_FILE,
            content: api,
        },
        Output {
            path: SANDBOX_FILE,
            content: sandbox,
        },
        Output {
            path: MOCK_FILE,
            content: mock,
        },
    ])
}

/// The generator settings: the single place that decides the shape of generated code.
fn settings(enums: &[OpenEnum], keep_unknown: &[String]) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The facade hands its auth state to every request; the hooks that use it are
        // handwritten in the generated crate's lib.rs (the orphan rule keeps them there).
        .with_inner_type(quote! { crate::Context })
        .with_hooks(HooksMode::Expected)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq");
    for open in enums {
        settings.with_replacement(
            &open.name,
            format!("crate::types::{}", open.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    // A catch-all `extra` map is a required field to typify, which then stops
    // deriving `Default`; the map has a default, so the type keeps one.
    let mut default = TypePatch::default();
    default.with_derive("Default");
    for name in keep_unknown {
        settings.with_patch(name, &default);
    }
    for nullable in [false, true] {
        settings.with_conversion(
            date_time_schema(nullable),
            "crate::Timestamp",
            [TypeImpl::Display].into_iter(),
        );
    }
    settings
}

/// Component schemas that keep unknown properties (`additionalProperties: {}`)
/// and have no required property, so that a derived `Default` is meaningful.
fn keeps_unknown_properties(document: &serde_json::Value) -> Vec<String> {
    let Some(schemas) = document
        .pointer("/components/schemas")
        .and_then(serde_json::Value::as_object)
    else {
        return Vec::new();
    };
    schemas
        .iter()
        .filter(|(_, schema)| {
            schema
                .get("additionalProperties")
                .and_then(serde_json::Value::as_object)
                .is_some_and(|o| o.is_empty())
                && schema.get("required").is_none()
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// `{type: string, format: date-time}`, optionally with `null` allowed, as progenitor
/// hands it to typify (typify ignores descriptions when matching conversions).
fn date_time_schema(nullable: bool) -> SchemaObject {
    let instance_type = if nullable {
        SingleOrVec::Vec(vec![InstanceType::String, InstanceType::Null])
    } else {
        SingleOrVec::Single(Box::new(InstanceType::String))
    };
    SchemaObject {
        instance_type: Some(instance_type),
        format: Some("date-time".to_string()),
        ..Default::default()
    }
}

/// Splits every multi-line `#[doc = "..."]` into one attribute per line.
///
/// prettyplease prints a multi-line doc string as a `/** */` block whose
/// continuation lines get indented, and rustdoc then reads those lines as
/// indented code blocks and tries to compile them as doctests. One `///` line
/// per line of text keeps the docs as written.
fn one_line_docs(stream: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let TokenTree::Punct(hash) = &tokens[i] {
            if hash.as_char() == '#' {
                let bang =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                let at = if bang { i + 2 } else { i + 1 };
                if let Some(TokenTree::Group(group)) = tokens.get(at) {
                    if let Some(text) = doc_text(group) {
                        for line in text.split('\n') {
                            let line = if line.is_empty() {
                                String::new()
                            } else {
                                format!(" {line}")
                            };
                            out.push(TokenTree::Punct(Punct::new('#', Spacing::Alone)));
                            if bang {
                                out.push(TokenTree::Punct(Punct::new('!', Spacing::Alone)));
                            }
                            out.push(TokenTree::Group(Group::new(
                                Delimiter::Bracket,
                                quote! { doc = #line },
                            )));
                        }
                        i = at + 1;
                        continue;
                    }
                }
            }
        }
        out.push(match &tokens[i] {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), one_line_docs(group.stream()));
                inner.set_span(group.span());
                TokenTree::Group(inner)
            }
            other => other.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// The text of a `[doc = "..."]` attribute body that spans several lines.
fn doc_text(group: &Group) -> Option<String> {
    if group.delimiter() != Delimiter::Bracket {
        return None;
    }
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Ident(ident), TokenTree::Punct(eq), TokenTree::Literal(literal)]
            if ident == "doc" && eq.as_char() == '=' =>
        {
            let text = syn::parse2::<syn::LitStr>(TokenTree::Literal(literal.clone()).into())
                .ok()?
                .value();
            text.contains('\n').then_some(text)
        }
        _ => None,
    }
}

/// prettyplease makes the token stream readable; the toolchain's stable rustfmt then gives
/// it exactly the layout `cargo fmt --all --check` expects, so the two checks agree.
fn format_source(file: &syn::File) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let source = prettyplease::unparse(file);
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run rustfmt (install it with `rustup component add rustfmt`): {e}")
        })?;
    let mut stdin = child.stdin.take().ok_or("rustfmt has no stdin")?;
    // Write from another thread: rustfmt starts printing before it has read everything.
    let writer = std::thread::spawn(move || stdin.write_all(source.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked".to_string())?
        .map_err(|e| format!("cannot feed rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected the generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt printed invalid UTF-8: {e}"))
}

/// Adds the open enums to progenitor's `pub mod types`, where the replacement paths point.
fn insert_into_types_module(file: &mut syn::File, items: Vec<syn::Item>) -> Result<(), String> {
    for item in &mut file.items {
        if let syn::Item::Mod(module) = item {
            if module.ident == "types" {
                let (_, content) = module
                    .content
                    .as_mut()
                    .ok_or("progenitor's `types` module has no body")?;
                content.extend(items);
                return Ok(());
            }
        }
    }
    Err("progenitor output has no `types` module".into())
}

fn header(root: &Path, spec_bytes: &[u8]) -> Result<String, String> {
    let digest = Sha256::digest(spec_bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let progenitor = locked_version(&root.join("Cargo.lock"), "progenitor-impl")?;
    Ok(format!(
        "// @generated by `cargo xtask codegen`. DO NOT EDIT: change {SPEC_PATH} or\n\
         // xtask/src/codegen.rs and regenerate; `cargo xtask codegen --check` catches edits.\n\
         // spec: {SPEC_PATH} (sha256 {hex})\n\
         // generator: progenitor-impl {progenitor}\n\n"
    ))
}

/// The version of `package` recorded in Cargo.lock, so the header names what really ran.
fn locked_version(lock: &Path, package: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(lock)
        .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = text
        .find(&needle)
        .ok_or_else(|| format!("{package} is not in {}", lock.display()))?
        + needle.len();
    let end = text[start..].find('"').ok_or("malformed Cargo.lock")? + start;
    Ok(text[start..end].to_string())
}
