//! `/`: the service's name, version and clock.

use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use super::Tag;
use crate::models::{Index, rfc3339, unix_now};

/// The index router.
#[derive(Debug)]
pub struct IndexApi;

// ANCHOR: index
#[OpenApi(tag = "Tag::Index")]
impl IndexApi {
    /// About the service
    ///
    /// Its name and version, and the server's clock: a program that signs requests can check
    /// here that its own clock is within the 60 seconds that signed requests allow.
    #[oai(path = "/", method = "get")]
    async fn index(&self) -> Json<Index> {
        let now = unix_now();
        Json(Index {
            service: crate::TITLE.to_owned(),
            version: crate::VERSION.to_owned(),
            time: rfc3339(now),
            timestamp: now,
        })
    }
}
// ANCHOR_END: index
