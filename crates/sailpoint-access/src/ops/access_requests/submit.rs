//! The [`SubmitRequest`] builder and the one place a submission is sent.

use sailpoint_access_api::types::{AccessRequest, AccessRequestResponse, AccessRequestType};
use sailpoint_access_api::{dispatch, Timestamp};

use super::item::{Item, PerIdentity};
use super::validate::validate_access_request;
use crate::engine::setters::list_setters;
use crate::engine::Engine;
use crate::error::Result;

/// A request being built; from `AccessRequests::grant`, `revoke` or
/// `modify`, or whole from `AccessRequests::submit`.
///
/// Identities and whole [`Item`]s are added; `role`, `access_profile` and
/// `entitlement` add an item with no comment, dates or metadata.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct SubmitRequest {
    engine: Engine,
    body: AccessRequest,
}

impl SubmitRequest {
    pub(crate) fn new(engine: Engine, kind: AccessRequestType) -> Self {
        Self {
            engine,
            body: AccessRequest {
                request_type: Some(kind),
                ..Default::default()
            },
        }
    }

    /// A request whose body was built by hand.
    pub(crate) fn from_body(engine: Engine, body: AccessRequest) -> Self {
        Self { engine, body }
    }

    /// Adds one identity the items are requested for.
    pub fn for_identity(mut self, identity_id: impl Into<String>) -> Self {
        self.body.requested_for.push(identity_id.into());
        self
    }

    list_setters! {
        /// Adds identities the items are requested for.
        for_identities => body.requested_for;
    }

    /// Adds an item, with its comment, dates and metadata.
    pub fn item(mut self, item: Item) -> Self {
        self.body.requested_items.push(item.into_inner());
        self
    }

    /// Adds several items.
    pub fn items(mut self, items: impl IntoIterator<Item = Item>) -> Self {
        self.body
            .requested_items
            .extend(items.into_iter().map(Item::into_inner));
        self
    }

    /// Adds a role with nothing else set.
    pub fn role(self, id: impl Into<String>) -> Self {
        self.item(Item::role(id))
    }

    /// Adds an access profile with nothing else set.
    pub fn access_profile(self, id: impl Into<String>) -> Self {
        self.item(Item::access_profile(id))
    }

    /// Adds an entitlement with nothing else set.
    pub fn entitlement(self, id: impl Into<String>) -> Self {
        self.item(Item::entitlement(id))
    }

    /// A caller-defined pair stored on the request.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.body.client_metadata.insert(key.into(), value.into());
        self
    }

    /// Adds an identity with its own items (`requestedForWithRequestedItems`,
    /// GRANT only). A request uses either this form or identities + items, never both.
    pub fn per_identity(mut self, entry: impl Into<PerIdentity>) -> Self {
        self.body
            .requested_for_with_requested_items
            .get_or_insert_with(Vec::new)
            .push(entry.into().into_inner());
        self
    }

    /// The validated body, without sending it.
    ///
    /// ```
    /// # fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::Item;
    ///
    /// let body = client.access_requests().grant().for_identity("id-1").role("role-1").build()?;
    /// assert_eq!(body.requested_items.len(), 1);
    /// let err = client.access_requests().revoke().for_identities(["a", "b"])
    ///     .item(Item::role("r").comment("c")).build();
    /// assert_eq!(err.unwrap_err().validation().unwrap().rule, "revoke.single_identity");
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<AccessRequest> {
        validate_access_request(self.engine.family(), &self.body, Timestamp::now())?;
        Ok(self.body)
    }

    /// Validates and submits the request. A submission is never replayed once
    /// it may have reached the service (the service accepts duplicates).
    pub async fn send(self) -> Result<AccessRequestResponse> {
        send_validated(self.engine, self.body).await
    }
}

/// Validates `body` and sends it once (retried only when it certainly did
/// not reach the service, or was answered 429).
pub(crate) async fn send_validated(
    engine: Engine,
    body: AccessRequest,
) -> Result<AccessRequestResponse> {
    validate_access_request(engine.family(), &body, Timestamp::now())?;
    if tracing::enabled!(tracing::Level::TRACE) {
        tracing::trace!(body = %serde_json::to_string(&body).unwrap_or_default(), "submitting access request");
    }
    let raw = engine.raw();
    let family = engine.family();
    let response = engine
        .execute(dispatch::CreateAccessRequest::operation(family), || {
            dispatch::CreateAccessRequest::new(raw, family)
                .body(body.clone())
                .send()
        })
        .await?;
    Ok(response.into_inner())
}
