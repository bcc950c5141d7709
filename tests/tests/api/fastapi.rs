//! The FastAPI version of each chapter (`chapters/NN-name/fastapi/main.py`) against the
//! grader's two profiles: under `fastapi` it earns every contract point that runs, and under
//! `strict` it fails only checks tagged as workbook rules. Needs the workbook's `.venv`
//! (`scripts/fastapi-env` makes it); without it the test says so and passes.

use std::path::{Path, PathBuf};

use grader::check::Profile;
use grader::report::{Report, Status};
use grader::{Options, Target};

/// The chapters that have a FastAPI version the grader holds to its contract.
const CHAPTERS: &[&str] = &[
    "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folder of chapter `number`'s FastAPI version.
fn app_dir(number: &str) -> PathBuf {
    let chapters = std::fs::read_dir(root().join("chapters")).expect("chapters/ exists");
    let chapter = chapters
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&format!("{number}-")))
        })
        .unwrap_or_else(|| panic!("no folder for chapter {number}"));
    let dir = chapter.join("fastapi");
    assert!(
        dir.join("main.py").is_file(),
        "{} has no main.py",
        dir.display()
    );
    dir.canonicalize().expect("an absolute path")
}

/// The program that starts chapter `number`'s FastAPI version, and its settings: the
/// chapter's own `program` where it has one (a command line of its own, as chapters 13 and 16
/// have), else uvicorn on its `main:app`.
fn program(number: &str) -> (PathBuf, Vec<(String, String)>) {
    let dir = app_dir(number);
    let own = dir.join("program");
    if own.is_file() {
        return (own, Vec::new());
    }
    let env = vec![
        ("UVICORN_APP".to_owned(), "main:app".to_owned()),
        ("UVICORN_APP_DIR".to_owned(), dir.display().to_string()),
    ];
    (root().join("scripts/uvicorn-bin"), env)
}

async fn grade(number: &str, profile: Profile) -> Report {
    let chapter = grader::chapters::find(number).expect("the chapter has checks");
    let (program, env) = program(number);
    let options = Options {
        seed: 20,
        env,
        profile,
        ..Options::default()
    };
    grader::grade(chapter, &Target::Program(program), &options).await
}

/// What is wrong with a chapter's two reports, in sentences; empty when nothing is.
fn problems(strict: &Report, fastapi: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    for report in [strict, fastapi] {
        if let Some(error) = &report.error {
            problems.push(format!("{}: no server: {}", report.chapter, error.message));
        }
    }
    let contract = fastapi.subtotals().contract;
    if contract.earned != contract.possible || contract.possible == 0 {
        problems.push(format!(
            "{} under --profile fastapi: contract {}/{}",
            fastapi.chapter, contract.earned, contract.possible
        ));
    }
    for result in &fastapi.results {
        match &result.status {
            Status::Failed(failure) => problems.push(format!(
                "{} fails under --profile fastapi: {}",
                result.id, failure.message
            )),
            Status::Skipped(_) if result.tag.is_none() => problems.push(format!(
                "{} is skipped under --profile fastapi, but has no tag",
                result.id
            )),
            _ => {}
        }
    }
    for (result, failure) in strict.failures() {
        if result.tag.is_none() {
            problems.push(format!(
                "{} fails under --profile strict and has no tag: {}",
                result.id, failure.message
            ));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread")]
async fn fastapi_versions_earn_the_contract_under_their_profile_and_fail_only_tagged_checks() {
    if !root().join(".venv/bin/python").is_file() {
        eprintln!(
            "skipped: no .venv with FastAPI in the workbook; run scripts/fastapi-env to grade the \
             chapters' FastAPI versions"
        );
        return;
    }
    let mut all = Vec::new();
    for number in CHAPTERS {
        let (strict, fastapi) = tokio::join!(
            grade(number, Profile::Strict),
            grade(number, Profile::Fastapi)
        );
        let tagged_failures = strict.failures().count();
        eprintln!(
            "chapter {number}: strict {}/{} ({tagged_failures} failed), fastapi {}/{}",
            strict.subtotals().contract.earned,
            strict.subtotals().contract.possible,
            fastapi.subtotals().contract.earned,
            fastapi.subtotals().contract.possible,
        );
        all.extend(problems(&strict, &fastapi));
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}
