//! The attack checks judge the server's key: none passes against a server that ignores the
//! `JWT_SECRET` it was given, where every forged token would fail on the key alone.

use grader::report::Status;
use grader::{Options, Target};

#[tokio::test(flavor = "multi_thread")]
async fn no_attack_check_of_chapter_09_passes_against_a_server_that_ignores_jwt_secret() {
    attack_checks_fail_on_a_server_with_its_own_key("09", "ch09-jwt").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_attack_check_of_chapter_10_passes_against_a_server_that_ignores_jwt_secret() {
    attack_checks_fail_on_a_server_with_its_own_key("10", "ch10-scopes").await;
}

async fn attack_checks_fail_on_a_server_with_its_own_key(number: &str, package: &str) {
    let program = grader::target::build_reference(package)
        .await
        .expect("the chapter builds");
    // A server with a key of its own, whatever JWT_SECRET the grader gives it.
    let dir = std::env::temp_dir().join(format!("ignores-key-{}-{number}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let wrapper = dir.join("ignores-key");
    let script = format!(
        "#!/bin/sh\nJWT_SECRET=a-key-of-its-own-that-nobody-gave-it-0123456789 exec '{}' \"$@\"\n",
        program.display()
    );
    std::fs::write(&wrapper, script).expect("written");
    std::process::Command::new("chmod")
        .args(["+x", &wrapper.to_string_lossy()])
        .status()
        .expect("chmod");
    let chapter = grader::chapters::find(number).expect("the chapter");
    let report = grader::grade(chapter, &Target::Program(wrapper), &Options::default()).await;
    let _ = std::fs::remove_dir_all(&dir);
    let prefix = format!("{number}.attack.");
    let attacks: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.id.starts_with(&prefix))
        .collect();
    assert!(attacks.len() >= 4, "{}", report.to_text());
    for result in attacks {
        match &result.status {
            Status::Failed(failure) => assert!(
                failure.message.contains("does not use JWT_SECRET"),
                "{}: {}",
                result.id,
                failure.message
            ),
            other => panic!(
                "{} is {other:?} against a server that ignores JWT_SECRET",
                result.id
            ),
        }
    }
}
