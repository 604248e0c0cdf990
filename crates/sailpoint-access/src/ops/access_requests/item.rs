//! Items as values: built whole, then added to a request, so a modifier
//! cannot be applied to the wrong item.

use std::collections::HashMap;

use sailpoint_access_api::types::{
    AccessItemType, AccessRequestItem, RequestedForDtoRef, RequestedItemDtoRef,
};
use sailpoint_access_api::Timestamp;

/// The constructors and modifiers both item types share: the two wire types
/// name these fields alike, so one definition serves both.
macro_rules! common_modifiers {
    () => {
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

        /// The justification (required by the service for revocations).
        pub fn comment(mut self, comment: impl Into<String>) -> Self {
            self.0.comment = Some(comment.into());
            self
        }

        /// When the access ends (sunset); must be in the future.
        pub fn remove_date(mut self, at: impl Into<Timestamp>) -> Self {
            self.0.remove_date = Some(at.into());
            self
        }

        /// When the access starts (sunrise); in the future, not for revocations.
        pub fn start_date(mut self, at: impl Into<Timestamp>) -> Self {
            self.0.start_date = Some(at.into());
            self
        }

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
    /// An item of any type.
    pub fn new(kind: AccessItemType, id: impl Into<String>) -> Self {
        Item(AccessRequestItem {
            id: id.into(),
            type_: kind,
            assignment_id: None,
            client_metadata: HashMap::new(),
            comment: None,
            form_instance_id: None,
            native_identity: None,
            remove_date: None,
            start_date: None,
        })
    }

    common_modifiers!();

    /// For revoking an entitlement: the account, by its native identity.
    pub fn native_identity(mut self, native_identity: impl Into<String>) -> Self {
        self.0.native_identity = Some(native_identity.into());
        self
    }

    /// For revoking a role: which assignment.
    pub fn assignment_id(mut self, assignment_id: impl Into<String>) -> Self {
        self.0.assignment_id = Some(assignment_id.into());
        self
    }

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

/// One identity and its own items, for the per-identity form of a GRANT
/// (`requestedForWithRequestedItems`); add it with `SubmitRequest::per_identity`.
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
/// `assignmentId` or `nativeIdentity`, so this type has no such modifiers.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "an item does nothing until it is added to an entry"]
pub struct PerIdentityItem(RequestedItemDtoRef);

impl PerIdentityItem {
    /// An item of any type.
    pub fn new(kind: AccessItemType, id: impl Into<String>) -> Self {
        PerIdentityItem(RequestedItemDtoRef {
            id: id.into(),
            type_: kind,
            account_selection: None,
            client_metadata: HashMap::new(),
            comment: None,
            form_instance_id: None,
            native_identity: None,
            remove_date: None,
            start_date: None,
        })
    }

    common_modifiers!();
}
