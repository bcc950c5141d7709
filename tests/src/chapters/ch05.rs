//! Chapter 05 — response models: a password that goes in and never comes out, a 201, a declared
//! 404, and answers that are not JSON (HTML, plain text, a redirect, a file).

use serde_json::{Map, Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 05, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = user_checks();
    checks.extend(item_checks());
    checks.extend(format_checks());
    checks.extend(exercise_checks());
    checks
}

fn user_checks() -> Vec<Check> {
    vec![
        user_create(),
        user_full_name_null(),
        user_password_hidden(),
        user_invalid_email(),
        user_missing(),
        user_bad_body(),
        openapi_user(),
    ]
}

fn user_create() -> Check {
    Check::new(
        "05.user.create",
        "POST /user/ answers 201 with the user, without its password",
    )
    .points(3)
    .hint(
        "Take a UserIn (username, password, email, full_name) and answer 201 with a UserOut: \
         username, email, full_name.",
    )
    .book("05-response-models.html#a-model-in-another-model-out")
    .run(|cx| async move {
        let user = NewUser::invent(&cx);
        let reply = cx.post("/user/").json(&user.request(true)).send().await?;
        reply.expect_status(201)?;
        expect_same_json(&reply, &user.response(true))
    })
}

fn user_full_name_null() -> Check {
    Check::new(
        "05.user.full_name_null",
        "without a full_name, POST /user/ answers \"full_name\": null",
    )
    .hint("full_name is optional; an empty Option is answered as null, not left out.")
    .book("05-response-models.html#a-model-in-another-model-out")
    .run(|cx| async move {
        let user = NewUser::invent(&cx);
        let reply = cx.post("/user/").json(&user.request(false)).send().await?;
        reply.expect_status(201)?;
        expect_same_json(&reply, &user.response(false))
    })
}

fn user_password_hidden() -> Check {
    Check::new(
        "05.user.password_hidden",
        "the password never comes back, in the body or in a header",
    )
    .points(3)
    .hint("Answer with a separate output type that has no password field; never echo the request.")
    .book("05-response-models.html#a-model-in-another-model-out")
    .run(|cx| async move {
        let user = NewUser::invent(&cx);
        for with_full_name in [true, false] {
            let reply = cx
                .post("/user/")
                .json(&user.request(with_full_name))
                .send()
                .await?;
            reply.expect_status(201)?;
            let body = reply.json()?;
            ensure(find_key(&body, "password").is_none(), || {
                reply
                    .fail("the answer has a password member")
                    .expected("no password member")
                    .got(body.to_string())
            })?;
            ensure(!reply.text.contains(&user.password), || {
                reply
                    .fail("the password is in the response body")
                    .expected(format!("no {:?}", user.password))
                    .got(reply.text.clone())
            })?;
            let leaked = response_headers(&reply)
                .into_iter()
                .find(|(_, value)| value.contains(&user.password));
            ensure(leaked.is_none(), || {
                let (name, value) = leaked.clone().unwrap_or_default();
                reply
                    .fail("the password is in a response header")
                    .got(format!("{name}: {value}"))
            })?;
        }
        Ok(())
    })
}

fn user_invalid_email() -> Check {
    Check::new(
        "05.user.invalid_email",
        "an invalid email is 422 at [\"body\", \"email\"]",
    )
    .points(2)
    .hint(
        "Type the email as an email address (poem-openapi: types::Email; Pydantic: EmailStr), so \
         that a bad one is refused before the handler runs.",
    )
    .book("05-response-models.html#a-model-in-another-model-out")
    .run(|cx| async move {
        let user = NewUser::invent(&cx);
        let word = cx.word();
        for email in [
            format!("{word}.example.com"),
            format!("{word}@"),
            format!("@{word}.com"),
        ] {
            let mut body = user.request(true);
            body["email"] = json!(email);
            let reply = cx.post("/user/").json(&body).send().await?;
            reply.expect_problem(&json!(["body", "email"]), Some("value_error"))?;
        }
        Ok(())
    })
}

fn user_missing() -> Check {
    Check::new(
        "05.user.missing",
        "a missing field is 422 \"missing\" at its place in the body",
    )
    .hint("username, password and email are required; only full_name may be left out.")
    .book("05-response-models.html#when-the-input-is-wrong")
    .run(|cx| async move {
        let user = NewUser::invent(&cx);
        for field in ["password", "email", "username"] {
            let mut body = user.request(true);
            if let Some(object) = body.as_object_mut() {
                object.remove(field);
            }
            let reply = cx.post("/user/").json(&body).send().await?;
            reply.expect_problem(&json!(["body", field]), Some("missing"))?;
        }
        Ok(())
    })
}

fn user_bad_body() -> Check {
    Check::new(
        "05.user.bad_body",
        "a body that is not a user is a 422, never a 500",
    )
    .points(2)
    .hint(
        "Malformed JSON, a body that is not JSON, an empty body, an array or a wrong type must all \
         be 422 with a detail list.",
    )
    .book("05-response-models.html#when-the-input-is-wrong")
    .run(|cx| async move {
        let user = NewUser::invent(&cx);
        let text = user.request(true).to_string();
        let half = &text[..text.len() / 2];
        let json_type = "application/json";
        let cases = vec![
            ("malformed JSON", json_type, half.to_owned()),
            ("a text/plain body", "text/plain", text.clone()),
            ("an empty body", json_type, String::new()),
            ("an array", json_type, "[1, 2]".to_owned()),
            ("a number for the email", json_type, {
                let mut body = user.request(true);
                body["email"] = json!(cx.rng(|r| r.between(1, 99_999)));
                body.to_string()
            }),
            ("a list for the password", json_type, {
                let mut body = user.request(true);
                body["password"] = json!([user.password]);
                body.to_string()
            }),
        ];
        for (what, content_type, body) in cases {
            let reply = cx
                .post("/user/")
                .header("content-type", content_type)
                .body(&body)
                .send()
                .await?;
            ensure(reply.status == 422, || {
                reply
                    .fail(format!(
                        "{what} must be refused with 422, not {}",
                        reply.status
                    ))
                    .expected("422")
                    .got(format!("{} {}", reply.status, reply.text))
            })?;
            expect_detail_list(&reply)?;
        }
        Ok(())
    })
}

fn openapi_user() -> Check {
    Check::new(
        "05.openapi.user",
        "the document shows POST /user/'s 201 answer, with no password in any answer",
    )
    .points(2)
    .hint(
        "Declare the 201 on the operation (an ApiResponse enum with #[oai(status = 201)]; FastAPI: \
         status_code=201) and answer with a type that has no password (response_model=UserOut).",
    )
    .book("05-response-models.html#status-codes")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let op = operation(&doc, "/user/", "post")?;
        let request_schema = first_json_schema(&op["requestBody"]);
        ensure(
            request_schema.is_some_and(|s| has_property(&doc, s, "password", 0)),
            || {
                Failure::new("POST /user/'s request body does not describe a password")
                    .expected("a request schema with a password property")
                    .got(op["requestBody"].to_string())
            },
        )?;
        let created = &op["responses"]["201"];
        ensure(created.is_object(), || {
            Failure::new("POST /user/ declares no 201 response")
                .expected("responses.201")
                .got(format!("responses: {}", keys(&op["responses"])))
        })?;
        ensure(first_json_schema(created).is_some(), || {
            Failure::new("POST /user/'s 201 response has no JSON schema").got(created.to_string())
        })?;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                for (status, response) in op["responses"].as_object().into_iter().flatten() {
                    for schema in json_schemas(response) {
                        ensure(!has_property(&doc, schema, "password", 0), || {
                            Failure::new(format!(
                                "the {status} response of {} {path} describes a password",
                                method.to_uppercase()
                            ))
                            .expected("no password in any response schema")
                            .got(schema.to_string())
                        })?;
                    }
                }
            }
        }
        Ok(())
    })
}

fn item_checks() -> Vec<Check> {
    vec![
        items_list(),
        items_read(),
        items_not_found(),
        items_odd_ids(),
        openapi_item_404(),
    ]
}

fn items_list() -> Check {
    Check::new(
        "05.items.list",
        "GET /items/ answers the two items, nulls included",
    )
    .points(2)
    .hint(
        "Answer a list of Item: Portal Gun at 42.0 and Plumbus at 32.0, description and tax null.",
    )
    .book("05-response-models.html#a-list-and-a-declared-404")
    .run(|cx| async move {
        let reply = cx.get("/items/").send().await?;
        reply.expect_status(200)?;
        expect_same_json(
            &reply,
            &json!([
                {"name": "Portal Gun", "description": null, "price": 42.0, "tax": null},
                {"name": "Plumbus", "description": null, "price": 32.0, "tax": null},
            ]),
        )
    })
}

fn items_read() -> Check {
    Check::new(
        "05.items.read",
        "GET /items/{item_id} answers foo, bar and baz as the catalogue lists them",
    )
    .points(3)
    .hint(
        "Keep the catalogue foo/bar/baz as the contract lists it; every field is present, null \
         where unset.",
    )
    .book("05-response-models.html#a-list-and-a-declared-404")
    .run(|cx| async move {
        let mut ids = ["foo", "bar", "baz"];
        ids.rotate_left(cx.rng(|r| r.between(0, 2)) as usize);
        for id in ids {
            let reply = cx.get(&format!("/items/{id}")).send().await?;
            reply.expect_status(200)?;
            expect_same_json(&reply, &catalogue(id))?;
        }
        Ok(())
    })
}

fn items_not_found() -> Check {
    Check::new(
        "05.items.not_found",
        "an unknown item is 404 {\"detail\": \"Item not found\"}",
    )
    .points(2)
    .hint(
        "Answer the declared 404 variant with {\"detail\": \"Item not found\"} when the id is not \
         in the catalogue.",
    )
    .book("05-response-models.html#a-list-and-a-declared-404")
    .run(|cx| async move {
        for id in [
            cx.word(),
            "FOO".to_owned(),
            format!("foo{}", cx.rng(|r| r.between(1, 99))),
        ] {
            cx.get(&format!("/items/{id}"))
                .send()
                .await?
                .expect_detail(404, "Item not found")?;
        }
        Ok(())
    })
}

fn items_odd_ids() -> Check {
    Check::new(
        "05.items.odd_ids",
        "odd item ids are a 404 or a 422, never a 500",
    )
    .hint(
        "Any text is a possible id: a huge number, an encoded slash, bytes that are not UTF-8, a \
         long id.",
    )
    .book("05-response-models.html#when-the-input-is-wrong")
    .run(|cx| async move {
        let long = cx.word().repeat(60);
        for id in [
            "99999999999999999999",
            "-1",
            "foo%2Fbar",
            "%FF%FE",
            "%20",
            long.as_str(),
        ] {
            let reply = cx.get(&format!("/items/{id}")).send().await?;
            ensure(matches!(reply.status, 404 | 422), || {
                reply
                    .fail(format!("/items/{id} answered {}", reply.status))
                    .expected("404 (or 422 for bytes that are not UTF-8)")
                    .got(format!("{} {}", reply.status, reply.text))
            })?;
            ensure(
                reply.json().is_ok_and(|body| body.get("detail").is_some()),
                || {
                    reply
                        .fail("the error body has no detail")
                        .expected("{\"detail\": ...}")
                        .got(reply.text.clone())
                },
            )?;
        }
        Ok(())
    })
}

fn openapi_item_404() -> Check {
    Check::new(
        "05.openapi.item_404",
        "the document lists GET /items/{item_id}'s 200 and 404",
    )
    .points(2)
    .hint(
        "Return an ApiResponse enum with a 200 variant and a #[oai(status = 404)] variant \
         (FastAPI: responses={404: {\"model\": Message}}), so the document declares both.",
    )
    .book("05-response-models.html#a-list-and-a-declared-404")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let op = operation(&doc, "/items/{item_id}", "get")?;
        for status in ["200", "404"] {
            let response = &op["responses"][status];
            ensure(first_json_schema(response).is_some(), || {
                Failure::new(format!(
                    "GET /items/{{item_id}} declares no JSON {status} response"
                ))
                .expected(format!(
                    "responses.{status} with an application/json schema"
                ))
                .got(format!("responses: {}", keys(&op["responses"])))
            })?;
        }
        Ok(())
    })
}

fn format_checks() -> Vec<Check> {
    vec![
        html(),
        plain(),
        redirect(),
        download(),
        download_text(),
        head(),
        openapi_formats(),
        openapi_headers(),
    ]
}

fn html() -> Check {
    Check::new("05.html", "GET /html answers an HTML page with an <h1>")
        .hint(
            "Answer text/html (poem-openapi: payload::Html; FastAPI: response_class=HTMLResponse), \
             not a JSON string.",
        )
        .book("05-response-models.html#html-and-plain-text")
        .run(|cx| async move {
            let reply = cx.get("/html").send().await?;
            reply
                .expect_status(200)?
                .expect_header("content-type", "text/html")?;
            ensure(reply.text.to_ascii_lowercase().contains("<h1"), || {
                reply
                    .fail("the page has no <h1>")
                    .expected("<h1>…</h1>")
                    .got(reply.text.clone())
            })
        })
}

fn plain() -> Check {
    Check::new("05.plain", "GET /plain answers text/plain Hello World")
        .hint(
            "Answer text/plain (poem-openapi: payload::PlainText; FastAPI: PlainTextResponse): no \
             JSON quotes around the text.",
        )
        .book("05-response-models.html#html-and-plain-text")
        .run(|cx| async move {
            let reply = cx.get("/plain").send().await?;
            reply
                .expect_status(200)?
                .expect_header("content-type", "text/plain")?;
            ensure(reply.text == "Hello World", || {
                reply
                    .fail("the text differs")
                    .expected("Hello World")
                    .got(reply.text.clone())
            })
        })
}

fn redirect() -> Check {
    Check::new(
        "05.redirect",
        "GET /redirect answers 307 with Location: /docs",
    )
    .points(2)
    .hint(
        "Answer 307 with a Location header: an ApiResponse variant with #[oai(status = 307)] and a \
         #[oai(header = \"Location\")] field (FastAPI: RedirectResponse(\"/docs\")).",
    )
    .book("05-response-models.html#a-redirect")
    .run(|cx| async move {
        let reply = cx.get("/redirect").send().await?;
        reply.expect_status(307)?;
        let location = reply.header("location").unwrap_or_default();
        let base = format!("{}/docs", cx.base());
        ensure(location == "/docs" || location == base, || {
            reply
                .fail("Location does not point at /docs")
                .expected("Location: /docs")
                .got(format!("Location: {location}"))
        })
    })
}

fn download() -> Check {
    Check::new(
        "05.download",
        "GET /download answers report.txt as an attachment",
    )
    .points(2)
    .hint(
        "Answer the file with Content-Disposition: attachment; filename=\"report.txt\" \
         (poem-openapi: payload::Attachment; FastAPI: FileResponse(path, \
         filename=\"report.txt\")).",
    )
    .book("05-response-models.html#a-file-to-download")
    .run(|cx| async move {
        let reply = cx.get("/download").send().await?;
        reply
            .expect_status(200)?
            .expect_header("content-disposition", "attachment")?
            .expect_header("content-disposition", "filename=\"report.txt\"")?;
        ensure(!reply.text.is_empty(), || {
            reply
                .fail("the file is empty")
                .expected("a small text file")
        })
    })
}

fn download_text() -> Check {
    Check::new(
        "05.download.text",
        "the downloaded report.txt is sent as text/plain",
    )
    .hint(
        "A .txt file is text/plain, as FastAPI's FileResponse guesses from the name; Attachment \
         alone says application/octet-stream.",
    )
    .book("05-response-models.html#a-file-to-download")
    .run(|cx| async move {
        let reply = cx.get("/download").send().await?;
        reply
            .expect_status(200)?
            .expect_header("content-type", "text/plain")?;
        Ok(())
    })
}

fn head() -> Check {
    Check::new(
        "05.head",
        "HEAD answers like GET without a body, for a file and a redirect",
    )
    .hint(
        "HEAD must work wherever GET does (RFC 9110). FastAPI needs methods=[\"GET\", \"HEAD\"] \
         for it.",
    )
    .book("05-response-models.html#a-file-to-download")
    .tag(Tag::Head)
    .run(|cx| async move { head_like_get(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { head_like_get(&cx, Profile::Fastapi).await })
}

fn openapi_formats() -> Check {
    Check::new(
        "05.openapi.formats",
        "the document declares each format: text/html, text/plain",
    )
    .hint(
        "Use the payload types (Html, PlainText; FastAPI: response_class=HTMLResponse, \
         PlainTextResponse): they describe themselves in the document.",
    )
    .book("05-response-models.html#answers-that-are-not-json")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for (path, media) in [("/html", "text/html"), ("/plain", "text/plain")] {
            let op = operation(&doc, path, "get")?;
            let content = &op["responses"]["200"]["content"];
            let declared = content
                .as_object()
                .into_iter()
                .flatten()
                .any(|(name, _)| name.starts_with(media));
            ensure(declared, || {
                Failure::new(format!(
                    "GET {path}'s 200 response is not declared as {media}"
                ))
                .expected(media)
                .got(format!("content: {}", keys(content)))
            })?;
        }
        Ok(())
    })
}

fn openapi_headers() -> Check {
    Check::new(
        "05.openapi.headers",
        "the document declares the 307's Location and the file's Content-Disposition",
    )
    .hint(
        "ApiResponse enums with #[oai(header = ...)] fields describe their headers (FastAPI: \
         responses={307: {\"headers\": {\"Location\": {...}}}}).",
    )
    .book("05-response-models.html#answers-that-are-not-json")
    .tag(Tag::DocumentedHeaders)
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for (path, status, header) in [
            ("/redirect", "307", "location"),
            ("/download", "200", "content-disposition"),
        ] {
            let op = operation(&doc, path, "get")?;
            let response = &op["responses"][status];
            let headers = &response["headers"];
            let declared = headers
                .as_object()
                .into_iter()
                .flatten()
                .any(|(name, _)| name.eq_ignore_ascii_case(header));
            ensure(declared, || {
                Failure::new(format!(
                    "GET {path}'s {status} response does not declare its {header} header"
                ))
                .expected(format!("responses.{status}.headers.{header}"))
                .got(format!("responses: {}", op["responses"]))
            })?;
        }
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_exclude_unset(), ex_include(), ex_union(), ex_union_doc()]
}

fn ex_exclude_unset() -> Check {
    Check::new(
        "05.ex.exclude_unset",
        "GET /items/{item_id}/set answers only the fields the catalogue sets",
    )
    .points(2)
    .exercise()
    .hint(
        "foo sets only name and price; baz sets its description to null, which stays. \
         poem-openapi: MaybeUndefined; FastAPI: response_model_exclude_unset=True.",
    )
    .book("05-response-models.html#exercise-1-only-what-was-set")
    .run(|cx| async move {
        let expected = [
            ("foo", json!({"name": "Foo", "price": 50.2})),
            ("bar", catalogue("bar")),
            ("baz", catalogue("baz")),
        ];
        for (id, item) in expected {
            let reply = cx.get(&format!("/items/{id}/set")).send().await?;
            reply.expect_status(200)?;
            expect_same_json(&reply, &item)?;
        }
        cx.get(&format!("/items/{}/set", cx.word()))
            .send()
            .await?
            .expect_detail(404, "Item not found")?;
        Ok(())
    })
}

fn ex_include() -> Check {
    Check::new(
        "05.ex.include",
        "GET /items/{item_id}/name answers only the name and the description",
    )
    .points(2)
    .exercise()
    .hint("Answer another model with two fields, name and description, made from the item.")
    .book("05-response-models.html#exercise-2-only-some-fields")
    .run(|cx| async move {
        for id in ["foo", "bar", "baz"] {
            let item = catalogue(id);
            let reply = cx.get(&format!("/items/{id}/name")).send().await?;
            reply.expect_status(200)?;
            expect_same_json(
                &reply,
                &json!({"name": item["name"], "description": item["description"]}),
            )?;
        }
        cx.get(&format!("/items/{}/name", cx.word()))
            .send()
            .await?
            .expect_detail(404, "Item not found")?;
        Ok(())
    })
}

fn ex_union() -> Check {
    Check::new(
        "05.ex.union",
        "GET /vehicles/{item_id} answers a car or a plane",
    )
    .points(2)
    .exercise()
    .hint(
        "One response model, two shapes: a poem-openapi Union with discriminator_name = \"type\" \
         (FastAPI: response_model=PlaneItem | CarItem).",
    )
    .book("05-response-models.html#exercise-3-one-of-two-models")
    .run(|cx| async move {
        let expected = [
            (
                "item1",
                json!({"description": "A small red car with four doors", "type": "car"}),
            ),
            (
                "item2",
                json!({"description": "A glider with two seats", "type": "plane", "size": 2}),
            ),
        ];
        for (id, vehicle) in expected {
            let reply = cx.get(&format!("/vehicles/{id}")).send().await?;
            reply.expect_status(200)?;
            expect_same_json(&reply, &vehicle)?;
        }
        cx.get(&format!("/vehicles/{}", cx.word()))
            .send()
            .await?
            .expect_detail(404, "Item not found")?;
        Ok(())
    })
}

fn ex_union_doc() -> Check {
    Check::new(
        "05.ex.union.doc",
        "the document describes GET /vehicles/{item_id}'s answer as one of two schemas",
    )
    .exercise()
    .hint("A Union describes itself as anyOf (or oneOf) the two models.")
    .book("05-response-models.html#exercise-3-one-of-two-models")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let op = operation(&doc, "/vehicles/{item_id}", "get")?;
        let schema = first_json_schema(&op["responses"]["200"]).map(|s| resolve(&doc, s));
        let alternatives = schema
            .and_then(|s| s.get("anyOf").or_else(|| s.get("oneOf")))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        ensure(alternatives == 2, || {
            Failure::new("the 200 schema is not one of two schemas")
                .expected("anyOf or oneOf with two schemas")
                .got(schema.map_or_else(|| "no JSON schema".to_owned(), Value::to_string))
        })
    })
}

/// A user the check invents: words from the seed, and a password with digits and a `!`, so
/// that it cannot be part of the other fields by chance.
struct NewUser {
    username: String,
    password: String,
    email: String,
    full_name: String,
}

impl NewUser {
    fn invent(cx: &Ctx) -> Self {
        let capital = |word: String| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        };
        Self {
            username: cx.word(),
            password: format!(
                "{}!{}{}",
                cx.word(),
                cx.rng(|r| r.between(100, 999_999)),
                cx.word()
            ),
            email: format!("{}@{}.example.com", cx.word(), cx.word()),
            full_name: format!("{} {}", capital(cx.word()), capital(cx.word())),
        }
    }

    fn request(&self, with_full_name: bool) -> Value {
        let mut body =
            json!({"username": self.username, "password": self.password, "email": self.email});
        if with_full_name {
            body["full_name"] = json!(self.full_name);
        }
        body
    }

    fn response(&self, with_full_name: bool) -> Value {
        json!({
            "username": self.username,
            "email": self.email,
            "full_name": if with_full_name { json!(self.full_name) } else { Value::Null },
        })
    }
}

/// The contract's catalogue.
/// HEAD on a file, a redirect and an item answers like GET, without a body; under the FastAPI
/// profile each may also be FastAPI's 405, which names GET as the method to use.
async fn head_like_get(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    for (path, status) in [("/download", 200), ("/redirect", 307), ("/items/foo", 200)] {
        let reply = cx.head(path).send().await?;
        if profile == Profile::Fastapi && reply.status == 405 {
            super::ch01::expect_get_only(&reply)?;
            continue;
        }
        reply.expect_status(status)?;
        ensure(reply.text.is_empty(), || {
            reply.fail(format!("HEAD {path} has a body"))
        })?;
    }
    Ok(())
}

fn catalogue(id: &str) -> Value {
    match id {
        "foo" => json!({"name": "Foo", "description": null, "price": 50.2, "tax": null}),
        "bar" => {
            json!({"name": "Bar", "description": "The bartenders", "price": 62.0, "tax": 20.2})
        }
        _ => json!({"name": "Baz", "description": null, "price": 50.2, "tax": 10.5}),
    }
}

/// JSON equality where numbers compare by value: `62`, `62.0` and `6.2e1` are the same price.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => same_members(x, y),
        _ => a == b,
    }
}

fn same_members(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
}

/// Fails unless the reply is JSON equal to `expected`, numbers compared by value.
fn expect_same_json(reply: &Reply, expected: &Value) -> Result<(), Failure> {
    reply.expect_header("content-type", "json")?;
    let body = reply.json()?;
    ensure(same_json(&body, expected), || {
        reply
            .fail("the JSON body differs from the contract")
            .expected(expected.to_string())
            .got(body.to_string())
    })
}

/// Every header of `reply`, as a failure report would show them.
fn response_headers(reply: &Reply) -> Vec<(String, String)> {
    reply
        .fail("")
        .exchange
        .map(|exchange| exchange.response_headers)
        .unwrap_or_default()
}

/// The `detail` list of a 422, or a failure saying the body is not one.
fn expect_detail_list(reply: &Reply) -> Result<Vec<Value>, Failure> {
    let body = reply.json()?;
    let problems = body["detail"].as_array().cloned().unwrap_or_default();
    ensure(!problems.is_empty(), || {
        reply
            .fail("a 422 must list the problems in detail")
            .expected("{\"detail\": [{\"type\", \"loc\", \"msg\", \"input\"}]}")
            .got(reply.text.clone())
    })?;
    Ok(problems)
}

/// The first member named `key` anywhere in `value`.
fn find_key<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

/// The operation at `path` (or the same path without its trailing slash, as poem-openapi
/// writes it) for `method`.
fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> Result<&'a Value, Failure> {
    let trimmed = path.trim_end_matches('/');
    [path, trimmed]
        .into_iter()
        .map(|p| &doc["paths"][p][method])
        .find(|op| op.is_object())
        .ok_or_else(|| {
            Failure::new(format!(
                "the document does not describe {} {path}",
                method.to_uppercase()
            ))
            .got(format!("paths: {}", keys(&doc["paths"])))
        })
}

/// The schemas of a request body's or a response's JSON media types.
fn json_schemas(with_content: &Value) -> Vec<&Value> {
    with_content["content"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(media, _)| media.contains("json"))
        .map(|(_, m)| &m["schema"])
        .filter(|schema| schema.is_object())
        .collect()
}

fn first_json_schema(with_content: &Value) -> Option<&Value> {
    json_schemas(with_content).into_iter().next()
}

/// Follows a `$ref` to `#/components/schemas/...`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// Whether `schema` (following references, lists and combinations) has a property whose name
/// contains `name`, in any case.
fn has_property(doc: &Value, schema: &Value, name: &str, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    let schema = resolve(doc, schema);
    let direct = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .any(|(key, _)| key.to_ascii_lowercase().contains(name));
    let nested = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, v)| v)
        .chain(schema.get("items"))
        .chain(schema.get("additionalProperties"))
        .chain(
            ["allOf", "anyOf", "oneOf"]
                .iter()
                .filter_map(|k| schema[*k].as_array())
                .flatten(),
        )
        .any(|inner| has_property(doc, inner, name, depth + 1));
    direct || nested
}

fn keys(object: &Value) -> String {
    let keys: Vec<&str> = object
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    format!("[{}]", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        let a: Value = serde_json::from_str(r#"{"price": 62.0, "tax": [1]}"#).unwrap_or_default();
        let b: Value = serde_json::from_str(r#"{"tax": [1.0], "price": 62}"#).unwrap_or_default();
        assert!(same_json(&a, &b));
        assert!(!same_json(
            &json!({"price": 62}),
            &json!({"price": 62, "tax": null})
        ));
        assert!(!same_json(&json!({"price": 62.5}), &json!({"price": 62})));
    }

    #[test]
    fn a_password_is_found_through_references() {
        let doc = json!({"components": {"schemas": {
            "Out": {"properties": {"user": {"$ref": "#/components/schemas/Inner"}}},
            "Inner": {"allOf": [{"properties": {"hashed_password": {"type": "string"}}}]},
        }}});
        let schema = json!({"type": "array", "items": {"$ref": "#/components/schemas/Out"}});
        assert!(has_property(&doc, &schema, "password", 0));
        assert!(!has_property(
            &doc,
            &json!({"properties": {"name": {}}}),
            "password",
            0
        ));
    }

    #[test]
    fn invented_passwords_cannot_hide_in_the_other_fields() {
        let user = NewUser {
            username: "tokavi".into(),
            password: "mera!123tokavi".into(),
            email: "a@b.example.com".into(),
            full_name: "A B".into(),
        };
        assert!(!user.response(true).to_string().contains(&user.password));
    }
}
