//! Walking the status list page by page.
//!
//! The walk ends on the first short page. A full page followed by an empty
//! page, or by `400 "Specified offset is invalid."` (which the service sends
//! for an offset equal to the total when the total is a multiple of the page
//! size), ends it cleanly with everything read so far. With `count(true)` the
//! walk also stops once `X-Total-Count` items are read.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::FutureExt;
use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use sailpoint_access_api::types::RequestedItemStatus;
use tracing::Instrument;

use crate::error::{Error, Result, ValidationError};
use crate::statuses::StatusQuery;

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

/// Whether `error` is the service's way of saying "past the last page".
fn is_past_end(error: &Error) -> bool {
    matches!(error, Error::Api(e) if e.status == 400 && e.mentions("offset"))
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
            Err(_) => Err(Error::Transport {
                message: "the page fetch was cancelled: the runtime is shutting down".into(),
                before_send: false,
                attempts: 0,
            }),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Walk<S> {
    fetches: std::pin::Pin<Box<S>>,
    first: bool,
    done: bool,
}

impl StatusQuery {
    fn validate_walk(&self) -> Result<(), ValidationError> {
        self.validate()?;
        if self.limit == 0 {
            return Err(ValidationError::new(
                "pagination.limit",
                0,
                "walking pages needs a limit of at least 1",
            ));
        }
        Ok(())
    }

    /// All pages, in order, as a stream; see the [module docs](crate::pagination) for how it ends.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut pages = std::pin::pin!(client.statuses().count(true).prefetch(2).pages());
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("{} items at {} of {:?}", page.items.len(), page.offset, page.total);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(&self) -> impl Stream<Item = Result<Page>> + Send + 'static {
        if let Err(e) = self.validate_walk() {
            return stream::once(async move { Err(Error::Validation(e)) }).left_stream();
        }
        let query = self.clone();
        let (start, limit) = (u64::from(self.offset), u64::from(self.limit));
        // Offsets are generated lazily; `buffered` keeps up to `prefetch + 1`
        // requests in flight and yields them in order.
        let prefetch = self.prefetch;
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
        };
        stream::unfold(walk, |mut walk| async move {
            if walk.done {
                return None;
            }
            let first = std::mem::replace(&mut walk.first, false);
            match walk.fetches.next().await? {
                Ok(page) => {
                    let read = u64::from(page.offset) + page.items.len() as u64;
                    let short = (page.items.len() as u64) < u64::from(page.limit);
                    walk.done = short || page.total.is_some_and(|total| read >= total);
                    if page.items.is_empty() && !first {
                        // An empty page after a full one: the end, nothing to yield.
                        return None;
                    }
                    Some((Ok(page), walk))
                }
                Err(e) if !first && is_past_end(&e) => None,
                Err(e) => {
                    walk.done = true;
                    Some((Err(e), walk))
                }
            }
        })
        .right_stream()
    }

    /// All statuses, in order, as a stream.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// use futures::TryStreamExt;
    /// let names: Vec<_> = client.statuses().requested_for("me").items()
    ///     .map_ok(|s| s.name.unwrap_or_default())
    ///     .try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn items(&self) -> impl Stream<Item = Result<RequestedItemStatus>> + Send + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Reads statuses until the end or until `max_items` are read. Without
    /// prefetch no page beyond the one that reaches the cap is requested; with
    /// prefetch, requests already in flight are dropped.
    ///
    /// ```no_run
    /// # async fn run(client: sailpoint_access::Client) -> sailpoint_access::Result<()> {
    /// let first_thousand = client.statuses().requested_by("me").collect(1_000).await?;
    /// assert!(first_thousand.len() <= 1_000);
    /// # Ok(()) }
    /// ```
    pub async fn collect(&self, max_items: usize) -> Result<Vec<RequestedItemStatus>> {
        let mut out = Vec::new();
        if max_items == 0 {
            self.validate_walk()?;
            return Ok(out);
        }
        let mut pages = std::pin::pin!(self.pages());
        while let Some(page) = pages.try_next().await? {
            out.extend(page.items);
            if out.len() >= max_items {
                out.truncate(max_items);
                break;
            }
        }
        Ok(out)
    }
}
