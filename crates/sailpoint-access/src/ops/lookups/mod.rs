//! The look-ups: the list operations that turn names into ids and tell what
//! an identity holds or awaits. One generic builder, [`Lookup`], ending in
//! `.send()` (one page) or `.collect(max)` (every page); one file per
//! operation says what it lists, its page size, its sortable fields and its
//! own parameters. Filters are checked against the operation's documented
//! fields and operators (`x-filter-operators`, from the spec) before
//! anything is sent.

pub(crate) mod access_profiles;
pub(crate) mod entitlements;
pub(crate) mod filter;
pub(crate) mod identities;
pub(crate) mod identity_entitlements;
pub(crate) mod public_identities;
pub(crate) mod requestable_objects;
pub(crate) mod roles;

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;

use progenitor_client::{Error as RawError, ResponseValue};
use sailpoint_access_api as raw;
use sailpoint_access_api::types::ErrorResponse;
use sailpoint_access_api::{Operation, Rule};
use serde::de::DeserializeOwned;

use crate::engine::setters::setters;
use crate::engine::Engine;
use crate::error::{Result, ValidationError};
use crate::ops::statuses::{is_past_end, total_count};

pub use access_profiles::AccessProfiles;
pub use entitlements::Entitlements;
pub use filter::LookupFilter;
pub use identities::Identities;
pub use identity_entitlements::IdentityEntitlements;
pub use public_identities::PublicIdentities;
pub use requestable_objects::{RequestableObjects, RequestableStatus, RequestableType};
pub use roles::Roles;

/// The longest `filters` expression this SDK sends in one look-up. The
/// vendor documents no bound; this one (a choice) keeps every request line
/// far below the 8 KiB most HTTP servers and proxies accept, after
/// percent-encoding roughly doubles it.
pub const MAX_FILTER_LEN: usize = 2_000;

/// The parameters of one look-up request, as sent.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    pub(crate) limit: i32,
    pub(crate) offset: i32,
    pub(crate) count: bool,
    pub(crate) filters: Option<String>,
    pub(crate) sorters: Option<String>,
    /// The operation's own query parameters by wire name.
    pub(crate) extra: BTreeMap<&'static str, String>,
    /// The path parameter, for a look-up that has one.
    pub(crate) path_id: String,
}

impl Params {
    pub(crate) fn extra(&self, name: &str) -> Option<&str> {
        self.extra.get(name).map(String::as_str)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What a generated list call answers.
pub(crate) type RawResult<T> = std::result::Result<ResponseValue<Vec<T>>, RawError<ErrorResponse>>;

/// What one look-up operation lists, and how it is called. Implemented by
/// the marker types of this module only.
pub trait LookupKind: sealed::Sealed + Send + Sync + 'static {
    /// One listed object.
    type Item: DeserializeOwned + Send + 'static;
    /// The operation, from the generated table.
    const OPERATION: &'static Operation;
    /// The largest page it serves.
    const MAX_LIMIT: u32;
    /// The fields it sorts on.
    const SORTABLE: &'static [&'static str];

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn call<'a>(
        raw: &'a raw::Client,
        params: &'a Params,
    ) -> impl Future<Output = RawResult<Self::Item>> + Send + 'a;

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn check(_params: &Params) -> std::result::Result<(), ValidationError> {
        Ok(())
    }
}

/// One page of a look-up.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LookupPage<T> {
    /// The objects on this page.
    pub items: Vec<T>,
    /// The offset it was asked at.
    pub offset: u32,
    /// The page size asked for.
    pub limit: u32,
    /// `X-Total-Count`, when asked for with `count(true)`.
    pub total: Option<u64>,
}

/// The look-ups of a client; from `Client::lookups`.
///
/// Which rights each needs (the vendor's documentation, summarised):
///
/// | look-up | who may call it |
/// | --- | --- |
/// | [`Lookups::requestable_objects`] | anyone, for themselves (`identity_id("me")`); administrators for others and the whole catalogue |
/// | [`Lookups::identities`] | administrators and API clients (identity read scope) |
/// | [`Lookups::public_identities`] | anyone |
/// | [`Lookups::entitlements`] | anyone |
/// | [`Lookups::roles`] | administrators, role administrators and subadmins, API clients |
/// | [`Lookups::access_profiles`] | administrators, role or source administrators and subadmins |
/// | [`Lookups::identity_entitlements`] | administrators and API clients |
#[derive(Clone, Debug)]
pub struct Lookups {
    engine: Engine,
}

/// The look-ups that start with no parameter: `name: Kind;` each.
macro_rules! lookup_starts {
    ($($(#[$doc:meta])* $name:ident: $kind:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Lookup<$kind> {
                Lookup::new(self.engine.clone())
            }
        )*
    };
}

impl Lookups {
    pub(crate) fn new(engine: Engine) -> Self {
        Self { engine }
    }

    lookup_starts! {
        /// Roles and access profiles that can be requested (`requestable-objects/v1`).
        requestable_objects: RequestableObjects;
        /// Identities, administrators' view (`identities/v1`).
        identities: Identities;
        /// Identities, anyone's view (`public-identities/v1`).
        public_identities: PublicIdentities;
        /// Entitlements (`entitlements/v1`).
        entitlements: Entitlements;
        /// Roles, in pages of at most 50 (`roles/v1`).
        roles: Roles;
        /// Access profiles (`access-profiles/v1`).
        access_profiles: AccessProfiles;
    }

    /// The entitlements one identity holds, directly or through roles and
    /// access profiles (`entitlements/v1/identities/{id}/entitlements`).
    pub fn identity_entitlements(
        &self,
        identity_id: impl Into<String>,
    ) -> Lookup<IdentityEntitlements> {
        let mut lookup = Lookup::new(self.engine.clone());
        lookup.params.path_id = identity_id.into();
        lookup
    }
}

/// A look-up query: parameters are checked when it is sent, before anything
/// goes out (page size within the operation's maximum, `lookup.limit`;
/// offset within 32 bits, `lookup.offset`; filter fields and operators the
/// operation documents, `lookup.filter_operator`, and at most
/// [`MAX_FILTER_LEN`] characters, `lookup.filter_length`; sort fields it
/// documents, once each, `lookup.sort_field`).
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// use sailpoint_access::LookupFilter;
///
/// let people = client
///     .lookups()
///     .public_identities()
///     .filter(LookupFilter::eq("email", "ada.lovelace@example.com"))
///     .send()
///     .await?;
/// for person in people.items {
///     println!("{:?} {:?}", person.id, person.alias);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a look-up does nothing until it is sent"]
pub struct Lookup<K: LookupKind> {
    engine: Engine,
    pub(crate) params: Params,
    filter: Option<LookupFilter>,
    sorters: Vec<(String, bool)>,
    limit: u32,
    offset: u32,
    kind: PhantomData<K>,
}

impl<K: LookupKind> Clone for Lookup<K> {
    fn clone(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            params: self.params.clone(),
            filter: self.filter.clone(),
            sorters: self.sorters.clone(),
            limit: self.limit,
            offset: self.offset,
            kind: PhantomData,
        }
    }
}

impl<K: LookupKind> Lookup<K> {
    fn new(engine: Engine) -> Self {
        Self {
            engine,
            params: Params::default(),
            filter: None,
            sorters: Vec::new(),
            limit: K::MAX_LIMIT,
            offset: 0,
            kind: PhantomData,
        }
    }

    setters! {
        /// Page size, 0 to the operation's maximum (the default).
        limit(u32) => limit;
        /// Index of the first result (default 0).
        offset(u32) => offset;
        /// Ask for `X-Total-Count` ([`LookupPage::total`]).
        count(bool) => params.count;
        /// The `filters` expression.
        filter(LookupFilter) => filter = Some;
    }

    /// Adds an ascending sort key.
    pub fn sort_asc(mut self, field: &str) -> Self {
        self.sorters.push((field.to_owned(), false));
        self
    }

    /// Adds a descending sort key.
    pub fn sort_desc(mut self, field: &str) -> Self {
        self.sorters.push((field.to_owned(), true));
        self
    }

    pub(crate) fn set(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.params.extra.insert(name, value.into());
        self
    }

    fn validate(&self) -> std::result::Result<(), ValidationError> {
        let op = K::OPERATION;
        if self.limit > K::MAX_LIMIT {
            return Err(ValidationError::with_message(
                Rule::LookupLimit,
                self.limit,
                format!("{op} takes a limit between 0 and {}", K::MAX_LIMIT),
            ));
        }
        if i32::try_from(self.offset).is_err() {
            return Err(ValidationError::with_message(
                Rule::LookupOffset,
                self.offset,
                format!("offset must be between 0 and {}", i32::MAX),
            ));
        }
        if let Some(filter) = &self.filter {
            if filter.has_empty_in() {
                return Err(ValidationError::new(Rule::FilterInNonEmpty, filter));
            }
            if let Some((field, used)) = filter
                .terms()
                .into_iter()
                .find(|(field, used)| !op.operators_of(field).contains(used))
            {
                let documented = op.operators_of(field);
                let takes = if documented.is_empty() {
                    "does not filter on it".to_owned()
                } else {
                    format!("takes {}", documented.join(", "))
                };
                return Err(ValidationError::with_message(
                    Rule::LookupFilterOperator,
                    filter,
                    format!("{op} does not document `{field} {used}`; {field} {takes}"),
                ));
            }
            if filter.as_str().len() > MAX_FILTER_LEN {
                return Err(ValidationError::with_message(
                    Rule::LookupFilterLength,
                    filter,
                    format!(
                        "the filter has {} characters; at most {MAX_FILTER_LEN} are sent in one look-up",
                        filter.as_str().len()
                    ),
                ));
            }
        }
        for (i, (field, _)) in self.sorters.iter().enumerate() {
            let repeated = self.sorters[..i].iter().any(|(f, _)| f == field);
            if repeated || !K::SORTABLE.contains(&field.as_str()) {
                return Err(ValidationError::with_message(
                    Rule::LookupSortField,
                    field,
                    format!("{op} sorts on {}, each once", K::SORTABLE.join(", ")),
                ));
            }
        }
        K::check(&self.params)
    }

    fn params_at(&self, offset: u32) -> Params {
        let mut params = self.params.clone();
        // Both fit: validated before any request.
        params.limit = self.limit.min(K::MAX_LIMIT) as i32;
        params.offset = offset.min(i32::MAX as u32) as i32;
        params.filters = self.filter.as_ref().map(|f| f.as_str().to_owned());
        params.sorters = (!self.sorters.is_empty()).then(|| {
            self.sorters
                .iter()
                .map(|(f, desc)| if *desc { format!("-{f}") } else { f.clone() })
                .collect::<Vec<_>>()
                .join(",")
        });
        params
    }

    async fn fetch(&self, offset: u32) -> Result<LookupPage<K::Item>> {
        let params = self.params_at(offset);
        let raw = self.engine.raw();
        let cap = self.engine.body_limits().page(self.limit);
        let value = self
            .engine
            .execute_limited(K::OPERATION, cap, || K::call(raw, &params))
            .await?;
        let total = total_count(value.headers());
        Ok(LookupPage {
            items: value.into_inner(),
            offset,
            limit: self.limit,
            total,
        })
    }

    /// Sends the query: one page at its offset.
    pub async fn send(&self) -> Result<LookupPage<K::Item>> {
        self.validate()?;
        self.fetch(self.offset).await
    }

    /// Every page from the offset on, until a short page (or the service's
    /// "offset is invalid" past a full last page), at most `max_items`
    /// objects; with the number of requests it took.
    pub async fn collect_counted(&self, max_items: usize) -> Result<(Vec<K::Item>, usize)> {
        self.validate()?;
        if self.limit == 0 {
            return Err(ValidationError::new(Rule::PaginationLimit, 0).into());
        }
        let mut out = Vec::new();
        let mut offset = self.offset;
        let mut calls = 0;
        loop {
            calls += 1;
            let page = match self.fetch(offset).await {
                Ok(page) => page,
                Err(e) if calls > 1 && is_past_end(&e) => break,
                Err(e) => return Err(e),
            };
            let short = page.items.len() < self.limit as usize;
            out.extend(page.items);
            if short || out.len() >= max_items {
                out.truncate(max_items);
                break;
            }
            match offset.checked_add(self.limit) {
                Some(next) if i32::try_from(next).is_ok() => offset = next,
                _ => break,
            }
        }
        Ok((out, calls))
    }

    /// Every page from the offset on, at most `max_items` objects.
    pub async fn collect(&self, max_items: usize) -> Result<Vec<K::Item>> {
        Ok(self.collect_counted(max_items).await?.0)
    }
}

/// Implements the parts every look-up shares: the paging parameters,
/// `filters` and `sorters` on the generated builder.
macro_rules! paged_call {
    ($builder:expr, $params:expr) => {{
        let p = $params;
        let mut call = $builder.limit(p.limit).offset(p.offset);
        if p.count {
            call = call.count(true);
        }
        $crate::engine::setters::pass_set!(call; p.filters => filters, p.sorters => sorters);
        call
    }};
}
pub(crate) use paged_call;

/// Declares the marker of a paged look-up: what it lists, through which
/// generated builder, the operation (its page maximum comes from the
/// limits table), its sortable fields, and its own query parameters:
/// `text` are strings passed on as set, each with a setter of that name on
/// [`Lookup`]; `passed` are strings passed on whose setters are written by
/// hand; `flag` calls the builder when a parameter was set to one value.
macro_rules! lookup_kind {
    (
        $(#[$doc:meta])*
        $marker:ident: $item:ty = $method:ident, $op:ident, $limit:ident, sorts [$($sort:literal),*]
        $(, text [$($(#[$tdoc:meta])* $twire:literal => $tparam:ident),*])?
        $(, passed [$($pwire:literal => $pparam:ident),*])?
        $(, flag [$($fwire:literal == $fvalue:literal => $fparam:ident($farg:expr)),*])?
        $(, check $check:path)?
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $marker;

        impl $crate::ops::lookups::sealed::Sealed for $marker {}

        impl $crate::ops::lookups::LookupKind for $marker {
            type Item = $item;
            const OPERATION: &'static sailpoint_access_api::Operation =
                &sailpoint_access_api::operations::$op;
            const MAX_LIMIT: u32 = sailpoint_access_api::limits::$limit as u32;
            const SORTABLE: &'static [&'static str] = &[$($sort),*];

            #[allow(private_interfaces)]
            async fn call(
                raw: &sailpoint_access_api::Client,
                params: &$crate::ops::lookups::Params,
            ) -> $crate::ops::lookups::RawResult<$item> {
                #[allow(unused_mut)]
                let mut call = $crate::ops::lookups::paged_call!(raw.$method(), params);
                $($(if let Some(value) = params.extra($twire) {
                    call = call.$tparam(value);
                })*)?
                $($(if let Some(value) = params.extra($pwire) {
                    call = call.$pparam(value);
                })*)?
                $($(if params.extra($fwire) == Some($fvalue) {
                    call = call.$fparam($farg);
                })*)?
                call.send().await
            }

            $(
            #[allow(private_interfaces)]
            fn check(
                params: &$crate::ops::lookups::Params,
            ) -> std::result::Result<(), $crate::error::ValidationError> {
                $check(params)
            }
            )?
        }

        impl $crate::ops::lookups::Lookup<$marker> {
            $($(
            $(#[$tdoc])*
            pub fn $tparam(self, value: impl Into<String>) -> Self {
                self.set($twire, value)
            }
            )*)?
        }
    };
}
pub(crate) use lookup_kind;
