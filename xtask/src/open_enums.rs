//! Open enums: every string enum of the spec becomes a Rust enum with one variant per
//! known value plus `Unknown(String)`, so a value the server adds later (as it added
//! `MODIFY_ACCESS`) decodes instead of failing the whole response, and re-encodes to the
//! same string.

use heck::ToUpperCamelCase;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

/// A string enum component of the spec.
pub struct OpenEnum {
    /// Component name, used as the Rust type name.
    pub name: String,
    description: Option<String>,
    values: Vec<String>,
}

/// Finds every `components/schemas` entry that is a string enum, in document order.
pub fn collect(document: &Value) -> Result<Vec<OpenEnum>, String> {
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("the spec has no components/schemas")?;
    let mut enums = Vec::new();
    for (name, schema) in schemas {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return Err(format!(
                "components/schemas/{name}: only string enums are supported"
            ));
        }
        let values = values
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    format!(
                        "components/schemas/{name}: enum value {v} is not a string \
                         (express null with an optional property instead)"
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        enums.push(OpenEnum {
            name: name.clone(),
            description,
            values,
        });
    }
    Ok(enums)
}

/// The Rust items for every open enum.
pub fn items(enums: &[OpenEnum]) -> Result<Vec<syn::Item>, String> {
    let mut items = Vec::new();
    for open in enums {
        let file: syn::File = syn::parse2(tokens(open))
            .map_err(|e| format!("open enum {} did not parse: {e}", open.name))?;
        items.extend(file.items);
    }
    Ok(items)
}

fn tokens(open: &OpenEnum) -> TokenStream {
    let ident = format_ident!("{}", open.name);
    let name = Literal::string(&open.name);
    let doc = open
        .description
        .clone()
        .unwrap_or_else(|| format!("The `{}` enum.", open.name));
    let variants: Vec<_> = open
        .values
        .iter()
        .map(|v| format_ident!("{}", v.to_upper_camel_case()))
        .collect();
    let wire: Vec<_> = open.values.iter().map(|v| Literal::string(v)).collect();
    let variant_docs: Vec<_> = open.values.iter().map(|v| format!("`{v}`")).collect();
    let schema_values = &wire;

    quote! {
        #[doc = #doc]
        ///
        /// Open enum: values this SDK does not know yet decode as `Unknown` and encode back
        /// to the same string.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #ident {
            #(
                #[doc = #variant_docs]
                #variants,
            )*
            /// A value the spec did not list when this code was generated, kept verbatim.
            Unknown(::std::string::String),
        }

        impl #ident {
            /// Every value the spec lists, in its order.
            pub const KNOWN: &'static [Self] = &[#(Self::#variants),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#variants => #wire,)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// Whether this value is not one the spec lists.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for #ident {
            fn from(value: &str) -> Self {
                match value {
                    #(#wire => Self::#variants,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #ident {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for #ident {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::convert::AsRef<str> for #ident {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                crate::open_enum::deserialize(deserializer)
            }
        }

        impl ::schemars::JsonSchema for #ident {
            fn schema_name() -> ::std::string::String {
                #name.to_owned()
            }

            fn json_schema(_: &mut ::schemars::r#gen::SchemaGenerator) -> ::schemars::schema::Schema {
                crate::open_enum::schema(&[#(#schema_values),*])
            }
        }
    }
}
