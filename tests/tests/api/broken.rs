//! The grader against servers that break the contract, or HTTP itself.

use std::time::Duration;

use grader::chapters;
use grader::check::Profile;
use grader::fixtures::{Broken, BrokenServer};
use grader::report::{Report, Status};
use grader::{Options, Target};

fn quick() -> Options {
    Options {
        seed: 7,
        request_timeout: Duration::from_millis(500),
        check_timeout: Duration::from_secs(5),
        startup_timeout: Duration::from_secs(5),
        env: Vec::new(),
        profile: Profile::Strict,
    }
}

async fn grade_url(url: &str) -> Report {
    let chapter = chapters::find("01").expect("chapter 01 has checks");
    // A hung grader fails this test instead of hanging the test run.
    tokio::time::timeout(
        Duration::from_secs(60),
        grader::grade(chapter, &Target::Url(url.to_owned()), &quick()),
    )
    .await
    .expect("the grader finishes even when the server does not answer")
}

async fn grade_broken(broken: Broken) -> Report {
    let server = BrokenServer::start(broken, "127.0.0.1", 0)
        .await
        .expect("a free port");
    grade_url(&server.url).await
}

/// The failure of check `id`, which must have failed.
fn failure_of<'r>(report: &'r Report, id: &str) -> &'r grader::check::Failure {
    let result = report
        .results
        .iter()
        .find(|r| r.id == id)
        .expect("the check ran");
    match &result.status {
        Status::Failed(failure) => failure,
        other => panic!("{id} should have failed, but {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_body_fails_with_expected_and_received_json() {
    let report = grade_broken(Broken::WrongBody).await;
    assert!(!report.passed());
    let failure = failure_of(&report, "01.root");
    assert_eq!(failure.message, "the JSON body differs from the contract");
    assert_eq!(
        failure.expected.as_deref(),
        Some(r#"{"message":"Hello World"}"#)
    );
    assert_eq!(failure.got.as_deref(), Some(r#"{"message":"Hello world"}"#));
    let exchange = failure.exchange.as_ref().expect("the request is shown");
    assert_eq!(exchange.curl, format!("curl -i '{}/'", report.target));
}

#[tokio::test]
async fn a_wrong_status_fails_naming_both_statuses() {
    let report = grade_broken(Broken::WrongStatus).await;
    assert_eq!(
        failure_of(&report, "01.root").message,
        "expected status 200, got 201"
    );
}

#[tokio::test]
async fn a_missing_content_type_fails_naming_the_header() {
    let report = grade_broken(Broken::MissingHeader).await;
    let failure = failure_of(&report, "01.root");
    assert_eq!(failure.message, "header content-type is missing");
    assert_eq!(failure.got.as_deref(), Some("no content-type header"));
}

#[tokio::test]
async fn a_hanging_server_fails_every_check_on_time() {
    let report = grade_broken(Broken::Hang).await;
    let failure = failure_of(&report, "01.root");
    assert!(
        failure.message.starts_with("no response within 0.5 s"),
        "{}",
        failure.message
    );
    assert!(
        report
            .results
            .iter()
            .all(|r| !matches!(r.status, Status::Passed))
    );
}

#[tokio::test]
async fn a_server_that_hangs_up_fails_as_closed() {
    let report = grade_broken(Broken::Close).await;
    assert_eq!(
        failure_of(&report, "01.root").message,
        "the server closed the connection without answering"
    );
}

#[tokio::test]
async fn bytes_that_are_not_http_fail_as_such() {
    let report = grade_broken(Broken::Garbage).await;
    let message = &failure_of(&report, "01.root").message;
    assert!(
        message.starts_with("the server's answer is not HTTP"),
        "{message}"
    );
}

#[tokio::test]
async fn a_refused_connection_says_the_server_is_not_running() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = grade_url(&format!("http://127.0.0.1:{port}")).await;
    // Said once for the run, not once per check.
    let message = &report
        .error
        .as_ref()
        .expect("the run has no server")
        .message;
    assert!(
        message.starts_with(&format!(
            "the server could not be reached: could not connect to http://127.0.0.1:{port}: \
             is the server running?"
        )),
        "{message}"
    );
    assert_eq!(report.failures().count(), 0);
}

#[tokio::test]
async fn checks_needing_a_restart_are_skipped_for_a_url() {
    let report = grade_broken(Broken::WrongBody).await;
    let skipped: Vec<&str> = report
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Skipped(_)))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(skipped, ["01.docs.off", "01.docs.moved"]);
    let (earned, possible) = report.score();
    assert!(earned < possible);
}

#[tokio::test]
async fn the_report_a_learner_reads_is_as_reviewed() {
    let report = grade_broken(Broken::WrongBody).await;
    let text = report
        .to_text()
        .replace(&report.target, "http://127.0.0.1:PORT");
    let text = regex_free_durations(&text);
    insta::assert_snapshot!("wrong_body_report", text);
}

/// Replaces the run's duration (`· 0.3 s ·`) with a fixed text.
fn regex_free_durations(text: &str) -> String {
    text.lines()
        .map(
            |line| match (line.find(" failed, "), line.rfind(" s · repeat")) {
                (Some(_), Some(end)) => {
                    let start = line[..end].rfind("· ").map_or(end, |i| i + "· ".len());
                    format!("{}N{}", &line[..start], &line[end..])
                }
                _ => line.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// Chapter 13's checks that run the program, graded on `target`.
async fn grade_commands(target: Target) -> Report {
    let chapter = chapters::find("13").expect("chapter 13 has checks");
    let options = Options {
        startup_timeout: Duration::from_secs(10),
        ..quick()
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        grader::grade(chapter, &target, &options),
    )
    .await
    .expect("the grader finishes")
}

#[tokio::test]
async fn a_program_without_the_command_fails_with_the_command_to_repeat() {
    // The broken server knows no `migrate` subcommand: its argument parser refuses it.
    let program = env!("CARGO_BIN_EXE_broken-server");
    let report = grade_commands(Target::Program(program.into())).await;
    let failure = failure_of(&report, "13.cli.migrate");
    assert_eq!(failure.message, "`migrate status` failed");
    assert_eq!(failure.expected.as_deref(), Some("exit code 0"));
    let got = failure.got.as_deref().unwrap_or_default();
    assert!(got.starts_with("exit code 2"), "{got}");
    assert!(got.contains("stderr: error:"), "{got}");
    let command = failure.command.as_deref().unwrap_or_default();
    assert!(
        command.ends_with("broken-server migrate status"),
        "{command}"
    );
}

#[tokio::test]
async fn checks_that_run_the_program_are_skipped_against_a_url() {
    let server = BrokenServer::start(Broken::WrongBody, "127.0.0.1", 0)
        .await
        .expect("a free port");
    let report = grade_commands(Target::Url(server.url.clone())).await;
    for id in ["13.cli.migrate", "13.cli.serve_behind", "13.ex.redo"] {
        let result = report
            .results
            .iter()
            .find(|r| r.id == id)
            .expect("the check ran");
        match &result.status {
            Status::Skipped(reason) => assert!(reason.contains("--bin"), "{reason}"),
            other => panic!("{id} should be skipped against a URL, but {other:?}"),
        }
    }
}
