//! Blocking versus async: three ways to wait, and a request timeout that can stop only one of
//! them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kit::Detail;
use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaApi, MetaMediaType, MetaResponse, Registry};
use poem_openapi::types::{Example, Type};
use poem_openapi::{Object, OpenApi};

use crate::Tag;

// ANCHOR: slept
/// How long a slow operation waited.
#[derive(Debug, Object)]
#[oai(example)]
pub(crate) struct Slept {
    /// The seconds asked for.
    pub seconds: i64,
    /// The seconds it really took, as measured inside the handler.
    pub processing_time: f64,
}
// ANCHOR_END: slept

impl Slept {
    fn since(seconds: i64, started: Instant) -> Json<Self> {
        Json(Self {
            seconds,
            processing_time: started.elapsed().as_secs_f64(),
        })
    }
}

impl Example for Slept {
    fn example() -> Self {
        Self {
            seconds: 1,
            processing_time: 1.0012,
        }
    }
}

fn one_second() -> i64 {
    1
}

fn duration(seconds: i64) -> Duration {
    Duration::from_secs(seconds.unsigned_abs())
}

// ANCHOR: slow_api
/// The three slow operations.
pub(crate) struct SlowApi;

#[OpenApi]
impl SlowApi {
    /// Wait without blocking
    ///
    /// Sleeps `seconds` (0 to 30, default 1) with `tokio::time::sleep`: the handler gives
    /// its thread back to the runtime while it waits, and other requests run meanwhile. A
    /// wait longer than the request timeout is cut short with a **504**.
    #[oai(path = "/slow-async", method = "get", tag = "Tag::Blocking")]
    async fn slow_async(
        &self,
        /// How long to wait, in seconds.
        #[oai(
            default = "one_second",
            validator(minimum(value = "0"), maximum(value = "30"))
        )]
        seconds: Query<i64>,
    ) -> Json<Slept> {
        let started = Instant::now();
        tokio::time::sleep(duration(seconds.0)).await;
        Slept::since(seconds.0, started)
    }

    /// Wait, blocking a runtime thread (don't do this)
    ///
    /// Sleeps `seconds` (0 to 30, default 1) with `std::thread::sleep`, on purpose: the
    /// runtime thread running this handler can do nothing else until it returns, and the
    /// requests waiting for that thread wait too. The request timeout cannot cut it short:
    /// a timeout is checked only when the handler gives the thread back. So the answer is
    /// always a **200**, after `seconds`, even past `REQUEST_TIMEOUT_SECS`.
    #[oai(path = "/slow-blocking", method = "get", tag = "Tag::Blocking")]
    async fn slow_blocking(
        &self,
        /// How long to block, in seconds.
        #[oai(
            default = "one_second",
            validator(minimum(value = "0"), maximum(value = "30"))
        )]
        seconds: Query<i64>,
    ) -> Json<Slept> {
        let started = Instant::now();
        std::thread::sleep(duration(seconds.0));
        Slept::since(seconds.0, started)
    }

    /// Wait on the blocking pool (the fix)
    ///
    /// The same blocking sleep, handed to `tokio::task::spawn_blocking`: it runs on a thread
    /// of the blocking pool, and the handler awaits it without holding a runtime thread. A
    /// timeout answers 504 on time, though the sleeping thread still sleeps to the end.
    #[oai(path = "/slow-spawn-blocking", method = "get", tag = "Tag::Blocking")]
    async fn slow_spawn_blocking(
        &self,
        /// How long to block the pool's thread, in seconds.
        #[oai(
            default = "one_second",
            validator(minimum(value = "0"), maximum(value = "30"))
        )]
        seconds: Query<i64>,
    ) -> poem::Result<Json<Slept>> {
        let started = Instant::now();
        let wait = duration(seconds.0);
        tokio::task::spawn_blocking(move || std::thread::sleep(wait))
            .await
            .map_err(|err| poem::Error::new(err, StatusCode::INTERNAL_SERVER_ERROR))?;
        Ok(Slept::since(seconds.0, started))
    }
}
// ANCHOR_END: slow_api

// ANCHOR: timeout
/// Answers **504** `{"detail": "Request timeout"}` when `app` takes longer than `limit`.
///
/// The timeout drops the handler's future at its next `.await`. A handler that blocks its
/// thread has no `.await` to stop at: it runs to its end, and its answer goes out late.
pub(crate) fn request_timeout<E: Endpoint + 'static>(
    app: E,
    limit: Duration,
) -> impl Endpoint<Output = Response> {
    app.around(move |app, req: Request| async move {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        match tokio::time::timeout(limit, app.call(req)).await {
            Ok(answer) => answer.map(IntoResponse::into_response),
            Err(_elapsed) => {
                tracing::warn!(%method, %path, limit_secs = limit.as_secs(), "request timed out");
                Ok(kit::detail(StatusCode::GATEWAY_TIMEOUT, "Request timeout"))
            }
        }
    })
}
// ANCHOR_END: timeout

/// Whether `request_timeout` can cut the operation short: all but `GET /slow-blocking`, which
/// blocks its thread, so that its answer is ready before the timeout gets to look (as its
/// description says).
fn can_time_out(path: &str, method: &Method) -> bool {
    !(path == "/slow-blocking" && method == Method::GET)
}

/// The operations of `A`, each with the **504** that `request_timeout` answers in its place
/// when it takes too long. The middleware is outside poem-openapi, so the operations cannot
/// declare that answer themselves; this adds it to the document, where clients read what
/// they may get.
pub(crate) struct TimedOut<A>(pub A);

impl<A: OpenApi> OpenApi for TimedOut<A> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = A::meta();
        for path in apis.iter_mut().flat_map(|api| api.paths.iter_mut()) {
            for op in &mut path.operations {
                if !can_time_out(&path.path, &op.method) {
                    continue;
                }
                op.responses.responses.push(MetaResponse {
                    description: "`Request timeout`: no answer within `REQUEST_TIMEOUT_SECS`",
                    status: Some(504),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: Detail::schema_ref(),
                    }],
                    headers: Vec::new(),
                });
            }
        }
        apis
    }

    fn register(registry: &mut Registry) {
        A::register(registry);
        Detail::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}
