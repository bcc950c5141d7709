//! Trusted hosts: a request must name one of the service's own host names in `Host`
//! (Starlette's `TrustedHostMiddleware`), else it is refused before anything else looks at it.
//!
//! Why: code that builds links, redirects or password-reset mails from `Host` would otherwise
//! write whatever host an attacker sent (host header injection), and a cache in front could
//! keep that answer for everyone.

use std::net::Ipv6Addr;
use std::sync::Arc;

use poem::http::header;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::errors::ApiError;

/// `TRUSTED_HOSTS` when it is not set.
pub(crate) const DEFAULT_TRUSTED_HOSTS: &str = "localhost,127.0.0.1,*.example.com";

// ANCHOR: pattern
/// One entry of the trusted list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// `*`: any host at all (Starlette's default, and no protection).
    Any,
    /// `localhost`: this host only.
    Exact(String),
    /// `*.example.com`: any host under `example.com`, at any depth, but not `example.com`;
    /// kept as the suffix `.example.com`.
    Subdomains(String),
}

impl HostPattern {
    fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        if entry == "*" {
            return Ok(Self::Any);
        }
        let (wildcard, name) = match entry.strip_prefix("*.") {
            Some(domain) => (true, domain),
            None => (false, entry),
        };
        match (authority(name), wildcard) {
            (Some((host, None)), false) => Ok(Self::Exact(host)),
            (Some((host, None)), true) if !host.starts_with('[') => {
                Ok(Self::Subdomains(format!(".{host}")))
            }
            _ => Err(format!(
                "{entry:?} is not a host name, `*.` and a domain, or `*` \
                 (no scheme, port or path: `localhost`, `*.example.com`)"
            )),
        }
    }

    fn matches(&self, host: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(name) => host == name,
            Self::Subdomains(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
        }
    }
}

/// Reads a `Host` value as RFC 9110 §7.2 defines it: `host [":" port]`, the host written as
/// in an RFC 3986 authority (§3.2.2), an IPv6 address in brackets or a name of dot-separated
/// labels (an IPv4 address is one), and the port all digits. Nothing else: no user part
/// (`user@`), no path, no second colon, nothing after `]`. Answers the host in lower case
/// (an IPv6 address in its shortest form, `[::1]`) and the port if there is one.
fn authority(value: &str) -> Option<(String, Option<&str>)> {
    let (host, port) = match value.strip_prefix('[') {
        Some(rest) => {
            let (inside, after) = rest.split_once(']')?;
            let address: Ipv6Addr = inside.parse().ok()?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?),
            };
            (format!("[{address}]"), port)
        }
        None => {
            let (name, port) = match value.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (value, None),
            };
            let label = |label: &str| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            if !name.split('.').all(label) {
                return None;
            }
            (name.to_ascii_lowercase(), port)
        }
    };
    let digits = |port: &str| port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
    port.is_none_or(digits).then_some((host, port))
}
// ANCHOR_END: pattern

// ANCHOR: middleware
/// The trusted-host middleware: the allowed hosts, and the paths that skip the check.
#[derive(Debug, Clone)]
pub struct TrustedHosts {
    allowed: Arc<[HostPattern]>,
    except_paths: Arc<[String]>,
}

impl TrustedHosts {
    /// Reads a comma-separated list such as `localhost,*.example.com`.
    pub fn from_list(list: &str) -> Result<Self, String> {
        let allowed = list
            .split(',')
            .filter(|entry| !entry.trim().is_empty())
            .map(HostPattern::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if allowed.is_empty() {
            return Err("lists no host: every request would be refused (`*` allows any)".into());
        }
        Ok(Self {
            allowed: allowed.into(),
            except_paths: Arc::new([]),
        })
    }

    /// Lets requests for exactly these paths through whatever their `Host` (the source
    /// material's `except_path`: a load balancer's health check calls by IP address).
    pub fn except_paths(mut self, paths: &[&str]) -> Self {
        self.except_paths = paths.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// Whether the list holds `*`, which trusts any host: no protection at all, and refused
    /// in production (chapter 14).
    pub fn allows_any(&self) -> bool {
        self.allowed.contains(&HostPattern::Any)
    }

    /// Whether every host the request names is trusted. HTTP/1.1 puts it in `Host`, and also
    /// in the request line when that is a full URL; HTTP/2 in the `:authority`. A request
    /// with no host, two `Host` headers, or a malformed one is not trusted.
    pub fn trusts(&self, req: &Request) -> bool {
        let hosts = req.headers().get_all(header::HOST);
        if hosts.iter().count() > 1 {
            return false;
        }
        let named: Vec<&[u8]> = hosts
            .iter()
            .map(|v| v.as_bytes())
            .chain(req.uri().authority().map(|a| a.as_str().as_bytes()))
            .collect();
        !named.is_empty()
            && named.iter().all(|value| {
                std::str::from_utf8(value)
                    .ok()
                    .and_then(authority)
                    .is_some_and(|(host, _)| self.allowed.iter().any(|p| p.matches(&host)))
            })
    }
}

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
        let excepted = self
            .hosts
            .except_paths
            .iter()
            .any(|p| p == req.uri().path());
        if !excepted && !self.hosts.trusts(&req) {
            return Ok(ApiError::InvalidHost.into_response());
        }
        crate::call(&self.inner, req).await
    }
}
// ANCHOR_END: middleware

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(list: &str, host: &str) -> bool {
        let hosts = TrustedHosts::from_list(list).expect("a valid list");
        let req = Request::builder().header(header::HOST, host).finish();
        hosts.trusts(&req)
    }

    #[test]
    fn a_wildcard_matches_subdomains_at_any_depth_but_not_the_domain() {
        for host in ["a.example.com", "a.b.c.example.com", "A.Example.COM:8443"] {
            assert!(trusted(DEFAULT_TRUSTED_HOSTS, host), "{host}");
        }
        for host in [
            "example.com",
            "aexample.com",
            "example.com.evil.net",
            ".example.com",
        ] {
            assert!(!trusted(DEFAULT_TRUSTED_HOSTS, host), "{host}");
        }
    }

    #[test]
    fn the_port_is_ignored_and_case_does_not_matter() {
        for host in [
            "localhost",
            "localhost:8000",
            "LOCALHOST",
            "127.0.0.1:1",
            "localhost:",
        ] {
            assert!(trusted(DEFAULT_TRUSTED_HOSTS, host), "{host}");
        }
    }

    #[test]
    fn malformed_hosts_are_refused() {
        for host in [
            "",
            "localhost:80:80",
            "localhost:http",
            "user@localhost",
            "localhost/x",
            "local host",
            "localhost..",
            "[::1",
            "localhost:123456",
            "localhost:80@evil.com",
            "[::1]evil.com",
            "[::1]:80:80",
            "[evil.com]",
            "evil.com/.example.com",
            "user@evil.com/.example.com",
        ] {
            assert!(!trusted(DEFAULT_TRUSTED_HOSTS, host), "{host:?}");
        }
    }

    #[test]
    fn ipv6_addresses_are_written_in_brackets() {
        assert!(trusted("[::1]", "[::1]:8000"));
        assert!(trusted("[::1]", "[::1]"));
        assert!(!trusted("[::1]", "[::2]"));
        // One address, however it is written.
        assert!(trusted("[::1]", "[0:0:0:0:0:0:0:1]:8000"));
        assert!(trusted("[0::1]", "[::1]"));
        assert!(trusted("[2001:DB8::1]", "[2001:db8:0::1]"));
    }

    #[test]
    fn a_bad_entry_is_refused_with_what_to_write() {
        for list in [
            "http://localhost",
            "localhost:8000",
            "*example.com",
            "a.*.com",
            " , ",
            "[::1]:8000",
            "*.[::1]",
            "user@localhost",
        ] {
            assert!(TrustedHosts::from_list(list).is_err(), "{list:?}");
        }
        assert!(TrustedHosts::from_list("*").is_ok_and(|hosts| hosts.allows_any()));
        assert!(!TrustedHosts::from_list(DEFAULT_TRUSTED_HOSTS).is_ok_and(|h| h.allows_any()));
    }
}
