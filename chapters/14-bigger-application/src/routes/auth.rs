//! `/auth`: accounts. Register or log in with an email address and a password; either way
//! the answer is an access token.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use super::Tag;
use crate::database::Db;
use crate::errors::{AppError, BAD_REQUEST, BUSY, Fails, TOO_MANY};
use crate::models::{SnsType, Token, UserLogin, UserRegister, unix_now};
use crate::security::limits::{Client, LoginLimits};
use crate::security::passwords::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, Passwords};
use crate::security::tokens::Tokens;

/// The answer of `POST /auth/register/{sns_type}`. `Cache-Control: no-store` keeps the
/// token out of every cache on the way.
#[derive(Debug, ApiResponse)]
pub enum Registered {
    /// The account is made; here is its first token.
    #[oai(status = 201)]
    Created(Json<Token>, #[oai(header = "Cache-Control")] String),
}

/// The answer of `POST /auth/login/{sns_type}`.
#[derive(Debug, ApiResponse)]
pub enum LoggedIn {
    /// A new token for the account.
    #[oai(status = 200)]
    Ok(Json<Token>, #[oai(header = "Cache-Control")] String),
}

/// The auth router.
#[derive(Debug)]
pub struct AuthApi;

// ANCHOR: auth
#[OpenApi(prefix_path = "/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Register
    ///
    /// Makes an account for an email address and answers its first token, ready to send
    /// back as `Authorization`. `sns_type` is `email` (the only method so far; another is
    /// **400**). An address that has an account already is **400**; a password under 8
    /// characters or over 72 bytes is **422** (bcrypt would ignore the rest). Too many
    /// sign-ups from one address are **429**, until `Retry-After` seconds have passed.
    #[oai(path = "/register/:sns_type", method = "post")]
    #[allow(clippy::too_many_arguments)] // what a handler needs, each one its own extractor
    async fn register(
        &self,
        db: Data<&Db>,
        passwords: Data<&Passwords>,
        tokens: Data<&Tokens>,
        limits: Data<&LoginLimits>,
        client: Client,
        /// How the account signs in: `email`.
        sns_type: Path<SnsType>,
        body: Json<UserRegister>,
    ) -> Result<Registered, Fails<{ BAD_REQUEST | TOO_MANY | BUSY }>> {
        let UserRegister { email, pw } = body.0;
        check_new_password(&pw.0)?;
        if !sns_type.is_email() {
            return Err(AppError::SnsTypeNotSupported.into());
        }
        let attempt = limits.sign_up(client)?;
        let hashed_password = match passwords.hash(pw.0).await {
            Ok(hash) => hash,
            Err(err) => {
                attempt.not_made();
                return Err(err.into());
            }
        };
        attempt.succeeded();
        let user = db
            .create_user(email.as_str(), &hashed_password, SnsType::EMAIL, unix_now())
            .await?;
        Ok(Registered::Created(
            Json(Token {
                authorization: tokens.bearer_for(user.id)?,
            }),
            "no-store".to_owned(),
        ))
    }

    /// Log in
    ///
    /// A new token for an account. An unknown address and a wrong password get the same
    /// **400**, in the same time, so that the answer does not tell which addresses have an
    /// account. A password over 72 bytes is a wrong one: no account has it.
    ///
    /// After 10 failed logins to one account, or 100 from one client address, within 15
    /// minutes (the defaults), the next ones are **429** until `Retry-After` seconds have
    /// passed, without checking the password. When too many logins wait for bcrypt already,
    /// the answer is **503** at once, with `Retry-After`.
    #[oai(path = "/login/:sns_type", method = "post")]
    #[allow(clippy::too_many_arguments)] // what a handler needs, each one its own extractor
    async fn login(
        &self,
        db: Data<&Db>,
        passwords: Data<&Passwords>,
        tokens: Data<&Tokens>,
        limits: Data<&LoginLimits>,
        client: Client,
        /// How the account signs in: `email`.
        sns_type: Path<SnsType>,
        body: Json<UserLogin>,
    ) -> Result<LoggedIn, Fails<{ BAD_REQUEST | TOO_MANY | BUSY }>> {
        let UserLogin { email, pw } = body.0;
        if !sns_type.is_email() {
            return Err(AppError::SnsTypeNotSupported.into());
        }
        // Counted before anything else: a refused login costs no query and no bcrypt.
        let attempt = limits.login(client, email.as_str())?;
        let user = db.user_by_email(email.as_str()).await?;
        // Without an account, a dummy hash is checked all the same (see `Passwords`).
        let hash = user.as_ref().map(|u| u.hashed_password.as_str());
        let right = match passwords.verify(pw.0, hash).await {
            Ok(right) => right,
            Err(busy) => {
                // The password was not checked: not a guess, not a failure.
                attempt.not_made();
                return Err(busy.into());
            }
        };
        match user {
            Some(user) if right => {
                attempt.succeeded();
                Ok(LoggedIn::Ok(
                    Json(Token {
                        authorization: tokens.bearer_for(user.id)?,
                    }),
                    "no-store".to_owned(),
                ))
            }
            _ => Err(AppError::IncorrectEmailOrPassword.into()),
        }
    }
}
// ANCHOR_END: auth

// ANCHOR: helpers
/// A new password has 8 characters or more, as chapter 09's password change asks: shorter
/// ones fall to guessing. And 72 bytes or fewer: bcrypt reads no more, and a longer one is
/// refused, not cut short without a word. (Logging in checks neither: a password that breaks
/// them is simply not the account's.)
fn check_new_password(pw: &str) -> Result<(), AppError> {
    if pw.chars().count() < MIN_PASSWORD_CHARS {
        Err(AppError::PasswordTooShort)
    } else if pw.len() > MAX_PASSWORD_BYTES {
        Err(AppError::PasswordTooLong)
    } else {
        Ok(())
    }
}
// ANCHOR_END: helpers
