//! What is known about each operation, as data: the generated
//! [`operations`](crate::operations) table fills these in from the spec, so the
//! facade's transport and the sandbox's router never keep a copy of their own.

use std::fmt;

/// Whether an operation may be sent again after an attempt that may have
/// reached the server (a lost response, a timeout, a 5xx).
///
/// Recorded in the spec as `x-replay` on each operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Replay {
    /// Sending it twice has the effect of sending it once (reads, replacing a document).
    Safe,
    /// Never replayed once it may have reached the server: the service does
    /// not de-duplicate, so a replay could act twice (submitting a request).
    NotAfterSend,
    /// Replayed, and an answer saying the work was already done (a cancel
    /// answered "already cancelled") counts as success for a replay.
    SafeAlreadyDone,
}

impl Replay {
    /// The spec's spelling (`safe`, `not-after-send`, `safe-already-done`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Replay::Safe => "safe",
            Replay::NotAfterSend => "not-after-send",
            Replay::SafeAlreadyDone => "safe-already-done",
        }
    }
}

/// The API family an operation belongs to.
///
/// Recorded in the spec as `x-family` on each operation. The vendor counts
/// its rate limit per client id and per API version, so the families have
/// separate budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Family {
    /// The v3 API, with paths below `/v3` (`/v3/access-requests`, ...).
    V3,
    /// The per-resource versioned API, with the version last
    /// (`/access-requests/v1`, `/access-request-config/v2`, ...).
    Versioned,
}

impl Family {
    /// Every family, in a stable order.
    pub const ALL: [Family; 2] = [Family::V3, Family::Versioned];

    /// The spec's spelling (`v3`, `versioned`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::V3 => "v3",
            Family::Versioned => "versioned",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads the spec's spelling, ignoring ASCII case and surrounding blanks.
///
/// ```
/// use sailpoint_access_api::Family;
///
/// assert_eq!("versioned".parse::<Family>(), Ok(Family::Versioned));
/// assert_eq!(" V3 ".parse::<Family>(), Ok(Family::V3));
/// let err = "v2024".parse::<Family>().unwrap_err();
/// assert_eq!(err.to_string(), r#"unknown API family "v2024"; expected "v3" or "versioned""#);
/// ```
impl std::str::FromStr for Family {
    type Err = UnknownFamily;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        Family::ALL
            .into_iter()
            .find(|family| family.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownFamily(wanted.to_owned()))
    }
}

/// A family name [`Family::from_str`](std::str::FromStr::from_str) does not
/// know; its message names the value and the accepted spellings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFamily(String);

impl UnknownFamily {
    /// The value that was read.
    pub fn value(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown API family {:?}; expected ", self.0)?;
        for (i, family) in Family::ALL.iter().enumerate() {
            match i {
                0 => {}
                i if i + 1 == Family::ALL.len() => f.write_str(" or ")?,
                _ => f.write_str(", ")?,
            }
            write!(f, "{:?}", family.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownFamily {}

/// One operation of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's `operationId`, such as `createAccessRequest`.
    pub id: &'static str,
    /// The same in snake case, as used in logs and errors (`create_access_request`).
    pub name: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path below the tenant's base URL, such as `/v3/access-requests`.
    pub path: &'static str,
    /// The status the generated client decodes as success.
    pub success: u16,
    /// Whether and how it may be replayed.
    pub replay: Replay,
    /// The API family it belongs to.
    pub family: Family,
    /// Whether the vendor marks it deprecated.
    pub deprecated: bool,
    /// Per filterable field of its `filters` parameter, the operators the
    /// vendor documents for it in this family (`x-filter-operators`); empty
    /// for an operation without filters.
    pub filter_operators: &'static [(&'static str, &'static [&'static str])],
    /// Headers sent with a fixed value on every call (`x-fixed-headers`),
    /// such as `X-SailPoint-Experimental: true` on the vendor's experimental
    /// operations; empty for most operations.
    pub fixed_headers: &'static [(&'static str, &'static str)],
}

impl Operation {
    /// The operators `field` admits in this operation's filters (none for
    /// a field it does not filter on).
    pub fn operators_of(&self, field: &str) -> &'static [&'static str] {
        self.filter_operators
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(&[], |(_, ops)| ops)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations;

    #[test]
    fn every_operation_names_its_family() {
        for op in operations::ALL {
            let v3 = op.path.starts_with("/v3/");
            assert_eq!(op.family == Family::V3, v3, "{op}");
        }
        assert_eq!(operations::CLOSE_ACCESS_REQUESTS.family, Family::Versioned);
        assert_eq!(operations::of_family(Family::V3).count(), 5);
        assert_eq!(operations::of_family(Family::Versioned).count(), 27);
        // Fixed headers only where the vendor requires them.
        let experimental: Vec<&str> = operations::ALL
            .iter()
            .filter(|op| !op.fixed_headers.is_empty())
            .map(|op| op.id)
            .collect();
        assert_eq!(
            experimental,
            [
                "listAdministratorsAccessRequestStatus",
                "loadAccountsSelection"
            ]
        );
        assert_eq!(
            operations::LOAD_ACCOUNTS_SELECTION.fixed_headers,
            &[("X-SailPoint-Experimental", "true")]
        );
        assert_eq!(Family::V3.as_str(), "v3");
        assert_eq!(Family::Versioned.to_string(), "versioned");
    }

    #[test]
    fn dispatch_reaches_every_operation_that_exists_in_both_families() {
        let mut reached: Vec<&Operation> = Vec::new();
        for by_family in crate::dispatch::ALL {
            let ops: Vec<&Operation> = Family::ALL.into_iter().map(by_family).collect();
            for (family, op) in Family::ALL.into_iter().zip(&ops) {
                assert_eq!(op.family, family, "{op}");
                let first = ops[0];
                assert_eq!(
                    (op.method, op.success, op.replay),
                    (first.method, first.success, first.replay),
                    "{op} and {first} are one logical operation"
                );
            }
            reached.extend(ops);
        }
        assert_eq!(reached.len(), 10, "five logical operations, two families");
        let one_family_only: Vec<&str> = operations::ALL
            .iter()
            .filter(|op| !reached.contains(op))
            .map(|op| op.id)
            .collect();
        assert_eq!(
            one_family_only,
            [
                "listAccessProfiles",
                "listAdministratorsAccessRequestStatus",
                "getApprovalSummary",
                "bulkApproveApprovals",
                "listCompletedApprovals",
                "listPendingApprovals",
                "listAccessRequestApprovers",
                "approveApproval",
                "forwardApproval",
                "rejectApproval",
                "getAccessRequestConfigV2",
                "setAccessRequestConfigV2",
                "loadAccountsSelection",
                "bulkCancelAccessRequests",
                "closeAccessRequests",
                "listEntitlements",
                "listIdentityEntitlements",
                "listIdentities",
                "listPublicIdentities",
                "listRequestableObjects",
                "getRevocableObject",
                "listRoles"
            ]
        );
        assert_eq!(
            crate::dispatch::CreateAccessRequest::operation(Family::Versioned),
            &operations::CREATE_ACCESS_REQUEST_V1
        );
    }

    #[test]
    fn family_names_round_trip() {
        for family in Family::ALL {
            assert_eq!(family.to_string().parse::<Family>(), Ok(family));
            assert_eq!(family.as_str().to_uppercase().parse::<Family>(), Ok(family));
        }
        let err = "v2".parse::<Family>().unwrap_err();
        assert_eq!(err.value(), "v2");
        assert_eq!(
            err.to_string(),
            r#"unknown API family "v2"; expected "v3" or "versioned""#
        );
        assert!("".parse::<Family>().is_err(), "no family is implied here");
    }
}
