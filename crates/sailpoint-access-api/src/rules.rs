//! The rules a request must follow before it is sent, as data.
//!
//! The facade and the sandbox check them independently (the sandbox is an
//! oracle because it does not share the facade's code) but name them with the
//! same [`Rule`], so a test can compare what each refused and why.

use std::fmt;

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $message:literal; )*) => {
        /// A documented rule of the API, or of this SDK's builders.
        ///
        /// Codes are stable: they are part of error messages and of the
        /// sandbox's 400 answers (the text of `causes[0]`), and never change meaning.
        ///
        /// ```
        /// use sailpoint_access_api::Rule;
        ///
        /// assert_eq!(Rule::RevokeSingleIdentity.code(), "revoke.single_identity");
        /// assert_eq!(Rule::from_code("revoke.single_identity"), Some(Rule::RevokeSingleIdentity));
        /// assert!(Rule::ALL.iter().all(|r| !r.message().is_empty()));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in a stable order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable code, such as `revoke.single_identity`.
            pub const fn code(self) -> &'static str {
                match self { $(Rule::$variant => $code,)* }
            }

            /// What the rule requires, in a sentence.
            pub const fn message(self) -> &'static str {
                match self { $(Rule::$variant => $message,)* }
            }

            /// The rule with this code.
            pub fn from_code(code: &str) -> Option<Rule> {
                match code { $($code => Some(Rule::$variant),)* _ => None }
            }
        }
    };
}

rules! {
    /// Either `requestedFor` + `requestedItems` or `requestedForWithRequestedItems`, not both.
    RequestForm = "request.form", "use either requestedFor + requestedItems or requestedForWithRequestedItems, not both";
    /// The request type is one this API knows.
    RequestType = "request.type", "requestType must be GRANT_ACCESS, REVOKE_ACCESS or MODIFY_ACCESS";
    /// At least one identity.
    RequestedForNonEmpty = "requested_for.non_empty", "at least one identity is required";
    /// No blank identity id.
    RequestedForId = "requested_for.id", "identity ids cannot be blank";
    /// No identity listed twice.
    RequestedForUnique = "requested_for.unique", "an identity is listed twice";
    /// Between one and the documented maximum of items.
    RequestedItemsCount = "requested_items.count", "between one and the documented maximum of items are required";
    /// No blank item id.
    ItemId = "item.id", "item ids cannot be blank";
    /// With any entitlement: a bounded number of entitlements and identities.
    GrantEntitlementLimits = "grant.entitlement_limits", "with entitlements, a request is limited in entitlements and in identities";
    /// A revocation targets exactly one identity.
    RevokeSingleIdentity = "revoke.single_identity", "a revocation targets exactly one identity";
    /// A revocation carries at most one entitlement.
    RevokeSingleEntitlement = "revoke.single_entitlement", "a revocation may carry at most one entitlement";
    /// A revocation carries no start date.
    RevokeNoStartDate = "revoke.no_start_date", "a revocation cannot carry a startDate";
    /// Each revoked item has a comment.
    RevokeCommentRequired = "revoke.comment_required", "each revoked item needs a comment";
    /// A start date lies in the future.
    DatesStartInFuture = "dates.start_in_future", "startDate must be in the future (UTC)";
    /// A remove date lies in the future.
    DatesRemoveInFuture = "dates.remove_in_future", "removeDate must be in the future (UTC)";
    /// A start date comes before the remove date.
    DatesStartBeforeRemove = "dates.start_before_remove", "startDate must be before removeDate";
    /// For human identities the per-identity form is for GRANT_ACCESS only
    /// (machine identities use it for every type, in the versioned family).
    PerIdentityGrantOnly = "per_identity.grant_only", "for human identities, requestedForWithRequestedItems is only for GRANT_ACCESS";
    /// Machine identities (`identityType: MACHINE`) exist in the versioned family only.
    MachineVersionedOnly = "machine.versioned_only", "machine identities (identityType MACHINE) are requested through the versioned family only";
    /// Human and machine identities are not mixed in one request.
    MachineNotMixed = "machine.not_mixed", "human and machine identities cannot be mixed in one request";
    /// Machine identities are requested entitlements only.
    MachineEntitlementsOnly = "machine.entitlements_only", "machine identities can be requested entitlements only";
    /// A machine grant or modify names exactly one account on one source.
    MachineAccountSelection = "machine.account_selection", "a machine GRANT_ACCESS or MODIFY_ACCESS item needs accountSelection with exactly one source and one account (accountUuid or nativeIdentity)";
    /// A machine modify changes a date.
    MachineModifyDates = "machine.modify_dates", "a machine MODIFY_ACCESS item needs a startDate or a removeDate";
    /// A machine revoke names its account with `nativeIdentity`, not `accountSelection`.
    MachineRevokeNoAccountSelection = "machine.revoke_no_account_selection", "a machine REVOKE_ACCESS item takes nativeIdentity, not accountSelection";
    /// A form instance id, when given, is not blank.
    ItemFormInstanceId = "item.form_instance_id", "formInstanceId cannot be blank when given";
    /// No blank identity id in the per-identity form.
    PerIdentityIdentityId = "per_identity.identity_id", "identity ids cannot be blank";
    /// No identity twice in the per-identity form.
    PerIdentityUniqueIdentity = "per_identity.unique_identity", "an identity is listed twice";
    /// Between one and the documented maximum of items per identity.
    PerIdentityItemsCount = "per_identity.items_count", "between one and the documented maximum of items per identity are required";
    /// A cancel names an account activity.
    CancelAccountActivityId = "cancel.account_activity_id", "the account activity id cannot be blank";
    /// A cancel carries a comment.
    CancelComment = "cancel.comment", "a comment is required";
    /// A close names between one and the documented maximum of access requests.
    CloseIdsCount = "close.ids_count", "a close needs between one and the documented maximum of access request ids";
    /// A bulk cancel names between one and the documented maximum of access requests.
    BulkCancelIdsCount = "bulk_cancel.ids_count", "a bulk cancel needs between one and the documented maximum of access request ids";
    /// A bulk cancel carries a comment.
    BulkCancelComment = "bulk_cancel.comment", "a bulk cancel needs a comment";
    /// `regarding-identity` excludes `requested-for` and `requested-by`.
    StatusesExclusiveIdentity = "statuses.exclusive_identity", "regarding-identity cannot be combined with requested-for or requested-by";
    /// The page size is within the documented range.
    StatusesLimit = "statuses.limit", "limit must be within the documented page size range";
    /// The offset fits the API's 32-bit integer.
    StatusesOffset = "statuses.offset", "offset must fit the API's 32-bit integer";
    /// A sort field appears once.
    StatusesSortUnique = "statuses.sort_unique", "a field can be sorted on once";
    /// An `in` filter lists at least one value.
    FilterInNonEmpty = "filter.in_non_empty", "`in` needs at least one value";
    /// A filter uses an operator the family does not document for that field
    /// (the versioned family has no `accessRequestId in`, no
    /// `accountActivityItemId lt` or `isnull`).
    FilterVersionedOperator = "filter.versioned_operator", "the family's status list does not document this operator for this field";
    /// A bulk plan lists the same identity and item twice.
    BulkDuplicateRow = "bulk.duplicate_row", "the same identity and item appear in an earlier row";
    /// Walking pages needs a page size of at least one.
    PaginationLimit = "pagination.limit", "walking pages needs a limit of at least 1";
    /// Waiting needs at least one non-blank access request id.
    WaitIds = "wait.ids", "give at least one non-blank access request id";
    /// The body could not be encoded.
    RequestEncode = "request.encode", "the request body could not be encoded";
    /// A document loaded from a file has only known properties.
    DocumentKnownFields = "document.known_fields", "the document has properties this SDK does not know";
    // look-ups and the resolver (issue 21)
    /// A look-up's page size is within what that operation documents (`roles/v1` at most 50).
    LookupLimit = "lookup.limit", "limit must be within the look-up's documented page size range";
    /// A look-up's offset fits the API's 32-bit integer.
    LookupOffset = "lookup.offset", "offset must fit the API's 32-bit integer";
    /// A look-up's filter uses only the fields and operators that operation documents.
    LookupFilterOperator = "lookup.filter_operator", "the look-up does not document this operator for this field";
    /// A look-up sorts only on the fields that operation documents, each once.
    LookupSortField = "lookup.sort_field", "the look-up does not document sorting on this field, or it is given twice";
    /// `statuses` of the requestable objects needs `identity-id`.
    LookupStatusesNeedIdentity = "lookup.statuses_need_identity", "statuses can only be asked for with identity-id";
    /// A look-up's filter stays within the length this SDK sends in one query.
    LookupFilterLength = "lookup.filter_length", "the filter is longer than one look-up request may carry";
    /// A look-up value or reference is not blank.
    LookupBlank = "lookup.blank", "a name, alias, email or id to look up cannot be blank";
    /// A reference matches nothing in the tenant.
    ResolveNotFound = "resolve.not_found", "nothing in the tenant has this name";
    /// A reference matches more than one object.
    ResolveAmbiguous = "resolve.ambiguous", "more than one object has this name";
    /// A reference matches an object that cannot be requested.
    ResolveNotRequestable = "resolve.not_requestable", "the object exists but cannot be requested";
    /// An approval is named by a non-blank id.
    ApprovalId = "approval.id", "approval ids cannot be blank";
    /// A rejection carries a comment.
    ApprovalRejectComment = "approval.reject_comment", "a rejection needs a comment";
    /// A forward names its new owner in 1 to 255 characters.
    ApprovalForwardOwner = "approval.forward_owner", "a forward needs a new owner id of 1 to 255 characters";
    /// A forward carries a comment of 1 to 255 characters.
    ApprovalForwardComment = "approval.forward_comment", "a forward needs a comment of 1 to 255 characters";
    /// A bulk approve names between one and the documented maximum of approvals.
    BulkApproveIdsCount = "bulk_approve.ids_count", "a bulk approve needs between one and the documented maximum of approval ids";
    /// A bulk approve carries a comment.
    BulkApproveComment = "bulk_approve.comment", "a bulk approve needs a comment";
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.code() == *other
    }
}

impl PartialEq<str> for Rule {
    fn eq(&self, other: &str) -> bool {
        self.code() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.code()), "{} twice", rule.code());
            assert_eq!(Rule::from_code(rule.code()), Some(*rule));
        }
        assert_eq!(Rule::from_code("no.such_rule"), None);
    }
}
