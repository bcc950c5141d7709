//! `POST /send-notification/{email}`: FastAPI's background-task example. The answer leaves at
//! once; a line is appended to the notification log afterwards.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{Object, OpenApi};

use crate::Tag;
use crate::background::BackgroundTasks;

/// The message when the request gives none, as in FastAPI's tutorial.
pub const DEFAULT_MESSAGE: &str = "some notification";

/// A short answer.
#[derive(Debug, Object)]
#[oai(example)]
pub(crate) struct Message {
    /// What happened.
    pub message: String,
}

impl Example for Message {
    fn example() -> Self {
        Self {
            message: "Notification sent in the background".to_owned(),
        }
    }
}

// ANCHOR: notifier
/// The notification log: a file that lines are appended to, one whole line at a time.
#[derive(Debug, Clone)]
pub struct Notifier {
    path: Arc<PathBuf>,
    // Held while one line is written: two lines are never mixed, whatever runs at once.
    one_at_a_time: Arc<Mutex<()>>,
}

impl Notifier {
    /// A log at `path`, created at the first line.
    pub fn new(path: PathBuf) -> Self {
        Self {
            path: Arc::new(path),
            one_at_a_time: Arc::default(),
        }
    }
}

/// Appends `notification for <email>: <message>` to the log: FastAPI's `write_notification`.
///
/// Writing a file blocks the thread, so it runs on the blocking pool. Control characters
/// (a newline in the query, say) are escaped, so that one notification is one line.
pub async fn write_notification(notifier: Notifier, email: String, message: String) {
    let line = format!(
        "notification for {}: {}\n",
        one_line(&email),
        one_line(&message)
    );
    let path = notifier.path.clone();
    let written = tokio::task::spawn_blocking(move || {
        let _turn = notifier
            .one_at_a_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&*notifier.path)?;
        // One write of the whole line, in append mode.
        file.write_all(line.as_bytes())
    })
    .await;
    // The response has left: a failure can only be logged.
    match written {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::error!(path = %path.display(), error = %err, "cannot write the notification")
        }
        Err(err) => tracing::error!(error = %err, "the notification task failed"),
    }
}
// ANCHOR_END: notifier

/// `text` with its control characters escaped (`\n`, `\u{7}`…).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

// ANCHOR: send_notification
/// The notification operation.
pub(crate) struct NotificationsApi;

#[OpenApi]
impl NotificationsApi {
    /// Send a notification in the background
    ///
    /// Answers at once; afterwards, the line `notification for <email>: <message>` is
    /// appended to the notification log (`NOTIFICATION_LOG`, default `log.txt`). The message
    /// is `q` when it is given and not empty, else `some notification`.
    ///
    /// The work is not kept anywhere else: if the server stops before it runs, it is lost.
    /// The email endpoints below show the durable way.
    #[oai(
        path = "/send-notification/:email",
        method = "post",
        tag = "Tag::Notifications"
    )]
    async fn send_notification(
        &self,
        /// Who the notification is for.
        #[oai(example = "email_example")]
        email: Path<String>,
        /// The message to write.
        q: Query<Option<String>>,
        notifier: Data<&Notifier>,
        background_tasks: Data<&BackgroundTasks>,
    ) -> Json<Message> {
        let message =
            q.0.filter(|q| !q.is_empty())
                .unwrap_or_else(|| DEFAULT_MESSAGE.to_owned());
        background_tasks.add_task(write_notification(notifier.clone(), email.0, message));
        Json(Message {
            message: "Notification sent in the background".to_owned(),
        })
    }
}
// ANCHOR_END: send_notification

fn email_example() -> String {
    "johndoe@example.com".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(one_line("a\nb\tc é"), "a\\nb\\tc é");
    }
}
