//! A typed builder for the `filters` expression of the status list.
//!
//! Each field is its own type offering the operators the API documents for
//! it in any family (the union across tenant versions), so an operator no
//! family supports does not compile. What one family documents is data from
//! the spec (`x-filter-operators`, the status list operation's
//! `filter_operators`): a query checks its filter against its family's
//! list before sending, so `accountActivityItemId isnull`, `lt`, or
//! `accessRequestId in` are refused in the versioned family, naming the
//! rule, the family and the operators it documents.
//!
//! | field | operators |
//! | --- | --- |
//! | `accessRequestId` | `eq ne gt ge lt le in sw` |
//! | `accountActivityItemId` | `eq ne gt ge lt le in sw isnull` |
//! | `created` | `eq ne gt ge lt le` |
//!
//! ```compile_fail
//! use sailpoint_access::{Filter, Timestamp};
//! // `created` has no `sw`:
//! let f = Filter::created().sw("2024");
//! ```

use std::fmt;

use sailpoint_access_api::Timestamp;

use sailpoint_access_api::Rule;

use crate::error::ValidationError;

/// A filter expression, such as `accountActivityItemId eq "2c91..."`.
///
/// ```
/// use sailpoint_access::{Filter, Timestamp};
///
/// let since: Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
/// let f = Filter::account_activity_item_id()
///     .in_(["a1", "a\"2"])
///     .and(Filter::created().ge(since));
/// assert_eq!(
///     f.to_string(),
///     r#"accountActivityItemId in ("a1","a\"2") and created ge 2024-06-01T00:00:00Z"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    expr: String,
    error: Option<ValidationError>,
    /// Every (field, operator) it uses, to check against a family's list.
    terms: Vec<(&'static str, &'static str)>,
}

impl Filter {
    /// The `accessRequestId` field.
    pub fn access_request_id() -> AccessRequestIdField {
        AccessRequestIdField(())
    }

    /// The `accountActivityItemId` field (the id used to cancel).
    pub fn account_activity_item_id() -> AccountActivityItemIdField {
        AccountActivityItemIdField(())
    }

    /// The `created` field (submission time).
    pub fn created() -> CreatedField {
        CreatedField(())
    }

    /// Both this and `other` must hold.
    pub fn and(mut self, other: Filter) -> Filter {
        self.expr.push_str(" and ");
        self.expr.push_str(&other.expr);
        self.error = self.error.or(other.error);
        self.terms.extend(other.terms);
        self
    }

    /// The expression as sent in the `filters` query parameter.
    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The first (field, operator) that `operation` does not document.
    pub(crate) fn undocumented_in(
        &self,
        operation: &sailpoint_access_api::Operation,
    ) -> Option<(&'static str, &'static str)> {
        self.terms
            .iter()
            .copied()
            .find(|(field, op)| !operation.operators_of(field).contains(op))
    }

    pub(crate) fn check(&self) -> Result<(), ValidationError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn leaf(field: &'static str, op: &'static str, value: &str) -> Filter {
        Filter {
            expr: format!("{field} {op} {value}"),
            error: None,
            terms: vec![(field, op)],
        }
    }

    fn list<I, S>(field: &'static str, values: I) -> Filter
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let quoted: Vec<String> = values.into_iter().map(|v| quote(v.as_ref())).collect();
        let error = quoted
            .is_empty()
            .then(|| ValidationError::new(Rule::FilterInNonEmpty, format!("{field} in ()")));
        Filter {
            expr: format!("{field} in ({})", quoted.join(",")),
            error,
            terms: vec![(field, "in")],
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}

/// A string literal of the filter syntax: double quotes, with `\` and `"` escaped.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One comparison of a text field, the value quoted.
macro_rules! text_op {
    ($name:literal, $op:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $op(self, value: impl AsRef<str>) -> Filter {
            Filter::leaf($name, stringify!($op), &quote(value.as_ref()))
        }
    };
}

macro_rules! text_ops {
    ($ty:ident, $name:literal) => {
        impl $ty {
            text_op!($name, eq, "Equal to `value`.");
            text_op!($name, ne, "Not equal to `value`.");
            text_op!($name, gt, "Greater than `value`.");
            text_op!($name, ge, "Greater than or equal to `value`.");
            text_op!($name, lt, "Less than `value`.");
            text_op!($name, le, "Less than or equal to `value`.");
            /// Equal to one of `values` (at least one).
            pub fn in_<I, S>(self, values: I) -> Filter
            where
                I: IntoIterator<Item = S>,
                S: AsRef<str>,
            {
                Filter::list($name, values)
            }
            text_op!($name, sw, "Starts with `value`.");
        }
    };
}

/// The `accessRequestId` field: `eq ne gt ge lt le in sw`.
#[derive(Clone, Copy, Debug)]
pub struct AccessRequestIdField(());
text_ops!(AccessRequestIdField, "accessRequestId");

/// The `accountActivityItemId` field: `eq ne gt ge lt le in sw isnull`.
#[derive(Clone, Copy, Debug)]
pub struct AccountActivityItemIdField(());
text_ops!(AccountActivityItemIdField, "accountActivityItemId");

impl AccountActivityItemIdField {
    /// The field has no value.
    pub fn is_null(self) -> Filter {
        Filter {
            expr: "accountActivityItemId isnull".to_owned(),
            error: None,
            terms: vec![("accountActivityItemId", "isnull")],
        }
    }
}

/// The `created` field: `eq ne gt ge lt le`. Date-times are written unquoted in RFC 3339.
#[derive(Clone, Copy, Debug)]
pub struct CreatedField(());

macro_rules! time_op {
    ($op:ident, $doc:literal) => {
        #[doc = $doc]
        pub fn $op(self, at: impl Into<Timestamp>) -> Filter {
            Filter::leaf("created", stringify!($op), &at.into().to_string())
        }
    };
}

impl CreatedField {
    time_op!(eq, "At exactly `at`.");
    time_op!(ne, "Not at `at`.");
    time_op!(gt, "After `at`.");
    time_op!(ge, "At or after `at`.");
    time_op!(lt, "Before `at`.");
    time_op!(le, "At or before `at`.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            Filter::access_request_id().eq(r#"a"b\c"#).as_str(),
            r#"accessRequestId eq "a\"b\\c""#
        );
        assert_eq!(
            Filter::access_request_id().sw("2c9").as_str(),
            r#"accessRequestId sw "2c9""#
        );
        assert_eq!(
            Filter::account_activity_item_id().is_null().as_str(),
            "accountActivityItemId isnull"
        );
        let all = [
            Filter::access_request_id().ne("x"),
            Filter::access_request_id().gt("x"),
            Filter::access_request_id().ge("x"),
            Filter::access_request_id().lt("x"),
            Filter::access_request_id().le("x"),
        ];
        let ops: Vec<&str> = all
            .iter()
            .map(|f| f.as_str().split(' ').nth(1).unwrap())
            .collect();
        assert_eq!(ops, ["ne", "gt", "ge", "lt", "le"]);
    }

    #[test]
    fn created_uses_rfc3339_and_and_joins() {
        let t: Timestamp = "2024-06-12T21:22:23+02:00".parse().unwrap();
        let f = Filter::created()
            .lt(t)
            .and(Filter::account_activity_item_id().eq("x"));
        assert_eq!(
            f.as_str(),
            r#"created lt 2024-06-12T19:22:23Z and accountActivityItemId eq "x""#
        );
        assert!(f.check().is_ok());
    }

    #[test]
    fn empty_in_is_a_validation_error() {
        let f = Filter::access_request_id().in_(Vec::<String>::new());
        assert_eq!(f.check().unwrap_err().rule, "filter.in_non_empty");
        let combined = Filter::created().gt(Timestamp::now()).and(f);
        assert!(combined.check().is_err());
    }
}
