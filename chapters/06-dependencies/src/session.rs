//! A resource opened for a request and always closed after it: `/session/`, FastAPI's
//! dependency with `yield`, and `/session/stats`, which counts.
//!
//! The session is an extractor that the operation takes by value. When the operation's body
//! ends, however it ends (an answer, an error, a panic), the session is dropped, and dropping
//! it closes it. That happens as soon as the answer is produced, before it is sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use poem::web::Data;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::Tag;

// ANCHOR: stats
/// How many sessions were opened and closed since the server started. One value, shared by
/// every request through `Data`; atomics let requests count at the same time.
#[derive(Debug, Default)]
pub(crate) struct SessionStats {
    opened: AtomicU64,
    closed: AtomicU64,
}
// ANCHOR_END: stats

// ANCHOR: session
/// A resource held for one request: in a real app a database session or a transaction.
#[derive(Debug)]
pub(crate) struct Session {
    number: u64,
    stats: Arc<SessionStats>,
}

impl Session {
    /// Opens session number n: the code before FastAPI's `yield`.
    fn open(stats: Arc<SessionStats>) -> Self {
        let number = stats.opened.fetch_add(1, Ordering::SeqCst) + 1;
        Self { number, stats }
    }
}

impl Drop for Session {
    /// Closes the session: the code after FastAPI's `yield`, in its `finally`.
    fn drop(&mut self) {
        self.stats.closed.fetch_add(1, Ordering::SeqCst);
    }
}

impl<'a> FromRequest<'a> for Session {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let stats = Data::<&Arc<SessionStats>>::from_request_without_body(request).await?;
        Ok(Session::open(Arc::clone(stats.0)))
    }
}
// ANCHOR_END: session

/// The session an operation used.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct SessionInfo {
    /// The session's number: the n-th opened since the server started.
    session: u64,
}

impl Example for SessionInfo {
    fn example() -> Self {
        Self { session: 1 }
    }
}

/// Sessions opened and closed so far.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(example)]
pub(crate) struct Counts {
    /// Sessions opened since the server started.
    opened: u64,
    /// Sessions closed since the server started; equal to `opened` when no request is in
    /// flight.
    closed: u64,
}

impl Example for Counts {
    fn example() -> Self {
        Self {
            opened: 3,
            closed: 3,
        }
    }
}

/// The answer when the operation fails on purpose.
#[derive(Debug, ApiResponse)]
pub(crate) enum SessionError {
    /// `fail=true` was asked: `{"detail": "Requested failure"}`.
    #[oai(status = 400)]
    RequestedFailure(Json<kit::Detail>),
}

// ANCHOR: api
/// The operations that use a session.
pub(crate) struct SessionApi;

#[OpenApi]
impl SessionApi {
    /// Use a session
    ///
    /// Opens a session for the request, answers its number, and closes it. With `fail=true`
    /// the operation fails with a 400 instead; the session is closed all the same.
    #[oai(path = "/session/", method = "get", tag = "Tag::Resources")]
    async fn read_session(
        &self,
        session: Session,
        /// Fail on purpose, to see that the session is closed anyway.
        #[oai(default)]
        fail: Query<bool>,
    ) -> Result<Json<SessionInfo>, SessionError> {
        if fail.0 {
            let detail = kit::Detail::new("Requested failure");
            return Err(SessionError::RequestedFailure(Json(detail)));
        }
        Ok(Json(SessionInfo {
            session: session.number,
        }))
    }

    /// Count the sessions
    ///
    /// How many sessions were opened and closed since the server started. When no request
    /// is in flight the two are equal: every session opened was closed.
    #[oai(path = "/session/stats", method = "get", tag = "Tag::Resources")]
    async fn read_session_stats(&self, stats: Data<&Arc<SessionStats>>) -> Json<Counts> {
        // Closed first: a session that opens and closes between the two reads then cannot
        // make `closed` pass `opened`.
        let closed = stats.closed.load(Ordering::SeqCst);
        let opened = stats.opened.load(Ordering::SeqCst);
        Json(Counts { opened, closed })
    }
}
// ANCHOR_END: api

#[cfg(test)]
mod tests {
    use poem::test::TestClient;
    use poem::{EndpointExt, http::StatusCode};
    use poem_openapi::OpenApiService;

    use super::*;

    /// An operation that panics while it holds a session.
    struct PanicApi;

    #[OpenApi]
    impl PanicApi {
        /// Panic
        ///
        /// Holds a session, then panics.
        #[oai(path = "/panic", method = "get")]
        async fn panic(&self, session: Session) -> Json<SessionInfo> {
            if session.number > 0 {
                panic!("on purpose");
            }
            Json(SessionInfo {
                session: session.number,
            })
        }
    }

    #[tokio::test]
    async fn a_panic_in_the_operation_still_closes_its_session() {
        let stats = Arc::new(SessionStats::default());
        let service = OpenApiService::new(kit::FastapiErrors(PanicApi), "panic", "1");
        let app = kit::mount(service, &kit::Docs::off()).data(Arc::clone(&stats));
        let resp = TestClient::new(app).get("/panic").send().await;
        resp.assert_status(StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(stats.opened.load(Ordering::SeqCst), 1);
        assert_eq!(stats.closed.load(Ordering::SeqCst), 1);
    }
}
