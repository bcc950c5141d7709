//! The access log of the deployed service: chapter 14's line per request, with the client's
//! real address behind a proxy and the request's id, and without the health checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::ops::is_probe;
use crate::proxies::{ClientAddr, Proxies, peer_ip};

// ANCHOR: access_log
/// Works out who the client is (see [`Proxies::client`]), hands it to the handlers as
/// [`ClientAddr`], and logs method, path, status, duration and client of every request but
/// the probes, which orchestrators call every few seconds: a line for each would bury the
/// requests people make. The query string is left out: it may carry keys and signatures.
pub async fn access_log<E: Endpoint>(
    inner: Arc<E>,
    mut req: Request,
    proxies: Proxies,
) -> poem::Result<Response> {
    let started = Instant::now();
    let peer = peer_ip(req.remote_addr());
    let from_proxy = peer.is_some_and(|peer| proxies.trusts_peer(peer));
    let (client, peer) = match peer {
        Some(peer) => (
            proxies.client(peer, req.headers()).to_string(),
            peer.to_string(),
        ),
        None => ("unknown".to_owned(), "unknown".to_owned()),
    };
    let request_id = request_id(&req, from_proxy);
    req.set_data(ClientAddr(client.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut response = match inner.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    if !is_probe(&path) {
        tracing::info!(
            target: "access",
            %method,
            path,
            status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            client,
            peer,
            request_id,
            "request"
        );
    }
    Ok(response)
}
// ANCHOR_END: access_log

// ANCHOR: request_id
/// The header that carries a request's id (exercise 3).
pub const REQUEST_ID: &str = "x-request-id";

/// The request's id: the one a trusted proxy sent (nginx's `$request_id`), so that nginx's
/// log and this one name a request alike; else a new random one. A client's own id is not
/// taken: it could reuse another request's, and muddle the logs.
fn request_id(req: &Request, from_proxy: bool) -> String {
    let forwarded = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_plain_id(id));
    match (from_proxy, forwarded) {
        (true, Some(id)) => id.to_owned(),
        _ => new_request_id(),
    }
}

/// Letters, digits, `-`, `_` and `.`, at most 128 of them: safe in a header and a log line.
fn is_plain_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// 128 random bits in hex, as nginx's `$request_id`. Should the system's generator fail, a
/// counter still tells the requests of this process apart.
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
// ANCHOR_END: request_id

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken() {
        assert!(is_plain_id("3f2a9c0d1e-req_1.2"));
        assert!(!is_plain_id(""));
        assert!(!is_plain_id("a b"));
        assert!(!is_plain_id("id\"\nforged log line"));
        assert!(!is_plain_id(&"a".repeat(129)));
    }

    #[test]
    fn new_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
