//! Chapter 14 — a bigger application: accounts with JWTs, API keys, and a service API whose
//! requests are signed with HMAC-SHA256 and cannot be replayed.
//!
//! Every check registers accounts of its own (addresses drawn from the seed), so checks do not
//! see each other's keys. Signatures are computed here, as a client computes them:
//! `base64(HMAC-SHA256(secret_key, "key=<access_key>&timestamp=<ts>"))`, with this machine's
//! clock (a server more than a few seconds off would fail the window checks).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};
use crate::rng::Rng;

/// The checks of chapter 14, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = auth_checks();
    checks.extend(token_checks());
    checks.extend(api_key_checks());
    checks.extend(service_checks());
    checks.extend(settings_checks());
    checks.extend(exercise_checks());
    checks
}

fn auth_checks() -> Vec<Check> {
    vec![
        register_check(),
        register_duplicate(),
        register_concurrent(),
        register_sns_type(),
        register_validation(),
        login_check(),
        login_wrong(),
        login_limit(),
    ]
}

fn register_check() -> Check {
    Check::new(
        "14.register",
        "POST /auth/register/email answers 201 {\"Authorization\": \"Bearer <JWT>\"}, a token that \
         works",
    )
    .points(3)
    .hint(
        "Validate {\"email\", \"pw\"}, store a bcrypt hash, answer 201 with {\"Authorization\": \
         \"Bearer \" + a JWT}; that value opens /api/users/apikeys.",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        let reply = register(&cx, &email, "correct horse").await?;
        reply.expect_status(201)?;
        let token = bearer_of(&reply)?;
        ensure(
            token.trim_start_matches("Bearer ").split('.').count() == 3,
            || {
                reply
                    .fail("the Authorization value is not \"Bearer <JWT>\"")
                    .expected("Bearer xxxxx.yyyyy.zzzzz")
                    .got(token.clone())
            },
        )?;
        list_keys(&cx, &token).await?;
        Ok(())
    })
}

fn register_duplicate() -> Check {
    Check::new(
        "14.register.duplicate",
        "registering an address twice is 400",
    )
    .points(2)
    .hint(
        "Email addresses are unique: a second sign-up with the same address answers 400 with a \
         detail (let a UNIQUE constraint decide).",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        register(&cx, &email, "correct horse")
            .await?
            .expect_status(201)?;
        let reply = register(&cx, &email, "another one").await?;
        expect_error(&reply, 400)
    })
}

fn register_concurrent() -> Check {
    Check::new(
        "14.register.concurrent",
        "five sign-ups with one address at once make one account",
    )
    .hint(
        "Check-then-insert lets two requests both see \"free\": insert and catch the UNIQUE \
         violation instead.",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        let statuses = at_once(&cx, 5, move |cx| {
            let email = email.clone();
            async move { register(&cx, &email, "correct horse").await }
        })
        .await?;
        expect_counts(&statuses, &[(201, 1), (400, 4)])
    })
}

fn register_sns_type() -> Check {
    Check::new(
        "14.register.sns_type",
        "an sns_type other than email is 400, on register and login",
    )
    .points(2)
    .hint(
        "Only `email` sign-up exists: any other {sns_type} answers 400 with a clear detail (a str \
         path parameter, not an enum that would give 422).",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        register(&cx, &email, "correct horse")
            .await?
            .expect_status(201)?;
        let sns_type: &str = cx.rng(|r| *r.pick(&["kakao", "google", "facebook", "EMAIL"]));
        let word = cx.word();
        for sns in [sns_type, word.as_str()] {
            for action in ["register", "login"] {
                let reply = cx
                    .post(&format!("/auth/{action}/{sns}"))
                    .json(&json!({"email": email, "pw": "correct horse"}))
                    .send()
                    .await?;
                expect_error(&reply, 400)?;
            }
        }
        Ok(())
    })
}

fn register_validation() -> Check {
    Check::new(
        "14.register.validation",
        "a bad address, a missing field, a password under 8 characters or over 72 bytes is 422",
    )
    .points(2)
    .hint(
        "email must be a valid address, pw is required, 8 characters or more and at most 72 bytes \
         (bytes, not characters: bcrypt reads 72 bytes); the 422 names [\"body\", field] and never \
         echoes the password.",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        let reply = cx
            .post("/auth/register/email")
            .json(&json!({"email": cx.word(), "pw": "x"}))
            .send()
            .await?;
        reply.expect_problem(&json!(["body", "email"]), None)?;
        let reply = cx
            .post("/auth/register/email")
            .json(&json!({"email": email}))
            .send()
            .await?;
        reply.expect_problem(&json!(["body", "pw"]), None)?;
        let ascii = "p".repeat(cx.rng(|r| r.between(73, 300)) as usize);
        // Fewer than 72 characters, more than 72 bytes.
        let euros = "€".repeat(cx.rng(|r| r.between(25, 72)) as usize);
        // Seven characters: one short of a password.
        let short = cx.rng(|r| r.between(1_000_000, 9_999_999)).to_string();
        for pw in [ascii, euros, short] {
            let reply = cx
                .post("/auth/register/email")
                .json(&json!({"email": email, "pw": pw}))
                .send()
                .await?;
            reply.expect_problem(&json!(["body", "pw"]), None)?;
            ensure(!reply.text.contains(&pw), || {
                reply.fail("the 422 sends the password back")
            })?;
        }
        let pw = "p".repeat(72);
        register(&cx, &email, &pw).await?.expect_status(201)?;
        login(&cx, &email, &pw).await?.expect_status(200)?;
        Ok(())
    })
}

fn login_check() -> Check {
    Check::new(
        "14.login",
        "POST /auth/login/email answers 200 with a new working token",
    )
    .points(2)
    .hint(
        "Check the password against the stored bcrypt hash and answer 200 {\"Authorization\": \
         \"Bearer <JWT>\"}.",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        // Eight characters at least, as a new password must have.
        let pw = format!("{} horse", cx.word());
        register(&cx, &email, &pw).await?.expect_status(201)?;
        let reply = login(&cx, &email, &pw).await?;
        reply.expect_status(200)?;
        list_keys(&cx, &bearer_of(&reply)?).await?;
        Ok(())
    })
}

fn login_wrong() -> Check {
    Check::new(
        "14.login.wrong",
        "a wrong password and an unknown address get the same 400",
    )
    .points(2)
    .hint(
        "Do not tell which addresses have an account: same status, same detail (and the same time: \
         verify a dummy hash).",
    )
    .book("14-bigger-application.html#accounts")
    .run(|cx| async move {
        let email = new_email(&cx);
        register(&cx, &email, "correct horse")
            .await?
            .expect_status(201)?;
        let wrong = login(&cx, &email, &cx.word()).await?;
        expect_error(&wrong, 400)?;
        let unknown = login(&cx, &new_email(&cx), "correct horse").await?;
        expect_error(&unknown, 400)?;
        ensure(wrong.text == unknown.text, || {
            unknown
                .fail("an unknown address and a wrong password answer differently")
                .expected(wrong.text.clone())
                .got(unknown.text.clone())
        })
    })
}

fn login_limit() -> Check {
    Check::new(
        "14.login.limit",
        "wrong passwords for one account meet a 429 with Retry-After within 200 tries",
    )
    .points(2)
    .hint(
        "Count failed logins per account and per client address in a window; past the limit, \
         answer 429 {\"detail\": …} with Retry-After: <seconds>, without checking the password.",
    )
    .book("14-bigger-application.html#limits-on-logins")
    // A server of its own: the failures it counts must not meet the other checks' logins.
    .server_env(|_| Vec::new())
    .run(|cx| async move { login_limit_reached(&cx).await })
}

/// Wrong passwords for one new account, one after another, until a 429 (at most 200 tries).
pub(super) async fn login_limit_reached(cx: &Ctx) -> Result<(), Failure> {
    let user = new_user(cx).await?;
    for tried in 1..=200 {
        let reply = login(cx, &user.email, &format!("{} wrong", cx.word())).await?;
        match reply.status {
            400 => {}
            429 => return expect_retry_after(&reply),
            status => {
                return Err(reply
                    .fail(format!("wrong password {tried} answered {status}"))
                    .expected("400 for each wrong password, then 429 once the limit is reached")
                    .got(reply.text.clone()));
            }
        }
    }
    Err(Failure::new(
        "200 wrong passwords for one account were all checked: nothing limits guessing",
    )
    .expected("429 with Retry-After after a few failed logins"))
}

/// Fails unless the answer is a 429 with a `detail` and `Retry-After: <seconds>` (1 or more).
fn expect_retry_after(reply: &Reply) -> Result<(), Failure> {
    expect_error(reply, 429)?;
    let retry_after = reply.header("retry-after").unwrap_or_default();
    ensure(
        retry_after.parse::<u64>().is_ok_and(|seconds| seconds > 0),
        || {
            reply
                .fail("the 429 does not say when to try again")
                .expected("Retry-After: <seconds, 1 or more>")
                .got(format!("Retry-After: {retry_after:?}"))
        },
    )
}

fn token_checks() -> Vec<Check> {
    vec![
        auth_missing(),
        auth_empty_credential(),
        auth_garbage(),
        auth_forged(),
    ]
}

fn auth_missing() -> Check {
    Check::new(
        "14.auth.missing",
        "API keys without a bearer token: 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .hint(
        "Protect /api/users/apikeys with the bearer scheme: no Authorization, or Basic \
         credentials, answer 401 {\"detail\": \"Not authenticated\"}.",
    )
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        for auth in [None, Some("Basic dXNlcjpwdw==")] {
            let mut req = cx.get("/api/users/apikeys");
            if let Some(auth) = auth {
                req = req.header("authorization", auth);
            }
            let reply = req.send().await?;
            reply
                .expect_detail(401, "Not authenticated")?
                .expect_header("www-authenticate", "Bearer")?;
        }
        Ok(())
    })
}

fn auth_empty_credential() -> Check {
    Check::new(
        "14.auth.empty_credential",
        "API keys with an empty Bearer: 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .hint(
        "\"Bearer\" with nothing after it carries no token: 401 {\"detail\": \"Not \
         authenticated\"} (FastAPI's OAuth2PasswordBearer hands the empty token on; HTTPBearer \
         refuses it).",
    )
    .book("14-bigger-application.html#api-keys")
    .tag(Tag::EmptyCredential)
    .run(|cx| async move { empty_bearer(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { empty_bearer(&cx, Profile::Fastapi).await })
}

/// `Bearer` alone is 401 Not authenticated; under the FastAPI profile the empty token may also
/// be refused as an invalid one, with the app's own words.
async fn empty_bearer(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let reply = cx
        .get("/api/users/apikeys")
        .header("authorization", "Bearer")
        .send()
        .await?;
    if profile == Profile::Fastapi {
        expect_error(&reply, 401)?;
    } else {
        reply.expect_detail(401, "Not authenticated")?;
    }
    reply.expect_header("www-authenticate", "Bearer")?;
    Ok(())
}

fn auth_garbage() -> Check {
    Check::new(
        "14.auth.garbage",
        "a garbage, unsigned (alg none) or tampered token is 401",
    )
    .points(2)
    .hint(
        "Decode with HS256 only and check the signature; answer 401 with WWW-Authenticate: Bearer.",
    )
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let real = user.token.trim_start_matches("Bearer ").to_owned();
        let parts: Vec<&str> = real.split('.').collect();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let mut claims = claims_of(&real)?;
        claims["exp"] = json!(now() + 86_400);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let tokens = [
            format!("{}.{}.{}", cx.word(), cx.word(), cx.word()),
            format!("{header}.{}.", parts.get(1).unwrap_or(&"")),
            format!(
                "{}.{payload}.{}",
                parts.first().unwrap_or(&""),
                parts.get(2).unwrap_or(&"")
            ),
        ];
        for token in tokens {
            let reply = cx
                .get("/api/users/apikeys")
                .header("authorization", &format!("Bearer {token}"))
                .send()
                .await?;
            reply
                .expect_status(401)?
                .expect_header("www-authenticate", "Bearer")?;
        }
        Ok(())
    })
}

fn auth_forged() -> Check {
    Check::new(
        "14.auth.forged",
        "with the server's key: expired, other-algorithm or sub-less tokens are 401; the unchanged \
         one passes",
    )
    .points(2)
    .hint("Sign with JWT_SECRET (HS256), require exp and sub, no leeway.")
    .book("14-bigger-application.html#api-keys")
    .server_env(secret_env)
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let claims = claims_of(user.token.trim_start_matches("Bearer "))?;
        let key = cx.env("JWT_SECRET");
        let same = forge(Algorithm::HS256, &claims, &key);
        let reply = cx
            .get("/api/users/apikeys")
            .header("authorization", &same)
            .send()
            .await?;
        reply.expect_status(200)?;
        let mut expired = claims.clone();
        expired["iat"] = json!(now() - 3600);
        expired["exp"] = json!(now() - 2);
        let mut no_sub = claims.clone();
        if let Some(object) = no_sub.as_object_mut() {
            object.remove("sub");
        }
        let forged = [
            forge(Algorithm::HS256, &expired, &key),
            forge(Algorithm::HS512, &claims, &key),
            forge(Algorithm::HS256, &no_sub, &key),
            forge(Algorithm::HS256, &claims, &format!("{key}-another")),
        ];
        for token in forged {
            let reply = cx
                .get("/api/users/apikeys")
                .header("authorization", &token)
                .send()
                .await?;
            reply
                .expect_status(401)?
                .expect_header("www-authenticate", "Bearer")?;
        }
        Ok(())
    })
}

fn api_key_checks() -> Vec<Check> {
    vec![
        apikeys_create(),
        apikeys_list(),
        apikeys_limit(),
        apikeys_limit_concurrent(),
        apikeys_update(),
        apikeys_delete(),
        apikeys_other_user(),
        apikeys_bad_input(),
        apikeys_i64(),
    ]
}

fn apikeys_create() -> Check {
    Check::new(
        "14.apikeys.create",
        "POST /api/users/apikeys answers 201 {id, access_key, secret_key, user_memo, created_at}",
    )
    .points(3)
    .hint(
        "Make an access key and a secret key from a CSPRNG (getrandom, secrets), store them with \
         the memo, answer 201 with the secret (the only time it is shown).",
    )
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let memo = format!("{} {}", cx.word(), cx.word());
        let reply = cx
            .post("/api/users/apikeys")
            .header("authorization", &user.token)
            .json(&json!({"user_memo": memo}))
            .send()
            .await?;
        reply.expect_status(201)?;
        let key = reply.json()?;
        let (access, secret) = halves(&key);
        ensure(
            key["id"].is_i64()
                && key["user_memo"] == json!(memo)
                && key.get("created_at").is_some_and(|c| !c.is_null()),
            || {
                reply
                    .fail("the new key lacks a member")
                    .expected(format!(
                        "{{\"id\": <int>, \"access_key\", \"secret_key\", \"user_memo\": \
                         \"{memo}\", \"created_at\"}}"
                    ))
                    .got(key.to_string())
            },
        )?;
        ensure(
            access.len() >= 16 && secret.len() >= 16 && access != secret,
            || {
                reply
                    .fail("the access key and the secret key must be two long random strings")
                    .got(key.to_string())
            },
        )?;
        let other = create_key(&cx, &user.token, Value::Null).await?;
        ensure(
            other["access_key"] != key["access_key"] && other["secret_key"] != key["secret_key"],
            || {
                Failure::new("two keys share an access key or a secret")
                    .got(format!("{key}\n{other}"))
            },
        )?;
        ensure(other["user_memo"].is_null(), || {
            Failure::new("a key made without a memo should have \"user_memo\": null")
                .got(other.to_string())
        })
    })
}

fn apikeys_list() -> Check {
    Check::new(
        "14.apikeys.list",
        "GET /api/users/apikeys lists the user's keys, oldest first, without secrets",
    )
    .points(2)
    .hint(
        "Answer [{id, access_key, user_memo, created_at}, ...] ordered by id; the secret key is \
         never listed.",
    )
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let first = create_key(&cx, &user.token, json!(cx.word())).await?;
        let second = create_key(
            &cx,
            &user.token,
            json!("Ünïcödé 🎉 '; DROP TABLE api_keys; --"),
        )
        .await?;
        let reply = cx
            .get("/api/users/apikeys")
            .header("authorization", &user.token)
            .send()
            .await?;
        let list = reply.expect_status(200)?.json()?;
        let ids: Vec<&Value> = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| &k["id"])
            .collect();
        ensure(ids == [&first["id"], &second["id"]], || {
            reply
                .fail("the list is not the user's two keys, oldest first")
                .expected(format!("ids [{}, {}]", first["id"], second["id"]))
                .got(list.to_string())
        })?;
        for (listed, made) in list.as_array().into_iter().flatten().zip([&first, &second]) {
            for member in ["access_key", "user_memo", "created_at"] {
                ensure(listed[member] == made[member], || {
                    reply
                        .fail(format!("{member} differs from the created key"))
                        .expected(made.to_string())
                        .got(listed.to_string())
                })?;
            }
            ensure(
                listed.get("secret_key").is_none() && !reply.text.contains(halves(made).1),
                || reply.fail("the list shows a secret key"),
            )?;
        }
        Ok(())
    })
}

fn apikeys_limit() -> Check {
    Check::new(
        "14.apikeys.limit",
        "a fourth key is 400; deleting one makes room",
    )
    .points(2)
    .hint("At most 3 keys per user: the fourth answers 400 with a detail.")
    .book("14-bigger-application.html#at-most-three-even-at-once")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let mut keys = Vec::new();
        for _ in 0..3 {
            keys.push(create_key(&cx, &user.token, Value::Null).await?);
        }
        let reply = cx
            .post("/api/users/apikeys")
            .header("authorization", &user.token)
            .json(&json!({}))
            .send()
            .await?;
        expect_error(&reply, 400)?;
        let gone = &keys[cx.rng(|r| r.between(0, 2)) as usize];
        cx.delete(&format!("/api/users/apikeys/{}", gone["id"]))
            .header("authorization", &user.token)
            .send()
            .await?
            .expect_status(200)?;
        create_key(&cx, &user.token, Value::Null).await?;
        Ok(())
    })
}

fn apikeys_limit_concurrent() -> Check {
    Check::new(
        "14.apikeys.limit.concurrent",
        "eight creations at once still make exactly 3 keys",
    )
    .points(2)
    .hint(
        "\"Count, then insert\" lets parallel requests all see 2 keys: let the database decide (a \
         UNIQUE (user_id, slot), or a locked row).",
    )
    .book("14-bigger-application.html#at-most-three-even-at-once")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let token = user.token.clone();
        let statuses = at_once(&cx, 8, move |cx| {
            let token = token.clone();
            async move {
                cx.post("/api/users/apikeys")
                    .header("authorization", &token)
                    .json(&json!({}))
                    .send()
                    .await
            }
        })
        .await?;
        expect_counts(&statuses, &[(201, 3), (400, 5)])?;
        let list = list_keys(&cx, &user.token).await?;
        ensure(list.as_array().map(Vec::len) == Some(3), || {
            Failure::new("the user holds more or fewer than 3 keys").got(list.to_string())
        })
    })
}

fn apikeys_update() -> Check {
    Check::new(
        "14.apikeys.update",
        "PUT /api/users/apikeys/{key_id} changes the memo",
    )
    .points(2)
    .hint("Update the memo of the user's key and answer the key (without its secret).")
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let key = create_key(&cx, &user.token, json!(cx.word())).await?;
        let memo = format!("{} {}", cx.word(), cx.word());
        let reply = cx
            .put(&format!("/api/users/apikeys/{}", key["id"]))
            .header("authorization", &user.token)
            .json(&json!({"user_memo": memo}))
            .send()
            .await?;
        let body = reply.expect_status(200)?.json()?;
        ensure(
            body["user_memo"] == json!(memo) && body.get("secret_key").is_none(),
            || {
                reply
                    .fail("the answer is not the key with its new memo, without secret")
                    .expected(format!("{{\"user_memo\": \"{memo}\", ...}}"))
                    .got(body.to_string())
            },
        )?;
        let list = list_keys(&cx, &user.token).await?;
        ensure(list[0]["user_memo"] == json!(memo), || {
            Failure::new("the list does not show the new memo").got(list.to_string())
        })
    })
}

fn apikeys_delete() -> Check {
    Check::new(
        "14.apikeys.delete",
        "DELETE /api/users/apikeys/{key_id} answers {\"message\": \"ok\"}, then 404",
    )
    .points(2)
    .hint("Delete the user's key and answer {\"message\": \"ok\"}; a key that is not there is 404.")
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let key = create_key(&cx, &user.token, Value::Null).await?;
        let path = format!("/api/users/apikeys/{}", key["id"]);
        cx.delete(&path)
            .header("authorization", &user.token)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"message": "ok"}))?;
        expect_error(
            &cx.delete(&path)
                .header("authorization", &user.token)
                .send()
                .await?,
            404,
        )?;
        let list = list_keys(&cx, &user.token).await?;
        ensure(list == json!([]), || {
            Failure::new("the deleted key is still listed").got(list.to_string())
        })
    })
}

fn apikeys_other_user() -> Check {
    Check::new(
        "14.apikeys.other_user",
        "another user's key is 404 (not 403) and stays as it was",
    )
    .points(2)
    .hint("Look keys up by id AND owner: someone else's key must look exactly like a missing one.")
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let owner = new_user(&cx).await?;
        let intruder = new_user(&cx).await?;
        let memo = cx.word();
        let key = create_key(&cx, &owner.token, json!(memo)).await?;
        let path = format!("/api/users/apikeys/{}", key["id"]);
        expect_error(
            &cx.put(&path)
                .header("authorization", &intruder.token)
                .json(&json!({"user_memo": cx.word()}))
                .send()
                .await?,
            404,
        )?;
        expect_error(
            &cx.delete(&path)
                .header("authorization", &intruder.token)
                .send()
                .await?,
            404,
        )?;
        let list = list_keys(&cx, &owner.token).await?;
        ensure(
            list[0]["id"] == key["id"] && list[0]["user_memo"] == json!(memo),
            || Failure::new("the other user changed or deleted the key").got(list.to_string()),
        )
    })
}

fn apikeys_i64() -> Check {
    Check::new(
        "14.apikeys.i64",
        "a key id beyond i64 is a 422, never a 500",
    )
    .hint(
        "key_id is an i64: 99999999999999999999 is out of range, a 422 (FastAPI accepts the \
         number: bound it with Path(le=2**63 - 1), or answer 404).",
    )
    .book("14-bigger-application.html#api-keys")
    .tag(Tag::I64)
    .run(|cx| async move { key_beyond_i64(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { key_beyond_i64(&cx, Profile::Fastapi).await })
}

async fn key_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let user = new_user(cx).await?;
    let reply = cx
        .put("/api/users/apikeys/99999999999999999999")
        .header("authorization", &user.token)
        .json(&json!({}))
        .send()
        .await?;
    super::ch12::expect_beyond_i64(&reply, &["path", "key_id"], profile, &[404])
}

fn apikeys_bad_input() -> Check {
    Check::new(
        "14.apikeys.bad_input",
        "bad key ids and bodies are 422, an unknown id is 404, never 500",
    )
    .hint("key_id is an integer path parameter; user_memo a string or null (Pydantic: str | None).")
    .book("14-bigger-application.html#api-keys")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let word = cx.word();
        for id in [word.as_str(), "1.5"] {
            let reply = cx
                .put(&format!("/api/users/apikeys/{id}"))
                .header("authorization", &user.token)
                .json(&json!({}))
                .send()
                .await?;
            reply.expect_problem(&json!(["path", "key_id"]), None)?;
        }
        let unknown = cx.rng(|r| r.between(1_000_000_000, i64::MAX));
        expect_error(
            &cx.delete(&format!("/api/users/apikeys/{unknown}"))
                .header("authorization", &user.token)
                .send()
                .await?,
            404,
        )?;
        expect_error(
            &cx.delete("/api/users/apikeys/-1")
                .header("authorization", &user.token)
                .send()
                .await?,
            404,
        )?;
        let reply = cx
            .post("/api/users/apikeys")
            .header("authorization", &user.token)
            .json(&json!({"user_memo": 5}))
            .send()
            .await?;
        reply.expect_problem(&json!(["body", "user_memo"]), None)?;
        let reply = cx
            .post("/api/users/apikeys")
            .header("authorization", &user.token)
            .header("content-type", "application/json")
            .body("{\"user_memo\": ")
            .send()
            .await?;
        reply.expect_status(422)?;
        Ok(())
    })
}

fn service_checks() -> Vec<Check> {
    vec![
        services(),
        services_missing(),
        services_i64(),
        services_unknown_key(),
        services_bad_signature(),
        services_timestamp(),
        services_order(),
        services_replay(),
        services_replay_concurrent(),
    ]
}

fn services() -> Check {
    Check::new(
        "14.services",
        "a signed GET /api/services answers {\"your_email\": ...}, in either query order",
    )
    .points(3)
    .hint(
        "Find the key, compute base64(HMAC-SHA256(secret_key, \"key=<key>&timestamp=<ts>\")) — \
         always in that order — and compare with the `secret` header.",
    )
    .book("14-bigger-application.html#signed-requests")
    .run(|cx| async move {
        let (user, key) = user_with_key(&cx).await?;
        // Two timestamps that differ whatever the clock does in between, so that the second
        // request is never a replay of the first.
        let timestamp = now();
        let reply = signed(&cx, &key, timestamp, false).await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"your_email": user.email}))?;
        let reply = signed(&cx, &key, timestamp - 1, true).await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"your_email": user.email}))?;
        Ok(())
    })
}

fn services_i64() -> Check {
    Check::new(
        "14.services.i64",
        "a timestamp beyond i64 is a 422 naming it",
    )
    .hint(
        "timestamp is an i64: 99999999999999999999 is a 422 at [\"query\", \"timestamp\"] (FastAPI \
         reads the number, which then fails the signature or the clock).",
    )
    .book("14-bigger-application.html#signed-requests")
    .tag(Tag::I64)
    .run(|cx| async move { timestamp_beyond_i64(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { timestamp_beyond_i64(&cx, Profile::Fastapi).await })
}

/// A timestamp beyond i64 is refused: a 422, or under the FastAPI profile the refusal of a
/// signature (401) or of a clock (400) that it does not match.
async fn timestamp_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let (_, key) = user_with_key(cx).await?;
    let (access, secret) = halves(&key);
    let signature = sign(secret, access, &now().to_string());
    let reply = cx
        .get(&format!(
            "/api/services?key={access}&timestamp=99999999999999999999"
        ))
        .header("secret", &signature)
        .send()
        .await?;
    super::ch12::expect_beyond_i64(&reply, &["query", "timestamp"], profile, &[400, 401])
}

fn services_missing() -> Check {
    Check::new(
        "14.services.missing",
        "a missing key, timestamp or secret is 422 naming it",
    )
    .points(2)
    .hint(
        "key and timestamp are required query parameters, secret a required header: FastAPI \
         answers 422 with loc [\"query\", \"key\"], [\"query\", \"timestamp\"], [\"header\", \
         \"secret\"].",
    )
    .book("14-bigger-application.html#signed-requests")
    .run(|cx| async move {
        let (_, key) = user_with_key(&cx).await?;
        let (access, secret) = halves(&key);
        let ts = now().to_string();
        let signature = sign(secret, access, &ts);
        let reply = cx
            .get(&format!("/api/services?timestamp={ts}"))
            .header("secret", &signature)
            .send()
            .await?;
        reply.expect_problem(&json!(["query", "key"]), None)?;
        let reply = cx
            .get(&format!("/api/services?key={access}"))
            .header("secret", &signature)
            .send()
            .await?;
        reply.expect_problem(&json!(["query", "timestamp"]), None)?;
        let reply = cx
            .get(&format!("/api/services?key={access}&timestamp={ts}"))
            .send()
            .await?;
        reply.expect_problem(&json!(["header", "secret"]), None)?;
        for bad in [cx.word(), "1.5".to_owned()] {
            let reply = cx
                .get(&format!("/api/services?key={access}&timestamp={bad}"))
                .header("secret", &signature)
                .send()
                .await?;
            reply.expect_problem(&json!(["query", "timestamp"]), None)?;
        }
        Ok(())
    })
}

fn services_unknown_key() -> Check {
    Check::new(
        "14.services.unknown_key",
        "an unknown or deleted key is 404",
    )
    .hint(
        "Look the access key up; none found answers 404 (exact match: not another case, not with \
         spaces).",
    )
    .book("14-bigger-application.html#signed-requests")
    .run(|cx| async move {
        let (user, key) = user_with_key(&cx).await?;
        let (access, secret) = halves(&key);
        let ts = now().to_string();
        let unknown: String = (0..32)
            .map(|_| cx.rng(|r| *r.pick(&['0', '7', 'a', 'f'])))
            .collect();
        for candidate in [unknown, access.to_uppercase()] {
            let reply = cx
                .get(&format!("/api/services?key={candidate}&timestamp={ts}"))
                .header("secret", &sign(secret, &candidate, &ts))
                .send()
                .await?;
            expect_error(&reply, 404)?;
        }
        cx.delete(&format!("/api/users/apikeys/{}", key["id"]))
            .header("authorization", &user.token)
            .send()
            .await?
            .expect_status(200)?;
        expect_error(&signed(&cx, &key, now(), false).await?, 404)
    })
}

fn services_bad_signature() -> Check {
    Check::new(
        "14.services.bad_signature",
        "a wrong secret, bad base64 or another request's signature is 401",
    )
    .points(2)
    .hint(
        "Decode the base64 (failure is a bad signature, not a 500), compute the HMAC yourself and \
         compare in constant time (hmac.compare_digest, Mac::verify_slice).",
    )
    .book("14-bigger-application.html#signed-requests")
    .run(|cx| async move {
        let (_, key) = user_with_key(&cx).await?;
        let (_, other) = user_with_key(&cx).await?;
        let (access, secret) = halves(&key);
        let ts = now().to_string();
        let right = sign(secret, access, &ts);
        let wrong = [
            sign(&cx.word(), access, &ts),
            sign(halves(&other).1, access, &ts),
            sign(secret, access, &(now() - 3).to_string()),
            format!("{}!!", cx.word()),
            right
                .trim_end_matches('=')
                .chars()
                .rev()
                .collect::<String>(),
            String::new(),
        ];
        for signature in &wrong {
            let reply = cx
                .get(&format!("/api/services?key={access}&timestamp={ts}"))
                .header("secret", signature)
                .send()
                .await?;
            expect_error(&reply, 401)?;
        }
        cx.get(&format!("/api/services?key={access}&timestamp={ts}"))
            .header("secret", &right)
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn services_timestamp() -> Check {
    Check::new(
        "14.services.timestamp",
        "a timestamp more than 60 s off either way is 400, within 60 s is fine",
    )
    .points(2)
    .hint(
        "Compare the timestamp with the server's clock: |now - timestamp| > 60 answers 400 (beware \
         of overflow with absurd values).",
    )
    .book("14-bigger-application.html#replay-attacks")
    .run(|cx| async move {
        let (_, key) = user_with_key(&cx).await?;
        let off = cx.rng(|r| r.between(65, 100_000));
        for ts in [now() - off, now() + off, -1, 0, i64::MAX] {
            expect_error(&signed(&cx, &key, ts, false).await?, 400)?;
        }
        let near = cx.rng(|r| r.between(5, 50));
        for ts in [now() - near, now() + near] {
            signed(&cx, &key, ts, false).await?.expect_status(200)?;
        }
        Ok(())
    })
}

fn services_order() -> Check {
    Check::new(
        "14.services.order",
        "the checks run in order: key (404), signature (401), timestamp (400), replay (401)",
    )
    .points(2)
    .hint(
        "Say nothing about a request's timestamp to someone who cannot sign it: check the key, \
         then the signature, then the time, then the replay store.",
    )
    .book("14-bigger-application.html#signed-requests")
    .run(|cx| async move {
        let (_, key) = user_with_key(&cx).await?;
        let (access, secret) = halves(&key);
        let stale = (now() - cx.rng(|r| r.between(120, 9999))).to_string();
        let reply = cx
            .get(&format!(
                "/api/services?key=ffffffffffffffffffffffffffffffff&timestamp={stale}"
            ))
            .header("secret", "bad")
            .send()
            .await?;
        expect_error(&reply, 404)?;
        let reply = cx
            .get(&format!("/api/services?key={access}&timestamp={stale}"))
            .header("secret", "bad")
            .send()
            .await?;
        expect_error(&reply, 401)?;
        let reply = cx
            .get(&format!("/api/services?key={access}&timestamp={stale}"))
            .header("secret", &sign(secret, access, &stale))
            .send()
            .await?;
        expect_error(&reply, 400)
    })
}

fn services_replay() -> Check {
    Check::new(
        "14.services.replay",
        "the same accepted signature twice is 401",
    )
    .points(2)
    .hint(
        "Remember accepted signatures until their timestamp leaves the window (in the database, so \
         that every instance sees them); a second use answers 401.",
    )
    .book("14-bigger-application.html#replay-attacks")
    .run(|cx| async move {
        let (_, key) = user_with_key(&cx).await?;
        let ts = now() - cx.rng(|r| r.between(0, 20));
        signed(&cx, &key, ts, false).await?.expect_status(200)?;
        expect_error(&signed(&cx, &key, ts, true).await?, 401)?;
        signed(&cx, &key, ts - 1, false).await?.expect_status(200)?;
        Ok(())
    })
}

fn services_replay_concurrent() -> Check {
    Check::new(
        "14.services.replay.concurrent",
        "five copies of one signed request at once: one 200, four 401",
    )
    .hint(
        "Check-then-insert lets copies race past the replay store: insert, and let a PRIMARY KEY \
         refuse the copies.",
    )
    .book("14-bigger-application.html#replay-attacks")
    .run(|cx| async move {
        let (_, key) = user_with_key(&cx).await?;
        let ts = now();
        let statuses = at_once(&cx, 5, move |cx| {
            let key = key.clone();
            async move { signed(&cx, &key, ts, false).await }
        })
        .await?;
        expect_counts(&statuses, &[(200, 1), (401, 4)])
    })
}

fn settings_checks() -> Vec<Check> {
    vec![hosts(), prod(), bad_input()]
}

fn hosts() -> Check {
    Check::new(
        "14.hosts",
        "a request for a host that is not trusted is 400",
    )
    .points(2)
    .hint(
        "Check Host against the trusted hosts of APP_ENV (locally localhost and 127.0.0.1); others \
         answer 400 {\"detail\": \"Invalid host header\"}.",
    )
    .book("14-bigger-application.html#trusted-hosts-and-the-access-log")
    .run(|cx| async move {
        let email = new_email(&cx);
        let host = format!("{}.{}.test", cx.word(), cx.word());
        let reply = cx
            .post("/auth/register/email")
            .header("host", &host)
            .json(&json!({"email": email, "pw": "correct horse"}))
            .send()
            .await?;
        reply.expect_detail(400, "Invalid host header")?;
        let port = cx.base().rsplit(':').next().unwrap_or("8000").to_owned();
        let reply = cx
            .post("/auth/register/email")
            .header("host", &format!("localhost:{port}"))
            .json(&json!({"email": email, "pw": "correct horse"}))
            .send()
            .await?;
        reply.expect_status(201)?;
        Ok(())
    })
}

fn prod() -> Check {
    Check::new(
        "14.prod",
        "APP_ENV=prod: no docs, only TRUSTED_HOSTS, the API works",
    )
    .points(2)
    .hint(
        "In production, FastAPI(openapi_url=None) and the hosts from TRUSTED_HOSTS; JWT_SECRET and \
         DATABASE_URL are given.",
    )
    .book("14-bigger-application.html#configuration-per-environment")
    .server_env(|rng| {
        let mut env = secret_env(rng);
        env.push(("APP_ENV".into(), "prod".into()));
        // The key that encrypts API key secrets at rest: 32 bytes, as 64 hex digits.
        let key: String = (0..32)
            .map(|_| format!("{:02x}", rng.between(0, 255)))
            .collect();
        env.push(("API_KEY_ENCRYPTION_KEY".into(), key));
        env.push((
            "TRUSTED_HOSTS".into(),
            format!("127.0.0.1,*.{}.test", rng.word()),
        ));
        env.push(("DATABASE_URL".into(), "sqlite://prod.db".into()));
        env
    })
    .run(|cx| async move {
        for path in ["/openapi.json", "/docs", "/redoc"] {
            expect_error(&cx.get(path).send().await?, 404)?;
        }
        let trusted = cx.env("TRUSTED_HOSTS");
        let domain = trusted.split("*.").nth(1).unwrap_or_default();
        let email = new_email(&cx);
        let body = json!({"email": email, "pw": "correct horse"});
        let reply = cx
            .post("/auth/register/email")
            .header("host", "localhost")
            .json(&body)
            .send()
            .await?;
        reply.expect_detail(400, "Invalid host header")?;
        let reply = cx
            .post("/auth/register/email")
            .header("host", &format!("api.{domain}"))
            .json(&body)
            .send()
            .await?;
        reply.expect_status(201)?;
        login(&cx, &email, "correct horse")
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn bad_input() -> Check {
    Check::new(
        "14.bad_input",
        "garbage in paths, queries, headers and bodies is a 4xx, never a 500",
    )
    .points(2)
    .hint(
        "Every input can be anything: invalid UTF-8, truncated JSON, wrong content types, absurd \
         numbers. Answer 4xx.",
    )
    .book("14-bigger-application.html#errors-in-one-place")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let auth = user.token.as_str();
        let requests: [(&str, &str, Option<&str>, Option<&str>); 9] = [
            (
                "POST",
                "/auth/register/%FF",
                None,
                Some(r#"{"email":"a@b.co","pw":"x"}"#),
            ),
            ("POST", "/auth/login/email", None, Some(r#"{"email": "#)),
            (
                "POST",
                "/auth/login/email",
                None,
                Some(r#"{"email":"a@b.co","pw":"\u0000"}"#),
            ),
            ("POST", "/api/users/apikeys", Some(auth), Some("[1, 2")),
            ("PUT", "/api/users/apikeys/%FF", Some(auth), Some("{}")),
            ("GET", "/api/services?key=%FF&timestamp=%FF", None, None),
            ("GET", "/api/services?key=&timestamp=&key=", None, None),
            ("GET", "/api/services?key=a&timestamp=-0", None, None),
            ("DELETE", "/api/users/apikeys/0", Some(auth), None),
        ];
        for (method, path, token, body) in requests {
            let mut req = cx.request(method, path).header("secret", "====");
            if let Some(token) = token {
                req = req.header("authorization", token);
            }
            if let Some(body) = body {
                req = req.header("content-type", "application/json").body(body);
            }
            let reply = req.send().await?;
            ensure((400..500).contains(&reply.status), || {
                reply
                    .fail(format!("{method} {path} answered {}", reply.status))
                    .expected("a 4xx")
                    .got(reply.text.clone())
            })?;
        }
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_me(), ex_rotate(), ex_last_used()]
}

fn ex_me() -> Check {
    Check::new(
        "14.ex.me",
        "GET /api/users/me answers the logged-in user, without secrets",
    )
    .points(2)
    .exercise()
    .hint(
        "A new router with prefix /api/users: GET /me with the bearer scheme, answering {\"id\", \
         \"email\", \"created_at\"}.",
    )
    .book("14-bigger-application.html#exercise-1-who-am-i")
    .run(|cx| async move {
        let user = new_user(&cx).await?;
        let reply = cx
            .get("/api/users/me")
            .header("authorization", &user.token)
            .send()
            .await?;
        let body = reply.expect_status(200)?.json()?;
        ensure(
            body["email"] == json!(user.email)
                && body.get("id").is_some()
                && body.get("created_at").is_some(),
            || {
                reply
                    .fail("the answer is not the user")
                    .expected(format!(
                        "{{\"id\": ..., \"email\": \"{}\", \"created_at\": ...}}",
                        user.email
                    ))
                    .got(body.to_string())
            },
        )?;
        ensure(
            !reply.text.contains("$2")
                && body.get("pw").is_none()
                && body.get("hashed_password").is_none(),
            || reply.fail("the answer shows the password or its hash"),
        )?;
        cx.get("/api/users/me").send().await?.expect_status(401)?;
        Ok(())
    })
}

fn ex_rotate() -> Check {
    Check::new(
        "14.ex.rotate",
        "POST /api/users/apikeys/{key_id}/rotate gives a new secret; the old one stops working",
    )
    .points(2)
    .exercise()
    .hint(
        "Store a new random secret for the user's key, answer the key with it; the access key \
         stays.",
    )
    .book("14-bigger-application.html#exercise-2-rotating-a-secret")
    .run(|cx| async move {
        let (user, key) = user_with_key(&cx).await?;
        let reply = cx
            .post(&format!("/api/users/apikeys/{}/rotate", key["id"]))
            .header("authorization", &user.token)
            .send()
            .await?;
        let rotated = reply.expect_status(200)?.json()?;
        ensure(
            rotated["access_key"] == key["access_key"]
                && rotated["secret_key"].is_string()
                && rotated["secret_key"] != key["secret_key"],
            || {
                reply
                    .fail("the answer is not the same key with a new secret")
                    .got(rotated.to_string())
            },
        )?;
        expect_error(&signed(&cx, &key, now(), false).await?, 401)?;
        signed(&cx, &rotated, now(), false)
            .await?
            .expect_status(200)?;
        let intruder = new_user(&cx).await?;
        expect_error(
            &cx.post(&format!("/api/users/apikeys/{}/rotate", key["id"]))
                .header("authorization", &intruder.token)
                .send()
                .await?,
            404,
        )
    })
}

fn ex_last_used() -> Check {
    Check::new(
        "14.ex.last_used",
        "each listed key shows last_used_at: null until a signed request is accepted",
    )
    .points(2)
    .exercise()
    .hint("A migration adds last_used_at; an accepted signed request sets it; refused ones do not.")
    .book("14-bigger-application.html#exercise-3-when-was-a-key-last-used")
    .run(|cx| async move {
        let (user, key) = user_with_key(&cx).await?;
        let before = list_keys(&cx, &user.token).await?;
        ensure(before[0].get("last_used_at") == Some(&Value::Null), || {
            Failure::new("a new key should list \"last_used_at\": null").got(before.to_string())
        })?;
        signed(&cx, &key, now(), false).await?.expect_status(200)?;
        let after = list_keys(&cx, &user.token).await?;
        let used = after[0]["last_used_at"].clone();
        ensure(!used.is_null(), || {
            Failure::new("last_used_at is still null after an accepted request")
                .got(after.to_string())
        })?;
        signed(&cx, &key, now() - 3600, false)
            .await?
            .expect_status(400)?;
        let later = list_keys(&cx, &user.token).await?;
        ensure(later[0]["last_used_at"] == used, || {
            Failure::new("a refused request changed last_used_at")
                .expected(used.to_string())
                .got(later.to_string())
        })
    })
}

/// A registered user: their address and their `Authorization` value.
#[derive(Debug, Clone)]
pub(super) struct User {
    pub(super) email: String,
    pub(super) token: String,
}

/// A fresh address from the seed, unique enough that checks never meet.
pub(super) fn new_email(cx: &Ctx) -> String {
    format!(
        "{}.{}@{}.example.com",
        cx.word(),
        cx.rng(|r| r.between(0, 999_999_999)),
        cx.word()
    )
}

pub(super) async fn register(cx: &Ctx, email: &str, pw: &str) -> Result<Reply, Failure> {
    cx.post("/auth/register/email")
        .json(&json!({"email": email, "pw": pw}))
        .send()
        .await
}

pub(super) async fn login(cx: &Ctx, email: &str, pw: &str) -> Result<Reply, Failure> {
    cx.post("/auth/login/email")
        .json(&json!({"email": email, "pw": pw}))
        .send()
        .await
}

/// The `Authorization` member of a register or login answer.
pub(super) fn bearer_of(reply: &Reply) -> Result<String, Failure> {
    let body = reply.json()?;
    body["Authorization"]
        .as_str()
        .filter(|token| token.starts_with("Bearer "))
        .map(str::to_owned)
        .ok_or_else(|| {
            reply
                .fail("the answer has no Authorization member with a bearer token")
                .expected("{\"Authorization\": \"Bearer <JWT>\"}")
                .got(body.to_string())
        })
}

pub(super) async fn new_user(cx: &Ctx) -> Result<User, Failure> {
    let email = new_email(cx);
    let reply = register(cx, &email, "correct horse battery").await?;
    reply.expect_status(201)?;
    Ok(User {
        token: bearer_of(&reply)?,
        email,
    })
}

/// A new key of the user whose `Authorization` value is `token`.
pub(super) async fn create_key(cx: &Ctx, token: &str, memo: Value) -> Result<Value, Failure> {
    let reply = cx
        .post("/api/users/apikeys")
        .header("authorization", token)
        .json(&json!({ "user_memo": memo }))
        .send()
        .await?;
    let key = reply.expect_status(201)?.json()?;
    ensure(
        key["access_key"].is_string() && key["secret_key"].is_string(),
        || {
            reply
                .fail("the new key has no access_key or secret_key")
                .got(key.to_string())
        },
    )?;
    Ok(key)
}

async fn user_with_key(cx: &Ctx) -> Result<(User, Value), Failure> {
    let user = new_user(cx).await?;
    let key = create_key(cx, &user.token, Value::Null).await?;
    Ok((user, key))
}

async fn list_keys(cx: &Ctx, token: &str) -> Result<Value, Failure> {
    let reply = cx
        .get("/api/users/apikeys")
        .header("authorization", token)
        .send()
        .await?;
    let list = reply.expect_status(200)?.json()?;
    ensure(list.is_array(), || {
        reply
            .fail("the keys are not a JSON list")
            .got(list.to_string())
    })?;
    Ok(list)
}

fn halves(key: &Value) -> (&str, &str) {
    (
        key["access_key"].as_str().unwrap_or_default(),
        key["secret_key"].as_str().unwrap_or_default(),
    )
}

/// `base64(HMAC-SHA256(secret_key, "key=<access_key>&timestamp=<timestamp>"))`.
fn sign(secret_key: &str, access_key: &str, timestamp: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("key={access_key}&timestamp={timestamp}").as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// `GET /api/services` signed with `key` at `timestamp`; the query's order reversed if asked.
pub(super) async fn signed(
    cx: &Ctx,
    key: &Value,
    timestamp: i64,
    reversed: bool,
) -> Result<Reply, Failure> {
    let (access, secret) = halves(key);
    let ts = timestamp.to_string();
    let query = match reversed {
        false => format!("key={access}&timestamp={ts}"),
        true => format!("timestamp={ts}&key={access}"),
    };
    cx.get(&format!("/api/services?{query}"))
        .header("secret", &sign(secret, access, &ts))
        .send()
        .await
}

pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Sends `count` requests made by `make` at the same moment; answers their statuses.
async fn at_once<F, Fut>(cx: &Ctx, count: usize, make: F) -> Result<Vec<u16>, Failure>
where
    F: Fn(Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<Reply, Failure>> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        tasks.spawn(make(cx.clone()));
    }
    let mut statuses = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        let reply = done.map_err(|err| Failure::new(format!("a request task failed: {err}")))??;
        statuses.push(reply.status);
    }
    statuses.sort_unstable();
    Ok(statuses)
}

/// Fails unless `statuses` has exactly these counts of each status.
fn expect_counts(statuses: &[u16], expected: &[(u16, usize)]) -> Result<(), Failure> {
    let total: usize = expected.iter().map(|(_, n)| n).sum();
    let matches = statuses.len() == total
        && expected
            .iter()
            .all(|(status, n)| statuses.iter().filter(|s| *s == status).count() == *n);
    ensure(matches, || {
        Failure::new("the requests sent at once were not answered as the contract says")
            .expected(
                expected
                    .iter()
                    .map(|(s, n)| format!("{n} × {s}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .got(format!("{statuses:?}"))
    })
}

/// Fails unless the answer is `status` with a non-empty `detail` string.
fn expect_error(reply: &Reply, status: u16) -> Result<(), Failure> {
    reply.expect_status(status)?;
    let body = reply.json()?;
    ensure(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        || {
            reply
                .fail("the error has no detail")
                .expected("{\"detail\": \"<what went wrong>\"}")
                .got(body.to_string())
        },
    )
}

/// The claims of a JWT (its second part).
fn claims_of(token: &str) -> Result<Value, Failure> {
    token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Failure::new("the token is not a JWT").got(token.to_owned()))
}

/// `Bearer <JWT>` with these claims, signed by `key` with `algorithm`.
fn forge(algorithm: Algorithm, claims: &Value, key: &str) -> String {
    let token = jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap_or_default();
    format!("Bearer {token}")
}

/// `JWT_SECRET`: 48 letters from the seed, so that the check knows the server's key.
fn secret_env(rng: &mut Rng) -> Vec<(String, String)> {
    let secret: String = std::iter::repeat_with(|| rng.word())
        .flat_map(|w| w.chars().collect::<Vec<_>>())
        .take(48)
        .collect();
    vec![("JWT_SECRET".into(), secret)]
}
