//! Your solutions to the exercises of chapter 14.
//!
//! The lesson already serves `UsersApi` and `RotateApi` among its routers (`routes::api`), each
//! with no operation yet; shows a listed key's `KeyUsage`, filled in by `add_usage`; and calls
//! `key_used` when a signed request is accepted.

use poem_openapi::{Object, OpenApi};

use crate::database::Db;
use crate::errors::AppError;
use crate::models::ApiKey;

// TODO(exercise 1): add `GET /api/users/me`: with a bearer token (`CurrentUser`), answer
// `{"id", "email", "created_at"}` of the token's user; without one, 401 (book: "Exercise 1:
// Who am I").
/// Exercise 1: the `/api/users` router.
#[derive(Debug)]
pub struct UsersApi;

#[OpenApi]
impl UsersApi {}

// TODO(exercise 2): add `POST /api/users/apikeys/{key_id}/rotate`: a new secret for one of the
// user's keys, answered with the key (200); the old secret is refused from then on; another
// user's key is 404. Store it with `Db::replace_api_key_secret`, which encrypts it as every
// secret is (book: "Exercise 2: Rotating a secret").
/// Exercise 2: a new secret for a key, without a new access key.
#[derive(Debug)]
pub struct RotateApi;

#[OpenApi]
impl RotateApi {}

// TODO(exercise 3): show `last_used_at` in each listed key: `null` until the key signs an
// accepted request, then the time of the last one (RFC 3339, UTC). It needs a migration
// (`migrations/<backend>/0004_api_key_last_used.sql`), a field here, `add_usage` to fill it
// in, and `key_used` to record a use (book: "Exercise 3: When was a key last used").
/// Exercise 3: what a listed key shows of its use.
#[derive(Debug, Default, Object)]
pub struct KeyUsage {}

/// Fills in the [`KeyUsage`] of each key.
pub async fn add_usage(_db: &Db, _keys: &mut [ApiKey]) -> Result<(), AppError> {
    Ok(())
}

/// Notes that key `key_id` signed a request that was accepted, now.
pub async fn key_used(_db: &Db, _key_id: i64) {}
