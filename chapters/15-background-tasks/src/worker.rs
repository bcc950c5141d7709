//! The worker: claims due jobs, delivers a few at a time, records each outcome, and when told
//! to stop, takes nothing new and finishes what it holds.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::mailer::Mailer;
use crate::queue::{Claimed, Queue};

/// The longest `last_error` kept, in characters.
const MAX_ERROR_CHARS: usize = 500;

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    /// Deliveries at once.
    pub concurrency: usize,
    /// How long a claim lasts.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs.
    pub poll: Duration,
    /// The first wait before a retry.
    pub retry_base: Duration,
    /// The longest wait before a retry.
    pub retry_max: Duration,
}

impl Pace {
    /// The pace `config` sets.
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            concurrency: config.concurrency,
            lease: config.lease,
            poll: config.poll_interval,
            retry_base: config.retry_base,
            retry_max: config.retry_max,
        }
    }
}

// ANCHOR: run
/// Runs until `stop` turns true (or its sender goes), then waits for the deliveries it
/// started. `wake` says a job was just queued here, so that it does not wait for the next poll.
pub(crate) async fn run(
    queue: Queue,
    mailer: Mailer,
    pace: Pace,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut running = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        let free = pace.concurrency.saturating_sub(running.len());
        if free > 0 {
            match queue.claim(free, pace.lease).await {
                Ok(jobs) => {
                    for job in jobs {
                        running.spawn(work(queue.clone(), mailer.clone(), pace, job));
                    }
                }
                // The database may be away for a moment: try again at the next poll.
                Err(err) => tracing::warn!(error = %err, "cannot claim jobs"),
            }
        }
        tokio::select! {
            changed = stop.changed() => if changed.is_err() { break },
            () = wake.notified() => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            () = tokio::time::sleep(pace.poll) => {}
        }
    }
    if !running.is_empty() {
        tracing::info!(jobs = running.len(), "stopping: finishing the running jobs");
    }
    while running.join_next().await.is_some() {}
    tracing::info!("worker stopped");
}
// ANCHOR_END: run

// ANCHOR: work
/// Delivers one claimed job and records what happened, renewing the claim's lease as it goes.
async fn work(queue: Queue, mailer: Mailer, pace: Pace, job: Claimed) {
    let outcome = while_renewing(&queue, &job, pace.lease, mailer.deliver(&job)).await;
    let recorded = match &outcome {
        Ok(()) => queue.complete(&job).await,
        Err(error) => {
            let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
            let wait = retry_delay(job.attempts, pace.retry_base, pace.retry_max);
            queue.fail(&job, &error, wait).await
        }
    };
    match (&outcome, recorded) {
        (Ok(()), Ok(true)) => tracing::info!(job = job.id, attempt = job.attempts, "delivered"),
        (Err(error), Ok(true)) => {
            tracing::warn!(job = job.id, attempt = job.attempts, %error, "attempt failed");
        }
        // Another worker took the job over after this claim's lease ran out.
        (_, Ok(false)) => {
            tracing::warn!(job = job.id, "the claim had expired; outcome not recorded")
        }
        // The outcome is lost, not the job: when the lease expires, it is tried again.
        (_, Err(err)) => tracing::error!(job = job.id, error = %err, "cannot record the outcome"),
    }
}

/// Runs `work` while renewing `job`'s lease every third of it, so that the job stays this
/// worker's for as long as the worker lives; a worker that dies stops renewing, and the
/// lease runs out.
async fn while_renewing<T>(
    queue: &Queue,
    job: &Claimed,
    lease: Duration,
    work: impl Future<Output = T>,
) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            () = tokio::time::sleep(lease / 3) => match queue.renew(job, lease).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(job = job.id, "the claim was taken over"),
                // The database may be away for a moment: the next renewal tries again.
                Err(err) => tracing::warn!(job = job.id, error = %err, "cannot renew the lease"),
            },
        }
    }
}
// ANCHOR_END: work

// ANCHOR: backoff
/// The wait after failed attempt number `attempt` (1, 2, …): `base`, doubled at each attempt,
/// at most `max`; then "equal jitter": half of it fixed, the other half random, so that jobs
/// that failed together (a relay went down) do not all come back at the same instant.
pub fn retry_delay(attempt: i64, base: Duration, max: Duration) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = base.saturating_mul(1 << doublings).min(max);
    let half = full / 2;
    half + half.mul_f64(random_fraction())
}

/// A number in `0.0..1.0`, different at each call. The standard library seeds every
/// `RandomState` randomly, which is enough for jitter (not for secrets).
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
// ANCHOR_END: backoff

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_waits_double_within_their_jitter() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        for (attempt, full) in [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (100, 60)] {
            let full = Duration::from_secs(full);
            for _ in 0..50 {
                let wait = retry_delay(attempt, base, max);
                assert!(
                    wait >= full / 2 && wait <= full,
                    "attempt {attempt}: {wait:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_the_waits() {
        let waits: std::collections::HashSet<_> = (0..20)
            .map(|_| retry_delay(3, Duration::from_secs(1), Duration::from_secs(60)))
            .collect();
        assert!(waits.len() > 10);
    }
}
