//! The exercises' solutions: what is running (1), letting browsers keep static files (2), and
//! following a request through nginx (3).
//!
//! `app()` serves [`VersionApi`] beside the operations, the static files pass their answers
//! through [`cache_headers`], and the access log asks [`request_id`] for the request's id and
//! gives it to the answer with [`answer_request_id`].

use std::sync::atomic::{AtomicU64, Ordering};

use poem::http::{HeaderValue, header};
use poem::{Request, Response, ResponseBuilder};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::ops::Tag;

// ANCHOR: version
/// What is running (exercise 1).
#[derive(Debug, Object)]
pub(crate) struct Version {
    /// The program: `ch16-deployment`.
    name: String,
    /// The program's version, from its `Cargo.toml`.
    version: String,
    /// The API's version, as the document gives it.
    api_version: String,
    /// `release` or `debug`: a debug build in production is a mistake worth seeing.
    profile: String,
}

/// Exercise 1: `GET /version`.
#[derive(Debug)]
pub(crate) struct VersionApi;

#[OpenApi(tag = "Tag::Operations")]
impl VersionApi {
    /// Version
    ///
    /// The program's name and version and how it was built, fixed at compile time: after a
    /// deploy, this says which build answers.
    #[oai(path = "/version", method = "get")]
    async fn version(&self) -> Json<Version> {
        Json(Version {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            api_version: ch14_bigger_application::VERSION.to_owned(),
            profile: match cfg!(debug_assertions) {
                true => "debug",
                false => "release",
            }
            .to_owned(),
        })
    }
}
// ANCHOR_END: version

// ANCHOR: cache_control
/// How long browsers and caches may keep a static file without asking again (exercise 2).
const CACHE_CONTROL: &str = "public, max-age=3600";

/// Exercise 2: the caching headers of a static file's answer.
pub(crate) fn cache_headers(answer: ResponseBuilder) -> ResponseBuilder {
    answer.header(header::CACHE_CONTROL, CACHE_CONTROL)
}
// ANCHOR_END: cache_control

// ANCHOR: request_id
/// The header that carries a request's id (exercise 3).
const REQUEST_ID: &str = "x-request-id";

/// Exercise 3: the request's id: the one a trusted proxy sent (nginx's `$request_id`), so that
/// nginx's log and this one name a request alike; else a new random one. A client's own id is
/// not taken: it could reuse another request's, and muddle the logs.
pub(crate) fn request_id(req: &Request, from_proxy: bool) -> Option<String> {
    let forwarded = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_plain_id(id));
    match (from_proxy, forwarded) {
        (true, Some(id)) => Some(id.to_owned()),
        _ => Some(new_request_id()),
    }
}

/// Exercise 3: gives the answer its request's id.
pub(crate) fn answer_request_id(response: &mut Response, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
}

/// Letters, digits, `-`, `_` and `.`, at most 128 of them: safe in a header and a log line.
fn is_plain_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// 128 random bits in hex, as nginx's `$request_id`. Should the system's generator fail, a
/// counter still tells the requests of this process apart.
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
// ANCHOR_END: request_id

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken() {
        assert!(is_plain_id("3f2a9c0d1e-req_1.2"));
        assert!(!is_plain_id(""));
        assert!(!is_plain_id("a b"));
        assert!(!is_plain_id("id\"\nforged log line"));
        assert!(!is_plain_id(&"a".repeat(129)));
    }

    #[test]
    fn new_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
