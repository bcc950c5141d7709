//! Chapter 06's tests: what the grader does not check from outside.
//!
//! `program::the_grader_passes_every_check` runs every `06.*` check of the grader
//! (`tests/src/chapters/ch06.rs`) on the built program, so the HTTP contract is the grader's:
//! each row of it is checked there, not here. What stays here, in-process:
//!
//! - the two tests the book shows (`guard_test`, `session_test`);
//! - state only a fresh app shows: the first session is number 1, each app has its own
//!   counts, the request ids a new app makes;
//! - the reviewed snapshots: the OpenAPI document, and whole error bodies with their wording;
//! - what the document says beyond the grader's checks (required, defaults, the cookie);
//! - requests no check sends: repeated parameters and headers, header names in any case,
//!   binary header values, overlapping requests to the cache.

use std::sync::Arc;

use ch06_dependencies::app;
use insta::assert_json_snapshot;
use kit::Docs;
use poem::Endpoint;
use poem::http::{HeaderValue, StatusCode};
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

const TOKEN: &str = "fake-super-secret-token";
const KEY: &str = "fake-super-secret-key";

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default()))
}

async fn get(path: &str) -> TestResponse {
    client().get(path).send().await
}

async fn body_of(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

async fn document() -> Value {
    kit::testing::json(get("/openapi.json").await).await
}

/// The `(type, loc)` of every problem of `resp`, which must be a 422.
async fn problems(resp: TestResponse) -> Vec<(Value, Value)> {
    let (status, body) = body_of(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["detail"]
        .as_array()
        .expect("a 422 body has a detail list")
        .iter()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect()
}

/// One `(type, loc)` problem, as [`problems`] lists them.
fn problem(kind: &str, loc: Value) -> (Value, Value) {
    (json!(kind), loc)
}

/// The `(name, in, required)` of every parameter of an operation in the document.
fn parameters(doc: &Value, path: &str) -> Vec<(String, String, bool)> {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["in"].as_str().unwrap_or_default().to_owned(),
                p["required"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

fn param(name: &str, source: &str, required: bool) -> (String, String, bool) {
    (name.to_owned(), source.to_owned(), required)
}

mod parameters {
    use super::*;

    #[tokio::test]
    async fn a_path_without_its_trailing_slash_answers_too() {
        get("/items?skip=1")
            .await
            .assert_json(json!({"q": null, "skip": 1, "limit": 100}))
            .await;
    }

    #[tokio::test]
    async fn an_empty_q_is_an_empty_string_not_null() {
        get("/items/?q=")
            .await
            .assert_json(json!({"q": "", "skip": 0, "limit": 100}))
            .await;
    }

    #[tokio::test]
    async fn of_a_repeated_parameter_the_last_value_counts() {
        get("/users/?skip=1&skip=2&q=a&q=b")
            .await
            .assert_json(json!({"q": "b", "skip": 2, "limit": 100}))
            .await;
    }

    #[tokio::test]
    async fn a_bad_skip_and_a_bad_limit_are_both_listed() {
        assert_eq!(
            problems(get("/items/?skip=abc&limit=2.0").await).await,
            vec![
                problem("int_parsing", json!(["query", "skip"])),
                problem("int_parsing", json!(["query", "limit"])),
            ]
        );
    }

    #[tokio::test]
    async fn integers_beyond_i64_either_way_are_one_problem() {
        for path in [
            "/items/?skip=99999999999999999999",
            "/users/?limit=-99999999999999999999",
        ] {
            assert_eq!(problems(get(path).await).await.len(), 1, "{path}");
        }
    }

    #[tokio::test]
    async fn a_query_that_is_not_utf8_is_read_with_replacement_characters() {
        get("/items/?q=%FF")
            .await
            .assert_json(json!({"q": "\u{FFFD}", "skip": 0, "limit": 100}))
            .await;
    }

    #[tokio::test]
    async fn both_operations_document_the_three_parameters_as_optional() {
        let doc = document().await;
        for path in ["/items", "/users"] {
            assert_eq!(
                parameters(&doc, path),
                vec![
                    param("q", "query", false),
                    param("skip", "query", false),
                    param("limit", "query", false),
                ],
                "{path}"
            );
            let limit = &doc["paths"][path]["get"]["parameters"][2]["schema"];
            assert_eq!(limit["default"], json!(100), "{path}");
        }
    }
}

mod class_items {
    use super::*;

    #[tokio::test]
    async fn q_comes_first_in_the_answer() {
        let resp = get("/class-items/?q=foo&limit=1").await;
        let text = resp.0.into_body().into_string().await.unwrap();
        assert_eq!(text, r#"{"q":"foo","items":[{"item_name":"Foo"}]}"#);
    }

    #[tokio::test]
    async fn negative_skip_and_limit_are_each_a_422() {
        let (status, body) = body_of(get("/class-items/?skip=-1&limit=-5").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("class_items_negative", body);
    }
}

mod query_or_cookie {
    use super::*;

    #[tokio::test]
    async fn only_the_last_query_cookie_counts_among_others() {
        for (cookie, expected) in [
            ("theme=dark; last_query=old", json!("old")),
            ("other=1", Value::Null),
        ] {
            let resp = client()
                .get("/query-or-cookie/?q=")
                .header("cookie", cookie)
                .send()
                .await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({"q_or_cookie": expected})).await;
        }
    }

    #[tokio::test]
    async fn the_cookie_is_documented_beside_the_query() {
        let doc = document().await;
        assert_eq!(
            parameters(&doc, "/query-or-cookie"),
            vec![
                param("q", "query", false),
                param("last_query", "cookie", false)
            ]
        );
    }
}

mod guards {
    use super::*;

    /// Every guarded path and what it answers when both headers are right.
    fn guarded() -> [(&'static str, Value); 3] {
        [
            (
                "/protected-items/",
                json!([{"item": "Foo"}, {"item": "Bar"}]),
            ),
            (
                "/global/items/",
                json!([{"item": "Portal Gun"}, {"item": "Plumbus"}]),
            ),
            (
                "/global/users/",
                json!([{"username": "Rick"}, {"username": "Morty"}]),
            ),
        ]
    }

    async fn with_headers(path: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
        let cli = client();
        let mut request = cli.get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        body_of(request.send().await).await
    }

    fn missing(header: &str) -> Value {
        json!({"detail": [{"type": "missing", "loc": ["header", header], "msg": "Field required", "input": null}]})
    }

    // ANCHOR: guard_test
    #[tokio::test]
    async fn both_right_headers_let_the_request_through() {
        for (path, expected) in guarded() {
            let (status, body) = with_headers(path, &[("X-Token", TOKEN), ("X-Key", KEY)]).await;
            assert_eq!((status, body), (StatusCode::OK, expected), "{path}");
        }
    }

    #[tokio::test]
    async fn a_wrong_token_is_a_400_that_says_so() {
        for (path, _) in guarded() {
            let (status, body) = with_headers(path, &[("X-Token", "nope"), ("X-Key", KEY)]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(body, json!({"detail": "X-Token header invalid"}), "{path}");
        }
    }
    // ANCHOR_END: guard_test

    #[tokio::test]
    async fn the_routers_checks_answer_token_before_key_too() {
        for path in ["/global/items/", "/global/users/"] {
            // The token's check fails first: the missing key is never looked at.
            let (status, body) = with_headers(path, &[("X-Token", "nope")]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(body, json!({"detail": "X-Token header invalid"}), "{path}");
            // A missing token fails first: the wrong key is never looked at.
            let (status, body) = with_headers(path, &[("X-Key", "nope")]).await;
            assert_eq!(
                (status, body),
                (StatusCode::UNPROCESSABLE_ENTITY, missing("x-token")),
                "{path}"
            );
        }
    }

    #[tokio::test]
    async fn header_names_match_in_any_case() {
        for (path, _) in guarded() {
            let (status, _) = with_headers(path, &[("x-token", TOKEN), ("X-KEY", KEY)]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }

    #[tokio::test]
    async fn padded_upper_case_or_binary_tokens_are_invalid_not_a_crash() {
        let values = [
            HeaderValue::from_str(&format!("{TOKEN} ")).unwrap(),
            HeaderValue::from_static("FAKE-SUPER-SECRET-TOKEN"),
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        ];
        for value in values {
            let resp = client()
                .get("/protected-items/")
                .header("X-Token", value.clone())
                .header("X-Key", KEY)
                .send()
                .await;
            let (status, body) = body_of(resp).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{value:?}");
            assert_eq!(body, json!({"detail": "X-Token header invalid"}));
        }
    }

    #[tokio::test]
    async fn of_two_token_headers_the_first_counts() {
        let (status, _) = with_headers(
            "/protected-items/",
            &[("X-Token", TOKEN), ("X-Token", "nope"), ("X-Key", KEY)],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = with_headers(
            "/global/items/",
            &[("X-Token", "nope"), ("X-Token", TOKEN), ("X-Key", KEY)],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn every_guarded_operation_documents_both_headers_as_required_and_the_400() {
        let doc = document().await;
        for path in ["/protected-items", "/global/items", "/global/users"] {
            assert_eq!(
                parameters(&doc, path),
                vec![
                    param("X-Token", "header", true),
                    param("X-Key", "header", true)
                ],
                "{path}"
            );
            let responses = &doc["paths"][path]["get"]["responses"];
            for status in ["200", "400", "422"] {
                assert!(responses[status].is_object(), "{path} {status}");
            }
        }
    }

    #[tokio::test]
    async fn the_router_checks_only_its_own_routes() {
        let (status, body) = with_headers("/global/nowhere", &[]).await;
        assert_eq!(
            (status, body),
            (StatusCode::NOT_FOUND, json!({"detail": "Not Found"}))
        );
        // Other operations do not ask for the headers.
        get("/items/").await.assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_wrong_method_on_a_guarded_route_is_a_405() {
        let resp = client().post("/global/items/").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("allow", "GET, HEAD");
    }
}

mod caching {
    use super::*;

    #[tokio::test]
    async fn the_cache_lives_for_one_request_even_when_they_overlap() {
        let cli = Arc::new(client());
        let mut requests = tokio::task::JoinSet::new();
        for i in 0..40 {
            let cli = Arc::clone(&cli);
            let path = if i % 2 == 0 { "/cached/" } else { "/uncached/" };
            requests.spawn(async move {
                let (_, body) = body_of(cli.get(path).send().await).await;
                (path, body)
            });
        }
        while let Some(done) = requests.join_next().await {
            let (path, body) = done.unwrap();
            let expected = if path == "/cached/" { 1 } else { 2 };
            assert_eq!(body, json!({"calls": expected}), "{path}");
        }
    }
}

mod session {
    use super::*;

    async fn stats(cli: &TestClient<impl Endpoint>) -> (u64, u64) {
        let (_, body) = body_of(cli.get("/session/stats").send().await).await;
        let count = |key: &str| body[key].as_u64().expect("a count");
        (count("opened"), count("closed"))
    }

    // ANCHOR: session_test
    #[tokio::test]
    async fn a_session_is_opened_and_closed_by_the_time_the_answer_arrives() {
        let cli = client();
        assert_eq!(stats(&cli).await, (0, 0));
        let resp = cli.get("/session/").send().await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"session": 1})).await;
        assert_eq!(stats(&cli).await, (1, 1));
    }

    #[tokio::test]
    async fn a_failing_operation_answers_400_and_still_closes_its_session() {
        let cli = client();
        let resp = cli.get("/session/?fail=true").send().await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        resp.assert_json(json!({"detail": "Requested failure"}))
            .await;
        assert_eq!(stats(&cli).await, (1, 1));
    }
    // ANCHOR_END: session_test

    #[tokio::test]
    async fn each_session_gets_the_next_number() {
        let cli = client();
        for n in 1..=3 {
            cli.get("/session/?fail=false")
                .send()
                .await
                .assert_json(json!({"session": n}))
                .await;
        }
        cli.get("/session/?fail=true").send().await;
        cli.get("/session/")
            .send()
            .await
            .assert_json(json!({"session": 5}))
            .await;
    }

    #[tokio::test]
    async fn every_app_counts_its_own_sessions() {
        let first = client();
        first.get("/session/").send().await;
        assert_eq!(stats(&client()).await, (0, 0));
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn a_new_app_numbers_the_request_ids_it_makes() {
        let cli = client();
        let (_, first) = body_of(cli.get("/traced/items/").send().await).await;
        let (_, second) = body_of(cli.get("/traced/users/").send().await).await;
        assert_eq!(first["request_id"], json!("req-1"));
        assert_eq!(second["request_id"], json!("req-2"));
        assert_eq!(second["users"], json!(["Rick", "Morty"]));
    }

    #[tokio::test]
    async fn a_request_id_that_is_too_long_or_not_visible_ascii_is_a_422() {
        let long = "a".repeat(65);
        let cases = [
            (HeaderValue::from_str(&long).unwrap(), "string_too_long"),
            (HeaderValue::from_static("a b"), "string_pattern_mismatch"),
            (HeaderValue::from_static(""), "string_pattern_mismatch"),
            (
                HeaderValue::from_bytes(b"\xffab").unwrap(),
                "string_pattern_mismatch",
            ),
        ];
        for (value, kind) in cases {
            let resp = client()
                .get("/traced/items/")
                .header("X-Request-Id", value.clone())
                .send()
                .await;
            assert_eq!(
                problems(resp).await,
                vec![problem(kind, json!(["header", "x-request-id"]))],
                "{value:?}"
            );
        }
        let resp = client()
            .get("/traced/items/")
            .header("X-Request-Id", "a".repeat(64))
            .send()
            .await;
        resp.assert_status_is_ok();
    }

    #[tokio::test]
    async fn the_request_id_is_documented_as_an_optional_header() {
        let doc = document().await;
        for path in ["/traced/items", "/traced/users"] {
            assert_eq!(
                parameters(&doc, path),
                vec![param("X-Request-Id", "header", false)]
            );
        }
    }

    #[tokio::test]
    async fn the_largest_skip_gives_an_empty_page() {
        let max = i64::MAX;
        get(&format!("/paginated-items/?skip={max}"))
            .await
            .assert_json(json!({"skip": max, "limit": 10, "total": 100, "items": []}))
            .await;
    }

    #[tokio::test]
    async fn a_limit_over_the_paginators_maximum_is_a_422() {
        let (status, body) = body_of(get("/paginated-items/?limit=51").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("paginator_over_the_maximum", body);
        assert_eq!(
            problems(get("/paginated-items/?limit=0&skip=-1").await).await,
            vec![
                problem("greater_than_equal", json!(["query", "skip"])),
                problem("greater_than_equal", json!(["query", "limit"])),
            ]
        );
    }
}

#[tokio::test]
async fn the_openapi_document_is_as_reviewed() {
    assert_json_snapshot!("openapi", document().await);
}

#[tokio::test]
async fn a_missing_token_body_is_as_reviewed() {
    let (_, body) = body_of(get("/protected-items/").await).await;
    assert_json_snapshot!("missing_token", body);
}

/// The program itself, graded from outside.
mod program {
    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("06", env!("CARGO_BIN_EXE_ch06-dependencies")).await;
        assert!(report.passed(), "{}", report.to_text());
    }
}
