//! Submitting and cancelling access requests, and the rules checked before sending.

use std::collections::{HashMap, HashSet};

use sailpoint_access_api::types::{
    AccessItemType, AccessRequest, AccessRequestItem, AccessRequestResponse, AccessRequestType,
    CancelAccessRequest, RequestedForDtoRef, RequestedItemStatus,
};
use sailpoint_access_api::Timestamp;

use crate::error::{Result, ValidationError};
use crate::transport::{self, execute};
use crate::Client;

/// Most items one request may carry.
pub const MAX_ITEMS: usize = 25;
/// Most entitlements one GRANT request may carry.
pub const MAX_ENTITLEMENTS: usize = 25;
/// Most identities one GRANT request with entitlements may target.
pub const MAX_IDENTITIES_WITH_ENTITLEMENTS: usize = 10;

/// Submitting and cancelling access requests; from [`Client::access_requests`].
#[derive(Clone, Copy, Debug)]
pub struct AccessRequests<'c> {
    client: &'c Client,
}

impl<'c> AccessRequests<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    pub(crate) fn client(&self) -> &'c Client {
        self.client
    }

    /// Starts a `GRANT_ACCESS` request.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use chrono::{Duration, Utc};
    ///
    /// let sent = client
    ///     .access_requests()
    ///     .grant()
    ///     .for_identities(["2c91...a", "2c91...b"])
    ///     .role("2c91...r")
    ///     .comment("project X")
    ///     .entitlement("2c91...e")
    ///     .remove_date(Utc::now() + Duration::days(30))
    ///     .send()
    ///     .await?;
    /// for created in &sent.new_requests {
    ///     println!("{:?}: {:?}", created.requested_for, created.access_request_ids);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn grant(self) -> SubmitRequest<'c> {
        SubmitRequest::new(self.client, AccessRequestType::GrantAccess)
    }

    /// Starts a `REVOKE_ACCESS` request: one identity, a comment on each item,
    /// at most one entitlement, no start date.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// client
    ///     .access_requests()
    ///     .revoke()
    ///     .for_identity("2c91...a")
    ///     .entitlement("2c91...e")
    ///     .comment("left the project")
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn revoke(self) -> SubmitRequest<'c> {
        SubmitRequest::new(self.client, AccessRequestType::RevokeAccess)
    }

    /// Starts a `MODIFY_ACCESS` request (changes the dates of existing access).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use chrono::{Duration, Utc};
    /// client.access_requests().modify().for_identity("2c91...a").role("2c91...r")
    ///     .remove_date(Utc::now() + Duration::days(7)).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn modify(self) -> SubmitRequest<'c> {
        SubmitRequest::new(self.client, AccessRequestType::ModifyAccess)
    }

    /// Validates and submits a request body built by hand.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::types::{AccessItemType, AccessRequest, AccessRequestItem};
    ///
    /// let body = AccessRequest {
    ///     requested_for: vec!["2c91...a".into()],
    ///     requested_items: vec![AccessRequestItem {
    ///         id: "2c91...r".into(),
    ///         type_: AccessItemType::Role,
    ///         assignment_id: None, client_metadata: Default::default(), comment: None,
    ///         native_identity: None, remove_date: None, start_date: None,
    ///     }],
    ///     ..Default::default()
    /// };
    /// client.access_requests().submit(body).await?;
    /// # Ok(()) }
    /// ```
    pub async fn submit(self, body: AccessRequest) -> Result<AccessRequestResponse> {
        validate_access_request(&body, Timestamp::now())?;
        send_create(self.client, body).await
    }

    /// Cancels a pending request by its account activity id (the
    /// `accountActivityItemId` of its status). Retried on transient failures:
    /// cancelling twice is harmless.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// client.access_requests().cancel("2c91...activity", "requested by mistake").await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(
        self,
        account_activity_id: impl Into<String>,
        comment: impl Into<String>,
    ) -> Result<()> {
        let body = CancelAccessRequest {
            account_activity_id: account_activity_id.into(),
            comment: comment.into(),
        };
        validate_cancel(&body)?;
        let raw = &self.client.inner.raw;
        execute(&self.client.inner, transport::CANCEL, || {
            raw.cancel_access_request().body(body.clone()).send()
        })
        .await?;
        Ok(())
    }
}

async fn send_create(client: &Client, body: AccessRequest) -> Result<AccessRequestResponse> {
    tracing::trace!(body = %serde_json::to_string(&body).unwrap_or_default(), "submitting access request");
    let raw = &client.inner.raw;
    let response = execute(&client.inner, transport::CREATE, || {
        raw.create_access_request().body(body.clone()).send()
    })
    .await?;
    Ok(response.into_inner())
}

/// A request being built; from [`AccessRequests::grant`], [`revoke`](AccessRequests::revoke)
/// or [`modify`](AccessRequests::modify).
///
/// Item modifiers ([`comment`](Self::comment), [`remove_date`](Self::remove_date),
/// [`start_date`](Self::start_date), ...) apply to the item added last; calling
/// one before any item is reported by [`build`](Self::build) and [`send`](Self::send).
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct SubmitRequest<'c> {
    client: &'c Client,
    body: AccessRequest,
    misuse: Option<ValidationError>,
}

impl<'c> SubmitRequest<'c> {
    fn new(client: &'c Client, kind: AccessRequestType) -> Self {
        Self {
            client,
            body: AccessRequest {
                request_type: Some(kind),
                ..Default::default()
            },
            misuse: None,
        }
    }

    /// Adds one identity the items are requested for.
    pub fn for_identity(mut self, identity_id: impl Into<String>) -> Self {
        self.body.requested_for.push(identity_id.into());
        self
    }

    /// Adds identities the items are requested for.
    pub fn for_identities<I, S>(mut self, identity_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.body
            .requested_for
            .extend(identity_ids.into_iter().map(Into::into));
        self
    }

    /// Adds a role.
    pub fn role(self, id: impl Into<String>) -> Self {
        self.item(AccessItemType::Role, id)
    }

    /// Adds an access profile.
    pub fn access_profile(self, id: impl Into<String>) -> Self {
        self.item(AccessItemType::AccessProfile, id)
    }

    /// Adds an entitlement.
    pub fn entitlement(self, id: impl Into<String>) -> Self {
        self.item(AccessItemType::Entitlement, id)
    }

    /// Adds an item of any type.
    pub fn item(mut self, kind: AccessItemType, id: impl Into<String>) -> Self {
        self.body.requested_items.push(AccessRequestItem {
            id: id.into(),
            type_: kind,
            assignment_id: None,
            client_metadata: HashMap::new(),
            comment: None,
            native_identity: None,
            remove_date: None,
            start_date: None,
        });
        self
    }

    /// Applies `change` to the item added last; before any item, remembers the
    /// misuse so that `build`/`send` report it instead of silently dropping it.
    fn on_last_item(
        mut self,
        modifier: &'static str,
        change: impl FnOnce(&mut AccessRequestItem),
    ) -> Self {
        match self.body.requested_items.last_mut() {
            Some(item) => change(item),
            None if self.misuse.is_none() => {
                self.misuse = Some(ValidationError::new(
                    "builder.modifier_before_item",
                    modifier,
                    "item modifiers apply to the item added last; add an item first",
                ));
            }
            None => {}
        }
        self
    }

    /// The justification of the last item (required by the service for revocations).
    pub fn comment(self, comment: impl Into<String>) -> Self {
        self.on_last_item("comment", |item| item.comment = Some(comment.into()))
    }

    /// When the last item's access ends (sunset); must be in the future.
    pub fn remove_date(self, at: impl Into<Timestamp>) -> Self {
        self.on_last_item("remove_date", |item| item.remove_date = Some(at.into()))
    }

    /// When the last item's access starts (sunrise); in the future, not for revocations.
    pub fn start_date(self, at: impl Into<Timestamp>) -> Self {
        self.on_last_item("start_date", |item| item.start_date = Some(at.into()))
    }

    /// For revoking an entitlement: the account, by its source id.
    pub fn native_identity(self, native_identity: impl Into<String>) -> Self {
        self.on_last_item("native_identity", |item| {
            item.native_identity = Some(native_identity.into())
        })
    }

    /// For revoking a role: which assignment.
    pub fn assignment_id(self, assignment_id: impl Into<String>) -> Self {
        self.on_last_item("assignment_id", |item| {
            item.assignment_id = Some(assignment_id.into())
        })
    }

    /// A caller-defined pair stored on the last item.
    pub fn item_metadata(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.on_last_item("item_metadata", |item| {
            item.client_metadata.insert(key.into(), value.into());
        })
    }

    /// A caller-defined pair stored on the request.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.body.client_metadata.insert(key.into(), value.into());
        self
    }

    /// Adds per-identity items (`requestedForWithRequestedItems`, GRANT only),
    /// to give identities different items, dates or accounts. A request uses
    /// either this form or identities + items, never both.
    pub fn per_identity(mut self, entry: RequestedForDtoRef) -> Self {
        self.body
            .requested_for_with_requested_items
            .get_or_insert_with(Vec::new)
            .push(entry);
        self
    }

    /// The validated body, without sending it.
    ///
    /// ```
    /// # fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let body = client.access_requests().grant().for_identity("id-1").role("role-1").build()?;
    /// assert_eq!(body.requested_items.len(), 1);
    /// let err = client.access_requests().revoke().for_identities(["a", "b"]).role("r").comment("c").build();
    /// assert_eq!(err.unwrap_err().validation().unwrap().rule, "revoke.single_identity");
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<AccessRequest> {
        if let Some(misuse) = self.misuse {
            return Err(misuse.into());
        }
        validate_access_request(&self.body, Timestamp::now())?;
        Ok(self.body)
    }

    /// Validates and submits the request. A submission is never replayed once
    /// it may have reached the service (the service accepts duplicates).
    pub async fn send(self) -> Result<AccessRequestResponse> {
        let client = self.client;
        let body = self.build()?;
        send_create(client, body).await
    }

    /// Submits only what is not already pending.
    ///
    /// The API advises checking for existing requests first, since it accepts
    /// duplicates silently. This lists the statuses of each target identity and
    /// treats an item as pending for an identity when a status of the same
    /// request type, item id and item type is not yet in a terminal state.
    /// Items pending for every target identity are left out; when nothing is
    /// left, nothing is submitted. Matching needs the status `id` field, which
    /// tenants send since 2026; on older tenants nothing matches and the
    /// request is submitted as is.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let outcome = client.access_requests().grant().for_identity("2c91...a").role("2c91...r")
    ///     .submit_unless_pending().await?;
    /// if outcome.submitted.is_none() {
    ///     println!("already pending: {} item(s)", outcome.already_pending.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn submit_unless_pending(self) -> Result<Submission> {
        let client = self.client;
        let mut body = self.build()?;
        let kind = body
            .request_type
            .clone()
            .unwrap_or(AccessRequestType::GrantAccess);
        let identities: Vec<String> = match &body.requested_for_with_requested_items {
            Some(entries) => entries.iter().map(|e| e.identity_id.clone()).collect(),
            None => body.requested_for.clone(),
        };
        let mut pending: HashMap<String, Vec<RequestedItemStatus>> = HashMap::new();
        for identity in &identities {
            let statuses = client
                .statuses()
                .requested_for(identity.as_str())
                .collect(PENDING_SCAN_LIMIT)
                .await?;
            let open = statuses
                .into_iter()
                .filter(|s| !s.state.as_ref().is_some_and(crate::wait::is_terminal))
                .filter(|s| {
                    s.request_type
                        .clone()
                        .unwrap_or(AccessRequestType::GrantAccess)
                        == kind
                })
                .collect();
            pending.insert(identity.clone(), open);
        }
        let is_pending = |identity: &str, id: &str, kind: &AccessItemType| {
            pending.get(identity).is_some_and(|list| {
                list.iter()
                    .any(|s| s.id.as_deref() == Some(id) && s.type_.as_ref() == Some(kind))
            })
        };
        let mut already = Vec::new();
        let mut seen = HashSet::new();
        let mut note = |identity: &str, id: &str, kind: &AccessItemType| {
            if let Some(list) = pending.get(identity) {
                for s in list
                    .iter()
                    .filter(|s| s.id.as_deref() == Some(id) && s.type_.as_ref() == Some(kind))
                {
                    let key = (
                        identity.to_owned(),
                        s.account_activity_item_id.clone(),
                        s.access_request_id.clone(),
                    );
                    if seen.insert(key) {
                        already.push(s.clone());
                    }
                }
            }
        };
        let remaining = match body.requested_for_with_requested_items.as_mut() {
            Some(entries) => {
                for entry in entries.iter_mut() {
                    entry.requested_items.retain(|item| {
                        let dup = is_pending(&entry.identity_id, &item.id, &item.type_);
                        if dup {
                            note(&entry.identity_id, &item.id, &item.type_);
                        }
                        !dup
                    });
                }
                entries.retain(|e| !e.requested_items.is_empty());
                !entries.is_empty()
            }
            None => {
                let targets = body.requested_for.clone();
                body.requested_items.retain(|item| {
                    let dup = targets
                        .iter()
                        .all(|who| is_pending(who, &item.id, &item.type_));
                    if dup {
                        for who in &targets {
                            note(who, &item.id, &item.type_);
                        }
                    }
                    !dup
                });
                !body.requested_items.is_empty()
            }
        };
        let submitted = if remaining {
            Some(send_create(client, body).await?)
        } else {
            None
        };
        Ok(Submission {
            submitted,
            already_pending: already,
        })
    }
}

/// How many statuses per identity [`SubmitRequest::submit_unless_pending`] scans.
const PENDING_SCAN_LIMIT: usize = 2_000;

/// The outcome of [`SubmitRequest::submit_unless_pending`].
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Submission {
    /// The service's answer, when something was submitted.
    pub submitted: Option<AccessRequestResponse>,
    /// Statuses of the pending requests that made items be left out.
    pub already_pending: Vec<RequestedItemStatus>,
}

fn check(
    ok: bool,
    rule: &'static str,
    value: impl std::fmt::Display,
    message: &str,
) -> Result<(), ValidationError> {
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new(rule, value, message))
    }
}

fn check_dates(
    start: Option<&Timestamp>,
    remove: Option<&Timestamp>,
    now: Timestamp,
    revoke: bool,
) -> Result<(), ValidationError> {
    if let Some(start) = start {
        check(
            !revoke,
            "revoke.no_start_date",
            start,
            "a revocation cannot carry a startDate",
        )?;
        check(
            *start > now,
            "dates.start_in_future",
            start,
            "startDate must be in the future (UTC)",
        )?;
    }
    if let Some(remove) = remove {
        check(
            *remove > now,
            "dates.remove_in_future",
            remove,
            "removeDate must be in the future (UTC)",
        )?;
    }
    if let (Some(start), Some(remove)) = (start, remove) {
        check(
            start < remove,
            "dates.start_before_remove",
            format!("{start} .. {remove}"),
            "startDate must be before removeDate",
        )?;
    }
    Ok(())
}

/// Checks a request body against the documented rules, at time `now`.
///
/// Rules (each error names its rule):
/// - `request.form`: either `requestedFor` + `requestedItems`, or
///   `requestedForWithRequestedItems`, not both. The vendor's schema requires
///   the first two while its prose says the per-identity form is used
///   without them; this crate follows the prose.
/// - `requested_for.non_empty`, `requested_for.id`, `requested_for.unique`:
///   at least one identity, none blank or repeated.
/// - `requested_items.count`: 1 to 25 items; `item.id`: no blank id.
/// - `grant.entitlement_limits`: with any entitlement, at most 25
///   entitlements and 10 identities.
/// - `revoke.single_identity`, `revoke.single_entitlement`,
///   `revoke.no_start_date`, `revoke.comment_required`.
/// - `dates.start_in_future`, `dates.remove_in_future`, `dates.start_before_remove`.
/// - `per_identity.grant_only`: the per-identity form is for GRANT_ACCESS only.
///   In that form the same rules apply per identity entry (1 to 25 items,
///   ids, dates), identities must be unique, and with any entitlement at most
///   10 identities and 25 entitlements per identity are allowed.
///
/// ```
/// use sailpoint_access::{types, validate_access_request, Timestamp};
///
/// let empty = types::AccessRequest::default();
/// let err = validate_access_request(&empty, Timestamp::now()).unwrap_err();
/// assert_eq!(err.rule, "requested_for.non_empty");
/// ```
pub fn validate_access_request(
    body: &AccessRequest,
    now: Timestamp,
) -> Result<(), ValidationError> {
    let kind = body
        .request_type
        .clone()
        .unwrap_or(AccessRequestType::GrantAccess);
    let revoke = kind == AccessRequestType::RevokeAccess;
    if let Some(entries) = &body.requested_for_with_requested_items {
        check(
            body.requested_for.is_empty() && body.requested_items.is_empty(),
            "request.form",
            "requestedForWithRequestedItems with requestedFor/requestedItems",
            "use either requestedFor + requestedItems or requestedForWithRequestedItems, not both",
        )?;
        check(
            kind == AccessRequestType::GrantAccess,
            "per_identity.grant_only",
            &kind,
            "requestedForWithRequestedItems is only for GRANT_ACCESS",
        )?;
        return validate_per_identity(entries, now);
    }

    check(
        !body.requested_for.is_empty(),
        "requested_for.non_empty",
        "[]",
        "at least one identity is required",
    )?;
    let mut seen = HashSet::new();
    for id in &body.requested_for {
        check(
            !id.trim().is_empty(),
            "requested_for.id",
            format!("{id:?}"),
            "identity ids cannot be blank",
        )?;
        check(
            seen.insert(id.as_str()),
            "requested_for.unique",
            id,
            "an identity is listed twice",
        )?;
    }
    let items = &body.requested_items;
    check(
        (1..=MAX_ITEMS).contains(&items.len()),
        "requested_items.count",
        items.len(),
        "between 1 and 25 items are required",
    )?;
    for item in items {
        check(
            !item.id.trim().is_empty(),
            "item.id",
            format!("{:?}", item.id),
            "item ids cannot be blank",
        )?;
        check_dates(
            item.start_date.as_ref(),
            item.remove_date.as_ref(),
            now,
            revoke,
        )?;
    }
    let entitlements = items
        .iter()
        .filter(|i| i.type_ == AccessItemType::Entitlement)
        .count();
    if revoke {
        check(
            body.requested_for.len() == 1,
            "revoke.single_identity",
            body.requested_for.len(),
            "a revocation targets exactly one identity",
        )?;
        check(
            entitlements <= 1,
            "revoke.single_entitlement",
            entitlements,
            "a revocation may carry at most one entitlement",
        )?;
        for item in items {
            check(
                item.comment
                    .as_deref()
                    .is_some_and(|c| !c.trim().is_empty()),
                "revoke.comment_required",
                &item.id,
                "each revoked item needs a comment",
            )?;
        }
    } else if entitlements > 0 {
        check(
            entitlements <= MAX_ENTITLEMENTS,
            "grant.entitlement_limits",
            entitlements,
            "at most 25 entitlements per request",
        )?;
        check(
            body.requested_for.len() <= MAX_IDENTITIES_WITH_ENTITLEMENTS,
            "grant.entitlement_limits",
            body.requested_for.len(),
            "at most 10 identities when entitlements are requested",
        )?;
    }
    Ok(())
}

fn validate_per_identity(
    entries: &[RequestedForDtoRef],
    now: Timestamp,
) -> Result<(), ValidationError> {
    check(
        !entries.is_empty(),
        "requested_for.non_empty",
        "[]",
        "at least one identity is required",
    )?;
    let mut seen = HashSet::new();
    let mut any_entitlement = false;
    for entry in entries {
        let id = &entry.identity_id;
        check(
            !id.trim().is_empty(),
            "per_identity.identity_id",
            format!("{id:?}"),
            "identity ids cannot be blank",
        )?;
        check(
            seen.insert(id.as_str()),
            "per_identity.unique_identity",
            id,
            "an identity is listed twice",
        )?;
        let items = &entry.requested_items;
        check(
            (1..=MAX_ITEMS).contains(&items.len()),
            "per_identity.items_count",
            items.len(),
            "between 1 and 25 items per identity are required",
        )?;
        let entitlements = items
            .iter()
            .filter(|i| i.type_ == AccessItemType::Entitlement)
            .count();
        any_entitlement |= entitlements > 0;
        check(
            entitlements <= MAX_ENTITLEMENTS,
            "grant.entitlement_limits",
            entitlements,
            "at most 25 entitlements per identity",
        )?;
        for item in items {
            check(
                !item.id.trim().is_empty(),
                "item.id",
                format!("{:?}", item.id),
                "item ids cannot be blank",
            )?;
            check_dates(
                item.start_date.as_ref(),
                item.remove_date.as_ref(),
                now,
                false,
            )?;
        }
    }
    if any_entitlement {
        check(
            entries.len() <= MAX_IDENTITIES_WITH_ENTITLEMENTS,
            "grant.entitlement_limits",
            entries.len(),
            "at most 10 identities when entitlements are requested",
        )?;
    }
    Ok(())
}

/// Checks a cancellation: `cancel.account_activity_id` and `cancel.comment` must not be blank.
///
/// ```
/// use sailpoint_access::{types::CancelAccessRequest, validate_cancel};
///
/// let body = CancelAccessRequest { account_activity_id: "abc".into(), comment: " ".into() };
/// assert_eq!(validate_cancel(&body).unwrap_err().rule, "cancel.comment");
/// ```
pub fn validate_cancel(body: &CancelAccessRequest) -> Result<(), ValidationError> {
    check(
        !body.account_activity_id.trim().is_empty(),
        "cancel.account_activity_id",
        format!("{:?}", body.account_activity_id),
        "the account activity id cannot be blank",
    )?;
    check(
        !body.comment.trim().is_empty(),
        "cancel.comment",
        format!("{:?}", body.comment),
        "a comment is required",
    )
}
