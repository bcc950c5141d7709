//! The `api_keys` table.

use sqlx::FromRow;

use super::{Db, is_unique_violation};
use crate::errors::{AppError, MAX_API_KEYS};
use crate::security::keys;

/// An API key as it is listed: the secret stays in the table.
#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    /// The key's id.
    pub id: i64,
    /// The public half.
    pub access_key: String,
    /// The owner's note.
    pub user_memo: Option<String>,
    /// When it was made, in seconds since 1970.
    pub created_at: i64,
}

/// What a signed request needs to know about the key that signed it.
#[derive(Clone, FromRow)]
pub struct SigningKey {
    /// The key's id.
    pub id: i64,
    /// The public half, exactly as stored.
    pub access_key: String,
    /// The private half, which the server signs with to compare.
    pub secret_key: String,
    /// The email address of the key's owner.
    pub email: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("access_key", &self.access_key)
            .field("secret_key", &"[hidden]")
            .field("email", &self.email)
            .finish()
    }
}

// ANCHOR: create_api_key
impl Db {
    /// A new key for `user_id`, with its secret; `TooManyApiKeys` if they hold the maximum.
    ///
    /// Each key takes one of the user's slots (1 to 3), and `UNIQUE (user_id, slot)` lets a
    /// slot be taken once: when two requests race for the last free slot, the database takes
    /// one insert and refuses the other, which then looks again and finds none left. A
    /// "count, then insert" would let both pass the count.
    pub async fn create_api_key(
        &self,
        user_id: i64,
        user_memo: Option<&str>,
        now: i64,
    ) -> Result<(ApiKeyRow, String), AppError> {
        // Each lost race means another request took a slot; a few rounds settle it.
        for _ in 0..2 * MAX_API_KEYS + 2 {
            let taken: Vec<i64> =
                sqlx::query_scalar(self.sql("SELECT slot FROM api_keys WHERE user_id = ?"))
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
            let Some(slot) = (1..=MAX_API_KEYS).find(|slot| !taken.contains(slot)) else {
                return Err(AppError::TooManyApiKeys);
            };
            let (access_key, secret_key) = (keys::new_access_key()?, keys::new_secret_key()?);
            let inserted = sqlx::query(self.sql(
                "INSERT INTO api_keys (user_id, slot, access_key, secret_key, user_memo, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(user_id)
            .bind(slot)
            .bind(&access_key)
            .bind(&secret_key)
            .bind(user_memo)
            .bind(now)
            .execute(&self.pool)
            .await;
            match inserted {
                Ok(_) => {
                    let row = self.api_key_by_access_key(&access_key).await?;
                    return Ok((row, secret_key));
                }
                Err(err) if is_unique_violation(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::ApiKeysBusy)
    }
    // ANCHOR_END: create_api_key

    async fn api_key_by_access_key(&self, access_key: &str) -> Result<ApiKeyRow, AppError> {
        sqlx::query_as(self.sql(
            "SELECT id, access_key, user_memo, created_at \
             FROM api_keys WHERE access_key = ?",
        ))
        .bind(access_key)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| AppError::Internal("a new API key is not found".to_owned()))
    }

    // ANCHOR: owned_keys
    /// The keys of `user_id`, oldest first.
    pub async fn api_keys_of(&self, user_id: i64) -> Result<Vec<ApiKeyRow>, AppError> {
        let keys = sqlx::query_as(self.sql(
            "SELECT id, access_key, user_memo, created_at \
             FROM api_keys WHERE user_id = ? ORDER BY id",
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(keys)
    }

    /// Key `key_id` of `user_id`. Every query on one key names its owner too: another
    /// user's key is "not found", exactly as a key that does not exist.
    pub async fn api_key_of(&self, user_id: i64, key_id: i64) -> Result<ApiKeyRow, AppError> {
        sqlx::query_as(self.sql(
            "SELECT id, access_key, user_memo, created_at \
             FROM api_keys WHERE id = ? AND user_id = ?",
        ))
        .bind(key_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(AppError::ApiKeyNotFound)
    }

    /// Replaces the note of key `key_id` of `user_id`.
    pub async fn update_api_key_memo(
        &self,
        user_id: i64,
        key_id: i64,
        user_memo: Option<&str>,
    ) -> Result<ApiKeyRow, AppError> {
        sqlx::query(self.sql("UPDATE api_keys SET user_memo = ? WHERE id = ? AND user_id = ?"))
            .bind(user_memo)
            .bind(key_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        // MySQL counts only the rows an UPDATE changed, so "0 rows" does not mean "no key":
        // reading the key back answers both questions on every backend.
        self.api_key_of(user_id, key_id).await
    }

    /// Deletes key `key_id` of `user_id`.
    pub async fn delete_api_key(&self, user_id: i64, key_id: i64) -> Result<(), AppError> {
        let deleted = sqlx::query(self.sql("DELETE FROM api_keys WHERE id = ? AND user_id = ?"))
            .bind(key_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        match deleted.rows_affected() {
            0 => Err(AppError::ApiKeyNotFound),
            _ => Ok(()),
        }
    }
    // ANCHOR_END: owned_keys

    // ANCHOR: signing_key
    /// The key whose public half is `access_key`, with its secret and its owner's address.
    pub async fn signing_key(&self, access_key: &str) -> Result<Option<SigningKey>, AppError> {
        let key: Option<SigningKey> = sqlx::query_as(self.sql(
            "SELECT k.id, k.access_key, k.secret_key, u.email \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key = ?",
        ))
        .bind(access_key)
        .fetch_optional(&self.pool)
        .await?;
        // Text comparison rules differ between databases (MySQL ignores trailing spaces):
        // the key must be exactly the one sent.
        Ok(key.filter(|key| key.access_key == access_key))
    }
    // ANCHOR_END: signing_key
}
