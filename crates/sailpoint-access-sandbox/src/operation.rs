//! The operations the sandbox serves. The enum itself is generated from the
//! spec (`generated.rs`, by `cargo xtask codegen`); methods, paths and
//! operation ids come from the generated `sailpoint_access_api::operations`
//! table, so the router, the counters and the fault scopes never keep a copy
//! of their own; only the token endpoint, which is not part of the spec, is
//! described here.

use std::fmt;

#[cfg(test)]
use sailpoint_access_api::operations;
use sailpoint_access_api::{Family, Operation as SpecOperation};

pub use crate::generated::Operation;

/// The OAuth2 token endpoint, served beside the API as on a tenant host.
const TOKEN_PATH: &str = "/oauth/token";
/// Its method.
const TOKEN_METHOD: &str = "POST";
/// Its name in counters and messages.
const TOKEN_ID: &str = "token";

impl Operation {
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The API family of this operation, or `None` for the token endpoint.
    ///
    /// ```
    /// use sailpoint_access_api::Family;
    /// use sailpoint_access_sandbox::Operation;
    ///
    /// assert_eq!(Operation::CreateAccessRequest.family(), Some(Family::V3));
    /// assert_eq!(Operation::CloseAccessRequests.family(), Some(Family::Versioned));
    /// assert_eq!(Operation::Token.family(), None);
    /// ```
    pub const fn family(self) -> Option<Family> {
        match self.spec() {
            Some(spec) => Some(spec.family),
            None => None,
        }
    }

    /// The local operation for a spec operation, if the sandbox serves it.
    pub fn from_spec(spec: &SpecOperation) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|op| op.spec().is_some_and(|s| s.id == spec.id))
    }

    /// The HTTP method, upper case.
    pub const fn method(self) -> &'static str {
        match self.spec() {
            Some(spec) => spec.method,
            None => TOKEN_METHOD,
        }
    }

    /// The path below the base URL, such as `/oauth/token`.
    pub const fn path(self) -> &'static str {
        match self.spec() {
            Some(spec) => spec.path,
            None => TOKEN_PATH,
        }
    }

    /// The operation id as the spec names it (`createAccessRequest`, ...), or
    /// `token` for the token endpoint.
    pub const fn as_str(self) -> &'static str {
        match self.spec() {
            Some(spec) => spec.id,
            None => TOKEN_ID,
        }
    }

    /// The operation a method and path address, if any (a trailing `/` is
    /// ignored).
    pub(crate) fn route(method: &str, path: &str) -> Option<Operation> {
        let path = path.strip_suffix('/').unwrap_or(path);
        Operation::ALL
            .into_iter()
            .find(|op| op.method() == method && path_matches(op.path(), path))
    }

    // A u64 set: room for more than 32 operations as the spec grows.
    const fn bit(self) -> u64 {
        1 << self as u32
    }
}

/// Whether `path` fits `template`, where a `{name}` segment stands for any
/// one non-empty segment (`/entitlements/v1/identities/{id}/entitlements`).
fn path_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(want), Some(got)) => {
                let wild = want.starts_with('{') && want.ends_with('}');
                if !(wild && !got.is_empty() || want == got) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Operation`]s a fault applies to.
///
/// ```
/// use sailpoint_access_sandbox::{Operation, Operations};
///
/// let ops = Operations::only(Operation::CreateAccessRequest).with(Operation::CancelAccessRequest);
/// assert!(ops.contains(Operation::CancelAccessRequest));
/// assert!(!ops.contains(Operation::Token));
/// assert!(Operations::API.contains(Operation::ListAccessRequestStatus));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operations(u64);

impl Operations {
    /// No operation.
    pub const NONE: Operations = Operations(0);
    /// Every operation, the token endpoint included.
    pub const ALL: Operations = Operations((1 << Operation::ALL.len()) - 1);
    /// The API operations, not the token endpoint (the default scope of
    /// every fault, so that tests can always obtain a token).
    pub const API: Operations = Operations(Operations::ALL.0 & !Operation::Token.bit());
    /// The operations of the v3 family.
    pub const V3: Operations = Operations::family(Family::V3);
    /// The operations of the versioned family.
    pub const VERSIONED: Operations = Operations::family(Family::Versioned);

    /// The operations of `family`.
    pub const fn family(family: Family) -> Operations {
        let mut bits = 0;
        let mut i = 0;
        while i < Operation::ALL.len() {
            let op = Operation::ALL[i];
            if let Some(spec) = op.spec() {
                // `Family` is not `const`-comparable; compare its spelling.
                if same(spec.family.as_str(), family.as_str()) {
                    bits |= op.bit();
                }
            }
            i += 1;
        }
        Operations(bits)
    }

    /// Just `op`.
    pub const fn only(op: Operation) -> Operations {
        Operations(op.bit())
    }

    /// This set plus `op`.
    pub const fn with(self, op: Operation) -> Operations {
        Operations(self.0 | op.bit())
    }

    /// Whether `op` is in the set.
    pub const fn contains(self, op: Operation) -> bool {
        self.0 & op.bit() != 0
    }
}

/// String equality in a `const fn`.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Default for Operations {
    fn default() -> Self {
        Operations::API
    }
}

impl From<Operation> for Operations {
    fn from(op: Operation) -> Self {
        Operations::only(op)
    }
}

impl FromIterator<Operation> for Operations {
    fn from_iter<I: IntoIterator<Item = Operation>>(iter: I) -> Self {
        iter.into_iter().fold(Operations::NONE, Operations::with)
    }
}

impl fmt::Debug for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(Operation::ALL.iter().filter(|op| self.contains(**op)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_operation_is_served_exactly_once() {
        for spec in operations::ALL {
            let op = Operation::from_spec(spec).expect("the sandbox serves every spec operation");
            assert_eq!(op.spec(), Some(spec));
            assert_eq!((op.method(), op.path()), (spec.method, spec.path));
            assert_eq!(Operation::route(spec.method, spec.path), Some(op));
        }
        assert_eq!(Operation::ALL.len(), operations::ALL.len() + 1);
        assert_eq!(
            Operation::route("POST", "/oauth/token/"),
            Some(Operation::Token)
        );
        assert_eq!(Operation::route("DELETE", "/oauth/token"), None);
        assert_eq!(
            Operation::CreateAccessRequest.as_str(),
            "createAccessRequest"
        );
        assert_eq!(Operation::Token.to_string(), "token");
        let spec = Operation::CancelAccessRequest.spec().unwrap();
        assert_eq!(spec.id, "cancelAccessRequest");
        assert!(Operation::Token.spec().is_none());
        // The spec's order, which the counters and fault scopes list in.
        assert_eq!(
            &Operation::ALL[..3],
            [
                Operation::Token,
                Operation::CreateAccessRequest,
                Operation::CancelAccessRequest
            ]
        );
    }

    #[test]
    fn operation_sets() {
        assert!(!Operations::API.contains(Operation::Token));
        assert!(Operation::ALL
            .iter()
            .all(|op| Operations::ALL.contains(*op)));
        assert_eq!(
            Operation::ALL.into_iter().collect::<Operations>(),
            Operations::ALL
        );
        assert_eq!(Operations::API.with(Operation::Token), Operations::ALL);
    }

    #[test]
    fn family_sets_split_the_api_operations() {
        for op in Operation::ALL {
            let family = op.family();
            assert_eq!(
                Operations::V3.contains(op),
                family == Some(Family::V3),
                "{op}"
            );
            assert_eq!(
                Operations::VERSIONED.contains(op),
                family == Some(Family::Versioned),
                "{op}"
            );
        }
        let both: Operations = Operation::ALL
            .into_iter()
            .filter(|op| op.family().is_some())
            .collect();
        assert_eq!(both, Operations::API);
        assert!(Operations::VERSIONED.contains(Operation::CloseAccessRequests));
        assert!(!Operations::VERSIONED.contains(Operation::CreateAccessRequest));
    }
}
