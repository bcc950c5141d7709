//! Chapter 06 — dependencies: shared parameters, a struct dependency, a sub-dependency, header
//! guards on one operation and on a router, per-request caching, and a resource that is always
//! closed.

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

const TOKEN: &str = "fake-super-secret-token";
const KEY: &str = "fake-super-secret-key";

/// The checks of chapter 06, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = parameter_checks();
    checks.extend(guard_checks());
    checks.extend(cache_checks());
    checks.extend(session_checks());
    checks.extend(exercise_checks());
    checks
}

fn parameter_checks() -> Vec<Check> {
    vec![
        common_defaults(),
        common_values(),
        common_bad_input(),
        common_i64(),
        common_openapi(),
        class_page(),
        class_no_q(),
        class_bounds(),
        class_huge(),
        class_i64(),
        query_or_cookie(),
        bad_input_utf8(),
    ]
}

// ANCHOR: first_check
fn common_defaults() -> Check {
    Check::new(
        "06.common.defaults",
        "/items/ and /users/ answer the common parameters' defaults",
    )
    .points(2)
    .hint(
        "Share one dependency: q optional (null), skip default 0, limit default 100; answer the \
         three.",
    )
    .book("06-dependencies.html#a-function-as-a-dependency")
    .run(|cx| async move {
        for path in ["/items/", "/users/"] {
            cx.get(path)
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"q": null, "skip": 0, "limit": 100}))?;
        }
        Ok(())
    })
}
// ANCHOR_END: first_check

fn common_values() -> Check {
    Check::new(
        "06.common.values",
        "/items/ and /users/ echo the q, skip and limit they are sent",
    )
    .points(2)
    .hint(
        "Read q, skip and limit from the query string and answer them as they came (skip may be \
         negative).",
    )
    .book("06-dependencies.html#a-function-as-a-dependency")
    .run(|cx| async move {
        let q = cx.word();
        let (skip, limit) = cx.rng(|r| (r.between(-50, 50), r.between(0, 1_000)));
        for path in ["/items/", "/users/"] {
            cx.get(&format!("{path}?q={q}&skip={skip}&limit={limit}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"q": q, "skip": skip, "limit": limit}))?;
            cx.get(&format!("{path}?limit={limit}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"q": null, "skip": 0, "limit": limit}))?;
        }
        Ok(())
    })
}

fn common_bad_input() -> Check {
    Check::new(
        "06.common.bad_input",
        "a skip that is not an integer is a 422 naming it",
    )
    .hint(
        "The dependency's parameters are validated like any other: 422 with loc [\"query\", \
         \"skip\"].",
    )
    .book("06-dependencies.html#a-function-as-a-dependency")
    .run(|cx| async move {
        let word = cx.word();
        let reply = cx.get(&format!("/items/?skip={word}")).send().await?;
        reply
            .expect_problem(&json!(["query", "skip"]), Some("int_parsing"))
            .map(drop)
    })
}

fn common_i64() -> Check {
    Check::new("06.common.i64", "a limit beyond i64 is a 422 naming it")
        .hint(
            "limit is an i64: 99999999999999999999 is a 422 at [\"query\", \"limit\"] (FastAPI \
             accepts it: Python integers have no limit).",
        )
        .book("06-dependencies.html#a-function-as-a-dependency")
        .tag(Tag::I64)
        .run(|cx| async move { limit_beyond_i64(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { limit_beyond_i64(&cx, Profile::Fastapi).await })
}

fn common_openapi() -> Check {
    Check::new(
        "06.common.openapi",
        "the document lists q, skip and limit on /items/ and /users/",
    )
    .hint(
        "The dependency's parameters belong in /docs: declare them on each operation that uses it.",
    )
    .book("06-dependencies.html#a-function-as-a-dependency")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for path in ["/items/", "/users/"] {
            let op = operation(&doc, path)?;
            for name in ["q", "skip", "limit"] {
                expect_parameter(op, path, name, "query")?;
            }
        }
        Ok(())
    })
}

fn class_page() -> Check {
    Check::new(
        "06.class.page",
        "/class-items/ answers the skip/limit slice of Foo, Bar, Baz, and q",
    )
    .points(2)
    .hint("items = fake_items_db[skip : skip + limit]; add \"q\" to the answer when it is given.")
    .book("06-dependencies.html#a-struct-as-a-dependency")
    .run(|cx| async move {
        let (skip, limit) = cx.rng(|r| (r.between(0, 3), r.between(0, 3)));
        let q = cx.word();
        cx.get(&format!("/class-items/?q={q}&skip={skip}&limit={limit}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"q": q, "items": catalogue_slice(skip, limit)}))?;
        cx.get(&format!("/class-items/?skip={skip}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"items": catalogue_slice(skip, 100)}))?;
        Ok(())
    })
}

fn class_no_q() -> Check {
    Check::new(
        "06.class.no_q",
        "/class-items/ leaves q out when it is not given or empty",
    )
    .hint("Only add \"q\" to the answer when q is given and not empty (FastAPI: `if commons.q:`).")
    .book("06-dependencies.html#a-struct-as-a-dependency")
    .run(|cx| async move {
        let all = catalogue_slice(0, 3);
        for path in ["/class-items/", "/class-items/?q="] {
            cx.get(path)
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"items": all}))?;
        }
        Ok(())
    })
}

fn class_bounds() -> Check {
    Check::new(
        "06.class.bounds",
        "a negative skip or limit on /class-items/ is a 422 naming it",
    )
    .points(2)
    .hint(
        "skip and limit must be >= 0 (FastAPI: Query(ge=0); poem-openapi: validator(minimum(value \
         = \"0\"))).",
    )
    .book("06-dependencies.html#a-struct-as-a-dependency")
    .run(|cx| async move {
        let n = cx.rng(|r| r.between(1, 1_000));
        let reply = cx.get(&format!("/class-items/?skip=-{n}")).send().await?;
        reply.expect_problem(&json!(["query", "skip"]), Some("greater_than_equal"))?;
        let reply = cx.get(&format!("/class-items/?limit=-{n}")).send().await?;
        reply
            .expect_problem(&json!(["query", "limit"]), Some("greater_than_equal"))
            .map(drop)
    })
}

fn class_huge() -> Check {
    Check::new(
        "06.class.huge",
        "the largest skip and limit give an empty page, not a crash",
    )
    .hint(
        "Slice without overflow: skip = i64::MAX is simply past the end (Python's slices never \
         overflow).",
    )
    .book("06-dependencies.html#a-struct-as-a-dependency")
    .run(|cx| async move {
        let max = i64::MAX;
        cx.get(&format!("/class-items/?skip={max}&limit={max}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"items": []}))?;
        cx.get(&format!("/class-items/?skip=1&limit={max}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"items": catalogue_slice(1, 3)}))?;
        Ok(())
    })
}

fn class_i64() -> Check {
    Check::new("06.class.i64", "a skip beyond i64 is a 422")
        .hint(
            "skip is an i64: 99999999999999999999 is a 422 at [\"query\", \"skip\"] (FastAPI \
             accepts it, and the page is empty).",
        )
        .book("06-dependencies.html#a-struct-as-a-dependency")
        .tag(Tag::I64)
        .run(|cx| async move { skip_beyond_i64(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { skip_beyond_i64(&cx, Profile::Fastapi).await })
}

fn query_or_cookie() -> Check {
    Check::new(
        "06.query_or_cookie",
        "/query-or-cookie/ answers q, else the last_query cookie, else null",
    )
    .points(2)
    .hint(
        "A sub-dependency: take q from the first dependency; when it is empty fall back on the \
         last_query cookie.",
    )
    .book("06-dependencies.html#a-dependency-of-a-dependency")
    .run(|cx| async move {
        let (q, cookie) = (cx.word(), cx.word());
        let jar = format!("last_query={cookie}");
        let cases = [
            (format!("?q={q}"), Some(jar.clone()), json!(q)),
            (format!("?q={q}"), None, json!(q)),
            (String::new(), Some(jar.clone()), json!(cookie)),
            ("?q=".to_owned(), Some(jar), json!(cookie)),
            (String::new(), None, Value::Null),
        ];
        for (query, jar, expected) in cases {
            let mut req = cx.get(&format!("/query-or-cookie/{query}"));
            if let Some(jar) = &jar {
                req = req.header("cookie", jar);
            }
            req.send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"q_or_cookie": expected}))?;
        }
        Ok(())
    })
}

fn bad_input_utf8() -> Check {
    Check::new(
        "06.bad_input.utf8",
        "bytes that are not UTF-8 in a query or path are not a 500",
    )
    .hint(
        "Invalid UTF-8 in a query value is decoded with replacement characters; in a path it \
         matches no route.",
    )
    .book("06-dependencies.html#where-it-differs-from-fastapi")
    .run(|cx| async move {
        for path in [
            "/items/?q=%FF",
            "/query-or-cookie/?q=%FF%FE",
            "/class-items/?q=%C3",
        ] {
            let reply = cx.get(path).send().await?;
            reply
                .expect_status(200)?
                .expect_header("content-type", "json")?;
        }
        cx.get("/class-items/%FF")
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        Ok(())
    })
}

fn guard_checks() -> Vec<Check> {
    vec![
        protected_ok(),
        protected_wrong(),
        protected_missing(),
        protected_order(),
        protected_bytes(),
        protected_openapi(),
        protected_secret(),
        global_ok(),
        global_guarded(),
        global_openapi(),
    ]
}

fn protected_ok() -> Check {
    Check::new(
        "06.protected.ok",
        "/protected-items/ with both right headers answers the items",
    )
    .points(2)
    .hint(
        "Check X-Token == fake-super-secret-token and X-Key == fake-super-secret-key, then answer \
         [{\"item\": \"Foo\"}, {\"item\": \"Bar\"}].",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .run(|cx| async move {
        guarded(&cx, "/protected-items/", Some(TOKEN), Some(KEY))
            .await?
            .expect_status(200)?
            .expect_json(&json!([{"item": "Foo"}, {"item": "Bar"}]))?;
        Ok(())
    })
}

fn protected_wrong() -> Check {
    Check::new(
        "06.protected.wrong",
        "a wrong X-Token or X-Key is a 400 that names the header",
    )
    .points(2)
    .hint(
        "A wrong value answers 400 {\"detail\": \"X-Token header invalid\"} (or \"X-Key header \
         invalid\").",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .run(|cx| async move {
        let wrong = cx.word();
        expect_guard_errors(&cx, "/protected-items/", &wrong).await
    })
}

fn protected_missing() -> Check {
    Check::new(
        "06.protected.missing",
        "a missing X-Token or X-Key is a 422 naming the header",
    )
    .points(2)
    .hint(
        "The headers are required: without one, 422 with loc [\"header\", \"x-token\"] (or \
         \"x-key\"), type missing.",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .run(|cx| async move {
        let reply = guarded(&cx, "/protected-items/", None, Some(KEY)).await?;
        reply.expect_problem(&json!(["header", "x-token"]), Some("missing"))?;
        let reply = guarded(&cx, "/protected-items/", Some(TOKEN), None).await?;
        reply
            .expect_problem(&json!(["header", "x-key"]), Some("missing"))
            .map(drop)
    })
}

fn protected_order() -> Check {
    Check::new(
        "06.protected.order",
        "the first failing check answers: X-Token before X-Key",
    )
    .points(2)
    .hint(
        "Run the checks in order and stop at the first failure: a wrong token with no key is the \
         token's 400; no token with a wrong key is the token's 422. (FastAPI itself answers the \
         second case with the key's 400: it runs every dependency it can.)",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .tag(Tag::GuardOrder)
    .run(|cx| async move { first_guard_answers(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { first_guard_answers(&cx, Profile::Fastapi).await })
}

fn protected_bytes() -> Check {
    Check::new(
        "06.protected.bytes",
        "a token that is not ASCII is a wrong token, not a crash",
    )
    .hint(
        "Compare the header's bytes: anything but the expected value is a 400, whatever it \
         contains.",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .run(|cx| async move {
        for value in ["tökén", "", &format!("{TOKEN} x")] {
            guarded(&cx, "/protected-items/", Some(value), Some(KEY))
                .await?
                .expect_detail(400, "X-Token header invalid")?;
        }
        Ok(())
    })
}

fn protected_openapi() -> Check {
    Check::new(
        "06.protected.openapi",
        "the document lists X-Token and X-Key on /protected-items/",
    )
    .hint(
        "Guards that read headers should show them in /docs, as FastAPI's Header() dependencies \
         do.",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let op = operation(&doc, "/protected-items/")?;
        expect_parameter(op, "/protected-items/", "x-token", "header")?;
        expect_parameter(op, "/protected-items/", "x-key", "header")
    })
}

fn protected_secret() -> Check {
    Check::new(
        "06.protected.secret",
        "the document never shows the values the headers must hold",
    )
    .hint(
        "Say in /docs that X-Token and X-Key are required, never what they must be: a document is \
         public.",
    )
    .book("06-dependencies.html#guards-on-one-operation")
    .run(|cx| async move {
        let reply = cx.get("/openapi.json").send().await?;
        reply.expect_status(200)?;
        ensure(
            !reply.text.contains(TOKEN) && !reply.text.contains(KEY),
            || reply.fail("the OpenAPI document shows a header's expected value"),
        )
    })
}

fn global_ok() -> Check {
    Check::new(
        "06.global.ok",
        "/global/items/ and /global/users/ answer with both right headers",
    )
    .points(2)
    .hint(
        "Apply the two checks once to the whole router; the operations themselves declare nothing.",
    )
    .book("06-dependencies.html#guards-on-a-whole-router")
    .run(|cx| async move {
        guarded(&cx, "/global/items/", Some(TOKEN), Some(KEY))
            .await?
            .expect_status(200)?
            .expect_json(&json!([{"item": "Portal Gun"}, {"item": "Plumbus"}]))?;
        guarded(&cx, "/global/users/", Some(TOKEN), Some(KEY))
            .await?
            .expect_status(200)?
            .expect_json(&json!([{"username": "Rick"}, {"username": "Morty"}]))?;
        Ok(())
    })
}

fn global_guarded() -> Check {
    Check::new(
        "06.global.guarded",
        "every /global/ route refuses missing and wrong headers",
    )
    .points(2)
    .hint(
        "The router's checks run before each of its operations: 422 for a missing header, 400 for \
         a wrong one.",
    )
    .book("06-dependencies.html#guards-on-a-whole-router")
    .run(|cx| async move {
        let wrong = cx.word();
        for path in ["/global/items/", "/global/users/"] {
            let reply = guarded(&cx, path, None, None).await?;
            reply.expect_problem(&json!(["header", "x-token"]), Some("missing"))?;
            let reply = guarded(&cx, path, Some(TOKEN), None).await?;
            reply.expect_problem(&json!(["header", "x-key"]), Some("missing"))?;
            expect_guard_errors(&cx, path, &wrong).await?;
        }
        Ok(())
    })
}

fn global_openapi() -> Check {
    Check::new(
        "06.global.openapi",
        "the document lists X-Token and X-Key on every /global/ operation",
    )
    .hint(
        "What a router checks is part of each of its operations' contract: show the headers in \
         /docs.",
    )
    .book("06-dependencies.html#guards-on-a-whole-router")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for path in ["/global/items/", "/global/users/"] {
            let op = operation(&doc, path)?;
            expect_parameter(op, path, "x-token", "header")?;
            expect_parameter(op, path, "x-key", "header")?;
        }
        Ok(())
    })
}

fn cache_checks() -> Vec<Check> {
    vec![cached(), uncached()]
}

fn cached() -> Check {
    Check::new(
        "06.cached",
        "GET /cached/ runs the shared dependency once: {\"calls\": 1}",
    )
    .points(2)
    .hint(
        "Two dependencies need the same one; keep its result for the rest of the request (poem has \
         no cache: write one in the request's extensions; FastAPI's Depends caches by itself).",
    )
    .book("06-dependencies.html#caching-within-a-request")
    .run(|cx| async move {
        for _ in 0..2 {
            cx.get("/cached/")
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"calls": 1}))?;
        }
        Ok(())
    })
}

fn uncached() -> Check {
    Check::new(
        "06.uncached",
        "GET /uncached/ runs it for each use: {\"calls\": 2}",
    )
    .points(2)
    .hint(
        "With caching switched off (FastAPI: use_cache=False) each of the two dependencies runs \
         the shared one.",
    )
    .book("06-dependencies.html#caching-within-a-request")
    .run(|cx| async move {
        for _ in 0..2 {
            cx.get("/uncached/")
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"calls": 2}))?;
        }
        Ok(())
    })
}

fn session_checks() -> Vec<Check> {
    vec![
        session(),
        session_fail(),
        session_concurrent(),
        session_bad_fail(),
    ]
}

// ANCHOR: session_check
fn session() -> Check {
    Check::new(
        "06.session",
        "GET /session/ answers its session's number, closed before the answer",
    )
    .points(2)
    .hint(
        "Open the resource before the handler and close it when the handler is done, before the \
         answer is sent: /session/stats then shows opened == closed.",
    )
    .book("06-dependencies.html#a-resource-that-is-always-closed")
    .run(|cx| async move {
        let reply = cx.get("/session/").send().await?;
        reply.expect_status(200)?;
        let number = reply.json()?["session"].as_u64().ok_or_else(|| {
            reply
                .fail("the answer has no integer session")
                .expected("{\"session\": <integer>}")
                .got(reply.text.clone())
        })?;
        let (opened, closed) = session_stats(&cx).await?;
        ensure(opened == closed && opened >= number, || {
            Failure::new("the session is not closed by the time its answer arrives")
                .expected(format!("opened == closed, and opened >= {number}"))
                .got(format!("opened {opened}, closed {closed}"))
        })
    })
}
// ANCHOR_END: session_check

fn session_fail() -> Check {
    Check::new(
        "06.session.fail",
        "GET /session/?fail=true is a 400, and its session is closed too",
    )
    .points(2)
    .hint(
        "The handler fails with 400 {\"detail\": \"Requested failure\"}; the cleanup must run \
         anyway (finally / Drop).",
    )
    .book("06-dependencies.html#a-resource-that-is-always-closed")
    .run(|cx| async move {
        let (before, _) = session_stats(&cx).await?;
        cx.get("/session/?fail=true")
            .send()
            .await?
            .expect_detail(400, "Requested failure")?;
        let (opened, closed) = session_stats(&cx).await?;
        ensure(opened > before && opened == closed, || {
            Failure::new("the failed request's session was not opened and closed")
                .expected(format!("opened > {before} and closed == opened"))
                .got(format!("opened {opened}, closed {closed}"))
        })
    })
}

fn session_concurrent() -> Check {
    Check::new(
        "06.session.concurrent",
        "many sessions at once, some failing, are all closed",
    )
    .points(2)
    .hint(
        "Count with atomics in state shared by all requests; each session gets its own number and \
         is closed once.",
    )
    .book("06-dependencies.html#a-resource-that-is-always-closed")
    .run(|cx| async move {
        let (before, _) = session_stats(&cx).await?;
        let count = cx.rng(|r| r.between(20, 40));
        let mut tasks = Vec::new();
        for i in 0..count {
            let cx = cx.clone();
            let fail = i % 3 == 0;
            tasks.push(tokio::spawn(async move {
                let reply = cx.get(&format!("/session/?fail={fail}")).send().await?;
                if fail {
                    reply.expect_detail(400, "Requested failure")?;
                    return Ok(None);
                }
                reply.expect_status(200)?;
                Ok::<_, Failure>(reply.json()?["session"].as_u64())
            }));
        }
        let mut numbers = Vec::new();
        for task in tasks {
            let number = task
                .await
                .map_err(|err| Failure::new(format!("a request task failed: {err}")))??;
            numbers.extend(number);
        }
        let answered = numbers.len();
        numbers.sort_unstable();
        numbers.dedup();
        ensure(numbers.len() == answered, || {
            Failure::new("two concurrent requests got the same session number")
        })?;
        let (opened, closed) = session_stats(&cx).await?;
        ensure(opened == closed && opened >= before + count as u64, || {
            Failure::new("not every session opened was closed")
                .expected(format!(
                    "opened == closed, opened >= {}",
                    before + count as u64
                ))
                .got(format!("opened {opened}, closed {closed}"))
        })
    })
}

fn session_bad_fail() -> Check {
    Check::new(
        "06.session.bad_fail",
        "a fail that is not a boolean is a 422, and nothing stays open",
    )
    .hint(
        "fail is a boolean query parameter: another word is a 422 with loc [\"query\", \"fail\"].",
    )
    .book("06-dependencies.html#a-resource-that-is-always-closed")
    .run(|cx| async move {
        let word = cx.word();
        let reply = cx.get(&format!("/session/?fail={word}")).send().await?;
        reply.expect_problem(&json!(["query", "fail"]), Some("bool_parsing"))?;
        let (opened, closed) = session_stats(&cx).await?;
        ensure(opened == closed, || {
            Failure::new("a session stayed open after a refused request")
                .got(format!("opened {opened}, closed {closed}"))
        })
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![
        ex_request_id_sent(),
        ex_request_id_made(),
        ex_request_id_invalid(),
        ex_paginator_page(),
        ex_paginator_max(),
    ]
}

fn ex_request_id_sent() -> Check {
    Check::new(
        "06.ex.request_id.sent",
        "/traced/items/ and /traced/users/ answer the X-Request-Id sent",
    )
    .points(2)
    .exercise()
    .hint("One dependency for both operations: the X-Request-Id header, answered as request_id.")
    .book("06-dependencies.html#exercise-1-a-request-id")
    .run(|cx| async move {
        let id = format!("{}-{}", cx.word(), cx.rng(|r| r.between(1, 99_999)));
        for path in ["/traced/items/", "/traced/users/"] {
            let reply = cx.get(path).header("X-Request-Id", &id).send().await?;
            reply.expect_status(200)?;
            let got = reply.json()?["request_id"].clone();
            ensure(got == json!(id), || {
                reply
                    .fail("request_id is not the id sent")
                    .expected(id.clone())
                    .got(got.to_string())
            })?;
        }
        Ok(())
    })
}

fn ex_request_id_made() -> Check {
    Check::new(
        "06.ex.request_id.made",
        "without X-Request-Id, each request gets a new id",
    )
    .exercise()
    .hint(
        "When the header is missing, make an id (a counter in shared state will do); two requests \
         never share one.",
    )
    .book("06-dependencies.html#exercise-1-a-request-id")
    .run(|cx| async move {
        let mut ids = Vec::new();
        for path in ["/traced/items/", "/traced/users/", "/traced/items/"] {
            let reply = cx.get(path).send().await?;
            reply.expect_status(200)?;
            let id = reply.json()?["request_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            ensure(!id.is_empty() && !ids.contains(&id), || {
                reply
                    .fail("the id made is empty or was given before")
                    .got(format!("{id:?} after {ids:?}"))
            })?;
            ids.push(id);
        }
        Ok(())
    })
}

fn ex_request_id_invalid() -> Check {
    Check::new(
        "06.ex.request_id.invalid",
        "an X-Request-Id over 64 characters or with spaces is a 422",
    )
    .exercise()
    .hint(
        "A sent id must be 1 to 64 visible ASCII characters; otherwise 422 with loc [\"header\", \
         \"x-request-id\"].",
    )
    .book("06-dependencies.html#exercise-1-a-request-id")
    .run(|cx| async move {
        let long = "a".repeat(65);
        let spaced = format!("{} {}", cx.word(), cx.word());
        for value in [long.as_str(), spaced.as_str()] {
            let reply = cx
                .get("/traced/items/")
                .header("X-Request-Id", value)
                .send()
                .await?;
            reply.expect_problem(&json!(["header", "x-request-id"]), None)?;
        }
        Ok(())
    })
}

fn ex_paginator_page() -> Check {
    Check::new(
        "06.ex.paginator.page",
        "/paginated-items/ pages through Item 1 to Item 100",
    )
    .points(2)
    .exercise()
    .hint(
        "Answer {skip, limit, total: 100, items}; limit is 10 when not given; the last page is \
         shorter.",
    )
    .book("06-dependencies.html#exercise-2-a-paginator-with-settings")
    .run(|cx| async move {
        let (skip, limit) = cx.rng(|r| (r.between(0, 99), r.between(1, 50)));
        cx.get(&format!("/paginated-items/?skip={skip}&limit={limit}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({
                "skip": skip, "limit": limit, "total": 100, "items": numbered(skip, limit)
            }))?;
        cx.get("/paginated-items/")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({
                "skip": 0, "limit": 10, "total": 100, "items": numbered(0, 10)
            }))?;
        Ok(())
    })
}

fn ex_paginator_max() -> Check {
    Check::new(
        "06.ex.paginator.max",
        "a limit over the paginator's maximum of 50 is a 422",
    )
    .points(2)
    .exercise()
    .hint(
        "The maximum is the paginator's setting: limit=51 is 422 less_than_equal at [\"query\", \
         \"limit\"]; 50 is fine.",
    )
    .book("06-dependencies.html#exercise-2-a-paginator-with-settings")
    .run(|cx| async move {
        let over = cx.rng(|r| r.between(51, 10_000));
        let reply = cx
            .get(&format!("/paginated-items/?limit={over}"))
            .send()
            .await?;
        reply.expect_problem(&json!(["query", "limit"]), Some("less_than_equal"))?;
        cx.get("/paginated-items/?limit=50")
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

/// A GET with the guard headers that are given.
async fn guarded(
    cx: &Ctx,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
) -> Result<Reply, Failure> {
    let mut req = cx.get(path);
    if let Some(token) = token {
        req = req.header("X-Token", token);
    }
    if let Some(key) = key {
        req = req.header("X-Key", key);
    }
    req.send().await
}

/// A wrong token and a wrong key each answer their own 400.
async fn expect_guard_errors(cx: &Ctx, path: &str, wrong: &str) -> Result<(), Failure> {
    guarded(cx, path, Some(wrong), Some(KEY))
        .await?
        .expect_detail(400, "X-Token header invalid")?;
    guarded(cx, path, Some(TOKEN), Some(wrong))
        .await?
        .expect_detail(400, "X-Key header invalid")?;
    Ok(())
}

/// `(opened, closed)` from `/session/stats`.
async fn session_stats(cx: &Ctx) -> Result<(u64, u64), Failure> {
    let reply = cx.get("/session/stats").send().await?;
    reply.expect_status(200)?;
    let body = reply.json()?;
    match (body["opened"].as_u64(), body["closed"].as_u64()) {
        (Some(opened), Some(closed)) => Ok((opened, closed)),
        _ => Err(reply
            .fail("/session/stats does not answer two counts")
            .expected("{\"opened\": <integer>, \"closed\": <integer>}")
            .got(reply.text.clone())),
    }
}

/// `fake_items_db[skip : skip + limit]`.
/// `?limit=` beyond i64 is a 422; under the FastAPI profile it may also be answered back whole.
async fn limit_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let digits = "99999999999999999999";
    let reply = cx.get(&format!("/users/?limit={digits}")).send().await?;
    if profile == Profile::Fastapi && reply.status == 200 {
        reply.expect_number_text("limit", digits)?;
        return Ok(());
    }
    reply
        .expect_problem(&json!(["query", "limit"]), None)
        .map(drop)
}

/// `?skip=` beyond i64 is a 422; under the FastAPI profile it may also be an empty page.
async fn skip_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let reply = cx
        .get("/class-items/?skip=99999999999999999999")
        .send()
        .await?;
    if profile == Profile::Fastapi && reply.status == 200 {
        reply.expect_json(&json!({"items": []}))?;
        return Ok(());
    }
    reply
        .expect_problem(&json!(["query", "skip"]), None)
        .map(drop)
}

/// A wrong token with no key is the token's 400; no token with a wrong key is the token's 422,
/// or, under the FastAPI profile, the key's 400 (FastAPI runs the key's guard, whose header is
/// there, before it reports the missing token).
async fn first_guard_answers(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let wrong = cx.word();
    guarded(cx, "/protected-items/", Some(&wrong), None)
        .await?
        .expect_detail(400, "X-Token header invalid")?;
    let reply = guarded(cx, "/protected-items/", None, Some(&wrong)).await?;
    if profile == Profile::Fastapi && reply.status == 400 {
        reply.expect_detail(400, "X-Key header invalid")?;
        return Ok(());
    }
    reply
        .expect_problem(&json!(["header", "x-token"]), Some("missing"))
        .map(drop)
}

fn catalogue_slice(skip: i64, limit: i64) -> Value {
    ["Foo", "Bar", "Baz"]
        .iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|name| json!({"item_name": name}))
        .collect()
}

/// `Item skip+1` … up to `limit` of them, stopping at `Item 100`.
fn numbered(skip: i64, limit: i64) -> Value {
    (skip + 1..=(skip + limit).min(100))
        .map(|n| json!({"item_name": format!("Item {n}")}))
        .collect()
}

/// The GET operation at `path`, or at the same path without its trailing slash (as
/// poem-openapi writes it).
fn operation<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, Failure> {
    [path, path.trim_end_matches('/')]
        .into_iter()
        .map(|p| &doc["paths"][p]["get"])
        .find(|op| op.is_object())
        .ok_or_else(|| Failure::new(format!("the document does not describe GET {path}")))
}

/// Fails unless `op` lists a parameter `name` (in any case) in `source`.
fn expect_parameter(op: &Value, path: &str, name: &str, source: &str) -> Result<(), Failure> {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let found = params.iter().any(|p| {
        p["in"] == source
            && p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    ensure(found, || {
        Failure::new(format!(
            "GET {path} does not document its {source} parameter {name}"
        ))
        .expected(format!(
            "{{\"name\": \"{name}\", \"in\": \"{source}\"}} in parameters"
        ))
        .got(Value::Array(params).to_string())
    })
}
