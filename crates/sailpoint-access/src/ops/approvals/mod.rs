//! The approver's side of a request and the administrators' operations: the
//! [`Approvals`] handle, one builder per operation, each validated before
//! anything is sent (rules `approval.*`, `bulk_approve.*`, shared with the
//! sandbox). All of them exist in the versioned family only.

mod accounts_selection;
mod administrators;
mod approvers;
mod bulk_approve;
mod completed;
mod decide;
mod pending;
mod revocable;
mod summary;

use sailpoint_access_api::types::AccessRequest;
use sailpoint_access_api::Rule;

use crate::engine::Engine;
use crate::error::ValidationError;

pub use accounts_selection::AccountsSelectionQuery;
pub use administrators::AdministratorsStatuses;
pub use approvers::ApproversQuery;
pub use bulk_approve::{BulkApprove, MAX_BULK_APPROVE_IDS};
pub use completed::CompletedApprovals;
pub use decide::{Approve, Forward, Reject, MAX_FORWARD_TEXT};
pub use pending::PendingApprovals;
pub use revocable::RevocableObjectQuery;
pub use summary::SummaryQuery;

/// Approvals and the administrators' views; from `Client::approvals`.
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// let waiting = client
///     .approvals()
///     .pending()
///     .owner("me")
///     .filters(r#"accessRequestId in ("2c91...a","2c91...b")"#)
///     .send()
///     .await?;
/// for approval in &waiting {
///     client.approvals().approve(approval.id.as_deref().unwrap_or_default()).send().await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Approvals {
    engine: Engine,
}

impl Approvals {
    pub(crate) fn new(engine: Engine) -> Self {
        Self { engine }
    }

    /// The pending approvals (one page, or all with `send_all`).
    pub fn pending(&self) -> PendingApprovals {
        PendingApprovals::new(self.engine.clone())
    }

    /// The completed approvals (approved or rejected).
    pub fn completed(&self) -> CompletedApprovals {
        CompletedApprovals::new(self.engine.clone())
    }

    /// Approves one approval; a comment is optional.
    pub fn approve(&self, approval_id: impl Into<String>) -> Approve {
        Approve::new(self.engine.clone(), approval_id.into())
    }

    /// Rejects one approval, with the required comment.
    pub fn reject(&self, approval_id: impl Into<String>, comment: impl Into<String>) -> Reject {
        Reject::new(self.engine.clone(), approval_id.into(), comment.into())
    }

    /// Hands one approval to another owner, with a comment (1 to 255
    /// characters each).
    pub fn forward(
        &self,
        approval_id: impl Into<String>,
        new_owner_id: impl Into<String>,
        comment: impl Into<String>,
    ) -> Forward {
        Forward::new(
            self.engine.clone(),
            approval_id.into(),
            new_owner_id.into(),
            comment.into(),
        )
    }

    /// Approves up to [`MAX_BULK_APPROVE_IDS`] approvals in one call. The
    /// service answers 202 even for unknown ids: re-read to confirm, or use
    /// `Client::approve_many`, which does.
    pub fn bulk_approve<I, S>(&self, approval_ids: I, comment: impl Into<String>) -> BulkApprove
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        BulkApprove::new(
            self.engine.clone(),
            approval_ids.into_iter().map(Into::into).collect(),
            comment.into(),
        )
    }

    /// How many approvals are pending, approved and rejected.
    pub fn summary(&self) -> SummaryQuery {
        SummaryQuery::new(self.engine.clone())
    }

    /// Who an access request waits on, with the approval each may decide.
    pub fn approvers(&self, access_request_id: impl Into<String>) -> ApproversQuery {
        ApproversQuery::new(self.engine.clone(), access_request_id.into())
    }

    /// The administrators' status list of the whole organisation
    /// (experimental: sends `X-SailPoint-Experimental: true`).
    pub fn administrators_statuses(&self) -> AdministratorsStatuses {
        AdministratorsStatuses::new(self.engine.clone())
    }

    /// Which accounts the items of `request` could go to, per identity
    /// (experimental: sends `X-SailPoint-Experimental: true`).
    pub fn accounts_selection(&self, request: AccessRequest) -> AccountsSelectionQuery {
        AccountsSelectionQuery::new(self.engine.clone(), request)
    }

    /// Whether an identity's entitlement can be revoked, and on which
    /// accounts.
    pub fn revocable_object(
        &self,
        identity_id: impl Into<String>,
        entitlement_id: impl Into<String>,
    ) -> RevocableObjectQuery {
        RevocableObjectQuery::new(
            self.engine.clone(),
            identity_id.into(),
            entitlement_id.into(),
        )
    }
}

/// A non-blank id, else `rule` is broken.
pub(crate) use crate::ops::check_not_blank as check_id;

/// The paging and filter parameters the approval lists share.
#[derive(Clone, Debug, Default)]
pub(crate) struct ListParams {
    pub(crate) owner: Option<String>,
    pub(crate) filters: Option<String>,
    pub(crate) sorters: Option<String>,
    pub(crate) limit: Option<u32>,
    pub(crate) offset: Option<u32>,
    pub(crate) count: bool,
}

impl ListParams {
    /// The wire limit and offset, checked against the documented range.
    pub(crate) fn paging(&self) -> Result<(Option<i32>, Option<i32>), ValidationError> {
        let max = sailpoint_access_api::limits::LIST_PENDING_APPROVALS_LIMIT_MAXIMUM;
        let limit = match self.limit {
            Some(l) if i64::from(l) > max => {
                return Err(ValidationError::with_message(
                    Rule::StatusesLimit,
                    l,
                    format!("limit must be from 0 to {max}"),
                ))
            }
            Some(l) => Some(l as i32),
            None => None,
        };
        let offset = match self.offset {
            Some(o) => {
                Some(i32::try_from(o).map_err(|_| ValidationError::new(Rule::StatusesOffset, o))?)
            }
            None => None,
        };
        Ok((limit, offset))
    }
}

/// A list builder over [`ListParams`]: its parameter methods, `send` (one
/// page of `$item` from the generated `$call` of `$op`) and `send_all`.
macro_rules! approval_list {
    ($builder:ident, $item:ty, $op:ident, $call:ident) => {
        impl $builder {
            pub(crate) fn new(engine: crate::engine::Engine) -> Self {
                Self {
                    engine,
                    params: super::ListParams::default(),
                }
            }

            /// Only approvals owned by this identity id (`me` for the caller).
            pub fn owner(mut self, identity_id: impl Into<String>) -> Self {
                self.params.owner = Some(identity_id.into());
                self
            }

            /// A filter in the standard collection syntax, such as
            /// `accessRequestId in ("a","b")`.
            pub fn filters(mut self, filters: impl Into<String>) -> Self {
                self.params.filters = Some(filters.into());
                self
            }

            /// Sort keys (`created`, `modified`, `-` for descending), comma-separated.
            pub fn sorters(mut self, sorters: impl Into<String>) -> Self {
                self.params.sorters = Some(sorters.into());
                self
            }

            /// Page size (0 to 250; the service's default is 250).
            pub fn limit(mut self, limit: u32) -> Self {
                self.params.limit = Some(limit);
                self
            }

            /// Index of the first result.
            pub fn offset(mut self, offset: u32) -> Self {
                self.params.offset = Some(offset);
                self
            }

            /// Asks for `X-Total-Count`.
            pub fn count(mut self, count: bool) -> Self {
                self.params.count = count;
                self
            }

            /// Validates the paging (`statuses.limit`, `statuses.offset`) and
            /// fetches one page.
            pub async fn send(&self) -> crate::error::Result<Vec<$item>> {
                let (limit, offset) = self.params.paging()?;
                let raw = self.engine.raw();
                let p = &self.params;
                let value = self
                    .engine
                    .execute(&sailpoint_access_api::operations::$op, || {
                        let mut call = raw.$call();
                        $crate::engine::setters::pass_set!(call;
                            p.owner => owner_id,
                            p.filters => filters,
                            p.sorters => sorters,
                            limit => limit,
                            offset => offset,
                        );
                        if p.count {
                            call = call.count(true);
                        }
                        call.send()
                    })
                    .await?;
                Ok(value.into_inner())
            }

            /// Every page from the first (the page size is the limit, 250
            /// unless set).
            pub async fn send_all(&self) -> crate::error::Result<Vec<$item>> {
                let size = self.params.limit.unwrap_or(250);
                super::walk(size, |offset| {
                    let page = self.clone().limit(size).offset(offset);
                    async move { page.send().await }
                })
                .await
            }
        }
    };
}
pub(crate) use approval_list;

/// Every item of a list, page after page of `page_size`, until a page
/// comes back short; `fetch(offset)` fetches one page.
pub(crate) async fn walk<T, F, Fut>(page_size: u32, mut fetch: F) -> crate::error::Result<Vec<T>>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = crate::error::Result<Vec<T>>>,
{
    let page_size = page_size.max(1);
    let mut all = Vec::new();
    let mut offset = 0u32;
    loop {
        let page = fetch(offset).await?;
        let got = page.len();
        all.extend(page);
        if got < page_size as usize {
            return Ok(all);
        }
        offset = offset.saturating_add(page_size);
    }
}
