//! Chapter 12's own tests, each on every backend (SQLite, PostgreSQL, MySQL/MariaDB:
//! `sqlite::…`, `postgres::…`, `mysql::…`): what HTTP cannot show, and what the grader does
//! not send.
//!
//! The grader carries the HTTP contract: `program::the_grader_passes_every_check` runs every
//! `12.*` check against the built program on each backend. What stays here reads the rows
//! themselves (the password hashes), cuts the database away behind a proxy or a lock, pins
//! the OpenAPI document and a few answers with snapshots, starts the program with bad
//! settings, and sends the inputs the grader does not: the edges of email addresses, of
//! numbers and of text.

// The bodies written in `kit::db_tests!` are plain functions to clippy, not `#[test]`s, so its
// `allow-unwrap-in-tests` does not reach them: a failed unwrap there is a failed test as well.
#![allow(clippy::unwrap_used)]

use ch12_sql_database::{Config, Database, app};
use kit::Docs;
use kit::db::TestDb;
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

/// The app on the test's own database, with the cheapest password hashes.
async fn client(db: &TestDb) -> TestClient<impl Endpoint + use<>> {
    client_at(&db.url).await
}

async fn client_at(url: &str) -> TestClient<impl Endpoint + use<>> {
    let config = Config::for_tests(url);
    let database = Database::connect(&config)
        .await
        .unwrap_or_else(|err| panic!("the test database is not ready: {err}"));
    TestClient::new(app(&Docs::default(), &config, database))
}

async fn answer(response: TestResponse) -> (StatusCode, Value) {
    let status = response.0.status();
    (status, kit::testing::json(response).await)
}

async fn post<E: Endpoint>(cli: &TestClient<E>, path: &str, body: Value) -> (StatusCode, Value) {
    answer(cli.post(path).body_json(&body).send().await).await
}

async fn put<E: Endpoint>(cli: &TestClient<E>, path: &str, body: Value) -> (StatusCode, Value) {
    answer(cli.put(path).body_json(&body).send().await).await
}

async fn patch<E: Endpoint>(cli: &TestClient<E>, path: &str, body: Value) -> (StatusCode, Value) {
    let request = cli.request(poem::http::Method::PATCH, path);
    answer(request.body_json(&body).send().await).await
}

async fn get<E: Endpoint>(cli: &TestClient<E>, path: &str) -> (StatusCode, Value) {
    answer(cli.get(path).send().await).await
}

/// `POST /users/` of `email` with a password.
async fn sign_up<E: Endpoint>(cli: &TestClient<E>, email: &str) -> (StatusCode, Value) {
    post(
        cli,
        "/users/",
        json!({"email": email, "password": "secret"}),
    )
    .await
}

/// Registers `email` and gives the new user's id.
async fn register<E: Endpoint>(cli: &TestClient<E>, email: &str) -> i64 {
    let (status, user) = sign_up(cli, email).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user["id"].as_i64().expect("an integer id")
}

/// Adds an item to user `owner` and gives it back.
async fn add_item<E: Endpoint>(cli: &TestClient<E>, owner: i64, title: &str) -> Value {
    let (status, item) = post(
        cli,
        &format!("/users/{owner}/items/"),
        json!({"title": title}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{item}");
    item
}

/// Where the problems of a 422 are, in order.
fn locs(body: &Value) -> Vec<Value> {
    body["detail"]
        .as_array()
        .map(|problems| problems.iter().map(|p| p["loc"].clone()).collect())
        .unwrap_or_default()
}

/// Fails unless the answer is a 422 with exactly one problem, at `loc`.
#[track_caller]
fn assert_422_at(answer: &(StatusCode, Value), loc: Value, what: &str) {
    let (status, body) = answer;
    assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
    assert_eq!(locs(body), vec![loc], "{what}");
}

/// Registering users: the stored hashes, and the addresses and passwords the grader does not
/// send.
mod registering {
    use super::*;

    kit::db_tests! {
        async fn the_password_is_stored_as_a_salted_bcrypt_hash(db: TestDb) {
            let cli = client(&db).await;
            register(&cli, "a@example.com").await;
            register(&cli, "b@example.com").await;
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
            let hashes: Vec<String> = sqlx::query_scalar("SELECT hashed_password FROM users ORDER BY id")
                .fetch_all(&pool).await.unwrap();
            assert_eq!(hashes.len(), 2);
            assert_ne!(hashes[0], hashes[1], "the same password, hashed twice, must differ: a salt");
            for hash in &hashes {
                assert!(hash.starts_with("$2b$"), "{hash}");
                assert!(bcrypt::verify("secret", hash).unwrap_or(false));
            }
            pool.close().await;
        }

        async fn the_domain_is_lower_cased_and_the_local_part_keeps_its_case(db: TestDb) {
            let cli = client(&db).await;
            let (_, upper) = sign_up(&cli, "Rick@Example.COM").await;
            assert_eq!(upper["email"], "Rick@example.com");
            // Exact comparison on every backend (MySQL's default collation would say these match).
            let (status, lower) = sign_up(&cli, "rick@example.com").await;
            assert_eq!(status, StatusCode::OK, "{lower}");
        }

        async fn an_address_is_read_as_pydantic_reads_an_email_str(db: TestDb) {
            // Spaces stripped, `Name <addr>` reduced, the domain lower-cased: one address,
            // however it is written, so one user.
            let cli = client(&db).await;
            let (status, rick) = sign_up(&cli, " Rick <Rick@EXAMPLE.com> ").await;
            assert_eq!(status, StatusCode::OK, "{rick}");
            assert_eq!(rick["email"], "Rick@example.com");
            let taken = json!({"detail": "Email already registered"});
            assert_eq!(sign_up(&cli, "Rick@example.COM").await, (StatusCode::BAD_REQUEST, taken));
            let path = format!("/users/{}", rick["id"]);
            let morty = json!({"email": "Morty Smith <Morty@Example.com>"});
            let (status, user) = put(&cli, &path, morty).await;
            assert_eq!((status, &user["email"]), (StatusCode::OK, &json!("Morty@example.com")));
            for email in ["rick@localhost", "Rick <rick@localhost>"] {
                assert_422_at(&sign_up(&cli, email).await, json!(["body", "email"]), email);
            }
        }

        async fn a_password_over_72_bytes_is_refused_without_being_sent_back(db: TestDb) {
            let cli = client(&db).await;
            // 40 characters, 80 bytes: bcrypt would read only the first 36 of them.
            let (status, body) = post(&cli, "/users/", json!({"email": "a@example.com", "password": "é".repeat(40)})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(!body.to_string().contains('é'), "the password is sent back: {body}");
            insta::assert_json_snapshot!("password_over_72_bytes", body);
            // 73 characters: the schema's maxLength says so first.
            let long = post(&cli, "/users/", json!({"email": "a@example.com", "password": "p".repeat(73)})).await;
            assert_422_at(&long, json!(["body", "password"]), "73 characters");
        }

        async fn an_invalid_email_is_422_at_the_email(db: TestDb) {
            let cli = client(&db).await;
            for email in ["@example.com", ""] {
                assert_422_at(&sign_up(&cli, email).await, json!(["body", "email"]), email);
            }
            let (_, body) = sign_up(&cli, "rick").await;
            insta::assert_json_snapshot!("invalid_email", body);
        }

        async fn an_email_over_254_characters_is_422(db: TestDb) {
            let cli = client(&db).await;
            let email = format!("{}@{}.example.com", "a".repeat(64), ["b".repeat(60), "c".repeat(60), "d".repeat(60)].join("."));
            assert!(email.len() > 254);
            let (status, body) = sign_up(&cli, &email).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        }

        async fn missing_members_are_listed(db: TestDb) {
            let cli = client(&db).await;
            let (status, body) = post(&cli, "/users/", json!({})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(locs(&body), vec![json!(["body", "email"]), json!(["body", "password"])]);
        }
    }
}

/// Users: the ends of the numbers, and what a delete leaves free.
mod users {
    use super::*;

    kit::db_tests! {
        async fn an_unknown_user_is_404_even_at_the_ends_of_i64(db: TestDb) {
            let cli = client(&db).await;
            for id in [0, -1, i64::MAX, i64::MIN] {
                let (status, body) = get(&cli, &format!("/users/{id}")).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
                assert_eq!(body, json!({"detail": "User not found"}));
            }
        }

        async fn paging_past_the_end_or_by_the_largest_i64_is_answered(db: TestDb) {
            let cli = client(&db).await;
            for n in 0..3 {
                register(&cli, &format!("user{n}@example.com")).await;
            }
            assert_eq!(get(&cli, "/users/?skip=99").await, (StatusCode::OK, json!([])));
            // The largest numbers an i64 holds are fine too, on every backend.
            let max = i64::MAX;
            for path in [format!("/users/?skip={max}&limit={max}"), format!("/items/?skip={max}&limit={max}")] {
                assert_eq!(get(&cli, &path).await, (StatusCode::OK, json!([])), "{path}");
            }
            let (_, all) = get(&cli, &format!("/users/?limit={max}")).await;
            assert_eq!(all.as_array().map(Vec::len), Some(3));
        }

        async fn bad_paging_is_a_422_that_names_the_kind_of_problem(db: TestDb) {
            let cli = client(&db).await;
            for (query, loc, kind) in [
                ("skip=-1", "skip", "greater_than_equal"),
                ("limit=-1", "limit", "greater_than_equal"),
                ("limit=ten", "limit", "int_parsing"),
                ("skip=99999999999999999999", "skip", "less_than_equal"),
            ] {
                for path in ["/users/", "/items/"] {
                    let (status, body) = get(&cli, &format!("{path}?{query}")).await;
                    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}?{query}");
                    assert_eq!(body["detail"][0]["loc"], json!(["query", loc]));
                    assert_eq!(body["detail"][0]["type"], kind);
                }
            }
        }

        async fn put_refuses_an_is_active_that_is_not_a_boolean(db: TestDb) {
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            let answer = put(&cli, &format!("/users/{id}"), json!({"is_active": "yes"})).await;
            assert_422_at(&answer, json!(["body", "is_active"]), "\"yes\"");
        }

        async fn after_a_delete_the_email_is_free_and_the_id_is_never_given_again(db: TestDb) {
            let cli = client(&db).await;
            let first = register(&cli, "rick@example.com").await;
            cli.delete(format!("/users/{first}")).send().await.assert_status(StatusCode::NO_CONTENT);
            let second = register(&cli, "rick@example.com").await;
            assert!(second > first, "{second} reuses {first}");
        }
    }
}

/// Items: what a refused item leaves behind, and the 422 of one without a title.
mod items {
    use super::*;

    kit::db_tests! {
        async fn an_item_for_an_unknown_user_stores_nothing(db: TestDb) {
            let cli = client(&db).await;
            let (status, _) = post(&cli, "/users/4242/items/", json!({"title": "Plumbus"})).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(get(&cli, "/items/").await, (StatusCode::OK, json!([])));
        }

        async fn an_item_without_a_title_is_422(db: TestDb) {
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            let (status, body) = post(&cli, &format!("/users/{id}/items/"), json!({"description": "x", "title": 5})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(body["detail"][0]["type"], "string_type");
            let (status, body) = post(&cli, &format!("/users/{id}/items/"), json!({"description": "x"})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            insta::assert_json_snapshot!("item_without_title", body);
        }
    }
}

/// What clients may send that a careless server would choke on, beyond the grader's
/// `12.data.intact` and `12.input.*`.
mod strange_input {
    use super::*;

    kit::db_tests! {
        async fn unusual_but_valid_emails_are_stored_intact(db: TestDb) {
            let cli = client(&db).await;
            for email in ["o'brien+tag/%{}|~@example.com", "δοκιμή@παράδειγμα.δοκιμή"] {
                let id = register(&cli, email).await;
                let (_, user) = get(&cli, &format!("/users/{id}")).await;
                assert_eq!(user["email"], email);
                assert_eq!(sign_up(&cli, email).await.0, StatusCode::BAD_REQUEST, "{email}");
            }
        }

        async fn a_nul_character_is_422_on_every_backend(db: TestDb) {
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            for body in [json!({"title": "a\u{0}b"}), json!({"title": "ok", "description": "\u{0}"})] {
                let (status, answer) = post(&cli, &format!("/users/{id}/items/"), body.clone()).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
                assert_eq!(answer["detail"][0]["type"], "string_pattern_mismatch");
            }
            let nul_password = post(&cli, "/users/", json!({"email": "nul@example.com", "password": "a\u{0}b"})).await;
            assert_422_at(&nul_password, json!(["body", "password"]), "a NUL in the password");
            assert_eq!(sign_up(&cli, "n\u{0}l@example.com").await.0, StatusCode::UNPROCESSABLE_ENTITY);
        }

        async fn a_lone_surrogate_the_wrong_type_or_no_body_is_422_never_500(db: TestDb) {
            let cli = client(&db).await;
            let cases: [(Option<&str>, &str); 3] = [
                (Some("application/json"), r#"{"email": "\ud800@example.com", "password": "p"}"#),
                (Some("text/plain"), r#"{"email": "a@example.com", "password": "p"}"#),
                (None, ""),
            ];
            for (content_type, body) in cases {
                let mut request = cli.post("/users/").body(body.to_owned());
                if let Some(content_type) = content_type {
                    request = request.content_type(content_type);
                }
                let (status, answer) = answer(request.send().await).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
            }
        }

        async fn a_body_over_one_mib_is_413(db: TestDb) {
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            let title = "x".repeat(1024 * 1024);
            let resp = cli.post(format!("/users/{id}/items/")).body_json(&json!({"title": title})).send().await;
            resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
        }
    }
}

/// The exercises' solutions, where the grader's `12.ex.*` checks do not go.
mod exercises {
    use super::*;

    kit::db_tests! {
        async fn a_null_title_is_refused_and_nothing_changes(db: TestDb) {
            // The document says a title is a string, never null: a null one is refused, and
            // nothing changes (the description sent beside it neither).
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            let item = add_item(&cli, id, "Portal gun").await;
            let path = format!("/items/{}", item["id"]);
            let (status, body) = patch(&cli, &path, json!({"title": null, "description": "red"})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["detail"][0]["type"], "value_error");
            assert_eq!(locs(&body), vec![json!(["body", "title"])]);
            assert_eq!(get(&cli, "/items/").await, (StatusCode::OK, json!([item])));
        }

        async fn search_takes_the_escape_character_as_plain_text_and_pages(db: TestDb) {
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            add_item(&cli, id, "100% Portal").await;
            let hundred = add_item(&cli, id, "1000 portals").await;
            add_item(&cli, id, "wow").await;
            let bang = add_item(&cli, id, "wow!").await;
            assert_eq!(get(&cli, "/items/?q=w!").await, (StatusCode::OK, json!([bang])));
            assert_eq!(get(&cli, "/items/?q=nothing").await, (StatusCode::OK, json!([])));
            let page = get(&cli, "/items/?q=portal&skip=1&limit=5").await;
            assert_eq!(page, (StatusCode::OK, json!([hundred])));
        }

        async fn a_search_with_a_nul_character_is_422_not_every_item(db: TestDb) {
            // SQLite's LIKE stops reading its pattern at a NUL: `%\0%` was `%`, which matches
            // everything. No text here holds a NUL, so `q` may not either.
            let cli = client(&db).await;
            let id = register(&cli, "rick@example.com").await;
            add_item(&cli, id, "Portal gun").await;
            for q in ["%00", "portal%00", "%00gun"] {
                assert_422_at(&get(&cli, &format!("/items/?q={q}")).await, json!(["query", "q"]), q);
            }
        }
    }
}

/// The database going away while the app runs.
mod faults {
    use std::time::{Duration, Instant};

    use kit::testing::TcpProxy;
    use sqlx::Connection;

    use super::*;

    async fn expect_unavailable<E: Endpoint>(request: poem::test::TestRequestBuilder<'_, E>) {
        let started = Instant::now();
        let (status, body) = answer(request.send().await).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body, json!({"detail": "Database unavailable"}));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }

    kit::db_tests! {
        async fn a_database_that_goes_away_is_503_until_it_comes_back(db: TestDb) {
            match db.backend {
                kit::db::Backend::Sqlite => locked_sqlite_file(&db).await,
                _ => server_behind_a_proxy(&db).await,
            }
        }
    }

    /// PostgreSQL and MySQL: the connection to the server is cut, then restored.
    async fn server_behind_a_proxy(db: &TestDb) {
        let upstream = db.server_address().unwrap();
        let proxy = TcpProxy::start(&upstream).await.unwrap();
        let url = db.url_through(proxy.port());
        let cli = client_at(&url).await;
        let id = register(&cli, "rick@example.com").await;

        proxy.cut();
        expect_unavailable(cli.get("/users/")).await;
        expect_unavailable(cli.get(format!("/users/{id}"))).await;
        expect_unavailable(
            cli.post("/users/")
                .body_json(&json!({"email": "morty@example.com", "password": "p"})),
        )
        .await;
        expect_unavailable(
            cli.put(format!("/users/{id}"))
                .body_json(&json!({"is_active": false})),
        )
        .await;
        expect_unavailable(cli.delete(format!("/users/{id}"))).await;
        // Bad input is still bad input: the database is not even asked.
        let (status, _) = get(&cli, "/users/abc").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        proxy.restore();
        let (status, user) = get(&cli, &format!("/users/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(
            user["is_active"], true,
            "a write made while cut must not have happened"
        );
        register(&cli, "morty@example.com").await;
    }

    /// SQLite: no server to lose, but another program can hold the file locked. In WAL mode
    /// (which a database file created by the app is in) readers go on; writers wait for the
    /// busy timeout, then get 503.
    async fn locked_sqlite_file(db: &TestDb) {
        let cli = client(db).await;
        let id = register(&cli, "rick@example.com").await;
        let mut other = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql("BEGIN EXCLUSIVE")
            .execute(&mut other)
            .await
            .unwrap();

        expect_unavailable(
            cli.post("/users/")
                .body_json(&json!({"email": "morty@example.com", "password": "p"})),
        )
        .await;
        expect_unavailable(
            cli.put(format!("/users/{id}"))
                .body_json(&json!({"is_active": false})),
        )
        .await;
        let (status, _) = get(&cli, &format!("/users/{id}")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "readers are not blocked in WAL mode"
        );

        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
        other.close().await.unwrap();
        register(&cli, "morty@example.com").await;
        let (_, user) = get(&cli, &format!("/users/{id}")).await;
        assert_eq!(user["is_active"], true);
    }
}

/// The OpenAPI document, which needs no database.
mod document {
    use super::*;

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        let db = TestDb::create(kit::db::Backend::Sqlite, "openapi")
            .await
            .unwrap();
        let cli = client(&db).await;
        let (status, document) = get(&cli, "/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        insta::assert_json_snapshot!("openapi", document);
    }

    #[tokio::test]
    async fn a_member_may_be_null_in_the_document_exactly_where_the_server_takes_null() {
        // The server reads `null` as "none" or "unchanged" in these members, so the document
        // must allow it (FastAPI's `str | None = None`); elsewhere a null is refused, so the
        // document must not allow it. A fuzzer holds the server to what the document says.
        let db = TestDb::create(kit::db::Backend::Sqlite, "nullable")
            .await
            .unwrap();
        let cli = client(&db).await;
        let (_, document) = get(&cli, "/openapi.json").await;
        kit::testing::assert_nullable(
            &document,
            &[
                ("ItemCreate", "description", true),
                ("ItemCreate", "title", false),
                ("UserUpdate", "email", true),
                ("UserUpdate", "is_active", true),
                ("ItemUpdate", "description", true),
                ("ItemUpdate", "title", false),
                ("UserCreate", "email", false),
            ],
        );
    }

    #[tokio::test]
    async fn the_fuzzers_exceptions_are_answers_the_document_declares() {
        let db = TestDb::create(kit::db::Backend::Sqlite, "fuzz")
            .await
            .unwrap();
        let cli = client(&db).await;
        let (_, document) = get(&cli, "/openapi.json").await;
        let exceptions = kit::testing::fuzz_exceptions("12");
        // Few and narrow: an email another user has is a 400 by the contract, on registering
        // and on a change alike, and no schema can tell a taken email from a free one.
        let taken = |operation: &str| {
            let check = "positive_data_acceptance".to_owned();
            (operation.to_owned(), check, vec!["400".to_owned()])
        };
        assert_eq!(
            exceptions,
            [taken("POST /users"), taken("PUT /users/{user_id}")]
        );
        kit::testing::assert_fuzz_exceptions_declared(&document, &exceptions);
    }

    kit::db_tests! {
        async fn head_answers_like_get_without_a_body(db: TestDb) {
            let cli = client(&db).await;
            let resp = cli.head("/users/").send().await;
            resp.assert_status_is_ok();
            resp.assert_bytes(b"").await;
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::process::Command;

    use super::*;

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch12-sql-database");
    const PATIENCE: Duration = Duration::from_secs(30);

    // ANCHOR: grader_on_every_backend
    kit::db_tests! {
        async fn the_grader_passes_every_check(db: TestDb) {
            // The cheapest hashes: the checks register many users.
            let env = [("DATABASE_URL", db.url.as_str()), ("BCRYPT_COST", "4")];
            let report = grader::grade_program_with_env("12", PROGRAM, &env).await;
            assert!(report.passed(), "{}", report.to_text());
        }
    }
    // ANCHOR_END: grader_on_every_backend

    /// Runs the program until it stops, in `dir`, and gives its exit status and standard error.
    async fn run_until_it_stops(dir: &std::path::Path, env: &[(&str, &str)]) -> (bool, String) {
        let child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env_remove("DATA_DIR")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .expect("it stops in time")
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ch12-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn an_unknown_scheme_stops_the_start_and_names_database_url() {
        let dir = temp_dir("scheme");
        let (ok, stderr) =
            run_until_it_stops(&dir, &[("DATABASE_URL", "redis://app:hunter2@cache/0")]).await;
        assert!(!ok);
        assert!(
            stderr
                .contains("error: DATABASE_URL: must be a sqlite://, postgres:// or mysql:// URL"),
            "{stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_unreachable_database_stops_the_start_with_the_password_masked() {
        let dir = temp_dir("unreachable");
        // A port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("postgres://app:hunter2@127.0.0.1:{port}/app");
        let (ok, stderr) = run_until_it_stops(&dir, &[("DATABASE_URL", &url)]).await;
        assert!(!ok);
        let shown = format!(
            "error: cannot connect to the database at DATABASE_URL=postgres://app:***@127.0.0.1:{port}/app"
        );
        assert!(stderr.contains(&shown), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_bad_bcrypt_cost_stops_the_start() {
        let dir = temp_dir("cost");
        let (ok, stderr) = run_until_it_stops(&dir, &[("BCRYPT_COST", "40")]).await;
        assert!(!ok);
        assert!(
            stderr.contains("error: BCRYPT_COST: must be a whole number from 4 to 31"),
            "{stderr}"
        );
        assert!(
            !dir.join("sql_app.db").exists(),
            "nothing is created when the settings are wrong"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Starts the program in `dir` with `env` (and neither `DATABASE_URL` nor `DATA_DIR` but
    /// those in `env`), waits until it listens, and stops it.
    async fn start_and_stop(dir: &std::path::Path, env: &[(&str, &str)]) {
        use tokio::io::AsyncBufReadExt;
        let mut child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env_remove("DATA_DIR")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            PATIENCE,
            tokio::io::BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("it starts in time")
        .unwrap();
        assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
        child.kill().await.unwrap();
    }

    #[tokio::test]
    async fn by_default_the_database_is_sql_app_db_in_the_working_folder() {
        let dir = temp_dir("default");
        start_and_stop(&dir, &[]).await;
        assert!(dir.join("sql_app.db").is_file());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn with_data_dir_the_database_is_in_a_folder_of_the_package_made_at_start() {
        let dir = temp_dir("data_dir");
        let data = dir.join("data");
        start_and_stop(&dir, &[("DATA_DIR", data.to_str().unwrap())]).await;
        assert!(data.join("ch12-sql-database").join("sql_app.db").is_file());
        assert!(
            !dir.join("sql_app.db").exists(),
            "nothing is left where it runs"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
