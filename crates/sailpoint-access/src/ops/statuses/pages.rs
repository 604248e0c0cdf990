//! Walking the status list page by page.
//!
//! The walk ends on the first short page. A full page followed by an empty
//! page, or by `400 "Specified offset is invalid."` (which the service sends
//! for an offset equal to the total when the total is a multiple of the page
//! size), ends it cleanly with everything read so far.
//!
//! The server is not trusted: a page with more items than its `limit`, a
//! page that repeats items of the page before it (a server that ignores
//! `offset` would otherwise be walked forever) or within itself, an
//! "offset is invalid" answer while `X-Total-Count` says more items remain,
//! and a walk that reaches the largest offset the API accepts all end the
//! walk with [`ErrorKind::Paging`]. `X-Total-Count` is a hint: the walk never
//! stops on it alone, and a walk that ends with a different count says so in
//! a `tracing` warning (the list may change while it is walked).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FutureExt;
use std::collections::HashSet;

use futures::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use sailpoint_access_api::types::RequestedItemStatus;
use tracing::Instrument;

use super::StatusQuery;
use crate::error::{Error, ErrorKind, Result, TransportKind};

/// One page of statuses.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Page {
    /// The statuses on this page.
    pub items: Vec<RequestedItemStatus>,
    /// The offset this page was requested at.
    pub offset: u32,
    /// The page size requested.
    pub limit: u32,
    /// `X-Total-Count`, when the query asked for it with `count(true)`.
    pub total: Option<u64>,
}

/// A stream of pages or of items: `Unpin`, `Send + 'static`, with an
/// inherent [`try_next`](Self::try_next), so no `pin!` and no extension
/// trait is needed. It also implements [`futures::Stream`].
///
/// ```no_run
/// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
/// let mut items = client.statuses().requested_for("me").items();
/// while let Some(status) = items.try_next().await? {
///     println!("{:?}", status.name);
/// }
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct PaginationStream<T> {
    inner: BoxStream<'static, Result<T>>,
}

impl<T: Send + 'static> PaginationStream<T> {
    fn new(inner: impl Stream<Item = Result<T>> + Send + 'static) -> Self {
        Self {
            inner: inner.boxed(),
        }
    }

    /// A stream that yields `error` once.
    pub(crate) fn failed(error: Error) -> Self {
        Self::new(stream::once(async move { Err(error) }))
    }

    /// The next element, `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        self.inner.next().await.transpose()
    }
}

impl PaginationStream<Page> {
    /// The items of every page, in order.
    pub fn into_items(self) -> PaginationStream<RequestedItemStatus> {
        PaginationStream::new(
            self.inner
                .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
                .try_flatten(),
        )
    }
}

impl<T> Stream for PaginationStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> std::fmt::Debug for PaginationStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaginationStream")
    }
}

/// `X-Total-Count`, when the service sent it as a number.
pub(crate) fn total_count(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Whether `error` is the service's way of saying "past the last page".
pub(crate) fn is_past_end(error: &Error) -> bool {
    error.kind() == ErrorKind::ClientError
        && error
            .api_error()
            .is_some_and(|e| e.status == 400 && e.mentions("offset"))
}

/// A prefetched page fetch running as its own task, so that its response is
/// read and decoded while the caller is busy with earlier pages (and on
/// another core), not only when the stream is polled. Dropping it (the walk
/// was dropped) aborts the fetch.
struct Background(tokio::task::JoinHandle<Result<Page>>);

impl Background {
    fn spawn(fetch: impl Future<Output = Result<Page>> + Send + 'static) -> Self {
        // The span of the caller, which the task would otherwise lose.
        Self(tokio::spawn(fetch.in_current_span()))
    }
}

impl Future for Background {
    type Output = Result<Page>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(page) => page,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down under the walk.
            Err(_) => Err(Error::transport(
                TransportKind::Other,
                "the page fetch was cancelled: the runtime is shutting down",
            )),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Walk<S> {
    fetches: Pin<Box<S>>,
    first: bool,
    done: bool,
    /// Items read so far, and the largest total announced.
    read: u64,
    total: Option<u64>,
    /// Keys of the previous page's items: only what the repeat check needs.
    previous: HashSet<String>,
}

impl<S> Walk<S> {
    /// Checks `page` against the limit and the page before it.
    fn check(&mut self, page: &Page) -> Result<()> {
        if page.items.len() as u64 > u64::from(page.limit) {
            return Err(Error::paging(format!(
                "the page at offset {} has {} items, more than its limit of {}",
                page.offset,
                page.items.len(),
                page.limit
            )));
        }
        let mut keys = HashSet::with_capacity(page.items.len());
        for key in page
            .items
            .iter()
            .filter_map(|s| s.account_activity_item_id.as_deref())
        {
            if self.previous.contains(key) || !keys.insert(key.to_owned()) {
                return Err(Error::paging(format!(
                    "the page at offset {} repeats item {key:?}: the server does not honour offset",
                    page.offset
                )));
            }
        }
        self.previous = keys;
        self.read += page.items.len() as u64;
        if let Some(total) = page.total {
            self.total = Some(self.total.map_or(total, |t| t.max(total)));
        }
        Ok(())
    }

    /// The walk ended cleanly: warn when the count differs from the hint.
    fn finish(&self) {
        if let Some(total) = self.total.filter(|t| *t != self.read) {
            tracing::warn!(
                read = self.read,
                total,
                "the walk read a different number of items than X-Total-Count announced"
            );
        }
    }
}

/// The pages of `query` from `start`, `limit` at a time, with up to
/// `prefetch` further pages in flight.
pub(super) fn walk(
    query: StatusQuery,
    start: u32,
    limit: u32,
    prefetch: usize,
) -> PaginationStream<Page> {
    let (start, limit) = (u64::from(start), u64::from(limit));
    // Offsets are generated lazily; `buffered` keeps up to `prefetch + 1`
    // requests in flight and yields them in order.
    let fetches = stream::iter((0u64..).map(move |i| start + i * limit))
        .take_while(|offset| std::future::ready(*offset <= i32::MAX as u64))
        .map(move |offset| {
            let query = query.clone();
            let fetch = async move { query.fetch(offset as u32, limit as u32).await };
            if prefetch == 0 {
                fetch.left_future()
            } else {
                Background::spawn(fetch).right_future()
            }
        })
        .buffered(prefetch.saturating_add(1));
    let walk = Walk {
        fetches: Box::pin(fetches),
        first: true,
        done: false,
        read: 0,
        total: None,
        previous: HashSet::new(),
    };
    PaginationStream::new(stream::unfold(walk, |mut walk| async move {
        if walk.done {
            return None;
        }
        let first = std::mem::replace(&mut walk.first, false);
        let Some(fetched) = walk.fetches.next().await else {
            walk.done = true;
            return Some((
                Err(Error::paging(format!(
                    "the walk reached the largest offset the API accepts ({}) without an end",
                    i32::MAX
                ))),
                walk,
            ));
        };
        match fetched {
            Ok(page) => {
                if let Err(e) = walk.check(&page) {
                    walk.done = true;
                    return Some((Err(e), walk));
                }
                walk.done = (page.items.len() as u64) < u64::from(page.limit);
                if page.items.is_empty() && !first {
                    // An empty page after a full one: the end, nothing to yield.
                    walk.finish();
                    return None;
                }
                if walk.done {
                    walk.finish();
                }
                Some((Ok(page), walk))
            }
            Err(e) if !first && is_past_end(&e) => match walk.total {
                Some(total) if walk.read < total => {
                    walk.done = true;
                    let read = walk.read;
                    Some((
                        Err(Error::paging(format!(
                            "the service refused the next offset as past the end, yet it announced {total} items and {read} arrived"
                        ))),
                        walk,
                    ))
                }
                _ => {
                    walk.finish();
                    None
                }
            },
            Err(e) => {
                walk.done = true;
                Some((Err(e), walk))
            }
        }
    }))
}
