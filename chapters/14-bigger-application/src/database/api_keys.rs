//! The `api_keys` table. Secrets go in encrypted and come out decrypted (see
//! `security::encryption`): nothing above this file sees a sealed secret, nothing below it a
//! plain one.

use sqlx::FromRow;

use super::{Db, is_unique_violation};
use crate::errors::AppError;
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
#[derive(Clone)]
pub struct SigningKey {
    /// The key's id.
    pub id: i64,
    /// The public half, exactly as stored.
    pub access_key: String,
    /// The private half, decrypted, which the server signs with to compare.
    pub secret_key: String,
    /// The email address of the key's owner.
    pub email: String,
}

/// A key's row as stored: its secret encrypted.
#[derive(FromRow)]
struct SealedKey {
    id: i64,
    access_key: String,
    sealed_secret: String,
    email: String,
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
/// How many API keys one user may hold.
pub const MAX_API_KEYS: i64 = 3;

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
                "INSERT INTO api_keys \
                 (user_id, slot, access_key, sealed_secret, user_memo, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            ))
            .bind(user_id)
            .bind(slot)
            .bind(&access_key)
            .bind(self.keys.seal(&access_key, &secret_key)?)
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
    ///
    /// A secret sealed with the previous key (during a rotation) is sealed again with the
    /// current one on the way. One that opens with neither is the server's problem, not the
    /// client's: a 500, and the log says why.
    pub async fn signing_key(&self, access_key: &str) -> Result<Option<SigningKey>, AppError> {
        let key: Option<SealedKey> = sqlx::query_as(self.sql(
            "SELECT k.id, k.access_key, k.sealed_secret, u.email \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.access_key = ?",
        ))
        .bind(access_key)
        .fetch_optional(&self.pool)
        .await?;
        // Text comparison rules differ between databases (MySQL ignores trailing spaces):
        // the key must be exactly the one sent.
        let Some(key) = key.filter(|key| key.access_key == access_key) else {
            return Ok(None);
        };
        let opened = self
            .keys
            .open(&key.access_key, &key.sealed_secret)
            .map_err(|err| AppError::Internal(format!("API key {}: {err}", key.id)))?;
        if opened.stale {
            self.seal_again(key.id, &key.access_key, &key.sealed_secret, &opened.secret)
                .await?;
        }
        Ok(Some(SigningKey {
            id: key.id,
            access_key: key.access_key,
            secret_key: opened.secret,
            email: key.email,
        }))
    }

    /// Gives key `key_id` of `user_id` a new secret (stored encrypted, as any other).
    pub async fn replace_api_key_secret(
        &self,
        user_id: i64,
        key_id: i64,
        secret_key: &str,
    ) -> Result<ApiKeyRow, AppError> {
        // The access key is part of what is encrypted: read it first (and know the key is
        // theirs, or 404).
        let row = self.api_key_of(user_id, key_id).await?;
        sqlx::query(self.sql("UPDATE api_keys SET sealed_secret = ? WHERE id = ? AND user_id = ?"))
            .bind(self.keys.seal(&row.access_key, secret_key)?)
            .bind(key_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(row)
    }
    // ANCHOR_END: signing_key

    // ANCHOR: seal_stored_secrets
    /// Seals every secret that is not sealed with the current key: rows stored before
    /// encryption came, and rows sealed with the previous key after a rotation. Run at start,
    /// by every instance at once if need be: each row changes only if it still holds what was
    /// read (see `Db::seal_again`).
    pub async fn seal_stored_secrets(&self) -> Result<Sealing, AppError> {
        let current = format!("v1:{}:%", self.keys.current_id());
        let rows: Vec<(i64, String, String)> = sqlx::query_as(self.sql(
            "SELECT id, access_key, sealed_secret FROM api_keys WHERE sealed_secret NOT LIKE ?",
        ))
        .bind(current)
        .fetch_all(&self.pool)
        .await?;
        let mut sealing = Sealing::default();
        for (id, access_key, stored) in rows {
            match self.keys.open(&access_key, &stored) {
                Ok(opened) => {
                    self.seal_again(id, &access_key, &stored, &opened.secret)
                        .await?;
                    sealing.sealed += 1;
                }
                Err(err) => {
                    tracing::error!(key_id = id, "API key secret unreadable: {err}");
                    sealing.unreadable += 1;
                }
            }
        }
        Ok(sealing)
    }

    /// Replaces the stored value `stored` of key `id` with `secret` sealed with the current
    /// key, unless another request or instance changed it meanwhile.
    async fn seal_again(
        &self,
        id: i64,
        access_key: &str,
        stored: &str,
        secret: &str,
    ) -> Result<(), AppError> {
        sqlx::query(
            self.sql("UPDATE api_keys SET sealed_secret = ? WHERE id = ? AND sealed_secret = ?"),
        )
        .bind(self.keys.seal(access_key, secret)?)
        .bind(id)
        .bind(stored)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
    // ANCHOR_END: seal_stored_secrets
}

/// What [`Db::seal_stored_secrets`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sealing {
    /// Secrets sealed again with the current key.
    pub sealed: u64,
    /// Secrets that open with no key this process has: they cannot sign until the key they
    /// were sealed with is given back (as `API_KEY_ENCRYPTION_KEY_PREVIOUS`).
    pub unreadable: u64,
}
