//! The running service: the app, its worker and its background tasks, started together and
//! stopped in order.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use poem::Endpoint;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::background::TaskTracker;
use crate::config::Config;
use crate::emails::Jobs;
use crate::mailer::Mailer;
use crate::notifications::Notifier;
use crate::queue::Queue;
use crate::worker::{self, Pace};

/// What the operations share: handed to each request by `app`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The job queue.
    pub jobs: Jobs,
    /// The notification log.
    pub notifier: Notifier,
    /// The background tasks still running.
    pub tasks: TaskTracker,
    /// The longest a request may take.
    pub request_timeout: Duration,
}

// ANCHOR: service
/// The app's state, and the worker that runs beside it in this process.
#[derive(Debug)]
pub struct Service {
    state: AppState,
    stop: watch::Sender<bool>,
    stopping_since: OnceLock<Instant>,
    worker: Option<JoinHandle<()>>,
}

impl Service {
    /// Connects to the database (bringing it up to date) and starts the worker, unless
    /// `WORKER_CONCURRENCY` is 0.
    pub async fn start(config: &Config) -> Result<Self, kit::StartError> {
        // The default database, log and outbox go there; SQLite makes a missing file, not a
        // missing folder.
        std::fs::create_dir_all(&config.data_dir).map_err(|err| {
            format!(
                "cannot make the data folder {}: {err}",
                config.data_dir.display()
            )
        })?;
        let queue = Queue::connect(&config.database_url).await?;
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let worker = (config.concurrency > 0).then(|| {
            tokio::spawn(worker::run(
                queue.clone(),
                Mailer::new(config),
                Pace::new(config),
                wake.clone(),
                stopped,
            ))
        });
        if config.shutdown_timeout < config.smtp_timeout {
            tracing::warn!(
                "SHUTDOWN_TIMEOUT_SECS is shorter than SMTP_TIMEOUT_SECS: a stop may cut a \
                 delivery short, and that job is then tried again (maybe a second time)"
            );
        }
        let state = AppState {
            jobs: Jobs {
                queue,
                max_attempts: config.max_attempts,
                wake,
            },
            notifier: Notifier::new(config.notification_log.clone()),
            tasks: TaskTracker::default(),
            request_timeout: config.request_timeout,
        };
        Ok(Self {
            state,
            stop,
            stopping_since: OnceLock::new(),
            worker,
        })
    }

    /// The app, serving this service's state.
    pub fn app(&self, docs: &kit::Docs) -> impl Endpoint + use<> {
        crate::app(docs, &self.state)
    }

    /// The shared state (for tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Tells the worker to take no new job. Jobs it holds go on.
    pub fn begin_shutdown(&self) {
        self.stopping_since.get_or_init(Instant::now);
        let _ = self.stop.send(true);
    }

    /// Waits for the worker's running jobs and the background tasks, until `limit` after
    /// [`begin_shutdown`](Self::begin_shutdown). Whatever is still running then is dropped:
    /// a background task is lost, a job is tried again once its lease expires. Returns
    /// whether everything finished in time.
    pub async fn shutdown(mut self, limit: Duration) -> bool {
        self.begin_shutdown();
        let since = self
            .stopping_since
            .get()
            .copied()
            .unwrap_or_else(Instant::now);
        let deadline = tokio::time::Instant::from_std(since + limit);
        let mut finished = true;
        if let Some(mut worker) = self.worker.take()
            && tokio::time::timeout_at(deadline, &mut worker)
                .await
                .is_err()
        {
            worker.abort();
            tracing::warn!(
                "the shutdown limit passed with jobs still running: they will be tried again \
                 when their lease expires"
            );
            finished = false;
        }
        if tokio::time::timeout_at(deadline, self.state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = self.state.tasks.len(),
                "the shutdown limit passed with background tasks still running: they are lost"
            );
            finished = false;
        }
        finished
    }
}
// ANCHOR_END: service

impl Drop for Service {
    // A service dropped without `shutdown` (a test that ends, say) takes its worker along.
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
    }
}

// ANCHOR: serve
/// Runs the chapter: settings, database, worker, then the server, until Ctrl-C or SIGTERM.
///
/// On the signal, the server stops accepting connections and the worker stops claiming
/// jobs, both at once; then requests in flight, running jobs and background tasks all get
/// until `SHUTDOWN_TIMEOUT_SECS` after the signal to finish.
pub async fn serve(listen: &kit::Listen, env: &kit::Env) -> Result<(), kit::StartError> {
    let docs = kit::Docs::from_env(env)?;
    let config = Config::from_env(env)?;
    // Listening for signals from the start: a SIGTERM during start-up is not missed.
    let signal = kit::serve::shutdown_signal();
    let service = Service::start(&config).await?;
    let (listener, addr) = kit::serve::bind(&listen.host, listen.port).await?;
    kit::serve::announce(addr);
    let stop = async {
        signal.await;
        service.begin_shutdown();
    };
    let app = service.app(&docs);
    kit::serve::serve_on(
        listener,
        app,
        listen.timeouts,
        stop,
        config.shutdown_timeout,
    )
    .await;
    let clean = service.shutdown(config.shutdown_timeout).await;
    tracing::info!(clean, "stopped");
    Ok(())
}
// ANCHOR_END: serve
