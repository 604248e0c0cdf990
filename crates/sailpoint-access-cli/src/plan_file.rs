//! Reading a plan file: CSV or JSON lines, each row with its line number.
//! A row that does not parse is refused with its line and the reason, and
//! never stops the others.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::Path;

use clap::ValueEnum;
use sailpoint_access::bulk::BulkRow;
use sailpoint_access::types::AccessItemType;
use sailpoint_access::{IdentityRef, ItemRef, Rule, Timestamp};

use crate::error::CliError;

/// Plan file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

/// Why the command line refused a row of a plan file before the library
/// saw it. The codes are stable: reports and scripts match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CliRule {
    /// The row cannot be read at all (not a CSV row, not JSON).
    Parse,
    /// An item type the command line does not know.
    ItemType,
    /// A date that is not RFC 3339.
    Date,
    /// A metadata column that is not `k=v;k2=v2`.
    Metadata,
    /// A required column is empty.
    Required,
    /// A name the tenant does not resolve to exactly one requestable
    /// object (`resolve.not_found`, `resolve.ambiguous`,
    /// `resolve.not_requestable`).
    Resolve(Rule),
}

impl CliRule {
    /// The stable code, as reports show it.
    pub fn code(self) -> &'static str {
        match self {
            CliRule::Parse => "plan.parse",
            CliRule::ItemType => "plan.item_type",
            CliRule::Date => "plan.date",
            CliRule::Metadata => "plan.metadata",
            CliRule::Required => "plan.required",
            CliRule::Resolve(rule) => rule.code(),
        }
    }
}

impl std::fmt::Display for CliRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One row of the file that could not become a `BulkRow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line in the file.
    pub line: u64,
    /// The rule the row broke.
    pub rule: CliRule,
    /// Why, naming the value.
    pub message: String,
    /// What could be read of the row, for the report.
    pub identity: String,
    /// The item type as written.
    pub item_type: String,
    /// The item id as written.
    pub item_id: String,
}

impl BadRow {
    /// A row of which nothing could be read.
    fn unreadable(line: u64, message: String) -> Self {
        Self {
            line,
            rule: CliRule::Parse,
            message,
            identity: String::new(),
            item_type: String::new(),
            item_id: String::new(),
        }
    }
}

/// What a row names by alias, email or name rather than by id: resolved
/// to ids before planning (the `resolve` module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowNames {
    /// The identity, when the row gives an alias or email.
    pub identity: Option<IdentityRef>,
    /// The item, when the row gives a name.
    pub item: Option<ItemRef>,
}

/// The rows read, each with its line, and the rows refused.
#[derive(Debug, Default)]
pub struct PlanFile {
    /// Parsed rows and their lines, in file order.
    pub rows: Vec<(u64, BulkRow)>,
    /// Rows refused while reading.
    pub bad: Vec<BadRow>,
    /// By line, the rows that name something instead of giving its id.
    pub names: BTreeMap<u64, RowNames>,
}

/// Reads `input` in `format`. Fails only when the file as a whole cannot
/// be read (no header, not UTF-8 at all, i/o).
pub fn read(input: impl Read, format: PlanFormat) -> Result<PlanFile, String> {
    match format {
        PlanFormat::Csv => read_csv(input),
        PlanFormat::Jsonl => read_jsonl(input),
    }
}

/// The columns a CSV plan may have. The identity is given by exactly one
/// of `identity` (its id), `alias` or `email`; the item by `id` or `name`,
/// with `source` (the source's name or id) for an entitlement named.
const COLUMNS: [&str; 11] = [
    "identity", "type", "id", "comment", "start", "end", "metadata", "alias", "email", "name",
    "source",
];

fn read_csv(input: impl Read) -> Result<PlanFile, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the CSV header: {e}"))?
        .clone();
    let index = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let unknown: Vec<&str> = headers
        .iter()
        .filter(|h| !COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(h)))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown CSV column(s) {}: the header is {}",
            unknown.join(", "),
            COLUMNS.join(",")
        ));
    }
    let who = [index("identity"), index("alias"), index("email")];
    let what = [index("id"), index("name")];
    let (true, Some(i_type), true) = (
        who.iter().any(Option::is_some),
        index("type"),
        what.iter().any(Option::is_some),
    ) else {
        return Err(format!(
            "the CSV header must name identity (or alias, or email), type and id (or name) (columns: {})",
            COLUMNS.join(",")
        ));
    };
    let i_source = index("source");
    let i_comment = index("comment");
    let i_start = index("start");
    let i_end = index("end");
    let i_metadata = index("metadata");
    let mut out = PlanFile::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.bad
                    .push(BadRow::unreadable(line, format!("not a CSV row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        // Which of identity/alias/email, and of id/name, the row fills.
        let who_given: Vec<(usize, &str)> = who
            .iter()
            .enumerate()
            .filter_map(|(n, i)| field(*i).map(|v| (n, v)))
            .collect();
        let what_given: Vec<(usize, &str)> = what
            .iter()
            .enumerate()
            .filter_map(|(n, i)| field(*i).map(|v| (n, v)))
            .collect();
        let identity = who_given.first().map_or("", |(_, v)| v).to_owned();
        let kind = field(Some(i_type)).unwrap_or_default().to_owned();
        let item_id = what_given.first().map_or("", |(_, v)| v).to_owned();
        let bad = |rule: CliRule, message: String| BadRow {
            line,
            rule,
            message,
            identity: identity.clone(),
            item_type: kind.clone(),
            item_id: item_id.clone(),
        };
        let mut missing = Vec::new();
        for (name, value) in [("identity", &identity), ("type", &kind), ("id", &item_id)] {
            if value.is_empty() {
                missing.push(name);
            }
        }
        if !missing.is_empty() {
            out.bad.push(bad(
                CliRule::Required,
                format!("missing {}", missing.join(", ")),
            ));
            continue;
        }
        if who_given.len() > 1 || what_given.len() > 1 {
            out.bad.push(bad(
                CliRule::Required,
                "give one of identity, alias or email, and one of id or name".to_owned(),
            ));
            continue;
        }
        let item_type = match item_type(&kind) {
            Ok(t) => t,
            Err(m) => {
                out.bad.push(bad(CliRule::ItemType, m));
                continue;
            }
        };
        let names = RowNames {
            identity: match who_given[0].0 {
                1 => Some(IdentityRef::Alias(identity.clone())),
                2 => Some(IdentityRef::Email(identity.clone())),
                _ => None,
            },
            item: (what_given[0].0 == 1).then(|| ItemRef::Name {
                kind: item_type.clone(),
                name: item_id.clone(),
                source: field(i_source).map(str::to_owned),
            }),
        };
        if names.identity.is_some() || names.item.is_some() {
            out.names.insert(line, names);
        }
        let mut row = BulkRow::new(identity.clone(), item_type, item_id.clone());
        if let Some(c) = field(i_comment) {
            row = row.comment(c);
        }
        match (date("start", field(i_start)), date("end", field(i_end))) {
            (Ok(start), Ok(end)) => {
                if let Some(s) = start {
                    row = row.start_date(s);
                }
                if let Some(e) = end {
                    row = row.remove_date(e);
                }
            }
            (Err(m), _) | (_, Err(m)) => {
                out.bad.push(bad(CliRule::Date, m));
                continue;
            }
        }
        match metadata(field(i_metadata).unwrap_or_default()) {
            Ok(pairs) => {
                for (k, v) in pairs {
                    row = row.metadata(k, v);
                }
            }
            Err(m) => {
                out.bad.push(bad(CliRule::Metadata, m));
                continue;
            }
        }
        out.rows.push((line, row));
    }
    Ok(out)
}

fn read_jsonl(input: impl Read) -> Result<PlanFile, String> {
    let mut out = PlanFile::default();
    let reader = std::io::BufReader::new(input);
    for (n, line) in reader.lines().enumerate() {
        let line_no = n as u64 + 1;
        let text = line.map_err(|e| format!("cannot read line {line_no}: {e}"))?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                out.bad
                    .push(BadRow::unreadable(line_no, format!("not JSON: {e}")));
                continue;
            }
        };
        let mut value = value;
        let names = match jsonl_names(&mut value) {
            Ok(names) => names,
            Err(message) => {
                out.bad.push(BadRow {
                    line: line_no,
                    rule: CliRule::Required,
                    message,
                    identity: text_of(&value, "identity"),
                    item_type: text_of(&value, "item_type"),
                    item_id: text_of(&value, "item_id"),
                });
                continue;
            }
        };
        match serde_json::from_value::<BulkRow>(value.clone()) {
            Ok(row) => {
                if let Some(names) = names {
                    out.names.insert(line_no, names);
                }
                out.rows.push((line_no, row));
            }
            Err(e) => out.bad.push(BadRow {
                line: line_no,
                rule: CliRule::Parse,
                message: format!("not a plan row: {e}"),
                identity: text_of(&value, "identity"),
                item_type: text_of(&value, "item_type"),
                item_id: text_of(&value, "item_id"),
            }),
        }
    }
    Ok(out)
}

fn text_of(value: &serde_json::Value, key: &str) -> String {
    value
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A JSON line may name its identity by `alias` or `email` instead of
/// `identity`, and its item by `name` (with `source` for an entitlement)
/// instead of `item_id`, as the CSV columns do. The name stands in the
/// id's field until the resolver replaces it; the keys it came in are
/// taken out, so the row reads as any other.
fn jsonl_names(value: &mut serde_json::Value) -> Result<Option<RowNames>, String> {
    let Some(object) = value.as_object_mut() else {
        return Ok(None);
    };
    let mut take = |key: &str| match object.get(key) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
            let s = s.trim().to_owned();
            object.remove(key);
            Some(s)
        }
        _ => None,
    };
    let (alias, email, name, source) = (take("alias"), take("email"), take("name"), take("source"));
    // An empty value is no value, as an empty CSV cell is.
    let has = |key: &str| {
        object
            .get(key)
            .is_some_and(|v| !v.is_null() && v.as_str() != Some(""))
    };
    let who =
        usize::from(has("identity")) + usize::from(alias.is_some()) + usize::from(email.is_some());
    let what = usize::from(has("item_id")) + usize::from(name.is_some());
    if who > 1 || what > 1 {
        return Err("give one of identity, alias or email, and one of item_id or name".to_owned());
    }
    let identity = match (alias, email) {
        (Some(alias), _) => Some(IdentityRef::Alias(alias)),
        (_, Some(email)) => Some(IdentityRef::Email(email)),
        _ => None,
    };
    if let Some(IdentityRef::Alias(text) | IdentityRef::Email(text)) = &identity {
        object.insert("identity".to_owned(), text.clone().into());
    }
    let item = match name {
        Some(name) => {
            let kind = item_type(
                object
                    .get("item_type")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default(),
            )?;
            object.insert("item_id".to_owned(), name.clone().into());
            object.insert("item_type".to_owned(), kind.as_str().into());
            Some(ItemRef::Name { kind, name, source })
        }
        None => None,
    };
    Ok((identity.is_some() || item.is_some()).then_some(RowNames { identity, item }))
}

/// `role`, `access_profile`, `entitlement`, in any case, with `-` or `_`.
pub fn item_type(text: &str) -> Result<AccessItemType, String> {
    match text.to_ascii_uppercase().replace('-', "_").as_str() {
        "ROLE" => Ok(AccessItemType::Role),
        "ACCESS_PROFILE" => Ok(AccessItemType::AccessProfile),
        "ENTITLEMENT" => Ok(AccessItemType::Entitlement),
        _ => Err(format!(
            "unknown item type {text:?}: expected role, access_profile or entitlement"
        )),
    }
}

fn date(column: &str, text: Option<&str>) -> Result<Option<Timestamp>, String> {
    match text {
        None => Ok(None),
        Some(t) => t.parse::<Timestamp>().map(Some).map_err(|_| {
            format!("{column} {t:?} is not an RFC 3339 date-time (such as 2026-07-01T00:00:00Z)")
        }),
    }
}

/// `k=v;k2=v2` (empty: none).
pub fn metadata(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                if out
                    .insert(k.trim().to_owned(), v.trim().to_owned())
                    .is_some()
                {
                    return Err(format!("metadata key {:?} appears twice", k.trim()));
                }
            }
            _ => {
                return Err(format!(
                    "metadata {pair:?} is not key=value (pairs are separated by ';')"
                ))
            }
        }
    }
    Ok(out)
}

/// Reads the plan at `path` (stdin for `-`) in `format`, or in the format
/// its extension names.
pub(crate) fn load(path: &Path, format: Option<PlanFormat>) -> Result<PlanFile, CliError> {
    let format = format_of(path, format)?;
    read(open(path)?, format).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

/// The format of the plan at `plan`: `format`, or from the extension.
fn format_of(plan: &Path, format: Option<PlanFormat>) -> Result<PlanFormat, CliError> {
    if let Some(f) = format {
        return Ok(f);
    }
    let ext = plan
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(PlanFormat::Csv),
        Some("jsonl" | "ndjson") => Ok(PlanFormat::Jsonl),
        _ => Err(CliError::usage(format!(
            "cannot tell the format of {} from its extension: name it .csv or .jsonl, or pass --format",
            plan.display()
        ))),
    }
}

/// The plan file, or stdin for `-`.
fn open(path: &Path) -> Result<Box<dyn Read>, CliError> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin()));
    }
    File::open(path)
        .map(|f| Box::new(f) as Box<dyn Read>)
        .map_err(|e| CliError::usage(format!("cannot read the plan {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_and_bad_rows_keep_their_lines() {
        let text = "identity,type,id,comment,start,end,metadata\n\
                    alice,role,r1,,,,team=a;cost=1\n\
                    bob,group,g1,,,,\n\
                    carol,ENTITLEMENT,e1,,yesterday,,\n\
                    ,role,r1,,,,\n\
                    dave,access_profile,p1,hi,,,broken\n\
                    erin,Access_Profile,p1,,,,\n";
        let plan = read(text.as_bytes(), PlanFormat::Csv).unwrap();
        let lines: Vec<u64> = plan.rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 7]);
        assert_eq!(plan.rows[0].1.item.as_inner().client_metadata.len(), 2);
        let bad: Vec<(u64, CliRule)> = plan.bad.iter().map(|b| (b.line, b.rule)).collect();
        assert_eq!(
            bad,
            [
                (3, CliRule::ItemType),
                (4, CliRule::Date),
                (5, CliRule::Required),
                (6, CliRule::Metadata)
            ]
        );
    }

    #[test]
    fn jsonl_bad_lines_are_refused_alone() {
        let text = "{\"identity\":\"a\",\"item_type\":\"ROLE\",\"item_id\":\"r\"}\n\n{oops\n\
                    {\"identity\":\"b\",\"item_id\":\"r\"}\n";
        let plan = read(text.as_bytes(), PlanFormat::Jsonl).unwrap();
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.bad.iter().map(|b| b.line).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn jsonl_rows_may_name_the_identity_and_the_item() {
        let text = concat!(
            r#"{"email":"ada@example.com","item_type":"entitlement","name":"Admin","source":"GitHub"}"#,
            "\n",
            r#"{"alias":"alan.turing","item_type":"role","item_id":"r1"}"#,
            "\n",
            r#"{"identity":"i1","alias":"a","item_type":"ROLE","item_id":"r"}"#,
            "\n",
            r#"{"identity":"i2","item_type":"ROLE","item_id":"r2"}"#,
            "\n",
            r#"{"identity":"","alias":"grace.hopper","item_type":"ROLE","item_id":"r3"}"#,
            "\n",
        );
        let plan = read(text.as_bytes(), PlanFormat::Jsonl).unwrap();
        assert_eq!(plan.rows.len(), 4);
        assert_eq!(plan.rows[0].1.identity, "ada@example.com");
        assert_eq!(plan.rows[0].1.item.id(), "Admin");
        assert_eq!(
            plan.rows[0].1.item.item_type(),
            &AccessItemType::Entitlement
        );
        assert_eq!(
            plan.names[&1],
            RowNames {
                identity: Some(IdentityRef::Email("ada@example.com".to_owned())),
                item: Some(ItemRef::Name {
                    kind: AccessItemType::Entitlement,
                    name: "Admin".to_owned(),
                    source: Some("GitHub".to_owned()),
                }),
            }
        );
        assert_eq!(
            plan.names[&2],
            RowNames {
                identity: Some(IdentityRef::Alias("alan.turing".to_owned())),
                item: None,
            }
        );
        assert!(!plan.names.contains_key(&4));
        // An empty identity beside an alias is no identity: the alias counts.
        assert_eq!(plan.rows[3].1.identity, "grace.hopper");
        assert_eq!(
            plan.names[&5].identity,
            Some(IdentityRef::Alias("grace.hopper".to_owned()))
        );
        assert_eq!(plan.bad.len(), 1);
        assert_eq!((plan.bad[0].line, plan.bad[0].rule), (3, CliRule::Required));
    }

    #[test]
    fn rule_codes_are_stable_and_distinct() {
        let codes: Vec<&str> = [
            CliRule::Parse,
            CliRule::ItemType,
            CliRule::Date,
            CliRule::Metadata,
            CliRule::Required,
        ]
        .iter()
        .map(|r| r.code())
        .collect();
        assert_eq!(
            codes,
            [
                "plan.parse",
                "plan.item_type",
                "plan.date",
                "plan.metadata",
                "plan.required"
            ]
        );
        assert_eq!(CliRule::Date.to_string(), "plan.date");
    }

    #[test]
    fn unknown_columns_fail_the_file() {
        let err = read("identity,kind,id\n".as_bytes(), PlanFormat::Csv).unwrap_err();
        assert!(err.contains("kind"), "{err}");
    }
}
