//! The exercises' solutions: changing the password (1) and logging out (2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use kit::Detail;
use kit::validation::{Loc, Problem};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, Tags};
use serde_json::{Value, json};

use crate::login::authenticate_user;
use crate::passwords::{self, MAX_PASSWORD_BYTES};
use crate::tokens::Claims;
use crate::users::UsersDb;
use crate::{AuthError, CurrentActiveUser, get_current_token};

/// The exercises' section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// The exercises: changing the password, logging out.
    #[oai(external_docs = "https://datatracker.ietf.org/doc/html/rfc7009")]
    Account,
}

// ANCHOR: password_change
/// A new password, and the current one to prove it is the user who asks.
#[derive(Object)]
struct PasswordChange {
    /// The password the user has now.
    current_password: String,
    /// The password to have from now on: 8 characters or more, 72 bytes or fewer.
    new_password: String,
}

/// The answers of `POST /users/me/password`.
#[derive(ApiResponse)]
enum PasswordChanged {
    /// The password is changed; the old one no longer logs in.
    #[oai(status = 204)]
    Changed,
    /// The current password is wrong.
    #[oai(status = 400)]
    IncorrectPassword(Json<Detail>),
}

/// Exercise 1's solution: changing the password.
pub(crate) struct PasswordApi;

#[OpenApi]
impl PasswordApi {
    /// Change the password
    ///
    /// Needs a valid token and the current password: a stolen token alone cannot lock the
    /// user out. The new password must have 8 characters or more and 72 bytes or fewer
    /// (bcrypt reads no more); it is hashed with a new salt, on the blocking pool.
    #[oai(
        path = "/users/me/password",
        method = "post",
        tag = "ExerciseTag::Account"
    )]
    async fn change_password(
        &self,
        db: Data<&UsersDb>,
        current_user: CurrentActiveUser,
        change: Json<PasswordChange>,
    ) -> poem::Result<PasswordChanged> {
        let CurrentActiveUser(user) = current_user;
        let Json(PasswordChange {
            current_password,
            new_password,
        }) = change;
        check_new_password(&new_password)?;
        let right = authenticate_user(&db, &user.username, current_password).await;
        if right.is_none() {
            let detail = Detail::new("Incorrect password");
            return Ok(PasswordChanged::IncorrectPassword(Json(detail)));
        }
        let hashed_password = passwords::get_password_hash(new_password).await?;
        db.set_hashed_password(&user.username, hashed_password);
        Ok(PasswordChanged::Changed)
    }
}

impl UsersDb {
    /// Replaces a user's password hash.
    fn set_hashed_password(&self, username: &str, hashed_password: String) {
        let mut users = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(user) = users.get_mut(username) {
            user.hashed_password = hashed_password;
        }
    }
}

/// A 422 unless the new password has 8 characters or more and 72 bytes or fewer. Unlike
/// other 422s, it does not repeat the value sent: a password never goes back to the client.
fn check_new_password(password: &str) -> poem::Result<()> {
    const MIN_CHARS: usize = 8;
    let (kind, msg, ctx) = if password.chars().count() < MIN_CHARS {
        let msg = format!("String should have at least {MIN_CHARS} characters");
        ("string_too_short", msg, json!({"min_length": MIN_CHARS}))
    } else if password.len() > MAX_PASSWORD_BYTES {
        // bcrypt would cut it silently: refuse it rather than keep less than was typed.
        let msg = format!("String should have at most {MAX_PASSWORD_BYTES} bytes");
        (
            "string_too_long",
            msg,
            json!({"max_length": MAX_PASSWORD_BYTES}),
        )
    } else {
        return Ok(());
    };
    let loc = vec![Loc::from("body"), Loc::from("new_password")];
    let problem = Problem::new(kind, loc, msg, Value::Null).with_ctx(ctx);
    Err(poem::Error::from_response(kit::validation_error(vec![
        problem,
    ])))
}
// ANCHOR_END: password_change

// ANCHOR: revoked
/// Tokens given up by logging out, by `jti`, each with its expiry. The app adds it to its
/// data, and every token check asks it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Revoked(Arc<Mutex<HashMap<String, u64>>>);

impl Revoked {
    /// Refuses the token `jti` from now on.
    fn revoke(&self, jti: String, exp: u64) {
        let now = jsonwebtoken::get_current_timestamp();
        let mut revoked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // An expired token is refused anyway: forgetting it keeps the list short.
        revoked.retain(|_, expires| *expires >= now);
        revoked.insert(jti, exp);
    }

    /// Whether the token with these claims was revoked.
    pub(crate) fn is_revoked(&self, claims: &Claims) -> bool {
        let revoked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        revoked.contains_key(&claims.jti)
    }
}

// The token alone, checked as for every operation, without looking its user up: what logging
// out needs. (The doc comment is for `/docs`, where this is the lesson's scheme.)
/// Log in with a username and password at `POST /token`, then send the token you get as
/// `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(
    rename = "OAuth2PasswordBearer",
    ty = "oauth2",
    flows(password(token_url = "token")),
    checker = "get_current_token"
)]
struct CurrentToken(Claims);

/// Exercise 2's solution: logging out.
pub(crate) struct LogoutApi;

#[OpenApi]
impl LogoutApi {
    /// Log out
    ///
    /// Revokes the token sent: from now on it is refused, even before it expires. A JWT is
    /// valid by itself, so the server must remember the revoked ones until they expire.
    #[oai(path = "/logout", method = "post", tag = "ExerciseTag::Account")]
    async fn logout(
        &self,
        revoked: Data<&Revoked>,
        current_token: CurrentToken,
    ) -> Result<LoggedOut, AuthError> {
        let CurrentToken(claims) = current_token;
        revoked.revoke(claims.jti, claims.exp);
        Ok(LoggedOut::Done)
    }
}

/// The answer of `POST /logout`.
#[derive(ApiResponse)]
enum LoggedOut {
    /// The token is revoked.
    #[oai(status = 204)]
    Done,
}
// ANCHOR_END: revoked
