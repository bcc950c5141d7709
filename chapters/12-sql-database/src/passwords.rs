//! Passwords: kept as bcrypt hashes, made on the blocking pool.
//!
//! The source material stores `sha512(password)`. A general-purpose hash is the wrong tool:
//! it is built to be fast, so whoever steals the table tries billions of guesses a second,
//! and without a salt two users with the same password have the same hash. bcrypt is slow on
//! purpose (its cost says how slow), and salts each hash.

use crate::errors::ApiError;

// ANCHOR: passwords
/// bcrypt reads at most this many bytes of a password; it would ignore the rest.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// Refuses a password that bcrypt would cut short: bytes, not characters, count (`é` is two).
pub fn check_password_length(password: &str) -> Result<(), ApiError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::PasswordTooLong);
    }
    Ok(())
}

/// A new hash of `password`, with a new random salt, made on the blocking pool: a quarter of
/// a second of work at cost 12 would otherwise stall every request on this thread.
pub async fn get_password_hash(password: String, cost: u32) -> Result<String, ApiError> {
    let hashed = tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?;
    hashed.map_err(|err| ApiError::Internal(err.to_string()))
}
// ANCHOR_END: passwords

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventy_two_bytes_pass_and_seventy_three_do_not() {
        assert!(check_password_length(&"p".repeat(72)).is_ok());
        assert!(check_password_length(&"p".repeat(73)).is_err());
        // 37 characters, 74 bytes.
        assert!(check_password_length(&"é".repeat(37)).is_err());
    }

    #[tokio::test]
    async fn a_hash_is_salted_and_verifies() {
        let first = get_password_hash("secret".to_owned(), 4).await.unwrap();
        let second = get_password_hash("secret".to_owned(), 4).await.unwrap();
        assert_ne!(first, second);
        assert!(bcrypt::verify("secret", &first).unwrap());
        assert!(first.starts_with("$2b$04$"));
    }
}
