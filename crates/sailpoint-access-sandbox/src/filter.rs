//! The v3 collection filter syntax, for the fields and operators the status
//! list documents:
//!
//! - `accessRequestId`: `eq ne gt ge lt le in sw` (the versioned family's
//!   list refuses `in`, see `ParsedFilter::undocumented`)
//! - `accountActivityItemId`: `eq ne gt ge lt le in sw isnull`
//! - `created`: `eq ne gt ge lt le`, with a date-time (quoted or bare)
//!
//! String values are double-quoted, with `\"` and `\\` as the only escapes;
//! `in` takes a parenthesised, comma-separated list; `and` combines
//! conditions, and parentheses may group them. Anything else is an error
//! whose message names the problem, so the caller can answer 400.

use std::cmp::Ordering;

use sailpoint_access_api::types::RequestedItemStatus;
use sailpoint_access_api::Timestamp;

/// A parsed filter: every condition must hold (only `and` is supported).
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedFilter {
    conditions: Vec<Condition>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StrField {
    AccessRequestId,
    AccountActivityItemId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl StrField {
    fn name(self) -> &'static str {
        match self {
            StrField::AccessRequestId => "accessRequestId",
            StrField::AccountActivityItemId => "accountActivityItemId",
        }
    }
}

impl Cmp {
    fn name(self) -> &'static str {
        match self {
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Cmp::Eq => ordering == Ordering::Equal,
            Cmp::Ne => ordering != Ordering::Equal,
            Cmp::Gt => ordering == Ordering::Greater,
            Cmp::Ge => ordering != Ordering::Less,
            Cmp::Lt => ordering == Ordering::Less,
            Cmp::Le => ordering != Ordering::Greater,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Condition {
    Str(StrField, Cmp, String),
    StartsWith(StrField, String),
    In(StrField, Vec<String>),
    IsNull(StrField),
    Created(Cmp, Timestamp),
}

impl ParsedFilter {
    /// Parses a filter expression; the error is a message for a 400 response.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut parser = Parser {
            tokens: Tokens::new(input)?,
            conditions: Vec::new(),
        };
        parser.expression(0)?;
        parser.tokens.end(input)?;
        Ok(ParsedFilter {
            conditions: parser.conditions,
        })
    }

    /// The first (field, operator) of the filter that `documented` (a
    /// field's operators, as the spec lists them for one family's status
    /// list) does not admit: the versioned family has no
    /// `accessRequestId in`, no `accountActivityItemId lt` or `isnull`.
    pub(crate) fn undocumented(
        &self,
        documented: impl Fn(&str) -> &'static [&'static str],
    ) -> Option<(&'static str, &'static str)> {
        self.conditions
            .iter()
            .map(|c| match c {
                Condition::Str(f, cmp, _) => (f.name(), cmp.name()),
                Condition::StartsWith(f, _) => (f.name(), "sw"),
                Condition::In(f, _) => (f.name(), "in"),
                Condition::IsNull(f) => (f.name(), "isnull"),
                Condition::Created(cmp, _) => ("created", cmp.name()),
            })
            .find(|(field, op)| !documented(field).contains(op))
    }

    /// Whether `status` satisfies every condition.
    pub fn matches(&self, status: &RequestedItemStatus) -> bool {
        self.conditions.iter().all(|c| c.matches(status))
    }
}

impl Condition {
    fn matches(&self, status: &RequestedItemStatus) -> bool {
        match self {
            Condition::Str(field, cmp, value) => field
                .get(status)
                .is_some_and(|v| cmp.holds(v.cmp(value.as_str()))),
            Condition::StartsWith(field, prefix) => {
                field.get(status).is_some_and(|v| v.starts_with(prefix))
            }
            Condition::In(field, values) => field
                .get(status)
                .is_some_and(|v| values.iter().any(|x| x == v)),
            Condition::IsNull(field) => field.get(status).is_none(),
            Condition::Created(cmp, at) => status.created.is_some_and(|c| cmp.holds(c.cmp(at))),
        }
    }
}

impl StrField {
    fn get(self, status: &RequestedItemStatus) -> Option<&str> {
        match self {
            StrField::AccessRequestId => status.access_request_id.as_deref(),
            StrField::AccountActivityItemId => status.account_activity_item_id.as_deref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Token {
    Word(String),
    Quoted(String),
    Open,
    Close,
    Comma,
}

impl Token {
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("'{w}'"),
            Token::Quoted(q) => format!("the string {q:?}"),
            Token::Open => "'('".to_owned(),
            Token::Close => "')'".to_owned(),
            Token::Comma => "','".to_owned(),
        }
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '"' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!(
                                "Invalid filter {input:?}: a string value is not closed with '\"'."
                            ))
                        }
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => value.push(e),
                            Some(other) => {
                                return Err(format!(
                                    "Invalid filter {input:?}: unsupported escape '\\{other}' in a string value (only \\\" and \\\\ are allowed)."
                                ))
                            }
                            None => {
                                return Err(format!(
                                    "Invalid filter {input:?}: a string value ends with a lone '\\'."
                                ))
                            }
                        },
                        Some(ch) => value.push(ch),
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | ',' | '"') {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Tokens,
    conditions: Vec<Condition>,
}

// Deep nesting is pointless with `and` only; a cap keeps recursion bounded.
const MAX_DEPTH: usize = 32;

/// A filter's tokens and where reading stands: what both filter parsers
/// (the status list's and the look-ups') read from.
pub(crate) struct Tokens {
    tokens: Vec<Token>,
    pos: usize,
}

impl Tokens {
    pub(crate) fn new(input: &str) -> Result<Self, String> {
        Ok(Self {
            tokens: tokenize(input)?,
            pos: 0,
        })
    }

    pub(crate) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    pub(crate) fn next(&mut self) -> Option<Token> {
        let token = self.peek().cloned();
        self.pos += 1;
        token
    }

    /// Whether the next token is the keyword `word` (any case); it is
    /// consumed when it is.
    pub(crate) fn take_keyword(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word));
        if found {
            self.pos += 1;
        }
        found
    }

    /// `( value , value ... )` after `in` on `field`, each value read by `value`.
    pub(crate) fn list<T>(
        &mut self,
        field: &str,
        value: impl Fn(&mut Self, &str) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        if self.next() != Some(Token::Open) {
            return Err(format!(
                "Invalid filter: 'in' for '{field}' expects a list such as (\"a\",\"b\")."
            ));
        }
        let mut values = vec![value(self, field)?];
        loop {
            match self.next() {
                Some(Token::Comma) => values.push(value(self, field)?),
                Some(Token::Close) => return Ok(values),
                _ => {
                    return Err(format!(
                        "Invalid filter: the 'in' list for '{field}' is not closed with ')'."
                    ))
                }
            }
        }
    }

    /// Refuses what follows a whole expression of `input`.
    pub(crate) fn end(&self, input: &str) -> Result<(), String> {
        match self.peek() {
            Some(token) => Err(format!(
                "Invalid filter {input:?}: unexpected {} after the end of the expression.",
                token.describe()
            )),
            None => Ok(()),
        }
    }
}

impl Parser {
    fn expression(&mut self, depth: usize) -> Result<(), String> {
        self.term(depth)?;
        loop {
            if self.tokens.take_keyword("and") {
                self.term(depth)?;
                continue;
            }
            match self.tokens.peek() {
                Some(Token::Word(w)) if w.eq_ignore_ascii_case("or") => return Err(
                    "Invalid filter: 'or' is not supported here; only 'and' combines conditions."
                        .to_owned(),
                ),
                _ => return Ok(()),
            }
        }
    }

    fn term(&mut self, depth: usize) -> Result<(), String> {
        match self.tokens.next() {
            Some(Token::Open) => {
                if depth >= MAX_DEPTH {
                    return Err("Invalid filter: parentheses are nested too deeply.".to_owned());
                }
                self.expression(depth + 1)?;
                match self.tokens.next() {
                    Some(Token::Close) => Ok(()),
                    Some(t) => Err(format!(
                        "Invalid filter: expected ')' but found {}.",
                        t.describe()
                    )),
                    None => Err("Invalid filter: a '(' is not closed.".to_owned()),
                }
            }
            Some(Token::Word(field)) => {
                if field.eq_ignore_ascii_case("not") {
                    return Err("Invalid filter: 'not' is not supported here.".to_owned());
                }
                let condition = self.comparison(&field)?;
                self.conditions.push(condition);
                Ok(())
            }
            Some(t) => Err(format!(
                "Invalid filter: expected a field name but found {}.",
                t.describe()
            )),
            None => Err("Invalid filter: the expression is empty or ends early.".to_owned()),
        }
    }

    fn comparison(&mut self, field: &str) -> Result<Condition, String> {
        let op = match self.tokens.next() {
            Some(Token::Word(op)) => op,
            Some(t) => {
                return Err(format!(
                    "Invalid filter: expected an operator after '{field}' but found {}.",
                    t.describe()
                ))
            }
            None => {
                return Err(format!(
                    "Invalid filter: expected an operator after '{field}'."
                ))
            }
        };
        let op_lower = op.to_ascii_lowercase();
        let cmp = match op_lower.as_str() {
            "eq" => Some(Cmp::Eq),
            "ne" => Some(Cmp::Ne),
            "gt" => Some(Cmp::Gt),
            "ge" => Some(Cmp::Ge),
            "lt" => Some(Cmp::Lt),
            "le" => Some(Cmp::Le),
            "in" | "sw" | "isnull" => None,
            _ => {
                return Err(format!(
                    "Invalid filter: unknown operator '{op}' for field '{field}'."
                ))
            }
        };
        let unsupported =
            || format!("Invalid filter: operator '{op}' is not supported for field '{field}'.");
        match field {
            "accessRequestId" | "accountActivityItemId" => {
                let sf = if field == "accessRequestId" {
                    StrField::AccessRequestId
                } else {
                    StrField::AccountActivityItemId
                };
                match (cmp, op_lower.as_str()) {
                    (Some(cmp), _) => Ok(Condition::Str(sf, cmp, string(&mut self.tokens, field)?)),
                    (None, "sw") => Ok(Condition::StartsWith(sf, string(&mut self.tokens, field)?)),
                    (None, "in") => Ok(Condition::In(sf, self.tokens.list(field, string)?)),
                    (None, "isnull") if sf == StrField::AccountActivityItemId => {
                        Ok(Condition::IsNull(sf))
                    }
                    _ => Err(unsupported()),
                }
            }
            "created" => match cmp {
                Some(cmp) => {
                    let raw = match self.tokens.next() {
                        Some(Token::Quoted(v) | Token::Word(v)) => v,
                        _ => {
                            return Err(
                                "Invalid filter: expected a date-time after the operator for 'created'."
                                    .to_owned(),
                            )
                        }
                    };
                    let at = Timestamp::parse(&raw)
                        .map_err(|e| format!("Invalid filter value for 'created': {e}."))?;
                    Ok(Condition::Created(cmp, at))
                }
                None => Err(unsupported()),
            },
            other => Err(format!(
                "Invalid filter: filtering is not supported for field '{other}' (supported: accessRequestId, accountActivityItemId, created)."
            )),
        }
    }
}

/// The status list's values are double-quoted strings only.
fn string(tokens: &mut Tokens, field: &str) -> Result<String, String> {
    match tokens.next() {
        Some(Token::Quoted(v)) => Ok(v),
        Some(t) => Err(format!(
            "Invalid filter: the value for '{field}' must be a double-quoted string, found {}.",
            t.describe()
        )),
        None => Err(format!("Invalid filter: missing a value for '{field}'.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(aai: Option<&str>, ar: &str, created: &str) -> RequestedItemStatus {
        RequestedItemStatus {
            account_activity_item_id: aai.map(str::to_owned),
            access_request_id: Some(ar.to_owned()),
            created: Some(created.parse().unwrap()),
            ..Default::default()
        }
    }

    #[test]
    fn parses_and_matches_each_operator() {
        let s = status(Some("abc"), "r1", "2024-06-01T00:00:00Z");
        let yes = [
            r#"accountActivityItemId eq "abc""#,
            r#"accountActivityItemId ne "abd""#,
            r#"accountActivityItemId gt "abb""#,
            r#"accountActivityItemId ge "abc""#,
            r#"accountActivityItemId lt "abd""#,
            r#"accountActivityItemId le "abc""#,
            r#"accountActivityItemId sw "ab""#,
            r#"accountActivityItemId in ("x", "abc")"#,
            r#"accessRequestId eq "r1" and created ge 2024-06-01T00:00:00Z"#,
            r#"(accessRequestId in ("r1")) and (created lt "2024-07-01T00:00:00Z")"#,
        ];
        for f in yes {
            assert!(ParsedFilter::parse(f).unwrap().matches(&s), "{f}");
        }
        let no = [
            r#"accountActivityItemId eq "abd""#,
            r#"accountActivityItemId isnull"#,
            r#"created gt 2024-06-01T00:00:00Z"#,
        ];
        for f in no {
            assert!(!ParsedFilter::parse(f).unwrap().matches(&s), "{f}");
        }
        let missing = status(None, "r1", "2024-06-01T00:00:00Z");
        assert!(ParsedFilter::parse("accountActivityItemId isnull")
            .unwrap()
            .matches(&missing));
    }

    #[test]
    fn escapes_in_strings() {
        let s = status(Some(r#"a"b\c"#), "r", "2024-06-01T00:00:00Z");
        assert!(ParsedFilter::parse(r#"accountActivityItemId eq "a\"b\\c""#)
            .unwrap()
            .matches(&s));
    }

    #[test]
    fn rejects_with_a_message_naming_the_problem() {
        let cases = [
            ("name eq \"x\"", "field 'name'"),
            (
                "created sw \"2024\"",
                "'sw' is not supported for field 'created'",
            ),
            ("accessRequestId isnull", "'isnull' is not supported"),
            ("accessRequestId co \"x\"", "unknown operator 'co'"),
            ("accessRequestId eq x", "double-quoted"),
            ("accessRequestId eq \"x", "not closed"),
            ("accessRequestId eq \"\\n\"", "unsupported escape"),
            (
                "accessRequestId eq \"a\" or accessRequestId eq \"b\"",
                "'or'",
            ),
            ("created gt yesterday", "'created'"),
            ("accessRequestId in \"a\"", "expects a list"),
            ("accessRequestId in (\"a\"", "not closed"),
            ("", "empty"),
            ("(accessRequestId eq \"a\"", "not closed"),
            ("accessRequestId eq \"a\" )", "unexpected"),
        ];
        for (input, needle) in cases {
            let err = ParsedFilter::parse(input).expect_err(input);
            assert!(err.contains(needle), "{input}: {err}");
        }
    }
}
