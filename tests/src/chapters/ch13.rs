//! Chapter 13 — migrations: chapter 12's users and items on a migrated schema, with the column
//! the third migration adds (`users.full_name`).
//!
//! Most checks speak HTTP and see the schema through the API: the new column in every user
//! answer, and the tables the first two migrations made. A server started by the grader gets
//! an empty database, which `serve` migrates on its own; a server given with `--url` must have
//! been migrated by whoever started it. The migration commands (`migrate up`, `down N`,
//! `status`, `history`, the exercises' `redo`) and the refusal to serve a database that is
//! behind are checked by running the program itself, in a folder of its own, on its default
//! database (a SQLite file there): those checks need `--bin` or the reference.

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 13, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = user_checks();
    checks.extend(item_checks());
    checks.extend(input_checks());
    checks.extend(command_checks());
    checks.extend(exercise_checks());
    checks
}

fn command_checks() -> Vec<Check> {
    vec![cli_migrate(), cli_serve_behind()]
}

fn cli_migrate() -> Check {
    Check::new(
        "13.cli.migrate",
        "migrate up, status, history and down N work on a new database",
    )
    .points(3)
    .program()
    .hint(
        "`PROGRAM migrate status` and `migrate history` report and exit 0, pending migrations or \
         not; `migrate up` applies them all; `migrate down 1` undoes the last; each exits \
         non-zero, with the reason on stderr, only when it could not do its work.",
    )
    .book("13-migrations.html#up-down-status-history")
    .run(|cx| async move {
        for args in [
            &["migrate", "status"][..],
            &["migrate", "up"],
            &["migrate", "status"],
            &["migrate", "history"],
            &["migrate", "down", "1"],
            &["migrate", "up"],
        ] {
            cx.command(args)?.run().await?.expect_success()?;
        }
        // More than were ever written cannot be undone.
        cx.command(&["migrate", "down", "999"])?
            .run()
            .await?
            .expect_failure()?;
        let (api, server) = cx.serve(&[]).await?;
        api.get("/users/").send().await?.expect_status(200)?;
        server.stop().await;
        Ok(())
    })
}

fn cli_serve_behind() -> Check {
    Check::new(
        "13.cli.serve_behind",
        "serve refuses a database that is behind, unless --migrate",
    )
    .points(3)
    .program()
    .hint(
        "Before listening, compare the applied migrations with the program's: if some are pending, \
         exit non-zero and say so (name `migrate up` or `--migrate`); with --migrate, apply them \
         first.",
    )
    .book("13-migrations.html#serving-only-a-database-that-is-up-to-date")
    .run(|cx| async move {
        cx.command(&["migrate", "up"])?
            .run()
            .await?
            .expect_success()?;
        cx.command(&["migrate", "down", "1"])?
            .run()
            .await?
            .expect_success()?;
        cx.serve_refused(&[]).await?;
        let (api, server) = cx.serve(&["--migrate"]).await?;
        api.get("/users/").send().await?.expect_status(200)?;
        server.stop().await;
        // Brought up to date: a plain serve works again.
        let (api, server) = cx.serve(&[]).await?;
        api.get("/users/").send().await?.expect_status(200)?;
        server.stop().await;
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_index(), ex_backfill(), ex_redo()]
}

fn ex_index() -> Check {
    Check::new(
        "13.ex.index",
        "exercise 1: migration 0004 is applied, goes down and up again",
    )
    .points(2)
    .exercise()
    .program()
    .hint(
        "Write migration 0004 (the index on items (owner_id, id)) with a down that puts the old \
         index back, for every backend. `migrate history` must list it; undoing it (and all the \
         others) then `migrate up` must work.",
    )
    .book("13-migrations.html#exercise-1-an-index-and-its-down")
    .run(|cx| async move {
        cx.command(&["migrate", "up"])?
            .run()
            .await?
            .expect_success()?;
        // How many are applied, from `migrate history`'s rows (a version first), so that
        // exercise 1 passes alone as well as with exercise 2's migration 0005.
        let history = cx.command(&["migrate", "history"])?.run().await?;
        history.expect_success()?;
        let applied = history
            .stdout
            .lines()
            .filter(|line| {
                let first = line.split_whitespace().next().unwrap_or_default();
                first.trim_start_matches('0').parse::<u32>().is_ok()
            })
            .count();
        ensure(applied >= 4, || {
            history
                .fail("`migrate history` lists no migration 0004")
                .expected("migrations 0001 to 0004 applied, 0004 being the new index")
        })?;
        let (above_three, all) = ((applied - 3).to_string(), applied.to_string());
        for args in [
            &["migrate", "down", above_three.as_str()][..],
            &["migrate", "up"],
            &["migrate", "down", all.as_str()],
            &["migrate", "up"],
        ] {
            cx.command(args)?.run().await?.expect_success()?;
        }
        let (api, server) = cx.serve(&[]).await?;
        let owner = create_user(&api, &email(&api), None).await?;
        owner.expect_status(200)?;
        let owner = id_of(&owner)?;
        for title in ["first", "second"] {
            api.post(&format!("/users/{owner}/items/"))
                .json(&json!({"title": title}))
                .send()
                .await?
                .expect_status(200)?;
        }
        let reply = api.get(&format!("/users/{owner}")).send().await?;
        reply.expect_status(200)?;
        let titles: Vec<Value> = reply.json()?["items"]
            .as_array()
            .map(|items| items.iter().map(|i| i["title"].clone()).collect())
            .unwrap_or_default();
        server.stop().await;
        ensure(titles == [json!("first"), json!("second")], || {
            reply
                .fail("the user's items are not listed in the order they were made")
                .expected("items first, second")
                .got(reply.text.clone())
        })
    })
}

fn ex_backfill() -> Check {
    Check::new(
        "13.ex.backfill",
        "exercise 2: users without a full name get their email's local part",
    )
    .points(2)
    .exercise()
    .program()
    .hint(
        "Migration 0005 sets full_name to the part of the email before the @ where it is null; its \
         down changes nothing. Undoing it and applying it again fills a name in.",
    )
    .book("13-migrations.html#exercise-2-a-data-migration")
    .run(|cx| async move {
        let (api, server) = cx.serve(&["--migrate"]).await?;
        let local = format!("{}.{}", cx.word(), cx.word());
        let email = format!("{local}@example.com");
        let user = create_user(&api, &email, None).await?;
        user.expect_status(200)?;
        let id = id_of(&user)?;
        server.stop().await;
        cx.command(&["migrate", "down", "1"])?
            .run()
            .await?
            .expect_success()?;
        cx.command(&["migrate", "up"])?
            .run()
            .await?
            .expect_success()?;
        let (api, server) = cx.serve(&[]).await?;
        let reply = api.get(&format!("/users/{id}")).send().await?;
        server.stop().await;
        reply.expect_status(200)?;
        // No full name was sent: the one expected is what 0005 fills in.
        let full_name = reply.json()?["full_name"].clone();
        ensure(full_name == json!(local), || {
            reply
                .fail(
                    "the user created without a full name was not given its email's local part \
                     as full_name when 0005 was applied again",
                )
                .expected(format!(
                    "\"full_name\": \"{local}\" (the email was {email})"
                ))
                .got(format!("\"full_name\": {full_name}"))
        })
    })
}

fn ex_redo() -> Check {
    Check::new(
        "13.ex.redo",
        "exercise 3: migrate redo undoes and reapplies the last migration",
    )
    .points(2)
    .exercise()
    .program()
    .hint(
        "Add `migrate redo`: refuse (non-zero exit) when nothing is applied; otherwise undo the \
         last applied migration and apply it again, leaving the database up to date.",
    )
    .book("13-migrations.html#exercise-3-migrate-redo")
    .run(|cx| async move {
        cx.command(&["migrate", "redo"])?
            .run()
            .await?
            .expect_failure()?;
        cx.command(&["migrate", "up"])?
            .run()
            .await?
            .expect_success()?;
        cx.command(&["migrate", "redo"])?
            .run()
            .await?
            .expect_success()?;
        // Still up to date: a plain serve starts.
        let (api, server) = cx.serve(&[]).await?;
        api.get("/users/").send().await?.expect_status(200)?;
        server.stop().await;
        Ok(())
    })
}

fn user_checks() -> Vec<Check> {
    vec![
        users_create(),
        users_full_name_null(),
        users_duplicate(),
        users_read(),
        users_list(),
        users_list_bounds(),
    ]
}

fn users_create() -> Check {
    Check::new(
        "13.users.create",
        "POST /users/ answers the new user with its full_name",
    )
    .points(3)
    .hint(
        "Take {email, password, full_name?}; answer 200 {id, email, full_name, is_active: true, \
         items: []}. full_name is the column migration 0003 adds.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let email = email(&cx);
        let name = full_name(&cx);
        let reply = create_user(&cx, &email, Some(&name)).await?;
        reply.expect_status(200)?;
        let id = id_of(&reply)?;
        reply.expect_json(&json!({
            "id": id, "email": email, "full_name": name, "is_active": true, "items": []
        }))?;
        Ok(())
    })
}

fn users_full_name_null() -> Check {
    Check::new(
        "13.users.full_name_null",
        "a user without a full name has \"full_name\": null",
    )
    .hint(
        "The column is nullable: users who give no name (and users made before the column existed) \
         have none, answered as null, not left out.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let email = email(&cx);
        let reply = create_user(&cx, &email, None).await?;
        reply.expect_status(200)?;
        let id = id_of(&reply)?;
        reply.expect_json(&json!({
            "id": id, "email": email, "full_name": null, "is_active": true, "items": []
        }))?;
        let reply = cx.get(&format!("/users/{id}")).send().await?;
        reply.expect_status(200)?;
        ensure(reply.json()?.get("full_name") == Some(&Value::Null), || {
            reply
                .fail("GET /users/{id} must show \"full_name\": null")
                .got(reply.text.clone())
        })
    })
}

fn users_duplicate() -> Check {
    Check::new(
        "13.users.duplicate",
        "a registered email is 400 {\"detail\": \"Email already registered\"}, even at once",
    )
    .points(2)
    .hint(
        "The unique constraint on users.email decides: map its violation to the 400, so that two \
         requests at once cannot both register the address.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let first = email(&cx);
        create_user(&cx, &first, None).await?.expect_status(200)?;
        create_user(&cx, &first, Some("Someone Else"))
            .await?
            .expect_detail(400, "Email already registered")?;
        let raced = email(&cx);
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (cx, raced) = (cx.clone(), raced.clone());
                tokio::spawn(async move { create_user(&cx, &raced, None).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            let reply = task
                .await
                .map_err(|err| Failure::new(format!("a request crashed: {err}")))??;
            match reply.status {
                200 => created += 1,
                _ => {
                    reply.expect_detail(400, "Email already registered")?;
                }
            }
        }
        ensure(created == 1, || {
            Failure::new(format!(
                "{created} of 3 simultaneous registrations of one email succeeded"
            ))
            .expected("exactly one 200, and 400 for the others")
        })
    })
}

fn users_read() -> Check {
    Check::new(
        "13.users.read",
        "GET /users/{user_id} answers the user; an unknown id is 404",
    )
    .points(2)
    .hint("Read the user and its items by id; none → 404 {\"detail\": \"User not found\"}.")
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let reply = create_user(&cx, &email(&cx), Some(&full_name(&cx))).await?;
        reply.expect_status(200)?;
        let created = reply.json()?;
        let id = id_of(&reply)?;
        cx.get(&format!("/users/{id}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&created)?;
        cx.get(&format!("/users/{}", i64::MAX))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn users_list() -> Check {
    Check::new(
        "13.users.list",
        "GET /users/ lists users in order of id, with full_name and items; skip and limit page",
    )
    .points(2)
    .hint(
        "ORDER BY id, then OFFSET skip LIMIT limit (defaults 0 and 100); each user with its items.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let first = create_user(&cx, &email(&cx), Some(&full_name(&cx))).await?;
        first.expect_status(200)?;
        let second = create_user(&cx, &email(&cx), None).await?;
        second.expect_status(200)?;
        let owner = id_of(&second)?;
        let item = cx
            .post(&format!("/users/{owner}/items/"))
            .json(&json!({"title": cx.word()}))
            .send()
            .await?;
        item.expect_status(200)?;
        let mut second = second.json()?;
        second["items"] = json!([item.json()?]);
        let expected = [first.json()?, second];

        let reply = cx.get("/users/?skip=0&limit=1000000").send().await?;
        reply.expect_status(200)?;
        let users = reply.json()?.as_array().cloned().unwrap_or_default();
        let ids: Vec<i64> = users.iter().filter_map(|u| u["id"].as_i64()).collect();
        ensure(ids.windows(2).all(|w| w[0] < w[1]), || {
            reply
                .fail("the users are not in order of id")
                .got(format!("ids {ids:?}"))
        })?;
        let at = users
            .iter()
            .position(|u| u == &expected[0])
            .ok_or_else(|| {
                reply
                    .fail("the new user is not listed as GET /users/{id} shows it")
                    .expected(expected[0].to_string())
            })?;
        let page = cx.get(&format!("/users/?skip={at}&limit=2")).send().await?;
        page.expect_status(200)?
            .expect_json(&Value::Array(expected.to_vec()))?;
        Ok(())
    })
}

fn users_list_bounds() -> Check {
    Check::new(
        "13.users.list.bounds",
        "a negative skip or limit is a 422 on the query",
    )
    .hint("skip and limit must be 0 or more (ge=0); a value that is not an integer is int_parsing.")
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        for path in ["/users/", "/items/"] {
            for name in ["skip", "limit"] {
                let reply = cx.get(&format!("{path}?{name}=-1")).send().await?;
                reply.expect_problem(&json!(["query", name]), None)?;
            }
            let reply = cx
                .get(&format!("{path}?limit={}", cx.word()))
                .send()
                .await?;
            reply.expect_problem(&json!(["query", "limit"]), Some("int_parsing"))?;
        }
        Ok(())
    })
}

fn item_checks() -> Vec<Check> {
    vec![items_create(), items_unknown_owner()]
}

fn items_create() -> Check {
    Check::new(
        "13.items.create",
        "POST /users/{user_id}/items/ stores an item, shown with its owner and in GET /items/",
    )
    .points(2)
    .hint(
        "Insert {title, description?} with owner_id = user_id; answer {id, title, description, \
         owner_id}.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let owner = create_user(&cx, &email(&cx), None).await?;
        owner.expect_status(200)?;
        let owner = id_of(&owner)?;
        let (title, description) = (cx.word(), format!("{} {}", cx.word(), cx.word()));
        let reply = cx
            .post(&format!("/users/{owner}/items/"))
            .json(&json!({"title": title, "description": description}))
            .send()
            .await?;
        reply.expect_status(200)?;
        let id = id_of(&reply)?;
        let item = json!({"id": id, "title": title, "description": description, "owner_id": owner});
        reply.expect_json(&item)?;
        let user = cx.get(&format!("/users/{owner}")).send().await?;
        user.expect_status(200)?;
        ensure(user.json()?["items"] == json!([item]), || {
            user.fail("the owner's items do not show the new item")
                .expected(json!([item]).to_string())
                .got(user.text.clone())
        })?;
        let items = cx.get("/items/?limit=1000000").send().await?;
        items.expect_status(200)?;
        ensure(
            items
                .json()?
                .as_array()
                .is_some_and(|all| all.contains(&item)),
            || {
                items
                    .fail("GET /items/ does not list the new item")
                    .expected(item.to_string())
            },
        )
    })
}

fn items_unknown_owner() -> Check {
    Check::new(
        "13.items.unknown_owner",
        "an item for an unknown user is 404 {\"detail\": \"User not found\"}",
    )
    .hint("Check that the user exists (or map the foreign key's violation) before answering.")
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        cx.post(&format!("/users/{}/items/", i64::MAX))
            .json(&json!({"title": cx.word()}))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn input_checks() -> Vec<Check> {
    vec![
        users_invalid(),
        strings_intact(),
        bad_input(),
        bad_input_i64(),
    ]
}

fn users_invalid() -> Check {
    Check::new(
        "13.users.invalid",
        "an invalid email or a password over 72 bytes is a 422 that never repeats the password",
    )
    .hint(
        "Validate the email; refuse a password of more than 72 bytes (bcrypt reads no more), \
         without sending it back.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let reply = cx
            .post("/users/")
            .json(&json!({"email": cx.word(), "password": "secret"}))
            .send()
            .await?;
        reply.expect_problem(&json!(["body", "email"]), None)?;
        // 37 characters, 74 bytes.
        let password = format!("{}{}", cx.word(), "é".repeat(37));
        let reply = cx
            .post("/users/")
            .json(&json!({"email": email(&cx), "password": password}))
            .send()
            .await?;
        reply.expect_problem(&json!(["body", "password"]), None)?;
        ensure(!reply.text.contains(&password), || {
            reply.fail("the 422 repeats the password")
        })
    })
}

fn strings_intact() -> Check {
    Check::new(
        "13.strings.intact",
        "unicode, quotes and SQL in full_name, title and description come back intact",
    )
    .points(2)
    .hint(
        "Bind every value as a parameter, never in the SQL text; store text in columns that hold \
         it all (MEDIUMTEXT on MySQL, utf8mb4).",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let tricky = format!(
            "{}'); DROP TABLE users;-- \\ % _ ? $1 ünïcødé 日本語 🦀 \"{}\"",
            cx.word(),
            cx.word()
        );
        let long = format!("{} ", cx.word()).repeat(5000);
        let reply = create_user(&cx, &email(&cx), Some(&tricky)).await?;
        reply.expect_status(200)?;
        expect_member(&reply, "full_name", &tricky)?;
        let owner = id_of(&reply)?;
        let item = cx
            .post(&format!("/users/{owner}/items/"))
            .json(&json!({"title": tricky, "description": long}))
            .send()
            .await?;
        item.expect_status(200)?;
        expect_member(&item, "title", &tricky)?;
        expect_member(&item, "description", &long)?;
        let user = cx.get(&format!("/users/{owner}")).send().await?;
        user.expect_status(200)?;
        expect_member(&user, "full_name", &tricky)?;
        ensure(user.json()?["items"] == json!([item.json()?]), || {
            user.fail("the item read back differs from the item stored")
                .got(user.text.clone())
        })
    })
}

fn bad_input_i64() -> Check {
    Check::new(
        "13.bad_input.i64",
        "a user id beyond i64 is a 422, never a 500",
    )
    .hint(
        "Path ids are i64: /users/99999999999999999999 is a 422 (FastAPI accepts the number; bound \
         it with Path(le=2**63 - 1), or answer 404).",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .tag(Tag::I64)
    .run(|cx| async move { user_beyond_i64(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { user_beyond_i64(&cx, Profile::Fastapi).await })
}

async fn user_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let reply = cx.get("/users/99999999999999999999").send().await?;
    super::ch12::expect_beyond_i64(&reply, &["path", "user_id"], profile, &[404])
}

fn bad_input() -> Check {
    Check::new(
        "13.bad_input",
        "malformed or out-of-range input is a 422, never a 500",
    )
    .points(2)
    .hint(
        "Every path, query and body value is validated before the database sees it; a NUL \
         character, which PostgreSQL cannot store, is refused or stored, never a 500.",
    )
    .book("13-migrations.html#the-api-chapter-12-and-a-column")
    .run(|cx| async move {
        let owner = create_user(&cx, &email(&cx), None).await?;
        owner.expect_status(200)?;
        let owner = id_of(&owner)?;
        let cases: Vec<(&str, String, Option<String>)> = vec![
            ("GET", "/users/%FF".to_owned(), None),
            ("GET", format!("/users/{}", cx.word()), None),
            ("GET", "/items/?skip=%FF".to_owned(), None),
            (
                "POST",
                "/users/".to_owned(),
                Some("{\"email\": ".to_owned()),
            ),
            (
                "POST",
                "/users/".to_owned(),
                Some(
                    json!({"email": email(&cx), "password": "secret", "full_name": 5}).to_string(),
                ),
            ),
            (
                "POST",
                format!("/users/{owner}/items/"),
                Some(json!({"title": ["a"]}).to_string()),
            ),
            (
                "POST",
                format!("/users/{owner}/items/"),
                Some(json!({"description": "no title"}).to_string()),
            ),
        ];
        for (method, path, body) in cases {
            let mut req = cx.request(method, &path);
            if let Some(body) = &body {
                req = req.header("content-type", "application/json").body(body);
            }
            req.send().await?.expect_status(422)?;
        }
        for body in [
            json!({"email": email(&cx), "password": "secret", "full_name": "a\u{0}b"}),
            json!({"email": email(&cx), "password": "se\u{0}cret"}),
        ] {
            let reply = cx.post("/users/").json(&body).send().await?;
            expect_no_500(&reply)?;
        }
        let reply = cx
            .post(&format!("/users/{owner}/items/"))
            .json(&json!({"title": "a\u{0}b"}))
            .send()
            .await?;
        expect_no_500(&reply)
    })
}

/// A new email address: words from the seed, and the time, since a database keeps what earlier
/// runs (with the same seed, perhaps) registered.
fn email(cx: &Ctx) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}.{}.{nanos:x}@example.com", cx.word(), cx.word())
}

/// A full name made of two words from the seed.
fn full_name(cx: &Ctx) -> String {
    let capital = |word: String| {
        let mut chars = word.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect::<String>())
            .unwrap_or_default()
    };
    format!("{} {}", capital(cx.word()), capital(cx.word()))
}

/// `POST /users/` with a password, and a full name when given.
async fn create_user(cx: &Ctx, email: &str, full_name: Option<&str>) -> Result<Reply, Failure> {
    let mut user = json!({"email": email, "password": format!("{}-{}", cx.word(), cx.word())});
    if let Some(name) = full_name {
        user["full_name"] = json!(name);
    }
    cx.post("/users/").json(&user).send().await
}

/// The integer `id` of an answer.
fn id_of(reply: &Reply) -> Result<i64, Failure> {
    reply.json()?["id"].as_i64().ok_or_else(|| {
        reply
            .fail("the answer has no integer id")
            .expected("\"id\": an integer")
            .got(reply.text.clone())
    })
}

/// Fails unless member `name` of the answer is the string `expected`.
fn expect_member(reply: &Reply, name: &str, expected: &str) -> Result<(), Failure> {
    let body = reply.json()?;
    ensure(body[name] == json!(expected), || {
        reply
            .fail(format!("{name} did not come back as it was sent"))
            .expected(shorten(expected))
            .got(shorten(&body[name].to_string()))
    })
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}… ({} characters)", &text[..end], text.chars().count()),
        None => text.to_owned(),
    }
}

/// Fails on a 5xx: bad input is the client's problem, and says so.
fn expect_no_500(reply: &Reply) -> Result<(), Failure> {
    ensure(reply.status < 500, || {
        reply
            .fail(format!("bad input made the server answer {}", reply.status))
            .expected("a 4xx (a 422 for bad input), or the value stored as sent")
            .got(format!("{} {}", reply.status, reply.text))
    })
}
