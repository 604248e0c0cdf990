//! The `sorters` parameter: comma-separated keys among `created`, `modified`,
//! `accountActivityItemId` and `name`, each optionally prefixed with `-` for
//! descending order.

use std::cmp::Ordering;

use sailpoint_access_api::types::RequestedItemStatus;

/// A field the status list sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SortField {
    Created,
    Modified,
    AccountActivityItemId,
    Name,
}

/// One sort key with its direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SortKey {
    field: SortField,
    descending: bool,
}

/// Parses `sorters`; the error is a message for a 400 response.
pub(crate) fn parse_sorters(input: &str) -> Result<Vec<SortKey>, String> {
    let mut keys = Vec::new();
    for part in input.split(',') {
        let part = part.trim();
        let (descending, name) = match part.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, part),
        };
        let field = match name {
            "created" => SortField::Created,
            "modified" => SortField::Modified,
            "accountActivityItemId" => SortField::AccountActivityItemId,
            "name" => SortField::Name,
            "" => return Err(format!("Invalid sorters {input:?}: an empty sort key.")),
            other => {
                return Err(format!(
                    "Invalid sorters {input:?}: sorting is not supported for field '{other}' (supported: created, modified, accountActivityItemId, name)."
                ))
            }
        };
        keys.push(SortKey { field, descending });
    }
    Ok(keys)
}

/// Orders two statuses by `keys`; missing values sort first (last when descending).
pub(crate) fn compare(
    keys: &[SortKey],
    a: &RequestedItemStatus,
    b: &RequestedItemStatus,
) -> Ordering {
    for key in keys {
        let ordering = match key.field {
            SortField::Created => a.created.cmp(&b.created),
            SortField::Modified => a.modified.cmp(&b.modified),
            SortField::AccountActivityItemId => {
                a.account_activity_item_id.cmp(&b.account_activity_item_id)
            }
            SortField::Name => a.name.cmp(&b.name),
        };
        let ordering = if key.descending {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_directions() {
        let keys = parse_sorters("created,-modified, name").unwrap();
        assert_eq!(keys.len(), 3);
        assert!(!keys[0].descending && keys[1].descending);
        assert_eq!(keys[2].field, SortField::Name);
        assert!(parse_sorters("priority")
            .unwrap_err()
            .contains("'priority'"));
        assert!(parse_sorters("created,").is_err());
    }

    #[test]
    fn compares_with_ties_broken_by_later_keys() {
        let a = RequestedItemStatus {
            name: Some("a".into()),
            account_activity_item_id: Some("2".into()),
            ..Default::default()
        };
        let b = RequestedItemStatus {
            name: Some("a".into()),
            account_activity_item_id: Some("1".into()),
            ..Default::default()
        };
        let keys = parse_sorters("name,accountActivityItemId").unwrap();
        assert_eq!(compare(&keys, &a, &b), Ordering::Greater);
        let keys = parse_sorters("name,-accountActivityItemId").unwrap();
        assert_eq!(compare(&keys, &a, &b), Ordering::Less);
    }
}
