//! The exercises' solutions: a second endpoint, and an example of the greeting.

use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi, Tags};

use crate::{Message, TITLE, VERSION};

// ANCHOR: about
/// The exercises' groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// What the service says about itself.
    #[oai(external_docs = "https://spec.openapis.org/oas/v3.0.3#info-object")]
    About,
}

/// The service's name and version, as the OpenAPI document gives them.
#[derive(Object)]
struct About {
    /// The document's `info.title`.
    title: String,
    /// The document's `info.version`.
    version: String,
}

/// Exercise 1's solution: a second endpoint.
pub(crate) struct AboutApi;

#[OpenApi]
impl AboutApi {
    /// About this service
    ///
    /// The title and version of the service, the same ones the OpenAPI document shows.
    #[oai(path = "/about", method = "get", tag = "ExerciseTag::About")]
    async fn about(&self) -> Json<About> {
        Json(About {
            title: TITLE.to_owned(),
            version: VERSION.to_owned(),
        })
    }
}
// ANCHOR_END: about

// ANCHOR: example
/// Exercise 2's solution: the example that the document gives for `Message`.
impl Example for Message {
    fn example() -> Self {
        Message {
            message: "Hello World".to_owned(),
        }
    }
}
// ANCHOR_END: example
