//! `grader`: checks a server against a chapter's contract.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use grader::chapters::{self, CHAPTERS, Chapter};
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
    /// Where the book is served, for the links in reports (`scripts/book` serves it here).
    #[arg(long, env = "BOOK_URL", default_value = "http://localhost:3000")]
    book_url: String,
    /// List the checks instead of running them.
    #[arg(long)]
    list: bool,
}

const EXAMPLES: &str = "Examples:
  grader 01                                 grade the reference chapter 01
  grader 09 --url http://127.0.0.1:8000     grade a running server (Rust, FastAPI, ...)
  grader 09 --bin target/debug/my-server    start a program and grade it
  grader all --format junit --output grades.xml
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
        print!("{}", list(&selected));
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
    let rendered = match cli.format {
        Format::Text => report::text(&reports, &cli.book_url, style),
        Format::Json => report::json(&reports, &cli.book_url),
        Format::Junit => report::junit(&reports, &cli.book_url),
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

fn list(chapters: &[&Chapter]) -> String {
    let mut out = String::new();
    for chapter in chapters {
        out.push_str(&format!("chapter {} · {}\n", chapter.number, chapter.title));
        for check in (chapter.checks)() {
            let kind = if check.exercise {
                "exercise"
            } else {
                "contract"
            };
            out.push_str(&format!(
                "  {:<24} {:>2} pt  {kind:<8}  {}\n",
                check.id, check.points, check.title
            ));
        }
    }
    out
}
