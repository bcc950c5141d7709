//! Chapter 07 — security first steps: an OAuth2 bearer scheme, HTTP Basic, and the 401s that
//! tell a client how to authenticate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 07, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    vec![
        // The schemes in the OpenAPI document.
        openapi_oauth2(),
        openapi_basic(),
        // The bearer token.
        items_token(),
        items_missing(),
        items_other_schemes(),
        items_empty_credential(),
        items_lenient(),
        items_first_header(),
        users_me(),
        users_me_missing(),
        // HTTP Basic.
        basic_me(),
        basic_missing(),
        basic_malformed(),
        basic_checked(),
        basic_checked_wrong(),
        basic_checked_missing(),
        bad_input(),
        // Exercises.
        ex_api_key(),
        ex_api_key_refused(),
        ex_api_key_document(),
        ex_either_bearer(),
        ex_either_basic(),
        ex_either_missing(),
        ex_either_document(),
    ]
}

fn openapi_oauth2() -> Check {
    Check::new(
        "07.openapi.oauth2",
        "the document declares OAuth2 (password flow, tokenUrl \"token\") on GET /items/",
    )
    .points(2)
    .hint(
        "Declare an oauth2 security scheme with a password flow whose tokenUrl is \"token\" \
         (poem-openapi: #[derive(SecurityScheme)] #[oai(ty = \"oauth2\", flows(password(token_url \
         = \"token\")))]; FastAPI: OAuth2PasswordBearer(tokenUrl=\"token\")) and take it as an \
         argument of the operation.",
    )
    .book("07-security-first-steps.html#the-oauth2-scheme")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let names = schemes(&doc, |s| {
            s["type"] == "oauth2" && s["flows"]["password"]["tokenUrl"] == "token"
        });
        ensure(!names.is_empty(), || {
            Failure::new("no oauth2 scheme with a password flow and tokenUrl \"token\"")
                .expected(
                    "components.securitySchemes.<name>: {\"type\": \"oauth2\", \"flows\": \
                     {\"password\": {\"tokenUrl\": \"token\"}}}",
                )
                .got(format!(
                    "securitySchemes: {}",
                    doc["components"]["securitySchemes"]
                ))
        })?;
        for path in ["/items/", "/users/me"] {
            expect_alternative(&doc, path, &names)?;
        }
        Ok(())
    })
}

fn openapi_basic() -> Check {
    Check::new(
        "07.openapi.basic",
        "the document also declares HTTP Basic, on the /basic/ operations",
    )
    .points(2)
    .hint(
        "A second scheme beside OAuth2: {\"type\": \"http\", \"scheme\": \"basic\"} (poem-openapi: \
         #[oai(ty = \"basic\")]; FastAPI: HTTPBasic()), so that Authorize in /docs offers both.",
    )
    .book("07-security-first-steps.html#http-basic")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let names = schemes(&doc, |s| {
            s["type"] == "http"
                && s["scheme"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case("basic"))
        });
        ensure(!names.is_empty(), || {
            Failure::new("no HTTP Basic scheme")
                .expected(
                    "components.securitySchemes.<name>: {\"type\": \"http\", \"scheme\": \
                     \"basic\"}",
                )
                .got(format!(
                    "securitySchemes: {}",
                    doc["components"]["securitySchemes"]
                ))
        })?;
        for path in ["/basic/users/me", "/basic/users/me_checked"] {
            expect_alternative(&doc, path, &names)?;
        }
        Ok(())
    })
}

// ANCHOR: first_check
fn items_token() -> Check {
    Check::new(
        "07.items.token",
        "GET /items/ answers the bearer token it was sent",
    )
    .points(3)
    .hint("Take the OAuth2 scheme as an argument and answer {\"token\": <the token>}.")
    .book("07-security-first-steps.html#reading-the-token")
    .run(|cx| async move {
        let token = token(&cx);
        cx.get("/items/")
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"token": token}))?;
        Ok(())
    })
}
// ANCHOR_END: first_check

fn items_missing() -> Check {
    Check::new(
        "07.items.missing",
        "GET /items/ without Authorization is 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .points(2)
    .hint(
        "The scheme refuses the request before the operation runs: 401, {\"detail\": \"Not \
         authenticated\"} and the Bearer challenge (kit::FastapiErrors does it; so does FastAPI's \
         OAuth2PasswordBearer).",
    )
    .book("07-security-first-steps.html#reading-the-token")
    .run(|cx| async move {
        expect_refused(
            &cx.get("/items/").send().await?,
            "Not authenticated",
            "Bearer",
        )
    })
}

fn items_other_schemes() -> Check {
    Check::new(
        "07.items.other_schemes",
        "GET /items/ refuses Basic, other schemes and a missing space with the Bearer challenge",
    )
    .points(2)
    .hint(
        "Only `Bearer <token>` is a bearer token: Basic credentials, `Token x` or `Bearerx` are \
         401 {\"detail\": \"Not authenticated\"} with WWW-Authenticate: Bearer.",
    )
    .book("07-security-first-steps.html#what-the-authorization-header-may-look-like")
    .run(|cx| async move {
        let token = token(&cx);
        let basic = basic(&format!("{}:{}", cx.word(), cx.word()));
        for value in [
            basic,
            format!("Token {token}"),
            format!("Bearer{token}"),
            format!("Digest {token}"),
        ] {
            let reply = cx
                .get("/items/")
                .header("Authorization", &value)
                .send()
                .await?;
            expect_refused(&reply, "Not authenticated", "Bearer")?;
        }
        Ok(())
    })
}

fn items_empty_credential() -> Check {
    Check::new(
        "07.items.empty_credential",
        "Authorization: Bearer (no token) is 401 Not authenticated",
    )
    .hint(
        "A scheme with nothing after it carries no credential: refuse it like a missing header. \
         (FastAPI's OAuth2PasswordBearer lets it through with an empty token; the workbook does \
         not: check `if not token` in a dependency.)",
    )
    .book("07-security-first-steps.html#what-the-authorization-header-may-look-like")
    .tag(Tag::EmptyCredential)
    .run(|cx| async move { empty_bearer(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { empty_bearer(&cx, Profile::Fastapi).await })
}

fn items_lenient() -> Check {
    Check::new(
        "07.items.lenient",
        "the scheme is matched in any case and extra spaces before the token are skipped",
    )
    .hint(
        "`bearer x`, `BEARER x` and `Bearer    x` all carry the token `x` (RFC 9110: the scheme is \
         case-insensitive; RFC 6750 allows several spaces).",
    )
    .book("07-security-first-steps.html#what-the-authorization-header-may-look-like")
    .run(|cx| async move {
        let token = token(&cx);
        for value in [
            format!("bearer {token}"),
            format!("BEARER {token}"),
            format!("Bearer    {token}"),
        ] {
            cx.get("/items/")
                .header("Authorization", &value)
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"token": token}))?;
        }
        Ok(())
    })
}

fn items_first_header() -> Check {
    Check::new(
        "07.items.first_header",
        "of two Authorization headers, the first one counts",
    )
    .hint(
        "Read the first Authorization header, as Starlette's request.headers.get does; a later one \
         cannot change the answer.",
    )
    .book("07-security-first-steps.html#what-the-authorization-header-may-look-like")
    .run(|cx| async move {
        let (first, second) = (token(&cx), token(&cx));
        cx.get("/items/")
            .header("Authorization", &format!("Bearer {first}"))
            .header("Authorization", &format!("Bearer {second}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"token": first}))?;
        let reply = cx
            .get("/items/")
            .header(
                "Authorization",
                &basic(&format!("{}:{}", cx.word(), cx.word())),
            )
            .header("Authorization", &format!("Bearer {second}"))
            .send()
            .await?;
        expect_refused(&reply, "Not authenticated", "Bearer")
    })
}

fn users_me() -> Check {
    Check::new(
        "07.users.me",
        "GET /users/me answers the fake-decoded user of the token",
    )
    .points(3)
    .hint(
        "Answer {\"username\": <token> + \"fakedecoded\", \"email\": \"john@example.com\", \
         \"full_name\": \"John Doe\", \"disabled\": null}, members in that order.",
    )
    .book("07-security-first-steps.html#the-current-user-faked")
    .run(|cx| async move {
        let token = token(&cx);
        let expected = json!({
            "username": format!("{token}fakedecoded"),
            "email": "john@example.com",
            "full_name": "John Doe",
            "disabled": null,
        });
        let reply = cx
            .get("/users/me")
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply.expect_status(200)?.expect_json(&expected)?;
        let order: Vec<String> = reply
            .json()?
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        ensure(
            order == ["username", "email", "full_name", "disabled"],
            || {
                reply
                    .fail("the members are not in the declared order")
                    .expected("username, email, full_name, disabled")
                    .got(order.join(", "))
            },
        )
    })
}

fn users_me_missing() -> Check {
    Check::new(
        "07.users.me.missing",
        "GET /users/me without a bearer token is 401 Not authenticated",
    )
    .hint("The same scheme guards /users/me: no token, no user.")
    .book("07-security-first-steps.html#the-current-user-faked")
    .run(|cx| async move {
        expect_refused(
            &cx.get("/users/me").send().await?,
            "Not authenticated",
            "Bearer",
        )?;
        let reply = cx
            .get("/users/me")
            .header(
                "Authorization",
                &basic(&format!("{}:{}", cx.word(), cx.word())),
            )
            .send()
            .await?;
        expect_refused(&reply, "Not authenticated", "Bearer")
    })
}

fn basic_me() -> Check {
    Check::new(
        "07.basic.me",
        "GET /basic/users/me answers the decoded username and password",
    )
    .points(2)
    .hint(
        "Take the Basic scheme as an argument and answer {\"username\": ..., \"password\": ...}. \
         The password is everything after the FIRST colon, and may be empty.",
    )
    .book("07-security-first-steps.html#http-basic")
    .run(|cx| async move {
        let (username, password) = (
            cx.word(),
            format!("{}:{}", cx.word(), cx.rng(|r| r.between(0, 999))),
        );
        for (username, password) in [(username.clone(), password), (username, String::new())] {
            cx.get("/basic/users/me")
                .header("Authorization", &basic(&format!("{username}:{password}")))
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"username": username, "password": password}))?;
        }
        Ok(())
    })
}

fn basic_missing() -> Check {
    Check::new(
        "07.basic.missing",
        "GET /basic/users/me without Authorization is 401 Not authenticated, WWW-Authenticate: \
         Basic",
    )
    .points(2)
    .hint(
        "The Basic challenge is what makes a browser show its login box: 401, {\"detail\": \"Not \
         authenticated\"}, WWW-Authenticate: Basic.",
    )
    .book("07-security-first-steps.html#http-basic")
    .run(|cx| async move {
        expect_refused(
            &cx.get("/basic/users/me").send().await?,
            "Not authenticated",
            "Basic",
        )
    })
}

fn basic_malformed() -> Check {
    Check::new(
        "07.basic.malformed",
        "Basic values that are not base64, have no colon or use another scheme are 401 Not \
         authenticated",
    )
    .points(2)
    .hint(
        "Decode the base64 and split at the first colon; if either step fails (or the scheme is \
         not Basic), answer 401 {\"detail\": \"Not authenticated\"} with WWW-Authenticate: Basic — \
         never a 500.",
    )
    .book("07-security-first-steps.html#what-the-authorization-header-may-look-like")
    .run(|cx| async move {
        let word = cx.word();
        for value in [
            format!("Basic !{word}!"),
            basic(&word),
            "Basic".to_owned(),
            format!("Bearer {}", STANDARD.encode(format!("{word}:{word}"))),
            format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', 0xfd])),
        ] {
            let reply = cx
                .get("/basic/users/me")
                .header("Authorization", &value)
                .send()
                .await?;
            expect_refused(&reply, "Not authenticated", "Basic")?;
        }
        Ok(())
    })
}

fn basic_checked() -> Check {
    Check::new(
        "07.basic.checked",
        "GET /basic/users/me_checked lets stanleyjobson / swordfish in",
    )
    .points(2)
    .hint(
        "Compare the username with \"stanleyjobson\" and the password with \"swordfish\", both in \
         constant time, and answer {\"username\": \"stanleyjobson\"}.",
    )
    .book("07-security-first-steps.html#checking-a-password-in-constant-time")
    .run(|cx| async move {
        cx.get("/basic/users/me_checked")
            .header("Authorization", &basic("stanleyjobson:swordfish"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"username": "stanleyjobson"}))?;
        Ok(())
    })
}

fn basic_checked_wrong() -> Check {
    Check::new(
        "07.basic.checked.wrong",
        "wrong Basic credentials are 401 Incorrect username or password, WWW-Authenticate: Basic",
    )
    .points(2)
    .hint(
        "Any other pair — another user, another password, a prefix, a longer one, another case — \
         is 401 {\"detail\": \"Incorrect username or password\"} with WWW-Authenticate: Basic.",
    )
    .book("07-security-first-steps.html#checking-a-password-in-constant-time")
    .run(|cx| async move {
        let (user, pass) = (cx.word(), cx.word());
        for pair in [
            format!("{user}:{pass}"),
            format!("stanleyjobson:{pass}"),
            format!("{user}:swordfish"),
            "stanleyjobson:swordfis".to_owned(),
            "stanleyjobson:swordfish1".to_owned(),
            "StanleyJobson:swordfish".to_owned(),
            "swordfish:stanleyjobson".to_owned(),
            "stanleyjobson:".to_owned(),
        ] {
            let reply = cx
                .get("/basic/users/me_checked")
                .header("Authorization", &basic(&pair))
                .send()
                .await?;
            expect_refused(&reply, "Incorrect username or password", "Basic")?;
        }
        Ok(())
    })
}

fn basic_checked_missing() -> Check {
    Check::new(
        "07.basic.checked.missing",
        "GET /basic/users/me_checked without credentials is 401 Not authenticated",
    )
    .hint(
        "Missing credentials are not wrong credentials: the scheme answers {\"detail\": \"Not \
         authenticated\"} before any comparison.",
    )
    .book("07-security-first-steps.html#checking-a-password-in-constant-time")
    .run(|cx| async move {
        expect_refused(
            &cx.get("/basic/users/me_checked").send().await?,
            "Not authenticated",
            "Basic",
        )
    })
}

fn bad_input() -> Check {
    Check::new(
        "07.bad_input",
        "odd and oversized credentials are answered, never with a 500",
    )
    .hint(
        "A long token is still a token; a long or broken Basic value is still just not \
         authenticated. Nothing in a header may crash the server.",
    )
    .book("07-security-first-steps.html#what-the-authorization-header-may-look-like")
    .run(|cx| async move {
        let long: String = (0..6000)
            .map(|i| if i % 7 == 0 { '-' } else { 'k' })
            .collect();
        let long = format!("{}{long}", cx.word());
        cx.get("/items/")
            .header("Authorization", &format!("Bearer {long}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"token": long}))?;
        let symbols = format!("{}.~+/=_-{}", cx.word(), cx.rng(|r| r.between(0, 999)));
        cx.get("/items/")
            .header("Authorization", &format!("Bearer {symbols}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"token": symbols}))?;
        for value in [
            format!("Basic {}", "A".repeat(6001)),
            "Basic ====".to_owned(),
            "Basic :".to_owned(),
        ] {
            let reply = cx
                .get("/basic/users/me")
                .header("Authorization", &value)
                .send()
                .await?;
            expect_refused(&reply, "Not authenticated", "Basic")?;
        }
        cx.get("/basic/users/me_checked")
            .header("Authorization", &basic("stanleyjobson:swordfish"))
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn ex_api_key() -> Check {
    Check::new(
        "07.ex.api_key",
        "GET /api-key/items/ with X-API-Key: fake-super-secret-api-key lists the items",
    )
    .points(2)
    .exercise()
    .hint(
        "Declare an api_key scheme in the X-API-Key header, accept fake-super-secret-api-key \
         (compared in constant time) and answer [{\"item\": \"Foo\"}, {\"item\": \"Bar\"}]. Header \
         names are case-insensitive.",
    )
    .book("07-security-first-steps.html#exercise-1-an-api-key")
    .run(|cx| async move {
        for name in ["X-API-Key", "x-api-key"] {
            cx.get("/api-key/items/")
                .header(name, API_KEY)
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!([{"item": "Foo"}, {"item": "Bar"}]))?;
        }
        Ok(())
    })
}

fn ex_api_key_refused() -> Check {
    Check::new(
        "07.ex.api_key.refused",
        "a missing key is 401 Not authenticated, a wrong one 401 Invalid API key",
    )
    .points(2)
    .exercise()
    .hint(
        "No X-API-Key: 401 {\"detail\": \"Not authenticated\"}. Any other key, even one character \
         off: 401 {\"detail\": \"Invalid API key\"} with WWW-Authenticate: APIKey.",
    )
    .book("07-security-first-steps.html#exercise-1-an-api-key")
    .run(|cx| async move {
        cx.get("/api-key/items/")
            .send()
            .await?
            .expect_detail(401, "Not authenticated")?;
        let prefix = &API_KEY[..API_KEY.len() - 1];
        for key in [
            cx.word(),
            format!("{API_KEY}{}", cx.word()),
            prefix.to_owned(),
            API_KEY.to_uppercase(),
        ] {
            let reply = cx
                .get("/api-key/items/")
                .header("X-API-Key", &key)
                .send()
                .await?;
            expect_refused(&reply, "Invalid API key", "APIKey")?;
        }
        Ok(())
    })
}

fn ex_api_key_document() -> Check {
    Check::new(
        "07.ex.api_key.document",
        "the document declares the X-API-Key scheme on GET /api-key/items/",
    )
    .exercise()
    .hint(
        "#[oai(ty = \"api_key\", key_name = \"X-API-Key\", key_in = \"header\")] (FastAPI: \
         APIKeyHeader(name=\"X-API-Key\")), so that Authorize in /docs asks for the key.",
    )
    .book("07-security-first-steps.html#exercise-1-an-api-key")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let names = schemes(&doc, |s| {
            s["type"] == "apiKey"
                && s["in"] == "header"
                && s["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
        });
        ensure(!names.is_empty(), || {
            Failure::new("no apiKey scheme in the X-API-Key header")
                .expected("{\"type\": \"apiKey\", \"in\": \"header\", \"name\": \"X-API-Key\"}")
                .got(format!(
                    "securitySchemes: {}",
                    doc["components"]["securitySchemes"]
                ))
        })?;
        expect_alternative(&doc, "/api-key/items/", &names)
    })
}

fn ex_either_bearer() -> Check {
    Check::new(
        "07.ex.either.bearer",
        "GET /either/users/me takes a bearer token",
    )
    .points(2)
    .exercise()
    .hint(
        "With Authorization: Bearer <token>, answer {\"scheme\": \"bearer\", \"username\": <token> \
         + \"fakedecoded\"}.",
    )
    .book("07-security-first-steps.html#exercise-2-bearer-or-basic")
    .run(|cx| async move {
        let token = token(&cx);
        cx.get("/either/users/me")
            .header("Authorization", &format!("bearer {token}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"scheme": "bearer", "username": format!("{token}fakedecoded")}))?;
        Ok(())
    })
}

fn ex_either_basic() -> Check {
    Check::new(
        "07.ex.either.basic",
        "GET /either/users/me takes stanleyjobson's Basic credentials, and only those",
    )
    .points(2)
    .exercise()
    .hint(
        "With Authorization: Basic ..., check the pair as /basic/users/me_checked does: \
         {\"scheme\": \"basic\", \"username\": \"stanleyjobson\"}, or 401 Incorrect username or \
         password with WWW-Authenticate: Basic.",
    )
    .book("07-security-first-steps.html#exercise-2-bearer-or-basic")
    .run(|cx| async move {
        cx.get("/either/users/me")
            .header("Authorization", &basic("stanleyjobson:swordfish"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"scheme": "basic", "username": "stanleyjobson"}))?;
        let reply = cx
            .get("/either/users/me")
            .header(
                "Authorization",
                &basic(&format!("stanleyjobson:{}", cx.word())),
            )
            .send()
            .await?;
        expect_refused(&reply, "Incorrect username or password", "Basic")
    })
}

fn ex_either_missing() -> Check {
    Check::new(
        "07.ex.either.missing",
        "GET /either/users/me without credentials is 401 Not authenticated with a challenge",
    )
    .exercise()
    .hint(
        "Neither scheme matched: 401 {\"detail\": \"Not authenticated\"}, with WWW-Authenticate \
         naming Bearer or Basic.",
    )
    .book("07-security-first-steps.html#exercise-2-bearer-or-basic")
    .run(|cx| async move {
        for reply in [
            cx.get("/either/users/me").send().await?,
            cx.get("/either/users/me")
                .header("Authorization", &format!("Digest {}", cx.word()))
                .send()
                .await?,
        ] {
            reply.expect_detail(401, "Not authenticated")?;
            let challenge = reply
                .header("www-authenticate")
                .unwrap_or_default()
                .to_ascii_lowercase();
            ensure(
                challenge.contains("bearer") || challenge.contains("basic"),
                || {
                    reply
                        .fail("the 401 does not say which scheme to use")
                        .expected("WWW-Authenticate: Bearer (or Basic)")
                        .got(format!("WWW-Authenticate: {challenge}"))
                },
            )?;
        }
        Ok(())
    })
}

fn ex_either_document() -> Check {
    Check::new(
        "07.ex.either.document",
        "the document offers OAuth2 or Basic on GET /either/users/me",
    )
    .exercise()
    .hint(
        "Two alternatives are two entries of the operation's security list: [{\"OAuth2...\": []}, \
         {\"HTTPBasic\": []}] (poem-openapi: a SecurityScheme enum; FastAPI: a dependency on both \
         schemes with auto_error=False lists each as an entry).",
    )
    .book("07-security-first-steps.html#exercise-2-bearer-or-basic")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let oauth2 = schemes(&doc, |s| s["type"] == "oauth2");
        let basic = schemes(&doc, |s| {
            s["type"] == "http"
                && s["scheme"]
                    .as_str()
                    .is_some_and(|v| v.eq_ignore_ascii_case("basic"))
        });
        expect_alternative(&doc, "/either/users/me", &oauth2)?;
        expect_alternative(&doc, "/either/users/me", &basic)
    })
}

/// The key of exercise 1.
const API_KEY: &str = "fake-super-secret-api-key";

/// A token drawn from the check's stream, with the characters tokens often hold.
fn token(cx: &Ctx) -> String {
    format!(
        "{}-{}.{}",
        cx.word(),
        cx.rng(|r| r.between(0, 99_999)),
        cx.word()
    )
}

/// `Basic <base64 of text>`.
fn basic(text: &str) -> String {
    format!("Basic {}", STANDARD.encode(text))
}

/// Fails unless `reply` is 401 `{"detail": message}` with a `WWW-Authenticate` naming `scheme`.
/// `Authorization: Bearer` alone is refused as not authenticated; under the FastAPI profile
/// it may also be read as the empty token, as OAuth2PasswordBearer reads it.
async fn empty_bearer(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let empty_token = [
        ("/items/", json!({"token": ""})),
        (
            "/users/me",
            json!({
                "username": "fakedecoded",
                "email": "john@example.com",
                "full_name": "John Doe",
                "disabled": null,
            }),
        ),
    ];
    for (path, as_empty_token) in empty_token {
        let reply = cx
            .get(path)
            .header("Authorization", "Bearer")
            .send()
            .await?;
        if profile == Profile::Fastapi && reply.status == 200 {
            reply.expect_json(&as_empty_token)?;
            continue;
        }
        expect_refused(&reply, "Not authenticated", "Bearer")?;
    }
    Ok(())
}

fn expect_refused(reply: &Reply, message: &str, scheme: &str) -> Result<(), Failure> {
    reply
        .expect_detail(401, message)?
        .expect_header("www-authenticate", scheme)?;
    Ok(())
}

/// The names of the security schemes for which `wanted` holds.
fn schemes(doc: &Value, wanted: impl Fn(&Value) -> bool) -> Vec<String> {
    doc["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, scheme)| wanted(scheme))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Fails unless the `GET` operation at `path` (with or without its trailing slash) accepts one
/// of `names` on its own: a security requirement that names only that scheme.
fn expect_alternative(doc: &Value, path: &str, names: &[String]) -> Result<(), Failure> {
    let trimmed = path.trim_end_matches('/');
    let operation = [path, trimmed]
        .iter()
        .map(|p| &doc["paths"][*p]["get"])
        .find(|op| op.is_object())
        .ok_or_else(|| Failure::new(format!("the document does not describe GET {path}")))?;
    let requirements = operation["security"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let found = requirements.iter().any(|requirement| {
        requirement
            .as_object()
            .is_some_and(|r| r.len() == 1 && r.keys().any(|k| names.contains(k)))
    });
    ensure(found, || {
        Failure::new(format!("GET {path} does not require the scheme"))
            .expected(format!(
                "security: [{{\"{}\": []}}, ...]",
                names.first().map_or("", String::as_str)
            ))
            .got(format!("security: {}", operation["security"]))
    })
}
