//! The exercises' solutions in Rust: `migrate redo` (exercise 3). Exercises 1 and 2 are
//! migrations, `0004_…` and `0005_…` in `migrations/<backend>/`.

use clap::Subcommand;
use sqlx::migrate::{Migrate, Migrator};

use crate::db::Database;
use crate::migrations::{MigrationError, TABLE, down_of, locked, read_status, up_of};

// ANCHOR: command
/// The `migrate` subcommands the exercises add: `cli.rs` lists them beside its own.
#[derive(Debug, Subcommand)]
pub(crate) enum MigrateExercise {
    /// Undo the last applied migration and apply it again.
    Redo,
}

/// Runs one of them, and prints what it did.
pub(crate) async fn migrate(
    command: MigrateExercise,
    db: &Database,
    migrator: &Migrator,
) -> Result<(), MigrationError> {
    match command {
        MigrateExercise::Redo => {
            let name = redo(db, migrator).await?;
            kit::serve::say(format_args!("undone {name}\napplied {name}"));
        }
    }
    Ok(())
}
// ANCHOR_END: command

// ANCHOR: redo
/// Undoes the last applied migration and applies it again, to try a migration's down and up
/// while writing them. Returns its name.
async fn redo(db: &Database, migrator: &Migrator) -> Result<String, MigrationError> {
    locked(db, async |conn| {
        let status = read_status(conn, db.backend(), migrator).await?;
        status.check()?;
        let Some(last) = status.current() else {
            return Err(MigrationError::TooFew {
                asked: 1,
                applied: 0,
            });
        };
        let name = last.name.clone();
        let (Some(down), Some(up)) = (
            down_of(migrator, last.version),
            up_of(migrator, last.version),
        ) else {
            return Err(MigrationError::Irreversible { name });
        };
        conn.revert(TABLE, down)
            .await
            .map_err(|source| MigrationError::Run {
                name: name.clone(),
                done: "undone",
                source,
            })?;
        conn.apply(TABLE, up)
            .await
            .map_err(|source| MigrationError::Run {
                name: name.clone(),
                done: "applied",
                source,
            })?;
        Ok(name)
    })
    .await
}
// ANCHOR_END: redo
