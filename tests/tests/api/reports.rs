//! Reports stay small whatever a server answers, count skipped points apart, and give
//! programs the subtotals.

use std::time::Duration;

use grader::chapters;
use grader::check::{CUT, Exchange, Failure, Profile};
use grader::report::{self, CheckResult, Points, Report, Status, Style, Subtotals};
use grader::{Options, Target};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A server that answers every request 200 with its body echoed in JSON, however large: the
/// server whose reports were megabytes, the grader quoting back what it sent.
struct Echo {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Echo {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(echo(stream));
            }
        });
        Self { url, task }
    }
}

async fn echo(stream: TcpStream) {
    let mut reader = BufReader::new(stream);
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
    let answer = serde_json::json!({"echo": String::from_utf8_lossy(&body)}).to_string();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        answer.len()
    );
    let mut stream = reader.into_inner();
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(answer.as_bytes()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chapter_04_reports_stay_small_when_the_server_echoes_megabytes() {
    let server = Echo::start().await;
    let chapter = chapters::find("04").expect("chapter 04 has checks");
    let options = Options {
        seed: 5,
        request_timeout: Duration::from_secs(10),
        ..Options::default()
    };
    let report = tokio::time::timeout(
        Duration::from_secs(120),
        grader::grade(chapter, &Target::Url(server.url.clone()), &options),
    )
    .await
    .expect("the grader finishes");
    assert!(
        report.failures().count() > 10,
        "the echo breaks most of the contract"
    );
    let reports = [report];
    let book = "http://localhost:3000";
    for (format, text) in [
        ("text", report::text(&reports, book, Style { color: false })),
        ("json", report::json(&reports, book)),
        ("junit", report::junit(&reports, book)),
    ] {
        assert!(
            text.len() < 100 * 1024,
            "the {format} report is {} bytes",
            text.len()
        );
    }
    // What was cut says how much there was; nothing is longer than the cut and its note.
    let mut cut = 0;
    for (_, failure) in reports[0].failures() {
        let exchange = failure.exchange.as_deref();
        let texts = [
            Some(&failure.message),
            failure.expected.as_ref(),
            failure.got.as_ref(),
            exchange.map(|e| &e.curl),
            exchange.and_then(|e| e.body.as_ref()),
            exchange.and_then(|e| e.response_body.as_ref()),
        ];
        for text in texts.into_iter().flatten() {
            assert!(
                text.len() <= CUT + 40,
                "{} bytes: {}…",
                text.len(),
                &text[..80]
            );
            cut += usize::from(text.ends_with(" bytes in all)"));
        }
    }
    assert!(cut > 0, "an echoed body of megabytes is cut");
    // A request whose body is too long to paste is sent from a file.
    let big = reports[0]
        .results
        .iter()
        .find(|r| r.id == "04.files.big")
        .expect("04.files.big ran");
    let Status::Failed(failure) = &big.status else {
        panic!("04.files.big should fail against an echo");
    };
    let curl = &failure.exchange.as_ref().expect("the request").curl;
    assert!(curl.contains("--data-binary @request-body "), "{curl}");
}

fn result(id: &str, points: u32, exercise: bool, status: Status) -> CheckResult {
    let earned = if matches!(status, Status::Passed) {
        points
    } else {
        0
    };
    CheckResult {
        id: id.to_owned(),
        title: format!("what {id} checks"),
        points,
        earned,
        exercise,
        status,
        hint: format!("the hint of {id}"),
        book: "01-hello-world.html#the-first-endpoint".to_owned(),
        tag: None,
        note: None,
        duration: Duration::from_millis(12),
    }
}

fn skipped() -> Status {
    Status::Skipped("needs a server started with other settings; grade with --bin".to_owned())
}

fn failed() -> Status {
    let mut failure = Failure::new("the JSON body differs from the contract")
        .expected(r#"{"message":"Hello World"}"#)
        .got(r#"{"message":"Hello world"}"#);
    failure.start =
        Some("(cd \"$(mktemp -d)\" && /bin/server --host 127.0.0.1 --port 4321)".into());
    failure.exchange = Some(Box::new(Exchange {
        method: "GET".to_owned(),
        url: "http://127.0.0.1:4321/".to_owned(),
        headers: Vec::new(),
        body: None,
        curl: "curl -i 'http://127.0.0.1:4321/'".to_owned(),
        status: Some(200),
        response_headers: Vec::new(),
        response_body: Some(r#"{"message":"Hello world"}"#.to_owned()),
    }));
    Status::Failed(failure)
}

fn report(chapter: &str, results: Vec<CheckResult>) -> Report {
    Report {
        chapter: chapter.to_owned(),
        title: "hello world".to_owned(),
        target: "http://127.0.0.1:4321".to_owned(),
        seed: 7,
        profile: Profile::Strict,
        error: None,
        results,
        duration: Duration::from_millis(300),
    }
}

/// Every contract check that ran passed, two were skipped, one exercise passed.
fn all_that_ran_passed() -> Report {
    report(
        "01",
        vec![
            result("01.root", 3, false, Status::Passed),
            result("01.not_found", 1, false, Status::Passed),
            result("01.docs.off", 2, false, skipped()),
            result("01.docs.moved", 2, false, skipped()),
            result("01.ex.about", 2, true, Status::Passed),
        ],
    )
}

#[test]
fn a_summary_with_skipped_checks_never_reads_as_full_marks() {
    let text = all_that_ran_passed().to_text();
    assert!(
        text.contains(
            "  6/6 points · 4 points skipped (need --bin) · 3 passed, 0 failed, 2 skipped"
        ),
        "{text}"
    );
    let one = report("01", vec![result("01.docs.off", 1, false, skipped())]).to_text();
    assert!(
        one.contains("0/0 points · 1 point skipped (need --bin)"),
        "{one}"
    );
}

#[test]
fn subtotals_split_the_contract_the_exercises_and_the_skipped_points() {
    let mut second = all_that_ran_passed();
    second.chapter = "02".to_owned();
    second.results[0] = result("02.items", 3, false, failed());
    second.results.push(result("02.ex.more", 4, true, failed()));
    assert_eq!(
        second.subtotals(),
        Subtotals {
            contract: Points {
                earned: 1,
                possible: 4,
                skipped: 4
            },
            exercises: Points {
                earned: 2,
                possible: 6,
                skipped: 0
            },
            skipped: 4,
        }
    );
    assert_eq!(second.score(), (3, 10));
    let reports = [all_that_ran_passed(), second];

    let json: serde_json::Value =
        serde_json::from_str(&report::json(&reports, "http://book")).expect("JSON");
    assert_eq!(
        json["score"],
        serde_json::json!({"earned": 9, "possible": 16, "skipped": 8})
    );
    assert_eq!(json["subtotals"]["contract"]["possible"], 8);
    let first = &json["chapters"][0]["subtotals"];
    assert_eq!(
        first["contract"],
        serde_json::json!({"earned": 4, "possible": 4, "skipped": 4})
    );
    assert_eq!(
        first["exercises"],
        serde_json::json!({"earned": 2, "possible": 2, "skipped": 0})
    );
    assert_eq!(first["skipped"], 4);

    let xml = report::junit(&reports, "http://book");
    for property in [
        r#"<property name="points.earned" value="6"/>"#,
        r#"<property name="points.possible" value="6"/>"#,
        r#"<property name="points.skipped" value="4"/>"#,
        r#"<property name="contract.earned" value="1"/>"#,
        r#"<property name="exercises.possible" value="6"/>"#,
        r#"<property name="points" value="3"/><property name="earned" value="0"/>"#,
    ] {
        assert!(xml.contains(property), "{property} in\n{xml}");
    }

    let text = report::text(&reports, "http://book", Style { color: false });
    let last = text.trim_end().lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "total · 2 chapters · 9/16 points (contract 5/8, exercises 4/8) · \
         8 points skipped (need --bin) · 1 of them not passed"
    );
    let single = report::text(&reports[..1], "http://book", Style { color: false });
    assert!(!single.contains("total ·"), "{single}");
}

#[test]
fn one_failed_check_renders_in_full() {
    let failed = result("01.root", 3, false, failed());
    let text = report::render_failure(&failed, "http://book/");
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        labels,
        [
            "problem", "request", "start", "try", "expected", "got", "hint", "book"
        ],
        "{text}"
    );
    assert!(
        text.contains("      start     (cd \"$(mktemp -d)\" && /bin/server"),
        "{text}"
    );
    assert!(
        text.contains("      try       curl -i 'http://127.0.0.1:4321/'"),
        "{text}"
    );
    assert!(
        text.contains("      book      http://book/01-hello-world.html#the-first-endpoint"),
        "{text}"
    );
    // The same block the full report shows under the check.
    let full = report("01", vec![failed.clone()]).to_text();
    assert!(full.contains(&report::render_failure(&failed, "http://localhost:3000")));
    assert_eq!(
        report::render_failure(&result("01.root", 3, false, Status::Passed), ""),
        ""
    );
}

#[test]
fn a_report_without_a_server_is_no_pass() {
    let mut report = all_that_ran_passed();
    report.error = Some(Failure::new("the server could not be started: it stopped"));
    assert!(!report.passed());
}
