//! The grader: black-box HTTP checks of each chapter's contract.
//!
//! It grades any server, in any language: the workbook's reference chapters, a learner's Rust
//! server, or a FastAPI one. A run starts (or is given) the server, runs the chapter's checks
//! one by one, each with time limits, and reports what passed and, for what failed, the
//! request to repeat, what was expected, what came back, a hint and the book section.
//!
//! - [`chapters`]: the checks, one file per chapter — the place to read or extend them;
//! - [`check`]: what a check is, and the requests and assertions checks use;
//! - [`runner`], [`target`]: running checks against a server;
//! - [`report`]: text, JSON and JUnit reports;
//! - [`class`]: a whole class from a roster, with a summary (`grader class`);
//! - [`fixtures`]: deliberately broken servers;
//! - [`learn`]: the learner's loop behind `scripts/learn`;
//! - [`tryit`]: the book's shell sessions, run and compared (`scripts/try-it`).

pub mod chapters;
pub mod check;
pub mod class;
pub mod command;
pub mod fixtures;
pub mod learn;
pub mod report;
pub mod rng;
pub mod runner;
pub mod target;
pub mod tryit;
pub mod vulnerable;

pub use report::Report;
pub use runner::{Options, grade};
pub use target::Target;

/// The workbook's root folder: `WORKBOOK_ROOT` when set (the scripts set it to their own
/// checkout), else the folder this program was built in. Two clones that share a target
/// folder (`scripts/learn-loop` makes one) share its programs too, and a program built in the
/// other clone must still read this one.
pub fn workspace_root() -> std::path::PathBuf {
    match std::env::var_os("WORKBOOK_ROOT") {
        Some(root) if !root.is_empty() => root.into(),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    }
}

/// Grades `program` as chapter `chapter` with default options: what a chapter's own tests
/// call to check that the chapter keeps to its contract.
pub async fn grade_program(chapter: &str, program: &str) -> Report {
    grade_program_with_env(chapter, program, &[]).await
}

/// The same, with `env` for every server the grader starts (a `DATABASE_URL`, say): what the
/// SQL chapters' tests call on each backend.
pub async fn grade_program_with_env(chapter: &str, program: &str, env: &[(&str, &str)]) -> Report {
    let chapter =
        chapters::find(chapter).unwrap_or_else(|| panic!("no checks for chapter {chapter}"));
    let options = Options {
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Options::default()
    };
    grade(chapter, &Target::Program(program.into()), &options).await
}
