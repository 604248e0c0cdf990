//! `sail-access config get|diff|apply`: the access request configuration
//! as JSON or YAML, compared field by field, applied read-modify-write.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;
use serde_json::Value;

use sailpoint_access::{merge_patch, AccessRequestConfigs, Client, ConfigDocument};

use crate::error::{self, CliError, CliResult};
use crate::output::{note, table_row, Output, OutputArgs, Report};
use crate::prompt::confirm;

/// `sail-access config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration (or write it to --file).
    #[command(
        after_help = "Examples:\n  sail-access config get -o yaml\n  sail-access config get --file tenant.json\n  sail-access config get --v2"
    )]
    Get {
        /// Output format (default: from --file's extension, else json);
        /// table and csv show one field a row, jsonl one field a line.
        #[arg(short, long, value_enum)]
        output: Option<Output>,
        /// Same as --output json.
        #[arg(long, conflicts_with = "output")]
        json: bool,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// The v2 configuration (versioned family).
        #[arg(long)]
        v2: bool,
    },
    /// Compare a file with the tenant, field by field.
    #[command(after_help = concat!(
        "Examples:\n  sail-access config diff tenant.yaml\n",
        "  sail-access config diff tenant.yaml --exit-code || echo \"the tenant drifted\"\n",
        "Exit code: 0, or with --exit-code 1 when a field differs and 0 when none does."
    ))]
    Diff {
        /// A JSON or YAML document: every field it names is compared.
        file: PathBuf,
        /// The v2 configuration.
        #[arg(long)]
        v2: bool,
        #[command(flatten)]
        output: OutputArgs,
        /// Exit 1 when a field differs, 0 when none does (a drift check).
        #[arg(long)]
        exit_code: bool,
    },
    /// Apply a file to the tenant (read, merge, write), showing the diff first.
    #[command(after_help = concat!(
        "Example:\n  sail-access config get --file tenant.json && $EDITOR tenant.json\n",
        "  sail-access config apply tenant.json --dry-run\n  sail-access config apply tenant.json --yes\n",
        "Fields the file does not name keep their values; unknown keys in the file are refused."
    ))]
    Apply {
        /// A JSON or YAML document, loaded strictly (unknown keys are refused).
        file: PathBuf,
        /// The v2 configuration.
        #[arg(long)]
        v2: bool,
        /// Show the diff; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        yes: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
}

/// The format `config get --file` writes by the file's extension.
fn format_of(path: &Path) -> Output {
    match extension(path).as_deref() {
        Some("yaml" | "yml") => Output::Yaml,
        Some("csv") => Output::Csv,
        Some("jsonl" | "ndjson") => Output::Jsonl,
        _ => Output::Json,
    }
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

table_row! {
    /// One field of a document, for the row formats of `config get`.
    #[derive(Debug, Serialize)]
    struct Field {
        "FIELD" field: String,
        "VALUE" value: Value,
    }
}

/// The document in `format`: whole for json and yaml, one field (as
/// `path = value`, see [`flatten`]) a row for table, csv and jsonl.
fn render(value: &Value, format: Output) -> Result<Vec<u8>, CliError> {
    let mut leaves = Vec::new();
    flatten("", value, &mut leaves);
    let fields: Vec<Field> = leaves
        .into_iter()
        .map(|(field, value)| Field { field, value })
        .collect();
    let report = Report {
        doc: value,
        rows: &fields,
    };
    let mut out = Vec::new();
    report
        .write(&mut out, format)
        .map_err(|e| CliError::failure(format!("cannot write the configuration: {e}")))?;
    Ok(out)
}

/// Reads a JSON or YAML document (by extension) and checks it strictly
/// with the library's loader of `D`: a property the SDK does not know is
/// refused, naming it.
fn load<D: ConfigDocument>(path: &Path) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let value: Value = match extension(path).as_deref() {
        Some("yaml" | "yml") => serde_norway::from_str(&text)
            .map_err(|e| CliError::usage(format!("{} is not YAML: {e}", path.display())))?,
        _ => serde_json::from_str(&text)
            .map_err(|e| CliError::usage(format!("{} is not JSON: {e}", path.display())))?,
    };
    if !value.is_object() {
        return Err(CliError::usage(format!(
            "{} must hold one object (the configuration)",
            path.display()
        )));
    }
    D::from_json_strict(&value.to_string()).map_err(|e| {
        CliError::usage(format!("{}: {}", path.display(), CliError::from(e).message))
    })?;
    Ok(value)
}

/// Leaves as `path = value`, arrays by index.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        leaf => out.push((prefix.to_owned(), leaf.clone())),
    }
}

table_row! {
    /// One field that differs.
    #[derive(Debug, Serialize, PartialEq)]
    struct Change {
        "FIELD" field: String,
        "TENANT" tenant: Option<Value> => shown,
        "FILE" file: Option<Value> => shown,
    }
}

/// A side of a change as a cell.
fn shown(value: &Option<Value>) -> String {
    value
        .as_ref()
        .map_or("(absent)".to_owned(), Value::to_string)
}

fn diff(tenant: &Value, wanted: &Value) -> Vec<Change> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten("", tenant, &mut a);
    flatten("", wanted, &mut b);
    let a: std::collections::BTreeMap<String, Value> = a.into_iter().collect();
    let b: std::collections::BTreeMap<String, Value> = b.into_iter().collect();
    let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| a.get(*f) != b.get(*f))
        .map(|f| Change {
            field: f.clone(),
            tenant: a.get(f).cloned(),
            file: b.get(f).cloned(),
        })
        .collect()
}

fn show(changes: &[Change], output: Output) -> std::io::Result<()> {
    Report {
        doc: &changes,
        rows: changes,
    }
    .print(output)
}

async fn current<D: ConfigDocument>(handle: &AccessRequestConfigs<D>) -> Result<Value, CliError> {
    encode(handle.get().await?)
}

fn encode(document: impl Serialize) -> Result<Value, CliError> {
    serde_json::to_value(document)
        .map_err(|e| CliError::failure(format!("cannot encode the configuration: {e}")))
}

/// Reads `file` and the tenant's document and shows the fields the file
/// would change: (the file's document, the tenant's with it laid over, the
/// changes).
async fn compare<D: ConfigDocument>(
    handle: &AccessRequestConfigs<D>,
    file: &Path,
    output: Output,
) -> Result<(Value, Value, Vec<Change>), CliError> {
    let wanted = load::<D>(file)?;
    let tenant = current(handle).await?;
    let mut merged = tenant.clone();
    merge_patch(&mut merged, &wanted);
    let changes = diff(&tenant, &merged);
    show(&changes, output)?;
    Ok((wanted, merged, changes))
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, CliError> {
    serde_json::from_value(value)
        .map_err(|e| CliError::usage(format!("the merged configuration is not valid: {e}")))
}

pub async fn exec(client: &Client, command: ConfigCommand) -> CliResult {
    let v2 = match &command {
        ConfigCommand::Get { v2, .. }
        | ConfigCommand::Diff { v2, .. }
        | ConfigCommand::Apply { v2, .. } => *v2,
    };
    if v2 {
        run_on(client.access_request_config_v2(), command).await
    } else {
        run_on(client.access_request_config(), command).await
    }
}

/// The command on one document, whichever it is.
async fn run_on<D: ConfigDocument>(
    handle: AccessRequestConfigs<D>,
    command: ConfigCommand,
) -> CliResult {
    match command {
        ConfigCommand::Get {
            output, file, json, ..
        } => {
            let value = current(&handle).await?;
            let format = json
                .then_some(Output::Json)
                .or(output)
                .or_else(|| file.as_deref().map(format_of))
                .unwrap_or(Output::Json);
            let text = render(&value, format)?;
            match file {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| {
                        CliError::failure(format!("cannot write {}: {e}", path.display()))
                    })?;
                    note!("wrote {}", path.display());
                }
                None => std::io::stdout().write_all(&text)?,
            }
            Ok(error::OK)
        }
        ConfigCommand::Diff {
            file,
            output,
            exit_code,
            ..
        } => {
            let (_, _, changes) = compare(&handle, &file, output.format()).await?;
            note!("{} field(s) differ", changes.len());
            Ok(if exit_code && !changes.is_empty() {
                error::FAILURE
            } else {
                error::OK
            })
        }
        ConfigCommand::Apply {
            file,
            dry_run,
            yes,
            output,
            ..
        } => {
            let (wanted, merged, changes) = compare(&handle, &file, output.format()).await?;
            if changes.is_empty() {
                note!("no field differs: nothing to apply");
                return Ok(error::OK);
            }
            if dry_run {
                note!(
                    "dry run: {} field(s) would change; nothing was sent",
                    changes.len()
                );
                return Ok(error::OK);
            }
            confirm(
                &format!("apply {} change(s) to the tenant?", changes.len()),
                yes,
            )?;
            // Read-modify-write: the file is laid over what the tenant has
            // at the time of the write, so fields it does not name (and
            // properties this SDK does not know) keep their values.
            decode::<D>(merged.clone())?;
            let stored = handle.merge(wanted.clone()).await?;
            let stored = encode(stored)?;
            let mut expected = stored.clone();
            merge_patch(&mut expected, &wanted);
            let left = diff(&stored, &expected);
            if left.is_empty() {
                note!("applied {} change(s)", changes.len());
                Ok(error::OK)
            } else {
                eprintln!(
                    "the tenant did not keep {} field(s): {}",
                    left.len(),
                    left.iter()
                        .map(|c| c.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                Ok(error::PARTIAL)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_keeps_fields_the_patch_does_not_name() {
        let mut base = json!({"a": true, "b": {"c": 1, "d": [1, 2]}, "x": "keep"});
        merge_patch(&mut base, &json!({"b": {"c": 2, "d": [3]}}));
        assert_eq!(
            base,
            json!({"a": true, "b": {"c": 2, "d": [3]}, "x": "keep"})
        );
    }

    #[test]
    fn diff_is_field_by_field() {
        let changes = diff(
            &json!({"a": true, "b": {"c": 1, "d": [1, 2]}}),
            &json!({"a": true, "b": {"c": 2, "d": [1]}, "e": "new"}),
        );
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["b.c", "b.d[1]", "e"]);
        assert_eq!(changes[1].file, None);
        assert_eq!(changes[2].tenant, None);
    }
}
