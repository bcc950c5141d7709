//! What a run found, for a person (text) or a program (JSON, JUnit XML).

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::check::{Check, Failure, PROFILE_SKIP, Profile, Tag};

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// The check's id.
    pub id: String,
    /// The check's title.
    pub title: String,
    /// Points for passing.
    pub points: u32,
    /// Points earned (all or nothing).
    pub earned: u32,
    /// Whether it checks an exercise.
    pub exercise: bool,
    /// `passed`, `failed` or `skipped`, with the failure or the reason.
    #[serde(flatten)]
    pub status: Status,
    /// What to look at when it fails.
    pub hint: String,
    /// The book section that teaches it (relative to the book's address).
    pub book: String,
    /// The workbook rule it tests, when FastAPI does not follow that rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<Tag>,
    /// What the run's profile did to it, when it changed something: what else it accepted.
    /// (A skip says why in its status.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How long it took.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
}

/// How a check ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "lowercase")]
pub enum Status {
    /// It passed.
    Passed,
    /// It failed, and why.
    Failed(Failure),
    /// It did not run, and why.
    Skipped(String),
}

impl CheckResult {
    pub(crate) fn new(check: &Check, status: Status, duration: Duration) -> Self {
        let earned = if matches!(status, Status::Passed) {
            check.points
        } else {
            0
        };
        let status = match status {
            Status::Failed(failure) => Status::Failed(failure.bounded()),
            other => other,
        };
        Self {
            id: check.id.to_owned(),
            title: check.title.to_owned(),
            points: check.points,
            earned,
            exercise: check.exercise,
            status,
            hint: check.hint.to_owned(),
            book: check.book.to_owned(),
            tag: check.tag,
            note: None,
            duration,
        }
    }
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((duration.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// The results of one chapter's checks.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The chapter's number, e.g. `01`.
    pub chapter: String,
    /// The chapter's title.
    pub title: String,
    /// The server graded: a URL or a program.
    pub target: String,
    /// The seed of the invented data (`--seed` repeats the run).
    pub seed: u64,
    /// The rules the server was held to (`--profile`).
    pub profile: Profile,
    /// Why the server could not be started or reached, when it could not, and the line that
    /// starts it by hand: the checks that needed it did not run (they are skipped with
    /// [`NOT_RUN`]), and the run is no grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    /// One result per check, in order.
    pub results: Vec<CheckResult>,
    /// How long the whole run took.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
}

/// Why a check did not run when the server could not be started or reached.
pub const NOT_RUN: &str = "not run: the server could not be started or reached";

/// The points of one part of a chapter, its contract or its exercises.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Points {
    /// Points earned.
    pub earned: u32,
    /// Points that could be earned: those of the checks that ran.
    pub possible: u32,
    /// Points of the checks that did not run (skipped).
    pub skipped: u32,
}

impl Points {
    fn add(self, other: Points) -> Points {
        Points {
            earned: self.earned + other.earned,
            possible: self.possible + other.possible,
            skipped: self.skipped + other.skipped,
        }
    }
}

/// A run's points, split into the chapter's contract and its exercises; see
/// [`Report::subtotals`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Subtotals {
    /// The contract's checks.
    pub contract: Points,
    /// The exercises' checks.
    pub exercises: Points,
    /// Points of the checks that did not run, contract and exercises together.
    pub skipped: u32,
}

impl Subtotals {
    /// Contract and exercises together.
    pub fn total(&self) -> Points {
        self.contract.add(self.exercises)
    }

    fn add(self, other: Subtotals) -> Subtotals {
        Subtotals {
            contract: self.contract.add(other.contract),
            exercises: self.exercises.add(other.exercises),
            skipped: self.skipped + other.skipped,
        }
    }
}

/// The subtotals of several runs together (`grade all`).
pub fn total(reports: &[Report]) -> Subtotals {
    reports
        .iter()
        .map(Report::subtotals)
        .fold(Subtotals::default(), Subtotals::add)
}

impl Report {
    /// Whether the server could be graded and no check failed (skipped checks do not fail a
    /// run).
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && !self
                .results
                .iter()
                .any(|r| matches!(r.status, Status::Failed(_)))
    }

    /// Points earned and points that could be earned (skipped checks not counted).
    pub fn score(&self) -> (u32, u32) {
        let total = self.subtotals().total();
        (total.earned, total.possible)
    }

    /// Points earned, possible and skipped, for the contract and for the exercises. Possible
    /// points are those of the checks that ran: a run with skipped checks is never full
    /// marks for the chapter, and `skipped` says by how much.
    pub fn subtotals(&self) -> Subtotals {
        let mut subtotals = Subtotals::default();
        for result in &self.results {
            let part = if result.exercise {
                &mut subtotals.exercises
            } else {
                &mut subtotals.contract
            };
            if matches!(result.status, Status::Skipped(_)) {
                part.skipped += result.points;
                subtotals.skipped += result.points;
            } else {
                part.earned += result.earned;
                part.possible += result.points;
            }
        }
        subtotals
    }

    fn count(&self, wanted: fn(&Status) -> bool) -> usize {
        self.results.iter().filter(|r| wanted(&r.status)).count()
    }

    /// The text report of this run alone, without colours, with links to the local book.
    pub fn to_text(&self) -> String {
        text(
            std::slice::from_ref(self),
            "http://localhost:3000",
            Style { color: false },
        )
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = (&CheckResult, &Failure)> {
        self.results.iter().filter_map(|r| match &r.status {
            Status::Failed(failure) => Some((r, failure)),
            _ => None,
        })
    }
}

/// How marks are drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// ANSI colours (for a terminal).
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// The report for a person: a checklist, and what to do about each failure; for several
/// chapters, a grand total at the end.
pub fn text(reports: &[Report], book_url: &str, style: Style) -> String {
    let mut out = String::new();
    for report in reports {
        // The default profile goes unsaid, as every option's default does.
        let profile = match report.profile {
            Profile::Strict => String::new(),
            other => format!(" · profile {}", other.name()),
        };
        let _ = writeln!(
            out,
            "chapter {} · {} · {} · seed {}{profile}\n",
            report.chapter, report.title, report.target, report.seed
        );
        let shown = shown(report);
        if let Some(error) = &report.error {
            let _ = writeln!(out, "  {} no server to grade", style.paint("31", "✗"));
            out.push_str(&labelled(error, "", ""));
            if !shown.is_empty() {
                out.push('\n');
            }
        }
        let width = shown.iter().map(|r| r.id.len()).max().unwrap_or(0);
        let mut in_exercises = false;
        for result in shown {
            if result.exercise && !in_exercises {
                in_exercises = true;
                let _ = writeln!(out, "  exercises");
            }
            let (mark, note) = match &result.status {
                Status::Passed => (style.paint("32", "✓"), String::new()),
                Status::Failed(_) => (style.paint("31", "✗"), String::new()),
                Status::Skipped(reason) => {
                    (style.paint("33", "–"), format!("\n      skipped: {reason}"))
                }
            };
            let points = format!("{}/{}", result.earned, result.points);
            let _ = writeln!(
                out,
                "  {mark} {:width$}  {points:>5}  {}{note}",
                result.id, result.title
            );
            if let Some(note) = &result.note {
                let _ = writeln!(out, "      {note}");
            }
            out.push_str(&render_failure(result, book_url));
        }
        let _ = writeln!(out, "\n  {}\n", summary(report));
    }
    if reports.len() > 1 {
        let _ = writeln!(out, "{}", grand_total(reports));
    }
    out
}

/// The results a report lists: a server that could not be started or reached is said once,
/// so the checks it kept from running are not listed one by one.
fn shown(report: &Report) -> Vec<&CheckResult> {
    report
        .results
        .iter()
        .filter(|r| !matches!(&r.status, Status::Skipped(reason) if reason == NOT_RUN))
        .collect()
}

/// `14/14 points · 4 points skipped (need --bin) · 12 passed, 0 failed, 2 skipped · …`
fn summary(report: &Report) -> String {
    let total = report.subtotals().total();
    let mut parts = vec![format!("{}/{} points", total.earned, total.possible)];
    parts.extend(skipped_notes(&report.results));
    let not_run = report.count(|s| matches!(s, Status::Skipped(reason) if reason == NOT_RUN));
    parts.push(format!(
        "{} passed, {} failed, {} skipped",
        report.count(|s| matches!(s, Status::Passed)),
        report.count(|s| matches!(s, Status::Failed(_))),
        report.count(|s| matches!(s, Status::Skipped(_))) - not_run,
    ));
    if not_run > 0 {
        parts.push(format!("{not_run} not run"));
    }
    parts.push(format!("{:.1} s", report.duration.as_secs_f64()));
    parts.push(format!("repeat with --seed {}", report.seed));
    parts.join(" · ")
}

/// The points of skipped checks, by why they were skipped: `4 points skipped (need --bin)`.
fn skipped_notes<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Vec<String> {
    let (mut need_bin, mut not_run, mut profile, mut other) = (0, 0, 0, 0);
    for result in results {
        match &result.status {
            Status::Skipped(reason) if reason == NOT_RUN => not_run += result.points,
            Status::Skipped(reason) if reason.starts_with(PROFILE_SKIP) => {
                profile += result.points;
            }
            Status::Skipped(reason) if reason.contains("--bin") => need_bin += result.points,
            Status::Skipped(_) => other += result.points,
            _ => {}
        }
    }
    [
        (need_bin, "skipped (need --bin)"),
        (not_run, "not run (no server)"),
        (profile, "skipped (fastapi profile)"),
        (other, "skipped"),
    ]
    .into_iter()
    .filter(|(points, _)| *points > 0)
    .map(|(points, why)| format!("{points} {} {why}", plural(points, "point")))
    .collect()
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// `total · 16 chapters · 300/310 points (contract 250/250, exercises 50/60) · …`
fn grand_total(reports: &[Report]) -> String {
    let sum = total(reports);
    let all = sum.total();
    let mut parts = vec![
        "total".to_owned(),
        format!("{} chapters", reports.len()),
        format!(
            "{}/{} points (contract {}/{}, exercises {}/{})",
            all.earned,
            all.possible,
            sum.contract.earned,
            sum.contract.possible,
            sum.exercises.earned,
            sum.exercises.possible
        ),
    ];
    parts.extend(skipped_notes(reports.iter().flat_map(|r| &r.results)));
    let failed = reports.iter().filter(|r| !r.passed()).count();
    if failed > 0 {
        parts.push(format!("{failed} of them not passed"));
    }
    let ungraded = reports.iter().filter(|r| r.error.is_some()).count();
    if ungraded > 0 {
        parts.push(format!("{ungraded} with no server"));
    }
    parts.join(" · ")
}

/// One failed check in full, as the text report shows it under the check's line: the
/// problem, the request, the command that starts the same server and the `curl` to repeat
/// it, what was expected and what came back, the hint and the book section (`book_url` is
/// where the book is served). Empty for a check that did not fail.
///
/// For a tool that shows one failure at a time, say the first of [`Report::failures`].
pub fn render_failure(result: &CheckResult, book_url: &str) -> String {
    let Status::Failed(failure) = &result.status else {
        return String::new();
    };
    let book = if result.book.is_empty() {
        String::new()
    } else {
        book_link(book_url, &result.book)
    };
    labelled(failure, &result.hint, &book)
}

/// A failure as labelled lines, continuation lines under the first.
fn labelled(failure: &Failure, hint: &str, book: &str) -> String {
    let mut out = String::new();
    let mut line = |label: &str, text: &str| {
        let text = text.replace('\n', "\n                ");
        let _ = writeln!(out, "      {label:<9} {text}");
    };
    line("problem", &failure.message);
    if let Some(exchange) = &failure.exchange {
        line("request", &format!("{} {}", exchange.method, exchange.url));
    }
    if let Some(start) = &failure.start {
        line("start", start);
    }
    if let Some(exchange) = &failure.exchange {
        line("try", &exchange.curl);
    }
    if let Some(command) = &failure.command {
        line("try", command);
    }
    if let Some(expected) = &failure.expected {
        line("expected", expected);
    }
    if let Some(got) = &failure.got {
        line("got", got);
    }
    if !hint.is_empty() {
        line("hint", hint);
    }
    if !book.is_empty() {
        line("book", book);
    }
    out
}

/// The full address of a book section.
pub fn book_link(book_url: &str, section: &str) -> String {
    format!("{}/{}", book_url.trim_end_matches('/'), section)
}

/// The report for a program: one JSON document for the whole run, with each chapter's
/// subtotals and the points of all of them.
pub fn json(reports: &[Report], book_url: &str) -> String {
    let sum = total(reports);
    let all = sum.total();
    let chapters: Vec<Value> = reports.iter().map(chapter_json).collect();
    let document = serde_json::json!({
        "passed": reports.iter().all(Report::passed),
        "score": {"earned": all.earned, "possible": all.possible, "skipped": all.skipped},
        "subtotals": sum,
        "book_url": book_url,
        "chapters": chapters,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// A chapter's report, with its subtotals before its results.
fn chapter_json(report: &Report) -> Value {
    let Ok(Value::Object(fields)) = serde_json::to_value(report) else {
        return Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (key, value) in fields {
        if key == "results" {
            let subtotals = serde_json::to_value(report.subtotals()).unwrap_or_default();
            out.insert("subtotals".to_owned(), subtotals);
        }
        out.insert(key, value);
    }
    Value::Object(out)
}

/// The report for CI systems: JUnit XML, a test suite per chapter and a test case per check,
/// with the points as properties. A server that could not be started or reached is one
/// error, not a failure per check.
pub fn junit(reports: &[Report], book_url: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = reports
        .iter()
        .map(|r| shown(r).len() + usize::from(r.error.is_some()))
        .sum();
    let failures: usize = reports.iter().map(|r| r.failures().count()).sum();
    let errors = reports.iter().filter(|r| r.error.is_some()).count();
    let _ = writeln!(
        out,
        "<testsuites name=\"grader\" tests=\"{tests}\" failures=\"{failures}\" \
         errors=\"{errors}\">"
    );
    for report in reports {
        let results = shown(report);
        let skipped = results
            .iter()
            .filter(|r| matches!(r.status, Status::Skipped(_)))
            .count();
        let error = usize::from(report.error.is_some());
        let _ = writeln!(
            out,
            "  <testsuite name=\"chapter {}\" tests=\"{}\" failures=\"{}\" errors=\"{error}\" \
             skipped=\"{skipped}\" time=\"{:.3}\">",
            xml(&report.chapter),
            results.len() + error,
            report.failures().count(),
            report.duration.as_secs_f64()
        );
        let points = report.subtotals();
        let all = points.total();
        let properties = [
            ("seed", report.seed.to_string()),
            ("profile", report.profile.name().to_owned()),
            ("target", report.target.clone()),
            ("points.earned", all.earned.to_string()),
            ("points.possible", all.possible.to_string()),
            ("points.skipped", all.skipped.to_string()),
            ("contract.earned", points.contract.earned.to_string()),
            ("contract.possible", points.contract.possible.to_string()),
            ("contract.skipped", points.contract.skipped.to_string()),
            ("exercises.earned", points.exercises.earned.to_string()),
            ("exercises.possible", points.exercises.possible.to_string()),
            ("exercises.skipped", points.exercises.skipped.to_string()),
        ];
        out.push_str("    <properties>\n");
        for (name, value) in properties {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                xml(&value)
            );
        }
        out.push_str("    </properties>\n");
        if let Some(error) = &report.error {
            let _ = writeln!(
                out,
                "    <testcase classname=\"chapter{}\" name=\"server\" time=\"{:.3}\">\n      \
                 <error message=\"{}\">{}</error>\n    </testcase>",
                xml(&report.chapter),
                report.duration.as_secs_f64(),
                xml(error.message.lines().next().unwrap_or_default()),
                xml(&labelled(error, "", ""))
            );
        }
        for result in results {
            let _ = writeln!(
                out,
                "    <testcase classname=\"chapter{}\" name=\"{}: {}\" time=\"{:.3}\">",
                xml(&report.chapter),
                xml(&result.id),
                xml(&result.title),
                result.duration.as_secs_f64()
            );
            let _ = writeln!(
                out,
                "      <properties><property name=\"points\" value=\"{}\"/>\
                 <property name=\"earned\" value=\"{}\"/></properties>",
                result.points, result.earned
            );
            match &result.status {
                Status::Passed => {}
                Status::Skipped(reason) => {
                    let _ = writeln!(out, "      <skipped message=\"{}\"/>", xml(reason));
                }
                Status::Failed(failure) => {
                    let _ = writeln!(
                        out,
                        "      <failure message=\"{}\">{}</failure>",
                        xml(&failure.message),
                        xml(&render_failure(result, book_url))
                    );
                }
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for XML, dropping characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r') || !c.is_control())
        .fold(String::with_capacity(text.len()), |mut out, c| {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
            out
        })
}
