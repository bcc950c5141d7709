//! Your solutions to the exercises of chapter 03, each an `#[OpenApi]` type of its own.
//!
//! `app()` in `lib.rs` already serves the three types below; each has no operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): add `GET /needy/{item_id}` with a required query `needy`, `skip` (default 0)
// and an optional `limit`, answering all four
// (book: 03-query-parameters, "Exercise 1: Needy parameters").
/// Exercise 1: path and query parameters together.
pub(crate) struct NeedyApi;

#[OpenApi]
impl NeedyApi {}

// TODO(exercise 2): add `GET /aliased/`, reading the query parameter `item-query` (3 to 50
// characters, optional) into `q` and answering `{"q": ...}`
// (book: 03-query-parameters, "Exercise 2: An alias").
/// Exercise 2: a parameter named `item-query` in the URL and `q` in Rust.
pub(crate) struct AliasApi;

#[OpenApi]
impl AliasApi {}

// TODO(exercise 3): add `GET /products/?sku=`, a required `sku` shaped like `ABC-1234`,
// answering `{"sku": ...}` (book: 03-query-parameters, "Exercise 3: A pattern").
/// Exercise 3: a value that must match a regular expression.
pub(crate) struct ProductApi;

#[OpenApi]
impl ProductApi {}
