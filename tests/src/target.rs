//! The server under test: one already running (`--url`), a program to start (`--bin`), or
//! the workbook's own reference chapter, built with cargo.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::command::quote;

/// Longest wait, after a program's `listening on` line, for its port to take connections: a
/// wrapper may print the line before the server it starts (uvicorn, say) has bound the port.
pub const REACH: Duration = Duration::from_secs(10);

/// Where the server under test comes from.
#[derive(Debug, Clone)]
pub enum Target {
    /// A server already running at this URL, in any language. It cannot be restarted, so
    /// checks that need a server with other settings are skipped.
    Url(String),
    /// A program started as `PROGRAM --host 127.0.0.1 --port 0`, which must print
    /// `listening on http://HOST:PORT` as its first line, and then take connections there
    /// within [`REACH`].
    Program(PathBuf),
}

impl Target {
    /// A description for reports.
    pub fn describe(&self) -> String {
        match self {
            Target::Url(url) => url.clone(),
            Target::Program(path) => path.display().to_string(),
        }
    }

    /// Whether a server with other settings can be started for a check.
    pub fn can_restart(&self) -> bool {
        matches!(self, Target::Program(_))
    }

    /// Starts a server with these extra environment variables, and waits until it takes
    /// connections; for a URL, checks that something takes connections there.
    pub async fn start(
        &self,
        env: &[(String, String)],
        startup: Duration,
    ) -> Result<Server, String> {
        match self {
            Target::Url(url) => {
                let url = url.trim_end_matches('/').to_owned();
                reach(&url, startup.min(REACH)).await?;
                Ok(Server {
                    url,
                    process: None,
                    workdir: None,
                    start: None,
                })
            }
            Target::Program(path) => start_program(path, env, startup).await,
        }
    }

    /// The shell line that starts the program as the grader does, in a new empty folder,
    /// with the extra environment variables `env`, on `port`; `None` for a URL.
    pub fn start_line(&self, env: &[(String, String)], port: u16) -> Option<String> {
        let Target::Program(path) = self else {
            return None;
        };
        let program = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        let mut words: Vec<String> = env
            .iter()
            .map(|(key, value)| format!("{key}={}", quote(value)))
            .collect();
        words.push(quote(&program.display().to_string()));
        words.push(format!("--host 127.0.0.1 --port {port}"));
        Some(format!("(cd \"$(mktemp -d)\" && {})", words.join(" ")))
    }
}

/// A server to grade; a process started for it is killed when this is dropped, and the
/// folder it ran in is removed.
#[derive(Debug)]
pub struct Server {
    /// The base URL, without a trailing slash.
    pub url: String,
    process: Option<Child>,
    workdir: Option<PathBuf>,
    start: Option<String>,
}

impl Server {
    /// The shell line that starts this server again, with the same settings and port, when
    /// the grader started it in a folder of its own: what a failure's repro begins with.
    pub fn start_line(&self) -> Option<&str> {
        self.start.as_deref()
    }

    /// Stops the server's process, if the grader started one.
    pub async fn stop(mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill().await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.start_kill();
        }
        if let Some(dir) = self.workdir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A new empty folder for one started program, so that the files it makes (a SQLite
/// database, a log) land there and not where the grader runs.
pub(crate) fn workdir() -> Result<PathBuf, String> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("grader-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|err| format!("cannot make {}: {err}", dir.display()))?;
    Ok(dir)
}

/// The last lines a program wrote, to show when it fails to start.
type Tail = Arc<Mutex<VecDeque<String>>>;

fn keep_tail(output: impl AsyncRead + Unpin + Send + 'static, tail: Tail) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(output).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
            if tail.len() == 20 {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
}

fn show_tail(tail: &Tail) -> String {
    let tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    if tail.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
    format!("; its last output:\n{}", lines.join("\n"))
}

async fn start_program(
    path: &Path,
    env: &[(String, String)],
    startup: Duration,
) -> Result<Server, String> {
    // The program runs in a folder of its own, so a relative path must be made absolute.
    let program = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let dir = workdir()?;
    let mut server = start_program_in(&program, &dir, &[], env, startup).await;
    match &mut server {
        Ok(server) => {
            server.workdir = Some(dir);
            let port = address(&server.url).map_or(0, |(_, port)| port);
            server.start = Target::Program(program).start_line(env, port);
        }
        Err(_) => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    server
}

/// Starts `program` in `dir`, a folder that outlives the server, with `args` after the
/// address, and waits until it takes connections.
pub(crate) async fn start_program_in(
    path: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
    startup: Duration,
) -> Result<Server, String> {
    let began = Instant::now();
    let mut child = Command::new(path)
        .current_dir(dir)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(args)
        // The workspace's cargo configuration sets DATA_DIR for what cargo runs, the grader
        // too; a server the grader starts keeps its data in its own folder instead (unless
        // a check's settings name a DATA_DIR, which come after).
        .env_remove("DATA_DIR")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", path.display()))?;
    let tail: Tail = Arc::default();
    if let Some(stderr) = child.stderr.take() {
        keep_tail(stderr, tail.clone());
    }
    let Some(stdout) = child.stdout.take() else {
        return Err("cannot read the program's output".to_owned());
    };
    let mut stdout = BufReader::new(stdout);
    let mut first = String::new();
    let read = tokio::time::timeout(startup, stdout.read_line(&mut first)).await;
    // Keep reading standard output, so that the program never blocks on a full pipe.
    keep_tail(stdout, tail.clone());
    match read {
        Err(_) => {
            return Err(format!(
                "{} printed nothing within {} s; it should print `listening on http://HOST:PORT` \
                 first{}",
                path.display(),
                startup.as_secs(),
                show_tail(&tail)
            ));
        }
        Ok(Err(err)) => return Err(format!("cannot read the program's output: {err}")),
        Ok(Ok(_)) => {}
    }
    let first = first.trim_end();
    if first.is_empty() {
        let status = child
            .wait()
            .await
            .map(|s| s.to_string())
            .unwrap_or_default();
        // Give the reader a moment to collect the last lines of standard error.
        tokio::time::sleep(Duration::from_millis(100)).await;
        return Err(format!(
            "{} stopped before it listened ({status}){}",
            path.display(),
            show_tail(&tail)
        ));
    }
    let Some(url) = first.strip_prefix("listening on ") else {
        return Err(format!(
            "the first line should be `listening on http://HOST:PORT`, got {first:?}"
        ));
    };
    let url = url.trim_end_matches('/').to_owned();
    let limit = startup.saturating_sub(began.elapsed()).min(REACH);
    wait_until_reachable(path, &url, &mut child, limit, &tail).await?;
    Ok(Server {
        url,
        process: Some(child),
        workdir: None,
        start: None,
    })
}

/// The host and port of an `http://` or `https://` URL.
pub(crate) fn address(url: &str) -> Option<(String, u16)> {
    let parsed = reqwest::Url::parse(url).ok()?;
    // An IPv6 address comes in brackets, which a socket address does not take.
    let host = parsed
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']');
    Some((host.to_owned(), parsed.port_or_known_default()?))
}

async fn connects(host: &str, port: u16, limit: Duration) -> Result<(), String> {
    match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer within {} s", limit.as_secs_f64())),
    }
}

/// Fails unless something takes connections at `url` (a server given by `--url`).
async fn reach(url: &str, limit: Duration) -> Result<(), String> {
    let (host, port) = address(url).ok_or_else(|| format!("{url} names no host and port"))?;
    connects(&host, port, limit)
        .await
        .map_err(|err| format!("could not connect to {url}: is the server running? ({err})"))
}

/// Waits, up to `limit`, until the program that printed `listening on URL` takes connections
/// there; fails at once if it stops.
async fn wait_until_reachable(
    path: &Path,
    url: &str,
    child: &mut Child,
    limit: Duration,
    tail: &Tail,
) -> Result<(), String> {
    let (host, port) = address(url).ok_or_else(|| {
        format!("the first line should be `listening on http://HOST:PORT`, got a URL {url:?}")
    })?;
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        // Even at the deadline, one attempt long enough to connect on a busy machine.
        let attempt = left.clamp(Duration::from_millis(200), Duration::from_secs(1));
        let last_error = match connects(&host, port, attempt).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        if let Ok(Some(status)) = child.try_wait() {
            // Give the reader a moment to collect the last lines of standard error.
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(format!(
                "{} printed `listening on {url}`, then stopped ({status}) before it took a \
                 connection{}",
                path.display(),
                show_tail(tail)
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{} printed `listening on {url}`, but nothing took connections at {host}:{port} \
                 within {:.0} s ({last_error}){}",
                path.display(),
                limit.as_secs_f64(),
                show_tail(tail)
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Builds the reference chapter `package` with cargo and returns its program.
///
/// This needs the workbook's source tree, where the grader was built.
pub async fn build_reference(package: &str) -> Result<PathBuf, String> {
    let mut programs = build_references(&[package]).await?;
    programs
        .pop()
        .ok_or_else(|| format!("cargo built {package} but named no program"))
}

/// Builds the reference chapters `packages` with one cargo command (so that what they share
/// is built once, with one set of features) and returns their programs, in order.
pub async fn build_references(packages: &[&str]) -> Result<Vec<PathBuf>, String> {
    let workspace = crate::workspace_root();
    if !workspace.join("chapters").is_dir() {
        return Err(format!(
            "the reference chapters are not here ({}); grade a server with --url or --bin instead",
            workspace.display()
        ));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut args = vec!["build", "--message-format=json-render-diagnostics"];
    for package in packages {
        args.extend(["--package", package, "--bin", package]);
    }
    eprintln!("building {} with cargo…", packages.join(", "));
    let output = Command::new(cargo)
        .current_dir(&workspace)
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo could not build {} (see above)",
            packages.join(", ")
        ));
    }
    let messages: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    packages
        .iter()
        .map(|package| {
            messages
                .iter()
                .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == *package)
                .find_map(|m| m["executable"].as_str().map(PathBuf::from))
                .ok_or_else(|| format!("cargo built {package} but named no program"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_read_from_a_url() {
        let address = |url| address(url).map(|(host, port)| format!("{host} {port}"));
        assert_eq!(
            address("http://127.0.0.1:8000").as_deref(),
            Some("127.0.0.1 8000")
        );
        assert_eq!(address("http://[::1]:9/x").as_deref(), Some("::1 9"));
        assert_eq!(
            address("https://example.com").as_deref(),
            Some("example.com 443")
        );
        assert_eq!(address("not a url"), None);
    }

    #[test]
    fn a_start_line_names_the_settings_and_the_port() {
        let target = Target::Program(PathBuf::from("/no/such/server"));
        let env = [("OPENAPI_URL".to_owned(), String::new())];
        assert_eq!(
            target.start_line(&env, 4321).as_deref(),
            Some(concat!(
                "(cd \"$(mktemp -d)\" && OPENAPI_URL='' /no/such/server ",
                "--host 127.0.0.1 --port 4321)"
            ))
        );
        assert_eq!(Target::Url("http://h".to_owned()).start_line(&env, 1), None);
    }
}
