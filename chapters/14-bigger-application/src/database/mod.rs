//! The database: one pool for SQLite, PostgreSQL or MySQL/MariaDB, chosen by `DATABASE_URL`
//! alone, with its schema brought up to date at start. The queries are in one file per table
//! (`users.rs`, `api_keys.rs`, `signatures.rs`), as methods of [`Db`].

use std::borrow::Cow;
use std::time::Duration;

use ch12_sql_database::tune_sqlite;
use kit::StartError;
use kit::db::{Backend, mask_password, without_password};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, AssertSqlSafe};

use crate::security::encryption::EncryptionKeys;

pub mod api_keys;
pub mod signatures;
pub mod users;

// ANCHOR: db
/// The pool and the backend it talks to, and the keys that encrypt API key secrets on their
/// way in and decrypt them on their way out; cheap to clone (`Data<&Db>`).
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    keys: EncryptionKeys,
}

/// How long a request waits for a connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl Db {
    /// Connects to `url` and applies the migrations that are not applied yet; API key secrets
    /// are encrypted with `keys`.
    pub async fn connect(url: &str, keys: EncryptionKeys) -> Result<Self, StartError> {
        let shown = mask_password(url);
        let backend = Backend::of_url(url)
            .ok_or_else(|| format!("DATABASE_URL: unknown database {shown}"))?;
        sqlx::any::install_default_drivers();
        let mut options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        if backend == Backend::Sqlite {
            // Chapter 12's settings: a WAL journal, syncs at checkpoints only, a busy timeout,
            // and a single connection, so one writer at a time.
            options = options
                .max_connections(1)
                .test_before_acquire(false)
                .after_connect(|conn, _| Box::pin(async move { tune_sqlite(conn).await }));
        }
        let pool = options
            .connect(&with_create_if_missing(url, backend))
            .await
            .map_err(|err| {
                let cause = without_password(&err.to_string(), url);
                format!("cannot connect to the database at {shown}: {cause}")
            })?;
        let migrations = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
            Backend::MySql => sqlx::migrate!("./migrations/mysql"),
        };
        migrations.run(&pool).await.map_err(|err| {
            let cause = without_password(&err.to_string(), url);
            format!("cannot migrate the database at {shown}: {cause}")
        })?;
        tracing::info!(database = %shown, "database ready");
        Ok(Self {
            pool,
            backend,
            keys,
        })
    }

    /// `query` as this backend writes it: the SQL of this service is written once, with `?`
    /// for each parameter, and PostgreSQL numbers them (`$1`, `$2`…).
    ///
    /// Only fixed text goes through here; values are always bound, never written into SQL.
    /// (The rewriting is chapter 12's, `kit::db::sql`.)
    pub(crate) fn sql(&self, query: &'static str) -> AssertSqlSafe<Cow<'static, str>> {
        kit::db::sql(self.backend, query)
    }
}
// ANCHOR_END: db

impl Db {
    /// Asks the database for `SELECT 1`: whether it answers at all, for a readiness probe
    /// (chapter 16's `GET /ready`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// SQLite opens only existing files unless told to create them; `sqlite://sql_app.db` should
/// just work on a first run.
fn with_create_if_missing(url: &str, backend: Backend) -> String {
    if backend != Backend::Sqlite || url.contains("mode=") || url.contains(":memory:") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

/// Whether `err` is the database refusing a duplicate in a `UNIQUE` column: the way races
/// between requests are settled (two sign-ups with one address, a fourth key, a replay).
fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_file_is_created_if_missing() {
        let url = |u| with_create_if_missing(u, Backend::Sqlite);
        assert_eq!(url("sqlite://sql_app.db"), "sqlite://sql_app.db?mode=rwc");
        assert_eq!(
            url("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(url("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
    }
}
