//! Chapter 13's own tests, on SQLite, PostgreSQL and MySQL/MariaDB: what HTTP cannot show,
//! and what the grader does not send.
//!
//! The grader carries the HTTP contract: `grading` runs every `13.*` check against the built
//! program, on its default SQLite file and on each backend. What stays here is what only the
//! inside sees: the `migrate` commands' reports and the rows they leave (`program`), the
//! exercises' indexes and names read from the catalog (`exercises`), `migrate down`'s rules
//! with made-up migrations (`rules`), a database cut away behind a proxy (`outage`), the
//! OpenAPI snapshot; and, in `api`, the requests the grader does not send.

use ch13_migrations::{Config, Database, app, migrations};
use kit::db::{Backend, TestDb};
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};

/// The settings of a test: its own database, and the cheapest bcrypt cost.
fn config(db: &TestDb) -> Config {
    Config::for_tests(&db.url)
}

/// The test's database, with every migration applied.
async fn migrated(db: &TestDb) -> Database {
    let config = config(db);
    let database = Database::connect(&config)
        .await
        .expect("the test database answers");
    migrations::up(&database, migrations::migrator(db.backend), |_| {})
        .await
        .expect("the migrations apply");
    database
}

/// The app on the test's database, migrated.
async fn client(db: &TestDb) -> TestClient<impl Endpoint> {
    let database = migrated(db).await;
    TestClient::new(app(&kit::Docs::default(), &config(db), database))
}

/// `POST path` with a JSON body: the status and the body of the answer.
async fn post(cli: &TestClient<impl Endpoint>, path: &str, body: Value) -> (StatusCode, Value) {
    let resp = cli.post(path).body_json(&body).send().await;
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

async fn get(cli: &TestClient<impl Endpoint>, path: &str) -> (StatusCode, Value) {
    let resp = cli.get(path).send().await;
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// `POST /users/` of `email` with a password.
async fn sign_up(cli: &TestClient<impl Endpoint>, email: &str) -> (StatusCode, Value) {
    post(
        cli,
        "/users/",
        json!({"email": email, "password": "secret"}),
    )
    .await
}

/// Creates a user and returns its id.
async fn new_user(cli: &TestClient<impl Endpoint>, email: &str) -> i64 {
    let (status, body) = sign_up(cli, email).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_i64().expect("an id")
}

/// The API in-process, on every backend: what the grader's `13.users.*`, `13.items.*` and
/// `13.bad_input*` checks do not send.
mod api {
    use super::*;

    kit::db_tests! {
        async fn an_explicit_null_full_name_or_description_is_none(db: TestDb) {
            // As FastAPI's `str | None = None` reads it.
            let cli = client(&db).await;
            let body = json!({"email": "ann@example.com", "password": "secret", "full_name": null});
            let (status, user) = post(&cli, "/users/", body).await;
            assert_eq!((status, &user["full_name"]), (StatusCode::OK, &Value::Null), "{user}");
            let path = format!("/users/{}/items/", user["id"]);
            let (status, item) = post(&cli, &path, json!({"title": "Katana", "description": null})).await;
            assert_eq!((status, &item["description"]), (StatusCode::OK, &Value::Null), "{item}");
        }

        async fn an_address_is_read_as_pydantic_reads_an_email_str(db: TestDb) {
            // Chapter 12's reading: spaces stripped, `Name <addr>` reduced, the domain
            // lower-cased, so that one address however written is one user.
            let cli = client(&db).await;
            let (status, ann) = sign_up(&cli, " Ann <Ann@EXAMPLE.com> ").await;
            assert_eq!((status, &ann["email"]), (StatusCode::OK, &json!("Ann@example.com")));
            let taken = json!({"detail": "Email already registered"});
            assert_eq!(sign_up(&cli, "Ann@Example.com").await, (StatusCode::BAD_REQUEST, taken));
            assert_eq!(sign_up(&cli, "ann@localhost").await.0, StatusCode::UNPROCESSABLE_ENTITY);
        }

        async fn emails_that_differ_in_case_are_two_users(db: TestDb) {
            let cli = client(&db).await;
            let first = new_user(&cli, "Ann@example.com").await;
            let second = new_user(&cli, "ann@example.com").await;
            assert_ne!(first, second);
            let (_, body) = get(&cli, &format!("/users/{first}")).await;
            assert_eq!(body["email"], "Ann@example.com");
        }

        async fn the_422_for_an_invalid_email_is_as_reviewed(db: TestDb) {
            let cli = client(&db).await;
            let (status, body) = sign_up(&cli, "not-an-email").await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            insta::assert_json_snapshot!("invalid_email", body);
        }

        async fn a_password_of_72_bytes_passes_and_the_422_for_one_more_is_as_reviewed(db: TestDb) {
            let cli = client(&db).await;
            // 37 characters, 74 bytes: bcrypt would keep only the first 72.
            let long = json!({"email": "long@example.com", "password": "é".repeat(37)});
            let (status, body) = post(&cli, "/users/", long).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            insta::assert_json_snapshot!("password_too_long", body);
            let fits = json!({"email": "fits@example.com", "password": "é".repeat(36)});
            assert_eq!(post(&cli, "/users/", fits).await.0, StatusCode::OK);
        }

        async fn a_missing_or_mistyped_member_is_a_422_at_its_place(db: TestDb) {
            let cli = client(&db).await;
            let id = new_user(&cli, "ann@example.com").await;
            for (path, body, loc, kind) in [
                ("/users/".to_owned(), json!({"email": "x@example.com"}), "password", "missing"),
                (format!("/users/{id}/items/"), json!({"description": "no title"}), "title", "missing"),
                ("/users/".to_owned(), json!({"email": "x@example.com", "password": "p", "full_name": 5}), "full_name", "string_type"),
            ] {
                let (status, answer) = post(&cli, &path, body).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
                assert_eq!(answer["detail"][0]["loc"], json!(["body", loc]));
                assert_eq!(answer["detail"][0]["type"], kind);
            }
        }

        async fn a_body_that_is_not_json_is_a_422_at_the_body(db: TestDb) {
            let cli = client(&db).await;
            for (content_type, body) in [("application/json", "{\"email\": "), ("text/plain", "{}")] {
                let resp = cli.post("/users/").content_type(content_type).body(body).send().await;
                resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
                let body = kit::testing::json(resp).await;
                assert_eq!(body["detail"][0]["loc"][0], "body", "{body}");
            }
        }

        async fn items_page_and_an_empty_or_far_page_is_answered(db: TestDb) {
            let cli = client(&db).await;
            for n in 0..4 {
                let id = new_user(&cli, &format!("u{n}@example.com")).await;
                post(&cli, &format!("/users/{id}/items/"), json!({"title": format!("t{n}")})).await;
            }
            let (_, items) = get(&cli, "/items/?skip=3&limit=5").await;
            assert_eq!(items.as_array().map(Vec::len), Some(1));
            assert_eq!(items[0]["title"], "t3");
            for path in [
                "/users/?limit=0",
                "/items/?limit=0",
                "/users/?skip=9223372036854775807",
                "/items/?skip=9223372036854775807&limit=9223372036854775807",
            ] {
                assert_eq!(get(&cli, path).await, (StatusCode::OK, json!([])), "{path}");
            }
        }

        async fn a_skip_beyond_i64_is_a_422_on_the_query(db: TestDb) {
            let cli = client(&db).await;
            for path in ["/users/", "/items/"] {
                let (status, body) = get(&cli, &format!("{path}?skip=99999999999999999999")).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
                assert_eq!(body["detail"][0]["loc"], json!(["query", "skip"]));
            }
        }

        async fn ids_0_and_minus_1_are_unknown_users(db: TestDb) {
            let cli = client(&db).await;
            for unknown in [0, -1] {
                let not_found = (StatusCode::NOT_FOUND, json!({"detail": "User not found"}));
                assert_eq!(get(&cli, &format!("/users/{unknown}")).await, not_found);
            }
        }

        async fn a_user_id_that_is_not_an_i64_is_a_422_on_the_path(db: TestDb) {
            let cli = client(&db).await;
            for bad in ["abc", "1.5", "99999999999999999999", "%FF"] {
                let (status, body) = get(&cli, &format!("/users/{bad}")).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
                assert_eq!(body["detail"][0]["loc"], json!(["path", "user_id"]));
            }
        }

        async fn an_item_for_an_unknown_user_stores_nothing(db: TestDb) {
            let cli = client(&db).await;
            let (status, _) = post(&cli, "/users/424242/items/", json!({"title": "Orphan"})).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(get(&cli, "/items/").await, (StatusCode::OK, json!([])));
        }

        async fn a_quote_in_the_email_and_a_600_kb_description_come_back_whole(db: TestDb) {
            // 600 KB: more than MySQL's TEXT holds (64 KB), so the column must be MEDIUMTEXT.
            let cli = client(&db).await;
            let id = new_user(&cli, "o'brien@example.com").await;
            let big = "é🦀".repeat(100_000);
            let path = format!("/users/{id}/items/");
            let (status, item) = post(&cli, &path, json!({"title": "Big", "description": big})).await;
            assert_eq!(status, StatusCode::OK);
            let (_, read) = get(&cli, &format!("/users/{id}")).await;
            assert_eq!(read["email"], "o'brien@example.com");
            assert_eq!(read["items"], json!([item]));
            assert_eq!(read["items"][0]["description"].as_str().map(str::len), Some(big.len()));
        }

        async fn errors_are_json_and_head_answers_like_get(db: TestDb) {
            let cli = client(&db).await;
            let resp = cli.delete("/users/").send().await;
            resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
            resp.assert_json(json!({"detail": "Method Not Allowed"})).await;
            let resp = cli.get("/nowhere").send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Not Found"})).await;
            let resp = cli.head("/items/").send().await;
            resp.assert_status_is_ok();
            resp.assert_bytes(b"").await;
            let (status, _) = get(&cli, "/users").await;
            assert_eq!(status, StatusCode::OK, "/users answers as /users/");
        }
    }
}

/// The OpenAPI document does not depend on the backend: one snapshot, on SQLite.
#[tokio::test]
async fn the_openapi_document_is_as_reviewed() {
    let Some(db) = TestDb::create(Backend::Sqlite, "openapi").await else {
        return;
    };
    let cli = client(&db).await;
    let (status, document) = get(&cli, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        document["components"]["schemas"]["User"]["properties"]["full_name"]["type"],
        "string"
    );
    insta::assert_json_snapshot!("openapi", document);
}

/// The server reads `null` as "none" in these members, so the document must allow it
/// (FastAPI's `str | None = None`); elsewhere a null is refused, so the document must not
/// allow it. A fuzzer holds the server to what the document says.
#[tokio::test]
async fn a_member_may_be_null_in_the_document_exactly_where_the_server_takes_null() {
    let Some(db) = TestDb::create(Backend::Sqlite, "nullable").await else {
        return;
    };
    let cli = client(&db).await;
    let (_, document) = get(&cli, "/openapi.json").await;
    kit::testing::assert_nullable(
        &document,
        &[
            ("ItemCreate", "description", true),
            ("ItemCreate", "title", false),
            ("UserCreate", "full_name", true),
            ("UserCreate", "email", false),
            ("UserCreate", "password", false),
        ],
    );
}

#[tokio::test]
async fn the_fuzzers_exceptions_are_answers_the_document_declares() {
    let exceptions = kit::testing::fuzz_exceptions("13");
    // Few and narrow: registering an email twice is a 400 by the contract, and no schema can
    // tell a taken email from a free one.
    let taken = (
        "POST /users".to_owned(),
        "positive_data_acceptance".to_owned(),
        vec!["400".to_owned()],
    );
    assert_eq!(exceptions, [taken]);
    let Some(db) = TestDb::create(Backend::Sqlite, "fuzz").await else {
        return;
    };
    let cli = client(&db).await;
    let (_, document) = get(&cli, "/openapi.json").await;
    kit::testing::assert_fuzz_exceptions_declared(&document, &exceptions);
}

/// The built program, run as a learner or a deploy script runs it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use sqlx::Connection;
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    use super::*;

    pub(super) const PROGRAM: &str = env!("CARGO_BIN_EXE_ch13-migrations");
    const PATIENCE: Duration = Duration::from_secs(60);

    /// What a finished run printed, and how it ended.
    #[derive(Debug)]
    pub(super) struct Run {
        pub(super) code: Option<i32>,
        pub(super) stdout: String,
        pub(super) stderr: String,
    }

    impl Run {
        #[track_caller]
        pub(super) fn succeeded(&self) -> &Self {
            assert_eq!(self.code, Some(0), "{self:#?}");
            self
        }

        #[track_caller]
        pub(super) fn failed_saying(&self, words: &[&str]) -> &Self {
            assert_eq!(self.code, Some(1), "{self:#?}");
            for word in words {
                assert!(self.stderr.contains(word), "{word:?} not in {self:#?}");
            }
            self
        }
    }

    /// The program on the test's database, with nothing else from this environment.
    pub(super) fn command(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(PROGRAM);
        command
            .args(args)
            .current_dir(std::env::temp_dir())
            .env_clear()
            .env("DATABASE_URL", &db.url)
            .env("BCRYPT_COST", "4")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs `PROGRAM args…` to the end.
    pub(super) async fn run(db: &TestDb, args: &[&str]) -> Run {
        run_with(db, args, &[]).await
    }

    pub(super) async fn run_with(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = command(db, args, env).output();
        let output = tokio::time::timeout(PATIENCE, output)
            .await
            .expect("the program finished in time")
            .expect("the program runs");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Starts the server; its base URL once it listens, or how it ended if it stopped first.
    pub(super) async fn serve(
        db: &TestDb,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(Child, String), Run> {
        let mut args = args.to_vec();
        args.extend(["--port", "0"]);
        let mut child = command(db, &args, env).spawn().expect("the program starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        tokio::time::timeout(PATIENCE, reader.read_line(&mut line))
            .await
            .expect("the program printed a line or stopped in time")
            .expect("the output is readable");
        if let Some(url) = line.trim_end().strip_prefix("listening on ") {
            return Ok((child, url.to_owned()));
        }
        let output = child.wait_with_output().await.expect("the program ends");
        Err(Run {
            code: output.status.code(),
            stdout: line + &String::from_utf8_lossy(&output.stdout),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// `GET url` with a plain HTTP/1.1 request: the status and the JSON body.
    pub(super) async fn http_get(url: &str) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rest = url.trim_start_matches("http://");
        let (host, path) = rest.split_once('/').expect("a URL with a path");
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .expect("the server accepts");
        let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("an answer");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// Versions recorded in sqlx's table, straight from the database.
    pub(super) async fn recorded_versions(db: &TestDb) -> Vec<i64> {
        sql_query(db, "SELECT version FROM _sqlx_migrations ORDER BY version")
            .await
            .iter()
            .map(|row| sqlx::Row::get::<i64, _>(row, 0))
            .collect()
    }

    /// Runs one statement of the test itself on the test's database.
    pub(super) async fn sql_query(db: &TestDb, sql: &'static str) -> Vec<sqlx::any::AnyRow> {
        try_sql(db, sql)
            .await
            .unwrap_or_else(|err| panic!("{sql}: {err}"))
    }

    pub(super) async fn try_sql(
        db: &TestDb,
        sql: &'static str,
    ) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url)
            .await
            .expect("the test database answers");
        let rows = sqlx::query(sql).fetch_all(&mut conn).await;
        conn.close().await.expect("it closes");
        rows
    }

    /// Edits the checksum sqlx recorded for `version`, as if its file had changed since.
    pub(super) async fn tamper(db: &TestDb, version: i64) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url)
            .await
            .expect("the test database answers");
        let update = match db.backend {
            Backend::Postgres => "UPDATE _sqlx_migrations SET checksum = $1 WHERE version = $2",
            Backend::Sqlite | Backend::MySql => {
                "UPDATE _sqlx_migrations SET checksum = ? WHERE version = ?"
            }
        };
        let done = sqlx::query(update)
            .bind(vec![0u8; 48])
            .bind(version)
            .execute(&mut conn)
            .await
            .expect("the row is edited");
        assert_eq!(done.rows_affected(), 1);
        conn.close().await.expect("it closes");
    }

    /// The first line of a report that starts with `label`, without the label.
    pub(super) fn line<'a>(report: &'a str, label: &str) -> &'a str {
        report
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map_or("", str::trim)
    }

    /// A report with what changes from run to run (the URL, the times) blanked out.
    pub(super) fn stable(report: &str) -> String {
        let blank = |line: &str| -> String {
            if line.starts_with("database  ") {
                return "database  [url]".to_owned();
            }
            // A time is `YYYY-MM-DD HH:MM:SS`, 19 ASCII characters.
            match line
                .char_indices()
                .find(|(at, _)| line.get(*at..*at + 19).is_some_and(is_time))
            {
                Some((at, _)) => format!("{}[applied at]       {}", &line[..at], &line[at + 19..]),
                None => line.to_owned(),
            }
        };
        report.lines().map(blank).collect::<Vec<_>>().join("\n")
    }

    /// `YYYY-MM-DD HH` of now, in UTC.
    fn utc_hour() -> String {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs() as i64;
        // Days since 1970-01-01 to a date: Howard Hinnant's `civil_from_days`.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02} {:02}",
            secs.rem_euclid(86_400) / 3600
        )
    }

    fn is_time(text: &str) -> bool {
        text.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
    }

    kit::db_tests! {
        async fn up_applies_every_migration_oldest_first_and_then_has_nothing_to_do(db: TestDb) {
            let first = run(&db, &["migrate", "up"]).await;
            first.succeeded();
            assert_eq!(
                first.stdout,
                "\
applied 0001_create_users
applied 0002_create_items
applied 0003_add_users_full_name
applied 0004_index_items_by_owner_and_id
applied 0005_backfill_users_full_name
now at 0005_backfill_users_full_name (head)
"
            );
            assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5]);
            let again = run(&db, &["migrate", "up"]).await;
            again.succeeded();
            assert_eq!(
                again.stdout,
                "nothing to apply\nnow at 0005_backfill_users_full_name (head)\n"
            );
        }

        async fn up_applies_every_migration_when_nobody_reads_what_it_prints(db: TestDb) {
            // `migrate up | head -1`: the reader is gone before the first line is written.
            let mut child = command(&db, &["migrate", "up"], &[])
                .spawn()
                .expect("the program starts");
            drop(child.stdout.take());
            let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
                .await
                .expect("the program finished in time")
                .expect("the program ends");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(0), "{stderr}");
            assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5]);
        }

        async fn status_names_the_current_migration_lists_the_pending_ones_and_exits_0(db: TestDb) {
            let fresh = run(&db, &["migrate", "status"]).await;
            fresh.succeeded();
            assert_eq!(
                line(&fresh.stdout, "current"),
                "nothing applied (a new database)"
            );
            assert_eq!(line(&fresh.stdout, "pending"), "5");
            run(&db, &["migrate", "history"]).await.succeeded();
            assert!(
                try_sql(&db, "SELECT version FROM _sqlx_migrations")
                    .await
                    .is_err(),
                "status and history only read"
            );
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down", "2"]).await.succeeded();
            let behind = run(&db, &["migrate", "status"]).await;
            behind.succeeded();
            insta::assert_snapshot!("status_behind", stable(&behind.stdout));
            run(&db, &["migrate", "up"]).await.succeeded();
            let head = run(&db, &["migrate", "status"]).await;
            head.succeeded();
            assert_eq!(
                line(&head.stdout, "current"),
                "0005_backfill_users_full_name (head)"
            );
            assert_eq!(line(&head.stdout, "pending"), "none");
        }

        async fn status_shows_the_url_without_its_password(db: TestDb) {
            let status = run(&db, &["migrate", "status"]).await;
            status.succeeded();
            let shown = line(&status.stdout, "database");
            assert_eq!(shown, kit::db::mask_password(&db.url));
        }

        async fn down_undoes_the_newest_first_one_by_default_or_n(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            let one = run(&db, &["migrate", "down"]).await;
            one.succeeded();
            assert_eq!(
                one.stdout,
                "undone 0005_backfill_users_full_name\nnow at 0004_index_items_by_owner_and_id\n"
            );
            let two = run(&db, &["migrate", "down", "2"]).await;
            two.succeeded();
            assert_eq!(
                two.stdout,
                "\
undone 0004_index_items_by_owner_and_id
undone 0003_add_users_full_name
now at 0002_create_items
"
            );
            assert_eq!(recorded_versions(&db).await, [1, 2]);
            // The column is gone with its migration; up brings it back.
            assert!(try_sql(&db, "SELECT full_name FROM users").await.is_err());
            run(&db, &["migrate", "up"]).await.succeeded();
            sql_query(&db, "SELECT full_name FROM users").await;
        }

        async fn down_to_nothing_drops_every_table_and_up_builds_them_again(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down", "5"]).await.succeeded();
            assert_eq!(recorded_versions(&db).await, Vec::<i64>::new());
            assert!(try_sql(&db, "SELECT id FROM users").await.is_err());
            let status = run(&db, &["migrate", "status"]).await;
            assert_eq!(
                line(&status.stdout, "current"),
                "nothing applied (a new database)"
            );
            run(&db, &["migrate", "up"]).await.succeeded();
            assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5]);
        }

        async fn down_past_the_first_migration_is_refused_and_undoes_nothing(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down", "6"]).await.failed_saying(&[
                "cannot undo 6 migrations: only 5 are applied",
                "Nothing was done",
            ]);
            assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5]);
            let zero = run(&db, &["migrate", "down", "0"]).await;
            zero.succeeded();
            assert!(zero.stdout.starts_with("nothing to undo\n"), "{zero:?}");
            let negative = run(&db, &["migrate", "down", "-1"]).await;
            assert_eq!(negative.code, Some(2), "a usage error: {negative:?}");
        }

        async fn history_lists_every_migration_with_when_and_whether_it_matches(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down", "2"]).await.succeeded();
            let before = utc_hour();
            let history = run(&db, &["migrate", "history"]).await;
            history.succeeded();
            insta::assert_snapshot!("history", stable(&history.stdout));
            // Every backend gives the time in UTC, whatever the server's or session's zone.
            let after = utc_hour();
            let applied = history.stdout.lines().nth(1).expect("a first migration");
            let at = (0..applied.len())
                .find(|&i| applied.get(i..i + 19).is_some_and(is_time))
                .expect("a time");
            let hour = &applied[at..at + 13];
            assert!(
                hour == before || hour == after,
                "{hour} is not {before} UTC: {applied}"
            );
        }

        async fn serve_refuses_a_database_that_is_behind_and_names_what_is_pending(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down", "2"]).await.succeeded();
            for args in [&[][..], &["serve"][..]] {
                let refused = serve(&db, args, &[]).await.expect_err("it must not listen");
                refused.failed_saying(&[
                    "the database is at 0003_add_users_full_name and 2 migrations are pending: \
                     0004_index_items_by_owner_and_id, 0005_backfill_users_full_name",
                    "--migrate",
                ]);
                assert_eq!(refused.stdout, "", "nothing on standard output");
            }
            let refused = serve(&db, &[], &[("MIGRATE", "0")])
                .await
                .expect_err("MIGRATE=0 is no");
            refused.failed_saying(&["pending"]);
            assert_eq!(recorded_versions(&db).await, [1, 2, 3]);
        }

        async fn serve_with_migrate_applies_the_pending_migrations_then_serves(db: TestDb) {
            type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
            let cases: [Case; 3] = [
                (&["--migrate"], &[]),
                (&["serve", "--migrate"], &[]),
                (&[], &[("MIGRATE", "1")]),
            ];
            run(&db, &["migrate", "up"]).await.succeeded();
            for (args, env) in cases {
                run(&db, &["migrate", "down", "3"]).await.succeeded();
                let (mut child, url) = serve(&db, args, env)
                    .await
                    .unwrap_or_else(|run| panic!("{args:?} {env:?}: {run:#?}"));
                assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5]);
                let (status, users) = http_get(&format!("{url}/users/")).await;
                assert_eq!((status, users), (200, json!([])));
                child.kill().await.expect("the server stops");
            }
        }

        async fn serve_gives_a_new_database_every_migration_and_serves(db: TestDb) {
            let (mut child, url) = serve(&db, &[], &[])
                .await
                .unwrap_or_else(|run| panic!("{run:#?}"));
            assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5]);
            let (status, _) = http_get(&format!("{url}/items/")).await;
            assert_eq!(status, 200);
            child.kill().await.expect("the server stops");
        }

        async fn a_changed_migration_is_named_and_nothing_is_applied_or_served(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down", "2"]).await.succeeded();
            // As if 0002_create_items.up.sql had been edited after it was applied.
            tamper(&db, 2).await;
            let named = [
                "migration 0002_create_items was changed after it was applied",
                "Nothing was done",
            ];
            run(&db, &["migrate", "up"]).await.failed_saying(&named);
            run(&db, &["migrate", "down"]).await.failed_saying(&named);
            run(&db, &["migrate", "redo"]).await.failed_saying(&named);
            serve(&db, &[], &[])
                .await
                .expect_err("no server")
                .failed_saying(&named);
            serve(&db, &["--migrate"], &[])
                .await
                .expect_err("no server")
                .failed_saying(&named);
            let status = run(&db, &["migrate", "status"]).await;
            status.failed_saying(&named);
            assert_eq!(
                line(&status.stdout, "pending"),
                "2",
                "the report is still printed"
            );
            let history = run(&db, &["migrate", "history"]).await;
            history.failed_saying(&named);
            let changed: Vec<&str> = history
                .stdout
                .lines()
                .filter(|l| l.contains("CHANGED"))
                .collect();
            assert_eq!(changed.len(), 1, "{history:#?}");
            assert!(changed[0].contains("0002_create_items"));
            assert_eq!(recorded_versions(&db).await, [1, 2, 3]);
        }

        async fn a_migration_this_program_does_not_have_stops_every_command(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            // As if a newer program had applied a sixth migration.
            sql_query(
                &db,
                "INSERT INTO _sqlx_migrations \
                 (version, description, success, checksum, execution_time) \
                 SELECT 6, 'add users nickname', success, checksum, 0 \
                 FROM _sqlx_migrations WHERE version = 5",
            )
            .await;
            let named = [
                "the database has migration 0006_add_users_nickname, which this program does not have",
            ];
            run(&db, &["migrate", "up"]).await.failed_saying(&named);
            run(&db, &["migrate", "down"]).await.failed_saying(&named);
            serve(&db, &[], &[])
                .await
                .expect_err("no server")
                .failed_saying(&named);
            let history = run(&db, &["migrate", "history"]).await;
            assert!(
                history.stdout.contains("0006_add_users_nickname"),
                "{history:#?}"
            );
            assert!(
                history.stdout.contains("unknown to this program"),
                "{history:#?}"
            );
            assert_eq!(recorded_versions(&db).await, [1, 2, 3, 4, 5, 6]);
        }

        async fn a_half_applied_migration_is_named_until_a_person_repairs_it(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            // What sqlx leaves on MySQL when a statement of a migration fails half-way.
            sql_query(
                &db,
                "UPDATE _sqlx_migrations SET success = FALSE WHERE version = 5",
            )
            .await;
            let named = ["migration 0005_backfill_users_full_name was left half-applied"];
            run(&db, &["migrate", "up"]).await.failed_saying(&named);
            run(&db, &["migrate", "status"]).await.failed_saying(&named);
            serve(&db, &[], &[])
                .await
                .expect_err("no server")
                .failed_saying(&named);
        }
    }

    #[tokio::test]
    async fn a_database_url_of_another_kind_stops_the_program_and_names_the_setting() {
        let Some(db) = TestDb::create(Backend::Sqlite, "bad_url").await else {
            return;
        };
        for args in [&["migrate", "status"][..], &[][..]] {
            run_with(
                &db,
                args,
                &[("DATABASE_URL", "redis://app:hunter2@cache/0")],
            )
            .await
            .failed_saying(&["DATABASE_URL: must be a sqlite://, postgres:// or mysql:// URL"]);
        }
    }

    #[tokio::test]
    async fn an_unreachable_database_stops_the_program_and_names_it_without_the_password() {
        let Some(db) = TestDb::create(Backend::Sqlite, "unreachable").await else {
            return;
        };
        // Nothing listens on port 1.
        for url in [
            "postgres://app:hunter2@127.0.0.1:1/app",
            "mysql://app:hunter2@127.0.0.1:1/app",
        ] {
            for args in [&["migrate", "up"][..], &[][..]] {
                let run = run_with(&db, args, &[("DATABASE_URL", url)]).await;
                run.failed_saying(&["cannot open the database", "app:***@127.0.0.1:1/app"]);
                assert!(!run.stderr.contains("hunter2"), "{run:#?}");
            }
        }
        let missing = "sqlite:///nonexistent-folder/for/sure/app.db";
        run_with(&db, &["migrate", "up"], &[("DATABASE_URL", missing)])
            .await
            .failed_saying(&["cannot open the database sqlite:///nonexistent-folder"]);
    }
}

/// The exercises' solutions: an index replaced (1), a data migration (2), `migrate redo` (3).
mod exercises {
    use super::program::{recorded_versions, run, sql_query};
    use super::*;

    /// The names of the indexes on `items`, as the backend's catalog lists them.
    async fn item_indexes(db: &TestDb) -> Vec<String> {
        let sql = match db.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = 'items' AND name LIKE 'items_owner%' \
                 ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT CAST(indexname AS TEXT) AS name FROM pg_indexes \
                 WHERE tablename = 'items' AND indexname LIKE 'items_owner%' ORDER BY name"
            }
            Backend::MySql => {
                "SELECT DISTINCT CAST(index_name AS CHAR) AS name FROM information_schema.statistics \
                               WHERE table_schema = DATABASE() AND table_name = 'items' AND index_name LIKE 'items_owner%' ORDER BY name"
            }
        };
        sql_query(db, sql)
            .await
            .iter()
            .map(|row| sqlx::Row::get::<String, _>(row, "name"))
            .collect()
    }

    kit::db_tests! {
        async fn exercise_1_the_index_is_replaced_and_its_down_puts_the_old_one_back(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            assert_eq!(item_indexes(&db).await, ["items_owner_id_id"]);
            run(&db, &["migrate", "down", "2"]).await.succeeded();
            assert_eq!(item_indexes(&db).await, ["items_owner_id"]);
            run(&db, &["migrate", "up"]).await.succeeded();
            assert_eq!(item_indexes(&db).await, ["items_owner_id_id"]);
        }

        async fn exercise_2_users_without_a_full_name_get_one_from_their_email(db: TestDb) {
            run(&db, &["migrate", "up"]).await.succeeded();
            run(&db, &["migrate", "down"]).await.succeeded();
            // Users written while the database was at 0004, as an older server would.
            sql_query(
                &db,
                "INSERT INTO users (email, hashed_password, full_name) VALUES \
                            ('ann.lee@example.com', 'x', NULL), ('bob@example.com', 'x', 'Robert')",
            )
            .await;
            run(&db, &["migrate", "up"]).await.succeeded();
            let names: Vec<(String, Option<String>)> =
                sql_query(&db, "SELECT email, full_name FROM users ORDER BY email")
                    .await
                    .iter()
                    .map(|row| {
                        (
                            sqlx::Row::get(row, "email"),
                            sqlx::Row::get(row, "full_name"),
                        )
                    })
                    .collect();
            assert_eq!(
                names,
                [
                    ("ann.lee@example.com".to_owned(), Some("ann.lee".to_owned())),
                    ("bob@example.com".to_owned(), Some("Robert".to_owned())),
                ]
            );
            // Its down keeps the names: they cannot be told from names users typed.
            run(&db, &["migrate", "down"]).await.succeeded();
            let kept = sql_query(
                &db,
                "SELECT full_name FROM users WHERE email = 'ann.lee@example.com'",
            )
            .await;
            assert_eq!(
                sqlx::Row::get::<Option<String>, _>(&kept[0], 0).as_deref(),
                Some("ann.lee")
            );
        }

        async fn exercise_3_redo_undoes_the_last_migration_and_applies_it_again(db: TestDb) {
            run(&db, &["migrate", "redo"])
                .await
                .failed_saying(&["cannot undo 1 migration: only 0 are applied"]);
            run(&db, &["migrate", "up"]).await.succeeded();
            let redo = run(&db, &["migrate", "redo"]).await;
            redo.succeeded();
            assert_eq!(
                redo.stdout,
                "\
undone 0005_backfill_users_full_name
applied 0005_backfill_users_full_name
now at 0005_backfill_users_full_name (head)
"
            );
            run(&db, &["migrate", "down", "2"]).await.succeeded();
            let redo = run(&db, &["migrate", "redo"]).await;
            redo.succeeded();
            assert!(
                redo.stdout.starts_with(
                    "undone 0003_add_users_full_name\napplied 0003_add_users_full_name\n"
                ),
                "{redo:#?}"
            );
            assert_eq!(
                recorded_versions(&db).await,
                [1, 2, 3],
                "redo applies nothing else"
            );
        }
    }
}

/// The rules of `migrate down`, with migrations made up for the test.
mod rules {
    use std::borrow::Cow;

    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};

    use super::*;

    fn migration(
        version: i64,
        description: &'static str,
        kind: MigrationType,
        sql: &'static str,
    ) -> Migration {
        Migration::new(
            version,
            Cow::Borrowed(description),
            kind,
            sql.into_sql_str(),
            false,
        )
    }

    /// A reversible migration, then one without a down file (`0002_fill_t.sql`).
    fn made_up() -> Migrator {
        Migrator::with_migrations(vec![
            migration(
                1,
                "create t",
                MigrationType::ReversibleUp,
                "CREATE TABLE t (id INTEGER)",
            ),
            migration(1, "create t", MigrationType::ReversibleDown, "DROP TABLE t"),
            migration(
                2,
                "fill t",
                MigrationType::Simple,
                "INSERT INTO t (id) VALUES (1)",
            ),
        ])
    }

    kit::db_tests! {
        async fn a_migration_without_a_down_cannot_be_undone_nor_anything_before_it(db: TestDb) {
            let database = Database::connect(&config(&db))
                .await
                .expect("the test database answers");
            let migrator = made_up();
            let mut applied = Vec::new();
            migrations::up(&database, &migrator, |name| applied.push(name.to_owned()))
                .await
                .expect("it applies");
            assert_eq!(applied, ["0001_create_t", "0002_fill_t"]);
            for steps in [1, 2] {
                let err = migrations::down(&database, &migrator, steps, |name| {
                    panic!("{name} was undone")
                })
                .await
                .expect_err("it is refused");
                assert!(
                    matches!(&err, migrations::MigrationError::Irreversible { name } if name == "0002_fill_t"),
                    "{err}"
                );
                assert_eq!(
                    err.to_string(),
                    "cannot undo 0002_fill_t: it has no down migration (0002_fill_t.down.sql). Nothing was done."
                );
            }
            let status = migrations::status(&database, &migrator)
                .await
                .expect("a status");
            assert_eq!(
                status.current().map(|e| e.name.as_str()),
                Some("0002_fill_t")
            );
        }

        async fn a_migration_that_fails_is_named_and_the_ones_before_it_stay(db: TestDb) {
            let database = Database::connect(&config(&db))
                .await
                .expect("the test database answers");
            let migrator = Migrator::with_migrations(vec![
                migration(
                    1,
                    "create t",
                    MigrationType::Simple,
                    "CREATE TABLE t (id INTEGER)",
                ),
                migration(
                    2,
                    "broken",
                    MigrationType::Simple,
                    "INSERT INTO no_such_table (id) VALUES (1)",
                ),
            ]);
            let mut applied = Vec::new();
            let err = migrations::up(&database, &migrator, |name| applied.push(name.to_owned()))
                .await
                .expect_err("it fails");
            assert!(
                err.to_string()
                    .starts_with("migration 0002_broken failed, and was not applied: "),
                "{err}"
            );
            assert_eq!(applied, ["0001_create_t"]);
            let status = migrations::status(&database, &migrator)
                .await
                .expect("a status");
            assert_eq!(
                status.current().map(|e| e.name.as_str()),
                Some("0001_create_t")
            );
            assert_eq!(status.pending().len(), 1);
        }
    }

    #[test]
    fn names_are_the_file_names_without_their_suffix() {
        assert_eq!(migrations::name(2, "create items"), "0002_create_items");
        assert_eq!(migrations::name(20250101, "add x"), "20250101_add_x");
    }

    #[test]
    fn every_migration_file_is_named_as_the_program_names_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for backend in [Backend::Sqlite, Backend::Postgres, Backend::MySql] {
            let mut files: Vec<String> = std::fs::read_dir(root.join(backend.name()))
                .expect("the folder exists")
                .map(|entry| {
                    entry
                        .expect("an entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            files.sort();
            let mut expected: Vec<String> = migrations::migrator(backend)
                .iter()
                .map(|m| {
                    let suffix = if m.migration_type.is_down_migration() {
                        "down"
                    } else {
                        "up"
                    };
                    format!(
                        "{}.{suffix}.sql",
                        migrations::name(m.version, &m.description)
                    )
                })
                .collect();
            expected.sort();
            assert_eq!(files, expected, "{}", backend.name());
        }
    }

    #[test]
    fn the_three_backends_have_the_same_migrations() {
        let names = |backend| -> Vec<String> {
            migrations::migrator(backend)
                .iter()
                .map(|m| format!("{} {:?}", m.version, m.description))
                .collect()
        };
        assert_eq!(names(Backend::Sqlite), names(Backend::Postgres));
        assert_eq!(names(Backend::Sqlite), names(Backend::MySql));
    }
}

/// A database that goes away while the server runs, and comes back.
mod outage {
    use kit::testing::TcpProxy;

    use super::*;

    // A SQLite file cannot go away over the network: PostgreSQL and MySQL only.
    kit::server_db_tests! {
        async fn a_database_that_goes_away_is_a_503_and_the_server_recovers(db: TestDb) {
            let upstream = db.server_address().unwrap();
            let proxy = TcpProxy::start(&upstream).await.unwrap();
            let url = db.url_through(proxy.port());
            let config = Config::for_tests(&url);
            let database = Database::connect(&config)
                .await
                .expect("the database answers through the proxy");
            migrations::up(&database, migrations::migrator(db.backend), |_| {})
                .await
                .expect("the migrations apply");
            let cli = TestClient::new(app(&kit::Docs::default(), &config, database));
            new_user(&cli, "ann@example.com").await;

            proxy.cut();
            for path in ["/users/", "/items/"] {
                let (status, body) = get(&cli, path).await;
                assert_eq!(
                    (status, body),
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        json!({"detail": "Database unavailable"})
                    ),
                    "{path}"
                );
            }
            let (status, _) = post(
                &cli,
                "/users/",
                json!({"email": "bob@example.com", "password": "secret"}),
            )
            .await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

            proxy.restore();
            let (status, users) = get(&cli, "/users/").await;
            assert_eq!(status, StatusCode::OK, "{users}");
            assert_eq!(users[0]["email"], "ann@example.com");
        }
    }
}

/// The grader's checks, against the built program.
mod grading {
    use super::program::PROGRAM;
    use super::*;

    /// The default: SQLite in the folder the grader starts the program in.
    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("13", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    kit::db_tests! {
        async fn the_grader_passes_every_check_on_this_backend(db: TestDb) {
            let env = [("DATABASE_URL", db.url.as_str()), ("BCRYPT_COST", "4")];
            let report = grader::grade_program_with_env("13", PROGRAM, &env).await;
            assert!(report.passed(), "{}", report.to_text());
        }
    }
}
