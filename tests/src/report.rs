//! What a run found, for a person (text) or a program (JSON, JUnit XML).

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::check::{Check, Failure};

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
        Self {
            id: check.id.to_owned(),
            title: check.title.to_owned(),
            points: check.points,
            earned,
            exercise: check.exercise,
            status,
            hint: check.hint.to_owned(),
            book: check.book.to_owned(),
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
    /// One result per check, in order.
    pub results: Vec<CheckResult>,
    /// How long the whole run took.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
}

impl Report {
    /// Whether no check failed (skipped checks do not fail a run).
    pub fn passed(&self) -> bool {
        !self
            .results
            .iter()
            .any(|r| matches!(r.status, Status::Failed(_)))
    }

    /// Points earned and points that could be earned (skipped checks not counted).
    pub fn score(&self) -> (u32, u32) {
        let counted = self
            .results
            .iter()
            .filter(|r| !matches!(r.status, Status::Skipped(_)));
        counted.fold((0, 0), |(earned, possible), r| {
            (earned + r.earned, possible + r.points)
        })
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

/// The report for a person: a checklist, and what to do about each failure.
pub fn text(reports: &[Report], book_url: &str, style: Style) -> String {
    let mut out = String::new();
    for report in reports {
        let _ = writeln!(
            out,
            "chapter {} · {} · {} · seed {}\n",
            report.chapter, report.title, report.target, report.seed
        );
        let width = report.results.iter().map(|r| r.id.len()).max().unwrap_or(0);
        let mut in_exercises = false;
        for result in &report.results {
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
            if let Status::Failed(failure) = &result.status {
                explain(&mut out, result, failure, book_url);
            }
        }
        let (earned, possible) = report.score();
        let _ = writeln!(
            out,
            "\n  {earned}/{possible} points · {} passed, {} failed, {} skipped · {:.1} s · repeat with --seed {}\n",
            report.count(|s| matches!(s, Status::Passed)),
            report.count(|s| matches!(s, Status::Failed(_))),
            report.count(|s| matches!(s, Status::Skipped(_))),
            report.duration.as_secs_f64(),
            report.seed
        );
    }
    out
}

fn explain(out: &mut String, result: &CheckResult, failure: &Failure, book_url: &str) {
    let mut line = |label: &str, text: &str| {
        let text = text.replace('\n', "\n                ");
        let _ = writeln!(out, "      {label:<9} {text}");
    };
    line("problem", &failure.message);
    if let Some(exchange) = &failure.exchange {
        line("request", &format!("{} {}", exchange.method, exchange.url));
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
    if !result.hint.is_empty() {
        line("hint", &result.hint);
    }
    if !result.book.is_empty() {
        line("book", &book_link(book_url, &result.book));
    }
}

/// The full address of a book section.
pub fn book_link(book_url: &str, section: &str) -> String {
    format!("{}/{}", book_url.trim_end_matches('/'), section)
}

/// The report for a program: one JSON document for the whole run.
pub fn json(reports: &[Report], book_url: &str) -> String {
    let earned: u32 = reports.iter().map(|r| r.score().0).sum();
    let possible: u32 = reports.iter().map(|r| r.score().1).sum();
    let document = serde_json::json!({
        "passed": reports.iter().all(Report::passed),
        "score": {"earned": earned, "possible": possible},
        "book_url": book_url,
        "chapters": reports,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// The report for CI systems: JUnit XML, a test suite per chapter and a test case per check.
pub fn junit(reports: &[Report], book_url: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total: usize = reports.iter().map(|r| r.results.len()).sum();
    let failures: usize = reports.iter().map(|r| r.failures().count()).sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"grader\" tests=\"{total}\" failures=\"{failures}\">"
    );
    for report in reports {
        let skipped = report.count(|s| matches!(s, Status::Skipped(_)));
        let _ = writeln!(
            out,
            "  <testsuite name=\"chapter {}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\" time=\"{:.3}\">",
            xml(&report.chapter),
            report.results.len(),
            report.failures().count(),
            report.duration.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "    <properties><property name=\"seed\" value=\"{}\"/><property name=\"target\" value=\"{}\"/></properties>",
            report.seed,
            xml(&report.target)
        );
        for result in &report.results {
            let _ = write!(
                out,
                "    <testcase classname=\"chapter{}\" name=\"{}: {}\" time=\"{:.3}\"",
                xml(&report.chapter),
                xml(&result.id),
                xml(&result.title),
                result.duration.as_secs_f64()
            );
            match &result.status {
                Status::Passed => out.push_str("/>\n"),
                Status::Skipped(reason) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(reason)
                    );
                }
                Status::Failed(failure) => {
                    let mut body = String::new();
                    explain(&mut body, result, failure, book_url);
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml(&failure.message),
                        xml(&body)
                    );
                }
            }
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
