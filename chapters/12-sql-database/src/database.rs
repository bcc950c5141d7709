//! The database: a pool of connections that every request shares, and the connection or
//! transaction that one request borrows from it. The tutorial's `database.py` and `get_db`.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use kit::db::{Backend, mask_password, without_password};
use poem::web::Data;
use poem::{FromRequest, Request, RequestBody};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::{Config, SqliteTuning};
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

// ANCHOR: sqlite_settings
/// SQLite's journal, set once on the file (it stays with it). In WAL mode a commit appends
/// the pages it changed to a log beside the file (`sql_app.db-wal`), one sequential write, and
/// readers go on reading while one connection writes. SQLite's default, a rollback journal,
/// copies the old pages aside and rewrites the file in place at every commit.
const WAL: &str = "PRAGMA journal_mode = WAL";

/// What each new SQLite connection is told.
///
/// - `busy_timeout`: how long a connection waits for a lock that another program holds (the
///   `sqlite3` shell, a second server) before it gives up with "database is locked".
/// - `synchronous = NORMAL`: in WAL mode, the disk is flushed when the log is copied back
///   into the file (a checkpoint, every thousand pages or so), not at every commit. A power
///   cut may lose the last commits; it cannot corrupt the file.
const SQLITE_CONNECTION: [&str; 2] = ["PRAGMA busy_timeout = 3000", "PRAGMA synchronous = NORMAL"];

/// SQLite as it comes, to measure what the settings above are worth (`SQLITE_TUNING=off`):
/// a rollback journal, and the disk flushed at every commit.
const SQLITE_AS_IT_COMES: [&str; 3] = [
    "PRAGMA journal_mode = DELETE",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 3000",
];
// ANCHOR_END: sqlite_settings

/// All of the settings above on one new SQLite connection, the journal included: what the
/// later chapters' pools, which hold one connection, tell it when it opens.
pub async fn tune_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let [busy_timeout, synchronous] = SQLITE_CONNECTION;
    for pragma in [busy_timeout, WAL, synchronous] {
        conn.execute(pragma).await?;
    }
    Ok(())
}

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
    /// On SQLite, the connection that writes, and with it the turn to write: a request that
    /// writes holds it, so one request at a time writes. `None` on PostgreSQL and MySQL,
    /// whose servers let writers work together.
    writer: Option<Arc<Mutex<AnyConnection>>>,
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
        let mut first = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(url))
            .await
            .map_err(|_| failed("reach", &format!("no answer within {CONNECT_TIMEOUT:?}")))?
            .map_err(|err| failed("connect to", &err))?;
        // ANCHOR: sqlite_setup
        let tuned = config.backend == Backend::Sqlite && config.sqlite_tuning == SqliteTuning::On;
        if config.backend == Backend::Sqlite {
            // The journal changes only while no other connection has the file open: now.
            let journal = if tuned { WAL } else { SQLITE_AS_IT_COMES[0] };
            first
                .execute(journal)
                .await
                .map_err(|err| failed("set up", &err))?;
        }
        // Tuned SQLite keeps this first connection: it is the one that writes.
        let writer = if tuned {
            for pragma in SQLITE_CONNECTION {
                first
                    .execute(pragma)
                    .await
                    .map_err(|err| failed("set up", &err))?;
            }
            Some(Arc::new(Mutex::new(first)))
        } else {
            let _ = first.close().await;
            None
        };

        let pool = AnyPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A SQLite connection is a file this process holds open: there is nothing to test
            // before lending it, and a test would cost a round trip to its thread.
            .test_before_acquire(config.backend != Backend::Sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend(conn) == Backend::Sqlite {
                        let pragmas = if tuned {
                            &SQLITE_CONNECTION[..]
                        } else {
                            &SQLITE_AS_IT_COMES[1..]
                        };
                        for pragma in pragmas {
                            conn.execute(*pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_lazy(url)
            .map_err(|err| failed("connect to", &err))?;
        // ANCHOR_END: sqlite_setup
        migrator(config.backend)
            .run(&pool)
            .await
            .map_err(|err| failed("migrate", &err))?;
        tracing::info!(database = %mask_password(url), "database ready");
        Ok(Self { pool, writer })
    }

    /// A connection for a request that only reads, or 503 if none comes within
    /// [`ACQUIRE_TIMEOUT`].
    pub(crate) async fn read_session(&self) -> Result<Session, ApiError> {
        Ok(Session(Lent::Pooled(self.pool.acquire().await?)))
    }

    /// A connection for a request that writes: on SQLite, the writer, once it is this
    /// request's turn; elsewhere, one of the pool.
    pub(crate) async fn write_session(&self) -> Result<Session, ApiError> {
        match self.turn_to_write().await? {
            Some(writer) => Ok(Session(Lent::Writer(writer))),
            None => self.read_session().await,
        }
    }

    /// Waits for the turn to write, on SQLite; 503 if it does not come within
    /// [`ACQUIRE_TIMEOUT`]. Writers queue here, in order, asleep: SQLite itself would make a
    /// second writer wake up and retry again and again, and give up with "database is locked"
    /// after its busy timeout.
    async fn turn_to_write(&self) -> Result<Option<OwnedMutexGuard<AnyConnection>>, ApiError> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        match tokio::time::timeout(ACQUIRE_TIMEOUT, writer.clone().lock_owned()).await {
            Ok(guard) => Ok(Some(guard)),
            Err(_) => Err(sqlx::Error::PoolTimedOut.into()),
        }
    }
}
// ANCHOR_END: database

// ANCHOR: session
/// A connection held for one request: FastAPI's `db: Session = Depends(get_db)`.
///
/// An operation takes it as an argument, so poem acquires it before the operation runs. When
/// the operation ends, however it ends, the `Session` is dropped, and dropping it gives the
/// connection back (to the pool, or the writer to the next request that writes): the code
/// after `yield` in `get_db`.
#[derive(Debug)]
pub(crate) struct Session(Lent);

/// A connection lent to a request: one of the pool's, or on SQLite the writer, whose guard is
/// the turn to write.
#[derive(Debug)]
enum Lent {
    Pooled(PoolConnection<Any>),
    Writer(OwnedMutexGuard<AnyConnection>),
}

impl<'a> FromRequest<'a> for Session {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let database = Data::<&Database>::from_request_without_body(req).await?;
        // HTTP's safe methods (GET, HEAD, OPTIONS) only read; any other may write.
        let session = if req.method().is_safe() {
            database.read_session().await?
        } else {
            database.write_session().await?
        };
        Ok(session)
    }
}

impl Deref for Session {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match &self.0 {
            Lent::Pooled(conn) => conn,
            Lent::Writer(conn) => conn,
        }
    }
}

impl DerefMut for Session {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.0 {
            Lent::Pooled(conn) => conn,
            Lent::Writer(conn) => conn,
        }
    }
}
// ANCHOR_END: session

// ANCHOR: finish
impl Session {
    /// Gives the connection back now, before the answer is written, and passes `result` on.
    /// Dropping the session does the same, later; this is for the requests that write.
    pub(crate) async fn finish<T>(self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        let wrote = matches!(self.0, Lent::Writer(_));
        drop(self);
        if wrote {
            next_writer_first().await;
        }
        result
    }
}

/// Lets the request that waited for the turn to write start now. tokio runs the task that a
/// task wakes next on the same thread, but only when the waker pauses; this one would first
/// write its whole answer, and the next writer would wait for that too.
async fn next_writer_first() {
    tokio::task::yield_now().await;
}
// ANCHOR_END: finish

// ANCHOR: transaction
/// A transaction, held for one request: everything done through it happens together, or not
/// at all. The operation ends it with [`Tx::finish`]: committed if the operation succeeded,
/// rolled back if not. Dropped without that (the operation panicked, or the client went away),
/// it is rolled back too, a moment later, when the connection goes back to the pool.
///
/// A transaction writes, so on SQLite it holds the turn to write from `BEGIN` to its end. (It
/// runs on a connection of the pool: sqlx's `Transaction` needs one it can own.)
#[derive(Debug)]
pub(crate) struct Tx {
    tx: sqlx::Transaction<'static, Any>,
    /// The turn to write, passed on when the transaction has ended.
    turn: Option<OwnedMutexGuard<AnyConnection>>,
}

impl Tx {
    /// Ends the transaction as `result` says, before the answer is sent: its changes become
    /// permanent and visible to other requests, or are undone and their locks released.
    pub(crate) async fn finish<T>(self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        let Tx { tx, turn } = self;
        let ended = match result {
            Ok(value) => tx.commit().await.map(|()| value).map_err(ApiError::from),
            Err(err) => {
                // The client is told what went wrong first; a failed rollback only ends the
                // connection (the pool then drops it).
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(err)
            }
        };
        if let Some(turn) = turn {
            drop(turn);
            next_writer_first().await;
        }
        ended
    }
}

impl<'a> FromRequest<'a> for Tx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let database = Data::<&Database>::from_request_without_body(req).await?;
        let turn = database.turn_to_write().await?;
        let tx = database.pool.begin().await.map_err(ApiError::from)?;
        Ok(Tx { tx, turn })
    }
}

impl Deref for Tx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
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
// ANCHOR_END: dialect

#[cfg(test)]
mod tests {
    use super::*;

    /// The database of a test on a fresh SQLite file, set up as `tuning` says.
    async fn sqlite(test: &str, tuning: SqliteTuning) -> (kit::db::TestDb, Database) {
        let file = kit::db::TestDb::create(Backend::Sqlite, test)
            .await
            .expect("SQLite is always here");
        let config = Config {
            sqlite_tuning: tuning,
            ..Config::for_tests(&file.url)
        };
        let database = Database::connect(&config)
            .await
            .expect("the test database is ready");
        (file, database)
    }

    async fn pragma(session: &mut Session, name: &str) -> String {
        let text = sqlx::AssertSqlSafe(format!("PRAGMA {name}"));
        let row = sqlx::query(text)
            .fetch_one(&mut **session)
            .await
            .expect("a pragma answers");
        // `journal_mode` answers a word, `synchronous` a number.
        use sqlx::Row;
        row.try_get::<String, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
            .expect("a word or a number")
    }

    #[tokio::test]
    async fn tuned_sqlite_writes_a_wal_log_and_syncs_at_checkpoints() {
        let (_file, database) = sqlite("tuned_sqlite", SqliteTuning::On).await;
        for mut session in [
            database.read_session().await.expect("a connection"),
            database.write_session().await.expect("the writer"),
        ] {
            assert_eq!(pragma(&mut session, "journal_mode").await, "wal");
            // 1 is NORMAL; SQLite's default is 2, FULL.
            assert_eq!(pragma(&mut session, "synchronous").await, "1");
            assert_eq!(pragma(&mut session, "busy_timeout").await, "3000");
        }
    }

    #[tokio::test]
    async fn untuned_sqlite_keeps_its_rollback_journal_and_full_sync() {
        let (_file, database) = sqlite("untuned_sqlite", SqliteTuning::Off).await;
        let mut session = database.read_session().await.expect("a connection");
        assert_eq!(pragma(&mut session, "journal_mode").await, "delete");
        assert_eq!(pragma(&mut session, "synchronous").await, "2");
    }

    #[tokio::test]
    async fn on_sqlite_one_session_at_a_time_writes_while_others_read() {
        let (_file, database) = sqlite("one_writer", SqliteTuning::On).await;
        let writing = database.write_session().await.expect("the turn to write");
        let wait = Duration::from_millis(200);
        let second = tokio::time::timeout(wait, database.write_session()).await;
        assert!(second.is_err(), "a second writer waits for its turn");
        let reader = tokio::time::timeout(wait, database.read_session()).await;
        assert!(matches!(reader, Ok(Ok(_))), "a reader does not wait");
        drop(writing);
        let second = tokio::time::timeout(wait, database.write_session()).await;
        assert!(matches!(second, Ok(Ok(_))), "the turn passes on");
    }

    #[tokio::test]
    async fn untuned_sqlite_lets_every_session_write() {
        let (_file, database) = sqlite("many_writers", SqliteTuning::Off).await;
        let _writing = database.write_session().await.expect("a connection");
        let wait = Duration::from_millis(200);
        let second = tokio::time::timeout(wait, database.write_session()).await;
        assert!(matches!(second, Ok(Ok(_))));
    }
}
