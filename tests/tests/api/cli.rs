//! The grader as instructors run it: a program with exit codes and three report formats.

use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

const GRADER: &str = env!("CARGO_BIN_EXE_grader");
const BROKEN: &str = env!("CARGO_BIN_EXE_broken-server");
/// Given, so that the links do not depend on whether the book is built here.
const BOOK: &str = "http://localhost:3000";

async fn grader(args: &[&str], env: &[(&str, &str)]) -> Output {
    let run = Command::new(GRADER)
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the grader finishes")
        .expect("the grader runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn a_failing_program_exits_1_with_a_readable_report() {
    let output = grader(
        &[
            "01",
            "--bin",
            BROKEN,
            "--seed",
            "11",
            "--timeout",
            "1",
            "--book-url",
            BOOK,
        ],
        &[("BROKEN_MODE", "wrong-body")],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(report.contains("✗ 01.root"), "{report}");
    assert!(
        report.contains(r#"expected  {"message":"Hello World"}"#),
        "{report}"
    );
    assert!(
        report.contains("try       curl -i 'http://127.0.0.1:"),
        "{report}"
    );
    assert!(
        report.contains("book      http://localhost:3000/01-hello-world.html#the-first-endpoint"),
        "{report}"
    );
    assert!(report.contains("repeat with --seed 11"), "{report}");
}

#[tokio::test]
async fn the_json_report_is_one_document_with_every_check() {
    let output = grader(
        &["01", "--bin", BROKEN, "--format", "json", "--timeout", "1"],
        &[("BROKEN_MODE", "wrong-status")],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the report is JSON");
    assert_eq!(report["passed"], false);
    let results = report["chapters"][0]["results"]
        .as_array()
        .expect("results");
    let root = results
        .iter()
        .find(|r| r["id"] == "01.root")
        .expect("01.root");
    assert_eq!(root["status"], "failed");
    assert_eq!(root["detail"]["message"], "expected status 200, got 201");
    assert!(
        root["detail"]["exchange"]["curl"]
            .as_str()
            .is_some_and(|c| c.starts_with("curl -i"))
    );
}

#[tokio::test]
async fn the_junit_report_has_a_failure_per_failed_check() {
    let dir = std::env::temp_dir().join(format!("grader-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("grades.xml");
    let output = grader(
        &[
            "01",
            "--bin",
            BROKEN,
            "--format",
            "junit",
            "--output",
            file.to_str().unwrap(),
            "--timeout",
            "1",
        ],
        &[("BROKEN_MODE", "wrong-body")],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let xml = std::fs::read_to_string(&file).expect("the report was written");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains(r#"<testsuite name="chapter 01""#), "{xml}");
    assert!(
        xml.contains(r#"<failure message="the JSON body differs from the contract">"#),
        "{xml}"
    );
}

#[tokio::test]
async fn the_same_seed_invents_the_same_paths() {
    let run = || {
        grader(
            &[
                "01",
                "--bin",
                BROKEN,
                "--seed",
                "99",
                "--format",
                "json",
                "--timeout",
                "1",
            ],
            &[("BROKEN_MODE", "wrong-body")],
        )
    };
    let invented_path = |output: Output| {
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let results = report["chapters"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let not_found = results
            .into_iter()
            .find(|r| r["id"] == "01.not_found")
            .expect("01.not_found");
        let url = not_found["detail"]["exchange"]["url"]
            .as_str()
            .expect("a URL")
            .to_owned();
        url.split_once("://")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(_, path)| path.to_owned())
    };
    let first = invented_path(run().await);
    let second = invented_path(run().await);
    assert!(
        first.as_deref().is_some_and(|p| p.contains('/')),
        "{first:?}"
    );
    assert_eq!(first, second);
}

#[tokio::test]
async fn an_unknown_chapter_exits_2_and_lists_the_known_ones() {
    let output = grader(&["99", "--url", "http://127.0.0.1:9"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no checks for chapter \"99\"; chapters with checks: 01"),
        "{stderr}"
    );
}

#[tokio::test]
async fn list_shows_every_check_with_its_points() {
    let output = grader(&["01", "--list"], &[]).await;
    assert!(output.status.success());
    let listing = stdout(&output);
    assert!(listing.contains("01.root"));
    assert!(listing.contains("exercise"));
}
