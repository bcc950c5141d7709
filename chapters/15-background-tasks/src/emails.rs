//! `POST /emails/`: an email becomes a job in the database before the answer leaves, and a
//! worker delivers it later. `GET /jobs/{id}` (in `jobs.rs`) follows it.

use std::sync::Arc;

use kit::Detail;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::{Email, Example};
use poem_openapi::{ApiResponse, Object, OpenApi};
use tokio::sync::Notify;

use crate::Tag;
use crate::queue::{JobRow, JobState, Queue, is_unavailable};

// ANCHOR: models
/// An email to send.
#[derive(Debug, Object)]
#[oai(example)]
pub(crate) struct EmailIn {
    /// The address it goes to.
    #[oai(validator(max_length = 254))]
    pub to: Email,
    /// The subject line: one line, 1 to 200 characters.
    #[oai(validator(min_length = 1, max_length = 200, pattern = r"^[^\r\n\x00]*$"))]
    pub subject: String,
    /// The text, up to 100 000 characters, without NUL (which no mail and no PostgreSQL
    /// text can carry).
    #[oai(validator(max_length = 100000, pattern = r"^[^\x00]*$"))]
    pub body: String,
}

impl Example for EmailIn {
    fn example() -> Self {
        Self {
            to: Email("johndoe@example.com".to_owned()),
            subject: "Welcome".to_owned(),
            body: "Your account is ready.".to_owned(),
        }
    }
}

/// An email job: what it sends, and how far it got.
#[derive(Debug, Object)]
#[oai(example)]
pub struct Job {
    /// Its number; `GET /jobs/{id}` follows it.
    pub id: i64,
    /// The address it goes to.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: i64,
    /// Attempts allowed before it is `failed`.
    pub max_attempts: i64,
    /// What went wrong at the last failed attempt, if one failed.
    #[oai(nullable)]
    pub last_error: Option<String>,
}
// ANCHOR_END: models

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Self {
            id: row.id,
            to: row.recipient,
            subject: row.subject,
            state: row.state,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            last_error: row.last_error,
        }
    }
}

impl Example for Job {
    fn example() -> Self {
        Self {
            id: 1,
            to: "johndoe@example.com".to_owned(),
            subject: "Welcome".to_owned(),
            state: JobState::Queued,
            attempts: 0,
            max_attempts: 5,
            last_error: None,
        }
    }
}

/// The queue as the operations use it: where jobs go, how many attempts each gets, and how
/// to wake this process's worker when one arrives.
#[derive(Debug, Clone)]
pub struct Jobs {
    /// The jobs table.
    pub queue: Queue,
    /// Attempts each new job gets.
    pub max_attempts: i64,
    /// Wakes the local worker (others find the job when they next look).
    pub wake: Arc<Notify>,
}

/// The body of a 503.
pub(crate) const UNAVAILABLE: &str = "Database unavailable";
/// The body of a 404 for a job.
pub(crate) const JOB_NOT_FOUND: &str = "Job not found";

/// A database failure that is not an outage: a 500, its cause in the log only.
pub(crate) fn internal(err: sqlx::Error) -> poem::Error {
    poem::Error::new(err, StatusCode::INTERNAL_SERVER_ERROR)
}

/// The answers of `POST /emails/`.
#[derive(Debug, ApiResponse)]
pub enum EmailAccepted {
    /// Stored: it will be delivered. `Location` is where to follow it.
    #[oai(status = 202)]
    Accepted(Json<Job>, #[oai(header = "Location")] String),
    /// The database cannot be reached: nothing was stored.
    #[oai(status = 503)]
    Unavailable(Json<Detail>),
}

// ANCHOR: api
/// The email operations.
pub(crate) struct EmailsApi;

#[OpenApi]
impl EmailsApi {
    /// Send an email
    ///
    /// Stores the email as a job and answers **202 Accepted** with it: the job is in the
    /// database before this answer leaves, so it survives a crash a moment later. A worker
    /// then delivers it (over SMTP, or into the outbox folder), retrying failures with
    /// growing waits; follow it at the `Location` given, `/jobs/{id}`.
    #[oai(path = "/emails/", method = "post", tag = "Tag::Emails")]
    async fn send_email(
        &self,
        jobs: Data<&Jobs>,
        email: Json<EmailIn>,
    ) -> poem::Result<EmailAccepted> {
        let EmailIn { to, subject, body } = email.0;
        match jobs
            .queue
            .enqueue(&to, &subject, &body, jobs.max_attempts)
            .await
        {
            Ok(job) => {
                jobs.wake.notify_one();
                let location = format!("/jobs/{}", job.id);
                Ok(EmailAccepted::Accepted(Json(job.into()), location))
            }
            Err(err) if is_unavailable(&err) => {
                Ok(EmailAccepted::Unavailable(Json(Detail::new(UNAVAILABLE))))
            }
            Err(err) => Err(internal(err)),
        }
    }
}
// ANCHOR_END: api
