//! Chapter 14's contract, checked in-process with poem's test client on SQLite, PostgreSQL
//! and MySQL/MariaDB (each test runs once per backend, on a fresh database), and the built
//! program checked from outside by the grader on each backend.

// `kit::db_tests!` bodies are plain functions, not `#[test]`s: clippy's test allowance misses
// them, and a panic is how a test fails.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ch14_bigger_application::{Config, app};
use hmac::{Hmac, Mac};
use kit::Env;
use kit::db::{Backend, TestDb};
use kit::testing::{Reply, send};
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};
use sha2::Sha256;

type Client = Arc<TestClient<BoxEndpoint<'static>>>;

/// A signing key for the tests' tokens (at least 32 bytes).
const JWT_SECRET: &str = "tests-sign-their-own-tokens-with-this-key";

/// The key that encrypts API key secrets at rest in the tests (32 bytes, in hex).
const ENCRYPTION_KEY: &str = "7d1f0c2a9b8e4f6a5c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b";

/// The app on `db`, with `extra` settings; bcrypt at its lowest cost, so tests run fast.
async fn client_with(db: &TestDb, extra: &[(&str, &str)]) -> Client {
    client_at(&db.url, extra).await
}

/// The app on the database at `url`, with `extra` settings.
async fn client_at(url: &str, extra: &[(&str, &str)]) -> Client {
    let mut settings = vec![
        ("DATABASE_URL", url),
        ("JWT_SECRET", JWT_SECRET),
        ("BCRYPT_COST", "4"),
        ("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY),
    ];
    // A later setting of the same name wins.
    settings.extend_from_slice(extra);
    let config = Config::from_env(&Env::from_pairs(settings)).expect("the settings are valid");
    let app = app(&config).await.expect("the app starts");
    Arc::new(TestClient::new(app).default_header("host", "localhost:8000"))
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

async fn post_json(cli: &Client, uri: &str, body: Value) -> Reply {
    send(cli, "POST", uri, &[], Some(body)).await
}

/// Registers `email` and answers its `Authorization` value (`Bearer <JWT>`).
async fn register(cli: &Client, email: &str) -> String {
    let reply = post_json(
        cli,
        "/auth/register/email",
        json!({"email": email, "pw": "correct horse"}),
    )
    .await;
    reply.expect(StatusCode::CREATED);
    reply.body["Authorization"]
        .as_str()
        .expect("a token")
        .to_owned()
}

/// A new API key of the user whose token is `token`.
async fn create_key(cli: &Client, token: &str, memo: Value) -> Value {
    let reply = send(
        cli,
        "POST",
        "/api/users/apikeys",
        &[("authorization", token)],
        Some(json!({ "user_memo": memo })),
    )
    .await;
    reply.expect(StatusCode::CREATED);
    reply.body
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .expect("the clock is after 1970")
}

/// What a client of the service API does: `base64(HMAC-SHA256(secret, "key=…&timestamp=…"))`.
fn sign(secret_key: &str, access_key: &str, timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("any key length");
    mac.update(format!("key={access_key}&timestamp={timestamp}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `GET /api/services` signed by `key` (a body from `create_key`) at `timestamp`.
async fn call_service(cli: &Client, key: &Value, timestamp: i64) -> Reply {
    let (access, secret) = halves(key);
    let ts = timestamp.to_string();
    let signature = sign(secret, access, &ts);
    let uri = format!("/api/services?key={access}&timestamp={ts}");
    send(cli, "GET", &uri, &[("secret", &signature)], None).await
}

fn halves(key: &Value) -> (&str, &str) {
    (
        key["access_key"].as_str().expect("an access key"),
        key["secret_key"].as_str().expect("a secret key"),
    )
}

mod auth {
    use super::*;

    kit::db_tests! {
        async fn registering_answers_201_with_a_bearer_token_that_opens_the_api(db: TestDb) {
            let cli = client(&db).await;
            let body = json!({"email": "ryan@example.com", "pw": "correct horse"});
            let reply = post_json(&cli, "/auth/register/email", body).await;
            reply.expect(StatusCode::CREATED);
            assert_eq!(reply.header("cache-control"), Some("no-store"));
            let token = reply.body["Authorization"].as_str().unwrap();
            assert!(token.starts_with("Bearer ") && token.matches('.').count() == 2, "{token}");
            send(&cli, "GET", "/api/users/apikeys", &[("authorization", token)], None).await
                .expect(StatusCode::OK);
        }

        async fn an_address_registered_twice_is_400_whatever_the_case_of_its_domain(db: TestDb) {
            let cli = client(&db).await;
            register(&cli, "Ryan@Example.com").await;
            for again in ["Ryan@Example.com", "Ryan@EXAMPLE.COM", " Ryan <Ryan@example.com> "] {
                let body = json!({"email": again, "pw": "other horse"});
                post_json(&cli, "/auth/register/email", body).await
                    .expect_detail(StatusCode::BAD_REQUEST, "Email already registered");
            }
            // The part before the @ is kept as typed, as Pydantic's EmailStr keeps it.
            register(&cli, "ryan@example.com").await;
        }

        async fn the_kelvin_sign_is_not_the_letter_k(db: TestDb) {
            // Unicode lower-cases U+212A KELVIN SIGN to `k`: folded so, `Kelvin@` would log in
            // as `kelvin@`. Only the domain is folded, and only its ASCII letters.
            let cli = client(&db).await;
            register(&cli, "kelvin@example.com").await;
            let body = json!({"email": "\u{212A}elvin@example.com", "pw": "correct horse"});
            post_json(&cli, "/auth/login/email", body).await
                .expect_detail(StatusCode::BAD_REQUEST, "Incorrect email or password");
            register(&cli, "\u{212A}elvin@example.com").await;
            register(&cli, "kelvin@\u{212A}.example.com").await;
        }

        async fn addresses_are_read_as_pydantic_reads_an_email_str(db: TestDb) {
            let cli = client(&db).await;
            register(&cli, "  Ryan Dahl <Ryan.Dahl@Example.COM>  ").await;
            for email in ["Ryan.Dahl@example.com", "\tRyan.Dahl@EXAMPLE.com\n"] {
                let body = json!({"email": email, "pw": "correct horse"});
                post_json(&cli, "/auth/login/email", body).await.expect(StatusCode::OK);
            }
            for email in ["ryan@localhost", "ryan@example", "Ryan <ryan@localhost>"] {
                let body = json!({"email": email, "pw": "correct horse"});
                let reply = post_json(&cli, "/auth/register/email", body).await;
                reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
                assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "email"]), "{email}");
            }
        }

        async fn an_accented_address_is_not_its_unaccented_twin(db: TestDb) {
            // MySQL's default collations would say `josé` = `jose`; the schema asks for bytes.
            let cli = client(&db).await;
            register(&cli, "josé@example.com").await;
            register(&cli, "jose@example.com").await;
        }

        async fn concurrent_sign_ups_with_one_address_make_one_account(db: TestDb) {
            let cli = client(&db).await;
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..5 {
                let cli = cli.clone();
                tasks.spawn(async move {
                    let body = json!({"email": "race@example.com", "pw": "correct horse"});
                    post_json(&cli, "/auth/register/email", body).await.status
                });
            }
            let statuses: Vec<StatusCode> = tasks.join_all().await;
            assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
            assert_eq!(statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count(), 4, "{statuses:?}");
        }

        async fn an_sns_type_other_than_email_is_400(db: TestDb) {
            let cli = client(&db).await;
            register(&cli, "ryan@example.com").await;
            for sns_type in ["kakao", "google", "EMAIL", "email%20", "%F0%9F%8E%89"] {
                for action in ["register", "login"] {
                    post_json(&cli, &format!("/auth/{action}/{sns_type}"), json!({"email": "ryan@example.com", "pw": "correct horse"})).await
                        .expect_detail(StatusCode::BAD_REQUEST, "Unsupported sns_type: only email is supported");
                }
            }
        }

        async fn login_answers_a_new_token_whatever_the_case_of_the_domain(db: TestDb) {
            let cli = client(&db).await;
            register(&cli, "ryan@example.com").await;
            let body = json!({"email": "ryan@EXAMPLE.com", "pw": "correct horse"});
            let reply = post_json(&cli, "/auth/login/email", body).await;
            reply.expect(StatusCode::OK);
            assert_eq!(reply.header("cache-control"), Some("no-store"));
            let token = reply.body["Authorization"].as_str().unwrap();
            send(&cli, "GET", "/api/users/me", &[("authorization", token)], None).await
                .expect(StatusCode::OK);
        }

        async fn a_wrong_password_and_an_unknown_address_get_the_same_400(db: TestDb) {
            let cli = client(&db).await;
            register(&cli, "ryan@example.com").await;
            let long = "p".repeat(73);
            let euros = "€".repeat(25);
            for (email, pw) in [
                ("ryan@example.com", "wrong"),
                ("nobody@example.com", "correct horse"),
                ("ryan@example.com", ""),
                ("Ryan@example.com", "correct horse"),
                // bcrypt reads 72 bytes: a longer password is simply not the right one.
                ("ryan@example.com", long.as_str()),
                ("ryan@example.com", euros.as_str()),
            ] {
                post_json(&cli, "/auth/login/email", json!({"email": email, "pw": pw})).await
                    .expect_detail(StatusCode::BAD_REQUEST, "Incorrect email or password");
            }
        }
    }

    #[tokio::test]
    async fn a_password_over_72_bytes_is_422_and_never_sent_back() {
        let db = sqlite("long_password").await;
        let cli = client(&db).await;
        let multibyte = "€".repeat(25); // 25 characters, 75 bytes
        for pw in ["p".repeat(73), multibyte] {
            let reply = post_json(
                &cli,
                "/auth/register/email",
                json!({"email": "ryan@example.com", "pw": pw}),
            )
            .await;
            reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(reply.body["detail"][0]["loc"], json!(["body", "pw"]));
            assert!(!reply.body.to_string().contains("€€"), "{}", reply.body);
        }
        // 72 bytes exactly is a password bcrypt reads whole.
        let pw = "p".repeat(72);
        post_json(
            &cli,
            "/auth/register/email",
            json!({"email": "ryan@example.com", "pw": pw}),
        )
        .await
        .expect(StatusCode::CREATED);
        post_json(
            &cli,
            "/auth/login/email",
            json!({"email": "ryan@example.com", "pw": pw}),
        )
        .await
        .expect(StatusCode::OK);
    }

    #[tokio::test]
    async fn a_password_under_8_characters_is_422_and_never_sent_back() {
        let db = sqlite("short_password").await;
        let cli = client(&db).await;
        // Characters, not bytes: seven `é` are 14 bytes, and still too short.
        for pw in ["", "hunter2", "1234567", "ééééééé"] {
            let reply = post_json(
                &cli,
                "/auth/register/email",
                json!({"email": "ryan@example.com", "pw": pw}),
            )
            .await;
            reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
            let problem = &reply.body["detail"][0];
            assert_eq!(problem["loc"], json!(["body", "pw"]), "{pw:?}");
            assert_eq!(problem["type"], "string_too_short", "{pw:?}");
            if !pw.is_empty() {
                assert!(!reply.body.to_string().contains(pw), "{}", reply.body);
            }
        }
        // Without an account, the empty password cannot log in either.
        post_json(
            &cli,
            "/auth/login/email",
            json!({"email": "ryan@example.com", "pw": ""}),
        )
        .await
        .expect_detail(StatusCode::BAD_REQUEST, "Incorrect email or password");
        post_json(
            &cli,
            "/auth/register/email",
            json!({"email": "ryan@example.com", "pw": "ééééééé!"}),
        )
        .await
        .expect(StatusCode::CREATED);
    }

    #[tokio::test]
    async fn a_bad_body_is_a_422_that_names_each_problem() {
        let db = sqlite("bad_register_body").await;
        let cli = client(&db).await;
        let mut bodies = Vec::new();
        for body in [
            json!({"email": "not-an-address", "pw": "x"}),
            json!({"email": "ryan@example.com"}),
            json!({"pw": 5}),
            json!([]),
        ] {
            let reply = post_json(&cli, "/auth/register/email", body.clone()).await;
            reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
            bodies.push(json!({"sent": body, "answer": reply.body}));
        }
        let reply = send(
            &cli,
            "POST",
            "/auth/login/email",
            &[("content-type", "application/json")],
            None,
        )
        .await;
        reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
        insta::assert_json_snapshot!("register_422", bodies);
    }
}

mod tokens {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    fn forge(claims: Value, alg: Algorithm, key: &str) -> String {
        let token = jsonwebtoken::encode(
            &Header::new(alg),
            &claims,
            &EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap();
        format!("Bearer {token}")
    }

    #[tokio::test]
    async fn api_keys_need_a_bearer_token() {
        let db = sqlite("need_a_token").await;
        let cli = client(&db).await;
        for auth in [
            None,
            Some("Basic cnlhbjpwdw=="),
            Some("Bearer"),
            Some("Bearer   "),
            Some("Token abc"),
        ] {
            let headers: Vec<(&str, &str)> =
                auth.map(|a| ("authorization", a)).into_iter().collect();
            let reply = send(&cli, "GET", "/api/users/apikeys", &headers, None).await;
            reply.expect_detail(StatusCode::UNAUTHORIZED, "Not authenticated");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        }
    }

    /// Chapter 09's rules, which this chapter imports: `exp` and `sub` required, refused from
    /// the second of `exp` on, other claims checked when present, no `crit` header.
    #[tokio::test]
    async fn tokens_follow_chapter_09s_rules() {
        let db = sqlite("token_rules").await;
        let cli = client(&db).await;
        register(&cli, "ryan@example.com").await;
        let t = now();
        let status = |token: String| {
            let cli = cli.clone();
            async move {
                let auth = [("authorization", token.as_str())];
                send(&cli, "GET", "/api/users/me", &auth, None).await.status
            }
        };
        let minimal = json!({"sub": "1", "exp": t + 600});
        assert_eq!(
            status(forge(minimal, Algorithm::HS256, JWT_SECRET)).await,
            StatusCode::OK
        );
        let last_second = json!({"sub": "1", "iat": t - 600, "exp": t});
        let refused = StatusCode::UNAUTHORIZED;
        assert_eq!(
            status(forge(last_second, Algorithm::HS256, JWT_SECRET)).await,
            refused
        );
        let odd_jti = json!({"sub": "1", "exp": t + 600, "jti": 7});
        assert_eq!(
            status(forge(odd_jti, Algorithm::HS256, JWT_SECRET)).await,
            refused
        );
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".to_owned()]);
        let key = EncodingKey::from_secret(JWT_SECRET.as_bytes());
        let crit = jsonwebtoken::encode(&header, &json!({"sub": "1", "exp": t + 600}), &key);
        assert_eq!(status(format!("Bearer {}", crit.unwrap())).await, refused);
    }

    #[tokio::test]
    async fn every_forged_or_stale_token_is_401_could_not_validate_credentials() {
        let db = sqlite("forged_tokens").await;
        let cli = client(&db).await;
        let real = register(&cli, "ryan@example.com").await;
        let t = now();
        let claims = |sub: &str, iat: i64, exp: i64| json!({"sub": sub, "iat": iat, "exp": exp});
        let none = {
            let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(claims("1", t, t + 600).to_string());
            format!("Bearer {header}.{payload}.")
        };
        let tampered = {
            let parts: Vec<&str> = real.trim_start_matches("Bearer ").split('.').collect();
            let payload = URL_SAFE_NO_PAD.encode(claims("2", t, t + 600).to_string());
            format!("Bearer {}.{payload}.{}", parts[0], parts[2])
        };
        let tokens = [
            forge(claims("1", t - 700, t - 1), Algorithm::HS256, JWT_SECRET),
            forge(claims("1", t + 60, t + 600), Algorithm::HS256, JWT_SECRET),
            forge(json!({"sub": "1", "iat": t}), Algorithm::HS256, JWT_SECRET),
            forge(
                json!({"iat": t, "exp": t + 600}),
                Algorithm::HS256,
                JWT_SECRET,
            ),
            forge(claims("999999", t, t + 600), Algorithm::HS256, JWT_SECRET),
            forge(
                claims("ryan@example.com", t, t + 600),
                Algorithm::HS256,
                JWT_SECRET,
            ),
            forge(claims("1", t, t + 600), Algorithm::HS512, JWT_SECRET),
            forge(
                claims("1", t, t + 600),
                Algorithm::HS256,
                "another-key-another-key-another-key",
            ),
            none,
            tampered,
            "Bearer not.a.token".to_owned(),
            "Bearer garbage".to_owned(),
        ];
        for token in &tokens {
            let reply = send(
                &cli,
                "GET",
                "/api/users/apikeys",
                &[("authorization", token)],
                None,
            )
            .await;
            reply.expect_detail(StatusCode::UNAUTHORIZED, "Could not validate credentials");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{token}");
        }
        // A real token passes with a lower-case scheme and extra spaces.
        let token = real.trim_start_matches("Bearer ");
        for spelled in [format!("bearer {token}"), format!("Bearer    {token}")] {
            send(
                &cli,
                "GET",
                "/api/users/apikeys",
                &[("authorization", &spelled)],
                None,
            )
            .await
            .expect(StatusCode::OK);
        }
        let good = forge(claims("1", t, t + 600), Algorithm::HS256, JWT_SECRET);
        send(
            &cli,
            "GET",
            "/api/users/me",
            &[("authorization", &good)],
            None,
        )
        .await
        .expect(StatusCode::OK);
    }
}

mod api_keys {
    use super::*;

    kit::db_tests! {
        async fn a_new_key_shows_its_secret_once(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let reply = send(&cli, "POST", "/api/users/apikeys", &[("authorization", &token)], Some(json!({"user_memo": "billing"}))).await;
            reply.expect(StatusCode::CREATED);
            assert_eq!(reply.header("cache-control"), Some("no-store"));
            let key = &reply.body;
            let members: Vec<&str> = key.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(members, ["id", "access_key", "secret_key", "user_memo", "created_at"]);
            assert_eq!(key["user_memo"], "billing");
            let (access, secret) = halves(key);
            assert_eq!(access.len(), 32);
            assert!(secret.len() >= 40, "{secret}");
            let created = key["created_at"].as_str().unwrap();
            assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
            let list = send(&cli, "GET", "/api/users/apikeys", &[("authorization", &token)], None).await;
            list.expect(StatusCode::OK);
            assert_eq!(list.body, json!([{"id": key["id"], "access_key": access, "user_memo": "billing", "created_at": created, "last_used_at": null}]));
            assert!(!list.body.to_string().contains(secret));
        }

        async fn a_memo_is_optional_and_kept_as_sent(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let memo = "Ünïcödé 🎉 '; DROP TABLE api_keys; -- \\ % _ ?";
            assert_eq!(create_key(&cli, &token, json!(memo)).await["user_memo"], memo);
            assert_eq!(create_key(&cli, &token, Value::Null).await["user_memo"], Value::Null);
            let reply = send(&cli, "POST", "/api/users/apikeys", &[("authorization", &token)], Some(json!({}))).await;
            reply.expect(StatusCode::CREATED);
            assert_eq!(reply.body["user_memo"], Value::Null);
            let list = send(&cli, "GET", "/api/users/apikeys", &[("authorization", &token)], None).await;
            assert_eq!(list.body[0]["user_memo"], memo);
        }

        async fn a_fourth_key_is_400_and_deleting_one_makes_room(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let mut ids = Vec::new();
            for _ in 0..3 {
                ids.push(create_key(&cli, &token, Value::Null).await["id"].clone());
            }
            send(&cli, "POST", "/api/users/apikeys", &[("authorization", &token)], Some(json!({}))).await
                .expect_detail(StatusCode::BAD_REQUEST, "API key limit reached: at most 3 keys per user");
            send(&cli, "DELETE", &format!("/api/users/apikeys/{}", ids[1]), &[("authorization", &token)], None).await
                .expect(StatusCode::OK);
            create_key(&cli, &token, Value::Null).await;
            send(&cli, "POST", "/api/users/apikeys", &[("authorization", &token)], Some(json!({}))).await
                .expect(StatusCode::BAD_REQUEST);
            // The limit is per user.
            let other = register(&cli, "alice@example.com").await;
            create_key(&cli, &other, Value::Null).await;
        }

        async fn concurrent_creations_never_pass_three_keys(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..8 {
                let (cli, token) = (cli.clone(), token.clone());
                tasks.spawn(async move {
                    send(&cli, "POST", "/api/users/apikeys", &[("authorization", &token)], Some(json!({}))).await.status
                });
            }
            let statuses = tasks.join_all().await;
            assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 3, "{statuses:?}");
            assert!(statuses.iter().all(|s| [StatusCode::CREATED, StatusCode::BAD_REQUEST].contains(s)), "{statuses:?}");
            let list = send(&cli, "GET", "/api/users/apikeys", &[("authorization", &token)], None).await;
            assert_eq!(list.body.as_array().map(Vec::len), Some(3));
        }

        async fn put_replaces_the_memo_and_null_clears_it(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let key = create_key(&cli, &token, json!("old")).await;
            let uri = format!("/api/users/apikeys/{}", key["id"]);
            let auth = [("authorization", token.as_str())];
            let reply = send(&cli, "PUT", &uri, &auth, Some(json!({"user_memo": "new"}))).await;
            reply.expect(StatusCode::OK);
            assert_eq!(reply.body["user_memo"], "new");
            assert_eq!(reply.body["access_key"], key["access_key"]);
            assert!(reply.body.get("secret_key").is_none());
            // The same memo again: still 200 (MySQL reports 0 rows changed).
            send(&cli, "PUT", &uri, &auth, Some(json!({"user_memo": "new"}))).await.expect(StatusCode::OK);
            let reply = send(&cli, "PUT", &uri, &auth, Some(json!({"user_memo": null}))).await;
            assert_eq!(reply.body["user_memo"], Value::Null);
            let list = send(&cli, "GET", "/api/users/apikeys", &auth, None).await;
            assert_eq!(list.body[0]["user_memo"], Value::Null);
        }

        async fn delete_answers_ok_once_then_404(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let key = create_key(&cli, &token, Value::Null).await;
            let uri = format!("/api/users/apikeys/{}", key["id"]);
            let auth = [("authorization", token.as_str())];
            send(&cli, "DELETE", &uri, &auth, None).await.expect(StatusCode::OK);
            send(&cli, "DELETE", &uri, &auth, None).await.expect_detail(StatusCode::NOT_FOUND, "API key not found");
            let list = send(&cli, "GET", "/api/users/apikeys", &auth, None).await;
            assert_eq!(list.body, json!([]));
        }

        async fn another_users_key_is_404_and_stays_as_it_was(db: TestDb) {
            let cli = client(&db).await;
            let owner = register(&cli, "ryan@example.com").await;
            let intruder = register(&cli, "mallory@example.com").await;
            let key = create_key(&cli, &owner, json!("mine")).await;
            let uri = format!("/api/users/apikeys/{}", key["id"]);
            let auth = [("authorization", intruder.as_str())];
            send(&cli, "PUT", &uri, &auth, Some(json!({"user_memo": "yours"}))).await
                .expect_detail(StatusCode::NOT_FOUND, "API key not found");
            send(&cli, "DELETE", &uri, &auth, None).await
                .expect_detail(StatusCode::NOT_FOUND, "API key not found");
            send(&cli, "POST", &format!("{uri}/rotate"), &auth, None).await
                .expect_detail(StatusCode::NOT_FOUND, "API key not found");
            let list = send(&cli, "GET", "/api/users/apikeys", &auth, None).await;
            assert_eq!(list.body, json!([]));
            let list = send(&cli, "GET", "/api/users/apikeys", &[("authorization", &owner)], None).await;
            assert_eq!(list.body[0]["user_memo"], "mine");
            call_service(&cli, &key, now()).await.expect(StatusCode::OK);
        }
    }

    #[tokio::test]
    async fn bad_key_ids_and_bodies_are_422_never_500() {
        let db = sqlite("bad_key_ids").await;
        let cli = client(&db).await;
        let token = register(&cli, "ryan@example.com").await;
        let auth = [("authorization", token.as_str())];
        for id in ["abc", "1.5", "99999999999999999999", "%FF", "%20"] {
            let uri = format!("/api/users/apikeys/{id}");
            let reply = send(&cli, "PUT", &uri, &auth, Some(json!({}))).await;
            reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                reply.body["detail"][0]["loc"],
                json!(["path", "key_id"]),
                "{id}"
            );
            send(&cli, "DELETE", &uri, &auth, None)
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY);
        }
        for id in ["-1", "0", "9223372036854775807"] {
            send(
                &cli,
                "DELETE",
                &format!("/api/users/apikeys/{id}"),
                &auth,
                None,
            )
            .await
            .expect(StatusCode::NOT_FOUND);
        }
        for body in [
            json!({"user_memo": 5}),
            json!({"user_memo": "x".repeat(201)}),
            json!("memo"),
        ] {
            send(&cli, "POST", "/api/users/apikeys", &auth, Some(body))
                .await
                .expect(StatusCode::UNPROCESSABLE_ENTITY);
        }
        let reply = send(
            &cli,
            "POST",
            "/api/users/apikeys",
            &[auth[0], ("content-type", "application/json")],
            None,
        )
        .await;
        reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let memo = "é".repeat(200);
        assert_eq!(
            create_key(&cli, &token, json!(memo)).await["user_memo"],
            memo
        );
    }
}

mod services {
    use super::*;

    /// A registered user's new key, on a fresh app.
    async fn keyed(db: &TestDb) -> (Client, Value) {
        let cli = client(db).await;
        let token = register(&cli, "ryan@example.com").await;
        let key = create_key(&cli, &token, Value::Null).await;
        (cli, key)
    }

    kit::db_tests! {
        async fn a_signed_request_answers_the_owners_address_in_any_query_order(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            let first = now();
            call_service(&cli, &key, first).await
                .expect(StatusCode::OK);
            let (access, secret) = halves(&key);
            // Another second than the first call's, whenever the clock ticks: not a replay.
            let ts = (first - 1).to_string();
            let signature = sign(secret, access, &ts);
            let reply = send(&cli, "GET", &format!("/api/services?timestamp={ts}&key={access}"), &[("secret", &signature)], None).await;
            reply.expect(StatusCode::OK);
            assert_eq!(reply.body, json!({"your_email": "ryan@example.com"}));
        }

        async fn the_same_signature_twice_is_a_replay(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            let ts = now();
            call_service(&cli, &key, ts).await.expect(StatusCode::OK);
            let reply = call_service(&cli, &key, ts).await;
            reply.expect_detail(StatusCode::UNAUTHORIZED, "Signature already used");
            assert_eq!(reply.header("www-authenticate"), Some("HMAC-SHA256"));
            // A new timestamp is a new signature.
            call_service(&cli, &key, ts - 1).await.expect(StatusCode::OK);
        }

        async fn copies_sent_at_once_are_accepted_once(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            let ts = now();
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..6 {
                let (cli, key) = (cli.clone(), key.clone());
                tasks.spawn(async move { call_service(&cli, &key, ts).await.status });
            }
            let statuses = tasks.join_all().await;
            assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
            assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 5, "{statuses:?}");
        }

        async fn a_wrong_signature_is_401(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            let (access, secret) = halves(&key);
            let ts = now().to_string();
            let right = sign(secret, access, &ts);
            let wrong = [
                sign("not the secret", access, &ts),
                sign(secret, access, &(now() - 5).to_string()),
                sign(secret, &access.to_uppercase(), &ts),
                STANDARD.encode(b"0123456789abcdef0123456789abcdef"),
                "!!! not base64 !!!".to_owned(),
                right.trim_end_matches('=').to_owned(),
                URL_SAFE_NO_PAD.encode(STANDARD.decode(&right).unwrap()).replace(['-', '_'], "A"),
                format!("{right}{right}"),
                String::new(),
            ];
            let uri = format!("/api/services?key={access}&timestamp={ts}");
            for signature in &wrong {
                let reply = send(&cli, "GET", &uri, &[("secret", signature)], None).await;
                reply.expect_detail(StatusCode::UNAUTHORIZED, "Invalid signature");
                assert_eq!(reply.header("www-authenticate"), Some("HMAC-SHA256"));
            }
            // Signed with another user's secret.
            let token = register(&cli, "mallory@example.com").await;
            let other = create_key(&cli, &token, Value::Null).await;
            let forged = sign(halves(&other).1, access, &ts);
            send(&cli, "GET", &uri, &[("secret", &forged)], None).await
                .expect_detail(StatusCode::UNAUTHORIZED, "Invalid signature");
            send(&cli, "GET", &uri, &[("secret", &right)], None).await.expect(StatusCode::OK);
        }

        async fn a_timestamp_more_than_60_seconds_off_is_400(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            for ts in [now() - 62, now() + 62, now() - 3600, now() + 86_400, -1, 0, i64::MAX, i64::MIN] {
                call_service(&cli, &key, ts).await
                    .expect_detail(StatusCode::BAD_REQUEST, "Timestamp out of range: it must be within 60 seconds of the server's time");
            }
            for ts in [now() - 50, now() + 50] {
                call_service(&cli, &key, ts).await.expect(StatusCode::OK);
            }
        }

        async fn an_unknown_or_deleted_key_is_404(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            let (access, secret) = halves(&key);
            let ts = now().to_string();
            for unknown in ["00000000000000000000000000000000", "nope", "", "%FF%FE", "%20abc"] {
                let signature = sign(secret, unknown, &ts);
                let reply = send(&cli, "GET", &format!("/api/services?key={unknown}&timestamp={ts}"), &[("secret", &signature)], None).await;
                reply.expect_detail(StatusCode::NOT_FOUND, "API key not found");
            }
            let upper = access.to_uppercase();
            let reply = send(&cli, "GET", &format!("/api/services?key={upper}&timestamp={ts}"), &[("secret", &sign(secret, &upper, &ts))], None).await;
            reply.expect(StatusCode::NOT_FOUND);
            let trailing = format!("{access}%20");
            let reply = send(&cli, "GET", &format!("/api/services?key={trailing}&timestamp={ts}"), &[("secret", &sign(secret, &format!("{access} "), &ts))], None).await;
            reply.expect(StatusCode::NOT_FOUND);
            let token = post_json(&cli, "/auth/login/email", json!({"email": "ryan@example.com", "pw": "correct horse"})).await.body["Authorization"].as_str().unwrap().to_owned();
            send(&cli, "DELETE", &format!("/api/users/apikeys/{}", key["id"]), &[("authorization", &token)], None).await.expect(StatusCode::OK);
            call_service(&cli, &key, now()).await.expect_detail(StatusCode::NOT_FOUND, "API key not found");
        }

        async fn the_checks_run_in_the_contracts_order(db: TestDb) {
            let (cli, key) = keyed(&db).await;
            let (access, secret) = halves(&key);
            let stale = (now() - 3600).to_string();
            // Unknown key, bad signature, stale timestamp: the key is checked first.
            let reply = send(&cli, "GET", &format!("/api/services?key=ffffffffffffffffffffffffffffffff&timestamp={stale}"), &[("secret", "bad")], None).await;
            reply.expect(StatusCode::NOT_FOUND);
            // Bad signature and stale timestamp: the signature comes first.
            let reply = send(&cli, "GET", &format!("/api/services?key={access}&timestamp={stale}"), &[("secret", "bad")], None).await;
            reply.expect(StatusCode::UNAUTHORIZED);
            // Signed but stale: the timestamp.
            let reply = send(&cli, "GET", &format!("/api/services?key={access}&timestamp={stale}"), &[("secret", &sign(secret, access, &stale))], None).await;
            reply.expect(StatusCode::BAD_REQUEST);
            // Signed, fresh, new: accepted; then a replay.
            let ts = now();
            call_service(&cli, &key, ts).await.expect(StatusCode::OK);
            call_service(&cli, &key, ts).await.expect(StatusCode::UNAUTHORIZED);
        }

        async fn accepted_signatures_are_forgotten_when_their_window_is_over(db: TestDb) {
            use ch14_bigger_application::database::Db;
            use ch14_bigger_application::database::signatures::LastPurge;
            use ch14_bigger_application::errors::AppError;
            use ch14_bigger_application::security::encryption::{EncryptionKey, EncryptionKeys};
            let keys = EncryptionKeys::new(EncryptionKey::random().unwrap(), None);
            let store = Db::connect(&db.url, keys).await.expect("the database answers");
            let signature = [7u8; 32];
            let ts = 1_700_000_000;
            store.remember_signature(&signature, ts, ts, &LastPurge::default()).await.expect("a new signature");
            let again = store.remember_signature(&signature, ts, ts + 60, &LastPurge::default()).await;
            assert!(matches!(again, Err(AppError::SignatureReplayed)), "{again:?}");
            // Two minutes later it can no longer pass the timestamp check: it is deleted.
            store.remember_signature(&signature, ts, ts + 121, &LastPurge::default()).await
                .expect("the old row was purged");
        }
    }

    #[tokio::test]
    async fn missing_or_malformed_parameters_are_422() {
        let db = sqlite("services_422").await;
        let (cli, key) = keyed(&db).await;
        let (access, secret) = halves(&key);
        let ts = now().to_string();
        let signature = sign(secret, access, &ts);
        let mut answers = Vec::new();
        for (uri, signed) in [
            ("/api/services".to_owned(), false),
            (format!("/api/services?key={access}"), true),
            (format!("/api/services?timestamp={ts}"), true),
            (format!("/api/services?key={access}&timestamp={ts}"), false),
            (format!("/api/services?key={access}&timestamp=abc"), true),
            (format!("/api/services?key={access}&timestamp=1.5e9"), true),
            (
                format!("/api/services?key={access}&timestamp=99999999999999999999"),
                true,
            ),
            (format!("/api/services?key={access}&timestamp=%FF"), true),
        ] {
            let headers: Vec<(&str, &str)> = if signed {
                vec![("secret", &signature)]
            } else {
                Vec::new()
            };
            let reply = send(&cli, "GET", &uri, &headers, None).await;
            reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
            answers.push(json!({"uri": uri.replace(access, "<key>").replace(&ts, "<ts>"), "detail": reply.body["detail"]}));
        }
        insta::assert_json_snapshot!("services_422", answers);
    }

    #[tokio::test]
    async fn a_repeated_parameter_counts_its_last_value() {
        let db = sqlite("services_repeated").await;
        let (cli, key) = keyed(&db).await;
        let (access, secret) = halves(&key);
        let ts = now().to_string();
        let signature = sign(secret, access, &ts);
        let uri = format!("/api/services?key=nope&timestamp=1&key={access}&timestamp={ts}");
        send(&cli, "GET", &uri, &[("secret", &signature)], None)
            .await
            .expect(StatusCode::OK);
    }
}

mod exercises {
    use super::*;

    kit::db_tests! {
        async fn me_is_the_tokens_account(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "Ryan@Example.com").await;
            let reply = send(&cli, "GET", "/api/users/me", &[("authorization", &token)], None).await;
            reply.expect(StatusCode::OK);
            assert_eq!(reply.body["email"], "Ryan@example.com");
            assert!(reply.body["id"].is_i64());
            assert!(reply.body.get("hashed_password").is_none());
            send(&cli, "GET", "/api/users/me", &[], None).await.expect(StatusCode::UNAUTHORIZED);
        }

        async fn a_rotated_key_signs_with_its_new_secret_only(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let key = create_key(&cli, &token, json!("rotating")).await;
            let reply = send(&cli, "POST", &format!("/api/users/apikeys/{}/rotate", key["id"]), &[("authorization", &token)], None).await;
            reply.expect(StatusCode::OK);
            assert_eq!(reply.header("cache-control"), Some("no-store"));
            let rotated = reply.body.clone();
            assert_eq!(rotated["access_key"], key["access_key"]);
            assert_eq!(rotated["user_memo"], "rotating");
            assert_ne!(rotated["secret_key"], key["secret_key"]);
            call_service(&cli, &key, now()).await.expect(StatusCode::UNAUTHORIZED);
            call_service(&cli, &rotated, now()).await.expect(StatusCode::OK);
        }

        async fn a_key_records_when_it_was_last_used(db: TestDb) {
            let cli = client(&db).await;
            let token = register(&cli, "ryan@example.com").await;
            let key = create_key(&cli, &token, Value::Null).await;
            let auth = [("authorization", token.as_str())];
            let list = || send(&cli, "GET", "/api/users/apikeys", &auth, None);
            assert_eq!(list().await.body[0]["last_used_at"], Value::Null);
            call_service(&cli, &key, now() + 30).await.expect(StatusCode::OK);
            let used = list().await.body[0]["last_used_at"].clone();
            let used = used.as_str().expect("a time");
            assert!(used.len() == 20 && used.ends_with('Z'), "{used}");
            // A refused request is not a use.
            call_service(&cli, &key, now() - 3600).await.expect(StatusCode::BAD_REQUEST);
            assert_eq!(list().await.body[0]["last_used_at"], used);
        }
    }
}

mod settings {
    use super::*;

    #[tokio::test]
    async fn only_trusted_hosts_are_served() {
        let db = sqlite("trusted_hosts").await;
        let cli = client(&db).await;
        for host in [
            "localhost",
            "LOCALHOST:8000",
            "127.0.0.1:1234",
            "[::1]:8000",
        ] {
            let reply = send(&cli, "GET", "/", &[("host", host)], None).await;
            reply.expect(StatusCode::OK);
        }
        for host in ["evil.com", "localhost.evil.com", "127.0.0.2", ""] {
            send(&cli, "GET", "/docs", &[("host", host)], None)
                .await
                .expect_detail(StatusCode::BAD_REQUEST, "Invalid host header");
        }
    }

    #[tokio::test]
    async fn trusted_hosts_follow_the_setting() {
        let db = sqlite("trusted_hosts_setting").await;
        let cli = client_with(&db, &[("TRUSTED_HOSTS", "api.example.org, *.example.com")]).await;
        for (host, status) in [
            ("api.example.org", StatusCode::OK),
            ("a.b.example.com:443", StatusCode::OK),
            ("example.com", StatusCode::BAD_REQUEST),
            ("localhost", StatusCode::BAD_REQUEST),
        ] {
            send(&cli, "GET", "/", &[("host", host)], None)
                .await
                .expect(status);
        }
    }

    /// The requests of a security review: each hides another host in `Host`, names two, or
    /// names another in the request line, and each was once answered 200.
    #[tokio::test]
    async fn a_host_hidden_in_the_authority_is_refused() {
        let db = sqlite("forged_hosts").await;
        let listed = client_with(&db, &[("TRUSTED_HOSTS", "*.example.com,api.example.org")]).await;
        for host in [
            "evil.com/.example.com",
            "user@evil.com/.example.com",
            "api.example.org:1@evil.com",
        ] {
            send(&listed, "GET", "/", &[("host", host)], None)
                .await
                .expect_detail(StatusCode::BAD_REQUEST, "Invalid host header");
        }
        let cli = client(&db).await;
        let forged: [(&str, &[(&str, &str)]); 4] = [
            ("/", &[("host", "localhost:80@evil.com")]),
            ("/", &[("host", "[::1]evil.com")]),
            ("/", &[("host", "localhost"), ("host", "evil.com")]),
            ("http://evil.com/", &[("host", "localhost")]),
        ];
        for (uri, headers) in forged {
            send(&cli, "GET", uri, headers, None)
                .await
                .expect_detail(StatusCode::BAD_REQUEST, "Invalid host header");
        }
    }

    #[test]
    fn production_refuses_a_star_in_trusted_hosts() {
        let err = Config::from_env(&Env::from_pairs([
            ("APP_ENV", "prod"),
            ("DATABASE_URL", "sqlite://x.db"),
            ("JWT_SECRET", JWT_SECRET),
            ("TRUSTED_HOSTS", "api.example.com, *"),
        ]))
        .unwrap_err();
        assert_eq!(err.key, "TRUSTED_HOSTS");
        assert!(err.problem.contains("APP_ENV=prod"), "{err}");
    }

    #[tokio::test]
    async fn production_hides_the_docs() {
        let db = sqlite("production_docs").await;
        let cli = client_with(
            &db,
            &[
                ("APP_ENV", "prod"),
                ("TRUSTED_HOSTS", "localhost"),
                ("BCRYPT_COST", "10"),
            ],
        )
        .await;
        for path in ["/openapi.json", "/docs", "/redoc"] {
            send(&cli, "GET", path, &[], None)
                .await
                .expect_detail(StatusCode::NOT_FOUND, "Not Found");
        }
        let reply = send(&cli, "GET", "/", &[], None).await;
        reply.expect(StatusCode::OK);
        assert_eq!(reply.body["service"], "Bigger application");
        let clock = reply.body["timestamp"].as_i64().unwrap();
        assert!(clock.abs_diff(now()) <= 2);
    }

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        let db = sqlite("openapi_document").await;
        let cli = client(&db).await;
        let reply = send(&cli, "GET", "/openapi.json", &[], None).await;
        reply.expect(StatusCode::OK);
        let doc = &reply.body;
        // The secret key appears in the answers that issue one, and nowhere else.
        let with_secret: Vec<&String> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, schema)| schema["properties"].get("secret_key").is_some())
            .map(|(name, _)| name)
            .collect();
        assert_eq!(with_secret, ["NewApiKey"]);
        insta::assert_json_snapshot!("openapi", doc);
    }

    /// What the document calls valid, the service accepts; what it calls invalid, the service
    /// refuses: a fuzzer reading the document finds no disagreement to report.
    #[tokio::test]
    async fn the_document_says_what_the_service_accepts() {
        let db = sqlite("document_agrees").await;
        let cli = client(&db).await;
        let doc = send(&cli, "GET", "/openapi.json", &[], None).await.body;
        let body_schema = |path: &str, method: &str| {
            let reference = doc["paths"][path][method]["requestBody"]["content"]
                ["application/json; charset=utf-8"]["schema"]["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/components/schemas/")
                .to_owned();
            doc["components"]["schemas"][reference].clone()
        };

        // A `null` memo is no memo: the document allows it, as the service does.
        for (path, method) in [
            ("/api/users/apikeys", "post"),
            ("/api/users/apikeys/{key_id}", "put"),
        ] {
            let memo = &body_schema(path, method)["properties"]["user_memo"];
            assert_eq!(memo["nullable"], true, "{method} {path}: {memo}");
        }
        let token = register(&cli, "ryan@example.com").await;
        let auth = ("authorization", token.as_str());
        let memo = json!({"user_memo": null});
        let reply = send(
            &cli,
            "POST",
            "/api/users/apikeys",
            &[auth],
            Some(memo.clone()),
        )
        .await;
        reply.expect(StatusCode::CREATED);
        let uri = format!("/api/users/apikeys/{}", reply.body["id"]);
        let reply = send(&cli, "PUT", &uri, &[auth], Some(memo)).await;
        reply.expect(StatusCode::OK);
        assert_eq!(reply.body["user_memo"], Value::Null);

        // `email` is the one sign-up method listed; any other is still a 400 (see `auth`).
        for path in ["/auth/register/{sns_type}", "/auth/login/{sns_type}"] {
            let param = &doc["paths"][path]["post"]["parameters"][0];
            assert_eq!(param["name"], "sns_type");
            assert_eq!(param["schema"]["enum"], json!(["email"]), "{path}");
        }

        // A new password has at least 8 characters, and the document says so; at login any
        // password may be tried, and a short one is a wrong one (400), not a 422.
        let new_pw = &body_schema("/auth/register/{sns_type}", "post")["properties"]["pw"];
        assert_eq!(new_pw["minLength"], 8, "{new_pw}");
        let old_pw = &body_schema("/auth/login/{sns_type}", "post")["properties"]["pw"];
        assert!(old_pw.get("minLength").is_none(), "{old_pw}");
        let short = json!({"email": "ryan@example.com", "pw": "short"});
        post_json(&cli, "/auth/login/email", short.clone())
            .await
            .expect_detail(StatusCode::BAD_REQUEST, "Incorrect email or password");
        let reply = post_json(&cli, "/auth/register/email", short).await;
        reply.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.body["detail"][0]["type"], "string_too_short");
    }

    #[tokio::test]
    async fn nothing_a_client_sends_is_a_500() {
        let db = sqlite("no_500").await;
        let cli = client(&db).await;
        let token = register(&cli, "ryan@example.com").await;
        let auth = ("authorization", token.as_str());
        // Method, URI, headers, body.
        type Sent<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, Option<&'a str>);
        let requests: Vec<Sent> = vec![
            (
                "POST",
                "/auth/register/%FF".into(),
                vec![],
                Some(r#"{"email":"a@b.co","pw":"x"}"#),
            ),
            (
                "POST",
                "/auth/register/email".into(),
                vec![],
                Some(r#"{"email":"#),
            ),
            ("POST", "/auth/register/email".into(), vec![], Some("")),
            (
                "POST",
                "/auth/login/email".into(),
                vec![("content-type", "text/plain")],
                Some("{}"),
            ),
            (
                "POST",
                "/auth/login/email".into(),
                vec![],
                Some(r#"{"email":"a@b.co","pw":"\u0000"}"#),
            ),
            (
                "POST",
                "/api/users/apikeys".into(),
                vec![auth],
                Some("[1,2"),
            ),
            (
                "PUT",
                "/api/users/apikeys/1".into(),
                vec![auth],
                Some("null"),
            ),
            (
                "GET",
                "/api/services?key=%FF&timestamp=%FF".into(),
                vec![("secret", "%FF")],
                None,
            ),
            (
                "GET",
                "/api/services?key=&timestamp=".into(),
                vec![("secret", "")],
                None,
            ),
            (
                "GET",
                "/api/services?key=a&key=b&timestamp=-0".into(),
                vec![("secret", "====")],
                None,
            ),
            ("DELETE", "/api/users/apikeys".into(), vec![auth], None),
            ("PATCH", "/api/users/apikeys/1".into(), vec![auth], None),
        ];
        for (method, uri, headers, body) in requests {
            let method: poem::http::Method = method.parse().unwrap();
            let mut req = cli.request(method.clone(), uri.clone());
            let mut has_type = false;
            for (name, value) in &headers {
                has_type |= *name == "content-type";
                req = req.header(*name, *value);
            }
            if let Some(body) = body {
                if !has_type {
                    req = req.header("content-type", "application/json");
                }
                req = req.body(body.to_owned());
            }
            let status = req.send().await.0.status();
            assert!(status.is_client_error(), "{method} {uri}: {status}");
        }
    }
}

/// The database going away while the service runs: 503, then recovery.
/// The limits on guessing, and the bound on bcrypt work.
mod limits {
    use super::*;

    async fn login(cli: &Client, email: &str, pw: &str) -> Reply {
        post_json(cli, "/auth/login/email", json!({"email": email, "pw": pw})).await
    }

    /// Fails unless `reply` is a 429 or 503 with this detail and `Retry-After: <seconds>`.
    fn expect_retry_after(reply: &Reply, status: StatusCode, detail: &str) {
        reply.expect_detail(status, detail);
        let seconds: u64 = reply
            .header("retry-after")
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no Retry-After in seconds: {:?}", reply.headers));
        assert!(seconds >= 1, "{seconds}");
    }

    #[tokio::test]
    async fn wrong_passwords_for_one_account_meet_a_429_with_retry_after() {
        let db = sqlite("login_limit").await;
        let cli = client_with(&db, &[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
        register(&cli, "ryan@example.com").await;
        for _ in 0..3 {
            login(&cli, "ryan@example.com", "wrong")
                .await
                .expect_detail(StatusCode::BAD_REQUEST, "Incorrect email or password");
        }
        let refused = login(&cli, "ryan@example.com", "wrong").await;
        expect_retry_after(
            &refused,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many login attempts",
        );
        let seconds: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!(
            (899..=900).contains(&seconds),
            "the window's end: {seconds}"
        );
        // The password is not even checked now: the right one is refused as well.
        let right = login(&cli, "ryan@EXAMPLE.com", "correct horse").await;
        expect_retry_after(
            &right,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many login attempts",
        );
        // Another account is not locked by this one's failures.
        register(&cli, "other@example.com").await;
        login(&cli, "other@example.com", "correct horse")
            .await
            .expect(StatusCode::OK);
    }

    #[tokio::test]
    async fn a_success_for_another_account_does_not_forgive_the_failures() {
        // From one address: two guesses at the victim's password, a good login to the
        // attacker's own account, then more guesses. The good login forgives nothing of the
        // victim's: the limit (3 per address here) is met all the same.
        let db = sqlite("login_limit_other").await;
        let cli = client_with(&db, &[("LOGIN_MAX_FAILURES_PER_ADDRESS", "3")]).await;
        register(&cli, "victim@example.com").await;
        register(&cli, "attacker@example.com").await;
        for _ in 0..2 {
            login(&cli, "victim@example.com", "guess")
                .await
                .expect(StatusCode::BAD_REQUEST);
        }
        login(&cli, "attacker@example.com", "correct horse")
            .await
            .expect(StatusCode::OK);
        login(&cli, "victim@example.com", "guess")
            .await
            .expect(StatusCode::BAD_REQUEST);
        let refused = login(&cli, "victim@example.com", "guess").await;
        expect_retry_after(
            &refused,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many login attempts",
        );
    }

    #[tokio::test]
    async fn a_success_forgives_its_own_failures() {
        let db = sqlite("login_limit_own").await;
        let cli = client_with(&db, &[("LOGIN_MAX_FAILURES_PER_ACCOUNT", "2")]).await;
        register(&cli, "ryan@example.com").await;
        for _ in 0..3 {
            login(&cli, "ryan@example.com", "typo")
                .await
                .expect(StatusCode::BAD_REQUEST);
            login(&cli, "ryan@example.com", "correct horse")
                .await
                .expect(StatusCode::OK);
        }
    }

    #[tokio::test]
    async fn sign_ups_from_one_address_are_limited() {
        let db = sqlite("sign_up_limit").await;
        let cli = client_with(&db, &[("REGISTER_MAX_PER_ADDRESS", "2")]).await;
        register(&cli, "a@example.com").await;
        register(&cli, "b@example.com").await;
        let body = json!({"email": "c@example.com", "pw": "correct horse"});
        let refused = post_json(&cli, "/auth/register/email", body).await;
        expect_retry_after(&refused, StatusCode::TOO_MANY_REQUESTS, "Too many sign-ups");
    }

    #[tokio::test]
    async fn a_full_bcrypt_queue_answers_503_with_retry_after_at_once() {
        // One bcrypt at a time and no place to wait, at the real cost (a quarter of a second):
        // of six logins sent at once, the first takes the worker and the others find the line
        // full. The login limits are off, so that only the queue refuses.
        let db = sqlite("bcrypt_queue").await;
        let cli = client_with(
            &db,
            &[
                ("BCRYPT_COST", "12"),
                ("BCRYPT_CONCURRENCY", "1"),
                ("BCRYPT_QUEUE", "0"),
                ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
                ("LOGIN_MAX_FAILURES_PER_ADDRESS", "0"),
            ],
        )
        .await;
        register(&cli, "ryan@example.com").await;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let cli = cli.clone();
            tasks.spawn(async move { login(&cli, "ryan@example.com", "correct horse").await });
        }
        let replies = tasks.join_all().await;
        let busy: Vec<&Reply> = replies
            .iter()
            .filter(|reply| reply.status == StatusCode::SERVICE_UNAVAILABLE)
            .collect();
        let ok = replies
            .iter()
            .filter(|reply| reply.status == StatusCode::OK)
            .count();
        assert_eq!(ok + busy.len(), 6, "only 200s and 503s");
        assert!(
            ok >= 1 && !busy.is_empty(),
            "{ok} logged in, {} refused",
            busy.len()
        );
        for reply in busy {
            expect_retry_after(
                reply,
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many logins at once; try again shortly",
            );
        }
        // The line clears: the next login goes through.
        login(&cli, "ryan@example.com", "correct horse")
            .await
            .expect(StatusCode::OK);
    }
}

/// API key secrets, encrypted at rest.
mod encryption {
    use sqlx::{AnyPool, AssertSqlSafe};

    use super::*;

    /// A second key, for rotations (32 bytes, in hex).
    const NEW_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    /// The database itself, as someone with a copy of it sees it.
    async fn raw(db: &TestDb) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(&db.url).await.unwrap()
    }

    async fn stored(pool: &AnyPool) -> String {
        sqlx::query_scalar("SELECT sealed_secret FROM api_keys")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// A user with one key, made by `cli`.
    async fn keyed(cli: &Client) -> Value {
        let token = register(cli, "ryan@example.com").await;
        create_key(cli, &token, Value::Null).await
    }

    kit::db_tests! {
        async fn the_stored_column_does_not_hold_the_secret(db: TestDb) {
            let cli = client(&db).await;
            let key = keyed(&cli).await;
            let (_, secret) = halves(&key);
            let stored = stored(&raw(&db).await).await;
            assert!(stored.starts_with("v1:"), "{stored}");
            assert!(!stored.contains(secret), "{stored}");
            call_service(&cli, &key, now()).await.expect(StatusCode::OK);
        }

        async fn a_rotated_encryption_key_keeps_every_api_key_working(db: TestDb) {
            let old = client(&db).await;
            let key = keyed(&old).await;
            let before = stored(&raw(&db).await).await;
            // The new key, with the old one as the previous: the start seals the stored
            // secret again with the new key.
            let rotated = client_with(&db, &[
                ("API_KEY_ENCRYPTION_KEY", NEW_KEY),
                ("API_KEY_ENCRYPTION_KEY_PREVIOUS", ENCRYPTION_KEY),
            ]).await;
            let after = stored(&raw(&db).await).await;
            assert_ne!(before.split(':').nth(1), after.split(':').nth(1), "{before} {after}");
            let first = now();
            call_service(&rotated, &key, first).await.expect(StatusCode::OK);
            // The old key can go now. Another second than the first call's, whenever the
            // clock ticks: not a replay.
            let new_only = client_with(&db, &[("API_KEY_ENCRYPTION_KEY", NEW_KEY)]).await;
            call_service(&new_only, &key, first - 1).await.expect(StatusCode::OK);
        }

        async fn secrets_stored_before_encryption_are_encrypted_at_start(db: TestDb) {
            let cli = client(&db).await;
            let key = keyed(&cli).await;
            let (_, secret) = halves(&key);
            // As the row was before migration 0005's service: the secret in plain text.
            let pool = raw(&db).await;
            sqlx::query(AssertSqlSafe(format!("UPDATE api_keys SET sealed_secret = '{secret}'")))
                .execute(&pool)
                .await
                .unwrap();
            let restarted = client(&db).await;
            let stored = stored(&pool).await;
            assert!(stored.starts_with("v1:") && !stored.contains(secret), "{stored}");
            call_service(&restarted, &key, now()).await.expect(StatusCode::OK);
        }
    }

    #[tokio::test]
    async fn a_wrong_key_is_a_clear_error_not_a_panic() {
        let db = sqlite("wrong_encryption_key").await;
        let cli = client(&db).await;
        let key = keyed(&cli).await;
        // Another key, without the one the secret was sealed with: the process starts (the
        // secret is left as it is, and the log says so), and the signed request is a plain
        // 500; the log names the key the secret needs.
        let wrong = client_with(&db, &[("API_KEY_ENCRYPTION_KEY", NEW_KEY)]).await;
        call_service(&wrong, &key, now())
            .await
            .expect_detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        send(&wrong, "GET", "/", &[], None)
            .await
            .expect(StatusCode::OK);
        // The right key still opens it: nothing was lost.
        call_service(&cli, &key, now() - 1)
            .await
            .expect(StatusCode::OK);
    }
}

mod faults {
    use kit::testing::TcpProxy;

    use super::*;

    // A file does not go away mid-request: PostgreSQL and MySQL only.
    kit::server_db_tests! {
        async fn a_lost_database_is_503_until_it_returns(db: TestDb) {
            let upstream = db.server_address().unwrap();
            let proxy = TcpProxy::start(&upstream).await.unwrap();
            let url = db.url_through(proxy.port());
            let cli = client_at(&url, &[]).await;
            let token = register(&cli, "ryan@example.com").await;
            let key = create_key(&cli, &token, Value::Null).await;
            proxy.cut();
            let down = send(&cli, "GET", "/api/users/apikeys", &[("authorization", &token)], None).await;
            down.expect_detail(StatusCode::SERVICE_UNAVAILABLE, "Database unavailable");
            call_service(&cli, &key, now()).await
                .expect_detail(StatusCode::SERVICE_UNAVAILABLE, "Database unavailable");
            proxy.restore();
            send(&cli, "GET", "/api/users/apikeys", &[("authorization", &token)], None).await
                .expect(StatusCode::OK);
            call_service(&cli, &key, now() - 1).await.expect(StatusCode::OK);
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use kit::db::TestDb;
    use tokio::process::Command;

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch14-bigger-application");
    const PATIENCE: Duration = Duration::from_secs(60);

    /// Grades the program on the database at `url`.
    async fn grade_on(url: &str) {
        // As a learner runs it (bcrypt at its real cost), on the test's database.
        let report = grader::grade_program_with_env("14", PROGRAM, &[("DATABASE_URL", url)]).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    kit::db_tests! {
        async fn the_grader_passes_every_check(db: TestDb) {
            grade_on(&db.url).await;
        }
    }

    /// The grader's check of the login limit alone.
    fn login_limit_check() -> Vec<grader::check::Check> {
        let chapter = grader::chapters::find("14").expect("chapter 14 has checks");
        (chapter.checks)()
            .into_iter()
            .filter(|check| check.id == "14.login.limit")
            .collect()
    }

    #[tokio::test]
    async fn the_login_limit_check_fails_on_a_server_without_the_limit() {
        let chapter = grader::chapters::Chapter {
            number: "14",
            package: "ch14-bigger-application",
            title: "the login limit",
            checks: login_limit_check,
        };
        let db = TestDb::create(kit::db::Backend::Sqlite, "no_login_limit")
            .await
            .unwrap();
        let options = |limit: &str| grader::Options {
            env: [
                ("DATABASE_URL", db.url.as_str()),
                ("BCRYPT_COST", "4"),
                ("LOGIN_MAX_FAILURES_PER_ACCOUNT", limit),
                ("LOGIN_MAX_FAILURES_PER_ADDRESS", limit),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
            ..grader::Options::default()
        };
        let target = grader::Target::Program(PROGRAM.into());
        let unlimited = grader::grade(&chapter, &target, &options("0")).await;
        let failures: Vec<_> = unlimited
            .failures()
            .map(|(_, f)| f.message.clone())
            .collect();
        assert_eq!(
            failures,
            ["200 wrong passwords for one account were all checked: nothing limits guessing"],
            "{}",
            unlimited.to_text()
        );
        let limited = grader::grade(&chapter, &target, &options("10")).await;
        assert!(limited.passed(), "{}", limited.to_text());
        assert_eq!(limited.results.len(), 1);
    }

    /// Runs the program with `env` until it stops; answers its exit status and stderr.
    async fn start_failure(env: &[(&str, &str)]) -> String {
        let dir =
            std::env::temp_dir().join(format!("ch14-start-{}-{}", std::process::id(), env.len()));
        let _ = std::fs::create_dir_all(&dir);
        let child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .current_dir(&dir)
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
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!output.status.success(), "it should refuse to start");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    #[tokio::test]
    async fn a_bad_setting_stops_the_start_and_is_named() {
        for (env, named) in [
            (
                vec![("APP_ENV", "staging")],
                "error: APP_ENV: must be local, dev or prod",
            ),
            (
                vec![("DATABASE_URL", "redis://u:hunter2@h/0")],
                "error: DATABASE_URL: must start with",
            ),
            (
                vec![("JWT_SECRET", "short")],
                "error: JWT_SECRET: must be at least 32 bytes",
            ),
            // Each pooled connection would open its own empty database: every request a 500.
            (
                vec![("DATABASE_URL", "sqlite::memory:")],
                "error: DATABASE_URL: an in-memory SQLite database",
            ),
            (
                vec![("APP_ENV", "prod")],
                "error: DATABASE_URL: must be set when APP_ENV=prod",
            ),
            (
                vec![("APP_ENV", "dev")],
                "error: JWT_SECRET: must be set when APP_ENV=dev",
            ),
            (
                vec![
                    ("APP_ENV", "prod"),
                    ("DATABASE_URL", "sqlite://prod.db"),
                    ("JWT_SECRET", "a-production-key-of-at-least-32-bytes"),
                    ("TRUSTED_HOSTS", "*"),
                ],
                "error: TRUSTED_HOSTS: ",
            ),
        ] {
            let stderr = start_failure(&env).await;
            assert!(stderr.contains(named), "{env:?}: {stderr}");
            assert!(!stderr.contains("hunter2"), "{stderr}");
        }
    }

    #[tokio::test]
    async fn an_unreachable_database_stops_the_start_and_names_it_without_its_password() {
        let stderr =
            start_failure(&[("DATABASE_URL", "postgres://app:hunter2@127.0.0.1:1/app")]).await;
        assert!(
            stderr.contains("cannot connect to the database at postgres://app:***@127.0.0.1:1/app"),
            "{stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }

    #[tokio::test]
    async fn production_logs_are_json_lines() {
        let db = TestDb::create(kit::db::Backend::Sqlite, "json_logs")
            .await
            .unwrap();
        let mut child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .env_clear()
            .envs([
                ("APP_ENV", "prod"),
                ("DATABASE_URL", db.url.as_str()),
                ("JWT_SECRET", "a-production-key-of-at-least-32-bytes"),
                ("TRUSTED_HOSTS", "127.0.0.1"),
                ("API_KEY_ENCRYPTION_KEY", super::ENCRYPTION_KEY),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        use tokio::io::AsyncBufReadExt;
        let stderr = child.stderr.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let line = tokio::time::timeout(PATIENCE, lines.next_line())
            .await
            .expect("a log line in time")
            .unwrap()
            .unwrap_or_default();
        let parsed: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(parsed["fields"]["message"].is_string(), "{line}");
        let _ = child.kill().await;
    }
}
