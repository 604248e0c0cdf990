//! Small readers on the generated status types, so that a program asks
//! "which identities?" or "is it over?" without an `Option` chain.

use crate::types::{
    IdentityReference, RequestedForIdentities, RequestedItemState, RequestedItemStatus,
};

impl RequestedForIdentities {
    /// The identity ids, whichever form (one reference or a list) the
    /// service sent; references without an id are left out.
    ///
    /// ```
    /// use sailpoint_access_api::types::{IdentityReference, RequestedForIdentities};
    ///
    /// let one = RequestedForIdentities::One(IdentityReference { id: Some("a".into()), ..Default::default() });
    /// assert_eq!(one.ids().collect::<Vec<_>>(), ["a"]);
    /// let many = RequestedForIdentities::Many(vec![
    ///     IdentityReference { id: Some("b".into()), ..Default::default() },
    ///     IdentityReference::default(),
    /// ]);
    /// assert_eq!(many.ids().collect::<Vec<_>>(), ["b"]);
    /// ```
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        let references: &[IdentityReference] = match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        };
        references.iter().filter_map(|r| r.id.as_deref())
    }
}

impl RequestedItemState {
    /// True for a state the item never leaves: completed, cancelled,
    /// terminated, rejected, failed, partly provisioned or in error.
    ///
    /// `EXECUTING`, `PROVISIONING_VERIFICATION_PENDING` and states this
    /// crate does not know are not terminal, so that waiting on an unknown
    /// state ends at the deadline rather than too early.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::RequestCompleted
                | Self::Cancelled
                | Self::Terminated
                | Self::Rejected
                | Self::ProvisioningFailed
                | Self::NotAllItemsProvisioned
                | Self::Error
        )
    }
}

impl RequestedItemStatus {
    /// True when the item has a state and it is terminal (see
    /// [`RequestedItemState::is_terminal`]); an item without a state is not.
    pub fn is_terminal(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(RequestedItemState::is_terminal)
    }

    /// The ids of the identities the item was requested for (none when the
    /// service left the field out).
    pub fn requested_for_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.requested_for
            .iter()
            .flat_map(RequestedForIdentities::ids)
    }

    /// The state's wire name, or `"unknown"` when the service sent none.
    pub fn state_name(&self) -> &str {
        self.state
            .as_ref()
            .map_or("unknown", RequestedItemState::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(
        state: Option<RequestedItemState>,
        requested_for: Option<RequestedForIdentities>,
    ) -> RequestedItemStatus {
        RequestedItemStatus {
            state,
            requested_for,
            ..Default::default()
        }
    }

    fn reference(id: Option<&str>) -> IdentityReference {
        IdentityReference {
            id: id.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn ids_flatten_one_and_many_and_skip_missing_ids() {
        let one = RequestedForIdentities::One(reference(Some("a")));
        assert_eq!(one.ids().collect::<Vec<_>>(), ["a"]);
        let none = RequestedForIdentities::One(reference(None));
        assert_eq!(none.ids().count(), 0);
        let many = RequestedForIdentities::Many(vec![
            reference(Some("b")),
            reference(None),
            reference(Some("c")),
        ]);
        assert_eq!(many.ids().collect::<Vec<_>>(), ["b", "c"]);
        let s = status(None, Some(many));
        assert_eq!(s.requested_for_ids().collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(status(None, None).requested_for_ids().count(), 0);
    }

    #[test]
    fn terminal_states_are_the_seven_final_ones() {
        let terminal: Vec<&str> = RequestedItemState::KNOWN
            .iter()
            .filter(|s| s.is_terminal())
            .map(RequestedItemState::as_str)
            .collect();
        assert_eq!(
            terminal,
            [
                "REQUEST_COMPLETED",
                "CANCELLED",
                "TERMINATED",
                "REJECTED",
                "PROVISIONING_FAILED",
                "NOT_ALL_ITEMS_PROVISIONED",
                "ERROR"
            ]
        );
        assert!(!RequestedItemState::Unknown("ARCHIVED".into()).is_terminal());
    }

    #[test]
    fn a_status_is_terminal_only_with_a_terminal_state() {
        assert!(status(Some(RequestedItemState::Rejected), None).is_terminal());
        assert!(!status(Some(RequestedItemState::Executing), None).is_terminal());
        assert!(!status(None, None).is_terminal());
        assert_eq!(status(None, None).state_name(), "unknown");
        assert_eq!(
            status(Some(RequestedItemState::Cancelled), None).state_name(),
            "CANCELLED"
        );
    }
}
