//! `grader`: checks a server against a chapter's contract.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use grader::chapters::{self, CHAPTERS, Chapter};
use grader::check::{Profile, Tag, Treatment};
use grader::report::{self, Style};
use grader::{Options, Report, Target};

/// Checks a server against a chapter's contract, and says what to fix.
///
/// With neither --url nor --bin, the workbook's reference chapter is built and graded.
#[derive(Debug, Parser)]
#[command(name = "grader", version, after_help = EXAMPLES)]
struct Cli {
    /// Chapters to grade: 01, 1 or ch01; `all` for every chapter.
    #[arg(required = true)]
    chapters: Vec<String>,
    /// Grade a server that is already running at this URL (any language).
    #[arg(long, conflicts_with = "bin")]
    url: Option<String>,
    /// Start this program with `--host 127.0.0.1 --port 0` and grade it. It must print
    /// `listening on http://HOST:PORT` first, then take connections there within 10 s; it
    /// runs in an empty folder of its own. For a FastAPI app, give `scripts/uvicorn-bin` and
    /// set UVICORN_APP (`main:app`) and UVICORN_APP_DIR (the app's folder).
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Seed of the data checks invent; a report names its seed, so a run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Longest wait for one response, in seconds.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Where the book is, for the links in reports. By default the built book's files, when
    /// `scripts/book build` has made them; else http://localhost:3000, where `scripts/book`
    /// serves it.
    #[arg(long, env = "BOOK_URL")]
    book_url: Option<String>,
    /// List the checks instead of running them, with the tags of those that test a rule of
    /// this workbook that FastAPI does not follow.
    #[arg(long)]
    list: bool,
    /// The rules to hold the server to: `strict`, this workbook's; or `fastapi`, where each
    /// tagged check accepts FastAPI's documented behaviour too, or is skipped (see --list).
    #[arg(long, value_enum, default_value_t = Profile::Strict)]
    profile: Profile,
}

const EXAMPLES: &str = "Examples:
  grader 01                                 grade the reference chapter 01
  grader 09 --url http://127.0.0.1:8000     grade a running server (Rust, FastAPI, ...)
  grader 09 --bin target/debug/my-server    start a program and grade it
  grader all --format junit --output grades.xml
  grader class class.toml --chapters 01-09 --out grades
                                            grade a class from a roster (`grader class --help`)
  UVICORN_APP=main:app UVICORN_APP_DIR=~/my-app grader 01 --bin scripts/uvicorn-bin
                                            start a FastAPI app with uvicorn and grade it

A failure shows the request to repeat (`try`), and for a server the grader started, the line
that starts the same server, with the same settings and port (`start`). Skipped checks count
in no total: a summary says how many points were skipped, and why.

Exit status: 0 when every check passed, 1 when one failed, 2 when grading could not run (an
unknown chapter, a reference that does not build, a server that cannot be started or
reached).";

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
}

#[tokio::main]
async fn main() -> ExitCode {
    // `grader class ROSTER …` has options of its own; `grader 01` and `grader all` are as before.
    if std::env::args_os().nth(1).is_some_and(|arg| arg == "class") {
        return grader::class::main(std::env::args_os().skip(1)).await;
    }
    let cli = Cli::parse();
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("grader: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<bool, String> {
    let selected = select(&cli.chapters)?;
    if cli.list {
        print!("{}", list(&selected, cli.profile));
        return Ok(true);
    }
    if selected.len() > 1 && (cli.url.is_some() || cli.bin.is_some()) {
        return Err("--url and --bin grade one server, so give one chapter".to_owned());
    }
    if !(cli.timeout > 0.0 && cli.timeout < 3600.0) {
        return Err("--timeout must be between 0 and 3600 seconds".to_owned());
    }
    let options = Options {
        seed: cli.seed.unwrap_or_else(grader::runner::seed_from_clock),
        request_timeout: Duration::from_secs_f64(cli.timeout),
        profile: cli.profile,
        ..Options::default()
    };
    // The reference chapters, when no server is given, built all at once.
    let references = match (&cli.url, &cli.bin) {
        (None, None) => {
            let packages: Vec<&str> = selected.iter().map(|c| c.package).collect();
            grader::target::build_references(&packages).await?
        }
        _ => Vec::new(),
    };
    let mut reports: Vec<Report> = Vec::new();
    for (n, chapter) in selected.into_iter().enumerate() {
        let target = match (&cli.url, &cli.bin, references.get(n)) {
            (Some(url), _, _) => Target::Url(check_url(url)?),
            (None, Some(bin), _) => Target::Program(bin.clone()),
            (None, None, Some(program)) => Target::Program(program.clone()),
            (None, None, None) => return Err("no program for the reference chapter".to_owned()),
        };
        eprintln!(
            "grading chapter {} on {}…",
            chapter.number,
            target.describe()
        );
        reports.push(grader::grade(chapter, &target, &options).await);
    }
    let style = Style {
        color: cli.output.is_none()
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none(),
    };
    let book = book_url(cli.book_url.as_deref(), &reports);
    let rendered = match cli.format {
        Format::Text => report::text(&reports, &book, style),
        Format::Json => report::json(&reports, &book),
        Format::Junit => report::junit(&reports, &book),
    };
    match &cli.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?,
        None => print!("{rendered}"),
    }
    let ungraded: Vec<&str> = reports
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.chapter.as_str())
        .collect();
    if !ungraded.is_empty() {
        return Err(format!(
            "the server could not be started or reached for chapter {} (see the report)",
            ungraded.join(", ")
        ));
    }
    Ok(reports.iter().all(Report::passed))
}

/// Where the reports' book links point: `--book-url` when given; else the book built in this
/// workspace, as files, which need no server; else the address `scripts/book` serves it at,
/// saying (when a report has links to follow) how to make either work.
fn book_url(given: Option<&str>, reports: &[Report]) -> String {
    const SERVED: &str = "http://localhost:3000";
    if let Some(url) = given {
        return url.to_owned();
    }
    let built = grader::workspace_root().join("book/book");
    if built.join("index.html").is_file() {
        // A link without `..` in it, which every browser opens.
        let built = built.canonicalize().unwrap_or(built);
        return format!("file://{}", built.display());
    }
    if !reports.iter().all(Report::passed) {
        eprintln!(
            "grader: the book's links point at {SERVED}: run `scripts/book` to serve it there, \
             or `scripts/book build` once to make them links to its files"
        );
    }
    SERVED.to_owned()
}

fn select(names: &[String]) -> Result<Vec<&'static Chapter>, String> {
    if names.iter().any(|name| name == "all") {
        return Ok(CHAPTERS.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            chapters::find(name).ok_or_else(|| {
                let known: Vec<&str> = CHAPTERS.iter().map(|c| c.number).collect();
                format!(
                    "no checks for chapter {name:?}; chapters with checks: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

fn check_url(url: &str) -> Result<String, String> {
    let ok = url.starts_with("http://") || url.starts_with("https://");
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!(
            "--url must start with http:// or https:// (got {url:?})"
        ))
    }
}

fn list(chapters: &[&Chapter], profile: Profile) -> String {
    let checks: Vec<_> = chapters.iter().map(|chapter| (chapter.checks)()).collect();
    let width = checks
        .iter()
        .flatten()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    let mut tags = Vec::new();
    for (chapter, checks) in chapters.iter().zip(&checks) {
        out.push_str(&format!("chapter {} · {}\n", chapter.number, chapter.title));
        for check in checks {
            let kind = if check.exercise {
                "exercise"
            } else {
                "contract"
            };
            out.push_str(&format!(
                "  {:<width$} {:>2} pt  {kind:<8}  {}\n",
                check.id, check.points, check.title
            ));
            if let Some(tag) = check.tag {
                let treatment = match check.treatment(Profile::Fastapi) {
                    Treatment::AsWritten => "runs as written",
                    Treatment::AcceptsFastapi => "also accepts FastAPI's behaviour",
                    Treatment::Skipped => "skipped",
                };
                out.push_str(&format!(
                    "  {:<width$}  tag {}; under --profile fastapi: {treatment}\n",
                    "",
                    tag.name()
                ));
                tags.push(tag);
            }
        }
    }
    tags.sort();
    tags.dedup();
    if !tags.is_empty() {
        out.push_str(&legend(&tags, profile));
    }
    out
}

/// What each tag of a listing stands for: the workbook's rule, and what FastAPI does instead.
fn legend(tags: &[Tag], profile: Profile) -> String {
    let mut out =
        String::from("\ntags: rules of this workbook that FastAPI does not follow as it ships\n");
    if profile == Profile::Strict {
        out.push_str(
            "(--profile fastapi accepts FastAPI's behaviour in those checks, or skips them)\n",
        );
    }
    for tag in tags {
        out.push_str(&format!(
            "  {:<18} workbook: {}\n  {:<18} FastAPI:  {}\n",
            tag.name(),
            tag.rule(),
            "",
            tag.fastapi()
        ));
    }
    out
}
