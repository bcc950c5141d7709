//! Chapter 10's tests: what the grader does not check from outside.
//!
//! `program::the_grader_passes_every_check` runs every `10.*` check of the grader
//! (`tests/src/chapters/ch10.rs`) on the built program, so the HTTP contract is the grader's:
//! each row of it is checked there, not here. What stays here, in-process:
//!
//! - the two tests the book names: `every_challenge_names_the_scopes_the_document_declares`
//!   keeps the scopes of each type in step with the document, and
//!   `admin_is_never_granted_and_never_honoured`;
//! - the exact order of the scopes in a challenge and in the document (the grader accepts any);
//! - tokens no check forges: at the second of their `exp`, with a `crit` header, scopes of
//!   another type, other algorithms;
//! - the reviewed snapshots: the OpenAPI document, and whole error bodies with their wording;
//! - the program's refusal to start with a short `JWT_SECRET`.
//!
//! As in chapter 09, the app is built with a known key so that the tests can forge any token;
//! logging in runs bcrypt for real, so only the login tests do it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ch10_scopes::{Config, app};
use insta::assert_json_snapshot;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kit::{Docs, Env};
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

/// The key the tests' app signs with: 32 bytes or more.
const KEY: &str = "the-tests-key-0123456789abcdefghijklmnop";

fn client() -> TestClient<impl Endpoint> {
    let config = Config::from_env(&Env::from_pairs([("JWT_SECRET", KEY)]))
        .expect("the tests' settings are valid");
    TestClient::new(app(&Docs::default(), &config))
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// The claims of a token the server would issue to `sub` with `scopes`.
fn claims(sub: &str, scopes: &[&str]) -> Value {
    json!({"sub": sub, "scopes": scopes, "iat": now(), "exp": now() + 600})
}

fn sign(algorithm: Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key),
    )
    .expect("the test token is signed")
}

/// A token signed with the server's own key: what the server would issue.
fn forge(claims: &Value) -> String {
    sign(Algorithm::HS256, claims, KEY.as_bytes())
}

fn bearer(sub: &str, scopes: &[&str]) -> String {
    format!("Bearer {}", forge(&claims(sub, scopes)))
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The claims of a token, read without checking anything.
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

async fn login(
    cli: &TestClient<impl Endpoint>,
    username: &str,
    password: &str,
    scope: &str,
) -> TestResponse {
    cli.post("/token")
        .form(&[
            ("username", username),
            ("password", password),
            ("scope", scope),
        ])
        .send()
        .await
}

/// Logs in and returns the whole answer.
async fn token(
    cli: &TestClient<impl Endpoint>,
    username: &str,
    password: &str,
    scope: &str,
) -> Value {
    let resp = login(cli, username, password, scope).await;
    resp.assert_status_is_ok();
    kit::testing::json(resp).await
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

async fn body_of(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// Fails unless `resp` is a 401 with this detail and exactly this challenge.
async fn assert_401(resp: TestResponse, detail: &str, challenge: &str, what: &str) {
    let got = resp
        .0
        .headers()
        .get("www-authenticate")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    assert_eq!(got.as_deref(), Some(challenge), "{what}: the challenge");
    let (status, body) = body_of(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(body, json!({"detail": detail}), "{what}");
}

mod login {
    use super::*;

    #[tokio::test]
    async fn a_token_lasts_thirty_minutes_and_is_never_cached() {
        let resp = login(&client(), "johndoe", "secret", "me").await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-store");
        let body = kit::testing::json(resp).await;
        let claims = payload(body["access_token"].as_str().unwrap());
        assert_eq!(claims["sub"], "johndoe");
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert!(iat <= now() && iat + 5 >= now());
        assert_eq!(exp - iat, 30 * 60);
    }

    #[tokio::test]
    async fn a_scope_asked_in_another_case_is_not_granted() {
        let body = token(&client(), "johndoe", "secret", "ME me").await;
        assert_eq!(body["scope"], "me");
    }

    #[tokio::test]
    async fn a_scope_asked_twenty_thousand_times_is_granted_once() {
        let body = token(&client(), "johndoe", "secret", &"me ".repeat(20_000)).await;
        assert_eq!(body["scope"], "me");
    }

    #[tokio::test]
    async fn an_unknown_user_or_a_long_password_is_401_with_a_plain_challenge() {
        let cli = client();
        let long = format!("secret{}", "x".repeat(80));
        for (username, password) in [("nobody", "secret"), ("johndoe", long.as_str())] {
            let resp = login(&cli, username, password, "me").await;
            assert_401(resp, "Incorrect username or password", "Bearer", username).await;
        }
    }

    #[tokio::test]
    async fn the_form_is_checked_as_in_chapter_09() {
        let cli = client();
        let resp = cli
            .post("/token")
            .form(&[
                ("username", "johndoe"),
                ("password", "secret"),
                ("grant_type", "implicit"),
            ])
            .send()
            .await;
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"], json!(["body", "grant_type"]));
        let resp = cli.post("/token").form(&[("scope", "me")]).send().await;
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("login_missing_fields", body);
    }
}

mod scopes {
    use super::*;

    #[tokio::test]
    async fn every_challenge_names_the_scopes_the_document_declares() {
        // The scopes are written twice, in the type (checked) and the attribute (documented):
        // this test keeps the two in step for every operation.
        let cli = client();
        let doc = kit::testing::json(cli.get("/openapi.json").send().await).await;
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(requirement) = op["security"][0]["OAuth2PasswordBearer"].as_array() else {
                    continue;
                };
                let names: Vec<&str> = requirement.iter().map(|s| s.as_str().unwrap()).collect();
                let path = format!("{path}/");
                let request = match method.as_str() {
                    "get" => cli.get(&path),
                    "post" => cli.post(&path).body_json(&json!({"item_id": "Bar"})),
                    other => panic!("no test for {other}"),
                };
                let resp = request
                    .header(
                        "authorization",
                        format!("Bearer {}garbage", forge(&claims("johndoe", &[]))),
                    )
                    .send()
                    .await;
                let challenge = match names.as_slice() {
                    [] => "Bearer".to_owned(),
                    names => format!("Bearer scope=\"{}\"", names.join(" ")),
                };
                assert_401(
                    resp,
                    "Could not validate credentials",
                    &challenge,
                    &format!("{method} {path}"),
                )
                .await;
                checked += 1;
            }
        }
        assert_eq!(checked, 5, "every protected operation was checked");
    }

    #[tokio::test]
    async fn the_items_refuse_a_token_without_any_scope_naming_both_in_order() {
        let resp = get_with(&client(), "/users/me/items/", &bearer("johndoe", &[])).await;
        let challenge = r#"Bearer scope="me items""#;
        assert_401(resp, "Not enough permissions", challenge, "no scope").await;
    }

    #[tokio::test]
    async fn scope_names_are_exact() {
        let resp = get_with(&client(), "/users/me/", &bearer("johndoe", &["ME", "me "])).await;
        assert_401(resp, "Not enough permissions", r#"Bearer scope="me""#, "ME").await;
    }

    #[tokio::test]
    async fn without_credentials_every_operation_is_not_authenticated() {
        let cli = client();
        for path in [
            "/users/me/",
            "/users/me/items/",
            "/status/",
            "/admin/users/",
        ] {
            let resp = get_with(&cli, path, "Bearer   ").await;
            assert_401(resp, "Not authenticated", "Bearer", path).await;
        }
        let resp = cli.get("/admin/users/").send().await;
        assert_401(resp, "Not authenticated", "Bearer", "no header").await;
        let resp = get_with(&cli, "/admin/users/", "Basic am9obmRvZTpzZWNyZXQ=").await;
        assert_401(resp, "Not authenticated", "Bearer", "Basic").await;
    }
}

/// Chapter 09's attacks that the grader's `10.attack.*` checks do not make, against operations
/// with scopes: each refusal names the scopes.
mod attacks {
    use super::*;

    const ME: &str = r#"Bearer scope="me""#;

    async fn try_token(token: &str, what: &str) {
        let resp = get_with(&client(), "/users/me/", &format!("Bearer {token}")).await;
        assert_401(resp, "Could not validate credentials", ME, what).await;
    }

    #[tokio::test]
    async fn a_token_is_refused_from_the_second_of_its_exp() {
        let mut last = claims("johndoe", &["me"]);
        last["exp"] = json!(now());
        try_token(&forge(&last), "in the second of its exp").await;
    }

    #[tokio::test]
    async fn sub_and_exp_are_all_a_token_needs() {
        // Chapter 09's rules: `iat` and `jti` are optional; without `scopes`, no scope.
        let minimal = forge(&json!({"sub": "johndoe", "exp": now() + 600}));
        get_with(&client(), "/status/", &format!("Bearer {minimal}"))
            .await
            .assert_status_is_ok();
        let mut scoped = claims("johndoe", &["me"]);
        scoped.as_object_mut().unwrap().remove("iat");
        get_with(
            &client(),
            "/users/me/",
            &format!("Bearer {}", forge(&scoped)),
        )
        .await
        .assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_token_with_a_crit_header_is_refused() {
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".to_owned()]);
        let token = jsonwebtoken::encode(
            &header,
            &claims("johndoe", &["me"]),
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .unwrap();
        try_token(&token, "crit").await;
    }

    #[tokio::test]
    async fn scopes_that_are_not_a_list_of_names_are_refused() {
        for scopes in [json!("me"), json!([1]), json!({"me": true})] {
            let mut odd = claims("johndoe", &[]);
            odd["scopes"] = scopes.clone();
            try_token(&forge(&odd), &scopes.to_string()).await;
        }
    }

    #[tokio::test]
    async fn hs384_rs256_and_tokens_that_are_no_jwt_are_refused() {
        let real = claims("johndoe", &["me"]);
        try_token(&sign(Algorithm::HS384, &real, KEY.as_bytes()), "HS384").await;
        let header = json!({"alg": "RS256", "typ": "JWT"});
        try_token(&format!("{}.{}.", b64(&header), b64(&real)), "RS256").await;
        try_token("a.b.c", "garbage").await;
    }
}

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
    async fn each_operation_declares_the_scopes_it_needs_in_order() {
        let doc = document().await;
        for (path, method, scopes) in [
            ("/users/me", "get", json!(["me"])),
            ("/users/me/items", "get", json!(["me", "items"])),
            ("/status", "get", json!([])),
            ("/items", "post", json!(["me", "items:write"])),
            ("/admin/users", "get", json!(["admin"])),
        ] {
            assert_eq!(
                doc["paths"][path][method]["security"],
                json!([{"OAuth2PasswordBearer": scopes}]),
                "{method} {path}"
            );
        }
        assert!(doc["paths"]["/token"]["post"]["security"].is_null());
    }

    #[tokio::test]
    async fn no_hash_appears_in_the_document() {
        let text = document().await.to_string();
        assert!(!text.contains("hashed_password") && !text.contains("$2b$"));
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn a_new_item_id_has_1_to_50_characters() {
        let cli = client();
        for item_id in [String::new(), "x".repeat(51)] {
            let resp = cli
                .post("/items/")
                .header("authorization", bearer("johndoe", &["me", "items:write"]))
                .body_json(&json!({"item_id": item_id}))
                .send()
                .await;
            let (status, body) = body_of(resp).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(body["detail"][0]["loc"], json!(["body", "item_id"]));
        }
    }

    #[tokio::test]
    async fn admin_is_never_granted_and_never_honoured() {
        let cli = client();
        let body = token(&cli, "johndoe", "secret", "admin").await;
        assert_eq!(body["scope"], "");
        let auth = format!("Bearer {}", body["access_token"].as_str().unwrap());
        let resp = get_with(&cli, "/admin/users/", &auth).await;
        assert_401(
            resp,
            "Not enough permissions",
            r#"Bearer scope="admin""#,
            "no admin",
        )
        .await;
        let everything = ["me", "items", "items:write", "admin"];
        for user in ["johndoe", "alice"] {
            let resp = get_with(&cli, "/admin/users/", &bearer(user, &everything)).await;
            assert_401(
                resp,
                "Not enough permissions",
                r#"Bearer scope="admin""#,
                user,
            )
            .await;
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::process::Command;

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch10-scopes");

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("10", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    #[tokio::test]
    async fn a_short_jwt_secret_stops_the_start_and_names_the_setting() {
        let child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .env("JWT_SECRET", "hunter2")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .expect("it stops")
            .expect("its output is readable");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("error: JWT_SECRET: must be at least 32 bytes"),
            "{stderr}"
        );
    }
}
