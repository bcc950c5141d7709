//! Delivering one email: to a mail relay over SMTP, or into an outbox folder.
//!
//! Both ways are idempotent where they can be: the outbox file is named after the job, so a
//! second delivery replaces the first; an SMTP message carries a `Message-ID` made from the
//! job, the same at every attempt, so that a receiver can recognise a copy.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{Config, Delivery};
use crate::queue::Claimed;

/// Where emails go, and how long one delivery may take.
#[derive(Debug, Clone)]
pub(crate) struct Mailer {
    way: Way,
    from: Mailbox,
    timeout: Duration,
}

#[derive(Debug, Clone)]
enum Way {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    // ANCHOR: transport
    /// The mailer `config` describes. SMTP goes without TLS (a relay on this machine or
    /// network) and every command has the same time limit as the whole delivery: a relay
    /// that never answers costs one timeout, not a stuck worker.
    pub(crate) fn new(config: &Config) -> Self {
        let way = match &config.delivery {
            Delivery::Outbox(dir) => Way::Outbox(dir.clone()),
            Delivery::Smtp { host, port } => Way::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
                    .port(*port)
                    .timeout(Some(config.smtp_timeout))
                    .build(),
            ),
        };
        Self {
            way,
            from: config.mail_from.clone(),
            timeout: config.smtp_timeout,
        }
    }
    // ANCHOR_END: transport

    // ANCHOR: message
    /// The email of a job. Its `Message-ID` depends on the job alone, so every attempt sends
    /// the same message: a receiver (or a mail client) can drop a second copy.
    pub(crate) fn message(&self, job: &Claimed) -> Result<Message, String> {
        let to = job
            .recipient
            .parse::<Address>()
            .map_err(|err| format!("cannot send to {:?}: {err}", job.recipient))?;
        let message_id = format!(
            "<job-{}.{}@{}>",
            job.id,
            job.created_at,
            self.from.email.domain()
        );
        Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(job.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(job.body.clone())
            .map_err(|err| format!("cannot build the message: {err}"))
    }
    // ANCHOR_END: message

    // ANCHOR: deliver
    /// Delivers a job's email once, within the time limit; the error says what went wrong,
    /// in words fit for the job's `last_error` (never a password: there is none to leak).
    pub(crate) async fn deliver(&self, job: &Claimed) -> Result<(), String> {
        let message = self.message(job)?;
        let sending = async {
            match &self.way {
                Way::Outbox(dir) => write_outbox(dir, job.id, message.formatted()).await,
                Way::Smtp(transport) => transport
                    .send(message)
                    .await
                    .map(drop)
                    .map_err(|err| format!("smtp: {err}")),
            }
        };
        match tokio::time::timeout(self.timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "gave up after {} s without an answer",
                self.timeout.as_secs()
            )),
        }
    }
    // ANCHOR_END: deliver
}

// ANCHOR: outbox
/// Writes `job-<id>.eml` into `dir`, whole or not at all: the bytes go to a hidden file,
/// reach the disk, and are renamed into place. A second delivery of the same job replaces the
/// file, so the outbox never holds a job twice. File I/O blocks, so it runs on the blocking
/// pool.
async fn write_outbox(dir: &Path, id: i64, bytes: Vec<u8>) -> Result<(), String> {
    let dir = dir.to_owned();
    let write = move || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let partial = dir.join(format!(".job-{id}.eml.partial"));
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&partial, dir.join(format!("job-{id}.eml")))
    };
    match tokio::task::spawn_blocking(write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(format!("outbox: {err}")),
        Err(err) => Err(format!("outbox: the write did not finish: {err}")),
    }
}
// ANCHOR_END: outbox
