//! Chapter 09's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.
//!
//! The app is built with a known key, so that the tests can forge every kind of token an
//! attacker could send. Logging in runs bcrypt for real (a quarter of a second or more), so
//! most tests forge their token instead of logging in.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token whose parts are written by hand, with any header and signature.
fn handmade(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header), b64(claims))
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('%', "%25").replace('&', "%26")))
        .collect::<Vec<_>>()
        .join("&")
}

async fn login(cli: &TestClient<impl Endpoint>, username: &str, password: &str) -> TestResponse {
    cli.post("/token")
        .content_type("application/x-www-form-urlencoded")
        .body(form(&[("username", username), ("password", password)]))
        .send()
        .await
}

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

async fn body_of(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// The claims of a token, read without checking anything: anyone can do this.
fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn johndoe() -> Value {
    json!({"username": "johndoe", "email": "johndoe@example.com", "full_name": "John Doe", "disabled": false})
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

mod login {
    use super::*;

    #[tokio::test]
    async fn johndoe_gets_a_bearer_token_signed_with_hs256() {
        let resp = login(&client(), "johndoe", "secret").await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-store");
        let body = kit::testing::json(resp).await;
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(
            body.as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["access_token".to_owned(), "token_type".to_owned()])
        );
        let token = body["access_token"].as_str().unwrap();
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        let claims = payload(token);
        assert_eq!(claims["sub"], "johndoe");
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert!(iat <= now() && iat + 5 >= now(), "iat {iat} is not now");
        assert_eq!(exp - iat, 30 * 60, "the default lifetime is 30 minutes");
    }

    #[tokio::test]
    async fn the_token_lifetime_follows_access_token_expire_minutes() {
        let config = config_with(&[("ACCESS_TOKEN_EXPIRE_MINUTES", "7")]);
        let cli = TestClient::new(app(&Docs::default(), &config));
        let claims = payload(&token(&cli, "johndoe", "secret").await);
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            7 * 60
        );
    }

    #[tokio::test]
    async fn two_logins_give_two_different_tokens() {
        let cli = client();
        let (a, b) = tokio::join!(
            token(&cli, "johndoe", "secret"),
            token(&cli, "johndoe", "secret")
        );
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn a_wrong_password_is_401_with_a_bearer_challenge() {
        let resp = login(&client(), "johndoe", "not-secret").await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_header("www-authenticate", "Bearer");
        resp.assert_json(json!({"detail": "Incorrect username or password"}))
            .await;
    }

    #[tokio::test]
    async fn an_unknown_user_gets_the_same_answer_as_a_wrong_password() {
        let resp = login(&client(), "nobody", "secret").await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_header("www-authenticate", "Bearer");
        resp.assert_json(json!({"detail": "Incorrect username or password"}))
            .await;
    }

    #[tokio::test]
    async fn user_names_are_exact() {
        let cli = client();
        for username in ["JohnDoe", " johndoe", "johndoe "] {
            let resp = login(&cli, username, "secret").await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn passwords_over_72_bytes_are_wrong_passwords_never_a_500() {
        let cli = client();
        for password in [
            format!("secret{}", "x".repeat(70)),
            "é".repeat(60),
            "p".repeat(500_000),
        ] {
            let resp = login(&cli, "johndoe", &password).await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
            resp.assert_json(json!({"detail": "Incorrect username or password"}))
                .await;
        }
    }

    #[tokio::test]
    async fn a_disabled_user_may_log_in() {
        let claims = payload(&token(&client(), "alice", "secret2").await);
        assert_eq!(claims["sub"], "alice");
    }

    #[tokio::test]
    async fn grant_type_password_is_accepted_and_any_other_is_422() {
        let cli = client();
        let ok = cli
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("grant_type=password&username=johndoe&password=secret&scope=me&client_id=x")
            .send()
            .await;
        ok.assert_status_is_ok();
        let refused = cli
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&username=johndoe&password=secret")
            .send()
            .await;
        let (status, body) = body_of(refused).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["type"], "string_pattern_mismatch");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "grant_type"]));
    }

    #[tokio::test]
    async fn missing_or_empty_fields_are_422_each_at_its_place() {
        let resp = client()
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("username=&grant_type=")
            .send()
            .await;
        let (status, body) = body_of(resp).await;
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
    async fn of_a_repeated_field_the_last_value_counts() {
        let resp = client()
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("username=alice&password=secret&username=johndoe")
            .send()
            .await;
        resp.assert_status_is_ok();
    }

    #[tokio::test]
    async fn bytes_that_are_not_utf8_are_a_wrong_password_never_a_500() {
        let resp = client()
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("username=johndoe&password=secret%FF%FE")
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn get_on_the_token_route_is_405() {
        let resp = client().get("/token").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    }
}

mod current_user {
    use super::*;

    #[tokio::test]
    async fn a_token_from_login_reads_the_user_and_their_items() {
        let cli = client();
        let bearer = format!("Bearer {}", token(&cli, "johndoe", "secret").await);
        let me = get_with(&cli, "/users/me/", &bearer).await;
        me.assert_status_is_ok();
        me.assert_json(johndoe()).await;
        let items = get_with(&cli, "/users/me/items/", &bearer).await;
        items.assert_status_is_ok();
        items
            .assert_json(json!([{"item_id": "Foo", "owner": "johndoe"}]))
            .await;
    }

    #[tokio::test]
    async fn the_paths_answer_without_their_trailing_slash_too() {
        let cli = client();
        let bearer = format!("Bearer {}", forge(&claims("johndoe")));
        for path in ["/users/me", "/users/me/items"] {
            get_with(&cli, path, &bearer).await.assert_status_is_ok();
        }
    }

    #[tokio::test]
    async fn alice_logs_in_but_is_refused_as_inactive() {
        let cli = client();
        let bearer = format!("Bearer {}", token(&cli, "alice", "secret2").await);
        for path in ["/users/me/", "/users/me/items/"] {
            let resp = get_with(&cli, path, &bearer).await;
            resp.assert_status(StatusCode::BAD_REQUEST);
            resp.assert_json(json!({"detail": "Inactive user"})).await;
        }
    }

    #[tokio::test]
    async fn no_authorization_header_is_401_not_authenticated() {
        let cli = client();
        for path in ["/users/me/", "/users/me/items/"] {
            let resp = cli.get(path).send().await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
            resp.assert_header("www-authenticate", "Bearer");
            resp.assert_json(json!({"detail": "Not authenticated"}))
                .await;
        }
    }

    #[tokio::test]
    async fn head_answers_like_get_without_a_body() {
        let bearer = format!("Bearer {}", forge(&claims("johndoe")));
        let resp = client()
            .head("/users/me/")
            .header("authorization", bearer)
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_bytes(b"").await;
    }

    #[tokio::test]
    async fn the_response_never_carries_the_hash() {
        let cli = client();
        let bearer = format!("Bearer {}", forge(&claims("johndoe")));
        let text = get_with(&cli, "/users/me/", &bearer)
            .await
            .0
            .into_body()
            .into_string()
            .await
            .unwrap();
        assert!(
            !text.contains("$2b$") && !text.contains("password"),
            "{text}"
        );
    }
}

/// The `Authorization` header as clients really send it.
mod authorization_header {
    use super::*;

    #[tokio::test]
    async fn the_scheme_is_case_insensitive_and_extra_spaces_are_skipped() {
        let cli = client();
        let token = forge(&claims("johndoe"));
        for value in [
            format!("bearer {token}"),
            format!("BEARER {token}"),
            format!("Bearer     {token}"),
        ] {
            get_with(&cli, "/users/me/", &value)
                .await
                .assert_status_is_ok();
        }
    }

    #[tokio::test]
    async fn basic_credentials_on_a_bearer_route_are_not_authenticated() {
        let cli = client();
        for value in [
            "Basic am9obmRvZTpzZWNyZXQ=",
            "Basic !!!",
            "Token abc",
            "Bearer",
            "Bearer   ",
        ] {
            let resp = get_with(&cli, "/users/me/", value).await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
            resp.assert_header("www-authenticate", "Bearer");
            resp.assert_json(json!({"detail": "Not authenticated"}))
                .await;
        }
    }

    #[tokio::test]
    async fn of_two_authorization_headers_the_first_counts() {
        let good = format!("Bearer {}", forge(&claims("johndoe")));
        let resp = client()
            .get("/users/me/")
            .header("authorization", good.as_str())
            .header("authorization", "Bearer garbage")
            .send()
            .await;
        resp.assert_status_is_ok();
        let resp = client()
            .get("/users/me/")
            .header("authorization", "Bearer garbage")
            .header("authorization", good.as_str())
            .send()
            .await;
        assert_refused(resp, "a bad first header").await;
    }

    #[tokio::test]
    async fn a_header_that_is_not_ascii_is_not_authenticated_never_a_500() {
        let resp = client()
            .get("/users/me/")
            .header("authorization", &b"Bearer \xff\xfe"[..])
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
    }
}

/// Every token an attacker could try, and every way a token goes stale.
mod attacks {
    use super::*;

    async fn try_token(token: &str, what: &str) {
        let cli = client();
        for path in ["/users/me/", "/users/me/items/"] {
            let resp = get_with(&cli, path, &format!("Bearer {token}")).await;
            assert_refused(resp, what).await;
        }
    }

    #[tokio::test]
    async fn a_forged_token_is_accepted_when_it_is_right_in_every_way() {
        // The control: the tokens below are refused for what they change, not by accident.
        let resp = get_with(
            &client(),
            "/users/me/",
            &format!("Bearer {}", forge(&claims("johndoe"))),
        )
        .await;
        resp.assert_status_is_ok();
    }

    #[tokio::test]
    async fn an_expired_token_is_refused_without_leeway() {
        let mut expired = claims("johndoe");
        expired["iat"] = json!(now() - 600);
        expired["exp"] = json!(now() - 1);
        try_token(&forge(&expired), "expired a second ago").await;
    }

    #[tokio::test]
    async fn a_token_not_valid_yet_is_refused() {
        let mut early = claims("johndoe");
        early["nbf"] = json!(now() + 60);
        try_token(&forge(&early), "nbf in the future").await;
        let mut future = claims("johndoe");
        future["iat"] = json!(now() + 60);
        try_token(&forge(&future), "iat in the future").await;
    }

    #[tokio::test]
    async fn a_token_is_refused_from_the_second_of_its_exp() {
        // RFC 7519 §4.1.4: not accepted "on or after" exp. Signed at second `t` with `exp: t`,
        // the token is refused whether the request arrives in second `t` or later.
        let mut last = claims("johndoe");
        last["exp"] = json!(now());
        try_token(&forge(&last), "in the second of its exp").await;
        let mut next = claims("johndoe");
        next["exp"] = json!(now() + 5);
        get_with(&client(), "/users/me/", &format!("Bearer {}", forge(&next)))
            .await
            .assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_token_without_exp_or_sub_is_refused() {
        for claim in ["exp", "sub"] {
            let mut partial = claims("johndoe");
            partial.as_object_mut().unwrap().remove(claim);
            try_token(&forge(&partial), &format!("no {claim}")).await;
        }
    }

    #[tokio::test]
    async fn sub_and_exp_are_all_a_token_needs() {
        let minimal = json!({"sub": "johndoe", "exp": now() + 600});
        let (status, body) = body_of(
            get_with(
                &client(),
                "/users/me/",
                &format!("Bearer {}", forge(&minimal)),
            )
            .await,
        )
        .await;
        assert_eq!((status, body), (StatusCode::OK, johndoe()));
    }

    #[tokio::test]
    async fn optional_claims_are_checked_when_present() {
        for (claim, value) in [
            ("jti", json!(5)),
            ("jti", json!(["a"])),
            ("iat", json!("yesterday")),
            ("nbf", json!("now")),
        ] {
            let mut odd = json!({"sub": "johndoe", "exp": now() + 600});
            odd[claim] = value.clone();
            try_token(&forge(&odd), &format!("{claim}: {value}")).await;
        }
    }

    #[tokio::test]
    async fn a_token_with_a_crit_header_is_refused() {
        // RFC 7515 §4.1.11: `crit` lists extensions the reader must understand, or refuse the
        // token. This server understands none.
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".to_owned()]);
        let token = jsonwebtoken::encode(
            &header,
            &claims("johndoe"),
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .expect("the test token is signed");
        try_token(&token, "crit").await;
    }

    #[tokio::test]
    async fn claims_of_the_wrong_type_are_refused() {
        for (claim, value) in [
            ("sub", json!(42)),
            ("sub", json!(null)),
            ("exp", json!("tomorrow")),
            ("iat", json!(-5)),
        ] {
            let mut odd = claims("johndoe");
            odd[claim] = value.clone();
            try_token(&forge(&odd), &format!("{claim}: {value}")).await;
        }
    }

    #[tokio::test]
    async fn a_token_for_someone_else_is_refused() {
        let mut audience = claims("johndoe");
        audience["aud"] = json!("another-service");
        try_token(&forge(&audience), "an audience").await;
    }

    #[tokio::test]
    async fn a_token_naming_an_unknown_user_is_refused() {
        try_token(&forge(&claims("nobody")), "an unknown user").await;
    }

    #[tokio::test]
    async fn a_token_signed_with_another_key_is_refused() {
        let other = sign(
            Algorithm::HS256,
            &claims("johndoe"),
            b"another key, as long as the real one",
        );
        try_token(&other, "another key").await;
    }

    #[tokio::test]
    async fn an_unsigned_token_alg_none_is_refused() {
        let header = json!({"alg": "none", "typ": "JWT"});
        try_token(&handmade(&header, &claims("johndoe"), ""), "alg none").await;
        let header = json!({"alg": "None", "typ": "JWT"});
        try_token(&handmade(&header, &claims("johndoe"), ""), "alg None").await;
    }

    #[tokio::test]
    async fn other_algorithms_are_refused_even_with_the_right_key() {
        for algorithm in [Algorithm::HS384, Algorithm::HS512] {
            let token = sign(algorithm, &claims("johndoe"), KEY.as_bytes());
            try_token(&token, &format!("{algorithm:?}")).await;
        }
        // RS256 with the HMAC key as "public key": the classic algorithm-confusion attack.
        let real = forge(&claims("johndoe"));
        let signature = real.rsplit('.').next().unwrap();
        let header = json!({"alg": "RS256", "typ": "JWT"});
        try_token(&handmade(&header, &claims("johndoe"), signature), "RS256").await;
    }

    #[tokio::test]
    async fn a_tampered_payload_breaks_the_signature() {
        let real = forge(&claims("alice"));
        let parts: Vec<&str> = real.split('.').collect();
        let mut changed = payload(&real);
        changed["sub"] = json!("johndoe");
        let tampered = format!("{}.{}.{}", parts[0], b64(&changed), parts[2]);
        try_token(&tampered, "sub changed").await;
        changed["sub"] = json!("alice");
        changed["exp"] = json!(now() + 86_400);
        let tampered = format!("{}.{}.{}", parts[0], b64(&changed), parts[2]);
        try_token(&tampered, "exp extended").await;
    }

    #[tokio::test]
    async fn garbage_is_refused_never_a_500() {
        let long = "a".repeat(6000);
        for garbage in [
            "garbage",
            "a.b.c",
            "..",
            "eyJhbGciOiJIUzI1NiJ9..",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
            long.as_str(),
        ] {
            try_token(garbage, garbage).await;
        }
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
    async fn the_scheme_is_oauth2_password_with_token_url_token() {
        let doc = document().await;
        let scheme = &doc["components"]["securitySchemes"]["OAuth2PasswordBearer"];
        assert_eq!(scheme["type"], "oauth2");
        assert_eq!(scheme["flows"]["password"]["tokenUrl"], "token");
        for path in ["/users/me", "/users/me/items"] {
            assert_eq!(
                doc["paths"][path]["get"]["security"],
                json!([{"OAuth2PasswordBearer": []}]),
                "{path}"
            );
        }
        assert!(doc["paths"]["/token"]["post"]["security"].is_null());
    }

    #[tokio::test]
    async fn the_refusals_are_declared_with_their_challenge() {
        let doc = document().await;
        let me = &doc["paths"]["/users/me"]["get"]["responses"];
        assert!(me["400"].is_object() && me["401"]["headers"]["WWW-AUTHENTICATE"].is_object());
        let login = &doc["paths"]["/token"]["post"]["responses"];
        assert!(login["401"]["headers"]["WWW-AUTHENTICATE"].is_object());
    }

    #[tokio::test]
    async fn every_operation_behind_a_token_declares_its_401() {
        // The scheme refuses a missing, bad or revoked token before any handler runs, so
        // each operation that names the scheme can answer 401: its document must say so.
        let doc = document().await;
        let mut guarded = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op["security"].is_null() {
                    continue;
                }
                guarded += 1;
                let refused = &op["responses"]["401"];
                assert!(
                    refused["headers"]["WWW-AUTHENTICATE"].is_object(),
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
    async fn no_hash_appears_in_the_document() {
        let text = document().await.to_string();
        assert!(!text.contains("hashed_password") && !text.contains("$2b$"));
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
        assert_refused(
            get_with(&second, "/users/me/", &format!("Bearer {token}")).await,
            "a restart",
        )
        .await;
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

    #[tokio::test]
    async fn a_changed_password_replaces_the_old_one() {
        let cli = client();
        let bearer = format!("Bearer {}", forge(&claims("johndoe")));
        let resp = change(&cli, &bearer, "secret", "correct horse").await;
        resp.assert_status(StatusCode::NO_CONTENT);
        login(&cli, "johndoe", "secret")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
        login(&cli, "johndoe", "correct horse")
            .await
            .assert_status_is_ok();
    }

    #[tokio::test]
    async fn tokens_issued_before_a_password_change_are_refused_and_new_ones_work() {
        // Whoever stole a token keeps it after the owner changes the password, unless the
        // change ends every token issued before it.
        let cli = client();
        let used = format!("Bearer {}", token(&cli, "johndoe", "secret").await);
        let mut older = claims("johndoe");
        older["iat"] = json!(now() - 60);
        let older = format!("Bearer {}", forge(&older));
        let without_iat = json!({"sub": "johndoe", "exp": now() + 600});
        let without_iat = format!("Bearer {}", forge(&without_iat));
        change(&cli, &used, "secret", "correct horse")
            .await
            .assert_status(StatusCode::NO_CONTENT);
        for (bearer, what) in [
            (&used, "the token that changed it"),
            (&older, "an older one"),
        ] {
            assert_refused(get_with(&cli, "/users/me/", bearer).await, what).await;
        }
        assert_refused(get_with(&cli, "/users/me/", &without_iat).await, "no iat").await;
        let fresh = format!("Bearer {}", token(&cli, "johndoe", "correct horse").await);
        get_with(&cli, "/users/me/", &fresh)
            .await
            .assert_status_is_ok();
        // Another user's tokens are not touched.
        let alice = format!("Bearer {}", forge(&claims("alice")));
        let (status, _) = body_of(get_with(&cli, "/users/me/", &alice).await).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "alice's token still reads her (inactive)"
        );
    }

    #[tokio::test]
    async fn a_wrong_current_password_changes_nothing() {
        let cli = client();
        let bearer = format!("Bearer {}", forge(&claims("johndoe")));
        let resp = change(&cli, &bearer, "not-secret", "correct horse").await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Incorrect password"}))
            .await;
        login(&cli, "johndoe", "secret").await.assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_new_password_must_fit_between_8_characters_and_72_bytes() {
        let cli = client();
        let bearer = format!("Bearer {}", forge(&claims("johndoe")));
        let long = "ü".repeat(40);
        for (password, kind) in [
            ("tiny7!x", "string_too_short"),
            (long.as_str(), "string_too_long"),
        ] {
            let (status, body) = body_of(change(&cli, &bearer, "secret", password).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(body["detail"][0]["type"], kind);
            assert_eq!(body["detail"][0]["loc"], json!(["body", "new_password"]));
            assert!(
                !body.to_string().contains(password),
                "the password is sent back: {body}"
            );
        }
        login(&cli, "johndoe", "secret").await.assert_status_is_ok();
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
        let alice = format!("Bearer {}", forge(&claims("alice")));
        let resp = change(&cli, &alice, "secret2", "correct horse").await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Inactive user"})).await;
    }

    #[tokio::test]
    async fn a_token_is_refused_after_logging_out_and_others_are_not() {
        let cli = client();
        let kept = format!("Bearer {}", forge(&claims("johndoe")));
        let given_up = format!("Bearer {}", forge(&claims("johndoe")));
        let resp = cli
            .post("/logout")
            .header("authorization", given_up.as_str())
            .send()
            .await;
        resp.assert_status(StatusCode::NO_CONTENT);
        assert_refused(get_with(&cli, "/users/me/", &given_up).await, "logged out").await;
        let again = cli
            .post("/logout")
            .header("authorization", given_up.as_str())
            .send()
            .await;
        assert_refused(again, "logged out twice").await;
        get_with(&cli, "/users/me/", &kept)
            .await
            .assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_token_without_a_jti_cannot_be_revoked_and_logout_says_so() {
        // The list of revoked tokens names them by `jti`: one without it cannot be named.
        // Answering 204 would tell the client it is logged out while the token still works.
        let cli = client();
        let token = format!(
            "Bearer {}",
            forge(&json!({"sub": "johndoe", "exp": now() + 600}))
        );
        let resp = cli
            .post("/logout")
            .header("authorization", token.as_str())
            .send()
            .await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Token cannot be revoked: it has no jti"}))
            .await;
        get_with(&cli, "/users/me/", &token)
            .await
            .assert_status_is_ok();
    }

    #[tokio::test]
    async fn logging_out_needs_a_valid_token() {
        let resp = client().post("/logout").send().await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_json(json!({"detail": "Not authenticated"}))
            .await;
    }
}

/// The program itself, started as a learner starts it.
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
