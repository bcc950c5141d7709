//! Chapter 11's contract, checked in-process with poem's test client, and the built program
//! checked from outside: by the grader, by reading its access log, and by a real browser.
//!
//! poem's test client sends no `Host` unless told; these tests send `Host: localhost`, one of
//! the trusted hosts, unless a test is about the `Host`. Logging in runs bcrypt for real, so
//! most tests forge their token with the app's known key instead.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ch11_middleware::{Config, app};
use insta::assert_json_snapshot;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kit::{Docs, Env};
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

/// The key the tests' app signs with: 32 bytes or more.
const KEY: &str = "the-tests-key-0123456789abcdefghijklmnop";

/// The tutorial's origins, allowed by default.
const ORIGINS: [&str; 4] = [
    "http://localhost.tiangolo.com",
    "https://localhost.tiangolo.com",
    "http://localhost",
    "http://localhost:8080",
];

fn config_with(pairs: &[(&str, &str)]) -> Config {
    let mut vars = vec![("JWT_SECRET", KEY)];
    vars.extend_from_slice(pairs);
    Config::from_env(&Env::from_pairs(vars)).expect("the tests' settings are valid")
}

fn client_with(pairs: &[(&str, &str)]) -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default(), &config_with(pairs))).default_header("host", "localhost")
}

fn client() -> TestClient<impl Endpoint> {
    client_with(&[])
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// The claims of a token the server would issue to `sub`.
fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iat": now(), "exp": now() + 600})
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

fn bearer(sub: &str) -> String {
    format!("Bearer {}", forge(&claims(sub)))
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token whose parts are written by hand, with any header and signature.
fn handmade(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header), b64(claims))
}

async fn login(cli: &TestClient<impl Endpoint>, username: &str, password: &str) -> TestResponse {
    let body = format!("username={username}&password={password}");
    cli.post("/token")
        .content_type("application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
}

async fn whoami(cli: &TestClient<impl Endpoint>, authorization: &str) -> TestResponse {
    cli.get("/api/whoami")
        .header("authorization", authorization)
        .send()
        .await
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
async fn preflight(
    cli: &TestClient<impl Endpoint>,
    path: &str,
    origin: &str,
    method: &str,
) -> TestResponse {
    cli.options(path)
        .header("origin", origin)
        .header("access-control-request-method", method)
        .send()
        .await
}

fn header(resp: &TestResponse, name: &str) -> Option<String> {
    resp.0
        .headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

async fn body_of(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// Fails unless `resp` is `status` with `{"detail": message}`.
async fn assert_detail(resp: TestResponse, status: StatusCode, message: &str) {
    let (got, body) = body_of(resp).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body, json!({"detail": message}));
}

/// Fails unless `resp` is a 401 with `message` and the Bearer challenge.
async fn assert_challenge(resp: TestResponse, message: &str, what: &str) {
    assert_eq!(
        header(&resp, "www-authenticate").as_deref(),
        Some("Bearer"),
        "{what}"
    );
    let (status, body) = body_of(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(body, json!({"detail": message}), "{what}");
}

mod process_time {
    use super::*;

    fn seconds(resp: &TestResponse) -> f64 {
        let value = header(resp, "x-process-time").expect("X-Process-Time is set");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a decimal: {value:?}"))
    }

    #[tokio::test]
    async fn every_answer_says_how_long_it_took_in_seconds() {
        let cli = client();
        let answers = [
            cli.get("/health").send().await,
            cli.get("/nowhere").send().await,
            cli.delete("/health").send().await,
            cli.post("/token").send().await,
            cli.get("/api/whoami").send().await,
            cli.get("/health").header("host", "evil.test").send().await,
            cli.get("/docs").header("host", "evil.test").send().await,
            preflight(&cli, "/api/whoami", ORIGINS[3], "GET").await,
            preflight(&cli, "/api/whoami", "http://evil.test", "GET").await,
            cli.get("/boom").send().await,
        ];
        for resp in &answers {
            let took = seconds(resp);
            assert!(
                (0.0..10.0).contains(&took),
                "{took} s for {}",
                resp.0.status()
            );
        }
    }

    #[tokio::test]
    async fn a_slow_answer_shows_a_longer_time() {
        // bcrypt takes a noticeable time: a login takes longer than a health check.
        let cli = client();
        let quick = seconds(&cli.get("/health").send().await);
        let slow = seconds(&login(&cli, "johndoe", "secret").await);
        assert!(
            slow > quick && slow > 0.01,
            "login {slow} s, health {quick} s"
        );
    }
}

mod trusted_hosts {
    use super::*;

    #[tokio::test]
    async fn the_default_hosts_are_trusted_with_any_port_and_any_case() {
        let cli = client();
        for host in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:54321",
            "LocalHost",
            "api.example.com",
            "a.b.c.example.com:443",
            "API.EXAMPLE.COM",
        ] {
            let resp = cli.get("/api/nowhere").header("host", host).send().await;
            // Past the host check: the token gate answers.
            resp.assert_status(StatusCode::UNAUTHORIZED);
        }
    }

    #[tokio::test]
    async fn other_hosts_are_refused_with_invalid_host_header() {
        let cli = client();
        for host in [
            "example.com",
            "evil.test",
            "localhost.evil.test",
            "example.com.evil.test",
            "evilexample.com",
            "127.0.0.2",
            "user@localhost",
            "localhost:80:80",
            "",
        ] {
            let resp = cli.get("/docs").header("host", host).send().await;
            assert_eq!(
                header(&resp, "x-error-code").as_deref(),
                Some("invalid_host")
            );
            assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
        }
    }

    #[tokio::test]
    async fn no_host_or_two_hosts_are_refused() {
        let app = app(&Docs::default(), &config_with(&[]));
        let cli = TestClient::new(app);
        let resp = cli.get("/docs").send().await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
        let resp = cli
            .get("/docs")
            .header("host", "localhost")
            .header("host", "evil.test")
            .send()
            .await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
    }

    #[tokio::test]
    async fn a_full_url_in_the_request_line_must_name_a_trusted_host_too() {
        let cli = client();
        let resp = cli.get("http://evil.test/docs").send().await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
        let resp = cli.get("http://localhost/health").send().await;
        resp.assert_status_is_ok();
    }

    #[tokio::test]
    async fn health_answers_whatever_the_host() {
        let cli = client();
        for host in ["evil.test", "10.0.0.7:8000", "localhost"] {
            let resp = cli.get("/health").header("host", host).send().await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({"status": "ok"})).await;
        }
    }

    #[tokio::test]
    async fn the_except_list_matches_the_exact_path_only() {
        let cli = client();
        for path in ["/health/", "/healthz", "/health/x", "/Health"] {
            let resp = cli.get(path).header("host", "evil.test").send().await;
            assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
        }
    }

    #[tokio::test]
    async fn trusted_hosts_replaces_the_list() {
        let cli = client_with(&[("TRUSTED_HOSTS", "api.test, *.corp.test")]);
        for (host, trusted) in [
            ("api.test", true),
            ("x.corp.test:9000", true),
            ("corp.test", false),
            ("localhost", false),
            ("x.example.com", false),
        ] {
            let resp = cli.get("/docs").header("host", host).send().await;
            let status = resp.0.status();
            assert_eq!(status == StatusCode::OK, trusted, "{host}: {status}");
        }
    }

    #[tokio::test]
    async fn a_star_trusts_any_host() {
        let cli = client_with(&[("TRUSTED_HOSTS", "*")]);
        let resp = cli
            .get("/docs")
            .header("host", "anything.test")
            .send()
            .await;
        resp.assert_status_is_ok();
    }
}

mod cors {
    use super::*;

    #[tokio::test]
    async fn a_preflight_from_each_allowed_origin_is_answered_with_what_it_may_do() {
        let cli = client();
        for origin in ORIGINS {
            let resp = cli
                .options("/api/whoami")
                .header("origin", origin)
                .header("access-control-request-method", "PATCH")
                .header("access-control-request-headers", "authorization, x-custom")
                .send()
                .await;
            resp.assert_status_is_ok();
            resp.assert_header("access-control-allow-origin", origin);
            resp.assert_header("access-control-allow-credentials", "true");
            let methods = header(&resp, "access-control-allow-methods").unwrap_or_default();
            assert!(methods.contains("PATCH"), "{methods}");
            resp.assert_header("access-control-allow-headers", "authorization, x-custom");
            resp.assert_header("access-control-max-age", "600");
            resp.assert_header("vary", "Origin");
        }
    }

    #[tokio::test]
    async fn any_method_is_allowed_even_an_unusual_one() {
        let resp = preflight(&client(), "/health", ORIGINS[0], "PROPFIND").await;
        resp.assert_status_is_ok();
        let methods = header(&resp, "access-control-allow-methods").unwrap_or_default();
        assert!(
            methods.contains("PROPFIND") && methods.contains("GET"),
            "{methods}"
        );
    }

    #[tokio::test]
    async fn a_preflight_from_another_origin_is_refused_without_cors_headers() {
        let cli = client();
        for origin in [
            "http://evil.test",
            "null",
            "http://localhost:8081",
            "https://localhost:8080",
            "http://localhost:8080/",
            "http://LOCALHOST:8080",
        ] {
            let resp = preflight(&cli, "/api/whoami", origin, "GET").await;
            assert_eq!(
                header(&resp, "access-control-allow-origin"),
                None,
                "{origin}"
            );
            assert_eq!(header(&resp, "access-control-allow-credentials"), None);
            assert_eq!(
                header(&resp, "x-error-code").as_deref(),
                Some("cors_origin_disallowed")
            );
            assert_detail(resp, StatusCode::BAD_REQUEST, "Disallowed CORS origin").await;
        }
    }

    #[tokio::test]
    async fn a_preflight_for_something_that_is_not_a_method_is_refused() {
        let resp = preflight(&client(), "/health", ORIGINS[2], "G E T").await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Disallowed CORS method").await;
    }

    #[tokio::test]
    async fn a_simple_request_from_an_allowed_origin_may_be_read_by_its_page() {
        let resp = client()
            .get("/health")
            .header("origin", "http://localhost")
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_header("access-control-allow-origin", "http://localhost");
        resp.assert_header("access-control-allow-credentials", "true");
        resp.assert_header("vary", "Origin");
        let exposed = header(&resp, "access-control-expose-headers").unwrap_or_default();
        assert!(exposed.contains("X-Process-Time"), "{exposed}");
    }

    #[tokio::test]
    async fn a_simple_request_from_another_origin_is_served_without_cors_headers() {
        let resp = client()
            .get("/health")
            .header("origin", "http://evil.test")
            .send()
            .await;
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-expose-headers",
        ] {
            assert_eq!(header(&resp, name), None, "{name}");
        }
        // Still `Vary: Origin`: a cache must not give this answer to an allowed page.
        resp.assert_header("vary", "Origin");
        resp.assert_json(json!({"status": "ok"})).await;
    }

    #[tokio::test]
    async fn an_options_request_without_a_requested_method_is_no_preflight() {
        let resp = client()
            .options("/health")
            .header("origin", ORIGINS[3])
            .send()
            .await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("access-control-allow-origin", ORIGINS[3]);
    }

    #[tokio::test]
    async fn errors_carry_cors_headers_so_the_page_can_read_them() {
        let resp = client()
            .get("/api/whoami")
            .header("origin", ORIGINS[1])
            .send()
            .await;
        resp.assert_header("access-control-allow-origin", ORIGINS[1]);
        assert_challenge(resp, "Not authenticated", "no token").await;
    }

    #[tokio::test]
    async fn cors_origins_replaces_the_list_and_empty_allows_none() {
        let cli = client_with(&[("CORS_ORIGINS", "http://127.0.0.1:5173")]);
        preflight(&cli, "/health", "http://127.0.0.1:5173", "GET")
            .await
            .assert_status_is_ok();
        preflight(&cli, "/health", ORIGINS[3], "GET")
            .await
            .assert_status(StatusCode::BAD_REQUEST);
        let cli = client_with(&[("CORS_ORIGINS", "")]);
        preflight(&cli, "/health", ORIGINS[3], "GET")
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
}

mod token_gate {
    use super::*;

    #[tokio::test]
    async fn whoami_names_the_tokens_user() {
        let resp = whoami(&client(), &bearer("johndoe")).await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"username": "johndoe"})).await;
    }

    #[tokio::test]
    async fn a_token_from_login_opens_the_gate() {
        let cli = client();
        let resp = login(&cli, "johndoe", "secret").await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-store");
        let body = kit::testing::json(resp).await;
        assert_eq!(body["token_type"], "bearer");
        let token = body["access_token"].as_str().expect("a token");
        let resp = whoami(&cli, &format!("Bearer {token}")).await;
        resp.assert_json(json!({"username": "johndoe"})).await;
    }

    #[tokio::test]
    async fn without_a_token_it_is_401_not_authenticated() {
        let cli = client();
        assert_challenge(
            cli.get("/api/whoami").send().await,
            "Not authenticated",
            "none",
        )
        .await;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("johndoe:secret")
        );
        for value in [
            basic.as_str(),
            "Basic !!!",
            "Basic am9obmRvZQ==",
            "Bearer",
            "Bearer    ",
            "Bearertoken",
            "Token abc",
        ] {
            assert_challenge(whoami(&cli, value).await, "Not authenticated", value).await;
        }
    }

    #[tokio::test]
    async fn the_scheme_is_case_insensitive_and_spaces_are_skipped() {
        let cli = client();
        let token = forge(&claims("johndoe"));
        for value in [format!("bearer {token}"), format!("BEARER    {token}   ")] {
            whoami(&cli, &value).await.assert_status_is_ok();
        }
    }

    #[tokio::test]
    async fn of_two_authorization_headers_the_first_counts() {
        let cli = client();
        let resp = cli
            .get("/api/whoami")
            .header("authorization", bearer("johndoe"))
            .header("authorization", "Bearer garbage")
            .send()
            .await;
        resp.assert_status_is_ok();
        let resp = cli
            .get("/api/whoami")
            .header("authorization", "Bearer garbage")
            .header("authorization", bearer("johndoe"))
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_disabled_user_is_400_inactive_user() {
        let resp = whoami(&client(), &bearer("alice")).await;
        assert_eq!(
            header(&resp, "x-error-code").as_deref(),
            Some("inactive_user")
        );
        assert_detail(resp, StatusCode::BAD_REQUEST, "Inactive user").await;
    }

    #[tokio::test]
    async fn an_unknown_api_path_is_401_without_a_token_and_404_with_one() {
        let cli = client();
        for path in ["/api/nothing", "/api/", "/api/whoami/more", "/api/%FF"] {
            let resp = cli.get(path).send().await;
            assert_challenge(resp, "Not authenticated", path).await;
            let resp = cli
                .get(path)
                .header("authorization", bearer("johndoe"))
                .send()
                .await;
            assert_detail(resp, StatusCode::NOT_FOUND, "Not Found").await;
        }
    }

    #[tokio::test]
    async fn paths_outside_api_need_no_token() {
        let cli = client();
        cli.get("/health").send().await.assert_status_is_ok();
        cli.get("/docs").send().await.assert_status_is_ok();
        cli.get("/openapi.json").send().await.assert_status_is_ok();
        // `/api` itself is not under `/api/`.
        assert_detail(
            cli.get("/api").send().await,
            StatusCode::NOT_FOUND,
            "Not Found",
        )
        .await;
    }

    #[tokio::test]
    async fn spellings_of_the_path_that_reach_whoami_are_guarded_too() {
        let cli = client();
        for path in ["/api/whoami/", "/%61pi/whoami", "/api/%77hoami"] {
            let resp = cli.get(path).send().await;
            assert_challenge(resp, "Not authenticated", path).await;
            let resp = cli
                .get(path)
                .header("authorization", bearer("johndoe"))
                .send()
                .await;
            resp.assert_status_is_ok();
        }
    }

    /// Paths are not normalised beyond one trailing slash, so a doubled slash reaches no
    /// route. The gate reads the path as a route would and still asks for a token first.
    #[tokio::test]
    async fn a_doubled_slash_reaches_nothing() {
        let cli = client();
        for path in ["//api/whoami", "/api//whoami"] {
            let resp = cli.get(path).send().await;
            assert_challenge(resp, "Not authenticated", path).await;
            let resp = cli
                .get(path)
                .header("authorization", bearer("johndoe"))
                .send()
                .await;
            assert_detail(resp, StatusCode::NOT_FOUND, "Not Found").await;
        }
    }

    #[tokio::test]
    async fn head_answers_like_get_without_a_body() {
        let resp = client()
            .head("/api/whoami")
            .header("authorization", bearer("johndoe"))
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_bytes(b"").await;
    }
}

mod attacks {
    use super::*;

    async fn refused(token: &str, what: &str) {
        let resp = whoami(&client(), &format!("Bearer {token}")).await;
        assert_eq!(
            header(&resp, "x-error-code").as_deref(),
            Some("invalid_token"),
            "{what}"
        );
        assert_challenge(resp, "Could not validate credentials", what).await;
    }

    #[tokio::test]
    async fn an_expired_token_is_refused_without_leeway() {
        let mut claims = claims("johndoe");
        claims["iat"] = json!(now() - 120);
        claims["exp"] = json!(now() - 1);
        refused(&forge(&claims), "expired a second ago").await;
    }

    #[tokio::test]
    async fn a_token_not_valid_yet_is_refused() {
        for claim in ["nbf", "iat"] {
            let mut claims = claims("johndoe");
            claims[claim] = json!(now() + 120);
            refused(&forge(&claims), claim).await;
        }
    }

    #[tokio::test]
    async fn a_token_is_refused_from_the_second_of_its_exp() {
        let mut claims = claims("johndoe");
        claims["exp"] = json!(now());
        refused(&forge(&claims), "in the second of its exp").await;
    }

    #[tokio::test]
    async fn sub_and_exp_are_all_a_token_needs() {
        let minimal = forge(&json!({"sub": "johndoe", "exp": now() + 600}));
        whoami(&client(), &format!("Bearer {minimal}"))
            .await
            .assert_status_is_ok();
        let mut odd = json!({"sub": "johndoe", "exp": now() + 600});
        odd["jti"] = json!(7);
        refused(&forge(&odd), "a jti that is not text").await;
    }

    #[tokio::test]
    async fn a_token_with_a_crit_header_is_refused() {
        let mut header = Header::new(Algorithm::HS256);
        header.crit = Some(vec!["exp".to_owned()]);
        let token = jsonwebtoken::encode(
            &header,
            &claims("johndoe"),
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .expect("the test token is signed");
        refused(&token, "crit").await;
    }

    #[tokio::test]
    async fn a_token_without_exp_or_sub_is_refused() {
        for claim in ["exp", "sub"] {
            let mut claims = claims("johndoe");
            claims.as_object_mut().expect("an object").remove(claim);
            refused(&forge(&claims), claim).await;
        }
    }

    #[tokio::test]
    async fn a_token_for_an_unknown_user_is_refused() {
        refused(&forge(&claims("nobody")), "unknown user").await;
    }

    #[tokio::test]
    async fn a_token_signed_with_another_key_is_refused() {
        let token = sign(
            Algorithm::HS256,
            &claims("johndoe"),
            b"another-key-0123456789abcdefghijklmnop",
        );
        refused(&token, "another key").await;
    }

    #[tokio::test]
    async fn an_unsigned_token_alg_none_is_refused() {
        for alg in ["none", "None", "NONE"] {
            refused(
                &handmade(&json!({"alg": alg, "typ": "JWT"}), &claims("johndoe"), ""),
                alg,
            )
            .await;
        }
    }

    #[tokio::test]
    async fn other_algorithms_are_refused_even_with_the_right_key() {
        for algorithm in [Algorithm::HS384, Algorithm::HS512] {
            refused(
                &sign(algorithm, &claims("johndoe"), KEY.as_bytes()),
                &format!("{algorithm:?}"),
            )
            .await;
        }
        let real = forge(&claims("johndoe"));
        let signature = real.rsplit('.').next().unwrap_or_default();
        let rs256 = handmade(
            &json!({"alg": "RS256", "typ": "JWT"}),
            &claims("johndoe"),
            signature,
        );
        refused(&rs256, "RS256").await;
    }

    #[tokio::test]
    async fn a_tampered_payload_breaks_the_signature() {
        let token = forge(&claims("alice"));
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], b64(&claims("johndoe")), parts[2]);
        refused(&tampered, "tampered").await;
    }

    #[tokio::test]
    async fn garbage_is_refused_never_a_500() {
        let long = "x".repeat(6000);
        for token in [
            "garbage",
            "a.b.c",
            "..",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
            long.as_str(),
        ] {
            refused(token, token).await;
        }
    }

    #[tokio::test]
    async fn a_header_that_is_not_ascii_is_refused_never_a_500() {
        let resp = client()
            .get("/api/whoami")
            .header(
                "authorization",
                poem::http::HeaderValue::from_bytes(b"Bearer \xff\xfe").expect("bytes"),
            )
            .send()
            .await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
    }
}

mod login {
    use super::*;

    #[tokio::test]
    async fn a_wrong_password_or_unknown_user_is_401_with_the_same_message() {
        let cli = client();
        for (username, password) in [("johndoe", "wrong"), ("nobody", "secret")] {
            let resp = login(&cli, username, password).await;
            assert_eq!(
                header(&resp, "x-error-code").as_deref(),
                Some("incorrect_login")
            );
            assert_challenge(resp, "Incorrect username or password", username).await;
        }
    }

    #[tokio::test]
    async fn a_password_over_72_bytes_is_a_wrong_password() {
        let long = format!("secret{}", "x".repeat(80));
        let resp = login(&client(), "johndoe", &long).await;
        assert_challenge(resp, "Incorrect username or password", "long").await;
    }

    #[tokio::test]
    async fn a_missing_field_is_a_422_at_its_place() {
        let resp = client()
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("username=johndoe")
            .send()
            .await;
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("login_missing_password", body);
    }

    #[tokio::test]
    async fn a_grant_type_other_than_password_is_422() {
        let resp = client()
            .post("/token")
            .content_type("application/x-www-form-urlencoded")
            .body("username=johndoe&password=secret&grant_type=client_credentials")
            .send()
            .await;
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "grant_type"]));
    }
}

/// The layers, outermost first: process time → trusted host → CORS → token gate → handlers.
mod order {
    use super::*;

    #[tokio::test]
    async fn the_host_is_checked_before_cors() {
        let resp = client()
            .options("/api/whoami")
            .header("host", "evil.test")
            .header("origin", "http://evil.test")
            .header("access-control-request-method", "GET")
            .send()
            .await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
        // Even an allowed origin gets no CORS headers from a refused host.
        let resp = client()
            .get("/health/")
            .header("host", "evil.test")
            .header("origin", ORIGINS[3])
            .send()
            .await;
        assert_eq!(header(&resp, "access-control-allow-origin"), None);
        assert!(header(&resp, "x-process-time").is_some());
    }

    #[tokio::test]
    async fn the_host_is_checked_before_the_token() {
        let resp = client()
            .get("/api/whoami")
            .header("host", "evil.test")
            .send()
            .await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Invalid host header").await;
    }

    #[tokio::test]
    async fn cors_answers_preflights_before_the_token_gate() {
        let cli = client();
        let resp = preflight(&cli, "/api/whoami", ORIGINS[3], "GET").await;
        resp.assert_status_is_ok();
        resp.assert_header("access-control-allow-origin", ORIGINS[3]);
        let resp = preflight(&cli, "/api/whoami", "http://evil.test", "GET").await;
        assert_detail(resp, StatusCode::BAD_REQUEST, "Disallowed CORS origin").await;
    }

    #[tokio::test]
    async fn the_token_is_checked_before_routing() {
        let resp = client().post("/api/whoami").send().await;
        assert_challenge(resp, "Not authenticated", "a wrong method without a token").await;
        let resp = client()
            .post("/api/whoami")
            .header("authorization", bearer("johndoe"))
            .send()
            .await;
        assert_detail(resp, StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").await;
    }
}

mod panics {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_and_the_next_request_is_served() {
        let cli = client();
        for _ in 0..3 {
            let resp = cli.get("/boom").send().await;
            assert!(header(&resp, "x-process-time").is_some());
            assert_detail(
                resp,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
            )
            .await;
            cli.get("/health").send().await.assert_status_is_ok();
        }
    }
}

mod access_log {
    use std::io::Write;
    use std::sync::{Arc, Mutex, OnceLock};

    use super::*;

    /// A log destination the test can read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The log of this test program, as JSON lines. The subscriber is global: a subscriber
    /// set for one thread misses events while other tests run in parallel (tracing caches
    /// per call site whether anyone listens).
    fn captured() -> &'static Captured {
        static LOG: OnceLock<Captured> = OnceLock::new();
        LOG.get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test program");
            captured
        })
    }

    /// The access lines of requests sent with this `X-Request-Id`.
    fn access_lines(request_id: &str) -> Vec<Value> {
        let bytes = captured().0.lock().expect("not poisoned").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .filter(|line: &Value| {
                line["target"] == "access" && line["fields"]["request_id"] == request_id
            })
            .collect()
    }

    #[tokio::test]
    async fn each_request_writes_one_structured_line() {
        captured();
        let cli = client();
        cli.get("/health?secret=hunter2")
            .header("x-request-id", "access-log-1")
            .send()
            .await;
        cli.get("/api/whoami")
            .header("host", "evil.test")
            .header("x-request-id", "access-log-2")
            .send()
            .await;

        let lines = access_lines("access-log-1");
        assert_eq!(lines.len(), 1, "{lines:?}");
        let fields = &lines[0]["fields"];
        assert_eq!(fields["message"], "request");
        assert_eq!(fields["method"], "GET");
        assert_eq!(fields["path"], "/health", "the query stays out of the log");
        assert_eq!(fields["status"], 200);
        assert!(
            fields["duration"].as_f64().is_some_and(|d| d >= 0.0),
            "{fields}"
        );
        assert!(fields["client"].is_string(), "{fields}");
        assert_eq!(fields["error_code"], "-");
        let lines = access_lines("access-log-2");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["fields"]["status"], 400);
        assert_eq!(lines[0]["fields"]["error_code"], "invalid_host");
    }
}

mod bad_input {
    use super::*;

    #[tokio::test]
    async fn odd_login_forms_are_answered_never_with_a_500() {
        let cli = client();
        let post = |body: &'static str, content_type: &'static str| {
            cli.post("/token")
                .content_type(content_type)
                .body(body)
                .send()
        };
        let form = "application/x-www-form-urlencoded";
        let resp = post("username=johndoe&password=secret%FF%FE", form).await;
        assert_challenge(resp, "Incorrect username or password", "not UTF-8").await;
        // Of a repeated field, the last one counts.
        post("username=alice&password=secret&username=johndoe", form)
            .await
            .assert_status_is_ok();
        for (body, content_type) in [
            ("username=johndoe&password=secret", "text/plain"),
            ("{\"username\": \"johndoe\"}", "application/json"),
            ("", form),
            ("%%%", form),
        ] {
            let resp = post(body, content_type).await;
            resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        }
    }

    #[tokio::test]
    async fn odd_queries_are_ignored_where_nothing_reads_them() {
        let cli = client();
        for path in [
            "/health?%FF=%FE",
            "/health?a=1&a=2",
            "/health?x=99999999999999999999",
        ] {
            cli.get(path).send().await.assert_status_is_ok();
        }
    }

    #[tokio::test]
    async fn odd_headers_and_paths_are_answered_never_with_a_500() {
        let cli = client();
        let long = "a".repeat(8000);
        let odd: Vec<(&str, Vec<u8>)> = vec![
            ("host", b"local\xffhost".to_vec()),
            ("host", long.clone().into_bytes()),
            ("origin", b"http://\xff.test".to_vec()),
            ("origin", long.clone().into_bytes()),
            ("access-control-request-method", b"\xff".to_vec()),
            ("access-control-request-headers", b"a, \xff, b".to_vec()),
            ("x-request-id", b"\xff\xfe".to_vec()),
            ("authorization", long.into_bytes()),
        ];
        for (name, value) in odd {
            let value = poem::http::HeaderValue::from_bytes(&value).expect("a header value");
            for path in ["/api/whoami", "/health", "/%FF", "/api/%FF%FE"] {
                let resp = cli
                    .options(path)
                    .header("origin", ORIGINS[0])
                    .header("access-control-request-method", "GET")
                    .header(name, value.clone())
                    .send()
                    .await;
                let status = resp.0.status();
                assert!(!status.is_server_error(), "{name} on {path}: {status}");
                let resp = cli.get(path).header(name, value.clone()).send().await;
                let status = resp.0.status();
                assert!(!status.is_server_error(), "{name} on {path}: {status}");
                assert!(header(&resp, "x-process-time").is_some());
            }
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
    async fn whoami_shows_that_it_needs_a_token() {
        let doc = document().await;
        assert_eq!(
            doc["paths"]["/api/whoami"]["get"]["security"],
            json!([{"OAuth2PasswordBearer": []}])
        );
        let scheme = &doc["components"]["securitySchemes"]["OAuth2PasswordBearer"];
        assert_eq!(scheme["flows"]["password"]["tokenUrl"], "token");
        assert!(doc.to_string().contains("WWW-Authenticate"));
    }

    #[tokio::test]
    async fn every_operation_has_a_summary_a_description_and_a_tag() {
        let doc = document().await;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("operations") {
                for field in ["summary", "description"] {
                    assert!(
                        op[field].as_str().is_some_and(|s| !s.is_empty()),
                        "{method} {path} {field}"
                    );
                }
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{method} {path}"
                );
            }
        }
    }

    #[tokio::test]
    async fn no_hash_appears_in_the_document() {
        let text = document().await.to_string();
        assert!(!text.contains("hashed_password") && !text.contains("$2b$"));
    }

    #[tokio::test]
    async fn the_fuzzers_exceptions_are_answers_the_document_declares() {
        let exceptions = kit::testing::fuzz_exceptions("11");
        // The only one: `GET /boom` panics on purpose, and the contract fixes its answer as a
        // 500, which a fuzzer fails wherever it is not told to expect it.
        let boom = (
            "GET /boom".to_owned(),
            "not_a_server_error".to_owned(),
            vec!["500".to_owned()],
        );
        assert_eq!(exceptions, [boom]);
        kit::testing::assert_fuzz_exceptions_declared(&document().await, &exceptions);
    }
}

mod settings {
    use super::*;

    fn refused(pairs: &[(&str, &str)]) -> kit::ConfigError {
        let mut vars = vec![("JWT_SECRET", KEY)];
        vars.extend_from_slice(pairs);
        Config::from_env(&Env::from_pairs(vars)).expect_err("a bad setting is refused")
    }

    #[test]
    fn a_bad_trusted_host_is_refused_by_name() {
        for list in ["http://localhost", "localhost:8000", "a.*.test", ""] {
            assert_eq!(
                refused(&[("TRUSTED_HOSTS", list)]).key,
                "TRUSTED_HOSTS",
                "{list:?}"
            );
        }
    }

    #[test]
    fn a_wildcard_or_a_path_in_cors_origins_is_refused_by_name() {
        for list in ["*", "http://localhost:8080/", "localhost:8080"] {
            let err = refused(&[("CORS_ORIGINS", list)]);
            assert_eq!(err.key, "CORS_ORIGINS", "{list:?}");
        }
        assert!(
            refused(&[("CORS_ORIGINS", "*")])
                .problem
                .contains("credentials")
        );
    }

    #[test]
    fn a_short_jwt_secret_and_bad_numbers_are_refused_by_name() {
        assert_eq!(refused(&[("JWT_SECRET", "short")]).key, "JWT_SECRET");
        assert_eq!(
            refused(&[("ACCESS_TOKEN_EXPIRE_MINUTES", "0")]).key,
            "ACCESS_TOKEN_EXPIRE_MINUTES"
        );
        assert_eq!(
            refused(&[("LOGIN_RATE_LIMIT", "-1")]).key,
            "LOGIN_RATE_LIMIT"
        );
    }

    #[test]
    fn the_debug_output_hides_the_key() {
        let text = format!("{:?}", config_with(&[]));
        assert!(!text.contains(KEY) && text.contains("[hidden]"), "{text}");
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn a_plain_request_id_is_echoed() {
        let resp = client()
            .get("/health")
            .header("x-request-id", "abc-123_x.y:z")
            .send()
            .await;
        resp.assert_header("x-request-id", "abc-123_x.y:z");
    }

    #[tokio::test]
    async fn a_missing_or_odd_request_id_is_replaced_by_a_new_one() {
        let cli = client();
        let mut seen = Vec::new();
        for sent in [
            None,
            Some("has space"),
            Some("<script>"),
            Some(&*"a".repeat(200)),
        ] {
            let mut req = cli.get("/nowhere");
            if let Some(sent) = sent {
                req = req.header("x-request-id", sent);
            }
            let resp = req.send().await;
            let id = header(&resp, "x-request-id").expect("an id");
            assert_eq!(id.len(), 36, "{id}");
            assert!(Some(id.as_str()) != sent);
            seen.push(id);
        }
        seen.dedup();
        assert_eq!(seen.len(), 4, "ids repeat: {seen:?}");
    }

    #[tokio::test]
    async fn every_answer_carries_the_security_headers() {
        let cli = client();
        for resp in [
            cli.get("/health").send().await,
            cli.get("/api/whoami").send().await,
            cli.get("/docs").header("host", "evil.test").send().await,
        ] {
            resp.assert_header("x-content-type-options", "nosniff");
            resp.assert_header("x-frame-options", "DENY");
            resp.assert_header("referrer-policy", "no-referrer");
        }
    }

    #[tokio::test]
    async fn too_many_logins_are_refused_with_429_until_the_minute_is_over() {
        let cli = client_with(&[("LOGIN_RATE_LIMIT", "2")]);
        for _ in 0..2 {
            login(&cli, "johndoe", "wrong")
                .await
                .assert_status(StatusCode::UNAUTHORIZED);
        }
        // Even the right password: the limit is checked first.
        let resp = login(&cli, "johndoe", "secret").await;
        let retry: u64 = header(&resp, "retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        assert_eq!(
            header(&resp, "x-error-code").as_deref(),
            Some("too_many_login_attempts")
        );
        assert_detail(
            resp,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many login attempts",
        )
        .await;
        // The other spellings of the path are the same login.
        for path in ["/token/", "//token", "/%74oken"] {
            let resp = cli
                .post(path)
                .content_type("application/x-www-form-urlencoded")
                .body("username=johndoe&password=secret")
                .send()
                .await;
            resp.assert_status(StatusCode::TOO_MANY_REQUESTS);
        }
    }

    #[tokio::test]
    async fn a_successful_login_starts_the_count_again() {
        let cli = client_with(&[("LOGIN_RATE_LIMIT", "2")]);
        login(&cli, "johndoe", "wrong")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
        login(&cli, "johndoe", "secret").await.assert_status_is_ok();
        login(&cli, "johndoe", "wrong")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
        login(&cli, "johndoe", "secret").await.assert_status_is_ok();
    }

    /// Four wrong guesses against johndoe, then a good login as alice, over and over, once
    /// made 20 guesses in 6 s: a success forgives the failures of its own account only.
    #[tokio::test]
    async fn a_success_does_not_forgive_the_failures_against_another_account() {
        let cli = client_with(&[("LOGIN_RATE_LIMIT", "5")]);
        for _ in 0..4 {
            login(&cli, "johndoe", "wrong")
                .await
                .assert_status(StatusCode::UNAUTHORIZED);
        }
        login(&cli, "alice", "secret2").await.assert_status_is_ok();
        login(&cli, "johndoe", "wrong")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
        login(&cli, "johndoe", "wrong")
            .await
            .assert_status(StatusCode::TOO_MANY_REQUESTS);
        login(&cli, "alice", "secret2")
            .await
            .assert_status(StatusCode::TOO_MANY_REQUESTS);
    }

    #[tokio::test]
    async fn a_limit_of_zero_is_no_limit() {
        let cli = client_with(&[("LOGIN_RATE_LIMIT", "0")]);
        for _ in 0..7 {
            login(&cli, "nobody", "wrong")
                .await
                .assert_status(StatusCode::UNAUTHORIZED);
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use poem::web::Html;
    use poem::{Route, get, handler};
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch11-middleware");
    const PATIENCE: Duration = Duration::from_secs(30);

    fn command(env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(PROGRAM);
        command.args(["--port", "0"]);
        for key in [
            "JWT_SECRET",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "TRUSTED_HOSTS",
            "CORS_ORIGINS",
            "LOGIN_RATE_LIMIT",
            "LOG_FORMAT",
            "RUST_LOG",
            "HOST",
            "PORT",
        ] {
            command.env_remove(key);
        }
        command
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Starts the program and returns it with its address.
    async fn start(env: &[(&str, &str)]) -> (Child, String) {
        let mut child = command(env).spawn().expect("the program starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("the program printed its first line in time")
            .expect("the program's output is readable");
        let url = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        (child, url)
    }

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("11", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    #[tokio::test]
    async fn with_log_format_json_each_request_is_one_json_line_on_stderr() {
        let (mut child, url) = start(&[("LOG_FORMAT", "json")]).await;
        let http = reqwest::Client::new();
        let resp = http
            .get(format!("{url}/api/whoami"))
            .header("x-request-id", "log-test-1")
            .send()
            .await
            .expect("an answer");
        assert_eq!(resp.status(), 401);
        child.start_kill().expect("the program can be stopped");
        let output = child
            .wait_with_output()
            .await
            .expect("its output is readable");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let line: serde_json::Value = stderr
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .find(|line: &serde_json::Value| line["target"] == "access")
            .unwrap_or_else(|| panic!("no access line in:\n{stderr}"));
        let fields = &line["fields"];
        assert_eq!(fields["method"], "GET", "{line}");
        assert_eq!(fields["path"], "/api/whoami");
        assert_eq!(fields["status"], 401);
        assert_eq!(fields["request_id"], "log-test-1");
        assert_eq!(fields["error_code"], "not_authenticated");
        assert!(fields["duration"].is_f64());
        assert!(
            fields["client"]
                .as_str()
                .is_some_and(|c| c.starts_with("127.0.0.1:")),
            "{fields}"
        );
    }

    #[tokio::test]
    async fn a_bad_setting_stops_the_start_and_names_it() {
        for (key, value) in [
            ("CORS_ORIGINS", "*"),
            ("TRUSTED_HOSTS", "http://localhost"),
            ("JWT_SECRET", "hunter2"),
        ] {
            let child = command(&[(key, value)])
                .spawn()
                .expect("the program starts");
            let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
                .await
                .expect("it stops")
                .expect("its output is readable");
            assert!(!output.status.success(), "it started with {key}={value}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(&format!("error: {key}: ")), "{stderr}");
        }
    }

    // ANCHOR: browser_page
    /// A page that logs in and asks who it is, from wherever it is served, and writes what
    /// happened into itself. The service's address comes in the query: `/?api=http://…`.
    const PAGE: &str = r#"<!doctype html>
<html><body><p id="result">pending</p><script>
const api = new URLSearchParams(location.search).get("api");
const result = document.getElementById("result");
(async () => {
  try {
    const login = await fetch(api + "/token", {
      method: "POST",
      credentials: "include",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: "username=johndoe&password=secret",
    });
    const token = (await login.json()).access_token;
    const me = await fetch(api + "/api/whoami", {
      credentials: "include",
      headers: {"Authorization": "Bearer " + token},
    });
    const took = me.headers.get("X-Process-Time");
    result.textContent = "whoami=" + (await me.json()).username + " took=" + took;
  } catch (err) {
    result.textContent = "blocked=" + err.name;
  }
})();
</script></body></html>"#;
    // ANCHOR_END: browser_page

    #[handler]
    fn page() -> Html<&'static str> {
        Html(PAGE)
    }

    // ANCHOR: browser_test
    #[tokio::test]
    async fn a_browser_page_from_an_allowed_origin_reads_the_api_and_another_cannot() {
        let Some(browser) = kit::testing::Browser::find_or_skip(
            "a_browser_page_from_an_allowed_origin_reads_the_api_and_another_cannot",
        ) else {
            return;
        };
        // Two copies of the page, on two ports: two origins.
        let allowed = kit::testing::spawn(Route::new().at("/", get(page))).await;
        let refused = kit::testing::spawn(Route::new().at("/", get(page))).await;
        let (_child, api) = start(&[("CORS_ORIGINS", &allowed.url)]).await;

        let dom = browser
            .rendered_dom(&format!("{}/?api={api}", allowed.url))
            .await;
        assert!(
            dom.contains("whoami=johndoe took=0."),
            "the allowed page:\n{dom}"
        );

        let dom = browser
            .rendered_dom(&format!("{}/?api={api}", refused.url))
            .await;
        assert!(
            dom.contains("blocked=TypeError"),
            "the refused page:\n{dom}"
        );
    }
    // ANCHOR_END: browser_test
}
