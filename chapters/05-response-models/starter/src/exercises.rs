//! Your solutions to the exercises of chapter 05, each an `#[OpenApi]` type of its own.
//!
//! `app()` in `lib.rs` already serves the three types below; each has no operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): add `GET /items/{item_id}/set`, answering each item of the tutorial's
// catalogue with only the fields it sets, 404 for others (book: 05-response-models,
// "Exercise 1: Only what was set").
/// Exercise 1: FastAPI's `response_model_exclude_unset`.
pub(crate) struct SparseApi;

#[OpenApi]
impl SparseApi {}

// TODO(exercise 2): add `GET /items/{item_id}/name`, answering an item's name and description
// and nothing else, 404 for others (book: 05-response-models, "Exercise 2: Only some fields").
/// Exercise 2: FastAPI's `response_model_include`.
pub(crate) struct NameApi;

#[OpenApi]
impl NameApi {}

// TODO(exercise 3): add `GET /vehicles/{item_id}`, answering a car (`item1`) or a plane
// (`item2`) told apart by `type`, 404 for others (book: 05-response-models, "Exercise 3: One of
// two models").
/// Exercise 3: a response model that is one of two.
pub(crate) struct VehiclesApi;

#[OpenApi]
impl VehiclesApi {}
