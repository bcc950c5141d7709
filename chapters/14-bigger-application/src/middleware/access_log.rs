//! The access log: one line per request, with what an operator searches logs for. In `dev`
//! and `prod` the line is a JSON object (`APP_ENV`), ready for a log collector.

use std::sync::Arc;
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response};

// ANCHOR: access_log
/// Logs method, path, status, duration and client address of every request. The query
/// string is left out: it may carry keys and signatures.
pub async fn access_log<E: Endpoint>(inner: Arc<E>, req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let client = req.remote_addr().to_string();
    let response = match inner.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    tracing::info!(
        target: "access",
        %method,
        path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        client,
        "request"
    );
    Ok(response)
}
// ANCHOR_END: access_log
