//! Chapter 02's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.

use ch02_path_parameters::app;
use insta::assert_json_snapshot;
use kit::Docs;
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use serde_json::{Value, json};

fn client() -> TestClient<impl Endpoint> {
    TestClient::new(app(&Docs::default()))
}

async fn get(path: &str) -> TestResponse {
    client().get(path).send().await
}

/// The status and JSON body of a response.
async fn answer(path: &str) -> (StatusCode, Value) {
    let resp = get(path).await;
    let status = resp.0.status();
    (status, kit::testing::json(resp).await)
}

/// The `(type, loc)` of each problem of a 422, after checking that it is one.
async fn problems(path: &str) -> Vec<(Value, Value)> {
    let (status, body) = answer(path).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
    body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no list of problems in {body}"))
        .iter()
        .map(|p| (p["type"].clone(), p["loc"].clone()))
        .collect()
}

mod items {
    use super::*;

    // ANCHOR: first_test
    #[tokio::test]
    async fn an_integer_item_id_is_read_from_the_path() {
        let resp = get("/items/678").await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"item_id": 678})).await;
    }
    // ANCHOR_END: first_test

    #[tokio::test]
    async fn a_negative_item_id_is_an_integer_too() {
        get("/items/-5")
            .await
            .assert_json(json!({"item_id": -5}))
            .await;
    }

    // ANCHOR: not_an_integer_test
    #[tokio::test]
    async fn an_item_id_that_is_not_an_integer_is_a_422_naming_the_path_parameter() {
        let (status, body) = answer("/items/ce6e56").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("item_id_not_an_integer", body);
    }
    // ANCHOR_END: not_an_integer_test

    #[tokio::test]
    async fn integers_are_read_as_rust_reads_them() {
        for (path, item_id) in [("/items/+5", 5), ("/items/007", 7), ("/items/-0", 0)] {
            get(path)
                .await
                .assert_json(json!({"item_id": item_id}))
                .await;
        }
        for path in ["/items/2.0", "/items/1_000", "/items/%205%20", "/items/1e3"] {
            let expected = vec![(json!("int_parsing"), json!(["path", "item_id"]))];
            assert_eq!(problems(path).await, expected, "{path}");
        }
    }

    #[tokio::test]
    async fn an_item_id_outside_i64_is_a_422() {
        let (status, body) = answer("/items/99999999999999999999").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("item_id_too_large", body);
        let below = problems("/items/-99999999999999999999").await;
        assert_eq!(
            below,
            vec![(json!("greater_than_equal"), json!(["path", "item_id"]))]
        );
        get(&format!("/items/{}", i64::MAX))
            .await
            .assert_json(json!({"item_id": i64::MAX}))
            .await;
        get(&format!("/items/{}", i64::MIN))
            .await
            .assert_json(json!({"item_id": i64::MIN}))
            .await;
    }

    #[tokio::test]
    async fn an_empty_item_id_is_not_found() {
        let (status, body) = answer("/items/").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({"detail": "Not Found"}));
    }

    #[tokio::test]
    async fn a_trailing_slash_answers_like_the_declared_path() {
        get("/items/5/")
            .await
            .assert_json(json!({"item_id": 5}))
            .await;
    }

    #[tokio::test]
    async fn head_answers_like_get_without_a_body() {
        let resp = client().head("/items/5").send().await;
        resp.assert_status_is_ok();
        resp.assert_bytes(b"").await;
    }

    #[tokio::test]
    async fn a_wrong_method_is_a_json_405_that_says_what_is_allowed() {
        let resp = client().delete("/items/5").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_header("allow", "GET, HEAD");
        resp.assert_json(json!({"detail": "Method Not Allowed"}))
            .await;
    }
}

mod requests {
    use super::*;

    #[tokio::test]
    async fn the_current_request_has_its_own_answer() {
        let resp = get("/requests/current").await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"request": "current item"})).await;
    }

    #[tokio::test]
    async fn any_other_request_id_is_given_back_as_text() {
        for id in ["alpha-14", "42", "currently", "CURRENT"] {
            get(&format!("/requests/{id}"))
                .await
                .assert_json(json!({"request": id}))
                .await;
        }
    }

    #[tokio::test]
    async fn a_percent_encoded_request_id_is_decoded() {
        get("/requests/hello%20world")
            .await
            .assert_json(json!({"request": "hello world"}))
            .await;
        get("/requests/caf%C3%A9")
            .await
            .assert_json(json!({"request": "café"}))
            .await;
    }

    #[tokio::test]
    async fn an_encoded_slash_stays_in_the_request_id() {
        get("/requests/a%2Fb")
            .await
            .assert_json(json!({"request": "a/b"}))
            .await;
    }

    #[tokio::test]
    async fn invalid_utf8_in_a_request_id_is_a_422() {
        let found = problems("/requests/%FF%FE").await;
        assert_eq!(
            found,
            vec![(json!("string_unicode"), json!(["path", "request_id"]))]
        );
    }

    #[tokio::test]
    async fn request_types_come_from_the_list() {
        for request_type in ["service", "new_feature"] {
            get(&format!("/requests/type/{request_type}"))
                .await
                .assert_json(json!({"request_type": request_type}))
                .await;
        }
    }

    #[tokio::test]
    async fn an_unknown_request_type_lists_the_allowed_values() {
        let (status, body) = answer("/requests/type/abrakadabra").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("unknown_request_type", body);
    }

    #[tokio::test]
    async fn request_types_are_case_sensitive() {
        for path in [
            "/requests/type/Service",
            "/requests/type/new-feature",
            "/requests/type/%20service",
        ] {
            let expected = vec![(json!("enum"), json!(["path", "request_type"]))];
            assert_eq!(problems(path).await, expected, "{path}");
        }
    }
}

/// The router prefers a fixed segment to a parameter, so the order in which the two routes
/// are declared does not matter. Two small APIs declare them in either order.
mod declaration_order {
    use poem_openapi::param::Path;
    use poem_openapi::payload::PlainText;
    use poem_openapi::{OpenApi, OpenApiService};

    use super::*;

    struct ParameterFirst;

    #[OpenApi]
    impl ParameterFirst {
        /// By id
        #[oai(path = "/users/:user_id", method = "get")]
        async fn by_id(&self, user_id: Path<String>) -> PlainText<String> {
            PlainText(format!("user {}", user_id.0))
        }

        /// Me
        #[oai(path = "/users/me", method = "get")]
        async fn me(&self) -> PlainText<&'static str> {
            PlainText("the current user")
        }
    }

    struct FixedFirst;

    #[OpenApi]
    impl FixedFirst {
        /// Me
        #[oai(path = "/users/me", method = "get")]
        async fn me(&self) -> PlainText<&'static str> {
            PlainText("the current user")
        }

        /// By id
        #[oai(path = "/users/:user_id", method = "get")]
        async fn by_id(&self, user_id: Path<String>) -> PlainText<String> {
            PlainText(format!("user {}", user_id.0))
        }
    }

    async fn answers<A: OpenApi + 'static>(api: A) -> [String; 2] {
        let cli = TestClient::new(kit::mount(
            OpenApiService::new(kit::FastapiErrors(api), "Order", "1"),
            &Docs::off(),
        ));
        let me = cli.get("/users/me").send().await.0.into_body();
        let other = cli.get("/users/mel").send().await.0.into_body();
        [
            me.into_string().await.unwrap_or_default(),
            other.into_string().await.unwrap_or_default(),
        ]
    }

    #[tokio::test]
    async fn the_fixed_route_wins_whatever_the_declaration_order() {
        let expected = ["the current user".to_owned(), "user mel".to_owned()];
        assert_eq!(answers(ParameterFirst).await, expected);
        assert_eq!(answers(FixedFirst).await, expected);
    }
}

mod bounds {
    use super::*;

    #[tokio::test]
    async fn ids_within_bounds_are_accepted() {
        for request_id in 10..15 {
            get(&format!("/items_validated/{request_id}"))
                .await
                .assert_json(json!({"request_id": request_id}))
                .await;
        }
    }

    #[tokio::test]
    async fn an_id_at_or_over_the_exclusive_maximum_is_refused() {
        for path in ["/items_validated/15", "/items_validated/100"] {
            let expected = vec![(json!("less_than"), json!(["path", "request_id"]))];
            assert_eq!(problems(path).await, expected, "{path}");
        }
        let (_, body) = answer("/items_validated/100").await;
        assert_json_snapshot!("bounded_id_too_large", body);
    }

    #[tokio::test]
    async fn an_id_under_the_minimum_is_refused() {
        for path in ["/items_validated/9", "/items_validated/-10"] {
            let expected = vec![(json!("greater_than_equal"), json!(["path", "request_id"]))];
            assert_eq!(problems(path).await, expected, "{path}");
        }
        let (_, body) = answer("/items_validated/9").await;
        assert_eq!(body["detail"][0]["ctx"], json!({"ge": 10}));
        assert_eq!(
            body["detail"][0]["msg"],
            "Input should be greater than or equal to 10"
        );
    }

    #[tokio::test]
    async fn a_bounded_id_must_be_an_integer_first() {
        for path in ["/items_validated/ten", "/items_validated/12.0"] {
            let expected = vec![(json!("int_parsing"), json!(["path", "request_id"]))];
            assert_eq!(problems(path).await, expected, "{path}");
        }
        let too_large = problems("/items_validated/99999999999999999999").await;
        assert_eq!(too_large[0].1, json!(["path", "request_id"]));
    }
}

/// What poem-openapi answers on its own, and what `kit::FastapiErrors` makes of it.
mod error_bodies {
    use poem_openapi::param::Path;
    use poem_openapi::payload::PlainText;
    use poem_openapi::{OpenApi, OpenApiService};

    use super::*;

    // ANCHOR: point_api
    struct PointApi;

    #[OpenApi]
    impl PointApi {
        /// A point
        #[oai(path = "/points/:x/:y", method = "get")]
        async fn point(&self, x: Path<i64>, y: Path<i64>) -> PlainText<String> {
            PlainText(format!("({}, {})", x.0, y.0))
        }
    }
    // ANCHOR_END: point_api

    // ANCHOR: poem_alone
    #[tokio::test]
    async fn poem_openapi_alone_answers_400_in_plain_text_with_the_first_problem() {
        let service = OpenApiService::new(PointApi, "Points", "1");
        let resp = TestClient::new(poem::Route::new().nest("/", service))
            .get("/points/left/up")
            .send()
            .await;
        resp.assert_status(StatusCode::BAD_REQUEST);
        // It names the first bad value by its position (`param0`), and stops there.
        resp.assert_text(
            "failed to parse path `param0`: failed to parse \"integer_int64\": invalid digit found in string",
        )
        .await;
    }
    // ANCHOR_END: poem_alone

    // ANCHOR: fastapi_errors
    #[tokio::test]
    async fn fastapi_errors_answers_422_with_every_problem() {
        let service = OpenApiService::new(kit::FastapiErrors(PointApi), "Points", "1");
        let resp = TestClient::new(kit::mount(service, &Docs::off()))
            .get("/points/left/up")
            .send()
            .await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let body = kit::testing::json(resp).await;
        assert_json_snapshot!("every_problem", body);
    }
    // ANCHOR_END: fastapi_errors
}

mod exercises {
    use super::*;

    #[tokio::test]
    async fn each_model_has_its_message() {
        for (model_name, message) in [
            ("alexnet", "Deep Learning FTW!"),
            ("lenet", "LeCNN all the images"),
            ("resnet", "Have some residuals"),
        ] {
            get(&format!("/models/{model_name}"))
                .await
                .assert_json(json!({"model_name": model_name, "message": message}))
                .await;
        }
    }

    #[tokio::test]
    async fn an_unknown_model_lists_the_known_ones() {
        let (status, body) = answer("/models/AlexNet").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["detail"][0]["loc"], json!(["path", "model_name"]));
        assert_eq!(
            body["detail"][0]["msg"],
            "Input should be 'alexnet', 'resnet' or 'lenet'"
        );
    }

    #[tokio::test]
    async fn an_item_of_a_user_takes_both_parameters_in_order() {
        get("/users/3/items/foo")
            .await
            .assert_json(json!({"user_id": 3, "item_id": "foo"}))
            .await;
        get("/users/3/items/42")
            .await
            .assert_json(json!({"user_id": 3, "item_id": "42"}))
            .await;
    }

    #[tokio::test]
    async fn a_user_id_that_is_not_an_integer_is_a_422() {
        let expected = vec![(json!("int_parsing"), json!(["path", "user_id"]))];
        assert_eq!(problems("/users/me/items/foo").await, expected);
    }

    #[tokio::test]
    async fn a_file_path_keeps_its_encoded_slashes() {
        get("/files/home%2Fjohnson%2Fmyfile.txt")
            .await
            .assert_json(json!({"file_path": "home/johnson/myfile.txt"}))
            .await;
        get("/files/%2Fetc%2Fhosts")
            .await
            .assert_json(json!({"file_path": "/etc/hosts"}))
            .await;
    }

    #[tokio::test]
    async fn an_unencoded_slash_is_another_path() {
        let (status, _) = answer("/files/home/johnson/myfile.txt").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

mod document {
    use super::*;

    async fn openapi() -> Value {
        let resp = get("/openapi.json").await;
        resp.assert_status_is_ok();
        kit::testing::json(resp).await
    }

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        assert_json_snapshot!("openapi", openapi().await);
    }

    #[tokio::test]
    async fn the_parameters_are_documented_with_their_types_and_bounds() {
        let doc = openapi().await;
        let param = |path: &str| doc["paths"][path]["get"]["parameters"][0].clone();
        let item_id = param("/items/{item_id}");
        assert_eq!(item_id["in"], "path");
        assert_eq!(item_id["required"], true);
        assert_eq!(item_id["schema"]["type"], "integer");
        assert_eq!(item_id["schema"]["format"], "int64");
        let bounded = param("/items_validated/{request_id}")["schema"].clone();
        assert_eq!(bounded["minimum"], 10.0);
        assert_eq!(bounded["maximum"], 15.0);
        assert_eq!(bounded["exclusiveMaximum"], true);
        let request_type = param("/requests/type/{request_type}")["schema"]["$ref"].clone();
        assert_eq!(request_type, "#/components/schemas/RequestType");
        assert_eq!(
            doc["components"]["schemas"]["RequestType"]["enum"],
            json!(["service", "new_feature"])
        );
    }

    #[tokio::test]
    async fn every_operation_documents_its_422() {
        let doc = openapi().await;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let responses = &item["get"]["responses"];
            let has_parameter = path.contains('{');
            assert_eq!(responses["422"].is_object(), has_parameter, "{path}");
        }
    }
}

/// The program itself, started as a learner starts it.
mod program {
    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("02", env!("CARGO_BIN_EXE_ch02-path-parameters")).await;
        assert!(report.passed(), "{}", report.to_text());
    }
}
