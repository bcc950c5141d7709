//! Chapter 05's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.

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

    // ANCHOR: created_test
    #[tokio::test]
    async fn a_new_user_is_created_with_201_and_without_its_password() {
        let resp = post_user(&johndoe()).await;
        resp.assert_status(StatusCode::CREATED);
        resp.assert_json(
            json!({"username": "johndoe", "email": "johndoe@example.com", "full_name": "John Doe"}),
        )
        .await;
    }
    // ANCHOR_END: created_test

    #[tokio::test]
    async fn the_password_appears_nowhere_in_the_response() {
        let resp = post_user(&johndoe()).await;
        for (name, value) in resp.0.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            assert!(!value.contains("s3cr3t"), "{name}: {value}");
        }
        let text = text_of(resp).await;
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("password"), "{text}");
    }

    #[tokio::test]
    async fn an_absent_full_name_is_answered_as_null() {
        let resp =
            post_user(&json!({"username": "alice", "password": "p", "email": "alice@example.com"}))
                .await;
        resp.assert_status(StatusCode::CREATED);
        let text = text_of(resp).await;
        assert_eq!(
            text,
            r#"{"username":"alice","email":"alice@example.com","full_name":null}"#
        );
    }

    #[tokio::test]
    async fn a_null_full_name_is_answered_as_null() {
        let mut body = johndoe();
        body["full_name"] = Value::Null;
        let (status, body) = body_of(post_user(&body).await).await;
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
            let mut body = johndoe();
            body["email"] = json!(sent);
            let (status, body) = body_of(post_user(&body).await).await;
            assert_eq!(status, StatusCode::CREATED, "{sent:?}: {body}");
            assert_eq!(body["email"], answered, "{sent:?}");
        }
    }

    #[tokio::test]
    async fn an_invalid_email_is_422_at_the_email() {
        let mut body = johndoe();
        body["email"] = json!("johndoe.example.com");
        let (status, body) = body_of(post_user(&body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("invalid_email", body);
    }

    #[tokio::test]
    async fn every_kind_of_bad_email_is_a_value_error() {
        for email in [
            "",
            "john@",
            "@example.com",
            "two@@example.com",
            "john doe@example.com",
            // A domain without a dot is no address on the Internet.
            "john@localhost",
            "John <john@localhost>",
        ] {
            let mut body = johndoe();
            body["email"] = json!(email);
            let (status, body) = body_of(post_user(&body).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
            assert_eq!(
                problems(&body),
                vec![(json!("value_error"), json!(["body", "email"]))],
                "{email:?}"
            );
        }
    }

    #[tokio::test]
    async fn every_missing_field_is_listed() {
        let (status, body) = body_of(post_user(&json!({"full_name": "Nobody"})).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("missing_fields", body);
    }

    #[tokio::test]
    async fn a_value_of_the_wrong_type_is_422_at_its_field() {
        let cases = [
            ("email", json!(5), "string_type"),
            ("password", json!(true), "string_type"),
            ("password", json!(["p"]), "string_type"),
            ("username", Value::Null, "string_type"),
            ("username", json!({}), "string_type"),
            ("full_name", json!([]), "string_type"),
        ];
        for (field, value, kind) in cases {
            let mut body = johndoe();
            body[field] = value.clone();
            let (status, body) = body_of(post_user(&body).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {value}");
            assert_eq!(
                problems(&body),
                vec![(json!(kind), json!(["body", field]))],
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
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("malformed_json", body);
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
            let (status, body) = body_of(request.send().await).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{content_type:?} {text}"
            );
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
        let (status, body) = body_of(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["type"], "json_invalid");
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
    async fn no_response_schema_in_the_document_has_a_password() {
        let doc = document().await;
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["UserIn"]["properties"]["password"].is_object());
        assert_eq!(
            schemas["UserOut"]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["username", "email", "full_name"]
        );
        let created = &doc["paths"]["/user"]["post"]["responses"]["201"];
        assert_eq!(
            created["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
            "#/components/schemas/UserOut"
        );
        let text = doc["paths"].to_string();
        let responses: Vec<&str> = text
            .matches("\"$ref\":\"#/components/schemas/UserIn\"")
            .collect();
        assert_eq!(
            responses.len(),
            1,
            "UserIn is used once, as the request body"
        );
    }
}

mod items {
    use super::*;

    #[tokio::test]
    async fn the_item_list_has_the_two_items_with_nulls() {
        let resp = get("/items/").await;
        resp.assert_status_is_ok();
        let text = text_of(resp).await;
        assert_eq!(
            text,
            r#"[{"name":"Portal Gun","description":null,"price":42.0,"tax":null},{"name":"Plumbus","description":null,"price":32.0,"tax":null}]"#
        );
    }

    #[tokio::test]
    async fn the_list_answers_without_its_trailing_slash_too() {
        get("/items").await.assert_status_is_ok();
    }

    #[tokio::test]
    async fn each_item_of_the_catalogue_is_as_listed() {
        let catalogue = [
            (
                "foo",
                json!({"name": "Foo", "description": null, "price": 50.2, "tax": null}),
            ),
            (
                "bar",
                json!({"name": "Bar", "description": "The bartenders", "price": 62.0, "tax": 20.2}),
            ),
            (
                "baz",
                json!({"name": "Baz", "description": null, "price": 50.2, "tax": 10.5}),
            ),
        ];
        for (id, item) in catalogue {
            let resp = get(&format!("/items/{id}")).await;
            resp.assert_status_is_ok();
            resp.assert_json(item).await;
        }
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
    async fn item_ids_are_case_sensitive() {
        get("/items/FOO").await.assert_status(StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn odd_item_ids_are_not_found_never_a_crash() {
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
    async fn an_item_id_that_is_not_utf8_is_422() {
        let (status, body) = body_of(get("/items/%FF%FE").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
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
    async fn head_on_an_item_has_no_body() {
        let resp = client().head("/items/foo").send().await;
        resp.assert_status_is_ok();
        resp.assert_bytes(b"").await;
    }

    #[tokio::test]
    async fn the_document_declares_the_200_and_the_404_of_an_item() {
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
    async fn html_is_a_page_with_a_heading() {
        let resp = get("/html").await;
        resp.assert_status_is_ok();
        resp.assert_content_type("text/html; charset=utf-8");
        let page = text_of(resp).await;
        assert!(page.contains("<h1>"), "{page}");
    }

    #[tokio::test]
    async fn plain_text_has_no_quotes() {
        let resp = get("/plain").await;
        resp.assert_status_is_ok();
        resp.assert_content_type("text/plain; charset=utf-8");
        resp.assert_text("Hello World").await;
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
    async fn the_download_is_report_txt_as_an_attachment() {
        let resp = get("/download").await;
        resp.assert_status_is_ok();
        resp.assert_content_type("text/plain; charset=utf-8");
        resp.assert_header("content-disposition", "attachment; filename=\"report.txt\"");
        resp.assert_text(include_str!("../files/report.txt")).await;
    }

    #[tokio::test]
    async fn head_on_the_download_has_its_headers_and_no_body() {
        let resp = client().head("/download").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("content-disposition", "attachment; filename=\"report.txt\"");
        resp.assert_bytes(b"").await;
    }

    #[tokio::test]
    async fn the_document_declares_each_format() {
        let doc = document().await;
        let paths = &doc["paths"];
        let content = |path: &str| paths[path]["get"]["responses"]["200"]["content"].clone();
        assert!(content("/html")["text/html; charset=utf-8"].is_object());
        assert!(content("/plain")["text/plain; charset=utf-8"].is_object());
        assert!(content("/download")["text/plain; charset=utf-8"].is_object());
        let redirect = &paths["/redirect"]["get"]["responses"];
        assert!(redirect["200"].is_null(), "a redirect declares no 200");
        assert!(redirect["307"]["headers"]["LOCATION"]["required"] == json!(true));
        let download = &paths["/download"]["get"]["responses"]["200"];
        assert!(download["headers"]["CONTENT-DISPOSITION"].is_object());
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn only_the_fields_an_entry_sets_are_answered() {
        let expected = [
            ("foo", r#"{"name":"Foo","price":50.2}"#),
            (
                "bar",
                r#"{"name":"Bar","description":"The bartenders","price":62.0,"tax":20.2}"#,
            ),
            (
                "baz",
                r#"{"name":"Baz","description":null,"price":50.2,"tax":10.5}"#,
            ),
        ];
        for (id, text) in expected {
            let resp = get(&format!("/items/{id}/set")).await;
            resp.assert_status_is_ok();
            assert_eq!(text_of(resp).await, text, "{id}");
        }
    }

    #[tokio::test]
    async fn the_set_fields_filled_with_nulls_are_the_full_item() {
        for id in ["foo", "bar", "baz"] {
            let (_, mut sparse) = body_of(get(&format!("/items/{id}/set")).await).await;
            let (_, full) = body_of(get(&format!("/items/{id}")).await).await;
            for field in ["description", "tax"] {
                sparse
                    .as_object_mut()
                    .unwrap()
                    .entry(field)
                    .or_insert(Value::Null);
            }
            assert_eq!(sparse, full, "{id}");
        }
    }

    #[tokio::test]
    async fn the_name_view_has_the_name_and_the_description_only() {
        let expected = [
            ("foo", json!({"name": "Foo", "description": null})),
            (
                "bar",
                json!({"name": "Bar", "description": "The bartenders"}),
            ),
            ("baz", json!({"name": "Baz", "description": null})),
        ];
        for (id, view) in expected {
            let resp = get(&format!("/items/{id}/name")).await;
            resp.assert_status_is_ok();
            resp.assert_json(view).await;
        }
    }

    #[tokio::test]
    async fn a_vehicle_is_a_car_or_a_plane() {
        let resp = get("/vehicles/item1").await;
        resp.assert_json(json!({"description": "A small red car with four doors", "type": "car"}))
            .await;
        let resp = get("/vehicles/item2").await;
        resp.assert_json(
            json!({"description": "A glider with two seats", "size": 2, "type": "plane"}),
        )
        .await;
    }

    #[tokio::test]
    async fn unknown_ids_are_404_in_every_exercise() {
        for path in ["/items/nope/set", "/items/nope/name", "/vehicles/item3"] {
            let resp = get(path).await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Item not found"})).await;
        }
    }

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
