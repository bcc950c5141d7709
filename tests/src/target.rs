//! The server under test: one already running (`--url`), a program to start (`--bin`), or
//! the workbook's own reference chapter, built with cargo.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// Where the server under test comes from.
#[derive(Debug, Clone)]
pub enum Target {
    /// A server already running at this URL, in any language. It cannot be restarted, so
    /// checks that need a server with other settings are skipped.
    Url(String),
    /// A program started as `PROGRAM --host 127.0.0.1 --port 0`, which must print
    /// `listening on http://HOST:PORT` as its first line.
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

    /// Starts (or, for a URL, just names) a server with these extra environment variables.
    pub async fn start(
        &self,
        env: &[(String, String)],
        startup: Duration,
    ) -> Result<Server, String> {
        match self {
            Target::Url(url) => Ok(Server {
                url: url.trim_end_matches('/').to_owned(),
                process: None,
                workdir: None,
            }),
            Target::Program(path) => start_program(path, env, startup).await,
        }
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
}

impl Server {
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
        Ok(server) => server.workdir = Some(dir),
        Err(_) => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    server
}

/// Starts `program` in `dir`, a folder that outlives the server, with `args` after the
/// address.
pub(crate) async fn start_program_in(
    path: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(String, String)],
    startup: Duration,
) -> Result<Server, String> {
    let mut child = Command::new(path)
        .current_dir(dir)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(args)
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
                "{} printed nothing within {} s; it should print `listening on http://HOST:PORT` first{}",
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
    Ok(Server {
        url: url.trim_end_matches('/').to_owned(),
        process: Some(child),
        workdir: None,
    })
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
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
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
    eprintln!("building the reference chapters: {}…", packages.join(", "));
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
