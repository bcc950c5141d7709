//! Chapter 06's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.

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

/// The `(type, loc)` of every problem of a 422 body.
fn problems(body: &Value) -> Vec<(Value, Value)> {
    body["detail"]
        .as_array()
        .expect("a 422 body has a detail list")
        .iter()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect()
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

    // ANCHOR: common_test
    #[tokio::test]
    async fn items_and_users_share_the_common_parameters_and_their_defaults() {
        for path in ["/items/", "/users/"] {
            let resp = get(path).await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({"q": null, "skip": 0, "limit": 100}))
                .await;
        }
    }
    // ANCHOR_END: common_test

    #[tokio::test]
    async fn the_common_parameters_echo_what_is_sent() {
        for path in ["/items/", "/users/"] {
            let resp = get(&format!("{path}?q=portal&skip=-3&limit=7")).await;
            resp.assert_json(json!({"q": "portal", "skip": -3, "limit": 7}))
                .await;
        }
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
    async fn a_skip_that_is_not_an_integer_is_a_422_that_names_it() {
        let (status, body) = body_of(get("/items/?skip=abc&limit=2.0").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problems(&body),
            vec![
                (json!("int_parsing"), json!(["query", "skip"])),
                (json!("int_parsing"), json!(["query", "limit"])),
            ]
        );
    }

    #[tokio::test]
    async fn integers_beyond_i64_are_422_not_500() {
        for path in [
            "/items/?skip=99999999999999999999",
            "/users/?limit=-99999999999999999999",
            "/class-items/?skip=99999999999999999999",
        ] {
            let (status, body) = body_of(get(path).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
            assert_eq!(body["detail"].as_array().map(Vec::len), Some(1), "{path}");
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
    async fn both_operations_document_the_three_parameters() {
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

    fn items(names: &[&str]) -> Value {
        names
            .iter()
            .map(|name| json!({"item_name": name}))
            .collect()
    }

    #[tokio::test]
    async fn without_parameters_every_item_is_listed_and_q_is_left_out() {
        get("/class-items/")
            .await
            .assert_json(json!({"items": items(&["Foo", "Bar", "Baz"])}))
            .await;
    }

    #[tokio::test]
    async fn skip_and_limit_slice_the_catalogue() {
        let cases = [
            ("skip=1", vec!["Bar", "Baz"]),
            ("limit=1", vec!["Foo"]),
            ("skip=1&limit=1", vec!["Bar"]),
            ("skip=2&limit=5", vec!["Baz"]),
            ("skip=3", vec![]),
            ("limit=0", vec![]),
        ];
        for (query, names) in cases {
            get(&format!("/class-items/?{query}"))
                .await
                .assert_json(json!({"items": items(&names)}))
                .await;
        }
    }

    #[tokio::test]
    async fn q_is_repeated_first_when_given_and_left_out_when_empty() {
        let resp = get("/class-items/?q=foo&limit=1").await;
        let text = resp.0.into_body().into_string().await.unwrap();
        assert_eq!(text, r#"{"q":"foo","items":[{"item_name":"Foo"}]}"#);
        get("/class-items/?q=&limit=1")
            .await
            .assert_json(json!({"items": items(&["Foo"])}))
            .await;
    }

    #[tokio::test]
    async fn negative_skip_and_limit_are_each_a_422() {
        let (status, body) = body_of(get("/class-items/?skip=-1&limit=-5").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("class_items_negative", body);
    }

    #[tokio::test]
    async fn the_largest_skip_and_limit_give_fewer_items_without_a_panic() {
        let max = i64::MAX;
        get(&format!("/class-items/?skip={max}&limit={max}"))
            .await
            .assert_json(json!({"items": []}))
            .await;
        get(&format!("/class-items/?skip=1&limit={max}"))
            .await
            .assert_json(json!({"items": items(&["Bar", "Baz"])}))
            .await;
    }
}

mod query_or_cookie {
    use super::*;

    async fn q_or_cookie(query: &str, cookie: Option<&str>) -> Value {
        let cli = client();
        let mut request = cli.get(format!("/query-or-cookie/{query}"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let (status, body) = body_of(request.send().await).await;
        assert_eq!(status, StatusCode::OK, "{query} {cookie:?}");
        body["q_or_cookie"].clone()
    }

    #[tokio::test]
    async fn q_wins_over_the_cookie() {
        assert_eq!(
            q_or_cookie("?q=new", Some("last_query=old")).await,
            json!("new")
        );
        assert_eq!(q_or_cookie("?q=new", None).await, json!("new"));
    }

    #[tokio::test]
    async fn without_q_or_with_an_empty_one_the_cookie_answers() {
        assert_eq!(q_or_cookie("", Some("last_query=old")).await, json!("old"));
        assert_eq!(
            q_or_cookie("?q=", Some("theme=dark; last_query=old")).await,
            json!("old")
        );
    }

    #[tokio::test]
    async fn with_neither_the_answer_is_null() {
        assert_eq!(q_or_cookie("", None).await, Value::Null);
        assert_eq!(q_or_cookie("?q=", Some("other=1")).await, Value::Null);
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
    async fn a_wrong_key_is_a_400_that_says_so() {
        for (path, _) in guarded() {
            let (status, body) = with_headers(path, &[("X-Token", TOKEN), ("X-Key", "nope")]).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            assert_eq!(body, json!({"detail": "X-Key header invalid"}), "{path}");
        }
    }

    #[tokio::test]
    async fn a_missing_header_is_a_422_that_names_it_in_lower_case() {
        for (path, _) in guarded() {
            let (status, body) = with_headers(path, &[("X-Key", KEY)]).await;
            assert_eq!(
                (status, body),
                (StatusCode::UNPROCESSABLE_ENTITY, missing("x-token")),
                "{path}"
            );
            let (status, body) = with_headers(path, &[("X-Token", TOKEN)]).await;
            assert_eq!(
                (status, body),
                (StatusCode::UNPROCESSABLE_ENTITY, missing("x-key")),
                "{path}"
            );
        }
    }

    #[tokio::test]
    async fn the_first_failing_check_answers_token_before_key() {
        for (path, _) in guarded() {
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
            let (status, body) = with_headers(path, &[]).await;
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
    async fn empty_padded_or_binary_values_are_invalid_not_a_crash() {
        let values = [
            HeaderValue::from_static(""),
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
    async fn every_guarded_operation_documents_both_headers_and_the_400() {
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
    async fn the_document_never_shows_the_expected_values() {
        let doc = document().await.to_string();
        assert!(!doc.contains(TOKEN) && !doc.contains(KEY));
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
    async fn a_dependency_needed_twice_runs_once_per_request() {
        let cli = client();
        for _ in 0..3 {
            let resp = cli.get("/cached/").send().await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({"calls": 1})).await;
        }
    }

    #[tokio::test]
    async fn with_caching_switched_off_it_runs_for_each_use() {
        let cli = client();
        for _ in 0..3 {
            let resp = cli.get("/uncached/").send().await;
            resp.assert_json(json!({"calls": 2})).await;
        }
    }

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
    async fn a_bad_fail_value_is_a_422_and_the_session_is_closed_anyway() {
        let cli = client();
        let (status, body) = body_of(cli.get("/session/?fail=maybe").send().await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problems(&body),
            vec![(json!("bool_parsing"), json!(["query", "fail"]))]
        );
        let (opened, closed) = stats(&cli).await;
        assert_eq!(opened, closed);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_sessions_at_once_are_all_closed() {
        let cli = Arc::new(client());
        let mut requests = tokio::task::JoinSet::new();
        for i in 0..100 {
            let cli = Arc::clone(&cli);
            let path = if i % 3 == 0 {
                "/session/?fail=true"
            } else {
                "/session/"
            };
            requests.spawn(async move { body_of(cli.get(path).send().await).await });
        }
        let mut numbers = Vec::new();
        while let Some(done) = requests.join_next().await {
            let (status, body) = done.unwrap();
            if status == StatusCode::OK {
                numbers.push(body["session"].as_u64().unwrap());
            } else {
                assert_eq!(status, StatusCode::BAD_REQUEST);
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), 66, "every session has its own number");
        assert_eq!(stats(&cli).await, (100, 100));
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
    async fn a_sent_request_id_is_answered_by_both_operations() {
        for path in ["/traced/items/", "/traced/users/"] {
            let resp = client()
                .get(path)
                .header("X-Request-Id", "abc-123")
                .send()
                .await;
            let (status, body) = body_of(resp).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["request_id"], json!("abc-123"), "{path}");
        }
    }

    #[tokio::test]
    async fn without_a_request_id_the_server_makes_a_new_one_each_time() {
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
            let (status, body) = body_of(resp).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{value:?}");
            assert_eq!(
                problems(&body),
                vec![(json!(kind), json!(["header", "x-request-id"]))],
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

    fn numbered(range: std::ops::RangeInclusive<i64>) -> Value {
        range
            .map(|n| json!({"item_name": format!("Item {n}")}))
            .collect()
    }

    #[tokio::test]
    async fn the_paginator_gives_ten_items_by_default() {
        get("/paginated-items/")
            .await
            .assert_json(json!({"skip": 0, "limit": 10, "total": 100, "items": numbered(1..=10)}))
            .await;
    }

    #[tokio::test]
    async fn the_paginator_slices_and_stops_at_the_end() {
        get("/paginated-items/?skip=20&limit=50")
            .await
            .assert_json(json!({"skip": 20, "limit": 50, "total": 100, "items": numbered(21..=70)}))
            .await;
        get("/paginated-items/?skip=97&limit=5")
            .await
            .assert_json(json!({"skip": 97, "limit": 5, "total": 100, "items": numbered(98..=100)}))
            .await;
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
        let (status, body) = body_of(get("/paginated-items/?limit=0&skip=-1").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problems(&body),
            vec![
                (json!("greater_than_equal"), json!(["query", "skip"])),
                (json!("greater_than_equal"), json!(["query", "limit"])),
            ]
        );
    }
}

// ANCHOR: snapshot_test
#[tokio::test]
async fn the_openapi_document_is_as_reviewed() {
    assert_json_snapshot!("openapi", document().await);
}
// ANCHOR_END: snapshot_test

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
