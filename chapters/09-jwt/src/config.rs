//! The chapter's settings, read once at start: the signing key and the tokens' lifetime.

use std::fmt;
use std::time::Duration;

use kit::{ConfigError, Env};

/// The shortest signing key accepted: 32 bytes, the size of HS256's output (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

/// How long a token lives when `ACCESS_TOKEN_EXPIRE_MINUTES` is not set, as in the tutorial.
pub const DEFAULT_EXPIRE_MINUTES: u32 = 30;

// ANCHOR: config
/// Settings of this chapter, from the environment.
///
/// - `JWT_SECRET`: the key that signs the tokens, at least 32 bytes. Without it, a random key
///   is made at start, and tokens die with the process.
/// - `ACCESS_TOKEN_EXPIRE_MINUTES`: how long a token lives (default 30).
#[derive(Clone)]
pub struct Config {
    /// The key that signs access tokens and checks their signature.
    pub jwt_secret: Vec<u8>,
    /// How long an access token is valid after it is issued.
    pub access_token_expire: Duration,
}

impl Config {
    /// Reads and checks the settings; a wrong one is an error that names it.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwt_secret = jwt_secret(env)?;
        let minutes = match env.get("ACCESS_TOKEN_EXPIRE_MINUTES") {
            None => DEFAULT_EXPIRE_MINUTES,
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|m| *m > 0)
                .ok_or_else(|| {
                    ConfigError::new(
                        "ACCESS_TOKEN_EXPIRE_MINUTES",
                        format!("must be a whole number of minutes, 1 or more (got {value:?})"),
                    )
                })?,
        };
        Ok(Self {
            jwt_secret,
            access_token_expire: Duration::from_secs(u64::from(minutes) * 60),
        })
    }
}

/// `JWT_SECRET`, at least 32 bytes; without it, a random key that nobody knows, not even the
/// next run of this program, and a warning. Chapter 11 reads its key with this function too.
pub fn jwt_secret(env: &Env) -> Result<Vec<u8>, ConfigError> {
    match env.get("JWT_SECRET") {
        Some(secret) if secret.len() >= MIN_SECRET_BYTES => Ok(secret.into_bytes()),
        Some(secret) => Err(ConfigError::new(
            "JWT_SECRET",
            format!(
                "must be at least {MIN_SECRET_BYTES} bytes long (it has {}); \
                 make one with `openssl rand -hex 32`, or unset it to get a random key",
                secret.len()
            ),
        )),
        None => {
            let mut secret = vec![0u8; MIN_SECRET_BYTES];
            getrandom::fill(&mut secret).map_err(|err| {
                ConfigError::new(
                    "JWT_SECRET",
                    format!("is not set, and no random key could be made ({err}); set it"),
                )
            })?;
            tracing::warn!(
                "JWT_SECRET is not set: signing tokens with a random key made at start; \
                 tokens stop working when the process stops"
            );
            Ok(secret)
        }
    }
}
// ANCHOR_END: config

impl fmt::Debug for Config {
    // The key is a secret: it never goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("jwt_secret", &"[hidden]")
            .field("access_token_expire", &self.access_token_expire)
            .finish()
    }
}
