//! The program: `serve` (the default), and `migrate` with its subcommands.
//!
//! Reports go to standard output, errors to standard error. Exit status: 0 when the command
//! did what it was asked (`migrate status` with pending migrations included), 1 when it could
//! not (the database is unreachable, a migration failed, an applied migration was changed, or
//! `serve` found the database behind), 2 for a command line it does not understand.

use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use kit::db::mask_password;
use kit::serve::{fail, say};
use kit::{Env, StartError};

use crate::migrations::{self, State, Status};
use crate::{Config, Database, exercises};

// ANCHOR: cli
/// Chapter 13: the users and items API, and the migrations of its database.
///
/// The database is DATABASE_URL (default sqlite://ch13.db in the data folder,
/// $DATA_DIR/ch13-migrations or else the current folder), which may also be a postgres:// or a
/// mysql:// URL. Without a subcommand, the program serves.
#[derive(Debug, Parser)]
#[command(name = "ch13-migrations", args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Serve,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default); refuses while migrations are pending, unless --migrate.
    Serve(Serve),
    /// Apply, undo or list the migrations.
    #[command(subcommand)]
    Migrate(Migrate),
}

#[derive(Debug, Args)]
struct Serve {
    #[command(flatten)]
    listen: kit::Listen,
    /// Apply the pending migrations, then serve.
    #[arg(long, env = "MIGRATE", value_parser = BoolishValueParser::new())]
    migrate: bool,
}

#[derive(Debug, Subcommand)]
enum Migrate {
    /// Apply every pending migration, oldest first (alembic upgrade head).
    Up,
    /// Undo the last N applied migrations, newest first (alembic downgrade -N).
    Down {
        /// How many to undo.
        #[arg(default_value_t = 1)]
        n: u32,
    },
    /// Show the current migration and the pending ones (alembic current).
    Status,
    /// List every migration: when it was applied, and whether its file still matches.
    History,
    /// The exercises' subcommands.
    #[command(flatten)]
    Exercise(exercises::MigrateExercise),
}
// ANCHOR_END: cli

// ANCHOR: program
/// Reads the command line, starts logging, and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::process();
    kit::serve::init_logging(&env);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&err.into()),
    };
    match runtime.block_on(run(cli, &env)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

async fn run(cli: Cli, env: &Env) -> Result<(), StartError> {
    let config = Config::from_env_or(env, env!("CARGO_PKG_NAME"), crate::DEFAULT_DATABASE_FILE)?;
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(args, env, &config).await,
        Command::Migrate(command) => migrate(command, &config).await,
    }
}
// ANCHOR_END: program

// ANCHOR: serve
/// Checks the database, migrates it if asked, then serves until Ctrl-C or SIGTERM.
async fn serve(args: Serve, env: &Env, config: &Config) -> Result<(), StartError> {
    let docs = kit::Docs::from_env(env)?;
    let db = Database::connect(config).await?;
    let migrator = migrations::migrator(config.backend);
    migrations::before_serving(&db, migrator, args.migrate).await?;
    kit::serve(
        &args.listen,
        crate::app(&docs, config, db),
        kit::serve::shutdown_signal(),
    )
    .await
}
// ANCHOR_END: serve

// ANCHOR: migrate
/// Runs one `migrate` subcommand and prints what it did.
async fn migrate(command: Migrate, config: &Config) -> Result<(), StartError> {
    let db = Database::connect(config).await?;
    let migrator = migrations::migrator(config.backend);
    match command {
        Migrate::Up => {
            let mut applied = 0;
            migrations::up(&db, migrator, |name| {
                say(format_args!("applied {name}"));
                applied += 1;
            })
            .await?;
            if applied == 0 {
                say("nothing to apply");
            }
        }
        Migrate::Down { n } => {
            migrations::down(&db, migrator, n, |name| say(format_args!("undone {name}"))).await?;
            if n == 0 {
                say("nothing to undo");
            }
        }
        Migrate::Exercise(command) => exercises::migrate(command, &db, migrator).await?,
        Migrate::Status => {
            let status = migrations::status(&db, migrator).await?;
            say(status_report(&status, &config.database_url).trim_end());
            status.check()?;
            return Ok(());
        }
        Migrate::History => {
            let status = migrations::status(&db, migrator).await?;
            say(history_report(&status).trim_end());
            status.check()?;
            return Ok(());
        }
    }
    let status = migrations::status(&db, migrator).await?;
    say(format_args!("now at {}", current(&status)));
    Ok(())
}
// ANCHOR_END: migrate

/// `0003_add_users_full_name`, `0005_backfill_users_full_name (head)`, or `nothing applied`.
fn current(status: &Status) -> String {
    match (status.current(), status.head()) {
        (None, _) => "nothing applied (a new database)".to_owned(),
        (Some(current), Some(head)) if current == head => format!("{} (head)", current.name),
        (Some(current), _) => current.name.clone(),
    }
}

// ANCHOR: status_report
/// `migrate status`: where the database is, and what is left to apply.
fn status_report(status: &Status, url: &str) -> String {
    let mut out = format!("database  {}\n", mask_password(url));
    out += &format!("current   {}\n", current(status));
    let pending = status.pending();
    if pending.is_empty() {
        out += "pending   none\n";
    } else {
        out += &format!("pending   {}\n", pending.len());
        for entry in pending {
            out += &format!("          {}\n", entry.name);
        }
    }
    out
}
// ANCHOR_END: status_report

// ANCHOR: history_report
/// `migrate history`: every migration, applied or not, oldest first.
fn history_report(status: &Status) -> String {
    let width = status
        .entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0)
        .max("NAME".len());
    let mut out = format!(
        "VERSION  {:width$}  APPLIED AT (UTC)     CHECKSUM\n",
        "NAME"
    );
    for entry in &status.entries {
        let at = entry.state.applied_at().unwrap_or("pending");
        let checksum = match entry.state {
            State::Pending => "-",
            State::Applied { .. } => "ok",
            State::Changed { .. } => "CHANGED since applied",
            State::Failed { .. } => "ok, but half-applied",
            State::Unknown { .. } => "unknown to this program",
        };
        out += &format!(
            "{:>7}  {:width$}  {at:19}  {checksum}\n",
            entry.version, entry.name
        );
    }
    out
}
// ANCHOR_END: history_report
