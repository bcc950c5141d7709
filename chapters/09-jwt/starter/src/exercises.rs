//! Your solutions to the exercises of chapter 09: changing the password (exercise 1) and
//! logging out (exercise 2).
//!
//! `app()` in `lib.rs` already serves the two API types below, and adds a `Revoked` to its
//! data, which the token check asks about every token.

use poem_openapi::OpenApi;

use crate::tokens::Claims;

// TODO(exercise 1): POST /users/me/password, which checks the current password and stores a
// bcrypt hash of the new one (204; 400 for a wrong current password, 422 for a bad new one),
// and makes every token issued before the change invalid (`Revoked` is asked about each one).
// (book: 09-jwt, "Exercise 1: Change the password").

/// The operations of exercise 1.
pub(crate) struct PasswordApi;

#[OpenApi]
impl PasswordApi {}

// TODO(exercise 2): POST /logout, which revokes the token it was sent (204): remember it in
// `Revoked`, and make `is_revoked` say so until the token expires.
// (book: 09-jwt, "Exercise 2: Log out").

/// Tokens given up by logging out. The app adds it to its data, and every token check asks it.
// Braces, not a unit struct: exercise 2 gives it fields, and the app builds it with `default()`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Revoked {}

impl Revoked {
    /// Whether the token with these claims was revoked: none is, until exercise 2.
    pub(crate) fn is_revoked(&self, _claims: &Claims) -> bool {
        false
    }
}

/// The operations of exercise 2.
pub(crate) struct LogoutApi;

#[OpenApi]
impl LogoutApi {}
