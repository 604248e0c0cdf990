//! Submitting and cancelling access requests: the [`AccessRequests`] handle,
//! the [`SubmitRequest`] builder, items as values, and the rules checked
//! before sending (`validate`).

mod bulk_cancel;
mod cancel;
mod close;
mod item;
mod submit;
mod validate;

use sailpoint_access_api::types::{AccessRequest, AccessRequestType};

use crate::engine::Engine;

pub use bulk_cancel::{BulkCancel, MAX_BULK_CANCEL_IDS};
pub use cancel::{Cancel, Cancelled};
pub use close::{Close, MAX_CLOSE_IDS};
pub use item::{Item, PerIdentity, PerIdentityItem};
pub use submit::SubmitRequest;
pub use validate::{
    validate_access_request, validate_cancel, MAX_ENTITLEMENTS, MAX_IDENTITIES_WITH_ENTITLEMENTS,
    MAX_ITEMS,
};

/// Submitting and cancelling access requests; from `Client::access_requests`.
///
/// Owns a handle on the client, so it and everything built from it can be
/// moved into spawned tasks.
#[derive(Clone, Debug)]
pub struct AccessRequests {
    engine: Engine,
}

impl AccessRequests {
    pub(crate) fn new(engine: Engine) -> Self {
        Self { engine }
    }

    /// Starts a `GRANT_ACCESS` request.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use chrono::{Duration, Utc};
    /// use sailpoint_access::Item;
    ///
    /// let sent = client
    ///     .access_requests()
    ///     .grant()
    ///     .for_identities(["2c91...a", "2c91...b"])
    ///     .item(Item::role("2c91...r").comment("project X"))
    ///     .item(Item::entitlement("2c91...e").remove_date(Utc::now() + Duration::days(30)))
    ///     .send()
    ///     .await?;
    /// for created in &sent.new_requests {
    ///     println!("{:?}: {:?}", created.requested_for, created.access_request_ids);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn grant(&self) -> SubmitRequest {
        SubmitRequest::new(self.engine.clone(), AccessRequestType::GrantAccess)
    }

    /// Starts a `REVOKE_ACCESS` request: one identity, a comment on each item,
    /// at most one entitlement, no start date.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::Item;
    ///
    /// client
    ///     .access_requests()
    ///     .revoke()
    ///     .for_identity("2c91...a")
    ///     .item(Item::entitlement("2c91...e").comment("left the project"))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn revoke(&self) -> SubmitRequest {
        SubmitRequest::new(self.engine.clone(), AccessRequestType::RevokeAccess)
    }

    /// Starts a `MODIFY_ACCESS` request (changes the dates of existing access).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use chrono::{Duration, Utc};
    /// use sailpoint_access::Item;
    ///
    /// client.access_requests().modify().for_identity("2c91...a")
    ///     .item(Item::role("2c91...r").remove_date(Utc::now() + Duration::days(7)))
    ///     .send().await?;
    /// # Ok(()) }
    /// ```
    pub fn modify(&self) -> SubmitRequest {
        SubmitRequest::new(self.engine.clone(), AccessRequestType::ModifyAccess)
    }

    /// A request body built by hand, validated and submitted by
    /// [`SubmitRequest::send`]: never replayed once it may have reached the
    /// service.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::types::AccessRequest;
    /// use sailpoint_access::Item;
    ///
    /// let body = AccessRequest {
    ///     requested_for: vec!["2c91...a".into()],
    ///     requested_items: vec![Item::role("2c91...r").into()],
    ///     ..Default::default()
    /// };
    /// client.access_requests().submit(body).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn submit(&self, body: AccessRequest) -> SubmitRequest {
        SubmitRequest::from_body(self.engine.clone(), body)
    }

    /// Starts the cancellation of a pending request, by its account activity
    /// id (the `accountActivityItemId` of its status); see [`Cancel`].
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let outcome = client
    ///     .access_requests()
    ///     .cancel("2c91...activity", "requested by mistake")
    ///     .send()
    ///     .await?;
    /// if outcome.was_replayed() {
    ///     println!("the first attempt's answer was lost; the request is cancelled");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cancel(
        &self,
        account_activity_id: impl Into<String>,
        comment: impl Into<String>,
    ) -> Cancel {
        Cancel::new(
            self.engine.clone(),
            account_activity_id.into(),
            comment.into(),
        )
    }

    /// Closes access requests at any stage (versioned family only); see [`Close`].
    pub fn close<I, S>(&self, access_request_ids: I) -> Close
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Close::new(
            self.engine.clone(),
            access_request_ids.into_iter().map(Into::into).collect(),
        )
    }

    /// Cancels up to [`MAX_BULK_CANCEL_IDS`] access requests in one call
    /// (versioned family only); see [`BulkCancel`].
    pub fn bulk_cancel<I, S>(&self, access_request_ids: I, comment: impl Into<String>) -> BulkCancel
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        BulkCancel::new(
            self.engine.clone(),
            access_request_ids.into_iter().map(Into::into).collect(),
            comment.into(),
        )
    }
}
