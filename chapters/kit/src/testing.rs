//! Helpers for the chapters' tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use poem::IntoEndpoint;
use poem::test::TestResponse;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::serve::ReadTimeouts;

/// A server running on a free port of 127.0.0.1 for the length of a test.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Stops accepting connections and waits for requests in flight.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `app` over real TCP on a free port, for tests that need a real client (the grader,
/// a browser) rather than poem's in-process `TestClient`.
pub async fn spawn<E>(app: E) -> Running
where
    E: IntoEndpoint + Send + 'static,
    E::Endpoint: 'static,
{
    spawn_with(app, ReadTimeouts::default()).await
}

/// [`spawn`], with other read timeouts: what a chapter serves with `--header-read-timeout` and
/// `--body-read-timeout`.
pub async fn spawn_with<E>(app: E, timeouts: ReadTimeouts) -> Running
where
    E: IntoEndpoint + Send + 'static,
    E::Endpoint: 'static,
{
    let (listener, addr) = crate::serve::bind("127.0.0.1", 0)
        .await
        .unwrap_or_else(|err| panic!("a test server cannot start: {err}"));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = crate::serve::serve_on(
        listener,
        app,
        timeouts,
        async {
            let _ = stopped.await;
        },
        std::time::Duration::from_secs(5),
    );
    let task = tokio::spawn(server);
    Running {
        url: format!("http://{addr}"),
        stop: Some(stop),
        task: Some(task),
    }
}

/// The body of a test response as JSON (`null` when it is not JSON).
pub async fn json(response: TestResponse) -> Value {
    let text = response
        .0
        .into_body()
        .into_string()
        .await
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A headless Chromium, for the few tests that need a real browser.
#[derive(Debug, Clone)]
pub struct Browser {
    program: std::path::PathBuf,
}

impl Browser {
    /// The browser named by `CHROMIUM`, or the first of `chromium`, `chromium-browser`,
    /// `google-chrome` on the `PATH`.
    ///
    /// Without one, the test says it is skipped and why, and `None` lets it return; with
    /// `REQUIRE_BROWSER=1` (as CI sets) a missing browser fails the test instead.
    pub fn find_or_skip(test: &str) -> Option<Self> {
        let candidates = std::env::var_os("CHROMIUM")
            .map(std::path::PathBuf::from)
            .into_iter()
            .chain(["chromium", "chromium-browser", "google-chrome"].map(std::path::PathBuf::from));
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = candidates.into_iter().find_map(|candidate| {
            if candidate.components().count() > 1 {
                return candidate.is_file().then_some(candidate);
            }
            std::env::split_paths(&path)
                .map(|dir| dir.join(&candidate))
                .find(|full| full.is_file())
        });
        match found {
            Some(program) => Some(Self { program }),
            None if std::env::var("REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
                panic!(
                    "{test}: REQUIRE_BROWSER=1 but no Chromium was found (install chromium or set CHROMIUM)"
                )
            }
            None => {
                eprintln!(
                    "{test}: skipped, no Chromium found (install chromium or set CHROMIUM to run it)"
                );
                None
            }
        }
    }

    /// Loads `url`, lets its scripts run, and returns the page as the browser rendered it.
    pub async fn rendered_dom(&self, url: &str) -> String {
        let profile = std::env::temp_dir().join(format!(
            "workbook-browser-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        let run = tokio::process::Command::new(&self.program)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=15000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(url)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(std::time::Duration::from_secs(90), run)
            .await
            .expect("the browser finished within 90 s")
            .expect("the browser runs");
        let _ = std::fs::remove_dir_all(&profile);
        assert!(
            output.status.success(),
            "the browser failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// A TCP proxy on a free port of 127.0.0.1 to `upstream` (`host:port`), which a test can
/// [`cut`](Self::cut), as a server that went away (every connection closed, new ones
/// refused), and [`restore`](Self::restore). The SQL chapters put one between the app and
/// the database to show what the app does while the database is gone.
#[derive(Debug)]
pub struct TcpProxy {
    port: u16,
    open: Arc<AtomicBool>,
    cuts: watch::Sender<u64>,
    accepting: JoinHandle<()>,
}

impl TcpProxy {
    /// Starts one in front of `upstream`.
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let open = Arc::new(AtomicBool::new(true));
        let (cuts, _) = watch::channel(0u64);
        let (is_open, subscribe, upstream) = (open.clone(), cuts.clone(), upstream.to_owned());
        let accepting = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !is_open.load(Ordering::SeqCst) {
                    // Closed at once: to the app, the server refuses connections.
                    continue;
                }
                let upstream = upstream.clone();
                let mut cut = subscribe.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Ok(Self {
            port,
            open,
            cuts,
            accepting,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}

/// One exception of `scripts/fuzz-config/NN.toml`: an operation (`"POST /users"`), a check of
/// schemathesis (`"positive_data_acceptance"`), and the statuses it is told to expect beyond
/// its own defaults.
pub type FuzzException = (String, String, Vec<String>);

/// What chapter `chapter`'s `scripts/fuzz-config/NN.toml` lets through beyond schemathesis's
/// defaults, per operation and check. Each list is written on one line there, so a
/// line-by-line reading is enough; a check whose defaults are not known here panics.
pub fn fuzz_exceptions(chapter: &str) -> Vec<FuzzException> {
    let path = format!(
        "{}/../../scripts/fuzz-config/{chapter}.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    // schemathesis's own expected statuses for the checks that take a list.
    let defaults = |check: &str| -> &[&str] {
        match check {
            "not_a_server_error" => &["2xx", "3xx", "4xx"],
            "positive_data_acceptance" => &["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"],
            other => panic!("{path}: no defaults known for {other}"),
        }
    };
    let mut operation = String::new();
    let mut found = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
    {
        if let Some(name) = line.strip_prefix("include-name = ") {
            operation = name.trim_matches('"').to_owned();
        } else if let Some((key, list)) = line.split_once(".expected-statuses = ") {
            let check = key.trim_start_matches("checks.").to_owned();
            let added = list
                .trim_matches(['[', ']'])
                .split(',')
                .map(|status| status.trim().trim_matches('"'))
                .filter(|status| !status.is_empty() && !defaults(&check).contains(status))
                .map(str::to_owned)
                .collect();
            found.push((operation.clone(), check, added));
        }
    }
    found
}

/// Panics unless every status that `exceptions` lets through is one that its operation
/// declares in `document` (the app's `/openapi.json`): an exception may only name an answer
/// the document promises.
pub fn assert_fuzz_exceptions_declared(document: &Value, exceptions: &[FuzzException]) {
    for (operation, check, statuses) in exceptions {
        let (method, path) = operation.split_once(' ').expect("METHOD PATH");
        let responses = &document["paths"][path][method.to_lowercase()]["responses"];
        for status in statuses {
            assert!(
                responses[status].is_object(),
                "{operation}: {check} lets {status} through, which the document does not declare"
            );
        }
    }
}

/// Panics unless each `(schema, member, nullable)` is a member of that schema in `document`
/// (the app's `/openapi.json`), documented as nullable exactly when `nullable` says: a
/// fuzzer holds a server to the document, so a member the server takes as `null` must say so,
/// and one it refuses as `null` must not.
pub fn assert_nullable(document: &Value, members: &[(&str, &str, bool)]) {
    let schemas = &document["components"]["schemas"];
    for &(schema, member, nullable) in members {
        let property = &schemas[schema]["properties"][member];
        assert!(
            property.is_object(),
            "{schema}.{member} is not in the document"
        );
        assert_eq!(
            property["nullable"].as_bool().unwrap_or(false),
            nullable,
            "{schema}.{member}: {property}"
        );
    }
}
