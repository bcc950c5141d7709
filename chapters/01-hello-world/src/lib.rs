//! Chapter 01: the first app.
//!
//! One endpoint, `GET /`, and everything around it that a FastAPI user gets for free: an
//! OpenAPI document with the app's metadata, Swagger UI at `/docs` and ReDoc at `/redoc`.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the operation `GET /`, its model, the document's metadata, and `app`.
//! 2. `main.rs`: serves the app.
//! 3. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 01`) has stubs in its place.

use poem::Endpoint;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService, Tags};

mod exercises;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Greetings from the first endpoint.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/first-steps/")]
    Hello,
}
// ANCHOR_END: tags

// ANCHOR: message
/// A greeting.
#[derive(Object)]
// The example in the schema is what `impl Example for Message` gives: exercise 2, in exercises.rs.
#[oai(example)]
struct Message {
    /// The greeting itself.
    message: String,
}
// ANCHOR_END: message

// ANCHOR: api
/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    /// Say hello
    ///
    /// The first endpoint of the workbook: it answers every `GET /` with the same greeting.
    #[oai(path = "/", method = "get", tag = "Tag::Hello")]
    async fn root(&self) -> Json<Message> {
        Json(Message {
            message: "Hello World".to_owned(),
        })
    }
}
// ANCHOR_END: api

// ANCHOR: metadata
const TITLE: &str = "Hello World";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
The first service of the **Poem API Workbook**.

It says hello, and shows what every later chapter has:

* an **OpenAPI document** at `/openapi.json`;
* **Swagger UI** at `/docs`, to try each operation;
* **ReDoc** at `/redoc`, to read them.";

/// The OpenAPI service: the operations and the document's metadata.
fn api() -> OpenApiService<kit::FastapiErrors<(Api, exercises::AboutApi)>, ()> {
    // The chapter's operations, then the exercises'.
    let operations = (Api, exercises::AboutApi);
    OpenApiService::new(kit::FastapiErrors(operations), TITLE, VERSION)
        .description(DESCRIPTION)
        .terms_of_service("https://example.com/terms/")
        .contact(
            poem_openapi::ContactObject::new()
                .name("Poem API Workbook")
                .url("https://example.com/workbook/contact/")
                .email("workbook@example.com"),
        )
        .license(
            poem_openapi::LicenseObject::new("Apache 2.0")
                .url("https://www.apache.org/licenses/LICENSE-2.0.html"),
        )
}
// ANCHOR_END: metadata

// ANCHOR: app
/// The whole app: the API, its docs pages where `docs` says, and the house conventions.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    kit::mount(api(), docs)
}
// ANCHOR_END: app
