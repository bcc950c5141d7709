//! The `users` table.

use sqlx::FromRow;

use super::{Db, is_unique_violation};
use crate::errors::AppError;

/// A user as stored, hash included: it never leaves the service.
#[derive(Clone, FromRow)]
pub struct UserRow {
    /// The user's id, the `sub` of their tokens.
    pub id: i64,
    /// Their email address, in lower case.
    pub email: String,
    /// The bcrypt hash of their password.
    pub hashed_password: String,
    /// When they registered, in seconds since 1970.
    pub created_at: i64,
}

impl std::fmt::Debug for UserRow {
    // A hash is not a password, but it is what a password cracker starts from: not in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

// ANCHOR: users
impl Db {
    /// Adds a user; an address that has an account already is `EmailAlreadyRegistered`.
    ///
    /// There is no "is it taken?" query first: two sign-ups at the same moment would both
    /// hear "no". The `UNIQUE` constraint answers for both, once.
    pub async fn create_user(
        &self,
        email: &str,
        hashed_password: &str,
        sns_type: &str,
        now: i64,
    ) -> Result<UserRow, AppError> {
        let inserted = sqlx::query(self.sql(
            "INSERT INTO users (email, hashed_password, sns_type, created_at) VALUES (?, ?, ?, ?)",
        ))
        .bind(email)
        .bind(hashed_password)
        .bind(sns_type)
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Err(err) if is_unique_violation(&err) => return Err(AppError::EmailAlreadyRegistered),
            other => other?,
        };
        // The new row is found by its unique address: the same query on every backend,
        // where `RETURNING id` and `LAST_INSERT_ID()` are not.
        self.user_by_email(email)
            .await?
            .ok_or_else(|| AppError::Internal("a new user is not found".to_owned()))
    }

    /// The user with this address, if there is one.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, AppError> {
        let user = sqlx::query_as(
            self.sql("SELECT id, email, hashed_password, created_at FROM users WHERE email = ?"),
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(user)
    }

    /// The user with this id, if there is one.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, AppError> {
        let user = sqlx::query_as(
            self.sql("SELECT id, email, hashed_password, created_at FROM users WHERE id = ?"),
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(user)
    }
}
// ANCHOR_END: users
