//! The baseline: bare `reqwest` + `serde_json`, doing the work a caller would
//! do without the SDK: the bearer header, a status check, the typed decode.

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use sailpoint_access_api::types::{AccessRequestConfig, RequestedItemStatus};

use crate::BoxError;

/// A plain `reqwest` client with a fixed token.
pub struct Bare {
    http: reqwest::Client,
    base: String,
    config_url: String,
    authorization: HeaderValue,
}

impl Bare {
    pub fn new(base: &str, token: &str) -> Result<Self, BoxError> {
        Ok(Self {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            config_url: format!("{base}/v3/access-request-config"),
            authorization: HeaderValue::try_from(format!("Bearer {token}"))?,
        })
    }

    async fn get(&self, url: &str) -> Result<(u16, bytes::Bytes), BoxError> {
        let response = self
            .http
            .get(url)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.bytes().await?))
    }

    /// `GET /v3/access-request-config`, decoded.
    pub async fn config(&self) -> Result<AccessRequestConfig, BoxError> {
        let (status, body) = self.get(&self.config_url).await?;
        if status != 200 {
            return Err(format!("config: HTTP {status}").into());
        }
        Ok(serde_json::from_slice(&body)?)
    }

    /// One status page, decoded; `None` for the 400 past the last page.
    pub async fn page(
        &self,
        offset: usize,
        limit: usize,
    ) -> Result<Option<Vec<RequestedItemStatus>>, BoxError> {
        let url = format!(
            "{}/v3/access-request-status?limit={limit}&offset={offset}",
            self.base
        );
        let (status, body) = self.get(&url).await?;
        match status {
            200 => Ok(Some(serde_json::from_slice(&body)?)),
            400 if offset > 0 => Ok(None),
            _ => Err(format!("page at {offset}: HTTP {status}").into()),
        }
    }

    /// The raw body of one status page.
    pub async fn page_bytes(&self, offset: usize, limit: usize) -> Result<Vec<u8>, BoxError> {
        let url = format!(
            "{}/v3/access-request-status?limit={limit}&offset={offset}",
            self.base
        );
        let (status, body) = self.get(&url).await?;
        if status != 200 {
            return Err(format!("page at {offset}: HTTP {status}").into());
        }
        Ok(body.to_vec())
    }

    /// Walks every page sequentially, as the facade's `items()` does without
    /// prefetch; returns the number of statuses read.
    pub async fn walk(&self, limit: usize) -> Result<usize, BoxError> {
        let mut offset = 0;
        let mut count = 0;
        while let Some(items) = self.page(offset, limit).await? {
            let short = items.len() < limit;
            for item in items {
                std::hint::black_box(item);
                count += 1;
            }
            if short {
                break;
            }
            offset += limit;
        }
        Ok(count)
    }
}
