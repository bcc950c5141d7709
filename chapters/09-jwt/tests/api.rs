//! Chapter 09's own tests: what HTTP cannot show, and what the grader does not send.
//!
//! The grader carries the HTTP contract: `program::the_grader_passes_every_check` runs every
//! `09.*` check (logging in, the current user, each attack of the page's table, the
//! exercises) against the built program. What stays here needs the inside, or goes where the
//! grader does not: the app is built with a known key, so that the tests can forge the tokens
//! the grader never sends; the settings are read from a made-up environment; the OpenAPI
//! document is pinned by a snapshot; and the program is started to read what it logs. Logging
//! in runs bcrypt for real (a quarter of a second or more), so most tests forge their token.

use std::sync::atomic::{AtomicU64, Ordering};

use ch09_jwt::{Config, app};
use insta::assert_json_snapshot;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kit::{Docs, Env};
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

/// The key the tests' app signs with: 32 bytes or more.
const KEY: &str = "the-tests-key-0123456789abcdefghijklmnop";

fn config_with(pairs: &[(&str, &str)]) -> Config {
    let mut vars = vec![("JWT_SECRET", KEY)];
    vars.extend_from_slice(pairs);
    Config::from_env(&Env::from_pairs(vars)).expect("the tests' settings are valid")
}

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default(), &config_with(&[])))
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A token id no other test uses.
fn jti() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("test-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The claims of a token the server would issue to `sub`.
fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iat": now(), "exp": now() + 600, "jti": jti()})
}

/// A token signed with the server's own key: what the server would issue.
fn forge(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(KEY.as_bytes()),
    )
    .expect("the test token is signed")
}

/// The `Authorization` value of a forged token with `claims`.
fn bearer_of(claims: &Value) -> String {
    format!("Bearer {}", forge(claims))
}

/// The `Authorization` value of a token the server would issue to `sub`.
fn bearer(sub: &str) -> String {
    bearer_of(&claims(sub))
}

/// `POST /token` with a form body written by hand.
async fn post_form(cli: &TestClient<impl Endpoint>, body: &str) -> TestResponse {
    cli.post("/token")
        .content_type("application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
}

/// `POST /token` with a user name and a password.
async fn login(cli: &TestClient<impl Endpoint>, username: &str, password: &str) -> TestResponse {
    let escape = |v: &str| v.replace('%', "%25").replace('&', "%26");
    let body = format!(
        "username={}&password={}",
        escape(username),
        escape(password)
    );
    post_form(cli, &body).await
}

/// Logs in and gives the access token.
async fn token(cli: &TestClient<impl Endpoint>, username: &str, password: &str) -> String {
    let resp = login(cli, username, password).await;
    resp.assert_status_is_ok();
    let body = kit::testing::json(resp).await;
    body["access_token"]
        .as_str()
        .expect("the answer has an access_token")
        .to_owned()
}

async fn get_with(
    cli: &TestClient<impl Endpoint>,
    path: &str,
    authorization: &str,
) -> TestResponse {
    cli.get(path)
        .header("authorization", authorization)
        .send()
        .await
}

/// `GET /users/me/` with this `Authorization` header.
async fn me(cli: &TestClient<impl Endpoint>, authorization: &str) -> TestResponse {
    get_with(cli, "/users/me/", authorization).await
}

async fn body_of(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// Fails unless `resp` is chapter 09's answer to a bad token.
async fn assert_refused(resp: TestResponse, what: &str) {
    assert_eq!(
        resp.0
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..]),
        "{what}: no Bearer challenge"
    );
    let (status, body) = body_of(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(
        body,
        json!({"detail": "Could not validate credentials"}),
        "{what}"
    );
}

/// Fails unless `resp` is the 422 of one problem of type `kind` at `loc`, first.
async fn assert_problem(resp: TestResponse, loc: Value, kind: &str) {
    let (status, body) = body_of(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["detail"][0]["loc"], loc, "{body}");
    assert_eq!(body["detail"][0]["type"], kind, "{body}");
}

/// `POST /token`: the answer's details, and the forms the grader does not send.
mod login {
    use super::*;

    #[tokio::test]
    async fn the_token_answer_is_not_cached_and_holds_only_the_token_and_its_type() {
        let resp = login(&client(), "johndoe", "secret").await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-store");
        let body = kit::testing::json(resp).await;
        let members = body.as_object().map(|o| o.keys().cloned().collect());
        assert_eq!(
            members,
            Some(vec!["access_token".to_owned(), "token_type".to_owned()])
        );
    }

    #[tokio::test]
    async fn two_logins_at_once_give_two_different_tokens() {
        let cli = client();
        let (a, b) = tokio::join!(
            token(&cli, "johndoe", "secret"),
            token(&cli, "johndoe", "secret")
        );
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn user_names_are_matched_exactly() {
        let cli = client();
        for username in ["JohnDoe", " johndoe", "johndoe "] {
            let resp = login(&cli, username, "secret").await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn passwords_long_in_bytes_or_half_a_megabyte_long_are_wrong_passwords() {
        // 60 `é` are 60 characters but 120 bytes; bcrypt would read only the first 72.
        let cli = client();
        for password in ["é".repeat(60), "p".repeat(500_000)] {
            let resp = login(&cli, "johndoe", &password).await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
            resp.assert_json(json!({"detail": "Incorrect username or password"}))
                .await;
        }
    }

    #[tokio::test]
    async fn scope_and_client_id_are_accepted_and_another_grant_type_is_a_pattern_mismatch() {
        let cli = client();
        let all = "grant_type=password&username=johndoe&password=secret&scope=me&client_id=x";
        post_form(&cli, all).await.assert_status_is_ok();
        let other = "grant_type=client_credentials&username=johndoe&password=secret";
        let resp = post_form(&cli, other).await;
        assert_problem(
            resp,
            json!(["body", "grant_type"]),
            "string_pattern_mismatch",
        )
        .await;
    }

    #[tokio::test]
    async fn missing_or_empty_fields_are_422_each_at_its_place() {
        let (status, body) = body_of(post_form(&client(), "username=&grant_type=").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("login_missing_fields", body);
    }

    #[tokio::test]
    async fn json_instead_of_a_form_is_422_at_the_body() {
        let resp = client()
            .post("/token")
            .body_json(&json!({"username": "johndoe", "password": "secret"}))
            .send()
            .await;
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"], json!(["body"]));
    }

    #[tokio::test]
    async fn get_on_the_token_route_is_405() {
        let resp = client().get("/token").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    }
}

/// The current user's routes, and the `Authorization` header as clients really send it.
mod current_user {
    use super::*;

    #[tokio::test]
    async fn the_paths_answer_without_their_trailing_slash_too() {
        let cli = client();
        for path in ["/users/me", "/users/me/items"] {
            get_with(&cli, path, &bearer("johndoe"))
                .await
                .assert_status_is_ok();
        }
    }

    #[tokio::test]
    async fn head_answers_like_get_without_a_body() {
        let resp = client()
            .head("/users/me/")
            .header("authorization", bearer("johndoe"))
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_bytes(b"").await;
    }

    #[tokio::test]
    async fn of_two_authorization_headers_the_first_counts() {
        let send = |first: String, second: String| async move {
            client()
                .get("/users/me/")
                .header("authorization", first)
                .header("authorization", second)
                .send()
                .await
        };
        let (good, bad) = (bearer("johndoe"), "Bearer garbage".to_owned());
        send(good.clone(), bad.clone()).await.assert_status_is_ok();
        assert_refused(send(bad, good).await, "a bad first header").await;
    }

    #[tokio::test]
    async fn a_header_that_is_not_ascii_is_401_never_a_500() {
        let resp = client()
            .get("/users/me/")
            .header("authorization", &b"Bearer \xff\xfe"[..])
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
    }
}

/// Tokens the grader's `09.attack.*` checks do not forge.
mod attacks {
    use super::*;

    /// Fails unless `claims`, signed with the right key, is refused on both routes.
    async fn assert_claims_refused(claims: &Value, what: &str) {
        let cli = client();
        for path in ["/users/me/", "/users/me/items/"] {
            assert_refused(get_with(&cli, path, &bearer_of(claims)).await, what).await;
        }
    }

    #[tokio::test]
    async fn sub_and_exp_are_all_a_token_needs() {
        let minimal = json!({"sub": "johndoe", "exp": now() + 600});
        let (status, body) = body_of(me(&client(), &bearer_of(&minimal)).await).await;
        let johndoe = json!({
            "username": "johndoe", "email": "johndoe@example.com",
            "full_name": "John Doe", "disabled": false,
        });
        assert_eq!((status, body), (StatusCode::OK, johndoe));
    }

    #[tokio::test]
    async fn claims_of_the_wrong_type_are_refused_required_or_optional() {
        for (claim, value) in [
            ("sub", json!(42)),
            ("sub", json!(null)),
            ("exp", json!("tomorrow")),
            ("iat", json!(-5)),
            ("iat", json!("yesterday")),
            ("nbf", json!("now")),
            ("jti", json!(5)),
            ("jti", json!(["a"])),
        ] {
            let mut odd = claims("johndoe");
            odd[claim] = value.clone();
            assert_claims_refused(&odd, &format!("{claim}: {value}")).await;
        }
    }

    #[tokio::test]
    async fn a_token_for_another_audience_is_refused() {
        let mut audience = claims("johndoe");
        audience["aud"] = json!("another-service");
        assert_claims_refused(&audience, "an audience").await;
    }
}

/// The OpenAPI document: a snapshot, and what it must say beyond the grader's
/// `09.openapi.security`.
mod document {
    use super::*;

    async fn document() -> Value {
        kit::testing::json(client().get("/openapi.json").send().await).await
    }

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        assert_json_snapshot!("openapi", document().await);
    }

    #[tokio::test]
    async fn logging_in_needs_no_token_and_every_refusal_is_declared_with_its_challenge() {
        // The scheme refuses a missing, bad or revoked token before any handler runs, so each
        // operation that names the scheme can answer 401: its document must say so.
        let doc = document().await;
        assert!(doc["components"]["securitySchemes"]["OAuth2PasswordBearer"].is_object());
        let login = &doc["paths"]["/token"]["post"];
        assert!(login["security"].is_null());
        assert!(login["responses"]["401"]["headers"]["WWW-AUTHENTICATE"].is_object());
        assert!(doc["paths"]["/users/me"]["get"]["responses"]["400"].is_object());
        let mut guarded = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op["security"].is_null() {
                    continue;
                }
                guarded += 1;
                assert_eq!(op["security"], json!([{"OAuth2PasswordBearer": []}]));
                assert!(
                    op["responses"]["401"]["headers"]["WWW-AUTHENTICATE"].is_object(),
                    "{method} {path} does not declare its 401: {}",
                    op["responses"]
                );
            }
        }
        assert_eq!(
            guarded, 4,
            "the user, their items, the password, logging out"
        );
    }

    #[tokio::test]
    async fn every_operation_has_a_summary_a_description_and_a_tag() {
        let doc = document().await;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for field in ["summary", "description"] {
                    assert!(
                        op[field].as_str().is_some_and(|s| !s.is_empty()),
                        "{method} {path}: {field}"
                    );
                }
                assert!(op["tags"][0].is_string(), "{method} {path}: tag");
            }
        }
    }
}

/// `JWT_SECRET` and `ACCESS_TOKEN_EXPIRE_MINUTES`, read from a made-up environment.
mod settings {
    use super::*;

    #[test]
    fn a_short_jwt_secret_is_refused_by_name() {
        let env = Env::from_pairs([("JWT_SECRET", "too short")]);
        let err = Config::from_env(&env).unwrap_err();
        assert_eq!(err.key, "JWT_SECRET");
        let env = Env::from_pairs([("JWT_SECRET", "")]);
        assert_eq!(Config::from_env(&env).unwrap_err().key, "JWT_SECRET");
    }

    #[test]
    fn without_a_jwt_secret_each_start_makes_its_own_key() {
        let env = Env::from_pairs::<&str, &str>([]);
        let (a, b) = (
            Config::from_env(&env).unwrap(),
            Config::from_env(&env).unwrap(),
        );
        assert_eq!(a.jwt_secret.len(), 32);
        assert_ne!(a.jwt_secret, b.jwt_secret);
    }

    #[tokio::test]
    async fn a_token_from_one_key_is_refused_under_another() {
        let env = Env::from_pairs::<&str, &str>([]);
        let first = TestClient::new(app(&Docs::default(), &Config::from_env(&env).unwrap()));
        let token = token(&first, "johndoe", "secret").await;
        let second = TestClient::new(app(&Docs::default(), &Config::from_env(&env).unwrap()));
        assert_refused(me(&second, &format!("Bearer {token}")).await, "a restart").await;
    }

    #[test]
    fn tokens_last_30_minutes_by_default() {
        let config = config_with(&[]);
        assert_eq!(
            config.access_token_expire,
            std::time::Duration::from_secs(30 * 60)
        );
    }

    #[test]
    fn the_expiry_must_be_a_positive_whole_number_of_minutes() {
        for bad in ["0", "-5", "1.5", "thirty", "", " 30", "99999999999"] {
            let env = Env::from_pairs([("JWT_SECRET", KEY), ("ACCESS_TOKEN_EXPIRE_MINUTES", bad)]);
            let err = Config::from_env(&env).unwrap_err();
            assert_eq!(err.key, "ACCESS_TOKEN_EXPIRE_MINUTES", "{bad:?}");
        }
    }

    #[test]
    fn the_debug_output_hides_the_key() {
        let text = format!("{:?}", config_with(&[]));
        assert!(!text.contains(KEY), "{text}");
    }
}

/// The exercises, where the grader's `09.ex.*` checks do not go.
mod exercises {
    use super::*;

    async fn change(
        cli: &TestClient<impl Endpoint>,
        bearer: &str,
        current: &str,
        new: &str,
    ) -> TestResponse {
        cli.post("/users/me/password")
            .header("authorization", bearer)
            .body_json(&json!({"current_password": current, "new_password": new}))
            .send()
            .await
    }

    async fn logout(cli: &TestClient<impl Endpoint>, bearer: &str) -> TestResponse {
        cli.post("/logout")
            .header("authorization", bearer)
            .send()
            .await
    }

    #[tokio::test]
    async fn a_password_change_ends_tokens_without_an_iat_and_spares_other_users() {
        let cli = client();
        let without_iat = bearer_of(&json!({"sub": "johndoe", "exp": now() + 600}));
        let alice = bearer("alice");
        change(&cli, &bearer("johndoe"), "secret", "correct horse")
            .await
            .assert_status(StatusCode::NO_CONTENT);
        assert_refused(me(&cli, &without_iat).await, "no iat").await;
        let (status, _) = body_of(me(&cli, &alice).await).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "alice's token still reads her (inactive)"
        );
    }

    #[tokio::test]
    async fn a_new_password_too_short_or_too_long_is_named_so() {
        let cli = client();
        let long = "ü".repeat(40);
        for (password, kind) in [
            ("tiny7!x", "string_too_short"),
            (long.as_str(), "string_too_long"),
        ] {
            let resp = change(&cli, &bearer("johndoe"), "secret", password).await;
            assert_problem(resp, json!(["body", "new_password"]), kind).await;
        }
    }

    #[tokio::test]
    async fn changing_the_password_needs_an_active_users_token() {
        let cli = client();
        let resp = cli
            .post("/users/me/password")
            .body_json(&json!({"current_password": "secret", "new_password": "correct horse"}))
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        let resp = change(&cli, &bearer("alice"), "secret2", "correct horse").await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Inactive user"})).await;
    }

    #[tokio::test]
    async fn a_revoked_token_cannot_log_out_again_and_the_users_other_tokens_still_work() {
        let cli = client();
        let (kept, given_up) = (bearer("johndoe"), bearer("johndoe"));
        logout(&cli, &given_up)
            .await
            .assert_status(StatusCode::NO_CONTENT);
        assert_refused(logout(&cli, &given_up).await, "logged out twice").await;
        me(&cli, &kept).await.assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_token_without_a_jti_cannot_be_revoked_and_logout_says_so() {
        // The list of revoked tokens names them by `jti`: one without it cannot be named.
        // Answering 204 would tell the client it is logged out while the token still works.
        let cli = client();
        let without_jti = bearer_of(&json!({"sub": "johndoe", "exp": now() + 600}));
        let resp = logout(&cli, &without_jti).await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Token cannot be revoked: it has no jti"}))
            .await;
        me(&cli, &without_jti).await.assert_status_is_ok();
    }

    #[tokio::test]
    async fn logging_out_without_a_token_is_not_authenticated() {
        let resp = client().post("/logout").send().await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_json(json!({"detail": "Not authenticated"}))
            .await;
    }
}

/// The program itself, started as a learner starts it, and graded.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch09-jwt");
    const PATIENCE: Duration = Duration::from_secs(30);

    fn command(env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(PROGRAM);
        command
            .args(["--port", "0"])
            .env_remove("JWT_SECRET")
            .env_remove("ACCESS_TOKEN_EXPIRE_MINUTES")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn first_line(child: &mut Child) -> String {
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("the program printed its first line in time")
            .expect("the program's output is readable");
        line
    }

    /// What the program says on standard error when it refuses to start.
    async fn refusal(env: &[(&str, &str)]) -> String {
        let child = command(env).spawn().expect("the program starts");
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .expect("it stops")
            .expect("its output is readable");
        assert!(!output.status.success(), "it started with {env:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// The program's standard error once it is listening, after it is stopped.
    async fn log_of_a_start(env: &[(&str, &str)]) -> String {
        let mut child = command(env).spawn().expect("the program starts");
        let line = first_line(&mut child).await;
        assert!(line.starts_with("listening on http://"), "{line}");
        child.start_kill().expect("the program can be stopped");
        let output = child
            .wait_with_output()
            .await
            .expect("its output is readable");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("09", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    #[tokio::test]
    async fn a_short_jwt_secret_stops_the_start_and_names_the_setting() {
        let stderr = refusal(&[("JWT_SECRET", "hunter2")]).await;
        assert!(
            stderr.contains("error: JWT_SECRET: must be at least 32 bytes"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("hunter2"),
            "the refused key is shown: {stderr}"
        );
    }

    #[tokio::test]
    async fn a_bad_expiry_stops_the_start_and_names_the_setting() {
        let stderr = refusal(&[("ACCESS_TOKEN_EXPIRE_MINUTES", "0")]).await;
        assert!(
            stderr.contains("error: ACCESS_TOKEN_EXPIRE_MINUTES: "),
            "{stderr}"
        );
    }

    #[tokio::test]
    async fn without_a_jwt_secret_it_starts_and_warns() {
        let stderr = log_of_a_start(&[]).await;
        assert!(
            stderr.contains("WARN") && stderr.contains("JWT_SECRET is not set"),
            "{stderr}"
        );
    }

    #[tokio::test]
    async fn with_a_jwt_secret_it_starts_without_a_warning() {
        let stderr = log_of_a_start(&[("JWT_SECRET", super::KEY)]).await;
        assert!(!stderr.contains("WARN"), "{stderr}");
    }
}
