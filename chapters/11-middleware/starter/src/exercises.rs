//! Your solutions to the exercises of chapter 11: a request id (exercise 1), security headers
//! (exercise 2), and a limit on logins (exercise 3).
//!
//! `app()` in `lib.rs` already puts each layer in its place; until it is written, each one
//! passes the request on unchanged.

use poem::middleware::SetHeader;
use poem::{Endpoint, Middleware};

// TODO(exercise 1): give every request an id in X-Request-Id, on the answer and on the request
// (where the access log reads it); keep a plain one the client sent.
// (book: 11-middleware, "Exercise 1: A request id").

/// The outermost layer: the request's id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestId;

impl<E: Endpoint> Middleware<E> for RequestId {
    type Output = E;

    fn transform(&self, inner: E) -> Self::Output {
        inner
    }
}

// TODO(exercise 2): make every answer, refusals included, carry X-Content-Type-Options: nosniff,
// X-Frame-Options: DENY and Referrer-Policy: no-referrer.
// (book: 11-middleware, "Exercise 2: Security headers").

/// The headers that tell browsers to be careful with every answer: none yet.
pub(crate) fn security_headers() -> SetHeader {
    SetHeader::new()
}

// TODO(exercise 3): at most `max_attempts` logins per client address and minute, unless one
// succeeds; past that, POST /token answers ApiError::TooManyLoginAttempts (429, Retry-After).
// (book: 11-middleware, "Exercise 3: A limit on logins").

/// The limit on logins, around `POST /token`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoginRateLimit;

impl LoginRateLimit {
    /// `max_attempts` per minute; 0 switches the limit off.
    pub(crate) fn per_minute(_max_attempts: u32) -> Self {
        Self
    }
}

impl<E: Endpoint> Middleware<E> for LoginRateLimit {
    type Output = E;

    fn transform(&self, inner: E) -> Self::Output {
        inner
    }
}
