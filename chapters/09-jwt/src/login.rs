//! Logging in: OAuth2's password form in, a signed token out.

use std::fmt;

use kit::Detail;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object};
use serde::{Deserialize, Deserializer};

use crate::passwords;
use crate::users::{UserInDb, UsersDb};

// ANCHOR: form
/// The form of OAuth2's password flow (RFC 6749 §4.3.2), as FastAPI's
/// `OAuth2PasswordRequestForm` reads it.
#[derive(Object, Deserialize)]
pub struct OAuth2PasswordRequestForm {
    /// The flow's name; when it is sent, it must be `password`.
    #[oai(validator(pattern = "^password$"))]
    #[serde(default, deserialize_with = "password_grant")]
    grant_type: Option<String>,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// Scopes asked for, separated by spaces. This chapter grants none; chapter 10 does.
    #[oai(default)]
    #[serde(default)]
    scope: String,
    /// The client application's id, if it has one (not used here).
    client_id: Option<String>,
    /// The client application's secret, if it has one (not used here).
    client_secret: Option<String>,
}

/// Refuses a `grant_type` other than `password`. poem-openapi reads a form with serde alone,
/// so the `pattern` above only documents the rule; this enforces it.
fn password_grant<'de, D: Deserializer<'de>>(input: D) -> Result<Option<String>, D::Error> {
    let grant_type = Option::<String>::deserialize(input)?;
    match grant_type.as_deref() {
        None | Some("password") => Ok(grant_type),
        Some(_) => Err(serde::de::Error::custom("grant_type must be \"password\"")),
    }
}
// ANCHOR_END: form

impl fmt::Debug for OAuth2PasswordRequestForm {
    // The password never goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2PasswordRequestForm")
            .field("username", &self.username)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

// ANCHOR: token
/// An access token, as OAuth2 answers it (RFC 6749 §5.1).
#[derive(Object)]
#[oai(example)]
pub struct Token {
    /// The token to send back as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
}

impl Example for Token {
    fn example() -> Self {
        Self {
            access_token:
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqb2huZG9lIn0.c2lnbmF0dXJl"
                    .to_owned(),
            token_type: "bearer".to_owned(),
        }
    }
}
// ANCHOR_END: token

impl fmt::Debug for Token {
    // The token lets whoever holds it in: it never goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

// ANCHOR: token_response
/// The answers of `POST /token`.
#[derive(ApiResponse)]
pub(crate) enum TokenResponse {
    /// A new access token. `Cache-Control: no-store` and `Pragma: no-cache` keep it out of
    /// every cache on the way, as RFC 6749 asks of any answer that carries a token.
    #[oai(status = 200)]
    Issued(
        Json<Token>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Pragma")] String,
    ),
    /// No such user, or not their password: the answer does not say which.
    #[oai(status = 401)]
    IncorrectCredentials(
        Json<Detail>,
        /// `Bearer`: the scheme to log in with.
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
}

// ANCHOR_END: token_response

// ANCHOR: authenticate_user
/// The user with this name and password, if both are right.
///
/// For a name nobody has, the password is checked against a dummy hash all the same, so that
/// the answer takes as long as for a wrong password.
pub async fn authenticate_user(db: &UsersDb, username: &str, password: String) -> Option<UserInDb> {
    let user = db.get(username);
    let hash = user
        .as_ref()
        .map_or(passwords::DUMMY_HASH, |u| &u.hashed_password);
    let right = passwords::verify_password(password, hash.to_owned()).await;
    user.filter(|_| right)
}
// ANCHOR_END: authenticate_user
