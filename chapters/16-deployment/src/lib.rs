//! Chapter 16: the finished service, deployed.
//!
//! Chapter 14's application, unchanged, with what running it for real adds around it: static
//! files, liveness and readiness probes, settings from the environment and a file, the
//! client's address behind a proxy, an access log without the probes, and worker threads.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the modules, `app` (chapter 14's application with this chapter's pieces
//!    around it), and `init_logging`.
//! 2. `settings.rs`: the settings, from flags, the environment and a file.
//! 3. `main.rs`: reads the settings, starts the logs and a runtime with its worker threads, serves.
//! 4. `ops.rs`: liveness, readiness, and the caller's address as the service sees it.
//! 5. `access_log.rs`: chapter 14's access log with the client's real address, without the probes.
//! 6. `static_files.rs`: `GET /static/...`, and nothing outside its folder.
//! 7. `proxies.rs`: who the client is, behind a reverse proxy.
//! 8. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!    (`scripts/learn start 16`) has stubs in its place.

// ANCHOR: modules
pub mod access_log;
mod exercises;
pub mod ops;
pub mod proxies;
pub mod settings;
pub mod static_files;
// ANCHOR_END: modules

use std::sync::Arc;

use ch14_bigger_application::{State, routes};
use kit::StartError;
use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt, Middleware, Request, Response};
use poem_openapi::OpenApiService;

pub use settings::Settings;

use access_log::access_log;
use exercises::VersionApi;
use ops::OpsApi;
use proxies::Proxies;
use settings::LogFormat;
use static_files::StaticFiles;

/// The service's name, in the document.
pub const TITLE: &str = "Bigger application, deployed";

const DESCRIPTION: &str = "\
Chapter 16 of the **Poem API Workbook**: chapter 14's service as it runs in production.

Everything of chapter 14 (accounts, API keys, signed service requests), plus the operations
that orchestrators and operators call: `GET /health`, `GET /ready`, `GET /whoami`, and
`GET /version` (exercise 1).
Static files are served at `/static/` (not listed here: they are files, not operations).";

// ANCHOR: app
/// The whole deployed service, from its settings.
pub async fn app(settings: &Settings) -> Result<BoxEndpoint<'static>, StartError> {
    // Chapter 14's settings, checked; then its routers and state, with the operations of this
    // chapter beside them.
    let config = &settings.config()?;
    let state = State::connect(config).await?;
    let api = (routes::api(), OpsApi, VersionApi);
    let service = OpenApiService::new(
        kit::FastapiErrors(api),
        TITLE,
        ch14_bigger_application::VERSION,
    )
    .description(DESCRIPTION);
    let api = Arc::new(state.provide(kit::mount(service, &config.docs)).boxed());
    // Chapter 11's check, with chapter 14's list.
    let trusted_hosts = config.trusted_hosts.clone();
    let site = Site {
        probes: api.clone().boxed(),
        static_files: trusted_hosts
            .transform(StaticFiles::new(&settings.static_dir))
            .boxed(),
        api: trusted_hosts.transform(api).boxed(),
    };
    let proxies = Proxies::new(&settings.trusted_proxies, settings.proxy_header);
    let app = site.around(move |inner, req| access_log(inner, req, proxies.clone()));
    tracing::info!(
        env = config.app_env.name(),
        static_dir = %settings.static_dir.display(),
        "service ready"
    );
    Ok(app.boxed())
}

/// Where a request goes, by its path.
struct Site {
    /// `/health` and `/ready`: the API, without the trusted-host check, because probes come
    /// from orchestrators that name the instance by its IP address (`Host: 10.1.2.3:8000`),
    /// not by the public host name.
    probes: BoxEndpoint<'static>,
    /// `/static/…`: the files.
    static_files: BoxEndpoint<'static>,
    /// Everything else: the API and its docs, for trusted host names only.
    api: BoxEndpoint<'static>,
}

impl Endpoint for Site {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        if ops::is_probe(path) {
            self.probes.call(req).await
        } else if path.starts_with(static_files::PREFIX) {
            self.static_files.call(req).await
        } else {
            self.api.call(req).await
        }
    }
}
// ANCHOR_END: app

// ANCHOR: init_logging
/// Starts the logs in the format `LOG_FORMAT` asks for (by default, text locally and JSON in
/// `dev` and `prod`); `RUST_LOG` filters them as before. This runs once the settings are read
/// and before chapter 14's are checked, so that what checking them logs is in the right format.
pub fn init_logging(settings: &Settings) {
    let format = match settings.log_format {
        LogFormat::Text => "text",
        LogFormat::Json => "json",
    };
    let mut pairs = vec![("LOG_FORMAT", format.to_owned())];
    if let Some(filter) = &settings.rust_log {
        pairs.push(("RUST_LOG", filter.clone()));
    }
    kit::serve::init_logging(&kit::Env::from_pairs(pairs));
}
// ANCHOR_END: init_logging
