//! Chapter 06: dependencies.
//!
//! What FastAPI's `Depends` does, done with poem's own tools: functions of the parameters,
//! extractors (poem's `FromRequest`, poem-openapi's `ApiExtractor`), shared state (`Data`),
//! header guards per operation and per router, a per-request cache, and a resource that is
//! always closed (FastAPI's dependencies with `yield`).
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `parameters.rs`: dependencies that read query parameters and cookies.
//! 2. `guards.rs`: header checks before an operation, declared per operation and per router.
//! 3. `cache.rs`: a dependency that two others need, run once per request.
//! 4. `session.rs`: a resource opened for a request and always closed after it.
//! 5. `lib.rs` (this file): the tags, and `app`, with the routers, the shared state and the cache.
//! 6. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 06`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use std::sync::Arc;

use poem::{Endpoint, EndpointExt};
use poem_openapi::{OpenApiService, Tags};

mod cache;
mod exercises;
mod guards;
mod parameters;
mod session;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Dependencies that read query parameters and cookies: a function, a struct, and a
    /// dependency of a dependency.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/dependencies/")]
    Parameters,
    /// Operations behind header checks: on one operation, and on a whole router.
    #[oai(
        external_docs = "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-in-path-operation-decorators/"
    )]
    Guards,
    /// A dependency that two others need: run once per request, or once per use.
    #[oai(
        external_docs = "https://fastapi.tiangolo.com/tutorial/dependencies/sub-dependencies/#using-the-same-dependency-multiple-times"
    )]
    Caching,
    /// A resource opened for a request and always closed after it: FastAPI's dependencies
    /// with `yield`.
    #[oai(
        external_docs = "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/"
    )]
    Resources,
}
// ANCHOR_END: tags

// ANCHOR: app
const DESCRIPTION: &str = "\
Chapter 06 of the **Poem API Workbook**: dependencies, FastAPI's `Depends`, in poem.

* `/items/`, `/users/`, `/class-items/` and `/query-or-cookie/` share the code that reads
  their parameters.
* `/protected-items/` checks two headers before it answers; everything under `/global/` is
  checked the same way, declared once for the whole router.
* `/cached/` and `/uncached/` show a dependency needed twice in one request.
* `/session/` opens a resource for the request and always closes it; `/session/stats` counts.";

/// The whole app: the API, its docs pages where `docs` says, and the house conventions;
/// around it, the state that every request shares and the cache that each request gets.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    let operations = (
        parameters::ParametersApi,
        guards::ProtectedApi,
        guards::RequireHeaders(guards::GlobalApi),
        cache::CacheApi,
        session::SessionApi,
        exercises::TracingApi,
        exercises::PaginationApi::default(),
    );
    let service = OpenApiService::new(kit::FastapiErrors(operations), "Dependencies", "1.0.0")
        .description(DESCRIPTION);
    kit::mount(service, docs)
        .before(cache::open_request_cache)
        .data(Arc::new(session::SessionStats::default()))
        .data(Arc::new(exercises::RequestIds::default()))
}
// ANCHOR_END: app
