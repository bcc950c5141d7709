//! Passwords: kept as bcrypt hashes, made and checked on the blocking pool (chapter 09), a
//! bounded number at once.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use crate::config::Limits;
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
    /// The bound on the work done at once, unless it is lifted (`BCRYPT_CONCURRENCY=0`).
    bound: Option<Bound>,
}

impl Passwords {
    /// Hashes made with `cost` (2^cost rounds: 12 is about a quarter of a second), at most
    /// `limits.bcrypt_workers` at once with `limits.bcrypt_queue` more waiting.
    pub async fn new(cost: u32, limits: &Limits) -> Result<Self, AppError> {
        let mut unknown = [0u8; 32];
        getrandom::fill(&mut unknown).map_err(|err| AppError::Internal(err.to_string()))?;
        let unknown: String = unknown.iter().map(|b| format!("{b:02x}")).collect();
        let started = Instant::now();
        let dummy_hash = blocking(move || bcrypt::hash(unknown, cost)).await?;
        let bound = Bound::new(limits, started.elapsed().as_secs_f64());
        Ok(Self(Arc::new(Inner {
            cost,
            dummy_hash,
            bound,
        })))
    }

    /// A new hash of `password`, with a new random salt.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.0.cost;
        self.run(move || bcrypt::hash(password, cost)).await
    }

    /// Whether `password` is the one `hash` was made from; without a hash (no such user),
    /// the same work is done against the dummy hash, and the answer is no. `PasswordsBusy`
    /// when too many wait already: the password was not checked.
    pub async fn verify(&self, password: String, hash: Option<&str>) -> Result<bool, AppError> {
        let (hash, real) = match hash {
            Some(hash) => (hash.to_owned(), true),
            None => (self.0.dummy_hash.clone(), false),
        };
        let matches = self
            .run(move || {
                let read = &password.as_bytes()[..password.len().min(MAX_PASSWORD_BYTES)];
                // Computed in every case, so that every answer takes the same time.
                let matches = bcrypt::verify(read, &hash);
                Ok::<_, bcrypt::BcryptError>(
                    matches.unwrap_or(false) && password.len() <= MAX_PASSWORD_BYTES,
                )
            })
            .await;
        match matches {
            Err(busy @ AppError::PasswordsBusy { .. }) => Err(busy),
            other => Ok(other.unwrap_or(false) && real),
        }
    }

    /// Runs bcrypt within the bound: a place in the line first, or `PasswordsBusy` at once;
    /// then a worker's turn, in the order of arrival. Both are held until bcrypt is done,
    /// even if the client goes away meanwhile: the work is under way on its thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, bcrypt::BcryptError> + Send + 'static,
    ) -> Result<T, AppError> {
        let Some(bound) = &self.0.bound else {
            return blocking(work).await;
        };
        let place =
            Arc::clone(&bound.line)
                .try_acquire_owned()
                .map_err(|_| AppError::PasswordsBusy {
                    retry_after: bound.retry_after,
                })?;
        let turn = Arc::clone(&bound.workers)
            .acquire_owned()
            .await
            .map_err(|err| AppError::Internal(err.to_string()))?;
        blocking(move || {
            let _held = (place, turn);
            work()
        })
        .await
    }
}
// ANCHOR_END: passwords

// ANCHOR: bound
/// At most `workers` bcrypt runs at once, and `queue` more waiting for their turn. Without
/// it, 60 logins at once on two cores each take 60 × ¼ s / 2, seven seconds; with it, the
/// ones that fit take at most (queue / workers + 1) × ¼ s, and the others are told at once
/// to come back (503, `Retry-After`).
struct Bound {
    /// One permit per worker: a bcrypt run holds one.
    workers: Arc<Semaphore>,
    /// One permit per place in the line, workers included: a request that finds none left
    /// is refused.
    line: Arc<Semaphore>,
    /// About how long a full line takes to clear, in whole seconds.
    retry_after: u64,
}

impl Bound {
    /// The bound of the settings, given how long one hash took (`hash_secs`).
    fn new(limits: &Limits, hash_secs: f64) -> Option<Self> {
        let workers = limits.bcrypt_workers;
        if workers == 0 {
            return None;
        }
        let places = workers.saturating_add(limits.bcrypt_queue);
        let rounds = places.div_ceil(workers) as f64;
        Some(Self {
            workers: Arc::new(Semaphore::new(workers)),
            line: Arc::new(Semaphore::new(places.min(Semaphore::MAX_PERMITS))),
            retry_after: (rounds * hash_secs).ceil().clamp(1.0, 60.0) as u64,
        })
    }
}
// ANCHOR_END: bound

// ANCHOR: blocking

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
// ANCHOR_END: blocking

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("cost", &self.0.cost)
            .field(
                "bound",
                &self.0.bound.as_ref().map(|b| b.workers.available_permits()),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(workers: usize, queue: usize) -> Limits {
        Limits {
            bcrypt_workers: workers,
            bcrypt_queue: queue,
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn a_hash_matches_its_password_and_nothing_longer_than_72_bytes() {
        let passwords = Passwords::new(4, &limits(1, 1)).await.unwrap();
        let password = "p".repeat(MAX_PASSWORD_BYTES);
        let hash = passwords.hash(password.clone()).await.unwrap();
        assert!(
            passwords
                .verify(password.clone(), Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify(format!("{password}!"), Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("guess".to_owned(), Some("not a hash"))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_line_is_refused_at_once_and_a_place_comes_back() {
        let passwords = Passwords::new(4, &limits(1, 1)).await.unwrap();
        let bound = passwords.0.bound.as_ref().unwrap();
        // Two places (one worker, one waiting), both taken: the next one is refused.
        let taken = Arc::clone(&bound.line).try_acquire_many_owned(2).unwrap();
        let Err(AppError::PasswordsBusy { retry_after }) = passwords.hash("x".repeat(8)).await
        else {
            panic!("a full line refuses");
        };
        assert!(retry_after >= 1);
        assert!(matches!(
            passwords.verify("guess".to_owned(), None).await,
            Err(AppError::PasswordsBusy { .. })
        ));
        drop(taken);
        assert!(passwords.hash("x".repeat(8)).await.is_ok());
        assert_eq!(
            bound.line.available_permits(),
            2,
            "every place is given back"
        );
    }

    #[tokio::test]
    async fn zero_workers_lifts_the_bound() {
        let passwords = Passwords::new(4, &limits(0, 0)).await.unwrap();
        assert!(passwords.0.bound.is_none());
        assert!(passwords.hash("x".repeat(8)).await.is_ok());
    }

    #[tokio::test]
    async fn no_password_matches_a_missing_user() {
        let passwords = Passwords::new(4, &limits(2, 8)).await.unwrap();
        assert!(passwords.0.dummy_hash.starts_with("$2b$04$"));
        assert!(!passwords.verify(String::new(), None).await.unwrap());
    }
}
