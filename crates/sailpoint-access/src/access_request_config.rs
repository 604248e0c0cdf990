//! The tenant's access request configuration: read, replace, read-modify-write,
//! and strict loading of a document from a file.

use sailpoint_access_api::operations;
use sailpoint_access_api::types::AccessRequestConfig;
use sailpoint_access_api::Rule;
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::error::{Error, Result, ValidationError};

/// The tenant's access request configuration; from `Client::access_request_config`.
///
/// Properties this SDK does not know (a newer tenant's settings) are kept in
/// the `extra` maps of [`AccessRequestConfig`] and its parts, and sent back
/// unchanged, so [`update`](Self::update) never resets them.
///
/// The vendor marks these operations deprecated (2026-02-26) in favour of a
/// newer API version; they are still served.
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
    pub async fn get(&self) -> Result<AccessRequestConfig> {
        let raw = self.engine.raw();
        let value = self
            .engine
            .execute(&operations::GET_ACCESS_REQUEST_CONFIG, || {
                raw.get_access_request_config().send()
            })
            .await?;
        Ok(value.into_inner())
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
    pub async fn set(&self, config: AccessRequestConfig) -> Result<AccessRequestConfig> {
        let raw = self.engine.raw();
        let value = self
            .engine
            .execute(&operations::SET_ACCESS_REQUEST_CONFIG, || {
                raw.set_access_request_config().body(config.clone()).send()
            })
            .await?;
        Ok(value.into_inner())
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
    pub async fn update<F>(&self, change: F) -> Result<AccessRequestConfig>
    where
        F: FnOnce(&mut AccessRequestConfig),
    {
        let mut config = self.get().await?;
        change(&mut config);
        self.set(config).await
    }
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
