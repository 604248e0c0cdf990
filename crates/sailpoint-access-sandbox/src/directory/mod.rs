//! The tenant's directory and access catalogue: identities (alias, email,
//! manager, lifecycle state), sources, entitlements (names repeat across
//! sources), roles and access profiles (requestable or not), and what each
//! identity holds. The look-ups (`serve`) answer from it; a create naming
//! an identity or item it does not have is refused (`check_create`).
//!
//! Generated seeds are deterministic and indexed by id, alias, email and
//! name, so 100,000 identities and 20,000 items cost memory once, at start,
//! and no time to the other operations, which never read the directory.

pub(crate) mod expr;

use std::collections::{HashMap, HashSet};

use sailpoint_access_api::types::{
    AccessItemType, AccessRequestType, ApprovalScheme, RequestedItemState, RequestedItemStatus,
};

/// One identity of the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryIdentity {
    /// The identity id.
    pub id: String,
    /// The display name (not unique).
    pub name: String,
    /// The unique alias (account name on the authoritative source).
    pub alias: String,
    /// The email address.
    pub email: String,
    /// The manager's alias, if any.
    pub manager: Option<String>,
    /// The lifecycle state (`active`, `inactive`...).
    pub lifecycle: String,
}

/// A role, access profile or entitlement of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueItem {
    /// Role, access profile or entitlement.
    pub kind: AccessItemType,
    /// The item id.
    pub id: String,
    /// The display name (entitlement names repeat across sources).
    pub name: String,
    /// The source name (access profiles and entitlements; empty for roles).
    pub source: String,
    /// Whether it may be requested.
    pub requestable: bool,
    /// What it grants: for a role its access profiles' ids, for an access
    /// profile its entitlements' ids.
    pub contains: Vec<String>,
}

/// A directory to seed a sandbox with: `Directory::demo()` (a handful of
/// named people and items, for examples and tests), `Directory::generated`
/// (many, for scale), or both merged.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    identities: Vec<DirectoryIdentity>,
    items: Vec<CatalogueItem>,
    /// Source name -> id.
    sources: Vec<(String, String)>,
    /// Identity id -> (kind, item id) held directly.
    held: HashMap<String, Vec<(AccessItemType, String)>>,
    /// Item id or source name -> its owner's alias (approval steps).
    owners: HashMap<String, String>,
    /// Role or access profile id -> the approval schemes it carries, in
    /// order, each with the approver it names (a governance group's id).
    schemes: HashMap<String, Vec<(ApprovalScheme, Option<String>)>>,
    by_identity_id: HashMap<String, u32>,
    by_item_id: HashMap<String, u32>,
    /// Lower-cased alias, email and name -> identities (the look-up keys).
    by_alias: HashMap<String, u32>,
    by_email: HashMap<String, Vec<u32>>,
    by_item_name: HashMap<String, Vec<u32>>,
}

/// A stable 32-hex-digit id for a label (two FNV-1a passes).
pub(crate) fn stable_id(label: &str) -> String {
    let hash = |basis: u64| {
        label.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    };
    format!(
        "{:016x}{:016x}",
        hash(0xCBF2_9CE4_8422_2325),
        hash(0x6C62_272E_07BB_0142)
    )
}

impl Directory {
    /// An empty directory: look-ups answer empty pages and creates are not
    /// checked against it (the sandbox's behaviour before it had one).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Whether nothing was seeded.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty() && self.items.is_empty()
    }

    /// Adds an identity; its id is derived from the alias.
    pub fn person(mut self, name: &str, alias: &str, email: &str, manager: Option<&str>) -> Self {
        self.push_identity(DirectoryIdentity {
            id: stable_id(&format!("identity:{alias}")),
            name: name.to_owned(),
            alias: alias.to_owned(),
            email: email.to_owned(),
            manager: manager.map(str::to_owned),
            lifecycle: "active".to_owned(),
        });
        self
    }

    /// Adds an item; its id is derived from its kind, source and name.
    pub fn item(
        mut self,
        kind: AccessItemType,
        name: &str,
        source: &str,
        requestable: bool,
        contains: &[&str],
    ) -> Self {
        let id = stable_id(&format!("{}:{source}:{name}", kind.as_str()));
        self.push_item(CatalogueItem {
            kind,
            id,
            name: name.to_owned(),
            source: source.to_owned(),
            requestable,
            contains: contains.iter().map(|s| (*s).to_owned()).collect(),
        });
        self
    }

    /// Records that the identity with `alias` holds the item `(kind, id)`.
    pub fn holds(mut self, alias: &str, kind: AccessItemType, item_id: &str) -> Self {
        if let Some(who) = self.identity_by_alias(alias).map(|i| i.id.clone()) {
            self.held
                .entry(who)
                .or_default()
                .push((kind, item_id.to_owned()));
        }
        self
    }

    /// Makes the identity with alias `owner` the owner of the item with id
    /// `item_id`: an ENTITLEMENT_OWNER step of a grant of it is theirs.
    pub fn item_owner(mut self, item_id: &str, owner: &str) -> Self {
        self.owners.insert(item_id.to_owned(), owner.to_owned());
        self
    }

    /// Makes the identity with alias `owner` the owner of the source named
    /// `source`: a SOURCE_OWNER step of a grant of its items is theirs.
    pub fn source_owner(mut self, source: &str, owner: &str) -> Self {
        self.owners.insert(source.to_owned(), owner.to_owned());
        self
    }

    /// Gives the role or access profile with id `item_id` the approval
    /// schemes a grant of it goes through, in order (as the object's
    /// `accessRequestConfig.approvalSchemes` does on a tenant), each with
    /// the approver it names (a governance group's id) or none. Without
    /// them a grant of it has the single MANAGER step of the stand-in.
    pub fn item_approval_schemes<'a>(
        mut self,
        item_id: &str,
        schemes: impl IntoIterator<Item = (ApprovalScheme, Option<&'a str>)>,
    ) -> Self {
        self.schemes.insert(
            item_id.to_owned(),
            schemes
                .into_iter()
                .map(|(scheme, approver)| (scheme, approver.map(str::to_owned)))
                .collect(),
        );
        self
    }

    /// The approval schemes recorded for the item with id `item_id`.
    pub(crate) fn approval_schemes_of(
        &self,
        item_id: &str,
    ) -> Option<&[(ApprovalScheme, Option<String>)]> {
        self.schemes.get(item_id).map(Vec::as_slice)
    }

    /// The owner the directory records for the item with id `item_id`.
    pub(crate) fn item_owner_of(&self, item_id: &str) -> Option<&DirectoryIdentity> {
        self.identity_by_alias(self.owners.get(item_id)?)
    }

    /// The owner of the source of the item with id `item_id`.
    pub(crate) fn source_owner_of(&self, item_id: &str) -> Option<&DirectoryIdentity> {
        let source = &self.catalogue_item(item_id)?.source;
        self.identity_by_alias(self.owners.get(source)?)
    }

    /// A small named tenant: people with aliases and emails (two named
    /// "Chris Smith"), three sources, entitlements named "Admin" on each,
    /// roles and access profiles, some not requestable, and a few holdings.
    pub fn demo() -> Self {
        use AccessItemType::{AccessProfile as Ap, Entitlement as Ent, Role};
        let ent = |name: &str, source: &str| stable_id(&format!("ENTITLEMENT:{source}:{name}"));
        let ap = |name: &str, source: &str| stable_id(&format!("ACCESS_PROFILE:{source}:{name}"));
        let role = |name: &str| stable_id(&format!("ROLE::{name}"));
        let gh_read = ent("Read", "GitHub");
        let vpn = ent("VPN Users", "Active Directory");
        let gh_devs = ap("GitHub Developers", "GitHub");
        let vpn_access = ap("VPN Access", "Active Directory");
        Directory::default()
            .person(
                "Grace Hopper",
                "grace.hopper",
                "grace.hopper@example.com",
                None,
            )
            .person(
                "Ada Lovelace",
                "ada.lovelace",
                "ada.lovelace@example.com",
                Some("grace.hopper"),
            )
            .person(
                "Alan Turing",
                "alan.turing",
                "alan.turing@example.com",
                Some("grace.hopper"),
            )
            .person(
                "Chris Smith",
                "chris.smith",
                "chris.smith@example.com",
                Some("grace.hopper"),
            )
            .person(
                "Chris Smith",
                "csmith2",
                "christopher.smith@example.com",
                Some("grace.hopper"),
            )
            .person(
                "Katherine Johnson",
                "katherine.johnson",
                "katherine.johnson@example.com",
                Some("grace.hopper"),
            )
            .item(Ent, "Admin", "GitHub", true, &[])
            .item(Ent, "Admin", "Active Directory", true, &[])
            .item(Ent, "Admin", "Salesforce", true, &[])
            .item(Ent, "Read", "GitHub", true, &[])
            .item(Ent, "VPN Users", "Active Directory", true, &[])
            .item(Ent, "Domain Admins", "Active Directory", false, &[])
            .item(Ap, "GitHub Developers", "GitHub", true, &[&gh_read])
            .item(Ap, "VPN Access", "Active Directory", true, &[&vpn])
            .item(Ap, "Legacy Mainframe", "Active Directory", false, &[])
            .item(Role, "Engineering", "", true, &[&gh_devs, &vpn_access])
            .item(Role, "Finance", "", true, &[])
            .item(Role, "Auditor", "", false, &[])
            .holds("ada.lovelace", Role, &role("Engineering"))
            .holds("alan.turing", Ent, &gh_read)
    }

    /// `identities` people and `items` catalogue items, deterministic:
    /// person `i` is "Person i" (`person.i`, `person.i@example.com`, managed
    /// by person `i / 10`); items are one fifth roles, one fifth access
    /// profiles and the rest entitlements on ten sources, where the first
    /// 40 entitlement names each exist on three sources. Every seventh role
    /// and access profile is not requestable; every third person holds a role.
    pub fn generated(identities: usize, items: usize) -> Self {
        let mut d = Directory::default();
        d.identities.reserve(identities);
        for i in 0..identities {
            let alias = format!("person.{i}");
            d.push_identity(DirectoryIdentity {
                id: stable_id(&format!("identity:{alias}")),
                name: format!("Person {i}"),
                email: format!("{alias}@example.com"),
                manager: (i > 0).then(|| format!("person.{}", i / 10)),
                lifecycle: if i % 50 == 49 { "inactive" } else { "active" }.to_owned(),
                alias,
            });
        }
        let roles = items / 5;
        let profiles = items / 5;
        let entitlements = items - roles - profiles;
        let mut entitlement_ids = Vec::with_capacity(entitlements);
        for k in 0..entitlements {
            let named = if k < 120 {
                (
                    format!("Shared Group {}", k / 3),
                    format!("Source {}", k % 3),
                )
            } else {
                (format!("Group {k}"), format!("Source {}", k % 10))
            };
            entitlement_ids.push(d.push_generated(AccessItemType::Entitlement, named, true, None));
        }
        let mut profile_ids = Vec::with_capacity(profiles);
        for k in 0..profiles {
            let named = (format!("Access Profile {k}"), format!("Source {}", k % 10));
            let contains = entitlement_ids.get(k % entitlements.max(1)).cloned();
            let kind = AccessItemType::AccessProfile;
            profile_ids.push(d.push_generated(kind, named, k % 7 != 6, contains));
        }
        let mut role_ids = Vec::with_capacity(roles);
        for k in 0..roles {
            let named = (format!("Role {k}"), String::new());
            let contains = profile_ids.get(k % profiles.max(1)).cloned();
            role_ids.push(d.push_generated(AccessItemType::Role, named, k % 7 != 6, contains));
        }
        if !role_ids.is_empty() {
            for i in (0..identities).step_by(3) {
                let who = d.identities[i].id.clone();
                let role = role_ids[i % role_ids.len()].clone();
                d.held
                    .entry(who)
                    .or_default()
                    .push((AccessItemType::Role, role));
            }
        }
        d
    }

    /// This directory with `other`'s people, items and holdings added.
    pub fn merge(mut self, other: Directory) -> Self {
        for identity in other.identities {
            self.push_identity(identity);
        }
        for item in other.items {
            self.push_item(item);
        }
        for (who, held) in other.held {
            self.held.entry(who).or_default().extend(held);
        }
        self.owners.extend(other.owners);
        self.schemes.extend(other.schemes);
        self
    }

    fn push_identity(&mut self, identity: DirectoryIdentity) {
        if self.by_identity_id.contains_key(&identity.id) {
            return;
        }
        let at = self.identities.len() as u32;
        self.by_identity_id.insert(identity.id.clone(), at);
        self.by_alias
            .insert(identity.alias.to_ascii_lowercase(), at);
        self.by_email
            .entry(identity.email.to_ascii_lowercase())
            .or_default()
            .push(at);
        self.identities.push(identity);
    }

    /// Adds a generated item whose id is stable from its kind, source and
    /// name; returns the id.
    fn push_generated(
        &mut self,
        kind: AccessItemType,
        (name, source): (String, String),
        requestable: bool,
        contains: Option<String>,
    ) -> String {
        let id = stable_id(&format!("{}:{source}:{name}", kind.as_str()));
        self.push_item(CatalogueItem {
            kind,
            id: id.clone(),
            name,
            source,
            requestable,
            contains: contains.into_iter().collect(),
        });
        id
    }

    fn push_item(&mut self, item: CatalogueItem) {
        if self.by_item_id.contains_key(&item.id) {
            return;
        }
        if !item.source.is_empty() && !self.sources.iter().any(|(n, _)| *n == item.source) {
            let id = stable_id(&format!("source:{}", item.source));
            self.sources.push((item.source.clone(), id));
        }
        let at = self.items.len() as u32;
        self.by_item_id.insert(item.id.clone(), at);
        self.by_item_name
            .entry(item.name.to_ascii_lowercase())
            .or_default()
            .push(at);
        self.items.push(item);
    }

    /// Every identity, in seeding order.
    pub fn identities(&self) -> &[DirectoryIdentity] {
        &self.identities
    }

    /// Every catalogue item, in seeding order.
    pub fn items(&self) -> &[CatalogueItem] {
        &self.items
    }

    /// The identity with this alias (ASCII case ignored).
    pub fn identity_by_alias(&self, alias: &str) -> Option<&DirectoryIdentity> {
        let at = *self.by_alias.get(&alias.to_ascii_lowercase())?;
        self.identities.get(at as usize)
    }

    /// The items of `kind` with this name (ASCII case ignored).
    pub fn items_named(&self, kind: &AccessItemType, name: &str) -> Vec<&CatalogueItem> {
        self.by_item_name
            .get(&name.to_ascii_lowercase())
            .into_iter()
            .flatten()
            .map(|&at| &self.items[at as usize])
            .filter(|i| &i.kind == kind)
            .collect()
    }

    /// The id of the source with this name.
    pub fn source_id(&self, name: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.as_str())
    }

    pub(crate) fn identity(&self, id: &str) -> Option<&DirectoryIdentity> {
        let at = *self.by_identity_id.get(id)?;
        self.identities.get(at as usize)
    }

    pub(crate) fn catalogue_item(&self, id: &str) -> Option<&CatalogueItem> {
        let at = *self.by_item_id.get(id)?;
        self.items.get(at as usize)
    }

    /// Identities whose email is one of `emails` (an index answers it).
    pub(crate) fn identities_by_email<'a>(
        &'a self,
        emails: &[&str],
    ) -> impl Iterator<Item = &'a DirectoryIdentity> + 'a {
        let mut at: Vec<u32> = emails
            .iter()
            .filter_map(|e| self.by_email.get(&e.to_ascii_lowercase()))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| &self.identities[i as usize])
    }

    /// Display name of an identity or item, for statuses.
    pub(crate) fn name_of(&self, id: &str) -> Option<&str> {
        self.identity(id)
            .map(|i| i.name.as_str())
            .or_else(|| self.catalogue_item(id).map(|i| i.name.as_str()))
    }

    /// With a seeded directory, a create naming an identity or item it does
    /// not have is refused (a documented choice: the vendor documents no
    /// answer for it); the message names the first unknown id.
    pub(crate) fn check_create<'a>(
        &self,
        targets: impl IntoIterator<Item = (&'a str, Vec<(&'a AccessItemType, &'a str)>)>,
    ) -> Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        for (who, items) in targets {
            if self.identity(who).is_none() {
                return Err(format!("Identity '{who}' was not found in the tenant."));
            }
            for (kind, id) in items {
                match self.catalogue_item(id) {
                    Some(item) if &item.kind == kind => {}
                    _ => {
                        return Err(format!(
                            "{} '{id}' was not found in the tenant.",
                            kind.as_str()
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// What `identity` holds directly: the seeded holdings, then every
    /// completed grant added and every completed revoke removed, in the
    /// order the statuses last changed.
    pub(crate) fn held_by(
        &self,
        statuses: &[RequestedItemStatus],
        identity: &str,
    ) -> Vec<(AccessItemType, String)> {
        let mut held: Vec<(AccessItemType, String)> =
            self.held.get(identity).cloned().unwrap_or_default();
        let mut changes: Vec<_> = statuses
            .iter()
            .filter(|s| s.state == Some(RequestedItemState::RequestCompleted))
            .filter(|s| s.requested_for_ids().any(|who| who == identity))
            .collect();
        changes.sort_by_key(|s| s.modified);
        for s in changes {
            let (Some(kind), Some(id)) = (&s.type_, &s.id) else {
                continue;
            };
            let key = (kind.clone(), id.clone());
            match s.request_type.as_ref() {
                Some(AccessRequestType::RevokeAccess) => held.retain(|h| *h != key),
                Some(AccessRequestType::GrantAccess) | None if !held.contains(&key) => {
                    held.push(key)
                }
                _ => {}
            }
        }
        held
    }

    /// Every entitlement `identity` holds, directly or through a role or
    /// access profile it holds, each once.
    pub(crate) fn entitlements_of(
        &self,
        statuses: &[RequestedItemStatus],
        identity: &str,
    ) -> Vec<&CatalogueItem> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<String> = self
            .held_by(statuses, identity)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        while let Some(id) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some(item) = self.catalogue_item(&id) else {
                continue;
            };
            stack.extend(item.contains.iter().cloned());
            if item.kind == AccessItemType::Entitlement {
                out.push(item);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_names_repeat_where_the_vendor_s_do() {
        let d = Directory::demo();
        assert_eq!(
            d.items_named(&AccessItemType::Entitlement, "admin").len(),
            3
        );
        assert_eq!(d.items_named(&AccessItemType::Role, "Engineering").len(), 1);
        let chris: Vec<_> = d
            .identities()
            .iter()
            .filter(|i| i.name == "Chris Smith")
            .collect();
        assert_eq!(chris.len(), 2);
        assert_ne!(chris[0].id, chris[1].id);
        assert!(d.source_id("GitHub").is_some());
    }

    #[test]
    fn generated_seeds_are_deterministic_and_indexed() {
        let a = Directory::generated(1_000, 500);
        let b = Directory::generated(1_000, 500);
        assert_eq!(a.identities(), b.identities());
        assert_eq!(a.identities().len(), 1_000);
        assert_eq!(a.items().len(), 500);
        let p = a.identity_by_alias("PERSON.42").unwrap();
        assert_eq!(p.email, "person.42@example.com");
        assert_eq!(
            a.items_named(&AccessItemType::Entitlement, "Shared Group 0")
                .len(),
            3
        );
        // Ids are stable from kind, source and name (a role has no source);
        // a role holds a profile, which holds an entitlement.
        let role = &a.items_named(&AccessItemType::Role, "Role 0")[0];
        assert_eq!(role.id, stable_id("ROLE::Role 0"));
        let profile = &a.items_named(&AccessItemType::AccessProfile, "Access Profile 0")[0];
        assert_eq!(
            profile.id,
            stable_id("ACCESS_PROFILE:Source 0:Access Profile 0")
        );
        assert_eq!(role.contains, std::slice::from_ref(&profile.id));
        let group = stable_id("ENTITLEMENT:Source 0:Shared Group 0");
        assert_eq!(profile.contains, [group]);
    }

    #[test]
    fn creates_naming_unknown_ids_are_refused_only_with_a_directory() {
        let d = Directory::demo();
        let ada = d.identity_by_alias("ada.lovelace").unwrap().id.clone();
        let role = &d.items_named(&AccessItemType::Role, "Finance")[0].id;
        let kind = AccessItemType::Role;
        assert!(d
            .check_create([(ada.as_str(), vec![(&kind, role.as_str())])])
            .is_ok());
        let err = d
            .check_create([(ada.as_str(), vec![(&kind, "nope")])])
            .unwrap_err();
        assert!(err.contains("'nope'"), "{err}");
        assert!(Directory::empty()
            .check_create([("anyone", vec![(&kind, "anything")])])
            .is_ok());
    }
}
