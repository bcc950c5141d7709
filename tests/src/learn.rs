//! The learner's loop behind `scripts/learn`: start a chapter from its starter, check it, watch
//! it, see progress, ask for hints, clear its data.
//!
//! A chapter's *starter* is the chapter without its exercise solutions: the chapter's folder,
//! less its tests, examples and `starter/` folder, with the files of `starter/` laid over it
//! (`starter/src/exercises.rs` has a marked stub for each exercise), less the files that
//! `starter/leave-out.txt` lists. A learner's copy of chapter 09 is `my/09-jwt/`, package
//! `my-ch09-jwt`: a member of the workspace (the `my/*` glob), so it reuses the build that is
//! there, and its program never replaces the reference `ch09-jwt`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::chapters::{CHAPTERS, Chapter};
use crate::report::{Report, Status, Subtotals};
use crate::{Options, Target};

/// Folders of a chapter that are not part of a learner's copy.
const NOT_COPIED: &[&str] = &["tests", "examples", "starter", "fastapi", "data", "target"];

/// The workbook's source tree, where the grader was built.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The workspace this program was built in.
    pub fn here() -> Result<Self, String> {
        let root = crate::workspace_root();
        let root = root.canonicalize().unwrap_or(root);
        if !root.join("chapters").is_dir() {
            return Err(format!(
                "the workbook's chapters are not here ({}): `scripts/learn` runs in a clone of \
                 the workbook",
                root.display()
            ));
        }
        Ok(Self { root })
    }

    /// The workspace's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The reference chapter's folder: `chapters/09-jwt`.
    pub fn chapter_dir(&self, chapter: &Chapter) -> PathBuf {
        self.root.join("chapters").join(folder(chapter))
    }

    /// The learner's crate of a chapter: `my/09-jwt`.
    pub fn learner_dir(&self, chapter: &Chapter) -> PathBuf {
        self.root.join("my").join(folder(chapter))
    }

    /// Where the chapter's generated starter goes for the grader's own tests.
    pub fn starter_dir(&self, chapter: &Chapter) -> PathBuf {
        self.root
            .join("tests")
            .join("starters")
            .join(folder(chapter))
    }

    fn state_file(&self) -> PathBuf {
        self.root.join("my").join("progress.json")
    }

    /// The data folder (SQLite files, logs) of a package run with `cargo run`: the workspace's
    /// cargo configuration sets `DATA_DIR` to `target/data`, and each program keeps its files
    /// in `DATA_DIR/<package>`.
    pub fn data_dir(&self, package: &str) -> PathBuf {
        let base = std::env::var_os("DATA_DIR")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| self.root.join("target").join("data"));
        base.join(package)
    }

    fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}

/// A chapter's folder name: `09-jwt` for package `ch09-jwt`.
pub fn folder(chapter: &Chapter) -> &'static str {
    chapter.package.trim_start_matches("ch")
}

/// The package of a learner's crate: `my-ch09-jwt`.
pub fn learner_package(chapter: &Chapter) -> String {
    format!("my-{}", chapter.package)
}

/// The package of a generated starter: `starter-ch09-jwt`.
pub fn starter_package(chapter: &Chapter) -> String {
    format!("starter-{}", chapter.package)
}

/// The chapter named `name` (`9`, `09`, `ch09`, a package name), or an error that lists them.
pub fn chapter(name: &str) -> Result<&'static Chapter, String> {
    crate::chapters::find(name).ok_or_else(|| {
        let known: Vec<&str> = CHAPTERS.iter().map(|c| c.number).collect();
        format!(
            "there is no chapter {name:?}; the chapters are {}",
            known.join(", ")
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Making a learner's crate from a chapter's starter.

/// Writes the starter of the chapter in `source` (package `package`) to `dest`, as package
/// `new_package`. `dest` must not exist.
pub fn generate(
    source: &Path,
    package: &str,
    dest: &Path,
    new_package: &str,
) -> Result<(), String> {
    if dest.exists() {
        return Err(format!("{} exists already", dest.display()));
    }
    copy_tree(source, dest, NOT_COPIED)?;
    let starter = source.join("starter");
    if starter.is_dir() {
        copy_tree(&starter, dest, &["leave-out.txt"])?;
        leave_out(&starter.join("leave-out.txt"), dest)?;
    }
    rename_package(dest, package, new_package)
}

fn copy_tree(from: &Path, to: &Path, skip_top: &[&str]) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|err| io_error("make", to, &err))?;
    let entries = std::fs::read_dir(from).map_err(|err| io_error("read", from, &err))?;
    for entry in entries {
        let entry = entry.map_err(|err| io_error("read", from, &err))?;
        let name = entry.file_name();
        if skip_top.iter().any(|skip| name == *skip) {
            continue;
        }
        let path = entry.path();
        let target = to.join(&name);
        let kind = entry
            .file_type()
            .map_err(|err| io_error("read", &path, &err))?;
        if kind.is_dir() {
            copy_tree(&path, &target, &[])?;
        } else if kind.is_file() && !is_run_leftover(&name.to_string_lossy()) {
            std::fs::copy(&path, &target).map_err(|err| io_error("copy", &path, &err))?;
        }
    }
    Ok(())
}

/// Files a chapter's run may have left in its folder: never part of a copy.
fn is_run_leftover(name: &str) -> bool {
    [".db", ".db-shm", ".db-wal", ".snap.new", ".pending-snap"]
        .iter()
        .any(|end| name.ends_with(end))
}

fn leave_out(list: &Path, dest: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(list) else {
        return Ok(());
    };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if line.contains("..") || line.starts_with('/') {
            return Err(format!(
                "{}: {line:?} is not a path inside the chapter",
                list.display()
            ));
        }
        let path = dest.join(line);
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|err| format!("{}: cannot leave out {line}: {err}", list.display()))?;
    }
    Ok(())
}

/// Gives the copy its own package name, in its manifest and its sources, and drops what only
/// the reference's tests need.
fn rename_package(dest: &Path, package: &str, new_package: &str) -> Result<(), String> {
    let manifest = dest.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).map_err(|err| io_error("read", &manifest, &err))?;
    let mut out = String::new();
    let mut section = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed.to_owned();
        }
        let dropped = ["[dev-dependencies]", "[[test]]", "[[example]]", "[[bench]]"];
        if dropped.contains(&section.as_str()) {
            continue;
        }
        if section == "[package]" && trimmed.starts_with("name") && trimmed.contains(package) {
            let _ = writeln!(out, "name = \"{new_package}\"");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(&manifest, out).map_err(|err| io_error("write", &manifest, &err))?;
    let (old_crate, new_crate) = (package.replace('-', "_"), new_package.replace('-', "_"));
    for file in rust_files(dest)? {
        let text = std::fs::read_to_string(&file).map_err(|err| io_error("read", &file, &err))?;
        let renamed = replace_word(
            &replace_word(&text, &old_crate, &new_crate),
            package,
            new_package,
        );
        if renamed != text {
            std::fs::write(&file, renamed).map_err(|err| io_error("write", &file, &err))?;
        }
    }
    Ok(())
}

fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|err| io_error("read", dir, &err))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    Ok(files)
}

/// Replaces `word` where it stands alone: not inside a longer name (`ch09_jwt` but not
/// `my_ch09_jwt`, `ch09-jwt` but not `chapters/09-jwt`).
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let part_of_name = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back());
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(part_of_name) || after.is_some_and(part_of_name) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

fn io_error(what: &str, path: &Path, err: &std::io::Error) -> String {
    format!("cannot {what} {}: {err}", path.display())
}

// ---------------------------------------------------------------------------------------------
// The learner's state, in `my/progress.json`.

/// What `scripts/learn` remembers, in `my/progress.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Progress {
    /// The chapter started or checked last: what `check`, `watch` and `hint` take by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// Per chapter number.
    #[serde(default)]
    pub chapters: BTreeMap<String, ChapterProgress>,
    /// How many hints were asked for each check.
    #[serde(default)]
    pub hints: BTreeMap<String, u32>,
}

/// One chapter's state.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ChapterProgress {
    /// When `start` made the crate (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    /// When it was last checked (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<String>,
    /// Contract points earned and possible, at the last check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<[u32; 2]>,
    /// Exercise points earned and possible, at the last check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercises: Option<[u32; 2]>,
    /// The first check that failed at the last check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_failure: Option<String>,
}

impl ChapterProgress {
    /// Every check passed at the last check.
    pub fn done(&self) -> bool {
        let full = |points: Option<[u32; 2]>| points.is_some_and(|[got, of]| got == of);
        self.checked.is_some()
            && full(self.contract)
            && full(self.exercises)
            && self.first_failure.is_none()
    }

    /// `not started`, `started`, `contract 20/20 · exercises 3/8`, or `done`.
    pub fn state(&self) -> String {
        match (self.contract, self.exercises) {
            _ if self.done() => "done".to_owned(),
            (Some([c, cp]), Some([e, ep])) => format!("contract {c}/{cp} · exercises {e}/{ep}"),
            _ if self.started.is_some() => "started".to_owned(),
            _ => "not started".to_owned(),
        }
    }
}

impl Progress {
    /// Reads the state; a missing file is a fresh start.
    pub fn load(ws: &Workspace) -> Result<Self, String> {
        let path = ws.state_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|err| {
                format!(
                    "{} is not readable ({err}); fix it or delete it to start the record anew",
                    path.display()
                )
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(err) => Err(io_error("read", &path, &err)),
        }
    }

    /// Writes the state, through a temporary file so that a crash never leaves half a file.
    pub fn save(&self, ws: &Workspace) -> Result<(), String> {
        let path = ws.state_file();
        let text = serde_json::to_string_pretty(self).map_err(|err| err.to_string())?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text + "\n")
            .map_err(|err| io_error("write", &temporary, &err))?;
        std::fs::rename(&temporary, &path).map_err(|err| io_error("write", &path, &err))
    }

    fn chapter(&mut self, number: &str) -> &mut ChapterProgress {
        self.chapters.entry(number.to_owned()).or_default()
    }
}

/// Now, in UTC, as `2026-12-06 04:10 UTC`.
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format_utc(secs)
}

/// A Unix time in UTC, to the minute.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

// ---------------------------------------------------------------------------------------------
// The commands.

/// `scripts/learn start NN`: makes `my/NN-name` from the chapter's starter.
pub fn start(ws: &Workspace, chapter: &Chapter) -> Result<String, String> {
    let dest = ws.learner_dir(chapter);
    let shown = ws.relative(&dest).display().to_string();
    if dest.exists() {
        return Err(format!(
            "{shown} exists already, and it is your work: `scripts/learn start` never writes \
             over it.\nTo go on, edit it and run `scripts/learn check {n}`.\nTo start over, \
             commit or copy it elsewhere if you want to keep it, remove it (`rm -r {shown}`), \
             and run `scripts/learn start {n}` again.",
            n = chapter.number
        ));
    }
    let package = learner_package(chapter);
    generate(&ws.chapter_dir(chapter), chapter.package, &dest, &package)?;
    let mut progress = Progress::load(ws)?;
    progress.last = Some(chapter.number.to_owned());
    let entry = progress.chapter(chapter.number);
    *entry = ChapterProgress {
        started: Some(now_utc()),
        ..ChapterProgress::default()
    };
    progress.save(ws)?;
    let exercises = exercise_file(&dest);
    Ok(format!(
        "Made {shown}/ (package {package}) from chapter {n}'s starter.\n\n\
         1. Read   book/src/{folder}.md, its Exercises section above all\n\
         \x20         (or run `scripts/book` and open http://localhost:3000/{folder}.html)\n\
         2. Edit   {file}: each exercise has a `TODO(exercise N)` there\n\
         3. Check  scripts/learn check        (or `scripts/learn watch` to check on every save)\n\n\
         Run it:   cargo run -p {package}\n",
        n = chapter.number,
        folder = folder(chapter),
        file = ws.relative(&exercises).display(),
    ))
}

/// The file where a crate's exercises go.
fn exercise_file(crate_dir: &Path) -> PathBuf {
    let file = crate_dir.join("src").join("exercises.rs");
    if file.exists() {
        file
    } else {
        crate_dir.join("src").join("exercises").join("mod.rs")
    }
}

/// What `check` grades.
#[derive(Debug, Clone)]
pub enum Subject {
    /// The learner's crate in `my/`, built with cargo.
    Mine,
    /// A server already running, in any language.
    Url(String),
    /// A program, in any language, started as the grader starts one.
    Program(PathBuf),
}

/// The outcome of `check`.
#[derive(Debug)]
pub struct Checked {
    /// What to print.
    pub text: String,
    /// Whether every check passed.
    pub passed: bool,
}

/// `scripts/learn check [NN]`: builds and grades, records the result, and shows the first
/// failing check in full.
pub async fn check(
    ws: &Workspace,
    chapter: &Chapter,
    subject: &Subject,
) -> Result<Checked, String> {
    let target = match subject {
        Subject::Mine => {
            let dir = ws.learner_dir(chapter);
            if !dir.join("Cargo.toml").exists() {
                return Err(format!(
                    "there is no {} yet: make it with `scripts/learn start {}`",
                    ws.relative(&dir).display(),
                    chapter.number
                ));
            }
            let package = learner_package(chapter);
            let programs = crate::target::build_references(&[package.as_str()]).await?;
            let program = programs
                .into_iter()
                .next()
                .ok_or("cargo named no program")?;
            Target::Program(program)
        }
        Subject::Url(url) => Target::Url(url.trim_end_matches('/').to_owned()),
        Subject::Program(path) => Target::Program(path.clone()),
    };
    let report = crate::grade(chapter, &target, &Options::default()).await;
    let mut progress = Progress::load(ws)?;
    progress.last = Some(chapter.number.to_owned());
    let entry = progress.chapter(chapter.number);
    let totals = report.subtotals();
    entry.checked = Some(now_utc());
    entry.contract = Some([totals.contract.earned, totals.contract.possible]);
    entry.exercises = Some([totals.exercises.earned, totals.exercises.possible]);
    entry.first_failure = match &report.error {
        Some(_) => Some(NOT_STARTED.to_owned()),
        None => report
            .failures()
            .next()
            .map(|(result, _)| result.id.clone()),
    };
    let passed = report.passed();
    let text = summary(ws, chapter, &report, &totals);
    progress.save(ws)?;
    Ok(Checked { text, passed })
}

/// What `first_failure` says when the server could not be started or reached.
const NOT_STARTED: &str = "(the server did not start)";

fn summary(ws: &Workspace, chapter: &Chapter, report: &Report, totals: &Subtotals) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "chapter {} · {}: {}",
        chapter.number, chapter.title, report.target
    );
    let left = |kind: bool| {
        report
            .results
            .iter()
            .filter(|r| r.exercise == kind && matches!(r.status, Status::Failed(_)))
            .count()
    };
    for (name, points, failing) in [
        ("contract ", totals.contract, left(false)),
        ("exercises", totals.exercises, left(true)),
    ] {
        let (got, of) = (points.earned, points.possible);
        let mark = if failing == 0 {
            "✓".to_owned()
        } else {
            format!("{failing} to go")
        };
        let _ = writeln!(out, "  {name} {got:>3}/{of:<3} {mark}");
    }
    if totals.skipped > 0 {
        let _ = writeln!(
            out,
            "  skipped   {} points (they need a server the grader starts: use --bin)",
            totals.skipped
        );
    }
    if let Some(error) = &report.error {
        let _ = writeln!(out, "\nYour server could not be graded: {}", error.message);
        if let Some(got) = &error.got {
            let _ = writeln!(out, "{got}");
        }
        if let Some(start) = &error.start {
            let _ = writeln!(out, "Start it by hand to see why:\n  {start}");
        }
        return out;
    }
    match report.failures().next() {
        None => {
            let _ = writeln!(
                out,
                "\nEvery check passed: chapter {} is done.",
                chapter.number
            );
        }
        Some((result, _)) => {
            let kind = if result.exercise {
                "exercise"
            } else {
                "contract"
            };
            let _ = writeln!(
                out,
                "\nfirst failing check: {} ({} pt, {kind}): {}",
                result.id, result.points, result.title
            );
            out.push_str(&crate::report::render_failure(result, &book_base(ws)));
            out.push_str(book_note(ws));
            let _ = writeln!(
                out,
                "\nMore help: `scripts/learn hint {} {}`. Then check again: `scripts/learn check`.",
                chapter.number, result.id
            );
        }
    }
    out
}

/// Where the book's pages are: the built book's files when they are there (no server
/// needed), else the address `scripts/book` serves them at.
pub fn book_base(ws: &Workspace) -> String {
    let built = ws.root.join("book").join("book");
    if built.join("index.html").exists() {
        format!("file://{}", built.display())
    } else {
        "http://localhost:3000".to_owned()
    }
}

/// What to do for the book's links to work, when the book is not built.
fn book_note(ws: &Workspace) -> &'static str {
    if ws
        .root
        .join("book")
        .join("book")
        .join("index.html")
        .exists()
    {
        ""
    } else {
        "  (book links: run `scripts/book` to serve it, or `scripts/book build` once to read its \
         files)\n"
    }
}

/// `scripts/learn progress`: every chapter with its state.
pub fn progress(ws: &Workspace, json: bool) -> Result<String, String> {
    let progress = Progress::load(ws)?;
    if json {
        let rows: Vec<serde_json::Value> = CHAPTERS
            .iter()
            .map(|chapter| {
                let state = progress
                    .chapters
                    .get(chapter.number)
                    .cloned()
                    .unwrap_or_default();
                serde_json::json!({
                    "chapter": chapter.number,
                    "title": chapter.title,
                    "state": if state.done() { "done".to_owned() } else { state.state() },
                    "started": state.started,
                    "checked": state.checked,
                    "contract": state.contract,
                    "exercises": state.exercises,
                    "done": state.done(),
                    "first_failure": state.first_failure,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rows)
            .map(|text| text + "\n")
            .map_err(|err| err.to_string());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<4} {:<22} {:<34} last check",
        "", "chapter", "state"
    );
    let mut done = 0;
    for chapter in CHAPTERS {
        let state = progress
            .chapters
            .get(chapter.number)
            .cloned()
            .unwrap_or_default();
        done += usize::from(state.done());
        let mark = if state.done() { "✓" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {} {:<22} {:<34} {}",
            chapter.number,
            chapter.title,
            state.state(),
            state.checked.as_deref().unwrap_or("-")
        );
    }
    let _ = writeln!(out, "\n{done} of {} chapters done.", CHAPTERS.len());
    if let Some(last) = &progress.last {
        let _ = writeln!(
            out,
            "Last chapter: {last}; `scripts/learn check` checks it."
        );
    } else {
        let _ = writeln!(out, "Start with `scripts/learn start 01`.");
    }
    Ok(out)
}

/// `scripts/learn hint NN [CHECK]`: a nudge, then the book section, then the reference
/// solution's place, each time the same check's hint is asked again.
pub fn hint(ws: &Workspace, chapter: &Chapter, check: Option<&str>) -> Result<String, String> {
    let mut progress = Progress::load(ws)?;
    let id = match check {
        Some(id) => id.to_owned(),
        None => progress
            .chapters
            .get(chapter.number)
            .and_then(|state| state.first_failure.clone())
            .ok_or_else(|| {
                format!(
                    "no failing check is known for chapter {n}: run `scripts/learn check {n}` \
                     first, or name a check (`scripts/grade {n} --list` lists them)",
                    n = chapter.number
                )
            })?,
    };
    let checks = (chapter.checks)();
    let found = checks.iter().find(|c| c.id == id).ok_or_else(|| {
        format!(
            "chapter {n} has no check {id:?} (`scripts/grade {n} --list` lists them)",
            n = chapter.number
        )
    })?;
    let level = progress.hints.entry(id.clone()).or_insert(0);
    *level = (*level + 1).min(3);
    let level = *level;
    let mut out = format!("{} ({} pt): {}\n\n", found.id, found.points, found.title);
    let _ = writeln!(out, "hint 1 of 3: {}", found.hint);
    if level >= 2 {
        let (page, anchor) = found.book.split_once('#').unwrap_or((found.book, ""));
        let page = page.trim_end_matches(".html");
        let _ = writeln!(
            out,
            "hint 2 of 3: read book/src/{page}.md{}, or {}/{}",
            if anchor.is_empty() {
                String::new()
            } else {
                format!(", section #{anchor}")
            },
            book_base(ws),
            found.book
        );
        out.push_str(book_note(ws));
    }
    if level >= 3 {
        let dir = ws.relative(&ws.chapter_dir(chapter)).display().to_string();
        let place = if found.exercise {
            format!("{dir}/src/exercises.rs (and the <details> solution on the page)")
        } else {
            format!("{dir}/src/ (the lesson itself: your starter has it too)")
        };
        let _ = writeln!(out, "hint 3 of 3: the reference solution is in {place}");
    } else {
        let _ = writeln!(
            out,
            "\nAsk again (`scripts/learn hint {} {id}`) for more.",
            chapter.number
        );
    }
    progress.save(ws)?;
    Ok(out)
}

/// `scripts/learn reset NN`: removes the data (SQLite files, logs, outboxes) that the
/// learner's crate made under `cargo run`; `reference` does it for the reference chapter.
pub fn reset(ws: &Workspace, chapter: &Chapter, reference: bool) -> Result<String, String> {
    let package = if reference {
        chapter.package.to_owned()
    } else {
        learner_package(chapter)
    };
    let dir = ws.data_dir(&package);
    if !dir.exists() {
        return Ok(format!(
            "{} has no data to clear ({} is not there).\n",
            package,
            ws.relative(&dir).display()
        ));
    }
    std::fs::remove_dir_all(&dir).map_err(|err| io_error("remove", &dir, &err))?;
    Ok(format!(
        "Cleared {}: {package} starts with no data at its next run.\n",
        ws.relative(&dir).display()
    ))
}

// ---------------------------------------------------------------------------------------------
// Watching.

/// Runs `check` once, then again after each change of a file under `dir` (a burst of changes,
/// as an editor saving, counts once), until `check` returns `false`. Changes under `target/`
/// and the files editors write on the side are ignored.
pub async fn watch<F, Fut>(dir: &Path, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use notify::Watcher as _;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = tx.send(event);
        }
    })
    .map_err(|err| format!("cannot watch {}: {err}", dir.display()))?;
    watcher
        .watch(dir, notify::RecursiveMode::Recursive)
        .map_err(|err| format!("cannot watch {}: {err}", dir.display()))?;
    if !check().await {
        return Ok(());
    }
    loop {
        let Some(event) = rx.recv().await else {
            return Err(format!("stopped watching {}", dir.display()));
        };
        if !matters(&event) {
            continue;
        }
        // Let the burst end, and count it once.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {}
        if !check().await {
            return Ok(());
        }
    }
}

fn matters(event: &notify::Event) -> bool {
    use notify::EventKind;
    let changes = matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
    );
    changes
        && event.paths.iter().any(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let editor_file =
                name.starts_with(".#") || name.ends_with('~') || name.ends_with(".swp");
            !editor_file && !path.components().any(|c| c.as_os_str() == "target")
        })
}

/// Clears a terminal screen.
pub const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

// ---------------------------------------------------------------------------------------------
// The starters' own test.

/// One chapter's starter and reference, graded.
#[derive(Debug)]
pub struct SelfTest {
    /// The chapter.
    pub chapter: &'static Chapter,
    /// The starter's points.
    pub starter: Subtotals,
    /// The reference's points.
    pub reference: Subtotals,
    /// Checks that went the wrong way: contract checks the starter failed, exercise checks it
    /// passed, any check the reference failed.
    pub wrong: Vec<String>,
}

fn full(points: crate::report::Points) -> bool {
    points.earned == points.possible && points.skipped == 0
}

impl SelfTest {
    /// Starter: contract full, exercises 0; reference: everything.
    pub fn ok(&self) -> bool {
        self.wrong.is_empty()
            && full(self.starter.contract)
            && self.starter.exercises.earned == 0
            && full(self.reference.contract)
            && full(self.reference.exercises)
    }

    /// One line per program, and the checks that went the wrong way.
    pub fn describe(&self) -> String {
        let line = |name: &str, t: &Subtotals| {
            format!(
                "  {name:<9} contract {:>3}/{:<3} exercises {:>3}/{:<3}\n",
                t.contract.earned, t.contract.possible, t.exercises.earned, t.exercises.possible
            )
        };
        let verdict = if self.ok() { "ok" } else { "WRONG" };
        let mut out = format!(
            "chapter {} · {}: {verdict}\n",
            self.chapter.number, self.chapter.title
        );
        out.push_str(&line("starter", &self.starter));
        out.push_str(&line("reference", &self.reference));
        for wrong in &self.wrong {
            let _ = writeln!(out, "  - {wrong}");
        }
        out
    }
}

/// Generates the starters of `chapters` under `tests/starters/`, builds them and the
/// references in one cargo command, grades both, and removes the starters.
pub async fn selftest(
    ws: &Workspace,
    chapters: &[&'static Chapter],
) -> Result<Vec<SelfTest>, String> {
    let mut made = Vec::new();
    for chapter in chapters {
        let dir = ws.starter_dir(chapter);
        // What an interrupted run left.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|err| io_error("remove", &dir, &err))?;
        }
        generate(
            &ws.chapter_dir(chapter),
            chapter.package,
            &dir,
            &starter_package(chapter),
        )?;
        made.push(dir);
    }
    let result = selftest_built(chapters).await;
    for dir in made {
        let _ = std::fs::remove_dir_all(dir);
    }
    // Cargo drops the removed starters from Cargo.lock when it next resolves the workspace:
    // resolve it now (metadata with dependencies; `--no-deps` writes no lock file), so that
    // the lock file is as it was.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let _ = tokio::process::Command::new(cargo)
        .current_dir(ws.root())
        .args(["metadata", "--format-version", "1", "--offline"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await;
    result
}

async fn selftest_built(chapters: &[&'static Chapter]) -> Result<Vec<SelfTest>, String> {
    let starters: Vec<String> = chapters.iter().map(|c| starter_package(c)).collect();
    let mut packages: Vec<&str> = starters.iter().map(String::as_str).collect();
    packages.extend(chapters.iter().map(|c| c.package));
    let programs = crate::target::build_references(&packages).await?;
    let (starter_programs, reference_programs) = programs.split_at(chapters.len());
    let mut tests = Vec::new();
    for ((chapter, starter), reference) in chapters
        .iter()
        .zip(starter_programs)
        .zip(reference_programs)
    {
        let options = Options::default();
        let starter = crate::grade(chapter, &Target::Program(starter.clone()), &options).await;
        let reference = crate::grade(chapter, &Target::Program(reference.clone()), &options).await;
        let mut wrong = Vec::new();
        for (name, report) in [("starter", &starter), ("reference", &reference)] {
            if let Some(error) = &report.error {
                wrong.push(format!("the {name} could not be graded: {}", error.message));
            }
        }
        for result in &starter.results {
            let passed = matches!(result.status, Status::Passed);
            if result.exercise && passed {
                wrong.push(format!("the starter passes exercise check {}", result.id));
            }
            if !result.exercise && !passed {
                wrong.push(format!("the starter fails contract check {}", result.id));
            }
        }
        for (result, failure) in reference.failures() {
            wrong.push(format!(
                "the reference fails {}: {}",
                result.id, failure.message
            ));
        }
        tests.push(SelfTest {
            chapter,
            starter: starter.subtotals(),
            reference: reference.subtotals(),
            wrong,
        });
    }
    Ok(tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_replaced_only_where_it_stands_alone() {
        let text = "ch09_jwt::app(); my_ch09_jwt; ch09_jwt_extra; `cargo run -p ch09-jwt`, \
                    chapters/09-jwt";
        let got = replace_word(
            &replace_word(text, "ch09_jwt", "my_ch09_jwt"),
            "ch09-jwt",
            "my-ch09-jwt",
        );
        assert_eq!(
            got,
            "my_ch09_jwt::app(); my_ch09_jwt; ch09_jwt_extra; `cargo run -p my-ch09-jwt`, \
             chapters/09-jwt"
        );
    }

    #[test]
    fn dates_are_utc_civil_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_796_528_400), "2026-12-06 03:40 UTC");
    }

    #[test]
    fn a_chapter_is_done_only_with_every_point() {
        let mut state = ChapterProgress {
            started: Some("x".into()),
            checked: Some("y".into()),
            contract: Some([20, 20]),
            exercises: Some([3, 8]),
            first_failure: Some("09.ex.logout".into()),
        };
        assert_eq!(state.state(), "contract 20/20 · exercises 3/8");
        state.exercises = Some([8, 8]);
        state.first_failure = None;
        assert_eq!(state.state(), "done");
        assert_eq!(ChapterProgress::default().state(), "not started");
    }
}
