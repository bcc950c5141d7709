//! The learner's loop: every chapter's starter, and the watcher.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use grader::chapters::CHAPTERS;
use grader::learn::{self, Workspace};

/// For every chapter, the starter a learner gets builds, passes every contract check and earns
/// no exercise point, and the reference earns every point.
#[tokio::test(flavor = "multi_thread")]
async fn every_starter_passes_the_contract_and_earns_no_exercise_point() {
    let ws = Workspace::here().expect("the workspace");
    let chapters: Vec<_> = CHAPTERS.iter().collect();
    let tests = learn::selftest(&ws, &chapters)
        .await
        .expect("the starters build");
    let report: String = tests.iter().map(learn::SelfTest::describe).collect();
    eprintln!("{report}");
    assert_eq!(tests.len(), CHAPTERS.len());
    assert!(tests.iter().all(learn::SelfTest::ok), "{report}");
}

/// A starter is the chapter less its solutions, under its own package name.
#[test]
fn a_starter_has_its_own_package_and_no_tests() {
    let ws = Workspace::here().expect("the workspace");
    let chapter = learn::chapter("09").expect("chapter 09");
    let dir = std::env::temp_dir().join(format!("learn-gen-{}", std::process::id()));
    learn::generate(
        &ws.chapter_dir(chapter),
        chapter.package,
        &dir,
        "my-ch09-jwt",
    )
    .expect("generated");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a manifest");
    let main = std::fs::read_to_string(dir.join("src/main.rs")).expect("main.rs");
    let tests_copied = dir.join("tests").exists();
    let again = learn::generate(
        &ws.chapter_dir(chapter),
        chapter.package,
        &dir,
        "my-ch09-jwt",
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(manifest.contains("name = \"my-ch09-jwt\""), "{manifest}");
    assert!(!manifest.contains("[dev-dependencies]"), "{manifest}");
    assert!(
        main.contains("my_ch09_jwt::") && !main.contains(" ch09_jwt::"),
        "{main}"
    );
    assert!(!tests_copied, "the reference's tests are not the learner's");
    assert!(again.is_err(), "an existing crate is never written over");
}

/// `scripts/learn watch` checks again when a file of the crate changes, once per burst of
/// changes, and not for changes under `target/`.
#[tokio::test]
async fn a_saved_file_triggers_a_new_check() {
    let dir = std::env::temp_dir().join(format!("learn-watch-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).expect("a folder");
    std::fs::create_dir_all(dir.join("target")).expect("a folder");
    let checks = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (dir, checks) = (dir.clone(), checks.clone());
        tokio::spawn(async move {
            while checks.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // Let the watcher settle, then change a file the learner does not edit.
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::fs::write(dir.join("target/ignored"), "x").expect("written");
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(
                checks.load(Ordering::SeqCst),
                1,
                "a change under target/ is ignored"
            );
            // A save, as editors do it: several events in a row.
            for n in 0..3 {
                std::fs::write(dir.join("src/exercises.rs"), format!("// {n}")).expect("written");
            }
        })
    };
    let counter = checks.clone();
    let watched = tokio::time::timeout(
        Duration::from_secs(20),
        learn::watch(&dir, || {
            let counter = counter.clone();
            async move { counter.fetch_add(1, Ordering::SeqCst) + 1 < 2 }
        }),
    )
    .await;
    writer.await.expect("the writer");
    let _ = std::fs::remove_dir_all(&dir);
    watched.expect("a check after the save").expect("watching");
    assert_eq!(
        checks.load(Ordering::SeqCst),
        2,
        "one check at start, one after the save"
    );
}
