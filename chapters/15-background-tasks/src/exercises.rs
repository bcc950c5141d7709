//! The exercises' solutions, which manage jobs: cancelling one (1), listing them by state (2),
//! retrying a failed one (3). `app()` serves [`ExercisesApi`] beside the lesson's operations.

use kit::Detail;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::Tag;
use crate::emails::{JOB_NOT_FOUND, Job, Jobs, UNAVAILABLE, internal};
use crate::jobs::detail;
use crate::queue::{JOB_COLUMNS, JobRow, JobState, Queue, is_unavailable, now_ms};

/// The answers of `DELETE /jobs/{id}`.
#[derive(Debug, ApiResponse)]
enum DeleteJob {
    /// Deleted: it will not be delivered (or, if it was, it is forgotten).
    #[oai(status = 204)]
    Deleted,
    /// No job has this id.
    #[oai(status = 404)]
    NotFound(Json<Detail>),
    /// A worker is delivering it right now: it cannot be taken back.
    #[oai(status = 409)]
    Running(Json<Detail>),
    /// The database cannot be reached.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

/// The answers of `GET /jobs/`.
#[derive(Debug, ApiResponse)]
enum JobList {
    /// The jobs, by id.
    #[oai(status = 200)]
    Jobs(Json<Vec<Job>>),
    /// The database cannot be reached.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

/// The answers of `POST /jobs/{id}/retry`.
#[derive(Debug, ApiResponse)]
enum RetryJob {
    /// Queued again, with its attempts back at 0.
    #[oai(status = 200)]
    Queued(Json<Job>),
    /// No job has this id.
    #[oai(status = 404)]
    NotFound(Json<Detail>),
    /// Only a `failed` job can be retried.
    #[oai(status = 409)]
    NotFailed(Json<Detail>),
    /// The database cannot be reached.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

fn hundred() -> i64 {
    100
}

/// Managing jobs: the exercises' operations.
pub(crate) struct ExercisesApi;

#[OpenApi]
impl ExercisesApi {
    // ANCHOR: delete_job
    /// Cancel a job
    ///
    /// Deletes the job, so that it is not delivered (a `queued` one) or not kept (a `done`
    /// or `failed` one): **204**. A `running` job is being delivered and cannot be taken
    /// back: **409** `{"detail": "Job is running"}`. An unknown id is a **404**.
    #[oai(path = "/jobs/:id", method = "delete", tag = "Tag::Jobs")]
    async fn delete_job(&self, jobs: Data<&Jobs>, id: Path<i64>) -> poem::Result<DeleteJob> {
        match delete(&jobs.queue, id.0).await {
            Ok(Deleted::Gone) => Ok(DeleteJob::Deleted),
            Ok(Deleted::Running) => Ok(DeleteJob::Running(detail("Job is running"))),
            Ok(Deleted::NotFound) => Ok(DeleteJob::NotFound(detail(JOB_NOT_FOUND))),
            Err(err) if is_unavailable(&err) => Ok(DeleteJob::Unavailable(detail(UNAVAILABLE))),
            Err(err) => Err(internal(err)),
        }
    }
    // ANCHOR_END: delete_job

    // ANCHOR: list_jobs
    /// List jobs
    ///
    /// Jobs by id, only those in `state` when it is given (`?state=failed` lists what needs
    /// attention), `skip` and `limit` (both ≥ 0) taking a page.
    #[oai(path = "/jobs/", method = "get", tag = "Tag::Jobs")]
    async fn list_jobs(
        &self,
        jobs: Data<&Jobs>,
        /// Only jobs in this state.
        state: Query<Option<JobState>>,
        /// Jobs to pass over.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// Jobs at most.
        #[oai(default = "hundred", validator(minimum(value = "0")))]
        limit: Query<i64>,
    ) -> poem::Result<JobList> {
        match list(&jobs.queue, state.0, skip.0, limit.0).await {
            Ok(rows) => Ok(JobList::Jobs(Json(
                rows.into_iter().map(Job::from).collect(),
            ))),
            Err(err) if is_unavailable(&err) => Ok(JobList::Unavailable(detail(UNAVAILABLE))),
            Err(err) => Err(internal(err)),
        }
    }
    // ANCHOR_END: list_jobs

    // ANCHOR: retry_job
    /// Retry a failed job
    ///
    /// Puts a `failed` job back in the queue, due now, with its attempts back at 0, and
    /// answers it. Any other state is a **409**; an unknown id, a **404**.
    #[oai(path = "/jobs/:id/retry", method = "post", tag = "Tag::Jobs")]
    async fn retry_job(&self, jobs: Data<&Jobs>, id: Path<i64>) -> poem::Result<RetryJob> {
        match retry(&jobs.queue, id.0).await {
            Ok(Retry::Queued(job)) => {
                jobs.wake.notify_one();
                Ok(RetryJob::Queued(Json(job.into())))
            }
            Ok(Retry::NotFailed) => Ok(RetryJob::NotFailed(detail(
                "Only a failed job can be retried",
            ))),
            Ok(Retry::NotFound) => Ok(RetryJob::NotFound(detail(JOB_NOT_FOUND))),
            Err(err) if is_unavailable(&err) => Ok(RetryJob::Unavailable(detail(UNAVAILABLE))),
            Err(err) => Err(internal(err)),
        }
    }
    // ANCHOR_END: retry_job
}

// ANCHOR: queries
/// What deleting a job did (exercise 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deleted {
    /// It is gone.
    Gone,
    /// A worker is delivering it: it stays.
    Running,
    /// There was no such job.
    NotFound,
}

/// What retrying a job did (exercise 3).
#[derive(Debug, Clone)]
enum Retry {
    /// It is queued again, as shown.
    Queued(JobRow),
    /// It was not `failed`.
    NotFailed,
    /// There was no such job.
    NotFound,
}

/// Jobs in `state` (all of them when `None`), by id (exercise 2).
async fn list(
    queue: &Queue,
    state: Option<JobState>,
    skip: i64,
    limit: i64,
) -> Result<Vec<JobRow>, sqlx::Error> {
    let query = match state {
        Some(state) => queue
            .query_as(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE state = ? ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(state.as_str()),
        None => queue.query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs ORDER BY id LIMIT ? OFFSET ?"
        )),
    };
    query.bind(limit).bind(skip).fetch_all(&queue.pool).await
}

/// Deletes a job unless a worker holds it (exercise 1).
async fn delete(queue: &Queue, id: i64) -> Result<Deleted, sqlx::Error> {
    let deleted = queue
        .query("DELETE FROM jobs WHERE id = ? AND state <> 'running'")
        .bind(id)
        .execute(&queue.pool)
        .await?;
    if deleted.rows_affected() == 1 {
        return Ok(Deleted::Gone);
    }
    Ok(match queue.get(id).await? {
        Some(_) => Deleted::Running,
        None => Deleted::NotFound,
    })
}

/// Puts a `failed` job back in the queue, due now, with its attempts reset (exercise 3).
async fn retry(queue: &Queue, id: i64) -> Result<Retry, sqlx::Error> {
    let now = now_ms();
    let updated = queue
        .query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, updated_at = ? \
             WHERE id = ? AND state = 'failed'",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(&queue.pool)
        .await?;
    Ok(match (updated.rows_affected(), queue.get(id).await?) {
        (_, None) => Retry::NotFound,
        // A worker may have taken it already: answer with the job as the retry left it.
        (1, Some(job)) => Retry::Queued(JobRow {
            state: JobState::Queued,
            attempts: 0,
            ..job
        }),
        (_, Some(_)) => Retry::NotFailed,
    })
}
// ANCHOR_END: queries
