//! The chapter's settings, read once at start and checked; a wrong one stops the start with a
//! message that names it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kit::db::{Backend, mask_password};
use kit::{ConfigError, Env};
use lettre::message::Mailbox;

// ANCHOR: config
/// Settings of this chapter, from the environment (defaults in parentheses).
///
/// - `DATA_DIR` (unset): the default files below go into the data folder, `$DATA_DIR/<package>`;
///   unset, the current folder (see `kit::data_dir`).
/// - `DATABASE_URL` (`sqlite://ch15.db`): where the jobs are kept; SQLite, PostgreSQL or
///   MySQL/MariaDB.
/// - `NOTIFICATION_LOG` (`log.txt`): the file the notifications are appended to.
/// - `SMTP_URL` (unset): `smtp://host:port` of a mail relay; unset, emails are written to
///   `OUTBOX_DIR` (`outbox`) instead, one file per job.
/// - `MAIL_FROM` (`Poem API Workbook <noreply@example.com>`): the sender of every email.
/// - `SMTP_TIMEOUT_SECS` (10): the longest one delivery may take.
/// - `JOB_MAX_ATTEMPTS` (5): attempts before a job is `failed`.
/// - `JOB_RETRY_BASE_MS` (1000), `JOB_RETRY_MAX_MS` (300000): the first wait before a retry,
///   doubled at each attempt up to the maximum.
/// - `JOB_LEASE_SECS` (60): how long a claimed job is its worker's; after that, another
///   worker may take it (its worker is presumed dead). Longer than `SMTP_TIMEOUT_SECS`.
/// - `WORKER_CONCURRENCY` (4): deliveries at once in this process; 0 runs no worker here.
/// - `WORKER_POLL_MS` (1000): how often an idle worker looks for due jobs.
/// - `REQUEST_TIMEOUT_SECS` (30): the longest a request may take before a 504.
/// - `SHUTDOWN_TIMEOUT_SECS` (30): after a stop signal, how long requests in flight and
///   running jobs may take to finish.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder of the default files, made at start if it is missing.
    pub data_dir: PathBuf,
    /// Where the jobs are kept.
    pub database_url: String,
    /// Where notifications are appended.
    pub notification_log: PathBuf,
    /// How emails leave.
    pub delivery: Delivery,
    /// The sender of every email.
    pub mail_from: Mailbox,
    /// The longest one delivery may take.
    pub smtp_timeout: Duration,
    /// Attempts before a job is `failed`.
    pub max_attempts: i64,
    /// The wait before the first retry; doubled at each attempt.
    pub retry_base: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// How long a claimed job belongs to its worker.
    pub lease: Duration,
    /// Deliveries at once in this process.
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs.
    pub poll_interval: Duration,
    /// The longest a request may take.
    pub request_timeout: Duration,
    /// How long a stop may wait for requests and jobs.
    pub shutdown_timeout: Duration,
}

/// How emails leave the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Written to this folder, one `job-<id>.eml` file per job: nothing to install.
    Outbox(PathBuf),
    /// Sent to a mail relay over SMTP, without TLS: a relay on this machine or network.
    Smtp {
        /// The relay's host name or address.
        host: String,
        /// Its port.
        port: u16,
    },
}
// ANCHOR_END: config

impl Config {
    /// Reads and checks every setting.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let data_dir = kit::data_dir(env, env!("CARGO_PKG_NAME"));
        let database_url = env
            .get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("ch15.db").display()));
        if Backend::of_url(&database_url).is_none() {
            return Err(ConfigError::new(
                "DATABASE_URL",
                format!(
                    "must start with sqlite://, postgres:// or mysql:// (got {:?})",
                    mask_password(&database_url)
                ),
            ));
        }
        kit::db::refuse_in_memory(&database_url)
            .map_err(|problem| ConfigError::new("DATABASE_URL", problem))?;
        let delivery = match env.get("SMTP_URL").filter(|url| !url.is_empty()) {
            Some(url) => smtp_url(&url)?,
            None => Delivery::Outbox(path(env, "OUTBOX_DIR", &data_dir.join("outbox"))?),
        };
        let mail_from = env
            .get("MAIL_FROM")
            .unwrap_or_else(|| "Poem API Workbook <noreply@example.com>".to_owned());
        let mail_from = mail_from.parse::<Mailbox>().map_err(|err| {
            ConfigError::new(
                "MAIL_FROM",
                format!("must be an address such as `Name <name@example.com>` ({err})"),
            )
        })?;
        let config = Self {
            notification_log: path(env, "NOTIFICATION_LOG", &data_dir.join("log.txt"))?,
            data_dir,
            database_url,
            delivery,
            mail_from,
            smtp_timeout: secs(number(env, "SMTP_TIMEOUT_SECS", 10, 1..=3600)?),
            max_attempts: number(env, "JOB_MAX_ATTEMPTS", 5, 1..=100)?,
            retry_base: millis(number(env, "JOB_RETRY_BASE_MS", 1000, 1..=86_400_000)?),
            retry_max: millis(number(env, "JOB_RETRY_MAX_MS", 300_000, 1..=86_400_000)?),
            lease: secs(number(env, "JOB_LEASE_SECS", 60, 1..=86_400)?),
            concurrency: usize::try_from(number(env, "WORKER_CONCURRENCY", 4, 0..=256)?)
                .unwrap_or(4),
            poll_interval: millis(number(env, "WORKER_POLL_MS", 1000, 10..=3_600_000)?),
            request_timeout: secs(number(env, "REQUEST_TIMEOUT_SECS", 30, 1..=3600)?),
            shutdown_timeout: secs(number(env, "SHUTDOWN_TIMEOUT_SECS", 30, 0..=3600)?),
        };
        // A worker must finish (or give up) a delivery before its lease ends; otherwise
        // another worker would take a job that is still being sent, and send it twice.
        if config.lease <= config.smtp_timeout {
            return Err(ConfigError::new(
                "JOB_LEASE_SECS",
                format!(
                    "must be longer than SMTP_TIMEOUT_SECS ({} s), or a slow delivery would be \
                     taken over by another worker and sent twice",
                    config.smtp_timeout.as_secs()
                ),
            ));
        }
        Ok(config)
    }
}

/// `smtp://host[:port]`; TLS and passwords are refused, since this build has no TLS and a
/// password must not cross the network in clear.
fn smtp_url(url: &str) -> Result<Delivery, ConfigError> {
    let refuse = |problem: &str| {
        ConfigError::new(
            "SMTP_URL",
            format!("{problem} (got {:?})", mask_password(url)),
        )
    };
    let Some(rest) = url.strip_prefix("smtp://") else {
        return Err(refuse(
            "must be smtp://host:port (smtps:// and STARTTLS need a TLS build of lettre)",
        ));
    };
    let authority = rest.trim_end_matches('/');
    if authority.contains('@') {
        return Err(refuse(
            "must not carry a user or password: without TLS it would be sent in clear",
        ));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| refuse("has a port that is not a number from 0 to 65535"))?,
        ),
        None => (authority, 25),
    };
    if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
        return Err(refuse("must be smtp://host:port"));
    }
    Ok(Delivery::Smtp {
        host: host.to_owned(),
        port,
    })
}

fn path(env: &Env, key: &str, default: &Path) -> Result<PathBuf, ConfigError> {
    match env.get(key) {
        None => Ok(default.to_owned()),
        Some(value) if value.is_empty() => Err(ConfigError::new(key, "must not be empty")),
        Some(value) => Ok(PathBuf::from(value)),
    }
}

fn number(
    env: &Env,
    key: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ConfigError> {
    let Some(value) = env.get(key) else {
        return Ok(default);
    };
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            ConfigError::new(
                key,
                format!(
                    "must be a whole number from {} to {} (got {value:?})",
                    range.start(),
                    range.end()
                ),
            )
        })
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.unsigned_abs())
}

fn millis(n: i64) -> Duration {
    Duration::from_millis(n.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_write_to_an_outbox_on_sqlite() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, "sqlite://./ch15.db");
        assert_eq!(config.delivery, Delivery::Outbox(PathBuf::from("./outbox")));
        assert_eq!(config.notification_log, PathBuf::from("./log.txt"));
        assert_eq!(config.max_attempts, 5);
    }

    #[test]
    fn data_dir_puts_the_default_files_in_a_folder_named_after_the_package() {
        let config = config(&[("DATA_DIR", "/srv/data")]).unwrap();
        let folder = PathBuf::from("/srv/data/ch15-background-tasks");
        assert_eq!(
            config.database_url,
            "sqlite:///srv/data/ch15-background-tasks/ch15.db"
        );
        assert_eq!(config.delivery, Delivery::Outbox(folder.join("outbox")));
        assert_eq!(config.notification_log, folder.join("log.txt"));
        assert_eq!(config.data_dir, folder);
        let given = [("DATA_DIR", "/srv/data"), ("NOTIFICATION_LOG", "notes.txt")];
        assert_eq!(
            self::config(&given).unwrap().notification_log,
            PathBuf::from("notes.txt")
        );
    }

    #[test]
    fn an_smtp_url_names_host_and_port() {
        let config = config(&[("SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap();
        assert_eq!(
            config.delivery,
            Delivery::Smtp {
                host: "127.0.0.1".to_owned(),
                port: 2525
            }
        );
        let config = self::config(&[("SMTP_URL", "smtp://mail.internal")]).unwrap();
        assert_eq!(
            config.delivery,
            Delivery::Smtp {
                host: "mail.internal".to_owned(),
                port: 25
            }
        );
    }

    #[test]
    fn a_password_in_the_smtp_url_is_refused_and_not_repeated() {
        let err = config(&[("SMTP_URL", "smtp://me:hunter2@mail:25")]).unwrap_err();
        assert_eq!(err.key, "SMTP_URL");
        assert!(!err.problem.contains("hunter2"), "{}", err.problem);
    }

    #[test]
    fn tls_urls_are_refused() {
        let err = config(&[("SMTP_URL", "smtps://mail:465")]).unwrap_err();
        assert_eq!(err.key, "SMTP_URL");
    }

    #[test]
    fn numbers_out_of_range_name_their_setting() {
        let err = config(&[("JOB_MAX_ATTEMPTS", "0")]).unwrap_err();
        assert_eq!(err.key, "JOB_MAX_ATTEMPTS");
        let err = config(&[("REQUEST_TIMEOUT_SECS", "soon")]).unwrap_err();
        assert_eq!(err.key, "REQUEST_TIMEOUT_SECS");
    }

    #[test]
    fn a_lease_shorter_than_a_delivery_is_refused() {
        let err = config(&[("JOB_LEASE_SECS", "5"), ("SMTP_TIMEOUT_SECS", "5")]).unwrap_err();
        assert_eq!(err.key, "JOB_LEASE_SECS");
    }

    #[test]
    fn an_unknown_database_is_refused() {
        let err = config(&[("DATABASE_URL", "redis://u:secret@h")]).unwrap_err();
        assert_eq!(err.key, "DATABASE_URL");
        assert!(!err.problem.contains("secret"));
    }
}
