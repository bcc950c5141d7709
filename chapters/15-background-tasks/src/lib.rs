//! Chapter 15: work after the response.
//!
//! A notification written once the answer has left (FastAPI's `BackgroundTasks`); emails kept
//! as jobs in the database and delivered by a worker that retries, survives crashes and stops
//! cleanly; and what a blocking handler does to everyone else, with the timeout that cannot
//! stop it.

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
