//! Starting and stopping a chapter's server.
//!
//! Every chapter starts the same way: `--host`/`--port` (or `HOST`/`PORT`), default
//! `127.0.0.1:8000` as uvicorn's; port `0` takes any free port. The first line on standard
//! output is `listening on http://HOST:PORT` with the port really bound, so that a tool can
//! start a chapter on port 0 and read where it went. Logs go to standard error. Ctrl-C or
//! SIGTERM stop accepting connections and let the requests in flight finish.

use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Command, FromArgMatches};
use poem::listener::{Acceptor, TcpAcceptor};
use poem::{IntoEndpoint, Server};

use crate::env::Env;

/// Any error that stops a server from starting; its message is shown to the user as is.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// How long requests in flight may take to finish after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Where to listen.
#[derive(Debug, Clone, Args)]
pub struct Listen {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 takes any free port.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub port: u16,
}

impl Listen {
    /// Reads `--host`/`--port` from the command line (and `HOST`/`PORT`), exiting with a
    /// usage message when they are wrong, as command-line tools do.
    pub fn from_command_line() -> Self {
        let name = std::env::args()
            .next()
            .as_deref()
            .and_then(|arg0| {
                std::path::Path::new(arg0)
                    .file_stem()?
                    .to_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "chapter".to_owned());
        let command = Self::augment_args(Command::new(name).about("Runs this chapter's server."));
        let matches = command.get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
    }
}

/// Runs a chapter: reads the command line, starts logging, builds the app with `build`, and
/// serves it until Ctrl-C or SIGTERM.
///
/// A failure to start (a bad setting, a port in use) is printed on standard error and gives
/// a non-zero exit code.
pub fn run<F, E>(build: F) -> ExitCode
where
    F: AsyncFnOnce(Env) -> Result<E, StartError>,
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let listen = Listen::from_command_line();
    init_logging(&Env::process());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&err.into()),
    };
    runtime.block_on(async move {
        let started = match build(Env::process()).await {
            Ok(app) => serve(&listen, app, shutdown_signal()).await,
            Err(err) => Err(err),
        };
        match started {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => fail(&err),
        }
    })
}

fn fail(err: &StartError) -> ExitCode {
    eprintln!("error: {err}");
    ExitCode::FAILURE
}

/// Binds `listen`, announces the address on standard output, and serves `app` until
/// `stop` completes; then waits up to [`SHUTDOWN_GRACE`] for requests in flight.
pub async fn serve<E>(
    listen: &Listen,
    app: E,
    stop: impl Future<Output = ()>,
) -> Result<(), StartError>
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let (acceptor, addr) = bind(&listen.host, listen.port).await?;
    println!("listening on http://{addr}");
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app, stop, Some(SHUTDOWN_GRACE))
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Binds a TCP port and tells which address it got (port 0 becomes a real port).
pub async fn bind(host: &str, port: u16) -> Result<(TcpAcceptor, SocketAddr), StartError> {
    let cannot = |err: std::io::Error| format!("cannot listen on {host}:{port}: {err}");
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(cannot)?;
    let acceptor = TcpAcceptor::from_tokio(listener).map_err(cannot)?;
    let addr = acceptor
        .local_addr()
        .into_iter()
        .find_map(|addr| addr.as_socket_addr().copied())
        .ok_or_else(|| format!("cannot listen on {host}:{port}: no address"))?;
    Ok((acceptor, addr))
}

/// Completes on Ctrl-C or SIGTERM.
///
/// The handlers are installed when this is called, not when it is first awaited, so that a
/// signal sent right after the `listening on` line is not missed. Call it inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    #[cfg(unix)]
    let stopped = async move {
        let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(interrupt) => {}
            () = wait(terminate) => {}
        }
    };
    #[cfg(not(unix))]
    let stopped = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    async move {
        stopped.await;
        tracing::info!("stop signal received, finishing requests in flight");
    }
}

/// Logs to standard error; `RUST_LOG` filters (default `info`), `LOG_FORMAT=json` gives one
/// JSON object per line.
pub fn init_logging(env: &Env) {
    use tracing_subscriber::EnvFilter;
    let filter = env
        .get("RUST_LOG")
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Another subscriber may be set already (in tests); the first one stays.
    let _ = match env.get("LOG_FORMAT").as_deref() {
        Some("json") => builder.json().try_init(),
        _ => builder.try_init(),
    };
}
