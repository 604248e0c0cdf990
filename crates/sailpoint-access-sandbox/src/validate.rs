//! The rules the service enforces beyond the schema, as the vendor documents
//! them: on submissions, cancels, status queries and the configuration.
//!
//! Each refusal of a documented rule is a `(Rule, message)`: the handlers
//! answer it with a 400 whose `messages[0].text` is the message and whose
//! `causes[0].text` is the rule's code. This is the sandbox's own reading of
//! the documentation, written apart from the client's checks, so that the
//! two can be compared.

use std::collections::{HashMap, HashSet};

use sailpoint_access_api::limits;
use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestConfig, AccessRequestConfigV2, AccessRequestItem,
    AccessRequestType, BulkCancelAccessRequests, CancelAccessRequest, CloseAccessRequests,
    CloseCompletionStatus, CloseExecutionStatus, EntitlementApprovalScheme,
    EntitlementApproverType, IdentityType, RequestedItemDtoRef, RequestedItemState, SourceItemRef,
};
use sailpoint_access_api::{Family, Rule, Timestamp};

/// A broken rule and the human message for it.
pub(crate) type Failure = (Rule, String);

fn broken<T>(rule: Rule, text: impl Into<String>) -> Result<T, Failure> {
    Err((rule, text.into()))
}

/// One requested item for one identity, after validation.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) kind: AccessItemType,
    pub(crate) id: String,
    pub(crate) comment: Option<String>,
    pub(crate) client_metadata: HashMap<String, String>,
    pub(crate) start_date: Option<Timestamp>,
    pub(crate) remove_date: Option<Timestamp>,
    /// Read by the versioned family only.
    pub(crate) form_instance_id: Option<String>,
}

/// `Item` and `ItemView` from both item forms (a submission's items and
/// the per-identity form's), which share these fields; only the
/// per-identity form has an account selection.
macro_rules! from_item_form {
    ($form:ty, |$i:ident| $account_selection:expr) => {
        impl From<$form> for Item {
            fn from(i: $form) -> Self {
                Item {
                    kind: i.type_,
                    id: i.id,
                    comment: i.comment,
                    client_metadata: i.client_metadata,
                    start_date: i.start_date,
                    remove_date: i.remove_date,
                    form_instance_id: i.form_instance_id,
                }
            }
        }

        impl<'a> From<&'a $form> for ItemView<'a> {
            fn from($i: &'a $form) -> Self {
                ItemView {
                    kind: &$i.type_,
                    id: &$i.id,
                    comment: $i.comment.as_deref(),
                    start_date: $i.start_date,
                    remove_date: $i.remove_date,
                    form_instance_id: $i.form_instance_id.as_deref(),
                    account_selection: $account_selection,
                }
            }
        }
    };
}

from_item_form!(AccessRequestItem, |_i| None);
from_item_form!(RequestedItemDtoRef, |i| i.account_selection.as_ref());

/// A request that passed validation: the items for each identity.
#[derive(Debug)]
pub(crate) struct Validated {
    pub(crate) request_type: AccessRequestType,
    pub(crate) targets: Vec<(String, Vec<Item>)>,
    pub(crate) client_metadata: HashMap<String, String>,
}

/// What the rules look at in an item, whichever form it came in.
#[derive(Clone, Copy)]
struct ItemView<'a> {
    kind: &'a AccessItemType,
    id: &'a str,
    comment: Option<&'a str>,
    start_date: Option<Timestamp>,
    remove_date: Option<Timestamp>,
    form_instance_id: Option<&'a str>,
    account_selection: Option<&'a Vec<SourceItemRef>>,
}

/// Checks a decoded `POST /v3/access-requests` body against every
/// documented rule, as the sandbox does before accepting it, and names the
/// first rule it breaks.
///
/// This is the sandbox's own implementation of the rules (it shares no code
/// with the client's checks), so tests can use it as an oracle: for any
/// request, a client-side check and this function should agree on the
/// [`Rule`]. The error is the rule and the message the sandbox answers with
/// in `messages[0].text`; the 400 response carries `rule.code()` in
/// `causes[0].text`.
///
/// `now` is the instant dates must lie after. When a request breaks several
/// rules, the first in this order is reported:
///
/// 1. `request.type` (an unknown `requestType`; absent means GRANT_ACCESS);
/// 2. `request.form` (`requestedForWithRequestedItems` together with
///    `requestedFor` or `requestedItems`);
/// 3. for `requestedForWithRequestedItems`: `per_identity.grant_only`,
///    `requested_for.non_empty` (an empty list), then per entry in order
///    `per_identity.identity_id`, `per_identity.unique_identity`,
///    `per_identity.items_count` (1 to
///    `limits::REQUESTED_FOR_DTO_REF_REQUESTED_ITEMS_MAX_ITEMS` items);
///    otherwise `requested_for.non_empty`, `requested_for.id`,
///    `requested_for.unique`, `requested_items.count` (1 to
///    `limits::ACCESS_REQUEST_REQUESTED_ITEMS_MAX_ITEMS` items);
/// 4. `item.id` (a blank item id);
/// 5. for REVOKE_ACCESS: `revoke.single_identity`,
///    `revoke.single_entitlement`, `revoke.no_start_date`,
///    `revoke.comment_required`; for the other types, with any entitlement:
///    `grant.entitlement_limits` (at most
///    `limits::ACCESS_REQUEST_MAX_ENTITLEMENTS` entitlements per identity and
///    `limits::ACCESS_REQUEST_MAX_IDENTITIES_WITH_ENTITLEMENTS` identities);
/// 6. per item in order: `dates.start_in_future`, `dates.remove_in_future`,
///    `dates.start_before_remove`.
///
/// The item `type` is a schema matter, not a rule: the sandbox refuses an
/// unknown one while decoding (a 400 without `causes`), and this function
/// does not look at it.
///
/// ```
/// use sailpoint_access_api::types::AccessRequest;
/// use sailpoint_access_api::{Family, Rule, Timestamp};
/// use sailpoint_access_sandbox::validate_access_request;
///
/// let request: AccessRequest = serde_json::from_value(serde_json::json!({
///     "requestType": "REVOKE_ACCESS",
///     "requestedFor": ["identity-1", "identity-2"],
///     "requestedItems": [{"type": "ROLE", "id": "role-1", "comment": "left the team"}]
/// }))?;
/// let (rule, message) = validate_access_request(Family::V3, &request, Timestamp::now()).unwrap_err();
/// assert_eq!(rule, Rule::RevokeSingleIdentity);
/// assert!(message.contains("single identity"));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn validate_access_request(
    family: Family,
    request: &AccessRequest,
    now: Timestamp,
) -> Result<(), (Rule, String)> {
    check_access_request(family, request, now).map(|_| ())
}

/// The checks of [`validate_access_request`]; returns the effective type.
fn check_access_request(
    family: Family,
    request: &AccessRequest,
    now: Timestamp,
) -> Result<AccessRequestType, Failure> {
    let request_type = request
        .request_type
        .clone()
        .unwrap_or(AccessRequestType::GrantAccess);
    if request_type.is_unknown() {
        return broken(
            Rule::RequestType,
            format!(
                "Invalid requestType '{}': expected GRANT_ACCESS, REVOKE_ACCESS or MODIFY_ACCESS.",
                request_type.as_str()
            ),
        );
    }

    // The identities and, per identity, the items (one list shared by every
    // identity in the plain form, checked once).
    let mut machine = false;
    let (identities, lists): (Vec<&str>, Vec<Vec<ItemView<'_>>>) = match &request
        .requested_for_with_requested_items
    {
        Some(per_identity) => {
            if !request.requested_for.is_empty() || !request.requested_items.is_empty() {
                return broken(
                        Rule::RequestForm,
                        "Use either requestedFor with requestedItems, or requestedForWithRequestedItems, not both.",
                    );
            }
            // Only the versioned family knows `identityType`; a v3 tenant
            // ignores the property, so every entry counts as human there.
            let machine_entries = per_identity
                .iter()
                .filter(|e| {
                    family == Family::Versioned && e.identity_type == Some(IdentityType::Machine)
                })
                .count();
            if machine_entries > 0 && machine_entries < per_identity.len() {
                return broken(
                    Rule::MachineNotMixed,
                    "Mixed human and machine identities in one request are not supported.",
                );
            }
            machine = machine_entries > 0;
            if !machine && request_type != AccessRequestType::GrantAccess {
                return broken(
                        Rule::PerIdentityGrantOnly,
                        format!(
                            "requestedForWithRequestedItems is only supported for GRANT_ACCESS of human identities, not {}.",
                            request_type.as_str()
                        ),
                    );
            }
            if per_identity.is_empty() {
                return broken(
                    Rule::RequestedForNonEmpty,
                    "requestedForWithRequestedItems must list at least one identity.",
                );
            }
            let mut seen = HashSet::new();
            for entry in per_identity {
                let identity = entry.identity_id.as_str();
                if identity.trim().is_empty() {
                    return broken(
                        Rule::PerIdentityIdentityId,
                        "requestedForWithRequestedItems contains an empty identityId.",
                    );
                }
                if !seen.insert(identity) {
                    return broken(
                            Rule::PerIdentityUniqueIdentity,
                            format!(
                                "Identity {identity} is listed more than once in requestedForWithRequestedItems."
                            ),
                        );
                }
                let n = entry.requested_items.len();
                if n < limits::REQUESTED_FOR_DTO_REF_REQUESTED_ITEMS_MIN_ITEMS {
                    return broken(
                        Rule::PerIdentityItemsCount,
                        format!("No items are requested for identity {identity}."),
                    );
                }
                if n > limits::REQUESTED_FOR_DTO_REF_REQUESTED_ITEMS_MAX_ITEMS {
                    return broken(
                            Rule::PerIdentityItemsCount,
                            format!(
                                "requestedItems of identity {identity} has {n} items; at most {} are allowed per identity.",
                                limits::REQUESTED_FOR_DTO_REF_REQUESTED_ITEMS_MAX_ITEMS
                            ),
                        );
                }
            }
            per_identity
                .iter()
                .map(|entry| {
                    (
                        entry.identity_id.as_str(),
                        entry.requested_items.iter().map(ItemView::from).collect(),
                    )
                })
                .unzip()
        }
        None => {
            if request.requested_for.is_empty() {
                return broken(
                    Rule::RequestedForNonEmpty,
                    "requestedFor is required and must list at least one identity.",
                );
            }
            let mut seen = HashSet::new();
            for identity in &request.requested_for {
                if identity.trim().is_empty() {
                    return broken(
                        Rule::RequestedForId,
                        "requestedFor contains an empty identity id.",
                    );
                }
                if !seen.insert(identity.as_str()) {
                    return broken(
                        Rule::RequestedForUnique,
                        format!("Identity {identity} is listed more than once in requestedFor."),
                    );
                }
            }
            let n = request.requested_items.len();
            if n < limits::ACCESS_REQUEST_REQUESTED_ITEMS_MIN_ITEMS {
                return broken(
                    Rule::RequestedItemsCount,
                    "requestedItems is required and must list at least one item.",
                );
            }
            if n > limits::ACCESS_REQUEST_REQUESTED_ITEMS_MAX_ITEMS {
                return broken(
                    Rule::RequestedItemsCount,
                    format!(
                        "requestedItems has {n} items; at most {} are allowed in one request.",
                        limits::ACCESS_REQUEST_REQUESTED_ITEMS_MAX_ITEMS
                    ),
                );
            }
            let identities = request.requested_for.iter().map(String::as_str).collect();
            let items = request.requested_items.iter().map(ItemView::from).collect();
            (identities, vec![items])
        }
    };
    let items = || lists.iter().flatten();

    if items().any(|i| i.id.trim().is_empty()) {
        return broken(Rule::ItemId, "A requested item has an empty id.");
    }
    // Forms exist in the versioned family only; v3 ignores the property.
    let blank_form = |i: &&ItemView<'_>| i.form_instance_id.is_some_and(|f| f.trim().is_empty());
    if let Some(item) = items()
        .find(blank_form)
        .filter(|_| family == Family::Versioned)
    {
        return broken(
            Rule::ItemFormInstanceId,
            format!("formInstanceId of item {} is empty.", item.id),
        );
    }
    if machine {
        check_machine_items(&request_type, items())?;
    }

    let entitlements = |list: &[ItemView<'_>]| {
        list.iter()
            .filter(|i| *i.kind == AccessItemType::Entitlement)
            .count()
    };
    if request_type == AccessRequestType::RevokeAccess {
        // Only the plain form gets here: one list for every identity.
        if identities.len() != 1 {
            return broken(
                Rule::RevokeSingleIdentity,
                format!(
                    "REVOKE_ACCESS can only be requested for a single identity, not {}.",
                    identities.len()
                ),
            );
        }
        if lists.iter().any(|l| entitlements(l) > 1) {
            return broken(
                Rule::RevokeSingleEntitlement,
                "REVOKE_ACCESS is limited to 1 entitlement per request.",
            );
        }
        if let Some(item) = items().find(|i| i.start_date.is_some()) {
            return broken(
                Rule::RevokeNoStartDate,
                format!(
                    "startDate is not allowed with REVOKE_ACCESS (item {}).",
                    item.id
                ),
            );
        }
        // A sunset on a revoked entitlement was refused in 2024 and is
        // accepted since 2026; the sandbox behaves like today's tenants.
        if let Some(item) = items().find(|i| i.comment.is_none_or(|c| c.trim().is_empty())) {
            return broken(
                Rule::RevokeCommentRequired,
                format!(
                    "A comment is required for each item of a REVOKE_ACCESS request (item {}).",
                    item.id
                ),
            );
        }
    } else {
        let most = lists.iter().map(|l| entitlements(l)).max().unwrap_or(0);
        if most > limits::ACCESS_REQUEST_MAX_ENTITLEMENTS {
            return broken(
                Rule::GrantEntitlementLimits,
                format!(
                    "{most} entitlements were requested; at most {} are allowed in one request.",
                    limits::ACCESS_REQUEST_MAX_ENTITLEMENTS
                ),
            );
        }
        if most > 0 && identities.len() > limits::ACCESS_REQUEST_MAX_IDENTITIES_WITH_ENTITLEMENTS {
            return broken(
                Rule::GrantEntitlementLimits,
                format!(
                    "{} identities were given; at most {} are allowed when entitlements are requested.",
                    identities.len(),
                    limits::ACCESS_REQUEST_MAX_IDENTITIES_WITH_ENTITLEMENTS
                ),
            );
        }
    }

    for item in items() {
        if item.start_date.is_some_and(|d| d <= now) {
            return broken(
                Rule::DatesStartInFuture,
                format!("startDate of item {} must be in the future.", item.id),
            );
        }
        if item.remove_date.is_some_and(|d| d <= now) {
            return broken(
                Rule::DatesRemoveInFuture,
                format!("removeDate of item {} must be in the future.", item.id),
            );
        }
        if let (Some(start), Some(remove)) = (item.start_date, item.remove_date) {
            if remove <= start {
                return broken(
                    Rule::DatesStartBeforeRemove,
                    format!(
                        "removeDate of item {} must be after its startDate.",
                        item.id
                    ),
                );
            }
        }
    }
    Ok(request_type)
}

/// The versioned family's constraints on the items of machine identities.
fn check_machine_items<'a>(
    request_type: &AccessRequestType,
    items: impl Iterator<Item = &'a ItemView<'a>> + Clone,
) -> Result<(), Failure> {
    if let Some(item) = items
        .clone()
        .find(|i| *i.kind != AccessItemType::Entitlement)
    {
        return broken(
            Rule::MachineEntitlementsOnly,
            format!(
                "Item {} is a {}: machine identity access requests support ENTITLEMENT only.",
                item.id,
                item.kind.as_str()
            ),
        );
    }
    for item in items {
        let selection = item.account_selection.map(Vec::as_slice);
        if *request_type == AccessRequestType::RevokeAccess {
            if selection.is_some() {
                return broken(
                    Rule::MachineRevokeNoAccountSelection,
                    format!(
                        "accountSelection is not supported on a machine REVOKE_ACCESS (item {}); use nativeIdentity.",
                        item.id
                    ),
                );
            }
            continue;
        }
        let accounts = match selection {
            Some([only]) => only.accounts.as_deref().unwrap_or_default(),
            _ => &[],
        };
        let usable = |v: Option<&str>| v.is_some_and(|s| !s.trim().is_empty());
        let one_account = accounts.len() == 1
            && (usable(accounts[0].account_uuid.as_deref())
                || usable(accounts[0].native_identity.as_deref()));
        if !one_account {
            return broken(
                Rule::MachineAccountSelection,
                format!(
                    "Item {} needs accountSelection with exactly one source and one account carrying accountUuid or nativeIdentity.",
                    item.id
                ),
            );
        }
        if *request_type == AccessRequestType::ModifyAccess
            && item.start_date.is_none()
            && item.remove_date.is_none()
        {
            return broken(
                Rule::MachineModifyDates,
                format!(
                    "Item {} of a machine MODIFY_ACCESS needs startDate and/or removeDate.",
                    item.id
                ),
            );
        }
    }
    Ok(())
}

/// The schema check the generated types cannot make while decoding: item
/// types are an open enum there, the service knows three. The error is the
/// text of a plain 400 (no rule: the body does not match the schema).
pub(crate) fn check_item_types(request: &AccessRequest) -> Result<(), String> {
    let plain = request.requested_items.iter().map(|i| (&i.type_, &i.id));
    let per_identity = request
        .requested_for_with_requested_items
        .iter()
        .flatten()
        .flat_map(|e| e.requested_items.iter().map(|i| (&i.type_, &i.id)));
    match plain.chain(per_identity).find(|(kind, _)| kind.is_unknown()) {
        Some((kind, id)) => Err(format!(
            "Invalid type '{}' for requested item {id:?}: expected ROLE, ACCESS_PROFILE or ENTITLEMENT.",
            kind.as_str()
        )),
        None => Ok(()),
    }
}

/// Validates a decoded body against the service's rules and splits it into
/// the items of each identity.
pub(crate) fn validate(
    family: Family,
    request: AccessRequest,
    now: Timestamp,
) -> Result<Validated, Failure> {
    let request_type = check_access_request(family, &request, now)?;
    let targets = match request.requested_for_with_requested_items {
        Some(per_identity) => per_identity
            .into_iter()
            .map(|entry| {
                let items = entry.requested_items.into_iter().map(Item::from).collect();
                (entry.identity_id, items)
            })
            .collect(),
        None => {
            let items: Vec<Item> = request
                .requested_items
                .into_iter()
                .map(Item::from)
                .collect();
            request
                .requested_for
                .into_iter()
                .map(|identity| (identity, items.clone()))
                .collect()
        }
    };
    Ok(Validated {
        request_type,
        targets,
        client_metadata: request.client_metadata,
    })
}

/// The rules of `POST /v3/access-requests/cancel`.
pub(crate) fn check_cancel(request: &CancelAccessRequest) -> Result<(), Failure> {
    if request.account_activity_id.trim().is_empty() {
        return broken(
            Rule::CancelAccountActivityId,
            "accountActivityId is required.",
        );
    }
    if request.comment.trim().is_empty() {
        return broken(
            Rule::CancelComment,
            "comment is required to cancel an access request.",
        );
    }
    Ok(())
}

/// The rules of `POST /access-requests/v1/close`: 1 to
/// `limits::CLOSE_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS` ids (the
/// vendor states the bound in prose). Returns the state the still-open
/// items end in, from `executionStatus` and `completionStatus` (defaults:
/// Terminated, Failure), or a plain 400 text for a value outside their enums.
pub(crate) fn check_close(request: &CloseAccessRequests) -> Result<RequestedItemState, CloseError> {
    let n = request.access_request_ids.len();
    let range = limits::CLOSE_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MIN_ITEMS
        ..=limits::CLOSE_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS;
    if !range.contains(&n) {
        return Err(CloseError::Rule((
            Rule::CloseIdsCount,
            format!(
                "accessRequestIds has {n} ids; between {} and {} are accepted.",
                range.start(),
                range.end()
            ),
        )));
    }
    let execution = request
        .execution_status
        .clone()
        .unwrap_or(CloseExecutionStatus::Terminated);
    let completion = request
        .completion_status
        .clone()
        .unwrap_or(CloseCompletionStatus::Failure);
    if execution.is_unknown() {
        return Err(CloseError::Schema(format!(
            "Invalid executionStatus '{}': expected Terminated or Completed.",
            execution.as_str()
        )));
    }
    if completion.is_unknown() {
        return Err(CloseError::Schema(format!(
            "Invalid completionStatus '{}': expected Success, Incomplete or Failure.",
            completion.as_str()
        )));
    }
    Ok(match (execution, completion) {
        (CloseExecutionStatus::Completed, CloseCompletionStatus::Success) => {
            RequestedItemState::RequestCompleted
        }
        (CloseExecutionStatus::Completed, CloseCompletionStatus::Incomplete) => {
            RequestedItemState::NotAllItemsProvisioned
        }
        (CloseExecutionStatus::Completed, _) => RequestedItemState::ProvisioningFailed,
        _ => RequestedItemState::Terminated,
    })
}

/// Why a close was refused: a documented rule, or a value outside the schema.
#[derive(Debug)]
pub(crate) enum CloseError {
    Rule(Failure),
    Schema(String),
}

/// The message a close without one leaves on the requests (the vendor's default).
pub(crate) const CLOSE_DEFAULT_MESSAGE: &str =
    "The IdentityNow Administrator manually closed this request.";

/// The rules of `POST /access-requests/v1/bulk-cancel`: 1 to
/// `limits::BULK_CANCEL_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS` ids,
/// then a comment.
pub(crate) fn check_bulk_cancel(request: &BulkCancelAccessRequests) -> Result<(), Failure> {
    let n = request.access_request_ids.len();
    let range = limits::BULK_CANCEL_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MIN_ITEMS
        ..=limits::BULK_CANCEL_ACCESS_REQUESTS_ACCESS_REQUEST_IDS_MAX_ITEMS;
    if !range.contains(&n) {
        return broken(
            Rule::BulkCancelIdsCount,
            format!(
                "accessRequestIds has {n} ids; between {} and {} are accepted.",
                range.start(),
                range.end()
            ),
        );
    }
    if request.comment.trim().is_empty() {
        return broken(
            Rule::BulkCancelComment,
            "comment is required to cancel access requests.",
        );
    }
    Ok(())
}

/// `regarding-identity` excludes `requested-for` and `requested-by`.
pub(crate) fn check_exclusive_identity(
    regarding: bool,
    requested_for: bool,
    requested_by: bool,
) -> Result<(), Failure> {
    if regarding && (requested_for || requested_by) {
        return broken(
            Rule::StatusesExclusiveIdentity,
            "regarding-identity cannot be combined with requested-for or requested-by.",
        );
    }
    Ok(())
}

/// The page size when `limit` is absent.
pub(crate) const LIST_LIMIT_DEFAULT: usize =
    limits::LIST_ACCESS_REQUEST_STATUS_LIMIT_DEFAULT as usize;

/// Parses the status list's `limit`: an integer within the documented range.
pub(crate) fn parse_limit(raw: &str) -> Result<usize, Failure> {
    let range = limits::LIST_ACCESS_REQUEST_STATUS_LIMIT_MINIMUM
        ..=limits::LIST_ACCESS_REQUEST_STATUS_LIMIT_MAXIMUM;
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n as usize),
        _ => broken(
            Rule::StatusesLimit,
            format!(
                "Invalid value '{raw}' for limit: expected an integer from {} to {}.",
                range.start(),
                range.end()
            ),
        ),
    }
}

/// Parses the status list's `offset`: a non-negative integer that fits the
/// API's 32-bit integer.
pub(crate) fn parse_offset(raw: &str) -> Result<usize, Failure> {
    let range = limits::LIST_ACCESS_REQUEST_STATUS_OFFSET_MINIMUM..=i64::from(i32::MAX);
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n as usize),
        _ => broken(
            Rule::StatusesOffset,
            format!("Invalid value '{raw}' for offset: expected a non-negative integer."),
        ),
    }
}

/// The checks a configuration must pass beyond its schema (the schema itself,
/// such as `maxReminders >= 1`, is enforced while decoding). They are not
/// among the documented rules, so the error is the text of a plain 400.
pub(crate) fn check_config(config: &AccessRequestConfig) -> Result<(), String> {
    if let Some(r) = &config.approval_reminder_and_escalation_config {
        for (name, value) in [
            ("daysUntilEscalation", r.days_until_escalation),
            ("daysBetweenReminders", r.days_between_reminders),
        ] {
            if value.is_some_and(|v| v < 0) {
                return Err(format!("{name} must not be negative."));
            }
        }
    }
    if let Some(schemes) = config
        .entitlement_request_config
        .as_ref()
        .and_then(|e| e.grant_request_approval_schemes.as_deref())
    {
        for scheme in schemes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let known = matches!(scheme, "entitlementOwner" | "sourceOwner" | "manager")
                || scheme
                    .strip_prefix("workgroup:")
                    .is_some_and(|id| !id.is_empty());
            if !known {
                return Err(format!(
                    "Invalid approval scheme '{scheme}' in grantRequestApprovalSchemes: expected entitlementOwner, sourceOwner, manager or workgroup:<id>."
                ));
            }
        }
    }
    Ok(())
}

/// The checks the second configuration document must pass beyond its schema
/// (which, such as `maxPermittedAccessDuration.value >= 1`, is enforced while
/// decoding): approver types and time units the service knows, and an
/// `approverId` for the approver types that need one. Not documented rules:
/// the error is the text of a plain 400.
pub(crate) fn check_config_v2(config: &AccessRequestConfigV2) -> Result<(), String> {
    let Some(entitlements) = &config.entitlement_request_config else {
        return Ok(());
    };
    let access = entitlements.access_request_config.as_ref();
    let steps = access
        .and_then(|a| a.approval_schemes.as_deref())
        .into_iter()
        .flatten()
        .chain(
            entitlements
                .revocation_request_config
                .as_ref()
                .and_then(|r| r.approval_schemes.as_deref())
                .into_iter()
                .flatten(),
        );
    for EntitlementApprovalScheme {
        approver_type,
        approver_id,
        ..
    } in steps
    {
        let Some(kind) = approver_type else {
            return Err("Each approval scheme needs an approverType.".to_owned());
        };
        if kind.is_unknown() {
            return Err(format!(
                "Invalid approverType '{}': expected ENTITLEMENT_OWNER, SOURCE_OWNER, MANAGER, GOVERNANCE_GROUP or WORKFLOW.",
                kind.as_str()
            ));
        }
        let needs_id = matches!(
            kind,
            EntitlementApproverType::GovernanceGroup | EntitlementApproverType::Workflow
        );
        if needs_id && approver_id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(format!(
                "approverType {} needs an approverId.",
                kind.as_str()
            ));
        }
    }
    if let Some(unit) = access
        .and_then(|a| a.max_permitted_access_duration.as_ref())
        .and_then(|d| d.time_unit.as_ref())
        .filter(|u| u.is_unknown())
    {
        return Err(format!(
            "Invalid timeUnit '{}': expected HOURS, DAYS, WEEKS or MONTHS.",
            unit.as_str()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sailpoint_access_api::types::RequestedForDtoRef;

    fn item(kind: AccessItemType, id: &str) -> AccessRequestItem {
        AccessRequestItem {
            type_: kind,
            id: id.to_owned(),
            comment: Some("why".to_owned()),
            assignment_id: None,
            native_identity: None,
            form_instance_id: None,
            client_metadata: HashMap::new(),
            start_date: None,
            remove_date: None,
        }
    }

    fn role() -> AccessRequestItem {
        item(AccessItemType::Role, "r")
    }

    fn ents(n: usize) -> Vec<AccessRequestItem> {
        (0..n)
            .map(|i| item(AccessItemType::Entitlement, &format!("e{i}")))
            .collect()
    }

    fn request(for_: usize, items: Vec<AccessRequestItem>) -> AccessRequest {
        AccessRequest {
            requested_for: (0..for_).map(|i| format!("id{i}")).collect(),
            requested_items: items,
            ..AccessRequest::default()
        }
    }

    fn revoke(for_: usize, items: Vec<AccessRequestItem>) -> AccessRequest {
        AccessRequest {
            request_type: Some(AccessRequestType::RevokeAccess),
            ..request(for_, items)
        }
    }

    fn per_item(kind: AccessItemType, id: &str) -> RequestedItemDtoRef {
        RequestedItemDtoRef {
            type_: kind,
            id: id.to_owned(),
            comment: None,
            client_metadata: HashMap::new(),
            start_date: None,
            remove_date: None,
            account_selection: None,
            native_identity: None,
            form_instance_id: None,
        }
    }

    fn per_identity(entries: Vec<(&str, Vec<RequestedItemDtoRef>)>) -> AccessRequest {
        AccessRequest {
            requested_for_with_requested_items: Some(
                entries
                    .into_iter()
                    .map(|(id, items)| RequestedForDtoRef {
                        identity_id: id.to_owned(),
                        identity_type: None,
                        requested_items: items,
                    })
                    .collect(),
            ),
            ..AccessRequest::default()
        }
    }

    fn per_roles(n: usize) -> Vec<RequestedItemDtoRef> {
        (0..n)
            .map(|i| per_item(AccessItemType::Role, &format!("r{i}")))
            .collect()
    }

    fn days(n: i64) -> Timestamp {
        (chrono::Utc::now() + chrono::Duration::days(n)).into()
    }

    fn dated(start: Option<i64>, remove: Option<i64>) -> AccessRequestItem {
        AccessRequestItem {
            start_date: start.map(days),
            remove_date: remove.map(days),
            ..role()
        }
    }

    /// Asserts that `request` is accepted.
    #[track_caller]
    fn ok(request: AccessRequest) {
        let now = Timestamp::now();
        if let Err((rule, text)) = validate_access_request(Family::V3, &request, now) {
            panic!("refused with {rule}: {text}");
        }
        // The handler's path agrees with the public one.
        assert!(validate(Family::V3, request, now).is_ok());
    }

    /// Asserts that `request` breaks `rule` and returns the message.
    #[track_caller]
    fn refused(request: AccessRequest, rule: Rule) -> String {
        let now = Timestamp::now();
        match validate_access_request(Family::V3, &request, now) {
            Err((got, text)) => {
                assert_eq!(got, rule, "{text}");
                let (again, same) = validate(Family::V3, request, now).unwrap_err();
                assert_eq!((again, &same), (rule, &text));
                text
            }
            Ok(()) => panic!("accepted, expected {rule}"),
        }
    }

    #[test]
    fn limits() {
        let now = Timestamp::now();
        assert!(validate(Family::V3, request(10, ents(25)), now).is_ok());
        assert!(validate(Family::V3, request(1, ents(26)), now)
            .unwrap_err()
            .1
            .contains("at most 25"));
        assert!(validate(Family::V3, request(11, ents(1)), now)
            .unwrap_err()
            .1
            .contains("at most 10"));
        // Without entitlements, more than 10 identities is fine.
        assert!(validate(
            Family::V3,
            request(11, vec![item(AccessItemType::Role, "r")]),
            now
        )
        .is_ok());
        let mut revoke = request(2, vec![item(AccessItemType::Role, "r")]);
        revoke.request_type = Some(AccessRequestType::RevokeAccess);
        assert!(validate(Family::V3, revoke, now)
            .unwrap_err()
            .1
            .contains("single identity"));
    }

    #[test]
    fn request_type() {
        ok(AccessRequest {
            request_type: Some(AccessRequestType::ModifyAccess),
            ..request(1, vec![role()])
        });
        let text = refused(
            AccessRequest {
                request_type: Some(AccessRequestType::Unknown("BORROW_ACCESS".into())),
                ..request(1, vec![role()])
            },
            Rule::RequestType,
        );
        assert!(text.contains("'BORROW_ACCESS'"), "{text}");
    }

    #[test]
    fn request_form() {
        ok(per_identity(vec![("a", per_roles(1))]));
        let both = AccessRequest {
            requested_for: vec!["a".into()],
            ..per_identity(vec![("a", per_roles(1))])
        };
        assert!(refused(both, Rule::RequestForm).contains("not both"));
        let items_too = AccessRequest {
            requested_items: vec![role()],
            ..per_identity(vec![("a", per_roles(1))])
        };
        refused(items_too, Rule::RequestForm);
    }

    #[test]
    fn requested_for_non_empty() {
        ok(request(1, vec![role()]));
        assert!(
            refused(request(0, vec![role()]), Rule::RequestedForNonEmpty)
                .contains("requestedFor is required")
        );
        refused(per_identity(vec![]), Rule::RequestedForNonEmpty);
    }

    #[test]
    fn requested_for_id() {
        ok(AccessRequest {
            requested_for: vec!["a".into(), "b".into()],
            ..request(0, vec![role()])
        });
        refused(
            AccessRequest {
                requested_for: vec!["a".into(), " ".into()],
                ..request(0, vec![role()])
            },
            Rule::RequestedForId,
        );
    }

    #[test]
    fn requested_for_unique() {
        ok(request(3, vec![role()]));
        let text = refused(
            AccessRequest {
                requested_for: vec!["a".into(), "b".into(), "a".into()],
                ..request(0, vec![role()])
            },
            Rule::RequestedForUnique,
        );
        assert!(text.contains("Identity a"), "{text}");
    }

    #[test]
    fn requested_items_count() {
        let max = limits::ACCESS_REQUEST_REQUESTED_ITEMS_MAX_ITEMS;
        let roles = |n: usize| {
            (0..n)
                .map(|i| item(AccessItemType::Role, &format!("r{i}")))
                .collect::<Vec<_>>()
        };
        ok(request(1, roles(max)));
        assert!(refused(request(1, vec![]), Rule::RequestedItemsCount)
            .contains("requestedItems is required"));
        assert!(
            refused(request(1, roles(max + 1)), Rule::RequestedItemsCount)
                .contains(&format!("at most {max}"))
        );
    }

    #[test]
    fn item_id() {
        ok(request(1, vec![item(AccessItemType::AccessProfile, "ap")]));
        assert!(refused(
            request(1, vec![item(AccessItemType::Role, " ")]),
            Rule::ItemId
        )
        .contains("empty id"));
        refused(
            per_identity(vec![("a", vec![per_item(AccessItemType::Role, "")])]),
            Rule::ItemId,
        );
    }

    #[test]
    fn grant_entitlement_limits() {
        let (ents_max, ids_max) = (
            limits::ACCESS_REQUEST_MAX_ENTITLEMENTS,
            limits::ACCESS_REQUEST_MAX_IDENTITIES_WITH_ENTITLEMENTS,
        );
        ok(request(ids_max, ents(ents_max)));
        let text = refused(request(ids_max + 1, ents(1)), Rule::GrantEntitlementLimits);
        assert!(text.contains(&format!("at most {ids_max}")), "{text}");
        // The per-identity form: entitlements count per identity.
        let per_ents = |n: usize| {
            (0..n)
                .map(|i| per_item(AccessItemType::Entitlement, &format!("e{i}")))
                .collect::<Vec<_>>()
        };
        ok(per_identity(vec![
            ("a", per_ents(ents_max)),
            ("b", per_ents(ents_max)),
        ]));
        let ids: Vec<String> = (0..=ids_max).map(|i| format!("id{i}")).collect();
        refused(
            per_identity(ids.iter().map(|id| (id.as_str(), per_ents(1))).collect()),
            Rule::GrantEntitlementLimits,
        );
        // MODIFY_ACCESS is bound too.
        refused(
            AccessRequest {
                request_type: Some(AccessRequestType::ModifyAccess),
                ..request(ids_max + 1, ents(1))
            },
            Rule::GrantEntitlementLimits,
        );
    }

    #[test]
    fn revoke_single_identity() {
        ok(revoke(1, vec![role()]));
        assert!(refused(revoke(2, vec![role()]), Rule::RevokeSingleIdentity)
            .contains("single identity"));
    }

    #[test]
    fn revoke_single_entitlement() {
        ok(revoke(1, ents(1)));
        assert!(
            refused(revoke(1, ents(2)), Rule::RevokeSingleEntitlement).contains("1 entitlement")
        );
    }

    #[test]
    fn revoke_no_start_date() {
        ok(revoke(1, vec![dated(None, Some(3))]));
        assert!(refused(
            revoke(1, vec![dated(Some(3), None)]),
            Rule::RevokeNoStartDate
        )
        .contains("startDate is not allowed"));
    }

    #[test]
    fn revoke_comment_required() {
        ok(revoke(1, vec![role()]));
        for comment in [None, Some(" ".to_owned())] {
            let silent = AccessRequestItem { comment, ..role() };
            assert!(
                refused(revoke(1, vec![silent]), Rule::RevokeCommentRequired)
                    .contains("comment is required")
            );
        }
        // Grants need none.
        ok(request(
            1,
            vec![AccessRequestItem {
                comment: None,
                ..role()
            }],
        ));
    }

    #[test]
    fn dates_start_in_future() {
        ok(request(1, vec![dated(Some(1), None)]));
        assert!(refused(
            request(1, vec![dated(Some(-1), None)]),
            Rule::DatesStartInFuture
        )
        .contains("startDate of item r must be in the future"));
    }

    #[test]
    fn dates_remove_in_future() {
        ok(request(1, vec![dated(None, Some(1))]));
        let past = AccessRequestItem {
            remove_date: Some(Timestamp::parse("2020-01-01T00:00:00Z").unwrap()),
            ..role()
        };
        assert!(refused(request(1, vec![past]), Rule::DatesRemoveInFuture)
            .contains("must be in the future"));
    }

    #[test]
    fn dates_start_before_remove() {
        ok(request(1, vec![dated(Some(2), Some(5))]));
        assert!(refused(
            request(1, vec![dated(Some(5), Some(2))]),
            Rule::DatesStartBeforeRemove
        )
        .contains("after its startDate"));
        let same = days(2);
        let zero_length = AccessRequestItem {
            start_date: Some(same),
            remove_date: Some(same),
            ..role()
        };
        refused(request(1, vec![zero_length]), Rule::DatesStartBeforeRemove);
    }

    #[test]
    fn per_identity_grant_only() {
        ok(AccessRequest {
            request_type: Some(AccessRequestType::GrantAccess),
            ..per_identity(vec![("a", per_roles(1))])
        });
        let text = refused(
            AccessRequest {
                request_type: Some(AccessRequestType::RevokeAccess),
                ..per_identity(vec![("a", per_roles(1))])
            },
            Rule::PerIdentityGrantOnly,
        );
        assert!(text.contains("only supported for GRANT_ACCESS"), "{text}");
    }

    #[test]
    fn per_identity_identity_id_and_unique_identity() {
        ok(per_identity(vec![("a", per_roles(1)), ("b", per_roles(1))]));
        ok(per_identity(vec![("a", per_roles(2)), ("b", per_roles(2))]));
        for (second, rule) in [
            ("  ", Rule::PerIdentityIdentityId),
            ("a", Rule::PerIdentityUniqueIdentity),
        ] {
            let entries = vec![("a", per_roles(1)), (second, per_roles(2))];
            refused(per_identity(entries), rule);
        }
    }

    #[test]
    fn per_identity_items_count() {
        let max = limits::REQUESTED_FOR_DTO_REF_REQUESTED_ITEMS_MAX_ITEMS;
        ok(per_identity(vec![
            ("a", per_roles(max)),
            ("b", per_roles(1)),
        ]));
        assert!(refused(
            per_identity(vec![("a", vec![])]),
            Rule::PerIdentityItemsCount
        )
        .contains("No items are requested for identity a"));
        refused(
            per_identity(vec![("a", per_roles(1)), ("b", per_roles(max + 1))]),
            Rule::PerIdentityItemsCount,
        );
    }

    #[test]
    fn the_first_rule_in_the_documented_order_wins() {
        // Unknown type beats everything; a blank identity beats a blank item.
        let mut messy = request(0, vec![item(AccessItemType::Role, "")]);
        messy.request_type = Some(AccessRequestType::Unknown("X".into()));
        refused(messy.clone(), Rule::RequestType);
        messy.request_type = None;
        messy.requested_for = vec![String::new()];
        refused(messy, Rule::RequestedForId);
        // A revoke for two identities with a past date: the revoke rule first.
        refused(
            revoke(2, vec![dated(Some(-1), None)]),
            Rule::RevokeSingleIdentity,
        );
    }

    #[test]
    fn item_types_are_a_schema_check() {
        let odd = request(1, vec![item(AccessItemType::Unknown("GROUP".into()), "g")]);
        assert!(check_item_types(&odd)
            .unwrap_err()
            .contains("Invalid type 'GROUP'"));
        // Not a rule: the validator itself does not look at it.
        ok(odd);
        let odd = per_identity(vec![(
            "a",
            vec![per_item(AccessItemType::Unknown("GROUP".into()), "g")],
        )]);
        assert!(check_item_types(&odd).is_err());
        assert!(check_item_types(&request(1, vec![role()])).is_ok());
    }

    fn cancel(id: &str, comment: &str) -> CancelAccessRequest {
        CancelAccessRequest {
            account_activity_id: id.to_owned(),
            comment: comment.to_owned(),
        }
    }

    #[test]
    fn cancel_account_activity_id_and_comment() {
        assert!(check_cancel(&cancel("act-1", "why")).is_ok());
        assert!(check_cancel(&cancel("act-1", "no longer needed")).is_ok());
        for (id, comment, expected, field) in [
            (
                " ",
                "why",
                Rule::CancelAccountActivityId,
                "accountActivityId",
            ),
            ("act-1", "\t", Rule::CancelComment, "comment"),
        ] {
            let (rule, text) = check_cancel(&cancel(id, comment)).unwrap_err();
            assert_eq!(rule, expected);
            assert!(text.contains(field), "{text}");
        }
    }

    #[test]
    fn statuses_exclusive_identity() {
        assert!(check_exclusive_identity(true, false, false).is_ok());
        assert!(check_exclusive_identity(false, true, true).is_ok());
        for (for_, by) in [(true, false), (false, true), (true, true)] {
            let (rule, _) = check_exclusive_identity(true, for_, by).unwrap_err();
            assert_eq!(rule, Rule::StatusesExclusiveIdentity);
        }
    }

    #[test]
    fn statuses_limit() {
        assert_eq!(parse_limit("0"), Ok(0));
        assert_eq!(parse_limit("250"), Ok(250));
        assert_eq!(LIST_LIMIT_DEFAULT, 250);
        for bad in ["251", "-1", "ten", ""] {
            let (rule, text) = parse_limit(bad).unwrap_err();
            assert_eq!(rule, Rule::StatusesLimit, "{bad}");
            assert!(text.contains("from 0 to 250"), "{text}");
        }
    }

    #[test]
    fn statuses_offset() {
        assert_eq!(parse_offset("0"), Ok(0));
        assert_eq!(parse_offset("2147483647"), Ok(i32::MAX as usize));
        for bad in ["2147483648", "-1", "x"] {
            let (rule, text) = parse_offset(bad).unwrap_err();
            assert_eq!(rule, Rule::StatusesOffset, "{bad}");
            assert!(text.contains("for offset"), "{text}");
        }
    }

    #[test]
    fn every_wire_rule_is_enforced_here() {
        // The rules of the enum this module enforces; the others belong to
        // the client's builders (pagination, waiting, encoding, documents)
        // or are not checked by the sandbox (sort and filter details).
        let enforced = [
            Rule::RequestForm,
            Rule::RequestType,
            Rule::RequestedForNonEmpty,
            Rule::RequestedForId,
            Rule::RequestedForUnique,
            Rule::RequestedItemsCount,
            Rule::ItemId,
            Rule::GrantEntitlementLimits,
            Rule::RevokeSingleIdentity,
            Rule::RevokeSingleEntitlement,
            Rule::RevokeNoStartDate,
            Rule::RevokeCommentRequired,
            Rule::DatesStartInFuture,
            Rule::DatesRemoveInFuture,
            Rule::DatesStartBeforeRemove,
            Rule::PerIdentityGrantOnly,
            Rule::PerIdentityIdentityId,
            Rule::PerIdentityUniqueIdentity,
            Rule::PerIdentityItemsCount,
            Rule::CancelAccountActivityId,
            Rule::CancelComment,
            Rule::StatusesExclusiveIdentity,
            Rule::StatusesLimit,
            Rule::StatusesOffset,
        ];
        for rule in enforced {
            assert!(Rule::ALL.contains(&rule));
            assert_eq!(Rule::from_code(rule.code()), Some(rule));
        }
    }
}
