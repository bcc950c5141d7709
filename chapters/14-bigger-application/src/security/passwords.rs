//! Passwords: kept as bcrypt hashes, made and checked on the blocking pool (chapter 09).

use std::sync::Arc;

use crate::errors::AppError;

// ANCHOR: passwords
/// bcrypt reads at most this many bytes of a password; a longer one is refused at the door.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// The fewest characters (not bytes) of a new password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Hashes and checks passwords at the configured cost; cheap to clone (`Data<&Passwords>`).
#[derive(Clone)]
pub struct Passwords(Arc<Inner>);

struct Inner {
    cost: u32,
    /// The hash of a random password that nobody knows, made at start with the same cost as
    /// new hashes. A login for an address without an account is checked against it, so that
    /// it takes as long as a wrong password: the time of the answer does not tell which
    /// addresses have an account.
    dummy_hash: String,
}

impl Passwords {
    /// Hashes made with `cost` (2^cost rounds: 12 is about a quarter of a second).
    pub async fn new(cost: u32) -> Result<Self, AppError> {
        let mut unknown = [0u8; 32];
        getrandom::fill(&mut unknown).map_err(|err| AppError::Internal(err.to_string()))?;
        let unknown: String = unknown.iter().map(|b| format!("{b:02x}")).collect();
        let dummy_hash = blocking(move || bcrypt::hash(unknown, cost)).await?;
        Ok(Self(Arc::new(Inner { cost, dummy_hash })))
    }

    /// A new hash of `password`, with a new random salt.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.0.cost;
        blocking(move || bcrypt::hash(password, cost)).await
    }

    /// Whether `password` is the one `hash` was made from; without a hash (no such user),
    /// the same work is done against the dummy hash, and the answer is no.
    pub async fn verify(&self, password: String, hash: Option<&str>) -> bool {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_owned(), true),
            None => (self.0.dummy_hash.clone(), false),
        };
        let matches = blocking(move || {
            let read = &password.as_bytes()[..password.len().min(MAX_PASSWORD_BYTES)];
            // Computed in every case, so that every answer takes the same time.
            let matches = bcrypt::verify(read, &hash);
            Ok::<_, bcrypt::BcryptError>(
                matches.unwrap_or(false) && password.len() <= MAX_PASSWORD_BYTES,
            )
        })
        .await;
        matches.unwrap_or(false) && real
    }
}

/// Runs bcrypt on the blocking pool: it is slow on purpose, and the async threads must stay
/// free to answer other requests.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| AppError::Internal(err.to_string()))?
        .map_err(|err| AppError::Internal(err.to_string()))
}
// ANCHOR_END: passwords

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("cost", &self.0.cost)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_matches_its_password_and_nothing_longer_than_72_bytes() {
        let passwords = Passwords::new(4).await.unwrap();
        let password = "p".repeat(MAX_PASSWORD_BYTES);
        let hash = passwords.hash(password.clone()).await.unwrap();
        assert!(passwords.verify(password.clone(), Some(&hash)).await);
        assert!(!passwords.verify(format!("{password}!"), Some(&hash)).await);
        assert!(
            !passwords
                .verify("guess".to_owned(), Some("not a hash"))
                .await
        );
    }

    #[tokio::test]
    async fn no_password_matches_a_missing_user() {
        let passwords = Passwords::new(4).await.unwrap();
        assert!(passwords.0.dummy_hash.starts_with("$2b$04$"));
        assert!(!passwords.verify(String::new(), None).await);
    }
}
