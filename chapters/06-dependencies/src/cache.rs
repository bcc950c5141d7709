//! A dependency that two others need: `/cached/` runs it once per request, `/uncached/` once
//! per use.
//!
//! FastAPI keeps a cache for every request by itself. poem has none: extractors are
//! independent of each other, and each one that needs a value gets it on its own. So the cache
//! is ours to write: a middleware puts an empty one into each request, and the extractor that
//! wants caching looks there first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};
use tokio::sync::OnceCell;

use crate::Tag;

// ANCHOR: request_cache
/// What one request has worked out so far. A new one is made for every request.
#[derive(Debug, Default)]
pub(crate) struct RequestCache {
    /// The lookup's result, once it has run.
    lookup: OnceCell<Lookup>,
    /// How many times the lookup ran in this request.
    runs: AtomicU32,
}

/// The middleware that gives every request its own empty cache, before any extractor runs.
pub(crate) async fn open_request_cache(mut request: Request) -> poem::Result<Request> {
    request
        .extensions_mut()
        .insert(Arc::new(RequestCache::default()));
    Ok(request)
}

/// The cache of this request.
fn request_cache(request: &Request) -> poem::Result<&RequestCache> {
    request
        .data::<Arc<RequestCache>>()
        .map(Arc::as_ref)
        .ok_or_else(|| {
            poem::Error::from_string(
                "no request cache: add open_request_cache",
                poem::http::StatusCode::INTERNAL_SERVER_ERROR,
            )
        })
}
// ANCHOR_END: request_cache

// ANCHOR: lookup
/// What the shared dependency gives: in a real app a row read from the database; here, which
/// run of the lookup in this request made it.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    run: u32,
}

/// FastAPI's `get_value`: the work two dependencies need done.
async fn look_up(cache: &RequestCache) -> Lookup {
    let run = cache.runs.fetch_add(1, Ordering::SeqCst) + 1;
    Lookup { run }
}

/// The lookup, run at most once per request: FastAPI's default, `Depends(get_value)`.
pub(crate) struct Cached(Lookup);

impl<'a> FromRequest<'a> for Cached {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let cache = request_cache(request)?;
        let lookup = cache.lookup.get_or_init(|| look_up(cache)).await;
        Ok(Self(lookup.clone()))
    }
}

/// The lookup, run again for every use: `Depends(get_value, use_cache=False)`.
pub(crate) struct Fresh(Lookup);

impl<'a> FromRequest<'a> for Fresh {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(look_up(request_cache(request)?).await))
    }
}
// ANCHOR_END: lookup

// ANCHOR: dependants
/// Gives the lookup whichever way it was got.
pub(crate) trait GetLookup {
    /// The lookup.
    fn lookup(&self) -> &Lookup;
}

impl GetLookup for Cached {
    fn lookup(&self) -> &Lookup {
        &self.0
    }
}

impl GetLookup for Fresh {
    fn lookup(&self) -> &Lookup {
        &self.0
    }
}

/// One dependency that needs the lookup (in a real app: the user's permissions). `L` says how
/// it gets it: [`Cached`] or [`Fresh`].
pub(crate) struct Permissions<L>(L);

impl<'a, L: FromRequest<'a>> FromRequest<'a> for Permissions<L> {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(L::from_request(request, body).await?))
    }
}

/// Another dependency that needs the lookup (in a real app: the user's preferences).
pub(crate) struct Preferences<L>(L);

impl<'a, L: FromRequest<'a>> FromRequest<'a> for Preferences<L> {
    async fn from_request(request: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(L::from_request(request, body).await?))
    }
}
// ANCHOR_END: dependants

/// How many times the shared lookup ran for this request.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct Calls {
    /// 1 when both dependencies got the same result; 2 when each ran the lookup.
    calls: u32,
}

impl Example for Calls {
    fn example() -> Self {
        Self { calls: 1 }
    }
}

/// The later of the two runs: both saw run 1 when the lookup ran once.
fn calls<L: GetLookup>(permissions: &Permissions<L>, preferences: &Preferences<L>) -> Calls {
    Calls {
        calls: permissions.0.lookup().run.max(preferences.0.lookup().run),
    }
}

// ANCHOR: api
/// The operations whose dependencies share a lookup.
pub(crate) struct CacheApi;

#[OpenApi]
impl CacheApi {
    /// Share one lookup
    ///
    /// Two dependencies need the same lookup; with caching (the default in FastAPI) it runs
    /// once for the request and both get its result, so `calls` is 1.
    #[oai(path = "/cached/", method = "get", tag = "Tag::Caching")]
    async fn read_cached(
        &self,
        permissions: Permissions<Cached>,
        preferences: Preferences<Cached>,
    ) -> Json<Calls> {
        Json(calls(&permissions, &preferences))
    }

    /// Run the lookup for each use
    ///
    /// The same two dependencies with caching switched off: each runs the lookup, so `calls`
    /// is 2.
    #[oai(path = "/uncached/", method = "get", tag = "Tag::Caching")]
    async fn read_uncached(
        &self,
        permissions: Permissions<Fresh>,
        preferences: Preferences<Fresh>,
    ) -> Json<Calls> {
        Json(calls(&permissions, &preferences))
    }
}
// ANCHOR_END: api
