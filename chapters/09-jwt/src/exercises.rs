//! The exercises' solutions: changing the password, which ends the tokens issued before (1),
//! and logging out (2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kit::Detail;
use kit::validation::{Loc, Problem};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::Password;
use poem_openapi::{ApiResponse, Object, OpenApi, SecurityScheme, Tags};
use serde_json::json;

use crate::login::authenticate_user;
use crate::passwords::{self, MAX_PASSWORD_BYTES};
use crate::tokens::Claims;
use crate::users::UsersDb;
use crate::{CurrentActiveUser, get_current_token};

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
    current_password: Password,
    /// The password to have from now on: 8 characters or more, 72 bytes or fewer.
    // The minimum is in the document too. JSON Schema counts characters, not bytes, so the
    // 72 bytes are `check_new_password`'s to hold.
    #[oai(validator(min_length = 8))]
    new_password: Password,
}

/// The answers of `POST /users/me/password`.
#[derive(ApiResponse)]
enum PasswordChanged {
    /// The password is changed; the old one no longer logs in.
    #[oai(status = 204)]
    Changed,
    /// The current password is wrong (`Incorrect password`), or the token's user is disabled
    /// (`Inactive user`).
    #[oai(status = 400)]
    IncorrectPassword(Json<Detail>),
    /// No token (`Not authenticated`), or one that is expired, badly signed, revoked or names
    /// no known user (`Could not validate credentials`).
    #[oai(status = 401)]
    #[allow(dead_code)] // Never built here: the security scheme answers before the handler.
    Unauthorized(
        Json<Detail>,
        /// `Bearer`: the scheme to authenticate with.
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
}

/// Exercise 1's solution: changing the password.
pub(crate) struct PasswordApi;

#[OpenApi]
impl PasswordApi {
    /// Change the password
    ///
    /// Needs a valid token and the current password: a stolen token alone cannot lock the
    /// user out. The new password must have 8 characters or more and 72 bytes or fewer
    /// (bcrypt reads no more); it is hashed with a new salt, on the blocking pool. Every token
    /// issued before the change stops working, this request's own included: log in again.
    #[oai(
        path = "/users/me/password",
        method = "post",
        tag = "ExerciseTag::Account"
    )]
    async fn change_password(
        &self,
        db: Data<&UsersDb>,
        revoked: Data<&Revoked>,
        current_user: CurrentActiveUser,
        change: Json<PasswordChange>,
    ) -> poem::Result<PasswordChanged> {
        let CurrentActiveUser(user) = current_user;
        let Json(PasswordChange {
            current_password,
            new_password,
        }) = change;
        check_new_password(&new_password)?;
        let right = authenticate_user(&db, &user.username, current_password.0).await;
        if right.is_none() {
            let detail = Detail::new("Incorrect password");
            return Ok(PasswordChanged::IncorrectPassword(Json(detail)));
        }
        let hashed_password = passwords::get_password_hash(new_password.0).await?;
        db.set_hashed_password(&user.username, hashed_password);
        revoked.revoke_issued_until_now(&user.username).await;
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
/// other 422s, it does not repeat the value sent: a password never goes back to the client,
/// only the mask that kit shows for every password.
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
    let problem = Problem::new(kind, loc, msg, json!(kit::secret::MASK)).with_ctx(ctx);
    Err(poem::Error::from_response(kit::validation_error(vec![
        problem,
    ])))
}
// ANCHOR_END: password_change

// ANCHOR: revoked
/// Tokens given up: one by one by logging out (exercise 2), or all of a user's at once by a
/// password change (exercise 1). The app adds it to its data, and every token check asks it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Revoked(Arc<Mutex<RevokedTokens>>);

#[derive(Debug, Default)]
struct RevokedTokens {
    /// Logged-out tokens by `jti`, each with its expiry.
    by_id: HashMap<String, u64>,
    /// Per user name, the second of the last password change: tokens issued in it or before
    /// are refused.
    issued_until: HashMap<String, u64>,
}

impl Revoked {
    /// Refuses the token `jti` from now on.
    fn revoke(&self, jti: String, exp: u64) {
        let now = jsonwebtoken::get_current_timestamp();
        let mut revoked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // An expired token is refused anyway: forgetting it keeps the list short.
        revoked.by_id.retain(|_, expires| *expires >= now);
        revoked.by_id.insert(jti, exp);
    }

    /// Refuses every token of `username` issued up to now, then waits for the next second.
    ///
    /// `iat` counts whole seconds: a token issued a moment after the change, in the same
    /// second, would look as old as one issued a moment before it. Answering only once that
    /// second is over means every token issued after the answer is newer than the change.
    async fn revoke_issued_until_now(&self, username: &str) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        {
            let mut revoked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            revoked
                .issued_until
                .insert(username.to_owned(), now.as_secs());
        }
        let into_second = Duration::from_nanos(u64::from(now.subsec_nanos()));
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(into_second)).await;
    }

    /// Whether the token with these claims was revoked: logged out by its `jti`, or issued
    /// before its user's last password change. A token without `iat` cannot show when it was
    /// issued, so a password change ends it too; one without `jti` cannot be logged out.
    pub(crate) fn is_revoked(&self, claims: &Claims) -> bool {
        let revoked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let logged_out = claims
            .jti
            .as_ref()
            .is_some_and(|jti| revoked.by_id.contains_key(jti));
        let before_change = revoked
            .issued_until
            .get(&claims.sub)
            .is_some_and(|until| claims.iat.is_none_or(|iat| iat <= *until));
        logged_out || before_change
    }
}
// ANCHOR_END: revoked

// ANCHOR: logout
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
    /// valid by itself, so the server must remember the revoked ones, by `jti`, until they
    /// expire. A token without a `jti` (this server always writes one) cannot be named in
    /// that list: the answer is a **400** that says so, never a 204 that it is not true.
    #[oai(path = "/logout", method = "post", tag = "ExerciseTag::Account")]
    async fn logout(&self, revoked: Data<&Revoked>, current_token: CurrentToken) -> LoggedOut {
        let CurrentToken(claims) = current_token;
        let Some(jti) = claims.jti else {
            let detail = Detail::new("Token cannot be revoked: it has no jti");
            return LoggedOut::NotRevocable(Json(detail));
        };
        revoked.revoke(jti, claims.exp);
        LoggedOut::Done
    }
}

/// The answers of `POST /logout`.
#[derive(ApiResponse)]
enum LoggedOut {
    /// The token is revoked.
    #[oai(status = 204)]
    Done,
    /// The token has no `jti`, so it cannot be revoked; it stays valid until it expires.
    #[oai(status = 400)]
    NotRevocable(Json<Detail>),
    /// No token (`Not authenticated`), or one that is expired, badly signed or revoked
    /// (`Could not validate credentials`).
    #[oai(status = 401)]
    #[allow(dead_code)] // Never built here: the security scheme answers before the handler.
    Unauthorized(
        Json<Detail>,
        /// `Bearer`: the scheme to authenticate with.
        #[oai(header = "WWW-Authenticate")]
        String,
    ),
}
// ANCHOR_END: logout
