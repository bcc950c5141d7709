//! The exercises' solutions: who am I (1), rotating a secret (2), and when a key was last used
//! (3, with migration `0004_api_key_last_used` in `migrations/<backend>/`).
//!
//! The lesson serves [`UsersApi`] and [`RotateApi`] among its routers (`routes::api`), shows a
//! listed key's [`KeyUsage`] (filled in by [`add_usage`]), and calls [`key_used`] when a
//! signed request is accepted.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::database::Db;
use crate::database::api_keys::ApiKeyRow;
use crate::errors::{AppError, Fails, NOT_FOUND, UNAUTHORIZED, UNAVAILABLE};
use crate::models::{ApiKey, NewApiKey, rfc3339, unix_now};
use crate::routes::Tag;
use crate::routes::apikeys::with_secret;
use crate::security::bearer::CurrentUser;
use crate::security::keys;

// ANCHOR: me
/// The logged-in user (exercise 1).
#[derive(Debug, Object)]
#[oai(example)]
pub struct Me {
    /// The user's id: the `sub` of their tokens.
    pub id: i64,
    /// Their email address.
    pub email: String,
    /// When they registered: RFC 3339, UTC.
    pub created_at: String,
}

/// Exercise 1: the `/api/users` router.
#[derive(Debug)]
pub struct UsersApi;

#[OpenApi(prefix_path = "/api/users", tag = "Tag::Users")]
impl UsersApi {
    /// Read the logged-in user
    ///
    /// The account the bearer token belongs to, without its password hash.
    #[oai(path = "/me", method = "get")]
    async fn read_users_me(
        &self,
        user: CurrentUser,
    ) -> Result<Json<Me>, Fails<{ UNAUTHORIZED | UNAVAILABLE }>> {
        let CurrentUser(user) = user;
        Ok(Json(Me {
            id: user.id,
            email: user.email,
            created_at: rfc3339(user.created_at),
        }))
    }
}
// ANCHOR_END: me

impl Example for Me {
    fn example() -> Self {
        Self {
            id: 1,
            email: "ryan@example.com".to_owned(),
            created_at: "2025-01-31T09:30:00Z".to_owned(),
        }
    }
}

// ANCHOR: rotate
/// Exercise 2: a new secret for a key, without a new access key.
#[derive(Debug)]
pub struct RotateApi;

#[OpenApi(prefix_path = "/api/users/apikeys", tag = "Tag::ApiKeys")]
impl RotateApi {
    /// Rotate an API key's secret
    ///
    /// Gives one of the logged-in user's keys a new secret key and answers it (the only time
    /// it is shown). The old secret stops working at once; the access key stays, so the
    /// programs that use it only need the new secret.
    #[oai(path = "/:key_id/rotate", method = "post")]
    async fn rotate_api_key(
        &self,
        db: Data<&Db>,
        user: CurrentUser,
        /// The key's `id`.
        key_id: Path<i64>,
    ) -> Result<Rotated, Fails<{ UNAUTHORIZED | NOT_FOUND | UNAVAILABLE }>> {
        let (key, secret_key) = rotate_api_key_secret(&db, user.0.id, key_id.0).await?;
        Ok(Rotated::Rotated(
            Json(with_secret(key, secret_key)),
            "no-store".to_owned(),
        ))
    }
}

/// The answer of `POST /api/users/apikeys/{key_id}/rotate`.
#[derive(Debug, ApiResponse)]
pub enum Rotated {
    /// The key with its new secret: keep it now, it is never shown again.
    #[oai(status = 200)]
    Rotated(Json<NewApiKey>, #[oai(header = "Cache-Control")] String),
}

/// Gives key `key_id` of `user_id` a new secret; the old one stops working.
async fn rotate_api_key_secret(
    db: &Db,
    user_id: i64,
    key_id: i64,
) -> Result<(ApiKeyRow, String), AppError> {
    let secret_key = keys::new_secret_key()?;
    // Stored encrypted, as every secret (`Db::replace_api_key_secret`); another user's key,
    // or none, is 404.
    let row = db
        .replace_api_key_secret(user_id, key_id, &secret_key)
        .await?;
    Ok((row, secret_key))
}
// ANCHOR_END: rotate

// ANCHOR: usage
/// Exercise 3: what a listed key shows of its use.
#[derive(Debug, Default, Object)]
pub struct KeyUsage {
    /// When the key last signed an accepted request (RFC 3339, UTC), or `null` (exercise 3).
    #[oai(nullable)]
    pub last_used_at: Option<String>,
}

/// Fills in the [`KeyUsage`] of each key, from the column the migration adds.
pub async fn add_usage(db: &Db, keys: &mut [ApiKey]) -> Result<(), AppError> {
    for key in keys {
        let last_used_at: Option<Option<i64>> =
            sqlx::query_scalar(db.sql("SELECT last_used_at FROM api_keys WHERE id = ?"))
                .bind(key.id)
                .fetch_optional(&db.pool)
                .await?;
        key.usage.last_used_at = last_used_at.flatten().map(rfc3339);
    }
    Ok(())
}

/// Notes that key `key_id` signed a request that was accepted, now.
pub async fn key_used(db: &Db, key_id: i64) {
    let updated = sqlx::query(db.sql("UPDATE api_keys SET last_used_at = ? WHERE id = ?"))
        .bind(unix_now())
        .bind(key_id)
        .execute(&db.pool)
        .await;
    // The request is genuine and accepted already: failing to note the time is logged, not
    // answered.
    if let Err(err) = updated {
        tracing::warn!(error = %err, key_id, "last use not recorded");
    }
}
// ANCHOR_END: usage
