//! Chapter 10 — scopes: granted at login (only those the user holds), carried by the token,
//! checked by each operation, and named in every refusal's `WWW-Authenticate`.
//!
//! The order of the scopes in a challenge is free (`scope="me items"` or `scope="items me"`):
//! FastAPI lists an operation's own scopes before its dependencies'. Checks that sign tokens
//! start their own server with a known `JWT_SECRET`, as chapter 09's do.

use std::collections::BTreeSet;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::ch09::{
    access_token, b64, claims_for, expect_bearer_forms_accepted, expect_key_used,
    expect_password_flow, forge, form_post, handmade, letters, now, operation, part, secret_env,
    sign,
};
use crate::check::{Check, Ctx, Failure, Reply, ensure};

/// The checks of chapter 10, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = document_checks();
    checks.extend(login_checks());
    checks.extend(scope_checks());
    checks.extend(attack_checks());
    checks.extend(exercise_checks());
    checks
}

fn document_checks() -> Vec<Check> {
    vec![openapi_scopes(), openapi_operations()]
}

fn openapi_scopes() -> Check {
    Check::new(
        "10.openapi.scopes",
        "the OAuth2 scheme lists the scopes me and items with their descriptions",
    )
    .points(2)
    .hint(
        "Derive OAuthScopes on an enum (doc comment = description) and name it in \
         flows(password(token_url = \"token\", scopes = \"Scope\")) (FastAPI: \
         OAuth2PasswordBearer(tokenUrl=\"token\", scopes={\"me\": ..., \"items\": ...})).",
    )
    .book("10-scopes.html#scopes-in-the-document")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let flow = expect_password_flow(&doc)?;
        for (scope, description) in [
            ("me", "Read information about the current user."),
            ("items", "Read items."),
        ] {
            ensure(flow["scopes"][scope] == json!(description), || {
                Failure::new(format!(
                    "the password flow does not describe the scope {scope}"
                ))
                .expected(format!("scopes.{scope}: {description:?}"))
                .got(flow.to_string())
            })?;
        }
        Ok(())
    })
}

fn openapi_operations() -> Check {
    Check::new(
        "10.openapi.operations",
        "each operation declares the scopes it needs",
    )
    .points(2)
    .hint(
        "Mark the security parameter of each operation with #[oai(scope = \"Scope::Me\", ...)] \
         (FastAPI: Security(get_current_active_user, scopes=[\"me\"])): GET /users/me/ needs me, \
         GET /users/me/items/ me and items, GET /status/ none.",
    )
    .book("10-scopes.html#scopes-in-the-document")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for (path, needed) in [
            ("/users/me/", &["me"][..]),
            ("/users/me/items/", &["me", "items"]),
            ("/status/", &[]),
        ] {
            let op = operation(&doc, path, "get");
            let declared: Option<BTreeSet<String>> = op["security"]
                .as_array()
                .and_then(|reqs| reqs.first())
                .and_then(|req| req.as_object())
                .and_then(|req| req.values().next())
                .and_then(|scopes| scopes.as_array())
                .map(|scopes| {
                    scopes
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                });
            ensure(declared == Some(set(needed)), || {
                Failure::new(format!(
                    "GET {path} does not declare exactly the scopes it needs"
                ))
                .expected(format!("security: [{{\"<scheme>\": {}}}]", json!(needed)))
                .got(op["security"].to_string())
            })?;
        }
        Ok(())
    })
}

fn login_checks() -> Vec<Check> {
    vec![
        login_check(),
        login_order(),
        login_held_only(),
        login_nothing(),
        login_wrong_password(),
        login_odd_scopes(),
    ]
}

fn login_check() -> Check {
    Check::new(
        "10.login",
        "johndoe asking for \"me items\" gets a token with both, and \"scope\": \"me items\"",
    )
    .points(3)
    .hint(
        "Split the form's scope on whitespace, keep the scopes the user holds, put them in the \
         token's scopes claim (a JSON list; RFC 9068's space-separated scope string is \
         accepted too) and in the answer's scope.",
    )
    .book("10-scopes.html#granting-scopes-at-login")
    .run(|cx| async move {
        let (reply, body) = login(&cx, "johndoe", "secret", "me items").await?;
        expect_grant(&reply, &body, &["me", "items"])?;
        ensure(body["token_type"] == json!("bearer"), || {
            reply.fail("token_type is not bearer").got(body.to_string())
        })
    })
}

fn login_order() -> Check {
    Check::new(
        "10.login.order",
        "granted scopes keep the order asked, once each, whatever the whitespace between them",
    )
    .hint(
        "Split on any whitespace (str::split_whitespace; Python: str.split()), and skip a scope \
         already granted.",
    )
    .book("10-scopes.html#granting-scopes-at-login")
    .run(|cx| async move {
        let items_first = cx.rng(|r| r.between(0, 1)) == 1;
        let (asked, granted) = if items_first {
            ("items\tme  items\nme", ["items", "me"])
        } else {
            ("me \t items me items", ["me", "items"])
        };
        let (reply, body) = login(&cx, "johndoe", "secret", asked).await?;
        expect_grant(&reply, &body, &granted)
    })
}

fn login_held_only() -> Check {
    Check::new(
        "10.login.held_only",
        "a login gets only the scopes the user holds: alice asking for items gets me only",
    )
    .points(3)
    .hint(
        "Check the requested scopes at grant time against the user's own; never copy form.scopes \
         into the token.",
    )
    .book("10-scopes.html#granting-scopes-at-login")
    .run(|cx| async move {
        let unknown = cx.word();
        let (reply, body) = login(&cx, "johndoe", "secret", &format!("{unknown} me items")).await?;
        expect_grant(&reply, &body, &["me", "items"])?;
        let (reply, body) = login(&cx, "alice", "secret2", "me items").await?;
        expect_grant(&reply, &body, &["me"])
    })
}

fn login_nothing() -> Check {
    Check::new(
        "10.login.nothing",
        "a login that asks for no scope gets none: \"scope\": \"\"",
    )
    .hint("No scope field means an empty scope string, and an empty scopes claim.")
    .book("10-scopes.html#granting-scopes-at-login")
    .run(|cx| async move {
        let reply = form_post(
            &cx,
            "/token",
            &[("username", "johndoe"), ("password", "secret")],
        )
        .await?;
        let body = reply.expect_status(200)?.json()?;
        expect_grant(&reply, &body, &[])
    })
}

fn login_wrong_password() -> Check {
    Check::new(
        "10.login.wrong_password",
        "bad credentials are 401 Incorrect username or password, WWW-Authenticate: Bearer",
    )
    .hint("As in chapter 09.")
    .book("10-scopes.html#granting-scopes-at-login")
    .run(|cx| async move {
        let password = cx.word();
        let reply = form_post(
            &cx,
            "/token",
            &[
                ("username", "johndoe"),
                ("password", &password),
                ("scope", "me"),
            ],
        )
        .await?;
        reply.expect_detail(401, "Incorrect username or password")?;
        expect_challenge(&reply, &[], true)
    })
}

fn login_odd_scopes() -> Check {
    Check::new(
        "10.login.odd_scopes",
        "odd scope values are left out, never a 500",
    )
    .hint(
        "Bytes that are not UTF-8, a NUL inside a name, a repeated field (the last one counts): \
         grant what is held and valid, nothing else.",
    )
    .book("10-scopes.html#granting-scopes-at-login")
    .run(|cx| async move {
        for (body, granted) in [
            ("username=johndoe&password=secret&scope=%FF%FE+me", "me"),
            ("username=johndoe&password=secret&scope=me%00items", ""),
            (
                "username=johndoe&password=secret&scope=items&scope=me",
                "me",
            ),
        ] {
            let reply = cx
                .post("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await?;
            let json = reply.expect_status(200)?.json()?;
            ensure(json["scope"] == json!(granted), || {
                reply
                    .fail("the scopes granted are not the valid, held ones")
                    .expected(format!("\"scope\": {granted:?}"))
                    .got(json.to_string())
            })?;
        }
        Ok(())
    })
}

fn scope_checks() -> Vec<Check> {
    vec![
        users_me(),
        items(),
        status(),
        scope_missing(),
        invalid_token(),
        inactive(),
        not_authenticated(),
        authorization_forms(),
    ]
}

fn users_me() -> Check {
    Check::new(
        "10.users_me",
        "GET /users/me/ with a token granted me answers johndoe",
    )
    .points(2)
    .hint("The operation needs me: check the token's scopes, then the user.")
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        let token = scoped_token(&cx, "johndoe", "secret", "me").await?;
        let reply = get(&cx, "/users/me/", &token).await?;
        let john = json!({
            "username": "johndoe",
            "email": "johndoe@example.com",
            "full_name": "John Doe",
            "disabled": false,
        });
        reply.expect_status(200)?.expect_json(&john)?;
        Ok(())
    })
}

fn items() -> Check {
    Check::new(
        "10.items",
        "GET /users/me/items/ with a token granted me and items answers the items",
    )
    .points(2)
    .hint("The operation needs me and items.")
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        let token = scoped_token(&cx, "johndoe", "secret", "items me").await?;
        let reply = get(&cx, "/users/me/items/", &token).await?;
        reply
            .expect_status(200)?
            .expect_json(&json!([{"item_id": "Foo", "owner": "johndoe"}]))?;
        Ok(())
    })
}

fn status() -> Check {
    Check::new(
        "10.status",
        "GET /status/ needs a valid token and no scope, even for a disabled user",
    )
    .points(2)
    .hint(
        "Take the current user without scopes and without the active-user check; answer \
         {\"status\": \"ok\"}.",
    )
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        for (username, password) in [("johndoe", "secret"), ("alice", "secret2")] {
            let token = scoped_token(&cx, username, password, "").await?;
            get(&cx, "/status/", &token)
                .await?
                .expect_status(200)?
                .expect_json(&json!({"status": "ok"}))?;
        }
        Ok(())
    })
}

fn scope_missing() -> Check {
    Check::new(
        "10.scope.missing",
        "a token without a needed scope is 401 Not enough permissions, WWW-Authenticate: Bearer \
         scope=\"…\"",
    )
    .points(3)
    .hint(
        "For each scope the operation needs, refuse a token that lacks it with 401 {\"detail\": \
         \"Not enough permissions\"} and WWW-Authenticate: Bearer scope=\"<the operation's \
         scopes>\".",
    )
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        let me = scoped_token(&cx, "johndoe", "secret", "me").await?;
        let items = scoped_token(&cx, "johndoe", "secret", "items").await?;
        let none = scoped_token(&cx, "johndoe", "secret", "").await?;
        for (path, token, needed) in [
            ("/users/me/items/", &me, &["me", "items"][..]),
            ("/users/me/items/", &items, &["me", "items"]),
            ("/users/me/", &items, &["me"]),
            ("/users/me/", &none, &["me"]),
        ] {
            let reply = get(&cx, path, token).await?;
            reply.expect_detail(401, "Not enough permissions")?;
            expect_challenge(&reply, needed, false)?;
        }
        Ok(())
    })
}

fn invalid_token() -> Check {
    Check::new(
        "10.invalid_token",
        "a bad token is 401 Could not validate credentials, with the operation's scopes in the \
         challenge",
    )
    .points(2)
    .hint(
        "Build the challenge from the operation's scopes before checking the token: Bearer \
         scope=\"me\" on GET /users/me/, plain Bearer on GET /status/.",
    )
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        let garbage = letters(&cx, 40);
        for (path, needed) in [
            ("/users/me/", &["me"][..]),
            ("/users/me/items/", &["me", "items"]),
            ("/status/", &[]),
        ] {
            let reply = get(&cx, path, &garbage).await?;
            reply.expect_detail(401, "Could not validate credentials")?;
            expect_challenge(&reply, needed, needed.is_empty())?;
        }
        Ok(())
    })
}

fn inactive() -> Check {
    Check::new(
        "10.inactive",
        "alice with the scope me is refused as 400 Inactive user",
    )
    .hint("Scopes first, then the active-user check, as in FastAPI's get_current_active_user.")
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        let token = scoped_token(&cx, "alice", "secret2", "me").await?;
        get(&cx, "/users/me/", &token)
            .await?
            .expect_detail(400, "Inactive user")?;
        Ok(())
    })
}

fn not_authenticated() -> Check {
    Check::new(
        "10.not_authenticated",
        "no token, or Basic credentials: 401 Not authenticated with a plain Bearer challenge",
    )
    .hint(
        "A missing or non-Bearer Authorization header never reaches the scope check: 401 Not \
         authenticated, WWW-Authenticate: Bearer.",
    )
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        for path in ["/users/me/", "/users/me/items/", "/status/"] {
            let reply = cx.get(path).send().await?;
            reply.expect_detail(401, "Not authenticated")?;
            expect_challenge(&reply, &[], true)?;
            let reply = cx
                .get(path)
                .header("authorization", "Basic am9obmRvZTpzZWNyZXQ=")
                .send()
                .await?;
            reply.expect_detail(401, "Not authenticated")?;
            expect_challenge(&reply, &[], true)?;
        }
        Ok(())
    })
}

fn authorization_forms() -> Check {
    Check::new(
        "10.authorization.forms",
        "a lower-case bearer scheme and extra spaces are accepted",
    )
    .hint("Match the scheme case-insensitively and skip the spaces around the token.")
    .book("10-scopes.html#checking-scopes")
    .run(|cx| async move {
        let token = scoped_token(&cx, "johndoe", "secret", "me").await?;
        expect_bearer_forms_accepted(&cx, "/users/me/", &token).await
    })
}

fn attack_checks() -> Vec<Check> {
    vec![
        attack_tampered(),
        attack_alg_none(),
        attack_never_held(),
        attack_chapter_09(),
    ]
}

fn attack_tampered() -> Check {
    Check::new(
        "10.attack.tampered",
        "a real token with a scope added to its payload is refused",
    )
    .points(2)
    .hint("The signature covers the scopes claim: adding one breaks it.")
    .book("10-scopes.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/status/").await?;
        let token = scoped_token(&cx, "johndoe", "secret", "me").await?;
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims = part(&token, 1)?;
        set_scopes(&mut claims, &["me", "items"]);
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(&claims),
            parts.get(2).unwrap_or(&"")
        );
        let reply = get(&cx, "/users/me/items/", &tampered).await?;
        reply.expect_detail(401, "Could not validate credentials")?;
        expect_challenge(&reply, &["me", "items"], false)
    })
}

fn attack_alg_none() -> Check {
    Check::new(
        "10.attack.alg_none",
        "an unsigned token (alg none) granting every scope is refused",
    )
    .hint("Accept HS256 only, as in chapter 09.")
    .book("10-scopes.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/status/").await?;
        let mut claims = json!({"sub": "johndoe", "iat": now(), "exp": now() + 600});
        set_scopes(&mut claims, &["me", "items"]);
        let unsigned = handmade(&json!({"alg": "none", "typ": "JWT"}), &claims, "");
        let reply = get(&cx, "/users/me/items/", &unsigned).await?;
        reply.expect_detail(401, "Could not validate credentials")?;
        expect_challenge(&reply, &["me", "items"], false)
    })
}

fn attack_never_held() -> Check {
    Check::new(
        "10.attack.never_held",
        "a well-signed token claiming scopes the user never held is refused",
    )
    .points(2)
    .hint(
        "At use, a scope counts only if the token carries it AND the user holds it: alice never \
         holds items.",
    )
    .book("10-scopes.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/status/").await?;
        let mut claims = claims_for(&cx, "johndoe");
        set_scopes(&mut claims, &["me"]);
        get(&cx, "/users/me/", &forge(&cx, &claims))
            .await?
            .expect_status(200)?;
        let mut alice = claims_for(&cx, "alice");
        set_scopes(&mut alice, &["me", "items"]);
        let reply = get(&cx, "/users/me/items/", &forge(&cx, &alice)).await?;
        reply.expect_detail(401, "Not enough permissions")?;
        expect_challenge(&reply, &["me", "items"], false)
    })
}

fn attack_chapter_09() -> Check {
    Check::new(
        "10.attack.chapter_09",
        "expired, early, foreign, unsigned or ownerless tokens are refused, naming the scopes",
    )
    .points(2)
    .hint(
        "Chapter 09's checks, unchanged: HS256 only, exp and sub required, no leeway, nbf and iat \
         not in the future, a known user.",
    )
    .book("10-scopes.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/status/").await?;
        let base = || {
            let mut claims = claims_for(&cx, "johndoe");
            set_scopes(&mut claims, &["me"]);
            claims
        };
        let key = cx.env("JWT_SECRET");
        let mut tokens = Vec::new();
        for (claim, value) in [
            ("exp", json!(now() - 2)),
            ("nbf", json!(now() + 120)),
            ("iat", json!(now() + 120)),
            ("sub", json!(format!("{}{}", cx.word(), cx.word()))),
        ] {
            let mut claims = base();
            claims[claim] = value;
            tokens.push((format!("{claim} changed"), forge(&cx, &claims)));
        }
        for claim in ["exp", "sub"] {
            let mut claims = base();
            if let Some(object) = claims.as_object_mut() {
                object.remove(claim);
            }
            tokens.push((format!("no {claim}"), forge(&cx, &claims)));
        }
        tokens.push((
            "HS512".to_owned(),
            sign(Algorithm::HS512, &base(), key.as_bytes()),
        ));
        tokens.push((
            "another key".to_owned(),
            sign(Algorithm::HS256, &base(), letters(&cx, 48).as_bytes()),
        ));
        for (what, token) in tokens {
            let reply = get(&cx, "/users/me/", &token).await?;
            reply
                .expect_detail(401, "Could not validate credentials")
                .map_err(|f| Failure {
                    message: format!("{what}: {}", f.message),
                    ..f
                })?;
            expect_challenge(&reply, &["me"], false)?;
        }
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_write(), ex_admin(), ex_admin_forged()]
}

fn ex_write() -> Check {
    Check::new(
        "10.ex.write",
        "POST /items/ needs me and items:write: johndoe with both creates an item, with me items \
         is refused",
    )
    .points(2)
    .exercise()
    .hint(
        "Add the scope items:write, held by johndoe, and an operation POST /items/ that needs me \
         and items:write and answers 201 {\"item_id\", \"owner\"}.",
    )
    .book("10-scopes.html#exercise-1-a-scope-to-write")
    .run(|cx| async move {
        let item_id = cx.word();
        let writer = scoped_token(&cx, "johndoe", "secret", "me items:write").await?;
        let reply = cx
            .post("/items/")
            .header("authorization", &format!("Bearer {writer}"))
            .json(&json!({"item_id": item_id}))
            .send()
            .await?;
        reply
            .expect_status(201)?
            .expect_json(&json!({"item_id": item_id, "owner": "johndoe"}))?;
        let reader = scoped_token(&cx, "johndoe", "secret", "me items").await?;
        let reply = cx
            .post("/items/")
            .header("authorization", &format!("Bearer {reader}"))
            .json(&json!({"item_id": item_id}))
            .send()
            .await?;
        reply.expect_detail(401, "Not enough permissions")?;
        expect_challenge(&reply, &["me", "items:write"], false)
    })
}

fn ex_admin() -> Check {
    Check::new(
        "10.ex.admin",
        "GET /admin/users/ needs admin, which a login never grants",
    )
    .points(2)
    .exercise()
    .hint(
        "Declare the scope admin, held by nobody, and an operation that needs it: asking for admin \
         at login gets nothing, and the operation refuses every token.",
    )
    .book("10-scopes.html#exercise-2-a-scope-nobody-holds")
    .run(|cx| async move {
        let (reply, body) = login(&cx, "johndoe", "secret", "admin me").await?;
        expect_grant(&reply, &body, &["me"])?;
        let token = body["access_token"].as_str().unwrap_or_default().to_owned();
        let reply = get(&cx, "/admin/users/", &token).await?;
        reply.expect_detail(401, "Not enough permissions")?;
        expect_challenge(&reply, &["admin"], false)
    })
}

fn ex_admin_forged() -> Check {
    Check::new(
        "10.ex.admin.forged",
        "a well-signed token claiming admin is refused too: nobody holds it",
    )
    .exercise()
    .hint("Check at use that the user holds each needed scope, not only that the token says so.")
    .book("10-scopes.html#exercise-2-a-scope-nobody-holds")
    .server_env(secret_env)
    .run(|cx| async move {
        let mut claims = claims_for(&cx, "johndoe");
        set_scopes(&mut claims, &["me", "items", "admin"]);
        let reply = get(&cx, "/admin/users/", &forge(&cx, &claims)).await?;
        reply.expect_detail(401, "Not enough permissions")?;
        expect_challenge(&reply, &["admin"], false)
    })
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// `POST /token` asking for `scope`; the reply and its JSON body (200 expected).
async fn login(
    cx: &Ctx,
    username: &str,
    password: &str,
    scope: &str,
) -> Result<(Reply, Value), Failure> {
    let reply = form_post(
        cx,
        "/token",
        &[
            ("username", username),
            ("password", password),
            ("scope", scope),
        ],
    )
    .await?;
    let body = reply.expect_status(200)?.json()?;
    Ok((reply, body))
}

/// A token granted what `scope` asks for (and the user holds).
async fn scoped_token(
    cx: &Ctx,
    username: &str,
    password: &str,
    scope: &str,
) -> Result<String, Failure> {
    if scope.is_empty() {
        return access_token(cx, username, password).await;
    }
    let (reply, body) = login(cx, username, password, scope).await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            reply
                .fail("the login answer has no access_token")
                .got(body.to_string())
        })
}

async fn get(cx: &Ctx, path: &str, token: &str) -> Result<Reply, Failure> {
    cx.get(path)
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await
}

/// Fails unless the answer's `scope` and the token's `scopes` claim are `granted`, in order.
fn expect_grant(reply: &Reply, body: &Value, granted: &[&str]) -> Result<(), Failure> {
    ensure(body["scope"] == json!(granted.join(" ")), || {
        reply
            .fail("the answer's scope is not the scopes granted")
            .expected(format!("\"scope\": {:?}", granted.join(" ")))
            .got(body.to_string())
    })?;
    let claims = part(body["access_token"].as_str().unwrap_or_default(), 1)?;
    // The tutorial's `scopes` list, or RFC 9068's space-separated `scope` string.
    let listed = claims["scopes"] == json!(granted);
    let spaced = claims["scope"] == json!(granted.join(" "));
    ensure(listed || spaced, || {
        reply
            .fail("the token's scopes claim is not the scopes granted")
            .expected(format!(
                "\"scopes\": {} (or RFC 9068's \"scope\": {:?})",
                json!(granted),
                granted.join(" ")
            ))
            .got(claims.to_string())
    })
}

/// Puts `scopes` in forged claims in both forms a server may read: the tutorial's `scopes`
/// list and RFC 9068's space-separated `scope` string.
fn set_scopes(claims: &mut Value, scopes: &[&str]) {
    claims["scopes"] = json!(scopes);
    claims["scope"] = json!(scopes.join(" "));
}

/// Fails unless `WWW-Authenticate` is `Bearer` (when `plain`) or `Bearer scope="…"` naming
/// exactly `needed`, in any order.
fn expect_challenge(reply: &Reply, needed: &[&str], plain: bool) -> Result<(), Failure> {
    let got = reply.header("www-authenticate").unwrap_or_default();
    let expected = if plain {
        "Bearer".to_owned()
    } else {
        format!("Bearer scope=\"{}\"", needed.join(" "))
    };
    let ok = if plain {
        got == "Bearer"
    } else {
        got.strip_prefix("Bearer scope=\"")
            .and_then(|rest| rest.strip_suffix('"'))
            .is_some_and(|names| {
                names.split(' ').map(str::to_owned).collect::<BTreeSet<_>>() == set(needed)
            })
    };
    ensure(ok, || {
        reply
            .fail("the WWW-Authenticate challenge does not name the operation's scopes")
            .expected(format!("WWW-Authenticate: {expected}"))
            .got(format!("WWW-Authenticate: {got}"))
    })
}
