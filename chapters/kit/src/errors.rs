//! Every error answered as FastAPI answers it: JSON with a `detail` member.
//!
//! Errors come from three places, and each is caught where it is still known what it was:
//! - inside an operation (bad input, an error the handler returns): [`crate::FastapiErrors`];
//! - around the whole app (no such route, wrong method, a body over the limit, a panic):
//!   [`Conventions`], the outermost layer that [`crate::mount`] puts on;
//! - the shape of the answer is made in one place, [`crate::body`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use poem::error::NotFoundError;
use poem::http::{Method, StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

use crate::body::{JSON, detail, is_json_response, standard_message};
use crate::inputs::LastQueryValues;
use crate::route::{self, Template};
// Kept here too, where the chapters found them before the bodies had a module of their own.
pub use crate::body::{BodyTooLarge, error_response};

/// Largest accepted request body, except for multipart uploads.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest accepted `multipart/form-data` request, all files included.
pub const MULTIPART_LIMIT: usize = 10 * 1024 * 1024;

/// FastAPI's `HTTPException`: an error with a status, a `detail` and optional headers, which a
/// handler or a guard returns to stop the request.
///
/// ```
/// use poem::http::StatusCode;
///
/// let err: poem::Error = kit::HttpException::new(StatusCode::UNAUTHORIZED, "Not authenticated")
///     .header("WWW-Authenticate", "Bearer")
///     .into();
/// assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
/// ```
#[derive(Debug, Clone)]
pub struct HttpException {
    status: StatusCode,
    detail: String,
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
}

impl HttpException {
    /// An error answered with `status` and `{"detail": detail}`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header to the answer (`WWW-Authenticate`, say). A name or value that is not
    /// valid in HTTP is a programming error and panics at once, where it is written.
    pub fn header(mut self, name: &'static str, value: impl AsRef<str>) -> Self {
        let name = header::HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("not a valid header name: {name:?}"));
        let value = header::HeaderValue::from_str(value.as_ref()).unwrap_or_else(|_| {
            panic!("not a valid value for header {name}: {:?}", value.as_ref())
        });
        self.headers.push((name, value));
        self
    }

    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `detail` of the answer.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl poem::IntoResponse for HttpException {
    fn into_response(self) -> Response {
        let mut response = detail(self.status, self.detail);
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

impl From<HttpException> for poem::Error {
    fn from(exception: HttpException) -> Self {
        poem::Error::from_response(exception.into_response())
    }
}

/// The house conventions around a whole app: body limits, one trailing slash trimmed (and
/// no other path normalised), JSON bodies for the errors the router makes (404, 405 with
/// `Allow`), and the same for anything that escaped a handler.
#[derive(Debug, Clone, Default)]
pub struct Conventions {
    routes: Arc<Vec<RouteMethods>>,
    pages: Arc<Vec<String>>,
    queries: Option<Arc<LastQueryValues>>,
}

/// The methods declared for one path template, for the `Allow` header of a 405.
#[derive(Debug)]
struct RouteMethods {
    template: Template,
    methods: Vec<Method>,
}

impl Conventions {
    /// Conventions for an app whose operations are declared at these paths.
    pub fn new(paths: impl IntoIterator<Item = (String, Vec<Method>)>) -> Self {
        let routes = paths
            .into_iter()
            .map(|(template, methods)| RouteMethods {
                template: Template::new(&template),
                methods,
            })
            .collect();
        Self {
            routes: Arc::new(routes),
            pages: Arc::default(),
            queries: None,
        }
    }

    /// Of a query parameter that takes one value and is sent several times, the last counts.
    pub(crate) fn last_query_values(mut self, queries: LastQueryValues) -> Self {
        self.queries = Some(Arc::new(queries));
        self
    }

    /// The docs pages, whose address must not end with a slash: Swagger UI resolves the
    /// OAuth2 `tokenUrl` `token` against it, and `/docs/` would make it `/docs/token`. So
    /// `/docs/` is redirected to `/docs`, as FastAPI does.
    pub fn pages<'p>(mut self, pages: impl IntoIterator<Item = &'p str>) -> Self {
        self.pages = Arc::new(pages.into_iter().map(str::to_owned).collect());
        self
    }

    fn page_redirect(&self, req: &Request) -> Option<Response> {
        let path = req.uri().path();
        let page = path
            .strip_suffix('/')
            .filter(|p| self.pages.iter().any(|page| page == p))?;
        let location = match req.uri().query() {
            Some(query) => format!("{page}?{query}"),
            None => page.to_owned(),
        };
        Some(
            Response::builder()
                .status(StatusCode::TEMPORARY_REDIRECT)
                .header(header::LOCATION, location)
                .finish(),
        )
    }

    /// `GET, HEAD` for a path whose best matching template declares `GET`.
    fn allow(&self, path: &str) -> Option<String> {
        let best = route::best(path, &self.routes, |r| &r.template)?;
        let mut names: Vec<&str> = best.methods.iter().map(Method::as_str).collect();
        if best.methods.contains(&Method::GET) && !best.methods.contains(&Method::HEAD) {
            names.push("HEAD");
        }
        Some(names.join(", "))
    }
}

impl<E: Endpoint> Middleware<E> for Conventions {
    type Output = ConventionsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ConventionsEndpoint {
            inner,
            conventions: self.clone(),
        }
    }
}

/// The endpoint made by [`Conventions`].
#[derive(Debug)]
pub struct ConventionsEndpoint<E> {
    inner: E,
    conventions: Conventions,
}

impl<E: Endpoint> Endpoint for ConventionsEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let limit = body_limit(&req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Ok(error_response(BodyTooLarge.into()));
        }
        if let Some(redirect) = self.conventions.page_redirect(&req) {
            return Ok(redirect);
        }
        if has_empty_segment(req.uri().path()) {
            return Ok(error_response(NotFoundError.into()));
        }
        trim_trailing_slash(&mut req);
        let over_limit = limit_body(&mut req, limit);
        decode_unreserved(&mut req);
        trim_authorization(&mut req);
        if let Some(queries) = &self.conventions.queries {
            queries.apply(&mut req);
        }
        let path = req.uri().path().to_owned();

        let result = self.inner.call(req).await;
        if over_limit.is_some_and(|over| over.load(Ordering::Relaxed)) {
            return Ok(error_response(BodyTooLarge.into()));
        }
        let mut response = match result {
            Ok(output) => output.into_response(),
            Err(err) => error_response(err),
        };
        let status = response.status();
        if (status.is_client_error() || status.is_server_error()) && !is_json_response(&response) {
            let mut json = detail(status, standard_message(status));
            std::mem::swap(json.headers_mut(), response.headers_mut());
            json.headers_mut()
                .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(JSON));
            json.headers_mut().remove(header::CONTENT_LENGTH);
            response = json;
        }
        if status == StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = self.conventions.allow(&path)
            && let Ok(value) = header::HeaderValue::from_str(&allow)
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        Ok(response)
    }
}

/// `//`, `/items//1` and `/items//` name no route: a path is not normalised beyond its one
/// trailing slash, as FastAPI does not normalise it (poem's `NormalizePath` would merge the
/// slashes, and so answer a path that the app never declared).
fn has_empty_segment(path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    path.contains("//")
}

/// `/items/` is served as `/items`: poem-openapi trims the trailing slash from the paths it
/// declares, so both forms of a path answer alike.
fn trim_trailing_slash(req: &mut Request) {
    let path = req.uri().path();
    let Some(trimmed) = path.strip_suffix('/').filter(|p| !p.is_empty()) else {
        return;
    };
    let uri = match req.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    if let Ok(uri) = uri.parse() {
        *req.uri_mut() = uri;
    }
}

/// HTTP/1.1 strips the spaces around a header value, HTTP/2 may not: `Bearer   ` must be
/// "not authenticated" over both, so the spaces go before any scheme reads the header.
fn trim_authorization(req: &mut Request) {
    let headers = req.headers_mut();
    let values: Vec<header::HeaderValue> = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .cloned()
        .collect();
    if values
        .iter()
        .all(|v| v.as_bytes().trim_ascii() == v.as_bytes())
    {
        return;
    }
    headers.remove(header::AUTHORIZATION);
    for value in values {
        if let Ok(trimmed) = header::HeaderValue::from_bytes(value.as_bytes().trim_ascii()) {
            headers.append(header::AUTHORIZATION, trimmed);
        }
    }
}

/// `%63urrent` is `current` (RFC 3986, 6.2.2.2): letters, digits and `-._~` that arrive
/// percent-encoded are decoded before routing, so that an encoding cannot dodge a fixed route.
/// Other escapes, `%2F` among them, stay as they are.
fn decode_unreserved(req: &mut Request) {
    let path = req.uri().path();
    if !path.contains('%') {
        return;
    }
    let bytes = path.as_bytes();
    let mut decoded = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
            .filter(|b| b.is_ascii_alphanumeric() || b"-._~".contains(b));
        match escaped {
            Some(byte) => {
                decoded.push(char::from(byte));
                i += 3;
            }
            None => {
                decoded.push(char::from(bytes[i]));
                i += 1;
            }
        }
    }
    if decoded == path {
        return;
    }
    let uri = match req.uri().query() {
        Some(query) => format!("{decoded}?{query}"),
        None => decoded,
    };
    if let Ok(uri) = uri.parse() {
        *req.uri_mut() = uri;
    }
}

fn body_limit(req: &Request) -> usize {
    let multipart = req.content_type().is_some_and(|t| {
        t.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    if multipart {
        MULTIPART_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// Makes the body stop with an error past `limit` bytes, and returns a flag that says so.
/// The rest of the body is never read. An empty body is left as it is, with no flag.
fn limit_body(req: &mut Request, limit: usize) -> Option<Arc<AtomicBool>> {
    let body = req.take_body();
    if body.is_empty() {
        req.set_body(body);
        return None;
    }
    let over_limit = Arc::new(AtomicBool::new(false));
    let flag = over_limit.clone();
    let mut seen = 0usize;
    let stream = body.into_bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > limit {
            flag.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other(BodyTooLarge));
        }
        Ok(chunk)
    });
    req.set_body(Body::from_bytes_stream(stream));
    Some(over_limit)
}

/// The answer to a panic in a handler: a plain 500, the cause stays in the log.
pub(crate) fn panic_response(_cause: Box<dyn std::any::Any + Send>) -> Response {
    tracing::error!("a handler panicked; see the panic message above");
    detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}
