//! The house conventions, checked on a small API that takes input from every source.

use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use poem_openapi::param::{Cookie as CookieParam, Header, Path, Query};
use poem_openapi::payload::{Form, Json, PlainText};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Enum, Multipart, Object, OpenApi, OpenApiService};
use serde_json::{Value, json};

#[derive(Debug, Enum)]
#[oai(rename_all = "snake_case")]
enum Kind {
    Service,
    NewFeature,
}

#[derive(Debug, Object, serde::Deserialize)]
struct Item {
    name: String,
    description: Option<String>,
    price: f64,
    #[oai(validator(minimum(value = "0")))]
    quantity: i64,
}

#[derive(Debug, Object, serde::Deserialize)]
struct Login {
    username: String,
    password: String,
}

#[derive(Debug, Multipart)]
struct UploadForm {
    file: Upload,
}

#[derive(poem_openapi::SecurityScheme)]
#[oai(ty = "oauth2", flows(password(token_url = "token")))]
struct TokenAuth(poem_openapi::auth::Bearer);

#[derive(poem_openapi::SecurityScheme)]
#[oai(ty = "api_key", key_name = "X-API-Key", key_in = "header")]
struct KeyAuth(poem_openapi::auth::ApiKey);

#[derive(Debug, Object)]
struct SignUp {
    username: String,
    password: poem_openapi::types::Password,
}

struct Api;

#[OpenApi]
impl Api {
    /// Bearer
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: TokenAuth) -> PlainText<String> {
        PlainText(auth.0.token)
    }

    /// Key
    #[oai(path = "/keyed", method = "get")]
    async fn keyed(&self, auth: KeyAuth) -> PlainText<String> {
        PlainText(auth.0.key)
    }

    /// Sign up
    #[oai(path = "/signup", method = "post")]
    async fn signup(&self, body: Json<SignUp>) -> PlainText<String> {
        PlainText(body.0.username)
    }

    /// Path
    #[oai(path = "/items/:item_id", method = "get")]
    async fn path(&self, item_id: Path<i64>) -> PlainText<String> {
        PlainText(item_id.0.to_string())
    }

    /// Text path
    #[oai(path = "/names/:name", method = "get")]
    async fn name(&self, name: Path<String>) -> PlainText<String> {
        PlainText(name.0)
    }

    /// Enum path
    #[oai(path = "/kinds/:kind", method = "get")]
    async fn kind(&self, kind: Path<Kind>) -> PlainText<String> {
        PlainText(format!("{:?}", kind.0))
    }

    /// Query
    #[oai(path = "/search", method = "get")]
    async fn search(
        &self,
        #[oai(validator(min_length = 3, max_length = 5))] q: Query<String>,
        #[oai(default)] page: Query<i64>,
        #[oai(default)] tag: Query<Vec<String>>,
    ) -> Json<Value> {
        Json(json!({"q": q.0, "page": page.0, "tags": tag.0}))
    }

    /// Header and cookie
    #[oai(path = "/secret", method = "get")]
    async fn secret(
        &self,
        #[oai(name = "X-Token")] token: Header<String>,
        #[oai(name = "session")] session: CookieParam<i64>,
    ) -> PlainText<String> {
        PlainText(format!("{} {}", token.0, session.0))
    }

    /// JSON body
    #[oai(path = "/items", method = "post")]
    async fn create(
        &self,
        #[oai(validator(maximum(value = "100")))] limit: Query<Option<i64>>,
        item: Json<Item>,
    ) -> Json<Value> {
        Json(json!({"name": item.0.name, "price": item.0.price, "limit": limit.0}))
    }

    /// Form body
    #[oai(path = "/login", method = "post")]
    async fn login(&self, form: Form<Login>) -> Json<Value> {
        Json(json!({"username": form.0.username, "password": form.0.password}))
    }

    /// Multipart body
    #[oai(path = "/upload", method = "post")]
    async fn upload(&self, form: UploadForm) -> Json<Value> {
        Json(json!({"size": form.file.size()}))
    }

    /// Raises
    #[oai(path = "/raise/:what", method = "get")]
    async fn raise(&self, what: Path<String>) -> poem::Result<PlainText<String>> {
        match what.0.as_str() {
            "exception" => Err(kit::HttpException::new(
                StatusCode::UNAUTHORIZED,
                "Not authenticated",
            )
            .header("WWW-Authenticate", "Bearer")
            .into()),
            "message" => Err(poem::Error::from_string(
                "Item not found",
                StatusCode::NOT_FOUND,
            )),
            _ => Err(poem::Error::from_string(
                "database password is hunter2",
                StatusCode::INTERNAL_SERVER_ERROR,
            )),
        }
    }

    /// Panics
    #[oai(path = "/boom", method = "get")]
    async fn boom(&self) -> PlainText<String> {
        panic!("boom")
    }
}

fn client() -> TestClient<impl Endpoint> {
    let service = OpenApiService::new(kit::FastapiErrors(Api), "Test", "1");
    TestClient::new(kit::mount(service, &kit::Docs::default()))
}

async fn body(resp: poem::test::TestResponse) -> (StatusCode, Value) {
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

#[tokio::test]
async fn a_bad_path_integer_names_the_path_parameter() {
    let (status, body) = body(client().get("/items/ce6e56").send().await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"detail": [{"type": "int_parsing", "loc": ["path", "item_id"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "ce6e56"}]})
    );
}

#[tokio::test]
async fn a_path_integer_out_of_i64_is_422() {
    let (status, body) = body(client().get("/items/99999999999999999999").send().await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "less_than_equal");
}

#[tokio::test]
async fn an_encoded_slash_stays_in_its_segment() {
    let resp = client().get("/names/a%2Fb").send().await;
    resp.assert_status_is_ok();
    resp.assert_text("a/b").await;
}

#[tokio::test]
async fn encoded_letters_are_decoded_before_routing_but_an_encoded_slash_is_not() {
    let resp = client().get("/%6Eames/%61b%2Fc").send().await;
    resp.assert_status_is_ok();
    resp.assert_text("ab/c").await;
}

#[tokio::test]
async fn a_json_string_field_refuses_a_number_or_a_boolean() {
    for name in [
        json!(5),
        json!(true),
        json!(99999999999999999999u128 as f64),
    ] {
        let resp = client()
            .post("/items")
            .body_json(&json!({"name": name, "price": 1, "quantity": 1}))
            .send()
            .await;
        let (status, body) = body(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(body["detail"][0]["type"], "string_type");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "name"]));
    }
}

#[tokio::test]
async fn a_bad_json_body_is_listed_with_the_other_inputs_problems() {
    let resp = client()
        .post("/items?limit=x")
        .body_json(&json!({"name": 5, "price": 1, "quantity": 1}))
        .send()
        .await;
    let (_, body) = body(resp).await;
    let locs: Vec<_> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["query", "limit"]), json!(["body", "name"])]
    );
}

#[tokio::test]
async fn invalid_utf8_in_a_path_is_a_422_naming_the_parameter() {
    let (status, body) = body(client().get("/names/%FF%FE").send().await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "string_unicode");
    assert_eq!(body["detail"][0]["loc"], json!(["path", "name"]));
}

#[tokio::test]
async fn an_unknown_enum_value_lists_the_allowed_ones() {
    let (status, body) = body(client().get("/kinds/other").send().await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"][0]["msg"],
        "Input should be 'service' or 'new_feature'"
    );
    assert_eq!(body["detail"][0]["loc"], json!(["path", "kind"]));
}

#[tokio::test]
async fn every_bad_query_value_is_listed() {
    let (status, body) = body(client().get("/search?page=x").send().await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let kinds: Vec<_> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (json!("missing"), json!(["query", "q"])),
            (json!("int_parsing"), json!(["query", "page"]))
        ]
    );
}

#[tokio::test]
async fn the_last_of_repeated_query_values_wins() {
    let resp = client()
        .get("/search?q=abc&q=abcd&page=1&page=2&tag=a&tag=b")
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"q": "abcd", "page": 2, "tags": ["a", "b"]}))
        .await;
}

#[tokio::test]
async fn a_plus_in_a_query_is_a_space() {
    let (status, body) = body(client().get("/search?q=abc&page=+5").send().await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["input"], " 5");
}

#[tokio::test]
async fn invalid_utf8_in_a_query_is_replaced_as_python_does() {
    let resp = client().get("/search?q=%FF%FE%FD").send().await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"q": "\u{FFFD}\u{FFFD}\u{FFFD}", "page": 0, "tags": []}))
        .await;
}

#[tokio::test]
async fn string_lengths_count_characters() {
    client()
        .get("/search?q=%C3%A9%C3%A9%C3%A9")
        .send()
        .await
        .assert_status_is_ok();
    let (_, body) = body(client().get("/search?q=abcdef").send().await).await;
    assert_eq!(body["detail"][0]["type"], "string_too_long");
    assert_eq!(body["detail"][0]["ctx"], json!({"max_length": 5}));
}

#[tokio::test]
async fn headers_and_cookies_are_named_in_lower_case() {
    let (status, body) = body(
        client()
            .get("/secret")
            .header("cookie", "session=abc")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<_> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["header", "x-token"]), json!(["cookie", "session"])]
    );
    let resp = client()
        .get("/secret")
        .header("X-Token", "t")
        .header("cookie", "session=7")
        .send()
        .await;
    resp.assert_text("t 7").await;
}

#[tokio::test]
async fn every_problem_in_a_json_body_is_listed_with_its_path() {
    let resp = client()
        .post("/items?limit=1000")
        .body_json(&json!({"price": "abc", "quantity": -1, "extra": 1}))
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<_> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (json!("less_than_equal"), json!(["query", "limit"])),
            (json!("missing"), json!(["body", "name"])),
            (json!("float_type"), json!(["body", "price"])),
            (json!("greater_than_equal"), json!(["body", "quantity"])),
        ]
    );
}

#[tokio::test]
async fn a_json_integer_must_be_a_whole_json_number() {
    for quantity in [json!(5.0), json!("5"), json!(true)] {
        let resp = client()
            .post("/items")
            .body_json(&json!({"name": "x", "price": 1, "quantity": quantity}))
            .send()
            .await;
        let (status, body) = body(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{quantity}");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "quantity"]));
    }
}

#[tokio::test]
async fn malformed_json_says_where_it_broke() {
    let resp = client()
        .post("/items")
        .content_type("application/json")
        .body("{\"name\": ")
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["type"], "json_invalid");
    assert_eq!(body["detail"][0]["loc"], json!(["body", 9]));
}

#[tokio::test]
async fn json_without_its_content_type_is_refused_at_the_body() {
    let resp = client()
        .post("/items")
        .content_type("text/plain")
        .body(r#"{"name": "x", "price": 1, "quantity": 1}"#)
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body"]));
    let resp = client()
        .post("/items")
        .body(r#"{"name": "x", "price": 1, "quantity": 1}"#)
        .send()
        .await;
    assert_eq!(resp.0.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_json_type_with_a_suffix_is_json() {
    let resp = client()
        .post("/items")
        .content_type("application/merge-patch+json")
        .body(r#"{"name": "x", "price": 1, "quantity": 1}"#)
        .send()
        .await;
    resp.assert_status_is_ok();
}

#[tokio::test]
async fn a_missing_body_is_missing() {
    let (status, body) = body(
        client()
            .post("/items")
            .content_type("application/json")
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["detail"],
        json!([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}])
    );
}

#[tokio::test]
async fn a_form_field_that_is_empty_or_absent_is_missing() {
    let resp = client()
        .post("/login")
        .content_type("application/x-www-form-urlencoded")
        .body("username=a&password=")
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "password"]));
    assert_eq!(body["detail"][0]["type"], "missing");
}

#[tokio::test]
async fn every_empty_form_field_is_listed() {
    let resp = client()
        .post("/login")
        .content_type("application/x-www-form-urlencoded")
        .body("username=&password=")
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let locs: Vec<_> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["body", "username"]), json!(["body", "password"])]
    );
}

#[tokio::test]
async fn a_multipart_body_cut_before_any_field_is_422_at_the_body() {
    for text in ["--X\r\nContent-Disp", "garbage"] {
        let resp = client()
            .post("/upload")
            .content_type("multipart/form-data; boundary=X")
            .body(text)
            .send()
            .await;
        let (status, body) = body(resp).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text:?}");
        assert_eq!(body["detail"][0]["loc"], json!(["body"]), "{text:?}");
    }
}

#[tokio::test]
async fn the_last_of_repeated_form_fields_wins() {
    let resp = client()
        .post("/login")
        .content_type("application/x-www-form-urlencoded")
        .body("username=a&username=b&password=p")
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"username": "b", "password": "p"}))
        .await;
}

/// FastAPI's `Form` reads `multipart/form-data` too (what `curl -F` sends), and so does a
/// form operation here.
#[tokio::test]
async fn a_form_takes_multipart_form_data_too() {
    let body_text = "--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n\
                     --X\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nx & y=z\r\n\
                     --X--\r\n";
    let resp = client()
        .post("/login")
        .content_type("multipart/form-data; boundary=X")
        .body(body_text)
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"username": "alice", "password": "x & y=z"}))
        .await;
}

#[tokio::test]
async fn a_multipart_form_is_checked_as_a_form() {
    let body_text =
        "--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--X--\r\n";
    let (status, body) = body(
        client()
            .post("/login")
            .content_type("multipart/form-data; boundary=X")
            .body(body_text)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "password"]));
    assert_eq!(body["detail"][0]["type"], "missing");
}

#[tokio::test]
async fn a_file_where_a_form_has_a_field_is_422() {
    let body_text = "--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n\
                     --X\r\nContent-Disposition: form-data; name=\"password\"; filename=\"p.txt\"\r\n\r\nsecret\r\n\
                     --X--\r\n";
    let (status, body) = body(
        client()
            .post("/login")
            .content_type("multipart/form-data; boundary=X")
            .body(body_text)
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "password"]));
    assert_eq!(body["detail"][0]["type"], "string_type");
}

/// Paths are not normalised beyond one trailing slash: a doubled slash names no route, as in
/// FastAPI.
#[tokio::test]
async fn a_doubled_slash_names_no_route() {
    for path in ["//", "//me", "/items//1", "/items/1//"] {
        let (status, body) = body(client().get(path).send().await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body, json!({"detail": "Not Found"}), "{path}");
    }
    client().get("/items/1/").send().await.assert_status_is_ok();
}

#[tokio::test]
async fn a_multipart_without_its_file_names_the_field() {
    let body_text = "--X\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhi\r\n--X--\r\n";
    let resp = client()
        .post("/upload")
        .content_type("multipart/form-data; boundary=X")
        .body(body_text)
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "file"]));
    assert_eq!(body["detail"][0]["type"], "missing");
}

#[tokio::test]
async fn a_truncated_multipart_is_a_client_error() {
    let body_text =
        "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhalf a fi";
    let resp = client()
        .post("/upload")
        .content_type("multipart/form-data; boundary=X")
        .body(body_text)
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "file"]), "{body}");
    assert_eq!(body["detail"][0]["type"], "value_error");
}

#[tokio::test]
async fn a_multipart_file_is_read_and_measured() {
    let body_text = "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--X--\r\n";
    let resp = client()
        .post("/upload")
        .content_type("multipart/form-data; boundary=X")
        .body(body_text)
        .send()
        .await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"size": 5})).await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_it_is_read() {
    let big = vec![b'x'; kit::errors::BODY_LIMIT + 1];
    let resp = client()
        .post("/items")
        .content_type("application/json")
        .body(big)
        .send()
        .await;
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body, json!({"detail": "Content Too Large"}));
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_413_too() {
    // No Content-Length: the limit is found while reading, and reading stops there.
    let chunks = futures_util::stream::iter(
        (0..20).map(|_| Ok::<_, std::io::Error>(vec![b' '; 100 * 1024])),
    );
    let resp = client()
        .post("/items")
        .content_type("application/json")
        .body(poem::Body::from_bytes_stream(chunks))
        .send()
        .await;
    assert_eq!(resp.0.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_bearer_credential_of_spaces_only_is_not_authenticated() {
    let cli = client();
    let resp = cli
        .get("/me")
        .header("authorization", "Bearer   ")
        .send()
        .await;
    resp.assert_header("www-authenticate", "Bearer");
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Not authenticated"}));
    let resp = cli
        .get("/me")
        .header("authorization", "  bearer   abc  ")
        .send()
        .await;
    resp.assert_text("abc").await;
}

#[tokio::test]
async fn a_missing_api_key_is_401_with_an_api_key_challenge() {
    let resp = client().get("/keyed").send().await;
    resp.assert_status(StatusCode::UNAUTHORIZED);
    resp.assert_header("www-authenticate", "APIKey");
}

#[tokio::test]
async fn a_password_never_comes_back_in_a_422() {
    let resp = client()
        .post("/signup")
        .body_json(&json!({"password": "hunter2"}))
        .send()
        .await;
    let (status, answer) = body(resp).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!answer.to_string().contains("hunter2"), "{answer}");
    let resp = client()
        .post("/login")
        .content_type("application/x-www-form-urlencoded")
        .body("password=hunter2")
        .send()
        .await;
    let (_, body) = body(resp).await;
    assert_eq!(body["detail"][0]["input"], Value::Null);
    assert!(!body.to_string().contains("hunter2"), "{body}");
}

#[tokio::test]
async fn an_empty_form_lists_each_missing_field() {
    let resp = client()
        .post("/login")
        .content_type("application/x-www-form-urlencoded")
        .send()
        .await;
    let (_, body) = body(resp).await;
    let locs: Vec<_> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![json!(["body", "username"]), json!(["body", "password"])]
    );
}

#[tokio::test]
async fn the_docs_page_with_a_slash_redirects_to_the_page() {
    let resp = client().get("/docs/").send().await;
    resp.assert_status(StatusCode::TEMPORARY_REDIRECT);
    resp.assert_header("location", "/docs");
    client()
        .get("/docs/oauth-receiver.html")
        .send()
        .await
        .assert_status_is_ok();
}

#[tokio::test]
async fn an_http_exception_keeps_its_status_detail_and_headers() {
    let resp = client().get("/raise/exception").send().await;
    resp.assert_header("www-authenticate", "Bearer");
    let (status, body) = body(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, json!({"detail": "Not authenticated"}));
}

#[tokio::test]
async fn a_handler_error_message_becomes_its_detail() {
    let (status, body) = body(client().get("/raise/message").send().await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"detail": "Item not found"}));
}

#[tokio::test]
async fn an_internal_error_says_nothing_of_its_cause() {
    let (status, body) = body(client().get("/raise/internal").send().await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"detail": "Internal Server Error"}));
}

#[tokio::test]
async fn a_panic_is_a_plain_500_and_the_app_keeps_serving() {
    let cli = client();
    let (status, body) = body(cli.get("/boom").send().await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body, json!({"detail": "Internal Server Error"}));
    cli.get("/items/1").send().await.assert_status_is_ok();
}

#[tokio::test]
async fn operations_with_input_document_their_422() {
    let document: Value =
        serde_json::from_str(&OpenApiService::new(kit::FastapiErrors(Api), "Test", "1").spec())
            .unwrap();
    let response = &document["paths"]["/items/{item_id}"]["get"]["responses"]["422"];
    assert_eq!(response["description"], "Validation Error");
    assert_eq!(
        document["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]["type"],
        "array"
    );
    assert!(document["paths"]["/boom"]["get"]["responses"]["422"].is_null());
}

/// The per-test databases of the SQL chapters.
#[cfg(feature = "db")]
mod databases {
    use kit::db::TestDb;
    use sqlx::Connection;

    kit::db_tests! {
        async fn a_test_database_is_fresh_and_dropped_after(db: TestDb) {
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("the test database answers");
            sqlx::raw_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)").execute(&mut conn).await.expect("it is empty and writable");
            conn.close().await.expect("it closes");
            // Without mode=rwc, SQLite opens the file only if it exists.
            let url = db.url.replace("?mode=rwc", "");
            drop(db);
            let gone = sqlx::AnyConnection::connect(&url).await.is_err();
            assert!(gone, "{url} is still there");
        }
    }
}

/// A lesson's operation on a path.
struct Lesson;

#[OpenApi]
impl Lesson {
    /// Create a thing
    #[oai(path = "/things/", method = "post")]
    async fn create(&self) -> PlainText<&'static str> {
        PlainText("made")
    }
}

/// An exercise's operation on the same path, in a type of its own.
struct Exercise;

#[OpenApi]
impl Exercise {
    /// List the things
    #[oai(path = "/things/", method = "get")]
    async fn list(&self) -> PlainText<&'static str> {
        PlainText("listed")
    }
}

#[tokio::test]
async fn two_apis_on_one_path_are_one_path_in_the_document_and_both_are_served() {
    let service = OpenApiService::new(kit::FastapiErrors((Lesson, Exercise)), "Test", "1");
    let spec = service.spec();
    assert_eq!(spec.matches("\"/things\"").count(), 1, "{spec}");
    let document: Value = serde_json::from_str(&spec).unwrap();
    let methods: Vec<&String> = document["paths"]["/things"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(methods, ["post", "get"]);
    let cli = TestClient::new(kit::mount(service, &kit::Docs::default()));
    cli.post("/things/").send().await.assert_text("made").await;
    cli.get("/things/").send().await.assert_text("listed").await;
    let refused = cli.delete("/things/").send().await;
    refused.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    let allow = refused.0.headers().get("allow").unwrap().to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}
