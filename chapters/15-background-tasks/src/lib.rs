//! Chapter 15: work after the response.
//!
//! A notification written once the answer has left (FastAPI's `BackgroundTasks`); emails kept
//! as jobs in the database and delivered by a worker that retries, survives crashes and stops
//! cleanly; and what a blocking handler does to everyone else, with the timeout that cannot
//! stop it.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `lib.rs` (this file): the tags, the document's metadata, and `app`.
//! 2. `background.rs`: FastAPI's `BackgroundTasks`: work started once the response is made.
//! 3. `notifications.rs`: `POST /send-notification/{email}`, a line written after the answer.
//! 4. `queue.rs`: the job queue, kept in the database.
//! 5. `emails.rs`: `POST /emails/`: an email stored as a job before the answer leaves.
//! 6. `jobs.rs`: `GET /jobs/{id}`: following a job.
//! 7. `worker.rs`: the worker: claims due jobs, delivers them, retries, stops cleanly.
//! 8. `mailer.rs`: delivering one email, over SMTP or into an outbox folder.
//! 9. `service.rs`: the app, its worker and its background tasks, started and stopped together.
//! 10. `main.rs`: the command line, the logs and the runtime, then `serve`.
//! 11. `slow.rs`: blocking versus async, and a request timeout that can stop only one of them.
//! 12. `config.rs`: the settings, read once at start and checked.
//! 13. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!     (`scripts/learn start 15`) has stubs in its place.

use poem::{Endpoint, EndpointExt};
use poem_openapi::{OpenApiService, Tags};

mod background;
mod config;
mod emails;
mod exercises;
mod jobs;
mod mailer;
mod notifications;
mod queue;
mod service;
mod slow;
mod worker;

pub use background::{BackgroundTasks, TaskTracker, run_background_tasks};
pub use config::{Config, Delivery};
pub use emails::{Job, Jobs};
pub use notifications::{DEFAULT_MESSAGE, Notifier, write_notification};
pub use queue::{Claimed, JobRow, JobState, Queue};
pub use service::{AppState, Service, serve};
pub use worker::retry_delay;

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Work done after the answer has left, and lost if the server stops first.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/background-tasks/")]
    Notifications,
    /// Emails kept as jobs in the database and delivered by a worker, with retries.
    #[oai(external_docs = "https://www.rfc-editor.org/rfc/rfc5321")]
    Emails,
    /// Following a job; and managing jobs: cancelling, listing, retrying (the exercises).
    #[oai(external_docs = "https://www.rfc-editor.org/rfc/rfc9110#name-409-conflict")]
    Jobs,
    /// Waiting without blocking, blocking, and the fix: what each does to other requests.
    #[oai(external_docs = "https://docs.rs/tokio/latest/tokio/task/fn.spawn_blocking.html")]
    Blocking,
}
// ANCHOR_END: tags

// ANCHOR: metadata
const TITLE: &str = "Background tasks";
const VERSION: &str = "1.0.0";

const DESCRIPTION: &str = "\
Work that goes on after the answer.

* **Notifications** are written after the response, as FastAPI's `BackgroundTasks` does, \
and lost if the server stops first.
* **Emails** are stored as jobs before the answer leaves; a worker delivers them, retries \
failures with growing waits, and picks up what a crashed worker left.
* **Slow operations** show what blocking a runtime thread does to every other request.";
// ANCHOR_END: metadata

// ANCHOR: app
/// The whole app: the operations behind the house conventions, then the request timeout,
/// the background tasks, and the state every operation reads.
pub fn app(docs: &kit::Docs, state: &AppState) -> impl Endpoint + use<> {
    // Each operation's document lists the 504 that `request_timeout` may answer for it.
    let operations = slow::TimedOut((
        notifications::NotificationsApi,
        emails::EmailsApi,
        slow::SlowApi,
        jobs::JobsApi,
        exercises::ExercisesApi,
    ));
    let service = OpenApiService::new(kit::FastapiErrors(operations), TITLE, VERSION)
        .description(DESCRIPTION);
    let app = kit::mount(service, docs);
    let app = slow::request_timeout(app, state.request_timeout);
    background::run_background_tasks(app, state.tasks.clone())
        .data(state.jobs.clone())
        .data(state.notifier.clone())
}
// ANCHOR_END: app
