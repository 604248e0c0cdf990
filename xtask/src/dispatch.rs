//! The `dispatch` module of the generated crate: one type per logical
//! operation (operations linked by `x-same-as`, see [`extensions::twins`]),
//! which reaches the operation in any family.
//!
//! Each is an enum over the families' progenitor builders: `new(client,
//! family)` picks the builder with a `match` that names every family (a new
//! family does not compile until each logical operation handles it),
//! `operation(family)` gives the table entry the facade's engine needs, and
//! the setters and `send` forward to the chosen builder. The setters are
//! read from progenitor's own output, and the twins' builders must have
//! identical ones (same names, same types), so a spec change that makes the
//! families differ fails here, at generation, instead of in the facade.
//!
//! [`extensions::twins`]: crate::extensions::twins

use std::collections::BTreeMap;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::extensions::Twins;

/// The `dispatch` module for `twins`, built on the `builder` module of
/// progenitor's output `client`.
pub fn tokens(client: &syn::File, twins: &[Twins]) -> Result<TokenStream, String> {
    let builders = builder_methods(client)?;
    let mut types = Vec::new();
    let mut names = Vec::new();
    for twin in twins {
        let name = ident(&twin.root.to_upper_camel_case());
        let members: Vec<Member> = twin
            .members
            .iter()
            .map(|(family, id)| Member {
                family: ident(&family.to_upper_camel_case()),
                builder: ident(&id.to_upper_camel_case()),
                method: ident(&id.to_snake_case()),
                constant: ident(&id.to_shouty_snake_case()),
                id: id.clone(),
            })
            .collect();
        let methods = same_methods(&builders, &members)?;
        types.push(logical_operation(&twin.root, &name, &members, &methods)?);
        names.push(name);
    }
    Ok(quote! {
        /// The operations that exist in every family, each reachable by
        /// [`Family`](crate::Family) (generated from `x-same-as` in `openapi/`).
        pub mod dispatch {
            use super::{builder, types, Client, Error, ResponseValue};
            use crate::{operations, Family, Operation};
            #(#types)*
            /// For each logical operation, its entry in the operation table
            /// by family.
            pub const ALL: &[fn(Family) -> &'static Operation] = &[#(#names::operation),*];
        }
    })
}

/// One family's member of a logical operation.
struct Member {
    /// The `Family` variant.
    family: Ident,
    /// progenitor's builder type.
    builder: Ident,
    /// progenitor's `Client` method.
    method: Ident,
    /// The constant in the `operations` table.
    constant: Ident,
    /// The `operationId`.
    id: String,
}

/// The public methods of each builder in progenitor's `builder` module, by
/// builder name.
fn builder_methods(client: &syn::File) -> Result<BTreeMap<String, Vec<syn::ImplItemFn>>, String> {
    let module = client
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or("progenitor output has no `builder` module")?;
    let mut out: BTreeMap<String, Vec<syn::ImplItemFn>> = BTreeMap::new();
    for item in &module.1 {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(path) = &*block.self_ty else {
            continue;
        };
        let Some(name) = path.path.segments.last() else {
            continue;
        };
        out.entry(name.ident.to_string())
            .or_default()
            .extend(block.items.iter().filter_map(|i| match i {
                syn::ImplItem::Fn(f) if matches!(f.vis, syn::Visibility::Public(_)) => {
                    Some(f.clone())
                }
                _ => None,
            }));
    }
    Ok(out)
}

/// The first member's methods (without `new`), after checking every other
/// member has the very same signatures.
fn same_methods(
    builders: &BTreeMap<String, Vec<syn::ImplItemFn>>,
    members: &[Member],
) -> Result<Vec<syn::Signature>, String> {
    let signatures = |member: &Member| -> Result<BTreeMap<String, syn::Signature>, String> {
        let methods = builders.get(&member.builder.to_string()).ok_or_else(|| {
            format!(
                "progenitor generated no builder `{}` for `{}`",
                member.builder, member.id
            )
        })?;
        Ok(methods
            .iter()
            .filter(|f| f.sig.ident != "new")
            .map(|f| (f.sig.ident.to_string(), f.sig.clone()))
            .collect())
    };
    let (first, rest) = members
        .split_first()
        .ok_or("a logical operation without members")?;
    let reference = signatures(first)?;
    let show = |s: &BTreeMap<String, syn::Signature>| -> BTreeMap<String, String> {
        s.iter()
            .map(|(k, v)| (k.clone(), quote!(#v).to_string()))
            .collect()
    };
    for member in rest {
        let theirs = signatures(member)?;
        let (ours, theirs) = (show(&reference), show(&theirs));
        if ours != theirs {
            let differ: std::collections::BTreeSet<&String> = ours
                .keys()
                .chain(theirs.keys())
                .filter(|k| ours.get(*k) != theirs.get(*k))
                .collect();
            return Err(format!(
                "`{}` and `{}` are linked by x-same-as but their builders differ in {differ:?}; \
                 the families must take the same parameters and answer the same type",
                first.id, member.id
            ));
        }
    }
    Ok(reference.into_values().collect())
}

/// The enum, its constructor, its table lookup and its forwarding methods.
fn logical_operation(
    root: &str,
    name: &Ident,
    members: &[Member],
    methods: &[syn::Signature],
) -> Result<TokenStream, String> {
    let families: Vec<&Ident> = members.iter().map(|m| &m.family).collect();
    let builders: Vec<&Ident> = members.iter().map(|m| &m.builder).collect();
    let client_methods: Vec<&Ident> = members.iter().map(|m| &m.method).collect();
    let constants: Vec<&Ident> = members.iter().map(|m| &m.constant).collect();
    let ids: Vec<String> = members
        .iter()
        .map(|m| format!("`{}` ({})", m.id, m.family))
        .collect();
    let doc = format!(" `{root}` in any family: {}.", ids.join(", "));
    let variant_docs: Vec<String> = members
        .iter()
        .map(|m| format!(" The {} family's builder.", m.family))
        .collect();
    let mut forwards = Vec::new();
    for sig in methods {
        let method = &sig.ident;
        if method == "send" {
            let output = &sig.output;
            forwards.push(quote! {
                /// Sends the request in the chosen family.
                pub async fn send(self) #output {
                    match self { #(Self::#families(b) => b.send().await),* }
                }
            });
            continue;
        }
        let returns_self = matches!(&sig.output, syn::ReturnType::Type(_, ty)
            if matches!(&**ty, syn::Type::Path(p) if p.path.is_ident("Self")));
        if !returns_self {
            return Err(format!(
                "`{root}`: builder method `{method}` does not return `Self`; only setters and \
                 `send` can be forwarded"
            ));
        }
        let mut sig = sig.clone();
        let mut args = Vec::new();
        for input in &mut sig.inputs {
            match input {
                // The enum is rebuilt, not mutated: `self`, not `mut self`.
                syn::FnArg::Receiver(receiver) => receiver.mutability = None,
                syn::FnArg::Typed(typed) => match &*typed.pat {
                    syn::Pat::Ident(pat) => args.push(pat.ident.clone()),
                    _ => return Err(format!("`{root}`: `{method}` has a pattern argument")),
                },
            }
        }
        let doc = format!(" Sets `{method}` on the chosen family's builder.");
        let arms = families.iter().map(|family| {
            quote! { Self::#family(b) => Self::#family(b.#method(#(#args),*)) }
        });
        forwards.push(quote! {
            #[doc = #doc]
            pub #sig {
                match self { #(#arms),* }
            }
        });
    }
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone)]
        pub enum #name<'a> {
            #(
                #[doc = #variant_docs]
                #families(builder::#builders<'a>),
            )*
        }
        impl<'a> #name<'a> {
            /// The builder of `family`.
            pub fn new(client: &'a Client, family: Family) -> Self {
                match family { #(Family::#families => Self::#families(client.#client_methods())),* }
            }
            /// The operation table's entry for `family`.
            pub const fn operation(family: Family) -> &'static Operation {
                match family { #(Family::#families => &operations::#constants),* }
            }
            #(#forwards)*
        }
    })
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(v1_limit_type: &str) -> syn::File {
        let v1: syn::Type = syn::parse_str(v1_limit_type).unwrap();
        syn::parse2(quote! {
            pub mod builder {
                pub struct ListThings<'a> { client: &'a Client }
                impl<'a> ListThings<'a> {
                    pub fn new(client: &'a super::Client) -> Self { loop {} }
                    pub fn limit<V>(mut self, value: V) -> Self where V: TryInto<i32> { self }
                    pub async fn send(self) -> Result<ResponseValue<u8>, Error<()>> { loop {} }
                }
                pub struct ListThingsV1<'a> { client: &'a Client }
                impl<'a> ListThingsV1<'a> {
                    pub fn new(client: &'a super::Client) -> Self { loop {} }
                    pub fn limit<V>(mut self, value: V) -> Self where V: TryInto<#v1> { self }
                    pub async fn send(self) -> Result<ResponseValue<u8>, Error<()>> { loop {} }
                }
            }
        })
        .unwrap()
    }

    fn twins() -> Vec<Twins> {
        vec![Twins {
            root: "listThings".into(),
            members: vec![
                ("v3".into(), "listThings".into()),
                ("versioned".into(), "listThingsV1".into()),
            ],
        }]
    }

    #[test]
    fn a_logical_operation_matches_every_family_and_forwards_its_setters() {
        let code = tokens(&client("i32"), &twins()).unwrap().to_string();
        for expected in [
            "pub enum ListThings",
            "Family :: V3 => Self :: V3 (client . list_things ())",
            "Family :: Versioned => & operations :: LIST_THINGS_V1",
            "pub fn limit < V > (self , value : V) -> Self",
            "Self :: Versioned (b) => Self :: Versioned (b . limit (value))",
            "Self :: V3 (b) => b . send () . await",
        ] {
            assert!(code.contains(expected), "{expected} not in {code}");
        }
        assert!(!code.contains("_ =>"), "no catch-all arm: {code}");
    }

    #[test]
    fn twins_whose_builders_differ_are_refused() {
        let message = tokens(&client("i64"), &twins()).unwrap_err();
        assert!(
            message.contains("`listThings` and `listThingsV1`") && message.contains("{\"limit\"}"),
            "{message}"
        );
    }
}
