//! The attack checks of chapters 09, 10 and 11 against `vulnerable-server`, a server that
//! checks tokens correctly or with one chosen mistake: against each mistake exactly the checks
//! of the table below fail, none fails against the server without a mistake (the control that
//! shows the server keeps the contract), every attack check fails against at least one
//! mistake, and against a server that ignores `JWT_SECRET` every check that forges tokens with
//! the key says so instead of passing.
//!
//! Only the attack checks run: the others judge parts of each contract this server leaves out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use clap::ValueEnum;
use grader::chapters::{self, Chapter};
use grader::check::Check;
use grader::report::{Report, Status};
use grader::vulnerable::Vulnerable;
use grader::{Options, Target};

const SERVER: &str = env!("CARGO_BIN_EXE_vulnerable-server");

/// For each mistake (the server's `VULNERABLE`), the attack checks of chapters 09, 10 and 11
/// that fail against it.
const EXPECTED: &[(&str, &[&str])] = &[
    ("none", &[]),
    (
        "ignores-key",
        &[
            "09.attack.garbage",
            "09.attack.alg_none",
            "09.attack.tampered",
            "09.attack.other_key",
            "09.attack.expired",
            "09.attack.crit",
            "09.attack.not_yet_valid",
            "09.attack.missing_claims",
            "09.attack.algorithms",
            "09.attack.unknown_user",
            "09.attack.disabled_user",
            "10.attack.tampered",
            "10.attack.alg_none",
            "10.attack.never_held",
            "10.attack.chapter_09",
            // 11.attack.keyless forges nothing with the key (it tampers with the server's own
            // token, or signs with a random key), so it judges this server rightly, and passes.
            "11.attack.forged",
            "11.attack.disabled_user",
        ],
    ),
    (
        "garbage-500",
        &[
            "09.attack.garbage",
            // A header with alg none does not parse either.
            "09.attack.alg_none",
            "10.attack.alg_none",
            "11.attack.keyless",
        ],
    ),
    (
        "alg-none",
        &[
            "09.attack.alg_none",
            "10.attack.alg_none",
            "11.attack.keyless",
        ],
    ),
    (
        "unverified-signature",
        &[
            "09.attack.tampered",
            "09.attack.other_key",
            "09.attack.algorithms",
            "10.attack.tampered",
            "10.attack.chapter_09",
            "11.attack.keyless",
            "11.attack.forged",
        ],
    ),
    (
        "leeway",
        &[
            "09.attack.expired",
            "10.attack.chapter_09",
            "11.attack.forged",
        ],
    ),
    ("exp-inclusive", &["09.attack.expired"]),
    ("ignores-crit", &["09.attack.crit"]),
    (
        "no-nbf",
        &[
            "09.attack.not_yet_valid",
            "10.attack.chapter_09",
            "11.attack.forged",
        ],
    ),
    (
        "no-iat",
        &[
            "09.attack.not_yet_valid",
            "10.attack.chapter_09",
            "11.attack.forged",
        ],
    ),
    (
        "optional-claims",
        &[
            "09.attack.missing_claims",
            "10.attack.chapter_09",
            "11.attack.forged",
        ],
    ),
    (
        "any-hmac",
        &[
            "09.attack.algorithms",
            "10.attack.chapter_09",
            "11.attack.forged",
        ],
    ),
    (
        "no-lookup",
        &[
            "09.attack.unknown_user",
            "10.attack.chapter_09",
            "11.attack.forged",
        ],
    ),
    (
        "disabled-allowed",
        &["09.attack.disabled_user", "11.attack.disabled_user"],
    ),
    ("token-scopes", &["10.attack.never_held"]),
];

/// The chapters, as `vulnerable-server`'s `CHAPTER` names them.
const NUMBERS: [&str; 3] = ["09", "10", "11"];

/// How many gradings run at once (each starts a server per check).
const AT_ONCE: usize = 6;

fn attack_checks(number: &str) -> Vec<Check> {
    let chapter = chapters::find(number).expect("the chapter has checks");
    (chapter.checks)()
        .into_iter()
        .filter(|check| check.id.contains(".attack."))
        .collect()
}

fn attack_checks_09() -> Vec<Check> {
    attack_checks("09")
}

fn attack_checks_10() -> Vec<Check> {
    attack_checks("10")
}

fn attack_checks_11() -> Vec<Check> {
    attack_checks("11")
}

/// Chapter `number` with its attack checks only.
fn attacks_of(number: &str) -> &'static Chapter {
    static CHAPTERS: [Chapter; 3] = [
        Chapter {
            number: "09",
            package: "ch09-jwt",
            title: "JWT: attack checks",
            checks: attack_checks_09,
        },
        Chapter {
            number: "10",
            package: "ch10-scopes",
            title: "scopes: attack checks",
            checks: attack_checks_10,
        },
        Chapter {
            number: "11",
            package: "ch11-middleware",
            title: "middleware: attack checks",
            checks: attack_checks_11,
        },
    ];
    CHAPTERS
        .iter()
        .find(|chapter| chapter.number == number)
        .expect("a chapter with attack checks")
}

fn mode_names() -> BTreeSet<String> {
    Vulnerable::value_variants()
        .iter()
        .filter_map(|mode| mode.to_possible_value())
        .map(|value| value.get_name().to_owned())
        .collect()
}

async fn grade(mode: &'static str, number: &'static str) -> Report {
    let options = Options {
        seed: 11,
        env: vec![
            ("VULNERABLE".into(), mode.into()),
            ("CHAPTER".into(), number.into()),
        ],
        ..Options::default()
    };
    let target = Target::Program(SERVER.into());
    grader::grade(attacks_of(number), &target, &options).await
}

#[tokio::test(flavor = "multi_thread")]
async fn each_attack_check_fails_against_exactly_the_mistakes_it_is_about() {
    let began = Instant::now();
    let table: BTreeMap<&str, BTreeSet<&str>> = EXPECTED
        .iter()
        .map(|(mode, ids)| (*mode, ids.iter().copied().collect()))
        .collect();
    assert_eq!(table.len(), EXPECTED.len(), "a mistake twice in the table");
    assert_eq!(
        table
            .keys()
            .map(|mode| (*mode).to_owned())
            .collect::<BTreeSet<_>>(),
        mode_names(),
        "the table has one row per mistake the server can make"
    );
    let all: BTreeSet<String> = NUMBERS
        .iter()
        .flat_map(|number| attack_checks(number))
        .map(|check| check.id.to_owned())
        .collect();
    let caught: BTreeSet<String> = table
        .values()
        .flatten()
        .map(|id| (*id).to_owned())
        .collect();
    assert_eq!(
        all.difference(&caught).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "an attack check that no mistake makes fail"
    );
    assert_eq!(
        caught.difference(&all).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "the table names checks that do not exist"
    );

    let permits = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
    let mut gradings = tokio::task::JoinSet::new();
    for (mode, _) in EXPECTED {
        for number in NUMBERS {
            let permits = permits.clone();
            gradings.spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .expect("the semaphore is open");
                (*mode, number, grade(mode, number).await)
            });
        }
    }

    let mut wrong = Vec::new();
    let mut gradings_done = 0;
    while let Some(joined) = gradings.join_next().await {
        let (mode, number, report) = joined.expect("a grading finished");
        gradings_done += 1;
        let context = || format!("{mode}, chapter {number}:\n{}", report.to_text());
        assert!(
            report.error.is_none(),
            "the server did not start: {}",
            context()
        );
        let expected: BTreeSet<&str> = table[mode]
            .iter()
            .copied()
            .filter(|id| id.starts_with(&format!("{number}.")))
            .collect();
        let mut failed = BTreeSet::new();
        for result in &report.results {
            match &result.status {
                Status::Passed => {}
                Status::Failed(failure) => {
                    failed.insert(result.id.as_str());
                    if mode == "ignores-key" {
                        assert!(
                            failure.message.contains("does not use JWT_SECRET"),
                            "{}: {}\n{}",
                            result.id,
                            failure.message,
                            context()
                        );
                    }
                }
                Status::Skipped(reason) => panic!("{} was skipped ({reason})", result.id),
            }
        }
        assert_eq!(
            report.results.len(),
            attack_checks(number).len(),
            "{}",
            context()
        );
        if failed != expected {
            let unexpected: Vec<_> = failed.difference(&expected).collect();
            let missed: Vec<_> = expected.difference(&failed).collect();
            wrong.push(format!(
                "{mode}, chapter {number}: failed but not expected {unexpected:?}, expected but \
                 passed {missed:?}\n{}",
                report.to_text()
            ));
        }
    }
    assert_eq!(gradings_done, EXPECTED.len() * NUMBERS.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    eprintln!(
        "{gradings_done} gradings in {:.1} s",
        began.elapsed().as_secs_f64()
    );
}
