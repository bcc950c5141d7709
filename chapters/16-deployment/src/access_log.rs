//! The access log of the deployed service: chapter 14's line per request, with the client's
//! real address behind a proxy (and the request's id, exercise 3), without the health checks.

use std::sync::Arc;
use std::time::Instant;

use ch14_bigger_application::security::limits::ClientIp;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::exercises;
use crate::ops::is_probe;
use crate::proxies::{ClientAddr, Proxies, peer_ip};

// ANCHOR: access_log
/// Works out who the client is (see [`Proxies::client`]), hands it to the handlers as
/// [`ClientAddr`] (and to chapter 14's login limits as [`ClientIp`]), and logs method, path, status, duration and client of every request but
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
    let client_ip = peer.map(|peer| proxies.client(peer, req.headers()));
    let client = client_ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let peer = peer.map_or_else(|| "unknown".to_owned(), |peer| peer.to_string());
    let request_id = exercises::request_id(&req, from_proxy);
    req.set_data(ClientAddr(client.clone()));
    // Chapter 14's limits on logins count this client, not the proxy every request comes
    // through.
    if let Some(ip) = client_ip {
        req.set_data(ClientIp(ip));
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut response = match inner.call(req).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    if let Some(id) = &request_id {
        exercises::answer_request_id(&mut response, id);
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
