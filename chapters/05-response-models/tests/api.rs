//! Chapter 05's tests: what the grader does not check from outside.
//!
//! `program::the_grader_passes_every_check` runs every `05.*` check of the grader
//! (`tests/src/chapters/ch05.rs`) on the built program, so the HTTP contract is the grader's:
//! each row of it is checked there, not here. What stays here, in-process:
//!
//! - the two tests the book shows (`not_found_test`, `redirect_test`);
//! - the reviewed snapshots: the OpenAPI document, and whole bodies with their wording;
//! - what the document says beyond the grader's checks (which schema answers, which headers
//!   are required, a summary on every operation);
//! - requests no check sends: odd emails, values of the wrong type, odd item ids;
//! - the `Debug` output of a new user, which never shows the password.

use ch05_response_models::{UserIn, app};
use insta::assert_json_snapshot;
use kit::Docs;
use kit::EmailStr;
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use poem_openapi::types::Password;
use serde_json::{Value, json};

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default()))
}

async fn get(path: &str) -> TestResponse {
    client().get(path).send().await
}

async fn post_user(body: &Value) -> TestResponse {
    client().post("/user/").body_json(body).send().await
}

async fn body_of(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// The body of `resp`, which must be a 422.
async fn refusal(resp: TestResponse) -> Value {
    let (status, body) = body_of(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body
}

async fn text_of(resp: TestResponse) -> String {
    resp.0
        .into_body()
        .into_string()
        .await
        .expect("the body is UTF-8 text")
}

async fn document() -> Value {
    kit::testing::json(get("/openapi.json").await).await
}

fn johndoe() -> Value {
    json!({"username": "johndoe", "password": "s3cr3t-pa55", "email": "johndoe@example.com", "full_name": "John Doe"})
}

/// johndoe's sign-up, with `field` set to `value`.
fn johndoe_with(field: &str, value: Value) -> Value {
    let mut user = johndoe();
    user[field] = value;
    user
}

/// The `(type, loc)` of every problem of a 422 body.
fn problems(body: &Value) -> Vec<(Value, Value)> {
    body["detail"]
        .as_array()
        .expect("a 422 body has a detail list")
        .iter()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect()
}

mod users {
    use super::*;

    #[tokio::test]
    async fn a_null_full_name_is_answered_as_null() {
        let (status, body) =
            body_of(post_user(&johndoe_with("full_name", Value::Null)).await).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["full_name"], Value::Null);
    }

    #[tokio::test]
    async fn the_email_is_read_as_pydantic_reads_an_email_str() {
        // Spaces stripped, `Name <addr>` reduced, the domain lower-cased (ASCII letters
        // only: the Kelvin sign U+212A stays), the part before the `@` as typed.
        for (sent, answered) in [
            ("John.Doe+tag@Example.COM", "John.Doe+tag@example.com"),
            ("  John Doe <John.Doe@EXAMPLE.com> ", "John.Doe@example.com"),
            ("\u{212A}elvin@Example.com", "\u{212A}elvin@example.com"),
        ] {
            let (status, body) =
                body_of(post_user(&johndoe_with("email", json!(sent))).await).await;
            assert_eq!(status, StatusCode::CREATED, "{sent:?}: {body}");
            assert_eq!(body["email"], answered, "{sent:?}");
        }
    }

    #[tokio::test]
    async fn an_invalid_email_is_422_at_the_email() {
        let resp = post_user(&johndoe_with("email", json!("johndoe.example.com"))).await;
        assert_json_snapshot!("invalid_email", refusal(resp).await);
    }

    #[tokio::test]
    async fn every_kind_of_bad_email_is_a_value_error() {
        for email in [
            "",
            "two@@example.com",
            "john doe@example.com",
            // A domain without a dot is no address on the Internet.
            "john@localhost",
            "John <john@localhost>",
        ] {
            let body = refusal(post_user(&johndoe_with("email", json!(email))).await).await;
            assert_eq!(
                problems(&body),
                vec![(json!("value_error"), json!(["body", "email"]))],
                "{email:?}"
            );
        }
    }

    #[tokio::test]
    async fn every_missing_field_is_listed() {
        let body = refusal(post_user(&json!({"full_name": "Nobody"})).await).await;
        assert_json_snapshot!("missing_fields", body);
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_type_is_a_string_type_problem_at_its_field() {
        let cases = [
            ("email", json!(5)),
            ("password", json!(true)),
            ("password", json!(["p"])),
            ("username", Value::Null),
            ("username", json!({})),
            ("full_name", json!([])),
        ];
        for (field, value) in cases {
            let body = refusal(post_user(&johndoe_with(field, value.clone())).await).await;
            assert_eq!(
                problems(&body),
                vec![(json!("string_type"), json!(["body", field]))],
                "{field}: {value}"
            );
        }
    }

    #[tokio::test]
    async fn malformed_json_is_422_json_invalid() {
        let resp = client()
            .post("/user/")
            .content_type("application/json")
            .body(r#"{"username": "johndoe", "password": "#)
            .send()
            .await;
        assert_json_snapshot!("malformed_json", refusal(resp).await);
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_json_object_is_422_at_the_body() {
        let cases = [
            (Some("application/json"), "[1, 2]".to_owned()),
            (Some("application/json"), "\"johndoe\"".to_owned()),
            (Some("application/json"), String::new()),
            (Some("text/plain"), johndoe().to_string()),
            (None, johndoe().to_string()),
        ];
        for (content_type, text) in cases {
            let cli = client();
            let mut request = cli.post("/user/").body(text.clone());
            if let Some(content_type) = content_type {
                request = request.content_type(content_type);
            }
            let body = refusal(request.send().await).await;
            assert_eq!(
                body["detail"][0]["loc"],
                json!(["body"]),
                "{content_type:?} {text}"
            );
        }
    }

    #[tokio::test]
    async fn bytes_that_are_not_utf8_in_the_body_are_422() {
        let mut bytes = br#"{"username": ""#.to_vec();
        bytes.extend([0xFF, 0xFE]);
        bytes.extend(br#"", "password": "p", "email": "a@example.com"}"#);
        let resp = client()
            .post("/user/")
            .content_type("application/json")
            .body(bytes)
            .send()
            .await;
        assert_eq!(refusal(resp).await["detail"][0]["type"], "json_invalid");
    }

    #[tokio::test]
    async fn a_get_on_the_user_route_is_405() {
        let resp = get("/user/").await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("allow", "POST");
    }

    #[test]
    fn the_debug_output_of_a_new_user_hides_the_password() {
        let user = UserIn {
            username: "johndoe".to_owned(),
            password: Password("s3cr3t".to_owned()),
            email: EmailStr::new_unchecked("johndoe@example.com"),
            full_name: None,
        };
        let shown = format!("{user:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("johndoe@example.com"), "{shown}");
    }

    #[tokio::test]
    async fn the_201_is_a_user_out_and_user_in_is_only_the_request_body() {
        let doc = document().await;
        let out = doc["components"]["schemas"]["UserOut"]["properties"]
            .as_object()
            .map(|properties| properties.keys().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            out,
            Some(vec!["username", "email", "full_name"]),
            "UserOut's members"
        );
        let created = &doc["paths"]["/user"]["post"]["responses"]["201"];
        assert_eq!(
            created["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
            "#/components/schemas/UserOut"
        );
        let uses = doc["paths"]
            .to_string()
            .matches("\"$ref\":\"#/components/schemas/UserIn\"")
            .count();
        assert_eq!(uses, 1, "UserIn is used once, as the request body");
    }
}

mod items {
    use super::*;

    #[tokio::test]
    async fn the_list_answers_without_its_trailing_slash_too() {
        get("/items").await.assert_status_is_ok();
    }

    // ANCHOR: not_found_test
    #[tokio::test]
    async fn an_unknown_item_is_404_with_its_detail() {
        let resp = get("/items/nope").await;
        resp.assert_status(StatusCode::NOT_FOUND);
        resp.assert_json(json!({"detail": "Item not found"})).await;
    }
    // ANCHOR_END: not_found_test

    #[tokio::test]
    async fn odd_item_ids_are_404_item_not_found() {
        let long = "x".repeat(10_000);
        for id in [
            "99999999999999999999",
            "-1",
            "foo%2Fbar",
            "%20",
            "foo%00",
            long.as_str(),
        ] {
            let resp = get(&format!("/items/{id}")).await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Item not found"})).await;
        }
    }

    #[tokio::test]
    async fn an_item_id_that_is_not_utf8_is_a_string_unicode_problem() {
        let body = refusal(get("/items/%FF%FE").await).await;
        assert_eq!(
            problems(&body),
            vec![(json!("string_unicode"), json!(["path", "item_id"]))]
        );
    }

    #[tokio::test]
    async fn a_query_does_not_change_the_item() {
        let (_, body) = body_of(get("/items/foo?item_id=bar&item_id=baz").await).await;
        assert_eq!(body["name"], "Foo");
    }

    #[tokio::test]
    async fn the_200_and_the_404_of_an_item_are_an_item_and_a_detail() {
        let doc = document().await;
        let responses = &doc["paths"]["/items/{item_id}"]["get"]["responses"];
        let media = "application/json; charset=utf-8";
        assert_eq!(
            responses["200"]["content"][media]["schema"]["$ref"],
            "#/components/schemas/Item"
        );
        assert_eq!(
            responses["404"]["content"][media]["schema"]["$ref"],
            "#/components/schemas/Detail"
        );
    }
}

mod formats {
    use super::*;

    #[tokio::test]
    async fn every_text_answer_says_it_is_utf_8() {
        for (path, content_type) in [
            ("/html", "text/html; charset=utf-8"),
            ("/plain", "text/plain; charset=utf-8"),
            ("/download", "text/plain; charset=utf-8"),
        ] {
            let resp = get(path).await;
            resp.assert_status_is_ok();
            resp.assert_content_type(content_type);
        }
    }

    // ANCHOR: redirect_test
    #[tokio::test]
    async fn the_redirect_is_a_307_to_the_docs() {
        let resp = get("/redirect").await;
        resp.assert_status(StatusCode::TEMPORARY_REDIRECT);
        resp.assert_header("location", "/docs");
        resp.assert_bytes(b"").await;
    }
    // ANCHOR_END: redirect_test

    #[tokio::test]
    async fn the_redirect_leads_to_swagger_ui() {
        let resp = get("/redirect").await;
        let location = resp.0.headers()["location"].to_str().unwrap().to_owned();
        let page = text_of(get(&location).await).await;
        assert!(page.contains("SwaggerUIBundle"));
    }

    #[tokio::test]
    async fn the_download_is_report_txt_as_written() {
        let resp = get("/download").await;
        resp.assert_status_is_ok();
        resp.assert_text(include_str!("../files/report.txt")).await;
    }

    #[tokio::test]
    async fn head_on_the_download_keeps_its_content_disposition() {
        let resp = client().head("/download").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("content-disposition", "attachment; filename=\"report.txt\"");
    }

    #[tokio::test]
    async fn the_document_declares_the_download_and_the_redirect_exactly() {
        let doc = document().await;
        let paths = &doc["paths"];
        let download = &paths["/download"]["get"]["responses"]["200"];
        assert!(download["content"]["text/plain; charset=utf-8"].is_object());
        let redirect = &paths["/redirect"]["get"]["responses"];
        assert!(redirect["200"].is_null(), "a redirect declares no 200");
        assert_eq!(redirect["307"]["headers"]["LOCATION"]["required"], true);
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn the_vehicle_schema_is_one_of_two_told_apart_by_type() {
        let doc = document().await;
        let vehicle = &doc["components"]["schemas"]["Vehicle"];
        assert_eq!(vehicle["anyOf"].as_array().map(Vec::len), Some(2));
        assert_eq!(vehicle["discriminator"]["propertyName"], "type");
    }
}

#[tokio::test]
async fn the_openapi_document_is_as_reviewed() {
    assert_json_snapshot!("openapi", document().await);
}

#[tokio::test]
async fn representative_bodies_are_as_reviewed() {
    let (_, created) = body_of(post_user(&johndoe()).await).await;
    assert_json_snapshot!("created_user", created);
    let (_, items) = body_of(get("/items/").await).await;
    assert_json_snapshot!("items", items);
}

#[tokio::test]
async fn every_operation_has_a_summary_a_description_and_a_tag() {
    let doc = document().await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for field in ["summary", "description"] {
                assert!(
                    op[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path} has no {field}"
                );
            }
            assert!(op["tags"][0].is_string(), "{method} {path} has no tag");
        }
    }
}

/// The program itself, graded from outside as an instructor grades it.
mod program {
    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("05", env!("CARGO_BIN_EXE_ch05-response-models")).await;
        assert!(report.passed(), "{}", report.to_text());
    }
}
