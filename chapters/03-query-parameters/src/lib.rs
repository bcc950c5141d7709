//! Chapter 03: query parameters.
//!
//! Values after the `?`: with defaults, required, limited in length, optional, and repeated to
//! make a list. poem-openapi reads each one into a typed argument and documents it.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the models, the operations that read the query string, and `app`.
//! 2. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 03`) has stubs in its place.
//!
//! Not on the page: `main.rs`, which serves the app.

use poem::Endpoint;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi, OpenApiService, Tags};

mod exercises;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Query parameters that may be left out: their defaults apply.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/query-params/")]
    Defaults,
    /// Query parameters with limits: a value outside them is a 422.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/query-params-str-validations/")]
    Validation,
    /// A query parameter repeated to make a list.
    #[oai(
        external_docs = "https://fastapi.tiangolo.com/tutorial/query-params-str-validations/#query-parameter-list-multiple-values"
    )]
    Lists,
}
// ANCHOR_END: tags

// ANCHOR: models
/// Where a listing starts: the page, and how many entries to skip on it.
#[derive(Object)]
struct Pagination {
    /// The page asked for; 0 when not given.
    page: i64,
    /// Entries skipped; 0 when not given.
    skip: i64,
}

/// A page, and the required `req` that came with it.
#[derive(Object)]
struct RequiredQuery {
    /// The page asked for; 0 when not given.
    page: i64,
    /// Entries skipped; 0 when not given.
    skip: i64,
    /// The required value, as sent.
    req: String,
}

/// The value of `req`, once it passed its length check.
#[derive(Object)]
struct TypedQuery {
    /// Between 5 and 15 characters.
    req: String,
}
// ANCHOR_END: models

// ANCHOR: item_list
/// One entry of the item list.
#[derive(Object)]
struct ItemRef {
    /// The item's name.
    item_id: String,
}

/// The items, and the search text when one was given.
#[derive(Object)]
#[oai(example)]
struct ItemList {
    /// Every item.
    items: Vec<ItemRef>,
    /// The search text; left out when none was given, or when it was empty.
    #[oai(skip_serializing_if_is_none)]
    q: Option<String>,
}

impl Example for ItemList {
    fn example() -> Self {
        ItemList {
            items: catalogue(),
            q: Some("portal".to_owned()),
        }
    }
}

/// The two items of this chapter.
fn catalogue() -> Vec<ItemRef> {
    ["Foo", "Bar"]
        .map(|name| ItemRef {
            item_id: name.to_owned(),
        })
        .into()
}
// ANCHOR_END: item_list

// ANCHOR: tag_list
/// Every `tag` of the query, in the order they came.
#[derive(Object)]
#[oai(example)]
struct TagList {
    /// The tags; empty when none was sent.
    tags: Vec<String>,
}

impl Example for TagList {
    fn example() -> Self {
        TagList {
            tags: example_tags(),
        }
    }
}

/// The tags Swagger UI suggests.
fn example_tags() -> Vec<String> {
    vec!["rust".to_owned(), "web".to_owned()]
}
// ANCHOR_END: tag_list

/// The operations of this chapter.
struct Api;

#[OpenApi]
impl Api {
    // ANCHOR: read_query_params
    /// Read a page
    ///
    /// Both parameters are optional integers: leave one out and it is 0, as if `?page=0`
    /// had been sent. A value that is not an integer is a 422 that names the parameter.
    #[oai(path = "/query_params", method = "get", tag = "Tag::Defaults")]
    async fn read_query_params(
        &self,
        /// The page to show.
        #[oai(default)]
        page: Query<i64>,
        /// How many entries to skip.
        #[oai(default)]
        skip: Query<i64>,
    ) -> Json<Pagination> {
        Json(Pagination {
            page: page.0,
            skip: skip.0,
        })
    }
    // ANCHOR_END: read_query_params

    // ANCHOR: read_query_params_required
    /// Read a page with a required value
    ///
    /// `req` has no default, so a request without it is a 422 with `loc` `["query", "req"]`;
    /// `page` and `skip` default to 0 as before.
    #[oai(path = "/query_params_required", method = "get", tag = "Tag::Defaults")]
    async fn read_query_params_required(
        &self,
        /// Any text; required.
        #[oai(example = "example_req")]
        req: Query<String>,
        /// The page to show.
        #[oai(default)]
        page: Query<i64>,
        /// How many entries to skip.
        #[oai(default)]
        skip: Query<i64>,
    ) -> Json<RequiredQuery> {
        Json(RequiredQuery {
            page: page.0,
            skip: skip.0,
            req: req.0,
        })
    }
    // ANCHOR_END: read_query_params_required

    // ANCHOR: read_query_params_typed
    /// Read a value of limited length
    ///
    /// `req` must have 5 to 15 characters (characters, not bytes: `ééééé` is 5). A shorter
    /// or longer one is a 422 that says which limit it broke.
    #[oai(path = "/query_params_typed", method = "get", tag = "Tag::Validation")]
    async fn read_query_params_typed(
        &self,
        /// Between 5 and 15 characters.
        #[oai(validator(min_length = 5, max_length = 15), example = "example_req")]
        req: Query<String>,
    ) -> Json<TypedQuery> {
        Json(TypedQuery { req: req.0 })
    }
    // ANCHOR_END: read_query_params_typed

    // ANCHOR: read_items
    /// List the items
    ///
    /// `q` is optional and at most 50 characters long. When it is given and not empty, the
    /// answer repeats it next to the items.
    #[oai(path = "/items/", method = "get", tag = "Tag::Validation")]
    async fn read_items(
        &self,
        /// Text to search for; at most 50 characters.
        #[oai(validator(max_length = 50))]
        q: Query<Option<String>>,
    ) -> Json<ItemList> {
        Json(ItemList {
            items: catalogue(),
            q: q.0.filter(|q| !q.is_empty()),
        })
    }
    // ANCHOR_END: read_items

    // ANCHOR: read_tags
    /// List the tags sent
    ///
    /// Repeat `tag` to send several: `?tag=rust&tag=web`. Without any, the list is empty.
    #[oai(path = "/tags/", method = "get", tag = "Tag::Lists")]
    async fn read_tags(
        &self,
        /// A tag; repeat the parameter for more.
        #[oai(default, example = "example_tags")]
        tag: Query<Vec<String>>,
    ) -> Json<TagList> {
        Json(TagList { tags: tag.0 })
    }
    // ANCHOR_END: read_tags
}

/// The value Swagger UI suggests for `req`.
fn example_req() -> String {
    "rustacean".to_owned()
}

// ANCHOR: app
const DESCRIPTION: &str = "\
Query parameters, the `key=value` pairs after the `?` of a URL:

* **defaults** for the ones a client may leave out;
* **required** ones, whose absence is a 422;
* **limits** on their length or shape;
* **lists**, from a parameter given several times.";

/// The whole app: the API, its docs pages where `docs` says, and the house conventions.
pub fn app(docs: &kit::Docs) -> impl Endpoint + use<> {
    let api = (
        Api,
        exercises::NeedyApi,
        exercises::AliasApi,
        exercises::ProductApi,
    );
    let service = OpenApiService::new(kit::FastapiErrors(api), "Query parameters", "1.0.0")
        .description(DESCRIPTION);
    kit::mount(service, docs)
}
// ANCHOR_END: app
