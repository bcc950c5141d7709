//! The database: a pool of connections that every request shares, and the connection or
//! transaction that one request borrows from it. The tutorial's `database.py` and `get_db`.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use kit::db::{Backend, mask_password};
use poem::web::Data;
use poem::{FromRequest, Request, RequestBody};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, Connection, Executor};

use crate::config::Config;
use crate::errors::ApiError;

// ANCHOR: pool_settings
/// The most connections the pool opens; more requests than this wait for one to be free.
pub(crate) const MAX_CONNECTIONS: u32 = 10;

/// The longest a request waits for a connection (or, on SQLite, for a lock) before it is
/// answered 503: a database that went away costs a client three seconds, not a hang.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest the program waits for the database when it starts.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
// ANCHOR_END: pool_settings

// ANCHOR: migrations
/// The tables, one set of migrations per dialect, compiled into the program.
static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
static MYSQL: Migrator = sqlx::migrate!("migrations/mysql");

fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
        Backend::MySql => &MYSQL,
    }
}
// ANCHOR_END: migrations

// ANCHOR: database
/// The pool of connections: shared state, handed to every request through `Data`.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
}

impl Database {
    /// Connects to the database `config` names, creating a SQLite file (and the data folder)
    /// if there is none, and brings its tables up to date. A failure says which database and
    /// why, without the password.
    pub async fn connect(config: &Config) -> Result<Self, String> {
        sqlx::any::install_default_drivers();
        let url = config.database_url.as_str();
        let failed = |what: &str, err: &dyn std::fmt::Display| {
            let cause = without_password(&err.to_string(), url);
            format!(
                "cannot {what} the database at DATABASE_URL={}: {cause}",
                mask_password(url)
            )
        };
        if config.backend == Backend::Sqlite && !Any::database_exists(url).await.unwrap_or(false) {
            // SQLite makes a missing file, but not a missing folder.
            std::fs::create_dir_all(&config.data_dir).map_err(|err| {
                format!(
                    "cannot make the data folder {}: {err}",
                    config.data_dir.display()
                )
            })?;
            Any::create_database(url)
                .await
                .map_err(|err| failed("create", &err))?;
        }
        // One connection first, so that a database that cannot be reached says why.
        let first = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(url))
            .await
            .map_err(|_| failed("reach", &format!("no answer within {CONNECT_TIMEOUT:?}")))?
            .map_err(|err| failed("connect to", &err))?;
        let _ = first.close().await;

        let pool = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if backend(conn) == Backend::Sqlite {
                        // How long SQLite waits for a lock another connection holds.
                        conn.execute("PRAGMA busy_timeout = 3000").await?;
                    }
                    Ok(())
                })
            })
            .connect_lazy(url)
            .map_err(|err| failed("connect to", &err))?;
        migrator(config.backend)
            .run(&pool)
            .await
            .map_err(|err| failed("migrate", &err))?;
        tracing::info!(database = %mask_password(url), "database ready");
        Ok(Self { pool })
    }

    /// A connection for one request, or 503 if none comes within [`ACQUIRE_TIMEOUT`].
    pub(crate) async fn session(&self) -> Result<Session, ApiError> {
        Ok(Session(self.pool.acquire().await?))
    }
}
// ANCHOR_END: database

/// `text` with the password of `url` hidden, in case a driver's message repeats it.
fn without_password(text: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?']).next())
        .and_then(|authority| authority.rsplit_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, password)| password)
        .filter(|password| !password.is_empty());
    match password {
        Some(password) => text.replace(password, "***"),
        None => text.to_owned(),
    }
}

// ANCHOR: session
/// A connection of the pool, held for one request: FastAPI's `db: Session = Depends(get_db)`.
///
/// An operation takes it as an argument, so poem acquires it before the operation runs. When
/// the operation ends, however it ends, the `Session` is dropped, and dropping it gives the
/// connection back to the pool: the code after `yield` in `get_db`.
#[derive(Debug)]
pub(crate) struct Session(PoolConnection<Any>);

impl<'a> FromRequest<'a> for Session {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let database = Data::<&Database>::from_request_without_body(req).await?;
        Ok(database.session().await?)
    }
}

impl Deref for Session {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.0
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}
// ANCHOR_END: session

// ANCHOR: transaction
/// A transaction, held for one request: everything done through it happens together, or not
/// at all. The operation ends it with [`Tx::finish`]: committed if the operation succeeded,
/// rolled back if not. Dropped without that (the operation panicked, or the client went away),
/// it is rolled back too, a moment later, when the connection goes back to the pool.
#[derive(Debug)]
pub(crate) struct Tx(sqlx::Transaction<'static, Any>);

impl Tx {
    /// Ends the transaction as `result` says, before the answer is sent: its changes become
    /// permanent and visible to other requests, or are undone and their locks released.
    pub(crate) async fn finish<T>(self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        match result {
            Ok(value) => {
                self.0.commit().await?;
                Ok(value)
            }
            Err(err) => {
                // The client is told what went wrong first; a failed rollback only ends the
                // connection (the pool then drops it).
                if let Err(rollback) = self.0.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(err)
            }
        }
    }
}

impl<'a> FromRequest<'a> for Tx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let database = Data::<&Database>::from_request_without_body(req).await?;
        let tx = database.pool.begin().await.map_err(ApiError::from)?;
        Ok(Tx(tx))
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.0
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}
// ANCHOR_END: transaction

// ANCHOR: dialect
/// The dialect a connection speaks.
pub(crate) fn backend(conn: &AnyConnection) -> Backend {
    match conn.backend_name() {
        "PostgreSQL" => Backend::Postgres,
        "MySQL" => Backend::MySql,
        _ => Backend::Sqlite,
    }
}

/// A query written once with `?` placeholders, as SQLite and MySQL want them, for `backend`:
/// PostgreSQL wants `$1, $2, …` instead. Only the placeholders change; the values are always
/// bound, never written into the text.
pub(crate) fn sql(backend: Backend, text: &'static str) -> AssertSqlSafe<Cow<'static, str>> {
    if backend != Backend::Postgres {
        return AssertSqlSafe(Cow::Borrowed(text));
    }
    let mut numbered = String::with_capacity(text.len() + 8);
    let mut placeholders = 0;
    let mut in_literal = false;
    for c in text.chars() {
        match c {
            '\'' => {
                in_literal = !in_literal;
                numbered.push(c);
            }
            '?' if !in_literal => {
                placeholders += 1;
                numbered.push_str(&format!("${placeholders}"));
            }
            _ => numbered.push(c),
        }
    }
    AssertSqlSafe(Cow::Owned(numbered))
}
// ANCHOR_END: dialect

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_gets_numbered_placeholders_outside_literals() {
        let text =
            "SELECT id FROM items WHERE title LIKE ? ESCAPE '!' AND note = '?' LIMIT ? OFFSET ?";
        assert_eq!(
            sql(Backend::Postgres, text).0,
            "SELECT id FROM items WHERE title LIKE $1 ESCAPE '!' AND note = '?' LIMIT $2 OFFSET $3"
        );
        assert_eq!(sql(Backend::MySql, text).0, text);
        assert_eq!(sql(Backend::Sqlite, text).0, text);
    }

    #[test]
    fn a_password_in_a_driver_message_is_hidden() {
        let url = "postgres://app:s3cret@db:5432/app";
        assert_eq!(
            without_password("auth failed for app:s3cret", url),
            "auth failed for app:***"
        );
        assert_eq!(
            without_password("refused", "sqlite://sql_app.db"),
            "refused"
        );
    }
}
