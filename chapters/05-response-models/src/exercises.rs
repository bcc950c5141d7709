//! The exercises' solutions: FastAPI's `response_model_exclude_unset`,
//! `response_model_include`, and a response model that is a union of two.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi, Tags, Union};

use crate::Tag;
use crate::items::{Item, Lookup, find_item, item_id_example};

/// The exercises' own group of operations, beside the chapter's; it becomes a section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// One answer, two possible shapes (exercise 3).
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/extra-models/")]
    Vehicles,
}

// ANCHOR: sparse_item
/// An item with only the fields its catalogue entry sets: a field left out of the entry is
/// left out of the answer, while a field set to `null` is answered as `null`.
#[derive(Debug, Clone, PartialEq, Object)]
struct SparseItem {
    /// What it is called.
    name: String,
    /// A few words about it; absent when the entry does not set it.
    #[oai(nullable)]
    description: MaybeUndefined<String>,
    /// Its price.
    price: f64,
    /// The tax on it; absent when the entry does not set it.
    #[oai(nullable)]
    tax: MaybeUndefined<f64>,
}

/// The catalogue as FastAPI's tutorial writes it, as dictionaries: `foo` sets a name and a
/// price only, `baz` sets its description to `None`. Filled with `null`s, each entry is the
/// item `GET /items/{item_id}` answers.
fn find_sparse_item(item_id: &str) -> Option<SparseItem> {
    use MaybeUndefined::{Null, Undefined, Value};
    let (name, description, price, tax) = match item_id {
        "foo" => ("Foo", Undefined, 50.2, Undefined),
        "bar" => ("Bar", Value("The bartenders".to_owned()), 62.0, Value(20.2)),
        "baz" => ("Baz", Null, 50.2, Value(10.5)),
        _ => return None,
    };
    Some(SparseItem {
        name: name.to_owned(),
        description,
        price,
        tax,
    })
}
// ANCHOR_END: sparse_item

// ANCHOR: sparse_api
/// Exercise 1's solution.
pub(crate) struct SparseApi;

#[OpenApi]
impl SparseApi {
    /// Read the fields an item sets
    ///
    /// The item with this id, with only the fields its catalogue entry sets, as FastAPI's
    /// `response_model_exclude_unset=True` answers: `foo` is `{"name": "Foo", "price": 50.2}`.
    /// A field set to `null` stays, as `null`.
    #[oai(path = "/items/:item_id/set", method = "get", tag = "Tag::Items")]
    async fn read_item_set(
        &self,
        /// The item's id.
        #[oai(example = "item_id_example")]
        item_id: Path<String>,
    ) -> Lookup<SparseItem> {
        match find_sparse_item(&item_id) {
            Some(item) => Lookup::Found(Json(item)),
            None => Lookup::NotFound(Json(kit::Detail::new("Item not found"))),
        }
    }
}
// ANCHOR_END: sparse_api

// ANCHOR: item_name
/// An item's name and description, and nothing else.
#[derive(Debug, Clone, PartialEq, Object)]
struct ItemName {
    /// What it is called.
    name: String,
    /// A few words about it, or `null`.
    #[oai(nullable)]
    description: Option<String>,
}

impl From<Item> for ItemName {
    fn from(item: Item) -> Self {
        Self {
            name: item.name,
            description: item.description,
        }
    }
}

/// Exercise 2's solution.
pub(crate) struct NameApi;

#[OpenApi]
impl NameApi {
    /// Read an item's name
    ///
    /// The name and description of the item with this id, as FastAPI's
    /// `response_model_include={"name", "description"}` answers; the price and the tax stay
    /// out, and out of the document too.
    #[oai(path = "/items/:item_id/name", method = "get", tag = "Tag::Items")]
    async fn read_item_name(
        &self,
        /// The item's id.
        #[oai(example = "item_id_example")]
        item_id: Path<String>,
    ) -> Lookup<ItemName> {
        match find_item(&item_id) {
            Some(item) => Lookup::Found(Json(item.into())),
            None => Lookup::NotFound(Json(kit::Detail::new("Item not found"))),
        }
    }
}
// ANCHOR_END: item_name

// ANCHOR: vehicle
/// A car.
#[derive(Debug, Clone, PartialEq, Object)]
struct CarItem {
    /// What the car is like.
    description: String,
}

/// A plane, which also has a size.
#[derive(Debug, Clone, PartialEq, Object)]
struct PlaneItem {
    /// What the plane is like.
    description: String,
    /// How many seats it has.
    size: i64,
}

/// A vehicle: a car or a plane. The `type` member says which.
#[derive(Debug, Clone, PartialEq, Union)]
#[oai(discriminator_name = "type")]
enum Vehicle {
    /// A car: `{"description": ..., "type": "car"}`.
    #[oai(mapping = "car")]
    Car(CarItem),
    /// A plane: `{"description": ..., "size": ..., "type": "plane"}`.
    #[oai(mapping = "plane")]
    Plane(PlaneItem),
}
// ANCHOR_END: vehicle

// ANCHOR: vehicles_api
/// The vehicles, by id.
fn find_vehicle(item_id: &str) -> Option<Vehicle> {
    let vehicle = match item_id {
        "item1" => Vehicle::Car(CarItem {
            description: "A small red car with four doors".to_owned(),
        }),
        "item2" => Vehicle::Plane(PlaneItem {
            description: "A glider with two seats".to_owned(),
            size: 2,
        }),
        _ => return None,
    };
    Some(vehicle)
}

/// The example of a vehicle id in `/docs`.
fn vehicle_id_example() -> String {
    "item2".to_owned()
}

/// Exercise 3's solution.
pub(crate) struct VehiclesApi;

#[OpenApi]
impl VehiclesApi {
    /// Read a vehicle
    ///
    /// The vehicle with this id (`item1` is a car, `item2` a plane), as FastAPI's
    /// `response_model=Union[PlaneItem, CarItem]` answers. The document describes the answer
    /// as one of two schemas, told apart by `type`.
    #[oai(
        path = "/vehicles/:item_id",
        method = "get",
        tag = "ExerciseTag::Vehicles"
    )]
    async fn read_vehicle(
        &self,
        /// The vehicle's id.
        #[oai(example = "vehicle_id_example")]
        item_id: Path<String>,
    ) -> Lookup<Vehicle> {
        match find_vehicle(&item_id) {
            Some(vehicle) => Lookup::Found(Json(vehicle)),
            None => Lookup::NotFound(Json(kit::Detail::new("Item not found"))),
        }
    }
}
// ANCHOR_END: vehicles_api
