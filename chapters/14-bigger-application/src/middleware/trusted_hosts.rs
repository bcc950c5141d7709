//! Trusted hosts: a request must name one of the service's own host names in `Host`.
//!
//! Behind a proxy that forwards any host name, an attacker can make the service build links
//! (password-reset mails, redirects) to a host of theirs; a short list closes that door.
//! Starlette's `TrustedHostMiddleware`, as chapter 11 builds it.

use std::sync::Arc;

use poem::http::{StatusCode, header};
use poem::{Endpoint, Middleware, Request, Response};

// ANCHOR: trusted_hosts
/// The middleware: built from `TRUSTED_HOSTS` (`api.example.com`, `*.example.com`, `*`).
#[derive(Debug, Clone)]
pub struct TrustedHosts {
    allowed: Arc<Vec<String>>,
}

impl TrustedHosts {
    /// Trusts exactly these names (lower case); `*.x` is any subdomain of `x`, at any depth.
    pub fn new(allowed: &[String]) -> Self {
        Self {
            allowed: Arc::new(allowed.to_vec()),
        }
    }

    fn trusts(&self, host: &str) -> bool {
        self.allowed
            .iter()
            .any(|pattern| match pattern.strip_prefix('*') {
                Some("") => true,
                Some(suffix) => host.ends_with(suffix) && host.len() > suffix.len(),
                None => pattern == host,
            })
    }
}

/// The host a request names, lower case and without its port: from `Host`, or, over
/// HTTP/2, from the request's URI.
fn requested_host(req: &Request) -> Option<String> {
    let authority = match req.headers().get(header::HOST) {
        Some(value) => value.to_str().ok()?.to_owned(),
        None => req.uri().authority()?.as_str().to_owned(),
    };
    let host = match authority.strip_prefix('[') {
        // An IPv6 address keeps its brackets: `[::1]:8000` is `[::1]`.
        Some(rest) => format!("[{}]", rest.split(']').next()?),
        None => authority.split(':').next()?.to_owned(),
    };
    Some(host.to_ascii_lowercase())
}
// ANCHOR_END: trusted_hosts

impl<E: Endpoint> Middleware<E> for TrustedHosts {
    type Output = TrustedHostsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        TrustedHostsEndpoint {
            inner,
            hosts: self.clone(),
        }
    }
}

/// The endpoint made by [`TrustedHosts`].
#[derive(Debug)]
pub struct TrustedHostsEndpoint<E> {
    inner: E,
    hosts: TrustedHosts,
}

impl<E: Endpoint> Endpoint for TrustedHostsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !requested_host(&req).is_some_and(|host| self.hosts.trusts(&host)) {
            return Ok(kit::detail(StatusCode::BAD_REQUEST, "Invalid host header"));
        }
        self.inner
            .call(req)
            .await
            .map(poem::IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[&str]) -> TrustedHosts {
        TrustedHosts::new(&list.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn a_wildcard_is_any_subdomain_but_not_the_domain() {
        let trusted = hosts(&["*.example.com"]);
        assert!(trusted.trusts("api.example.com"));
        assert!(trusted.trusts("a.b.example.com"));
        assert!(!trusted.trusts("example.com"));
        assert!(!trusted.trusts("evil-example.com"));
        assert!(!trusted.trusts("example.com.evil.org"));
    }

    #[test]
    fn a_star_alone_is_any_host() {
        assert!(hosts(&["*"]).trusts("anything.at.all"));
    }

    #[test]
    fn the_port_and_the_case_do_not_count() {
        let host = |value: &str| {
            let req = Request::builder().header("host", value).finish();
            requested_host(&req)
        };
        assert_eq!(host("LocalHost:8000").as_deref(), Some("localhost"));
        assert_eq!(host("[::1]:8000").as_deref(), Some("[::1]"));
        assert_eq!(host("127.0.0.1").as_deref(), Some("127.0.0.1"));
    }
}
