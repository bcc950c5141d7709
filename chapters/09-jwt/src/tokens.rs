//! Access tokens: JSON Web Tokens signed with HS256.
//!
//! A JWT is three base64url parts joined by dots: a header (`{"alg": "HS256", "typ": "JWT"}`),
//! the claims (`{"sub": "johndoe", "iat": ..., "exp": ...}`), and a signature of the first two
//! made with the server's key. Anyone can read the claims; only the key's holder can make a
//! signature that matches them.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;

// ANCHOR: claims
/// What an access token says. A token this server issues has every claim; one from elsewhere
/// needs only `sub` and `exp` (see [`verify`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the user name. It must name one user only, so the user name must be unique.
    pub sub: String,
    /// Issued at, in seconds since 1970.
    pub iat: Option<u64>,
    /// Expires at, in seconds since 1970.
    pub exp: u64,
    /// JWT ID: random, so that each login's token differs, and a token can be revoked
    /// (exercise 2).
    pub jti: Option<String>,
}
// ANCHOR_END: claims

// ANCHOR: tokens
/// Makes and checks access tokens with one key; cheap to clone, so that each request can be
/// handed it (`Data<&Tokens>`). Chapter 14 uses it as it is, with its own settings.
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
        Self::with_key(&config.jwt_secret, config.access_token_expire)
    }

    /// Tokens signed with `key`, living for `lifetime`.
    pub fn with_key(key: &[u8], lifetime: Duration) -> Self {
        Self(Arc::new(Keys {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            lifetime,
        }))
    }

    /// A signed token about `sub` (here a user name), valid from now for the configured time.
    pub fn create_access_token(&self, sub: &str) -> Result<String, poem::Error> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            iat: Some(now),
            exp: now + self.0.lifetime.as_secs(),
            jti: Some(random_id()?),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .map_err(poem::error::InternalServerError)
    }

    /// The claims of `token`, if it passes [`verify`] with this key.
    pub fn decode_access_token(&self, token: &str) -> Option<Claims> {
        verify(token, &self.0.decoding)
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

// ANCHOR: verify
/// The checks that [`verify`] leaves to jsonwebtoken.
static RULES: LazyLock<Validation> = LazyLock::new(|| {
    // HS256 only: a token whose header names another algorithm (`none`, HS512, RS256...)
    // is refused before its signature is even looked at.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    // jsonwebtoken forgives 60 s of clock difference by default; one machine needs none.
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation
});

/// The registered claims that [`verify`] checks itself; the others are each chapter's own.
#[derive(Deserialize)]
struct Registered {
    exp: u64,
    iat: Option<u64>,
    /// Read only to check that it is text, when there is one.
    #[serde(rename = "jti")]
    _jti: Option<String>,
}

/// The claims of `token`, read as `C`, if the token passes every check of the workbook's
/// contract; `None` otherwise, with the reason in the debug log. Chapters 10, 11 and 14 check
/// their tokens with this function too.
///
/// - Signed with `key`, with HS256 and no other algorithm.
/// - No `crit` header: it lists extensions that a reader must understand or refuse the token
///   for (RFC 7515 §4.1.11), and this server understands none.
/// - `exp` and `sub` present; refused from the second of `exp` on, since RFC 7519 §4.1.4
///   says "on or after" (jsonwebtoken alone refuses only after it).
/// - `nbf`, `iat` and `jti` optional, and checked when present: `nbf` and `iat` not in the
///   future, `jti` text.
pub fn verify<C: DeserializeOwned>(token: &str, key: &DecodingKey) -> Option<C> {
    match check(token, key) {
        Ok(claims) => Some(claims),
        Err(why) => {
            tracing::debug!(%why, "token refused");
            None
        }
    }
}

fn check<C: DeserializeOwned>(token: &str, key: &DecodingKey) -> Result<C, String> {
    let data = jsonwebtoken::decode::<Value>(token, key, &RULES).map_err(|e| e.to_string())?;
    if data.header.crit.is_some() {
        return Err("a crit header: extensions this server does not know".to_owned());
    }
    let registered = Registered::deserialize(&data.claims).map_err(|e| e.to_string())?;
    let now = jsonwebtoken::get_current_timestamp();
    if registered.exp <= now {
        return Err("expired".to_owned());
    }
    if registered.iat.is_some_and(|iat| iat > now) {
        // jsonwebtoken does not look at `iat`: a token issued in the future is not one of ours.
        return Err("issued in the future".to_owned());
    }
    C::deserialize(data.claims).map_err(|e| e.to_string())
}
// ANCHOR_END: verify

/// 128 random bits in hex.
fn random_id() -> Result<String, poem::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(poem::error::InternalServerError)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
