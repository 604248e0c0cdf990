//! The state the facade threads through the generated client, and the hooks
//! that apply it to each request.

use std::fmt;
use std::sync::Arc;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderValue, AUTHORIZATION};

use crate::Client;

/// Supplies the `Authorization` header for each request.
///
/// The facade implements this over its token cache; the generated client asks
/// for the header just before sending, so a refreshed token is picked up
/// without rebuilding the client.
pub trait Authorize: Send + Sync + 'static {
    /// The header value to send, such as `Bearer <token>`, or `None` to send none.
    /// Implementations should mark the value sensitive so it never prints.
    fn authorization(&self) -> Option<HeaderValue>;
}

/// Per-client state carried by the generated [`Client`] (its "inner" value).
#[derive(Clone, Default)]
pub struct Context {
    authorizer: Option<Arc<dyn Authorize>>,
}

impl Context {
    /// A context that adds the header `authorizer` supplies to every request.
    pub fn with_authorizer(authorizer: Arc<dyn Authorize>) -> Self {
        Self {
            authorizer: Some(authorizer),
        }
    }

    /// A context that sends a fixed bearer token.
    pub fn with_bearer_token(token: &str) -> Result<Self, reqwest::header::InvalidHeaderValue> {
        let mut value = HeaderValue::try_from(format!("Bearer {token}"))?;
        value.set_sensitive(true);
        Ok(Self::with_authorizer(Arc::new(StaticAuthorization(value))))
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print credentials: only say whether an authorizer is set.
        f.debug_struct("Context")
            .field("authorizer", &self.authorizer.as_ref().map(|_| "<set>"))
            .finish()
    }
}

struct StaticAuthorization(HeaderValue);

impl Authorize for StaticAuthorization {
    fn authorization(&self) -> Option<HeaderValue> {
        Some(self.0.clone())
    }
}

impl ClientHooks<Context> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Some(header) = self
            .inner
            .authorizer
            .as_ref()
            .and_then(|a| a.authorization())
        {
            request.headers_mut().insert(AUTHORIZATION, header);
        }
        Ok(())
    }
}
