//! The state the facade threads through the generated client, and the hooks
//! that apply it to each request.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{self, Poll};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::ResponseBuilderExt;
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
    /// What the response said about the deprecation of its operation, when
    /// it said anything (on any status).
    pub deprecation: Option<DeprecationNotice>,
}

/// The deprecation headers of a response: `Deprecation`, `Sunset`,
/// `X-Deprecated` and a `Link` with `rel="deprecation"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeprecationNotice {
    /// `Deprecation` (a date, or `true`).
    pub deprecation: Option<String>,
    /// `Sunset`: when the operation stops being served.
    pub sunset: Option<String>,
    /// `X-Deprecated: true`.
    pub x_deprecated: bool,
    /// The target of a `Link: <...>; rel="deprecation"`.
    pub link: Option<String>,
}

impl DeprecationNotice {
    /// The longest value kept from a header, in characters: long enough that
    /// a credential echoed near the start is kept whole, so a scrubber can
    /// find it, rather than cut into a fragment no scrubber recognises.
    pub const MAX_LEN: usize = 4096;

    /// The notice with `f` applied to every text it keeps.
    pub fn map_texts(mut self, f: impl Fn(&str) -> String) -> Self {
        for text in [&mut self.deprecation, &mut self.sunset, &mut self.link]
            .into_iter()
            .flatten()
        {
            *text = f(text);
        }
        self
    }

    /// The notice in `headers`, if they carry one. Values are cut at
    /// [`DeprecationNotice::MAX_LEN`] characters; a client that logs them
    /// should scrub them of credentials first and cut them shorter after.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().chars().take(Self::MAX_LEN).collect::<String>())
                .filter(|v| !v.is_empty())
        };
        let link = headers
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find(|part| {
                part.split(';').skip(1).any(|p| {
                    p.trim().eq_ignore_ascii_case("rel=\"deprecation\"")
                        || p.trim().eq_ignore_ascii_case("rel=deprecation")
                })
            })
            .and_then(|part| {
                let target = part.split(';').next()?.trim();
                Some(
                    target
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .chars()
                        .take(Self::MAX_LEN)
                        .collect(),
                )
            });
        let notice = Self {
            deprecation: text("deprecation"),
            sunset: text("sunset"),
            x_deprecated: text("x-deprecated").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            link,
        };
        (notice != Self::default()).then_some(notice)
    }
}

/// What one observed call records and allows: the last response's status and
/// headers, and the most body bytes it may read.
struct Slot {
    meta: Option<ResponseMeta>,
    limit: Option<u64>,
}

tokio::task_local! {
    static SLOT: RefCell<Slot>;
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
pub fn observe<F: Future>(future: F) -> impl Future<Output = (F::Output, Option<ResponseMeta>)> {
    observe_limited(None, future)
}

/// [`observe`], and no response body read by `future` may exceed `limit`
/// bytes: reading more fails the body with [`BodyTooLarge`] (in the source
/// chain of the generated client's `ResponseBodyError`), after at most
/// `limit` bytes were buffered.
///
/// Neither this nor [`observe`] is an `async fn`, and the wrapped future is
/// polled in place: an `async` wrapper keeps its argument beside the future
/// it awaits, which made this one three times the size of the request it
/// wraps, and every move of it a copy of kilobytes.
pub fn observe_limited<F: Future>(
    limit: Option<u64>,
    future: F,
) -> impl Future<Output = (F::Output, Option<ResponseMeta>)> {
    SLOT.scope(
        RefCell::new(Slot { meta: None, limit }),
        Recorded { future },
    )
}

pin_project_lite::pin_project! {
    /// `future`, and then what the hooks recorded in the slot, taken while the
    /// slot is still in scope.
    struct Recorded<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Recorded<F> {
    type Output = (F::Output, Option<ResponseMeta>);

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<Self::Output> {
        let output = std::task::ready!(self.project().future.poll(cx));
        let meta = SLOT.with(|cell| cell.borrow_mut().meta.take());
        Poll::Ready((output, meta))
    }
}

/// A response body was larger than the limit given to [`observe_limited`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The limit, in bytes.
    pub limit: u64,
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "response body exceeds the limit of {} bytes", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

/// A body that fails once more than `left` bytes arrive, so that nothing
/// above it buffers more than the limit.
struct Capped {
    inner: reqwest::Body,
    left: u64,
    limit: u64,
}

impl http_body::Body for Capped {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut task::Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let too_large = BodyTooLarge { limit: this.limit };
        // A declared length over the limit fails before anything is read.
        if http_body::Body::size_hint(&this.inner).lower() > this.left {
            return Poll::Ready(Some(Err(Box::new(too_large))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                if n > this.left {
                    return Poll::Ready(Some(Err(Box::new(too_large))));
                }
                this.left -= n;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}

impl ClientHooks<Context> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        // Headers the spec fixes for this operation (`x-fixed-headers`).
        let fixed = crate::operations::ALL
            .iter()
            .find(|op| op.name == info.operation_id)
            .map_or(&[][..], |op| op.fixed_headers);
        for (name, value) in fixed {
            // Both were checked by codegen (`x-fixed-headers`); mixed-case
            // names are lowered here, as HTTP header names are.
            if let Ok(name) = reqwest::header::HeaderName::from_bytes(name.as_bytes()) {
                request
                    .headers_mut()
                    .insert(name, HeaderValue::from_static(value));
            }
        }
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
            let deprecation = DeprecationNotice::from_headers(response.headers());
            // Outside `observe` there is no slot, and nothing to record.
            let _ = SLOT.try_with(|cell| {
                cell.borrow_mut().meta = Some(ResponseMeta {
                    status,
                    headers,
                    deprecation,
                });
            });
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client.execute(request).await?;
        let limit = SLOT.try_with(|cell| cell.borrow().limit).ok().flatten();
        let Some(limit) = limit else {
            return Ok(response);
        };
        // The round trip through `http::Response` drops the URL, and reqwest
        // would parse a placeholder URL for every response instead: carry the
        // real one over (cheaper, and `Response::url()` stays true).
        let url = response.url().clone();
        let response: http::Response<reqwest::Body> = response.into();
        let (mut parts, body) = response.into_parts();
        if let Ok(mut carrier) = http::Response::builder().url(url).body(()) {
            parts
                .extensions
                .extend(std::mem::take(carrier.extensions_mut()));
        }
        let capped = Capped {
            inner: body,
            left: limit,
            limit,
        };
        Ok(reqwest::Response::from(http::Response::from_parts(
            parts,
            reqwest::Body::wrap(capped),
        )))
    }
}
