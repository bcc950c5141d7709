//! Your solutions to the exercises of chapter 16.
//!
//! `app()` already serves `VersionApi` beside the operations (it has no operation yet), the
//! static files pass their answers through `cache_headers`, and the access log asks
//! `request_id` for the request's id and, when there is one, gives it to the answer with
//! `answer_request_id` and writes it in its line.

use poem::{Request, Response, ResponseBuilder};
use poem_openapi::OpenApi;

// TODO(exercise 1): add `GET /version`, answering the program's name, its version, the API's
// version, and whether it is a debug or a release build, all fixed at compile time (book:
// "Exercise 1: What is running").
/// Exercise 1: `GET /version`.
#[derive(Debug)]
pub(crate) struct VersionApi;

#[OpenApi]
impl VersionApi {}

// TODO(exercise 2): let browsers and caches keep static files for an hour: a `Cache-Control`
// header with a `max-age` on each answer (book: "Exercise 2: Let browsers keep static files").
/// Exercise 2: the caching headers of a static file's answer.
pub(crate) fn cache_headers(answer: ResponseBuilder) -> ResponseBuilder {
    answer
}

// TODO(exercise 3): give every request an id: the `X-Request-Id` a trusted proxy sent
// (`from_proxy`), if it is a plain one, else a new random one; never a client's own. Then
// answer it in the `X-Request-Id` header (book: "Exercise 3: Follow a request through nginx").
/// Exercise 3: the request's id, if it has one.
pub(crate) fn request_id(_req: &Request, _from_proxy: bool) -> Option<String> {
    None
}

/// Exercise 3: gives the answer its request's id.
pub(crate) fn answer_request_id(_response: &mut Response, _request_id: &str) {}
