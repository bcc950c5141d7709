//! Your solutions to the exercises of chapter 06: a request id that two operations share
//! (exercise 1), and a paginator whose limits are set when the app is built (exercise 2).
//!
//! `app()` in `lib.rs` already serves the types below, and adds `RequestIds` to its data.

use poem_openapi::OpenApi;

// TODO(exercise 1): GET /traced/items/ and GET /traced/users/, sharing one dependency: the
// X-Request-Id header, or an id the server makes (keep its counter here, in the app's data).
// (book: 06-dependencies, "Exercise 1: A request id").

/// What the request ids share across requests; the app adds it to its data.
// Braces, not a unit struct: exercise 1 gives it fields, and the app builds it with `default()`.
#[derive(Debug, Default)]
pub(crate) struct RequestIds {}

/// The operations of exercise 1.
pub(crate) struct TracingApi;

#[OpenApi]
impl TracingApi {}

// TODO(exercise 2): GET /paginated-items/, paged by a paginator whose default and maximum
// `limit` (10 and 50) are set when the app is built.
// (book: 06-dependencies, "Exercise 2: A paginator with settings").

/// The operations of exercise 2.
// Braces, not a unit struct: exercise 2 gives it its paginator, and the app builds it with
// `default()`.
#[derive(Default)]
pub(crate) struct PaginationApi {}

#[OpenApi]
impl PaginationApi {}
