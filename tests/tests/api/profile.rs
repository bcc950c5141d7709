//! `--profile fastapi`: a tagged check accepts FastAPI's documented behaviour besides the
//! workbook's, and nothing else; `--list` shows the tags and reports name the profile.

use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use grader::check::Profile;
use grader::report::{Report, Status};
use grader::{Options, Target};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

const GRADER: &str = env!("CARGO_BIN_EXE_grader");

/// An answer: status, content type, body, and other headers.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: String,
    headers: Vec<(&'static str, &'static str)>,
}

impl Answer {
    fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: body.to_owned(),
            headers: Vec::new(),
        }
    }

    fn text(status: u16, content_type: &'static str, body: &str) -> Self {
        Self {
            content_type,
            ..Self::json(status, body)
        }
    }
}

type Route = Arc<dyn Fn(&str, &str) -> Answer + Send + Sync>;

/// A server that answers each request as `route` says from its method and path (the body is
/// read and dropped): it plays a server that is almost FastAPI, but wrong.
struct Scripted {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Scripted {
    async fn start(route: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Self {
        let route: Route = Arc::new(route);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, route.clone()));
            }
        });
        Self { url, task }
    }
}

async fn answer(stream: TcpStream, route: Route) {
    let mut reader = BufReader::new(stream);
    let mut request = String::new();
    if reader.read_line(&mut request).await.is_err() {
        return;
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) if line.trim_end().is_empty() => break,
            Ok(_) => {}
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return;
    }
    let mut words = request.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let answer = route(method, path);
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = reader.into_inner();
    let _ = stream.write_all(head.as_bytes()).await;
    if method != "HEAD" {
        let _ = stream.write_all(answer.body.as_bytes()).await;
    }
    let _ = stream.shutdown().await;
}

async fn grade(number: &str, url: &str) -> Report {
    let chapter = grader::chapters::find(number).expect("the chapter has checks");
    let options = Options {
        seed: 3,
        request_timeout: Duration::from_secs(2),
        check_timeout: Duration::from_secs(10),
        profile: Profile::Fastapi,
        ..Options::default()
    };
    grader::grade(chapter, &Target::Url(url.to_owned()), &options).await
}

fn status_of<'r>(report: &'r Report, id: &str) -> &'r Status {
    let result = report
        .results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} ran"));
    &result.status
}

fn expect_failed(report: &Report, id: &str) {
    let status = status_of(report, id);
    assert!(
        matches!(status, Status::Failed(_)),
        "{id} should fail under --profile fastapi, but {status:?}"
    );
}

fn expect_passed(report: &Report, id: &str) {
    let status = status_of(report, id);
    assert!(
        matches!(status, Status::Passed),
        "{id} should pass under --profile fastapi, but {status:?}"
    );
}

#[tokio::test]
async fn head_and_docs_accept_fastapi_answers_only() {
    let fastapi_like = Scripted::start(|method, path| match (method, path) {
        ("HEAD", "/") => Answer {
            headers: vec![("Allow", "GET")],
            ..Answer::json(405, r#"{"detail":"Method Not Allowed"}"#)
        },
        (_, "/docs") => Answer::text(
            200,
            "text/html",
            r#"<div id="swagger-ui"></div>
            <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js">
            </script><link rel="icon" href="https://fastapi.tiangolo.com/img/favicon.png">"#,
        ),
        (_, "/redoc") => Answer::text(
            200,
            "text/html",
            r#"<redoc spec-url="/openapi.json"></redoc>
            <link href="https://fonts.googleapis.com/css?family=Roboto" rel="stylesheet">"#,
        ),
        _ => Answer::json(404, r#"{"detail":"Not Found"}"#),
    })
    .await;
    let report = grade("01", &fastapi_like.url).await;
    expect_passed(&report, "01.root.head");
    expect_passed(&report, "01.docs.offline");

    let wrong = Scripted::start(|method, path| match (method, path) {
        // A 405 that does not name GET, and pages that load from anywhere.
        ("HEAD", "/") => Answer::json(405, r#"{"detail":"Method Not Allowed"}"#),
        (_, "/docs") => Answer::text(
            200,
            "text/html",
            r#"<div id="swagger-ui"></div><script src="https://evil.example/ui.js"></script>"#,
        ),
        (_, "/redoc") => Answer::text(200, "text/html", "<redoc></redoc>"),
        _ => Answer::json(404, r#"{"detail":"Not Found"}"#),
    })
    .await;
    let report = grade("01", &wrong.url).await;
    expect_failed(&report, "01.root.head");
    expect_failed(&report, "01.docs.offline");
}

#[tokio::test]
async fn lax_integers_and_decoded_slashes_must_be_read_as_fastapi_reads_them() {
    let almost = Scripted::start(|_, path| {
        if path.starts_with("/requests/") && path.contains("%2F") {
            // FastAPI's 404 names nothing else.
            return Answer::json(404, r#"{"detail":"No such request"}"#);
        }
        match path.strip_prefix("/items/") {
            // Python's integer would be whole; a float is not what was sent.
            Some(id) if id.trim_start_matches('-').len() >= 20 => {
                Answer::json(200, r#"{"item_id": 1e20}"#)
            }
            // Pydantic reads 7.0 as 7 and 7_000 as 7000, never as something else.
            Some(id) if id.contains('.') || id.contains('_') => {
                Answer::json(200, r#"{"item_id": 1}"#)
            }
            _ => Answer::json(404, r#"{"detail":"Not Found"}"#),
        }
    })
    .await;
    let report = grade("02", &almost.url).await;
    for id in [
        "02.items.i64",
        "02.items.integer_forms.strict",
        "02.requests.encoded_slash",
    ] {
        expect_failed(&report, id);
    }
}

#[tokio::test]
async fn a_refused_preflight_in_plain_text_must_still_say_why() {
    let vague = Scripted::start(|method, _| match method {
        "OPTIONS" => Answer::text(400, "text/plain; charset=utf-8", "Bad Request"),
        _ => Answer::json(404, r#"{"detail":"Not Found"}"#),
    })
    .await;
    let report = grade("11", &vague.url).await;
    expect_failed(&report, "11.cors.preflight.refused");

    let starlette = Scripted::start(|method, _| match method {
        "OPTIONS" => Answer::text(400, "text/plain; charset=utf-8", "Disallowed CORS origin"),
        _ => Answer::json(404, r#"{"detail":"Not Found"}"#),
    })
    .await;
    let report = grade("11", &starlette.url).await;
    expect_passed(&report, "11.cors.preflight.refused");
}

#[tokio::test]
async fn a_tagged_check_without_a_fastapi_reading_is_skipped_and_says_why() {
    let server = Scripted::start(|_, _| Answer::json(404, r#"{"detail":"Not Found"}"#)).await;
    let report = grade("05", &server.url).await;
    let Status::Skipped(reason) = status_of(&report, "05.openapi.headers") else {
        panic!("05.openapi.headers runs under --profile fastapi");
    };
    assert!(
        reason.starts_with("fastapi profile: documented-headers"),
        "{reason}"
    );
    assert!(report.to_text().contains("skipped (fastapi profile)"));
    assert!(report.to_text().contains("· profile fastapi"));
}

async fn grader(args: &[&str]) -> Output {
    let run = Command::new(GRADER)
        .args(args)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the grader finishes")
        .expect("the grader runs")
}

#[tokio::test]
async fn list_shows_each_checks_tag_and_what_the_fastapi_profile_does() {
    let output = grader(&["02", "--list"]).await;
    assert!(output.status.success());
    let listing = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "tag i64; under --profile fastapi: also accepts FastAPI's behaviour",
        "tag trailing-slash; under --profile fastapi: runs as written",
        "  i64                workbook: an integer is an i64",
        "FastAPI:  Python integers have no limit",
    ] {
        assert!(listing.contains(expected), "{expected:?} in:\n{listing}");
    }
    let output = grader(&["05", "--list"]).await;
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(listing.contains("tag documented-headers; under --profile fastapi: skipped"));
}

#[tokio::test]
async fn json_and_junit_reports_name_the_profile() {
    let dir = std::env::temp_dir().join(format!("grader-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let server = Scripted::start(|_, _| Answer::json(404, r#"{"detail":"Not Found"}"#)).await;
    let json = dir.join("report.json");
    let junit = dir.join("report.xml");
    for (format, path) in [("json", &json), ("junit", &junit)] {
        let path = path.to_string_lossy();
        let args = [
            "01",
            "--url",
            &server.url,
            "--profile",
            "fastapi",
            "--format",
            format,
        ];
        grader(&[&args[..], &["--output", &path]].concat()).await;
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    let chapter = &report["chapters"][0];
    assert_eq!(chapter["profile"], "fastapi");
    let head = chapter["results"]
        .as_array()
        .and_then(|results| results.iter().find(|r| r["id"] == "01.root.head"))
        .expect("01.root.head");
    assert_eq!(head["tag"], "head");
    assert!(
        head["note"]
            .as_str()
            .is_some_and(|note| note.contains("also accepts FastAPI's behaviour")),
        "{head}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report");
    assert!(xml.contains(r#"<property name="profile" value="fastapi"/>"#));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_grading_page_lists_every_tagged_check_and_only_those() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src/grading.md"),
    )
    .expect("the Grading page");
    let listed: Vec<&str> = page
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(id, _)| id))
        .collect();
    let tagged: Vec<&str> = grader::chapters::CHAPTERS
        .iter()
        .flat_map(|chapter| (chapter.checks)())
        .filter(|check| check.tag.is_some())
        .map(|check| check.id)
        .collect();
    for id in &tagged {
        assert!(
            listed.contains(id),
            "{id} is tagged but not in the Grading page's table"
        );
    }
    for id in &listed {
        assert!(
            tagged.contains(id),
            "{id} is in the Grading page's table but has no tag"
        );
    }
}
