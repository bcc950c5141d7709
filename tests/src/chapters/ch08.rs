//! Chapter 08 — OAuth2 password flow: the token form, the current user, the active user.
//!
//! The fixture users are fixed by the contract (`johndoe` / `secret`, active; `alice` /
//! `secret2`, disabled); the wrong passwords, unknown usernames, bogus tokens, scopes, client
//! ids and new users come from the seed. A token in this chapter is the username itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

const FORM: &str = "application/x-www-form-urlencoded";
const INCORRECT: &str = "Incorrect username or password";
const INVALID: &str = "Invalid authentication credentials";

/// The checks of chapter 08, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    vec![
        // POST /token.
        token(),
        token_oauth2_fields(),
        token_wrong_password(),
        token_unknown_user(),
        token_disabled_user(),
        token_grant_type(),
        token_missing(),
        token_bad_input(),
        // POST /token-strict.
        token_strict(),
        // GET /users/me.
        users_me(),
        users_me_not_authenticated(),
        users_me_empty_credential(),
        users_me_invalid_token(),
        users_me_inactive(),
        users_me_header_forms(),
        // The document.
        openapi_security(),
        openapi_no_secrets(),
        // Exercises.
        ex_items(),
        ex_signup(),
        ex_signup_taken(),
        ex_signup_invalid(),
    ]
}

fn token() -> Check {
    Check::new(
        "08.token",
        "POST /token with johndoe / secret answers a bearer token",
    )
    .points(3)
    .hint(
        "Read the form (username, password) with Form<T> (FastAPI: OAuth2PasswordRequestForm), \
         find the user, compare the fake hash, and answer {\"access_token\": <username>, \
         \"token_type\": \"bearer\"}.",
    )
    .book("08-oauth2-password.html#logging-in")
    .run(|cx| async move {
        post_form(&cx, "/token", "username=johndoe&password=secret")
            .await?
            .expect_status(200)?
            .expect_json(&token_of("johndoe"))?;
        Ok(())
    })
}

fn token_oauth2_fields() -> Check {
    Check::new(
        "08.token.oauth2_fields",
        "the form takes grant_type, scope, client_id and client_secret, as OAuth2 clients send \
         them",
    )
    .points(2)
    .hint(
        "Declare every field of OAuth2PasswordRequestForm: grant_type (optional, \"password\"), \
         username, password, scope (default \"\"), client_id and client_secret (optional). Swagger \
         UI's Authorize dialog sends grant_type=password and an empty scope.",
    )
    .book("08-oauth2-password.html#the-login-form")
    .run(|cx| async move {
        // Swagger UI's default: client credentials in a Basic header, none in the form.
        let basic = format!("Basic {}", BASE64.encode(":"));
        cx.post("/token")
            .header("content-type", FORM)
            .header("authorization", &basic)
            .body("grant_type=password&scope=&username=johndoe&password=secret")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&token_of("johndoe"))?;
        // Or in the form, with scopes asked for.
        let scope = format!("{} {}", cx.word(), cx.word());
        let form = encode(&[
            ("grant_type", "password"),
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", &scope),
            ("client_id", &cx.word()),
            ("client_secret", &cx.word()),
        ]);
        post_form(&cx, "/token", &form)
            .await?
            .expect_status(200)?
            .expect_json(&token_of("johndoe"))?;
        Ok(())
    })
}

fn token_wrong_password() -> Check {
    Check::new(
        "08.token.wrong_password",
        "a wrong password for johndoe is 400 \"Incorrect username or password\"",
    )
    .points(2)
    .hint(
        "Compare fake_hash_password(form password) with the stored hash, and answer 400 with the \
         contract's message when they differ. The stored hash is not a password.",
    )
    .book("08-oauth2-password.html#logging-in")
    .run(|cx| async move {
        let guesses = [
            cx.word(),
            format!("secret{}", cx.word()),
            "secre".to_owned(),
            "Secret".to_owned(),
            "secret2".to_owned(),
            "fakehashedsecret".to_owned(),
        ];
        for password in guesses {
            let form = encode(&[("username", "johndoe"), ("password", &password)]);
            post_form(&cx, "/token", &form)
                .await?
                .expect_detail(400, INCORRECT)?;
        }
        Ok(())
    })
}

fn token_unknown_user() -> Check {
    Check::new(
        "08.token.unknown_user",
        "an unknown username is 400 with the same message",
    )
    .hint("Do not tell an unknown user from a wrong password: one status, one message.")
    .book("08-oauth2-password.html#logging-in")
    .run(|cx| async move {
        for username in [
            cx.word(),
            format!("johndoe{}", cx.word()),
            "JohnDoe".to_owned(),
        ] {
            let form = encode(&[("username", &username), ("password", "secret")]);
            post_form(&cx, "/token", &form)
                .await?
                .expect_detail(400, INCORRECT)?;
        }
        Ok(())
    })
}

fn token_disabled_user() -> Check {
    Check::new(
        "08.token.disabled_user",
        "alice, who is disabled, still gets a token",
    )
    .hint(
        "The login checks the password only; whether the user is active is checked where the token \
         is used.",
    )
    .book("08-oauth2-password.html#active-users-only")
    .run(|cx| async move {
        post_form(&cx, "/token", "username=alice&password=secret2")
            .await?
            .expect_status(200)?
            .expect_json(&token_of("alice"))?;
        Ok(())
    })
}

fn token_grant_type() -> Check {
    Check::new(
        "08.token.grant_type",
        "a grant_type other than \"password\" is 422 at [\"body\", \"grant_type\"]",
    )
    .points(2)
    .hint(
        "grant_type is optional, but when it is sent it must match ^password$ (FastAPI: \
         Form(pattern=\"^password$\")); an empty one counts as absent.",
    )
    .book("08-oauth2-password.html#the-login-form")
    .run(|cx| async move {
        for grant_type in [
            cx.word(),
            "client_credentials".to_owned(),
            "PASSWORD".to_owned(),
        ] {
            let form = encode(&[
                ("grant_type", &grant_type),
                ("username", "johndoe"),
                ("password", "secret"),
            ]);
            let reply = post_form(&cx, "/token", &form).await?;
            reply.expect_problem(
                &json!(["body", "grant_type"]),
                Some("string_pattern_mismatch"),
            )?;
        }
        post_form(
            &cx,
            "/token",
            "grant_type=&username=johndoe&password=secret",
        )
        .await?
        .expect_status(200)?;
        Ok(())
    })
}

fn token_missing() -> Check {
    Check::new(
        "08.token.missing",
        "a missing or empty username or password is 422 naming the field",
    )
    .hint("username and password are required form fields; an empty field counts as missing.")
    .book("08-oauth2-password.html#the-login-form")
    .run(|cx| async move {
        let password = cx.word();
        let reply = post_form(
            &cx,
            "/token",
            &encode(&[("username", ""), ("password", &password)]),
        )
        .await?;
        reply.expect_problem(&json!(["body", "username"]), Some("missing"))?;
        let reply = post_form(&cx, "/token", "username=johndoe").await?;
        reply.expect_problem(&json!(["body", "password"]), Some("missing"))?;
        Ok(())
    })
}

fn token_bad_input() -> Check {
    Check::new(
        "08.token.bad_input",
        "odd login requests are refused cleanly, never with a 500",
    )
    .hint(
        "A JSON body or no body is a 422; bytes that are not UTF-8 and huge values are just an \
         unknown user (400); of repeated fields the last counts.",
    )
    .book("08-oauth2-password.html#the-login-form")
    .run(|cx| async move {
        let reply = cx
            .post("/token")
            .json(&json!({"username": "johndoe", "password": "secret"}))
            .send()
            .await?;
        reply.expect_status(422)?;
        cx.post("/token").send().await?.expect_status(422)?;
        post_form(&cx, "/token", "username=%FF%FE&password=secret")
            .await?
            .expect_detail(400, INCORRECT)?;
        let huge = format!("username={}&password=secret", cx.word().repeat(20_000));
        post_form(&cx, "/token", &huge)
            .await?
            .expect_detail(400, INCORRECT)?;
        let repeated = encode(&[
            ("username", &cx.word()),
            ("password", &cx.word()),
            ("username", "johndoe"),
            ("password", "secret"),
        ]);
        post_form(&cx, "/token", &repeated)
            .await?
            .expect_status(200)?
            .expect_json(&token_of("johndoe"))?;
        Ok(())
    })
}

fn token_strict() -> Check {
    Check::new(
        "08.token_strict",
        "POST /token-strict requires grant_type=password",
    )
    .points(2)
    .hint(
        "The strict form (FastAPI's OAuth2PasswordRequestFormStrict) declares grant_type as a \
         required field matching ^password$.",
    )
    .book("08-oauth2-password.html#the-login-form")
    .run(|cx| async move {
        post_form(
            &cx,
            "/token-strict",
            "grant_type=password&username=johndoe&password=secret",
        )
        .await?
        .expect_status(200)?
        .expect_json(&token_of("johndoe"))?;
        let reply = post_form(&cx, "/token-strict", "username=johndoe&password=secret").await?;
        reply.expect_problem(&json!(["body", "grant_type"]), Some("missing"))?;
        let form = encode(&[
            ("grant_type", &cx.word()),
            ("username", "johndoe"),
            ("password", "secret"),
        ]);
        let reply = post_form(&cx, "/token-strict", &form).await?;
        reply.expect_problem(
            &json!(["body", "grant_type"]),
            Some("string_pattern_mismatch"),
        )?;
        let form = encode(&[
            ("grant_type", "password"),
            ("username", "johndoe"),
            ("password", &cx.word()),
        ]);
        post_form(&cx, "/token-strict", &form)
            .await?
            .expect_detail(400, INCORRECT)?;
        Ok(())
    })
}

fn users_me() -> Check {
    Check::new(
        "08.users_me",
        "GET /users/me with johndoe's token answers johndoe, without a password",
    )
    .points(3)
    .hint(
        "Declare an OAuth2 security scheme (token URL \"token\") whose checker finds the user \
         named by the token; answer a User type that has no password field.",
    )
    .book("08-oauth2-password.html#the-current-user")
    .run(|cx| async move {
        let token = log_in(&cx, "johndoe", "secret").await?;
        me(&cx, "/users/me", &[&format!("Bearer {token}")])
            .await?
            .expect_status(200)?
            .expect_json(&json!({
                "username": "johndoe",
                "email": "johndoe@example.com",
                "full_name": "John Doe",
                "disabled": false,
            }))?;
        Ok(())
    })
}

fn users_me_not_authenticated() -> Check {
    Check::new(
        "08.users_me.not_authenticated",
        "no bearer credentials is 401 \"Not authenticated\" with WWW-Authenticate: Bearer",
    )
    .points(2)
    .hint(
        "A missing Authorization header, or one with another scheme (Basic, or none at all): 401, \
         {\"detail\": \"Not authenticated\"}, WWW-Authenticate: Bearer.",
    )
    .book("08-oauth2-password.html#authorization-headers")
    .run(|cx| async move {
        expect_challenge(&me(&cx, "/users/me", &[]).await?, "Not authenticated")?;
        let basic = format!("Basic {}", BASE64.encode("johndoe:secret"));
        let scheme = format!("{} johndoe", cx.word());
        for header in [basic.as_str(), scheme.as_str(), "johndoe"] {
            expect_challenge(&me(&cx, "/users/me", &[header]).await?, "Not authenticated")?;
        }
        Ok(())
    })
}

fn users_me_empty_credential() -> Check {
    Check::new(
        "08.users_me.empty_credential",
        "\"Bearer\" with no token after it is 401 \"Not authenticated\"",
    )
    .hint(
        "A scheme without credentials is no credentials. FastAPI's OAuth2PasswordBearer hands an \
         empty token on to get_current_user: refuse it there as not authenticated.",
    )
    .book("08-oauth2-password.html#authorization-headers")
    .tag(Tag::EmptyCredential)
    .run(|cx| async move { empty_bearer(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { empty_bearer(&cx, Profile::Fastapi).await })
}

fn users_me_invalid_token() -> Check {
    Check::new(
        "08.users_me.invalid_token",
        "a token that names no user is 401 \"Invalid authentication credentials\" with \
         WWW-Authenticate: Bearer",
    )
    .points(2)
    .hint(
        "When the token names no user, raise 401 with the contract's message and the header \
         WWW-Authenticate: Bearer. Tokens are case-sensitive.",
    )
    .book("08-oauth2-password.html#the-current-user")
    .run(|cx| async move {
        let tokens = [
            cx.word(),
            format!("{}-{}", cx.word(), cx.rng(|r| r.between(1, 99_999))),
            format!("johndoe{}", cx.word()),
            "JohnDoe".to_owned(),
            "fakehashedsecret".to_owned(),
            cx.word().repeat(500),
        ];
        for token in tokens {
            expect_challenge(
                &me(&cx, "/users/me", &[&format!("Bearer {token}")]).await?,
                INVALID,
            )?;
        }
        Ok(())
    })
}

fn users_me_inactive() -> Check {
    Check::new(
        "08.users_me.inactive",
        "alice's token is 400 \"Inactive user\"",
    )
    .points(2)
    .hint(
        "Layer a second guard over the first (FastAPI's get_current_active_user): a disabled user \
         is refused with 400.",
    )
    .book("08-oauth2-password.html#active-users-only")
    .run(|cx| async move {
        let token = log_in(&cx, "alice", "secret2").await?;
        me(&cx, "/users/me", &[&format!("Bearer {token}")])
            .await?
            .expect_detail(400, "Inactive user")?;
        Ok(())
    })
}

fn users_me_header_forms() -> Check {
    Check::new(
        "08.users_me.header_forms",
        "the scheme is case-insensitive, spaces around the token are trimmed, the first header \
         counts",
    )
    .hint(
        "Match \"Bearer\" in any case, skip the spaces after it, and of two Authorization headers \
         use the first.",
    )
    .book("08-oauth2-password.html#authorization-headers")
    .run(|cx| async move {
        let john = json!({
            "username": "johndoe",
            "email": "johndoe@example.com",
            "full_name": "John Doe",
            "disabled": false,
        });
        for header in ["bearer johndoe", "BEARER johndoe", "Bearer    johndoe"] {
            me(&cx, "/users/me", &[header])
                .await?
                .expect_status(200)?
                .expect_json(&john)?;
        }
        let other = format!("Bearer {}", cx.word());
        me(&cx, "/users/me", &["Bearer johndoe", &other])
            .await?
            .expect_status(200)?
            .expect_json(&john)?;
        expect_challenge(
            &me(&cx, "/users/me", &[&other, "Bearer johndoe"]).await?,
            INVALID,
        )
    })
}

fn openapi_security() -> Check {
    Check::new(
        "08.openapi.security",
        "the document declares the OAuth2 password flow with token URL \"token\"",
    )
    .points(2)
    .hint(
        "Derive SecurityScheme with ty = \"oauth2\" and flows(password(token_url = \"token\")) \
         (FastAPI: OAuth2PasswordBearer(tokenUrl=\"token\")), and take it in GET /users/me; POST \
         /token takes a form with username and password.",
    )
    .book("08-oauth2-password.html#the-current-user")
    .run(|cx| async move {
        let doc = cx
            .get("/openapi.json")
            .send()
            .await?
            .expect_status(200)?
            .json()?;
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let password_flow = schemes
            .iter()
            .find(|(_, s)| s["type"] == "oauth2" && s["flows"]["password"]["tokenUrl"] == "token");
        let Some((name, _)) = password_flow else {
            return Err(Failure::new(
                "no OAuth2 security scheme with a password flow whose tokenUrl is \"token\"",
            )
            .expected(
                "components.securitySchemes.<name>: {\"type\": \"oauth2\", \"flows\": \
                 {\"password\": {\"tokenUrl\": \"token\"}}}",
            )
            .got(Value::Object(schemes).to_string()));
        };
        let security = &doc["paths"]["/users/me"]["get"]["security"];
        let required = security
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r.get(name).is_some());
        ensure(required, || {
            Failure::new(format!("GET /users/me does not require the scheme {name}"))
                .expected(format!("security: [{{\"{name}\": []}}]"))
                .got(security.to_string())
        })?;
        let body = &doc["paths"]["/token"]["post"]["requestBody"]["content"][FORM]["schema"];
        let schema = match body["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => &doc["components"]["schemas"][name],
            None => body,
        };
        let fields = ["username", "password"]
            .iter()
            .all(|f| schema["properties"][f].is_object());
        ensure(fields, || {
            Failure::new("POST /token does not take a form with username and password")
                .expected(format!(
                    "requestBody.content.\"{FORM}\" with properties username and password"
                ))
                .got(doc["paths"]["/token"]["post"]["requestBody"].to_string())
        })
    })
}

fn openapi_no_secrets() -> Check {
    Check::new(
        "08.openapi.no_secrets",
        "no response schema has a password or a hash",
    )
    .hint(
        "Answer a User type without the password hash: the type stored (UserInDb) is not the type \
         sent.",
    )
    .book("08-oauth2-password.html#the-current-user")
    .run(|cx| async move {
        let doc = cx
            .get("/openapi.json")
            .send()
            .await?
            .expect_status(200)?
            .json()?;
        let leaks = secret_properties(&doc);
        ensure(leaks.is_empty(), || {
            Failure::new("a response schema has a secret-looking property")
                .expected("no property named like password, hash or secret in any response schema")
                .got(leaks.join(", "))
        })
    })
}

fn ex_items() -> Check {
    Check::new(
        "08.ex.items",
        "GET /users/me/items/ answers the active user's items",
    )
    .points(2)
    .exercise()
    .hint(
        "Take the same current-active-user guard as GET /users/me and answer [{\"item_id\": \
         \"Foo\", \"owner\": <username>}].",
    )
    .book("08-oauth2-password.html#exercise-1-your-items")
    .run(|cx| async move {
        let token = log_in(&cx, "johndoe", "secret").await?;
        me(&cx, "/users/me/items/", &[&format!("Bearer {token}")])
            .await?
            .expect_status(200)?
            .expect_json(&json!([{"item_id": "Foo", "owner": "johndoe"}]))?;
        me(&cx, "/users/me/items/", &["Bearer alice"])
            .await?
            .expect_detail(400, "Inactive user")?;
        expect_challenge(
            &me(&cx, "/users/me/items/", &[]).await?,
            "Not authenticated",
        )?;
        expect_challenge(
            &me(&cx, "/users/me/items/", &[&format!("Bearer {}", cx.word())]).await?,
            INVALID,
        )
    })
}

fn ex_signup() -> Check {
    Check::new(
        "08.ex.signup",
        "POST /users/ creates a user who can then log in",
    )
    .points(3)
    .exercise()
    .hint(
        "Take {username, password, email, full_name} as JSON, store the fake hash of the password, \
         answer 201 with the user without the password; the new user then logs in at /token.",
    )
    .book("08-oauth2-password.html#exercise-2-sign-up")
    .run(|cx| async move {
        let (username, password) = (cx.word(), format!("{}-{}", cx.word(), cx.word()));
        let email = format!("{}@example.com", cx.word());
        let full_name = format!("{} {}", capitalized(&cx.word()), capitalized(&cx.word()));
        let public = json!({
            "username": username, "email": email, "full_name": full_name, "disabled": false
        });
        let new_user = json!({
            "username": username, "password": password, "email": email, "full_name": full_name
        });
        cx.post("/users/")
            .json(&new_user)
            .send()
            .await?
            .expect_status(201)?
            .expect_json(&public)?;
        let token = log_in(&cx, &username, &password).await?;
        me(&cx, "/users/me", &[&format!("Bearer {token}")])
            .await?
            .expect_status(200)?
            .expect_json(&public)?;
        let wrong = encode(&[("username", &username), ("password", &cx.word())]);
        post_form(&cx, "/token", &wrong)
            .await?
            .expect_detail(400, INCORRECT)?;
        Ok(())
    })
}

fn ex_signup_taken() -> Check {
    Check::new(
        "08.ex.signup.taken",
        "signing up with a taken username is 409 and changes nothing",
    )
    .exercise()
    .hint(
        "Refuse an existing username with 409 {\"detail\": \"Username already registered\"}, \
         johndoe included; keep the first user's password.",
    )
    .book("08-oauth2-password.html#exercise-2-sign-up")
    .run(|cx| async move {
        let (username, password) = (cx.word(), format!("{}-{}", cx.word(), cx.word()));
        cx.post("/users/")
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?
            .expect_status(201)?;
        let second = format!("{}-{}", cx.word(), cx.word());
        for name in [username.as_str(), "johndoe"] {
            cx.post("/users/")
                .json(&json!({"username": name, "password": second}))
                .send()
                .await?
                .expect_detail(409, "Username already registered")?;
        }
        log_in(&cx, &username, &password).await?;
        log_in(&cx, "johndoe", "secret").await?;
        Ok(())
    })
}

fn ex_signup_invalid() -> Check {
    Check::new(
        "08.ex.signup.invalid",
        "a bad sign-up is 422 naming the field",
    )
    .exercise()
    .hint(
        "Username: 3 to 32 of a-z, 0-9, '.', '_', '-'; password: at least 8 characters; email: an \
         email address.",
    )
    .book("08-oauth2-password.html#exercise-2-sign-up")
    .run(|cx| async move {
        let word = cx.word();
        let password = format!("{}-{}", cx.word(), cx.word());
        let cases = [
            (
                json!({"username": word.to_uppercase(), "password": password}),
                "username",
            ),
            (
                json!({"username": format!("{word} {word}"), "password": password}),
                "username",
            ),
            (json!({"username": "ab", "password": password}), "username"),
            (json!({"username": word, "password": "1234567"}), "password"),
            (
                json!({"username": word, "password": password, "email": word}),
                "email",
            ),
            (json!({"password": password}), "username"),
        ];
        for (body, field) in cases {
            let reply = cx.post("/users/").json(&body).send().await?;
            reply.expect_problem(&json!(["body", field]), None)?;
        }
        Ok(())
    })
}

fn token_of(username: &str) -> Value {
    json!({"access_token": username, "token_type": "bearer"})
}

/// URL-encodes a form, as a browser does (`+` for a space).
fn encode(fields: &[(&str, &str)]) -> String {
    let escape = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                other => format!("%{other:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", escape(name), escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// POSTs an URL-encoded form.
async fn post_form(cx: &Ctx, path: &str, form: &str) -> Result<Reply, Failure> {
    cx.post(path)
        .header("content-type", FORM)
        .body(form)
        .send()
        .await
}

/// Logs in at `/token` and returns the access token.
async fn log_in(cx: &Ctx, username: &str, password: &str) -> Result<String, Failure> {
    let reply = post_form(
        cx,
        "/token",
        &encode(&[("username", username), ("password", password)]),
    )
    .await?;
    let body = reply.expect_status(200)?.json()?;
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    ensure(
        !token.is_empty()
            && body["token_type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        || {
            reply
                .fail("the login answered no bearer token")
                .expected("{\"access_token\": \"...\", \"token_type\": \"bearer\"}")
                .got(body.to_string())
        },
    )?;
    Ok(token)
}

/// `GET path` with these `Authorization` headers, in order.
async fn me(cx: &Ctx, path: &str, authorization: &[&str]) -> Result<Reply, Failure> {
    let mut req = cx.get(path);
    for value in authorization {
        req = req.header("authorization", value);
    }
    req.send().await
}

/// Fails unless the answer is 401 `{"detail": detail}` with `WWW-Authenticate: Bearer`.
/// `Bearer` with no token is 401 Not authenticated; under the FastAPI profile the empty token
/// may also reach the user lookup, which refuses it as an invalid one.
async fn empty_bearer(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    for header in ["Bearer", "bearer   "] {
        let reply = me(cx, "/users/me", &[header]).await?;
        let invalid = reply.json().is_ok_and(|body| body["detail"] == INVALID);
        if profile == Profile::Fastapi && invalid {
            expect_challenge(&reply, INVALID)?;
            continue;
        }
        expect_challenge(&reply, "Not authenticated")?;
    }
    Ok(())
}

fn expect_challenge(reply: &Reply, detail: &str) -> Result<(), Failure> {
    reply.expect_detail(401, detail)?;
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    ensure(challenge == "Bearer", || {
        reply
            .fail("a 401 must say which credentials to send")
            .expected("WWW-Authenticate: Bearer")
            .got(format!("WWW-Authenticate: {challenge:?}"))
    })
}

/// `Schema.property` for every property of a schema that a response can reach (following
/// `$ref`s) whose name looks like a secret.
fn secret_properties(doc: &Value) -> Vec<String> {
    let mut todo: Vec<(String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                for (_, media) in response["content"].as_object().into_iter().flatten() {
                    let place = format!("{} {path} {status}", method.to_uppercase());
                    todo.push((place, media["schema"].clone()));
                }
            }
        }
    }
    let mut seen: Vec<String> = Vec::new();
    let mut leaks = Vec::new();
    while let Some((place, schema)) = todo.pop() {
        if let Some(name) = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            if !seen.iter().any(|s| s == name) {
                seen.push(name.to_owned());
                todo.push((name.to_owned(), doc["components"]["schemas"][name].clone()));
            }
            continue;
        }
        if schema["items"].is_object() {
            todo.push((place.clone(), schema["items"].clone()));
        }
        for (property, inner) in schema["properties"].as_object().into_iter().flatten() {
            let lower = property.to_ascii_lowercase();
            if ["password", "hash", "secret"]
                .iter()
                .any(|s| lower.contains(s))
            {
                leaks.push(format!("{place}.{property}"));
            }
            todo.push((format!("{place}.{property}"), inner.clone()));
        }
    }
    leaks
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_encoded_as_browsers_do() {
        assert_eq!(
            encode(&[("scope", "me items"), ("password", "a&b=c%")]),
            "scope=me+items&password=a%26b%3Dc%25"
        );
    }

    #[test]
    fn secret_properties_follow_refs_and_lists() {
        let doc = json!({
            "paths": {"/u": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/U"}}
            }}}}}}},
            "components": {"schemas": {"U": {"properties": {"name": {}, "hashed_password": {}}}}}
        });
        assert_eq!(secret_properties(&doc), vec!["U.hashed_password"]);
    }
}
