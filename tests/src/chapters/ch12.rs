//! Chapter 12 — SQL databases: users and their items, stored for real.
//!
//! The server may hold data from before (a database that outlives the program, another run):
//! no check assumes an empty database. Each invents its own users and items, finds them by id,
//! and checks orders and pages relative to what it made.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 12, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = register_checks();
    checks.extend(user_checks());
    checks.extend(item_checks());
    checks.extend(input_checks());
    checks.extend(exercise_checks());
    checks
}

fn register_checks() -> Vec<Check> {
    vec![
        users_create(),
        users_create_duplicate(),
        users_create_concurrent(),
        users_create_invalid_email(),
        users_create_long_password(),
    ]
}

fn users_create() -> Check {
    Check::new(
        "12.users.create",
        "POST /users/ answers the new user: id, email as typed, is_active, no items",
    )
    .points(3)
    .hint(
        "Insert the user, then answer {\"id\", \"email\", \"is_active\": true, \"items\": []}: \
         never the password or its hash.",
    )
    .book("12-sql-database.html#registering-a-user")
    .run(|cx| async move {
        let email = new_email(&cx);
        let password = new_password(&cx);
        let reply = cx
            .post("/users/")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?;
        reply.expect_status(200)?;
        let user = reply.json()?;
        let id = id_of(&reply, &user)?;
        let expected = json!({"id": id, "email": email, "is_active": true, "items": []});
        ensure(user == expected, || {
            reply
                .fail("the new user differs from the contract")
                .expected(expected.to_string())
                .got(user.to_string())
        })?;
        ensure(!reply.text.contains(&password), || {
            reply.fail("the password is in the answer")
        })
    })
}

fn users_create_duplicate() -> Check {
    Check::new(
        "12.users.create.duplicate",
        "a second user with the same email is 400 \"Email already registered\"",
    )
    .points(2)
    .hint("Give the email column a unique constraint and answer its violation with 400.")
    .book("12-sql-database.html#registering-a-user")
    .run(|cx| async move {
        let email = new_email(&cx);
        register(&cx, &email).await?;
        cx.post("/users/")
            .json(&json!({"email": email, "password": new_password(&cx)}))
            .send()
            .await?
            .expect_detail(400, "Email already registered")?;
        Ok(())
    })
}

fn users_create_concurrent() -> Check {
    Check::new(
        "12.users.create.concurrent",
        "ten registrations of one email at once: one 200, nine 400, no 500",
    )
    .points(3)
    .hint(
        "Checking first, then inserting, lets two requests pass the check together. Insert, and \
         catch the unique violation.",
    )
    .book("12-sql-database.html#registering-a-user")
    .run(|cx| async move {
        let email = new_email(&cx);
        let tasks: Vec<_> = (0..10)
            .map(|n| {
                let request = cx
                    .post("/users/")
                    .json(&json!({"email": email, "password": format!("password {n}")}));
                tokio::spawn(request.send())
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            let reply = task
                .await
                .map_err(|err| Failure::new(format!("a request crashed: {err}")))??;
            if reply.status == 400 {
                reply.expect_detail(400, "Email already registered")?;
            }
            statuses.push(reply.status);
        }
        statuses.sort_unstable();
        let mut expected = vec![400; 9];
        expected.insert(0, 200);
        ensure(statuses == expected, || {
            Failure::new("concurrent registrations of one email did not give exactly one user")
                .expected(format!("{expected:?}"))
                .got(format!("{statuses:?}"))
        })
    })
}

fn users_create_invalid_email() -> Check {
    Check::new(
        "12.users.create.invalid_email",
        "an email that is not an address is 422 at [\"body\", \"email\"]",
    )
    .hint("Type the email as an email address (poem-openapi's Email, pydantic's EmailStr).")
    .book("12-sql-database.html#registering-a-user")
    .run(|cx| async move {
        for email in [
            cx.word(),
            format!("{}@", cx.word()),
            format!("{} {}@example.com", cx.word(), cx.word()),
        ] {
            let reply = cx
                .post("/users/")
                .json(&json!({"email": email, "password": new_password(&cx)}))
                .send()
                .await?;
            expect_422_at(&reply, &["body", "email"])?;
        }
        Ok(())
    })
}

fn users_create_long_password() -> Check {
    Check::new(
        "12.users.create.long_password",
        "a password over 72 bytes is 422, even under 72 characters; 72 bytes pass",
    )
    .points(2)
    .hint(
        "bcrypt reads 72 bytes and ignores the rest: refuse longer passwords. Count bytes (len() \
         in Rust, len(s.encode()) in Python), not characters.",
    )
    .book("12-sql-database.html#passwords-bcrypt-not-sha512")
    .run(|cx| async move {
        // Each é is two bytes: 37 to 60 of them are over 72 bytes but under 72 characters.
        let count = cx.rng(|r| r.between(37, 60)) as usize;
        let reply = cx
            .post("/users/")
            .json(&json!({"email": new_email(&cx), "password": "é".repeat(count)}))
            .send()
            .await?;
        expect_422_at(&reply, &["body", "password"])?;
        cx.post("/users/")
            .json(&json!({"email": new_email(&cx), "password": "é".repeat(36)}))
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn user_checks() -> Vec<Check> {
    vec![
        users_read(),
        users_read_not_found(),
        users_list(),
        users_list_paging(),
        users_list_bad_paging(),
        users_update(),
        users_update_taken(),
        users_update_invalid(),
        users_delete(),
    ]
}

fn users_read() -> Check {
    Check::new(
        "12.users.read",
        "GET /users/{user_id} answers the user with their items, in order",
    )
    .points(2)
    .hint("Read the user, then the items whose owner_id is the user's id, ordered by id.")
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let email = new_email(&cx);
        let id = id_in(&register(&cx, &email).await?)?;
        let first = add_item(&cx, id, &new_title(&cx), None).await?;
        let second = add_item(&cx, id, &new_title(&cx), Some(&new_title(&cx))).await?;
        let expected =
            json!({"id": id, "email": email, "is_active": true, "items": [first, second]});
        cx.get(&format!("/users/{id}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&expected)?;
        Ok(())
    })
}

fn users_read_not_found() -> Check {
    Check::new(
        "12.users.read.not_found",
        "an unknown user is 404 \"User not found\"",
    )
    .hint("When the query finds no row, answer 404 {\"detail\": \"User not found\"}.")
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let id = cx.rng(|r| r.between(1_000_000_000_000, 9_000_000_000_000));
        cx.get(&format!("/users/{id}"))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn users_list() -> Check {
    Check::new(
        "12.users.list",
        "GET /users/ lists users in id order, each with their items",
    )
    .points(2)
    .hint("ORDER BY id, and attach each user's items (ordered by id too).")
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let mut mine = Vec::new();
        for _ in 0..3 {
            mine.push(id_in(&register(&cx, &new_email(&cx)).await?)?);
        }
        let item = add_item(&cx, mine[1], &new_title(&cx), None).await?;
        let (reply, users) = list(&cx, "/users/?limit=1000000").await?;
        let ids = ids(&users);
        ensure(ids.windows(2).all(|w| w[0] < w[1]), || {
            reply
                .fail("the users are not in id order")
                .got(format!("ids {ids:?}"))
        })?;
        let found: Vec<&Value> = users
            .iter()
            .filter(|u| mine.contains(&u["id"].as_i64().unwrap_or(0)))
            .collect();
        ensure(found.len() == 3, || {
            reply
                .fail("the new users are not all listed")
                .expected(format!("ids {mine:?}"))
                .got(format!("ids {ids:?}"))
        })?;
        ensure(
            found[1]["items"] == json!([item]) && found[0]["items"] == json!([]),
            || {
                reply
                    .fail("a user is listed without their items, or with another's")
                    .expected(format!("user {}: items [{item}]", mine[1]))
                    .got(Value::Array(found.iter().map(|u| (*u).clone()).collect()).to_string())
            },
        )
    })
}

fn users_list_paging() -> Check {
    Check::new(
        "12.users.list.paging",
        "skip and limit page through the users",
    )
    .hint("LIMIT limit OFFSET skip, after ORDER BY id; defaults skip=0, limit=100.")
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let first = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let second = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let (reply, users) = list(&cx, "/users/?limit=1000000").await?;
        let position = ids(&users)
            .iter()
            .position(|id| *id == first)
            .ok_or_else(|| reply.fail(format!("user {first} is not listed")))?;
        let (reply, page) = list(&cx, &format!("/users/?skip={position}&limit=2")).await?;
        ensure(ids(&page) == vec![first, second], || {
            reply
                .fail("the page is not the users at that place")
                .expected(format!("ids [{first}, {second}]"))
                .got(format!("ids {:?}", ids(&page)))
        })?;
        let (reply, empty) = list(&cx, "/users/?limit=0").await?;
        ensure(empty.is_empty(), || reply.fail("limit=0 must list no user"))
    })
}

fn users_list_bad_paging() -> Check {
    Check::new(
        "12.users.list.bad_paging",
        "a negative or non-integer skip or limit is 422",
    )
    .hint("skip and limit are integers ≥ 0 (Query(ge=0), or validator(minimum(value = \"0\"))).")
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let n = cx.rng(|r| r.between(1, 1000));
        for (path, name) in [
            (format!("/users/?skip=-{n}"), "skip"),
            (format!("/users/?limit=-{n}"), "limit"),
            (format!("/users/?skip={}", cx.word()), "skip"),
            (format!("/items/?limit=-{n}"), "limit"),
        ] {
            expect_422_at(&cx.get(&path).send().await?, &["query", name])?;
        }
        Ok(())
    })
}

fn users_update() -> Check {
    Check::new(
        "12.users.update",
        "PUT /users/{user_id} changes what is given and keeps the rest",
    )
    .points(2)
    .hint("An absent or null member stays as it is; answer the user as stored after the change.")
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let id = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let path = format!("/users/{id}");
        let email = new_email(&cx);
        let reply = cx.put(&path).json(&json!({"email": email})).send().await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"id": id, "email": email, "is_active": true, "items": []}))?;
        let inactive = json!({"id": id, "email": email, "is_active": false, "items": []});
        cx.put(&path)
            .json(&json!({"email": null, "is_active": false}))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&inactive)?;
        cx.put(&path)
            .json(&json!({}))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&inactive)?;
        cx.get(&path)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&inactive)?;
        Ok(())
    })
}

fn users_update_taken() -> Check {
    Check::new(
        "12.users.update.taken",
        "PUT to another user's email is 400, and changes nothing",
    )
    .points(2)
    .hint(
        "The unique constraint refuses it: answer 400 \"Email already registered\" and roll back. \
         The user's own email is not taken.",
    )
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let (mine, theirs) = (new_email(&cx), new_email(&cx));
        let id = id_in(&register(&cx, &mine).await?)?;
        register(&cx, &theirs).await?;
        let path = format!("/users/{id}");
        cx.put(&path)
            .json(&json!({"email": theirs, "is_active": false}))
            .send()
            .await?
            .expect_detail(400, "Email already registered")?;
        cx.get(&path)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"id": id, "email": mine, "is_active": true, "items": []}))?;
        cx.put(&path)
            .json(&json!({"email": mine}))
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn users_update_invalid() -> Check {
    Check::new(
        "12.users.update.invalid",
        "PUT with a bad email is 422; PUT to an unknown user is 404",
    )
    .hint(
        "Check a new email as a registration does; answer 404 \"User not found\" when no row was \
         there.",
    )
    .book("12-sql-database.html#reading-changing-and-deleting-users")
    .run(|cx| async move {
        let id = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let reply = cx
            .put(&format!("/users/{id}"))
            .json(&json!({"email": cx.word()}))
            .send()
            .await?;
        expect_422_at(&reply, &["body", "email"])?;
        let unknown = cx.rng(|r| r.between(1_000_000_000_000, 9_000_000_000_000));
        cx.put(&format!("/users/{unknown}"))
            .json(&json!({"is_active": false}))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn users_delete() -> Check {
    Check::new(
        "12.users.delete",
        "DELETE /users/{user_id} is 204, and the user's items go with it",
    )
    .points(3)
    .hint(
        "Delete the items and the user in one transaction; answer 204 with no body; an unknown \
         user is 404.",
    )
    .book("12-sql-database.html#transactions")
    .run(|cx| async move {
        let doomed = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let other = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let gone = [
            add_item(&cx, doomed, &new_title(&cx), None).await?,
            add_item(&cx, doomed, &new_title(&cx), None).await?,
        ];
        let kept = add_item(&cx, other, &new_title(&cx), None).await?;
        let reply = cx.delete(&format!("/users/{doomed}")).send().await?;
        reply.expect_status(204)?;
        ensure(reply.text.is_empty(), || {
            reply.fail("a 204 has no body").got(reply.text.clone())
        })?;
        cx.get(&format!("/users/{doomed}"))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        let (reply, items) = list(&cx, "/items/?limit=1000000").await?;
        ensure(!gone.iter().any(|item| items.contains(item)), || {
            reply
                .fail("the deleted user's items are still listed")
                .got(format!("{gone:?}"))
        })?;
        ensure(items.contains(&kept), || {
            reply
                .fail("another user's item went too")
                .expected(kept.to_string())
        })?;
        cx.delete(&format!("/users/{doomed}"))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn item_checks() -> Vec<Check> {
    vec![items_create(), items_create_unknown_user(), items_list()]
}

fn items_create() -> Check {
    Check::new(
        "12.items.create",
        "POST /users/{user_id}/items/ answers the item with its owner",
    )
    .points(2)
    .hint(
        "Answer {\"id\", \"title\", \"description\", \"owner_id\"}; a missing description is null.",
    )
    .book("12-sql-database.html#items")
    .run(|cx| async move {
        let owner = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let (title, description) = (new_title(&cx), new_title(&cx));
        let reply = cx
            .post(&format!("/users/{owner}/items/"))
            .json(&json!({"title": title, "description": description}))
            .send()
            .await?;
        reply.expect_status(200)?;
        let item = reply.json()?;
        let id = id_of(&reply, &item)?;
        let expected =
            json!({"id": id, "title": title, "description": description, "owner_id": owner});
        ensure(item == expected, || {
            reply
                .fail("the item differs from the contract")
                .expected(expected.to_string())
                .got(item.to_string())
        })?;
        let bare = add_item(&cx, owner, &title, None).await?;
        ensure(bare.get("description") == Some(&Value::Null), || {
            Failure::new("an item without a description must say \"description\": null")
                .got(bare.to_string())
        })
    })
}

fn items_create_unknown_user() -> Check {
    Check::new(
        "12.items.create.unknown_user",
        "an item for an unknown user is 404 \"User not found\"",
    )
    .hint("The foreign key refuses the row (or check first): answer 404, not 500.")
    .book("12-sql-database.html#items")
    .run(|cx| async move {
        let unknown = cx.rng(|r| r.between(1_000_000_000_000, 9_000_000_000_000));
        cx.post(&format!("/users/{unknown}/items/"))
            .json(&json!({"title": new_title(&cx)}))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn items_list() -> Check {
    Check::new(
        "12.items.list",
        "GET /items/ lists items in id order, and pages with skip and limit",
    )
    .points(2)
    .hint("SELECT … FROM items ORDER BY id LIMIT limit OFFSET skip.")
    .book("12-sql-database.html#items")
    .run(|cx| async move {
        let (a, b) = (
            id_in(&register(&cx, &new_email(&cx)).await?)?,
            id_in(&register(&cx, &new_email(&cx)).await?)?,
        );
        let made = [
            add_item(&cx, b, &new_title(&cx), None).await?,
            add_item(&cx, a, &new_title(&cx), None).await?,
            add_item(&cx, b, &new_title(&cx), None).await?,
        ];
        let (reply, items) = list(&cx, "/items/?limit=1000000").await?;
        let ids = ids(&items);
        ensure(ids.windows(2).all(|w| w[0] < w[1]), || {
            reply
                .fail("the items are not in id order")
                .got(format!("ids {ids:?}"))
        })?;
        let position = items
            .iter()
            .position(|item| *item == made[0])
            .ok_or_else(|| {
                reply
                    .fail("a new item is not listed")
                    .expected(made[0].to_string())
            })?;
        let (reply, page) = list(&cx, &format!("/items/?skip={position}&limit=3")).await?;
        ensure(page == made, || {
            reply
                .fail("the page is not the items at that place")
                .expected(Value::Array(made.to_vec()).to_string())
                .got(Value::Array(page.clone()).to_string())
        })
    })
}

fn input_checks() -> Vec<Check> {
    vec![data_intact(), input_bad(), input_i64()]
}

fn data_intact() -> Check {
    Check::new(
        "12.data.intact",
        "long, unicode and SQL-looking text is stored and returned intact",
    )
    .points(2)
    .hint(
        "Bind every value as a query parameter, never format it into the SQL; store text as UTF-8 \
         (utf8mb4 on MySQL) in columns big enough (MEDIUMTEXT on MySQL).",
    )
    .book("12-sql-database.html#strange-input")
    .run(|cx| async move {
        let email = format!("o'{}+{}@example.com", cx.word(), nonce());
        let owner = id_in(&register(&cx, &email).await?)?;
        let size = cx.rng(|r| r.between(80_000, 100_000)) as usize;
        let title = format!(
            "{} 🦀 עברית مرحبا e\u{301} {}",
            cx.word().repeat(size / 4),
            "💥".repeat(10)
        );
        let description = format!(
            "'; DROP TABLE users; -- {} \" \\ % _ ? $1 `{}`",
            cx.word(),
            cx.word()
        );
        let item = add_item(&cx, owner, &title, Some(&description)).await?;
        let expected = json!({"id": owner, "email": email, "is_active": true, "items": [item]});
        let reply = cx.get(&format!("/users/{owner}")).send().await?;
        reply.expect_status(200)?;
        let user = reply.json()?;
        ensure(user == expected, || {
            reply
                .fail("the text came back changed")
                .expected(format!(
                    "email {email:?}, a title of {} bytes, description {description:?}",
                    title.len()
                ))
                .got(format!(
                    "email {}, a title of {} bytes, description {}",
                    user["email"],
                    user["items"][0]["title"].as_str().map_or(0, str::len),
                    user["items"][0]["description"]
                ))
        })?;
        cx.get("/users/?limit=1").send().await?.expect_status(200)?;
        Ok(())
    })
}

fn input_i64() -> Check {
    Check::new("12.input.i64", "a user id beyond i64 is a 422, never a 500")
        .hint(
            "Path ids are i64: /users/99999999999999999999 is a 422 (FastAPI accepts the number, \
             and SQLite cannot bind it: bound it with Path(le=2**63 - 1), or answer 404).",
        )
        .book("12-sql-database.html#strange-input")
        .tag(Tag::I64)
        .run(|cx| async move { user_beyond_i64(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { user_beyond_i64(&cx, Profile::Fastapi).await })
}

async fn user_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let reply = cx.get("/users/99999999999999999999").send().await?;
    expect_beyond_i64(&reply, &["path", "user_id"], profile, &[404])
}

fn input_bad() -> Check {
    Check::new(
        "12.input.bad",
        "bad ids and malformed bodies are 422, never 500",
    )
    .hint("Path ids are i64; a body that is not JSON, or JSON of the wrong shape, is a 422.")
    .book("12-sql-database.html#strange-input")
    .run(|cx| async move {
        for path in ["/users/abc", "/users/1.5", "/users/%FF"] {
            expect_422_at(&cx.get(path).send().await?, &["path", "user_id"])?;
        }
        let owner = id_in(&register(&cx, &new_email(&cx)).await?)?;
        for body in ["{\"email\": ", "[1, 2]", "{\"title\": 5}"] {
            let reply = cx
                .post(&format!("/users/{owner}/items/"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await?;
            reply.expect_status(422)?;
        }
        let reply = cx
            .post("/users/")
            .header("content-type", "application/json")
            .body("{\"email\": \"a@example.com\", ")
            .send()
            .await?;
        reply.expect_status(422)?;
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_user_items(), ex_patch_item(), ex_search()]
}

fn ex_user_items() -> Check {
    Check::new(
        "12.ex.user_items",
        "GET /users/{user_id}/items/ lists that user's items, in order",
    )
    .points(2)
    .exercise()
    .hint(
        "Select the items WHERE owner_id = ? ORDER BY id; an unknown user is 404, a user without \
         items [].",
    )
    .book("12-sql-database.html#exercise-1-one-users-items")
    .run(|cx| async move {
        let (mine, theirs) = (
            id_in(&register(&cx, &new_email(&cx)).await?)?,
            id_in(&register(&cx, &new_email(&cx)).await?)?,
        );
        let first = add_item(&cx, mine, &new_title(&cx), None).await?;
        add_item(&cx, theirs, &new_title(&cx), None).await?;
        let second = add_item(&cx, mine, &new_title(&cx), None).await?;
        cx.get(&format!("/users/{mine}/items/"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!([first, second]))?;
        let empty = id_in(&register(&cx, &new_email(&cx)).await?)?;
        cx.get(&format!("/users/{empty}/items/"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!([]))?;
        let unknown = cx.rng(|r| r.between(1_000_000_000_000, 9_000_000_000_000));
        cx.get(&format!("/users/{unknown}/items/"))
            .send()
            .await?
            .expect_detail(404, "User not found")?;
        Ok(())
    })
}

fn ex_patch_item() -> Check {
    Check::new(
        "12.ex.patch_item",
        "PATCH /items/{item_id} changes only what is sent; null removes the description",
    )
    .points(2)
    .exercise()
    .hint(
        "Tell an absent member from a null one (poem-openapi's MaybeUndefined, pydantic's \
         model_dump(exclude_unset=True)); an unknown item is 404 \"Item not found\".",
    )
    .book("12-sql-database.html#exercise-2-a-partial-update")
    .run(|cx| async move {
        let owner = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let description = new_title(&cx);
        let item = add_item(&cx, owner, &new_title(&cx), Some(&description)).await?;
        let id = id_in(&item)?;
        let path = format!("/items/{id}");
        let title = new_title(&cx);
        let renamed =
            json!({"id": id, "title": title, "description": description, "owner_id": owner});
        cx.request("PATCH", &path)
            .json(&json!({"title": title}))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&renamed)?;
        cx.request("PATCH", &path)
            .json(&json!({}))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&renamed)?;
        let cleared = json!({"id": id, "title": title, "description": null, "owner_id": owner});
        cx.request("PATCH", &path)
            .json(&json!({"description": null}))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&cleared)?;
        cx.get(&format!("/users/{owner}/items/"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!([cleared]))?;
        let unknown = cx.rng(|r| r.between(1_000_000_000_000, 9_000_000_000_000));
        cx.request("PATCH", &format!("/items/{unknown}"))
            .json(&json!({"title": title}))
            .send()
            .await?
            .expect_detail(404, "Item not found")?;
        Ok(())
    })
}

fn ex_search() -> Check {
    Check::new(
        "12.ex.search",
        "GET /items/?q= finds titles containing q; % and _ are plain characters",
    )
    .points(2)
    .exercise()
    .hint(
        "WHERE LOWER(title) LIKE LOWER(?) ESCAPE '!' with the pattern %q% bound, after escaping %, \
         _ and ! in q.",
    )
    .book("12-sql-database.html#exercise-3-search")
    .run(|cx| async move {
        let owner = id_in(&register(&cx, &new_email(&cx)).await?)?;
        let word = format!("{}{}", cx.word(), nonce());
        let percent = add_item(&cx, owner, &format!("{word} 100% off"), None).await?;
        let hundred = add_item(&cx, owner, &format!("{word} 1000 off"), None).await?;
        let underscore = add_item(&cx, owner, &format!("{word}_x"), None).await?;
        let plain = add_item(&cx, owner, &format!("{word}yx"), None).await?;
        for (q, expected) in [
            (format!("{word} 100%"), vec![&percent]),
            (format!("{word}_x"), vec![&underscore]),
            (
                word.to_uppercase(),
                vec![&percent, &hundred, &underscore, &plain],
            ),
        ] {
            let path = format!("/items/?q={}", encode(&q));
            let (reply, found) = list(&cx, &path).await?;
            let expected: Vec<Value> = expected.into_iter().cloned().collect();
            ensure(found == expected, || {
                reply
                    .fail(format!("the search for {q:?} found other items"))
                    .expected(Value::Array(expected.clone()).to_string())
                    .got(Value::Array(found.clone()).to_string())
            })?;
        }
        Ok(())
    })
}

/// A number that differs from one call to the next and from one run to the next, so that a
/// run repeated with the same seed against the same database does not meet its own users.
fn nonce() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or_default();
    (clock % 1_000_000_000) * 100 + COUNTER.fetch_add(1, Ordering::Relaxed) % 100
}

/// An email nobody has: words from the seed, and a capital letter, to see it kept as typed.
fn new_email(cx: &Ctx) -> String {
    let mut first = cx.word();
    first[..1].make_ascii_uppercase();
    format!(
        "{first}.{}+{}@{}.example.com",
        cx.word(),
        nonce(),
        cx.word()
    )
}

fn new_password(cx: &Ctx) -> String {
    format!(
        "{}-{}-{}",
        cx.word(),
        cx.word(),
        cx.rng(|r| r.between(100, 999))
    )
}

fn new_title(cx: &Ctx) -> String {
    format!("{} {}", cx.word(), cx.word())
}

/// Registers `email` with an invented password and gives the user.
async fn register(cx: &Ctx, email: &str) -> Result<Value, Failure> {
    let reply = cx
        .post("/users/")
        .json(&json!({"email": email, "password": new_password(cx)}))
        .send()
        .await?;
    reply.expect_status(200)?;
    reply.json()
}

/// Adds an item to user `owner` and gives it.
async fn add_item(
    cx: &Ctx,
    owner: i64,
    title: &str,
    description: Option<&str>,
) -> Result<Value, Failure> {
    let reply = cx
        .post(&format!("/users/{owner}/items/"))
        .json(&json!({"title": title, "description": description}))
        .send()
        .await?;
    reply.expect_status(200)?;
    reply.json()
}

/// A JSON list, with the reply it came in.
async fn list(cx: &Ctx, path: &str) -> Result<(Reply, Vec<Value>), Failure> {
    let reply = cx.get(path).send().await?;
    reply.expect_status(200)?;
    let body = reply.json()?;
    match body {
        Value::Array(values) => Ok((reply, values)),
        other => Err(reply
            .fail("the answer is not a JSON list")
            .got(other.to_string())),
    }
}

fn id_of(reply: &Reply, value: &Value) -> Result<i64, Failure> {
    value["id"].as_i64().ok_or_else(|| {
        reply
            .fail("the answer has no integer id")
            .got(value.to_string())
    })
}

fn id_in(value: &Value) -> Result<i64, Failure> {
    value["id"]
        .as_i64()
        .ok_or_else(|| Failure::new("the answer has no integer id").got(value.to_string()))
}

fn ids(values: &[Value]) -> Vec<i64> {
    values.iter().filter_map(|v| v["id"].as_i64()).collect()
}

/// Fails unless the reply is a 422 whose problems include one at `loc`.
/// A value beyond i64 is a 422 at `loc`; under the FastAPI profile, where Python reads the
/// number whole, it may also be one of the JSON errors `also` lists (an id that names nothing
/// is a 404). Never a 500.
pub(super) fn expect_beyond_i64(
    reply: &Reply,
    loc: &[&str],
    profile: Profile,
    also: &[u16],
) -> Result<(), Failure> {
    if profile == Profile::Fastapi && also.contains(&reply.status) {
        let detail = reply.json()?["detail"].clone();
        return ensure(detail.as_str().is_some_and(|d| !d.is_empty()), || {
            reply
                .fail("the error has no detail")
                .expected("{\"detail\": \"<what went wrong>\"}")
                .got(reply.text.clone())
        });
    }
    reply.expect_problem(&json!(loc), None).map(drop)
}

fn expect_422_at(reply: &Reply, loc: &[&str]) -> Result<(), Failure> {
    reply.expect_status(422)?;
    let body = reply.json()?;
    let expected = json!(loc);
    let found = body["detail"]
        .as_array()
        .is_some_and(|problems| problems.iter().any(|p| p["loc"] == expected));
    ensure(found, || {
        reply
            .fail(format!("no problem is reported at {expected}"))
            .expected(format!("{{\"detail\": [{{\"loc\": {expected}, …}}]}}"))
            .got(body.to_string())
    })
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("a 100%_x!"), "a%20100%25_x%21");
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
    }
}
