//! The standard collection filter syntax as the look-ups take it: terms
//! `field op value` (`eq ne gt ge lt le sw` with one value, `in` with a
//! parenthesised list) combined with `and`, `or`, `not` and parentheses.
//! Which field takes which operator is data from the spec
//! (`x-filter-operators` of each look-up), checked before evaluation.
//!
//! String comparisons ignore ASCII case (a choice: the vendor does not say;
//! names typed in spreadsheets rarely match the tenant's case exactly).

use crate::filter::{Token, Tokens};

/// A field's value on a record, as the filter sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    Str(&'a str),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Term {
        field: String,
        op: &'static str,
        values: Vec<Literal>,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

/// A parsed look-up filter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Expression(Expr);

const OPERATORS: [&str; 8] = ["eq", "ne", "gt", "ge", "lt", "le", "sw", "in"];
const MAX_DEPTH: usize = 32;

impl Expression {
    /// Parses `input`, refusing any (field, operator) that `documented`
    /// does not list; the error is the text of a 400 answer.
    pub(crate) fn parse(
        input: &str,
        documented: impl Fn(&str) -> &'static [&'static str],
    ) -> Result<Self, String> {
        let mut parser = Parser {
            tokens: Tokens::new(input)?,
        };
        let expr = parser.or(0)?;
        parser.tokens.end(input)?;
        let expression = Expression(expr);
        if let Some((field, op)) = expression.first_undocumented(&documented) {
            let known = documented(&field);
            return Err(if known.is_empty() {
                format!("Invalid filter: filtering is not supported for field '{field}'.")
            } else {
                format!(
                    "Invalid filter: field '{field}' does not support the '{op}' operator (supported: {}).",
                    known.join(", ")
                )
            });
        }
        Ok(expression)
    }

    fn first_undocumented(
        &self,
        documented: &impl Fn(&str) -> &'static [&'static str],
    ) -> Option<(String, &'static str)> {
        fn walk(
            e: &Expr,
            documented: &impl Fn(&str) -> &'static [&'static str],
        ) -> Option<(String, &'static str)> {
            match e {
                Expr::Term { field, op, .. } => {
                    (!documented(field).contains(op)).then(|| (field.clone(), *op))
                }
                Expr::And(all) | Expr::Or(all) => all.iter().find_map(|e| walk(e, documented)),
                Expr::Not(inner) => walk(inner, documented),
            }
        }
        walk(&self.0, documented)
    }

    /// Whether the record whose fields `get` reads satisfies the filter.
    pub(crate) fn matches<'a>(&self, get: &dyn Fn(&str) -> Option<Value<'a>>) -> bool {
        eval(&self.0, get)
    }

    /// The values the filter asks `field` to equal when it is nothing but a
    /// disjunction of `eq`/`in` terms on that field (an index can answer it).
    pub(crate) fn equal_values(&self, field: &str) -> Option<Vec<&str>> {
        fn collect<'e>(e: &'e Expr, field: &str, out: &mut Vec<&'e str>) -> bool {
            match e {
                Expr::Term {
                    field: f,
                    op,
                    values,
                } if f == field && (*op == "eq" || *op == "in") => values.iter().all(|v| match v {
                    Literal::Str(s) => {
                        out.push(s);
                        true
                    }
                    Literal::Bool(_) => false,
                }),
                Expr::Or(all) => all.iter().all(|e| collect(e, field, out)),
                _ => false,
            }
        }
        let mut out = Vec::new();
        collect(&self.0, field, &mut out).then_some(out)
    }
}

fn eval<'a>(e: &Expr, get: &dyn Fn(&str) -> Option<Value<'a>>) -> bool {
    match e {
        Expr::And(all) => all.iter().all(|e| eval(e, get)),
        Expr::Or(all) => all.iter().any(|e| eval(e, get)),
        Expr::Not(inner) => !eval(inner, get),
        Expr::Term { field, op, values } => {
            let Some(actual) = get(field) else {
                return false;
            };
            if *op == "ne" {
                !values.iter().any(|v| compare(actual, "eq", v))
            } else {
                values.iter().any(|v| compare(actual, op, v))
            }
        }
    }
}

fn compare(actual: Value<'_>, op: &str, wanted: &Literal) -> bool {
    use std::cmp::Ordering;
    match (actual, wanted) {
        (Value::Bool(a), Literal::Bool(b)) => (op == "eq" || op == "in") && a == *b,
        (Value::Str(a), Literal::Str(b)) => {
            let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
            let ordering = a.cmp(&b);
            match op {
                "eq" | "in" => ordering == Ordering::Equal,
                "sw" => a.starts_with(&b),
                "gt" => ordering == Ordering::Greater,
                "ge" => ordering != Ordering::Less,
                "lt" => ordering == Ordering::Less,
                "le" => ordering != Ordering::Greater,
                _ => false,
            }
        }
        _ => false,
    }
}

struct Parser {
    tokens: Tokens,
}

impl Parser {
    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        self.joined(depth, "or", Self::and, Expr::Or)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        self.joined(depth, "and", Self::unary, Expr::And)
    }

    /// `part (word part)*`: a lone part stands for itself, more are joined.
    fn joined(
        &mut self,
        depth: usize,
        word: &str,
        part: fn(&mut Self, usize) -> Result<Expr, String>,
        join: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, String> {
        let mut all = vec![part(self, depth)?];
        while self.tokens.take_keyword(word) {
            all.push(part(self, depth)?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            join(all)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth >= MAX_DEPTH {
            return Err("Invalid filter: the expression is nested too deeply.".to_owned());
        }
        if self.tokens.take_keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        match self.tokens.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                match self.tokens.next() {
                    Some(Token::Close) => Ok(inner),
                    _ => Err("Invalid filter: a '(' is not closed.".to_owned()),
                }
            }
            Some(Token::Word(field)) => self.term(field),
            Some(t) => Err(format!(
                "Invalid filter: expected a field name but found {}.",
                t.describe()
            )),
            None => Err("Invalid filter: the expression is empty or ends early.".to_owned()),
        }
    }

    fn term(&mut self, field: String) -> Result<Expr, String> {
        let op = match self.tokens.next() {
            Some(Token::Word(op)) => op.to_ascii_lowercase(),
            _ => {
                return Err(format!(
                    "Invalid filter: expected an operator after '{field}'."
                ))
            }
        };
        let Some(op) = OPERATORS.iter().copied().find(|o| *o == op) else {
            return Err(format!(
                "Invalid filter: unknown operator '{op}' for field '{field}'."
            ));
        };
        let values = if op == "in" {
            self.tokens.list(&field, literal)?
        } else {
            vec![literal(&mut self.tokens, &field)?]
        };
        Ok(Expr::Term { field, op, values })
    }
}

/// A look-up value: a quoted string, or a bare word (`true`/`false` are
/// booleans).
fn literal(tokens: &mut Tokens, field: &str) -> Result<Literal, String> {
    match tokens.next() {
        Some(Token::Quoted(v)) => Ok(Literal::Str(v)),
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => Ok(Literal::Bool(true)),
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => Ok(Literal::Bool(false)),
        Some(Token::Word(w)) => Ok(Literal::Str(w)),
        _ => Err(format!("Invalid filter: missing a value for '{field}'.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(field: &str) -> &'static [&'static str] {
        match field {
            "id" => &["eq", "in"],
            "alias" | "email" => &["eq", "sw"],
            "requestable" => &["eq"],
            _ => &[],
        }
    }

    fn record<'a>(alias: &'a str, requestable: bool) -> impl Fn(&str) -> Option<Value<'a>> {
        move |field| match field {
            "alias" => Some(Value::Str(alias)),
            "requestable" => Some(Value::Bool(requestable)),
            _ => None,
        }
    }

    #[test]
    fn or_and_not_combine_and_case_is_ignored() {
        let e = Expression::parse(
            r#"(alias eq "Ada" or alias eq "alan") and not requestable eq false"#,
            ops,
        )
        .unwrap();
        assert!(e.matches(&record("ada", true)));
        assert!(!e.matches(&record("ada", false)));
        assert!(!e.matches(&record("grace", true)));
        let sw = Expression::parse(r#"alias sw "gr""#, ops).unwrap();
        assert!(sw.matches(&record("Grace", true)));
    }

    #[test]
    fn undocumented_fields_and_operators_are_refused_by_name() {
        let err = Expression::parse(r#"alias in ("a","b")"#, ops).unwrap_err();
        assert!(err.contains("'alias'") && err.contains("'in'"), "{err}");
        let err = Expression::parse(r#"name eq "a""#, ops).unwrap_err();
        assert!(err.contains("'name'"), "{err}");
    }

    #[test]
    fn a_disjunction_of_equalities_names_its_values() {
        let e = Expression::parse(r#"alias eq "a" or alias eq "b""#, ops).unwrap();
        assert_eq!(e.equal_values("alias"), Some(vec!["a", "b"]));
        let e = Expression::parse(r#"id in ("x","y")"#, ops).unwrap();
        assert_eq!(e.equal_values("id"), Some(vec!["x", "y"]));
        let e = Expression::parse(r#"alias sw "a""#, ops).unwrap();
        assert_eq!(e.equal_values("alias"), None);
    }
}
