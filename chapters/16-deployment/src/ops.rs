//! The operations deployment adds: liveness and readiness for orchestrators, and the
//! caller's address as the service sees it.

use std::time::Duration;

use ch14_bigger_application::database::Db;
use kit::Detail;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use crate::proxies::ClientAddr;

/// The group of these operations in `/docs`.
#[derive(Debug, Tags)]
pub enum Tag {
    /// For orchestrators, load balancers and operators: is the process alive, can it serve,
    /// who is calling, what is running.
    Operations,
}

// ANCHOR: models
/// A probe's answer.
#[derive(Debug, Object)]
pub struct Status {
    /// `ok` (alive) or `ready` (can serve).
    pub status: String,
}

/// `GET /ready`: the database answers, or it does not.
#[derive(Debug, ApiResponse)]
pub enum Readiness {
    /// The service can serve requests: the database answered.
    #[oai(status = 200)]
    Ready(Json<Status>),
    /// The database did not answer in time; send traffic elsewhere for now.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

/// The caller, as the service sees it.
#[derive(Debug, Object)]
pub struct WhoAmI {
    /// The client's IP address: the TCP peer, or, behind a trusted proxy, the address the
    /// proxy forwarded.
    pub client: String,
}
// ANCHOR_END: models

// ANCHOR: probes
/// The probes: called every few seconds by orchestrators, so left out of the access log, and
/// answered whatever `Host` they name (see `crate::app`).
pub const PROBES: &[&str] = &["/health", "/ready"];

/// Whether `path` is one of the [`PROBES`] (with or without a trailing slash).
pub fn is_probe(path: &str) -> bool {
    PROBES.contains(&path.trim_end_matches('/'))
}
// ANCHOR_END: probes

// ANCHOR: readiness_timeout
/// A readiness probe that waits longer than its orchestrator is useless: answer within this.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);
// ANCHOR_END: readiness_timeout

/// The operations router.
#[derive(Debug)]
pub struct OpsApi;

// ANCHOR: ops
#[OpenApi(tag = "Tag::Operations")]
impl OpsApi {
    /// Liveness
    ///
    /// 200 whenever the process can answer at all. It looks at nothing else: an orchestrator
    /// restarts a process whose liveness fails, and restarting will not bring a database back.
    /// Not written to the access log.
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> Json<Status> {
        Json(Status {
            status: "ok".to_owned(),
        })
    }

    /// Readiness
    ///
    /// 200 when the database answers `SELECT 1` within two seconds; 503 otherwise, and the
    /// process keeps running. A load balancer sends traffic only to ready instances. Not
    /// written to the access log.
    #[oai(path = "/ready", method = "get")]
    async fn ready(&self, db: Data<&Db>) -> Readiness {
        let problem = match tokio::time::timeout(READY_TIMEOUT, db.ping()).await {
            Ok(Ok(())) => {
                return Readiness::Ready(Json(Status {
                    status: "ready".to_owned(),
                }));
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!("no answer within {} s", READY_TIMEOUT.as_secs()),
        };
        tracing::warn!(problem, "not ready: the database is unavailable");
        Readiness::Unavailable(Json(Detail::new("Database unavailable")))
    }

    /// The caller's address
    ///
    /// The caller's address as the service sees it, and logs it: behind a trusted proxy,
    /// the address the proxy forwarded; otherwise the connection's own, whatever
    /// `X-Forwarded-For` says.
    #[oai(path = "/whoami", method = "get")]
    async fn whoami(&self, client: Data<&ClientAddr>) -> Json<WhoAmI> {
        Json(WhoAmI {
            client: client.0.0.clone(),
        })
    }
}
// ANCHOR_END: ops
