//! Around every request: how long it took (`X-Process-Time`), and one line in the access log.

use std::sync::Arc;
use std::time::Instant;

use poem::http::HeaderValue;
use poem::{Endpoint, Middleware, Request, Response};

use crate::errors::ERROR_CODE_HEADER;

// ANCHOR: process_time
/// FastAPI's first middleware, `add_process_time_header`, as a function for
/// `EndpointExt::around`: it gets the rest of the app (`next`) and the request, and returns
/// the response, with the seconds it took in `X-Process-Time`.
pub(crate) async fn add_process_time_header<E: Endpoint>(
    next: Arc<E>,
    req: Request,
) -> poem::Result<Response> {
    let start = Instant::now();
    let mut response = crate::call(next.as_ref(), req).await?;
    let seconds = start.elapsed().as_secs_f64();
    if let Ok(value) = HeaderValue::from_str(&format!("{seconds:.6}")) {
        response.headers_mut().insert("x-process-time", value);
    }
    Ok(response)
}
// ANCHOR_END: process_time

// ANCHOR: access_log
/// One structured line per request, at target `access`: method, path, status, duration,
/// client address, the request id (exercise 1) and the error code when there is one. With
/// `LOG_FORMAT=json` each line is a JSON object; `RUST_LOG=access=off` silences them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccessLog;

impl<E: Endpoint> Middleware<E> for AccessLog {
    type Output = AccessLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AccessLogEndpoint { inner }
    }
}

/// The endpoint made by [`AccessLog`].
#[derive(Debug)]
pub(crate) struct AccessLogEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for AccessLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let start = Instant::now();
        let method = req.method().clone();
        // The path only: a query string may carry secrets.
        let path = req.uri().path().to_owned();
        let client = match req.remote_addr().as_socket_addr() {
            Some(addr) => addr.to_string(),
            None => req.remote_addr().to_string(),
        };
        let request_id = header_text(req.headers().get("x-request-id"));
        let response = crate::call(&self.inner, req).await?;
        tracing::info!(
            target: "access",
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            duration = start.elapsed().as_secs_f64(),
            client = %client,
            request_id = %request_id,
            error_code = %header_text(response.headers().get(ERROR_CODE_HEADER)),
            "request"
        );
        Ok(response)
    }
}

/// A header's value for the log, `-` when it is absent (the values logged here are ours).
fn header_text(value: Option<&HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}
// ANCHOR_END: access_log
