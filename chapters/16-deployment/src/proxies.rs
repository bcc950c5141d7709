//! Who the client is, behind a reverse proxy.
//!
//! Behind nginx, every connection comes from nginx: the TCP peer is the proxy, and the
//! client's address is in a header the proxy adds (`X-Forwarded-For: client, proxy1`). But a
//! client can send that header too, with any address in it. So the header is believed only
//! when the peer is one of `TRUSTED_PROXIES`, and only as far as trusted proxies vouch for it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use poem::http::HeaderMap;
use poem::web::RemoteAddr;

use crate::settings::ProxyHeader;

// ANCHOR: client_addr
/// The client's address as the service believes it (`unknown` when the peer is not an IP
/// socket); put in each request by the access log, read by `GET /whoami`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// The proxies whose forwarding header is believed, and which header that is.
#[derive(Debug, Clone)]
pub struct Proxies {
    trusted: Arc<Vec<IpNet>>,
    header: ProxyHeader,
}

impl Proxies {
    /// Believes `header` from the peers in `trusted`, and from nobody else.
    pub fn new(trusted: &[IpNet], header: ProxyHeader) -> Self {
        Self {
            trusted: Arc::new(trusted.to_vec()),
            header,
        }
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&addr))
    }

    /// Whether the TCP peer is one of the trusted proxies.
    pub fn trusts_peer(&self, peer: IpAddr) -> bool {
        self.trusts(peer.to_canonical())
    }

    /// The client's address: the TCP peer, unless the peer is a trusted proxy; then the
    /// address it forwarded, and so on leftwards while the hop is a trusted proxy too. The
    /// first untrusted address from the right is the client: anything left of it was
    /// written by the client itself, and may be a lie.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        for hop in self.hops(headers).into_iter().rev() {
            if !self.trusts(client) {
                break;
            }
            match hop {
                Some(addr) => client = addr.to_canonical(),
                // `unknown`, a hidden name or garbage: nothing further left can be checked.
                None => break,
            }
        }
        client
    }

    /// The addresses in the forwarding header, left (the original client) to right (the
    /// last proxy); `None` for an entry that is not an address.
    fn hops(&self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let (name, field) = match self.header {
            ProxyHeader::XForwardedFor => ("x-forwarded-for", None),
            ProxyHeader::Forwarded => ("forwarded", Some("for")),
        };
        let mut hops = Vec::new();
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else {
                hops.push(None);
                continue;
            };
            for entry in value.split(',') {
                let text = match field {
                    None => Some(entry.trim()),
                    Some(field) => forwarded_param(entry, field),
                };
                hops.push(text.and_then(parse_addr));
            }
        }
        hops
    }
}

/// The value of `name` in one element of a `Forwarded` header:
/// `for=192.0.2.60;proto=http;by=203.0.113.43` → `192.0.2.60`.
fn forwarded_param<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

/// `192.0.2.60`, `2001:db8::1`, and with a port: `192.0.2.60:4711`, `[2001:db8::1]:4711`.
fn parse_addr(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

/// The TCP peer's address, if the request came over TCP.
pub fn peer_ip(remote: &RemoteAddr) -> Option<IpAddr> {
    remote.as_socket_addr().map(SocketAddr::ip)
}
// ANCHOR_END: client_addr

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn proxies(list: &[&str], header: ProxyHeader) -> Proxies {
        let nets: Vec<IpNet> = list.iter().map(|n| n.parse().unwrap()).collect();
        Proxies::new(&nets, header)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peers_header_is_ignored() {
        let p = proxies(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(p.client(ip("198.51.100.7"), &spoofed), ip("198.51.100.7"));
    }

    #[test]
    fn the_rightmost_untrusted_address_is_the_client() {
        let p = proxies(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        // The client wrote `1.2.3.4` itself; the trusted proxies added the rest.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn several_header_lines_are_one_list() {
        let p = proxies(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_last_trusted_hop() {
        let p = proxies(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "1.2.3.4, nonsense, 10.0.0.2")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_is_read_only_when_it_is_the_configured_header() {
        let h = headers(&[
            (
                "forwarded",
                r#"for="[2001:db8::7]:4711";proto=https, for=10.0.0.2"#,
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        let forwarded = proxies(&["10.0.0.0/8"], ProxyHeader::Forwarded);
        assert_eq!(forwarded.client(ip("10.0.0.1"), &h), ip("2001:db8::7"));
        let xff = proxies(&["10.0.0.0/8"], ProxyHeader::XForwardedFor);
        assert_eq!(xff.client(ip("10.0.0.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn an_ipv4_peer_seen_through_ipv6_is_still_trusted() {
        let p = proxies(&["127.0.0.1/32"], ProxyHeader::XForwardedFor);
        let h = headers(&[("x-forwarded-for", "192.0.2.1")]);
        assert_eq!(p.client(ip("::ffff:127.0.0.1"), &h), ip("192.0.2.1"));
    }

    #[test]
    fn addresses_come_with_or_without_ports() {
        assert_eq!(parse_addr("192.0.2.60:4711"), Some(ip("192.0.2.60")));
        assert_eq!(parse_addr("[2001:db8::1]:4711"), Some(ip("2001:db8::1")));
        assert_eq!(parse_addr("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_addr("unknown"), None);
        assert_eq!(parse_addr("_hidden"), None);
    }
}
