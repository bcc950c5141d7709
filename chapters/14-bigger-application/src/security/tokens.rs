//! Access tokens: chapter 09's, made and checked by its `Tokens` (one set of rules for every
//! chapter). The subject is the user's id: an id never changes, and names one account only.

use crate::config::Config;
use crate::errors::AppError;

// ANCHOR: tokens
/// Makes and checks access tokens with one key; cheap to clone (`Data<&Tokens>`).
#[derive(Debug, Clone)]
pub struct Tokens(ch09_jwt::tokens::Tokens);

impl Tokens {
    /// Tokens signed with the configured key, living as long as configured.
    pub fn new(config: &Config) -> Self {
        Self(ch09_jwt::tokens::Tokens::with_key(
            &config.jwt_secret,
            config.access_token_expire,
        ))
    }

    /// `Bearer <JWT>` for user `user_id`, valid from now for the configured time.
    pub fn bearer_for(&self, user_id: i64) -> Result<String, AppError> {
        let token = self
            .0
            .create_access_token(&user_id.to_string())
            .map_err(|err| AppError::Internal(err.to_string()))?;
        Ok(format!("Bearer {token}"))
    }

    /// The user id in `token`, if the token passes chapter 09's checks (signature, algorithm,
    /// `exp`, `nbf`, `iat`, no `crit`) and its subject is an id.
    pub fn user_id(&self, token: &str) -> Option<i64> {
        self.0.decode_access_token(token)?.sub.parse().ok()
    }
}
// ANCHOR_END: tokens
