//! The state the facade threads through the generated client, and the hooks
//! that apply it to each request.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;

use crate::Client;

/// The future an [`Authorize`] returns.
pub type AuthorizationFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<HeaderValue>, String>> + Send + 'a>>;

/// Supplies the `Authorization` header for each request.
///
/// The facade implements this over its token cache; the generated client asks
/// for the header just before sending, so a refreshed token is picked up
/// without rebuilding the client, and the first call of a raw client fetches
/// one. An `Err` stops the request before it is sent
/// (`progenitor_client::Error::Custom` with the message).
pub trait Authorize: Send + Sync + 'static {
    /// The header value to send, such as `Bearer <token>`, or `None` to send none.
    /// Implementations should mark the value sensitive so it never prints.
    fn authorization(&self) -> AuthorizationFuture<'_>;
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
    fn authorization(&self) -> AuthorizationFuture<'_> {
        let value = self.0.clone();
        Box::pin(async move { Ok(Some(value)) })
    }
}

/// Status and headers of a response, as seen before the generated code decodes its body.
///
/// The generated client drops the status when a documented response has a body it
/// cannot decode (an HTML 502 page, an empty 429); [`observe`] recovers it.
#[derive(Clone, Debug)]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers; kept only for non-success statuses (where `Retry-After`
    /// matters), empty otherwise to keep the success path free of copies.
    pub headers: HeaderMap,
}

tokio::task_local! {
    static LAST_RESPONSE: RefCell<Option<ResponseMeta>>;
}

/// Runs `future` (typically one `send()` of the generated client) and returns its
/// output together with the status and headers of the last response it received.
///
/// ```
/// # async fn demo(client: &sailpoint_access_api::Client) {
/// let (result, meta) = sailpoint_access_api::observe(client.get_access_request_config().send()).await;
/// if let (Err(_), Some(meta)) = (&result, meta) {
///     eprintln!("failed with HTTP {}", meta.status);
/// }
/// # }
/// ```
pub async fn observe<F: Future>(future: F) -> (F::Output, Option<ResponseMeta>) {
    LAST_RESPONSE
        .scope(RefCell::new(None), async move {
            let output = future.await;
            let meta = LAST_RESPONSE.with(|cell| cell.borrow_mut().take());
            (output, meta)
        })
        .await
}

impl ClientHooks<Context> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Some(authorizer) = &self.inner.authorizer {
            match authorizer.authorization().await {
                Ok(Some(header)) => {
                    request.headers_mut().insert(AUTHORIZATION, header);
                }
                Ok(None) => {}
                Err(message) => return Err(progenitor_client::Error::Custom(message)),
            }
        }
        Ok(())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Ok(response) = result {
            let status = response.status();
            let headers = if status.is_success() {
                HeaderMap::new()
            } else {
                response.headers().clone()
            };
            // Outside `observe` there is no slot, and nothing to record.
            let _ = LAST_RESPONSE
                .try_with(|cell| *cell.borrow_mut() = Some(ResponseMeta { status, headers }));
        }
        Ok(())
    }
}
