//! Names to ids: the [`Resolver`] answers many references (identities by
//! id, alias, email or name; roles and access profiles by id or name;
//! entitlements by id, or by name with their source) with exactly one id
//! each, or a refusal naming the rule and the candidates
//! (`resolve.not_found`, `resolve.ambiguous`, `resolve.not_requestable`).
//!
//! It asks in batches: `in` where the field has it (`id` everywhere, `name`
//! of entitlements and requestable objects), `or`-joined `eq` terms where
//! it does not (alias, email, name of identities, roles and access
//! profiles), each request's filter within [`MAX_FILTER_LEN`]. Every
//! distinct reference is asked once: answers stay in a [`ResolveCache`] the
//! caller can keep across runs. [`ResolveReport`] counts the look-up
//! requests beside a lower bound: per look-up operation used, the pages its
//! found objects need at that operation's page size (at least one request
//! per operation asked anything).
//!
//! Rights: as an administrator (the default) it reads `identities/v1`,
//! `roles/v1`, `access-profiles/v1` and `entitlements/v1`; with
//! [`Resolver::public`] (any user) it reads `public-identities/v1` (no
//! identity names there: a name is refused with `lookup.filter_operator`),
//! `requestable-objects/v1` (which lists only requestable roles and access
//! profiles, so a non-requestable one reads as not found) and
//! `entitlements/v1`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::Hash;

use sailpoint_access_api::types::AccessItemType;
use sailpoint_access_api::Rule;

use crate::engine::setters::setters;
use crate::engine::Engine;
use crate::error::{Result, ValidationError};
use crate::ops::lookups::filter::quote;
use crate::ops::lookups::{LookupFilter, LookupKind, Lookups, RequestableType, MAX_FILTER_LEN};

/// How an identity is named.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum IdentityRef {
    /// Its id.
    Id(String),
    /// Its alias (unique).
    Alias(String),
    /// Its email address.
    Email(String),
    /// Its display name (not unique).
    Name(String),
}

impl IdentityRef {
    /// Reads a plan's identity cell: an email if it has `@`, an id if it is
    /// 32 hexadecimal digits, an alias otherwise.
    ///
    /// ```
    /// use sailpoint_access::IdentityRef;
    ///
    /// assert_eq!(IdentityRef::guess("ada@example.com"), IdentityRef::Email("ada@example.com".into()));
    /// assert_eq!(IdentityRef::guess("2c9180867624cbd7017642d8c8c81f67"), IdentityRef::Id("2c9180867624cbd7017642d8c8c81f67".into()));
    /// assert_eq!(IdentityRef::guess("ada.lovelace"), IdentityRef::Alias("ada.lovelace".into()));
    /// ```
    pub fn guess(text: &str) -> Self {
        let text = text.trim();
        if text.contains('@') {
            IdentityRef::Email(text.to_owned())
        } else if looks_like_id(text) {
            IdentityRef::Id(text.to_owned())
        } else {
            IdentityRef::Alias(text.to_owned())
        }
    }

    fn field(&self) -> &'static str {
        match self {
            IdentityRef::Id(_) => "id",
            IdentityRef::Alias(_) => "alias",
            IdentityRef::Email(_) => "email",
            IdentityRef::Name(_) => "name",
        }
    }

    fn value(&self) -> &str {
        match self {
            IdentityRef::Id(v)
            | IdentityRef::Alias(v)
            | IdentityRef::Email(v)
            | IdentityRef::Name(v) => v,
        }
    }
}

impl fmt::Display for IdentityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.field(), self.value())
    }
}

/// Whether `text` has the shape of a tenant id (32 hexadecimal digits).
pub fn looks_like_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How an access item is named.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ItemRef {
    /// Its id (nothing is looked up).
    Id(AccessItemType, String),
    /// Its name; for an entitlement, with the source's name or id (names
    /// repeat across sources; without a source, a name found on several is
    /// ambiguous).
    Name {
        /// Role, access profile or entitlement.
        kind: AccessItemType,
        /// The display name.
        name: String,
        /// The source's name or id (entitlements).
        source: Option<String>,
    },
}

impl ItemRef {
    /// Reads a plan's item cell: an id if it is 32 hexadecimal digits, a
    /// name otherwise (with `source` for entitlements).
    pub fn guess(kind: AccessItemType, text: &str, source: Option<&str>) -> Self {
        let text = text.trim();
        if looks_like_id(text) {
            ItemRef::Id(kind, text.to_owned())
        } else {
            ItemRef::Name {
                kind,
                name: text.to_owned(),
                source: source
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            }
        }
    }
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemRef::Id(kind, id) => write!(f, "{} id {id:?}", kind.as_str()),
            ItemRef::Name {
                kind,
                name,
                source: None,
            } => write!(f, "{} {name:?}", kind.as_str()),
            ItemRef::Name {
                kind,
                name,
                source: Some(s),
            } => {
                write!(f, "{} {name:?} on {s:?}", kind.as_str())
            }
        }
    }
}

/// An object a reference could mean.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Candidate {
    /// Its id.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its source's name (entitlements, access profiles), or its email
    /// (identities).
    pub detail: Option<String>,
}

impl fmt::Display for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.name, self.id)?;
        if let Some(d) = &self.detail {
            write!(f, ", {d}")?;
        }
        f.write_str(")")
    }
}

/// What a reference resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolution {
    /// Exactly one object.
    Found(Candidate),
    /// None, several, or one that cannot be requested: `rule` says which
    /// (`resolve.not_found`, `resolve.ambiguous`, `resolve.not_requestable`).
    Refused {
        /// The rule.
        rule: Rule,
        /// What matched (empty when nothing did).
        candidates: Vec<Candidate>,
    },
}

impl Resolution {
    /// The id, when exactly one object was found.
    pub fn id(&self) -> Option<&str> {
        match self {
            Resolution::Found(c) => Some(&c.id),
            Resolution::Refused { .. } => None,
        }
    }

    fn from_matches(mut matches: Vec<(Candidate, bool)>) -> Self {
        match matches.len() {
            0 => Resolution::Refused {
                rule: Rule::ResolveNotFound,
                candidates: Vec::new(),
            },
            1 => {
                let (candidate, requestable) = matches.remove(0);
                if requestable {
                    Resolution::Found(candidate)
                } else {
                    Resolution::Refused {
                        rule: Rule::ResolveNotRequestable,
                        candidates: vec![candidate],
                    }
                }
            }
            _ => Resolution::Refused {
                rule: Rule::ResolveAmbiguous,
                candidates: matches.into_iter().map(|(c, _)| c).collect(),
            },
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resolution::Found(c) => write!(f, "{c}"),
            Resolution::Refused { rule, candidates } => {
                write!(f, "{rule}: {}", rule.message())?;
                for (i, c) in candidates.iter().enumerate() {
                    f.write_str(if i == 0 { "; candidates: " } else { "; " })?;
                    write!(f, "{c}")?;
                }
                Ok(())
            }
        }
    }
}

/// The answers already known, by reference: keep it across runs so that a
/// name is asked once.
#[derive(Clone, Debug, Default)]
pub struct ResolveCache {
    identities: HashMap<IdentityRef, Resolution>,
    items: HashMap<ItemRef, Resolution>,
}

impl ResolveCache {
    /// How many references it answers.
    pub fn len(&self) -> usize {
        self.identities.len() + self.items.len()
    }

    /// Whether it answers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What resolving cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResolveReport {
    /// Look-up requests sent, by operation id.
    pub requests: BTreeMap<&'static str, usize>,
    /// The lower bound, by operation id: the pages the found objects need
    /// at that operation's page size, at least one per operation asked.
    pub lower_bound: BTreeMap<&'static str, usize>,
}

impl ResolveReport {
    /// Every look-up request sent.
    pub fn total_requests(&self) -> usize {
        self.requests.values().sum()
    }

    /// The lower bound over every operation.
    pub fn total_lower_bound(&self) -> usize {
        self.lower_bound.values().sum()
    }
}

impl fmt::Display for ResolveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} look-up request(s), lower bound {}",
            self.total_requests(),
            self.total_lower_bound()
        )
    }
}

/// Resolves references to ids; from `Client::resolver`.
///
/// It asks in batches (`in` where the field has it, `or`-joined `eq` terms
/// where not, each filter within [`MAX_FILTER_LEN`]), each distinct
/// reference once (keep [`Resolver::cache`] for a later run), and counts
/// its requests against a lower bound ([`Resolver::report`]). As an
/// administrator (the default) it reads the identity, role, access profile
/// and entitlement lists; with [`Resolver::public`] only what any user may
/// call: public identities (no look-up by name there), requestable objects
/// (requestable roles and access profiles only, so a non-requestable one
/// reads as not found) and entitlements. See [`Lookups`] for the rights of
/// each look-up.
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// use sailpoint_access::{IdentityRef, ItemRef};
/// use sailpoint_access::types::AccessItemType;
///
/// let mut resolver = client.resolver();
/// let people = resolver
///     .identities(&[IdentityRef::Email("ada.lovelace@example.com".into())])
///     .await?;
/// let items = resolver
///     .items(&[ItemRef::Name {
///         kind: AccessItemType::Entitlement,
///         name: "Admin".into(),
///         source: Some("GitHub".into()),
///     }])
///     .await?;
/// println!("{} -> {}; {}", people[0], items[0], resolver.report());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Resolver {
    lookups: Lookups,
    public: bool,
    cache: ResolveCache,
    report: ResolveReport,
}

/// Packs `terms` into `or`-joined filters of at most [`MAX_FILTER_LEN`]
/// characters each.
fn pack(terms: impl IntoIterator<Item = LookupFilter>) -> Vec<LookupFilter> {
    let mut batches: Vec<Vec<LookupFilter>> = Vec::new();
    let mut len = 0;
    for term in terms {
        let term_len = term.as_str().len();
        match batches.last_mut() {
            Some(batch) if len + " or ".len() + term_len <= MAX_FILTER_LEN => {
                len += " or ".len() + term_len;
                batch.push(term);
            }
            _ => {
                len = term_len;
                batches.push(vec![term]);
            }
        }
    }
    batches
        .into_iter()
        .filter_map(LookupFilter::any_of)
        .collect()
}

/// `field in ("a","b",...)` terms over `values`, each within the length.
fn in_terms(field: &str, values: &[&str]) -> Vec<LookupFilter> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut len = field.len() + " in ()".len();
    for v in values {
        let q = quote(v).len() + 1;
        if !current.is_empty() && len + q > MAX_FILTER_LEN {
            out.push(LookupFilter::in_(field, current.drain(..)));
            len = field.len() + " in ()".len();
        }
        len += q;
        current.push(v);
    }
    if !current.is_empty() {
        out.push(LookupFilter::in_(field, current));
    }
    out
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b.trim())
}

/// A found object as the resolver compares it.
struct Found {
    id: String,
    name: String,
    /// alias, email (identities) or source name and id (items).
    keys: [Option<String>; 2],
    requestable: bool,
}

/// The distinct references the cache does not answer yet, sorted.
fn not_cached<'a, R: Ord + Hash>(refs: &'a [R], cache: &HashMap<R, Resolution>) -> Vec<&'a R> {
    let mut wanted: Vec<&R> = refs.iter().filter(|r| !cache.contains_key(*r)).collect();
    wanted.sort();
    wanted.dedup();
    wanted
}

impl Found {
    /// An object a look-up listed; `None` when it came without an id.
    fn of(
        id: Option<String>,
        name: Option<String>,
        keys: [Option<String>; 2],
        requestable: bool,
    ) -> Option<Self> {
        Some(Self {
            id: id?,
            name: name.unwrap_or_default(),
            keys,
            requestable,
        })
    }
}

impl Resolver {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            lookups: Lookups::new(engine),
            public: false,
            cache: ResolveCache::default(),
            report: ResolveReport::default(),
        }
    }

    setters! {
        /// Use the look-ups any user may call (public identities, requestable
        /// objects, entitlements) instead of the administrators' lists.
        public(bool) => public;
        /// Start from answers already known.
        with_cache(ResolveCache) => cache;
    }

    /// The answers so far, to keep for a later run.
    pub fn cache(&self) -> &ResolveCache {
        &self.cache
    }

    /// What resolving has cost so far.
    pub fn report(&self) -> &ResolveReport {
        &self.report
    }

    fn count<K: LookupKind>(&mut self, requests: usize, found: usize) {
        let op = K::OPERATION.id;
        *self.report.requests.entry(op).or_default() += requests;
        let pages = found.div_ceil(K::MAX_LIMIT as usize).max(1);
        *self.report.lower_bound.entry(op).or_default() += pages;
    }

    async fn run<K: LookupKind>(
        &mut self,
        lookup: impl Fn(LookupFilter) -> crate::ops::lookups::Lookup<K>,
        filters: Vec<LookupFilter>,
        read: impl Fn(K::Item) -> Option<Found>,
    ) -> Result<Vec<Found>> {
        let mut out = Vec::new();
        let mut requests = 0;
        for filter in filters {
            let (items, calls) = lookup(filter).collect_counted(usize::MAX).await?;
            requests += calls;
            out.extend(items.into_iter().filter_map(&read));
        }
        if requests > 0 {
            self.count::<K>(requests, out.len());
        }
        Ok(out)
    }

    /// Resolves identities, in order; each distinct reference is asked once.
    pub async fn identities(&mut self, refs: &[IdentityRef]) -> Result<Vec<Resolution>> {
        let wanted = not_cached(refs, &self.cache.identities);
        if let Some(blank) = wanted.iter().find(|r| r.value().trim().is_empty()) {
            return Err(ValidationError::new(Rule::LookupBlank, blank).into());
        }
        if self.public {
            if let Some(name) = wanted.iter().find(|r| matches!(r, IdentityRef::Name(_))) {
                return Err(ValidationError::with_message(
                    Rule::LookupFilterOperator,
                    name,
                    "public identities cannot be looked up by name; use an alias, email or id",
                )
                .into());
            }
        }
        if !wanted.is_empty() {
            let ids: Vec<&str> = wanted
                .iter()
                .filter_map(|r| match r {
                    IdentityRef::Id(v) => Some(v.as_str()),
                    _ => None,
                })
                .collect();
            let mut terms = in_terms("id", &ids);
            terms.extend(
                wanted
                    .iter()
                    .filter(|r| !matches!(r, IdentityRef::Id(_)))
                    .map(|r| LookupFilter::eq(r.field(), r.value().trim())),
            );
            let filters = pack(terms);
            let found = if self.public {
                let lookups = self.lookups.clone();
                self.run(
                    |f| lookups.public_identities().filter(f),
                    filters,
                    |p| Found::of(p.id, p.name, [p.alias, p.email], true),
                )
                .await?
            } else {
                let lookups = self.lookups.clone();
                self.run(
                    |f| lookups.identities().include_uncorrelated().filter(f),
                    filters,
                    |p| Found::of(p.id, p.name, [p.alias, p.email_address], true),
                )
                .await?
            };
            for r in wanted {
                let v = r.value().trim();
                let matches = found
                    .iter()
                    .filter(|f| match r {
                        IdentityRef::Id(_) => f.id == v,
                        IdentityRef::Alias(_) => f.keys[0].as_deref().is_some_and(|a| same(a, v)),
                        IdentityRef::Email(_) => f.keys[1].as_deref().is_some_and(|e| same(e, v)),
                        IdentityRef::Name(_) => same(&f.name, v),
                    })
                    .map(|f| {
                        let c = Candidate {
                            id: f.id.clone(),
                            name: f.name.clone(),
                            detail: f.keys[1].clone(),
                        };
                        (c, true)
                    })
                    .collect();
                self.cache
                    .identities
                    .insert(r.clone(), Resolution::from_matches(matches));
            }
        }
        Ok(refs
            .iter()
            .map(|r| self.cache.identities[r].clone())
            .collect())
    }

    /// Resolves access items, in order; each distinct reference is asked once.
    pub async fn items(&mut self, refs: &[ItemRef]) -> Result<Vec<Resolution>> {
        let wanted = not_cached(refs, &self.cache.items);
        for r in &wanted {
            let blank = match r {
                ItemRef::Id(_, id) => id.trim().is_empty(),
                ItemRef::Name { name, .. } => name.trim().is_empty(),
            };
            if blank {
                return Err(ValidationError::new(Rule::LookupBlank, r).into());
            }
        }
        for kind in [
            AccessItemType::Role,
            AccessItemType::AccessProfile,
            AccessItemType::Entitlement,
        ] {
            let of_kind: Vec<&ItemRef> = wanted
                .iter()
                .copied()
                .filter(|r| match r {
                    ItemRef::Id(k, _) | ItemRef::Name { kind: k, .. } => *k == kind,
                })
                .collect();
            // Ids are taken as given: nothing is looked up for them.
            let mut names: Vec<&str> = Vec::new();
            for r in &of_kind {
                match r {
                    ItemRef::Id(_, id) => {
                        let found = Candidate {
                            id: id.trim().to_owned(),
                            name: id.trim().to_owned(),
                            detail: None,
                        };
                        self.cache
                            .items
                            .insert((*r).clone(), Resolution::Found(found));
                    }
                    ItemRef::Name { name, .. } => names.push(name.trim()),
                }
            }
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                continue;
            }
            let found = self.find_items(&kind, &names).await?;
            for r in &of_kind {
                let ItemRef::Name { name, source, .. } = r else {
                    continue;
                };
                let matches = found
                    .iter()
                    .filter(|f| same(&f.name, name))
                    .filter(|f| {
                        source
                            .as_deref()
                            .is_none_or(|s| f.keys.iter().flatten().any(|k| same(k, s)))
                    })
                    .map(|f| {
                        let c = Candidate {
                            id: f.id.clone(),
                            name: f.name.clone(),
                            detail: f.keys[0].clone(),
                        };
                        (c, f.requestable)
                    })
                    .collect();
                self.cache
                    .items
                    .insert((*r).clone(), Resolution::from_matches(matches));
            }
        }
        Ok(refs.iter().map(|r| self.cache.items[r].clone()).collect())
    }

    /// The objects of `kind` named one of `names`.
    async fn find_items(&mut self, kind: &AccessItemType, names: &[&str]) -> Result<Vec<Found>> {
        let lookups = self.lookups.clone();
        let eq_terms = || pack(names.iter().map(|n| LookupFilter::eq("name", n)));
        let source = |s: Option<sailpoint_access_api::types::SourceReference>| {
            s.map_or([None, None], |s| [s.name, s.id])
        };
        if self.public && *kind != AccessItemType::Entitlement {
            let wire = if *kind == AccessItemType::Role {
                RequestableType::Role
            } else {
                RequestableType::AccessProfile
            };
            return self
                .run(
                    |f| lookups.requestable_objects().types(&[wire]).filter(f),
                    in_terms("name", names),
                    |o| Found::of(o.id, o.name, [None, None], true),
                )
                .await;
        }
        match kind {
            AccessItemType::Role => {
                self.run(
                    |f| lookups.roles().filter(f),
                    eq_terms(),
                    |r| Found::of(r.id, r.name, [None, None], r.requestable != Some(false)),
                )
                .await
            }
            AccessItemType::AccessProfile => {
                self.run(
                    |f| lookups.access_profiles().filter(f),
                    eq_terms(),
                    |a| Found::of(a.id, a.name, source(a.source), a.requestable != Some(false)),
                )
                .await
            }
            _ => {
                self.run(
                    |f| lookups.entitlements().filter(f),
                    in_terms("name", names),
                    |e| Found::of(e.id, e.name, source(e.source), e.requestable != Some(false)),
                )
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_every_filter_within_the_length() {
        let terms = (0..500).map(|i| LookupFilter::eq("email", format!("person.{i}@example.com")));
        let filters = pack(terms);
        assert!(filters.len() > 1);
        assert!(filters.iter().all(|f| f.as_str().len() <= MAX_FILTER_LEN));
        let rejoined: usize = filters.iter().map(|f| f.terms().len()).sum();
        assert_eq!(rejoined, 500);
        let ids: Vec<String> = (0..300).map(|i| format!("{i:032x}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let ins = in_terms("id", &refs);
        assert!(ins.len() > 1 && ins.iter().all(|f| f.as_str().len() <= MAX_FILTER_LEN));
        let listed: usize = ins
            .iter()
            .map(|f| f.as_str().matches(',').count() + 1)
            .sum();
        assert_eq!(listed, 300);
    }
}
