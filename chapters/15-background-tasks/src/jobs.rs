//! `GET /jobs/{id}`: following a job.

use kit::Detail;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::Tag;
use crate::emails::{JOB_NOT_FOUND, Job, Jobs, UNAVAILABLE, internal};
use crate::queue::is_unavailable;

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

/// `{"detail": message}`.
pub(crate) fn detail(message: &str) -> Json<Detail> {
    Json(Detail::new(message))
}

/// Following a job.
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
}
