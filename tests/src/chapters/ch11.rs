//! Chapter 11 — middleware: process time, trusted hosts, CORS, a token gate for `/api/`, the
//! order of those layers, and panics.
//!
//! The grader talks to the server over 127.0.0.1, so its own requests carry
//! `Host: 127.0.0.1:PORT`, a trusted host; the checks about hosts set `Host` themselves. Host
//! names, origins, ports, header names and paths come from the seed. The login and token
//! tools are chapter 09's (the same users, tokens and rules); checks that forge tokens start
//! a server of their own with a `JWT_SECRET` from the seed.

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::ch09::{
    INVALID, access_token, claims_for, expect_bearer_forms_accepted, expect_challenge,
    expect_password_flow, expect_refused, forge, form_post, handmade, letters, login, now,
    operation, part, secret_env, sign,
};
use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The tutorial's origins: the contract's CORS list.
const ORIGINS: [&str; 4] = [
    "http://localhost.tiangolo.com",
    "https://localhost.tiangolo.com",
    "http://localhost",
    "http://localhost:8080",
];

const INVALID_HOST: &str = "Invalid host header";
const DISALLOWED_ORIGIN: &str = "Disallowed CORS origin";

/// The checks of chapter 11, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = timing_checks();
    checks.extend(host_checks());
    checks.extend(cors_checks());
    checks.extend(gate_checks());
    checks.extend(attack_checks());
    checks.extend(order_checks());
    checks.extend(exercise_checks());
    checks
}

fn timing_checks() -> Vec<Check> {
    vec![process_time_check(), health(), panic()]
}

fn process_time_check() -> Check {
    Check::new(
        "11.process_time",
        "every answer carries X-Process-Time in seconds: 200, 404, 422, 401, 400, preflights, 500",
    )
    .points(3)
    .hint(
        "Wrap the whole app (outside every other middleware) in a middleware that times the call \
         and sets X-Process-Time to the seconds as a decimal, as FastAPI's add_process_time_header \
         does.",
    )
    .book("11-middleware.html#process-time")
    .run(|cx| async move {
        let nowhere = format!("/{}/{}", cx.word(), cx.word());
        let stranger = stranger_origin(&cx);
        let replies = [
            cx.get("/health").send().await?,
            cx.get(&nowhere).send().await?,
            cx.post("/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
                .send()
                .await?,
            cx.get("/api/whoami").send().await?,
            cx.get("/openapi.json")
                .header("host", &stranger_host(&cx))
                .send()
                .await?,
            preflight(&cx, "/api/whoami", ORIGINS[3], "GET", None).await?,
            preflight(&cx, "/api/whoami", &stranger, "GET", None).await?,
            cx.get("/boom").send().await?,
        ];
        for reply in &replies {
            process_time(reply)?;
        }
        Ok(())
    })
}

fn health() -> Check {
    Check::new("11.health", "GET /health answers {\"status\": \"ok\"}")
        .hint("A plain operation: GET /health → {\"status\": \"ok\"}.")
        .book("11-middleware.html#trusted-hosts")
        .run(|cx| async move {
            cx.get("/health")
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"status": "ok"}))?;
            Ok(())
        })
}

fn panic() -> Check {
    Check::new(
        "11.panic",
        "a panicking handler is 500 Internal Server Error, and the server keeps serving",
    )
    .points(2)
    .hint(
        "GET /boom panics; catch panics (poem's CatchPanic, kit::mount does it; in FastAPI, a \
         middleware that catches the exception) and answer 500 {\"detail\": \"Internal Server \
         Error\"}, with the cause in the log only.",
    )
    .book("11-middleware.html#when-a-handler-panics")
    .run(|cx| async move {
        for _ in 0..3 {
            cx.get("/boom")
                .send()
                .await?
                .expect_detail(500, "Internal Server Error")?;
            cx.get("/health").send().await?.expect_status(200)?;
        }
        Ok(())
    })
}

fn host_checks() -> Vec<Check> {
    vec![
        hosts_allowed(),
        hosts_refused(),
        hosts_except(),
        hosts_configured(),
    ]
}

fn hosts_allowed() -> Check {
    Check::new(
        "11.hosts.allowed",
        "localhost, 127.0.0.1 and any subdomain of example.com are trusted, with any port, in any \
         case",
    )
    .points(2)
    .hint(
        "Compare the Host's name, without its port and in lower case, with localhost, 127.0.0.1 \
         and *.example.com (a suffix match on .example.com).",
    )
    .book("11-middleware.html#trusted-hosts")
    .run(|cx| async move {
        let port = cx.rng(|r| r.between(1, 65535));
        let (a, b) = (cx.word(), cx.word());
        let hosts = [
            "localhost".to_owned(),
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("{a}.example.com"),
            format!("{a}.{b}.example.com:{port}"),
            format!("{}.Example.COM", a.to_uppercase()),
            "LOCALHOST".to_owned(),
        ];
        for host in &hosts {
            cx.get("/openapi.json")
                .header("host", host)
                .send()
                .await?
                .expect_status(200)?;
        }
        Ok(())
    })
}

fn hosts_refused() -> Check {
    Check::new(
        "11.hosts.refused",
        "any other Host is 400 Invalid host header, example.com itself included",
    )
    .points(2)
    .hint(
        "A Host that matches no trusted name is answered 400 {\"detail\": \"Invalid host header\"} \
         before anything else runs; *.example.com does not match example.com.",
    )
    .book("11-middleware.html#trusted-hosts")
    .run(|cx| async move {
        let (a, b) = (cx.word(), cx.word());
        let hosts = [
            "example.com".to_owned(),
            format!("{a}.com"),
            format!("localhost.{a}.net"),
            format!("{a}example.com"),
            format!("example.com.{b}.net"),
            format!("127.0.0.{}", cx.rng(|r| r.between(2, 254))),
        ];
        for host in &hosts {
            for path in ["/openapi.json", "/api/whoami", "/token"] {
                cx.get(path)
                    .header("host", host)
                    .send()
                    .await?
                    .expect_detail(400, INVALID_HOST)?;
            }
        }
        Ok(())
    })
}

fn hosts_except() -> Check {
    Check::new(
        "11.hosts.except",
        "/health answers whatever the Host, and only /health",
    )
    .hint(
        "Keep an exact-match list of paths that skip the host check (the source material's \
         except_path): /health, not /health/x.",
    )
    .book("11-middleware.html#trusted-hosts")
    .run(|cx| async move {
        let host = stranger_host(&cx);
        cx.get("/health")
            .header("host", &host)
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"status": "ok"}))?;
        let other = format!("/health/{}", cx.word());
        cx.get(&other)
            .header("host", &host)
            .send()
            .await?
            .expect_detail(400, INVALID_HOST)?;
        Ok(())
    })
}

fn hosts_configured() -> Check {
    Check::new(
        "11.hosts.configured",
        "TRUSTED_HOSTS replaces the list of trusted hosts",
    )
    .hint(
        "Read TRUSTED_HOSTS (comma-separated, `*.domain` for subdomains) once at start, instead of \
         the default list.",
    )
    .book("11-middleware.html#settings")
    .server_env(|rng| {
        vec![(
            "TRUSTED_HOSTS".into(),
            format!("127.0.0.1,{}.test,*.{}.test", rng.word(), rng.word()),
        )]
    })
    .run(|cx| async move {
        let list = cx.env("TRUSTED_HOSTS");
        let names: Vec<&str> = list.split(',').collect();
        let exact = names.get(1).copied().unwrap_or_default().to_owned();
        let domain = names
            .get(2)
            .copied()
            .unwrap_or_default()
            .trim_start_matches("*.")
            .to_owned();
        for host in [exact.clone(), format!("{}.{domain}", cx.word())] {
            cx.get("/openapi.json")
                .header("host", &host)
                .send()
                .await?
                .expect_status(200)?;
        }
        for host in [
            domain,
            "localhost".to_owned(),
            format!("{}.example.com", cx.word()),
        ] {
            cx.get("/openapi.json")
                .header("host", &host)
                .send()
                .await?
                .expect_detail(400, INVALID_HOST)?;
        }
        Ok(())
    })
}

fn cors_checks() -> Vec<Check> {
    vec![
        cors_preflight(),
        cors_preflight_refused(),
        cors_simple(),
        cors_simple_refused(),
        cors_configured(),
    ]
}

fn cors_preflight() -> Check {
    Check::new(
        "11.cors.preflight",
        "a preflight from each allowed origin is 200 with that origin, credentials, the method, \
         the headers, Max-Age and Vary",
    )
    .points(3)
    .hint(
        "For OPTIONS with Origin and Access-Control-Request-Method from a listed origin: echo the \
         origin (never *), Access-Control-Allow-Credentials: true, list the requested method and \
         headers, send Access-Control-Max-Age and Vary: Origin.",
    )
    .book("11-middleware.html#cors-in-a-browser")
    .run(|cx| async move {
        for origin in ORIGINS {
            let method = cx.rng(|r| *r.pick(&["GET", "POST", "PUT", "PATCH", "DELETE"]));
            let custom = format!("x-{}", cx.word());
            let asked = format!("authorization, {custom}");
            let path = format!("/{}", cx.word());
            for path in ["/api/whoami", path.as_str()] {
                let reply = preflight(&cx, path, origin, method, Some(&asked)).await?;
                reply.expect_status(200)?;
                expect_exact(&reply, "access-control-allow-origin", origin)?;
                expect_exact(&reply, "access-control-allow-credentials", "true")?;
                expect_listed(&reply, "access-control-allow-methods", method)?;
                expect_listed(&reply, "access-control-allow-headers", "authorization")?;
                expect_listed(&reply, "access-control-allow-headers", &custom)?;
                let max_age = reply
                    .header("access-control-max-age")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                ensure(max_age.is_some(), || {
                    reply
                        .fail("no Access-Control-Max-Age in seconds")
                        .expected("Access-Control-Max-Age: 600")
                })?;
                expect_listed(&reply, "vary", "origin")?;
            }
        }
        Ok(())
    })
}

fn cors_preflight_refused() -> Check {
    Check::new(
        "11.cors.preflight.refused",
        "a preflight from any other origin is 400 Disallowed CORS origin, without \
         Access-Control-Allow-Origin",
    )
    .points(2)
    .hint(
        "Compare Origin with the list exactly (scheme, host and port); answer others' preflights \
         400 {\"detail\": \"Disallowed CORS origin\"} with no Access-Control-Allow-Origin \
         (Starlette's CORSMiddleware says it in plain text: re-wrap its 400 to answer JSON).",
    )
    .book("11-middleware.html#cors-in-a-browser")
    .tag(Tag::CorsRefusal)
    .run(|cx| async move { strangers_refused(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { strangers_refused(&cx, Profile::Fastapi).await })
}

fn cors_simple() -> Check {
    Check::new(
        "11.cors.simple",
        "a simple request from an allowed origin gets Access-Control-Allow-Origin (that origin) \
         and Vary: Origin",
    )
    .points(2)
    .hint(
        "On an ordinary request with an allowed Origin, add Access-Control-Allow-Origin: <that \
         origin> and Vary: Origin to the app's answer.",
    )
    .book("11-middleware.html#cors-in-a-browser")
    .run(|cx| async move {
        for origin in ORIGINS {
            let reply = cx.get("/health").header("origin", origin).send().await?;
            reply.expect_status(200)?;
            expect_exact(&reply, "access-control-allow-origin", origin)?;
            expect_listed(&reply, "vary", "origin")?;
        }
        Ok(())
    })
}

fn cors_simple_refused() -> Check {
    Check::new(
        "11.cors.simple.refused",
        "a simple request from another origin is served, without Access-Control-Allow-Origin",
    )
    .hint(
        "The server answers as usual; without Access-Control-Allow-Origin the browser keeps the \
         answer from the page.",
    )
    .book("11-middleware.html#cors-in-a-browser")
    .run(|cx| async move {
        let reply = cx
            .get("/health")
            .header("origin", &stranger_origin(&cx))
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"status": "ok"}))?;
        expect_absent(&reply, "access-control-allow-origin")
    })
}

fn cors_configured() -> Check {
    Check::new(
        "11.cors.configured",
        "CORS_ORIGINS replaces the list of allowed origins",
    )
    .hint(
        "Read CORS_ORIGINS (comma-separated origins) once at start, instead of the tutorial's \
         list.",
    )
    .book("11-middleware.html#settings")
    .server_env(|rng| {
        vec![(
            "CORS_ORIGINS".into(),
            format!(
                "http://{}.localhost:{}",
                rng.word(),
                rng.between(1024, 65535)
            ),
        )]
    })
    .run(|cx| async move {
        let origin = cx.env("CORS_ORIGINS");
        let reply = preflight(&cx, "/api/whoami", &origin, "GET", None).await?;
        reply.expect_status(200)?;
        expect_exact(&reply, "access-control-allow-origin", &origin)?;
        // Whether the refusal is JSON is 11.cors.preflight.refused's business.
        let reply = preflight(&cx, "/api/whoami", ORIGINS[3], "GET", None).await?;
        expect_preflight_refused(&reply, Profile::Fastapi)
    })
}

fn gate_checks() -> Vec<Check> {
    vec![
        login_check(),
        login_wrong_password(),
        whoami(),
        whoami_not_authenticated(),
        whoami_empty_credential(),
        whoami_inactive(),
        authorization_forms(),
        api_unknown(),
        api_spellings(),
        openapi_security(),
        bad_input(),
    ]
}

fn login_check() -> Check {
    Check::new(
        "11.login",
        "POST /token with johndoe / secret answers a bearer JWT, as in chapter 09",
    )
    .points(2)
    .hint(
        "Chapter 09's login: check the bcrypt hash, answer {\"access_token\": <JWT>, \
         \"token_type\": \"bearer\"}; /token is outside /api/, so it needs no token.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let claims = part(&token, 1)?;
        ensure(claims["sub"] == json!("johndoe"), || {
            Failure::new("the token's sub is not johndoe").got(claims.to_string())
        })
    })
}

fn login_wrong_password() -> Check {
    Check::new(
        "11.login.wrong_password",
        "a wrong password is 401 Incorrect username or password, with WWW-Authenticate: Bearer",
    )
    .hint("Chapter 09's answer to bad credentials.")
    .book("11-middleware.html#the-error-registry")
    .run(|cx| async move {
        let reply = login(&cx, "johndoe", &cx.word(), &[]).await?;
        expect_challenge(&reply, 401, "Incorrect username or password", "Bearer")
    })
}

fn whoami() -> Check {
    Check::new(
        "11.whoami",
        "GET /api/whoami with johndoe's token answers {\"username\": \"johndoe\"}",
    )
    .points(3)
    .hint(
        "The token gate checks the token and attaches the user to the request; the handler reads \
         it from there.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        let reply = cx
            .get("/api/whoami")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"username": "johndoe"}))?;
        Ok(())
    })
}

fn whoami_not_authenticated() -> Check {
    Check::new(
        "11.whoami.not_authenticated",
        "no token or Basic credentials: 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .hint(
        "The gate answers a missing or non-Bearer Authorization with 401 {\"detail\": \"Not \
         authenticated\"} and WWW-Authenticate: Bearer.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        expect_challenge(
            &cx.get("/api/whoami").send().await?,
            401,
            "Not authenticated",
            "Bearer",
        )?;
        for value in ["Basic am9obmRvZTpzZWNyZXQ=", "Basic !!!"] {
            let reply = cx
                .get("/api/whoami")
                .header("authorization", value)
                .send()
                .await?;
            expect_challenge(&reply, 401, "Not authenticated", "Bearer")?;
        }
        Ok(())
    })
}

fn whoami_empty_credential() -> Check {
    Check::new(
        "11.whoami.empty_credential",
        "an empty Bearer: 401 Not authenticated, WWW-Authenticate: Bearer",
    )
    .hint(
        "\"Bearer\" with nothing after it carries no token: the gate answers it as a missing one, \
         401 {\"detail\": \"Not authenticated\"}.",
    )
    .book("11-middleware.html#the-token-gate")
    .tag(Tag::EmptyCredential)
    .run(|cx| async move { empty_bearer(&cx, Profile::Strict).await })
    .fastapi(|cx| async move { empty_bearer(&cx, Profile::Fastapi).await })
}

fn whoami_inactive() -> Check {
    Check::new(
        "11.whoami.inactive",
        "alice, disabled, logs in but is refused under /api/ with 400 Inactive user",
    )
    .hint(
        "After checking the token, the gate refuses a disabled user with 400 {\"detail\": \
         \"Inactive user\"}.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let token = access_token(&cx, "alice", "secret2").await?;
        let reply = cx
            .get("/api/whoami")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply.expect_detail(400, "Inactive user")?;
        Ok(())
    })
}

fn authorization_forms() -> Check {
    Check::new(
        "11.authorization.forms",
        "a lower-case bearer scheme and extra spaces are accepted",
    )
    .hint("Match the scheme case-insensitively and skip the spaces around the token.")
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let token = access_token(&cx, "johndoe", "secret").await?;
        expect_bearer_forms_accepted(&cx, "/api/whoami", &token).await
    })
}

fn api_unknown() -> Check {
    Check::new(
        "11.api.unknown",
        "an unknown path under /api/ is 401 without a token and 404 with one",
    )
    .points(2)
    .hint(
        "The gate runs before routing and guards every path that starts with /api/, known or not.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let path = format!("/api/{}/{}", cx.word(), cx.word());
        expect_challenge(
            &cx.get(&path).send().await?,
            401,
            "Not authenticated",
            "Bearer",
        )?;
        let token = access_token(&cx, "johndoe", "secret").await?;
        cx.get(&path)
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        Ok(())
    })
}

fn api_spellings() -> Check {
    Check::new(
        "11.api.spellings",
        "no spelling of /api/whoami gets past the gate without a token",
    )
    .points(2)
    .hint(
        "Decide what is under /api/ on the path as the router will see it: a router that decodes \
         %61 or merges // must not let /%61pi/whoami or //api/whoami through.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        for path in [
            "/api/whoami/",
            "//api/whoami",
            "/api//whoami",
            "/%61pi/whoami",
            "/api/%77hoami",
            "/api%2Fwhoami",
        ] {
            let reply = cx.get(path).send().await?;
            ensure(matches!(reply.status, 400 | 401 | 404 | 307 | 308), || {
                reply
                    .fail(format!("{path} without a token answered {}", reply.status))
                    .expected("401 (or 404 if the router does not reach whoami)")
                    .got(format!("{} {}", reply.status, reply.text))
            })?;
        }
        Ok(())
    })
}

fn openapi_security() -> Check {
    Check::new(
        "11.openapi.security",
        "the document shows that /api/whoami needs an OAuth2 password-flow token",
    )
    .hint(
        "Take an extractor that declares the scheme (a SecurityScheme, or an ApiExtractor whose \
         security_schemes() names it; FastAPI: dependencies=[Depends(oauth2_scheme)]), even though \
         the gate does the checking.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let doc = cx
            .get("/openapi.json")
            .send()
            .await?
            .expect_status(200)?
            .json()?;
        expect_password_flow(&doc)?;
        let op = operation(&doc, "/api/whoami", "get");
        ensure(
            op["security"].as_array().is_some_and(|s| !s.is_empty()),
            || {
                Failure::new("GET /api/whoami declares no security requirement")
                    .expected("security: [{\"<scheme>\": []}]")
                    .got(op.to_string())
            },
        )
    })
}

fn bad_input() -> Check {
    Check::new(
        "11.bad_input",
        "odd headers and paths get a 4xx (or 200), never a 500, and still carry X-Process-Time",
    )
    .hint(
        "Nothing a client sends may reach a panic in a middleware: long or malformed Host, Origin, \
         Access-Control-Request-* and Authorization values, paths that are not UTF-8.",
    )
    .book("11-middleware.html#the-order-of-the-layers")
    .run(|cx| async move {
        let long = letters(&cx, 6000);
        let cases: Vec<(&str, String, String)> = vec![
            ("/health", "host".into(), long.clone()),
            ("/api/whoami", "host".into(), "[::1".into()),
            ("/api/whoami", "origin".into(), long.clone()),
            (
                "/api/whoami",
                "authorization".into(),
                format!("Bearer {long}"),
            ),
            ("/api/%FF%FE", "authorization".into(), "Bearer x.y.z".into()),
            ("/%FF", "origin".into(), ORIGINS[0].into()),
        ];
        for (path, name, value) in &cases {
            for method in ["GET", "OPTIONS"] {
                let reply = cx
                    .request(method, path)
                    .header(name, value)
                    .header("access-control-request-method", "G E T")
                    .send()
                    .await?;
                ensure(reply.status < 500, || {
                    reply.fail(format!(
                        "{method} {path} with an odd {name} answered {}",
                        reply.status
                    ))
                })?;
                process_time(&reply)?;
            }
        }
        let reply = preflight(
            &cx,
            "/health",
            ORIGINS[1],
            "GET",
            Some(&format!("x-{long}")),
        )
        .await?;
        ensure(reply.status < 500, || {
            reply.fail("a long Access-Control-Request-Headers gave a 5xx")
        })
    })
}

fn attack_checks() -> Vec<Check> {
    vec![
        attack_keyless(),
        key_jwt_secret(),
        attack_forged(),
        attack_disabled_user(),
    ]
}

fn attack_keyless() -> Check {
    Check::new(
        "11.attack.keyless",
        "garbage, alg none, a tampered payload and another key are 401 Could not validate \
         credentials",
    )
    .points(2)
    .hint(
        "The gate decodes with the server's key and HS256 only; any token that does not verify is \
         401 {\"detail\": \"Could not validate credentials\"} with WWW-Authenticate: Bearer.",
    )
    .book("11-middleware.html#the-token-gate")
    .run(|cx| async move {
        let token = access_token(&cx, "alice", "secret2").await?;
        let mut claims = part(&token, 1)?;
        claims["sub"] = json!("johndoe");
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            super::ch09::b64(&claims),
            parts.get(2).unwrap_or(&"")
        );
        let unsigned = handmade(&json!({"alg": "none", "typ": "JWT"}), &claims, "");
        let other_key = sign(Algorithm::HS256, &claims, letters(&cx, 48).as_bytes());
        for token in [cx.word(), tampered, unsigned, other_key] {
            expect_refused(&cx, "/api/whoami", &token, "Bearer").await?;
        }
        Ok(())
    })
}

fn key_jwt_secret() -> Check {
    Check::new(
        "11.key.jwt_secret",
        "a token signed with JWT_SECRET opens the gate",
    )
    .hint("Sign and check tokens with the key from JWT_SECRET (at least 32 bytes).")
    .book("11-middleware.html#settings")
    .server_env(secret_env)
    .run(|cx| async move {
        let token = forge(&cx, &claims_for(&cx, "johndoe"));
        let reply = cx
            .get("/api/whoami")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"username": "johndoe"}))?;
        Ok(())
    })
}

fn attack_forged() -> Check {
    Check::new(
        "11.attack.forged",
        "expired, not-yet-valid, claim-less, other-algorithm and unknown-user tokens are refused",
    )
    .points(3)
    .hint(
        "Chapter 09's rules in the gate: exp required and checked without leeway, nbf and iat not \
         in the future, sub required and naming a user, HS256 only.",
    )
    .book("11-middleware.html#the-token-gate")
    .server_env(secret_env)
    .run(|cx| async move {
        let key = cx.env("JWT_SECRET");
        let mut tokens = Vec::new();
        let mut expired = claims_for(&cx, "johndoe");
        expired["iat"] = json!(now() - 120);
        expired["exp"] = json!(now() - 1);
        tokens.push(forge(&cx, &expired));
        for claim in ["nbf", "iat"] {
            let mut claims = claims_for(&cx, "johndoe");
            claims[claim] = json!(now() + 120);
            tokens.push(forge(&cx, &claims));
        }
        for claim in ["exp", "sub"] {
            let mut claims = claims_for(&cx, "johndoe");
            if let Some(object) = claims.as_object_mut() {
                object.remove(claim);
            }
            tokens.push(forge(&cx, &claims));
        }
        for algorithm in [Algorithm::HS384, Algorithm::HS512] {
            tokens.push(sign(algorithm, &claims_for(&cx, "johndoe"), key.as_bytes()));
        }
        tokens.push(forge(
            &cx,
            &claims_for(&cx, &format!("{}{}", cx.word(), cx.word())),
        ));
        for token in &tokens {
            expect_refused(&cx, "/api/whoami", token, "Bearer").await?;
        }
        Ok(())
    })
}

fn attack_disabled_user() -> Check {
    Check::new(
        "11.attack.disabled_user",
        "a well-signed token for alice is 400 Inactive user",
    )
    .hint("The gate refuses a disabled user after the token is checked.")
    .book("11-middleware.html#the-token-gate")
    .server_env(secret_env)
    .run(|cx| async move {
        super::ch09::expect_key_used(&cx, "/api/whoami").await?;
        let token = forge(&cx, &claims_for(&cx, "alice"));
        let reply = cx
            .get("/api/whoami")
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await?;
        reply.expect_detail(400, "Inactive user")?;
        Ok(())
    })
}

fn order_checks() -> Vec<Check> {
    vec![
        order_host_first(),
        order_cors_before_gate(),
        order_gate_before_routing(),
    ]
}

fn order_host_first() -> Check {
    Check::new(
        "11.order.host_first",
        "a bad Host wins over everything: a refused preflight or a missing token still gets \
         Invalid host header",
    )
    .points(2)
    .hint(
        "Order the layers outermost first: process time → trusted host → CORS → token gate → \
         handlers. In poem the last .with() is the outermost, as is FastAPI's last add_middleware.",
    )
    .book("11-middleware.html#the-order-of-the-layers")
    .run(|cx| async move {
        let host = stranger_host(&cx);
        let reply = cx
            .request("OPTIONS", "/api/whoami")
            .header("host", &host)
            .header("origin", &stranger_origin(&cx))
            .header("access-control-request-method", "GET")
            .send()
            .await?;
        reply.expect_detail(400, INVALID_HOST)?;
        cx.get("/api/whoami")
            .header("host", &host)
            .send()
            .await?
            .expect_detail(400, INVALID_HOST)?;
        let reply = cx
            .get("/openapi.json")
            .header("host", &host)
            .header("origin", ORIGINS[3])
            .send()
            .await?;
        reply.expect_detail(400, INVALID_HOST)?;
        expect_absent(&reply, "access-control-allow-origin")
    })
}

fn order_cors_before_gate() -> Check {
    Check::new(
        "11.order.cors_before_gate",
        "a preflight to /api/whoami needs no token: 200 for an allowed origin, 400 CORS for \
         another",
    )
    .points(2)
    .hint(
        "Browsers send preflights without credentials: CORS must answer them before the token gate \
         sees them.",
    )
    .book("11-middleware.html#the-order-of-the-layers")
    .run(|cx| async move {
        let reply = preflight(&cx, "/api/whoami", ORIGINS[2], "GET", Some("authorization")).await?;
        reply.expect_status(200)?;
        expect_exact(&reply, "access-control-allow-origin", ORIGINS[2])?;
        // Whether the refusal is JSON is 11.cors.preflight.refused's business.
        let reply = preflight(&cx, "/api/whoami", &stranger_origin(&cx), "GET", None).await?;
        expect_preflight_refused(&reply, Profile::Fastapi)?;
        let reply = cx
            .get("/api/whoami")
            .header("origin", ORIGINS[0])
            .send()
            .await?;
        expect_challenge(&reply, 401, "Not authenticated", "Bearer")?;
        expect_exact(&reply, "access-control-allow-origin", ORIGINS[0])
    })
}

fn order_gate_before_routing() -> Check {
    Check::new(
        "11.order.gate_before_routing",
        "a wrong method under /api/ without a token is 401, not 405",
    )
    .hint("The gate runs before the router: it does not know or care which routes exist.")
    .book("11-middleware.html#the-order-of-the-layers")
    .run(|cx| async move {
        let reply = cx.delete("/api/whoami").send().await?;
        expect_challenge(&reply, 401, "Not authenticated", "Bearer")
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_request_id(), ex_security_headers(), ex_login_limit()]
}

fn ex_request_id() -> Check {
    Check::new(
        "11.ex.request_id",
        "X-Request-Id: a plain id sent is echoed, otherwise a new one is made for each request",
    )
    .points(2)
    .exercise()
    .hint(
        "Outermost middleware: keep the client's X-Request-Id if it is 1-128 letters, digits, -_.: \
         ; else make a random one; set it on the request (for the log) and on the answer.",
    )
    .book("11-middleware.html#exercise-1-a-request-id")
    .run(|cx| async move {
        let sent = format!("{}-{}", cx.word(), cx.rng(|r| r.between(1, 999_999)));
        let reply = cx
            .get("/health")
            .header("x-request-id", &sent)
            .send()
            .await?;
        expect_exact(&reply, "x-request-id", &sent)?;
        let long = letters(&cx, 300);
        let mut made = Vec::new();
        for odd in [None, Some("has space"), Some("<b>"), Some(long.as_str())] {
            let mut req = cx.get(&format!("/{}", cx.word()));
            if let Some(odd) = odd {
                req = req.header("x-request-id", odd);
            }
            let reply = req.send().await?;
            let id = reply.header("x-request-id").unwrap_or_default().to_owned();
            ensure(!id.is_empty() && Some(id.as_str()) != odd, || {
                reply
                    .fail("no fresh X-Request-Id")
                    .expected("a new id")
                    .got(format!("X-Request-Id: {id:?}"))
            })?;
            ensure(!made.contains(&id), || {
                reply
                    .fail("two requests got the same X-Request-Id")
                    .got(id.clone())
            })?;
            made.push(id);
        }
        Ok(())
    })
}

fn ex_security_headers() -> Check {
    Check::new(
        "11.ex.security_headers",
        "every answer carries nosniff, X-Frame-Options DENY and Referrer-Policy no-referrer",
    )
    .exercise()
    .hint(
        "poem's SetHeader middleware (FastAPI: an @app.middleware(\"http\") that sets them), \
         outside the trusted-host check so that refusals get them too.",
    )
    .book("11-middleware.html#exercise-2-security-headers")
    .run(|cx| async move {
        let replies = [
            cx.get("/health").send().await?,
            cx.get(&format!("/{}", cx.word())).send().await?,
            cx.get("/openapi.json")
                .header("host", &stranger_host(&cx))
                .send()
                .await?,
        ];
        for reply in &replies {
            expect_exact(reply, "x-content-type-options", "nosniff")?;
            expect_exact(reply, "x-frame-options", "DENY")?;
            expect_exact(reply, "referrer-policy", "no-referrer")?;
        }
        Ok(())
    })
}

fn ex_login_limit() -> Check {
    Check::new(
        "11.ex.login_limit",
        "after LOGIN_RATE_LIMIT failed logins, POST /token is 429 Too many login attempts with \
         Retry-After",
    )
    .points(2)
    .exercise()
    .hint(
        "Count logins per client address when they start; past the limit answer 429 {\"detail\": \
         \"Too many login attempts\"} with Retry-After in seconds, before checking the password; a \
         success starts the count again.",
    )
    .book("11-middleware.html#exercise-3-a-limit-on-logins")
    .server_env(|rng| vec![("LOGIN_RATE_LIMIT".into(), rng.between(2, 4).to_string())])
    .run(|cx| async move {
        let limit: u32 = cx.env("LOGIN_RATE_LIMIT").parse().unwrap_or(2);
        for _ in 0..limit {
            let reply = login(&cx, "johndoe", &cx.word(), &[]).await?;
            expect_challenge(&reply, 401, "Incorrect username or password", "Bearer")?;
        }
        let reply = login(&cx, "johndoe", "secret", &[]).await?;
        reply.expect_detail(429, "Too many login attempts")?;
        let retry = reply
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok());
        ensure(retry.is_some_and(|s| (1..=60).contains(&s)), || {
            reply
                .fail("no Retry-After in seconds")
                .expected("Retry-After: 1 to 60")
                .got(format!("{:?}", reply.header("retry-after")))
        })?;
        let reply = form_post(
            &cx,
            "/token/",
            &[("username", "johndoe"), ("password", "secret")],
        )
        .await?;
        ensure(reply.status != 200, || {
            reply.fail("/token/ logged in past the limit")
        })
    })
}

/// A `Host` no default list trusts.
fn stranger_host(cx: &Ctx) -> String {
    format!("{}.{}.net", cx.word(), cx.word())
}

/// An origin not in the tutorial's list.
fn stranger_origin(cx: &Ctx) -> String {
    format!(
        "http://{}.{}.net:{}",
        cx.word(),
        cx.word(),
        cx.rng(|r| r.between(1024, 65535))
    )
}

/// A CORS preflight: OPTIONS with Origin, Access-Control-Request-Method and maybe -Headers.
async fn preflight(
    cx: &Ctx,
    path: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> Result<Reply, Failure> {
    let mut req = cx
        .request("OPTIONS", path)
        .header("origin", origin)
        .header("access-control-request-method", method);
    if let Some(headers) = headers {
        req = req.header("access-control-request-headers", headers);
    }
    req.send().await
}

/// Fails unless X-Process-Time is a number of seconds, 0 or more and under a minute.
/// Preflights from origins off the list are refused, each without Access-Control-Allow-Origin.
async fn strangers_refused(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let port = cx.rng(|r| r.between(8081, 9999));
    let origins = [
        stranger_origin(cx),
        format!("http://localhost:{port}"),
        "https://localhost".to_owned(),
        "https://localhost:8080".to_owned(),
        format!("http://{}.localhost.tiangolo.com", cx.word()),
        "null".to_owned(),
    ];
    for origin in &origins {
        let reply = preflight(cx, "/api/whoami", origin, "GET", Some("authorization")).await?;
        expect_preflight_refused(&reply, profile)?;
    }
    Ok(())
}

/// A refused preflight: 400 {"detail": "Disallowed CORS origin"} without
/// Access-Control-Allow-Origin; under the FastAPI profile Starlette's plain-text 400 passes too.
fn expect_preflight_refused(reply: &Reply, profile: Profile) -> Result<(), Failure> {
    let plain = reply
        .header("content-type")
        .is_some_and(|kind| kind.starts_with("text/plain"));
    if profile == Profile::Fastapi && plain {
        reply.expect_status(400)?;
        ensure(reply.text.trim() == DISALLOWED_ORIGIN, || {
            reply
                .fail("the refusal does not say why")
                .expected(DISALLOWED_ORIGIN)
                .got(reply.text.clone())
        })?;
    } else {
        reply.expect_detail(400, DISALLOWED_ORIGIN)?;
    }
    expect_absent(reply, "access-control-allow-origin")
}

/// `Bearer` alone, and with spaces after it, is 401 Not authenticated; under the FastAPI
/// profile it may also be refused as an invalid token.
async fn empty_bearer(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    for value in ["Bearer", "Bearer    "] {
        let reply = cx
            .get("/api/whoami")
            .header("authorization", value)
            .send()
            .await?;
        let invalid = reply.json().is_ok_and(|body| body["detail"] == INVALID);
        if profile == Profile::Fastapi && invalid {
            expect_challenge(&reply, 401, INVALID, "Bearer")?;
            continue;
        }
        expect_challenge(&reply, 401, "Not authenticated", "Bearer")?;
    }
    Ok(())
}

fn process_time(reply: &Reply) -> Result<(), Failure> {
    let value = reply.header("x-process-time");
    let seconds = value.and_then(|v| v.trim().parse::<f64>().ok());
    ensure(seconds.is_some_and(|s| (0.0..60.0).contains(&s)), || {
        reply
            .fail(format!(
                "no X-Process-Time in seconds on a {} answer",
                reply.status
            ))
            .expected("X-Process-Time: 0.0012")
            .got(format!("{value:?}"))
    })
}

/// Fails unless header `name` is exactly `value` (case-insensitive).
fn expect_exact(reply: &Reply, name: &str, value: &str) -> Result<(), Failure> {
    let got = reply.header(name);
    ensure(
        got.is_some_and(|v| v.trim().eq_ignore_ascii_case(value)),
        || {
            reply
                .fail(format!("{name} is not {value:?}"))
                .expected(format!("{name}: {value}"))
                .got(format!("{name}: {got:?}"))
        },
    )
}

/// Fails unless header `name` lists `item` (comma-separated, any case).
fn expect_listed(reply: &Reply, name: &str, item: &str) -> Result<(), Failure> {
    let got = reply.header(name);
    let listed = got.is_some_and(|v| {
        v.split(',')
            .any(|part| part.trim().eq_ignore_ascii_case(item))
    });
    ensure(listed, || {
        reply
            .fail(format!("{name} does not list {item:?}"))
            .expected(format!("{name}: …, {item}, …"))
            .got(format!("{name}: {got:?}"))
    })
}

/// Fails if header `name` is present.
fn expect_absent(reply: &Reply, name: &str) -> Result<(), Failure> {
    let got = reply.header(name);
    ensure(got.is_none(), || {
        reply
            .fail(format!("{name} is present"))
            .expected(format!("no {name}"))
            .got(format!("{name}: {got:?}"))
    })
}
