//! Class mode: `grader class ROSTER --chapters 01-09 --out DIR` grades every student of a
//! roster on some chapters, a few students at once, and writes each student's reports (text
//! and JSON) and a summary of the class (CSV, Markdown and a self-contained HTML page).
//!
//! A student is a server at a URL, a program, or a folder: a cargo package (built first, by the
//! `build` module), a FastAPI app (`main.py`, started through `scripts/uvicorn-bin`), or a
//! folder of chapter folders (`01-hello-world/`, …), as a learner's `my/` is. A student whose
//! server does not start is a row that says so, and the others go on.

mod build;
pub mod roster;
mod summary;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::sync::{Mutex, Semaphore};

use crate::chapters::{self, CHAPTERS, Chapter};
use crate::check::{Failure, Profile};
use crate::report::{self, CheckResult, NOT_RUN, Report, Status, Style};
use crate::{Options, Target};
pub use roster::{Source, Student};

/// Grades every student of a roster on some chapters, and writes each student's reports and a
/// summary of the class (summary.csv, summary.md, summary.html) into a folder.
#[derive(Debug, Parser)]
#[command(name = "grader class", bin_name = "grader class", after_help = EXAMPLES)]
pub struct ClassCli {
    /// The roster: a TOML file (`[[student]]` tables) or a CSV file (header row
    /// `name,url,program,folder`), one student per entry, with a name and one of a url, a
    /// program, or a folder (a cargo package, a FastAPI app with main.py, or a folder of
    /// chapter folders). Relative paths are relative to the roster's folder.
    pub roster: PathBuf,
    /// Chapters to grade: `01-09`, `01,03,05`, `1-3,7` or `all`.
    #[arg(long)]
    pub chapters: String,
    /// The folder for the summary and each student's reports (made if need be).
    #[arg(long)]
    pub out: PathBuf,
    /// How many students are graded at once (cargo builds run one at a time).
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Seed of the data checks invent, the same for every student.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Longest wait for one response, in seconds.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// The rules to hold servers to (see `grader --help`). A roster entry's `profile` wins,
    /// and a FastAPI app is graded with `fastapi` unless its entry says otherwise.
    #[arg(long, value_enum, default_value_t = Profile::Strict)]
    pub profile: Profile,
    /// Where the book is served, for the links in reports.
    #[arg(long, env = "BOOK_URL", default_value = "http://localhost:3000")]
    pub book_url: String,
}

const EXAMPLES: &str = "Examples:
  grader class class.toml --chapters 01-09 --out grades
  grader class class.csv --chapters 05 --out grades-05 --jobs 4 --seed 7

A roster in TOML:

  [[student]]
  name = \"Ada\"
  folder = \"ada/my\"                 # her my/ folder: my/01-hello-world/, ...

  [[student]]
  name = \"Grace\"
  url = \"http://127.0.0.1:8001\"

  [[student]]
  name = \"Alan\"
  program = \"alan/server-{chapter}\"   # {chapter} is the chapter's two digits

The same in CSV:

  name,url,program,folder
  Ada,,,ada/my
  Grace,http://127.0.0.1:8001,,
  Alan,,alan/server-{chapter},

Exit status: 0 when the summary was written (whatever the grades), 2 when the class could not
be graded (a roster that cannot be read, an unknown chapter, a folder that cannot be written).";

/// A class run: the chapters graded, the seed, and each student's reports, in roster order.
#[derive(Debug)]
pub struct Class {
    /// The chapters graded, in order.
    pub chapters: Vec<&'static Chapter>,
    /// The seed every student was graded with.
    pub seed: u64,
    /// One entry per student, in the roster's order.
    pub students: Vec<Graded>,
}

/// One student's run.
#[derive(Debug)]
pub struct Graded {
    /// The student, as the roster names them.
    pub student: Student,
    /// The name of their report files (`ada-lovelace.txt`, `.json`).
    pub slug: String,
    /// One run per chapter, in the class's order.
    pub chapters: Vec<ChapterRun>,
}

/// One chapter of one student.
#[derive(Debug)]
pub struct ChapterRun {
    /// The grader's report; when the chapter was not graded, its `error` says why.
    pub report: Report,
    /// Whether it was graded.
    pub state: State,
}

/// Whether a student's chapter was graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The server ran and the checks judged it.
    Graded,
    /// The server did not start (or did not build, or could not be reached).
    DidNotStart,
    /// Nothing was there to grade: no such folder or program.
    NotHandedIn,
}

impl State {
    /// The words the summary uses.
    pub fn label(self) -> &'static str {
        match self {
            State::Graded => "graded",
            State::DidNotStart => "did not start",
            State::NotHandedIn => "not handed in",
        }
    }
}

/// `grader class …`, with `args` after the program's name (`class`, then the options).
pub async fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = ClassCli::parse_from(args);
    match run(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("grader class: {message}");
            ExitCode::from(2)
        }
    }
}

/// Reads the roster, grades the class, writes the reports and the summary, and prints the
/// Markdown summary.
pub async fn run(cli: &ClassCli) -> Result<(), String> {
    let chapters = select(&cli.chapters)?;
    if !(cli.timeout > 0.0 && cli.timeout < 3600.0) {
        return Err("--timeout must be between 0 and 3600 seconds".to_owned());
    }
    if cli.jobs == 0 {
        return Err("--jobs must be at least 1".to_owned());
    }
    let students = roster::read(&cli.roster)?;
    std::fs::create_dir_all(&cli.out)
        .map_err(|err| format!("cannot make {}: {err}", cli.out.display()))?;
    let options = Options {
        seed: cli.seed.unwrap_or_else(crate::runner::seed_from_clock),
        request_timeout: Duration::from_secs_f64(cli.timeout),
        profile: cli.profile,
        ..Options::default()
    };
    let class = grade_class(students, chapters, cli.jobs, &options).await;
    let written = write(&class, &cli.out, &cli.book_url)?;
    print!("{}", summary::markdown(&class));
    eprintln!("grader class: wrote {}", written.join(", "));
    Ok(())
}

/// The chapters named by `spec`: `01-09`, `01,03,05`, `1-3,7`, a package name, or `all`.
pub fn select(spec: &str) -> Result<Vec<&'static Chapter>, String> {
    let mut selected: Vec<&'static Chapter> = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let found: Vec<&'static Chapter> = if part == "all" {
            CHAPTERS.iter().collect()
        } else if let Some(chapter) = chapters::find(part) {
            vec![chapter]
        } else if let Some((first, last)) = part.split_once('-') {
            let (first, last) = (find(first)?, find(last)?);
            if first.number > last.number {
                return Err(format!("the range {part} goes backwards"));
            }
            CHAPTERS
                .iter()
                .filter(|c| c.number >= first.number && c.number <= last.number)
                .collect()
        } else {
            vec![find(part)?]
        };
        for chapter in found {
            if !selected.iter().any(|c| c.number == chapter.number) {
                selected.push(chapter);
            }
        }
    }
    selected.sort_by_key(|c| c.number);
    Ok(selected)
}

fn find(name: &str) -> Result<&'static Chapter, String> {
    chapters::find(name).ok_or_else(|| {
        let known: Vec<&str> = CHAPTERS.iter().map(|c| c.number).collect();
        format!(
            "no checks for chapter {name:?}; chapters with checks: {}",
            known.join(", ")
        )
    })
}

/// Grades every student on every chapter, `jobs` students at once, and one cargo build at a
/// time (cargo uses every core for one).
pub async fn grade_class(
    students: Vec<Student>,
    chapters: Vec<&'static Chapter>,
    jobs: usize,
    options: &Options,
) -> Class {
    let slugs = slugs(&students);
    let permits = Arc::new(Semaphore::new(jobs.max(1)));
    let builds = Arc::new(Mutex::new(()));
    let count = students.len();
    let mut tasks = Vec::new();
    for (n, student) in students.iter().enumerate() {
        let (student, chapters, options) = (student.clone(), chapters.clone(), options.clone());
        // Taken here, so that students start in the roster's order. The semaphore is never
        // closed, so a permit always comes.
        let permit = permits.clone().acquire_owned().await.ok();
        let builds = builds.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            eprintln!("grading {} ({}/{count})…", student.name, n + 1);
            let mut student_builds = Builds::default();
            let mut runs = Vec::new();
            for chapter in chapters {
                let run = grade_chapter(&student, chapter, &options, &builds, &mut student_builds);
                runs.push(run.await);
            }
            let points = summary::points(runs.iter().map(|run| &run.report));
            eprintln!("graded {}: {points}", student.name);
            runs
        }));
    }
    let mut graded = Vec::new();
    for ((student, slug), task) in students.into_iter().zip(slugs).zip(tasks) {
        let runs = match task.await {
            Ok(runs) => runs,
            Err(err) => chapters
                .iter()
                .map(|chapter| {
                    let why = format!("the grader failed on this student: {err}");
                    let source = &student.source;
                    not_graded(chapter, source, options, State::DidNotStart, why)
                })
                .collect(),
        };
        graded.push(Graded {
            student,
            slug,
            chapters: runs,
        });
    }
    Class {
        chapters,
        seed: options.seed,
        students: graded,
    }
}

/// A student's built packages, by folder: a package graded on several chapters is built once.
type Builds = HashMap<PathBuf, Result<Arc<build::Built>, String>>;

/// What a folder holds for a chapter.
enum Folder {
    Cargo(PathBuf),
    FastApi(PathBuf),
}

async fn grade_chapter(
    student: &Student,
    chapter: &'static Chapter,
    options: &Options,
    build_lock: &Mutex<()>,
    builds: &mut Builds,
) -> ChapterRun {
    let source = student.source.for_chapter(chapter);
    let mut options = Options {
        profile: student.profile.unwrap_or(options.profile),
        ..options.clone()
    };
    let missing = |why: String| not_graded(chapter, &source, &options, State::NotHandedIn, why);
    let (target, env, described) = match &source {
        Source::Url(url) => (Target::Url(url.clone()), Vec::new(), url.clone()),
        Source::Program(path) if !path.exists() => {
            return missing(format!("there is no program {}", path.display()));
        }
        Source::Program(path) => {
            let described = path.display().to_string();
            (Target::Program(path.clone()), Vec::new(), described)
        }
        Source::Folder(folder) => match chapter_folder(folder, chapter) {
            Err(why) => return missing(why),
            Ok(Folder::FastApi(dir)) => {
                let env = vec![
                    ("UVICORN_APP".to_owned(), "main:app".to_owned()),
                    ("UVICORN_APP_DIR".to_owned(), dir.display().to_string()),
                ];
                let uvicorn = build::workbook().join("scripts").join("uvicorn-bin");
                let described = format!("FastAPI app {}", dir.display());
                // The contract's meaning, not the workbook's Rust-only rules, unless the
                // roster asks for them.
                options.profile = student.profile.unwrap_or(Profile::Fastapi);
                (Target::Program(uvicorn), env, described)
            }
            Ok(Folder::Cargo(dir)) => {
                let built = match builds.get(&dir) {
                    Some(built) => built.clone(),
                    None => {
                        let _one_at_a_time = build_lock.lock().await;
                        eprintln!("building {} for {}…", dir.display(), student.name);
                        let built = build::build(&dir).await.map(Arc::new);
                        builds.insert(dir.clone(), built.clone());
                        built
                    }
                };
                let built = match built {
                    Ok(built) => built,
                    Err(why) => {
                        let state = State::DidNotStart;
                        return not_graded(chapter, &source, &options, state, why);
                    }
                };
                // The program stays while `builds` holds it: until the student is done.
                let described = format!("cargo package {}", dir.display());
                (
                    Target::Program(built.program.clone()),
                    Vec::new(),
                    described,
                )
            }
        },
    };
    options.env.extend(env);
    let mut report = crate::grade(chapter, &target, &options).await;
    report.target = described;
    let state = if report.error.is_some() {
        State::DidNotStart
    } else {
        State::Graded
    };
    ChapterRun { report, state }
}

/// The cargo package or FastAPI app for `chapter` in `folder`: the folder itself, or its
/// chapter folder (`01-hello-world/`).
fn chapter_folder(folder: &Path, chapter: &Chapter) -> Result<Folder, String> {
    if !folder.is_dir() {
        return Err(format!("there is no folder {}", folder.display()));
    }
    let name = chapter.package.trim_start_matches("ch");
    for dir in [folder.to_owned(), folder.join(name)] {
        if dir.join("Cargo.toml").is_file() {
            return Ok(Folder::Cargo(dir));
        }
        if dir.join("main.py").is_file() {
            return Ok(Folder::FastApi(dir));
        }
    }
    Err(format!(
        "{} holds no Cargo.toml, no main.py and no {name} folder with one",
        folder.display()
    ))
}

/// The report of a chapter that could not be graded: `why` once, and its checks not run.
fn not_graded(
    chapter: &Chapter,
    source: &Source,
    options: &Options,
    state: State,
    why: String,
) -> ChapterRun {
    let results = (chapter.checks)()
        .iter()
        .map(|check| CheckResult::new(check, Status::Skipped(NOT_RUN.to_owned()), Duration::ZERO))
        .collect();
    let report = Report {
        chapter: chapter.number.to_owned(),
        title: chapter.title.to_owned(),
        target: source.describe(),
        seed: options.seed,
        profile: options.profile,
        error: Some(Failure::new(format!("{}: {why}", state.label()))),
        results,
        duration: Duration::ZERO,
    };
    ChapterRun { report, state }
}

/// A file name for each student, from their name: lower case letters and digits, with dashes,
/// made unique.
fn slugs(students: &[Student]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for student in students {
        let mut base = String::new();
        for c in student.name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                base.push(c);
            } else if !base.is_empty() && !base.ends_with('-') {
                base.push('-');
            }
        }
        let base = match base.trim_end_matches('-') {
            "" | "summary" => format!("student-{}", taken.len() + 1),
            base => base.to_owned(),
        };
        let mut slug = base.clone();
        let mut n = 1;
        while taken.contains(&slug) {
            n += 1;
            slug = format!("{base}-{n}");
        }
        taken.push(slug);
    }
    taken
}

/// Writes each student's reports and the three summaries into `out`; returns what it wrote.
fn write(class: &Class, out: &Path, book_url: &str) -> Result<Vec<String>, String> {
    let put = |name: &str, text: &str| {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    for graded in &class.students {
        let reports: Vec<Report> = graded
            .chapters
            .iter()
            .map(|run| run.report.clone())
            .collect();
        let text = report::text(&reports, book_url, Style { color: false });
        let heading = format!(
            "{} · {}\n\n",
            graded.student.name,
            graded.student.source.describe()
        );
        put(&format!("{}.txt", graded.slug), &(heading + &text))?;
        put(
            &format!("{}.json", graded.slug),
            &student_json(graded, &reports, book_url),
        )?;
    }
    put("summary.csv", &summary::csv(class))?;
    put("summary.md", &summary::markdown(class))?;
    put("summary.html", &summary::html(class))?;
    let count = class.students.len();
    Ok(vec![
        format!("{} (summary.csv, summary.md, summary.html)", out.display()),
        format!("{count} students' reports (NAME.txt, NAME.json)"),
    ])
}

/// The grader's JSON report of a student's chapters, with the student and each chapter's
/// state first.
fn student_json(graded: &Graded, reports: &[Report], book_url: &str) -> String {
    let document: serde_json::Value =
        serde_json::from_str(&report::json(reports, book_url)).unwrap_or_default();
    let states: serde_json::Map<String, serde_json::Value> = graded
        .chapters
        .iter()
        .map(|run| (run.report.chapter.clone(), run.state.label().into()))
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("student".to_owned(), graded.student.name.clone().into());
    out.insert("source".to_owned(), graded.student.source.describe().into());
    out.insert("states".to_owned(), states.into());
    if let serde_json::Value::Object(fields) = document {
        out.extend(fields);
    }
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(spec: &str) -> Result<Vec<&'static str>, String> {
        select(spec).map(|chapters| chapters.iter().map(|c| c.number).collect())
    }

    #[test]
    fn chapters_are_chosen_by_range_list_or_all() {
        assert_eq!(numbers("01-03"), Ok(vec!["01", "02", "03"]));
        assert_eq!(numbers("7, 1-2,02"), Ok(vec!["01", "02", "07"]));
        assert_eq!(numbers("ch09-jwt"), Ok(vec!["09"]));
        assert_eq!(numbers("all").map(|n| n.len()), Ok(CHAPTERS.len()));
        assert!(numbers("09-01").is_err_and(|e| e.contains("backwards")));
        assert!(numbers("01-99").is_err_and(|e| e.contains("no checks for chapter \"99\"")));
    }

    #[test]
    fn report_files_are_named_after_students_without_clashes() {
        let student = |name: &str| Student {
            name: name.to_owned(),
            source: Source::Url("http://h".to_owned()),
            profile: None,
        };
        let students = ["Ada Lovelace", "ada lovelace!", "Zoë", "../..", "summary"].map(student);
        assert_eq!(
            slugs(&students),
            [
                "ada-lovelace",
                "ada-lovelace-2",
                "zo",
                "student-4",
                "student-5"
            ]
        );
    }

    #[test]
    fn a_folder_gives_its_own_package_or_its_chapter_folders() {
        let chapter = crate::chapters::find("01").expect("chapter 01");
        let dir = crate::target::workdir().expect("a folder");
        let mine = dir.join("my");
        std::fs::create_dir_all(mine.join("01-hello-world")).expect("a chapter folder");
        std::fs::write(mine.join("01-hello-world/main.py"), "").expect("an app");
        let fastapi = matches!(chapter_folder(&mine, chapter), Ok(Folder::FastApi(d))
            if d.ends_with("my/01-hello-world"));
        std::fs::write(mine.join("Cargo.toml"), "").expect("a package");
        let cargo = matches!(chapter_folder(&mine, chapter), Ok(Folder::Cargo(d)) if d == mine);
        let empty = chapter_folder(&dir, chapter);
        let none = chapter_folder(&dir.join("nothing"), chapter);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(fastapi, "a learner's folder of chapter folders");
        assert!(cargo, "a package at the top comes first");
        assert!(empty.is_err_and(|e| e.contains("no 01-hello-world folder")));
        assert!(none.is_err_and(|e| e.contains("there is no folder")));
    }
}
