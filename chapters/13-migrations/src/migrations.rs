//! The migrations: the ones this program carries, the ones the database has applied, and the
//! commands that move the database from one version to another.
//!
//! sqlx keeps a table, `_sqlx_migrations`, with one row per applied migration: its version,
//! its description, when it was applied, whether it finished, and a checksum (SHA-384) of its
//! SQL. Everything here compares that table with the migrations built into the program.

use kit::db::Backend;
use sqlx::migrate::{Migrate, MigrateError, Migration, Migrator};
use sqlx::{AnyConnection, Row};

use crate::db::Database;

// ANCHOR: migrators
/// The migrations of each backend, read from `migrations/<backend>/` when the program is
/// compiled and carried inside it: the program needs no files next to it to migrate.
static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
static MYSQL: Migrator = sqlx::migrate!("migrations/mysql");

/// The migrations written for `backend`.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
        Backend::MySql => &MYSQL,
    }
}
// ANCHOR_END: migrators

/// The table where sqlx records what it applied.
pub(crate) const TABLE: &str = "_sqlx_migrations";

// ANCHOR: name
/// The name of a migration as its files are named: version `2` and description
/// `create items` are `0002_create_items` (`0002_create_items.up.sql`, `.down.sql`).
pub fn name(version: i64, description: &str) -> String {
    format!("{version:04}_{}", description.replace(' ', "_"))
}
// ANCHOR_END: name

// ANCHOR: state
/// One migration, as this program and the database see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The version, the number its file name starts with.
    pub version: i64,
    /// Its name, as its files are named: `0002_create_items`.
    pub name: String,
    /// Where it stands.
    pub state: State,
}

/// Where a migration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not applied yet.
    Pending,
    /// Applied at this time (UTC), and unchanged since.
    Applied { at: String },
    /// Applied at this time, but its file has changed since: the checksums differ.
    Changed { at: String },
    /// Started at this time and never finished (MySQL cannot undo a half-run migration).
    Failed { at: String },
    /// Applied at this time, but this program does not have it: a newer program applied it.
    Unknown { at: String },
}
// ANCHOR_END: state

impl State {
    /// Whether the database has a row for it.
    pub fn is_recorded(&self) -> bool {
        !matches!(self, Self::Pending)
    }

    /// When it was applied (UTC), if it was.
    pub fn applied_at(&self) -> Option<&str> {
        match self {
            Self::Pending => None,
            Self::Applied { at }
            | Self::Changed { at }
            | Self::Failed { at }
            | Self::Unknown { at } => Some(at),
        }
    }
}

/// Every migration, the program's and the database's, in version order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// One entry per version.
    pub entries: Vec<Entry>,
}

impl Status {
    /// The last migration the database has applied, if any.
    pub fn current(&self) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.state.is_recorded())
    }

    /// The last migration this program has.
    pub fn head(&self) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| !matches!(e.state, State::Unknown { .. }))
    }

    /// The migrations not applied yet, in the order they will be.
    pub fn pending(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.state == State::Pending)
            .collect()
    }

    // ANCHOR: check
    /// Fails, naming the migration, if the database's history and the program's disagree:
    /// then nothing may be applied or undone until a person has looked.
    pub fn check(&self) -> Result<(), MigrationError> {
        for entry in &self.entries {
            let name = entry.name.clone();
            match entry.state {
                State::Changed { .. } => return Err(MigrationError::Changed { name }),
                State::Failed { .. } => return Err(MigrationError::Failed { name }),
                State::Unknown { .. } => return Err(MigrationError::Unknown { name }),
                State::Pending | State::Applied { .. } => {}
            }
        }
        Ok(())
    }
    // ANCHOR_END: check
}

// ANCHOR: errors
/// Why a migration command stopped. Every message names the migration at fault.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database did not answer, or refused a query.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// sqlx could not read or write its table.
    #[error("{0}")]
    Bookkeeping(#[from] MigrateError),
    /// An applied migration's file was edited afterwards.
    #[error(
        "migration {name} was changed after it was applied: its checksum differs from the one \
         recorded in {TABLE}. Nothing was done. Put {name}.up.sql back as it was when it was \
         applied, and write the change as a new migration."
    )]
    Changed { name: String },
    /// The database has a migration this program does not.
    #[error(
        "the database has migration {name}, which this program does not have: a newer version \
         of the program applied it. Nothing was done. Run the newer program, or undo {name} \
         with it first."
    )]
    Unknown { name: String },
    /// A migration started and did not finish.
    #[error(
        "migration {name} was left half-applied (MySQL cannot undo the statements of a \
         migration that failed). Nothing was done. Repair the schema by hand, then delete \
         its row from {TABLE}."
    )]
    Failed { name: String },
    /// `serve` without `--migrate` on a database that is behind.
    #[error(
        "the database is at {current} and {count} pending: {names}. Nothing was served. Apply \
         them with `migrate up`, or start with `serve --migrate` (or MIGRATE=1).",
        count = plural(pending.len(), "migration is", "migrations are"),
        names = pending.join(", ")
    )]
    Pending {
        current: String,
        pending: Vec<String>,
    },
    /// `down N` with fewer than N applied.
    #[error(
        "cannot undo {asked}: only {applied} applied. Nothing was done.",
        asked = plural(*asked as usize, "migration", "migrations"),
        applied = plural(*applied, "is", "are")
    )]
    TooFew { asked: u32, applied: usize },
    /// A migration with no down file cannot be undone.
    #[error("cannot undo {name}: it has no down migration ({name}.down.sql). Nothing was done.")]
    Irreversible { name: String },
    /// The SQL of a migration failed; the ones before it stay applied.
    #[error("migration {name} failed, and was not {done}: {source}")]
    Run {
        name: String,
        done: &'static str,
        source: MigrateError,
    },
}
// ANCHOR_END: errors

/// `1 migration`, `2 migrations`; `1 is`, `2 are`.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

// ANCHOR: read_status
/// The query that reads sqlx's table. Each backend writes times and booleans its own way,
/// and the `Any` driver reads neither, so both are turned into text and numbers here.
fn applied_query(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "SELECT version, description, strftime('%Y-%m-%d %H:%M:%S', installed_on) AS applied_at, \
             CASE WHEN success THEN 1 ELSE 0 END AS success, checksum \
             FROM _sqlx_migrations ORDER BY version"
        }
        Backend::Postgres => {
            "SELECT version, description, \
             to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS applied_at, \
             CASE WHEN success THEN 1 ELSE 0 END AS success, checksum \
             FROM _sqlx_migrations ORDER BY version"
        }
        // sqlx sets each MySQL session's time zone to UTC.
        Backend::MySql => {
            "SELECT version, description, DATE_FORMAT(installed_on, '%Y-%m-%d %H:%i:%s') AS applied_at, \
             CASE WHEN success THEN 1 ELSE 0 END AS success, checksum \
             FROM _sqlx_migrations ORDER BY version"
        }
    }
}

/// Whether sqlx's table exists: a database that was never migrated has none, and reading
/// where it stands must not create one.
async fn has_table(conn: &mut AnyConnection, backend: Backend) -> Result<bool, MigrationError> {
    let count: i64 = sqlx::query_scalar(match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
        }
        Backend::MySql => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = '_sqlx_migrations'"
        }
    })
    .fetch_one(&mut *conn)
    .await?;
    Ok(count > 0)
}

/// Compares the database's table with the program's migrations.
pub(crate) async fn read_status(
    conn: &mut AnyConnection,
    backend: Backend,
    migrator: &Migrator,
) -> Result<Status, MigrationError> {
    let rows = if has_table(conn, backend).await? {
        sqlx::query(applied_query(backend))
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut recorded = std::collections::BTreeMap::new();
    for row in rows {
        let version: i64 = row.try_get("version")?;
        let description: String = row.try_get("description")?;
        let at: String = row.try_get("applied_at")?;
        let success: i64 = row.try_get("success")?;
        let checksum: Vec<u8> = row.try_get("checksum")?;
        recorded.insert(version, (description, at, success != 0, checksum));
    }
    for migration in ups(migrator) {
        let state = match recorded.remove(&migration.version) {
            None => State::Pending,
            Some((_, at, false, _)) => State::Failed { at },
            Some((_, at, true, checksum)) if checksum == *migration.checksum => {
                State::Applied { at }
            }
            Some((_, at, true, _)) => State::Changed { at },
        };
        entries.push(Entry {
            version: migration.version,
            name: name(migration.version, &migration.description),
            state,
        });
    }
    for (version, (description, at, _, _)) in recorded {
        entries.push(Entry {
            version,
            name: name(version, &description),
            state: State::Unknown { at },
        });
    }
    entries.sort_by_key(|e| e.version);
    Ok(Status { entries })
}
// ANCHOR_END: read_status

/// The "up" half of every migration, in version order.
fn ups(migrator: &Migrator) -> impl Iterator<Item = &Migration> {
    migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
}

/// The "down" half of migration `version`, if it has one.
pub(crate) fn down_of(migrator: &Migrator, version: i64) -> Option<&Migration> {
    migrator
        .iter()
        .find(|m| m.version == version && m.migration_type.is_down_migration())
}

pub(crate) fn up_of(migrator: &Migrator, version: i64) -> Option<&Migration> {
    ups(migrator).find(|m| m.version == version)
}

// ANCHOR: locked
/// Runs `work` on one connection while holding sqlx's migration lock (an advisory lock on
/// PostgreSQL and MySQL; SQLite locks the whole file as it writes), so that two programs
/// migrating the same database at once take turns.
pub(crate) async fn locked<T, W>(db: &Database, work: W) -> Result<T, MigrationError>
where
    W: AsyncFnOnce(&mut AnyConnection) -> Result<T, MigrationError>,
{
    let mut conn = db.pool().acquire().await?;
    conn.lock().await?;
    let result = work(&mut conn).await;
    let unlocked = conn.unlock().await;
    let value = result?;
    unlocked?;
    Ok(value)
}
// ANCHOR_END: locked

// ANCHOR: status
/// Where the database stands, without changing it.
pub async fn status(db: &Database, migrator: &Migrator) -> Result<Status, MigrationError> {
    let mut conn = db.pool().acquire().await?;
    read_status(&mut conn, db.backend(), migrator).await
}
// ANCHOR_END: status

// ANCHOR: up
/// Applies every pending migration, oldest first, each in its own transaction; `applied` is
/// told each one's name as it is done. Stops at the first that fails: the ones before it
/// stay applied.
pub async fn up(
    db: &Database,
    migrator: &Migrator,
    mut applied: impl FnMut(&str),
) -> Result<(), MigrationError> {
    locked(db, async |conn| {
        let status = read_status(conn, db.backend(), migrator).await?;
        status.check()?;
        if !has_table(conn, db.backend()).await? {
            conn.ensure_migrations_table(TABLE).await?;
        }
        for entry in status.pending() {
            let Some(migration) = up_of(migrator, entry.version) else {
                continue;
            };
            conn.apply(TABLE, migration)
                .await
                .map_err(|source| MigrationError::Run {
                    name: entry.name.clone(),
                    done: "applied",
                    source,
                })?;
            applied(&entry.name);
        }
        Ok(())
    })
    .await
}
// ANCHOR_END: up

// ANCHOR: down
/// Undoes the last `steps` applied migrations, newest first, each with its down file.
/// Refuses before undoing anything if fewer are applied, or if one of them has no down.
pub async fn down(
    db: &Database,
    migrator: &Migrator,
    steps: u32,
    mut reverted: impl FnMut(&str),
) -> Result<(), MigrationError> {
    locked(db, async |conn| {
        let status = read_status(conn, db.backend(), migrator).await?;
        status.check()?;
        let applied: Vec<&Entry> = status
            .entries
            .iter()
            .filter(|e| e.state.is_recorded())
            .collect();
        let steps_usize = usize::try_from(steps).unwrap_or(usize::MAX);
        if steps_usize > applied.len() {
            return Err(MigrationError::TooFew {
                asked: steps,
                applied: applied.len(),
            });
        }
        let undo: Vec<&Entry> = applied.iter().rev().take(steps_usize).copied().collect();
        let downs = undo
            .iter()
            .map(|entry| {
                down_of(migrator, entry.version).ok_or_else(|| MigrationError::Irreversible {
                    name: entry.name.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (entry, migration) in undo.iter().zip(downs) {
            conn.revert(TABLE, migration)
                .await
                .map_err(|source| MigrationError::Run {
                    name: entry.name.clone(),
                    done: "undone",
                    source,
                })?;
            reverted(&entry.name);
        }
        Ok(())
    })
    .await
}
// ANCHOR_END: down

// ANCHOR: before_serving
/// What `serve` does before it listens: a database whose history disagrees with the program
/// stops it; a new, empty database gets every migration; a database that is behind stops it
/// too, unless `migrate` says to apply what is pending.
pub async fn before_serving(
    db: &Database,
    migrator: &Migrator,
    migrate: bool,
) -> Result<(), MigrationError> {
    let status = status(db, migrator).await?;
    status.check()?;
    let pending: Vec<String> = status.pending().iter().map(|e| e.name.clone()).collect();
    match status.current() {
        _ if pending.is_empty() => return Ok(()),
        Some(current) if !migrate => {
            return Err(MigrationError::Pending {
                current: current.name.clone(),
                pending,
            });
        }
        None => tracing::info!("a new database: applying every migration"),
        Some(_) => tracing::info!("--migrate: applying the pending migrations"),
    }
    up(db, migrator, |name| {
        tracing::info!(migration = name, "applied")
    })
    .await
}
// ANCHOR_END: before_serving
