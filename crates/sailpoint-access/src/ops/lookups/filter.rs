//! The `filters` expression of the look-ups: terms combined with `and`,
//! `or` and `not`. Which field takes which operator differs per look-up
//! and is data from the spec (`x-filter-operators`); a look-up checks its
//! filter against its own operation's list before anything is sent.

use std::fmt;

pub(crate) use crate::ops::statuses::filter::quote;

/// A filter expression for a look-up, such as `alias eq "ada"`.
///
/// ```
/// use sailpoint_access::LookupFilter;
///
/// let f = LookupFilter::eq("alias", "ada.lovelace")
///     .or(LookupFilter::eq("email", "a\"b@example.com"))
///     .and(LookupFilter::is("requestable", true).not());
/// assert_eq!(
///     f.to_string(),
///     r#"(alias eq "ada.lovelace" or email eq "a\"b@example.com") and (not requestable eq true)"#
/// );
/// assert_eq!(f.terms(), [("alias", "eq"), ("email", "eq"), ("requestable", "eq")]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupFilter {
    expr: String,
    /// Every (field, operator) it uses, to check against a look-up's list.
    terms: Vec<(String, &'static str)>,
    /// Whether `expr` is a single term (no parentheses needed to combine it).
    simple: bool,
    /// Whether some `in` lists no value.
    empty_in: bool,
}

impl LookupFilter {
    fn term(field: &str, op: &'static str, value: String) -> Self {
        Self {
            expr: format!("{field} {op} {value}"),
            terms: vec![(field.to_owned(), op)],
            simple: true,
            empty_in: false,
        }
    }

    /// `field eq "value"`.
    pub fn eq(field: &str, value: impl AsRef<str>) -> Self {
        Self::term(field, "eq", quote(value.as_ref()))
    }

    /// `field sw "prefix"`.
    pub fn sw(field: &str, prefix: impl AsRef<str>) -> Self {
        Self::term(field, "sw", quote(prefix.as_ref()))
    }

    /// `field in ("a","b")`; an empty list is refused when the look-up is sent.
    pub fn in_<I, S>(field: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let values: Vec<String> = values.into_iter().map(|v| quote(v.as_ref())).collect();
        let empty_in = values.is_empty();
        Self {
            empty_in,
            ..Self::term(field, "in", format!("({})", values.join(",")))
        }
    }

    /// `field eq true|false`, for boolean fields such as `requestable`.
    pub fn is(field: &str, value: bool) -> Self {
        Self::term(field, "eq", value.to_string())
    }

    fn combine(self, word: &str, other: LookupFilter) -> Self {
        let wrap = |f: LookupFilter| {
            if f.simple {
                f.expr
            } else {
                format!("({})", f.expr)
            }
        };
        let mut terms = self.terms.clone();
        terms.extend(other.terms.iter().cloned());
        let empty_in = self.empty_in || other.empty_in;
        Self {
            expr: format!("{} {word} {}", wrap(self), wrap(other)),
            terms,
            simple: false,
            empty_in,
        }
    }

    /// Both must hold.
    pub fn and(self, other: LookupFilter) -> Self {
        self.combine("and", other)
    }

    /// Either may hold.
    pub fn or(self, other: LookupFilter) -> Self {
        self.combine("or", other)
    }

    /// The opposite.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Self {
        let expr = if self.simple {
            format!("not {}", self.expr)
        } else {
            format!("not ({})", self.expr)
        };
        Self {
            expr,
            terms: self.terms,
            simple: false,
            empty_in: self.empty_in,
        }
    }

    /// Joins `filters` with `or` (`None` for none).
    pub fn any_of(filters: impl IntoIterator<Item = LookupFilter>) -> Option<Self> {
        filters.into_iter().reduce(|a, b| {
            // Flat `a or b or c`: an `or` of simple terms needs no parentheses.
            let mut terms = a.terms;
            terms.extend(b.terms);
            LookupFilter {
                expr: format!("{} or {}", a.expr, b.expr),
                terms,
                simple: false,
                empty_in: a.empty_in || b.empty_in,
            }
        })
    }

    /// The expression as sent.
    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// Every (field, operator) it uses, in order.
    pub fn terms(&self) -> Vec<(&str, &'static str)> {
        self.terms.iter().map(|(f, op)| (f.as_str(), *op)).collect()
    }

    pub(crate) fn has_empty_in(&self) -> bool {
        self.empty_in
    }
}

impl fmt::Display for LookupFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expr)
    }
}
