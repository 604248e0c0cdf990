//! Reading and replacing the tenant's access request configuration.

use sailpoint_access_api::types::AccessRequestConfig;

use crate::error::Result;
use crate::transport::{self, execute};
use crate::Client;

/// The access request configuration; from [`Client::config`].
///
/// The vendor marks these operations deprecated (2026-02-26) in favour of a
/// newer API version; they are still served.
#[derive(Clone, Copy, Debug)]
pub struct RequestConfig<'c> {
    client: &'c Client,
}

impl<'c> RequestConfig<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// Reads the configuration.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let cfg = client.config().get().await?;
    /// println!("{}", cfg.approvals_must_be_external);
    /// # Ok(()) }
    /// ```
    pub async fn get(self) -> Result<AccessRequestConfig> {
        let raw = &self.client.inner.raw;
        let value = execute(&self.client.inner, transport::GET_CONFIG, || {
            raw.get_access_request_config().send()
        })
        .await?;
        Ok(value.into_inner())
    }

    /// Replaces the whole configuration (fields left at their default are
    /// reset by the service) and returns what the service stored.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use sailpoint_access::types::AccessRequestConfig;
    /// let stored = client.config().set(AccessRequestConfig { auto_approval_enabled: true, ..Default::default() }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set(self, config: AccessRequestConfig) -> Result<AccessRequestConfig> {
        let raw = &self.client.inner.raw;
        let value = execute(&self.client.inner, transport::SET_CONFIG, || {
            raw.set_access_request_config().body(config.clone()).send()
        })
        .await?;
        Ok(value.into_inner())
    }

    /// Reads the configuration, applies `change`, and writes it back, so that
    /// fields the closure does not touch keep their values.
    ///
    /// This is not atomic: a change made by someone else between the read and
    /// the write is overwritten.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// client.config().update(|cfg| cfg.reauthorization_enabled = true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update<F>(self, change: F) -> Result<AccessRequestConfig>
    where
        F: FnOnce(&mut AccessRequestConfig),
    {
        let mut config = self.get().await?;
        change(&mut config);
        self.set(config).await
    }
}
