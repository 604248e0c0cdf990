//! The tenant's access request configuration: read, replace, read-modify-write,
//! and strict loading of a document from a file.

use std::future::Future;

use sailpoint_access_api::operations;
use sailpoint_access_api::types::{AccessRequestConfig, AccessRequestConfigV2};
use sailpoint_access_api::{Family, Rule};
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::error::{Error, Result, ValidationError};

/// The tenant's access request configuration; from `Client::access_request_config`.
///
/// Properties this SDK does not know (a newer tenant's settings) are kept in
/// the `extra` maps of [`AccessRequestConfig`] and its parts, and sent back
/// unchanged, so [`update`](Self::update) never resets them.
///
/// Deprecated by the vendor (2026-02-26) in both families in favour of the
/// v2 document (`Client::access_request_config_v2`); still served. The
/// client's family picks `/v3/access-request-config` or `/access-request-config/v1`.
#[derive(Clone, Debug)]
pub struct AccessRequestConfigs {
    engine: Engine,
}

impl AccessRequestConfigs {
    pub(crate) fn new(engine: Engine) -> Self {
        Self { engine }
    }

    /// Reads the configuration.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let cfg = client.access_request_config().get().await?;
    /// println!("{}", cfg.approvals_must_be_external);
    /// # Ok(()) }
    /// ```
    pub fn get(&self) -> impl Future<Output = Result<AccessRequestConfig>> + Send + 'static {
        // Owned: the future holds its own engine handle, so it can be spawned.
        get(self.engine.clone())
    }

    /// Replaces the whole configuration and returns what the service stored.
    /// Fields left at their default are reset by the service: prefer
    /// [`update`](Self::update).
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::types::AccessRequestConfig;
    /// let stored = client.access_request_config()
    ///     .set(AccessRequestConfig { auto_approval_enabled: true, ..Default::default() })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set(
        &self,
        config: AccessRequestConfig,
    ) -> impl Future<Output = Result<AccessRequestConfig>> + Send + 'static {
        set(self.engine.clone(), config)
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
    pub fn update<F>(
        &self,
        change: F,
    ) -> impl Future<Output = Result<AccessRequestConfig>> + Send + 'static
    where
        F: FnOnce(&mut AccessRequestConfig) + Send + 'static,
    {
        let engine = self.engine.clone();
        async move {
            let mut config = get(engine.clone()).await?;
            change(&mut config);
            set(engine, config).await
        }
    }
}

async fn get(engine: Engine) -> Result<AccessRequestConfig> {
    let raw = engine.raw();
    let value = match engine.family() {
        Family::Versioned => {
            engine
                .execute(&operations::GET_ACCESS_REQUEST_CONFIG_V1, || {
                    raw.get_access_request_config_v1().send()
                })
                .await?
        }
        _ => {
            engine
                .execute(&operations::GET_ACCESS_REQUEST_CONFIG, || {
                    raw.get_access_request_config().send()
                })
                .await?
        }
    };
    Ok(value.into_inner())
}

async fn set(engine: Engine, config: AccessRequestConfig) -> Result<AccessRequestConfig> {
    let raw = engine.raw();
    let value = match engine.family() {
        Family::Versioned => {
            engine
                .execute(&operations::SET_ACCESS_REQUEST_CONFIG_V1, || {
                    raw.set_access_request_config_v1()
                        .body(config.clone())
                        .send()
                })
                .await?
        }
        _ => {
            engine
                .execute(&operations::SET_ACCESS_REQUEST_CONFIG, || {
                    raw.set_access_request_config().body(config.clone()).send()
                })
                .await?
        }
    };
    Ok(value.into_inner())
}

/// Reads a configuration document written by a person (a file), refusing
/// properties this SDK does not know, so that a misspelt key
/// (`allowEntitlementRequests`) is an error naming it rather than a setting
/// silently left at its default.
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
    let config: AccessRequestConfig = serde_json::from_str(text)
        .map_err(|e| Error::config(format!("not an access request configuration: {e}")))?;
    let mut unknown = Vec::new();
    let mut note = |prefix: &str, extra: &Map<String, Value>| {
        unknown.extend(extra.keys().map(|k| format!("{prefix}{k}")));
    };
    note("", &config.extra);
    if let Some(part) = &config.request_on_behalf_of_config {
        note("requestOnBehalfOfConfig.", &part.extra);
    }
    if let Some(part) = &config.approval_reminder_and_escalation_config {
        note("approvalReminderAndEscalationConfig.", &part.extra);
        if let Some(fallback) = &part.fallback_approver_ref {
            note(
                "approvalReminderAndEscalationConfig.fallbackApproverRef.",
                &fallback.extra,
            );
        }
    }
    if let Some(part) = &config.entitlement_request_config {
        note("entitlementRequestConfig.", &part.extra);
    }
    if unknown.is_empty() {
        Ok(config)
    } else {
        unknown.sort();
        Err(ValidationError::with_message(
            Rule::DocumentKnownFields,
            unknown.join(", "),
            "unknown properties (misspelt?)",
        )
        .into())
    }
}

/// The v2 access request configuration (`/access-request-config/v2`, the
/// versioned family only); from `Client::access_request_config_v2`. A
/// different document from the v3/v1 one: approval schemes per access type,
/// comment rules, end dates and the longest permitted duration, revocation
/// settings, machine identities. Unknown properties are kept and sent back.
#[derive(Clone, Debug)]
pub struct AccessRequestConfigsV2 {
    engine: Engine,
}

impl AccessRequestConfigsV2 {
    pub(crate) fn new(engine: Engine) -> Self {
        Self { engine }
    }

    /// Reads the v2 configuration.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let cfg = client.access_request_config_v2().get().await?;
    /// println!("{:?}", cfg.machine_identity_access_request_enabled);
    /// # Ok(()) }
    /// ```
    pub fn get(&self) -> impl Future<Output = Result<AccessRequestConfigV2>> + Send + 'static {
        get_v2(self.engine.clone())
    }

    /// Replaces the whole v2 configuration; prefer [`update`](Self::update).
    pub fn set(
        &self,
        config: AccessRequestConfigV2,
    ) -> impl Future<Output = Result<AccessRequestConfigV2>> + Send + 'static {
        set_v2(self.engine.clone(), config)
    }

    /// Read, apply `change`, write back: fields the closure does not touch,
    /// unknown ones included, keep their values. Not atomic.
    pub fn update<F>(
        &self,
        change: F,
    ) -> impl Future<Output = Result<AccessRequestConfigV2>> + Send + 'static
    where
        F: FnOnce(&mut AccessRequestConfigV2) + Send + 'static,
    {
        let engine = self.engine.clone();
        async move {
            let mut config = get_v2(engine.clone()).await?;
            change(&mut config);
            set_v2(engine, config).await
        }
    }
}

async fn get_v2(engine: Engine) -> Result<AccessRequestConfigV2> {
    let raw = engine.raw();
    let value = engine
        .execute(&operations::GET_ACCESS_REQUEST_CONFIG_V2, || {
            raw.get_access_request_config_v2().send()
        })
        .await?;
    Ok(value.into_inner())
}

async fn set_v2(engine: Engine, config: AccessRequestConfigV2) -> Result<AccessRequestConfigV2> {
    let raw = engine.raw();
    let value = engine
        .execute(&operations::SET_ACCESS_REQUEST_CONFIG_V2, || {
            raw.set_access_request_config_v2()
                .body(config.clone())
                .send()
        })
        .await?;
    Ok(value.into_inner())
}
