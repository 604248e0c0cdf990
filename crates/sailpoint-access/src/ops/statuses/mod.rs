//! The status list: the [`StatusQuery`] builder with typed parameters, its
//! validation, one page fetch, and walking pages as streams (`pages`).

pub(crate) mod filter;
mod pages;

use std::collections::HashSet;
use std::fmt;
use std::future::Future;

use sailpoint_access_api::types::{RequestStateFilter, RequestedItemState, RequestedItemStatus};
use sailpoint_access_api::{dispatch, limits, Rule, Timestamp};

use crate::engine::setters::{pass_set, setters};
use crate::engine::Engine;
use crate::error::{Error, Result, ValidationError};
use crate::ops::statuses::filter::Filter;

pub(crate) use pages::{is_past_end, total_count};
pub use pages::{Page, PaginationStream};

/// Ids per `accessRequestId in (...)` query: keeps the query string short.
const IDS_PER_QUERY: usize = 50;

/// The largest page the service serves, and the default page size.
pub const MAX_PAGE_SIZE: u32 = limits::LIST_ACCESS_REQUEST_STATUS_LIMIT_MAXIMUM as u32;

/// Whether an item in `state` will not change any more; the same as
/// [`RequestedItemState::is_terminal`], kept for callers of this name.
pub fn is_terminal(state: &RequestedItemState) -> bool {
    state.is_terminal()
}

/// A sortable field of the status list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusSort {
    /// `created`
    Created,
    /// `modified`
    Modified,
    /// `accountActivityItemId`
    AccountActivityItemId,
    /// `name`
    Name,
}

impl StatusSort {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusSort::Created => "created",
            StatusSort::Modified => "modified",
            StatusSort::AccountActivityItemId => "accountActivityItemId",
            StatusSort::Name => "name",
        }
    }
}

impl fmt::Display for StatusSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StatusSort {
    type Err = UnknownSortField;

    /// The wire name, or `account_activity_item_id` in snake case.
    ///
    /// ```
    /// use sailpoint_access::StatusSort;
    ///
    /// assert_eq!("modified".parse::<StatusSort>().unwrap(), StatusSort::Modified);
    /// let err = "size".parse::<StatusSort>().unwrap_err();
    /// assert!(err.to_string().contains("\"size\""), "{err}");
    /// ```
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        match text {
            "created" => Ok(StatusSort::Created),
            "modified" => Ok(StatusSort::Modified),
            "accountActivityItemId" | "account_activity_item_id" => {
                Ok(StatusSort::AccountActivityItemId)
            }
            "name" => Ok(StatusSort::Name),
            other => Err(UnknownSortField(other.to_owned())),
        }
    }
}

/// A name that is not a [`StatusSort`] field (the name it was given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSortField(pub String);

impl fmt::Display for UnknownSortField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown sort field {:?}: expected created, modified, accountActivityItemId or name",
            self.0
        )
    }
}

impl std::error::Error for UnknownSortField {}

/// A query over the status of requested items; from `Client::statuses`.
///
/// Parameters are checked when the query runs, before anything is sent:
/// `requested_for`/`requested_by` exclude `regarding_identity`
/// (`statuses.exclusive_identity`), the page size is 0 to [`MAX_PAGE_SIZE`]
/// (`statuses.limit`; at least 1 to walk pages, `pagination.limit`), the
/// offset fits the API's 32-bit integer (`statuses.offset`), and a sort
/// field appears once (`statuses.sort_unique`).
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// use futures::TryStreamExt;
/// use sailpoint_access::{Filter, StatusSort};
///
/// let mut items = client
///     .statuses()
///     .requested_for("me")
///     .filter(Filter::account_activity_item_id().eq("2c91..."))
///     .sort_desc(StatusSort::Created)
///     .items();
/// while let Some(status) = items.try_next().await? {
///     println!("{:?} {:?}", status.name, status.state);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a query does nothing until it is run"]
pub struct StatusQuery {
    engine: Engine,
    requested_for: Option<String>,
    requested_by: Option<String>,
    regarding_identity: Option<String>,
    assigned_to: Option<String>,
    filter: Option<Filter>,
    sorters: Vec<(StatusSort, bool)>,
    request_state: Option<RequestStateFilter>,
    pub(crate) limit: u32,
    pub(crate) offset: u32,
    count: bool,
    pub(crate) prefetch: usize,
}

impl StatusQuery {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            requested_for: None,
            requested_by: None,
            regarding_identity: None,
            assigned_to: None,
            filter: None,
            sorters: Vec::new(),
            request_state: None,
            limit: MAX_PAGE_SIZE,
            offset: 0,
            count: false,
            prefetch: 0,
        }
    }

    setters! {
        /// Only requests made for this identity id (`me` for the caller).
        requested_for(impl Into<String>) => requested_for = Some;
        /// Only requests made by this identity id (`me` for the caller).
        requested_by(impl Into<String>) => requested_by = Some;
        /// Only requests this identity made or is the target of; excludes the two above.
        regarding_identity(impl Into<String>) => regarding_identity = Some;
        /// Only requests whose work item this identity owns.
        assigned_to(impl Into<String>) => assigned_to = Some;
        /// A filter expression; combine several with [`Filter::and`].
        filter(Filter) => filter = Some;
    }

    /// Adds an ascending sort key; keys apply in the order added.
    pub fn sort_asc(mut self, field: StatusSort) -> Self {
        self.sorters.push((field, false));
        self
    }

    /// Adds a descending sort key.
    pub fn sort_desc(mut self, field: StatusSort) -> Self {
        self.sorters.push((field, true));
        self
    }

    setters! {
        /// Only requests in this overall state (tenants since 2026). The vendor
        /// documents one value, `EXECUTING`: the requests not yet finished. This
        /// crate has one definition of pending, and it is this one: an item
        /// whose state is not terminal (`EXECUTING`, or
        /// `PROVISIONING_VERIFICATION_PENDING`, past its approvals with its
        /// provisioning awaiting verification; see
        /// `RequestedItemState::is_terminal`), which the waiter, the pending
        /// index, `sail-access status --pending` and the sandbox all share.
        request_state(RequestStateFilter) => request_state = Some;
        /// Page size, 0 to [`MAX_PAGE_SIZE`] (the default); always sent.
        limit(u32) => limit;
        /// Index of the first result (default 0).
        offset(u32) => offset;
        /// Ask for the total number of matches (`X-Total-Count`), exposed as [`Page::total`].
        count(bool) => count;
        /// While a page is consumed, fetch up to this many further pages
        /// concurrently; pages are still yielded in order. Default 0.
        prefetch(usize) => prefetch;
    }

    /// The `sorters` parameter, e.g. `created,-modified`.
    fn sorters_param(&self) -> Option<String> {
        (!self.sorters.is_empty()).then(|| {
            self.sorters
                .iter()
                .map(|(field, desc)| {
                    if *desc {
                        format!("-{field}")
                    } else {
                        field.as_str().to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        })
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        if self.regarding_identity.is_some()
            && (self.requested_for.is_some() || self.requested_by.is_some())
        {
            return Err(ValidationError::new(
                Rule::StatusesExclusiveIdentity,
                "regarding-identity with requested-for/requested-by",
            ));
        }
        if self.limit > MAX_PAGE_SIZE {
            return Err(ValidationError::with_message(
                Rule::StatusesLimit,
                self.limit,
                format!("limit must be between 0 and {MAX_PAGE_SIZE}"),
            ));
        }
        if i32::try_from(self.offset).is_err() {
            return Err(ValidationError::with_message(
                Rule::StatusesOffset,
                self.offset,
                format!("offset must be between 0 and {}", i32::MAX),
            ));
        }
        for (i, (field, _)) in self.sorters.iter().enumerate() {
            if self.sorters[..i].iter().any(|(f, _)| f == field) {
                return Err(ValidationError::new(Rule::StatusesSortUnique, field));
            }
        }
        if let Some(filter) = &self.filter {
            filter.check()?;
            let family = self.engine.family();
            let operation = dispatch::ListAccessRequestStatus::operation(family);
            if let Some((field, op)) = filter.undocumented_in(operation) {
                return Err(ValidationError::with_message(
                    Rule::FilterVersionedOperator,
                    filter.as_str(),
                    format!(
                        "the {family} family's status list does not document `{field} {op}`; it takes {}",
                        operation.operators_of(field).join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The statuses of the given access requests, in as few calls as the
    /// client's family allows: v3 takes up to 50 ids per `accessRequestId in`
    /// query. A family without `in` there (the versioned one) first walks the
    /// newest statuses (pages of 250, newest first), since the requests a job
    /// just changed are recent, and stops once every id was seen and the walk
    /// is past their creation; only ids still missing after as many pages as
    /// there were ids get one `eq` query each. So 750 recent requests cost a
    /// few pages, and an id that does not exist costs at most two calls. At
    /// most `max_each` statuses are read per query.
    pub(crate) async fn of_requests(
        &self,
        ids: &[String],
        max_each: usize,
    ) -> Result<(Vec<RequestedItemStatus>, usize)> {
        // Whether the family documents `accessRequestId in` comes from the
        // spec; `eq` works in every family.
        let operation = dispatch::ListAccessRequestStatus::operation(self.engine.family());
        let has_in = operation.operators_of("accessRequestId").contains(&"in");
        if !has_in && ids.len() > 1 {
            return self.of_requests_by_walk(ids, max_each).await;
        }
        let filters: Vec<Filter> = if has_in {
            ids.chunks(IDS_PER_QUERY)
                .map(|chunk| Filter::access_request_id().in_(chunk))
                .collect()
        } else {
            ids.iter()
                .map(|id| Filter::access_request_id().eq(id))
                .collect()
        };
        let mut out = Vec::new();
        let calls = filters.len();
        for filter in filters {
            out.extend(self.clone().filter(filter).collect(max_each).await?);
        }
        Ok((out, calls))
    }

    /// The versioned family's `of_requests`: a walk of the newest statuses,
    /// then one `eq` query per id still missing.
    async fn of_requests_by_walk(
        &self,
        ids: &[String],
        max_each: usize,
    ) -> Result<(Vec<RequestedItemStatus>, usize)> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut seen: HashSet<String> = HashSet::new();
        let mut oldest_wanted: Option<Timestamp> = None;
        let mut out = Vec::new();
        let mut calls = 0;
        let mut pages = self
            .clone()
            .sort_desc(StatusSort::Created)
            .limit(MAX_PAGE_SIZE)
            .pages();
        while calls < ids.len() {
            let Some(page) = pages.try_next().await? else {
                break;
            };
            calls += 1;
            let page_oldest = page.items.iter().filter_map(|s| s.created).min();
            for status in page.items {
                let Some(id) = status.access_request_id.as_deref() else {
                    continue;
                };
                if wanted.contains(id) {
                    seen.insert(id.to_owned());
                    if let Some(created) = status.created {
                        oldest_wanted = Some(oldest_wanted.map_or(created, |o| o.min(created)));
                    }
                    out.push(status);
                }
            }
            // Every id seen, and this page already older than the oldest of
            // them: no item of theirs can come later in the walk.
            let past_them = match (page_oldest, oldest_wanted) {
                (Some(page), Some(wanted)) => page < wanted,
                _ => false,
            };
            if seen.len() == wanted.len() && past_them {
                return Ok((out, calls));
            }
        }
        for id in ids.iter().filter(|id| !seen.contains(*id)) {
            calls += 1;
            let filter = Filter::access_request_id().eq(id);
            out.extend(self.clone().filter(filter).collect(max_each).await?);
        }
        Ok((out, calls))
    }

    fn validate_walk(&self) -> Result<(), ValidationError> {
        self.validate()?;
        if self.limit == 0 {
            return Err(ValidationError::new(Rule::PaginationLimit, 0));
        }
        Ok(())
    }

    /// Fetches one page at the query's offset.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let page = client.statuses().requested_for("me").limit(10).count(true).page().await?;
    /// println!("{} of {:?}", page.items.len(), page.total);
    /// # Ok(()) }
    /// ```
    pub fn page(&self) -> impl Future<Output = Result<Page>> + Send + 'static {
        // Owned: the future holds its own copy of the query, so it can be spawned.
        let query = self.clone();
        async move {
            query.validate()?;
            query.fetch(query.offset, query.limit).await
        }
    }

    /// One request, parameters assumed valid.
    pub(crate) async fn fetch(&self, offset: u32, limit: u32) -> Result<Page> {
        let raw = self.engine.raw();
        let sorters = self.sorters_param();
        // Both fit: validated against i32 before any fetch.
        let (wire_limit, wire_offset) = (
            limit.min(MAX_PAGE_SIZE) as i32,
            offset.min(i32::MAX as u32) as i32,
        );
        let cap = self.engine.body_limits().page(limit);
        // One builder whichever the family: the generated dispatch type takes
        // the parameters both families' list operations share.
        let family = self.engine.family();
        let value = self
            .engine
            .execute_limited(
                dispatch::ListAccessRequestStatus::operation(family),
                cap,
                || {
                    let mut call = dispatch::ListAccessRequestStatus::new(raw, family)
                        .limit(wire_limit)
                        .offset(wire_offset);
                    pass_set!(call;
                        self.requested_for => requested_for,
                        self.requested_by => requested_by,
                        self.regarding_identity => regarding_identity,
                        self.assigned_to => assigned_to,
                        self.filter.as_ref().map(Filter::as_str) => filters,
                        sorters => sorters,
                        self.request_state => request_state,
                    );
                    if self.count {
                        call = call.count(true);
                    }
                    call.send()
                },
            )
            .await?;
        let total = total_count(value.headers());
        let items: Vec<RequestedItemStatus> = value.into_inner();
        Ok(Page {
            items,
            offset,
            limit,
            total,
        })
    }

    /// All pages, in order, as a stream that is `Unpin` and `Send + 'static`;
    /// see [`PaginationStream`] for how the walk ends.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let mut pages = client.statuses().count(true).prefetch(2).pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} items at {} of {:?}", page.items.len(), page.offset, page.total);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(&self) -> PaginationStream<Page> {
        match self.validate_walk() {
            Err(e) => PaginationStream::failed(Error::from(e)),
            Ok(()) => pages::walk(self.clone(), self.offset, self.limit, self.prefetch),
        }
    }

    /// All statuses, in order, as a stream.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let mut names = Vec::new();
    /// let mut items = client.statuses().requested_for("me").items();
    /// while let Some(status) = items.try_next().await? {
    ///     names.push(status.name.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn items(&self) -> PaginationStream<RequestedItemStatus> {
        self.pages().into_items()
    }

    /// Reads statuses until the end or until `max_items` are read. Without
    /// prefetch no page beyond the one that reaches the cap is requested; with
    /// prefetch, requests already in flight are dropped.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let first_thousand = client.statuses().requested_by("me").collect(1_000).await?;
    /// assert!(first_thousand.len() <= 1_000);
    /// # Ok(()) }
    /// ```
    pub fn collect(
        &self,
        max_items: usize,
    ) -> impl Future<Output = Result<Vec<RequestedItemStatus>>> + Send + 'static {
        let query = self.clone();
        async move {
            let mut out = Vec::new();
            if max_items == 0 {
                query.validate_walk()?;
                return Ok(out);
            }
            let mut pages = query.pages();
            while let Some(page) = pages.try_next().await? {
                out.extend(page.items);
                if out.len() >= max_items {
                    out.truncate(max_items);
                    break;
                }
            }
            Ok(out)
        }
    }
}
