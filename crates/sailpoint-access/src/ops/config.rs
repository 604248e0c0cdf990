//! The tenant's access request configuration documents: read, replace,
//! read-modify-write, and strict loading of a document from a file, for
//! each document through one generic handle.

use std::future::Future;
use std::marker::PhantomData;

use sailpoint_access_api::types::{AccessRequestConfig, AccessRequestConfigV2, ErrorResponse};
use sailpoint_access_api::{
    dispatch, operations, Client as RawClient, Error as RawError, Family, Operation, ResponseValue,
    Rule,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::error::{excerpt, Error, Result, ValidationError};

/// A configuration document the tenant stores and replaces whole:
/// [`AccessRequestConfig`] (v3 and versioned v1, deprecated by the vendor)
/// or [`AccessRequestConfigV2`] (versioned v2). [`AccessRequestConfigs`]
/// reads and writes either; code that handles both is generic over this.
///
/// Sealed: the documents are the spec's, so only this crate implements it.
pub trait ConfigDocument:
    wire::Wire + Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// What the document is, for messages ("an access request configuration").
    const NAME: &'static str;

    /// The properties this SDK does not know (kept in the `extra` maps),
    /// with their paths (`entitlementRequestConfig.allowEntitlementRequests`),
    /// sorted.
    fn unknown_properties(&self) -> Vec<String>;

    /// Reads a document written by a person (a file), refusing properties
    /// this SDK does not know, so that a misspelt key is an error naming it
    /// (rule `document.known_fields`) rather than a setting silently left at
    /// its default.
    ///
    /// ```
    /// use sailpoint_access::types::AccessRequestConfigV2;
    /// use sailpoint_access::ConfigDocument;
    ///
    /// let err = AccessRequestConfigV2::from_json_strict(r#"{"machineIdentityAccesRequestEnabled": true}"#)
    ///     .unwrap_err();
    /// assert_eq!(err.validation().unwrap().rule, "document.known_fields");
    /// ```
    fn from_json_strict(text: &str) -> Result<Self> {
        let document: Self = serde_json::from_str(text)
            .map_err(|e| Error::config(format!("not {}: {e}", Self::NAME)))?;
        let unknown = document.unknown_properties();
        if unknown.is_empty() {
            Ok(document)
        } else {
            Err(ValidationError::with_message(
                Rule::DocumentKnownFields,
                unknown.join(", "),
                "unknown properties (misspelt?)",
            )
            .into())
        }
    }
}

/// How a document travels: which operation reads and writes it in a family,
/// and the generated calls. Private to the crate (it names the raw client).
mod wire {
    use super::*;

    pub type Answer<T> = std::result::Result<ResponseValue<T>, RawError<ErrorResponse>>;

    pub trait Wire: Sized {
        fn get_operation(family: Family) -> &'static Operation;
        fn set_operation(family: Family) -> &'static Operation;
        fn send_get(
            raw: &RawClient,
            family: Family,
        ) -> impl Future<Output = Answer<Self>> + Send + '_;
        fn send_set(
            raw: &RawClient,
            family: Family,
            document: Self,
        ) -> impl Future<Output = Answer<Self>> + Send + '_;
    }
}

/// Collects the keys of `extra` maps under their paths.
#[derive(Default)]
struct Unknown(Vec<String>);

impl Unknown {
    fn note(&mut self, prefix: &str, extra: &Map<String, Value>) {
        self.0.extend(extra.keys().map(|k| format!("{prefix}{k}")));
    }

    fn sorted(mut self) -> Vec<String> {
        self.0.sort();
        self.0
    }
}

impl ConfigDocument for AccessRequestConfig {
    const NAME: &'static str = "an access request configuration";

    fn unknown_properties(&self) -> Vec<String> {
        let mut unknown = Unknown::default();
        unknown.note("", &self.extra);
        if let Some(part) = &self.request_on_behalf_of_config {
            unknown.note("requestOnBehalfOfConfig.", &part.extra);
        }
        if let Some(part) = &self.approval_reminder_and_escalation_config {
            unknown.note("approvalReminderAndEscalationConfig.", &part.extra);
            if let Some(fallback) = &part.fallback_approver_ref {
                unknown.note(
                    "approvalReminderAndEscalationConfig.fallbackApproverRef.",
                    &fallback.extra,
                );
            }
        }
        if let Some(part) = &self.entitlement_request_config {
            unknown.note("entitlementRequestConfig.", &part.extra);
        }
        unknown.sorted()
    }
}

impl wire::Wire for AccessRequestConfig {
    fn get_operation(family: Family) -> &'static Operation {
        dispatch::GetAccessRequestConfig::operation(family)
    }

    fn set_operation(family: Family) -> &'static Operation {
        dispatch::SetAccessRequestConfig::operation(family)
    }

    fn send_get(
        raw: &RawClient,
        family: Family,
    ) -> impl Future<Output = wire::Answer<Self>> + Send + '_ {
        dispatch::GetAccessRequestConfig::new(raw, family).send()
    }

    fn send_set(
        raw: &RawClient,
        family: Family,
        document: Self,
    ) -> impl Future<Output = wire::Answer<Self>> + Send + '_ {
        dispatch::SetAccessRequestConfig::new(raw, family)
            .body(document)
            .send()
    }
}

impl ConfigDocument for AccessRequestConfigV2 {
    const NAME: &'static str = "a v2 access request configuration";

    fn unknown_properties(&self) -> Vec<String> {
        let mut unknown = Unknown::default();
        unknown.note("", &self.extra);
        if let Some(part) = &self.request_on_behalf_of_config {
            unknown.note("requestOnBehalfOfConfig.", &part.extra);
        }
        if let Some(part) = &self.entitlement_request_config {
            unknown.note("entitlementRequestConfig.", &part.extra);
            if let Some(revocation) = &part.revocation_request_config {
                unknown.note(
                    "entitlementRequestConfig.revocationRequestConfig.",
                    &revocation.extra,
                );
            }
        }
        unknown.sorted()
    }
}

/// The v2 document exists in the versioned family only, so the client's
/// family does not choose its operations.
impl wire::Wire for AccessRequestConfigV2 {
    fn get_operation(_: Family) -> &'static Operation {
        &operations::GET_ACCESS_REQUEST_CONFIG_V2
    }

    fn set_operation(_: Family) -> &'static Operation {
        &operations::SET_ACCESS_REQUEST_CONFIG_V2
    }

    fn send_get(
        raw: &RawClient,
        _: Family,
    ) -> impl Future<Output = wire::Answer<Self>> + Send + '_ {
        raw.get_access_request_config_v2().send()
    }

    fn send_set(
        raw: &RawClient,
        _: Family,
        document: Self,
    ) -> impl Future<Output = wire::Answer<Self>> + Send + '_ {
        raw.set_access_request_config_v2().body(document).send()
    }
}

/// A tenant's configuration document `D`; from `Client::access_request_config`
/// ([`AccessRequestConfig`], the default) or `Client::access_request_config_v2`
/// ([`AccessRequestConfigV2`]).
///
/// Properties this SDK does not know (a newer tenant's settings) are kept in
/// the documents' `extra` maps and sent back unchanged, so
/// [`update`](Self::update) never resets them.
///
/// [`AccessRequestConfig`] is deprecated by the vendor (2026-02-26) in both
/// families in favour of the v2 document; still served. The client's family
/// picks `/v3/access-request-config` or `/access-request-config/v1`. The v2
/// document (`/access-request-config/v2`, the versioned family only) is a
/// different one: approval schemes per access type, comment rules, end dates
/// and the longest permitted duration, revocation settings, machine
/// identities.
#[derive(Clone, Debug)]
pub struct AccessRequestConfigs<D: ConfigDocument = AccessRequestConfig> {
    engine: Engine,
    document: PhantomData<fn() -> D>,
}

/// The handle of the v2 document.
pub type AccessRequestConfigsV2 = AccessRequestConfigs<AccessRequestConfigV2>;

impl<D: ConfigDocument> AccessRequestConfigs<D> {
    pub(crate) fn new(engine: Engine) -> Self {
        Self {
            engine,
            document: PhantomData,
        }
    }

    /// Reads the configuration.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let cfg = client.access_request_config().get().await?;
    /// println!("{}", cfg.approvals_must_be_external);
    /// let v2 = client.access_request_config_v2().get().await?;
    /// println!("{:?}", v2.machine_identity_access_request_enabled);
    /// # Ok(()) }
    /// ```
    pub fn get(&self) -> impl Future<Output = Result<D>> + Send + 'static {
        // Owned: the future holds its own engine handle, so it can be spawned.
        get(self.engine.clone())
    }

    /// Replaces the whole configuration and returns what the service stored.
    /// This is a full replacement: every field the document leaves at its
    /// default is reset on the tenant, and a document read from a partial
    /// file erases what the file does not name. To change some fields,
    /// use [`merge`](Self::merge) or [`update`](Self::update).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::types::AccessRequestConfig;
    /// let stored = client.access_request_config()
    ///     .set(AccessRequestConfig { auto_approval_enabled: true, ..Default::default() })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set(&self, config: D) -> impl Future<Output = Result<D>> + Send + 'static {
        set(self.engine.clone(), config)
    }

    /// Lays a partial document over the tenant's and writes the result:
    /// configuration as code that cannot erase by accident. `patch` follows
    /// JSON merge-patch (RFC 7386): its objects merge key by key, any other
    /// value replaces, `null` removes the key; properties the patch does
    /// not name keep their values, those this SDK does not know included.
    /// The patch's own properties are checked first (an unknown one is
    /// refused, named, as [`ConfigDocument::from_json_strict`] does), and a
    /// merged document that does not decode is refused before anything is
    /// written. Like [`update`](Self::update), not atomic.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let patch = serde_json::json!({"entitlementRequestConfig": {"requestCommentsRequired": true}});
    /// let stored = client.access_request_config().merge(patch).await?;
    /// # Ok(()) }
    /// ```
    pub fn merge(
        &self,
        patch: serde_json::Value,
    ) -> impl Future<Output = Result<D>> + Send + 'static {
        let engine = self.engine.clone();
        async move {
            // The patch names only known properties; its nulls (removals)
            // are no values to check.
            D::from_json_strict(&without_nulls(&patch).to_string())?;
            let tenant = get::<D>(engine.clone()).await?;
            let mut merged = serde_json::to_value(&tenant)
                .map_err(|e| Error::config(format!("cannot encode {}: {e}", D::NAME)))?;
            merge_patch(&mut merged, &patch);
            let config: D = serde_json::from_value(merged).map_err(|e| {
                ValidationError::with_message(
                    Rule::DocumentKnownFields,
                    excerpt(&patch.to_string(), 120),
                    format!("the merged {} does not decode: {e}", D::NAME),
                )
            })?;
            set(engine, config).await
        }
    }

    /// Reads the configuration, applies `change`, and writes it back: fields
    /// the closure does not touch keep their values, unknown ones included.
    ///
    /// This is not atomic: a change made by someone else between the read and
    /// the write is overwritten.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// client.access_request_config().update(|cfg| cfg.reauthorization_enabled = true).await?;
    /// # Ok(()) }
    /// ```
    pub fn update<F>(&self, change: F) -> impl Future<Output = Result<D>> + Send + 'static
    where
        F: FnOnce(&mut D) + Send + 'static,
    {
        let engine = self.engine.clone();
        async move {
            let mut config = get::<D>(engine.clone()).await?;
            change(&mut config);
            set(engine, config).await
        }
    }
}

async fn get<D: ConfigDocument>(engine: Engine) -> Result<D> {
    let (raw, family) = (engine.raw(), engine.family());
    let value = engine
        .execute(D::get_operation(family), || D::send_get(raw, family))
        .await?;
    Ok(value.into_inner())
}

async fn set<D: ConfigDocument>(engine: Engine, config: D) -> Result<D> {
    let (raw, family) = (engine.raw(), engine.family());
    let value = engine
        .execute(D::set_operation(family), || {
            D::send_set(raw, family, config.clone())
        })
        .await?;
    Ok(value.into_inner())
}

/// Lays `patch` over `target` as JSON merge-patch (RFC 7386): objects merge
/// key by key, `null` removes a key, any other value replaces.
///
/// Written here rather than taken from a crate: the RFC's algorithm is these
/// few lines over `serde_json::Value`.
///
/// ```
/// use serde_json::json;
/// let mut doc = json!({"a": 1, "b": {"c": 2, "d": 3}, "keep": true});
/// sailpoint_access::merge_patch(&mut doc, &json!({"a": null, "b": {"c": 5}}));
/// assert_eq!(doc, json!({"b": {"c": 5, "d": 3}, "keep": true}));
/// ```
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(fields) = target {
        for (key, change) in changes {
            if change.is_null() {
                fields.remove(key);
            } else {
                merge_patch(fields.entry(key.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

/// `value` without the object members whose value is `null`, at any depth.
fn without_nulls(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(fields) => serde_json::Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Reads an [`AccessRequestConfig`] written by a person (a file), refusing
/// properties this SDK does not know: [`ConfigDocument::from_json_strict`].
///
/// ```
/// use sailpoint_access::config_from_json_strict;
///
/// let ok = config_from_json_strict(r#"{"autoApprovalEnabled": true}"#).unwrap();
/// assert!(ok.auto_approval_enabled);
/// let err = config_from_json_strict(
///     r#"{"entitlementRequestConfig": {"allowEntitlementRequests": true}}"#,
/// ).unwrap_err();
/// assert_eq!(err.validation().unwrap().rule, "document.known_fields");
/// assert!(err.to_string().contains("entitlementRequestConfig.allowEntitlementRequests"));
/// ```
pub fn config_from_json_strict(text: &str) -> Result<AccessRequestConfig> {
    AccessRequestConfig::from_json_strict(text)
}
