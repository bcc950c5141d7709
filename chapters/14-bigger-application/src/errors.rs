//! Every error the service answers, in one enum, turned into a response in one place.
//!
//! A handler, a guard or a query returns `Err(AppError::…)` and stops there; how each error
//! looks on the wire (status, `detail`, headers) is decided here and nowhere else.

use std::fmt;

use ch12_sql_database::errors::is_unavailable;
use kit::validation::{Loc, Problem};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use serde_json::{Value, json};

use crate::security::passwords::MIN_PASSWORD_CHARS;

// ANCHOR: app_error
/// Why a request was refused.
#[derive(Debug)]
pub enum AppError {
    /// `POST /auth/…/{sns_type}` with anything but `email`.
    SnsTypeNotSupported,
    /// Registering an address that has an account.
    EmailAlreadyRegistered,
    /// Logging in with an unknown address or the wrong password: one answer for both.
    IncorrectEmailOrPassword,
    /// A new password shorter than 8 characters.
    PasswordTooShort,
    /// A new password longer than bcrypt reads.
    PasswordTooLong,
    /// A bearer token that is expired, forged, or names no user.
    InvalidToken,
    /// A fourth API key.
    TooManyApiKeys,
    /// Keys changed under a request too many times in a row (concurrent creates and deletes).
    ApiKeysBusy,
    /// No such key, or not the caller's: the two are not told apart.
    ApiKeyNotFound,
    /// A `secret` header that is not the signature of the request.
    InvalidSignature,
    /// A `timestamp` too far from the server's clock.
    TimestampOutOfWindow,
    /// A signature that was accepted once already.
    SignatureReplayed,
    /// Too many failed logins for the account or from the client address (`security::limits`).
    TooManyLoginAttempts {
        /// Seconds until the window ends: the answer's `Retry-After`.
        retry_after: u64,
    },
    /// Too many sign-ups from the client address.
    TooManySignUps {
        /// Seconds until the window ends: the answer's `Retry-After`.
        retry_after: u64,
    },
    /// Too many passwords waiting for bcrypt already (`security::passwords`).
    PasswordsBusy {
        /// Seconds the waiting ones take, about: the answer's `Retry-After`.
        retry_after: u64,
    },
    /// The database does not answer.
    DatabaseUnavailable,
    /// A bug or a broken dependency: logged, never shown.
    Internal(String),
}
// ANCHOR_END: app_error

// ANCHOR: status_and_detail
impl AppError {
    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        use AppError::*;
        match self {
            SnsTypeNotSupported
            | EmailAlreadyRegistered
            | IncorrectEmailOrPassword
            | TooManyApiKeys
            | TimestampOutOfWindow => StatusCode::BAD_REQUEST,
            InvalidToken | InvalidSignature | SignatureReplayed => StatusCode::UNAUTHORIZED,
            ApiKeyNotFound => StatusCode::NOT_FOUND,
            ApiKeysBusy => StatusCode::CONFLICT,
            TooManyLoginAttempts { .. } | TooManySignUps { .. } => StatusCode::TOO_MANY_REQUESTS,
            PasswordsBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            PasswordTooShort | PasswordTooLong => StatusCode::UNPROCESSABLE_ENTITY,
            DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `detail` of the answer: what a client may be told.
    pub fn detail(&self) -> &'static str {
        use AppError::*;
        match self {
            SnsTypeNotSupported => "Unsupported sns_type: only email is supported",
            EmailAlreadyRegistered => "Email already registered",
            IncorrectEmailOrPassword => "Incorrect email or password",
            PasswordTooShort => "String should have at least 8 characters",
            PasswordTooLong => "Value error, the password is longer than 72 bytes",
            InvalidToken => "Could not validate credentials",
            TooManyApiKeys => "API key limit reached: at most 3 keys per user",
            ApiKeysBusy => "API keys changed during the request; try again",
            ApiKeyNotFound => "API key not found",
            InvalidSignature => "Invalid signature",
            TimestampOutOfWindow => {
                "Timestamp out of range: it must be within 60 seconds of the server's time"
            }
            SignatureReplayed => "Signature already used",
            TooManyLoginAttempts { .. } => "Too many login attempts",
            TooManySignUps { .. } => "Too many sign-ups",
            PasswordsBusy { .. } => "Too many logins at once; try again shortly",
            DatabaseUnavailable => "Database unavailable",
            Internal(_) => "Internal Server Error",
        }
    }

    /// When to try again, for the refusals that know.
    fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyLoginAttempts { retry_after }
            | AppError::TooManySignUps { retry_after }
            | AppError::PasswordsBusy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The challenge of a 401: which scheme to authenticate with.
    fn challenge(&self) -> Option<&'static str> {
        match self {
            AppError::InvalidToken => Some("Bearer"),
            AppError::InvalidSignature | AppError::SignatureReplayed => Some("HMAC-SHA256"),
            _ => None,
        }
    }
}
// ANCHOR_END: status_and_detail

// ANCHOR: into_response
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = match self {
            // Bad input, so FastAPI's 422 body; the password itself is never sent back.
            AppError::PasswordTooShort => kit::validation_error(vec![
                password_problem("string_too_short", self.detail())
                    .with_ctx(json!({"min_length": MIN_PASSWORD_CHARS})),
            ]),
            AppError::PasswordTooLong => {
                kit::validation_error(vec![password_problem("value_error", self.detail())])
            }
            _ => kit::detail(self.status(), self.detail()),
        };
        if let Some(challenge) = self.challenge() {
            response.headers_mut().insert(
                poem::http::header::WWW_AUTHENTICATE,
                poem::http::HeaderValue::from_static(challenge),
            );
        }
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(poem::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A problem with `pw`, showing a mask where FastAPI would show the value.
fn password_problem(kind: &'static str, msg: &str) -> Problem {
    let loc = vec![Loc::from("body"), Loc::from("pw")];
    Problem::new(kind, loc, msg, Value::from(kit::secret::MASK))
}

impl From<AppError> for poem::Error {
    fn from(err: AppError) -> Self {
        poem::Error::from_response(err.into_response())
    }
}

/// Database failures: "cannot reach it" is a 503 that heals by itself; anything else is a
/// bug (a query that does not fit the schema) and a 500. Which errors mean "cannot reach it"
/// is chapter 12's `is_unavailable`, which explains each backend's codes.
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return AppError::DatabaseUnavailable;
        }
        AppError::Internal(err.to_string())
    }
}
// ANCHOR_END: into_response

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

impl std::error::Error for AppError {}

// ANCHOR: documented
/// The statuses an operation can fail with, for its entry in the document; combine them with
/// `|`: `Fails<{ NOT_FOUND | UNAVAILABLE }>`.
pub const BAD_REQUEST: u8 = 1;
/// See [`BAD_REQUEST`].
pub const UNAUTHORIZED: u8 = 2;
/// See [`BAD_REQUEST`].
pub const NOT_FOUND: u8 = 4;
/// See [`BAD_REQUEST`].
pub const CONFLICT: u8 = 8;
/// See [`BAD_REQUEST`].
pub const UNAVAILABLE: u8 = 16;
/// See [`BAD_REQUEST`]: a 429 with `Retry-After`.
pub const TOO_MANY: u8 = 32;
/// See [`BAD_REQUEST`]: a 503 with `Retry-After` when bcrypt's queue is full, besides
/// [`UNAVAILABLE`]'s (which it includes).
pub const BUSY: u8 = 64;

/// An [`AppError`] as an operation returns it: `Result<Json<T>, Fails<{ … }>>`. The answer is
/// the error's own (`?` converts any `AppError`); the type parameter only says which statuses
/// `/docs` lists for the operation.
#[derive(Debug)]
pub struct Fails<const STATUSES: u8>(pub AppError);

impl<const STATUSES: u8> From<AppError> for Fails<STATUSES> {
    fn from(err: AppError) -> Self {
        Self(err)
    }
}

impl<const STATUSES: u8> From<Fails<STATUSES>> for poem::Error {
    fn from(err: Fails<STATUSES>) -> Self {
        err.0.into()
    }
}

impl<const STATUSES: u8> IntoResponse for Fails<STATUSES> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<const STATUSES: u8> ApiResponse for Fails<STATUSES> {
    fn meta() -> MetaResponses {
        let documented = |status: u8, code: u16, description: &'static str| {
            (STATUSES & status != 0).then(|| MetaResponse {
                description,
                status: Some(code),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: kit::Detail::schema_ref(),
                }],
                headers: match (code, status) {
                    (401, _) => vec![MetaHeader {
                        name: "WWW-Authenticate".to_owned(),
                        description: Some("The scheme to authenticate with.".to_owned()),
                        required: true,
                        deprecated: false,
                        schema: String::schema_ref(),
                    }],
                    // Not on every 503: the database's says nothing of when it comes back.
                    (429, _) | (_, BUSY) => vec![MetaHeader {
                        name: "Retry-After".to_owned(),
                        description: Some("Seconds to wait before trying again.".to_owned()),
                        required: code == 429,
                        deprecated: false,
                        schema: u64::schema_ref(),
                    }],
                    _ => Vec::new(),
                },
            })
        };
        let responses = [
            documented(
                BAD_REQUEST,
                400,
                "The request cannot be done; `detail` says why",
            ),
            documented(
                UNAUTHORIZED,
                401,
                "Not authenticated: no token, a bad token, or a bad or reused signature",
            ),
            documented(
                NOT_FOUND,
                404,
                "`API key not found`: no such key, or not yours",
            ),
            documented(
                CONFLICT,
                409,
                "The keys changed during the request; try again",
            ),
            documented(
                TOO_MANY,
                429,
                "Too many failed logins, or sign-ups, for now: `Retry-After` says when to try again",
            ),
            match STATUSES & BUSY {
                0 => None,
                _ => documented(
                    BUSY,
                    503,
                    "Too many logins at once (`Retry-After` says when to try again), or \
                     `Database unavailable`",
                ),
            },
            match STATUSES & BUSY {
                0 => documented(UNAVAILABLE, 503, "`Database unavailable`: try again later"),
                _ => None,
            },
        ];
        MetaResponses {
            responses: responses.into_iter().flatten().collect(),
        }
    }

    fn register(registry: &mut Registry) {
        kit::Detail::register(registry);
    }
}

// ANCHOR_END: documented

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_401_names_its_scheme() {
        for err in [
            AppError::InvalidToken,
            AppError::InvalidSignature,
            AppError::SignatureReplayed,
        ] {
            assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
            let response = err.into_response();
            assert!(response.headers().contains_key("www-authenticate"));
        }
    }

    #[test]
    fn every_refusal_for_now_says_when_to_try_again() {
        for (err, status) in [
            (AppError::TooManyLoginAttempts { retry_after: 60 }, 429),
            (AppError::TooManySignUps { retry_after: 60 }, 429),
            (AppError::PasswordsBusy { retry_after: 60 }, 503),
        ] {
            let response = err.into_response();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(response.headers()["retry-after"], "60");
        }
    }

    #[test]
    fn an_internal_error_says_nothing_of_its_cause() {
        let response = AppError::Internal("secret table name".to_owned()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_text(response);
        assert_eq!(body, r#"{"detail":"Internal Server Error"}"#);
    }

    fn body_text(response: Response) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(response.into_body().into_string())
            .unwrap()
    }
}
