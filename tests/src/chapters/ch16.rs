//! Chapter 16 — deployment: chapter 14's service with static files, liveness and readiness,
//! and the client's address believed from a proxy only when the proxy is trusted.
//!
//! Path traversal is tried two ways: through the HTTP client, with the encodings it sends as
//! they are (`%2f`, `%5c`), and over a raw TCP connection, for the forms (`..`, `%2e%2e`) an
//! HTTP client would tidy away before sending.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ch14::{create_key, login, login_limit_reached, new_user, now, signed};
use crate::check::{Check, Ctx, Failure, Profile, Tag, ensure};

/// The checks of chapter 16, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = probe_checks();
    checks.extend(static_checks());
    checks.extend(proxy_checks());
    checks.extend(service_checks());
    checks.extend(config_checks());
    checks.extend(exercise_checks());
    checks
}

fn probe_checks() -> Vec<Check> {
    vec![
        health(),
        health_head(),
        ready(),
        probes_any_host(),
        errors(),
        docs(),
    ]
}

fn health() -> Check {
    Check::new("16.health", "GET /health answers 200 {\"status\": \"ok\"}")
        .hint(
            "Liveness: a handler that checks nothing and answers 200 {\"status\": \"ok\"} while \
             the process serves.",
        )
        .book("16-deployment.html#health-checks")
        .run(|cx| async move {
            cx.get("/health")
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"status": "ok"}))?;
            Ok(())
        })
}

fn health_head() -> Check {
    Check::new("16.health.head", "HEAD /health answers 200 without a body")
        .hint(
            "Probes may ask with HEAD: it must work wherever GET does (RFC 9110; FastAPI needs \
             methods=[\"GET\", \"HEAD\"]).",
        )
        .book("16-deployment.html#health-checks")
        .tag(Tag::Head)
        .run(|cx| async move { health_by_head(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { health_by_head(&cx, Profile::Fastapi).await })
}

/// HEAD /health is 200 without a body; under the FastAPI profile, also 405 naming GET.
async fn health_by_head(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let head = cx.head("/health").send().await?;
    if profile == Profile::Fastapi && head.status == 405 {
        return super::ch01::expect_get_only(&head);
    }
    head.expect_status(200)?;
    ensure(head.text.is_empty(), || {
        head.fail("a HEAD answer has no body")
            .got(head.text.clone())
    })
}

fn ready() -> Check {
    Check::new(
        "16.ready",
        "GET /ready answers 200 {\"status\": \"ready\"} when the database answers",
    )
    .points(2)
    .hint(
        "Readiness: run SELECT 1 on the pool within a short timeout; 200 {\"status\": \"ready\"} \
         if it works, 503 {\"detail\": ...} if not.",
    )
    .book("16-deployment.html#health-checks")
    .run(|cx| async move {
        cx.get("/ready")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"status": "ready"}))?;
        Ok(())
    })
}

fn probes_any_host() -> Check {
    Check::new(
        "16.probes.any_host",
        "the probes answer whatever Host the orchestrator sends; the API still checks it",
    )
    .points(1)
    .hint(
        "An orchestrator calls http://10.1.2.3:8000/health: keep /health and /ready outside the \
         trusted-host check, and only them.",
    )
    .book("16-deployment.html#health-checks")
    .run(|cx| async move {
        let host = format!(
            "10.{}.{}.{}:8000",
            cx.rng(|r| r.between(0, 255)),
            cx.rng(|r| r.between(0, 255)),
            cx.rng(|r| r.between(1, 254))
        );
        cx.get("/health")
            .header("host", &host)
            .send()
            .await?
            .expect_status(200)?;
        cx.get("/ready")
            .header("host", &host)
            .send()
            .await?
            .expect_status(200)?;
        cx.get("/whoami")
            .header("host", &host)
            .send()
            .await?
            .expect_detail(400, "Invalid host header")?;
        Ok(())
    })
}

fn errors() -> Check {
    Check::new(
        "16.errors",
        "unknown routes are 404 and wrong methods 405, in JSON",
    )
    .points(1)
    .hint(
        "The house conventions still hold around the new routes: {\"detail\": \"Not Found\"}, \
         {\"detail\": \"Method Not Allowed\"}.",
    )
    .book("16-deployment.html#putting-it-together")
    .run(|cx| async move {
        cx.get(&format!("/{}", cx.word()))
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        cx.post("/health")
            .send()
            .await?
            .expect_detail(405, "Method Not Allowed")?;
        cx.post("/static/style.css")
            .send()
            .await?
            .expect_detail(405, "Method Not Allowed")?;
        Ok(())
    })
}

fn docs() -> Check {
    Check::new(
        "16.docs",
        "/openapi.json lists chapter 14's operations and the probes; /docs is served",
    )
    .points(1)
    .hint("One OpenAPI document: chapter 14's routers and the operations router in one tuple.")
    .book("16-deployment.html#putting-it-together")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for path in [
            "/health",
            "/ready",
            "/whoami",
            "/auth/register/{sns_type}",
            "/api/users/apikeys",
            "/api/services",
        ] {
            ensure(doc["paths"].get(path).is_some(), || {
                Failure::new(format!("the document has no path {path}")).got(
                    doc["paths"]
                        .as_object()
                        .map(|p| p.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default(),
                )
            })?;
        }
        cx.get("/docs")
            .send()
            .await?
            .expect_status(200)?
            .expect_header("content-type", "text/html")?;
        Ok(())
    })
}

fn static_checks() -> Vec<Check> {
    vec![
        static_check(),
        static_head(),
        static_traversal(),
        static_folders(),
    ]
}

fn static_check() -> Check {
    Check::new(
        "16.static",
        "files under /static/ come with their content type",
    )
    .points(2)
    .hint(
        "Serve the static folder at /static/: index.html as text/html, style.css as text/css, \
         logo.png as image/png.",
    )
    .book("16-deployment.html#static-files")
    .run(|cx| async move {
        for (path, kind) in [
            ("/static/index.html", "text/html"),
            ("/static/style.css", "text/css"),
            ("/static/logo.png", "image/png"),
        ] {
            let reply = cx.get(path).send().await?;
            reply
                .expect_status(200)?
                .expect_header("content-type", kind)?;
            ensure(!reply.text.is_empty(), || {
                reply.fail(format!("{path} is empty"))
            })?;
        }
        let page = cx.get("/static/index.html").send().await?;
        ensure(page.text.to_ascii_lowercase().contains("<html"), || {
            page.fail("index.html is not the page")
                .got(page.text.clone())
        })
    })
}

fn static_head() -> Check {
    Check::new(
        "16.static.head",
        "HEAD on a static file: the same status and headers, no body",
    )
    .points(1)
    .hint("Answer HEAD like GET (content type, length) without the body (RFC 9110).")
    .book("16-deployment.html#static-files")
    .run(|cx| async move {
        let get = cx.get("/static/style.css").send().await?;
        let head = cx.head("/static/style.css").send().await?;
        head.expect_status(200)?
            .expect_header("content-type", "text/css")?;
        ensure(head.text.is_empty(), || {
            head.fail("a HEAD answer has no body")
                .got(head.text.clone())
        })?;
        let length = get.text.len().to_string();
        head.expect_header("content-length", &length)?;
        Ok(())
    })
}

fn static_traversal() -> Check {
    Check::new(
        "16.static.traversal",
        "no encoding of ../, no absolute path and no backslash leaves the folder: 404",
    )
    .points(3)
    .hint(
        "Decode the path once, then refuse empty, `.`, `..` and hidden segments, backslashes and \
         drive letters; check that the real path (links followed) is still inside the folder. \
         Answer 404 {\"detail\": \"Not Found\"}.",
    )
    .book("16-deployment.html#static-files")
    .run(|cx| async move {
        let target = cx.rng(|r| *r.pick(&["Cargo.toml", "etc/passwd", "src/main.rs"]));
        let climbs = "../".repeat(cx.rng(|r| r.between(1, 6)) as usize);
        let through_client = [
            format!("/static/{}", climbs.replace('/', "%2f") + target),
            format!("/static/{}", climbs.replace("../", "%2e%2e%2f") + target),
            format!("/static/{}", climbs.replace("../", "..%5c") + target),
            format!(
                "/static/{}",
                climbs.replace("../", "%252e%252e%252f") + target
            ),
            "/static/%2fetc%2fpasswd".to_owned(),
            "/static//etc/passwd".to_owned(),
            "/static/C:%5cWindows%5cwin.ini".to_owned(),
        ];
        for path in &through_client {
            cx.get(path).send().await?.expect_detail(404, "Not Found")?;
        }
        for path in [
            format!("/static/{climbs}{target}"),
            format!("/static/{}", climbs.replace("..", "%2e%2e") + target),
            format!("/static/{}", climbs.replace("..", ".%2E") + target),
        ] {
            let (status, body) = raw_get(&cx, &path).await?;
            ensure(status == 404 && body.contains("Not Found"), || {
                Failure::new(format!("GET {path} (sent as is) should be 404 Not Found"))
                    .expected("404 {\"detail\": \"Not Found\"}")
                    .got(format!("{status} {body}"))
            })?;
        }
        Ok(())
    })
}

fn static_folders() -> Check {
    Check::new(
        "16.static.folders",
        "a folder is not listed, and a missing file is 404",
    )
    .points(1)
    .hint(
        "No directory listing: /static/ and /static/<folder> are 404, as a file that does not \
         exist.",
    )
    .book("16-deployment.html#static-files")
    .run(|cx| async move {
        cx.get("/static/")
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        cx.get(&format!("/static/{}.html", cx.word()))
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        Ok(())
    })
}

fn proxy_checks() -> Vec<Check> {
    vec![whoami(), whoami_trusted()]
}

fn whoami() -> Check {
    Check::new(
        "16.whoami",
        "GET /whoami names the connection's address; forwarding headers from an untrusted peer are \
         ignored",
    )
    .points(2)
    .hint(
        "With no TRUSTED_PROXIES, the client is the TCP peer, whatever X-Forwarded-For or \
         Forwarded say.",
    )
    .book("16-deployment.html#behind-a-proxy")
    .run(|cx| async move {
        cx.get("/whoami")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"client": "127.0.0.1"}))?;
        let spoofed = doc_address(&cx);
        let reply = cx
            .get("/whoami")
            .header("x-forwarded-for", &spoofed)
            .header("forwarded", &format!("for={spoofed}"))
            .header("x-real-ip", &spoofed)
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_json(&json!({"client": "127.0.0.1"}))?;
        Ok(())
    })
}

fn whoami_trusted() -> Check {
    Check::new(
        "16.whoami.trusted",
        "from a trusted proxy, the right-most untrusted X-Forwarded-For address is the client",
    )
    .points(2)
    .hint(
        "TRUSTED_PROXIES=127.0.0.1: walk X-Forwarded-For from the right while the address is a \
         trusted proxy; the first other one is the client (the ones left of it were written by the \
         client).",
    )
    .book("16-deployment.html#behind-a-proxy")
    .server_env(|_| vec![("TRUSTED_PROXIES".into(), "127.0.0.1".into())])
    .run(|cx| async move {
        let client = doc_address(&cx);
        let lie = doc_address(&cx);
        let whoami = |header: String| {
            let cx = cx.clone();
            async move {
                cx.get("/whoami")
                    .header("x-forwarded-for", &header)
                    .send()
                    .await
            }
        };
        whoami(client.clone())
            .await?
            .expect_status(200)?
            .expect_json(&json!({"client": client}))?;
        whoami(format!("{lie}, {client}"))
            .await?
            .expect_json(&json!({"client": client}))?;
        whoami(format!("{lie}, {client}, 127.0.0.1"))
            .await?
            .expect_json(&json!({"client": client}))?;
        cx.get("/whoami")
            .send()
            .await?
            .expect_json(&json!({"client": "127.0.0.1"}))?;
        Ok(())
    })
}

fn service_checks() -> Vec<Check> {
    vec![
        Check::new(
            "16.service",
            "chapter 14's service works in the deployed one: register, log in, make a key, sign a \
             request",
        )
        .points(3)
        .hint("Serve chapter 14's routers and state unchanged, inside the deployed app.")
        .book("16-deployment.html#putting-it-together")
        .run(|cx| async move {
            let user = new_user(&cx).await?;
            login(&cx, &user.email, "correct horse battery")
                .await?
                .expect_status(200)?;
            let key = create_key(&cx, &user.token, Value::Null).await?;
            let reply = signed(&cx, &key, now(), false).await?;
            reply
                .expect_status(200)?
                .expect_json(&json!({"your_email": user.email}))?;
            Ok(())
        }),
        Check::new(
            "16.login.limit",
            "chapter 14's limit on logins holds in the deployed service: wrong passwords for one \
             account meet a 429 with Retry-After within 200 tries",
        )
        .points(2)
        .hint(
            "Serve chapter 14's routers with its state, limits included; behind a proxy, count \
             the client's address, not the proxy's.",
        )
        .book("16-deployment.html#limits-behind-a-proxy")
        // A server of its own: the failures it counts must not meet the other checks' logins.
        .server_env(|_| Vec::new())
        .run(|cx| async move { login_limit_reached(&cx).await }),
    ]
}

fn config_checks() -> Vec<Check> {
    vec![
        Check::new(
            "16.config",
            "a bad setting stops the start, by name: a bad value, an unknown key in the file, a \
             missing file",
        )
        .points(3)
        .program()
        .hint(
            "Read and check every setting before listening; exit non-zero with the setting's name \
             on standard error: WORKERS=abc, LOG_FORMAT=xml, TRUSTED_PROXIES=proxy.internal, an \
             unknown KEY in the CONFIG_FILE, a CONFIG_FILE that does not exist.",
        )
        .book("16-deployment.html#configuration")
        .run(|cx| async move {
            let typo =
                cx.rng(|r| *r.pick(&["WROKERS", "DATABSE_URL", "LOG_FROMAT", "TRUSTED_PROXY"]));
            let file = cx.folder()?.join("app.env");
            std::fs::write(&file, format!("# settings\nWORKERS=2\n{typo}=1\n"))
                .map_err(|err| Failure::new(format!("cannot write {}: {err}", file.display())))?;
            let cases = [
                ("WORKERS", "abc", "WORKERS"),
                ("LOG_FORMAT", "xml", "LOG_FORMAT"),
                (
                    "TRUSTED_PROXIES",
                    "127.0.0.1,proxy.internal",
                    "TRUSTED_PROXIES",
                ),
                ("CONFIG_FILE", "app.env", typo),
                ("CONFIG_FILE", "missing.env", "missing.env"),
            ];
            for (key, value, named) in cases {
                let output = cx.command(&["--port", "0"])?.env(key, value).run().await?;
                output.expect_failure()?;
                ensure(output.stderr.contains(named), || {
                    output
                        .fail(format!("the error does not name {named}"))
                        .expected(format!(
                            "{named} and what is wrong with it, on standard error"
                        ))
                })?;
                ensure(!output.stdout.contains("listening on"), || {
                    output.fail("it listened before it refused")
                })?;
            }
            Ok(())
        }),
    ]
}

fn exercise_checks() -> Vec<Check> {
    vec![ex_version(), ex_cache_control(), ex_request_id()]
}

fn ex_version() -> Check {
    Check::new(
        "16.ex.version",
        "GET /version names the program and its version",
    )
    .points(2)
    .exercise()
    .hint(
        "Answer {\"name\", \"version\", ...} from values fixed at build time \
         (env!(\"CARGO_PKG_VERSION\")).",
    )
    .book("16-deployment.html#exercise-1-what-is-running")
    .run(|cx| async move {
        let reply = cx.get("/version").send().await?;
        let body = reply.expect_status(200)?.json()?;
        ensure(
            body["name"].as_str().is_some_and(|n| !n.is_empty())
                && body["version"].as_str().is_some_and(|v| !v.is_empty()),
            || {
                reply
                    .fail("the answer does not name the program and its version")
                    .expected("{\"name\": \"…\", \"version\": \"…\", …}")
                    .got(body.to_string())
            },
        )
    })
}

fn ex_cache_control() -> Check {
    Check::new(
        "16.ex.cache_control",
        "static files carry Cache-Control with a max-age",
    )
    .points(1)
    .exercise()
    .hint("Add Cache-Control: public, max-age=3600 to every static file answer.")
    .book("16-deployment.html#exercise-2-let-browsers-keep-static-files")
    .run(|cx| async move {
        let reply = cx.get("/static/style.css").send().await?;
        reply
            .expect_status(200)?
            .expect_header("cache-control", "max-age=")?;
        Ok(())
    })
}

fn ex_request_id() -> Check {
    Check::new(
        "16.ex.request_id",
        "each answer carries an X-Request-Id: a new one, or a trusted proxy's",
    )
    .points(2)
    .exercise()
    .hint(
        "Give every answer an X-Request-Id and log it: a new random id for each request, unless \
         the peer is a trusted proxy that sent a plain one (nginx's $request_id).",
    )
    .book("16-deployment.html#exercise-3-follow-a-request-through-nginx")
    .server_env(|_| vec![("TRUSTED_PROXIES".into(), "127.0.0.1".into())])
    .run(|cx| async move {
        let id_of = |reply: &crate::check::Reply| {
            reply.header("x-request-id").unwrap_or_default().to_owned()
        };
        let first = cx.get("/health").send().await?;
        let second = cx.get("/whoami").send().await?;
        let (a, b) = (id_of(&first), id_of(&second));
        ensure(!a.is_empty() && !b.is_empty() && a != b, || {
            second
                .fail("each answer should carry its own X-Request-Id")
                .expected("two different ids")
                .got(format!("{a:?} and {b:?}"))
        })?;
        let sent = format!("{}-{}", cx.word(), cx.rng(|r| r.between(0, 999_999)));
        let reply = cx
            .get("/whoami")
            .header("x-request-id", &sent)
            .send()
            .await?;
        reply
            .expect_status(200)?
            .expect_header("x-request-id", &sent)?;
        Ok(())
    })
}

/// An address of the documentation ranges (RFC 5737), drawn from the seed.
fn doc_address(cx: &Ctx) -> String {
    let net = cx.rng(|r| *r.pick(&["192.0.2", "198.51.100", "203.0.113"]));
    format!("{net}.{}", cx.rng(|r| r.between(1, 254)))
}

/// `GET path` over a plain TCP connection, the path sent exactly as given; the status and
/// the body. An HTTP client would resolve `..` and `%2e%2e` before sending.
async fn raw_get(cx: &Ctx, path: &str) -> Result<(u16, String), Failure> {
    let authority = cx.base().trim_start_matches("http://").to_owned();
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&authority).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = tokio::time::timeout(std::time::Duration::from_secs(5), exchange)
        .await
        .map_err(|_| Failure::new(format!("no answer to GET {path} within 5 s")))?
        .map_err(|err| Failure::new(format!("GET {path} over TCP failed: {err}")))?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            Failure::new(format!("the answer to GET {path} is not HTTP")).got(answer.clone())
        })?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
