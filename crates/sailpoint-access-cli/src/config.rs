//! `sail-access config get|diff|apply`: the access request configuration
//! as JSON or YAML, compared field by field, applied read-modify-write.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use sailpoint_access::types::{AccessRequestConfig, AccessRequestConfigV2};
use sailpoint_access::{config_from_json_strict, Client};

use crate::cli::{ConfigCommand, DocFormat, ReportOutput};
use crate::error::{self, CliError, CliResult};
use crate::prompt::confirm;
use crate::table;

fn format_of(path: &Path) -> DocFormat {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("yaml" | "yml") => DocFormat::Yaml,
        _ => DocFormat::Json,
    }
}

fn render(value: &Value, format: DocFormat) -> Result<String, CliError> {
    match format {
        DocFormat::Json => serde_json::to_string_pretty(value)
            .map(|s| s + "\n")
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}"))),
        DocFormat::Yaml => serde_norway::to_string(value)
            .map_err(|e| CliError::failure(format!("cannot write YAML: {e}"))),
    }
}

/// Reads a JSON or YAML document (by extension) and checks it strictly:
/// a property the SDK does not know is refused, naming it.
fn load(path: &Path, v2: bool) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let value: Value = match format_of(path) {
        DocFormat::Yaml => serde_norway::from_str(&text)
            .map_err(|e| CliError::usage(format!("{} is not YAML: {e}", path.display())))?,
        DocFormat::Json => serde_json::from_str(&text)
            .map_err(|e| CliError::usage(format!("{} is not JSON: {e}", path.display())))?,
    };
    if !value.is_object() {
        return Err(CliError::usage(format!(
            "{} must hold one object (the configuration)",
            path.display()
        )));
    }
    let strict: Result<(), CliError> = if v2 {
        strict_v2(&value)
    } else {
        config_from_json_strict(&value.to_string())
            .map(|_| ())
            .map_err(CliError::from)
    };
    strict.map_err(|e| CliError::usage(format!("{}: {}", path.display(), e.message)))?;
    Ok(value)
}

/// The library has a strict reader for the v1/v3 document only; the v2 one
/// is checked here on the properties it keeps as `extra`.
fn strict_v2(value: &Value) -> Result<(), CliError> {
    let cfg: AccessRequestConfigV2 = serde_json::from_value(value.clone())
        .map_err(|e| CliError::usage(format!("not a v2 access request configuration: {e}")))?;
    let mut unknown: Vec<String> = Vec::new();
    let mut note = |prefix: &str, extra: &Map<String, Value>| {
        unknown.extend(extra.keys().map(|k| format!("{prefix}{k}")));
    };
    note("", &cfg.extra);
    if let Some(part) = &cfg.request_on_behalf_of_config {
        note("requestOnBehalfOfConfig.", &part.extra);
    }
    if let Some(part) = &cfg.entitlement_request_config {
        note("entitlementRequestConfig.", &part.extra);
        if let Some(r) = &part.revocation_request_config {
            note(
                "entitlementRequestConfig.revocationRequestConfig.",
                &r.extra,
            );
        }
    }
    if unknown.is_empty() {
        Ok(())
    } else {
        unknown.sort();
        Err(CliError::usage(format!(
            "invalid document (document.known_fields): unknown properties (misspelt?); got {}",
            unknown.join(", ")
        )))
    }
}

/// `over` laid on `base`: objects merge key by key, anything else replaces.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
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

/// One field that differs.
#[derive(Debug, Serialize, PartialEq)]
struct Change {
    field: String,
    tenant: Option<Value>,
    file: Option<Value>,
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

fn show(changes: &[Change], output: ReportOutput) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match output {
        ReportOutput::Json => {
            serde_json::to_writer_pretty(&mut stdout, changes).map_err(std::io::Error::from)?;
            writeln!(stdout)
        }
        ReportOutput::Table => {
            let cell =
                |v: &Option<Value>| v.as_ref().map_or("(absent)".to_owned(), Value::to_string);
            let rows: Vec<Vec<String>> = changes
                .iter()
                .map(|c| vec![c.field.clone(), cell(&c.tenant), cell(&c.file)])
                .collect();
            table::write(&mut stdout, &["FIELD", "TENANT", "FILE"], &rows)
        }
    }
}

async fn current(client: &Client, v2: bool) -> Result<Value, CliError> {
    let value = if v2 {
        serde_json::to_value(client.access_request_config_v2().get().await?)
    } else {
        serde_json::to_value(client.access_request_config().get().await?)
    };
    value.map_err(|e| CliError::failure(format!("cannot encode the configuration: {e}")))
}

/// Lays `patch` over `cfg` as JSON. A result that no longer decodes leaves
/// `cfg` as it was; the check after the write reports what did not apply.
fn overlay<T: Serialize + serde::de::DeserializeOwned>(cfg: &mut T, patch: &Value) {
    if let Ok(mut v) = serde_json::to_value(&*cfg) {
        merge(&mut v, patch);
        if let Ok(next) = serde_json::from_value(v) {
            *cfg = next;
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, CliError> {
    serde_json::from_value(value)
        .map_err(|e| CliError::usage(format!("the merged configuration is not valid: {e}")))
}

pub async fn run(client: &Client, command: ConfigCommand) -> CliResult {
    match command {
        ConfigCommand::Get { output, file, v2 } => {
            let value = current(client, v2).await?;
            let format = output
                .or_else(|| file.as_deref().map(format_of))
                .unwrap_or(DocFormat::Json);
            let text = render(&value, format)?;
            match file {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| {
                        CliError::failure(format!("cannot write {}: {e}", path.display()))
                    })?;
                    eprintln!("wrote {}", path.display());
                }
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
            Ok(error::OK)
        }
        ConfigCommand::Diff { file, v2, output } => {
            let wanted = load(&file, v2)?;
            let tenant = current(client, v2).await?;
            let mut merged = tenant.clone();
            merge(&mut merged, &wanted);
            let changes = diff(&tenant, &merged);
            show(&changes, output)?;
            eprintln!("{} field(s) differ", changes.len());
            Ok(error::OK)
        }
        ConfigCommand::Apply {
            file,
            v2,
            dry_run,
            yes,
            output,
        } => {
            let wanted = load(&file, v2)?;
            let tenant = current(client, v2).await?;
            let mut merged = tenant.clone();
            merge(&mut merged, &wanted);
            let changes = diff(&tenant, &merged);
            show(&changes, output)?;
            if changes.is_empty() {
                eprintln!("no field differs: nothing to apply");
                return Ok(error::OK);
            }
            if dry_run {
                eprintln!(
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
            let stored = if v2 {
                decode::<AccessRequestConfigV2>(merged.clone())?;
                let patch = wanted.clone();
                let out = client
                    .access_request_config_v2()
                    .update(move |cfg| overlay(cfg, &patch))
                    .await?;
                serde_json::to_value(out)
            } else {
                decode::<AccessRequestConfig>(merged.clone())?;
                let patch = wanted.clone();
                let out = client
                    .access_request_config()
                    .update(move |cfg| overlay(cfg, &patch))
                    .await?;
                serde_json::to_value(out)
            }
            .map_err(|e| CliError::failure(format!("cannot encode the configuration: {e}")))?;
            let mut expected = stored.clone();
            merge(&mut expected, &wanted);
            let left = diff(&stored, &expected);
            if left.is_empty() {
                eprintln!("applied {} change(s)", changes.len());
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
        merge(&mut base, &json!({"b": {"c": 2, "d": [3]}}));
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
