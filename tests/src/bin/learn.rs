//! `learn`: the learner's loop. `scripts/learn start 09`, edit `my/09-jwt/src/exercises.rs`,
//! `scripts/learn check`, and again until every check is green.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use grader::chapters::{CHAPTERS, Chapter};
use grader::learn::{self, Progress, Subject, Workspace};

/// Work through the workbook's exercises: start a chapter, check it, watch it, see progress.
#[derive(Debug, Parser)]
#[command(name = "scripts/learn", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make your own crate for chapter NN, `my/NN-name`, from the chapter's starter.
    Start {
        /// The chapter: 09, 9 or ch09.
        chapter: String,
    },
    /// Build your crate and grade it; show the first failing check in full.
    Check {
        /// The chapter; the one you started or checked last by default.
        chapter: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Check again on every save in your crate.
    Watch {
        /// The chapter; the one you started or checked last by default.
        chapter: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Every chapter with its state and the date of its last check.
    Progress {
        /// `text` or `json`.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// A hint for a check: ask again for a deeper one.
    Hint {
        /// The chapter.
        chapter: String,
        /// The check's id (`09.ex.logout`); the first failing check of your last check by
        /// default.
        check: Option<String>,
    },
    /// Clear the data (SQLite files, logs, outboxes) your crate made under `cargo run`.
    Reset {
        /// The chapter.
        chapter: String,
        /// Clear the reference chapter's data instead of yours.
        #[arg(long)]
        reference: bool,
    },
    /// For the workbook's own tests: grade each chapter's starter and reference.
    #[command(hide = true)]
    Selftest {
        /// Chapters; all by default.
        chapters: Vec<String>,
    },
}

/// Another server than your crate in `my/`: written in any language.
#[derive(Debug, clap::Args)]
struct Server {
    /// Grade a server that is already running at this URL.
    #[arg(long, conflicts_with = "bin")]
    url: Option<String>,
    /// Start this program with `--host 127.0.0.1 --port 0` and grade it.
    #[arg(long)]
    bin: Option<PathBuf>,
}

const EXAMPLES: &str = "Examples:
  scripts/learn start 09          make my/09-jwt from chapter 09's starter
  scripts/learn check             build it and grade it (the chapter you started last)
  scripts/learn watch             check again on every save
  scripts/learn progress          every chapter's state
  scripts/learn hint 09           a hint for the first failing check; ask again for more
  scripts/learn check 09 --url http://127.0.0.1:8000    your server in any language
  scripts/learn check 09 --bin ./my-server              a program started with --port 0

Exit status: 0 when every check passed, 1 when one failed, 2 when it could not run.";

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("learn: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<bool, String> {
    let ws = Workspace::here()?;
    match cli.command {
        Command::Start { chapter } => {
            print!("{}", learn::start(&ws, learn::chapter(&chapter)?)?);
            Ok(true)
        }
        Command::Check { chapter, server } => {
            let chapter = chosen(&ws, chapter.as_deref())?;
            let checked = learn::check(&ws, chapter, &subject(server)).await?;
            print!("{}", checked.text);
            Ok(checked.passed)
        }
        Command::Watch { chapter, server } => {
            watch(&ws, chosen(&ws, chapter.as_deref())?, server).await
        }
        Command::Progress { format } => {
            print!("{}", learn::progress(&ws, format == "json")?);
            Ok(true)
        }
        Command::Hint { chapter, check } => {
            print!(
                "{}",
                learn::hint(&ws, learn::chapter(&chapter)?, check.as_deref())?
            );
            Ok(true)
        }
        Command::Reset { chapter, reference } => {
            print!(
                "{}",
                learn::reset(&ws, learn::chapter(&chapter)?, reference)?
            );
            Ok(true)
        }
        Command::Selftest { chapters } => {
            let chapters: Vec<&'static Chapter> = if chapters.is_empty() {
                CHAPTERS.iter().collect()
            } else {
                chapters
                    .iter()
                    .map(|c| learn::chapter(c))
                    .collect::<Result<_, _>>()?
            };
            let tests = learn::selftest(&ws, &chapters).await?;
            for test in &tests {
                print!("{}", test.describe());
            }
            Ok(tests.iter().all(learn::SelfTest::ok))
        }
    }
}

fn subject(server: Server) -> Subject {
    match (server.url, server.bin) {
        (Some(url), _) => Subject::Url(url),
        (None, Some(bin)) => Subject::Program(bin),
        (None, None) => Subject::Mine,
    }
}

/// The chapter named, or the one started or checked last.
fn chosen(ws: &Workspace, name: Option<&str>) -> Result<&'static Chapter, String> {
    if let Some(name) = name {
        return learn::chapter(name);
    }
    let progress = Progress::load(ws)?;
    let last = progress
        .last
        .ok_or("no chapter started yet: name one (`scripts/learn check 09`), or start one first")?;
    learn::chapter(&last)
}

async fn watch(ws: &Workspace, chapter: &'static Chapter, server: Server) -> Result<bool, String> {
    let dir = ws.learner_dir(chapter);
    if !dir.is_dir() {
        return Err(format!(
            "there is no my/{} yet: make it with `scripts/learn start {}`",
            learn::folder(chapter),
            chapter.number
        ));
    }
    let subject = subject(server);
    learn::watch(&dir, || async {
        print!("{}", learn::CLEAR_SCREEN);
        match learn::check(ws, chapter, &subject).await {
            Ok(checked) => print!("{}", checked.text),
            Err(message) => println!("learn: {message}"),
        }
        if let Ok(progress) = learn::progress(ws, false) {
            println!("\n{progress}");
        }
        println!(
            "watching {} · save a file to check again · Ctrl-C to stop",
            dir.display()
        );
        let _ = std::io::stdout().flush();
        true
    })
    .await?;
    Ok(true)
}
