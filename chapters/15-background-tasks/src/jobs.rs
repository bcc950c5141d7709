//! `GET /jobs/{id}`: following a job; and the exercises' solutions, which manage jobs:
//! cancelling one, listing them by state, retrying a failed one.

use kit::Detail;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::Tag;
use crate::emails::{JOB_NOT_FOUND, Job, Jobs, UNAVAILABLE, internal};
use crate::queue::{Deleted, JobState, Retry, is_unavailable};

/// The answers of a lookup of one job.
#[derive(Debug, ApiResponse)]
pub enum JobLookup {
    /// The job.
    #[oai(status = 200)]
    Found(Json<Job>),
    /// No job has this id.
    #[oai(status = 404)]
    NotFound(Json<Detail>),
    /// The database cannot be reached.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

/// The answers of `DELETE /jobs/{id}`.
#[derive(Debug, ApiResponse)]
pub enum DeleteJob {
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
pub enum JobList {
    /// The jobs, by id.
    #[oai(status = 200)]
    Jobs(Json<Vec<Job>>),
    /// The database cannot be reached.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

/// The answers of `POST /jobs/{id}/retry`.
#[derive(Debug, ApiResponse)]
pub enum RetryJob {
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

fn detail(message: &str) -> Json<Detail> {
    Json(Detail::new(message))
}

fn hundred() -> i64 {
    100
}

/// Following and managing jobs.
pub(crate) struct JobsApi;

#[OpenApi]
impl JobsApi {
    // ANCHOR: read_job
    /// Read a job
    ///
    /// The job's state (`queued`, `running`, `done` or `failed`), the attempts made and
    /// allowed, and the error of the last failed attempt. An unknown id is a **404**.
    #[oai(path = "/jobs/:id", method = "get", tag = "Tag::Jobs")]
    async fn read_job(
        &self,
        jobs: Data<&Jobs>,
        /// The job's number.
        id: Path<i64>,
    ) -> poem::Result<JobLookup> {
        match jobs.queue.get(id.0).await {
            Ok(Some(job)) => Ok(JobLookup::Found(Json(job.into()))),
            Ok(None) => Ok(JobLookup::NotFound(detail(JOB_NOT_FOUND))),
            Err(err) if is_unavailable(&err) => Ok(JobLookup::Unavailable(detail(UNAVAILABLE))),
            Err(err) => Err(internal(err)),
        }
    }
    // ANCHOR_END: read_job

    // ANCHOR: delete_job
    /// Cancel a job
    ///
    /// Deletes the job, so that it is not delivered (a `queued` one) or not kept (a `done`
    /// or `failed` one): **204**. A `running` job is being delivered and cannot be taken
    /// back: **409** `{"detail": "Job is running"}`. An unknown id is a **404**.
    #[oai(path = "/jobs/:id", method = "delete", tag = "Tag::Jobs")]
    async fn delete_job(&self, jobs: Data<&Jobs>, id: Path<i64>) -> poem::Result<DeleteJob> {
        match jobs.queue.delete(id.0).await {
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
        match jobs.queue.list(state.0, skip.0, limit.0).await {
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
        match jobs.queue.retry(id.0).await {
            Ok(Retry::Queued(job)) => {
                jobs.wake.notify_one();
                Ok(RetryJob::Queued(Json(job.into())))
            }
            Ok(Retry::NotFailed(_)) => Ok(RetryJob::NotFailed(detail(
                "Only a failed job can be retried",
            ))),
            Ok(Retry::NotFound) => Ok(RetryJob::NotFound(detail(JOB_NOT_FOUND))),
            Err(err) if is_unavailable(&err) => Ok(RetryJob::Unavailable(detail(UNAVAILABLE))),
            Err(err) => Err(internal(err)),
        }
    }
    // ANCHOR_END: retry_job
}
