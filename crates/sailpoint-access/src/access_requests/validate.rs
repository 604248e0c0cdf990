//! The rules a submission and a cancellation must follow, checked before
//! anything is sent. Limits come from the generated `limits` table.

use std::collections::HashSet;

use sailpoint_access_api::limits;
use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestType, CancelAccessRequest, RequestedForDtoRef,
};
use sailpoint_access_api::{Rule, Timestamp};

use crate::error::ValidationError;

/// Most items one request may carry (per identity in the per-identity form).
pub const MAX_ITEMS: usize = limits::ACCESS_REQUEST_REQUESTED_ITEMS_MAX_ITEMS;
/// Most entitlements one GRANT request may carry.
pub const MAX_ENTITLEMENTS: usize = limits::ACCESS_REQUEST_MAX_ENTITLEMENTS;
/// Most identities one GRANT request with entitlements may target.
pub const MAX_IDENTITIES_WITH_ENTITLEMENTS: usize =
    limits::ACCESS_REQUEST_MAX_IDENTITIES_WITH_ENTITLEMENTS;
const MAX_ITEMS_PER_IDENTITY: usize = limits::REQUESTED_FOR_DTO_REF_REQUESTED_ITEMS_MAX_ITEMS;

fn check(ok: bool, rule: Rule, value: impl std::fmt::Display) -> Result<(), ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(rule, value))
    }
}

fn check_limit(
    ok: bool,
    rule: Rule,
    value: impl std::fmt::Display,
    message: String,
) -> Result<(), ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::with_message(rule, value, message))
    }
}

fn check_dates(
    start: Option<&Timestamp>,
    remove: Option<&Timestamp>,
    now: Timestamp,
    revoke: bool,
) -> Result<(), ValidationError> {
    if let Some(start) = start {
        check(!revoke, Rule::RevokeNoStartDate, start)?;
        check(*start > now, Rule::DatesStartInFuture, start)?;
    }
    if let Some(remove) = remove {
        check(*remove > now, Rule::DatesRemoveInFuture, remove)?;
    }
    if let (Some(start), Some(remove)) = (start, remove) {
        check(
            start < remove,
            Rule::DatesStartBeforeRemove,
            format!("{start} .. {remove}"),
        )?;
    }
    Ok(())
}

/// Checks a request body against the documented rules, at time `now`.
///
/// Each failure names its [`Rule`]:
/// - `request.form`: either `requestedFor` + `requestedItems`, or
///   `requestedForWithRequestedItems`, not both (the vendor's schema requires
///   the first two while its prose says the per-identity form is used
///   without them; this crate follows the prose); `request.type`: a known type.
/// - `requested_for.non_empty`, `requested_for.id`, `requested_for.unique`.
/// - `requested_items.count`, `item.id`.
/// - `grant.entitlement_limits`: with any entitlement, limited entitlements
///   and identities ([`MAX_ENTITLEMENTS`], [`MAX_IDENTITIES_WITH_ENTITLEMENTS`]).
/// - `revoke.single_identity`, `revoke.single_entitlement`,
///   `revoke.no_start_date`, `revoke.comment_required`.
/// - `dates.start_in_future`, `dates.remove_in_future`, `dates.start_before_remove`.
/// - `per_identity.grant_only`, `per_identity.identity_id`,
///   `per_identity.unique_identity`, `per_identity.items_count`; in that form
///   the entitlement limits apply per identity entry and to the number of entries.
///
/// ```
/// use sailpoint_access::{types, validate_access_request, Timestamp};
///
/// let empty = types::AccessRequest::default();
/// let err = validate_access_request(&empty, Timestamp::now()).unwrap_err();
/// assert_eq!(err.rule, "requested_for.non_empty");
/// ```
pub fn validate_access_request(
    body: &AccessRequest,
    now: Timestamp,
) -> Result<(), ValidationError> {
    let kind = body
        .request_type
        .clone()
        .unwrap_or(AccessRequestType::GrantAccess);
    check(!kind.is_unknown(), Rule::RequestType, &kind)?;
    let revoke = kind == AccessRequestType::RevokeAccess;
    if let Some(entries) = &body.requested_for_with_requested_items {
        check(
            body.requested_for.is_empty() && body.requested_items.is_empty(),
            Rule::RequestForm,
            "requestedForWithRequestedItems with requestedFor/requestedItems",
        )?;
        check(
            kind == AccessRequestType::GrantAccess,
            Rule::PerIdentityGrantOnly,
            &kind,
        )?;
        return validate_per_identity(entries, now);
    }

    check(
        !body.requested_for.is_empty(),
        Rule::RequestedForNonEmpty,
        "[]",
    )?;
    let mut seen = HashSet::new();
    for id in &body.requested_for {
        check(
            !id.trim().is_empty(),
            Rule::RequestedForId,
            format!("{id:?}"),
        )?;
        check(seen.insert(id.as_str()), Rule::RequestedForUnique, id)?;
    }
    let items = &body.requested_items;
    check_limit(
        (1..=MAX_ITEMS).contains(&items.len()),
        Rule::RequestedItemsCount,
        items.len(),
        format!("between 1 and {MAX_ITEMS} items are required"),
    )?;
    for item in items {
        check(
            !item.id.trim().is_empty(),
            Rule::ItemId,
            format!("{:?}", item.id),
        )?;
        check_dates(
            item.start_date.as_ref(),
            item.remove_date.as_ref(),
            now,
            revoke,
        )?;
    }
    let entitlements = items
        .iter()
        .filter(|i| i.type_ == AccessItemType::Entitlement)
        .count();
    if revoke {
        check(
            body.requested_for.len() == 1,
            Rule::RevokeSingleIdentity,
            body.requested_for.len(),
        )?;
        check(
            entitlements <= 1,
            Rule::RevokeSingleEntitlement,
            entitlements,
        )?;
        for item in items {
            check(
                item.comment
                    .as_deref()
                    .is_some_and(|c| !c.trim().is_empty()),
                Rule::RevokeCommentRequired,
                &item.id,
            )?;
        }
    } else if entitlements > 0 {
        entitlement_limits(entitlements, body.requested_for.len(), "per request")?;
    }
    Ok(())
}

fn entitlement_limits(
    entitlements: usize,
    identities: usize,
    scope: &str,
) -> Result<(), ValidationError> {
    check_limit(
        entitlements <= MAX_ENTITLEMENTS,
        Rule::GrantEntitlementLimits,
        entitlements,
        format!("at most {MAX_ENTITLEMENTS} entitlements {scope}"),
    )?;
    check_limit(
        identities <= MAX_IDENTITIES_WITH_ENTITLEMENTS,
        Rule::GrantEntitlementLimits,
        identities,
        format!(
            "at most {MAX_IDENTITIES_WITH_ENTITLEMENTS} identities when entitlements are requested"
        ),
    )
}

fn validate_per_identity(
    entries: &[RequestedForDtoRef],
    now: Timestamp,
) -> Result<(), ValidationError> {
    check(!entries.is_empty(), Rule::RequestedForNonEmpty, "[]")?;
    let mut seen = HashSet::new();
    let mut any_entitlement = false;
    for entry in entries {
        let id = &entry.identity_id;
        check(
            !id.trim().is_empty(),
            Rule::PerIdentityIdentityId,
            format!("{id:?}"),
        )?;
        check(
            seen.insert(id.as_str()),
            Rule::PerIdentityUniqueIdentity,
            id,
        )?;
        let items = &entry.requested_items;
        check_limit(
            (1..=MAX_ITEMS_PER_IDENTITY).contains(&items.len()),
            Rule::PerIdentityItemsCount,
            items.len(),
            format!("between 1 and {MAX_ITEMS_PER_IDENTITY} items per identity are required"),
        )?;
        let entitlements = items
            .iter()
            .filter(|i| i.type_ == AccessItemType::Entitlement)
            .count();
        any_entitlement |= entitlements > 0;
        check_limit(
            entitlements <= MAX_ENTITLEMENTS,
            Rule::GrantEntitlementLimits,
            entitlements,
            format!("at most {MAX_ENTITLEMENTS} entitlements per identity"),
        )?;
        for item in items {
            check(
                !item.id.trim().is_empty(),
                Rule::ItemId,
                format!("{:?}", item.id),
            )?;
            check_dates(
                item.start_date.as_ref(),
                item.remove_date.as_ref(),
                now,
                false,
            )?;
        }
    }
    if any_entitlement {
        entitlement_limits(0, entries.len(), "per identity")?;
    }
    Ok(())
}

/// Checks a cancellation: `cancel.account_activity_id` and `cancel.comment` must not be blank.
///
/// ```
/// use sailpoint_access::{types::CancelAccessRequest, validate_cancel};
///
/// let body = CancelAccessRequest { account_activity_id: "abc".into(), comment: " ".into() };
/// assert_eq!(validate_cancel(&body).unwrap_err().rule, "cancel.comment");
/// ```
pub fn validate_cancel(body: &CancelAccessRequest) -> Result<(), ValidationError> {
    check(
        !body.account_activity_id.trim().is_empty(),
        Rule::CancelAccountActivityId,
        format!("{:?}", body.account_activity_id),
    )?;
    check(
        !body.comment.trim().is_empty(),
        Rule::CancelComment,
        format!("{:?}", body.comment),
    )
}
