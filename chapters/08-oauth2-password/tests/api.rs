//! Chapter 08's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.

use ch08_oauth2_password::app;
use insta::assert_json_snapshot;
use kit::Docs;
use poem::Endpoint;
use poem::http::{HeaderValue, StatusCode};
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default()))
}

async fn body(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// Posts `form` (already URL-encoded) to `path`.
async fn post_form(cli: &TestClient<impl Endpoint>, path: &str, form: &str) -> TestResponse {
    cli.post(path)
        .content_type(FORM)
        .body(form.to_owned())
        .send()
        .await
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

fn johndoe() -> Value {
    json!({
        "username": "johndoe",
        "email": "johndoe@example.com",
        "full_name": "John Doe",
        "disabled": false,
    })
}

fn token_of(username: &str) -> Value {
    json!({"access_token": username, "token_type": "bearer"})
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
    async fn a_correct_login_answers_the_username_as_a_bearer_token() {
        let resp = post_form(&client(), "/token", "username=johndoe&password=secret").await;
        resp.assert_status_is_ok();
        resp.assert_content_type("application/json; charset=utf-8");
        resp.assert_json(token_of("johndoe")).await;
    }

    #[tokio::test]
    async fn the_answer_with_a_token_is_never_cached() {
        let resp = post_form(&client(), "/token", "username=johndoe&password=secret").await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-store");
        resp.assert_header("pragma", "no-cache");
    }

    #[tokio::test]
    async fn every_field_of_the_oauth2_form_is_accepted() {
        let form = "grant_type=password&username=johndoe&password=secret&scope=me+items\
                    &client_id=my-app&client_secret=s3cr3t";
        let resp = post_form(&client(), "/token", form).await;
        resp.assert_status_is_ok();
        resp.assert_json(token_of("johndoe")).await;
    }

    #[tokio::test]
    async fn swagger_uis_authorize_dialog_logs_in() {
        // What Swagger UI's Authorize dialog sends for the password flow: the client
        // credentials in a Basic header (its default), and an empty scope.
        let resp = client()
            .post("/token")
            .content_type(FORM)
            .header("authorization", "Basic Og==")
            .header("x-requested-with", "XMLHttpRequest")
            .body("grant_type=password&scope=&username=johndoe&password=secret")
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_json(token_of("johndoe")).await;
    }

    #[tokio::test]
    async fn a_password_that_is_almost_right_is_refused() {
        let cli = client();
        for password in [
            "wrong",
            "secre",
            "secretx",
            "Secret",
            "secret ",
            "secret2",
            "fakehashedsecret",
            "%00secret",
        ] {
            let resp = post_form(
                &cli,
                "/token",
                &format!("username=johndoe&password={password}"),
            )
            .await;
            resp.assert_status(StatusCode::BAD_REQUEST);
            resp.assert_json(json!({"detail": "Incorrect username or password"}))
                .await;
        }
    }

    #[tokio::test]
    async fn an_unknown_user_gets_the_same_answer_as_a_wrong_password() {
        let cli = client();
        for username in ["nobody", "JohnDoe", "johndoe2", "john", "%20johndoe"] {
            let resp = post_form(
                &cli,
                "/token",
                &format!("username={username}&password=secret"),
            )
            .await;
            resp.assert_status(StatusCode::BAD_REQUEST);
            resp.assert_header_is_not_exist("www-authenticate");
            resp.assert_json(json!({"detail": "Incorrect username or password"}))
                .await;
        }
    }

    #[tokio::test]
    async fn a_disabled_user_still_gets_a_token() {
        let resp = post_form(&client(), "/token", "username=alice&password=secret2").await;
        resp.assert_status_is_ok();
        resp.assert_json(token_of("alice")).await;
    }

    #[tokio::test]
    async fn a_grant_type_other_than_password_is_422_naming_it() {
        let cli = client();
        for grant_type in ["client_credentials", "Password", "password%0A", "passwordx"] {
            let form = format!("grant_type={grant_type}&username=johndoe&password=secret");
            let resp = post_form(&cli, "/token", &form).await;
            assert_one_problem(
                resp,
                json!(["body", "grant_type"]),
                "string_pattern_mismatch",
            )
            .await;
        }
        let resp = post_form(
            &cli,
            "/token",
            "grant_type=implicit&username=johndoe&password=secret",
        )
        .await;
        let (_, body) = body(resp).await;
        assert_json_snapshot!("token_grant_type_mismatch", body);
    }

    #[tokio::test]
    async fn an_empty_grant_type_counts_as_absent() {
        let resp = post_form(
            &client(),
            "/token",
            "grant_type=&username=johndoe&password=secret",
        )
        .await;
        resp.assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_missing_or_empty_username_or_password_is_422() {
        let cli = client();
        let cases = [
            ("password=secret", "username"),
            ("username=&password=secret", "username"),
            ("username=johndoe", "password"),
            ("username=johndoe&password=", "password"),
        ];
        for (form, field) in cases {
            let resp = post_form(&cli, "/token", form).await;
            assert_one_problem(resp, json!(["body", field]), "missing").await;
        }
        let resp = post_form(&cli, "/token", "scope=me").await;
        let (status, body) = body(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("token_missing_fields", body);
    }

    #[tokio::test]
    async fn the_last_of_repeated_fields_wins() {
        let form = "username=alice&password=nope&username=johndoe&password=secret";
        let resp = post_form(&client(), "/token", form).await;
        resp.assert_status_is_ok();
        resp.assert_json(token_of("johndoe")).await;
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_form_is_422() {
        let cli = client();
        let resp = cli
            .post("/token")
            .body_json(&json!({"username": "johndoe", "password": "secret"}))
            .send()
            .await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let resp = cli
            .post("/token")
            .body("username=johndoe&password=secret")
            .send()
            .await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let resp = cli.post("/token").send().await;
        let (status, body) = body(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"][0], "body");
    }

    #[tokio::test]
    async fn bytes_that_are_not_utf8_are_a_wrong_login_not_a_crash() {
        let cli = client();
        let resp = post_form(&cli, "/token", "username=%FF&password=secret").await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        let resp = cli
            .post("/token")
            .content_type(FORM)
            .body(b"username=johndoe&password=\xff\xfe".to_vec())
            .send()
            .await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Incorrect username or password"}))
            .await;
    }

    #[tokio::test]
    async fn a_huge_username_is_only_an_unknown_one() {
        let form = format!("username={}&password=secret", "a".repeat(500_000));
        let resp = post_form(&client(), "/token", &form).await;
        resp.assert_status(StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413() {
        let form = format!("username={}&password=secret", "a".repeat(2 * 1024 * 1024));
        let resp = post_form(&client(), "/token", &form).await;
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
    async fn the_strict_form_logs_in_with_grant_type_password() {
        let form = "grant_type=password&username=johndoe&password=secret";
        let resp = post_form(&client(), "/token-strict", form).await;
        resp.assert_status_is_ok();
        resp.assert_header("cache-control", "no-store");
        resp.assert_json(token_of("johndoe")).await;
    }

    #[tokio::test]
    async fn the_strict_form_requires_grant_type() {
        let cli = client();
        for form in [
            "username=johndoe&password=secret",
            "grant_type=&username=johndoe&password=secret",
        ] {
            let resp = post_form(&cli, "/token-strict", form).await;
            assert_one_problem(resp, json!(["body", "grant_type"]), "missing").await;
        }
        let resp = post_form(&cli, "/token-strict", "username=johndoe&password=secret").await;
        let (_, body) = body(resp).await;
        assert_json_snapshot!("strict_missing_grant_type", body);
    }

    #[tokio::test]
    async fn the_strict_form_refuses_other_grant_types() {
        let form = "grant_type=refresh_token&username=johndoe&password=secret";
        let resp = post_form(&client(), "/token-strict", form).await;
        assert_one_problem(
            resp,
            json!(["body", "grant_type"]),
            "string_pattern_mismatch",
        )
        .await;
    }

    #[tokio::test]
    async fn the_strict_form_refuses_a_wrong_password_with_400() {
        let form = "grant_type=password&username=johndoe&password=secret2";
        let resp = post_form(&client(), "/token-strict", form).await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Incorrect username or password"}))
            .await;
    }
}

mod users_me {
    use super::*;

    #[tokio::test]
    async fn johndoes_token_shows_johndoe_without_a_password() {
        let resp = get_with(&client(), "/users/me", &[b"Bearer johndoe"]).await;
        resp.assert_status_is_ok();
        resp.assert_json(johndoe()).await;
    }

    #[tokio::test]
    async fn the_token_from_a_login_opens_users_me() {
        let cli = client();
        let resp = post_form(&cli, "/token", "username=johndoe&password=secret").await;
        let (_, token) = body(resp).await;
        let access_token = token["access_token"].as_str().unwrap_or_default();
        let header = format!("Bearer {access_token}");
        let resp = get_with(&cli, "/users/me", &[header.as_bytes()]).await;
        resp.assert_status_is_ok();
        resp.assert_json(johndoe()).await;
    }

    #[tokio::test]
    async fn no_authorization_is_401_not_authenticated_with_a_bearer_challenge() {
        let resp = client().get("/users/me").send().await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_header("www-authenticate", "Bearer");
        resp.assert_json(json!({"detail": "Not authenticated"}))
            .await;
    }

    #[tokio::test]
    async fn other_schemes_and_empty_credentials_are_not_authenticated() {
        let cli = client();
        let headers: [&[u8]; 10] = [
            b"Basic am9obmRvZTpzZWNyZXQ=",
            b"Basic !!!not-base64",
            b"Basic bm9jb2xvbg==",
            b"Token johndoe",
            b"johndoe",
            b"Bearer",
            b"Bearer ",
            b"Bearer    ",
            b"Bearerjohndoe",
            b"Bearer\tjohndoe",
        ];
        for header in headers {
            let resp = get_with(&cli, "/users/me", &[header]).await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
            resp.assert_header("www-authenticate", "Bearer");
            resp.assert_json(json!({"detail": "Not authenticated"}))
                .await;
        }
    }

    #[tokio::test]
    async fn a_header_that_is_not_text_is_not_authenticated() {
        let resp = get_with(&client(), "/users/me", &[b"Bearer \xff\xfe"]).await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_header("www-authenticate", "Bearer");
    }

    #[tokio::test]
    async fn an_unknown_token_is_401_invalid_credentials_with_a_bearer_challenge() {
        let cli = client();
        let tokens: [&[u8]; 7] = [
            b"Bearer nobody",
            b"Bearer JohnDoe",
            b"Bearer johndoe2",
            b"Bearer john doe",
            b"Bearer fakehashedsecret",
            b"Bearer secret",
            b"Bearer am9obmRvZTpzZWNyZXQ=",
        ];
        for token in tokens {
            let resp = get_with(&cli, "/users/me", &[token]).await;
            resp.assert_status(StatusCode::UNAUTHORIZED);
            resp.assert_header("www-authenticate", "Bearer");
            resp.assert_json(json!({"detail": "Invalid authentication credentials"}))
                .await;
        }
    }

    #[tokio::test]
    async fn the_scheme_is_case_insensitive_and_spaces_around_the_token_are_trimmed() {
        let cli = client();
        let headers: [&[u8]; 4] = [
            b"bearer johndoe",
            b"BEARER johndoe",
            b"Bearer    johndoe",
            b"Bearer johndoe   ",
        ];
        for header in headers {
            let resp = get_with(&cli, "/users/me", &[header]).await;
            resp.assert_status_is_ok();
            resp.assert_json(johndoe()).await;
        }
    }

    #[tokio::test]
    async fn of_two_authorization_headers_the_first_counts() {
        let cli = client();
        let resp = get_with(&cli, "/users/me", &[b"Bearer johndoe", b"Bearer nobody"]).await;
        resp.assert_status_is_ok();
        let resp = get_with(&cli, "/users/me", &[b"Bearer nobody", b"Bearer johndoe"]).await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        let resp = get_with(&cli, "/users/me", &[b"Basic Og==", b"Bearer johndoe"]).await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_json(json!({"detail": "Not authenticated"}))
            .await;
    }

    #[tokio::test]
    async fn a_disabled_user_is_400_inactive_user() {
        let resp = get_with(&client(), "/users/me", &[b"Bearer alice"]).await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_header_is_not_exist("www-authenticate");
        resp.assert_json(json!({"detail": "Inactive user"})).await;
    }

    #[tokio::test]
    async fn a_trailing_slash_answers_alike() {
        let resp = get_with(&client(), "/users/me/", &[b"Bearer johndoe"]).await;
        resp.assert_status_is_ok();
        resp.assert_json(johndoe()).await;
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
    async fn the_oauth2_scheme_logs_in_at_token() {
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

    /// Every schema a response can reach, following `$ref`s.
    fn response_schemas(doc: &Value) -> Vec<(String, Value)> {
        let mut todo: Vec<Value> = Vec::new();
        for (_, item) in doc["paths"].as_object().into_iter().flatten() {
            for (_, op) in item.as_object().into_iter().flatten() {
                for (_, response) in op["responses"].as_object().into_iter().flatten() {
                    for (_, media) in response["content"].as_object().into_iter().flatten() {
                        todo.push(media["schema"].clone());
                    }
                }
            }
        }
        let mut seen = Vec::new();
        while let Some(schema) = todo.pop() {
            if let Some(name) = schema["$ref"].as_str() {
                let name = name.trim_start_matches("#/components/schemas/").to_owned();
                if seen.iter().all(|(n, _)| *n != name) {
                    let target = doc["components"]["schemas"][&name].clone();
                    todo.push(target.clone());
                    seen.push((name, target));
                }
                continue;
            }
            todo.extend(schema["items"].as_object().map(|_| schema["items"].clone()));
            for (_, property) in schema["properties"].as_object().into_iter().flatten() {
                todo.push(property.clone());
            }
        }
        seen
    }

    #[tokio::test]
    async fn no_response_schema_has_a_password_or_a_hash() {
        let doc = document().await;
        let schemas = response_schemas(&doc);
        assert!(schemas.iter().any(|(name, _)| name == "User"));
        for (name, schema) in schemas {
            for (property, _) in schema["properties"].as_object().into_iter().flatten() {
                assert!(
                    !property.contains("password") && !property.contains("secret"),
                    "response schema {name} has {property}"
                );
            }
        }
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn an_active_user_reads_their_items() {
        let resp = get_with(&client(), "/users/me/items/", &[b"Bearer johndoe"]).await;
        resp.assert_status_is_ok();
        resp.assert_json(json!([{"item_id": "Foo", "owner": "johndoe"}]))
            .await;
    }

    #[tokio::test]
    async fn items_are_behind_the_same_guards() {
        let cli = client();
        let resp = get_with(&cli, "/users/me/items/", &[b"Bearer alice"]).await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Inactive user"})).await;
        let resp = get_with(&cli, "/users/me/items/", &[b"Bearer nobody"]).await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_header("www-authenticate", "Bearer");
        resp.assert_json(json!({"detail": "Invalid authentication credentials"}))
            .await;
        let resp = get_with(&cli, "/users/me/items", &[]).await;
        resp.assert_status(StatusCode::UNAUTHORIZED);
        resp.assert_json(json!({"detail": "Not authenticated"}))
            .await;
    }

    fn jane() -> Value {
        json!({
            "username": "jane.doe",
            "password": "correct horse",
            "email": "jane@example.com",
            "full_name": "Jane Doe",
        })
    }

    #[tokio::test]
    async fn a_new_user_is_created_without_their_password() {
        let resp = client().post("/users/").body_json(&jane()).send().await;
        resp.assert_status(StatusCode::CREATED);
        resp.assert_json(json!({
            "username": "jane.doe",
            "email": "jane@example.com",
            "full_name": "Jane Doe",
            "disabled": false,
        }))
        .await;
    }

    #[tokio::test]
    async fn a_new_user_can_log_in_and_see_themselves() {
        let cli = client();
        cli.post("/users/")
            .body_json(&jane())
            .send()
            .await
            .assert_status(StatusCode::CREATED);
        let resp = post_form(&cli, "/token", "username=jane.doe&password=correct+horse").await;
        resp.assert_status_is_ok();
        resp.assert_json(token_of("jane.doe")).await;
        let resp = post_form(&cli, "/token", "username=jane.doe&password=correct").await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        let resp = get_with(&cli, "/users/me", &[b"Bearer jane.doe"]).await;
        resp.assert_status_is_ok();
        let (_, me) = body(resp).await;
        assert_eq!(me["username"], "jane.doe");
    }

    #[tokio::test]
    async fn only_the_email_and_full_name_are_optional() {
        let cli = client();
        let resp = cli
            .post("/users/")
            .body_json(&json!({"username": "bob", "password": "12345678"}))
            .send()
            .await;
        resp.assert_status(StatusCode::CREATED);
        resp.assert_json(
            json!({"username": "bob", "email": null, "full_name": null, "disabled": false}),
        )
        .await;
    }

    #[tokio::test]
    async fn a_taken_username_is_409() {
        let cli = client();
        for username in ["johndoe", "alice"] {
            let resp = cli
                .post("/users/")
                .body_json(&json!({"username": username, "password": "a new password"}))
                .send()
                .await;
            resp.assert_status(StatusCode::CONFLICT);
            resp.assert_json(json!({"detail": "Username already registered"}))
                .await;
        }
        // And johndoe's password did not change.
        post_form(&cli, "/token", "username=johndoe&password=secret")
            .await
            .assert_status_is_ok();
        cli.post("/users/")
            .body_json(&jane())
            .send()
            .await
            .assert_status(StatusCode::CREATED);
        let resp = cli.post("/users/").body_json(&jane()).send().await;
        resp.assert_status(StatusCode::CONFLICT);
    }

    #[tokio::test]
    async fn each_app_has_its_own_users() {
        client()
            .post("/users/")
            .body_json(&jane())
            .send()
            .await
            .assert_status(StatusCode::CREATED);
        let resp = post_form(
            &client(),
            "/token",
            "username=jane.doe&password=correct+horse",
        )
        .await;
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
            let resp = cli.post("/users/").body_json(&user).send().await;
            assert_one_problem(resp, json!(["body", field]), kind).await;
        }
        let resp = cli
            .post("/users/")
            .body_json(&json!({"username": "J", "password": "short", "email": "nope"}))
            .send()
            .await;
        let (status, body) = body(resp).await;
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
