//! Chapter 02 — path parameters: typed values in the path, enums, bounds, and FastAPI's 422.

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 02, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    vec![
        items_integer(),
        items_not_an_integer(),
        items_i64(),
        items_integer_forms(),
        items_integer_forms_strict(),
        items_empty(),
        items_trailing_slash(),
        requests_current(),
        requests_any(),
        requests_encoded_slash(),
        requests_bad_utf8(),
        requests_type(),
        requests_type_unknown(),
        validated_within(),
        validated_outside(),
        openapi_parameters(),
        openapi_422(),
        // Exercises.
        ex_models(),
        ex_models_unknown(),
        ex_user_items(),
        ex_user_items_bad_user(),
        ex_files(),
    ]
}

fn items_integer() -> Check {
    Check::new(
        "02.items.integer",
        "GET /items/{item_id} gives back the integer it was sent",
    )
    .points(3)
    .hint(
        "Declare item_id as an integer path parameter (Path<i64>; FastAPI: item_id: int) and \
         answer {\"item_id\": item_id}, a JSON number.",
    )
    .book("02-path-parameters.html#an-integer-in-the-path")
    .run(|cx| async move {
        for item_id in [
            cx.rng(|r| r.between(0, 1_000_000)),
            cx.rng(|r| r.between(-1_000_000, -1)),
        ] {
            cx.get(&format!("/items/{item_id}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"item_id": item_id}))?;
        }
        Ok(())
    })
}

fn items_not_an_integer() -> Check {
    Check::new(
        "02.items.not_an_integer",
        "GET /items/<text> is a 422 int_parsing at [\"path\", \"item_id\"]",
    )
    .points(2)
    .hint(
        "A value that is not an integer is refused with FastAPI's 422 body: {\"detail\": \
         [{\"type\": \"int_parsing\", \"loc\": [\"path\", \"item_id\"], \"msg\": ..., \"input\": \
         ...}]} (kit::FastapiErrors; FastAPI and Pydantic answer it by themselves).",
    )
    .book("02-path-parameters.html#the-422-body")
    .run(|cx| async move {
        let text = format!("{}{}", cx.word(), cx.rng(|r| r.between(0, 99)));
        let reply = cx.get(&format!("/items/{text}")).send().await?;
        let problem = problem_at(&reply, &["path", "item_id"])?;
        expect_member(&reply, &problem, "type", &json!("int_parsing"))?;
        expect_member(&reply, &problem, "input", &json!(text))?;
        ensure(
            problem["msg"].as_str().is_some_and(|m| !m.is_empty()),
            || {
                reply
                    .fail("the problem has no msg for a person to read")
                    .got(problem.to_string())
            },
        )
    })
}

fn items_i64() -> Check {
    Check::new(
        "02.items.i64",
        "an item_id outside the 64-bit range is a 422, not a crash",
    )
    .hint(
        "An integer is an i64: 99999999999999999999 does not fit, and must be refused with a 422 \
         at [\"path\", \"item_id\"] (FastAPI accepts it: Python integers have no limit; \
         Path(ge=-2**63, le=2**63 - 1) bounds it).",
    )
    .book("02-path-parameters.html#where-it-differs-from-fastapi")
    .tag(Tag::I64)
    .run(|cx| async move { beyond_i64(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { beyond_i64(&cx, Profile::Fastapi).await })
}

fn items_integer_forms() -> Check {
    Check::new("02.items.integer_forms", "+5 and 007 are integers")
        .hint(
            "Path integers are read as Rust's i64::from_str reads them (Pydantic too): a sign and \
             leading zeros are fine.",
        )
        .book("02-path-parameters.html#where-it-differs-from-fastapi")
        .run(|cx| async move {
            let n = cx.rng(|r| r.between(1, 999));
            for (text, value) in [(format!("+{n}"), n), (format!("00{n}"), n)] {
                cx.get(&format!("/items/{text}"))
                    .send()
                    .await?
                    .expect_status(200)?
                    .expect_json(&json!({"item_id": value}))?;
            }
            Ok(())
        })
}

fn items_integer_forms_strict() -> Check {
    Check::new(
        "02.items.integer_forms.strict",
        "2.0 and 1_000 are not integers",
    )
    .hint(
        "Path integers are read as Rust's i64::from_str reads them: a fraction or an underscore is \
         a 422 int_parsing (Pydantic's lax mode reads 2.0 as 2 and 1_000 as 1000).",
    )
    .book("02-path-parameters.html#where-it-differs-from-fastapi")
    .tag(Tag::StrictInt)
    .run(|cx| async move { not_integers(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { not_integers(&cx, Profile::Fastapi).await })
}

fn items_empty() -> Check {
    Check::new(
        "02.items.empty",
        "GET /items/ (no id) is a 404 {\"detail\": \"Not Found\"}",
    )
    .hint(
        "An empty segment matches no parameter: there is no route, so the answer is the JSON 404.",
    )
    .book("02-path-parameters.html#an-integer-in-the-path")
    .run(|cx| async move {
        cx.get("/items/")
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        Ok(())
    })
}

fn items_trailing_slash() -> Check {
    Check::new(
        "02.items.trailing_slash",
        "GET /items/{item_id}/ answers like /items/{item_id} (or redirects there)",
    )
    .hint(
        "The other form of a path answers exactly as the declared one (kit::mount does it) or \
         redirects to it with 307 (as FastAPI does).",
    )
    .book("02-path-parameters.html#try-it")
    .tag(Tag::TrailingSlash)
    .fastapi_as_written()
    .run(|cx| async move {
        let item_id = cx.rng(|r| r.between(1, 9999));
        let reply = cx.get(&format!("/items/{item_id}/")).send().await?;
        if reply.status == 307 {
            let location = reply.header("location").unwrap_or_default();
            return ensure(location.ends_with(&format!("/items/{item_id}")), || {
                reply
                    .fail("the redirect does not lead to the declared path")
                    .expected(format!("Location: …/items/{item_id}"))
                    .got(format!("Location: {location}"))
            });
        }
        reply
            .expect_status(200)?
            .expect_json(&json!({"item_id": item_id}))?;
        Ok(())
    })
}

fn requests_current() -> Check {
    Check::new(
        "02.requests.current",
        "GET /requests/current answers {\"request\": \"current item\"}",
    )
    .points(2)
    .hint(
        "A fixed path beside /requests/{request_id}. In poem the fixed route wins whatever the \
         order; in FastAPI declare it first.",
    )
    .book("02-path-parameters.html#a-fixed-route-beside-a-parameter")
    .run(|cx| async move {
        cx.get("/requests/current")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"request": "current item"}))?;
        Ok(())
    })
}

fn requests_any() -> Check {
    Check::new(
        "02.requests.any",
        "GET /requests/{request_id} gives back any text, decoded",
    )
    .points(2)
    .hint(
        "Declare request_id as a string path parameter and answer {\"request\": request_id}; \
         percent-escapes (%20) arrive decoded.",
    )
    .book("02-path-parameters.html#a-fixed-route-beside-a-parameter")
    .run(|cx| async move {
        let id = format!("{}-{}", cx.word(), cx.rng(|r| r.between(1, 99)));
        let (a, b) = (cx.word(), cx.word());
        for (path, request) in [
            (id.clone(), id),
            (format!("{a}%20{b}"), format!("{a} {b}")),
            ("currently".to_owned(), "currently".to_owned()),
        ] {
            cx.get(&format!("/requests/{path}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"request": request}))?;
        }
        Ok(())
    })
}

fn requests_encoded_slash() -> Check {
    Check::new("02.requests.encoded_slash", "a %2F stays inside request_id")
        .hint(
            "An encoded slash does not split a segment: /requests/a%2Fb is the id \"a/b\" (FastAPI \
             decodes the path before routing and answers 404).",
        )
        .book("02-path-parameters.html#where-it-differs-from-fastapi")
        .tag(Tag::EncodedSlash)
        .run(|cx| async move { encoded_slash(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { encoded_slash(&cx, Profile::Fastapi).await })
}

fn requests_bad_utf8() -> Check {
    Check::new(
        "02.requests.bad_utf8",
        "bytes that are not UTF-8 in request_id are refused without a crash",
    )
    .hint(
        "A path segment that decodes to invalid UTF-8 (%FF) must not make the server fail: refuse \
         it with a 422 (or replace the bytes).",
    )
    .book("02-path-parameters.html#the-422-body")
    .run(|cx| async move {
        let reply = cx
            .get(&format!("/requests/{}%FF%FE", cx.word()))
            .send()
            .await?;
        ensure(reply.status < 500, || {
            reply
                .fail(format!("the server failed with {}", reply.status))
                .expected("a 422 (or a 200)")
        })?;
        cx.get("/requests/current")
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn requests_type() -> Check {
    Check::new(
        "02.requests.type",
        "GET /requests/type/{request_type} answers service and new_feature",
    )
    .points(2)
    .hint(
        "Make request_type an enum of two values, service and new_feature (poem-openapi: \
         #[derive(Enum)] with rename_all = \"snake_case\"; FastAPI: class RequestType(str, Enum)).",
    )
    .book("02-path-parameters.html#a-fixed-list-enums")
    .run(|cx| async move {
        for request_type in ["service", "new_feature"] {
            cx.get(&format!("/requests/type/{request_type}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"request_type": request_type}))?;
        }
        Ok(())
    })
}

fn requests_type_unknown() -> Check {
    Check::new(
        "02.requests.type.unknown",
        "any other request type is a 422 that lists service and new_feature",
    )
    .points(2)
    .hint(
        "A value outside the enum is a 422 at [\"path\", \"request_type\"] of type enum, whose msg \
         names the allowed values.",
    )
    .book("02-path-parameters.html#a-fixed-list-enums")
    .run(|cx| async move {
        for value in [cx.word(), "Service".to_owned()] {
            let reply = cx.get(&format!("/requests/type/{value}")).send().await?;
            let problem = problem_at(&reply, &["path", "request_type"])?;
            expect_member(&reply, &problem, "type", &json!("enum"))?;
            let msg = problem["msg"].as_str().unwrap_or_default();
            ensure(
                msg.contains("'service'") && msg.contains("'new_feature'"),
                || {
                    reply
                        .fail("the msg does not list the allowed values")
                        .expected("Input should be 'service' or 'new_feature'")
                        .got(msg.to_owned())
                },
            )?;
        }
        Ok(())
    })
}

fn validated_within() -> Check {
    Check::new(
        "02.validated.within",
        "GET /items_validated/{request_id} answers ids from 10 to 14",
    )
    .points(2)
    .hint(
        "Bound the parameter: at least 10, less than 15 (poem-openapi: validator(minimum(value = \
         \"10\"), maximum(value = \"15\", exclusive)); FastAPI: Path(ge=10, lt=15)).",
    )
    .book("02-path-parameters.html#numbers-within-bounds")
    .run(|cx| async move {
        for request_id in [10, cx.rng(|r| r.between(11, 14))] {
            cx.get(&format!("/items_validated/{request_id}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"request_id": request_id}))?;
        }
        Ok(())
    })
}

fn validated_outside() -> Check {
    Check::new(
        "02.validated.outside",
        "ids under 10 or from 15 up are 422s that name the broken bound",
    )
    .points(2)
    .hint(
        "15 and above break \"less than 15\" (type less_than); 9 and below break \"at least 10\" \
         (type greater_than_equal); both at [\"path\", \"request_id\"].",
    )
    .book("02-path-parameters.html#numbers-within-bounds")
    .run(|cx| async move {
        let cases = [
            (15, "less_than"),
            (cx.rng(|r| r.between(16, 10_000)), "less_than"),
            (9, "greater_than_equal"),
            (cx.rng(|r| r.between(-10_000, 8)), "greater_than_equal"),
        ];
        for (request_id, kind) in cases {
            let reply = cx
                .get(&format!("/items_validated/{request_id}"))
                .send()
                .await?;
            let problem = problem_at(&reply, &["path", "request_id"])?;
            expect_member(&reply, &problem, "type", &json!(kind))?;
        }
        Ok(())
    })
}

fn openapi_parameters() -> Check {
    Check::new(
        "02.openapi.parameters",
        "the document gives each path parameter its type, values and bounds",
    )
    .hint(
        "The types do it: Path<i64> (FastAPI: int) is an integer, an Enum lists its values, \
         validators (ge, lt) add minimum and maximum.",
    )
    .book("02-path-parameters.html#what-the-document-says")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let item_id = parameter_schema(&doc, "/items/{item_id}", "item_id")?;
        ensure(item_id["type"] == "integer", || {
            Failure::new("item_id is not documented as an integer").got(item_id.to_string())
        })?;
        let request_type = parameter_schema(&doc, "/requests/type/{request_type}", "request_type")?;
        let values: Vec<&str> = request_type["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        ensure(
            values.contains(&"service") && values.contains(&"new_feature") && values.len() == 2,
            || {
                Failure::new("request_type is not documented as the enum service, new_feature")
                    .got(request_type.to_string())
            },
        )?;
        let bounded = parameter_schema(&doc, "/items_validated/{request_id}", "request_id")?;
        let number = |key: &str| bounded[key].as_f64();
        // OpenAPI 3.0 says `maximum: 15, exclusiveMaximum: true`; 3.1 (FastAPI)
        // `exclusiveMaximum: 15`.
        let below_15 = (number("maximum") == Some(15.0) && bounded["exclusiveMaximum"] == true)
            || number("exclusiveMaximum") == Some(15.0);
        ensure(number("minimum") == Some(10.0) && below_15, || {
            Failure::new("request_id's bounds are not documented")
                .expected("minimum 10, and maximum 15 exclusive")
                .got(bounded.to_string())
        })
    })
}

fn openapi_422() -> Check {
    Check::new(
        "02.openapi.422",
        "operations with a path parameter document their 422 response",
    )
    .hint(
        "FastAPI documents the 422 of every operation that takes input; kit::FastapiErrors adds it \
         to the document.",
    )
    .book("02-path-parameters.html#what-the-document-says")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for path in [
            "/items/{item_id}",
            "/requests/{request_id}",
            "/requests/type/{request_type}",
            "/items_validated/{request_id}",
        ] {
            ensure(
                doc["paths"][path]["get"]["responses"]["422"].is_object(),
                || Failure::new(format!("GET {path} does not document its 422 response")),
            )?;
        }
        Ok(())
    })
}

fn ex_models() -> Check {
    Check::new(
        "02.ex.models",
        "GET /models/{model_name} answers each model with its message",
    )
    .points(2)
    .exercise()
    .hint(
        "An enum of alexnet, resnet, lenet; answer {\"model_name\": ..., \"message\": ...} with \
         the tutorial's three messages.",
    )
    .book("02-path-parameters.html#exercise-1-models")
    .run(|cx| async move {
        for (model_name, message) in [
            ("alexnet", "Deep Learning FTW!"),
            ("lenet", "LeCNN all the images"),
            ("resnet", "Have some residuals"),
        ] {
            cx.get(&format!("/models/{model_name}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"model_name": model_name, "message": message}))?;
        }
        Ok(())
    })
}

fn ex_models_unknown() -> Check {
    Check::new(
        "02.ex.models.unknown",
        "an unknown model is a 422 at [\"path\", \"model_name\"]",
    )
    .exercise()
    .hint(
        "Any name outside the enum is refused with a 422 of type enum that lists the three models.",
    )
    .book("02-path-parameters.html#exercise-1-models")
    .run(|cx| async move {
        let reply = cx.get(&format!("/models/{}", cx.word())).send().await?;
        let problem = problem_at(&reply, &["path", "model_name"])?;
        expect_member(&reply, &problem, "type", &json!("enum"))
    })
}

fn ex_user_items() -> Check {
    Check::new(
        "02.ex.user_items",
        "GET /users/{user_id}/items/{item_id} gives back both values",
    )
    .points(2)
    .exercise()
    .hint(
        "Two path parameters: user_id an integer, item_id a string; in poem-openapi the Path \
         arguments come in the order of the path (FastAPI matches them by name).",
    )
    .book("02-path-parameters.html#exercise-2-two-parameters")
    .run(|cx| async move {
        let user_id = cx.rng(|r| r.between(1, 100_000));
        let number = cx.rng(|r| r.between(1, 999)).to_string();
        for item_id in [cx.word(), number] {
            cx.get(&format!("/users/{user_id}/items/{item_id}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"user_id": user_id, "item_id": item_id}))?;
        }
        Ok(())
    })
}

fn ex_user_items_bad_user() -> Check {
    Check::new(
        "02.ex.user_items.bad_user",
        "a user_id that is not an integer is a 422 at [\"path\", \"user_id\"]",
    )
    .exercise()
    .hint("user_id is an integer: a word is refused with a 422 int_parsing that names user_id.")
    .book("02-path-parameters.html#exercise-2-two-parameters")
    .run(|cx| async move {
        let reply = cx
            .get(&format!("/users/{}/items/{}", cx.word(), cx.word()))
            .send()
            .await?;
        let problem = problem_at(&reply, &["path", "user_id"])?;
        expect_member(&reply, &problem, "type", &json!("int_parsing"))
    })
}

fn ex_files() -> Check {
    Check::new(
        "02.ex.files",
        "GET /files/{file_path} takes a path whose slashes are sent as %2F",
    )
    .points(2)
    .exercise()
    .hint(
        "A string path parameter receives home%2Fjohnson%2Fmyfile.txt as home/johnson/myfile.txt; \
         answer {\"file_path\": file_path}.",
    )
    .book("02-path-parameters.html#exercise-3-a-file-path")
    .run(|cx| async move {
        let parts = [cx.word(), cx.word(), format!("{}.txt", cx.word())];
        cx.get(&format!("/files/{}", parts.join("%2F")))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"file_path": parts.join("/")}))?;
        Ok(())
    })
}

/// Item ids beyond i64, both signs, are a 422; under the FastAPI profile they may also be
/// answered back whole, as Python's unbounded integers are.
async fn beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    // At least 20 digits: over i64::MAX (19 digits).
    let digits = format!(
        "{}{:019}",
        cx.rng(|r| r.between(10, 99)),
        cx.rng(|r| r.between(0, i64::MAX))
    );
    for number in [digits.clone(), format!("-{digits}")] {
        let reply = cx.get(&format!("/items/{number}")).send().await?;
        if profile == Profile::Fastapi && reply.status == 200 {
            reply.expect_json_text(&format!("{{\"item_id\": {number}}}"))?;
            continue;
        }
        problem_at(&reply, &["path", "item_id"])?;
    }
    Ok(())
}

/// `n.0` and `n_000` are 422s int_parsing; under the FastAPI profile they may also be read as
/// Pydantic's lax mode reads them, as n and n × 1000.
async fn not_integers(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let n = cx.rng(|r| r.between(1, 999));
    for (text, lax) in [(format!("{n}.0"), n), (format!("{n}_000"), n * 1000)] {
        let reply = cx.get(&format!("/items/{text}")).send().await?;
        if profile == Profile::Fastapi && reply.status == 200 {
            reply.expect_json(&json!({"item_id": lax}))?;
            continue;
        }
        let problem = problem_at(&reply, &["path", "item_id"])?;
        expect_member(&reply, &problem, "type", &json!("int_parsing"))?;
    }
    Ok(())
}

/// `/requests/a%2Fb` is the request `a/b`; under the FastAPI profile it may also be the JSON
/// 404 of the decoded path `/requests/a/b`, which no route matches.
async fn encoded_slash(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let (a, b) = (cx.word(), cx.word());
    let reply = cx.get(&format!("/requests/{a}%2F{b}")).send().await?;
    if profile == Profile::Fastapi && reply.status == 404 {
        reply.expect_detail(404, "Not Found")?;
        return Ok(());
    }
    reply
        .expect_status(200)?
        .expect_json(&json!({"request": format!("{a}/{b}")}))?;
    Ok(())
}

/// The entry at `loc` of FastAPI's 422 body, after checking that the answer is one.
fn problem_at(reply: &Reply, loc: &[&str]) -> Result<Value, Failure> {
    reply
        .expect_status(422)?
        .expect_header("content-type", "json")?;
    let body = reply.json()?;
    let wanted = json!(loc);
    let Some(problems) = body["detail"].as_array() else {
        return Err(reply
            .fail("the 422 body has no list of problems under detail")
            .expected(format!(
                "{{\"detail\": [{{\"type\": ..., \"loc\": {wanted}, \"msg\": ..., \"input\": \
                 ...}}]}}"
            ))
            .got(body.to_string()));
    };
    problems
        .iter()
        .find(|problem| problem["loc"] == wanted)
        .cloned()
        .ok_or_else(|| {
            reply
                .fail(format!("no problem is reported at loc {wanted}"))
                .expected(format!("an entry with \"loc\": {wanted}"))
                .got(body.to_string())
        })
}

/// Fails unless `problem[key]` is `expected`.
fn expect_member(
    reply: &Reply,
    problem: &Value,
    key: &str,
    expected: &Value,
) -> Result<(), Failure> {
    ensure(&problem[key] == expected, || {
        reply
            .fail(format!(
                "the problem's {key} is {}, not {expected}",
                problem[key]
            ))
            .expected(format!("\"{key}\": {expected}"))
            .got(problem.to_string())
    })
}

/// The schema of a path parameter of `GET path`, with a `$ref` followed.
fn parameter_schema(doc: &Value, path: &str, name: &str) -> Result<Value, Failure> {
    let parameters = doc["paths"][path]["get"]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let parameter = parameters
        .iter()
        .find(|p| p["name"] == name && p["in"] == "path")
        .ok_or_else(|| {
            Failure::new(format!("GET {path} has no path parameter {name}"))
                .got(format!("parameters: {}", Value::Array(parameters.clone())))
        })?;
    let schema = &parameter["schema"];
    let referenced = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .map(|name| &doc["components"]["schemas"][name]);
    Ok(referenced.unwrap_or(schema).clone())
}
