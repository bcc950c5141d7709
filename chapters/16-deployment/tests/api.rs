//! Chapter 16's tests: the grader's run, and what the grader does not check.
//!
//! The HTTP contract (each status, body and header a client sees) is the grader's, in
//! `tests/src/chapters/ch16.rs`: `program::the_grader_passes_every_check` runs every one of its
//! checks on the built program, on SQLite, PostgreSQL and MySQL/MariaDB. What is here:
//!
//! - in-process with poem's test client, rules no grader check tries: files as they are on
//!   disk, links and hidden files, `Allow`, `/redoc`, forged hosts, garbage that must not be
//!   a 500, and the document as reviewed;
//! - over real TCP from chosen loopback addresses, since it is about the connection: peers
//!   that are not trusted proxies, the configured proxy header, the login limits and request
//!   ids behind a proxy;
//! - what HTTP cannot show: the settings as read from the environment, a file and flags; a
//!   lost database; the program's refusals to start, its worker threads, its logs, and where
//!   it finds its files.

// `kit::db_tests!` bodies are plain functions, not `#[test]`s: clippy's test allowance misses
// them, and a panic is how a test fails.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ch16_deployment::{Settings, app};
use grader::check::{Reply, send_in_process};
use kit::Env;
use kit::db::{Backend, TestDb};
use poem::endpoint::BoxEndpoint;
use poem::test::TestClient;
use serde_json::{Value, json};

type Client = Arc<TestClient<BoxEndpoint<'static>>>;

/// A signing key for the tests' tokens (at least 32 bytes).
const JWT_SECRET: &str = "tests-sign-their-own-tokens-with-this-key";

/// The settings of a test: its database, bcrypt at its lowest cost, and `extra`.
fn settings(url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut pairs = vec![
        ("DATABASE_URL", url),
        ("JWT_SECRET", JWT_SECRET),
        ("BCRYPT_COST", "4"),
    ];
    pairs.extend_from_slice(extra);
    Settings::from_env(&Env::from_pairs(pairs)).expect("the settings are valid")
}

async fn app_on(url: &str, extra: &[(&str, &str)]) -> BoxEndpoint<'static> {
    app(&settings(url, extra)).await.expect("the app starts")
}

/// The app in-process, on the database at `url`, asked for `localhost`.
async fn client_at(url: &str, extra: &[(&str, &str)]) -> Client {
    let app = app_on(url, extra).await;
    Arc::new(TestClient::new(app).default_header("host", "localhost:8000"))
}

async fn client_with(db: &TestDb, extra: &[(&str, &str)]) -> Client {
    client_at(&db.url, extra).await
}

async fn client(db: &TestDb) -> Client {
    client_with(db, &[]).await
}

/// A SQLite database, for the tests that are not about the database.
async fn sqlite(test: &str) -> TestDb {
    TestDb::create(Backend::Sqlite, test)
        .await
        .expect("SQLite is always here")
}

async fn get(cli: &Client, uri: &str) -> Reply {
    send_in_process(cli, "GET", uri, &[], None).await
}

/// The chapter's own static folder.
fn shipped_static() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
}

/// A new empty folder for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ch16-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Static files, beyond the grader's types, HEAD, traversals and folders.
mod static_files {
    use super::*;

    /// Byte for byte as on disk, with the exact type and `nosniff`: the grader asks for the
    /// type's start and a body that is not empty.
    #[tokio::test]
    async fn files_come_whole_with_their_content_type_and_nosniff() {
        let db = sqlite("static_types").await;
        let cli = client(&db).await;
        for (file, kind) in [
            ("index.html", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("logo.png", "image/png"),
        ] {
            let reply = get(&cli, &format!("/static/{file}")).await;
            reply.assert_status(200);
            assert_eq!(reply.header("content-type"), Some(kind), "{file}");
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
            let on_disk = std::fs::read(shipped_static().join(file)).unwrap();
            assert_eq!(reply.bytes(), on_disk, "{file}");
            let length = on_disk.len().to_string();
            assert_eq!(reply.header("content-length"), Some(length.as_str()));
        }
    }

    /// Beyond the grader's encodings of `../`: a `.` segment, a NUL byte, a name that is not
    /// UTF-8.
    #[tokio::test]
    async fn dot_segments_and_odd_bytes_are_404() {
        let db = sqlite("static_odd_paths").await;
        let cli = client(&db).await;
        for uri in [
            "/static/./index.html",
            "/static/index.html%00.png",
            "/static/%ff.html",
        ] {
            get(&cli, uri).await.assert_detail(404, "Not Found");
        }
    }

    /// A folder of the test's own (`STATIC_DIR`): folders, hidden files and links out of it are
    /// 404; a link that stays inside is followed.
    #[tokio::test]
    async fn folders_hidden_files_and_links_out_are_404() {
        let root = TempDir::new("links");
        let files = root.0.join("files");
        std::fs::create_dir_all(files.join("docs")).unwrap();
        std::fs::write(files.join("docs/guide.txt"), "inside").unwrap();
        std::fs::write(files.join(".env"), "JWT_SECRET=x").unwrap();
        std::fs::write(root.0.join("secret.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(root.0.join("secret.txt"), files.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(files.join("docs/guide.txt"), files.join("in.txt")).unwrap();
        std::os::unix::fs::symlink(&root.0, files.join("up")).unwrap();
        let db = sqlite("static_links").await;
        let dir = files.to_str().unwrap();
        let cli = client_with(&db, &[("STATIC_DIR", dir)]).await;

        let reply = get(&cli, "/static/docs/guide.txt").await;
        reply.assert_status(200);
        assert_eq!(reply.bytes(), b"inside");
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        // A link that stays inside the folder is followed.
        get(&cli, "/static/in.txt").await.assert_status(200);
        for uri in [
            "/static/",
            "/static/docs",
            "/static/docs/",
            "/static/.env",
            "/static/out.txt",
            "/static/up/secret.txt",
            "/static/missing.txt",
        ] {
            get(&cli, uri).await.assert_detail(404, "Not Found");
        }
    }

    /// The grader checks the 405 of a POST; this, the methods it names.
    #[tokio::test]
    async fn other_methods_are_405_naming_get_and_head() {
        let db = sqlite("static_methods").await;
        let cli = client(&db).await;
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let reply = send_in_process(&cli, method, "/static/style.css", &[], None).await;
            reply.assert_detail(405, "Method Not Allowed");
            assert_eq!(reply.header("allow"), Some("GET, HEAD"));
        }
    }
}

/// The database going away while the service runs: not ready, but alive, then ready again.
mod faults {
    use kit::testing::TcpProxy;

    use super::*;

    // SQLite is a file: it does not go away mid-request, so this runs on the servers only.
    kit::server_db_tests! {
        async fn a_lost_database_is_503_on_ready_while_health_stays_200(db: TestDb) {
            let upstream = db.server_address().unwrap();
            let proxy = TcpProxy::start(&upstream).await.unwrap();
            let url = db.url_through(proxy.port());
            let cli = client_at(&url, &[]).await;
            get(&cli, "/ready").await.assert_status(200);
            proxy.cut();
            get(&cli, "/ready")
                .await
                .assert_detail(503, "Database unavailable");
            get(&cli, "/health").await.assert_status(200);
            proxy.restore();
            get(&cli, "/ready").await.assert_status(200);
        }
    }
}

/// The client's address, over real TCP from chosen addresses of 127.0.0.0/8, since it is
/// about the connection. The grader, which connects from 127.0.0.1 alone, checks the peer
/// without trusted proxies and X-Forwarded-For through a trusted one.
mod proxies {
    use super::*;
    use std::net::IpAddr;

    /// `GET /whoami` from `local` (an address of 127.0.0.0/8) with `headers`.
    async fn whoami(url: &str, local: &str, headers: &[(&str, &str)]) -> Value {
        let local: IpAddr = local.parse().unwrap();
        let http = reqwest::Client::builder()
            .local_address(local)
            .build()
            .unwrap();
        let mut req = http.get(format!("{url}/whoami"));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    async fn serve(test: &str, extra: &[(&str, &str)]) -> (kit::testing::Running, TestDb) {
        let db = sqlite(test).await;
        let running = kit::testing::spawn(app_on(&db.url, extra).await).await;
        (running, db)
    }

    #[tokio::test]
    async fn the_login_limits_count_the_client_behind_a_trusted_proxy_not_the_proxy() {
        // Two guesses per address at most: the client behind the proxy meets the limit, and
        // another client behind the same proxy does not.
        let (server, _db) = serve(
            "login_limit_proxied",
            &[
                ("TRUSTED_PROXIES", "127.0.0.1"),
                ("LOGIN_MAX_FAILURES_PER_ADDRESS", "2"),
            ],
        )
        .await;
        let http = reqwest::Client::new();
        let login = |forwarded: &'static str, email: &'static str| {
            let http = http.clone();
            let url = format!("{}/auth/login/email", server.url);
            async move {
                let body = json!({"email": email, "pw": "not the password"});
                let resp = http
                    .post(url)
                    .header("x-forwarded-for", forwarded)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                resp.status().as_u16()
            }
        };
        assert_eq!(login("203.0.113.7", "a@example.com").await, 400);
        assert_eq!(login("203.0.113.7", "b@example.com").await, 400);
        assert_eq!(login("203.0.113.7", "c@example.com").await, 429);
        assert_eq!(login("203.0.113.8", "c@example.com").await, 400);
    }

    /// With trusted proxies set, a peer outside them is the client whatever it sends.
    #[tokio::test]
    async fn a_peer_that_is_not_a_trusted_proxy_cannot_spoof() {
        let (server, _db) = serve("whoami_spoof", &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        assert_eq!(
            whoami(
                &server.url,
                "127.0.0.5",
                &[("x-forwarded-for", "203.0.113.7")]
            )
            .await,
            json!({"client": "127.0.0.5"})
        );
    }

    /// One header is read, the configured one: `X-Forwarded-For` by default, `Forwarded` when
    /// `PROXY_HEADER` says so.
    #[tokio::test]
    async fn only_the_configured_proxy_header_is_read() {
        let (xff, _db) = serve("proxy_header_xff", &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        let forwarded = [("forwarded", "for=203.0.113.8")];
        assert_eq!(
            whoami(&xff.url, "127.0.0.1", &forwarded).await,
            json!({"client": "127.0.0.1"})
        );
        let (fwd, _db) = serve(
            "proxy_header_forwarded",
            &[
                ("TRUSTED_PROXIES", "127.0.0.0/8"),
                ("PROXY_HEADER", "forwarded"),
            ],
        )
        .await;
        let headers = [
            ("forwarded", r#"for="[2001:db8::7]:4711";proto=https"#),
            ("x-forwarded-for", "203.0.113.7"),
        ];
        assert_eq!(
            whoami(&fwd.url, "127.0.0.9", &headers).await,
            json!({"client": "2001:db8::7"})
        );
    }

    /// The `X-Request-Id` of `GET /health` from `local`, sending `id`.
    async fn request_id(url: &str, local: &str, id: &str) -> String {
        let http = reqwest::Client::builder()
            .local_address(local.parse::<IpAddr>().unwrap())
            .build()
            .unwrap();
        let resp = http
            .get(format!("{url}/health"))
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
        let id = resp.headers().get("x-request-id").unwrap();
        id.to_str().unwrap().to_owned()
    }

    /// The grader sees a trusted proxy's id kept; this, another peer's and an odd one replaced.
    #[tokio::test]
    async fn a_request_id_is_taken_from_a_trusted_proxy_only() {
        let (server, _db) = serve("request_id", &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
        let from_proxy = request_id(&server.url, "127.0.0.1", "nginx-3f2a9c").await;
        assert_eq!(from_proxy, "nginx-3f2a9c");
        let from_client = request_id(&server.url, "127.0.0.5", "nginx-3f2a9c").await;
        assert_ne!(from_client, "nginx-3f2a9c");
        assert_eq!(from_client.len(), 32, "{from_client}");
        // Not a plain id: replaced, even from the proxy.
        let odd = request_id(&server.url, "127.0.0.1", "a b").await;
        assert_ne!(odd, "a b");
    }

    /// Without a connection there is no peer to name.
    #[tokio::test]
    async fn in_process_the_client_is_unknown() {
        let db = sqlite("whoami_in_process").await;
        let cli = client(&db).await;
        let reply = get(&cli, "/whoami").await;
        reply.assert_status(200);
        assert_eq!(reply.json_or_null(), json!({"client": "unknown"}));
    }
}

/// The trusted-host check, chapter 11's, around the API and the files.
mod hosts {
    use super::*;

    /// An untrusted host, and the requests of a security review that each hide another host
    /// in `Host`, name two, or name another in the request line: refused on the API and the
    /// files alike.
    #[tokio::test]
    async fn a_host_hidden_in_the_authority_is_refused() {
        let db = sqlite("forged_hosts").await;
        let listed = client_with(&db, &[("TRUSTED_HOSTS", "*.example.com,api.example.org")]).await;
        for host in [
            "evil.example",
            "evil.com/.example.com",
            "user@evil.com/.example.com",
            "api.example.org:1@evil.com",
        ] {
            for path in ["/whoami", "/static/style.css"] {
                send_in_process(&listed, "GET", path, &[("host", host)], None)
                    .await
                    .assert_detail(400, "Invalid host header");
            }
        }
        let cli = client(&db).await;
        let forged: [(&str, &[(&str, &str)]); 4] = [
            ("/whoami", &[("host", "localhost:80@evil.com")]),
            ("/whoami", &[("host", "[::1]evil.com")]),
            ("/whoami", &[("host", "localhost"), ("host", "evil.com")]),
            ("http://evil.com/whoami", &[("host", "localhost")]),
        ];
        for (uri, headers) in forged {
            send_in_process(&cli, "GET", uri, headers, None)
                .await
                .assert_detail(400, "Invalid host header");
        }
        get(&cli, "/whoami").await.assert_status(200);
    }
}

/// Settings from the environment, a file and flags.
mod settings {
    use super::*;
    use ch16_deployment::settings::{LogFormat, sources};

    fn file(dir: &TempDir, text: &str) -> String {
        let path = dir.0.join("app.env");
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn args(flags: &[&str]) -> Vec<String> {
        flags.iter().map(|flag| (*flag).to_owned()).collect()
    }

    #[test]
    fn a_file_sets_what_the_environment_does_not() {
        let dir = TempDir::new("file_merge");
        let path = file(
            &dir,
            "# the service\n\nWORKERS = 3\nLOG_FORMAT=json\nTRUSTED_PROXIES=10.0.0.0/8\n",
        );
        let process = Env::from_pairs([("CONFIG_FILE", path.as_str()), ("LOG_FORMAT", "text")]);
        let env = sources(&process).unwrap();
        let settings = Settings::read(&args(&["--port", "9001"]), &env).unwrap();
        assert_eq!(settings.workers, Some(3));
        assert_eq!(settings.log_format, LogFormat::Text, "the environment wins");
        assert_eq!(settings.listen.port, 9001, "a flag wins");
        assert_eq!(settings.trusted_proxies.len(), 1);
    }

    #[test]
    fn the_read_timeouts_have_defaults_and_settings() {
        let settings = Settings::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        assert_eq!(
            settings.listen.timeouts,
            kit::serve::ReadTimeouts::default()
        );
        let env = Env::from_pairs([
            ("HEADER_READ_TIMEOUT_SECS", "5"),
            ("BODY_READ_TIMEOUT_SECS", "120"),
        ]);
        let timeouts = Settings::from_env(&env).unwrap().listen.timeouts;
        assert_eq!(timeouts.header, std::time::Duration::from_secs(5));
        assert_eq!(timeouts.body, std::time::Duration::from_secs(120));
        let env = Env::from_pairs([("BODY_READ_TIMEOUT_SECS", "0")]);
        assert_eq!(
            Settings::from_env(&env).unwrap_err().key,
            "BODY_READ_TIMEOUT_SECS"
        );
    }

    #[test]
    fn a_flag_wins_over_the_environment_and_the_file() {
        let dir = TempDir::new("file_flags");
        let path = file(&dir, "PORT=9002\nWORKERS=abc\n");
        let process = Env::from_pairs([("CONFIG_FILE", path.as_str()), ("PORT", "9003")]);
        let env = sources(&process).unwrap();
        let flags = args(&["--port", "9004", "--workers=2"]);
        let settings = Settings::read(&flags, &env).unwrap();
        assert_eq!((settings.listen.port, settings.workers), (9004, Some(2)));
        let settings = Settings::read(&args(&["--workers", "2"]), &env).unwrap();
        assert_eq!(settings.listen.port, 9003);
        // Without the flag, the file's wrong value is refused.
        assert_eq!(Settings::read(&[], &env).unwrap_err().key, "WORKERS");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_named_with_the_file() {
        let dir = TempDir::new("file_unknown");
        let path = file(&dir, "PORT=8000\nDATABSE_URL=sqlite://x.db\n");
        let err = sources(&Env::from_pairs([("CONFIG_FILE", path.as_str())])).unwrap_err();
        assert_eq!(err.key, "DATABSE_URL");
        assert!(err.problem.contains(&path), "{err}");
        assert!(err.problem.contains("DATABASE_URL, JWT_SECRET"), "{err}");
    }

    #[test]
    fn a_line_without_equals_or_a_key_set_twice_is_refused() {
        let dir = TempDir::new("file_malformed");
        let read = |text: &str| {
            let path = file(&dir, text);
            sources(&Env::from_pairs([("CONFIG_FILE", path.as_str())])).unwrap_err()
        };
        let err = read("PORT 8000\n");
        assert_eq!(err.key, "CONFIG_FILE");
        assert!(err.problem.contains("PORT 8000"), "{err}");
        assert_eq!(read("PORT=1\nPORT=2\n").key, "PORT");
    }

    #[test]
    fn a_missing_file_is_named() {
        let process = Env::from_pairs([("CONFIG_FILE", "/no/such/app.env")]);
        let err = sources(&process).unwrap_err();
        assert_eq!(err.key, "CONFIG_FILE");
        assert!(err.problem.contains("/no/such/app.env"), "{err}");
    }

    #[test]
    fn unknown_variables_in_the_environment_are_not_settings() {
        // The environment holds PATH, HOME and the rest: only the known keys are read.
        let process = Env::from_pairs([("PATH", "/bin"), ("WORKERS", "2")]);
        let env = sources(&process).unwrap();
        assert_eq!(env.get("PATH"), None);
        assert_eq!(env.get("WORKERS").as_deref(), Some("2"));
    }
}

/// The document, as reviewed and as served.
mod docs {
    use super::*;

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        let db = sqlite("openapi_document").await;
        let cli = client(&db).await;
        let reply = get(&cli, "/openapi.json").await;
        reply.assert_status(200);
        let doc = reply.json_or_null();
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        for path in ["/health", "/ready", "/whoami", "/version", "/api/services"] {
            assert!(paths.iter().any(|p| *p == path), "{path} in {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.starts_with("/static")), "{paths:?}");
        insta::assert_json_snapshot!("openapi", doc);
    }

    /// Chapter 14's operations are documented here as there: what the document calls valid
    /// on them, the service accepts, so a fuzzer reading it finds nothing to report.
    #[tokio::test]
    async fn the_accounts_are_documented_as_they_are_served() {
        let db = sqlite("accounts_document").await;
        let cli = client(&db).await;
        let doc = get(&cli, "/openapi.json").await.json_or_null();
        let schemas = &doc["components"]["schemas"];
        for path in ["/auth/register/{sns_type}", "/auth/login/{sns_type}"] {
            let sns_type = &doc["paths"][path]["post"]["parameters"][0]["schema"];
            assert_eq!(sns_type["enum"], json!(["email"]), "{path}");
        }
        assert_eq!(schemas["UserRegister"]["properties"]["pw"]["minLength"], 8);
        assert!(
            schemas["UserLogin"]["properties"]["pw"]
                .get("minLength")
                .is_none()
        );
        assert_eq!(
            schemas["UserMemo"]["properties"]["user_memo"]["nullable"],
            true
        );
        // Outside the list, a method is still the 400 the curriculum gives, not a 422.
        let body = json!({"email": "ryan@example.com", "pw": "correct horse"});
        send_in_process(&cli, "POST", "/auth/register/kakao", &[], Some(body))
            .await
            .assert_status(400);
    }

    /// The grader fetches `/docs`; ReDoc is served beside it.
    #[tokio::test]
    async fn redoc_is_served_too() {
        let db = sqlite("redoc").await;
        let cli = client(&db).await;
        let reply = get(&cli, "/redoc").await;
        reply.assert_status(200);
        let kind = reply.header("content-type").unwrap();
        assert!(kind.starts_with("text/html"), "{kind}");
    }
}

/// Garbage in the paths and headers this chapter adds: answered, never with a 500.
mod garbage {
    use super::*;

    #[tokio::test]
    async fn nothing_a_client_sends_is_a_500() {
        let db = sqlite("no_500").await;
        let cli = client(&db).await;
        let long = format!("/static/{}", "a/".repeat(2000));
        // Method, URI, headers.
        type Sent<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);
        let requests: Vec<Sent> = vec![
            ("GET", "/static/%ff%fe", vec![]),
            ("GET", "/static/%00", vec![]),
            ("GET", &long, vec![]),
            ("GET", "/whoami", vec![("x-forwarded-for", "garbage, , ,")]),
            ("GET", "/whoami", vec![("forwarded", "for=\"[::1\";;;=")]),
            ("OPTIONS", "/static/style.css", vec![]),
            ("DELETE", "/health", vec![]),
            ("GET", "/ready?x=%FF", vec![]),
            ("GET", "/version/extra", vec![]),
        ];
        for (method, uri, headers) in requests {
            let reply = send_in_process(&cli, method, uri, &headers, None).await;
            assert!(
                matches!(reply.status, 200..=299 | 400..=499),
                "{method} {uri}: {}",
                reply.status
            );
        }
    }
}

/// The program itself, started as a learner or an orchestrator starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use kit::db::TestDb;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    use super::TempDir;

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch16-deployment");
    const PATIENCE: Duration = Duration::from_secs(60);

    /// Grades the program on the database at `url`.
    async fn grade_on(url: &str) {
        let report = grader::grade_program_with_env("16", PROGRAM, &[("DATABASE_URL", url)]).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    kit::db_tests! {
        // Every check of the grader, the HTTP contract, on each backend.
        async fn the_grader_passes_every_check(db: TestDb) {
            grade_on(&db.url).await;
        }
    }

    /// Runs the program in `dir` with exactly `env` (and `args`) until it stops; answers its
    /// standard output and standard error.
    async fn start_failure(dir: &TempDir, env: &[(&str, &str)], args: &[&str]) -> (String, String) {
        let child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .args(args)
            .current_dir(&dir.0)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .expect("it stops by itself")
            .expect("its output is readable");
        assert!(!output.status.success(), "it should refuse to start");
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    #[tokio::test]
    async fn a_bad_setting_stops_the_start_before_it_listens_and_is_named() {
        let dir = TempDir::new("bad_settings");
        std::fs::write(dir.0.join("typo.env"), "WORKERS=2\nWROKERS=4\n").unwrap();
        std::fs::write(dir.0.join("bad.env"), "LOG_FORMAT=yaml\n").unwrap();
        let typo = dir.0.join("typo.env");
        let bad = dir.0.join("bad.env");
        let missing = dir.0.join("missing.env");
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![("WORKERS", "abc")],
                "error: WORKERS: must be a whole number",
            ),
            (
                vec![("WORKERS", "0")],
                "error: WORKERS: must be a whole number",
            ),
            (
                vec![("LOG_FORMAT", "xml")],
                "error: LOG_FORMAT: must be text or json",
            ),
            (
                vec![("TRUSTED_PROXIES", "127.0.0.1,proxy.internal")],
                "error: TRUSTED_PROXIES: \"proxy.internal\" is not an IP address",
            ),
            (vec![("HOST", " ")], "error: HOST: must name an address"),
            (
                vec![("STATIC_DIR", "/no/such/static")],
                "error: STATIC_DIR: cannot open /no/such/static",
            ),
            (
                vec![("CONFIG_FILE", typo.to_str().unwrap())],
                "error: WROKERS: is not a setting",
            ),
            (
                vec![("CONFIG_FILE", bad.to_str().unwrap())],
                "error: LOG_FORMAT: must be text or json",
            ),
            (
                vec![("CONFIG_FILE", missing.to_str().unwrap())],
                "error: CONFIG_FILE: cannot read",
            ),
            // Chapter 14's settings, read from the same sources.
            (
                vec![("APP_ENV", "prod")],
                "error: DATABASE_URL: must be set when APP_ENV=prod",
            ),
            (
                vec![("DATABASE_URL", "sqlite://file:app?mode=memory&cache=shared")],
                "error: DATABASE_URL: an in-memory SQLite database",
            ),
            (
                vec![
                    ("APP_ENV", "prod"),
                    ("DATABASE_URL", "sqlite://prod.db"),
                    ("JWT_SECRET", super::JWT_SECRET),
                    ("TRUSTED_HOSTS", "api.example.com,*"),
                ],
                "error: TRUSTED_HOSTS: must not hold \"*\" when APP_ENV=prod",
            ),
        ];
        for (env, named) in cases {
            let (stdout, stderr) = start_failure(&dir, &env, &[]).await;
            assert!(stderr.contains(named), "{env:?}: {stderr}");
            assert!(!stdout.contains("listening on"), "{env:?}: {stdout}");
        }
        let (_, stderr) = start_failure(&dir, &[], &["--workers", "x"]).await;
        assert!(stderr.contains("--workers"), "{stderr}");
    }

    /// The program, started in `dir` with `env`, JSON logs, on a free port; its URL and the
    /// reader of its standard error.
    async fn start(dir: &TempDir, env: &[(&str, &str)], args: &[&str]) -> (Child, String, Lines) {
        let db = dir.0.join("app.db");
        let url = format!("sqlite://{}", db.display());
        let mut child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .args(args)
            .current_dir(&dir.0)
            .env_clear()
            .envs([("LOG_FORMAT", "json"), ("DATABASE_URL", url.as_str())])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(PATIENCE, stdout.next_line())
            .await
            .expect("it starts in time")
            .unwrap()
            .unwrap_or_default();
        let url = first
            .strip_prefix("listening on ")
            .expect("the address")
            .to_owned();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        (child, url, stderr)
    }

    type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStderr>>;

    /// The next log line that satisfies `wanted`, parsed.
    async fn next_log(
        lines: &mut Lines,
        wanted: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        loop {
            let line = tokio::time::timeout(PATIENCE, lines.next_line())
                .await
                .expect("a log line in time")
                .unwrap()
                .expect("the program is still running");
            let parsed: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if wanted(&parsed) {
                return parsed;
            }
        }
    }

    #[tokio::test]
    async fn workers_sets_the_runtimes_worker_threads() {
        let dir = TempDir::new("workers");
        for (env, args, expected) in [
            (vec![("WORKERS", "3")], vec![], 3),
            (vec![("WORKERS", "3")], vec!["--workers", "1"], 1),
        ] {
            let (mut child, _, mut logs) = start(&dir, &env, &args).await;
            let line = next_log(&mut logs, |l| l["fields"]["message"] == "runtime started").await;
            assert_eq!(line["fields"]["workers"], expected, "{env:?} {args:?}");
            let _ = child.kill().await;
        }
    }

    #[tokio::test]
    async fn the_access_log_leaves_out_the_probes_and_names_the_client() {
        let dir = TempDir::new("access_log");
        let (mut child, url, mut logs) =
            start(&dir, &[("TRUSTED_PROXIES", "127.0.0.1")], &[]).await;
        let http = reqwest::Client::new();
        let mut ids = Vec::new();
        for path in ["/health", "/ready", "/health", "/whoami"] {
            let resp = http
                .get(format!("{url}{path}"))
                .header("x-forwarded-for", "203.0.113.7")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let id = resp
                .headers()
                .get("x-request-id")
                .unwrap()
                .to_str()
                .unwrap();
            ids.push(id.to_owned());
        }
        // Requests are answered in order, so the first access line is the first logged one.
        let line = next_log(&mut logs, |l| l["target"] == "access").await;
        let fields = &line["fields"];
        assert_eq!(fields["path"], "/whoami", "{line}");
        assert_eq!(fields["method"], "GET");
        assert_eq!(fields["status"], 200);
        assert_eq!(fields["client"], "203.0.113.7");
        assert_eq!(fields["peer"], "127.0.0.1");
        assert_eq!(
            fields["request_id"],
            ids[3].as_str(),
            "the id of the answer"
        );
        assert!(fields["duration_ms"].is_number(), "{line}");
        let _ = child.kill().await;
    }

    #[tokio::test]
    async fn the_program_finds_its_static_files_from_any_folder() {
        // The grader and `cargo run` start it outside the chapter's folder.
        let dir = TempDir::new("static_default");
        let (mut child, url, _logs) = start(&dir, &[], &[]).await;
        let resp = reqwest::get(format!("{url}/static/style.css"))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        // A `static` folder in the working directory comes first.
        let _ = child.kill().await;
        std::fs::create_dir_all(dir.0.join("static")).unwrap();
        std::fs::write(dir.0.join("static/style.css"), "/* local */").unwrap();
        let (mut child, url, _logs) = start(&dir, &[], &[]).await;
        let body = reqwest::get(format!("{url}/static/style.css"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "/* local */");
        let _ = child.kill().await;
    }
}
