//! Dependencies that read query parameters and cookies: `/items/`, `/users/`,
//! `/class-items/` and `/query-or-cookie/`.
//!
//! poem-openapi documents each argument of an operation as one input, so a dependency that
//! needs several inputs takes them from the operation: the operation declares the
//! parameters (they show in `/docs`) and hands them to the dependency.

use poem_openapi::param::{Cookie, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};

use crate::Tag;

// ANCHOR: common_parameters
/// The parameters that `/items/` and `/users/` share, as the dependency gives them back.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct CommonParams {
    /// Text to search for, or `null`.
    #[oai(nullable)]
    q: Option<String>,
    /// How many entries to skip.
    skip: i64,
    /// How many entries to give at most.
    limit: i64,
}

impl Example for CommonParams {
    fn example() -> Self {
        common_parameters(None, 0, 100)
    }
}

/// FastAPI's `common_parameters`: a dependency is a function of the values it needs.
fn common_parameters(q: Option<String>, skip: i64, limit: i64) -> CommonParams {
    CommonParams { q, skip, limit }
}

/// The default of `limit`.
fn default_limit() -> i64 {
    100
}
// ANCHOR_END: common_parameters

// ANCHOR: class_dependency
/// One entry of the fake database.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub(crate) struct CatalogueItem {
    /// The item's name.
    pub(crate) item_name: String,
}

/// The items of the fake database, in order.
fn fake_items_db() -> Vec<CatalogueItem> {
    ["Foo", "Bar", "Baz"]
        .map(|name| CatalogueItem {
            item_name: name.to_owned(),
        })
        .into()
}

/// FastAPI's `CommonQueryParams` class: the same three values, as a struct with a method that
/// uses them.
#[derive(Debug, Clone)]
struct CommonQueryParams {
    q: Option<String>,
    skip: i64,
    limit: i64,
}

impl CommonQueryParams {
    /// Builds the dependency; `skip` and `limit` were checked (≥ 0) by the operation.
    fn new(q: Option<String>, skip: i64, limit: i64) -> Self {
        Self { q, skip, limit }
    }

    /// The slice of `items` this request asks for: skip `skip`, then keep at most `limit`.
    /// A huge `skip` or `limit` is simply more than there is: no panic, no overflow.
    fn page<T: Clone>(&self, items: &[T]) -> Vec<T> {
        let skip = usize::try_from(self.skip).unwrap_or(usize::MAX);
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        items.iter().skip(skip).take(limit).cloned().collect()
    }
}

/// A page of the items, with the search text when one was given.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct ItemsPage {
    /// The search text; left out when none was given, or when it was empty.
    #[oai(skip_serializing_if_is_none)]
    q: Option<String>,
    /// The items of the page.
    items: Vec<CatalogueItem>,
}

impl Example for ItemsPage {
    fn example() -> Self {
        Self {
            q: Some("foo".to_owned()),
            items: fake_items_db(),
        }
    }
}
// ANCHOR_END: class_dependency

// ANCHOR: sub_dependency
/// FastAPI's `query_extractor`: the first dependency.
fn query_extractor(q: Option<String>) -> Option<String> {
    q
}

/// FastAPI's `query_or_cookie_extractor`: a dependency of a dependency. It takes what
/// `query_extractor` gave, and falls back on the `last_query` cookie when that is empty.
fn query_or_cookie_extractor(q: Option<String>, last_query: Option<String>) -> Option<String> {
    match q {
        Some(q) if !q.is_empty() => Some(q),
        _ => last_query,
    }
}

/// What `/query-or-cookie/` found.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct QueryOrCookie {
    /// `q` when it was sent and not empty, else the `last_query` cookie, else `null`.
    #[oai(nullable)]
    q_or_cookie: Option<String>,
}

impl Example for QueryOrCookie {
    fn example() -> Self {
        Self {
            q_or_cookie: Some("plumbus".to_owned()),
        }
    }
}
// ANCHOR_END: sub_dependency

// ANCHOR: api
/// The operations whose dependencies read parameters.
pub(crate) struct ParametersApi;

#[OpenApi]
impl ParametersApi {
    // ANCHOR: read_items
    /// List items with the common parameters
    ///
    /// Answers the three common parameters as the shared dependency read them: `q` is `null`
    /// when not sent, `skip` defaults to 0 and `limit` to 100. `GET /users/` shares the same
    /// dependency.
    #[oai(path = "/items/", method = "get", tag = "Tag::Parameters")]
    async fn read_items(
        &self,
        /// Text to search for.
        q: Query<Option<String>>,
        /// How many entries to skip.
        #[oai(default)]
        skip: Query<i64>,
        /// How many entries to give at most.
        #[oai(default = "default_limit")]
        limit: Query<i64>,
    ) -> Json<CommonParams> {
        Json(common_parameters(q.0, skip.0, limit.0))
    }
    // ANCHOR_END: read_items

    /// List users with the common parameters
    ///
    /// The same dependency as `GET /items/`, so the same three parameters with the same
    /// defaults, and the same answer.
    #[oai(path = "/users/", method = "get", tag = "Tag::Parameters")]
    async fn read_users(
        &self,
        /// Text to search for.
        q: Query<Option<String>>,
        /// How many entries to skip.
        #[oai(default)]
        skip: Query<i64>,
        /// How many entries to give at most.
        #[oai(default = "default_limit")]
        limit: Query<i64>,
    ) -> Json<CommonParams> {
        Json(common_parameters(q.0, skip.0, limit.0))
    }

    // ANCHOR: read_class_items
    /// Page through the items
    ///
    /// The items `Foo`, `Bar` and `Baz`, from `skip` on and at most `limit` of them; `q` is
    /// repeated in the answer when it is given. `skip` and `limit` must be 0 or more; a
    /// value past the end just gives fewer items.
    #[oai(path = "/class-items/", method = "get", tag = "Tag::Parameters")]
    async fn read_class_items(
        &self,
        /// Text to search for.
        q: Query<Option<String>>,
        /// How many items to skip; 0 or more.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// How many items to give at most; 0 or more.
        #[oai(default = "default_limit", validator(minimum(value = "0")))]
        limit: Query<i64>,
    ) -> Json<ItemsPage> {
        let commons = CommonQueryParams::new(q.0, skip.0, limit.0);
        Json(ItemsPage {
            items: commons.page(&fake_items_db()),
            q: commons.q.filter(|q| !q.is_empty()),
        })
    }
    // ANCHOR_END: read_class_items

    // ANCHOR: read_query
    /// Read the query, or the last one
    ///
    /// Answers `q` when it is sent and not empty; otherwise the `last_query` cookie; otherwise
    /// `null`.
    #[oai(path = "/query-or-cookie/", method = "get", tag = "Tag::Parameters")]
    async fn read_query(
        &self,
        /// Text to search for.
        q: Query<Option<String>>,
        /// The text of an earlier search.
        last_query: Cookie<Option<String>>,
    ) -> Json<QueryOrCookie> {
        let q = query_extractor(q.0);
        Json(QueryOrCookie {
            q_or_cookie: query_or_cookie_extractor(q, last_query.0),
        })
    }
    // ANCHOR_END: read_query
}
// ANCHOR_END: api
