//! Starting and stopping a chapter's server.
//!
//! Every chapter starts the same way: `--host`/`--port` (or `HOST`/`PORT`), default
//! `127.0.0.1:8000` as uvicorn's; port `0` takes any free port. The first line on standard
//! output is `listening on http://HOST:PORT` with the port really bound, so that a tool can
//! start a chapter on port 0 and read where it went. Logs go to standard error. Ctrl-C or
//! SIGTERM stop accepting connections and let the requests in flight finish.
//!
//! A client has a limited time to send a request ([`ReadTimeouts`]): otherwise a few thousand
//! sockets that send a byte now and then would hold the server's connections for ever.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Command, FromArgMatches};
use futures_util::StreamExt;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::http::{HeaderMap, HeaderValue, StatusCode, Version, header};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Body, Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response};
use tokio::net::TcpListener;
use tokio::time::Instant;

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
    /// How long a client has to send a request.
    #[command(flatten)]
    pub timeouts: ReadTimeouts,
}

// ANCHOR: read_timeouts
/// How long a client has to send a request, in two parts. A client that takes longer is cut
/// off: its connection is closed (the headers), or it is answered `408 Request Timeout` and
/// then closed (the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct ReadTimeouts {
    /// Seconds a client has to send a request's headers, from the moment the connection opens
    /// or answers the previous request: a kept-alive connection left silent this long is
    /// closed too.
    #[arg(
        long = "header-read-timeout",
        env = "HEADER_READ_TIMEOUT_SECS",
        value_name = "SECS",
        default_value = "10",
        value_parser = seconds
    )]
    pub header: Duration,
    /// Seconds a client has to send a request's body, from the end of its headers; raise it
    /// for large uploads over slow links.
    #[arg(
        long = "body-read-timeout",
        env = "BODY_READ_TIMEOUT_SECS",
        value_name = "SECS",
        default_value = "30",
        value_parser = seconds
    )]
    pub body: Duration,
}

impl Default for ReadTimeouts {
    /// Ten seconds for the headers, which a real client sends at once; thirty for the body,
    /// enough for a megabyte over a slow mobile link.
    fn default() -> Self {
        Self {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
        }
    }
}

/// Reads a timeout setting: a whole number of seconds, 1 or more.
pub fn seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(format!(
            "must be a whole number of seconds, 1 or more (got {text:?})"
        )),
    }
}
// ANCHOR_END: read_timeouts

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

/// Reports why the program could not run, on standard error, and gives its exit code. Not
/// `eprintln!`, which panics when standard error is gone.
pub fn fail(err: &StartError) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {err}");
    ExitCode::FAILURE
}

/// Prints a line on standard output. Not `println!`, which panics when nobody reads it any
/// more (`program | head -1`), and would stop whatever the program was doing half-way.
pub fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Prints the `listening on http://HOST:PORT` line that tools wait for: the server serves
/// whether or not anyone heard where.
pub fn announce(addr: SocketAddr) {
    say(format_args!("listening on http://{addr}"));
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
    let (listener, addr) = bind(&listen.host, listen.port).await?;
    announce(addr);
    serve_on(listener, app, listen.timeouts, stop, SHUTDOWN_GRACE).await;
    tracing::info!("stopped");
    Ok(())
}

// ANCHOR: serve_on
/// Serves `app` over HTTP/1.1 on `listener` until `stop` completes, then stops accepting
/// connections and waits up to `grace` for the requests in flight.
///
/// poem's own `Server` would do, but it gives hyper no timer, and hyper then silently never
/// applies its header read timeout; so each connection is handed to hyper here, with one.
/// hyper does not check the `Host` header either: a request without one is answered here.
pub async fn serve_on<E>(
    listener: TcpListener,
    app: E,
    timeouts: ReadTimeouts,
    stop: impl Future<Output = ()>,
    grace: Duration,
) where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let body_timeout = timeouts.body;
    let app: Arc<BoxEndpoint<'static>> = Arc::new(
        app.into_endpoint()
            .map_to_response()
            .around(move |next, req| read_body_within(next, req, body_timeout))
            .boxed(),
    );
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, client) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait for some to close rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
            let app = app.clone();
            let refusal = host_problem(req.version(), req.headers());
            let req = Request::from((
                req,
                LocalAddr(local.into()),
                RemoteAddr(client.into()),
                Scheme::HTTP,
            ));
            async move {
                let response = match refusal {
                    Some(response) => response,
                    None => app.get_response(req).await,
                };
                Ok::<_, Infallible>(hyper::Response::from(response))
            }
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                // A header read timeout ends here, as does a client that went away.
                tracing::debug!(error = %err, %client, "connection closed");
            }
        });
    }
    drop(listener);
    tracing::info!(
        grace_in_seconds = grace.as_secs(),
        "connections no longer accepted"
    );
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period are dropped");
    }
}

// ANCHOR: host_header
/// The answer to a request whose `Host` header is wrong for its version (RFC 9112, 3.2): an
/// HTTP/1.1 request must carry one, and no request may carry two. HTTP/1.0 predates `Host`,
/// so there it may be absent. The connection is closed after the answer, as for any request
/// that breaks the protocol.
fn host_problem(version: Version, headers: &HeaderMap) -> Option<Response> {
    let message = match headers.get_all(header::HOST).iter().count() {
        0 if version == Version::HTTP_11 => "Missing Host header",
        0 | 1 => return None,
        _ => "More than one Host header",
    };
    let mut response = crate::detail(StatusCode::BAD_REQUEST, message);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(response)
}
// ANCHOR_END: host_header

/// Gives `next` the request with a body that must arrive within `within`; past that, reading
/// it fails, and the answer is 408 whatever `next` made of the failure.
async fn read_body_within<E: Endpoint<Output = Response>>(
    next: Arc<E>,
    mut req: Request,
    within: Duration,
) -> poem::Result<Response> {
    let body = req.take_body();
    if body.is_empty() {
        req.set_body(body);
        return next.call(req).await;
    }
    let late = Arc::new(AtomicBool::new(false));
    req.set_body(body_until(body, Instant::now() + within, late.clone()));
    let response = next.call(req).await;
    if late.load(Ordering::Relaxed) {
        let mut response = crate::detail(StatusCode::REQUEST_TIMEOUT, "Request Timeout");
        // The rest of the body may still be on its way: this connection cannot carry another
        // request.
        let close = HeaderValue::from_static("close");
        response.headers_mut().insert(header::CONNECTION, close);
        return Ok(response.into_response());
    }
    response
}

/// `body`, ending with an error (and `late` set) if it is not all there by `deadline`.
fn body_until(body: Body, deadline: Instant, late: Arc<AtomicBool>) -> Body {
    let chunks = Box::pin(body.into_bytes_stream());
    let timed = futures_util::stream::unfold(Some(chunks), move |chunks| {
        let late = late.clone();
        async move {
            let mut chunks = chunks?;
            match tokio::time::timeout_at(deadline, chunks.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(chunks))),
                Ok(None) => None,
                Err(_) => {
                    late.store(true, Ordering::Relaxed);
                    let err = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    );
                    Some((Err(err), None))
                }
            }
        }
    });
    Body::from_bytes_stream(timed)
}
// ANCHOR_END: serve_on

/// Binds a TCP port and tells which address it got (port 0 becomes a real port).
pub async fn bind(host: &str, port: u16) -> Result<(TcpListener, SocketAddr), StartError> {
    let cannot = |err: std::io::Error| format!("cannot listen on {host}:{port}: {err}");
    let listener = TcpListener::bind((host, port)).await.map_err(cannot)?;
    let addr = listener.local_addr().map_err(cannot)?;
    Ok((listener, addr))
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
/// JSON object per line. A log line that cannot be written is dropped.
pub fn init_logging(env: &Env) {
    use tracing_subscriber::EnvFilter;
    let filter = env
        .get("RUST_LOG")
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter(std::io::stderr()));
    // Another subscriber may be set already (in tests); the first one stays.
    let _ = match env.get("LOG_FORMAT").as_deref() {
        Some("json") => builder.json().try_init(),
        _ => builder.try_init(),
    };
}

/// Standard error for log lines, where a failed write counts as done.
///
/// When whoever read standard error has gone (a closed pipe), each write fails. tracing's
/// formatter would then report that on standard error with `eprintln!`, which panics, in the
/// middle of whatever request was logging: the client would get no answer at all. A log line
/// is never worth a request.
struct LogWriter<W>(W);

impl<W: Write> Write for LogWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(self.0.write(buf).unwrap_or(buf.len()))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, Write};
    use std::process::{Command, Stdio};

    use super::*;

    /// Set in the copy of the test binary that logs with no reader on its standard error.
    const CHILD: &str = "KIT_LOGGING_CHILD";

    /// Run as a child process (see below): logs with the workbook's logging, once the
    /// parent has closed the reading end of standard error.
    fn log_into_a_closed_pipe() {
        init_logging(&Env::from_pairs::<&str, &str>([]));
        let mut go = String::new();
        std::io::stdin().lock().read_line(&mut go).unwrap();
        tracing::info!("nobody reads this");
        tracing::error!(error = "any", "nor this");
    }

    #[test]
    fn logging_to_a_closed_standard_error_does_not_panic() {
        if std::env::var_os(CHILD).is_some() {
            log_into_a_closed_pipe();
            return;
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "serve::tests::logging_to_a_closed_standard_error_does_not_panic",
                // Else the test harness would take what the child writes with `eprintln!`.
                "--nocapture",
            ])
            .env(CHILD, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the child logs anything.
        drop(child.stderr.take());
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"go\n").unwrap();
        drop(stdin);
        let status = child.wait().unwrap();
        assert!(status.success(), "logging panicked: {status}");
    }

    #[test]
    fn a_log_writer_swallows_write_errors() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
        }
        let mut writer = LogWriter(Broken);
        assert!(writer.write_all(b"a line\n").is_ok());
        assert!(writer.flush().is_ok());
    }
}
