//! Items as values: built whole, then added to a request, so a modifier
//! cannot be applied to the wrong item.

use std::collections::HashMap;

use sailpoint_access_api::types::{
    AccessItemType, AccessRequestItem, AccountItemRef, IdentityType, RequestedForDtoRef,
    RequestedItemDtoRef, SourceItemRef,
};
use sailpoint_access_api::Timestamp;

/// A modifier storing its value in the wire item's optional field of the
/// same name.
macro_rules! wire_setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, $name: $ty) -> Self {
            self.0.$name = Some($name.into());
            self
        }
    };
}

/// The constructors and modifiers both item types share: the two wire types
/// name these fields alike, so one definition serves both; `$own` is the
/// one optional field only the type's wire form has.
macro_rules! common_modifiers {
    ($wire:ident, $own:ident) => {
        /// An item of any type.
        pub fn new(kind: AccessItemType, id: impl Into<String>) -> Self {
            Self($wire {
                id: id.into(),
                type_: kind,
                $own: None,
                client_metadata: HashMap::new(),
                comment: None,
                form_instance_id: None,
                native_identity: None,
                remove_date: None,
                start_date: None,
            })
        }

        /// A role.
        pub fn role(id: impl Into<String>) -> Self {
            Self::new(AccessItemType::Role, id)
        }

        /// An access profile.
        pub fn access_profile(id: impl Into<String>) -> Self {
            Self::new(AccessItemType::AccessProfile, id)
        }

        /// An entitlement.
        pub fn entitlement(id: impl Into<String>) -> Self {
            Self::new(AccessItemType::Entitlement, id)
        }

        wire_setter!(
            /// The justification (required by the service for revocations).
            comment: impl Into<String>
        );

        wire_setter!(
            /// When the access ends (sunset); must be in the future.
            remove_date: impl Into<Timestamp>
        );

        wire_setter!(
            /// When the access starts (sunrise); in the future, not for revocations.
            start_date: impl Into<Timestamp>
        );

        wire_setter!(
            /// The completed form instance for this line (versioned family
            /// only; a GRANT of access configured with a form needs it). It
            /// cannot be blank: the service answers 400 to an empty one.
            form_instance_id: impl Into<String>
        );

        /// A caller-defined pair stored on the item.
        pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.0.client_metadata.insert(key.into(), value.into());
            self
        }
    };
}

/// One requested item (a role, an access profile or an entitlement) with its
/// comment, dates and metadata; add it with `SubmitRequest::item`.
///
/// ```
/// use chrono::{Duration, Utc};
/// use sailpoint_access::Item;
///
/// let item = Item::entitlement("2c91...e")
///     .comment("project X")
///     .remove_date(Utc::now() + Duration::days(30))
///     .metadata("ticket", "CHG-1");
/// assert_eq!(item.id(), "2c91...e");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "an item does nothing until it is added to a request"]
pub struct Item(AccessRequestItem);

impl Item {
    common_modifiers!(AccessRequestItem, assignment_id);

    wire_setter!(
        /// For revoking an entitlement: the account, by its native identity.
        native_identity: impl Into<String>
    );

    wire_setter!(
        /// For revoking a role: which assignment.
        assignment_id: impl Into<String>
    );

    /// The item's id.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The item's type.
    pub fn item_type(&self) -> &AccessItemType {
        &self.0.type_
    }

    /// The wire form, borrowed.
    pub fn as_inner(&self) -> &AccessRequestItem {
        &self.0
    }

    /// The wire form.
    pub fn into_inner(self) -> AccessRequestItem {
        self.0
    }
}

impl From<AccessRequestItem> for Item {
    /// An item from its wire form, as built by hand.
    fn from(item: AccessRequestItem) -> Self {
        Item(item)
    }
}

impl From<Item> for AccessRequestItem {
    fn from(item: Item) -> Self {
        item.0
    }
}

/// One identity and its own items, for the per-identity form
/// (`requestedForWithRequestedItems`); add it with `SubmitRequest::per_identity`.
///
/// Human identities use this form for GRANT_ACCESS only. Machine identities
/// ([`machine`](Self::machine), versioned family only) use it for every
/// request type, with entitlements only: the vendor's description of the
/// create call requires one account ([`PerIdentityItem::account`]) on each
/// item of a machine GRANT or MODIFY, a date on each item of a MODIFY, and
/// `nativeIdentity` rather than an account selection on a REVOKE. The
/// validator checks each of these before sending.
///
/// ```
/// use sailpoint_access::{PerIdentity, PerIdentityItem};
///
/// let entry = PerIdentity::new("2c91...a")
///     .item(PerIdentityItem::role("2c91...r").comment("new hire"))
///     .item(PerIdentityItem::entitlement("2c91...e"));
/// assert_eq!(entry.identity_id(), "2c91...a");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "an entry does nothing until it is added to a request"]
pub struct PerIdentity(RequestedForDtoRef);

impl PerIdentity {
    /// An entry for `identity_id`, with no items yet.
    pub fn new(identity_id: impl Into<String>) -> Self {
        PerIdentity(RequestedForDtoRef {
            identity_id: identity_id.into(),
            identity_type: None,
            requested_items: Vec::new(),
        })
    }

    /// Marks the identity as a machine identity (`identityType: MACHINE`).
    pub fn machine(self) -> Self {
        self.identity_type(IdentityType::Machine)
    }

    wire_setter!(
        /// Sets `identityType` (HUMAN when absent).
        identity_type: IdentityType
    );

    /// Adds an item for this identity.
    pub fn item(mut self, item: PerIdentityItem) -> Self {
        self.0.requested_items.push(item.0);
        self
    }

    /// The identity.
    pub fn identity_id(&self) -> &str {
        &self.0.identity_id
    }

    /// The wire form.
    pub fn into_inner(self) -> RequestedForDtoRef {
        self.0
    }
}

impl From<RequestedForDtoRef> for PerIdentity {
    /// An entry from its wire form, as built by hand.
    fn from(entry: RequestedForDtoRef) -> Self {
        PerIdentity(entry)
    }
}

/// One item of a [`PerIdentity`] entry; the per-identity form has no
/// `assignmentId`, so this type has no such modifier.
///
/// ```
/// use sailpoint_access::{PerIdentity, PerIdentityItem};
///
/// // A machine identity is granted an entitlement on its one account.
/// let entry = PerIdentity::new("b1f2c3d4-0000-4000-8000-000000000001")
///     .machine()
///     .item(PerIdentityItem::entitlement("2c91...e").account("2c91...source", "svc-build"));
/// let wire = entry.into_inner();
/// let accounts = wire.requested_items[0].account_selection.as_ref().unwrap();
/// assert_eq!(accounts[0].accounts.as_ref().unwrap()[0].native_identity.as_deref(), Some("svc-build"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use = "an item does nothing until it is added to an entry"]
pub struct PerIdentityItem(RequestedItemDtoRef);

impl PerIdentityItem {
    common_modifiers!(RequestedItemDtoRef, account_selection);

    /// The account the access goes to: one source and, on it, the account
    /// with this native identity (`accountSelection`). A machine GRANT or
    /// MODIFY needs exactly this; a human with several accounts on a source
    /// may use it to choose one.
    pub fn account(self, source_id: impl Into<String>, native_identity: impl Into<String>) -> Self {
        self.one_account(source_id.into(), None, Some(native_identity.into()))
    }

    /// Like [`account`](Self::account), naming the account by its uuid.
    pub fn account_uuid(
        self,
        source_id: impl Into<String>,
        account_uuid: impl Into<String>,
    ) -> Self {
        self.one_account(source_id.into(), Some(account_uuid.into()), None)
    }

    /// One source, and on it one account named by uuid or native identity.
    fn one_account(self, source_id: String, uuid: Option<String>, native: Option<String>) -> Self {
        self.account_selection(vec![SourceItemRef {
            source_id: Some(source_id),
            accounts: Some(vec![AccountItemRef {
                account_uuid: uuid,
                native_identity: native,
            }]),
        }])
    }

    wire_setter!(
        /// `accountSelection` as given, for selections on several sources.
        account_selection: Vec<SourceItemRef>
    );

    wire_setter!(
        /// For a machine REVOKE: the account to revoke from, by its native
        /// identity (the service may resolve it when the machine has one
        /// account on the entitlement's source).
        native_identity: impl Into<String>
    );
}
