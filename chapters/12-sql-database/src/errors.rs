//! Every error the chapter answers, in one enum, turned into a response in one place.

use std::fmt;

use kit::validation::{Loc, Problem};
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use serde_json::Value;

// ANCHOR: api_error
/// Why a request was refused.
#[derive(Debug)]
pub enum ApiError {
    /// Another user has this email address.
    EmailAlreadyRegistered,
    /// No user has this id.
    UserNotFound,
    /// No item has this id (exercise 2).
    ItemNotFound,
    /// A password longer than bcrypt reads: bad input, so a 422.
    PasswordTooLong,
    /// A `null` title in a partial update of an item (exercise 2): an item keeps its title,
    /// so this is bad input, a 422.
    TitleRemoved,
    /// The database does not answer, or not in time.
    DatabaseUnavailable,
    /// A bug, or a database that answers something unexpected: logged, never shown.
    Internal(String),
}

impl ApiError {
    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::EmailAlreadyRegistered => StatusCode::BAD_REQUEST,
            ApiError::UserNotFound | ApiError::ItemNotFound => StatusCode::NOT_FOUND,
            ApiError::PasswordTooLong | ApiError::TitleRemoved => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told.
    pub fn detail(&self) -> &'static str {
        match self {
            ApiError::EmailAlreadyRegistered => "Email already registered",
            ApiError::UserNotFound => "User not found",
            ApiError::ItemNotFound => "Item not found",
            ApiError::PasswordTooLong => "Value error, the password is longer than 72 bytes",
            ApiError::TitleRemoved => {
                "Value error, an item keeps its title: send a string, or leave title out"
            }
            ApiError::DatabaseUnavailable => "Database unavailable",
            ApiError::Internal(_) => "Internal Server Error",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                kit::detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            // Bad input, so FastAPI's 422 body; the password itself is never sent back.
            ApiError::PasswordTooLong => kit::validation_error(vec![Problem::new(
                "value_error",
                vec![Loc::from("body"), Loc::from("password")],
                self.detail(),
                Value::from(kit::secret::MASK),
            )]),
            ApiError::TitleRemoved => kit::validation_error(vec![Problem::new(
                "value_error",
                vec![Loc::from("body"), Loc::from("title")],
                self.detail(),
                Value::Null,
            )]),
            other => kit::detail(other.status(), other.detail()),
        }
    }
}

impl From<ApiError> for poem::Error {
    fn from(err: ApiError) -> Self {
        poem::Error::from_response(err.into_response())
    }
}
// ANCHOR_END: api_error

// ANCHOR: from_sqlx
/// A database failure, as the client sees it: "cannot reach it" is a 503 that heals by itself
/// when the database is back; anything else is a bug and a 500.
impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return ApiError::DatabaseUnavailable;
        }
        ApiError::Internal(err.to_string())
    }
}

/// The database is down, out of reach, shutting down, or busy past the time a request may wait.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(err) => server_unavailable(err.as_ref()),
        _ => false,
    }
}

/// The errors a server itself gives when it cannot serve: each backend has its own codes.
fn server_unavailable(err: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(err) = err.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        // Class 08: connection exception; 57P0x: shutting down or starting; 53300: too many
        // connections.
        let code = err.code();
        return code.starts_with("08") || code.starts_with("57P") || code == "53300";
    }
    if let Some(err) = err.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        // Too many connections; server shutdown in progress; lock wait timeout exceeded.
        return matches!(err.number(), 1040 | 1053 | 1205);
    }
    if err
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), whatever their extended code: another
        // connection held the file locked for longer than the busy timeout.
        let primary = err
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .map(|code| code & 0xff);
        return matches!(primary, Some(5 | 6));
    }
    false
}

/// The database refused a row that would break a unique constraint.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|err| err.is_unique_violation())
}

/// The database refused a row that refers to a row that does not exist.
pub fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|err| err.is_foreign_key_violation())
}
// ANCHOR_END: from_sqlx

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

impl std::error::Error for ApiError {}

/// The document lists the errors by status, with the messages each can carry, so that
/// `/docs` shows them on the operations that return `Result<_, ApiError>`.
impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let response = |status: u16, description: &'static str| MetaResponse {
            description,
            status: Some(status),
            status_range: None,
            content: vec![MetaMediaType {
                content_type: "application/json; charset=utf-8",
                schema: kit::Detail::schema_ref(),
            }],
            headers: Vec::new(),
        };
        MetaResponses {
            responses: vec![
                response(
                    400,
                    "`Email already registered`: another user has this address",
                ),
                response(404, "`User not found` (or `Item not found`): no such id"),
                response(
                    503,
                    "`Database unavailable`: the database does not answer; try again later",
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        kit::Detail::register(registry);
    }
}
