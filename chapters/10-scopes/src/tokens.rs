//! Access tokens: chapter 09's JSON Web Tokens, with the scopes granted at login.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use poem_openapi::OAuthScopes;

use crate::Scope;
use crate::config::Config;

// ANCHOR: claims
/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// Subject: the user name.
    pub(crate) sub: String,
    /// The scopes granted at login, by name. A token without the claim has none.
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
    /// Issued at, in seconds since 1970 (optional in a token, as chapter 09 says).
    pub(crate) iat: Option<u64>,
    /// Expires at, in seconds since 1970.
    pub(crate) exp: u64,
}
// ANCHOR_END: claims

// ANCHOR: tokens
/// Makes and checks access tokens with one key; cheap to clone, so that each request can be
/// handed it (`Data<&Tokens>`).
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

    /// A signed token for `username` with `scopes`, valid from now for the configured time.
    pub(crate) fn create_access_token(
        &self,
        username: &str,
        scopes: &[Scope],
    ) -> Result<String, poem::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            scopes: scopes.iter().map(|s| s.name().to_owned()).collect(),
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
