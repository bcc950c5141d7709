//! Passwords: kept as bcrypt hashes, checked on the blocking pool.
//!
//! bcrypt is slow on purpose (cost 12 is 2^12 rounds, about a quarter of a second): slow for
//! someone who tries millions of guesses against a stolen hash, and too slow to run on the
//! async runtime's threads, which must stay free to answer other requests.

// ANCHOR: constants
/// bcrypt reads at most this many bytes of a password; the rest would be ignored.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// The cost of new hashes: 2^12 rounds, as the fixture hashes were made.
pub const COST: u32 = 12;

/// The hash of a random password that nobody knows, made like the real ones. A login for a
/// user who does not exist is checked against it, so that it takes as long as a login with a
/// wrong password: the time of the answer does not tell which user names exist.
pub const DUMMY_HASH: &str = "$2b$12$zlIATHfswAGqIQjFWKkQeu5mV2MBlHqKIUs/g9OgdLi23rPG5n/SC";
// ANCHOR_END: constants

// ANCHOR: verify_password
/// Whether `password` is the one `hash` was made from, checked on the blocking pool.
///
/// A password longer than bcrypt reads is never right: if it were checked as bcrypt reads it,
/// any text that starts with the right 72 bytes would pass.
pub async fn verify_password(password: String, hash: String) -> bool {
    let checked = tokio::task::spawn_blocking(move || {
        let read = &password.as_bytes()[..password.len().min(MAX_PASSWORD_BYTES)];
        // The hash is computed in every case, so that every answer takes the same time.
        let matches = bcrypt::verify(read, &hash).unwrap_or(false);
        matches && password.len() <= MAX_PASSWORD_BYTES
    })
    .await;
    checked.unwrap_or_else(|err| {
        // A bug or a runtime shutting down: nobody gets in on an unchecked password.
        tracing::error!(error = %err, "checking a password failed");
        false
    })
}
// ANCHOR_END: verify_password

// ANCHOR: get_password_hash
/// A new hash of `password`, with a new random salt, made on the blocking pool.
///
/// The same password hashed twice gives two different hashes: the salt is part of each.
pub async fn get_password_hash(password: String) -> Result<String, poem::Error> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, COST))
        .await
        .map_err(poem::error::InternalServerError)?
        .map_err(poem::error::InternalServerError)
}
// ANCHOR_END: get_password_hash

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_72_byte_password_matches_itself_and_nothing_longer() {
        let password = "p".repeat(MAX_PASSWORD_BYTES);
        // Cost 4, the lowest: this test is about lengths, not about slowness.
        let hash = bcrypt::hash(&password, 4).unwrap();
        assert!(verify_password(password.clone(), hash.clone()).await);
        assert!(!verify_password(format!("{password}!"), hash).await);
    }

    #[tokio::test]
    async fn a_malformed_hash_matches_nothing() {
        assert!(!verify_password("secret".to_owned(), "not a hash".to_owned()).await);
    }

    #[test]
    fn the_dummy_hash_is_a_real_hash_of_the_same_cost() {
        // A malformed dummy would be refused at once, and the quick answer would tell that
        // the user does not exist.
        assert!(DUMMY_HASH.starts_with(&format!("$2b${COST}$")));
        assert_eq!(bcrypt::verify("guess", DUMMY_HASH).ok(), Some(false));
    }
}
