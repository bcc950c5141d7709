//! Chapter 01 — hello world: the first endpoint, the docs pages, metadata, JSON errors.

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};

/// The checks of chapter 01, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    vec![
        root(),
        root_head(),
        not_found(),
        method_not_allowed(),
        openapi(),
        openapi_metadata(),
        openapi_operations(),
        docs_swagger(),
        docs_redoc(),
        docs_offline(),
        docs_off(),
        docs_moved(),
        // Exercises.
        ex_about(),
        ex_example(),
    ]
}

// ANCHOR: first_check
fn root() -> Check {
    Check::new("01.root", "GET / answers {\"message\": \"Hello World\"}")
        .points(3)
        .hint("Return a JSON object with one member, message, from GET /.")
        .book("01-hello-world.html#the-first-endpoint")
        .run(|cx| async move {
            cx.get("/")
                .send()
                .await?
                .expect_status(200)?
                .expect_json(&json!({"message": "Hello World"}))?;
            Ok(())
        })
}
// ANCHOR_END: first_check

// ANCHOR: tagged_check
fn root_head() -> Check {
    Check::new("01.root.head", "HEAD / answers like GET, without a body")
        .hint(
            "HEAD must work wherever GET does (RFC 9110). FastAPI needs methods=[\"GET\", \
             \"HEAD\"] for it.",
        )
        .book("01-hello-world.html#errors-come-as-json")
        .tag(Tag::Head)
        .run(|cx| async move { head_like_get(&cx, "/", Profile::Strict).await })
        .fastapi(|cx| async move { head_like_get(&cx, "/", Profile::Fastapi).await })
}
// ANCHOR_END: tagged_check

fn not_found() -> Check {
    Check::new(
        "01.not_found",
        "an unknown path is 404 {\"detail\": \"Not Found\"}",
    )
    .hint("Unknown routes answer JSON, as FastAPI does: {\"detail\": \"Not Found\"}.")
    .book("01-hello-world.html#errors-come-as-json")
    .run(|cx| async move {
        let path = format!("/{}/{}", cx.word(), cx.word());
        cx.get(&path)
            .send()
            .await?
            .expect_detail(404, "Not Found")?;
        Ok(())
    })
}

fn method_not_allowed() -> Check {
    Check::new(
        "01.method_not_allowed",
        "DELETE / is 405 {\"detail\": \"Method Not Allowed\"}",
    )
    .hint("A known path with a method it does not declare answers 405 in JSON.")
    .book("01-hello-world.html#errors-come-as-json")
    .run(|cx| async move {
        cx.delete("/")
            .send()
            .await?
            .expect_detail(405, "Method Not Allowed")?;
        Ok(())
    })
}

fn openapi() -> Check {
    Check::new(
        "01.openapi",
        "/openapi.json is an OpenAPI 3 document with GET /",
    )
    .points(2)
    .hint(
        "Serve the OpenAPI document at /openapi.json (poem-openapi: spec_endpoint(); FastAPI \
         serves it there unless openapi_url says otherwise).",
    )
    .book("01-hello-world.html#the-interactive-docs")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        for field in ["title", "version"] {
            ensure(
                doc["info"][field].as_str().is_some_and(|s| !s.is_empty()),
                || Failure::new(format!("info.{field} is missing")),
            )?;
        }
        ensure(doc["paths"]["/"]["get"].is_object(), || {
            Failure::new("the document does not describe GET /")
                .expected("paths./.get")
                .got(format!("paths: {}", keys(&doc["paths"])))
        })
    })
}

fn openapi_metadata() -> Check {
    Check::new(
        "01.openapi.metadata",
        "the document carries the app's metadata",
    )
    .points(2)
    .hint(
        "Set description, terms of service, contact (name, url, email), license (name, url) and \
         described tags.",
    )
    .book("01-hello-world.html#metadata")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let info = &doc["info"];
        for path in [
            "description",
            "termsOfService",
            "contact.name",
            "contact.url",
            "contact.email",
            "license.name",
            "license.url",
        ] {
            let value = path.split('.').fold(info, |v, key| &v[key]);
            ensure(value.as_str().is_some_and(|s| !s.trim().is_empty()), || {
                Failure::new(format!("info.{path} is missing"))
                    .expected(format!("info.{path}: a non-empty string"))
                    .got(format!("info: {info}"))
            })?;
        }
        let tags = doc["tags"].as_array().cloned().unwrap_or_default();
        let described = tags
            .iter()
            .any(|t| t["description"].is_string() && t["externalDocs"]["url"].is_string());
        ensure(described, || {
            Failure::new("no tag has both a description and external docs")
                .expected("tags: [{name, description, externalDocs: {url}}]")
                .got(format!("tags: {}", doc["tags"]))
        })
    })
}

fn openapi_operations() -> Check {
    Check::new(
        "01.openapi.operations",
        "every operation has a summary and a description",
    )
    .hint(
        "The first line of an operation's doc comment is its summary; the rest is its description.",
    )
    .book("01-hello-world.html#the-first-endpoint")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                operations += 1;
                for field in ["summary", "description"] {
                    ensure(op[field].as_str().is_some_and(|s| !s.is_empty()), || {
                        Failure::new(format!("{} {path} has no {field}", method.to_uppercase()))
                    })?;
                }
            }
        }
        ensure(operations > 0, || {
            Failure::new("the document describes no operation")
        })
    })
}

fn docs_swagger() -> Check {
    Check::new("01.docs.swagger", "/docs serves Swagger UI")
        .points(2)
        .hint(
            "Mount Swagger UI at /docs (poem-openapi feature swagger-ui: swagger_ui(); FastAPI: \
             docs_url, /docs by default).",
        )
        .book("01-hello-world.html#the-interactive-docs")
        .run(|cx| async move {
            let page = html_page(&cx, "/docs").await?;
            ensure(page.to_lowercase().contains("swagger-ui"), || {
                Failure::new("/docs is not a Swagger UI page")
            })
        })
}

fn docs_redoc() -> Check {
    Check::new("01.docs.redoc", "/redoc serves ReDoc")
        .hint(
            "Mount ReDoc at /redoc (poem-openapi feature redoc: redoc(); FastAPI: redoc_url, \
             /redoc by default).",
        )
        .book("01-hello-world.html#the-interactive-docs")
        .run(|cx| async move {
            let page = html_page(&cx, "/redoc").await?;
            ensure(page.to_lowercase().contains("redoc"), || {
                Failure::new("/redoc is not a ReDoc page")
            })
        })
}

fn docs_offline() -> Check {
    Check::new(
        "01.docs.offline",
        "the docs pages load nothing from other hosts",
    )
    .hint(
        "The pages must work offline: serve their scripts and styles yourself, not from a CDN or \
         Google Fonts (FastAPI: docs_url=None, then get_swagger_ui_html with swagger_js_url and \
         swagger_css_url pointing at your own static files).",
    )
    .book("01-hello-world.html#the-interactive-docs")
    .tag(Tag::OfflineDocs)
    .run(|cx| async move { docs_assets(&cx, &[]).await })
    .fastapi(|cx| async move { docs_assets(&cx, FASTAPI_ASSET_HOSTS).await })
}

fn docs_off() -> Check {
    Check::new(
        "01.docs.off",
        "OPENAPI_URL= switches the document and both pages off",
    )
    .points(2)
    .hint(
        "An empty OPENAPI_URL removes /openapi.json, and /docs and /redoc with it (they would have \
         nothing to show).",
    )
    .book("01-hello-world.html#moving-or-hiding-the-docs")
    .server_env(|_| vec![("OPENAPI_URL".into(), String::new())])
    .run(|cx| async move {
        for path in ["/openapi.json", "/docs", "/redoc"] {
            cx.get(path).send().await?.expect_detail(404, "Not Found")?;
        }
        cx.get("/").send().await?.expect_status(200)?;
        Ok(())
    })
}

fn docs_moved() -> Check {
    Check::new(
        "01.docs.moved",
        "OPENAPI_URL, DOCS_URL and REDOC_URL move or remove each page",
    )
    .points(2)
    .hint("Read the three variables once at start; an empty one switches its page off.")
    .book("01-hello-world.html#moving-or-hiding-the-docs")
    .server_env(|rng| {
        vec![
            (
                "OPENAPI_URL".into(),
                format!("/{}/openapi.json", rng.word()),
            ),
            ("DOCS_URL".into(), format!("/{}", rng.word())),
            ("REDOC_URL".into(), String::new()),
        ]
    })
    .run(|cx| async move {
        cx.document(&cx.env("OPENAPI_URL")).await?;
        html_page(&cx, &cx.env("DOCS_URL")).await?;
        for path in ["/openapi.json", "/docs", "/redoc"] {
            cx.get(path).send().await?.expect_detail(404, "Not Found")?;
        }
        Ok(())
    })
}

fn ex_about() -> Check {
    Check::new(
        "01.ex.about",
        "GET /about gives the document's title and version",
    )
    .points(2)
    .exercise()
    .hint(
        "Answer {\"title\": ..., \"version\": ...} with the same values as info.title and \
         info.version.",
    )
    .book("01-hello-world.html#exercise-1-about")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let expected = json!({"title": doc["info"]["title"], "version": doc["info"]["version"]});
        cx.get("/about")
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&expected)?;
        Ok(())
    })
}

fn ex_example() -> Check {
    Check::new(
        "01.ex.example",
        "the document shows an example of the greeting",
    )
    .exercise()
    .hint(
        "Give the response model an example (poem-openapi: #[oai(example)] and impl Example; \
         Pydantic: model_config = {\"json_schema_extra\": {\"examples\": [...]}}, or \
         Field(examples=[...])).",
    )
    .book("01-hello-world.html#exercise-2-an-example")
    .run(|cx| async move {
        let doc = cx.document("/openapi.json").await?;
        let greeting = cx.get("/").send().await?.json()?;
        let examples = response_examples(&doc, "/", "get", "200");
        ensure(examples.contains(&greeting), || {
            Failure::new("GET /'s 200 response has no example equal to the greeting")
                .expected(greeting.to_string())
                .got(format!("examples: {}", Value::Array(examples.clone())))
        })
    })
}

/// HEAD on `path` answers like GET, without a body; under the FastAPI profile it may also be
/// FastAPI's 405, which names GET as the method to use.
async fn head_like_get(cx: &Ctx, path: &str, profile: Profile) -> Result<(), Failure> {
    let reply = cx.head(path).send().await?;
    if profile == Profile::Fastapi && reply.status == 405 {
        return expect_get_only(&reply);
    }
    reply.expect_status(200)?;
    ensure(reply.text.is_empty(), || {
        reply.fail("a HEAD response must have no body")
    })
}

/// FastAPI's answer to HEAD on a route that registers GET only: 405 with `Allow: GET`.
pub(super) fn expect_get_only(reply: &Reply) -> Result<(), Failure> {
    reply.expect_status(405)?.expect_header("allow", "GET")?;
    ensure(reply.text.is_empty(), || {
        reply.fail("a HEAD response must have no body")
    })
}

/// Where FastAPI's docs pages load their scripts, styles, favicon and fonts from.
const FASTAPI_ASSET_HOSTS: &[&str] = &[
    "cdn.jsdelivr.net",
    "fastapi.tiangolo.com",
    "fonts.googleapis.com",
];

/// Fails if /docs or /redoc loads an asset from a host other than `allowed`.
async fn docs_assets(cx: &Ctx, allowed: &[&str]) -> Result<(), Failure> {
    for path in ["/docs", "/redoc"] {
        let page = html_page(cx, path).await?;
        let outside: Vec<String> = external_assets(&page)
            .into_iter()
            .filter(|url| !allowed.contains(&host_of(url)))
            .collect();
        ensure(outside.is_empty(), || {
            let expected = match allowed {
                [] => "no external scripts, styles or fonts".to_owned(),
                hosts => format!("assets from {} only", hosts.join(", ")),
            };
            Failure::new(format!("{path} loads assets from other hosts"))
                .expected(expected)
                .got(outside.join("\n"))
        })?;
    }
    Ok(())
}

/// The host of `https://host/...` or `//host/...`; empty for anything else.
fn host_of(url: &str) -> &str {
    let rest = ["https://", "http://", "//"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
        .unwrap_or_default();
    rest.split(['/', '?', ':']).next().unwrap_or_default()
}

/// Fetches an HTML page.
async fn html_page(cx: &Ctx, path: &str) -> Result<String, Failure> {
    let reply = cx.get(path).send().await?;
    reply
        .expect_status(200)?
        .expect_header("content-type", "text/html")?;
    Ok(reply.text)
}

fn keys(object: &Value) -> String {
    let keys: Vec<&str> = object
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .collect();
    format!("[{}]", keys.join(", "))
}

/// The addresses of scripts, styles and fonts that a page loads from another host.
pub fn external_assets(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for tag in ["<script", "<link"] {
        let mut rest = lower.as_str();
        while let Some(start) = rest.find(tag) {
            let after = &rest[start..];
            let end = after.find('>').unwrap_or(after.len());
            let element = &after[..end];
            for attribute in ["src=", "href="] {
                if let Some(at) = element.find(attribute) {
                    let value = element[at + attribute.len()..].trim_start_matches(['"', '\'']);
                    if value.starts_with("http://")
                        || value.starts_with("https://")
                        || value.starts_with("//")
                    {
                        let url: String = value
                            .chars()
                            .take_while(|c| !matches!(c, '"' | '\'' | ' '))
                            .collect();
                        found.push(url);
                    }
                }
            }
            rest = &after[end..];
        }
    }
    for marker in ["@import url(http", "url(https://fonts"] {
        if lower.contains(marker) {
            found.push(marker.to_owned());
        }
    }
    found
}

/// Every example given for one response: on the media type (`example`, or `examples` by
/// name), or on its schema (following a `$ref`): OpenAPI 3.0's `example`, JSON Schema's
/// `examples` list (what Pydantic v2 writes, in OpenAPI 3.1), or an object made of the first
/// example of each property when every property has one (Pydantic's `Field(examples=[...])`).
fn response_examples(doc: &Value, path: &str, method: &str, status: &str) -> Vec<Value> {
    let mut examples = Vec::new();
    let content = &doc["paths"][path][method]["responses"][status]["content"];
    for media in content.as_object().into_iter().flatten().map(|(_, m)| m) {
        examples.extend(media.get("example").cloned());
        for (_, named) in media["examples"].as_object().into_iter().flatten() {
            examples.extend(named.get("value").cloned());
        }
        let schema = resolve(doc, &media["schema"]);
        examples.extend(schema_examples(schema));
        if let Some(object) = properties_example(doc, schema) {
            examples.push(object);
        }
    }
    examples
}

/// The schema a `$ref` names, or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &doc["components"]["schemas"][name],
        None => schema,
    }
}

/// A schema's `example` and the values of its `examples` list.
fn schema_examples(schema: &Value) -> Vec<Value> {
    let listed = schema["examples"].as_array().into_iter().flatten().cloned();
    schema
        .get("example")
        .cloned()
        .into_iter()
        .chain(listed)
        .collect()
}

/// An object of the first example of each property, when every property has one.
fn properties_example(doc: &Value, schema: &Value) -> Option<Value> {
    let properties = schema["properties"].as_object()?;
    let mut object = serde_json::Map::new();
    for (name, property) in properties {
        let first = schema_examples(resolve(doc, property)).into_iter().next()?;
        object.insert(name.clone(), first);
    }
    (!object.is_empty()).then_some(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_assets_finds_cdn_scripts_and_fonts() {
        let page = concat!(
            r#"<link href="https://fonts.googleapis.com/css" rel="stylesheet">"#,
            r#"<script src='//cdn.example/x.js'></script><script>let a = "<b>";</script>"#,
        );
        assert_eq!(
            external_assets(page),
            vec!["//cdn.example/x.js", "https://fonts.googleapis.com/css"]
        );
    }

    #[test]
    fn pydantic_examples_lists_count_as_examples() {
        let greeting = json!({"message": "Hello World"});
        let by_model = json!({
            "paths": {"/": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Message"}
            }}}}}}},
            "components": {"schemas": {"Message": {
                "type": "object",
                "properties": {"message": {"type": "string"}},
                "examples": [{"message": "Hello World"}]
            }}}
        });
        assert_eq!(
            response_examples(&by_model, "/", "get", "200"),
            vec![greeting.clone()]
        );
        let mut by_field = by_model.clone();
        by_field["components"]["schemas"]["Message"] = json!({
            "type": "object",
            "properties": {"message": {"type": "string", "examples": ["Hello World"]}}
        });
        assert_eq!(
            response_examples(&by_field, "/", "get", "200"),
            vec![greeting]
        );
        let mut none = by_field;
        none["components"]["schemas"]["Message"]["properties"]["message"] = json!({});
        assert!(response_examples(&none, "/", "get", "200").is_empty());
    }

    #[test]
    fn the_host_of_an_asset_is_read_from_its_address() {
        assert_eq!(
            host_of("https://cdn.jsdelivr.net/npm/x.js"),
            "cdn.jsdelivr.net"
        );
        assert_eq!(
            host_of("//fonts.googleapis.com/css?family=a"),
            "fonts.googleapis.com"
        );
        assert_eq!(host_of("http://evil.example:8080/x.js"), "evil.example");
        assert_eq!(host_of("@import url(http"), "");
    }

    #[test]
    fn external_assets_ignores_inline_and_local_ones() {
        assert!(
            external_assets(r#"<script src="/static/ui.js"></script><link href="/a.css">"#)
                .is_empty()
        );
    }
}
