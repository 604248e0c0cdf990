//! Fingerprints of what a bulk run sends, so a journal recognises a request
//! (and each row in it) by its content rather than by its place in a plan.
//!
//! A fingerprint is the SHA-256, in lower-case hex, of a canonical JSON
//! text: object keys sorted, no spaces, arrays whose order carries no
//! meaning sorted (the identities of a request, its items, the entries of
//! the per-identity form). The idempotency key (`clientMetadata`
//! `sailpointAccessKey`) is left out, since it names the run, not the
//! content. The same content gives the same fingerprint in any run, on any
//! machine and with any release of this crate that keeps this definition.
//!
//! - A **request** fingerprint covers the whole body: request type,
//!   identities, items and every setting the planner put in it (comment,
//!   dates, client metadata, account selections, ...).
//! - A **row** fingerprint covers one identity and one item: the request
//!   type, the identity, and the item with all its settings; it does not
//!   depend on how the planner grouped the rows.

use sailpoint_access_api::types::{AccessRequest, AccessRequestType};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::plan::BulkRow;
use super::run::KEY_METADATA;

/// The fingerprint of a request body (its idempotency key left out).
pub(super) fn of_request(body: &AccessRequest) -> String {
    let mut value = serde_json::to_value(body).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        if let Some(Value::Object(metadata)) = object.get_mut("clientMetadata") {
            metadata.remove(KEY_METADATA);
            if metadata.is_empty() {
                object.remove("clientMetadata");
            }
        }
        for unordered in ["requestedFor", "requestedItems"] {
            sort_array(object.get_mut(unordered));
        }
        if let Some(Value::Array(entries)) = object.get_mut("requestedForWithRequestedItems") {
            for entry in entries.iter_mut() {
                sort_array(entry.get_mut("requestedItems"));
            }
        }
        sort_array(object.get_mut("requestedForWithRequestedItems"));
    }
    digest(&value)
}

/// The fingerprint of one row of a plan of type `request_type`.
pub(super) fn of_row(request_type: &AccessRequestType, row: &BulkRow) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct RowContent<'a> {
        request_type: &'a AccessRequestType,
        identity: &'a str,
        item: &'a sailpoint_access_api::types::AccessRequestItem,
    }
    let content = RowContent {
        request_type,
        identity: &row.identity,
        item: row.item.as_inner(),
    };
    digest(&serde_json::to_value(content).unwrap_or(Value::Null))
}

/// Sorts an array by the canonical text of its elements.
fn sort_array(value: Option<&mut Value>) {
    if let Some(Value::Array(items)) = value {
        items.sort_by_cached_key(canonical);
    }
}

fn digest(value: &Value) -> String {
    let hash = Sha256::digest(canonical(value).as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// JSON text with object keys sorted at every level, whatever order the
/// map keeps them in.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sailpoint_access_api::types::AccessItemType;

    fn row(identity: &str, item: &str) -> BulkRow {
        BulkRow::new(identity, AccessItemType::Role, item)
    }

    #[test]
    fn a_row_fingerprint_is_stable_and_follows_every_setting() {
        let grant = AccessRequestType::GrantAccess;
        let base = of_row(&grant, &row("ann", "role-1"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, of_row(&grant, &row("ann", "role-1")));
        let changed = [
            of_row(&grant, &row("bob", "role-1")),
            of_row(&grant, &row("ann", "role-2")),
            of_row(&AccessRequestType::RevokeAccess, &row("ann", "role-1")),
            of_row(&grant, &row("ann", "role-1").comment("why")),
            of_row(&grant, &row("ann", "role-1").metadata("k", "v")),
            of_row(
                &grant,
                &row("ann", "role-1").start_date(
                    "2030-01-01T00:00:00Z"
                        .parse::<sailpoint_access_api::Timestamp>()
                        .unwrap(),
                ),
            ),
        ];
        for other in &changed {
            assert_ne!(&base, other);
        }
    }

    #[test]
    fn a_request_fingerprint_ignores_order_and_the_key() {
        let body = |who: &[&str], key: &str| {
            let mut body = AccessRequest {
                request_type: Some(AccessRequestType::GrantAccess),
                requested_for: who.iter().map(|s| s.to_string()).collect(),
                requested_items: vec![
                    crate::ops::access_requests::Item::new(AccessItemType::Role, "r1").into(),
                    crate::ops::access_requests::Item::new(AccessItemType::Role, "r2").into(),
                ],
                ..Default::default()
            };
            body.client_metadata
                .insert(KEY_METADATA.to_owned(), key.to_owned());
            body
        };
        let a = of_request(&body(&["ann", "bob"], "RUN/1"));
        assert_eq!(a, of_request(&body(&["bob", "ann"], "OTHER/7")));
        assert_ne!(a, of_request(&body(&["ann", "cid"], "RUN/1")));
        let mut reordered = body(&["ann", "bob"], "RUN/1");
        reordered.requested_items.reverse();
        assert_eq!(a, of_request(&reordered));
        let mut commented = body(&["ann", "bob"], "RUN/1");
        commented.requested_items[0].comment = Some("why".into());
        assert_ne!(a, of_request(&commented));
    }

    #[test]
    fn the_canonical_text_sorts_keys() {
        let value: Value = serde_json::from_str(r#"{"b":1,"a":{"d":[2,1],"c":null}}"#).unwrap();
        assert_eq!(canonical(&value), r#"{"a":{"c":null,"d":[2,1]},"b":1}"#);
        // SHA-256 of the canonical text, pinned: a change of definition is seen.
        let value: Value = serde_json::from_str(r#"{ "b": [true, null], "a": 1 }"#).unwrap();
        assert_eq!(
            digest(&value),
            "1cc69c7fa23616ca2ec3ee70d24390a6225c8832db8a4c814c7e0e7f942f8668"
        );
    }
}
