//! FastAPI's `BackgroundTasks`, in poem: work a handler hands over, started once the handler
//! has made its response, and counted, so that a stop can wait for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use tokio::sync::Notify;

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

// ANCHOR: background_tasks
/// The tasks one request added: a handler takes `Data<&BackgroundTasks>` and calls
/// `add_task`, as a FastAPI function takes `background_tasks: BackgroundTasks`.
#[derive(Clone, Default)]
pub struct BackgroundTasks(Arc<Mutex<Vec<Task>>>);

impl BackgroundTasks {
    /// Runs `task` after the response is made, after the tasks added before it.
    pub fn add_task(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::pin(task));
    }

    fn take(&self) -> Vec<Task> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let added = self.0.lock().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("BackgroundTasks")
            .field("added", &added)
            .finish()
    }
}

/// Gives every request its own [`BackgroundTasks`] and, once the handler has made its
/// response, starts what it added, one task after the other, on a task of their own: the
/// response leaves at once, whatever the tasks take.
pub fn run_background_tasks<E: Endpoint + 'static>(
    app: E,
    tracker: TaskTracker,
) -> impl Endpoint<Output = Response> {
    app.around(move |app, mut req: Request| {
        let tracker = tracker.clone();
        async move {
            let tasks = BackgroundTasks::default();
            req.extensions_mut().insert(tasks.clone());
            let response = app.call(req).await?.into_response();
            let added = tasks.take();
            if !added.is_empty() {
                tracker.spawn(async move {
                    for task in added {
                        task.await;
                    }
                });
            }
            Ok(response)
        }
    })
}
// ANCHOR_END: background_tasks

// ANCHOR: tracker
/// Spawns tasks and knows how many still run, so that a stop can wait for them.
#[derive(Debug, Clone, Default)]
pub struct TaskTracker(Arc<Tracked>);

#[derive(Debug, Default)]
struct Tracked {
    running: AtomicUsize,
    idle: Notify,
}

/// Counts one task while it lives, even if it panics.
struct Running(Arc<Tracked>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl TaskTracker {
    /// Runs `task` on the runtime, counted.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.running.fetch_add(1, Ordering::AcqRel);
        let running = Running(self.0.clone());
        tokio::spawn(async move {
            let _running = running;
            task.await;
        });
    }

    /// Tasks still running.
    pub fn len(&self) -> usize {
        self.0.running.load(Ordering::Acquire)
    }

    /// Whether no task is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Completes when no task is running.
    pub async fn wait(&self) {
        loop {
            // Made before the count is read, so a task ending in between still wakes it.
            let idle = self.0.idle.notified();
            if self.is_empty() {
                return;
            }
            idle.await;
        }
    }
}
// ANCHOR_END: tracker
