//! Accounts selection (`POST /access-requests/v1/accounts-selection`),
//! experimental: the generated client sends `X-SailPoint-Experimental: true`
//! on every call (the spec's `x-fixed-headers`).

use sailpoint_access_api::types::{AccessRequest, AccountsSelection};

use crate::engine::Engine;
use crate::error::Result;
use crate::ops::access_requests::validate_access_request;
use crate::ops::send_body;

/// Which accounts the items of a request could go to, per identity; from
/// `Approvals::accounts_selection`. Nothing is submitted.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct AccountsSelectionQuery {
    engine: Engine,
    request: AccessRequest,
}

impl AccountsSelectionQuery {
    pub(crate) fn new(engine: Engine, request: AccessRequest) -> Self {
        Self { engine, request }
    }

    /// Validates the body with the rules of a create (it is one) and sends.
    pub async fn send(self) -> Result<AccountsSelection> {
        validate_access_request(
            sailpoint_access_api::Family::Versioned,
            &self.request,
            sailpoint_access_api::Timestamp::now(),
        )?;
        let value = send_body!(
            self.engine,
            LOAD_ACCOUNTS_SELECTION,
            self.request,
            load_accounts_selection
        )?;
        Ok(value.into_inner())
    }
}
