//! Chapter 03's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.

use ch03_query_parameters::app;
use insta::assert_json_snapshot;
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&kit::Docs::default()))
}

/// Sends `GET uri` (path and query, as a client writes them) to a fresh app.
async fn get(uri: &str) -> TestResponse {
    client().get(uri).send().await
}

/// The status and JSON body of `GET uri`.
async fn answer(uri: &str) -> (StatusCode, Value) {
    let resp = get(uri).await;
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// The `(type, loc)` of every problem in a 422 body.
fn problems(body: &Value) -> Vec<(Value, Value)> {
    body["detail"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect()
}

/// Asserts that `GET uri` is a 422 with exactly one problem, of `kind` at `loc`.
async fn assert_one_problem(uri: &str, kind: &str, loc: Value) -> Value {
    let (status, body) = answer(uri).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
    assert_eq!(problems(&body), vec![(json!(kind), loc)], "{uri}: {body}");
    body
}

mod defaults {
    use super::*;

    #[tokio::test]
    async fn both_defaults_apply_when_nothing_is_sent() {
        let resp = get("/query_params").await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"page": 0, "skip": 0})).await;
    }

    #[tokio::test]
    async fn given_values_replace_the_defaults() {
        let resp = get("/query_params?page=10&skip=1").await;
        resp.assert_json(json!({"page": 10, "skip": 1})).await;
        let resp = get("/query_params?skip=3").await;
        resp.assert_json(json!({"page": 0, "skip": 3})).await;
    }

    #[tokio::test]
    async fn negative_numbers_and_the_ends_of_i64_are_integers() {
        let resp = get("/query_params?page=9223372036854775807&skip=-9223372036854775808").await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"page": i64::MAX, "skip": i64::MIN}))
            .await;
        get("/query_params?page=-3")
            .await
            .assert_json(json!({"page": -3, "skip": 0}))
            .await;
    }

    #[tokio::test]
    async fn a_word_for_a_page_is_an_int_parsing_problem_naming_query_page() {
        let body = assert_one_problem(
            "/query_params?page=ce6e56",
            "int_parsing",
            json!(["query", "page"]),
        )
        .await;
        assert_eq!(body["detail"][0]["input"], "ce6e56");
    }

    #[tokio::test]
    async fn every_bad_integer_is_listed() {
        let (status, body) = answer("/query_params?page=x&skip=y").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("two_bad_integers", body);
    }

    #[tokio::test]
    async fn an_empty_value_is_not_an_integer() {
        assert_one_problem(
            "/query_params?page=",
            "int_parsing",
            json!(["query", "page"]),
        )
        .await;
        assert_one_problem(
            "/query_params?page",
            "int_parsing",
            json!(["query", "page"]),
        )
        .await;
    }
}

mod values {
    use super::*;

    #[tokio::test]
    async fn integers_parse_as_rusts_from_str() {
        get("/query_params?page=%2B7&skip=007")
            .await
            .assert_json(json!({"page": 7, "skip": 7}))
            .await;
        for bad in ["2.0", "1_000", "%205%20", "0x10", "1e3"] {
            assert_one_problem(
                &format!("/query_params?page={bad}"),
                "int_parsing",
                json!(["query", "page"]),
            )
            .await;
        }
    }

    #[tokio::test]
    async fn a_plus_is_a_space_so_plus_five_is_not_an_integer() {
        let body = assert_one_problem(
            "/query_params?page=+5",
            "int_parsing",
            json!(["query", "page"]),
        )
        .await;
        assert_eq!(body["detail"][0]["input"], " 5");
    }

    #[tokio::test]
    async fn numbers_beyond_i64_are_refused_not_wrapped() {
        let body = assert_one_problem(
            "/query_params?skip=99999999999999999999",
            "less_than_equal",
            json!(["query", "skip"]),
        )
        .await;
        assert_json_snapshot!("huge_integer", body);
        assert_one_problem(
            "/query_params?page=-99999999999999999999",
            "greater_than_equal",
            json!(["query", "page"]),
        )
        .await;
    }

    #[tokio::test]
    async fn the_last_of_repeated_values_wins() {
        get("/query_params?page=1&page=2&skip=x&skip=5")
            .await
            .assert_json(json!({"page": 2, "skip": 5}))
            .await;
        assert_one_problem(
            "/query_params_typed?req=aaaaa&req=aa",
            "string_too_short",
            json!(["query", "req"]),
        )
        .await;
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced_as_python_does() {
        let resp = get("/query_params_typed?req=%FF%FE%FD%FC%FB").await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"req": "\u{FFFD}".repeat(5)})).await;
        let resp = get("/items/?q=%FF").await;
        resp.assert_json(
            json!({"items": [{"item_id": "Foo"}, {"item_id": "Bar"}], "q": "\u{FFFD}"}),
        )
        .await;
    }

    #[tokio::test]
    async fn invalid_utf8_in_a_name_or_an_integer_is_a_422_not_a_500() {
        assert_one_problem(
            "/query_params?%FF=1&page=%FF",
            "int_parsing",
            json!(["query", "page"]),
        )
        .await;
    }

    #[tokio::test]
    async fn text_is_percent_decoded_with_plus_as_a_space() {
        get("/query_params_required?req=a+b%2Bc%C3%A9%26d")
            .await
            .assert_json(json!({"page": 0, "skip": 0, "req": "a b+cé&d"}))
            .await;
    }

    #[tokio::test]
    async fn unknown_parameters_are_ignored() {
        get("/query_params?pages=3&page=1")
            .await
            .assert_json(json!({"page": 1, "skip": 0}))
            .await;
    }
}

mod required {
    use super::*;

    #[tokio::test]
    async fn req_comes_back_after_page_and_skip() {
        let resp = get("/query_params_required?req=test").await;
        resp.assert_status_is_ok();
        // Compared as text, so that the order of the members counts.
        resp.assert_text(r#"{"page":0,"skip":0,"req":"test"}"#)
            .await;
    }

    #[tokio::test]
    async fn an_empty_req_is_sent_and_kept() {
        get("/query_params_required?req=")
            .await
            .assert_json(json!({"page": 0, "skip": 0, "req": ""}))
            .await;
    }

    #[tokio::test]
    async fn a_missing_req_is_a_422_naming_query_req() {
        let (status, body) = answer("/query_params_required?page=10&skip=1").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("missing_req", body);
    }

    #[tokio::test]
    async fn problems_are_listed_in_the_order_of_the_parameters() {
        let (_, body) = answer("/query_params_required?skip=x&page=y").await;
        assert_eq!(
            problems(&body),
            vec![
                (json!("missing"), json!(["query", "req"])),
                (json!("int_parsing"), json!(["query", "page"])),
                (json!("int_parsing"), json!(["query", "skip"])),
            ]
        );
    }
}

mod typed {
    use super::*;

    #[tokio::test]
    async fn five_to_fifteen_characters_pass() {
        for req in ["aaaaa", "abcdefghij", "abcdefghijklmno"] {
            let resp = get(&format!("/query_params_typed?req={req}")).await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({ "req": req })).await;
        }
    }

    #[tokio::test]
    async fn three_characters_are_too_short() {
        let body = assert_one_problem(
            "/query_params_typed?req=aaa",
            "string_too_short",
            json!(["query", "req"]),
        )
        .await;
        assert_json_snapshot!("too_short", body);
    }

    #[tokio::test]
    async fn sixteen_characters_are_too_long() {
        let body = assert_one_problem(
            "/query_params_typed?req=abcdefghijklmnop",
            "string_too_long",
            json!(["query", "req"]),
        )
        .await;
        assert_eq!(body["detail"][0]["ctx"], json!({"max_length": 15}));
    }

    #[tokio::test]
    async fn lengths_count_characters_not_bytes() {
        let fifteen = "%C3%A9".repeat(15);
        get(&format!("/query_params_typed?req={fifteen}"))
            .await
            .assert_json(json!({"req": "é".repeat(15)}))
            .await;
        let four = "%C3%A9".repeat(4);
        assert_one_problem(
            &format!("/query_params_typed?req={four}"),
            "string_too_short",
            json!(["query", "req"]),
        )
        .await;
    }

    #[tokio::test]
    async fn a_missing_or_empty_req_is_refused() {
        assert_one_problem("/query_params_typed", "missing", json!(["query", "req"])).await;
        assert_one_problem(
            "/query_params_typed?req=",
            "string_too_short",
            json!(["query", "req"]),
        )
        .await;
    }
}

mod items {
    use super::*;

    fn items(q: Option<&str>) -> Value {
        let mut body = json!({"items": [{"item_id": "Foo"}, {"item_id": "Bar"}]});
        if let Some(q) = q {
            body["q"] = json!(q);
        }
        body
    }

    #[tokio::test]
    async fn without_q_the_answer_has_no_q_member() {
        let resp = get("/items/").await;
        resp.assert_status_is_ok();
        resp.assert_text(r#"{"items":[{"item_id":"Foo"},{"item_id":"Bar"}]}"#)
            .await;
    }

    #[tokio::test]
    async fn an_empty_q_is_left_out_too() {
        get("/items/?q=").await.assert_json(items(None)).await;
    }

    #[tokio::test]
    async fn a_given_q_comes_back_after_the_items() {
        let resp = get("/items/?q=portal+gun").await;
        resp.assert_text(r#"{"items":[{"item_id":"Foo"},{"item_id":"Bar"}],"q":"portal gun"}"#)
            .await;
    }

    #[tokio::test]
    async fn fifty_characters_pass_and_fifty_one_do_not() {
        let fifty = "q".repeat(50);
        get(&format!("/items/?q={fifty}"))
            .await
            .assert_json(items(Some(&fifty)))
            .await;
        let body = assert_one_problem(
            &format!("/items/?q={}", "q".repeat(51)),
            "string_too_long",
            json!(["query", "q"]),
        )
        .await;
        assert_eq!(body["detail"][0]["ctx"], json!({"max_length": 50}));
    }

    #[tokio::test]
    async fn the_path_answers_with_or_without_its_trailing_slash() {
        get("/items?q=x").await.assert_json(items(Some("x"))).await;
    }
}

mod tags {
    use super::*;

    #[tokio::test]
    async fn repeated_tags_make_a_list_in_order() {
        let resp = get("/tags/?tag=b&tag=a&tag=b").await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"tags": ["b", "a", "b"]})).await;
    }

    #[tokio::test]
    async fn no_tag_is_an_empty_list() {
        get("/tags/").await.assert_json(json!({"tags": []})).await;
        get("/tags").await.assert_json(json!({"tags": []})).await;
    }

    #[tokio::test]
    async fn a_comma_does_not_split_a_tag_and_an_empty_tag_is_kept() {
        get("/tags/?tag=a,b&tag=")
            .await
            .assert_json(json!({"tags": ["a,b", ""]}))
            .await;
    }

    #[tokio::test]
    async fn other_methods_are_405() {
        let resp = client().post("/tags/").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("allow", "GET, HEAD");
    }
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn needy_gives_its_defaults_and_a_null_limit() {
        let resp = get("/needy/foo?needy=sooooneedy").await;
        resp.assert_status_is_ok();
        resp.assert_text(r#"{"item_id":"foo","needy":"sooooneedy","skip":0,"limit":null}"#)
            .await;
        get("/needy/foo?needy=x&skip=3&limit=5")
            .await
            .assert_json(json!({"item_id": "foo", "needy": "x", "skip": 3, "limit": 5}))
            .await;
    }

    #[tokio::test]
    async fn needy_lists_every_problem_from_path_to_query() {
        let (status, body) = answer("/needy/%FF?skip=1.5&limit=abc").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problems(&body),
            vec![
                (json!("string_unicode"), json!(["path", "item_id"])),
                (json!("missing"), json!(["query", "needy"])),
                (json!("int_parsing"), json!(["query", "skip"])),
                (json!("int_parsing"), json!(["query", "limit"])),
            ]
        );
    }

    #[tokio::test]
    async fn an_empty_limit_is_not_an_integer() {
        assert_one_problem(
            "/needy/foo?needy=x&limit=",
            "int_parsing",
            json!(["query", "limit"]),
        )
        .await;
    }

    #[tokio::test]
    async fn the_alias_is_the_name_in_the_url() {
        get("/aliased/?item-query=foo")
            .await
            .assert_json(json!({"q": "foo"}))
            .await;
        get("/aliased/").await.assert_json(json!({"q": null})).await;
        get("/aliased/?q=foo")
            .await
            .assert_json(json!({"q": null}))
            .await;
    }

    #[tokio::test]
    async fn a_bad_aliased_value_is_named_by_its_alias() {
        let body = assert_one_problem(
            "/aliased/?item-query=ab",
            "string_too_short",
            json!(["query", "item-query"]),
        )
        .await;
        assert_eq!(body["detail"][0]["input"], "ab");
    }

    #[tokio::test]
    async fn a_sku_must_match_its_pattern() {
        get("/products/?sku=ABC-1234")
            .await
            .assert_json(json!({"sku": "ABC-1234"}))
            .await;
        for bad in [
            "abc-1234",
            "ABC1234",
            "ABC-12345",
            "xABC-1234",
            "ABC-1234%0A",
        ] {
            assert_one_problem(
                &format!("/products/?sku={bad}"),
                "string_pattern_mismatch",
                json!(["query", "sku"]),
            )
            .await;
        }
    }

    #[tokio::test]
    async fn a_pattern_problem_shows_the_pattern() {
        let (_, body) = answer("/products/?sku=abc-1234").await;
        assert_json_snapshot!("pattern_mismatch", body);
    }
}

mod document {
    use super::*;

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        let resp = get("/openapi.json").await;
        resp.assert_status_is_ok();
        let document: Value = kit::testing::json(resp).await;
        assert_json_snapshot!("openapi", document);
    }

    #[tokio::test]
    async fn defaults_limits_and_aliases_are_documented() {
        let document = kit::testing::json(get("/openapi.json").await).await;
        let param = |path: &str, name: &str| {
            document["paths"][path]["get"]["parameters"]
                .as_array()
                .and_then(|params| params.iter().find(|p| p["name"] == name))
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(param("/query_params", "page")["schema"]["default"], 0);
        assert_eq!(param("/query_params", "page")["required"], false);
        assert_eq!(param("/query_params_required", "req")["required"], true);
        let typed = param("/query_params_typed", "req");
        assert_eq!(
            (&typed["schema"]["minLength"], &typed["schema"]["maxLength"]),
            (&json!(5), &json!(15))
        );
        assert_eq!(param("/tags", "tag")["schema"]["default"], json!([]));
        assert_eq!(param("/aliased", "item-query")["in"], "query");
        for path in ["/query_params", "/items", "/tags"] {
            assert_eq!(
                document["paths"][path]["get"]["responses"]["422"]["description"],
                "Validation Error",
                "{path}"
            );
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("03", env!("CARGO_BIN_EXE_ch03-query-parameters")).await;
        assert!(report.passed(), "{}", report.to_text());
    }
}
