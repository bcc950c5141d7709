//! Your solutions to the exercises of chapter 08: the current user's items (exercise 1), and
//! signing up (exercise 2).
//!
//! `app()` in `lib.rs` already serves the two types below; each has no operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): GET /users/me/items/, the current user's items, behind the same guards as
// GET /users/me (book: 08-oauth2-password, "Exercise 1: Your items").

/// The operations of exercise 1.
pub(crate) struct ItemsApi;

#[OpenApi]
impl ItemsApi {}

// TODO(exercise 2): POST /users/, signing up a new user (201, or 409 when the name is taken);
// the new user can then log in at /token (book: 08-oauth2-password, "Exercise 2: Sign up").

/// The operations of exercise 2.
pub(crate) struct SignupApi;

#[OpenApi]
impl SignupApi {}
