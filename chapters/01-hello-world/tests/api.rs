//! Chapter 01's contract, checked in-process with poem's test client, and the built program
//! checked from outside by the grader.

use ch01_hello_world::app;
use insta::assert_json_snapshot;
use kit::Docs;
use poem::Endpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};

fn client(docs: Docs) -> TestClient<impl Endpoint> {
    TestClient::new(app(&docs))
}

// ANCHOR: first_test
#[tokio::test]
async fn root_says_hello_world() {
    let cli = client(Docs::default());
    let resp = cli.get("/").send().await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"message": "Hello World"})).await;
}
// ANCHOR_END: first_test

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let resp = client(Docs::default()).head("/").send().await;
    resp.assert_status_is_ok();
    resp.assert_bytes(b"").await;
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let resp = client(Docs::default()).get("/nowhere").send().await;
    resp.assert_status(StatusCode::NOT_FOUND);
    resp.assert_json(json!({"detail": "Not Found"})).await;
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405_that_says_what_is_allowed() {
    let resp = client(Docs::default()).delete("/").send().await;
    resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    resp.assert_header("allow", "GET, HEAD");
    resp.assert_json(json!({"detail": "Method Not Allowed"}))
        .await;
}

#[tokio::test]
async fn a_trailing_slash_answers_like_the_declared_path() {
    let resp = client(Docs::default()).get("/about/").send().await;
    resp.assert_status_is_ok();
    resp.assert_json(json!({"title": "Hello World", "version": "1.0.0"}))
        .await;
}

// ANCHOR: snapshot_test
#[tokio::test]
async fn the_openapi_document_is_as_reviewed() {
    let resp = client(Docs::default()).get("/openapi.json").send().await;
    resp.assert_status_is_ok();
    let document: Value = kit::testing::json(resp).await;
    assert_json_snapshot!("openapi", document);
}
// ANCHOR_END: snapshot_test

#[tokio::test]
async fn swagger_ui_and_redoc_are_served_without_outside_assets() {
    let cli = client(Docs::default());
    for (path, marker) in [("/docs", "SwaggerUIBundle"), ("/redoc", "Redoc.init")] {
        let resp = cli.get(path).send().await;
        resp.assert_status_is_ok();
        resp.assert_content_type("text/html; charset=utf-8");
        let page = resp.0.into_body().into_string().await.unwrap();
        assert!(page.contains(marker), "{path} is not the expected page");
        assert_eq!(
            grader::chapters::external_assets(&page),
            Vec::<String>::new(),
            "{path}"
        );
    }
}

#[tokio::test]
async fn docs_pages_follow_their_settings() {
    let docs = Docs {
        openapi: Some("/api/schema.json".to_owned()),
        swagger_ui: Some("/manual".to_owned()),
        redoc: None,
    };
    let cli = client(docs);
    cli.get("/api/schema.json")
        .send()
        .await
        .assert_status_is_ok();
    cli.get("/manual").send().await.assert_status_is_ok();
    for gone in ["/openapi.json", "/docs", "/redoc"] {
        cli.get(gone)
            .send()
            .await
            .assert_status(StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn switched_off_docs_leave_the_api_alone() {
    let cli = client(Docs::off());
    for gone in ["/openapi.json", "/docs", "/redoc"] {
        let resp = cli.get(gone).send().await;
        resp.assert_status(StatusCode::NOT_FOUND);
        resp.assert_json(json!({"detail": "Not Found"})).await;
    }
    cli.get("/").send().await.assert_status_is_ok();
}

#[tokio::test]
async fn the_greeting_example_matches_the_greeting() {
    let resp = client(Docs::default()).get("/openapi.json").send().await;
    let document = kit::testing::json(resp).await;
    assert_eq!(
        document["components"]["schemas"]["Message"]["example"],
        json!({"message": "Hello World"})
    );
}

/// The program itself, started as a learner starts it.
mod program {
    use std::process::Stdio;
    use std::time::Duration;

    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch01-hello-world");
    const PATIENCE: Duration = Duration::from_secs(30);

    fn command(env: &[(&str, &str)], args: &[&str]) -> Command {
        let mut command = Command::new(PROGRAM);
        command
            .args(args)
            .envs(env.iter().copied())
            .env_remove("HOST")
            .env_remove("PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn first_line(child: &mut Child) -> String {
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("the program printed its first line in time")
            .expect("the program's output is readable");
        line
    }

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("01", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    #[tokio::test]
    async fn swagger_ui_renders_the_operations_in_a_real_browser() {
        let Some(browser) = kit::testing::Browser::find_or_skip(
            "swagger_ui_renders_the_operations_in_a_real_browser",
        ) else {
            return;
        };
        let mut child = command(&[], &["--port", "0"])
            .spawn()
            .expect("the program starts");
        let url = first_line(&mut child)
            .await
            .trim_end()
            .replace("listening on ", "");
        let page = browser.rendered_dom(&format!("{url}/docs")).await;
        // Swagger UI builds these elements with JavaScript: they exist only if the page ran.
        assert!(
            page.contains(r#"class="opblock-summary-method">GET"#),
            "no GET operation rendered:\n{page}"
        );
        assert!(
            page.contains(r#"data-path="/""#),
            "GET / is not rendered:\n{page}"
        );
    }

    #[tokio::test]
    async fn the_first_line_names_the_port_really_bound() {
        let mut child = command(&[], &["--port", "0"])
            .spawn()
            .expect("the program starts");
        let line = first_line(&mut child).await;
        let port: u16 = line
            .trim_end()
            .strip_prefix("listening on http://127.0.0.1:")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        assert_ne!(port, 0);
    }

    #[tokio::test]
    async fn sigterm_stops_the_server_cleanly() {
        let mut child = command(&[], &["--port", "0"])
            .spawn()
            .expect("the program starts");
        first_line(&mut child).await;
        let pid = child.id().expect("the program runs").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let status = tokio::time::timeout(PATIENCE, child.wait())
            .await
            .expect("it stops in time")
            .unwrap();
        assert!(status.success(), "{status}");
    }

    #[tokio::test]
    async fn a_bad_docs_url_stops_the_start_and_names_the_setting() {
        let child = command(&[("DOCS_URL", "docs")], &["--port", "0"])
            .spawn()
            .expect("the program starts");
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .expect("it stops")
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("error: DOCS_URL: must be a path"),
            "{stderr}"
        );
    }

    #[tokio::test]
    async fn a_port_in_use_is_a_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port().to_string();
        let child = command(&[], &["--port", &port])
            .spawn()
            .expect("the program starts");
        let output = tokio::time::timeout(PATIENCE, child.wait_with_output())
            .await
            .expect("it stops")
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")),
            "{stderr}"
        );
    }
}
