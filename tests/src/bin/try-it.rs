//! `scripts/try-it [NN ...]`: runs the shell sessions (```` ```console ```` blocks) of the
//! book's pages against the chapters they belong to, and fails on any difference. See
//! [`grader::tryit`] for the form of a session.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use grader::tryit::{self, Limits};

/// Run the book's "Try it" sessions and compare what they print with what the pages show.
#[derive(Debug, Parser)]
#[command(name = "scripts/try-it", version)]
struct Cli {
    /// Pages whose file name starts with one of these (`09`, `rust-primer`); all by default.
    pages: Vec<String>,
    /// The book's pages.
    #[arg(long, default_value = "book/src")]
    book: PathBuf,
    /// Seconds one command may take.
    #[arg(long, default_value_t = 120)]
    command_timeout: u64,
    /// Seconds a server may take to print its `listening on` line (it may be compiled first).
    #[arg(long, default_value_t = 900)]
    server_timeout: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = std::env::current_dir().expect("a working folder");
    let limits = Limits {
        command: Duration::from_secs(cli.command_timeout),
        server: Duration::from_secs(cli.server_timeout),
    };
    let pages = match tryit::pages(&cli.book, &cli.pages) {
        Ok(pages) => pages,
        Err(error) => {
            eprintln!("try-it: {error}");
            return ExitCode::from(2);
        }
    };
    let (mut commands, mut failed, mut run) = (0, 0, 0);
    for page in &pages {
        let name = page.display();
        let text = match std::fs::read_to_string(page) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("try-it: {name}: {error}");
                return ExitCode::from(2);
            }
        };
        let sessions = match tryit::parse(&text) {
            Ok(sessions) => sessions,
            Err(error) => {
                eprintln!("try-it: {name}: {error}");
                return ExitCode::from(2);
            }
        };
        if sessions.is_empty() {
            continue;
        }
        let count: usize = sessions.iter().map(|s| s.steps.len()).sum();
        run += 1;
        commands += count;
        let started = Instant::now();
        match tryit::run_page(&root, &sessions, limits) {
            Ok(differences) if differences.is_empty() => {
                println!(
                    "ok     {name}: {count} commands in {:.1?}",
                    started.elapsed()
                );
            }
            Ok(differences) => {
                failed += differences.len();
                println!(
                    "FAILED {name}: {} of {count} commands differ",
                    differences.len()
                );
                for difference in differences {
                    println!("{name}:{difference}");
                }
            }
            Err(error) => {
                eprintln!("try-it: {name}: {error}");
                return ExitCode::from(2);
            }
        }
    }
    if failed > 0 {
        println!("try-it: {failed} of {commands} commands differ from their pages");
        return ExitCode::FAILURE;
    }
    println!("try-it: {commands} commands of {run} pages print what their pages show");
    ExitCode::SUCCESS
}
