//! Chapter 03 — query parameters: defaults, required values, length limits, optional values,
//! lists, and how a query string is decoded.

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 03, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    vec![
        // Defaults.
        defaults(),
        values(),
        values_negative(),
        values_not_integer(),
        values_huge(),
        values_from_str(),
        values_from_str_strict(),
        values_plus_is_space(),
        values_repeated(),
        // Required parameters.
        required(),
        required_missing(),
        required_decoding(),
        // Limits on length.
        typed(),
        typed_short(),
        typed_long(),
        typed_characters(),
        typed_invalid_utf8(),
        // Optional parameters.
        items_check(),
        items_q(),
        items_long_q(),
        // Lists.
        tags(),
        tags_none(),
        tags_slash(),
        // Exercises.
        ex_needy(),
        ex_needy_invalid(),
        ex_alias(),
        ex_alias_short(),
        ex_pattern(),
    ]
}

fn defaults() -> Check {
    Check::new(
        "03.defaults",
        "GET /query_params without parameters gives both defaults",
    )
    .points(2)
    .hint(
        "Give page and skip a default of 0 (poem-openapi: #[oai(default)] on Query<i64>; FastAPI: \
         page: int = 0).",
    )
    .book("03-query-parameters.html#defaults")
    .run(|cx| async move {
        cx.get("/query_params")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": 0, "skip": 0}))?;
        Ok(())
    })
}

fn values() -> Check {
    Check::new(
        "03.values",
        "GET /query_params echoes the page and skip it is given",
    )
    .points(2)
    .hint("Read page and skip from the query string as integers and answer them.")
    .book("03-query-parameters.html#defaults")
    .run(|cx| async move {
        let (page, skip) = cx.rng(|r| (r.between(1, 10_000), r.between(1, 10_000)));
        cx.get(&format!("/query_params?page={page}&skip={skip}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": page, "skip": skip}))?;
        cx.get(&format!("/query_params?skip={skip}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": 0, "skip": skip}))?;
        Ok(())
    })
}

fn values_negative() -> Check {
    Check::new(
        "03.values.negative",
        "a negative page is an integer like any other",
    )
    .hint("The contract puts no bounds on page and skip: -3 is a valid i64.")
    .book("03-query-parameters.html#defaults")
    .run(|cx| async move {
        let page = cx.rng(|r| r.between(-10_000, -1));
        cx.get(&format!("/query_params?page={page}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": page, "skip": 0}))?;
        Ok(())
    })
}

fn values_not_integer() -> Check {
    Check::new(
        "03.values.not_integer",
        "a page that is not an integer is a 422 naming query.page",
    )
    .points(2)
    .hint(
        "Bad input is a 422 with detail [{type: int_parsing, loc: [\"query\", \"page\"], ...}] \
         (kit::FastapiErrors does it; FastAPI does it by itself).",
    )
    .book("03-query-parameters.html#defaults")
    .run(|cx| async move {
        let word = cx.word();
        let reply = cx.get(&format!("/query_params?page={word}")).send().await?;
        let problem = expect_problem(&reply, &["query", "page"], Some("int_parsing"))?;
        expect_input(&reply, &problem, &json!(word))
    })
}

fn values_huge() -> Check {
    Check::new("03.values.huge", "an integer beyond the i64 range is a 422")
        .hint(
            "Integers are i64: 99999999999999999999 does not fit and must be refused, not wrapped \
             or turned into a 500 (FastAPI accepts it: Python integers have no limit; \
             Query(ge=-2**63, le=2**63 - 1) bounds it).",
        )
        .book("03-query-parameters.html#how-values-are-read")
        .tag(Tag::I64)
        .run(|cx| async move { huge_values(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { huge_values(&cx, Profile::Fastapi).await })
}

fn values_from_str() -> Check {
    Check::new(
        "03.values.from_str",
        "integers read as Rust's i64::from_str reads them: +7 and 007",
    )
    .hint("`%2B7` is +7 and `007` is 7 (Pydantic reads them alike).")
    .book("03-query-parameters.html#how-values-are-read")
    .run(|cx| async move {
        let n = cx.rng(|r| r.between(1, 99));
        cx.get(&format!("/query_params?page=%2B{n}&skip=00{n}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": n, "skip": n}))?;
        Ok(())
    })
}

fn values_from_str_strict() -> Check {
    Check::new(
        "03.values.from_str.strict",
        "2.0 and 1_000 are not integers",
    )
    .hint(
        "`2.0` and `1_000` are not integers: a 422 int_parsing (Pydantic's lax mode reads them as \
         2 and 1000).",
    )
    .book("03-query-parameters.html#how-values-are-read")
    .tag(Tag::StrictInt)
    .run(|cx| async move { not_integers(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { not_integers(&cx, Profile::Fastapi).await })
}

fn values_plus_is_space() -> Check {
    Check::new(
        "03.values.plus_is_space",
        "a + in a query string is a space, so ?page=+5 is \" 5\"",
    )
    .hint(
        "Decode the query string as a form does: + is a space, and \" 5\" is not an integer \
         (Pydantic's lax mode strips the space and reads 5).",
    )
    .book("03-query-parameters.html#how-values-are-read")
    .tag(Tag::StrictInt)
    .run(|cx| async move { plus_is_space(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { plus_is_space(&cx, Profile::Fastapi).await })
}

fn values_repeated() -> Check {
    Check::new(
        "03.values.repeated",
        "of a repeated page, the last one counts",
    )
    .hint("Where one value is expected and several are sent, keep the last (as FastAPI does).")
    .book("03-query-parameters.html#how-values-are-read")
    .run(|cx| async move {
        let (first, last) = cx.rng(|r| (r.between(1, 999), r.between(1_000, 9_999)));
        cx.get(&format!("/query_params?page={first}&page={last}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": last, "skip": 0}))?;
        Ok(())
    })
}

fn required() -> Check {
    Check::new(
        "03.required",
        "GET /query_params_required answers page, skip and req, in that order",
    )
    .points(2)
    .hint(
        "req has no default; answer {\"page\", \"skip\", \"req\"} with the members in that order.",
    )
    .book("03-query-parameters.html#required-parameters")
    .run(|cx| async move {
        let (req, page) = (cx.word(), cx.rng(|r| r.between(1, 10_000)));
        cx.get(&format!("/query_params_required?req={req}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": 0, "skip": 0, "req": req}))?;
        let reply = cx
            .get(&format!("/query_params_required?page={page}&req={req}"))
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"page": page, "skip": 0, "req": req}))?;
        let body = reply.json()?;
        let order: Vec<&str> = body
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        ensure(order == ["page", "skip", "req"], || {
            reply
                .fail("the members are not in the declared order")
                .expected("page, skip, req")
                .got(order.join(", "))
        })
    })
}

fn required_missing() -> Check {
    Check::new(
        "03.required.missing",
        "without req, /query_params_required is a 422 naming query.req",
    )
    .points(2)
    .hint("A parameter without a default is required: its absence is a 422 of type missing.")
    .book("03-query-parameters.html#required-parameters")
    .run(|cx| async move {
        let page = cx.rng(|r| r.between(1, 10_000));
        let reply = cx
            .get(&format!("/query_params_required?page={page}"))
            .send()
            .await?;
        let problem = expect_problem(&reply, &["query", "req"], Some("missing"))?;
        expect_input(&reply, &problem, &Value::Null)
    })
}

fn required_decoding() -> Check {
    Check::new(
        "03.required.decoding",
        "req is percent-decoded, with + as a space",
    )
    .hint("Let the framework decode the query: %2B is +, + is a space, %C3%A9 is é.")
    .book("03-query-parameters.html#how-values-are-read")
    .run(|cx| async move {
        let (a, b) = (cx.word(), cx.word());
        cx.get(&format!("/query_params_required?req={a}+{b}%2B%C3%A9"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"page": 0, "skip": 0, "req": format!("{a} {b}+é")}))?;
        Ok(())
    })
}

fn typed() -> Check {
    Check::new(
        "03.typed",
        "GET /query_params_typed accepts a req of 5 to 15 characters",
    )
    .points(2)
    .hint(
        "Limit req's length (poem-openapi: #[oai(validator(min_length = 5, max_length = 15))]; \
         FastAPI: Query(min_length=5, max_length=15)).",
    )
    .book("03-query-parameters.html#limits-on-length")
    .run(|cx| async move {
        let length = cx.rng(|r| r.between(6, 14)) as usize;
        for req in [text_of(&cx, 5), text_of(&cx, length), text_of(&cx, 15)] {
            cx.get(&format!("/query_params_typed?req={req}"))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"req": req}))?;
        }
        Ok(())
    })
}

fn typed_short() -> Check {
    Check::new(
        "03.typed.short",
        "a req under 5 characters is a 422 of type string_too_short",
    )
    .points(2)
    .hint("The 422 names query.req and the limit broken: type string_too_short.")
    .book("03-query-parameters.html#limits-on-length")
    .run(|cx| async move {
        let length = cx.rng(|r| r.between(1, 4)) as usize;
        let reply = cx
            .get(&format!("/query_params_typed?req={}", text_of(&cx, length)))
            .send()
            .await?;
        expect_problem(&reply, &["query", "req"], Some("string_too_short"))?;
        let reply = cx.get("/query_params_typed").send().await?;
        expect_problem(&reply, &["query", "req"], Some("missing"))?;
        Ok(())
    })
}

fn typed_long() -> Check {
    Check::new(
        "03.typed.long",
        "a req over 15 characters is a 422 of type string_too_long",
    )
    .points(2)
    .hint("The 422 names query.req and the limit broken: type string_too_long.")
    .book("03-query-parameters.html#limits-on-length")
    .run(|cx| async move {
        let length = cx.rng(|r| r.between(16, 40)) as usize;
        let reply = cx
            .get(&format!("/query_params_typed?req={}", text_of(&cx, length)))
            .send()
            .await?;
        expect_problem(&reply, &["query", "req"], Some("string_too_long"))?;
        Ok(())
    })
}

fn typed_characters() -> Check {
    Check::new("03.typed.characters", "lengths count characters, not bytes")
        .hint(
            "\"ééééé\" is 5 characters in 10 bytes: count with chars(), as poem-openapi's \
             validators (and Python's len) do.",
        )
        .book("03-query-parameters.html#limits-on-length")
        .run(|cx| async move {
            let length = cx.rng(|r| r.between(5, 15)) as usize;
            let fits = "é".repeat(length);
            cx.get(&format!("/query_params_typed?req={}", encode(&fits)))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"req": fits}))?;
            let reply = cx
                .get(&format!(
                    "/query_params_typed?req={}",
                    encode(&"é".repeat(4))
                ))
                .send()
                .await?;
            expect_problem(&reply, &["query", "req"], Some("string_too_short"))?;
            Ok(())
        })
}

fn typed_invalid_utf8() -> Check {
    Check::new(
        "03.typed.invalid_utf8",
        "invalid UTF-8 in the query is replaced with U+FFFD, not refused",
    )
    .hint(
        "Decode query bytes that are not UTF-8 as U+FFFD, as Python does; never answer 400 or 500.",
    )
    .book("03-query-parameters.html#how-values-are-read")
    .run(|cx| async move {
        let length = cx.rng(|r| r.between(5, 15)) as usize;
        cx.get(&format!("/query_params_typed?req={}", "%FF".repeat(length)))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"req": "\u{FFFD}".repeat(length)}))?;
        Ok(())
    })
}

fn items_check() -> Check {
    Check::new("03.items", "GET /items/ lists Foo and Bar, without q")
        .points(2)
        .hint(
            "Answer {\"items\": [{\"item_id\": \"Foo\"}, {\"item_id\": \"Bar\"}]} and leave q out \
             when it is not sent.",
        )
        .book("03-query-parameters.html#optional-parameters")
        .run(|cx| async move {
            cx.get("/items/")
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&items(None))?;
            Ok(())
        })
}

fn items_q() -> Check {
    Check::new(
        "03.items.q",
        "GET /items/?q= adds q when it is given and not empty",
    )
    .points(2)
    .hint(
        "q is an Option: add \"q\" to the answer when it is Some and not empty \
         (#[oai(skip_serializing_if_is_none)]; FastAPI: q: str | None = None, and if q: ...).",
    )
    .book("03-query-parameters.html#optional-parameters")
    .run(|cx| async move {
        let q = cx.word();
        cx.get(&format!("/items/?q={q}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&items(Some(&q)))?;
        cx.get("/items/?q=")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&items(None))?;
        Ok(())
    })
}

fn items_long_q() -> Check {
    Check::new(
        "03.items.long_q",
        "a q of 51 characters is a 422; 50 are fine",
    )
    .points(2)
    .hint(
        "Limit q to 50 characters (validator(max_length = 50); FastAPI: Query(max_length=50)); the \
         limit applies when q is given.",
    )
    .book("03-query-parameters.html#optional-parameters")
    .run(|cx| async move {
        let fits = text_of(&cx, 50);
        cx.get(&format!("/items/?q={fits}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&items(Some(&fits)))?;
        let reply = cx
            .get(&format!("/items/?q={}", text_of(&cx, 51)))
            .send()
            .await?;
        expect_problem(&reply, &["query", "q"], Some("string_too_long"))?;
        Ok(())
    })
}

fn tags() -> Check {
    Check::new(
        "03.tags",
        "GET /tags/?tag=a&tag=b gives every tag, in order",
    )
    .points(2)
    .hint(
        "Read a repeated parameter into a list: Query<Vec<String>> (FastAPI: tag: list[str] = \
         Query([])).",
    )
    .book("03-query-parameters.html#lists")
    .run(|cx| async move {
        let count = cx.rng(|r| r.between(1, 4));
        let tags: Vec<String> = (0..count).map(|_| cx.word()).collect();
        let query: Vec<String> = tags.iter().map(|t| format!("tag={t}")).collect();
        cx.get(&format!("/tags/?{}", query.join("&")))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"tags": tags}))?;
        Ok(())
    })
}

fn tags_none() -> Check {
    Check::new(
        "03.tags.none",
        "GET /tags/ without a tag gives an empty list",
    )
    .hint("Give the list a default (#[oai(default)]; FastAPI: Query([])): no tag is [], not a 422.")
    .book("03-query-parameters.html#lists")
    .run(|cx| async move {
        cx.get("/tags/")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"tags": []}))?;
        let other = cx.word();
        cx.get(&format!("/tags/?{other}=x"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"tags": []}))?;
        Ok(())
    })
}

fn tags_slash() -> Check {
    Check::new(
        "03.tags.slash",
        "/tags without its slash answers the same, or redirects to /tags/",
    )
    .hint(
        "Answer both forms of the path alike (kit::mount does), or redirect with 307 as FastAPI \
         does.",
    )
    .book("03-query-parameters.html#lists")
    .tag(Tag::TrailingSlash)
    .fastapi_as_written()
    .run(|cx| async move {
        let tag = cx.word();
        let reply = cx.get(&format!("/tags?tag={tag}")).send().await?;
        if reply.status == 307 {
            reply.expect_header("location", &format!("/tags/?tag={tag}"))?;
            return Ok(());
        }
        reply
            .expect_status(200)?
            .expect_json(&json!({"tags": [tag]}))?;
        Ok(())
    })
}

fn ex_needy() -> Check {
    Check::new(
        "03.ex.needy",
        "GET /needy/{item_id}?needy= mixes path and query parameters",
    )
    .points(2)
    .exercise()
    .hint(
        "item_id from the path, needy required, skip defaulting to 0, limit an Option<i64> \
         (FastAPI: int | None = None) that is null when left out.",
    )
    .book("03-query-parameters.html#exercise-1-needy-parameters")
    .run(|cx| async move {
        let (item_id, needy) = (cx.word(), cx.word());
        let (skip, limit) = cx.rng(|r| (r.between(1, 100), r.between(1, 100)));
        cx.get(&format!("/needy/{item_id}?needy={needy}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"item_id": item_id, "needy": needy, "skip": 0, "limit": null}))?;
        cx.get(&format!(
            "/needy/{item_id}?limit={limit}&needy={needy}&skip={skip}"
        ))
        .send()
        .await?
        .expect_status(200)?
        .expect_json(&json!({"item_id": item_id, "needy": needy, "skip": skip, "limit": limit}))?;
        Ok(())
    })
}

fn ex_needy_invalid() -> Check {
    Check::new(
        "03.ex.needy.invalid",
        "without needy, or with a limit that is not an integer, it is a 422",
    )
    .exercise()
    .hint("needy has no default; limit, when given, must be an integer.")
    .book("03-query-parameters.html#exercise-1-needy-parameters")
    .run(|cx| async move {
        let item_id = cx.word();
        let reply = cx.get(&format!("/needy/{item_id}")).send().await?;
        expect_problem(&reply, &["query", "needy"], Some("missing"))?;
        let reply = cx
            .get(&format!("/needy/{item_id}?needy=x&limit={}", cx.word()))
            .send()
            .await?;
        expect_problem(&reply, &["query", "limit"], Some("int_parsing"))?;
        Ok(())
    })
}

fn ex_alias() -> Check {
    Check::new(
        "03.ex.alias",
        "GET /aliased/?item-query= answers {\"q\": ...}",
    )
    .points(2)
    .exercise()
    .hint(
        "Name the parameter item-query in the URL and q in the code (#[oai(name = \
         \"item-query\")]; FastAPI: Query(alias=\"item-query\")); null when absent.",
    )
    .book("03-query-parameters.html#exercise-2-an-alias")
    .run(|cx| async move {
        let q = cx.word();
        cx.get(&format!("/aliased/?item-query={q}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"q": q}))?;
        cx.get("/aliased/")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"q": null}))?;
        cx.get(&format!("/aliased/?q={q}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"q": null}))?;
        Ok(())
    })
}

fn ex_alias_short() -> Check {
    Check::new(
        "03.ex.alias.short",
        "an item-query under 3 characters is a 422 naming query.item-query",
    )
    .exercise()
    .hint("The 422's loc uses the name in the URL, item-query, not the name in the code.")
    .book("03-query-parameters.html#exercise-2-an-alias")
    .run(|cx| async move {
        let short = text_of(&cx, 2);
        let reply = cx
            .get(&format!("/aliased/?item-query={short}"))
            .send()
            .await?;
        expect_problem(&reply, &["query", "item-query"], Some("string_too_short"))?;
        Ok(())
    })
}

fn ex_pattern() -> Check {
    Check::new(
        "03.ex.pattern",
        "GET /products/?sku= accepts ABC-1234 and refuses other shapes",
    )
    .points(2)
    .exercise()
    .hint(
        "validator(pattern = \"^[A-Z]{3}-[0-9]{4}$\") (FastAPI: Query(pattern=...)); a mismatch is \
         a 422 of type string_pattern_mismatch.",
    )
    .book("03-query-parameters.html#exercise-3-a-pattern")
    .run(|cx| async move {
        let letters: String = cx.word().chars().take(3).collect::<String>().to_uppercase();
        let digits = cx.rng(|r| r.between(0, 9_999));
        let sku = format!("{letters}-{digits:04}");
        cx.get(&format!("/products/?sku={sku}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"sku": sku}))?;
        for bad in [
            sku.to_lowercase(),
            format!("{letters}{digits:04}"),
            format!("{sku}0"),
        ] {
            let reply = cx.get(&format!("/products/?sku={bad}")).send().await?;
            expect_problem(&reply, &["query", "sku"], Some("string_pattern_mismatch"))?;
        }
        let reply = cx.get("/products/").send().await?;
        expect_problem(&reply, &["query", "sku"], Some("missing"))?;
        Ok(())
    })
}

/// The answer of `GET /items/`, with `q` when one is expected.
fn items(q: Option<&str>) -> Value {
    let mut body = json!({"items": [{"item_id": "Foo"}, {"item_id": "Bar"}]});
    if let Some(q) = q {
        body["q"] = json!(q);
    }
    body
}

/// Lower-case letters from the check's random words, exactly `length` of them.
fn text_of(cx: &Ctx, length: usize) -> String {
    let mut text = String::new();
    while text.len() < length {
        text.push_str(&cx.word());
    }
    text.truncate(length);
    text
}

/// Percent-encodes every byte of `text` but ASCII letters and digits.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Fails unless the reply is FastAPI's 422 with exactly one problem, at `loc`, of type `kind`
/// when one is given; returns that problem.
fn expect_problem(reply: &Reply, loc: &[&str], kind: Option<&str>) -> Result<Value, Failure> {
    let problem = reply.expect_problem(&json!(loc), kind)?;
    let count = reply.json()?["detail"].as_array().map_or(0, Vec::len);
    ensure(count == 1, || {
        reply
            .fail("the 422 body does not list exactly one problem")
            .expected(format!("one problem, at {}", json!(loc)))
            .got(reply.text.clone())
    })?;
    Ok(problem)
}

/// `skip` and `page` beyond i64 are 422s; under the FastAPI profile they may also be answered
/// back whole, as Python's unbounded integers are.
async fn huge_values(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let cases = [
        (
            "skip=99999999999999999999",
            "skip",
            r#"{"page": 0, "skip": 99999999999999999999}"#,
        ),
        (
            "page=-99999999999999999999",
            "page",
            r#"{"page": -99999999999999999999, "skip": 0}"#,
        ),
    ];
    for (query, name, echoed) in cases {
        let reply = cx.get(&format!("/query_params?{query}")).send().await?;
        if profile == Profile::Fastapi && reply.status == 200 {
            reply.expect_json_text(echoed)?;
            continue;
        }
        expect_problem(&reply, &["query", name], None)?;
    }
    Ok(())
}

/// `n.0` and `1_nnn` are 422s int_parsing; under the FastAPI profile they may also be read as
/// Pydantic's lax mode reads them.
async fn not_integers(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let n = cx.rng(|r| r.between(1, 99));
    for (bad, lax) in [(format!("{n}.0"), n), (format!("1_{n:03}"), 1000 + n)] {
        let reply = cx.get(&format!("/query_params?page={bad}")).send().await?;
        if profile == Profile::Fastapi && reply.status == 200 {
            reply.expect_json(&json!({"page": lax, "skip": 0}))?;
            continue;
        }
        expect_problem(&reply, &["query", "page"], Some("int_parsing"))?;
    }
    Ok(())
}

/// `?page=+n` is the text " n", a 422 that shows it; under the FastAPI profile it may also be
/// read as n, since Pydantic's lax mode strips the space.
async fn plus_is_space(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let n = cx.rng(|r| r.between(1, 99));
    let reply = cx.get(&format!("/query_params?page=+{n}")).send().await?;
    if profile == Profile::Fastapi && reply.status == 200 {
        reply.expect_json(&json!({"page": n, "skip": 0}))?;
        return Ok(());
    }
    let problem = expect_problem(&reply, &["query", "page"], None)?;
    expect_input(&reply, &problem, &json!(format!(" {n}")))
}

/// Fails unless a problem's `input` is `input`.
fn expect_input(reply: &Reply, problem: &Value, input: &Value) -> Result<(), Failure> {
    ensure(&problem["input"] == input, || {
        reply
            .fail("the problem's input is not the value sent")
            .expected(format!("\"input\": {input}"))
            .got(problem.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_keeps_letters_and_escapes_the_rest() {
        assert_eq!(encode("aé+ "), "a%C3%A9%2B%20");
    }

    #[test]
    fn items_adds_q_only_when_given() {
        assert_eq!(items(None).get("q"), None);
        assert_eq!(items(Some("x"))["q"], "x");
    }
}
