//! Access tokens: JSON Web Tokens signed with HS256, checked by chapter 09's `verify` (one
//! set of rules for every chapter). The subject is the user's id: an id never changes, and
//! names one account only.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::errors::AppError;

/// What an access token says.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// Subject: the user's id, as text (RFC 7519 wants a string).
    sub: String,
    /// Issued at, in seconds since 1970 (optional in a token, as chapter 09 says).
    iat: Option<u64>,
    /// Expires at, in seconds since 1970.
    exp: u64,
}

// ANCHOR: tokens
/// Makes and checks access tokens with one key; cheap to clone (`Data<&Tokens>`).
#[derive(Clone)]
pub struct Tokens(Arc<Keys>);

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl Tokens {
    /// Tokens signed with the configured key, living as long as configured.
    pub fn new(config: &Config) -> Self {
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(&config.jwt_secret),
            decoding: DecodingKey::from_secret(&config.jwt_secret),
            lifetime: config.access_token_expire,
        }))
    }

    /// `Bearer <JWT>` for user `user_id`, valid from now for the configured time.
    pub fn bearer_for(&self, user_id: i64) -> Result<String, AppError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: Some(now),
            exp: now + self.0.lifetime.as_secs(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .map_err(|err| AppError::Internal(err.to_string()))?;
        Ok(format!("Bearer {token}"))
    }

    /// The user id in `token`, if the token passes chapter 09's checks (signature, algorithm,
    /// `exp`, `nbf`, `iat`, no `crit`) and its subject is an id.
    pub fn user_id(&self, token: &str) -> Option<i64> {
        let claims: Claims = ch09_jwt::tokens::verify(token, &self.0.decoding)?;
        claims.sub.parse().ok()
    }
}
// ANCHOR_END: tokens

impl std::fmt::Debug for Tokens {
    // The keys are secrets: only the lifetime is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("lifetime", &self.0.lifetime)
            .finish_non_exhaustive()
    }
}
