//! The administrators' status list (`GET /access-request-administration/v1`),
//! experimental: the generated client sends `X-SailPoint-Experimental: true`
//! on every call (the spec's `x-fixed-headers`).

use sailpoint_access_api::operations;
use sailpoint_access_api::types::AdministratorsItemStatus;

use crate::engine::setters::pass_set;
use crate::engine::Engine;
use crate::error::Result;

/// The requested items of the whole organisation; from
/// `Approvals::administrators_statuses`. ORG_ADMIN or the access request
/// administration read right. Filters: `accountActivityItemId`,
/// `accessRequestId`, `status`, `created`.
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until `send` is awaited"]
pub struct AdministratorsStatuses {
    engine: Engine,
    filters: Option<String>,
    limit: Option<i32>,
    offset: Option<i32>,
}

impl AdministratorsStatuses {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            filters: None,
            limit: None,
            offset: None,
        }
    }

    /// A filter in the standard collection syntax, such as
    /// `accessRequestId in ("a","b")`.
    pub fn filters(mut self, filters: impl Into<String>) -> Self {
        self.filters = Some(filters.into());
        self
    }

    /// Page size (at most 250).
    pub fn limit(mut self, limit: u8) -> Self {
        self.limit = Some(i32::from(limit).min(250));
        self
    }

    /// Index of the first result (at most `i32::MAX`).
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(i32::try_from(offset).unwrap_or(i32::MAX));
        self
    }

    /// Fetches one page. Each row is a status with what only this list
    /// documents (`reauthorization_required`).
    pub async fn send(self) -> Result<Vec<AdministratorsItemStatus>> {
        let raw = self.engine.raw();
        let (filters, limit, offset) = (self.filters, self.limit, self.offset);
        let value = self
            .engine
            .execute(
                &operations::LIST_ADMINISTRATORS_ACCESS_REQUEST_STATUS,
                || {
                    let mut call = raw.list_administrators_access_request_status();
                    pass_set!(call; filters => filters, limit => limit, offset => offset);
                    call.send()
                },
            )
            .await?;
        Ok(value.into_inner())
    }
}
