//! Chapter 04 — request bodies: the raw request, forms, files, JSON models, nested bodies.
//!
//! Multipart bodies are written out by hand below (a boundary, a `Content-Disposition` line per
//! part), so that an instructor sees exactly what is sent. Names, prices, file contents and
//! sizes come from the seed.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

const MIB: usize = 1024 * 1024;

/// The checks of chapter 04, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    vec![
        // The raw request.
        echo(),
        echo_repeated_header(),
        echo_raw_bytes(),
        // Forms.
        form(),
        form_missing(),
        form_repeated(),
        // Files.
        files(),
        uploadfile(),
        files_missing(),
        files_truncated(),
        // Size limits.
        echo_too_large(),
        files_big(),
        files_too_large(),
        // JSON models.
        items_create(),
        items_nulls(),
        items_missing_name(),
        items_bad_price(),
        items_every_problem(),
        items_not_json(),
        items_content_type(),
        items_no_content_type(),
        // Several values in one body.
        update(),
        update_nested_errors(),
        update_numbers(),
        update_i64(),
        update_strict(),
        // Exercises.
        ex_images(),
        ex_images_bad_url(),
        ex_images_not_a_list(),
        ex_note(),
        ex_note_missing(),
    ]
}

fn echo() -> Check {
    Check::new("04.echo", "POST / echoes its headers, cookies and body")
        .points(3)
        .hint(
            "Take the request itself (req: &poem::Request; FastAPI: request: Request) and the body \
             as bytes (await request.body()); answer {\"headers\", \"cookies\", \"body\"}.",
        )
        .book("04-request-body.html#the-raw-request")
        .run(|cx| async move {
            let header = format!("x-{}", cx.word());
            let value = cx.word();
            let cookie = cx.word();
            let flavour = cx.word();
            let body = format!("{}={}&{}={}", cx.word(), cx.word(), cx.word(), cx.word());
            let reply = cx
                .post("/")
                .header(&header, &value)
                .header("cookie", &format!("{cookie}={flavour}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(&body)
                .send()
                .await?;
            let echo = reply.expect_status(200)?.json()?;
            expect_member(&reply, &echo, &["headers", &header], &json!(value))?;
            expect_member(
                &reply,
                &echo,
                &["headers", "content-length"],
                &json!(body.len().to_string()),
            )?;
            ensure(echo["headers"]["host"].is_string(), || {
                reply
                    .fail("the echo leaves out the host header")
                    .expected("headers.host")
                    .got(echo["headers"].to_string())
            })?;
            expect_member(&reply, &echo, &["cookies", &cookie], &json!(flavour))?;
            expect_member(&reply, &echo, &["body"], &json!(body))
        })
}

fn echo_repeated_header() -> Check {
    Check::new(
        "04.echo.repeated_header",
        "a repeated header shows its last value",
    )
    .hint(
        "Of two headers with one name, keep the value of the second (FastAPI: \
         dict(request.headers.items()); dict(request.headers) keeps the first).",
    )
    .book("04-request-body.html#the-raw-request")
    .tag(Tag::RepeatedHeader)
    .run(|cx| async move { repeated_header(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { repeated_header(&cx, Profile::Fastapi).await })
}

fn echo_raw_bytes() -> Check {
    Check::new(
        "04.echo.raw_bytes",
        "any body, in any content type or none, is echoed; bytes that are not UTF-8 become U+FFFD",
    )
    .points(2)
    .hint(
        "Read the body as bytes, whatever the Content-Type (or none), and turn it into text with \
         String::from_utf8_lossy (Python: body.decode(\"utf-8\", \"replace\")). Header names come \
         in lower case.",
    )
    .book("04-request-body.html#the-raw-request")
    .run(|cx| async move {
        let word = cx.word();
        let header = format!("X-{}-Mixed", capitalized(&cx.word()));
        let mut body = word.clone().into_bytes();
        body.extend_from_slice(&[0xFF, 0xFE]);
        let curl = format!(
            "printf '{word}\\377\\376' | curl -i -H 'Content-Type:' -H '{header}: yes' \
             --data-binary @- {}/",
            cx.base()
        );
        let (status, echo) = raw_post(&cx, "/", &[(&header, "yes")], body, &curl).await?;
        let text = format!("{word}\u{FFFD}\u{FFFD}");
        let got = || format!("{status} {echo}");
        ensure(status == 200 && echo["body"] == json!(text), || {
            Failure::new(format!(
                "a body with bytes that are not UTF-8, and no Content-Type, is not echoed with \
                 U+FFFD (try: {curl})"
            ))
            .expected(format!("200 {{\"body\": {}, ...}}", json!(text)))
            .got(got())
        })?;
        ensure(
            echo["headers"][header.to_ascii_lowercase()] == json!("yes"),
            || {
                Failure::new(format!(
                    "header {header} is not in the echo under its lower-case name (try: {curl})"
                ))
                .expected(format!("headers.{}: \"yes\"", header.to_ascii_lowercase()))
                .got(got())
            },
        )
    })
}

fn form() -> Check {
    Check::new(
        "04.form",
        "POST /form answers the username and password form fields",
    )
    .points(2)
    .hint(
        "Read an application/x-www-form-urlencoded body with Form<T> (T derives Object and \
         serde::Deserialize; FastAPI: username: str = Form(), password: str = Form()).",
    )
    .book("04-request-body.html#forms")
    .run(|cx| async move {
        let (username, password) = (cx.word(), format!("{} {}!", cx.word(), cx.word()));
        let body = format!(
            "username={username}&password={}",
            password.replace(' ', "+").replace('!', "%21")
        );
        cx.post("/form")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(&body)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"username": username, "password": password}))?;
        Ok(())
    })
}

fn form_missing() -> Check {
    Check::new(
        "04.form.missing",
        "a missing or empty form field is 422 at [\"body\", \"password\"]",
    )
    .hint("Both fields are required; an empty field counts as missing, as in FastAPI.")
    .book("04-request-body.html#forms")
    .run(|cx| async move {
        let username = cx.word();
        for body in [
            format!("username={username}"),
            format!("username={username}&password="),
        ] {
            let reply = cx
                .post("/form")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(&body)
                .send()
                .await?;
            reply.expect_problem(&json!(["body", "password"]), Some("missing"))?;
        }
        Ok(())
    })
}

fn form_repeated() -> Check {
    Check::new(
        "04.form.repeated",
        "of a repeated form field, the last value counts",
    )
    .hint("Where one value is expected and several are sent, keep the last.")
    .book("04-request-body.html#forms")
    .run(|cx| async move {
        let (first, last, password) = (cx.word(), cx.word(), cx.word());
        let body = format!("username={first}&password={password}&username={last}");
        cx.post("/form")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(&body)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"username": last, "password": password}))?;
        Ok(())
    })
}

fn files() -> Check {
    Check::new(
        "04.files",
        "POST /files/ answers the size of the uploaded file",
    )
    .points(2)
    .hint(
        "Take a #[derive(Multipart)] struct with a field file: Upload, and answer {\"file_size\": \
         file.size()} (FastAPI: file: bytes = File(), and len(file)).",
    )
    .book("04-request-body.html#files")
    .run(|cx| async move {
        let size = cx.rng(|r| r.between(1, 5000)) as usize;
        let content = text_of_size(&cx.word(), size);
        let name = format!("{}.txt", cx.word());
        let reply = send_multipart(
            &cx,
            "/files/",
            &[file_part("file", &name, "text/plain", &content)],
        )
        .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"file_size": size}))?;
        Ok(())
    })
}

fn uploadfile() -> Check {
    Check::new(
        "04.uploadfile",
        "POST /uploadfile/ answers the file's name, content type and size",
    )
    .points(2)
    .hint(
        "Upload keeps what the client said: file_name() and content_type(), and the size() \
         (FastAPI's UploadFile: filename, content_type, size).",
    )
    .book("04-request-body.html#files")
    .run(|cx| async move {
        let size = cx.rng(|r| r.between(1, 5000)) as usize;
        let content = text_of_size(&cx.word(), size);
        let filename = format!(
            "{}.{}",
            cx.word(),
            cx.rng(|r| *r.pick(&["txt", "csv", "md"]))
        );
        let content_type =
            cx.rng(|r| *r.pick(&["text/plain", "text/csv", "application/octet-stream"]));
        let reply = send_multipart(
            &cx,
            "/uploadfile/",
            &[file_part("file", &filename, content_type, &content)],
        )
        .await?;
        reply.expect_status(200)?.expect_json(
            &json!({"filename": filename, "content_type": content_type, "size": size}),
        )?;
        Ok(())
    })
}

fn files_missing() -> Check {
    Check::new(
        "04.files.missing",
        "an upload without its file field is 422 at [\"body\", \"file\"]",
    )
    .hint("The file field is required: a form with other fields only names it as missing.")
    .book("04-request-body.html#files")
    .run(|cx| async move {
        let other = cx.word();
        for path in ["/files/", "/uploadfile/"] {
            let reply = send_multipart(&cx, path, &[text_part(&other, "hello")]).await?;
            reply.expect_problem(&json!(["body", "file"]), Some("missing"))?;
        }
        Ok(())
    })
}

fn files_truncated() -> Check {
    Check::new(
        "04.files.truncated",
        "an upload cut off in the middle of the file is a 422, not a 500",
    )
    .hint(
        "A multipart body that ends too soon is bad input: answer 422 with loc starting at \
         \"body\".",
    )
    .book("04-request-body.html#files")
    .run(|cx| async move {
        let boundary = boundary(&cx);
        let content = text_of_size(&cx.word(), 200);
        let whole = format!(
            "{}--{boundary}--\r\n",
            file_part("file", "cut.txt", "text/plain", &content)
        );
        let cut = format!("--{boundary}\r\n{}", &whole[..whole.len() / 2]);
        let reply = cx
            .post("/files/")
            .header(
                "content-type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .body(&cut)
            .send()
            .await?;
        reply.expect_status(422)?;
        let detail = reply.json()?["detail"].clone();
        ensure(detail[0]["loc"][0] == json!("body"), || {
            reply
                .fail("the 422 does not point at the body")
                .expected("detail[0].loc: [\"body\", ...]")
                .got(detail.to_string())
        })
    })
}

fn echo_too_large() -> Check {
    Check::new(
        "04.echo.too_large",
        "a 2 MiB body is refused with 413 {\"detail\": \"Content Too Large\"}",
    )
    .hint(
        "Bodies are limited to 1 MiB; kit::mount refuses a larger one before reading it (FastAPI: \
         FastAPI(max_body_size=1024 * 1024), in plain text when Content-Length announces the \
         excess).",
    )
    .book("04-request-body.html#size-limits")
    .tag(Tag::BodyLimit)
    .run(|cx| async move { too_large_echo(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { too_large_echo(&cx, Profile::Fastapi).await })
}

/// A 2 MiB body to POST / is a 413.
async fn too_large_echo(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let body = text_of_size(&cx.word(), 2 * MIB);
    let curl = format!(
        "head -c {} /dev/zero | tr '\\0' a | curl -i -H 'Content-Type: text/plain' --data-binary \
         @- {}/",
        body.len(),
        cx.base()
    );
    let (status, answer) = raw_exchange(
        cx,
        "/",
        &[("Content-Type", "text/plain")],
        body.into_bytes(),
        &curl,
    )
    .await?;
    expect_too_large(status, &answer, &curl, profile)
}

fn files_big() -> Check {
    Check::new(
        "04.files.big",
        "a 5 MiB upload is accepted: uploads may be up to 10 MiB",
    )
    .hint(
        "A multipart/form-data request has a limit of its own, 10 MiB, above the 1 MiB of other \
         bodies.",
    )
    .book("04-request-body.html#size-limits")
    .run(|cx| async move {
        let size = 5 * MIB + cx.rng(|r| r.between(0, 1000)) as usize;
        let content = text_of_size(&cx.word(), size);
        let reply = send_multipart(
            &cx,
            "/files/",
            &[file_part("file", "big.txt", "text/plain", &content)],
        )
        .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"file_size": size}))?;
        Ok(())
    })
}

fn files_too_large() -> Check {
    Check::new(
        "04.files.too_large",
        "an 11 MiB upload is refused with 413 {\"detail\": \"Content Too Large\"}",
    )
    .hint(
        "A whole multipart request is limited to 10 MiB (FastAPI: max_body_size=10 * 1024 * 1024 \
         on the route).",
    )
    .book("04-request-body.html#size-limits")
    .tag(Tag::BodyLimit)
    .run(|cx| async move { too_large_upload(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { too_large_upload(&cx, Profile::Fastapi).await })
}

/// An 11 MiB upload to POST /files/ is a 413.
async fn too_large_upload(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let content = text_of_size(&cx.word(), 11 * MIB);
    let boundary = boundary(cx);
    let body = format!(
        "--{boundary}\r\n{}--{boundary}--\r\n",
        file_part("file", "huge.txt", "text/plain", &content)
    );
    let curl = format!(
        "head -c {} /dev/zero > huge.txt && curl -i -F 'file=@huge.txt' {}/files/",
        content.len(),
        cx.base()
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (status, answer) = raw_exchange(
        cx,
        "/files/",
        &[("Content-Type", &content_type)],
        body.into_bytes(),
        &curl,
    )
    .await?;
    expect_too_large(status, &answer, &curl, profile)
}

fn items_create() -> Check {
    Check::new(
        "04.items.create",
        "POST /items/ answers the item with all four fields; unknown fields are ignored",
    )
    .points(3)
    .hint(
        "Take Json<Item> where Item derives Object (FastAPI: item: Item, a Pydantic BaseModel); \
         answer {\"item\": item}.",
    )
    .book("04-request-body.html#json-models")
    .run(|cx| async move {
        let item = random_item(&cx, true);
        let mut sent = item.clone();
        sent[format!("{}_note", cx.word())] = json!(cx.word());
        cx.post("/items/")
            .json(&sent)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"item": item}))?;
        Ok(())
    })
}

fn items_nulls() -> Check {
    Check::new(
        "04.items.nulls",
        "optional fields left out come back as null",
    )
    .hint(
        "description and tax are Option<...> (Pydantic: str | None = None): None is written as \
         null, not left out.",
    )
    .book("04-request-body.html#json-models")
    .run(|cx| async move {
        let item = random_item(&cx, false);
        cx.post("/items/")
            .json(&json!({"name": item["name"], "price": item["price"]}))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"item": item}))?;
        Ok(())
    })
}

fn items_missing_name() -> Check {
    Check::new(
        "04.items.missing_name",
        "an item without a name is 422 at [\"body\", \"name\"]",
    )
    .hint("name has no default: a body without it is refused, with type \"missing\".")
    .book("04-request-body.html#when-the-json-is-wrong")
    .run(|cx| async move {
        let price = random_price(&cx);
        let reply = cx
            .post("/items/")
            .json(&json!({"price": price}))
            .send()
            .await?;
        reply
            .expect_problem(&json!(["body", "name"]), Some("missing"))
            .map(drop)
    })
}

fn items_bad_price() -> Check {
    Check::new(
        "04.items.bad_price",
        "a price that is a string is 422 at [\"body\", \"price\"]",
    )
    .hint("price is a number: \"abc\" (or any string) is refused.")
    .book("04-request-body.html#when-the-json-is-wrong")
    .run(|cx| async move {
        let reply = cx
            .post("/items/")
            .json(&json!({"name": cx.word(), "price": cx.word()}))
            .send()
            .await?;
        reply
            .expect_problem(&json!(["body", "price"]), None)
            .map(drop)
    })
}

fn items_every_problem() -> Check {
    Check::new(
        "04.items.every_problem",
        "a missing name and a bad price are both listed in one 422",
    )
    .hint("FastAPI reports every problem at once, not only the first one.")
    .book("04-request-body.html#when-the-json-is-wrong")
    .run(|cx| async move {
        let reply = cx
            .post("/items/")
            .json(&json!({"price": cx.word()}))
            .send()
            .await?;
        reply.expect_problem(&json!(["body", "name"]), Some("missing"))?;
        reply
            .expect_problem(&json!(["body", "price"]), None)
            .map(drop)
    })
}

fn items_not_json() -> Check {
    Check::new(
        "04.items.not_json",
        "a body that is not JSON is 422 with type json_invalid",
    )
    .hint("Malformed JSON is bad input: 422, type json_invalid, loc starting at \"body\".")
    .book("04-request-body.html#when-the-json-is-wrong")
    .run(|cx| async move {
        let body = format!("{{\"name\": \"{}\", \"price\": ", cx.word());
        let reply = cx
            .post("/items/")
            .header("content-type", "application/json")
            .body(&body)
            .send()
            .await?;
        reply.expect_status(422)?;
        let first = reply.json()?["detail"][0].clone();
        ensure(
            first["type"] == json!("json_invalid") && first["loc"][0] == json!("body"),
            || {
                reply
                    .fail("the 422 does not say the JSON is invalid")
                    .expected("detail[0]: {\"type\": \"json_invalid\", \"loc\": [\"body\", ...]}")
                    .got(first.to_string())
            },
        )
    })
}

fn items_content_type() -> Check {
    Check::new(
        "04.items.content_type",
        "JSON sent as text/plain is 422 at [\"body\"]",
    )
    .hint("A JSON body needs Content-Type: application/json; anything else is refused at the body.")
    .book("04-request-body.html#when-the-json-is-wrong")
    .run(|cx| async move {
        let item = random_item(&cx, true);
        let reply = cx
            .post("/items/")
            .header("content-type", "text/plain")
            .body(&item.to_string())
            .send()
            .await?;
        reply.expect_problem(&json!(["body"]), None).map(drop)
    })
}

fn items_no_content_type() -> Check {
    Check::new(
        "04.items.no_content_type",
        "JSON sent without a Content-Type is 422 at [\"body\"]",
    )
    .hint(
        "The workbook asks for Content-Type: application/json (FastAPI would try JSON without \
         one).",
    )
    .book("04-request-body.html#where-it-differs-from-fastapi")
    .run(|cx| async move {
        let item = random_item(&cx, true);
        let reply = cx.post("/items/").body(&item.to_string()).send().await?;
        reply.expect_problem(&json!(["body"]), None).map(drop)
    })
}

fn update() -> Check {
    Check::new(
        "04.update",
        "PUT /items/{item_id} answers the id, item, user and importance",
    )
    .points(3)
    .hint(
        "One Json<T> whose T has the members item, user and importance (FastAPI: item: Item, user: \
         User, importance: int = Body()); the id comes from the path.",
    )
    .book("04-request-body.html#several-values-in-one-body")
    .run(|cx| async move {
        let item_id = cx.rng(|r| r.between(1, 1_000_000));
        let item = random_item(&cx, true);
        let full_name = format!("{} {}", capitalized(&cx.word()), capitalized(&cx.word()));
        let user = json!({"username": cx.word(), "full_name": full_name});
        let importance = cx.rng(|r| r.between(-5, 10));
        let body = json!({"item": item, "user": user, "importance": importance});
        cx.put(&format!("/items/{item_id}"))
            .json(&body)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({
                "item_id": item_id, "item": item, "user": user, "importance": importance
            }))?;
        let username = json!({"username": user["username"]});
        let anonymous = json!({"item": item, "user": username, "importance": importance});
        cx.put(&format!("/items/{item_id}"))
            .json(&anonymous)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({
                "item_id": item_id,
                "item": item,
                "user": {"username": user["username"], "full_name": null},
                "importance": importance,
            }))?;
        Ok(())
    })
}

fn update_nested_errors() -> Check {
    Check::new(
        "04.update.nested_errors",
        "a problem inside item or user is 422 at its whole path",
    )
    .points(2)
    .hint(
        "loc names every step: [\"body\", \"item\", \"price\"], [\"body\", \"user\", \
         \"username\"].",
    )
    .book("04-request-body.html#several-values-in-one-body")
    .run(|cx| async move {
        let body = json!({
            "item": {"name": cx.word(), "price": cx.word()},
            "user": {"full_name": cx.word()},
        });
        let reply = cx.put("/items/7").json(&body).send().await?;
        reply.expect_problem(&json!(["body", "item", "price"]), None)?;
        reply.expect_problem(&json!(["body", "user", "username"]), Some("missing"))?;
        reply
            .expect_problem(&json!(["body", "importance"]), Some("missing"))
            .map(drop)
    })
}

fn update_numbers() -> Check {
    Check::new(
        "04.update.numbers",
        "an item_id that is not an integer is 422; negative ids and importances are fine",
    )
    .hint("item_id and importance are integers: not \"abc\"; -3 is fine.")
    .book("04-request-body.html#several-values-in-one-body")
    .run(|cx| async move {
        let (item, user) = (
            random_item(&cx, true),
            json!({"username": cx.word(), "full_name": null}),
        );
        let body = update_body(&item, &user, json!(1));
        for path in ["/items/abc", "/items/%FF"] {
            let reply = cx.put(path).json(&body).send().await?;
            reply.expect_problem(&json!(["path", "item_id"]), None)?;
        }
        let negative = cx.rng(|r| r.between(-1000, -1));
        cx.put(&format!("/items/{negative}"))
            .json(&update_body(&item, &user, json!(negative)))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(
                &json!({"item_id": negative, "item": item, "user": user, "importance": negative}),
            )?;
        Ok(())
    })
}

fn update_i64() -> Check {
    Check::new("04.update.i64", "an item_id beyond the i64 range is 422")
        .hint(
            "item_id is an i64: 99999999999999999999 is a 422 (FastAPI accepts it: Python integers \
             have no limit).",
        )
        .book("04-request-body.html#several-values-in-one-body")
        .tag(Tag::I64)
        .run(|cx| async move { update_beyond_i64(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { update_beyond_i64(&cx, Profile::Fastapi).await })
}

fn update_strict() -> Check {
    Check::new("04.update.strict", "an importance of 5.0 in JSON is 422")
        .hint(
            "importance is an integer, and JSON's 5.0 is a number with a fraction part: a 422 \
             (Pydantic's lax mode reads it as 5; model_config = ConfigDict(strict=True) does not).",
        )
        .book("04-request-body.html#several-values-in-one-body")
        .tag(Tag::StrictInt)
        .run(|cx| async move { update_fraction(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { update_fraction(&cx, Profile::Fastapi).await })
}

fn ex_images() -> Check {
    Check::new(
        "04.ex.images",
        "POST /images/multiple/ answers the list of images it was sent",
    )
    .points(2)
    .exercise()
    .hint("Take Json<Vec<Image>> (FastAPI: images: list[Image]) and answer it back.")
    .book("04-request-body.html#exercise-1-a-list-of-images")
    .run(|cx| async move {
        let count = cx.rng(|r| r.between(1, 4));
        let images: Vec<Value> = (0..count).map(|_| random_image(&cx)).collect();
        cx.post("/images/multiple/")
            .json(&json!(images))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!(images))?;
        Ok(())
    })
}

fn ex_images_bad_url() -> Check {
    Check::new(
        "04.ex.images.bad_url",
        "an image whose url is not http(s) is 422 at [\"body\", <index>, \"url\"]",
    )
    .exercise()
    .hint(
        "Check url's shape (a pattern validator, or a URL type; Pydantic: HttpUrl) so that a \
         problem names the image's position.",
    )
    .book("04-request-body.html#exercise-1-a-list-of-images")
    .run(|cx| async move {
        let count = cx.rng(|r| r.between(2, 4));
        let bad_at = cx.rng(|r| r.between(0, count - 1));
        let bad_url =
            cx.rng(|r| *r.pick(&["ftp://example.com/a.png", "not a url", "example.com/a.png"]));
        let images: Vec<Value> = (0..count)
            .map(|i| {
                let mut image = random_image(&cx);
                if i == bad_at {
                    image["url"] = json!(bad_url);
                }
                image
            })
            .collect();
        let reply = cx
            .post("/images/multiple/")
            .json(&json!(images))
            .send()
            .await?;
        reply
            .expect_problem(&json!(["body", bad_at, "url"]), None)
            .map(drop)
    })
}

fn ex_images_not_a_list() -> Check {
    Check::new(
        "04.ex.images.not_a_list",
        "one image that is not in a list is 422 at [\"body\"]",
    )
    .exercise()
    .hint("The body is a list: an object on its own is refused.")
    .book("04-request-body.html#exercise-1-a-list-of-images")
    .run(|cx| async move {
        let reply = cx
            .post("/images/multiple/")
            .json(&random_image(&cx))
            .send()
            .await?;
        reply.expect_problem(&json!(["body"]), None).map(drop)
    })
}

fn ex_note() -> Check {
    Check::new(
        "04.ex.note",
        "POST /files/with-note/ answers the file's size and the note",
    )
    .points(2)
    .exercise()
    .hint(
        "A #[derive(Multipart)] struct with file: Upload and note: String (FastAPI: file: \
         UploadFile, note: str = Form()).",
    )
    .book("04-request-body.html#exercise-2-a-file-with-a-note")
    .run(|cx| async move {
        let size = cx.rng(|r| r.between(1, 5000)) as usize;
        let content = text_of_size(&cx.word(), size);
        let note = format!("{} {} {}", capitalized(&cx.word()), cx.word(), cx.word());
        let parts = [
            text_part("note", &note),
            file_part("file", "report.txt", "text/plain", &content),
        ];
        let reply = send_multipart(&cx, "/files/with-note/", &parts).await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"file_size": size, "note": note}))?;
        Ok(())
    })
}

fn ex_note_missing() -> Check {
    Check::new(
        "04.ex.note.missing",
        "an upload without its note, or with an empty one, is 422",
    )
    .exercise()
    .hint("note is required and may not be empty; a missing one is named at [\"body\", \"note\"].")
    .book("04-request-body.html#exercise-2-a-file-with-a-note")
    .run(|cx| async move {
        let content = text_of_size(&cx.word(), 100);
        let file = file_part("file", "report.txt", "text/plain", &content);
        let reply = send_multipart(&cx, "/files/with-note/", std::slice::from_ref(&file)).await?;
        reply.expect_problem(&json!(["body", "note"]), Some("missing"))?;
        let reply =
            send_multipart(&cx, "/files/with-note/", &[text_part("note", ""), file]).await?;
        reply.expect_status(422)?;
        Ok(())
    })
}

/// An item with a seeded name and price, and a description and tax when `full`, else `null`s.
fn random_item(cx: &Ctx, full: bool) -> Value {
    let name = format!("{} {}", capitalized(&cx.word()), cx.word());
    let (description, tax) = if full {
        (
            json!(format!("{} {}", cx.word(), cx.word())),
            json!(random_price(cx)),
        )
    } else {
        (Value::Null, Value::Null)
    };
    json!({"name": name, "description": description, "price": random_price(cx), "tax": tax})
}

/// A price with cents, as a JSON float: `123.45`.
fn random_price(cx: &Ctx) -> f64 {
    cx.rng(|r| r.between(100, 99_999)) as f64 / 100.0
}

fn random_image(cx: &Ctx) -> Value {
    let scheme = cx.rng(|r| *r.pick(&["http", "https"]));
    json!({
        "url": format!("{scheme}://{}.example.com/{}.png", cx.word(), cx.word()),
        "name": format!("{} {}", capitalized(&cx.word()), cx.word()),
    })
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `size` bytes of text made of `word` and spaces.
fn text_of_size(word: &str, size: usize) -> String {
    let unit = format!("{word} ");
    let mut text = unit.repeat(size / unit.len() + 1);
    text.truncate(size);
    text
}

/// A boundary that the seeded text (letters and spaces) cannot contain.
fn boundary(cx: &Ctx) -> String {
    format!("grader{}", cx.rng(|r| r.next_u64()))
}

/// A part that carries a file: its field name, file name, content type and content.
fn file_part(name: &str, filename: &str, content_type: &str, content: &str) -> String {
    format!(
        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n{content}\r\n"
    )
}

/// A part that carries a plain form field.
fn text_part(name: &str, value: &str) -> String {
    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

/// Sends `parts` as a `multipart/form-data` body: each part after a `--boundary` line, and
/// `--boundary--` at the end.
async fn send_multipart(cx: &Ctx, path: &str, parts: &[String]) -> Result<Reply, Failure> {
    let boundary = boundary(cx);
    let mut body = String::new();
    for part in parts {
        body.push_str(&format!("--{boundary}\r\n{part}"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    cx.post(path)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
        .body(&body)
        .send()
        .await
}

/// Fails unless `value` at `path` (keys from the top) is `expected`.
fn expect_member(
    reply: &Reply,
    value: &Value,
    path: &[&str],
    expected: &Value,
) -> Result<(), Failure> {
    let found = path.iter().fold(value, |v, key| &v[*key]);
    ensure(found == expected, || {
        reply
            .fail(format!("{} differs from what was sent", path.join(".")))
            .expected(format!("{}: {expected}", path.join(".")))
            .got(format!("{}: {found}", path.join(".")))
    })
}

/// POSTs `body` over a plain TCP connection, for what an HTTP client library does not do:
/// send bytes that are not UTF-8, header names in mixed case, or keep listening when the
/// server answers before the whole body is sent (an early 413). `curl` is the command a
/// failure suggests to repeat the request.
/// A repeated header is echoed with its last value; under the FastAPI profile, with its first
/// too (`dict(request.headers)` keeps the first).
async fn repeated_header(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let header = format!("x-{}", cx.word());
    let (first, last) = (cx.word(), format!("{}-last", cx.word()));
    let reply = cx
        .post("/")
        .header(&header, &first)
        .header(&header, &last)
        .send()
        .await?;
    let echo = reply.expect_status(200)?.json()?;
    if profile == Profile::Fastapi && echo["headers"][&header] == json!(first) {
        return Ok(());
    }
    expect_member(&reply, &echo, &["headers", &header], &json!(last))
}

/// The body of PUT /items/{item_id}.
fn update_body(item: &Value, user: &Value, importance: Value) -> Value {
    json!({"item": item, "user": user, "importance": importance})
}

/// PUT /items/99999999999999999999 is a 422; under the FastAPI profile it may also be answered
/// with that id, whole.
async fn update_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let (item, user) = (
        random_item(cx, true),
        json!({"username": cx.word(), "full_name": null}),
    );
    let digits = "99999999999999999999";
    let reply = cx
        .put(&format!("/items/{digits}"))
        .json(&update_body(&item, &user, json!(1)))
        .send()
        .await?;
    if profile == Profile::Fastapi && reply.status == 200 {
        reply.expect_number_text("item_id", digits)?;
        let body = reply.json()?;
        let rest =
            json!({"item": body["item"], "user": body["user"], "importance": body["importance"]});
        return ensure(rest == update_body(&item, &user, json!(1)), || {
            reply.fail("the answer does not give back what was sent")
        });
    }
    reply.expect_problem(&json!(["path", "item_id"]), None)?;
    Ok(())
}

/// An importance of 5.0 is a 422; under the FastAPI profile it may also be read as 5.
async fn update_fraction(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let (item, user) = (
        random_item(cx, true),
        json!({"username": cx.word(), "full_name": null}),
    );
    let reply = cx
        .put("/items/1")
        .json(&update_body(&item, &user, json!(5.0)))
        .send()
        .await?;
    if profile == Profile::Fastapi && reply.status == 200 {
        reply.expect_json(&json!({"item_id": 1, "item": item, "user": user, "importance": 5}))?;
        return Ok(());
    }
    reply.expect_problem(&json!(["body", "importance"]), None)?;
    Ok(())
}

/// POSTs `body` over a connection of its own (see [`raw_exchange`]) and reads the answer as
/// JSON.
async fn raw_post(
    cx: &Ctx,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    curl: &str,
) -> Result<(u16, Value), Failure> {
    let (status, content) = raw_exchange(cx, path, headers, body, curl).await?;
    let json = serde_json::from_str(&content).map_err(|_| {
        Failure::new(format!("the answer is not JSON (try: {curl})"))
            .expected("a JSON body")
            .got(content.chars().take(500).collect::<String>())
    })?;
    Ok((status, json))
}

/// POSTs `body` with `headers` over a connection of its own, sending while it reads the
/// answer, and returns the status and the body received.
async fn raw_exchange(
    cx: &Ctx,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    curl: &str,
) -> Result<(u16, String), Failure> {
    let Some(authority) = cx.base().strip_prefix("http://") else {
        return Err(Failure::new(
            "this check speaks plain HTTP; give the server as http://host:port",
        ));
    };
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(&body);

    let stream = match tokio::net::TcpStream::connect(authority).await {
        Ok(stream) => stream,
        Err(err) => {
            return Err(Failure::new(format!(
                "could not connect to {authority}: {err}"
            )));
        }
    };
    let (mut reader, mut writer) = stream.into_split();
    // The body is written while the answer is read: a server may answer (413) and close
    // before it has all been sent, and that answer is what the check wants to see.
    let sending = tokio::spawn(async move {
        let _ = writer.write_all(&bytes).await;
        writer
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    sending.abort();
    if read.is_err() {
        return Err(Failure::new(format!(
            "no response within 10 s (try: {curl})"
        )));
    }
    // A connection reset after the answer arrived still leaves the answer in `answer`.
    let text = String::from_utf8_lossy(&answer);
    let Some((head, content)) = text.split_once("\r\n\r\n") else {
        return Err(Failure::new(format!(
            "the server closed the connection without answering (try: {curl})"
        )));
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let content = if chunked {
        dechunk(content)
    } else {
        content.to_owned()
    };
    Ok((status, content))
}

/// Fails unless a raw exchange was answered 413 `{"detail": "Content Too Large"}`; under the
/// FastAPI profile, Starlette's plain-text `Content Too Large` passes too.
fn expect_too_large(status: u16, body: &str, curl: &str, profile: Profile) -> Result<(), Failure> {
    let expected = json!({"detail": "Content Too Large"});
    let json = serde_json::from_str::<Value>(body).ok();
    let plain = profile == Profile::Fastapi && body.trim() == "Content Too Large";
    ensure(
        status == 413 && (json.as_ref() == Some(&expected) || plain),
        || {
            Failure::new(format!(
                "a body over the limit is not refused (try: {curl})"
            ))
            .expected(format!("413 {expected}"))
            .got(format!(
                "{status} {}",
                body.chars().take(500).collect::<String>()
            ))
        },
    )
}

/// The content of a `Transfer-Encoding: chunked` body.
fn dechunk(mut rest: &str) -> String {
    let mut content = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let (Some(chunk), Some(next)) = (after.get(..size), after.get(size..)) else {
            break;
        };
        if size == 0 {
            break;
        }
        content.push_str(chunk);
        rest = next.trim_start_matches("\r\n");
    }
    content
}
