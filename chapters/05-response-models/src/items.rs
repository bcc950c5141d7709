//! `GET /items/` and `GET /items/{item_id}`: a list, one item, and a declared 404.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, ToJSON};
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::Tag;

// ANCHOR: item
/// An item of the shop.
#[derive(Debug, Clone, PartialEq, Object)]
#[oai(example)]
pub struct Item {
    /// What it is called.
    pub name: String,
    /// A few words about it, or `null`.
    #[oai(nullable)]
    pub description: Option<String>,
    /// Its price.
    pub price: f64,
    /// The tax on it, or `null`.
    #[oai(nullable)]
    pub tax: Option<f64>,
}
// ANCHOR_END: item

impl Item {
    fn new(name: &str, description: Option<&str>, price: f64, tax: Option<f64>) -> Self {
        Self {
            name: name.to_owned(),
            description: description.map(str::to_owned),
            price,
            tax,
        }
    }
}

impl Example for Item {
    fn example() -> Self {
        Self::new("Bar", Some("The bartenders"), 62.0, Some(20.2))
    }
}

// ANCHOR: catalogue
/// The shop's catalogue, by id.
pub(crate) fn find_item(item_id: &str) -> Option<Item> {
    let item = match item_id {
        "foo" => Item::new("Foo", None, 50.2, None),
        "bar" => Item::new("Bar", Some("The bartenders"), 62.0, Some(20.2)),
        "baz" => Item::new("Baz", None, 50.2, Some(10.5)),
        _ => return None,
    };
    Some(item)
}
// ANCHOR_END: catalogue

/// The example of an item id in `/docs`.
pub(crate) fn item_id_example() -> String {
    "bar".to_owned()
}

// ANCHOR: lookup
/// The answers of a lookup by id: what was found, or a 404 that says what was not.
#[derive(Debug, ApiResponse)]
pub enum Lookup<T: ToJSON> {
    /// The one with this id.
    #[oai(status = 200)]
    Found(Json<T>),
    /// Nothing has this id.
    #[oai(status = 404)]
    NotFound(Json<kit::Detail>),
}
// ANCHOR_END: lookup

// ANCHOR: items_api
/// The items' operations.
pub(crate) struct ItemsApi;

#[OpenApi]
impl ItemsApi {
    /// List the items
    ///
    /// Every item on sale, each with all four fields: a field without a value is `null`.
    #[oai(path = "/items/", method = "get", tag = "Tag::Items")]
    async fn read_items(&self) -> Json<Vec<Item>> {
        Json(vec![
            Item::new("Portal Gun", None, 42.0, None),
            Item::new("Plumbus", None, 32.0, None),
        ])
    }

    /// Read one item
    ///
    /// The item with this id (`foo`, `bar` or `baz`). Any other id is answered with **404**
    /// and `{"detail": "Item not found"}`; both answers are declared, so `/docs` shows both.
    #[oai(path = "/items/:item_id", method = "get", tag = "Tag::Items")]
    async fn read_item(
        &self,
        /// The item's id.
        #[oai(example = "item_id_example")]
        item_id: Path<String>,
    ) -> Lookup<Item> {
        match find_item(&item_id) {
            Some(item) => Lookup::Found(Json(item)),
            None => Lookup::NotFound(Json(kit::Detail::new("Item not found"))),
        }
    }
}
// ANCHOR_END: items_api
