//! Chapter 15: being written.

use poem::Endpoint;
use poem_openapi::{OpenApi, OpenApiService, payload::PlainText};

struct Api;

#[OpenApi]
impl Api {
    /// Placeholder
    ///
    /// Replaced by the chapter's operations.
    #[oai(path = "/", method = "get")]
    async fn root(&self) -> PlainText<&'static str> {
        PlainText("being written")
    }
}

/// The whole app.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    kit::mount(OpenApiService::new(kit::FastapiErrors(Api), "Chapter 15", "0.1.0"), docs)
}
