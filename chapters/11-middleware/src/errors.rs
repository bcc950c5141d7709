//! The error registry: every error this chapter raises, with its status, code and message,
//! in one enum, and turned into a response in one place.
//!
//! A middleware, a guard or a handler says *which* error (`ApiError::InactiveUser`); this
//! file alone says what the client gets. The body is the contract's `{"detail": message}`;
//! the code goes in the `X-Error-Code` header, where logs and clients can match on it without
//! parsing English.

use kit::Detail;
use poem::IntoResponse;
use poem::http::{HeaderValue, StatusCode, header};
use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;

/// The header that carries an error's code.
pub const ERROR_CODE_HEADER: &str = "x-error-code";

// ANCHOR: registry
/// Every error of this chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No `Authorization: Bearer <token>` on a path that needs one.
    NotAuthenticated,
    /// A token that is expired, forged, badly signed, or names no known user.
    InvalidToken,
    /// A login with a wrong user name or password.
    IncorrectLogin,
    /// A valid token of a disabled user.
    InactiveUser,
    /// A `Host` header that names none of the trusted hosts.
    InvalidHost,
    /// A CORS preflight from an origin that is not allowed.
    DisallowedCorsOrigin,
    /// A CORS preflight that asks for something that is not an HTTP method.
    DisallowedCorsMethod,
    /// Exercise 3: too many failed logins from one client; try again in `retry_after` seconds.
    TooManyLoginAttempts {
        /// Seconds until the client may try again.
        retry_after: u64,
    },
    /// Something that should not fail did; the cause is in the log, never in the answer.
    Internal,
}

impl ApiError {
    /// The registry itself: status, code and message of each error.
    fn entry(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Self::NotAuthenticated => (S::UNAUTHORIZED, "not_authenticated", "Not authenticated"),
            Self::InvalidToken => (
                S::UNAUTHORIZED,
                "invalid_token",
                "Could not validate credentials",
            ),
            Self::IncorrectLogin => (
                S::UNAUTHORIZED,
                "incorrect_login",
                "Incorrect username or password",
            ),
            Self::InactiveUser => (S::BAD_REQUEST, "inactive_user", "Inactive user"),
            Self::InvalidHost => (S::BAD_REQUEST, "invalid_host", "Invalid host header"),
            Self::DisallowedCorsOrigin => (
                S::BAD_REQUEST,
                "cors_origin_disallowed",
                "Disallowed CORS origin",
            ),
            Self::DisallowedCorsMethod => (
                S::BAD_REQUEST,
                "cors_method_disallowed",
                "Disallowed CORS method",
            ),
            Self::TooManyLoginAttempts { .. } => (
                S::TOO_MANY_REQUESTS,
                "too_many_login_attempts",
                "Too many login attempts",
            ),
            Self::Internal => (
                S::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal Server Error",
            ),
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.entry().0
    }

    /// A stable name for the error, for logs and for clients: `inactive_user`.
    pub fn code(&self) -> &'static str {
        self.entry().1
    }

    /// The `detail` of the answer, for a person: `Inactive user`.
    pub fn message(&self) -> &'static str {
        self.entry().2
    }
}
// ANCHOR_END: registry

// ANCHOR: into_response
impl IntoResponse for ApiError {
    fn into_response(self) -> poem::Response {
        let mut response = kit::detail(self.status(), self.message());
        let headers = response.headers_mut();
        headers.insert(ERROR_CODE_HEADER, HeaderValue::from_static(self.code()));
        if self.status() == StatusCode::UNAUTHORIZED {
            // Every 401 says how to authenticate (RFC 9110 §11.6.1).
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::TooManyLoginAttempts { retry_after } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

impl From<ApiError> for poem::Error {
    fn from(error: ApiError) -> Self {
        poem::Error::from_response(error.into_response())
    }
}
// ANCHOR_END: into_response

// ANCHOR: document
/// The registry in the OpenAPI document: an operation that returns `Result<_, ApiError>`
/// lists these answers. The middlewares can give them on any operation, so each is listed
/// whole rather than per operation.
impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let response = |status, description, extra: &[(&str, &str)]| {
            let mut headers = vec![header_meta(
                "X-Error-Code",
                "The error's code, such as `inactive_user`.",
            )];
            headers.extend(extra.iter().map(|(name, text)| header_meta(name, text)));
            MetaResponse {
                description,
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Json::<Detail>::CONTENT_TYPE,
                    schema: Json::<Detail>::schema_ref(),
                }],
                headers,
            }
        };
        MetaResponses {
            responses: vec![
                response(
                    400,
                    "`Inactive user`: the token's user is disabled. `Invalid host header`: the \
                     `Host` is not a trusted host.",
                    &[],
                ),
                response(
                    401,
                    "`Not authenticated`: no bearer token. `Could not validate credentials`: \
                     the token is expired, forged, or names no user. `Incorrect username or \
                     password`: a failed login.",
                    &[("WWW-Authenticate", "`Bearer`: how to authenticate.")],
                ),
                response(
                    429,
                    "`Too many login attempts`: too many failed logins from this client.",
                    &[("Retry-After", "Seconds to wait before trying again.")],
                ),
            ],
        }
    }

    fn register(registry: &mut Registry) {
        Detail::register(registry);
    }
}

fn header_meta(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required: true,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(poem_openapi::registry::MetaSchema::new("string"))),
    }
}
// ANCHOR_END: document
