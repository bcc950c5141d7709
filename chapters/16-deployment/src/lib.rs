//! Chapter 16: the finished service, deployed.
//!
//! Chapter 14's application, unchanged, with what running it for real adds around it: static
//! files, liveness and readiness probes, settings from the environment and a file, the
//! client's address behind a proxy, an access log without the probes, and worker threads.

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
    let config = &settings.app;
    // Chapter 14's routers and state, with the operations of this chapter beside them.
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
/// `dev` and `prod`); `RUST_LOG` filters them as before. This runs before the rest of the
/// settings are read, so that what reading them logs is in the right format.
pub fn init_logging(env: &kit::Env) -> Result<(), kit::ConfigError> {
    let format = match settings::log_format(env)? {
        LogFormat::Text => "text",
        LogFormat::Json => "json",
    };
    let mut pairs = vec![("LOG_FORMAT", format.to_owned())];
    if let Some(filter) = env.get("RUST_LOG") {
        pairs.push(("RUST_LOG", filter));
    }
    kit::serve::init_logging(&kit::Env::from_pairs(pairs));
    Ok(())
}
// ANCHOR_END: init_logging
