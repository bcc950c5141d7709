//! Chapter 08's tests: what the grader does not check from outside.
//!
//! `program::the_grader_passes_every_check` runs every `08.*` check of the grader
//! (`tests/src/chapters/ch08.rs`) on the built program, so the HTTP contract is the grader's:
//! each row of it is checked there, not here. What stays here, in-process:
//!
//! - state only a fresh app shows: each app has its own users;
//! - the reviewed snapshots: the OpenAPI document, and whole error bodies with their wording;
//! - what the document says beyond the grader's checks (the forms' fields, their order and
//!   lengths, which operations need the scheme);
//! - requests no check sends: odd passwords, usernames and `Authorization` headers, raw bytes,
//!   headers with spaces a real connection would trim, bodies over the limit;
//! - Swagger UI's Authorize button, in a real browser.

use ch08_oauth2_password::app;
use insta::assert_json_snapshot;
use kit::Docs;
use poem::Endpoint;
use poem::http::{HeaderValue, StatusCode};
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";
const INCORRECT: &str = "Incorrect username or password";

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default()))
}

async fn body(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// Posts `form` (already URL-encoded) to `path`.
async fn post_form(
    cli: &TestClient<impl Endpoint>,
    path: &str,
    form: impl Into<poem::Body>,
) -> TestResponse {
    cli.post(path).content_type(FORM).body(form).send().await
}

/// `GET path` with these `Authorization` headers, in order.
async fn get_with(
    cli: &TestClient<impl Endpoint>,
    path: &str,
    authorization: &[&[u8]],
) -> TestResponse {
    let mut req = cli.get(path);
    for value in authorization {
        let value = HeaderValue::from_bytes(value).expect("a header value a client can send");
        req = req.header("authorization", value);
    }
    req.send().await
}

/// Asserts a 400 with this detail, and no challenge: a 400 asks for no credentials.
async fn assert_400(resp: TestResponse, detail: &str) {
    resp.assert_status(StatusCode::BAD_REQUEST);
    resp.assert_header_is_not_exist("www-authenticate");
    resp.assert_json(json!({"detail": detail})).await;
}

/// Asserts a 401 with this detail and the challenge `WWW-Authenticate: Bearer`.
async fn assert_401(resp: TestResponse, detail: &str) {
    resp.assert_status(StatusCode::UNAUTHORIZED);
    resp.assert_header("www-authenticate", "Bearer");
    resp.assert_json(json!({"detail": detail})).await;
}

/// Asserts a 422 with one problem of `kind` at `loc`.
async fn assert_one_problem(resp: TestResponse, loc: Value, kind: &str) -> Value {
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["detail"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["detail"][0]["loc"], loc, "{body}");
    assert_eq!(body["detail"][0]["type"], kind, "{body}");
    body
}

mod token {
    use super::*;

    #[tokio::test]
    async fn the_answer_with_a_token_is_never_cached() {
        let cli = client();
        for (path, form) in [
            ("/token", "username=johndoe&password=secret"),
            (
                "/token-strict",
                "grant_type=password&username=johndoe&password=secret",
            ),
        ] {
            let resp = post_form(&cli, path, form).await;
            resp.assert_status_is_ok();
            resp.assert_header("cache-control", "no-store");
            resp.assert_header("pragma", "no-cache");
        }
    }

    #[tokio::test]
    async fn a_password_with_a_space_or_a_nul_is_wrong() {
        let cli = client();
        for password in ["secret ", "%00secret"] {
            let form = format!("username=johndoe&password={password}");
            assert_400(post_form(&cli, "/token", form).await, INCORRECT).await;
        }
    }

    #[tokio::test]
    async fn a_prefix_or_a_padded_username_is_unknown() {
        let cli = client();
        for username in ["john", "%20johndoe"] {
            let form = format!("username={username}&password=secret");
            assert_400(post_form(&cli, "/token", form).await, INCORRECT).await;
        }
    }

    #[tokio::test]
    async fn a_grant_type_almost_password_is_422_naming_it() {
        let cli = client();
        for grant_type in ["password%0A", "passwordx"] {
            let form = format!("grant_type={grant_type}&username=johndoe&password=secret");
            let resp = post_form(&cli, "/token", form).await;
            let problem = json!(["body", "grant_type"]);
            assert_one_problem(resp, problem, "string_pattern_mismatch").await;
        }
        let form = "grant_type=implicit&username=johndoe&password=secret";
        let (_, body) = body(post_form(&cli, "/token", form).await).await;
        assert_json_snapshot!("token_grant_type_mismatch", body);
    }

    #[tokio::test]
    async fn a_missing_username_or_an_empty_password_is_422() {
        let cli = client();
        for (form, field) in [
            ("password=secret", "username"),
            ("username=johndoe&password=", "password"),
        ] {
            let resp = post_form(&cli, "/token", form).await;
            assert_one_problem(resp, json!(["body", field]), "missing").await;
        }
        let (status, body) = body(post_form(&cli, "/token", "scope=me").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("token_missing_fields", body);
    }

    #[tokio::test]
    async fn a_form_without_its_content_type_or_no_body_is_422() {
        let cli = client();
        let resp = cli
            .post("/token")
            .body("username=johndoe&password=secret")
            .send()
            .await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let (status, body) = body(cli.post("/token").send().await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"][0], "body");
    }

    #[tokio::test]
    async fn raw_bytes_that_are_not_utf8_are_a_wrong_password() {
        let form = b"username=johndoe&password=\xff\xfe".to_vec();
        assert_400(post_form(&client(), "/token", form).await, INCORRECT).await;
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413() {
        let form = format!("username={}&password=secret", "a".repeat(2 * 1024 * 1024));
        let resp = post_form(&client(), "/token", form).await;
        resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
        resp.assert_json(json!({"detail": "Content Too Large"}))
            .await;
    }

    #[tokio::test]
    async fn get_on_the_token_url_is_405() {
        let resp = client().get("/token").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("allow", "POST");
    }
}

mod token_strict {
    use super::*;

    #[tokio::test]
    async fn the_strict_form_counts_an_empty_grant_type_as_missing() {
        let cli = client();
        let form = "grant_type=&username=johndoe&password=secret";
        let resp = post_form(&cli, "/token-strict", form).await;
        assert_one_problem(resp, json!(["body", "grant_type"]), "missing").await;
        let form = "username=johndoe&password=secret";
        let (_, body) = body(post_form(&cli, "/token-strict", form).await).await;
        assert_json_snapshot!("strict_missing_grant_type", body);
    }
}

mod users_me {
    use super::*;

    #[tokio::test]
    async fn other_schemes_and_empty_credentials_are_not_authenticated() {
        let cli = client();
        let headers: [&[u8]; 5] = [
            b"Basic !!!not-base64",
            b"Basic bm9jb2xvbg==",
            b"Bearer ",
            b"Bearerjohndoe",
            b"Bearer\tjohndoe",
        ];
        for header in headers {
            let resp = get_with(&cli, "/users/me", &[header]).await;
            assert_401(resp, "Not authenticated").await;
        }
    }

    #[tokio::test]
    async fn a_header_that_is_not_text_is_not_authenticated() {
        let resp = get_with(&client(), "/users/me", &[b"Bearer \xff\xfe"]).await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_header("www-authenticate", "Bearer");
    }

    #[tokio::test]
    async fn a_token_with_a_space_or_a_password_in_it_names_no_user() {
        let cli = client();
        let tokens: [&[u8]; 3] = [
            b"Bearer john doe",
            b"Bearer secret",
            b"Bearer am9obmRvZTpzZWNyZXQ=",
        ];
        for token in tokens {
            let resp = get_with(&cli, "/users/me", &[token]).await;
            assert_401(resp, "Invalid authentication credentials").await;
        }
    }

    #[tokio::test]
    async fn spaces_after_the_token_are_trimmed() {
        // A real connection drops them before the server sees the header.
        let resp = get_with(&client(), "/users/me", &[b"Bearer johndoe   "]).await;
        resp.assert_status_is_ok();
        let (_, me) = body(resp).await;
        assert_eq!(me["username"], "johndoe");
    }

    #[tokio::test]
    async fn a_basic_header_before_a_bearer_one_is_not_authenticated() {
        let resp = get_with(&client(), "/users/me", &[b"Basic Og==", b"Bearer johndoe"]).await;
        assert_401(resp, "Not authenticated").await;
    }

    #[tokio::test]
    async fn an_inactive_user_is_refused_without_a_challenge() {
        let resp = get_with(&client(), "/users/me", &[b"Bearer alice"]).await;
        assert_400(resp, "Inactive user").await;
    }

    #[tokio::test]
    async fn a_trailing_slash_answers_alike() {
        let resp = get_with(&client(), "/users/me/", &[b"Bearer johndoe"]).await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({
            "username": "johndoe",
            "email": "johndoe@example.com",
            "full_name": "John Doe",
            "disabled": false,
        }))
        .await;
    }

    #[tokio::test]
    async fn a_wrong_method_is_405() {
        let resp = client().delete("/users/me").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    }
}

mod docs {
    use super::*;

    async fn document() -> Value {
        let resp = client().get("/openapi.json").send().await;
        resp.assert_status_is_ok();
        kit::testing::json(resp).await
    }

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        assert_json_snapshot!("openapi", document().await);
    }

    #[tokio::test]
    async fn the_oauth2_scheme_guards_both_user_operations_and_not_the_login() {
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
    async fn the_token_form_has_the_oauth2_field_names_in_fastapis_order() {
        let doc = document().await;
        let form = &doc["paths"]["/token"]["post"]["requestBody"]["content"][FORM];
        assert!(form.is_object(), "POST /token takes a form");
        let schema = &doc["components"]["schemas"]["OAuth2PasswordRequestForm"];
        let names: Vec<&str> = schema["properties"]
            .as_object()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            names,
            [
                "grant_type",
                "username",
                "password",
                "scope",
                "client_id",
                "client_secret"
            ]
        );
        assert_eq!(schema["required"], json!(["username", "password"]));
        let strict = &doc["components"]["schemas"]["OAuth2PasswordRequestFormStrict"];
        assert_eq!(
            strict["required"],
            json!(["grant_type", "username", "password"])
        );
    }

    #[tokio::test]
    async fn the_login_forms_say_an_empty_username_or_password_is_refused() {
        // An empty form field counts as missing (422), so the document must not promise
        // that "" is a username or a password.
        let doc = document().await;
        for form in [
            "OAuth2PasswordRequestForm",
            "OAuth2PasswordRequestFormStrict",
        ] {
            let properties = &doc["components"]["schemas"][form]["properties"];
            for field in ["username", "password"] {
                assert_eq!(properties[field]["minLength"], 1, "{form}.{field}");
            }
        }
    }
}

mod exercises {
    use super::*;

    fn jane() -> Value {
        json!({
            "username": "jane.doe",
            "password": "correct horse",
            "email": "jane@example.com",
            "full_name": "Jane Doe",
        })
    }

    async fn sign_up(cli: &TestClient<impl Endpoint>, user: &Value) -> TestResponse {
        cli.post("/users/").body_json(user).send().await
    }

    #[tokio::test]
    async fn only_the_email_and_full_name_are_optional() {
        let resp = sign_up(
            &client(),
            &json!({"username": "bob", "password": "12345678"}),
        )
        .await;
        resp.assert_status(StatusCode::CREATED);
        resp.assert_json(
            json!({"username": "bob", "email": null, "full_name": null, "disabled": false}),
        )
        .await;
    }

    #[tokio::test]
    async fn each_app_has_its_own_users() {
        sign_up(&client(), &jane())
            .await
            .assert_status(StatusCode::CREATED);
        let form = "username=jane.doe&password=correct+horse";
        let resp = post_form(&client(), "/token", form).await;
        resp.assert_status(StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_bad_sign_up_is_422_naming_each_field() {
        let cli = client();
        let cases = [
            (
                json!({"username": "Jane", "password": "12345678"}),
                "username",
                "string_pattern_mismatch",
            ),
            (
                json!({"username": "jane doe", "password": "12345678"}),
                "username",
                "string_pattern_mismatch",
            ),
            (
                json!({"username": "jd", "password": "12345678"}),
                "username",
                "string_too_short",
            ),
            (
                json!({"username": "j".repeat(33), "password": "12345678"}),
                "username",
                "string_too_long",
            ),
            (
                json!({"username": "jane", "password": "1234567"}),
                "password",
                "string_too_short",
            ),
            (
                json!({"username": "jane", "password": 12345678}),
                "password",
                "string_type",
            ),
            (
                json!({"username": "jane", "password": "12345678", "email": "jane"}),
                "email",
                "value_error",
            ),
            (json!({"password": "12345678"}), "username", "missing"),
        ];
        for (user, field, kind) in cases {
            let resp = sign_up(&cli, &user).await;
            assert_one_problem(resp, json!(["body", field]), kind).await;
        }
        let all_wrong = json!({"username": "J", "password": "short", "email": "nope"});
        let (status, body) = body(sign_up(&cli, &all_wrong).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("signup_invalid", body);
    }

    #[tokio::test]
    async fn a_sign_up_that_is_not_json_is_422() {
        let cli = client();
        let resp = cli
            .post("/users/")
            .content_type("application/json")
            .body("{\"username\": \"jane\",")
            .send()
            .await;
        let (status, body) = body(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["type"], "json_invalid");
        let resp = post_form(&cli, "/users/", "username=jane&password=12345678").await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// The program itself, started as a learner starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::Command;

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch08-oauth2-password");

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("08", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    #[tokio::test]
    async fn swagger_ui_shows_the_authorize_button() {
        let Some(browser) =
            kit::testing::Browser::find_or_skip("swagger_ui_shows_the_authorize_button")
        else {
            return;
        };
        let mut child = Command::new(PROGRAM)
            .args(["--port", "0"])
            .env_remove("HOST")
            .env_remove("PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the program starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the program printed its first line in time")
        .expect("the program's output is readable");
        let url = line.trim_end().replace("listening on ", "");
        let page = browser.rendered_dom(&format!("{url}/docs")).await;
        // Swagger UI draws the button only when the document declares a security scheme.
        assert!(
            page.contains("btn authorize"),
            "no Authorize button:\n{page}"
        );
        assert!(
            page.contains(r#"data-path="/users/me""#),
            "GET /users/me is not rendered:\n{page}"
        );
    }
}
