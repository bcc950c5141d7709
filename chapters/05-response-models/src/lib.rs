//! Chapter 05: what an operation answers.
//!
//! A response model that is not the request model (the password goes in, never out), a status
//! other than 200, an error declared in the document, and answers that are not JSON: HTML,
//! plain text, a redirect and a file to download.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `users.rs`: `POST /user/`, whose response model leaves the password out.
//! 2. `items.rs`: `GET /items/` and `GET /items/{item_id}`, with a declared 404.
//! 3. `formats.rs`: answers that are not JSON: HTML, plain text, a redirect, a download.
//! 4. `lib.rs` (this file): the tags, and `app`, which serves the three routers.
//! 5. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 05`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use poem::Endpoint;
use poem_openapi::{OpenApiService, Tags};

mod exercises;
mod formats;
mod items;
mod users;

pub use formats::{Download, Redirect};
pub use items::{Item, Lookup};
pub use users::{CreateUserResponse, UserIn, UserOut};

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Users: what comes in is not what goes out.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/response-model/")]
    Users,
    /// The shop's items, and a declared 404 for the ones it does not have.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/handling-errors/")]
    Items,
    /// Answers that are not JSON: HTML, plain text, a redirect, a file.
    #[oai(external_docs = "https://fastapi.tiangolo.com/advanced/custom-response/")]
    Formats,
}
// ANCHOR_END: tags

// ANCHOR: app
const DESCRIPTION: &str = "\
Chapter 05 of the **Poem API Workbook**: response models.

* `POST /user/` takes a password and never gives it back: the answer is another type.
* `GET /items/{item_id}` declares its 404 next to its 200.
* `/html`, `/plain`, `/redirect` and `/download` answer something other than JSON.";

/// The whole app: the API, its docs pages where `docs` says, and the house conventions.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    // The chapter's operations, then the exercises' solutions.
    let operations = (
        users::UsersApi,
        items::ItemsApi,
        formats::FormatsApi,
        exercises::SparseApi,
        exercises::NameApi,
        exercises::VehiclesApi,
    );
    let service = OpenApiService::new(kit::FastapiErrors(operations), "Response models", "1.0.0")
        .description(DESCRIPTION);
    kit::mount(service, docs)
}
// ANCHOR_END: app
