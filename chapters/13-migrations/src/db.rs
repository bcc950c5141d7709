//! The database, as chapter 12 set it up: one pool for SQLite, PostgreSQL or MySQL/MariaDB,
//! chosen by `DATABASE_URL` alone, and SQL written once with `?` placeholders.

use std::time::Duration;

use ch12_sql_database::tune_sqlite;
use kit::db::{Backend, mask_password};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection};
use sqlx::{SqlSafeStr, SqlStr};

use crate::config::Config;

/// How long a request waits for a connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long the program waits for the database at start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Cannot reach the database named by `DATABASE_URL`: the message names the URL, without its
/// password.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the database {url}: {source}")]
pub struct ConnectError {
    url: String,
    source: sqlx::Error,
}

// ANCHOR: database
/// A pool of connections to one database, and which backend it is.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

impl Database {
    /// Opens the database of `config`, with one connection made at once, so that a wrong URL
    /// or a server that is down stops the program at start, saying why.
    pub async fn connect(config: &Config) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        if config.backend == Backend::Sqlite {
            // SQLite makes a missing file, but not a missing folder.
            std::fs::create_dir_all(&config.data_dir).map_err(|err| {
                let folder = config.data_dir.display();
                ConnectError {
                    url: mask_password(&config.database_url),
                    source: sqlx::Error::Configuration(
                        format!("cannot make the data folder {folder}: {err}").into(),
                    ),
                }
            })?;
        }
        let url = match config.backend {
            // A new SQLite file is made where it is missing, as FastAPI's tutorial does.
            Backend::Sqlite if !config.database_url.contains("mode=") => {
                let separator = if config.database_url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                format!("{}{separator}mode=rwc", config.database_url)
            }
            _ => config.database_url.clone(),
        };
        let fail = |source| ConnectError {
            url: mask_password(&config.database_url),
            source,
        };
        // One connection first, alone: a pool that cannot connect says only that it timed
        // out, where a connection says why ("connection refused", "unknown database").
        let first = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(&url))
            .await
            .map_err(|_| fail(sqlx::Error::PoolTimedOut))?
            .map_err(fail)?;
        let _ = first.close().await;
        let mut options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        if config.backend == Backend::Sqlite {
            // Chapter 12's settings: a WAL journal, syncs at checkpoints only, a busy timeout,
            // and a single connection, so one writer at a time.
            options = options
                .max_connections(1)
                .test_before_acquire(false)
                .after_connect(|conn, _| Box::pin(async move { tune_sqlite(conn).await }));
        }
        let pool = options.connect_lazy(&url).map_err(fail)?;
        Ok(Self {
            pool,
            backend: config.backend,
        })
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `query` as this backend writes it: PostgreSQL numbers its placeholders (`$1, $2`),
    /// SQLite and MySQL take `?` (chapter 12's `kit::db::sql`). The text is fixed in the
    /// program; values are always bound.
    pub fn sql(&self, query: &'static str) -> SqlStr {
        kit::db::sql(self.backend, query).into_sql_str()
    }
}
// ANCHOR_END: database
