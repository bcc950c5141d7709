//! Your solutions to the exercises of chapter 10: a scope to write (exercise 1), and a scope
//! nobody holds (exercise 2).
//!
//! `app()` in `lib.rs` already serves the two types below; each has no operation yet. Both
//! scopes are already declared in `Scope`, and johndoe holds `items:write`.

use poem_openapi::OpenApi;

// TODO(exercise 1): POST /items/, which needs the scopes `me` and `items:write` and answers
// 201 {"item_id", "owner"} (book: 10-scopes, "Exercise 1: A scope to write").

/// The operations of exercise 1.
pub(crate) struct ItemsWriteApi;

#[OpenApi]
impl ItemsWriteApi {}

// TODO(exercise 2): GET /admin/users/, which needs the scope `admin` (held by nobody) and
// answers the list of users (book: 10-scopes, "Exercise 2: A scope nobody holds").

/// The operations of exercise 2.
pub(crate) struct AdminApi;

#[OpenApi]
impl AdminApi {}
