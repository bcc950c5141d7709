//! CORS: which web pages, served from other origins, may read this service's answers in a
//! browser (Starlette's `CORSMiddleware` with a list of origins, credentials allowed, any
//! method and any header).
//!
//! poem has a `Cors` middleware, but it answers differently from the contract: a refused
//! origin is a `403` (here a `400 {"detail": "Disallowed CORS origin"}`) on every request, not
//! only on preflights, and an origin from an exact list gets no `Vary: Origin`. So this one is
//! written out; it is short.

use std::sync::Arc;

use poem::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::errors::ApiError;

/// `CORS_ORIGINS` when it is not set: the tutorial's list.
pub(crate) const DEFAULT_CORS_ORIGINS: &str = "http://localhost.tiangolo.com,https://localhost.tiangolo.com,\
     http://localhost,http://localhost:8080";

/// How long a browser may keep a preflight's answer, in seconds (Starlette's default).
const MAX_AGE: &str = "600";

/// The methods a preflight's answer lists, besides the one asked for.
const METHODS: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

/// The answer headers a page's script may read, besides the simple ones.
const EXPOSED: &str = "X-Process-Time, X-Request-Id, X-Error-Code";

// ANCHOR: origins
/// The CORS middleware: the origins whose pages may call this service with credentials.
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Arc<[String]>,
}

impl Cors {
    /// Reads a comma-separated list such as `http://localhost:8080,https://app.example.com`.
    /// An empty list allows no origin.
    pub fn from_list(list: &str) -> Result<Self, String> {
        let origins = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(parse_origin)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            origins: origins.into(),
        })
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        self.origins
            .iter()
            .any(|o| o.as_bytes() == origin.as_bytes())
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, lower case, nothing after.
fn parse_origin(entry: &str) -> Result<String, String> {
    if entry == "*" {
        return Err(
            "`*` cannot be used: credentials are allowed, so browsers need the \
                    origin itself (list each origin instead)"
                .into(),
        );
    }
    let origin = entry.to_ascii_lowercase();
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let well_formed =
        authority.is_some_and(|a| !a.is_empty() && !a.contains(['/', '?', '#', '@', ' ', '*']));
    if well_formed {
        Ok(origin)
    } else {
        Err(format!(
            "{entry:?} is not an origin: write `http://host` or `https://host:port`, \
             with no path and no trailing slash"
        ))
    }
}
// ANCHOR_END: origins

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CorsEndpoint {
            inner,
            cors: self.clone(),
        }
    }
}

/// The endpoint made by [`Cors`].
#[derive(Debug)]
pub struct CorsEndpoint<E> {
    inner: E,
    cors: Cors,
}

// ANCHOR: endpoint
impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
            // Not a cross-origin request from a browser: nothing to add.
            let mut response = crate::call(&self.inner, req).await?;
            vary_on_origin(response.headers_mut());
            return Ok(response);
        };
        let allowed = self.cors.allows(&origin);
        let mut response = if is_preflight(&req) {
            // The browser asks before it sends: answered here, the app never sees it.
            preflight(&req, origin, allowed)
        } else {
            // Served to anyone; only an allowed origin's page may read it.
            let mut response = crate::call(&self.inner, req).await?;
            if allowed {
                let headers = response.headers_mut();
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                allow_credentials(headers);
                headers.insert(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static(EXPOSED),
                );
            }
            response
        };
        vary_on_origin(response.headers_mut());
        Ok(response)
    }
}

/// A preflight is an `OPTIONS` request that names the method it is asking about.
fn is_preflight(req: &Request) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight: allowed, with what is allowed, or refused.
fn preflight(req: &Request, origin: HeaderValue, allowed: bool) -> Response {
    if !allowed {
        return ApiError::DisallowedCorsOrigin.into_response();
    }
    // Any method is allowed; the answer lists the usual ones and the one asked for.
    let asked = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| Method::from_bytes(v.as_bytes()).ok());
    let Some(method) = asked else {
        return ApiError::DisallowedCorsMethod.into_response();
    };
    let methods = if METHODS.split(", ").any(|m| m == method.as_str()) {
        HeaderValue::from_static(METHODS)
    } else {
        HeaderValue::from_str(&format!("{METHODS}, {method}"))
            .unwrap_or_else(|_| HeaderValue::from_static(METHODS))
    };
    let mut response = Response::builder().status(StatusCode::OK).finish();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    allow_credentials(headers);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods);
    // Any header is allowed: the answer names the ones asked for. (`*` would not do: with
    // credentials, browsers read it as a header called `*`.)
    if let Some(asked) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    response
}

fn allow_credentials(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
}

/// The answer depends on `Origin`, so a cache must not give one origin's answer to another:
/// `Vary: Origin` on every answer, kept with any `Vary` the app set.
fn vary_on_origin(headers: &mut HeaderMap) {
    let already = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("origin") || name.trim() == "*");
    if !already {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}
// ANCHOR_END: endpoint

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_list_is_the_tutorials() {
        let cors = Cors::from_list(DEFAULT_CORS_ORIGINS).expect("valid");
        assert_eq!(
            &*cors.origins,
            [
                "http://localhost.tiangolo.com",
                "https://localhost.tiangolo.com",
                "http://localhost",
                "http://localhost:8080"
            ]
        );
    }

    #[test]
    fn a_wildcard_a_path_or_another_scheme_is_refused() {
        for list in [
            "*",
            "http://localhost:8080/",
            "localhost:8080",
            "ftp://localhost",
            "http://",
            "http://*.example.com",
        ] {
            assert!(Cors::from_list(list).is_err(), "{list:?}");
        }
    }

    #[test]
    fn origins_are_compared_exactly_as_browsers_send_them() {
        let cors = Cors::from_list("HTTP://Localhost:8080").expect("valid");
        assert!(cors.allows(&HeaderValue::from_static("http://localhost:8080")));
        for other in [
            "http://localhost",
            "http://localhost:8081",
            "https://localhost:8080",
            "http://localhost:8080/",
            "null",
        ] {
            assert!(!cors.allows(&HeaderValue::from_static(other)), "{other}");
        }
    }
}
