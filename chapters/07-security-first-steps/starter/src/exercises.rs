//! Your solutions to the exercises of chapter 07: an API key in a header (exercise 1), and an
//! operation that takes either a bearer token or Basic credentials (exercise 2).
//!
//! `app()` in `lib.rs` already serves the two types below; each has no operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): GET /api-key/items/ behind an API key security scheme (header X-API-Key,
// compared in constant time; 401 with WWW-Authenticate: APIKey when it is wrong).
// (book: 07-security-first-steps, "Exercise 1: An API key").

/// The operations of exercise 1.
pub(crate) struct ApiKeyApi;

#[OpenApi]
impl ApiKeyApi {}

// TODO(exercise 2): GET /either/users/me, which takes a bearer token or the Basic credentials
// stanleyjobson / swordfish, and says which scheme was used.
// (book: 07-security-first-steps, "Exercise 2: Bearer or Basic").

/// The operations of exercise 2.
pub(crate) struct EitherApi;

#[OpenApi]
impl EitherApi {}
