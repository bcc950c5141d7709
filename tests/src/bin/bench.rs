//! `scripts/bench`: how fast a chapter answers, next to its FastAPI version, in one run.
//!
//! For each chapter asked for, it starts the release build of the chapter, the chapter's
//! FastAPI version under uvicorn (one worker), and whatever else the comparison needs (a plain
//! poem-openapi app for chapter 01; SQLite as it comes, PostgreSQL and MariaDB for chapter 12),
//! all on loopback. Then it loads each endpoint with `wrk` (one thread, the same connections
//! for every server, a bounded duration) and writes a Markdown table and an SVG chart, with the
//! machine, the date and the command that made them.
//!
//! `scripts/bench 01 02 04 09 12` (or `all`) measures; `--quick` takes seconds, only to show
//! that it works; `--out DIR` says where the table and the chart go.
//!
//! `scripts/bench --logins` measures something else: chapter 14's logins at bcrypt's real cost,
//! many at once, with its login limits and bcrypt queue switched off (as the chapter was before
//! them) and as they come. wrk gives one latency for every answer; this needs the latency of
//! the logins that succeeded apart from the refusals, so it sends the requests itself.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};

/// Measures chapters against their FastAPI versions (see the book's "How fast is it?").
#[derive(Debug, Parser)]
#[command(name = "scripts/bench")]
struct Cli {
    /// Chapters to measure: any of 01 02 04 09 12, or `all`.
    #[arg(required_unless_present = "logins")]
    chapters: Vec<String>,
    /// Measures chapter 14's logins instead (`logins.md` in `--out`): `--connections` clients
    /// log in without pause, first with the right passwords, then with wrong ones.
    #[arg(long, conflicts_with = "chapters")]
    logins: bool,
    /// Clients logging in at once, each with an account of its own (`--logins` only).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1000))]
    connections: u32,
    /// Seconds, not minutes: one short measurement per endpoint, without the extra servers.
    /// Its figures prove that the benchmark works, nothing more.
    #[arg(long)]
    quick: bool,
    /// The folder of the table (`results.md`) and the chart (`results.svg`).
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Seconds per measurement [default: 5, or 1 with --quick].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=60))]
    seconds: Option<u32>,
    /// The first port to give a server, the next one to the next server; 0 lets the system
    /// choose free ports.
    #[arg(long, default_value_t = 0)]
    ports: u16,
    /// Measures the release builds already there, without building them first.
    #[arg(long)]
    no_build: bool,
}

/// The chapters this benchmark knows, with their main endpoints.
const CHAPTERS: [&str; 5] = ["01", "02", "04", "09", "12"];

/// A request slower than this counts as an error (wrk's own default is 2 s).
const REQUEST_TIMEOUT: &str = "5s";

/// The signing key of chapter 09 on both sides, so that both sign alike.
const JWT_SECRET: &str = "benchmark-key-0123456789abcdef0123456789abcdef";

/// Why chapter 12 is measured at 10 connections, as the table says.
const POOL_NOTE: &str = "Chapter 12 runs at 10 connections on both sides: FastAPI's \
    default SQLAlchemy pool (5 connections + 10 overflow, 30 s wait) would time out beyond \
    that. The 64-connection rows are this workbook's alone.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::from(2)
        }
    }
}

/// Measures, writes the results, and says whether every measurement could be made.
fn run(cli: &Cli) -> Result<bool, String> {
    if !Path::new("chapters").is_dir() {
        return Err("run it from the workbook's folder (scripts/bench does)".to_owned());
    }
    if cli.logins {
        return logins::run(cli);
    }
    let chapters = chosen_chapters(&cli.chapters)?;
    let settings = Settings {
        seconds: cli.seconds.unwrap_or(if cli.quick { 1 } else { 5 }),
        warm_up: if cli.quick { 0 } else { 1 },
        quick: cli.quick,
    };
    let started = Instant::now();
    let mut record = Record::now(&settings);
    if !cli.no_build {
        build(&chapters)?;
    }
    let scratch = Scratch::new()?;
    let mut report = Report::default();
    let mut ports = Ports(cli.ports);
    for chapter in &chapters {
        eprintln!("== chapter {chapter}");
        let plan = plan(chapter, &settings, &scratch, &mut report)?;
        measure(&plan, &settings, &scratch, &mut ports, &mut report);
    }
    // Other programs on the machine take their share of it: the page says how busy it was.
    record.load = format!("{}, {} at the end", record.load, load_average());
    std::fs::create_dir_all(&cli.out)
        .map_err(|err| format!("cannot make {}: {err}", cli.out.display()))?;
    let table = report.markdown(&record);
    let table_path = cli.out.join("results.md");
    let chart_path = cli.out.join("results.svg");
    std::fs::write(&table_path, &table)
        .map_err(|err| format!("cannot write {}: {err}", table_path.display()))?;
    std::fs::write(&chart_path, report.svg(&record))
        .map_err(|err| format!("cannot write {}: {err}", chart_path.display()))?;
    println!("{table}");
    eprintln!(
        "bench: wrote {} and {} in {} s",
        table_path.display(),
        chart_path.display(),
        started.elapsed().as_secs()
    );
    for problem in &report.problems {
        eprintln!("bench: FAILED: {problem}");
    }
    Ok(report.problems.is_empty())
}

fn chosen_chapters(asked: &[String]) -> Result<Vec<&'static str>, String> {
    if asked.iter().any(|chapter| chapter == "all") {
        return Ok(CHAPTERS.to_vec());
    }
    let mut chosen = Vec::new();
    for chapter in asked {
        let padded = format!("{chapter:0>2}");
        let known = CHAPTERS
            .iter()
            .find(|known| **known == padded)
            .ok_or_else(|| {
                format!(
                    "no benchmark for chapter {chapter}; known: {} (or all)",
                    CHAPTERS.join(" ")
                )
            })?;
        if !chosen.contains(known) {
            chosen.push(*known);
        }
    }
    Ok(chosen)
}

/// How long each measurement lasts.
#[derive(Debug, Clone, Copy)]
struct Settings {
    seconds: u32,
    warm_up: u32,
    quick: bool,
}

// ---------------------------------------------------------------------------------------------
// What is measured

/// Which program answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The chapter's release build.
    Workbook,
    /// The same chapter, with SQLite as it comes (`SQLITE_TUNING=off`).
    Untuned,
    /// The chapter's FastAPI version under uvicorn.
    FastApi,
    /// poem-openapi's hello world, without the workbook around it.
    Plain,
}

impl Kind {
    fn colour(self) -> &'static str {
        match self {
            Kind::Workbook => "#b7410e",
            Kind::Untuned => "#e8a87c",
            Kind::FastApi => "#05998b",
            Kind::Plain => "#7f7f7f",
        }
    }
}

/// One server of a chapter's run.
#[derive(Debug, Clone)]
struct Server {
    kind: Kind,
    /// As the table names it.
    label: String,
    /// Short name the scenarios refer to it by.
    key: &'static str,
    env: Vec<(String, String)>,
    /// Folder to start it in.
    dir: PathBuf,
}

/// One endpoint under load.
#[derive(Debug, Clone)]
struct Scenario {
    endpoint: &'static str,
    method: &'static str,
    /// The path; `{reader}`, `{writer}` and `{token}` are replaced with the fixture's values.
    path: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Option<&'static str>,
    connections: u32,
    /// The servers that take it, by key.
    servers: Vec<&'static str>,
}

/// A chapter's servers and scenarios.
#[derive(Debug)]
struct Plan {
    chapter: &'static str,
    package: String,
    servers: Vec<Server>,
    scenarios: Vec<Scenario>,
    /// Measurements per server and scenario, interleaved; the median one is shown.
    rounds: u32,
    fixture: Fixture,
}

/// What a chapter's server needs before it is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    Nothing,
    /// A bearer token for `johndoe` (chapter 09).
    Token,
    /// Two users: one to read, one that gets the items (chapter 12).
    Users,
}

fn plan(
    chapter: &'static str,
    settings: &Settings,
    scratch: &Scratch,
    report: &mut Report,
) -> Result<Plan, String> {
    let dir = chapter_dir(chapter)?;
    let package = format!("ch{}", file_name(&dir));
    let workbook = |key: &'static str, label: &str| Server {
        kind: Kind::Workbook,
        label: label.to_owned(),
        key,
        env: vec![
            ("DATA_DIR".to_owned(), scratch.folder(chapter, key)),
            ("JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
            ("BCRYPT_COST".to_owned(), "4".to_owned()),
        ],
        dir: PathBuf::from("."),
    };
    let mut servers = vec![workbook("rust", "this workbook")];
    match fastapi(chapter, &dir, scratch) {
        Ok(server) => servers.push(server),
        Err(why) => report.notes.push(format!("Chapter {chapter}: {why}")),
    }
    let get = |endpoint, path, connections| Scenario {
        endpoint,
        method: "GET",
        path,
        headers: Vec::new(),
        body: None,
        connections,
        servers: vec!["rust", "fastapi"],
    };
    let json = vec![("Content-Type", "application/json")];
    let (scenarios, fixture, rounds) = match chapter {
        "01" => {
            servers.push(Server {
                kind: Kind::Plain,
                label: "plain poem-openapi".to_owned(),
                key: "plain",
                env: Vec::new(),
                dir: PathBuf::from("."),
            });
            let mut root = get("GET /", "/", 64);
            // Whether the two are within 5% of each other needs more than one sample of each,
            // taken turn about and side by side, so that a busy moment of the machine falls on
            // both: each turn measures the two one after the other (in turns of alternate
            // order), and the comparison is the median of the turns' ratios.
            root.servers = vec!["rust", "plain", "fastapi"];
            let rounds = if settings.quick { 1 } else { 7 };
            (vec![root], Fixture::Nothing, rounds)
        }
        "02" => (
            vec![get("GET /items/{id}", "/items/42", 64)],
            Fixture::Nothing,
            1,
        ),
        "04" => {
            let item = Scenario {
                endpoint: "POST /items/ (JSON)",
                method: "POST",
                path: "/items/",
                headers: json.clone(),
                body: Some(r#"{"name": "Foo", "description": "Nice", "price": 35.4, "tax": 3.2}"#),
                connections: 64,
                servers: vec!["rust", "fastapi"],
            };
            (vec![item], Fixture::Nothing, 1)
        }
        "09" => {
            let mut me = get("GET /users/me/ (JWT)", "/users/me/", 64);
            me.headers = vec![("Authorization", "Bearer {token}")];
            let mut scenarios = vec![me];
            if !settings.quick {
                scenarios.push(Scenario {
                    endpoint: "POST /token (bcrypt)",
                    method: "POST",
                    path: "/token",
                    headers: vec![("Content-Type", "application/x-www-form-urlencoded")],
                    body: Some("username=johndoe&password=secret"),
                    connections: 4,
                    servers: vec!["rust", "fastapi"],
                });
            }
            (scenarios, Fixture::Token, 1)
        }
        "12" => {
            report.notes.push(POOL_NOTE.to_owned());
            servers[0].label = "this workbook, SQLite".to_owned();
            if let Some(python) = servers
                .iter_mut()
                .find(|server| server.kind == Kind::FastApi)
            {
                python.label = "FastAPI + uvicorn, SQLite".to_owned();
            }
            let mut read = get("GET /users/{id}", "/users/{reader}", 10);
            let write = |connections, servers: &[&'static str]| Scenario {
                endpoint: "POST /users/{id}/items/",
                method: "POST",
                path: "/users/{writer}/items/",
                headers: json.clone(),
                body: Some(r#"{"title": "A book", "description": "To read on the train"}"#),
                connections,
                servers: servers.to_vec(),
            };
            let mut scenarios = vec![];
            if settings.quick {
                scenarios.push(read);
                scenarios.push(write(10, &["rust", "fastapi"]));
                scenarios.push(write(64, &["rust"]));
            } else {
                let mut untuned = workbook("untuned", "this workbook, SQLite as it comes");
                untuned.kind = Kind::Untuned;
                untuned
                    .env
                    .push(("SQLITE_TUNING".to_owned(), "off".to_owned()));
                servers.push(untuned);
                let mut everyone = vec!["rust", "fastapi", "untuned"];
                for (key, label, url) in server_databases(chapter, report) {
                    let mut server = workbook(key, label);
                    server.env.push(("DATABASE_URL".to_owned(), url));
                    servers.push(server);
                    read.servers.push(key);
                    everyone.push(key);
                }
                scenarios.push(read);
                scenarios.push(write(10, &everyone));
                everyone.retain(|key| *key != "fastapi");
                scenarios.push(write(64, &everyone));
            }
            (scenarios, Fixture::Users, 1)
        }
        other => return Err(format!("no benchmark for chapter {other}")),
    };
    Ok(Plan {
        chapter,
        package,
        servers,
        scenarios,
        rounds,
        fixture,
    })
}

/// The FastAPI version of `chapter`, or why there is none to run.
fn fastapi(chapter: &str, dir: &Path, scratch: &Scratch) -> Result<Server, String> {
    let app = dir.join("fastapi");
    if !app.join("main.py").is_file() {
        return Err(format!(
            "no FastAPI version yet ({}/main.py): this workbook's side only",
            app.display()
        ));
    }
    if std::env::var_os("PYTHON").is_none() && !Path::new(".venv/bin/python").is_file() {
        return Err(
            "no Python environment for the FastAPI versions: run scripts/fastapi-env first"
                .to_owned(),
        );
    }
    let folder = scratch.folder(chapter, "fastapi");
    let app_dir = std::fs::canonicalize(&app).map_err(|err| format!("{}: {err}", app.display()))?;
    Ok(Server {
        kind: Kind::FastApi,
        label: "FastAPI + uvicorn".to_owned(),
        key: "fastapi",
        env: vec![
            ("UVICORN_APP".to_owned(), "main:app".to_owned()),
            ("UVICORN_APP_DIR".to_owned(), app_dir.display().to_string()),
            ("JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
            ("BCRYPT_COST".to_owned(), "4".to_owned()),
        ],
        // Its database, when it has one, is its default: `sql_app.db` in this folder.
        dir: PathBuf::from(folder),
    })
}

/// PostgreSQL and MariaDB databases made for this run, when their servers and clients are
/// here: `(key, label, DATABASE_URL)`.
fn server_databases(
    chapter: &str,
    report: &mut Report,
) -> Vec<(&'static str, &'static str, String)> {
    let name = format!("workbook_bench_{}", std::process::id());
    let mut made = Vec::new();
    let postgres = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"];
    let mariadb = ["mysql", "-h", "127.0.0.1", "-P", "3306", "-u", "root", "-e"];
    let candidates = [
        (
            "postgres",
            "this workbook, PostgreSQL",
            5432,
            &postgres[..],
            "postgres://postgres",
        ),
        (
            "mariadb",
            "this workbook, MariaDB",
            3306,
            &mariadb[..],
            "mysql://root",
        ),
    ];
    for (key, label, port, client, user) in candidates {
        let here = TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), SECOND);
        let created =
            here.is_ok() && run_quietly(client, &format!("CREATE DATABASE {name}")).is_ok();
        if created {
            report
                .drops
                .push((client.to_vec(), format!("DROP DATABASE {name}")));
            made.push((key, label, format!("{user}@127.0.0.1:{port}/{name}")));
        } else {
            report.notes.push(format!(
                "Chapter {chapter}: no {label} row: no server on 127.0.0.1:{port}, or no \
                 `{}` client to make a database with.",
                client[0]
            ));
        }
    }
    made
}

const SECOND: Duration = Duration::from_secs(1);

fn run_quietly(client: &[&str], statement: &str) -> Result<(), String> {
    let output = Command::new(client[0])
        .args(&client[1..])
        .arg(statement)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("{}: {err}", client[0]))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

fn chapter_dir(chapter: &str) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir("chapters").map_err(|err| format!("chapters: {err}"))?;
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| file_name(path).starts_with(&format!("{chapter}-")))
        .ok_or_else(|| format!("no folder chapters/{chapter}-*"))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The release builds of the chapters (the benchmark and the plain app are built by the
/// script that starts this program).
fn build(chapters: &[&str]) -> Result<(), String> {
    let mut cargo = Command::new("cargo");
    cargo.args(["build", "--release", "--quiet", "--locked"]);
    for chapter in chapters {
        cargo.args([
            "--package",
            &format!("ch{}", file_name(&chapter_dir(chapter)?)),
        ]);
    }
    eprintln!(
        "bench: building the release builds of chapters {}",
        chapters.join(" ")
    );
    let status = cargo.status().map_err(|err| format!("cargo: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo build failed ({status})"))
    }
}

// ---------------------------------------------------------------------------------------------
// Running the servers

/// Hands out ports: the next one of `--ports`, or 0 for the system to choose.
struct Ports(u16);

impl Ports {
    fn next(&mut self) -> u16 {
        let port = self.0;
        if port != 0 {
            self.0 = port.saturating_add(1);
        }
        port
    }
}

/// A temporary folder for the run's databases and wrk scripts, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!("workbook-bench-{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        Ok(Self(path))
    }

    /// A folder of its own for one server.
    fn folder(&self, chapter: &str, key: &str) -> String {
        let path = self.0.join(format!("{chapter}-{key}"));
        let _ = std::fs::create_dir_all(&path);
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A started server.
struct Running {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Running {
    fn start(plan: &Plan, server: &Server, port: u16, scratch: &Scratch) -> Result<Self, String> {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
        let program = match server.kind {
            Kind::Workbook | Kind::Untuned => format!("{target}/release/{}", plan.package),
            Kind::Plain => format!("{target}/release/plain-poem"),
            Kind::FastApi => "scripts/uvicorn-bin".to_owned(),
        };
        let program = std::fs::canonicalize(&program)
            .map_err(|err| format!("{program}: {err} (is it built?)"))?;
        let log = PathBuf::from(scratch.folder(plan.chapter, server.key)).join("server.log");
        let log_file = std::fs::File::create(&log).map_err(|err| err.to_string())?;
        let mut command = Command::new(&program);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .current_dir(&server.dir)
            .envs(server.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        if server.kind == Kind::FastApi {
            // The workbook's chapters do not log each request; uvicorn would, by default.
            command.args(["--no-access-log", "--log-level", "warning"]);
        }
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", program.display()))?;
        let stdout = child.stdout.take().ok_or("no standard output")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        // Whatever else it prints must not fill the pipe and stop it.
        std::thread::spawn(move || lines.for_each(drop));
        let url = first.strip_prefix("listening on ").map(str::to_owned);
        let mut running = Self {
            child,
            url: url.clone().unwrap_or_default(),
            log,
        };
        let Some(url) = url else {
            return Err(running.fail(&format!("it printed {first:?}, not `listening on …`")));
        };
        let address = url
            .trim_start_matches("http://")
            .parse::<SocketAddr>()
            .map_err(|err| running.fail(&format!("{url}: {err}")))?;
        // uvicorn prints the line a moment before it binds the port.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&address, SECOND).is_err() {
            if Instant::now() > deadline || running.child.try_wait().ok().flatten().is_some() {
                return Err(running.fail("it never took connections"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(running)
    }

    /// Stops it and gives `why` with the end of its log.
    fn fail(&mut self, why: &str) -> String {
        self.stop();
        let mut log = String::new();
        let _ = std::fs::File::open(&self.log).and_then(|mut f| f.read_to_string(&mut log));
        let tail: Vec<&str> = log.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("{why}; its log ends with:\n    {}", tail.join("\n    "))
    }

    /// The most memory it has held at once, in KiB (Linux's `VmHWM`).
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// SIGTERM, then SIGKILL if it has not stopped within ten seconds.
    fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Makes what the scenarios need on one server: `{reader}`, `{writer}`, `{token}`.
fn prepare(fixture: Fixture, url: &str) -> Result<BTreeMap<&'static str, String>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| err.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|err| err.to_string())?;
        let mut values = BTreeMap::new();
        match fixture {
            Fixture::Nothing => {}
            Fixture::Token => {
                let login = client
                    .post(format!("{url}/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body("username=johndoe&password=secret");
                let answer = send(login).await?;
                let token = answer["access_token"].as_str().ok_or("no access_token")?;
                values.insert("token", token.to_owned());
            }
            Fixture::Users => {
                for (name, email) in [
                    ("reader", "reader@example.com"),
                    ("writer", "w@example.com"),
                ] {
                    let body = json!({"email": email, "password": "benchmark"});
                    let answer = send(client.post(format!("{url}/users/")).json(&body)).await?;
                    let id = answer["id"].as_i64().ok_or("no user id")?;
                    values.insert(name, id.to_string());
                }
            }
        }
        Ok(values)
    })
}

async fn send(request: reqwest::RequestBuilder) -> Result<Value, String> {
    let response = request.send().await.map_err(|err| err.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|err| err.to_string())?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{status}: {body}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// What one wrk run saw.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Measure {
    requests: u64,
    duration_us: u64,
    errors: u64,
    p50_us: u64,
    p99_us: u64,
}

impl Measure {
    fn per_second(&self) -> f64 {
        self.requests as f64 / (self.duration_us.max(1) as f64 / 1e6)
    }
}

fn measure(
    plan: &Plan,
    settings: &Settings,
    scratch: &Scratch,
    ports: &mut Ports,
    report: &mut Report,
) {
    let mut running = BTreeMap::new();
    for server in &plan.servers {
        let started = Running::start(plan, server, ports.next(), scratch).and_then(|running| {
            let values = prepare(plan.fixture, &running.url)
                .map_err(|err| format!("cannot prepare it: {err}"))?;
            Ok((running, values))
        });
        match started {
            Ok(running_server) => {
                eprintln!("   {} at {}", server.label, running_server.0.url);
                running.insert(server.key, running_server);
            }
            Err(err) => report
                .problems
                .push(format!("chapter {}, {}: {err}", plan.chapter, server.label)),
        }
    }
    for scenario in &plan.scenarios {
        let mut samples: BTreeMap<&str, Vec<Measure>> = BTreeMap::new();
        for round in 0..plan.rounds {
            // Every other turn in reverse order, so that neither server always goes first.
            let mut order = scenario.servers.clone();
            if round % 2 == 1 {
                order.reverse();
            }
            for key in &order {
                let Some((server, values)) = running.get(key) else {
                    continue;
                };
                match wrk(scenario, &server.url, values, settings, scratch) {
                    Ok(measure) => samples.entry(key).or_default().push(measure),
                    Err(err) => report.problems.push(format!(
                        "chapter {} {} on {key}: {err}",
                        plan.chapter, scenario.endpoint
                    )),
                }
            }
        }
        for server in &plan.servers {
            let Some(measures) = samples.remove(server.key) else {
                continue;
            };
            let turns = measures.iter().map(Measure::per_second).collect();
            let median = median_by(measures, Measure::per_second);
            eprintln!(
                "   {:<28} {:>3} conn. {:<36} {:>9.0} req/s, {} errors",
                scenario.endpoint,
                scenario.connections,
                server.label,
                median.per_second(),
                median.errors
            );
            report.rows.push(Row {
                chapter: plan.chapter,
                endpoint: scenario.endpoint,
                connections: scenario.connections,
                kind: server.kind,
                key: server.key,
                label: server.label.clone(),
                measure: median,
                turns,
                peak_rss_kib: None,
            });
        }
    }
    for (key, (server, _)) in &mut running {
        let peak = server.peak_rss_kib();
        for row in report.rows.iter_mut() {
            if row.chapter == plan.chapter && row.key == *key {
                row.peak_rss_kib = peak;
            }
        }
        server.stop();
    }
}

/// Loads one endpoint of one server: a warm-up, then the measurement.
fn wrk(
    scenario: &Scenario,
    url: &str,
    values: &BTreeMap<&str, String>,
    settings: &Settings,
    scratch: &Scratch,
) -> Result<Measure, String> {
    let fill = |text: &str| {
        values.iter().fold(text.to_owned(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
    };
    let mut lua = format!("wrk.method = \"{}\"\n", scenario.method);
    for (name, value) in &scenario.headers {
        let _ = writeln!(lua, "wrk.headers[\"{name}\"] = [==[{}]==]", fill(value));
    }
    if let Some(body) = scenario.body {
        let _ = writeln!(lua, "wrk.body = [==[{body}]==]");
    }
    lua.push_str(DONE);
    let script = scratch.0.join("scenario.lua");
    std::fs::write(&script, lua).map_err(|err| err.to_string())?;
    let target = format!("{url}{}", fill(scenario.path));
    let load = |seconds: u32| {
        Command::new("wrk")
            .args(["--threads", "1", "--timeout", REQUEST_TIMEOUT])
            .args(["--connections", &scenario.connections.to_string()])
            .args(["--duration", &format!("{seconds}s")])
            .arg("--script")
            .arg(&script)
            .arg(&target)
            .output()
            .map_err(|err| format!("cannot run wrk: {err} (scripts/bench installs it)"))
    };
    if settings.warm_up > 0 {
        load(settings.warm_up)?;
    }
    let output = load(settings.seconds)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|line| line.starts_with("{\"requests\""))
        .ok_or_else(|| format!("wrk said: {}", String::from_utf8_lossy(&output.stderr)))?;
    serde_json::from_str(line).map_err(|err| format!("wrk's summary {line:?}: {err}"))
}

/// wrk's last words, as one JSON line: requests, errors (refused, broken, timed out, or any
/// status other than 2xx and 3xx), and the median and 99th percentile latency.
const DONE: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"#;

// ---------------------------------------------------------------------------------------------
// Reporting

/// The middle one of `items` ordered by `key` (of an even count, the upper of the two).
fn median_by<T: Copy>(mut items: Vec<T>, key: impl Fn(&T) -> f64) -> T {
    items.sort_by(|a, b| key(a).total_cmp(&key(b)));
    items[items.len() / 2]
}

/// `row`'s requests per second over `other`'s, and the ratios it comes from. Measured in the
/// same turns, it is the median of each turn's ratio: two measurements taken one after the
/// other share the machine's busy moments, which the medians of each side alone do not.
/// Otherwise it is the ratio of the two medians.
fn compared(row: &Row, other: &Row) -> (f64, Vec<f64>) {
    if row.turns.len() > 1 && row.turns.len() == other.turns.len() {
        let ratios: Vec<f64> = row
            .turns
            .iter()
            .zip(&other.turns)
            .map(|(a, b)| a / b.max(0.001))
            .collect();
        let median = median_by(ratios.clone(), |ratio| *ratio);
        return (median, ratios);
    }
    let ratio = row.measure.per_second() / other.measure.per_second().max(0.001);
    (ratio, Vec::new())
}

/// One server on one endpoint.
#[derive(Debug, Clone)]
struct Row {
    chapter: &'static str,
    endpoint: &'static str,
    connections: u32,
    kind: Kind,
    key: &'static str,
    label: String,
    /// The median measurement.
    measure: Measure,
    /// Requests per second of each turn, in the order they were taken.
    turns: Vec<f64>,
    peak_rss_kib: Option<u64>,
}

impl Row {
    fn same_load(&self, other: &Row) -> bool {
        self.chapter == other.chapter
            && self.endpoint == other.endpoint
            && self.connections == other.connections
    }
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    /// What was left out, and why.
    notes: Vec<String>,
    /// What should have worked and did not: the run fails.
    problems: Vec<String>,
    /// Databases made for the run, dropped at the end: `(client, statement)`.
    drops: Vec<(Vec<&'static str>, String)>,
}

impl Drop for Report {
    fn drop(&mut self) {
        for (client, statement) in &self.drops {
            let _ = run_quietly(client, statement);
        }
    }
}

impl Report {
    /// "16× FastAPI", "0.98× plain", "9.10× as it comes", for the workbook's own row (on
    /// SQLite, in chapter 12: the other databases have no counterpart).
    fn comparison(&self, row: &Row) -> String {
        if row.key != "rust" {
            return String::new();
        }
        let mut parts = Vec::new();
        for (kind, name) in [
            (Kind::FastApi, "FastAPI"),
            (Kind::Plain, "plain"),
            (Kind::Untuned, "as it comes"),
        ] {
            let other = self
                .rows
                .iter()
                .find(|other| other.kind == kind && other.same_load(row));
            if let Some(other) = other {
                parts.push(format!("{}× {name}", ratio_text(compared(row, other).0)));
            }
        }
        parts.join(" · ")
    }

    /// How the workbook's rows compare with plain poem-openapi, turn by turn.
    fn turn_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for row in self.rows.iter().filter(|row| row.key == "rust") {
            let plain = self
                .rows
                .iter()
                .find(|other| other.kind == Kind::Plain && other.same_load(row));
            let Some(plain) = plain else { continue };
            let (median, ratios) = compared(row, plain);
            if ratios.len() < 2 {
                continue;
            }
            let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            notes.push(format!(
                "Chapter {} `{}` against plain poem-openapi: {}× (the median of {} turns side by \
                 side; the turns gave {}× to {}×).",
                row.chapter,
                row.endpoint,
                ratio_text(median),
                ratios.len(),
                ratio_text(low),
                ratio_text(high),
            ));
        }
        notes
    }

    fn markdown(&self, record: &Record) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<!-- Written by scripts/bench: run it again to replace it. -->"
        );
        for line in record.lines() {
            let _ = writeln!(out, "{line}  ");
        }
        out.push('\n');
        out.push_str(
            "| Ch. | Endpoint | Conn. | Server | req/s | p50 | p99 | Errors | Peak RSS \
             | Compared |\n|---|---|--:|---|--:|--:|--:|--:|--:|---|\n",
        );
        for row in &self.rows {
            let m = &row.measure;
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.chapter,
                row.endpoint,
                row.connections,
                row.label,
                thousands(m.per_second()),
                millis(m.p50_us),
                millis(m.p99_us),
                m.errors,
                row.peak_rss_kib.map_or("n/a".to_owned(), mebibytes),
                self.comparison(row)
            );
        }
        let notes: Vec<String> = self
            .turn_notes()
            .into_iter()
            .chain(self.notes.clone())
            .collect();
        if !notes.is_empty() {
            out.push('\n');
            for note in &notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }

    /// Bars of requests per second on a log scale, one group per endpoint.
    fn svg(&self, record: &Record) -> String {
        let (left, right, bar, gap, top) = (250.0, 130.0, 16.0, 14.0, 78.0);
        let width = 900.0;
        let plot = width - left - right;
        let mut groups: Vec<Vec<&Row>> = Vec::new();
        for row in &self.rows {
            match groups.iter_mut().find(|group| group[0].same_load(row)) {
                Some(group) => group.push(row),
                None => groups.push(vec![row]),
            }
        }
        let rates = self
            .rows
            .iter()
            .map(|row| row.measure.per_second().max(1.0));
        let high = rates.clone().fold(10.0_f64, f64::max).log10().ceil();
        let low = rates
            .fold(f64::MAX, f64::min)
            .log10()
            .floor()
            .min(high - 1.0);
        let x = |rate: f64| left + plot * (rate.max(1.0).log10() - low) / (high - low);
        let bars: usize = groups.iter().map(Vec::len).sum();
        let height = top + bars as f64 * bar + groups.len() as f64 * gap + 40.0;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
             font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Requests per \
             second (log scale; higher is better)</text>\n\
             <text x=\"10\" y=\"38\" fill=\"#555\">{}</text>\n",
            escape(&record.summary())
        );
        let mut legend_x = 10.0;
        let mut kinds: Vec<(Kind, &str)> = Vec::new();
        for row in &self.rows {
            let name = match row.kind {
                Kind::Workbook => "this workbook",
                Kind::Untuned => "SQLite as it comes",
                Kind::FastApi => "FastAPI + uvicorn",
                Kind::Plain => "plain poem-openapi",
            };
            if !kinds.iter().any(|(kind, _)| *kind == row.kind) {
                kinds.push((row.kind, name));
            }
        }
        kinds.sort();
        for (kind, name) in kinds {
            let _ = writeln!(
                svg,
                "<rect x=\"{legend_x}\" y=\"50\" width=\"12\" height=\"12\" fill=\"{}\"/>\
                 <text x=\"{}\" y=\"60\">{name}</text>",
                kind.colour(),
                legend_x + 16.0
            );
            legend_x += 30.0 + 7.0 * name.len() as f64;
        }
        let bottom = height - 30.0;
        let mut decade = low;
        while decade <= high {
            let at = x(10f64.powf(decade));
            let _ = writeln!(
                svg,
                "<line x1=\"{at:.1}\" y1=\"{top}\" x2=\"{at:.1}\" y2=\"{bottom}\" \
                 stroke=\"#ddd\"/><text x=\"{at:.1}\" y=\"{}\" text-anchor=\"middle\" \
                 fill=\"#555\">{}</text>",
                bottom + 16.0,
                decade_label(decade)
            );
            decade += 1.0;
        }
        let mut y = top;
        for group in &groups {
            let first = group[0];
            let label = format!(
                "{} {} · {} conn.",
                first.chapter, first.endpoint, first.connections
            );
            let middle = y + bar * group.len() as f64 / 2.0 + 4.0;
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{middle:.1}\" text-anchor=\"end\">{}</text>",
                left - 8.0,
                escape(&label)
            );
            for row in group {
                let rate = row.measure.per_second();
                let end = x(rate);
                let _ = writeln!(
                    svg,
                    "<rect x=\"{left}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                     fill=\"{}\"><title>{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" \
                     fill=\"#333\">{} {}</text>",
                    y + 1.0,
                    (end - left).max(1.0),
                    bar - 2.0,
                    row.kind.colour(),
                    escape(&row.label),
                    end + 4.0,
                    y + bar - 4.0,
                    short(rate),
                    escape(database_of(&row.label))
                );
                y += bar;
            }
            y += gap;
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// "PostgreSQL" of "this workbook, PostgreSQL": the bar's own words, where a group has several.
fn database_of(label: &str) -> &str {
    match label.split_once(", ") {
        Some((_, "SQLite" | "SQLite as it comes")) | None => "",
        Some((_, database)) => database,
    }
}

fn ratio_text(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}")
    } else {
        format!("{ratio:.2}")
    }
}

fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn short(value: f64) -> String {
    match value {
        v if v >= 1e6 => format!("{:.1}M", v / 1e6),
        v if v >= 1e4 => format!("{:.0}k", v / 1e3),
        v if v >= 1e3 => format!("{:.1}k", v / 1e3),
        v => format!("{v:.0}"),
    }
}

/// "1", "10", "100", "1k" … for the axis.
fn decade_label(exponent: f64) -> String {
    match exponent as i32 {
        e if e >= 6 => format!("{}M", 10_i64.pow((e - 6) as u32)),
        e if e >= 3 => format!("{}k", 10_i64.pow((e - 3) as u32)),
        e => 10_i64.pow(e.max(0) as u32).to_string(),
    }
}

fn millis(micros: u64) -> String {
    let ms = micros as f64 / 1000.0;
    match ms {
        ms if ms < 10.0 => format!("{ms:.2} ms"),
        ms if ms < 100.0 => format!("{ms:.1} ms"),
        ms => format!("{ms:.0} ms"),
    }
}

fn mebibytes(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---------------------------------------------------------------------------------------------
// The record of a run

/// Where and when a run was made, and with what.
#[derive(Debug)]
struct Record {
    date: String,
    machine: String,
    load: String,
    tools: String,
    commit: String,
    command: String,
}

impl Record {
    fn now(settings: &Settings) -> Self {
        let mut command = String::from("scripts/bench");
        for arg in std::env::args().skip(1) {
            command.push(' ');
            command.push_str(&arg);
        }
        let python = first_line(
            ".venv/bin/python",
            &[
                "-c",
                "import sys, fastapi, uvicorn; print(f'Python {sys.version.split()[0]}, \
                 FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__}')",
            ],
        );
        // `wrk --version` prints its version with its usage, and exits 1.
        let wrk = Command::new("wrk")
            .arg("--version")
            .output()
            .ok()
            .and_then(|output| {
                let text = String::from_utf8_lossy(&output.stdout).into_owned();
                let version = text.split_whitespace().nth(1)?;
                Some(format!(
                    "wrk {}",
                    version.rsplit('/').next().unwrap_or(version)
                ))
            })
            .unwrap_or_else(|| "wrk".to_owned());
        let mut tools = vec![
            format!("{wrk} (1 thread)"),
            format!("{}, release builds", first_line("rustc", &["-V"])),
        ];
        if !python.is_empty() {
            tools.push(format!("{python} (1 worker, no access log)"));
        }
        let dirty = !first_line("git", &["status", "--porcelain"]).is_empty();
        let commit = first_line("git", &["rev-parse", "--short", "HEAD"]);
        Self {
            date: utc_now(),
            machine: machine(),
            load: format!("load average {} at the start", load_average()),
            tools: tools.join(" · "),
            commit: if dirty {
                format!("commit {commit} with local changes")
            } else {
                format!("commit {commit}")
            },
            command: match settings.warm_up {
                0 => format!(
                    "`{command}`: {} s per measurement, no warm-up, on 127.0.0.1; a quick run \
                     only shows that the benchmark works",
                    settings.seconds
                ),
                warm_up => format!(
                    "`{command}`: {} s per measurement after a {warm_up} s warm-up, on 127.0.0.1",
                    settings.seconds
                ),
            },
        }
    }

    fn lines(&self) -> Vec<String> {
        vec![
            format!("Measured {} on {}, {}.", self.date, self.machine, self.load),
            format!("{}; {}.", self.tools, self.commit),
            format!("Command: {}.", self.command),
        ]
    }

    fn summary(&self) -> String {
        format!("{} · {}", self.date, self.machine)
    }
}

/// The system's load average over the last minute: how many threads wanted a core.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| {
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.lines().next().map(str::to_owned)
        })
        .unwrap_or_default()
}

/// "AMD EPYC, 2 cores, 23.5 GiB, Linux 6.1.0": what the figures depend on.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("an unknown CPU".to_owned(), |(_, name)| {
            name.trim().to_owned()
        });
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(String::new(), |kib| {
            format!(", {:.1} GiB", kib / 1024.0 / 1024.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or(String::new(), |release| {
            format!(", Linux {}", release.trim())
        });
    format!("{cpu}, {cores} cores{memory}{kernel}")
}

/// Now, as `2026-05-04 13:37 UTC`.
fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let days = (seconds / 86_400) as i64;
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    // Days since 1970-01-01 to a civil date, in 400-year eras of 146,097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

// ---------------------------------------------------------------------------------------------
// Logins (`--logins`)

mod logins {
    use super::*;

    /// The password of every benchmark account.
    const PASSWORD: &str = "correct horse battery";

    /// One half of the comparison: the same release build, started with these settings.
    struct Setup {
        label: &'static str,
        env: &'static [(&'static str, &'static str)],
    }

    /// Every limit switched off (0), as the chapter was before it had them; then the defaults.
    const SETUPS: [Setup; 2] = [
        Setup {
            label: "limits off (as before)",
            env: &[
                ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
                ("LOGIN_MAX_FAILURES_PER_ADDRESS", "0"),
                ("REGISTER_MAX_PER_ADDRESS", "0"),
                ("BCRYPT_CONCURRENCY", "0"),
            ],
        },
        Setup {
            label: "default limits",
            env: &[],
        },
    ];

    /// What the clients send: each one its own account's password, or a wrong one.
    #[derive(Debug, Clone, Copy)]
    enum Passwords {
        Right,
        Wrong,
    }

    /// What one load saw: each answer's status and time, and the requests that got none.
    struct Seen {
        answers: Vec<(u16, Duration)>,
        failed: usize,
        seconds: f64,
    }

    pub(super) fn run(cli: &Cli) -> Result<bool, String> {
        let seconds = cli.seconds.unwrap_or(20);
        let mut record = Record::now(&Settings {
            seconds,
            warm_up: 1,
            quick: false,
        });
        if !cli.no_build {
            build(&["14"])?;
        }
        let scratch = Scratch::new()?;
        let mut ports = Ports(cli.ports);
        let mut rows = Vec::new();
        for setup in &SETUPS {
            eprintln!("== chapter 14 logins, {}", setup.label);
            let plan = Plan {
                chapter: "14",
                package: "ch14-bigger-application".to_owned(),
                servers: Vec::new(),
                scenarios: Vec::new(),
                rounds: 1,
                fixture: Fixture::Nothing,
            };
            let key = if rows.is_empty() { "off" } else { "on" };
            let mut env = vec![
                ("DATA_DIR".to_owned(), scratch.folder("14", key)),
                ("JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
                // The chapter's own cost: a login takes what it takes in production.
                ("BCRYPT_COST".to_owned(), "12".to_owned()),
            ];
            env.extend(
                setup
                    .env
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
            let server = Server {
                kind: Kind::Workbook,
                label: setup.label.to_owned(),
                key,
                env,
                dir: PathBuf::from("."),
            };
            let mut running = Running::start(&plan, &server, ports.next(), &scratch)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            let emails = runtime.block_on(accounts(&running.url, cli.connections))?;
            for passwords in [Passwords::Right, Passwords::Wrong] {
                let seen = runtime.block_on(load(&running.url, &emails, passwords, seconds))?;
                let row = row(setup.label, passwords, &seen);
                eprintln!("   {row}");
                rows.push(row);
            }
            running.stop();
        }
        record.load = format!("{}, {} at the end", record.load, load_average());
        let mut table = String::from("<!-- Written by scripts/bench --logins. -->\n");
        for line in [
            format!(
                "Measured {} on {}, {}.",
                record.date, record.machine, record.load
            ),
            format!("{}; {}.", record.tools, record.commit),
            format!(
                "Chapter 14's release build, bcrypt cost 12; {} clients log in without pause \
                 for {seconds} s (after a 429 or 503, once `Retry-After` has passed), each with \
                 an account of its own, all from 127.0.0.1.",
                cli.connections
            ),
        ] {
            let _ = writeln!(table, "{line}  ");
        }
        table.push_str(
            "\n| Server | Passwords | Answers | 200 | 400 | 429 | 503 | No answer \
             | p50 checked | p99 checked | p99 refused |\n\
             |---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
        );
        for row in &rows {
            let _ = writeln!(table, "{row}");
        }
        std::fs::create_dir_all(&cli.out)
            .map_err(|err| format!("cannot make {}: {err}", cli.out.display()))?;
        let path = cli.out.join("logins.md");
        std::fs::write(&path, &table)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        println!("{table}");
        eprintln!("bench: wrote {}", path.display());
        Ok(true)
    }

    /// Registers one account per client, two at a time (bcrypt has two cores here, and a
    /// full queue answers 503); answers their addresses.
    async fn accounts(url: &str, count: u32) -> Result<Vec<String>, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|err| err.to_string())?;
        let emails: Vec<String> = (0..count)
            .map(|n| format!("bench{n}@example.com"))
            .collect();
        for pair in emails.chunks(2) {
            let mut tasks = tokio::task::JoinSet::new();
            for email in pair {
                let request = client
                    .post(format!("{url}/auth/register/email"))
                    .json(&json!({"email": email, "pw": PASSWORD}));
                tasks.spawn(send(request));
            }
            while let Some(done) = tasks.join_next().await {
                done.map_err(|err| err.to_string())?
                    .map_err(|err| format!("cannot register: {err}"))?;
            }
        }
        Ok(emails)
    }

    /// Every client logs in again as soon as it is answered (or told to come back later, as
    /// `Retry-After` says), for `seconds`, on a connection of its own.
    async fn load(
        url: &str,
        emails: &[String],
        passwords: Passwords,
        seconds: u32,
    ) -> Result<Seen, String> {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds.into());
        let mut tasks = tokio::task::JoinSet::new();
        for email in emails {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .pool_max_idle_per_host(1)
                .build()
                .map_err(|err| err.to_string())?;
            let pw = match passwords {
                Passwords::Right => PASSWORD,
                Passwords::Wrong => "not the password",
            };
            let body = json!({"email": email, "pw": pw});
            let url = format!("{url}/auth/login/email");
            tasks.spawn(async move {
                let (mut answers, mut failed) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match client.post(&url).json(&body).send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let retry_after = response
                                .headers()
                                .get("retry-after")
                                .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
                            let _ = response.bytes().await;
                            answers.push((status, sent.elapsed()));
                            // A client that does as it is told: back after `Retry-After`.
                            if let Some(seconds) = retry_after {
                                let back = Instant::now() + Duration::from_secs(seconds);
                                tokio::time::sleep_until(back.min(deadline).into()).await;
                            }
                        }
                        Err(_) => failed += 1,
                    }
                }
                (answers, failed)
            });
        }
        let mut seen = Seen {
            answers: Vec::new(),
            failed: 0,
            seconds: 0.0,
        };
        while let Some(done) = tasks.join_next().await {
            let (answers, failed) = done.map_err(|err| err.to_string())?;
            seen.answers.extend(answers);
            seen.failed += failed;
        }
        seen.seconds = started.elapsed().as_secs_f64();
        Ok(seen)
    }

    /// One line of the table.
    fn row(label: &str, passwords: Passwords, seen: &Seen) -> String {
        let count = |status: u16| seen.answers.iter().filter(|(s, _)| *s == status).count();
        let times = |refused: bool| {
            let mut times: Vec<Duration> = seen
                .answers
                .iter()
                .filter(|(status, _)| matches!(status, 429 | 503) == refused)
                .map(|(_, time)| *time)
                .collect();
            times.sort_unstable();
            times
        };
        let (checked, refused) = (times(false), times(true));
        let other = seen
            .answers
            .iter()
            .filter(|(s, _)| !matches!(s, 200 | 400 | 429 | 503))
            .count();
        format!(
            "| {label} | {} | {} in {:.0} s | {} | {} | {} | {} | {} | {} | {} | {} |",
            match passwords {
                Passwords::Right => "right",
                Passwords::Wrong => "wrong",
            },
            seen.answers.len(),
            seen.seconds,
            count(200),
            count(400),
            count(429),
            count(503),
            seen.failed + other,
            percentile(&checked, 50),
            percentile(&checked, 99),
            percentile(&refused, 99),
        )
    }

    /// The `p`th percentile of sorted times, as the table writes it; `–` when there are none.
    fn percentile(sorted: &[Duration], p: usize) -> String {
        if sorted.is_empty() {
            return "–".to_owned();
        }
        let at = ((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1;
        millis(sorted[at].as_micros() as u64)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn percentiles_are_read_from_sorted_times() {
            let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
            assert_eq!(percentile(&times, 50), "50.0 ms");
            assert_eq!(percentile(&times, 99), "99.0 ms");
            assert_eq!(percentile(&times[..1], 99), "1.00 ms");
            assert_eq!(percentile(&[], 50), "–");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(thousands(83_120.4), "83,120");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(short(83_120.0), "83k");
        assert_eq!(short(1_900.0), "1.9k");
        assert_eq!(millis(450), "0.45 ms");
        assert_eq!(millis(123_456), "123 ms");
        assert_eq!(ratio_text(16.4), "16");
        assert_eq!(ratio_text(0.981), "0.98");
        assert_eq!(decade_label(3.0), "1k");
        assert_eq!(decade_label(5.0), "100k");
        assert_eq!(decade_label(1.0), "10");
    }

    #[test]
    fn chapters_are_padded_and_all_means_every_one() {
        assert_eq!(chosen_chapters(&["1".to_owned()]).unwrap(), vec!["01"]);
        assert_eq!(
            chosen_chapters(&["all".to_owned()]).unwrap().len(),
            CHAPTERS.len()
        );
        assert!(chosen_chapters(&["07".to_owned()]).is_err());
    }

    #[test]
    fn the_workbook_row_is_compared_with_the_others_on_the_same_load() {
        let measure = |requests| Measure {
            requests,
            duration_us: 1_000_000,
            errors: 0,
            p50_us: 1,
            p99_us: 2,
        };
        let row = |kind, key, requests| Row {
            chapter: "01",
            endpoint: "GET /",
            connections: 64,
            kind,
            key,
            label: key.to_owned(),
            measure: measure(requests),
            turns: Vec::new(),
            peak_rss_kib: None,
        };
        let mut report = Report::default();
        report.rows = vec![
            row(Kind::Workbook, "rust", 80_000),
            row(Kind::FastApi, "fastapi", 5_000),
            row(Kind::Plain, "plain", 81_000),
        ];
        assert_eq!(
            report.comparison(&report.rows[0]),
            "16× FastAPI · 0.99× plain"
        );
        assert_eq!(report.comparison(&report.rows[1]), "");
        assert!(
            report.turn_notes().is_empty(),
            "one turn has no spread to show"
        );

        // Turn by turn, the ratio of each pair counts, not the ratio of the two medians: here
        // the medians alone (80,000 against 70,000) would say 1.14×.
        report.rows[0].turns = vec![60_000.0, 80_000.0, 90_000.0];
        report.rows[2].turns = vec![70_000.0, 84_000.0, 90_000.0];
        assert_eq!(
            report.comparison(&report.rows[0]),
            "16× FastAPI · 0.95× plain"
        );
        assert_eq!(
            report.turn_notes(),
            vec![
                "Chapter 01 `GET /` against plain poem-openapi: 0.95× (the median of 3 turns \
                 side by side; the turns gave 0.86× to 1.00×)."
            ]
        );
    }
}
