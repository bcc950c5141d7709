//! Chapter 09 — JWT: bcrypt password hashes, signed access tokens, and every token an attacker
//! could send instead of a real one.
//!
//! The attack checks start a server of their own with a `JWT_SECRET` drawn from the seed, so
//! they know the key (`cx.env("JWT_SECRET")`), and first prove that the server uses it; against
//! a server given by `--url` they are skipped. Forged tokens carry a `jti`, as the reference's
//! own tokens do.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, cut, ensure};
use crate::rng::Rng;

/// What a token the server does not accept is answered with.
pub(super) const INVALID: &str = "Could not validate credentials";

/// The checks of chapter 09, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = login_checks();
    checks.extend(user_checks());
    checks.extend(attack_checks());
    checks.extend(exercise_checks());
    checks
}

fn login_checks() -> Vec<Check> {
    vec![
        login_check(),
        login_jwt(),
        login_expiry(),
        login_wrong_password(),
        login_unknown_user(),
        login_long_password(),
        login_form(),
    ]
}

fn login_check() -> Check {
    Check::new(
        "09.login",
        "POST /token with johndoe / secret answers a bearer token",
    )
    .points(3)
    .hint(
        "Read the OAuth2 password form (username, password), check the password against the stored \
         bcrypt hash, answer {\"access_token\": <JWT>, \"token_type\": \"bearer\"}.",
    )
    .book("09-jwt.html#logging-in")
    .run(|cx| async move {
        let reply = login(&cx, "johndoe", "secret", &[]).await?;
        let body = reply.expect_status(200)?.json()?;
        ensure(
            body["token_type"] == json!("bearer") && body["access_token"].is_string(),
            || {
                reply
                    .fail("the answer is not an OAuth2 token")
                    .expected("{\"access_token\": \"<JWT>\", \"token_type\": \"bearer\"}")
                    .got(body.to_string())
            },
        )
    })
}

fn login_jwt() -> Check {
    Check::new(
        "09.login.jwt",
        "the access token is a JWT signed with HS256, for johndoe, issued now, expiring later",
    )
    .points(2)
    .hint(
        "Sign {\"sub\": username, \"iat\": now, \"exp\": now + ACCESS_TOKEN_EXPIRE_MINUTES} with \
         HS256 (jsonwebtoken::encode; PyJWT: jwt.encode(claims, key, algorithm=\"HS256\")).",
    )
    .book("09-jwt.html#the-token")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let header = part(&token, 0)?;
        ensure(header["alg"] == json!("HS256"), || {
            Failure::new("the token is not signed with HS256")
                .expected("header {\"alg\": \"HS256\", ...}")
                .got(header.to_string())
        })?;
        let claims = part(&token, 1)?;
        let now = now();
        let (iat, exp) = (claims["iat"].as_u64(), claims["exp"].as_u64());
        ensure(claims["sub"] == json!("johndoe"), || {
            Failure::new("the token's sub is not the user name")
                .expected("\"sub\": \"johndoe\"")
                .got(claims.to_string())
        })?;
        ensure(
            iat.is_some_and(|iat| iat <= now + 2 && iat + 10 >= now),
            || {
                Failure::new("the token's iat is not the time it was issued")
                    .expected(format!("\"iat\": about {now}"))
                    .got(claims.to_string())
            },
        )?;
        ensure(exp.is_some_and(|exp| exp > now + 30), || {
            Failure::new("the token's exp is missing or not in the future")
                .expected(format!("\"exp\": later than {now}"))
                .got(claims.to_string())
        })
    })
}

fn login_expiry() -> Check {
    Check::new(
        "09.login.expiry",
        "tokens expire ACCESS_TOKEN_EXPIRE_MINUTES after they are issued",
    )
    .points(2)
    .hint(
        "Read ACCESS_TOKEN_EXPIRE_MINUTES once at start (default 30) and set exp = iat + that many \
         minutes.",
    )
    .book("09-jwt.html#the-key-and-the-lifetime")
    .server_env(|rng| {
        let minutes = rng.between(2, 240);
        let mut env = secret_env(rng);
        env.push(("ACCESS_TOKEN_EXPIRE_MINUTES".into(), minutes.to_string()));
        env
    })
    .run(|cx| async move {
        let minutes: u64 = cx
            .env("ACCESS_TOKEN_EXPIRE_MINUTES")
            .parse()
            .unwrap_or_default();
        let claims = part(&access_token(&cx, "johndoe", "secret").await?, 1)?;
        let lifetime = claims["exp"]
            .as_u64()
            .zip(claims["iat"].as_u64())
            .map(|(exp, iat)| exp.saturating_sub(iat));
        ensure(lifetime == Some(minutes * 60), || {
            Failure::new("exp - iat is not ACCESS_TOKEN_EXPIRE_MINUTES")
                .expected(format!("{} s ({minutes} minutes)", minutes * 60))
                .got(claims.to_string())
        })
    })
}

fn login_wrong_password() -> Check {
    Check::new(
        "09.login.wrong_password",
        "a wrong password is 401 Incorrect username or password, with WWW-Authenticate: Bearer",
    )
    .points(2)
    .hint(
        "Raise 401 {\"detail\": \"Incorrect username or password\"} with the header \
         WWW-Authenticate: Bearer.",
    )
    .book("09-jwt.html#logging-in")
    .run(|cx| async move {
        let password = cx.word();
        let reply = login(&cx, "johndoe", &password, &[]).await?;
        expect_challenge(&reply, 401, "Incorrect username or password", "Bearer")
    })
}

fn login_unknown_user() -> Check {
    Check::new(
        "09.login.unknown_user",
        "an unknown user gets the same 401 as a wrong password",
    )
    .hint(
        "Do not tell which user names exist: same status, same message (and the same time: verify \
         a dummy hash).",
    )
    .book("09-jwt.html#logging-in")
    .run(|cx| async move {
        let username = format!("{}{}", cx.word(), cx.word());
        let reply = login(&cx, &username, "secret", &[]).await?;
        expect_challenge(&reply, 401, "Incorrect username or password", "Bearer")
    })
}

fn login_long_password() -> Check {
    Check::new(
        "09.login.long_password",
        "a password over 72 bytes is a wrong password, never a 500",
    )
    .hint(
        "bcrypt reads at most 72 bytes: refuse longer passwords as wrong (bcrypt::verify on them \
         may error or match a prefix; Python's bcrypt.checkpw raises ValueError).",
    )
    .book("09-jwt.html#passwords-as-hashes")
    .run(|cx| async move {
        let long = cx.rng(|r| r.between(73, 200)) as usize;
        for password in [format!("secret{}", "x".repeat(long)), letters(&cx, 5000)] {
            let reply = login(&cx, "johndoe", &password, &[]).await?;
            expect_challenge(&reply, 401, "Incorrect username or password", "Bearer")?;
        }
        Ok(())
    })
}

fn login_form() -> Check {
    Check::new(
        "09.login.form",
        "grant_type must be password when sent; a missing field is 422",
    )
    .hint(
        "The OAuth2 password form: username and password required; grant_type optional but only \
         \"password\" (FastAPI: pattern=\"^password$\").",
    )
    .book("09-jwt.html#logging-in")
    .run(|cx| async move {
        login(&cx, "johndoe", "secret", &[("grant_type", "password")])
            .await?
            .expect_status(200)?;
        let grant = cx.word();
        let reply = login(&cx, "johndoe", "secret", &[("grant_type", &grant)]).await?;
        reply.expect_problem(&json!(["body", "grant_type"]), None)?;
        let reply = form_post(&cx, "/token", &[("username", "johndoe")]).await?;
        reply
            .expect_problem(&json!(["body", "password"]), Some("missing"))
            .map(drop)
    })
}

fn user_checks() -> Vec<Check> {
    vec![
        users_me(),
        users_me_items(),
        inactive(),
        not_authenticated(),
        not_authenticated_empty(),
        authorization_forms(),
        openapi_security(),
    ]
}

fn users_me() -> Check {
    Check::new(
        "09.users_me",
        "GET /users/me/ with johndoe's token answers johndoe, without a hash",
    )
    .points(3)
    .hint(
        "Decode the bearer token, find the user named by sub, answer {username, email, full_name, \
         disabled}.",
    )
    .book("09-jwt.html#checking-a-token")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let reply = cx
            .get("/users/me/")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
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

fn users_me_items() -> Check {
    Check::new(
        "09.users_me.items",
        "GET /users/me/items/ answers the current user's items",
    )
    .points(2)
    .hint("Answer [{\"item_id\": \"Foo\", \"owner\": <the current user's name>}].")
    .book("09-jwt.html#checking-a-token")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let reply = cx
            .get("/users/me/items/")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!([{"item_id": "Foo", "owner": "johndoe"}]))?;
        Ok(())
    })
}

fn inactive() -> Check {
    Check::new(
        "09.inactive",
        "alice, disabled, logs in but is refused with 400 Inactive user",
    )
    .points(2)
    .hint(
        "After the token is checked, refuse a disabled user with 400 {\"detail\": \"Inactive \
         user\"}.",
    )
    .book("09-jwt.html#checking-a-token")
    .run(|cx| async move {
        let token = access_token(&cx, "alice", "secret2").await?;
        for path in ["/users/me/", "/users/me/items/"] {
            let reply = cx
                .get(path)
                .header("authorization", &format!("Bearer {token}"))
                .send()
                .await?;
            reply.expect_detail(400, "Inactive user")?;
        }
        Ok(())
    })
}

fn not_authenticated() -> Check {
    Check::new(
        "09.not_authenticated",
        "no token or Basic credentials: 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .hint(
        "A missing or non-Bearer Authorization header is 401 {\"detail\": \"Not authenticated\"} \
         with WWW-Authenticate: Bearer.",
    )
    .book("09-jwt.html#the-authorization-header")
    .run(|cx| async move {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("johndoe:secret")
        );
        for path in ["/users/me/", "/users/me/items/"] {
            expect_challenge(
                &cx.get(path).send().await?,
                401,
                "Not authenticated",
                "Bearer",
            )?;
            let reply = cx.get(path).header("authorization", &basic).send().await?;
            expect_challenge(&reply, 401, "Not authenticated", "Bearer")?;
        }
        Ok(())
    })
}

fn not_authenticated_empty() -> Check {
    Check::new(
        "09.not_authenticated.empty",
        "an empty Bearer: 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .hint(
        "\"Bearer\" with nothing after it carries no token: 401 {\"detail\": \"Not \
         authenticated\"}, as with no header. (FastAPI's OAuth2PasswordBearer hands the empty \
         token on: check `if not token` before decoding it.)",
    )
    .book("09-jwt.html#the-authorization-header")
    .tag(Tag::EmptyCredential)
    .run(|cx| async move { empty_bearer(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { empty_bearer(&cx, Profile::Fastapi).await })
}

fn authorization_forms() -> Check {
    Check::new(
        "09.authorization.forms",
        "a lower-case bearer scheme and extra spaces are accepted",
    )
    .hint(
        "Match the scheme case-insensitively and skip the spaces around the token (poem-openapi's \
         Bearer does both, and so does FastAPI's OAuth2PasswordBearer).",
    )
    .book("09-jwt.html#the-authorization-header")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        expect_bearer_forms_accepted(&cx, "/users/me/", &token).await
    })
}

fn openapi_security() -> Check {
    Check::new(
        "09.openapi.security",
        "the document declares an OAuth2 password scheme with tokenUrl token, and no hash",
    )
    .hint(
        "Derive SecurityScheme with ty = \"oauth2\", flows(password(token_url = \"token\")) \
         (FastAPI: OAuth2PasswordBearer(tokenUrl=\"token\")), and take it as a parameter of each \
         protected operation.",
    )
    .book("09-jwt.html#checking-a-token")
    .run(|cx| async move {
        let doc = cx
            .get("/openapi.json")
            .send()
            .await?
            .expect_status(200)?
            .json()?;
        expect_password_flow(&doc)?;
        for path in ["/users/me/", "/users/me/items/"] {
            let op = operation(&doc, path, "get");
            ensure(
                op["security"].as_array().is_some_and(|s| !s.is_empty()),
                || {
                    Failure::new(format!("GET {path} declares no security requirement"))
                        .expected("security: [{\"<scheme>\": []}]")
                        .got(op.to_string())
                },
            )?;
        }
        let text = doc.to_string();
        ensure(
            !text.contains("hashed_password") && !text.contains("$2b$"),
            || Failure::new("the document shows a password hash or its field"),
        )
    })
}

fn attack_checks() -> Vec<Check> {
    vec![
        attack_garbage(),
        attack_alg_none(),
        attack_tampered(),
        attack_other_key(),
        key_jwt_secret(),
        attack_expired(),
        attack_crit(),
        attack_not_yet_valid(),
        attack_missing_claims(),
        attack_algorithms(),
        attack_unknown_user(),
        attack_disabled_user(),
        bad_input(),
    ]
}

fn attack_garbage() -> Check {
    Check::new(
        "09.attack.garbage",
        "tokens that are not JWTs are 401 Could not validate credentials",
    )
    .points(2)
    .hint(
        "Any token that does not decode is answered 401 {\"detail\": \"Could not validate \
         credentials\"} with WWW-Authenticate: Bearer, never 500.",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let word = cx.word();
        let long = letters(&cx, 4000);
        for token in [
            word.as_str(),
            "a.b.c",
            "..",
            "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
            long.as_str(),
        ] {
            expect_refused(&cx, "/users/me/", token, "Bearer").await?;
        }
        Ok(())
    })
}

fn attack_alg_none() -> Check {
    Check::new(
        "09.attack.alg_none",
        "a token with alg none and no signature is refused",
    )
    .points(2)
    .hint(
        "Accept HS256 only (jsonwebtoken::Validation::new(Algorithm::HS256); PyJWT: \
         algorithms=[\"HS256\"]): a token must never choose its own algorithm.",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let token = access_token(&cx, "johndoe", "secret").await?;
        let claims = part(&token, 1)?;
        for alg in ["none", "None", "NONE"] {
            let unsigned = handmade(&json!({"alg": alg, "typ": "JWT"}), &claims, "");
            expect_refused(&cx, "/users/me/", &unsigned, "Bearer").await?;
        }
        Ok(())
    })
}

fn attack_tampered() -> Check {
    Check::new(
        "09.attack.tampered",
        "a real token with a changed payload is refused",
    )
    .points(2)
    .hint("Verify the signature over header and payload: changing sub or exp must break it.")
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let token = access_token(&cx, "alice", "secret2").await?;
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims = part(&token, 1)?;
        claims["sub"] = json!("johndoe");
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(&claims),
            parts.get(2).unwrap_or(&"")
        );
        expect_refused(&cx, "/users/me/", &tampered, "Bearer").await
    })
}

fn attack_other_key() -> Check {
    Check::new(
        "09.attack.other_key",
        "a token signed with another key is refused",
    )
    .points(2)
    .hint("Check the signature with the server's own key.")
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let key = letters(&cx, 48);
        let token = sign(
            Algorithm::HS256,
            &claims_for(&cx, "johndoe"),
            key.as_bytes(),
        );
        expect_refused(&cx, "/users/me/", &token, "Bearer").await
    })
}

fn key_jwt_secret() -> Check {
    Check::new(
        "09.key.jwt_secret",
        "tokens are signed with JWT_SECRET: one made with it is accepted",
    )
    .points(2)
    .hint(
        "Read the key from JWT_SECRET at start (at least 32 bytes); only without it make a random \
         one.",
    )
    .book("09-jwt.html#the-key-and-the-lifetime")
    .server_env(secret_env)
    .run(|cx| async move {
        let token = forge(&cx, &claims_for(&cx, "johndoe"));
        let reply = cx
            .get("/users/me/")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply.expect_status(200)?;
        Ok(())
    })
}

fn attack_expired() -> Check {
    Check::new(
        "09.attack.expired",
        "a token expired two seconds ago, or expiring this second, is refused: no leeway",
    )
    .points(2)
    .hint(
        "jsonwebtoken forgives 60 s after exp by default: set Validation::leeway to 0 (PyJWT's \
         leeway is 0 unless you give one). RFC 7519: not accepted on or after exp, so a token \
         whose exp is now is expired (jsonwebtoken accepts it: compare exp <= now yourself).",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        for exp in [now() - 2, now()] {
            let mut claims = claims_for(&cx, "johndoe");
            claims["iat"] = json!(now() - 1800);
            claims["exp"] = json!(exp);
            expect_refused(&cx, "/users/me/", &forge(&cx, &claims), "Bearer").await?;
        }
        Ok(())
    })
}

fn attack_crit() -> Check {
    Check::new(
        "09.attack.crit",
        "a token whose header lists a critical extension (crit) is refused",
    )
    .hint(
        "RFC 7515 §4.1.11: a token whose crit names an extension the server does not understand \
         must be refused; jsonwebtoken reads crit but leaves it to you (PyJWT refuses it).",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let header = Header {
            crit: Some(vec!["exp-in-minutes".to_owned()]),
            ..Header::new(Algorithm::HS256)
        };
        let key = EncodingKey::from_secret(cx.env("JWT_SECRET").as_bytes());
        let token = jsonwebtoken::encode(&header, &claims_for(&cx, "johndoe"), &key)
            .map_err(|e| Failure::new(format!("the check could not sign its token: {e}")))?;
        expect_refused(&cx, "/users/me/", &token, "Bearer").await
    })
}

fn attack_not_yet_valid() -> Check {
    Check::new(
        "09.attack.not_yet_valid",
        "a token with nbf or iat in the future is refused",
    )
    .hint(
        "Validate nbf (Validation::validate_nbf) and refuse an iat later than now yourself: \
         jsonwebtoken does not check iat (PyJWT checks both).",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        for claim in ["nbf", "iat"] {
            let mut claims = claims_for(&cx, "johndoe");
            claims[claim] = json!(now() + 120);
            expect_refused(&cx, "/users/me/", &forge(&cx, &claims), "Bearer").await?;
        }
        Ok(())
    })
}

fn attack_missing_claims() -> Check {
    Check::new(
        "09.attack.missing_claims",
        "a token without exp or without sub is refused",
    )
    .hint(
        "Require exp and sub (Validation::set_required_spec_claims(&[\"exp\", \"sub\"]); PyJWT: \
         options={\"require\": [\"exp\", \"sub\"]}): a token without exp would be valid forever.",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        for claim in ["exp", "sub"] {
            let mut claims = claims_for(&cx, "johndoe");
            if let Some(object) = claims.as_object_mut() {
                object.remove(claim);
            }
            expect_refused(&cx, "/users/me/", &forge(&cx, &claims), "Bearer").await?;
        }
        Ok(())
    })
}

fn attack_algorithms() -> Check {
    Check::new(
        "09.attack.algorithms",
        "HS384, HS512 and RS256 tokens are refused, even signed with the right key",
    )
    .points(2)
    .hint(
        "Accept the one algorithm you sign with; a list of algorithms, or the token's own choice, \
         opens the door to confusion attacks.",
    )
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let key = cx.env("JWT_SECRET");
        for algorithm in [Algorithm::HS384, Algorithm::HS512] {
            let token = sign(algorithm, &claims_for(&cx, "johndoe"), key.as_bytes());
            expect_refused(&cx, "/users/me/", &token, "Bearer").await?;
        }
        let real = forge(&cx, &claims_for(&cx, "johndoe"));
        let signature = real.rsplit('.').next().unwrap_or_default();
        let rs256 = handmade(
            &json!({"alg": "RS256", "typ": "JWT"}),
            &claims_for(&cx, "johndoe"),
            signature,
        );
        expect_refused(&cx, "/users/me/", &rs256, "Bearer").await
    })
}

fn attack_unknown_user() -> Check {
    Check::new(
        "09.attack.unknown_user",
        "a well-signed token for a user who does not exist is refused",
    )
    .hint("After decoding, look the user up; no user is 401 Could not validate credentials.")
    .book("09-jwt.html#attacks-the-server-refuses")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let nobody = format!("{}{}", cx.word(), cx.word());
        expect_refused(
            &cx,
            "/users/me/items/",
            &forge(&cx, &claims_for(&cx, &nobody)),
            "Bearer",
        )
        .await
    })
}

fn attack_disabled_user() -> Check {
    Check::new(
        "09.attack.disabled_user",
        "a well-signed token for alice is 400 Inactive user",
    )
    .hint(
        "A disabled user is refused after the token is checked, with 400 {\"detail\": \"Inactive \
         user\"}.",
    )
    .book("09-jwt.html#checking-a-token")
    .server_env(secret_env)
    .run(|cx| async move {
        expect_key_used(&cx, "/users/me/").await?;
        let token = forge(&cx, &claims_for(&cx, "alice"));
        let reply = cx
            .get("/users/me/")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply.expect_detail(400, "Inactive user")?;
        Ok(())
    })
}

fn bad_input() -> Check {
    Check::new(
        "09.bad_input",
        "odd forms and headers are answered, never with a 500",
    )
    .hint(
        "Bytes that are not UTF-8, a repeated field (the last one counts), a huge header: each \
         gets a 4xx or 200, never a 500.",
    )
    .book("09-jwt.html#logging-in")
    .run(|cx| async move {
        let reply = cx
            .post("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=johndoe&password=secret%FF%FE")
            .send()
            .await?;
        expect_challenge(&reply, 401, "Incorrect username or password", "Bearer")?;
        let reply = cx
            .post("/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("username=alice&password=secret&username=johndoe")
            .send()
            .await?;
        reply.expect_status(200)?;
        let reply = cx
            .post("/token")
            .header("content-type", "text/plain")
            .body("username=johndoe&password=secret")
            .send()
            .await?;
        reply.expect_status(422)?;
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_password(), ex_password_rules(), ex_logout()]
}

fn ex_password() -> Check {
    Check::new(
        "09.ex.password",
        "POST /users/me/password changes the password: the old one and the tokens issued before \
         stop working",
    )
    .points(2)
    .exercise()
    .hint(
        "Check the current password, hash the new one with bcrypt (on the blocking pool), store \
         it, refuse the tokens issued before (their iat), answer 204.",
    )
    .book("09-jwt.html#exercise-1-change-the-password")
    .server_env(secret_env)
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let new = format!("{}-{}", cx.word(), cx.word());
        let reply = change_password(&cx, &token, "secret", &new).await?;
        reply.expect_status(204)?;
        expect_challenge(
            &login(&cx, "johndoe", "secret", &[]).await?,
            401,
            "Incorrect username or password",
            "Bearer",
        )?;
        let fresh = access_token(&cx, "johndoe", &new).await?;
        // A thief's copy of a token outlives a password change unless the change ends it.
        expect_refused(&cx, "/users/me/", &token, "Bearer").await?;
        cx.get("/users/me/")
            .header("authorization", &format!("Bearer {fresh}"))
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn ex_password_rules() -> Check {
    Check::new(
        "09.ex.password.rules",
        "a wrong current password is 400; a new one under 8 characters or over 72 bytes is 422",
    )
    .exercise()
    .hint(
        "400 {\"detail\": \"Incorrect password\"} for a wrong current password; 422 at [\"body\", \
         \"new_password\"] for a new one under 8 characters or over 72 bytes (count bytes: `é` is \
         two), without the password in `input`. In Pydantic: a field_validator on len(v.encode()).",
    )
    .book("09-jwt.html#exercise-1-change-the-password")
    .server_env(secret_env)
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let new = format!("{}-{}", cx.word(), cx.word());
        change_password(&cx, &token, &cx.word(), &new)
            .await?
            .expect_detail(400, "Incorrect password")?;
        // Characters are counted for the lower bound and bytes for bcrypt's upper one:
        // 4 `é` are 8 bytes but 4 characters, 41 `é` are 41 characters but 82 bytes.
        let bad = [
            "7#qZ!x".to_owned(),
            "é".repeat(4),
            letters(&cx, 73),
            "é".repeat(41),
        ];
        for bad in bad {
            let reply = change_password(&cx, &token, "secret", &bad).await?;
            reply.expect_problem(&json!(["body", "new_password"]), None)?;
            ensure(!reply.text.contains(&bad), || {
                reply
                    .fail("the 422 repeats the refused password")
                    .expected("a 422 that does not echo the password (leave out `input`)")
                    .got(cut(&reply.text, 300))
            })?;
        }
        login(&cx, "johndoe", "secret", &[])
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn ex_logout() -> Check {
    Check::new(
        "09.ex.logout",
        "POST /logout revokes the token: it is refused afterwards, a new login works",
    )
    .points(2)
    .exercise()
    .hint(
        "Give each token a jti; on logout remember it until the token's exp, and refuse remembered \
         tokens.",
    )
    .book("09-jwt.html#exercise-2-log-out")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let reply = cx
            .post("/logout")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply.expect_status(204)?;
        expect_refused(&cx, "/users/me/", &token, "Bearer").await?;
        let again = access_token(&cx, "johndoe", "secret").await?;
        cx.get("/users/me/")
            .header("authorization", &format!("Bearer {again}"))
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

async fn change_password(
    cx: &Ctx,
    token: &str,
    current: &str,
    new: &str,
) -> Result<Reply, Failure> {
    cx.post("/users/me/password")
        .header("authorization", &format!("Bearer {token}"))
        .json(&json!({"current_password": current, "new_password": new}))
        .send()
        .await
}

// Tools shared with chapter 10's checks.

/// Fails unless `path` accepts `token` behind a lower-case scheme and behind extra spaces.
pub(super) async fn expect_bearer_forms_accepted(
    cx: &Ctx,
    path: &str,
    token: &str,
) -> Result<(), Failure> {
    for value in [format!("bearer {token}"), format!("Bearer    {token}  ")] {
        cx.get(path)
            .header("authorization", &value)
            .send()
            .await?
            .expect_status(200)?;
    }
    Ok(())
}

/// Seconds since 1970, as JWTs count time.
pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// `JWT_SECRET`: 48 letters from the seed, so that the check knows the server's key.
pub(super) fn secret_env(rng: &mut Rng) -> Vec<(String, String)> {
    let secret: String = std::iter::repeat_with(|| rng.word())
        .flat_map(|w| w.chars().collect::<Vec<_>>())
        .take(48)
        .collect();
    vec![("JWT_SECRET".into(), secret)]
}

/// `count` random lower-case letters.
pub(super) fn letters(cx: &Ctx, count: usize) -> String {
    let mut text = String::new();
    while text.len() < count {
        text.push_str(&cx.word());
    }
    text.truncate(count);
    text
}

/// The claims a server would put in `sub`'s token, with a random `jti`.
pub(super) fn claims_for(cx: &Ctx, sub: &str) -> Value {
    let jti = format!("{:016x}", cx.rng(Rng::next_u64));
    json!({"sub": sub, "iat": now(), "exp": now() + 600, "jti": jti})
}

pub(super) fn sign(algorithm: Algorithm, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key),
    )
    .unwrap_or_default()
}

/// A token signed with the key the check's server was started with.
pub(super) fn forge(cx: &Ctx, claims: &Value) -> String {
    sign(Algorithm::HS256, claims, cx.env("JWT_SECRET").as_bytes())
}

pub(super) fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token written by hand: any header, any signature.
pub(super) fn handmade(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header), b64(claims))
}

/// Part `index` of a JWT (0 the header, 1 the claims), read without checking anything.
pub(super) fn part(token: &str, index: usize) -> Result<Value, Failure> {
    token
        .split('.')
        .nth(index)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            Failure::new(
                "the access token is not a JWT (three base64url parts, header and claims in JSON)",
            )
            .got(token.to_owned())
        })
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Posts `fields` as an HTML form.
pub(super) async fn form_post(
    cx: &Ctx,
    path: &str,
    fields: &[(&str, &str)],
) -> Result<Reply, Failure> {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    cx.post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(&body)
        .send()
        .await
}

/// `POST /token` with a user name, a password and `extra` fields.
pub(super) async fn login(
    cx: &Ctx,
    username: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Result<Reply, Failure> {
    let mut fields = vec![("username", username), ("password", password)];
    fields.extend_from_slice(extra);
    form_post(cx, "/token", &fields).await
}

/// Logs in and returns the access token.
pub(super) async fn access_token(
    cx: &Ctx,
    username: &str,
    password: &str,
) -> Result<String, Failure> {
    let reply = login(cx, username, password, &[]).await?;
    let body = reply.expect_status(200)?.json()?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            reply
                .fail("the login answer has no access_token")
                .expected("{\"access_token\": \"<JWT>\", \"token_type\": \"bearer\"}")
                .got(body.to_string())
        })
}

/// Fails unless the answer is `status` with `{"detail": message}` and exactly this challenge.
/// `Bearer` alone, and with spaces after it, is 401 Not authenticated; under the FastAPI
/// profile the empty token may also reach the token check, which refuses it as invalid.
async fn empty_bearer(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    for path in ["/users/me/", "/users/me/items/"] {
        for value in ["Bearer", "Bearer    "] {
            let reply = cx.get(path).header("authorization", value).send().await?;
            let invalid = reply.json().is_ok_and(|body| body["detail"] == INVALID);
            if profile == Profile::Fastapi && invalid {
                expect_challenge(&reply, 401, INVALID, "Bearer")?;
                continue;
            }
            expect_challenge(&reply, 401, "Not authenticated", "Bearer")?;
        }
    }
    Ok(())
}

pub(super) fn expect_challenge(
    reply: &Reply,
    status: u16,
    message: &str,
    challenge: &str,
) -> Result<(), Failure> {
    reply.expect_detail(status, message)?;
    let got = reply.header("www-authenticate");
    ensure(got == Some(challenge), || {
        reply
            .fail("the WWW-Authenticate header is not the expected challenge")
            .expected(format!("WWW-Authenticate: {challenge}"))
            .got(got.map_or_else(
                || "no WWW-Authenticate header".to_owned(),
                |v| format!("WWW-Authenticate: {v}"),
            ))
    })
}

/// Sends `token` to `path` and fails unless it is refused as invalid with `challenge`.
pub(super) async fn expect_refused(
    cx: &Ctx,
    path: &str,
    token: &str,
    challenge: &str,
) -> Result<(), Failure> {
    expect_key_used(cx, path).await?;
    let reply = cx
        .get(path)
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await?;
    expect_challenge(&reply, 401, INVALID, challenge)
}

/// Where the check's server was given `JWT_SECRET`: fails unless a valid token signed with it
/// (the control) passes validation at `path`. A server that ignores the key refuses every token
/// the check forges, so without this control an attack check would pass without judging it.
pub(super) async fn expect_key_used(cx: &Ctx, path: &str) -> Result<(), Failure> {
    if cx.env("JWT_SECRET").is_empty() {
        return Ok(());
    }
    let control = forge(cx, &claims_for(cx, "johndoe"));
    let reply = cx
        .get(path)
        .header("authorization", &format!("Bearer {control}"))
        .send()
        .await?;
    let refused = reply.status == 401 && reply.text.contains(INVALID);
    ensure(!refused, || {
        reply
            .fail("the server does not use JWT_SECRET: the attack checks cannot judge it")
            .expected(
                "a valid token for johndoe signed with JWT_SECRET (HS256) accepted, before the \
                 forged one is refused",
            )
            .got(format!("{} {}", reply.status, cut(&reply.text, 300)))
    })
}

/// The operation `method` at `path`, as the document describes it (paths may be written
/// with or without their trailing slash).
pub(super) fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let trimmed = path.trim_end_matches('/');
    [path, trimmed]
        .into_iter()
        .map(|p| &doc["paths"][p][method])
        .find(|op| op.is_object())
        .unwrap_or(&Value::Null)
}

/// Fails unless the document has an OAuth2 scheme with a password flow whose tokenUrl is
/// `token`; returns the flow.
pub(super) fn expect_password_flow(doc: &Value) -> Result<&Value, Failure> {
    let schemes = &doc["components"]["securitySchemes"];
    schemes
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, scheme)| scheme)
        .find(|scheme| {
            scheme["type"] == json!("oauth2")
                && scheme["flows"]["password"]["tokenUrl"]
                    .as_str()
                    .is_some_and(|url| url.trim_start_matches('/') == "token")
        })
        .map(|scheme| &scheme["flows"]["password"])
        .ok_or_else(|| {
            Failure::new(
                "no OAuth2 password flow with tokenUrl \"token\" in components.securitySchemes",
            )
            .got(schemes.to_string())
        })
}
