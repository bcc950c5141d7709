//! Chapter 02: path parameters.
//!
//! Values read from the path, each with a type: an integer, a string, an enum, an integer
//! within bounds. A value that does not fit its type is answered with FastAPI's 422 body.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the models, the operations that read the path, and `app`.
//! 2. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 02`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use poem::Endpoint;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Enum, Object, OpenApi, OpenApiService, Tags};

mod exercises;

/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Items, found by their integer id.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/path-params/")]
    Items,
    /// Requests, found by name or by type.
    Requests,
}

// ANCHOR: item
/// An item, as far as this chapter knows it: its id.
#[derive(Object)]
#[oai(example)]
struct Item {
    /// The id from the path.
    item_id: i64,
}

impl Example for Item {
    fn example() -> Self {
        Item { item_id: 678 }
    }
}
// ANCHOR_END: item

/// Which request was asked for.
#[derive(Object)]
#[oai(example)]
struct RequestRef {
    /// The id from the path, or `current item` for `/requests/current`.
    request: String,
}

impl Example for RequestRef {
    fn example() -> Self {
        RequestRef {
            request: "alpha-14".to_owned(),
        }
    }
}

// ANCHOR: request_type
/// The kinds of request: `service` (help with what exists) or `new_feature` (something
/// new). Any other value in the path is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum RequestType {
    Service,
    NewFeature,
}

/// The type of request asked for.
#[derive(Object)]
struct RequestTypeRef {
    /// The type from the path.
    request_type: RequestType,
}
// ANCHOR_END: request_type

/// A request id that passed its bounds.
#[derive(Object)]
struct BoundedRequest {
    /// The id from the path, between 10 (included) and 15 (excluded).
    request_id: i64,
}

/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    // ANCHOR: read_item
    /// Read an item
    ///
    /// Reads the item whose id is in the path. The id is an integer: `/items/678` answers,
    /// `/items/ce6e56` is refused with a 422 that points at `["path", "item_id"]`.
    #[oai(path = "/items/:item_id", method = "get", tag = "Tag::Items")]
    async fn read_item(
        &self,
        /// The item's id, a whole number (a 64-bit integer).
        #[oai(example = "example_item_id")]
        item_id: Path<i64>,
    ) -> Json<Item> {
        Json(Item { item_id: item_id.0 })
    }
    // ANCHOR_END: read_item

    // ANCHOR: requests
    // Declared before `/requests/current` on purpose: poem's router tries fixed segments
    // before parameters, so the order of declaration does not matter.
    /// Read a request
    ///
    /// Any id answers, as text: `/requests/alpha-14` gives `{"request": "alpha-14"}`. The
    /// word `current` is not an id: it has an operation of its own.
    #[oai(path = "/requests/:request_id", method = "get", tag = "Tag::Requests")]
    async fn read_request(
        &self,
        /// The request's id, any text of one path segment.
        #[oai(example = "example_request_id")]
        request_id: Path<String>,
    ) -> Json<RequestRef> {
        Json(RequestRef {
            request: request_id.0,
        })
    }

    /// Read the current request
    ///
    /// A fixed path beside `/requests/{request_id}`: it wins over the parameter, whichever is
    /// declared first.
    #[oai(path = "/requests/current", method = "get", tag = "Tag::Requests")]
    async fn read_current_request(&self) -> Json<RequestRef> {
        Json(RequestRef {
            request: "current item".to_owned(),
        })
    }
    // ANCHOR_END: requests

    // ANCHOR: read_request_type
    /// Read a type of request
    ///
    /// The type is one of a fixed list, `service` or `new_feature`; any other value is
    /// refused with a 422 that lists the allowed ones.
    #[oai(
        path = "/requests/type/:request_type",
        method = "get",
        tag = "Tag::Requests"
    )]
    async fn read_request_type(
        &self,
        /// The type of request.
        request_type: Path<RequestType>,
    ) -> Json<RequestTypeRef> {
        Json(RequestTypeRef {
            request_type: request_type.0,
        })
    }
    // ANCHOR_END: read_request_type

    // ANCHOR: validated
    /// Read a request id within bounds
    ///
    /// The id must be at least 10 and less than 15: `/items_validated/10` answers,
    /// `/items_validated/15` and `/items_validated/9` are refused with a 422 that says which
    /// bound was broken.
    #[oai(
        path = "/items_validated/:request_id",
        method = "get",
        tag = "Tag::Items"
    )]
    async fn read_item_validated(
        &self,
        /// An integer from 10 (included) to 15 (excluded).
        #[oai(
            example = "example_bounded_id",
            validator(minimum(value = "10"), maximum(value = "15", exclusive))
        )]
        request_id: Path<i64>,
    ) -> Json<BoundedRequest> {
        Json(BoundedRequest {
            request_id: request_id.0,
        })
    }
    // ANCHOR_END: validated
}

// ANCHOR: example_item_id
// Examples that Swagger UI puts in the parameters' fields.
fn example_item_id() -> i64 {
    678
}
// ANCHOR_END: example_item_id

fn example_request_id() -> String {
    "alpha-14".to_owned()
}

fn example_bounded_id() -> i64 {
    10
}

const TITLE: &str = "Path parameters";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Values taken from the path, each with a type.

* `/items/{item_id}`: an integer;
* `/requests/{request_id}`: any text, beside the fixed `/requests/current`;
* `/requests/type/{request_type}`: one of a list;
* `/items_validated/{request_id}`: an integer within bounds.

A value that does not fit is answered with **422** and a list of problems, each with where \
it was (`loc`), what kind it is (`type`), a message (`msg`) and the value sent (`input`).";

// ANCHOR: app
/// The whole app: the API, its docs pages where `docs` says, and the house conventions.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    let operations = (
        Api,
        exercises::ModelsApi,
        exercises::UsersApi,
        exercises::FilesApi,
    );
    let service = OpenApiService::new(kit::FastapiErrors(operations), TITLE, VERSION)
        .description(DESCRIPTION);
    kit::mount(service, docs)
}
// ANCHOR_END: app
