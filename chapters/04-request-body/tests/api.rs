//! Chapter 04's tests: what the grader does not check from outside.
//!
//! `program::the_grader_passes_every_check` runs every `04.*` check of the grader
//! (`tests/src/chapters/ch04.rs`) on the built program, so the HTTP contract is the grader's:
//! each row of it is checked there, not here. What stays here, in-process:
//!
//! - the reviewed snapshots: the OpenAPI document, and whole bodies with their wording;
//! - what the document says about the bodies (nulls, empty fields, examples);
//! - requests no check sends: odd bytes, odd content types, streamed and cut-off bodies,
//!   repeated fields, empty lists;
//! - Swagger UI, rendered in a real browser.

use ch04_request_body::app;
use insta::assert_json_snapshot;
use kit::Docs;
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default()))
}

async fn answer(resp: TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// The body of `resp`, which must be a 422.
async fn refusal(resp: TestResponse) -> Value {
    let (status, body) = answer(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body
}

/// The `loc` of every problem in a 422 body.
fn locs(body: &Value) -> Vec<Value> {
    body["detail"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|problem| problem["loc"].clone())
        .collect()
}

async fn document() -> Value {
    kit::testing::json(client().get("/openapi.json").send().await).await
}

/// The members of `answer` that are `null` and that component schema `name` of the document
/// does not declare `nullable`: a client that trusts the document would refuse them.
async fn undeclared_nulls(answer: &Value, name: &str) -> Vec<String> {
    let document = document().await;
    let properties = &document["components"]["schemas"][name]["properties"];
    answer
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(member, value)| value.is_null() && properties[member]["nullable"] != true)
        .map(|(member, _)| format!("{name}.{member}"))
        .collect()
}

/// POSTs `body` to `path` with this `Content-Type`, or with none.
async fn post_as(
    path: &str,
    content_type: Option<&str>,
    body: impl Into<poem::Body>,
) -> TestResponse {
    let cli = client();
    let mut request = cli.post(path).body(body);
    if let Some(content_type) = content_type {
        request = request.content_type(content_type);
    }
    request.send().await
}

/// A `multipart/form-data` body with boundary `X`, written out as a client sends it.
fn multipart(parts: &[String]) -> String {
    let mut body: String = parts.iter().map(|part| format!("--X\r\n{part}")).collect();
    body.push_str("--X--\r\n");
    body
}

fn file_part(name: &str, filename: &str, content_type: &str, content: &str) -> String {
    format!(
        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n{content}\r\n"
    )
}

fn text_part(name: &str, value: &str) -> String {
    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

async fn post_multipart(path: &str, body: impl Into<poem::Body>) -> TestResponse {
    post_as(path, Some("multipart/form-data; boundary=X"), body).await
}

mod raw_request {
    use super::*;

    #[tokio::test]
    async fn the_echo_shows_headers_cookies_and_body() {
        let resp = client()
            .post("/")
            .header("host", "shop.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("content-length", "19")
            .header("X-Trace", "abc")
            .header("cookie", "session=s1; theme=dark")
            .body("user=ada&password=x")
            .send()
            .await;
        let (status, body) = answer(resp).await;
        assert_eq!(status, StatusCode::OK);
        assert_json_snapshot!("echo", body);
    }

    #[tokio::test]
    async fn a_header_value_that_is_not_utf8_is_replaced() {
        let resp = client()
            .post("/")
            .header("x-latin", &b"caf\xe9"[..])
            .send()
            .await;
        let (status, body) = answer(resp).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["headers"]["x-latin"], "caf\u{FFFD}");
    }

    #[tokio::test]
    async fn a_body_in_any_content_type_is_echoed() {
        for content_type in [
            "application/json",
            "application/octet-stream",
            "text/plain; charset=utf-8",
            "multipart/form-data; boundary=X",
            "not a media type",
        ] {
            let (status, body) = answer(post_as("/", Some(content_type), "{not json").await).await;
            assert_eq!(status, StatusCode::OK, "{content_type}");
            assert_eq!(body["body"], "{not json", "{content_type}");
        }
    }

    #[tokio::test]
    async fn an_empty_request_has_an_empty_echo() {
        let resp = client().post("/").send().await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"headers": {}, "cookies": {}, "body": ""}))
            .await;
    }

    #[tokio::test]
    async fn of_a_repeated_cookie_the_first_counts() {
        let resp = client()
            .post("/")
            .header("cookie", "a=1; b=two; a=3")
            .send()
            .await;
        let (_, body) = answer(resp).await;
        assert_eq!(body["cookies"], json!({"a": "1", "b": "two"}));
    }

    #[tokio::test]
    async fn a_streamed_body_over_one_mib_is_413() {
        // No Content-Length: the limit is found while reading, and reading stops there.
        let endless = tokio::io::AsyncReadExt::take(tokio::io::repeat(b'a'), 2 * MIB as u64);
        let resp = post_as("/", None, poem::Body::from_async_read(endless)).await;
        let (status, body) = answer(resp).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body, json!({"detail": "Content Too Large"}));
    }

    #[tokio::test]
    async fn get_on_the_echo_is_405() {
        let resp = client().get("/").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("allow", "POST");
    }
}

mod forms {
    use super::*;

    const FORM: &str = "application/x-www-form-urlencoded";

    async fn post_form(body: &'static str) -> TestResponse {
        post_as("/form", Some(FORM), body).await
    }

    #[tokio::test]
    async fn a_missing_password_body_is_as_reviewed() {
        let body = refusal(post_form("username=ada").await).await;
        assert_json_snapshot!("form_missing_password", body);
    }

    #[tokio::test]
    async fn every_empty_field_is_listed_as_missing() {
        let body = refusal(post_form("username=&password=").await).await;
        assert_eq!(
            locs(&body),
            vec![json!(["body", "username"]), json!(["body", "password"])]
        );
        assert!(
            body["detail"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["type"] == "missing")
        );
    }

    #[tokio::test]
    async fn an_empty_request_lists_each_missing_field() {
        let body = refusal(client().post("/form").send().await).await;
        assert_eq!(body["detail"][0]["type"], "missing");
        assert_eq!(
            locs(&body),
            vec![json!(["body", "username"]), json!(["body", "password"])]
        );
    }

    #[tokio::test]
    async fn the_document_says_the_fields_may_not_be_empty() {
        // An empty field is refused as missing, so a document that allowed "" would promise
        // an answer the server never gives.
        let document = document().await;
        let form = &document["components"]["schemas"]["LoginForm"]["properties"];
        assert_eq!(form["username"]["minLength"], 1);
        assert_eq!(form["password"]["minLength"], 1);
    }

    #[tokio::test]
    async fn the_form_may_come_as_multipart_with_odd_extra_fields() {
        let body = multipart(&[
            text_part("a\x13b", "ignored"),
            text_part("username", "ada"),
            text_part("password", "p"),
        ]);
        let resp = post_multipart("/form", body).await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"username": "ada", "password": "p"}))
            .await;
    }

    #[tokio::test]
    async fn bytes_that_are_not_utf8_are_replaced() {
        let resp = post_form("username=%FF&password=p").await;
        resp.assert_json(json!({"username": "\u{FFFD}", "password": "p"}))
            .await;
    }

    #[tokio::test]
    async fn a_form_sent_as_json_is_422_at_the_body() {
        let resp = client()
            .post("/form")
            .body_json(&json!({"username": "ada", "password": "p"}))
            .send()
            .await;
        assert_eq!(locs(&refusal(resp).await), vec![json!(["body"])]);
    }
}

mod files {
    use super::*;

    #[tokio::test]
    async fn a_part_without_name_or_type_is_described_with_declared_nulls() {
        let resp = post_multipart("/uploadfile/", multipart(&[text_part("file", "plain")])).await;
        let (status, body) = answer(resp).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"filename": null, "content_type": null, "size": 5})
        );
        assert_eq!(
            undeclared_nulls(&body, "UploadedFile").await,
            Vec::<String>::new()
        );
    }

    #[tokio::test]
    async fn an_extra_field_named_with_control_characters_is_ignored() {
        // HTTP allows no control character in a header, but FastAPI reads such a part, and
        // an extra field is no reason to refuse the upload.
        for name in ["\x01", "a\x13b", "\x1f\x7f", "\x0c"] {
            let body = multipart(&[
                text_part(name, "ignored"),
                file_part("file", "a.txt", "text/plain", "hello"),
            ]);
            let resp = post_multipart("/files/", body).await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({"file_size": 5})).await;
        }
        let body = multipart(&[
            file_part("file", "a.txt", "text/plain", "hello"),
            text_part("\x02", "ignored"),
            text_part("note", "a note"),
        ]);
        let resp = post_multipart("/files/with-note/", body).await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"file_size": 5, "note": "a note"}))
            .await;
    }

    #[tokio::test]
    async fn any_content_is_counted_byte_for_byte() {
        let contents: [&[u8]; 3] = [
            b"",
            b"\x01\r\n\r\n\x02--X\x03",
            &[0, 0xFF, 0xFE, 13, 10, 0x80],
        ];
        for content in contents {
            let mut body =
                b"--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.bin\"\r\n\r\n"
                    .to_vec();
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n--X--\r\n");
            let resp = post_multipart("/files/", body).await;
            resp.assert_status_is_ok();
            resp.assert_json(json!({"file_size": content.len()})).await;
        }
    }

    #[tokio::test]
    async fn an_upload_without_its_file_is_422_at_body_file() {
        for path in ["/files/", "/uploadfile/"] {
            let resp = post_multipart(path, multipart(&[text_part("other", "x")])).await;
            assert_json_snapshot!("upload_without_file", refusal(resp).await);
        }
    }

    #[tokio::test]
    async fn a_multipart_body_cut_off_anywhere_is_422() {
        for body in [
            "",
            "garbage",
            "--X\r\nContent-Disp",
            "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nall\r\n--X",
        ] {
            let (status, _) = answer(post_multipart("/files/", body).await).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        }
    }

    #[tokio::test]
    async fn an_upload_in_another_content_type_is_422_at_the_body() {
        for content_type in [None, Some("text/plain"), Some("application/json")] {
            let body = refusal(post_as("/files/", content_type, "file=x").await).await;
            assert_eq!(locs(&body), vec![json!(["body"])], "{content_type:?}");
        }
    }

    #[tokio::test]
    async fn a_repeated_file_field_is_422() {
        let body = multipart(&[
            file_part("file", "a.txt", "text/plain", "a"),
            file_part("file", "b.txt", "text/plain", "bb"),
        ]);
        let body = refusal(post_multipart("/files/", body).await).await;
        assert_eq!(locs(&body), vec![json!(["body", "file"])]);
    }
}

mod items {
    use super::*;

    async fn post_item(item: Value) -> TestResponse {
        client().post("/items/").body_json(&item).send().await
    }

    #[tokio::test]
    async fn the_document_declares_the_nulls_of_an_item() {
        // Declared `nullable`, a `null` is valid both in the answer and in the request,
        // which accepts one (see below).
        let (_, body) = answer(post_item(json!({"name": "Lamp", "price": 35})).await).await;
        assert_eq!(
            undeclared_nulls(&body["item"], "Item").await,
            Vec::<String>::new()
        );
    }

    #[tokio::test]
    async fn explicit_nulls_are_accepted() {
        let item = json!({"name": "Lamp", "description": null, "price": 1.5, "tax": null});
        post_item(item.clone())
            .await
            .assert_json(json!({"item": item}))
            .await;
    }

    #[tokio::test]
    async fn an_empty_name_and_a_negative_price_are_accepted() {
        let item = json!({"name": "", "description": null, "price": -2.5, "tax": null});
        post_item(item.clone())
            .await
            .assert_json(json!({"item": item}))
            .await;
    }

    #[tokio::test]
    async fn a_price_that_is_not_a_json_number_is_422_at_body_price() {
        for price in [json!("42.5"), json!(true), json!([1]), json!(null)] {
            let body = refusal(post_item(json!({"name": "a", "price": price})).await).await;
            assert_eq!(locs(&body), vec![json!(["body", "price"])], "{price}");
        }
    }

    #[tokio::test]
    async fn every_problem_is_listed_in_one_422() {
        let item = json!({"description": 5, "price": "abc", "tax": "none"});
        assert_json_snapshot!("item_every_problem", refusal(post_item(item).await).await);
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_json_invalid() {
        let resp = post_as(
            "/items/",
            Some("application/json"),
            "{\"name\": \"a\", \"price\": ",
        )
        .await;
        assert_json_snapshot!("item_not_json", refusal(resp).await);
    }

    #[tokio::test]
    async fn a_number_too_large_for_a_float_is_json_invalid() {
        let resp = post_as(
            "/items/",
            Some("application/json"),
            "{\"name\": \"a\", \"price\": 1e400}",
        )
        .await;
        assert_eq!(refusal(resp).await["detail"][0]["type"], "json_invalid");
    }

    #[tokio::test]
    async fn json_sent_as_a_form_is_422_at_the_body() {
        let resp = post_as(
            "/items/",
            Some("application/x-www-form-urlencoded"),
            r#"{"name": "a", "price": 1}"#,
        )
        .await;
        assert_eq!(locs(&refusal(resp).await), vec![json!(["body"])]);
    }

    #[tokio::test]
    async fn a_json_suffix_type_is_json() {
        let resp = post_as(
            "/items/",
            Some("application/vnd.shop+json"),
            r#"{"name": "a", "price": 1}"#,
        )
        .await;
        resp.assert_status_is_ok();
    }

    #[tokio::test]
    async fn a_list_or_an_empty_body_is_422_at_the_body() {
        let body = refusal(post_item(json!([{"name": "a", "price": 1}])).await).await;
        assert_eq!(locs(&body), vec![json!(["body"])]);
        let body = refusal(post_as("/items/", Some("application/json"), "").await).await;
        assert_eq!(body["detail"][0]["type"], "missing");
    }
}

mod several_values {
    use super::*;

    fn update(item_price: Value, importance: Value) -> Value {
        json!({
            "item": {"name": "Lamp", "price": item_price},
            "user": {"username": "ada", "full_name": "Ada Lovelace"},
            "importance": importance,
        })
    }

    async fn put(path: &str, body: Value) -> TestResponse {
        client().put(path).body_json(&body).send().await
    }

    #[tokio::test]
    async fn the_null_full_name_of_a_user_is_declared() {
        let body =
            json!({"item": {"name": "a", "price": 1}, "user": {"username": "u"}, "importance": 1});
        let (status, body) = answer(put("/items/1", body).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            undeclared_nulls(&body["user"], "User").await,
            Vec::<String>::new()
        );
    }

    #[tokio::test]
    async fn problems_inside_are_reported_with_their_whole_path() {
        let body = json!({"item": {"price": "abc"}, "user": {"full_name": 5}, "importance": 2.5});
        let body = refusal(put("/items/1", body).await).await;
        assert_json_snapshot!("update_nested_problems", body);
    }

    #[tokio::test]
    async fn a_body_without_its_members_lists_each() {
        let body = refusal(put("/items/1", json!({})).await).await;
        assert_eq!(
            locs(&body),
            vec![
                json!(["body", "item"]),
                json!(["body", "user"]),
                json!(["body", "importance"])
            ]
        );
    }

    #[tokio::test]
    async fn an_importance_must_be_a_json_integer_in_range() {
        for importance in [json!("5"), json!(true), json!(99999999999999999999.0)] {
            let body = refusal(put("/items/1", update(json!(1), importance.clone())).await).await;
            assert_eq!(
                locs(&body),
                vec![json!(["body", "importance"])],
                "{importance}"
            );
        }
    }

    #[tokio::test]
    async fn an_item_id_with_a_fraction_is_422_at_path_item_id() {
        let body = refusal(put("/items/2.0", update(json!(1), json!(1))).await).await;
        assert_eq!(locs(&body), vec![json!(["path", "item_id"])]);
    }

    #[tokio::test]
    async fn problems_in_the_path_and_the_body_are_listed_together() {
        let body = refusal(put("/items/abc", update(json!("abc"), json!(1))).await).await;
        assert_eq!(
            locs(&body),
            vec![json!(["path", "item_id"]), json!(["body", "item", "price"])]
        );
    }

    #[tokio::test]
    async fn the_item_alone_is_not_enough() {
        let body = refusal(put("/items/1", json!({"name": "a", "price": 1})).await).await;
        assert_eq!(body["detail"][0]["loc"], json!(["body", "item"]));
    }
}

mod exercises {
    use super::*;

    async fn post_images(images: Value) -> TestResponse {
        client()
            .post("/images/multiple/")
            .body_json(&images)
            .send()
            .await
    }

    #[tokio::test]
    async fn an_empty_list_is_fine() {
        post_images(json!([])).await.assert_json(json!([])).await;
    }

    #[tokio::test]
    async fn a_url_without_a_host_is_422_at_its_position() {
        for url in ["https://", "https:// x"] {
            let images = json!([
                {"url": "https://example.com/a.png", "name": "A"},
                {"url": url, "name": "B"},
            ]);
            let body = refusal(post_images(images).await).await;
            assert_eq!(locs(&body), vec![json!(["body", 1, "url"])], "{url}");
        }
    }

    /// The document's `pattern` is read as JavaScript reads it (JSON Schema says so), and
    /// there `\s` is not Rust's `\s`: U+0085 is a space only to Rust, U+FEFF only to JavaScript.
    /// The pattern names its characters, so both read it alike; a schema fuzzer found this.
    #[tokio::test]
    async fn the_pattern_means_the_same_to_rust_and_to_the_document() {
        for (url, accepted) in [
            ("https://example.com/a\u{85}b", true),
            ("https://example.com/a\u{feff}b", true),
            ("http://127.0.0.1:8000/a.png?size=2#top", true),
            ("https://example.com/a b", false),
            ("https://example.com/a\tb", false),
            ("https://example.com/a\u{7f}", false),
            ("https://exa[mple.com/a.png", false),
            ("https://b\u{fc}cher.example/", false),
        ] {
            let (status, _) = answer(post_images(json!([{"url": url, "name": "A"}])).await).await;
            assert_eq!(status.is_success(), accepted, "{url:?}: {status}");
        }
    }

    #[tokio::test]
    async fn every_bad_image_is_listed() {
        let images = json!([{"url": "ftp://x"}, {"name": "B"}]);
        assert_json_snapshot!("images_problems", refusal(post_images(images).await).await);
    }

    #[tokio::test]
    async fn one_image_outside_a_list_is_a_list_type_problem() {
        let image = json!({"url": "https://example.com/a.png", "name": "A"});
        let body = refusal(post_images(image).await).await;
        assert_eq!(body["detail"][0]["type"], "list_type");
        assert_eq!(locs(&body), vec![json!(["body"])]);
    }
}

mod document {
    use super::*;

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        let resp = client().get("/openapi.json").send().await;
        resp.assert_status_is_ok();
        let document: Value = kit::testing::json(resp).await;
        assert_json_snapshot!("openapi", document);
    }

    #[tokio::test]
    async fn the_echo_declares_no_body_and_no_422() {
        let document = document().await;
        let echo = &document["paths"]["/"]["post"];
        assert!(echo["requestBody"].is_null());
        assert!(echo["responses"]["422"].is_null());
    }

    #[tokio::test]
    async fn every_body_has_an_example() {
        let document = document().await;
        let schemas = &document["components"]["schemas"];
        for name in ["Item", "User", "UpdateItemBody", "LoginForm", "Image"] {
            assert!(
                schemas[name]["example"].is_object(),
                "{name} has no example"
            );
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    use super::*;

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("04", env!("CARGO_BIN_EXE_ch04-request-body")).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    #[tokio::test]
    async fn swagger_ui_renders_every_operation_in_a_real_browser() {
        let Some(browser) = kit::testing::Browser::find_or_skip(
            "swagger_ui_renders_every_operation_in_a_real_browser",
        ) else {
            return;
        };
        let server = kit::testing::spawn(app(&Docs::default())).await;
        let page = browser.rendered_dom(&format!("{}/docs", server.url)).await;
        for path in [
            "/",
            "/form",
            "/files",
            "/uploadfile",
            "/items",
            "/items/{item_id}",
            "/images/multiple",
            "/files/with-note",
        ] {
            assert!(
                page.contains(&format!(r#"data-path="{path}""#)),
                "{path} is not rendered:\n{page}"
            );
        }
        server.stop().await;
    }
}
