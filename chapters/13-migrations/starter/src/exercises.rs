//! Your solution to exercise 3 of chapter 13, `migrate redo`. Exercises 1 and 2 are
//! migrations: new files `0004_….up.sql`, `0004_….down.sql`, `0005_…` in
//! `migrations/sqlite/`, `migrations/postgres/` and `migrations/mysql/`.
//!
//! `cli.rs` already lists the subcommands of `MigrateExercise` beside its own, and runs them
//! with `migrate`.

use clap::Subcommand;
use sqlx::migrate::Migrator;

use crate::db::Database;
use crate::migrations::MigrationError;

// TODO(exercise 3): add a variant `Redo` ("Undo the last applied migration and apply it
// again"), and run it in `migrate`: refuse when nothing is applied or the last migration has
// no down; otherwise undo it and apply it again (book: "Exercise 3: `migrate redo`").
/// The `migrate` subcommands the exercises add: `cli.rs` lists them beside its own.
#[derive(Debug, Subcommand)]
pub(crate) enum MigrateExercise {}

/// Runs one of them, and prints what it did.
pub(crate) async fn migrate(
    command: MigrateExercise,
    _db: &Database,
    _migrator: &Migrator,
) -> Result<(), MigrationError> {
    match command {}
}
