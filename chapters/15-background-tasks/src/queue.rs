//! The job queue, kept in the database: jobs are rows, and every change of state is one SQL
//! statement that either happens whole or not at all.
//!
//! One `AnyPool` serves SQLite, PostgreSQL and MySQL/MariaDB; the SQL is written once with `?`
//! placeholders and numbered for PostgreSQL. Times are Unix milliseconds (`BIGINT`), which
//! every backend stores and compares alike.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kit::db::{Backend, mask_password};
use poem_openapi::Enum;
use sqlx::any::{AnyArguments, AnyPoolOptions};
use sqlx::migrate::MigrateDatabase;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, Connection, Executor, FromRow, Row};

// ANCHOR: job_state
/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker (for the first time, or for a retry).
    Queued,
    /// A worker holds it and is delivering it.
    Running,
    /// Delivered.
    Done,
    /// Every attempt failed; it will not be tried again.
    Failed,
}
// ANCHOR_END: job_state

impl JobState {
    /// The value in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

impl TryFrom<String> for JobState {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "done" => Ok(Self::Done),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown job state {other:?}")),
        }
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    /// Its number.
    pub id: i64,
    /// The address it goes to.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// Where it is.
    #[sqlx(try_from = "String")]
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The error of the last failed attempt.
    pub last_error: Option<String>,
}

// ANCHOR: claimed
/// A job a worker has claimed: everything needed to deliver it, and the attempt number that
/// proves the claim is still this worker's when it reports back.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    /// Its number.
    pub id: i64,
    /// The attempt this claim is; any later claim has a higher one.
    pub attempts: i64,
    /// The address it goes to.
    pub recipient: String,
    /// The subject line.
    pub subject: String,
    /// The text.
    pub body: String,
    /// When it was queued (Unix milliseconds): with `id`, it names the message for good.
    pub created_at: i64,
}
// ANCHOR_END: claimed

/// The jobs table, on whichever database `DATABASE_URL` names.
#[derive(Debug, Clone)]
pub struct Queue {
    pub(crate) pool: AnyPool,
    backend: Backend,
}

/// A job whose worker disappeared during its last allowed attempt.
const LOST_LAST_ATTEMPT: &str = "the worker stopped during the last attempt (its lease expired)";

/// The columns the API shows.
pub(crate) const JOB_COLUMNS: &str =
    "id, recipient, subject, state, attempts, max_attempts, last_error";

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Queue {
    // ANCHOR: connect
    /// Connects to `url` and brings its tables up to date. A SQLite file is created if it is
    /// missing; a PostgreSQL or MySQL database must exist. An error names the URL, without
    /// its password.
    pub async fn connect(url: &str) -> Result<Self, String> {
        let shown = mask_password(url);
        let fail = |what: &str, err: &dyn std::fmt::Display| format!("{what} {shown}: {err}");
        let backend = Backend::of_url(url).ok_or_else(|| fail("unknown database", &"scheme"))?;
        sqlx::any::install_default_drivers();
        if backend == Backend::Sqlite
            && !Any::database_exists(url)
                .await
                .map_err(|err| fail("cannot open", &err))?
        {
            Any::create_database(url)
                .await
                .map_err(|err| fail("cannot create", &err))?;
        }
        // One connection first, for its error: a pool that cannot connect only says it waited.
        let probe = tokio::time::timeout(Duration::from_secs(5), AnyConnection::connect(url))
            .await
            .map_err(|_| fail("cannot connect to", &"no answer within 5 s"))?
            .map_err(|err| fail("cannot connect to", &err))?;
        let _ = probe.close().await;
        let mut options = AnyPoolOptions::new()
            // A request waits at most this long for a connection before answering 503.
            .acquire_timeout(Duration::from_secs(5));
        if backend == Backend::Sqlite {
            // Chapter 12's settings: syncs at checkpoints only, a busy timeout, and a single
            // connection, so one writer at a time (the WAL journal is set below).
            options = options
                .max_connections(1)
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 3000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        Ok(())
                    })
                });
        }
        let pool = options
            .connect(url)
            .await
            .map_err(|err| fail("cannot connect to", &err))?;
        if backend == Backend::Sqlite {
            // Readers no longer wait for the writer; persistent, so set once per file.
            sqlx::raw_sql("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|err| fail("cannot set up", &err))?;
        }
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
            Backend::MySql => sqlx::migrate!("./migrations/mysql"),
        };
        migrator
            .run(&pool)
            .await
            .map_err(|err| fail("cannot migrate", &err))?;
        Ok(Self { pool, backend })
    }
    // ANCHOR_END: connect

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    // ANCHOR: placeholders
    /// `text` for this backend: the SQL is written with `?`, PostgreSQL wants `$1, $2, …`
    /// (chapter 12's `kit::db::placeholders`). The text is this file's own, some of it put
    /// together from its constants; values are always bound.
    fn sql(&self, text: &str) -> AssertSqlSafe<String> {
        AssertSqlSafe(kit::db::placeholders(self.backend, text).into_owned())
    }
    // ANCHOR_END: placeholders

    pub(crate) fn query(&self, text: &str) -> Query<'static, Any, AnyArguments> {
        sqlx::query(self.sql(text))
    }

    pub(crate) fn query_as<T>(&self, text: &str) -> QueryAs<'static, Any, T, AnyArguments>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        sqlx::query_as(self.sql(text))
    }

    // ANCHOR: enqueue
    /// Stores a new job, `queued` and due now, and returns it. When this returns, the job is
    /// committed: a crash a moment later does not lose it.
    pub async fn enqueue(
        &self,
        recipient: &str,
        subject: &str,
        body: &str,
        max_attempts: i64,
    ) -> Result<JobRow, sqlx::Error> {
        const INSERT: &str = "INSERT INTO jobs (recipient, subject, body, state, attempts, \
             max_attempts, last_error, run_at, lease_until, created_at, updated_at) \
             VALUES (?, ?, ?, 'queued', 0, ?, NULL, ?, NULL, ?, ?)";
        let now = now_ms();
        // The new id: PostgreSQL and SQLite say it with RETURNING. MySQL has no RETURNING
        // but reports the id by itself (through `Any`, SQLite does not: it has to ask).
        let text = match self.backend {
            Backend::Postgres | Backend::Sqlite => format!("{INSERT} RETURNING id"),
            Backend::MySql => INSERT.to_owned(),
        };
        let insert = self
            .query(&text)
            .bind(recipient)
            .bind(subject)
            .bind(body)
            .bind(max_attempts)
            .bind(now)
            .bind(now)
            .bind(now);
        let id = match self.backend {
            Backend::Postgres | Backend::Sqlite => {
                insert.fetch_one(&self.pool).await?.try_get::<i64, _>(0)?
            }
            Backend::MySql => insert
                .execute(&self.pool)
                .await?
                .last_insert_id()
                .ok_or_else(|| sqlx::Error::Protocol("MySQL gave no id for the new job".into()))?,
        };
        Ok(JobRow {
            id,
            recipient: recipient.to_owned(),
            subject: subject.to_owned(),
            state: JobState::Queued,
            attempts: 0,
            max_attempts,
            last_error: None,
        })
    }
    // ANCHOR_END: enqueue

    /// The job with this id, if there is one.
    pub async fn get(&self, id: i64) -> Result<Option<JobRow>, sqlx::Error> {
        self.query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    // ANCHOR: claim
    /// Claims up to `limit` due jobs for this worker, for `lease`.
    ///
    /// A job is due when it is `queued` and its time has come, or when it is `running` but
    /// its lease has expired: its worker died. Claiming is a compare-and-set: the `UPDATE`
    /// succeeds only if the job is still due and still at the attempt this worker saw, so of
    /// several workers (on several machines) racing for one job, exactly one changes the row
    /// and sees `rows_affected() == 1`.
    pub async fn claim(&self, limit: usize, lease: Duration) -> Result<Vec<Claimed>, sqlx::Error> {
        let now = now_ms();
        // A job whose worker died during its last allowed attempt has no attempt left.
        self.query(
            "UPDATE jobs SET state = 'failed', last_error = ?, lease_until = NULL, \
             updated_at = ? \
             WHERE state = 'running' AND lease_until <= ? AND attempts >= max_attempts",
        )
        .bind(LOST_LAST_ATTEMPT)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;

        let candidates: Vec<Claimed> = self
            .query_as(
                "SELECT id, attempts, recipient, subject, body, created_at FROM jobs \
                 WHERE (state = 'queued' AND run_at <= ?) \
                    OR (state = 'running' AND lease_until <= ?) \
                 ORDER BY run_at, id LIMIT ?",
            )
            .bind(now)
            .bind(now)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;

        let mut claimed = Vec::with_capacity(candidates.len());
        for mut job in candidates {
            let won = self
                .query(
                    "UPDATE jobs SET state = 'running', attempts = ?, lease_until = ?, \
                     updated_at = ? \
                     WHERE id = ? AND attempts = ? \
                       AND ((state = 'queued' AND run_at <= ?) \
                         OR (state = 'running' AND lease_until <= ?))",
                )
                .bind(job.attempts + 1)
                .bind(now + ms(lease))
                .bind(now)
                .bind(job.id)
                .bind(job.attempts)
                .bind(now)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1;
            if won {
                job.attempts += 1;
                claimed.push(job);
            }
        }
        Ok(claimed)
    }
    // ANCHOR_END: claim

    /// Extends a claim's lease to `lease` from now, while its worker is still delivering: a
    /// slow relay, or a slow database after the delivery, does not let another worker take
    /// over a job whose worker is alive. Returns whether the claim was still this worker's.
    pub async fn renew(&self, job: &Claimed, lease: Duration) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        let result = self
            .query(
                "UPDATE jobs SET lease_until = ?, updated_at = ? \
                 WHERE id = ? AND state = 'running' AND attempts = ?",
            )
            .bind(now + ms(lease))
            .bind(now)
            .bind(job.id)
            .bind(job.attempts)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    // ANCHOR: report
    /// Records a delivery. Only the claim's own worker can: a claim taken over after its
    /// lease expired has another attempt number, and this changes nothing. Returns whether
    /// it was recorded.
    pub async fn complete(&self, job: &Claimed) -> Result<bool, sqlx::Error> {
        let result = self
            .query(
                "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = ? \
                 WHERE id = ? AND state = 'running' AND attempts = ?",
            )
            .bind(now_ms())
            .bind(job.id)
            .bind(job.attempts)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Records a failed attempt: back to `queued`, due after `retry_in`, or `failed` if that
    /// was the last attempt allowed.
    pub async fn fail(
        &self,
        job: &Claimed,
        error: &str,
        retry_in: Duration,
    ) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        let result = self
            .query(
                "UPDATE jobs SET \
                   state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                   run_at = ?, last_error = ?, lease_until = NULL, updated_at = ? \
                 WHERE id = ? AND state = 'running' AND attempts = ?",
            )
            .bind(now + ms(retry_in))
            .bind(error)
            .bind(now)
            .bind(job.id)
            .bind(job.attempts)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() == 1)
    }
    // ANCHOR_END: report
}

/// Whether a database error means "the database cannot be reached right now" (503) rather
/// than a fault of this program (500).
pub(crate) fn is_unavailable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_column() {
        for state in [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ] {
            assert_eq!(JobState::try_from(state.as_str().to_owned()), Ok(state));
        }
        assert!(JobState::try_from("lost".to_owned()).is_err());
    }
}
