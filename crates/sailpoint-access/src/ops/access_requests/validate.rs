//! The rules a submission and a cancellation must follow, checked before
//! anything is sent. Limits come from the generated `limits` table.

use std::collections::HashSet;

use sailpoint_access_api::limits;
use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestType, CancelAccessRequest, IdentityType,
    RequestedForDtoRef, SourceItemRef,
};
use sailpoint_access_api::{Family, Rule, Timestamp};

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

/// What the rules read of one item, in either form.
struct ItemView<'a> {
    id: &'a str,
    entitlement: bool,
    comment: Option<&'a str>,
    start: Option<&'a Timestamp>,
    remove: Option<&'a Timestamp>,
    form_instance_id: Option<&'a str>,
    /// `accountSelection` (per-identity form only).
    accounts: Option<&'a [SourceItemRef]>,
}

/// Whether an entry of the per-identity form is for a machine identity.
/// An identity type the vendor may add later counts as human: only
/// `MACHINE` brings the machine rules.
fn is_machine(entry: &RequestedForDtoRef) -> bool {
    entry.identity_type == Some(IdentityType::Machine)
}

/// Exactly one source with exactly one account that names itself.
fn one_account(selection: Option<&[SourceItemRef]>) -> bool {
    match selection {
        Some([source]) => match source.accounts.as_deref() {
            Some([account]) => {
                let named = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
                named(&account.account_uuid) || named(&account.native_identity)
            }
            _ => false,
        },
        _ => false,
    }
}

/// Checks a request body against the documented rules of `family`, at time
/// `now`.
///
/// Each failure names its [`Rule`]; when several are broken, the first in
/// this order is reported (the sandbox follows the same precedence, and a
/// property test compares the two):
/// 1. `request.type` (a known type); `request.form`: either `requestedFor` +
///    `requestedItems`, or `requestedForWithRequestedItems`, not both (the
///    vendor's schema requires the first two while its prose says the
///    per-identity form is used without them; this crate follows the prose);
/// 2. per-identity form: `machine.versioned_only` (an entry with
///    `identityType: MACHINE` outside the versioned family: v3 documents no
///    identity type), `machine.not_mixed` (the versioned family refuses
///    human and machine entries in one request), `per_identity.grant_only`
///    (human entries: GRANT_ACCESS only; the versioned family's description
///    of the create call lets machine entries GRANT, MODIFY and REVOKE),
///    `requested_for.non_empty`, then per entry `per_identity.identity_id`,
///    `per_identity.unique_identity`, `per_identity.items_count`; otherwise
///    `requested_for.non_empty`, `requested_for.id`, `requested_for.unique`,
///    `requested_items.count`;
/// 3. `item.id`, then in the versioned family `item.form_instance_id` (a
///    blank `formInstanceId`: the vendor answers 400; v3 has no forms);
/// 4. machine entries, per item: `machine.entitlements_only`; for GRANT and
///    MODIFY `machine.account_selection` (one source, one account), for
///    MODIFY `machine.modify_dates`; for REVOKE
///    `machine.revoke_no_account_selection`;
/// 5. REVOKE_ACCESS: `revoke.single_identity`, `revoke.single_entitlement`,
///    `revoke.no_start_date`, `revoke.comment_required`; otherwise, with any
///    entitlement, `grant.entitlement_limits` ([`MAX_ENTITLEMENTS`] per
///    identity, [`MAX_IDENTITIES_WITH_ENTITLEMENTS`] identities);
/// 6. per item: `dates.start_in_future`, `dates.remove_in_future`,
///    `dates.start_before_remove`.
///
/// ```
/// use sailpoint_access::{types, validate_access_request, Family, Timestamp};
///
/// let empty = types::AccessRequest::default();
/// let err = validate_access_request(Family::V3, &empty, Timestamp::now()).unwrap_err();
/// assert_eq!(err.rule, "requested_for.non_empty");
/// ```
pub fn validate_access_request(
    family: Family,
    body: &AccessRequest,
    now: Timestamp,
) -> Result<(), ValidationError> {
    let kind = body
        .request_type
        .clone()
        .unwrap_or(AccessRequestType::GrantAccess);
    check(!kind.is_unknown(), Rule::RequestType, &kind)?;
    let mut machine = false;
    let (identities, lists) = match &body.requested_for_with_requested_items {
        Some(entries) => {
            check(
                body.requested_for.is_empty() && body.requested_items.is_empty(),
                Rule::RequestForm,
                "requestedForWithRequestedItems with requestedFor/requestedItems",
            )?;
            let machines = entries.iter().filter(|e| is_machine(e)).count();
            if machines > 0 && family != Family::Versioned {
                return Err(ValidationError::new(
                    Rule::MachineVersionedOnly,
                    format!("identityType MACHINE in the {family} family"),
                ));
            }
            check(
                machines == 0 || machines == entries.len(),
                Rule::MachineNotMixed,
                format!(
                    "{machines} machine and {} human entries",
                    entries.len() - machines
                ),
            )?;
            machine = machines > 0;
            check(
                machine || kind == AccessRequestType::GrantAccess,
                Rule::PerIdentityGrantOnly,
                &kind,
            )?;
            per_identity_lists(entries)?
        }
        None => flat_lists(body)?,
    };
    let items = || lists.iter().flatten();
    if let Some(item) = items().find(|i| i.id.trim().is_empty()) {
        return Err(ValidationError::new(Rule::ItemId, format!("{:?}", item.id)));
    }
    // Only the versioned family documents forms.
    let blank_form = |i: &&ItemView<'_>| i.form_instance_id.is_some_and(|f| f.trim().is_empty());
    if let Some(item) = items()
        .find(blank_form)
        .filter(|_| family == Family::Versioned)
    {
        return Err(ValidationError::new(Rule::ItemFormInstanceId, item.id));
    }
    if machine {
        machine_items(&kind, items())?;
    }
    let entitlements = |list: &[ItemView<'_>]| list.iter().filter(|i| i.entitlement).count();
    if kind == AccessRequestType::RevokeAccess {
        check(identities == 1, Rule::RevokeSingleIdentity, identities)?;
        let most = lists.iter().map(|l| entitlements(l)).max().unwrap_or(0);
        check(most <= 1, Rule::RevokeSingleEntitlement, most)?;
        if let Some(item) = items().find(|i| i.start.is_some()) {
            return Err(ValidationError::new(Rule::RevokeNoStartDate, item.id));
        }
        if let Some(item) = items().find(|i| i.comment.is_none_or(|c| c.trim().is_empty())) {
            return Err(ValidationError::new(Rule::RevokeCommentRequired, item.id));
        }
    } else {
        let most = lists.iter().map(|l| entitlements(l)).max().unwrap_or(0);
        if most > 0 {
            check_limit(
                most <= MAX_ENTITLEMENTS,
                Rule::GrantEntitlementLimits,
                most,
                format!("at most {MAX_ENTITLEMENTS} entitlements per identity"),
            )?;
            check_limit(
                identities <= MAX_IDENTITIES_WITH_ENTITLEMENTS,
                Rule::GrantEntitlementLimits,
                identities,
                format!(
                    "at most {MAX_IDENTITIES_WITH_ENTITLEMENTS} identities when entitlements are requested"
                ),
            )?;
        }
    }
    for item in items() {
        if let Some(start) = item.start {
            check(*start > now, Rule::DatesStartInFuture, start)?;
        }
        if let Some(remove) = item.remove {
            check(*remove > now, Rule::DatesRemoveInFuture, remove)?;
        }
        if let (Some(start), Some(remove)) = (item.start, item.remove) {
            check(
                start < remove,
                Rule::DatesStartBeforeRemove,
                format!("{start} .. {remove}"),
            )?;
        }
    }
    Ok(())
}

/// The machine rules of the versioned family, per item.
fn machine_items<'a>(
    kind: &AccessRequestType,
    items: impl Iterator<Item = &'a ItemView<'a>> + Clone,
) -> Result<(), ValidationError> {
    if let Some(item) = items.clone().find(|i| !i.entitlement) {
        return Err(ValidationError::new(Rule::MachineEntitlementsOnly, item.id));
    }
    for item in items {
        match kind {
            AccessRequestType::RevokeAccess => {
                check(
                    item.accounts.is_none(),
                    Rule::MachineRevokeNoAccountSelection,
                    item.id,
                )?;
            }
            _ => {
                check(
                    one_account(item.accounts),
                    Rule::MachineAccountSelection,
                    item.id,
                )?;
                if *kind == AccessRequestType::ModifyAccess {
                    check(
                        item.start.is_some() || item.remove.is_some(),
                        Rule::MachineModifyDates,
                        item.id,
                    )?;
                }
            }
        }
    }
    Ok(())
}

type Lists<'a> = (usize, Vec<Vec<ItemView<'a>>>);

/// An identity id is not blank (`blank`) and not named before (`repeated`).
fn check_identity<'a>(
    seen: &mut HashSet<&'a str>,
    id: &'a str,
    blank: Rule,
    repeated: Rule,
) -> Result<(), ValidationError> {
    check(!id.trim().is_empty(), blank, format!("{id:?}"))?;
    check(seen.insert(id), repeated, id)
}

/// 1 to `max` items (`per` says of what), else `rule` is broken.
fn check_count(n: usize, max: usize, rule: Rule, per: &str) -> Result<(), ValidationError> {
    check_limit(
        (1..=max).contains(&n),
        rule,
        n,
        format!("between 1 and {max} items{per} are required"),
    )
}

/// The view of a wire item: both item types name these fields alike.
macro_rules! item_view {
    ($item:ident, $accounts:expr) => {
        ItemView {
            id: &$item.id,
            entitlement: $item.type_ == AccessItemType::Entitlement,
            comment: $item.comment.as_deref(),
            start: $item.start_date.as_ref(),
            remove: $item.remove_date.as_ref(),
            form_instance_id: $item.form_instance_id.as_deref(),
            accounts: $accounts,
        }
    };
}

fn flat_lists(body: &AccessRequest) -> Result<Lists<'_>, ValidationError> {
    check(
        !body.requested_for.is_empty(),
        Rule::RequestedForNonEmpty,
        "[]",
    )?;
    let mut seen = HashSet::new();
    for id in &body.requested_for {
        check_identity(
            &mut seen,
            id,
            Rule::RequestedForId,
            Rule::RequestedForUnique,
        )?;
    }
    check_count(
        body.requested_items.len(),
        MAX_ITEMS,
        Rule::RequestedItemsCount,
        "",
    )?;
    let items = body
        .requested_items
        .iter()
        .map(|i| item_view!(i, None))
        .collect();
    Ok((body.requested_for.len(), vec![items]))
}

fn per_identity_lists(entries: &[RequestedForDtoRef]) -> Result<Lists<'_>, ValidationError> {
    check(!entries.is_empty(), Rule::RequestedForNonEmpty, "[]")?;
    let mut seen = HashSet::new();
    for entry in entries {
        check_identity(
            &mut seen,
            &entry.identity_id,
            Rule::PerIdentityIdentityId,
            Rule::PerIdentityUniqueIdentity,
        )?;
        check_count(
            entry.requested_items.len(),
            MAX_ITEMS_PER_IDENTITY,
            Rule::PerIdentityItemsCount,
            " per identity",
        )?;
    }
    let lists = entries
        .iter()
        .map(|entry| {
            entry
                .requested_items
                .iter()
                .map(|i| item_view!(i, i.account_selection.as_deref()))
                .collect()
        })
        .collect();
    Ok((entries.len(), lists))
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
