//! The exercises' solutions, each an `#[OpenApi]` type of its own.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};

use crate::Tag;

/// The exercises' own group of operations, beside the chapter's; it becomes a section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// A query parameter whose name in the URL is not a Rust name.
    #[oai(
        external_docs = "https://fastapi.tiangolo.com/tutorial/query-params-str-validations/#alias-parameters"
    )]
    Aliases,
}

// ANCHOR: needy
/// An item read with a mix of path and query parameters.
#[derive(Object)]
struct NeedyItem {
    /// From the path.
    item_id: String,
    /// Required: it has no default.
    needy: String,
    /// 0 when not given.
    skip: i64,
    /// `null` when not given.
    #[oai(nullable)]
    limit: Option<i64>,
}

/// Exercise 1's solution: path and query parameters together.
pub(crate) struct NeedyApi;

#[OpenApi]
impl NeedyApi {
    /// Read an item with needy parameters
    ///
    /// `item_id` comes from the path; `needy` is a required query parameter, `skip` an
    /// integer that defaults to 0, and `limit` an integer that may be left out (`null`).
    #[oai(path = "/needy/:item_id", method = "get", tag = "Tag::Defaults")]
    async fn read_needy_item(
        &self,
        /// The item to read.
        item_id: Path<String>,
        /// Any text; required.
        needy: Query<String>,
        /// How many entries to skip.
        #[oai(default)]
        skip: Query<i64>,
        /// How many entries to return at most; no limit when left out.
        limit: Query<Option<i64>>,
    ) -> Json<NeedyItem> {
        Json(NeedyItem {
            item_id: item_id.0,
            needy: needy.0,
            skip: skip.0,
            limit: limit.0,
        })
    }
}
// ANCHOR_END: needy

// ANCHOR: alias
/// The search text, read from the `item-query` parameter.
#[derive(Object)]
struct AliasedQuery {
    /// The value of `item-query`; `null` when it was not sent.
    #[oai(nullable)]
    q: Option<String>,
}

/// Exercise 2's solution: a parameter named `item-query` in the URL and `q` in Rust.
pub(crate) struct AliasApi;

#[OpenApi]
impl AliasApi {
    /// Search with an aliased parameter
    ///
    /// The URL says `item-query`, which is not a valid Rust (or Python) name; the handler
    /// calls it `q`. It may be left out, and when sent it must have 3 to 50 characters.
    #[oai(path = "/aliased/", method = "get", tag = "ExerciseTag::Aliases")]
    async fn read_aliased(
        &self,
        /// Text to search for; 3 to 50 characters.
        #[oai(name = "item-query", validator(min_length = 3, max_length = 50))]
        q: Query<Option<String>>,
    ) -> Json<AliasedQuery> {
        Json(AliasedQuery { q: q.0 })
    }
}
// ANCHOR_END: alias

// ANCHOR: pattern
/// A product code that has the right shape.
#[derive(Object)]
struct Product {
    /// Three capital letters, a dash and four digits.
    sku: String,
}

/// Exercise 3's solution: a value that must match a regular expression.
pub(crate) struct ProductApi;

#[OpenApi]
impl ProductApi {
    /// Look up a product code
    ///
    /// `sku` must be three capital letters, a dash and four digits, such as `ABC-1234`;
    /// anything else is a 422 that shows the pattern.
    #[oai(path = "/products/", method = "get", tag = "Tag::Validation")]
    async fn read_product(
        &self,
        /// A product code such as `ABC-1234`.
        #[oai(validator(pattern = r"^[A-Z]{3}-[0-9]{4}$"), example = "example_sku")]
        sku: Query<String>,
    ) -> Json<Product> {
        Json(Product { sku: sku.0 })
    }
}

fn example_sku() -> String {
    "ABC-1234".to_owned()
}
// ANCHOR_END: pattern
