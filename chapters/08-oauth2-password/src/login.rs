//! Logging in: OAuth2's password form in, a token out.

use constant_time_eq::constant_time_eq;
use kit::Detail;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::users::{UserInDb, UsersDb, fake_hash_password};

// ANCHOR: form
/// The form of OAuth2's password flow (RFC 6749, section 4.3.2), as FastAPI's
/// `OAuth2PasswordRequestForm` reads it. The field names are the spec's, so that any OAuth2
/// client, Swagger UI's **Authorize** dialog included, can log in without being told.
#[derive(Object, Deserialize)]
pub(crate) struct OAuth2PasswordRequestForm {
    /// The flow, if the client names it; it must then be `password`.
    #[oai(validator(pattern = "^password$"))]
    #[serde(default, deserialize_with = "optional_password_grant")]
    grant_type: Option<String>,
    /// Who logs in. OAuth2 says `username`, even where people log in with an email address.
    /// Not empty: an empty form field counts as missing.
    #[oai(validator(min_length = 1))]
    pub(crate) username: String,
    /// Their password, in clear: send it over HTTPS only. Not empty.
    #[oai(validator(min_length = 1))]
    pub(crate) password: String,
    /// The permissions asked for, separated by spaces (chapter 10 grants them).
    #[oai(default)]
    #[serde(default)]
    scope: String,
    /// The client application's id, if it has one.
    client_id: Option<String>,
    /// The client application's secret, if it has one.
    client_secret: Option<String>,
}
// ANCHOR_END: form

// ANCHOR: form_strict
/// The same form with `grant_type` required, as the OAuth2 spec asks and as FastAPI's
/// `OAuth2PasswordRequestFormStrict` reads it.
#[derive(Object, Deserialize)]
pub(crate) struct OAuth2PasswordRequestFormStrict {
    /// The flow: `password`.
    #[oai(validator(pattern = "^password$"))]
    #[serde(deserialize_with = "password_grant")]
    grant_type: String,
    /// Who logs in; not empty.
    #[oai(validator(min_length = 1))]
    pub(crate) username: String,
    /// Their password, in clear: send it over HTTPS only. Not empty.
    #[oai(validator(min_length = 1))]
    pub(crate) password: String,
    /// The permissions asked for, separated by spaces.
    #[oai(default)]
    #[serde(default)]
    scope: String,
    /// The client application's id, if it has one.
    client_id: Option<String>,
    /// The client application's secret, if it has one.
    client_secret: Option<String>,
}
// ANCHOR_END: form_strict

// ANCHOR: grant_type
/// Refuses every grant type but `password`.
///
/// The `pattern` above writes the rule into the document, but `Form` reads the body with
/// serde, which never looks at the document: serde needs the rule too. When it refuses,
/// the kit checks the form against the document and answers FastAPI's 422, naming
/// `["body", "grant_type"]`.
fn password_grant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let grant_type = String::deserialize(deserializer)?;
    match grant_type.as_str() {
        "password" => Ok(grant_type),
        _ => Err(D::Error::custom("grant_type must be \"password\"")),
    }
}

fn optional_password_grant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    password_grant(deserializer).map(Some)
}
// ANCHOR_END: grant_type

// ANCHOR: token
/// What a login answers: the token, and how to send it.
#[derive(Object)]
#[oai(example)]
pub(crate) struct Token {
    /// The token to send with every later request, as `Authorization: Bearer <token>`.
    /// In this chapter it is the username itself, so anyone can make one up: chapter 09 signs
    /// it.
    access_token: String,
    /// How to send the token: always `bearer` (RFC 6750).
    token_type: String,
}

impl Example for Token {
    fn example() -> Self {
        Token {
            access_token: "johndoe".to_owned(),
            token_type: "bearer".to_owned(),
        }
    }
}
// ANCHOR_END: token

// ANCHOR: token_response
/// The answers of a login.
#[derive(ApiResponse)]
pub(crate) enum TokenResponse {
    /// The access token. `Cache-Control: no-store` (and HTTP/1.0's `Pragma: no-cache`) keep it
    /// out of every cache on the way, as RFC 6749 asks of any answer that carries a token.
    #[oai(status = 200)]
    Issued(
        Json<Token>,
        #[oai(header = "Cache-Control")] String,
        #[oai(header = "Pragma")] String,
    ),
    /// No such user, or not their password: one message for both, so that a login does not
    /// tell who has an account.
    #[oai(status = 400)]
    IncorrectCredentials(Json<Detail>),
}

impl TokenResponse {
    /// The answer to a login with this username and password.
    pub(crate) fn login(db: &UsersDb, username: &str, password: &str) -> Self {
        match authenticate_user(db, username, password) {
            Some(user) => TokenResponse::Issued(
                Json(Token {
                    access_token: user.username,
                    token_type: "bearer".to_owned(),
                }),
                "no-store".to_owned(),
                "no-cache".to_owned(),
            ),
            None => TokenResponse::IncorrectCredentials(Json(Detail::new(
                "Incorrect username or password",
            ))),
        }
    }
}
// ANCHOR_END: token_response

// ANCHOR: authenticate
/// The user with this username and password, if there is one.
fn authenticate_user(db: &UsersDb, username: &str, password: &str) -> Option<UserInDb> {
    let user = db.get(username)?;
    let hashed_password = fake_hash_password(password);
    // `==` stops at the first byte that differs, so how long it takes tells how much of the
    // stored value a guess got right; `constant_time_eq` reads every byte, every time.
    constant_time_eq(hashed_password.as_bytes(), user.hashed_password.as_bytes()).then_some(user)
}
// ANCHOR_END: authenticate
