//! Access tokens: JSON Web Tokens signed with HS256, as in chapter 09.
//!
//! A JWT is three base64url parts joined by dots: a header (`{"alg": "HS256", "typ": "JWT"}`),
//! the claims (`{"sub": "johndoe", "iat": ..., "exp": ...}`), and a signature of the first two
//! made with the server's key. Anyone can read the claims; only the key's holder can make a
//! signature that matches them.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::config::Config;

// ANCHOR: claims
/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// Subject: the user name. It must name one user only, so the user name must be unique.
    pub(crate) sub: String,
    /// Issued at, in seconds since 1970 (optional in a token, as chapter 09 says).
    pub(crate) iat: Option<u64>,
    /// Expires at, in seconds since 1970.
    pub(crate) exp: u64,
}
// ANCHOR_END: claims

// ANCHOR: tokens
/// Makes and checks access tokens with one key; cheap to clone, so that the login handler
/// (`Data<&Tokens>`) and the token gate can share it.
#[derive(Clone)]
pub(crate) struct Tokens(Arc<Keys>);

struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl Tokens {
    /// Tokens signed with the configured key, living as long as configured.
    pub(crate) fn new(config: &Config) -> Self {
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(&config.jwt_secret),
            decoding: DecodingKey::from_secret(&config.jwt_secret),
            lifetime: config.access_token_expire,
        }))
    }

    /// A signed token for `username`, valid from now for the configured time.
    pub(crate) fn create_access_token(&self, username: &str) -> Result<String, poem::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            iat: Some(now),
            exp: now + self.0.lifetime.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .map_err(poem::error::InternalServerError)
    }

    /// The claims of `token` if it passes chapter 09's checks (`ch09_jwt::tokens::verify`).
    pub(crate) fn decode_access_token(&self, token: &str) -> Option<Claims> {
        ch09_jwt::tokens::verify(token, &self.0.decoding)
    }
}
// ANCHOR_END: tokens

impl std::fmt::Debug for Tokens {
    // The keys are secrets: they never go to a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("lifetime", &self.0.lifetime)
            .finish_non_exhaustive()
    }
}
