//! The summary of a class run, one row per student: CSV for a spreadsheet, Markdown for a
//! message or a page, and a self-contained HTML page (inline CSS, nothing fetched).
//!
//! A chapter's cell is `earned/possible`, the points of the checks that ran; skipped points
//! are written beside it, so a run with skipped checks never reads as full marks. A chapter
//! whose server did not start (or did not build, or could not be reached) says so, and so
//! does one that was not handed in; the totals count its points as "not run".

use std::fmt::Write as _;

use super::{Class, Graded, State};
use crate::check::Profile;
use crate::report::{NOT_RUN, Report, Status};

/// What one student's row says, in every format.
struct Row<'a> {
    status: String,
    total: Totals,
    failing: Vec<&'a str>,
}

impl<'a> Row<'a> {
    fn new(graded: &'a Graded) -> Self {
        let failing = graded
            .chapters
            .iter()
            .flat_map(|run| run.report.failures().map(|(result, _)| result.id.as_str()))
            .collect();
        Self {
            status: status(graded),
            total: Totals::of(graded.chapters.iter().map(|run| &run.report)),
            failing,
        }
    }
}

/// `graded`, `did not start`, `not handed in`, or, when only some chapters were not graded,
/// which: `did not start: 03, 05`; then the profile, when it is not the strict one.
fn status(graded: &Graded) -> String {
    let profile = graded
        .chapters
        .iter()
        .filter(|run| run.state == State::Graded && run.report.profile != Profile::Strict)
        .map(|run| run.report.profile.name())
        .next();
    match profile {
        Some(profile) => format!("{} · {profile} profile", state(graded)),
        None => state(graded),
    }
}

fn state(graded: &Graded) -> String {
    let which = |state: State| -> Vec<&str> {
        graded
            .chapters
            .iter()
            .filter(|run| run.state == state)
            .map(|run| run.report.chapter.as_str())
            .collect()
    };
    let all = graded.chapters.len();
    let mut parts = Vec::new();
    for state in [State::DidNotStart, State::NotHandedIn] {
        let chapters = which(state);
        if chapters.is_empty() {
            continue;
        }
        if chapters.len() == all {
            return state.label().to_owned();
        }
        parts.push(format!("{}: {}", state.label(), chapters.join(", ")));
    }
    if parts.is_empty() {
        "graded".to_owned()
    } else {
        parts.join("; ")
    }
}

/// The points of one part (contract or exercises) of one chapter or more: those of the
/// checks that ran, and apart, those skipped against a running server (a check that needs
/// a restart, against a URL) and those not run because no server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Part {
    earned: u32,
    possible: u32,
    skipped: u32,
    not_run: u32,
}

impl Part {
    fn add(self, other: Part) -> Part {
        Part {
            earned: self.earned + other.earned,
            possible: self.possible + other.possible,
            skipped: self.skipped + other.skipped,
            not_run: self.not_run + other.not_run,
        }
    }

    /// `12/16`, `12/12 · 4 skipped`, `0/0 · 22 not run`, or `–` for a chapter without that
    /// part.
    fn text(self) -> String {
        if self == Part::default() {
            return "–".to_owned();
        }
        let mut text = format!("{}/{}", self.earned, self.possible);
        if self.skipped > 0 {
            text.push_str(&format!(" · {} skipped", self.skipped));
        }
        if self.not_run > 0 {
            text.push_str(&format!(" · {} not run", self.not_run));
        }
        text
    }
}

/// The contract's and the exercises' points of some reports.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    contract: Part,
    exercises: Part,
}

impl Totals {
    fn of<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Self {
        let mut totals = Totals::default();
        for result in reports.into_iter().flat_map(|report| &report.results) {
            let part = if result.exercise {
                &mut totals.exercises
            } else {
                &mut totals.contract
            };
            match &result.status {
                Status::Skipped(reason) if reason == NOT_RUN => part.not_run += result.points,
                Status::Skipped(_) => part.skipped += result.points,
                _ => {
                    part.earned += result.earned;
                    part.possible += result.points;
                }
            }
        }
        totals
    }

    fn all(self) -> Part {
        self.contract.add(self.exercises)
    }
}

/// The points of some reports, as the summary's total cell writes them: `22/22`,
/// `1/18 · 4 skipped`, `0/0 · 22 not run`.
pub(crate) fn points<'a>(reports: impl IntoIterator<Item = &'a Report>) -> String {
    Totals::of(reports).all().text()
}

/// A chapter's two cells, contract and exercises, as text.
fn cells(graded: &Graded) -> Vec<(String, String)> {
    graded
        .chapters
        .iter()
        .map(|run| match run.state {
            State::Graded => {
                let totals = Totals::of([&run.report]);
                (totals.contract.text(), totals.exercises.text())
            }
            state => (state.label().to_owned(), state.label().to_owned()),
        })
        .collect()
}

/// The CSV summary: numbers in cells of their own (a spreadsheet reads `16/16` as a date), a
/// chapter's possible points beside its earned ones, and its skipped points.
pub(crate) fn csv(class: &Class) -> String {
    let mut header = vec![
        "student".to_owned(),
        "status".to_owned(),
        "source".to_owned(),
    ];
    for chapter in &class.chapters {
        let n = chapter.number;
        header.extend([
            format!("{n} contract"),
            format!("{n} contract possible"),
            format!("{n} exercises"),
            format!("{n} exercises possible"),
            format!("{n} skipped"),
        ]);
    }
    let last = [
        "earned",
        "possible",
        "skipped",
        "not run",
        "failing checks",
        "report",
    ];
    header.extend(last.map(str::to_owned));
    let mut out = csv_line(&header);
    for graded in &class.students {
        let row = Row::new(graded);
        let mut cells = vec![
            graded.student.name.clone(),
            row.status.clone(),
            graded.student.source.describe(),
        ];
        for run in &graded.chapters {
            let t = Totals::of([&run.report]);
            match run.state {
                State::Graded => cells.extend(
                    [
                        t.contract.earned,
                        t.contract.possible,
                        t.exercises.earned,
                        t.exercises.possible,
                        t.all().skipped,
                    ]
                    .map(|n| n.to_string()),
                ),
                state => {
                    let label = state.label().to_owned();
                    let empty = String::new();
                    cells.extend([label.clone(), empty.clone(), label, empty.clone(), empty]);
                }
            }
        }
        let all = row.total.all();
        cells.extend([
            all.earned.to_string(),
            all.possible.to_string(),
            all.skipped.to_string(),
            all.not_run.to_string(),
            row.failing.join(" "),
            format!("{}.txt", graded.slug),
        ]);
        out.push_str(&csv_line(&cells));
    }
    out
}

fn csv_line(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
    cells.join(",") + "\r\n"
}

/// A cell quoted where it must be; a text a spreadsheet would run as a formula (a student
/// named `=HYPERLINK(…)`) is kept as text by a leading apostrophe.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The Markdown summary: a table, and what its numbers mean.
pub(crate) fn markdown(class: &Class) -> String {
    let mut out = format!("# Class summary\n\n{}\n\n", heading(class));
    let mut header = vec!["Student".to_owned(), "Status".to_owned()];
    for chapter in &class.chapters {
        header.push(format!("{} contract", chapter.number));
        header.push(format!("{} exercises", chapter.number));
    }
    header.extend(["Contract", "Exercises", "Total", "Failing checks"].map(str::to_owned));
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let rule: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(n, _)| {
            if n < 2 || n == header.len() - 1 {
                "---"
            } else {
                "---:"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for graded in &class.students {
        let row = Row::new(graded);
        let name = md(&graded.student.name);
        let mut line = vec![format!("[{name}]({}.txt)", graded.slug), md(&row.status)];
        for (contract, exercises) in cells(graded) {
            line.extend([contract, exercises]);
        }
        line.extend(totals(&row));
        let failing: Vec<String> = row.failing.iter().map(|id| format!("`{id}`")).collect();
        line.push(failing.join(" "));
        let _ = writeln!(out, "| {} |", line.join(" | "));
    }
    out.push('\n');
    out.push_str(&wrap(LEGEND, 96));
    out
}

/// `text` in lines of at most `width` characters (a longer word keeps its own line).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// The three total cells: contract, exercises, both.
fn totals(row: &Row<'_>) -> [String; 3] {
    [row.total.contract, row.total.exercises, row.total.all()].map(Part::text)
}

/// `4 students · chapters 01, 02 · seed 7`
fn heading(class: &Class) -> String {
    let chapters: Vec<&str> = class.chapters.iter().map(|c| c.number).collect();
    let students = class.students.len();
    format!(
        "{students} {} · {} {} · seed {} (`--seed {}` repeats the run)",
        if students == 1 { "student" } else { "students" },
        if chapters.len() == 1 {
            "chapter"
        } else {
            "chapters"
        },
        chapters.join(", "),
        class.seed,
        class.seed
    )
}

const LEGEND: &str = "Points are earned/possible, over the checks that ran. Points skipped (a \
check that needs a server the grader starts, against a URL) and points not run (the checks of \
a server that did not start) count in neither number, and are shown beside them. Each \
student's full report is in their `.txt` and `.json` files.";

/// Markdown table cells cannot hold `|` or line breaks.
fn md(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The HTML summary: one page, its style inline, readable offline and printable.
pub(crate) fn html(class: &Class) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Class summary</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Class summary</h1>\n<p>{}</p>\n",
        esc(&heading(class).replace('`', ""))
    );
    out.push_str("<table id=\"summary\">\n<thead>\n<tr><th rowspan=\"2\">Student</th>");
    out.push_str("<th rowspan=\"2\">Status</th>");
    for chapter in &class.chapters {
        let _ = write!(
            out,
            "<th colspan=\"2\" class=\"chapter\">{} · {}</th>",
            chapter.number,
            esc(chapter.title)
        );
    }
    out.push_str("<th colspan=\"3\" class=\"chapter\">Total</th>");
    out.push_str("<th rowspan=\"2\">Failing checks</th></tr>\n<tr>");
    for _ in &class.chapters {
        out.push_str("<th>contract</th><th>exercises</th>");
    }
    out.push_str("<th>contract</th><th>exercises</th><th>all</th></tr>\n</thead>\n<tbody>\n");
    for graded in &class.students {
        out.push_str(&html_row(graded));
    }
    let _ = write!(
        out,
        "</tbody>\n</table>\n<p class=\"legend\">{}</p>\n</body>\n</html>\n",
        esc(&LEGEND.replace('`', ""))
    );
    out
}

fn html_row(graded: &Graded) -> String {
    let row = Row::new(graded);
    let kind = match state(graded).as_str() {
        "graded" => "graded",
        "did not start" => "did-not-start",
        "not handed in" => "not-handed-in",
        _ => "partly-graded",
    };
    let slug = esc(&graded.slug);
    let mut out = format!(
        "<tr class=\"{kind}\"><th scope=\"row\" title=\"{}\"><a href=\"{slug}.txt\">{}</a> \
         <a class=\"json\" href=\"{slug}.json\">json</a></th><td class=\"status\">{}</td>",
        esc(&graded.student.source.describe()),
        esc(&graded.student.name),
        esc(&row.status)
    );
    for run in &graded.chapters {
        match run.state {
            State::Graded => {
                let totals = Totals::of([&run.report]);
                out.push_str(&points_td(totals.contract));
                out.push_str(&points_td(totals.exercises));
            }
            state => {
                let _ = write!(
                    out,
                    "<td colspan=\"2\" class=\"{}\">{}</td>",
                    state.label().replace(' ', "-"),
                    state.label()
                );
            }
        }
    }
    for part in [row.total.contract, row.total.exercises, row.total.all()] {
        out.push_str(&points_td(part));
    }
    let failing: Vec<String> = row
        .failing
        .iter()
        .map(|id| format!("<code>{}</code>", esc(id)))
        .collect();
    let _ = writeln!(out, "<td class=\"failing\">{}</td></tr>", failing.join(" "));
    out
}

/// A points cell, coloured by how full it is; skipped points make it amber, never green.
fn points_td(part: Part) -> String {
    let class = match part {
        _ if part == Part::default() => "none",
        Part {
            skipped, not_run, ..
        } if skipped + not_run > 0 => "skipped",
        Part {
            earned, possible, ..
        } if earned == possible => "full",
        Part { earned: 0, .. } => "zero",
        _ => "partial",
    };
    let text = esc(&part.text());
    let text = match text.split_once(" · ") {
        Some((points, rest)) => format!("{points} <small>· {rest}</small>"),
        None => text,
    };
    format!("<td class=\"{class}\">{text}</td>")
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .3em .6em; }
thead th { background: #f2f2f2; font-weight: 600; }
th.chapter { text-align: center; }
tbody th { text-align: left; white-space: nowrap; }
td { text-align: right; white-space: nowrap; }
td.status, td.failing { text-align: left; }
td.failing { white-space: normal; font-size: .85em; max-width: 28em; }
td.full { background: #e3f4e1; }
td.partial { background: #fdf1d6; }
td.zero { background: #fbe0de; }
td.skipped { background: #fff6c2; }
td.did-not-start, td.not-handed-in { background: #eee; color: #a11; text-align: center; }
tr.did-not-start td.status, tr.not-handed-in td.status { color: #a11; font-weight: 600; }
a.json { font-size: .8em; color: #666; }
small { color: #6a5a00; }
.legend { color: #555; max-width: 60em; }
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Profile;
    use crate::class::ChapterRun;
    use crate::class::roster::{Source, Student};
    use crate::report::{CheckResult, NOT_RUN, Report, Status};

    /// A chapter 01 report with every check passed except `failed`, and `skipped` skipped
    /// with `why`.
    fn report(failed: &[&str], skipped: &[&str], why: &str) -> Report {
        let chapter = crate::chapters::find("01").expect("chapter 01");
        let results = (chapter.checks)()
            .iter()
            .map(|check| {
                let status = if failed.contains(&check.id) {
                    Status::Failed(crate::check::Failure::new("wrong"))
                } else if skipped.contains(&check.id) || why == NOT_RUN {
                    Status::Skipped(why.to_owned())
                } else {
                    Status::Passed
                };
                CheckResult::new(check, status, std::time::Duration::ZERO)
            })
            .collect();
        Report {
            chapter: "01".to_owned(),
            title: "hello world".to_owned(),
            target: "test".to_owned(),
            seed: 7,
            profile: Profile::Strict,
            error: None,
            results,
            duration: std::time::Duration::ZERO,
        }
    }

    fn graded(name: &str, slug: &str, state: State, report: Report) -> Graded {
        Graded {
            student: Student {
                name: name.to_owned(),
                source: Source::Url("http://h".to_owned()),
                profile: None,
            },
            slug: slug.to_owned(),
            chapters: vec![ChapterRun { report, state }],
        }
    }

    fn class() -> Class {
        let chapter = crate::chapters::find("01").expect("chapter 01");
        Class {
            chapters: vec![chapter],
            seed: 7,
            students: vec![
                graded("Ada", "ada", State::Graded, report(&[], &[], "")),
                graded("B|ob", "b-ob", State::Graded, report(&["01.root"], &[], "")),
                graded(
                    "=Cy, Jr",
                    "cy-jr",
                    State::Graded,
                    report(&[], &["01.docs.off"], "needs --bin"),
                ),
                graded("Dee", "dee", State::DidNotStart, report(&[], &[], NOT_RUN)),
            ],
        }
    }

    #[test]
    fn the_markdown_summary_has_a_row_per_student_and_shows_skipped_points() {
        let text = markdown(&class());
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| [")).collect();
        assert_eq!(rows.len(), 4, "{text}");
        assert!(
            rows[0].starts_with("| [Ada](ada.txt) | graded | "),
            "{text}"
        );
        assert!(
            rows[1].starts_with("| [B\\|ob](b-ob.txt) | graded | "),
            "{text}"
        );
        assert!(rows[1].ends_with("| `01.root` |"), "{text}");
        assert!(rows[2].contains(" skipped |"), "{text}");
        assert!(
            rows[3].starts_with("| [Dee](dee.txt) | did not start | did not start | "),
            "{text}"
        );
        assert!(text.contains("4 students · chapter 01 · seed 7"), "{text}");
    }

    #[test]
    fn the_csv_summary_keeps_numbers_apart_and_formulas_as_text() {
        let text = csv(&class());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines[0].starts_with("student,status,source,01 contract,"),
            "{text}"
        );
        assert!(lines[0].ends_with(",earned,possible,skipped,not run,failing checks,report"));
        assert!(lines[3].starts_with("\"'=Cy, Jr\",graded,"), "{text}");
        assert!(lines[4].starts_with("Dee,did not start,url http://h,did not start,,"));
        assert!(lines[4].ends_with(",0,0,0,22,,dee.txt"), "{text}");
    }

    #[test]
    fn the_html_summary_is_one_page_with_nothing_to_fetch() {
        let page = html(&class());
        assert_eq!(page.matches("<tr class=").count(), 4, "{page}");
        assert!(page.contains("<tr class=\"did-not-start\">"), "{page}");
        assert!(page.contains("<td colspan=\"2\" class=\"did-not-start\">did not start</td>"));
        assert!(page.contains("B|ob") && page.contains("=Cy, Jr"), "{page}");
        assert!(page.contains("<td class=\"skipped\">"), "{page}");
        for external in ["src=", "<link", "url(", "http://", "https://"] {
            let outside_title = page.replace("title=\"url http://h\"", "");
            assert!(!outside_title.contains(external), "{external} in {page}");
        }
    }
}
