//! Access tokens: JSON Web Tokens signed with HS256, as in chapter 09.
//!
//! A JWT is three base64url parts joined by dots: a header (`{"alg": "HS256", "typ": "JWT"}`),
//! the claims (`{"sub": "johndoe", "iat": ..., "exp": ...}`), and a signature of the first two
//! made with the server's key. Anyone can read the claims; only the key's holder can make a
//! signature that matches them.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Config;

// ANCHOR: claims
/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// Subject: the user name. It must name one user only, so the user name must be unique.
    pub(crate) sub: String,
    /// Issued at, in seconds since 1970.
    pub(crate) iat: u64,
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
    validation: Validation,
    lifetime: Duration,
}

impl Tokens {
    /// Tokens signed with the configured key, living as long as configured.
    pub(crate) fn new(config: &Config) -> Self {
        // HS256 only: a token whose header names another algorithm (`none`, HS512, RS256...)
        // is refused before its signature is even looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        // jsonwebtoken forgives 60 s of clock difference by default; one machine needs none.
        validation.leeway = 0;
        validation.validate_nbf = true;
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(&config.jwt_secret),
            decoding: DecodingKey::from_secret(&config.jwt_secret),
            validation,
            lifetime: config.access_token_expire,
        }))
    }

    /// A signed token for `username`, valid from now for the configured time.
    pub(crate) fn create_access_token(&self, username: &str) -> Result<String, poem::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: username.to_owned(),
            iat: now,
            exp: now + self.0.lifetime.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .map_err(poem::error::InternalServerError)
    }

    /// The claims of `token` if its signature, algorithm, `exp`, `nbf` and `iat` are right.
    pub(crate) fn decode_access_token(&self, token: &str) -> Option<Claims> {
        let Keys {
            decoding,
            validation,
            ..
        } = &*self.0;
        let claims = match jsonwebtoken::decode::<Claims>(token, decoding, validation) {
            Ok(data) => data.claims,
            Err(err) => {
                tracing::debug!(error = %err, "token refused");
                return None;
            }
        };
        // jsonwebtoken does not look at `iat`: a token issued in the future is not one of ours.
        (claims.iat <= jsonwebtoken::get_current_timestamp()).then_some(claims)
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
