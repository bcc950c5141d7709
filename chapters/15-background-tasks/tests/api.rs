//! Chapter 15's own tests: what HTTP cannot show, and the cases no grader check sends.
//!
//! The grader carries the HTTP contract: `program::the_grader_passes_every_check` runs every
//! check of `tests/src/chapters/ch15.rs` on the built program (on SQLite, and `program::graded`
//! on PostgreSQL and MySQL/MariaDB), so a rule the grader checks is not checked again here.
//! What stays is what only the inside shows: the queue worked by hand as another machine's
//! worker would work it (claims, leases, fencing, retries), the tracker of background tasks,
//! what arrives at the tests' own SMTP relay (`tests/smtp/`), the files the service writes, the
//! program killed, stopped and restarted, and its refusals to start; then the edge cases of
//! input that the grader does not try, and the OpenAPI snapshot.
//!
//! In-process tests run the worker inside the test, on a database of its own. Tests that
//! touch the database run on SQLite, PostgreSQL and MySQL/MariaDB (`kit::db_tests!`); the
//! others use SQLite. Nothing here measures speed: the benchmark does
//! (`scripts/bench-blocking`).

mod smtp;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ch15_background_tasks::{Claimed, Config, JobRow, Queue, Service};
use insta::assert_json_snapshot;
use kit::db::{Backend, TestDb};
use kit::{Docs, Env};
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::test::{TestClient, TestResponse};
use poem::{EndpointExt, Response};
use serde_json::{Value, json};

use smtp::{Mode, TestSmtp};

/// Longest wait for a job to reach a state.
const PATIENCE: Duration = Duration::from_secs(30);

/// A lease no test outlives: a job claimed with it stays claimed.
const LONG_LEASE: Duration = Duration::from_secs(60);

/// A relay that takes every message at once.
const ACCEPT: Mode = Mode::Accept {
    delay: Duration::ZERO,
};

/// A folder of its own for one test, removed afterwards.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ch15-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the test folder is made");
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One test's service: its database, its folder, its worker, and a client for its app.
struct Harness {
    cli: Arc<TestClient<BoxEndpoint<'static, Response>>>,
    service: Option<Service>,
    scratch: Scratch,
    db: TestDb,
}

impl Harness {
    /// The service on `db`, writing into a folder of its own, with quick retries, and
    /// `settings` on top.
    async fn start(db: TestDb, settings: &[(&str, &str)]) -> Self {
        let scratch = Scratch::new();
        let mut pairs = vec![
            ("DATABASE_URL".to_owned(), db.url.clone()),
            (
                "NOTIFICATION_LOG".to_owned(),
                scratch.path("log.txt").display().to_string(),
            ),
            (
                "OUTBOX_DIR".to_owned(),
                scratch.path("outbox").display().to_string(),
            ),
            ("WORKER_POLL_MS".to_owned(), "50".to_owned()),
            ("JOB_RETRY_BASE_MS".to_owned(), "20".to_owned()),
            ("JOB_RETRY_MAX_MS".to_owned(), "100".to_owned()),
        ];
        pairs.extend(
            settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config =
            Config::from_env(&Env::from_pairs(pairs)).expect("the test settings are valid");
        let service = Service::start(&config).await.expect("the service starts");
        let cli = TestClient::new(service.app(&Docs::default()).map_to_response().boxed());
        Self {
            cli: Arc::new(cli),
            service: Some(service),
            scratch,
            db,
        }
    }

    /// The service on a new SQLite database.
    async fn sqlite(settings: &[(&str, &str)]) -> Self {
        let db = TestDb::create(Backend::Sqlite, "ch15")
            .await
            .expect("SQLite is always here");
        Self::start(db, settings).await
    }

    /// The service with its own worker stopped (`WORKER_CONCURRENCY=0`): the test works the
    /// queue by hand.
    async fn idle(db: TestDb, settings: &[(&str, &str)]) -> Self {
        let mut all = vec![("WORKER_CONCURRENCY", "0")];
        all.extend_from_slice(settings);
        Self::start(db, &all).await
    }

    /// A queue of its own on the same database, as another machine's worker would have.
    async fn another_queue(&self) -> HandQueue {
        HandQueue(
            Queue::connect(&self.db.url)
                .await
                .expect("a second connection"),
        )
    }

    async fn post_email(&self, email: &Value) -> TestResponse {
        self.cli.post("/emails/").body_json(email).send().await
    }

    /// Queues an email and returns its job.
    async fn send_email(&self, to: &str, subject: &str) -> Value {
        let email = json!({"to": to, "subject": subject, "body": format!("About {subject}.")});
        let resp = self.post_email(&email).await;
        resp.assert_status(StatusCode::ACCEPTED);
        kit::testing::json(resp).await
    }

    /// Queues an email and returns its job's id.
    async fn queue_email(&self, to: &str, subject: &str) -> i64 {
        id_of(&self.send_email(to, subject).await)
    }

    async fn job(&self, id: i64) -> Value {
        let resp = self.cli.get(format!("/jobs/{id}")).send().await;
        resp.assert_status_is_ok();
        kit::testing::json(resp).await
    }

    /// The job once it is in `state`; fails the test after [`PATIENCE`].
    async fn wait_for(&self, id: i64, state: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let job = self.job(id).await;
            if job["state"] == state {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} did not become {state}: {job}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `POST /send-notification/{email}`, `email` as written in the path, with `q` if given;
    /// it must answer 200.
    async fn notify(&self, email: &str, q: Option<&str>) {
        let mut req = self.cli.post(format!("/send-notification/{email}"));
        if let Some(q) = q {
            req = req.query("q", &q);
        }
        req.send().await.assert_status_is_ok();
    }

    /// Waits until `file` in the test's folder has `lines` lines, and returns them.
    async fn wait_for_lines(&self, file: &str, lines: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.scratch.text(file);
            let found: Vec<String> = text.lines().map(str::to_owned).collect();
            if found.len() >= lines && text.ends_with('\n') {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{file} has {} lines, not {lines}:\n{text}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the worker and waits for what it holds; the app still answers.
    async fn stop(&mut self) -> bool {
        match self.service.take() {
            Some(service) => service.shutdown(Duration::from_secs(10)).await,
            None => true,
        }
    }
}

/// The queue of a test's database, worked by hand as another machine's worker would work it.
/// Each call fails the test if the database does not answer.
struct HandQueue(Queue);

impl HandQueue {
    async fn enqueue(&self, subject: &str, max_attempts: i64) -> JobRow {
        self.0
            .enqueue("x@example.com", subject, "", max_attempts)
            .await
            .expect("the queue answers")
    }

    async fn claim(&self, limit: usize, lease: Duration) -> Vec<Claimed> {
        self.0.claim(limit, lease).await.expect("the queue answers")
    }

    /// Claims the one job that is due; fails the test unless there is exactly one.
    async fn claim_one(&self, lease: Duration) -> Claimed {
        let mut claimed = self.claim(10, lease).await;
        assert_eq!(claimed.len(), 1, "{claimed:?}");
        claimed.remove(0)
    }

    /// Fails the test if a job is due; `why` says why none may be.
    async fn assert_none_due(&self, why: &str) {
        assert!(self.claim(10, LONG_LEASE).await.is_empty(), "{why}");
    }

    async fn renew(&self, job: &Claimed, lease: Duration) -> bool {
        self.0.renew(job, lease).await.expect("the queue answers")
    }

    async fn complete(&self, job: &Claimed) -> bool {
        self.0.complete(job).await.expect("the queue answers")
    }

    async fn fail(&self, job: &Claimed, error: &str, retry_in: Duration) -> bool {
        self.0
            .fail(job, error, retry_in)
            .await
            .expect("the queue answers")
    }
}

fn id_of(job: &Value) -> i64 {
    job["id"].as_i64().expect("a job has an integer id")
}

/// A job's state and attempts, to compare in one go.
fn progress(job: &Value) -> (&str, i64) {
    let state = job["state"].as_str().expect("a job has a state");
    (
        state,
        job["attempts"].as_i64().expect("a job counts its attempts"),
    )
}

async fn problems(resp: TestResponse) -> Vec<Value> {
    resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let body = kit::testing::json(resp).await;
    body["detail"].as_array().cloned().unwrap_or_default()
}

/// Fails unless the answer is a 422 with a problem at `loc`, of `kind` if given.
async fn assert_problem(resp: TestResponse, loc: Value, kind: Option<&str>) {
    let problems = problems(resp).await;
    let found = problems.iter().find(|p| p["loc"] == loc);
    let problem = found.unwrap_or_else(|| panic!("no problem at {loc}: {problems:?}"));
    if let Some(kind) = kind {
        assert_eq!(problem["type"], kind, "{problem}");
    }
}

/// `FastAPI`'s `BackgroundTasks`: the notification's line, and the middleware under it. The
/// grader's `15.notification*` check the answer, that the line follows it, and that lines
/// are appended whole.
mod notifications {
    use super::*;
    use ch15_background_tasks::{BackgroundTasks, TaskTracker, run_background_tasks};
    use poem::handler;

    #[tokio::test]
    async fn without_a_query_the_message_is_some_notification() {
        let h = Harness::sqlite(&[]).await;
        h.notify("bo@example.com", None).await;
        h.notify("bo@example.com", Some("")).await;
        let lines = h.wait_for_lines("log.txt", 2).await;
        assert_eq!(
            lines,
            ["notification for bo@example.com: some notification"; 2]
        );
    }

    #[tokio::test]
    async fn control_characters_cannot_break_the_line() {
        let h = Harness::sqlite(&[]).await;
        h.notify("eve%0Afake@example.com", Some("two\nlines\r"))
            .await;
        let lines = h.wait_for_lines("log.txt", 1).await;
        assert_eq!(
            lines,
            [r"notification for eve\nfake@example.com: two\nlines\r"]
        );
    }

    #[tokio::test]
    async fn unicode_and_odd_characters_are_written_as_sent() {
        let h = Harness::sqlite(&[]).await;
        h.notify(
            "%C3%A9l%C3%A8ve%40%C3%A9cole.fr",
            Some("'; DROP TABLE jobs; -- ✓ 日本"),
        )
        .await;
        let lines = h.wait_for_lines("log.txt", 1).await;
        assert_eq!(
            lines,
            ["notification for élève@école.fr: '; DROP TABLE jobs; -- ✓ 日本"]
        );
    }

    /// A handler that hands over a task which waits for the test's go-ahead.
    #[handler]
    fn hand_over(req: &poem::Request) -> &'static str {
        let tasks = req
            .extensions()
            .get::<BackgroundTasks>()
            .expect("the middleware adds it");
        let gate = req
            .extensions()
            .get::<Gate>()
            .expect("the test adds it")
            .clone();
        tasks.add_task(async move {
            let open = gate.0.lock().await.take();
            if let Some(open) = open {
                let _ = open.await;
            }
        });
        "handed over"
    }

    #[derive(Clone)]
    struct Gate(Arc<tokio::sync::Mutex<Option<tokio::sync::oneshot::Receiver<()>>>>);

    #[tokio::test]
    async fn the_response_leaves_before_its_background_task_ends_and_a_stop_waits_for_it() {
        let (go, gate) = tokio::sync::oneshot::channel();
        let tracker = TaskTracker::default();
        let app = run_background_tasks(
            hand_over.data(Gate(Arc::new(tokio::sync::Mutex::new(Some(gate))))),
            tracker.clone(),
        );
        let resp = TestClient::new(app).get("/").send().await;
        resp.assert_status_is_ok();
        resp.assert_text("handed over").await;
        // The answer is here, and the task still waits for the gate.
        assert_eq!(tracker.len(), 1);
        let waiting = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.wait().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the stop did not wait for the task");
        go.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the stop ends once the task has")
            .unwrap();
        assert!(tracker.is_empty());
    }
}

/// `POST /emails/` and `GET /jobs/{id}`, and the queue under them, on every backend. The
/// grader's `15.emails.*` and `15.jobs.*` check that a job is queued, delivered, retried and
/// found; these check what the queue does inside.
mod emails {
    use super::*;

    kit::db_tests! {
        async fn a_delivered_email_is_a_file_named_after_its_job_with_its_message_id(db: TestDb) {
            let mut h = Harness::start(db, &[]).await;
            let id = h.queue_email("ana@example.com", "Welcome").await;
            let done = h.wait_for(id, "done").await;
            assert_eq!(done["attempts"], 1);
            let file = h.scratch.text(&format!("outbox/job-{id}.eml"));
            assert!(file.contains("Subject: Welcome\r\n"), "{file}");
            assert!(file.contains("To: ana@example.com\r\n"), "{file}");
            assert!(file.contains(&format!("Message-ID: <job-{id}.")), "{file}");
            assert!(file.ends_with("About Welcome."), "{file}");
            assert!(h.stop().await);
        }

        async fn the_answer_says_where_to_follow_the_job(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let resp = h
                .cli
                .post("/emails")
                .body_json(&json!({"to": "bo@example.com", "subject": "Hi", "body": ""}))
                .send()
                .await;
            resp.assert_status(StatusCode::ACCEPTED);
            let location = resp.0.headers().get("location").expect("a Location header");
            let location = location.to_str().expect("an ASCII Location").to_owned();
            let job = kit::testing::json(resp).await;
            assert_eq!(location, format!("/jobs/{}", id_of(&job)));
            let again = h.cli.get(&location).send().await;
            again.assert_status_is_ok();
            assert_eq!(kit::testing::json(again).await, job);
        }

        async fn text_is_kept_exactly_whatever_it_holds(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let subject = format!("Robert'); DROP TABLE jobs;-- \"✓\" 日本 😀 {}", "é".repeat(150));
            let body = format!("{}\n\\ ' \" ` ; -- /* */ NULL \u{7f}", "😀".repeat(90_000));
            let email = json!({"to": "ünï@example.com", "subject": subject, "body": body});
            let resp = h.post_email(&email).await;
            resp.assert_status(StatusCode::ACCEPTED);
            let id = id_of(&kit::testing::json(resp).await);
            let job = h.job(id).await;
            assert_eq!(job["subject"], subject.as_str());
            assert_eq!(job["to"], "ünï@example.com");
            let claimed = h.another_queue().await.claim_one(LONG_LEASE).await;
            assert_eq!(claimed.body, body);
            assert_eq!(claimed.subject, subject);
        }

        async fn competing_workers_claim_each_job_exactly_once(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let queue = h.another_queue().await;
            let mut ids = Vec::new();
            for i in 0..40 {
                ids.push(queue.enqueue(&format!("job {i}"), 5).await.id);
            }
            // Four workers, each with its own pool, as on four machines.
            let mut workers = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let queue = h.another_queue().await;
                workers.spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let claimed = queue.claim(3, LONG_LEASE).await;
                        if claimed.is_empty() {
                            return mine;
                        }
                        mine.extend(claimed.iter().map(|job| job.id));
                    }
                });
            }
            let mut claimed = Vec::new();
            while let Some(mine) = workers.join_next().await {
                claimed.extend(mine.expect("the task ends"));
            }
            claimed.sort_unstable();
            assert_eq!(claimed, ids, "a job was claimed twice, or not at all");
        }

        async fn a_dead_workers_job_is_taken_again_when_its_lease_expires(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let queue = h.another_queue().await;
            let job = queue.enqueue("lease", 5).await;
            let lease = Duration::from_millis(800);
            let first = queue.claim_one(lease).await;
            assert_eq!(first.attempts, 1);
            queue.assert_none_due("a leased job was taken").await;
            assert_eq!(h.job(job.id).await["state"], "running");
            tokio::time::sleep(lease + Duration::from_millis(200)).await;
            let second = queue.claim_one(lease).await;
            assert_eq!((second.id, second.attempts), (job.id, 2));
            // The first worker comes back too late: its report changes nothing.
            assert!(!queue.complete(&first).await);
            assert!(queue.complete(&second).await);
            assert_eq!(progress(&h.job(job.id).await), ("done", 2));
        }

        async fn a_renewed_lease_keeps_the_job_and_a_taken_over_claim_cannot_renew(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let queue = h.another_queue().await;
            queue.enqueue("renew", 5).await;
            let lease = Duration::from_millis(600);
            let first = queue.claim_one(lease).await;
            // Renewed every 200 ms for three leases: nobody else may take it.
            for _ in 0..9 {
                tokio::time::sleep(lease / 3).await;
                assert!(queue.renew(&first, lease).await);
                queue.assert_none_due("a renewed job was taken").await;
            }
            // Renewals stop, as when the worker dies: the lease runs out and the job is due.
            tokio::time::sleep(lease + Duration::from_millis(200)).await;
            let second = queue.claim_one(lease).await;
            assert_eq!(second.attempts, 2);
            // The first claim is fenced off: it cannot renew what it lost.
            assert!(!queue.renew(&first, lease).await);
        }

        async fn a_job_lost_during_its_last_attempt_is_failed(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let queue = h.another_queue().await;
            let job = queue.enqueue("last", 1).await;
            let lease = Duration::from_millis(500);
            queue.claim_one(lease).await;
            tokio::time::sleep(lease + Duration::from_millis(200)).await;
            queue.assert_none_due("a job past its last attempt was taken").await;
            let failed = h.job(job.id).await;
            assert_eq!(failed["state"], "failed");
            let error = failed["last_error"].as_str().unwrap_or_default();
            assert!(error.contains("lease expired"), "{failed}");
        }

        async fn a_failed_attempt_waits_then_fails_when_the_attempts_are_spent(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let queue = h.another_queue().await;
            let job = queue.enqueue("retry", 2).await;
            let first = queue.claim_one(LONG_LEASE).await;
            assert!(queue.fail(&first, "relay said no", Duration::from_millis(400)).await);
            let queued = h.job(job.id).await;
            assert_eq!(queued["state"], "queued");
            assert_eq!(queued["last_error"], "relay said no");
            queue.assert_none_due("taken before its time").await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let second = queue.claim_one(LONG_LEASE).await;
            assert_eq!(second.attempts, 2);
            assert!(queue.fail(&second, "relay said no again", Duration::ZERO).await);
            let failed = h.job(job.id).await;
            assert_eq!(progress(&failed), ("failed", 2));
            assert_eq!(failed["last_error"], "relay said no again");
            queue.assert_none_due("a failed job was taken").await;
        }
    }
}

/// Delivery over SMTP to the tests' own relay, which can also refuse, hang or hang up: what
/// arrives there, and how the worker fares, no HTTP answer shows.
mod delivery {
    use super::*;

    async fn over(smtp: &TestSmtp, settings: &[(&str, &str)]) -> Harness {
        let mut all = vec![("SMTP_URL", smtp.url.as_str())];
        all.extend_from_slice(settings);
        Harness::sqlite(&all).await
    }

    #[tokio::test]
    async fn each_job_is_one_message_with_a_message_id_of_its_own() {
        let smtp = TestSmtp::start(ACCEPT).await;
        let mut h = over(&smtp, &[]).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(
                h.queue_email(&format!("user{n}@example.com"), &format!("Note {n}"))
                    .await,
            );
        }
        for id in &ids {
            h.wait_for(*id, "done").await;
        }
        let messages = smtp.messages();
        assert_eq!(messages.len(), 3);
        for (n, id) in ids.iter().enumerate() {
            let message = messages
                .iter()
                .find(|m| m.header("Subject").as_deref() == Some(&format!("Note {n}")))
                .expect("each job arrived");
            assert_eq!(message.recipients, [format!("<user{n}@example.com>")]);
            let message_id = message.header("Message-ID").unwrap();
            assert!(
                message_id.starts_with(&format!("<job-{id}.")),
                "{message_id}"
            );
            assert!(
                message
                    .header("From")
                    .unwrap()
                    .contains("noreply@example.com")
            );
        }
        assert!(h.stop().await);
    }

    #[tokio::test]
    async fn a_refusing_relay_is_retried_then_the_job_fails_and_the_worker_goes_on() {
        let smtp = TestSmtp::start(Mode::Refuse).await;
        let mut h = over(&smtp, &[("JOB_MAX_ATTEMPTS", "3")]).await;
        let id = h.queue_email("no@example.com", "Refused").await;
        let failed = h.wait_for(id, "failed").await;
        assert_eq!(failed["attempts"], 3);
        let error = failed["last_error"].as_str().unwrap();
        assert!(error.contains("550"), "{error}");
        assert_eq!(smtp.connections(), 3);
        smtp.set_mode(ACCEPT);
        let next = h.queue_email("yes@example.com", "Accepted").await;
        assert_eq!(h.wait_for(next, "done").await["attempts"], 1);
        assert!(h.stop().await);
    }

    #[tokio::test]
    async fn a_silent_relay_costs_a_timeout_per_attempt_not_a_stuck_worker() {
        let smtp = TestSmtp::start(Mode::Hang).await;
        let mut h = over(
            &smtp,
            &[
                ("JOB_MAX_ATTEMPTS", "2"),
                ("SMTP_TIMEOUT_SECS", "1"),
                ("JOB_LEASE_SECS", "2"),
            ],
        )
        .await;
        let id = h.queue_email("slow@example.com", "Silence").await;
        let failed = h.wait_for(id, "failed").await;
        assert_eq!(failed["attempts"], 2);
        let error = failed["last_error"].as_str().unwrap();
        assert!(
            error.contains("timed out") || error.contains("gave up"),
            "{error}"
        );
        smtp.set_mode(ACCEPT);
        let next = h.queue_email("fast@example.com", "Answered").await;
        h.wait_for(next, "done").await;
        assert!(h.stop().await);
    }

    #[tokio::test]
    async fn a_relay_that_hangs_up_is_retried_then_the_job_fails() {
        let smtp = TestSmtp::start(Mode::Drop).await;
        let h = over(&smtp, &[("JOB_MAX_ATTEMPTS", "2")]).await;
        let id = h.queue_email("cut@example.com", "Cut off").await;
        let failed = h.wait_for(id, "failed").await;
        assert_eq!(failed["attempts"], 2);
        assert!(!failed["last_error"].as_str().unwrap().is_empty());
        smtp.set_mode(ACCEPT);
        let next = h.queue_email("back@example.com", "Back").await;
        h.wait_for(next, "done").await;
    }

    #[tokio::test]
    async fn a_job_outlives_a_relay_outage() {
        let smtp = TestSmtp::start(Mode::Refuse).await;
        let h = over(
            &smtp,
            &[("JOB_RETRY_BASE_MS", "300"), ("JOB_RETRY_MAX_MS", "300")],
        )
        .await;
        let id = h.queue_email("patient@example.com", "Eventually").await;
        let deadline = Instant::now() + PATIENCE;
        while smtp.connections() == 0 {
            assert!(Instant::now() < deadline, "the relay was never tried");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        smtp.set_mode(ACCEPT);
        let done = h.wait_for(id, "done").await;
        assert!(done["attempts"].as_i64().unwrap() >= 2, "{done}");
        // The error of the failed attempt stays, for whoever wonders why it took a while.
        assert!(
            done["last_error"].as_str().unwrap().contains("550"),
            "{done}"
        );
        assert_eq!(smtp.messages().len(), 1);
    }

    #[tokio::test]
    async fn a_stop_waits_for_a_delivery_in_progress() {
        let smtp = TestSmtp::start(Mode::Accept {
            delay: Duration::from_millis(800),
        })
        .await;
        let mut h = over(&smtp, &[]).await;
        let id = h.queue_email("wait@example.com", "Finish me").await;
        h.wait_for(id, "running").await;
        assert!(
            h.stop().await,
            "the running job did not finish within the limit"
        );
        assert_eq!(h.job(id).await["state"], "done");
        assert_eq!(smtp.messages().len(), 1);
    }
}

/// Bad input the grader's `15.jobs.*`, `15.emails.invalid` and `15.slow.bounds` do not send:
/// always a 4xx with a body, never a 500.
mod bad_input {
    use super::*;

    fn email(to: &str, subject: &str, body: &str) -> Value {
        json!({"to": to, "subject": subject, "body": body})
    }

    #[tokio::test]
    async fn a_job_id_is_any_i64_and_nothing_else() {
        let h = Harness::sqlite(&[]).await;
        for (path, kind) in [("/jobs/1.5", Some("int_parsing")), ("/jobs/%20", None)] {
            let resp = h.cli.get(path).send().await;
            assert_problem(resp, json!(["path", "id"]), kind).await;
        }
        // Negative, zero and the largest ids are simply unknown.
        for path in ["/jobs/-1", "/jobs/0", "/jobs/9223372036854775807"] {
            let resp = h.cli.get(path).send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Job not found"})).await;
        }
    }

    #[tokio::test]
    async fn an_address_must_have_one_at_between_two_parts() {
        let h = Harness::sqlite(&[]).await;
        for to in ["a@", "@example.com", "", "two@at@example.com"] {
            let resp = h.post_email(&email(to, "s", "b")).await;
            assert_problem(resp, json!(["body", "to"]), None).await;
        }
    }

    #[tokio::test]
    async fn each_missing_field_is_its_own_problem() {
        let h = Harness::sqlite(&[]).await;
        let problems = problems(h.post_email(&json!({})).await).await;
        let missing: Vec<&Value> = problems.iter().map(|p| &p["loc"]).collect();
        assert_eq!(
            missing,
            [
                &json!(["body", "to"]),
                &json!(["body", "subject"]),
                &json!(["body", "body"])
            ]
        );
        assert!(problems.iter().all(|p| p["type"] == "missing"));
    }

    #[tokio::test]
    async fn a_subject_is_one_line_of_1_to_200_characters() {
        let h = Harness::sqlite(&[]).await;
        for (subject, kind) in [
            (String::new(), "string_too_short"),
            ("s".repeat(201), "string_too_long"),
            (
                "Hi\r\nBcc: everyone@example.com".to_owned(),
                "string_pattern_mismatch",
            ),
            ("line\nbreak".to_owned(), "string_pattern_mismatch"),
        ] {
            let resp = h.post_email(&email("a@example.com", &subject, "")).await;
            assert_problem(resp, json!(["body", "subject"]), Some(kind)).await;
        }
        // 200 characters are fine, however many bytes they take.
        let resp = h
            .post_email(&email("a@example.com", &"é".repeat(200), ""))
            .await;
        resp.assert_status(StatusCode::ACCEPTED);
    }

    #[tokio::test]
    async fn a_body_is_up_to_100000_characters_without_nul() {
        let h = Harness::sqlite(&[]).await;
        let resp = h
            .post_email(&email("a@example.com", "s", &"b".repeat(100_001)))
            .await;
        assert_problem(resp, json!(["body", "body"]), Some("string_too_long")).await;
        // PostgreSQL cannot store a NUL in text, and no email carries one: refused everywhere.
        for (subject, body) in [("s", "a\u{0}b"), ("s\u{0}", "b")] {
            let problems =
                problems(h.post_email(&email("a@example.com", subject, body)).await).await;
            assert_eq!(
                problems[0]["type"], "string_pattern_mismatch",
                "{problems:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_email_is_422_never_500() {
        let h = Harness::sqlite(&[]).await;
        for body in [
            "",
            "[1, 2]",
            r#"{"to": 5, "subject": true, "body": null}"#,
            r#"{"to": ["a@example.com"], "subject": "s", "body": "b"}"#,
            "\u{FEFF}{}",
        ] {
            let resp = h
                .cli
                .post("/emails/")
                .content_type("application/json")
                .body(body)
                .send()
                .await;
            let problems = problems(resp).await;
            assert!(!problems.is_empty(), "{body}");
        }
        let resp = h
            .cli
            .post("/emails/")
            .body(r#"{"to": "a@example.com"}"#)
            .send()
            .await;
        assert_problem(resp, json!(["body"]), None).await;
    }

    #[tokio::test]
    async fn seconds_must_be_a_whole_number_from_0_to_30() {
        let h = Harness::sqlite(&[]).await;
        for path in ["/slow-async", "/slow-blocking", "/slow-spawn-blocking"] {
            for (value, kind) in [
                ("31", Some("less_than_equal")),
                ("-1", Some("greater_than_equal")),
                ("abc", Some("int_parsing")),
                ("2.0", Some("int_parsing")),
                ("99999999999999999999", None),
                ("%FF", None),
                ("+5", None),
            ] {
                let resp = h.cli.get(format!("{path}?seconds={value}")).send().await;
                assert_problem(resp, json!(["query", "seconds"]), kind).await;
            }
        }
    }

    #[tokio::test]
    async fn the_notification_email_is_any_text_but_valid_utf_8() {
        let h = Harness::sqlite(&[]).await;
        let resp = h.cli.post("/send-notification/%FF%FE").send().await;
        assert_problem(resp, json!(["path", "email"]), None).await;
        // In a query, bytes that are not UTF-8 are replaced, as Python does.
        h.cli
            .post("/send-notification/a?q=%FF")
            .send()
            .await
            .assert_status_is_ok();
        let lines = h.wait_for_lines("log.txt", 1).await;
        assert_eq!(lines, ["notification for a: \u{FFFD}"]);
        // The path names the recipient: a missing one is no route at all.
        let resp = h.cli.post("/send-notification/").send().await;
        resp.assert_status(StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn wrong_methods_and_paths_answer_in_json() {
        let h = Harness::sqlite(&[]).await;
        let resp = h.cli.get("/send-notification/a@example.com").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        resp.assert_json(json!({"detail": "Method Not Allowed"}))
            .await;
        let resp = h.cli.put("/jobs/1").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        let resp = h.cli.get("/emails/").send().await;
        resp.assert_status(StatusCode::METHOD_NOT_ALLOWED);
        let resp = h.cli.get("/nowhere").send().await;
        resp.assert_json(json!({"detail": "Not Found"})).await;
    }
}

/// Blocking versus async, and the request timeout. The grader's `15.slow.*` check that both
/// answer, and `15.timeout` that an async wait is cut short; these check what each says and
/// what a timeout cannot cut.
mod slow {
    use super::*;

    #[tokio::test]
    async fn each_way_of_waiting_says_how_long_it_took() {
        let h = Harness::sqlite(&[]).await;
        for path in ["/slow-async", "/slow-blocking", "/slow-spawn-blocking"] {
            let resp = h.cli.get(format!("{path}?seconds=0")).send().await;
            resp.assert_status_is_ok();
            let body = kit::testing::json(resp).await;
            assert_eq!(body["seconds"], 0, "{path}");
            assert!(body["processing_time"].as_f64().unwrap() >= 0.0, "{path}");
        }
        // Without `seconds`, one second.
        let resp = h.cli.get("/slow-async").send().await;
        let body = kit::testing::json(resp).await;
        assert_eq!(body["seconds"], 1);
        assert!(body["processing_time"].as_f64().unwrap() >= 1.0);
    }

    #[tokio::test]
    async fn a_timeout_cannot_stop_a_blocked_thread() {
        let h = Harness::sqlite(&[("REQUEST_TIMEOUT_SECS", "1")]).await;
        let resp = h.cli.get("/slow-blocking?seconds=2").send().await;
        // The limit passed while the thread slept; nothing could stop it, and its answer won.
        resp.assert_status_is_ok();
        let body = kit::testing::json(resp).await;
        assert!(body["processing_time"].as_f64().unwrap() >= 2.0);
    }

    #[tokio::test]
    async fn a_timeout_answers_on_time_for_work_on_the_blocking_pool() {
        let h = Harness::sqlite(&[("REQUEST_TIMEOUT_SECS", "1")]).await;
        let resp = h.cli.get("/slow-spawn-blocking?seconds=2").send().await;
        resp.assert_status(StatusCode::GATEWAY_TIMEOUT);
        resp.assert_json(json!({"detail": "Request timeout"})).await;
    }
}

/// The OpenAPI document and representative bodies, as reviewed; the grader's `15.openapi`
/// only checks that the operations are there.
mod docs {
    use super::*;

    #[tokio::test]
    async fn the_openapi_document_is_as_reviewed() {
        let h = Harness::sqlite(&[]).await;
        let resp = h.cli.get("/openapi.json").send().await;
        resp.assert_status_is_ok();
        assert_json_snapshot!("openapi", kit::testing::json(resp).await);
    }

    #[tokio::test]
    async fn every_operation_has_a_summary_a_description_and_a_tag() {
        let h = Harness::sqlite(&[]).await;
        let doc = kit::testing::json(h.cli.get("/openapi.json").send().await).await;
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                for field in ["summary", "description"] {
                    assert!(
                        op[field].as_str().is_some_and(|s| !s.is_empty()),
                        "{method} {path}: {field}"
                    );
                }
                assert_eq!(
                    op["tags"].as_array().map(Vec::len),
                    Some(1),
                    "{method} {path}"
                );
            }
        }
        assert_eq!(operations, 9);
    }

    /// The timeout's 504 is a real answer of every operation but the blocking one, which it
    /// cannot cut short: the document says so, and the answer is the body it promises.
    #[tokio::test]
    async fn the_document_lists_the_504_the_timeout_answers() {
        let h = Harness::sqlite(&[("REQUEST_TIMEOUT_SECS", "1")]).await;
        let doc = kit::testing::json(h.cli.get("/openapi.json").send().await).await;
        let mut listed = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let timeout = &op["responses"]["504"];
                if (path.as_str(), method.as_str()) == ("/slow-blocking", "get") {
                    assert!(timeout.is_null(), "{method} {path}: {timeout}");
                    continue;
                }
                listed += 1;
                assert_eq!(
                    timeout["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
                    "#/components/schemas/Detail",
                    "{method} {path}"
                );
            }
        }
        assert_eq!(listed, 8);
        for path in ["/slow-async?seconds=2", "/slow-spawn-blocking?seconds=2"] {
            let resp = h.cli.get(path).send().await;
            resp.assert_status(StatusCode::GATEWAY_TIMEOUT);
            resp.assert_content_type("application/json; charset=utf-8");
            resp.assert_json(json!({"detail": "Request timeout"})).await;
        }
    }

    #[tokio::test]
    async fn representative_bodies_are_as_reviewed() {
        let h =
            Harness::sqlite(&[("WORKER_CONCURRENCY", "0"), ("REQUEST_TIMEOUT_SECS", "1")]).await;
        let job = h.send_email("ana@example.com", "Welcome").await;
        assert_json_snapshot!("job_queued", job);
        let resp = h
            .post_email(&json!({"to": "ana", "subject": "", "body": 5}))
            .await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("email_422", kit::testing::json(resp).await);
        let resp = h.cli.get("/slow-async?seconds=31").send().await;
        assert_json_snapshot!("seconds_422", kit::testing::json(resp).await);
        let resp = h.cli.get("/slow-async?seconds=2").send().await;
        assert_json_snapshot!("timeout_504", kit::testing::json(resp).await);
    }
}

/// The exercises: cancelling, listing, retrying. The grader's `15.ex.*` check them over HTTP;
/// these put jobs in each state by hand, and check what the queue does with them afterwards.
mod exercises {
    use super::*;

    /// What `GET /jobs/{query}` lists, in its order, as `[[id, state], …]`.
    async fn listed(h: &Harness, query: &str) -> Value {
        let resp = h.cli.get(format!("/jobs/{query}")).send().await;
        resp.assert_status_is_ok();
        let jobs = kit::testing::json(resp).await;
        let jobs = jobs.as_array().cloned().unwrap_or_default();
        jobs.iter()
            .map(|job| json!([id_of(job), job["state"]]))
            .collect()
    }

    kit::db_tests! {
        async fn a_cancelled_job_is_gone_and_never_claimed(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let id = h.queue_email("c@example.com", "Never mind").await;
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::NO_CONTENT);
            resp.assert_bytes(b"").await;
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Job not found"})).await;
            h.another_queue().await.assert_none_due("a cancelled job was claimed").await;
        }

        async fn a_running_job_cannot_be_cancelled_until_it_is_done(db: TestDb) {
            let h = Harness::idle(db, &[]).await;
            let id = h.queue_email("r@example.com", "Busy").await;
            let queue = h.another_queue().await;
            let claimed = queue.claim_one(LONG_LEASE).await;
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::CONFLICT);
            resp.assert_json(json!({"detail": "Job is running"})).await;
            assert!(queue.complete(&claimed).await);
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::NO_CONTENT);
        }

        async fn jobs_are_listed_by_id_and_by_state(db: TestDb) {
            let h = Harness::idle(db, &[("JOB_MAX_ATTEMPTS", "1")]).await;
            let mut ids = Vec::new();
            for subject in ["one", "two", "three"] {
                ids.push(h.queue_email("a@example.com", subject).await);
            }
            // The first fails, the second is done, the third stays queued.
            let queue = h.another_queue().await;
            let mut claimed = queue.claim(2, LONG_LEASE).await;
            let second = claimed.pop().expect("two jobs claimed");
            let first = claimed.pop().expect("two jobs claimed");
            assert!(queue.fail(&first, "no such mailbox", Duration::ZERO).await);
            assert!(queue.complete(&second).await);
            let [failed, done, queued] = [ids[0], ids[1], ids[2]];
            let all = json!([[failed, "failed"], [done, "done"], [queued, "queued"]]);
            assert_eq!(listed(&h, "").await, all);
            assert_eq!(listed(&h, "?state=failed").await, json!([[failed, "failed"]]));
            assert_eq!(listed(&h, "?state=done").await, json!([[done, "done"]]));
            assert_eq!(listed(&h, "?state=queued").await, json!([[queued, "queued"]]));
            assert_eq!(listed(&h, "?state=running").await, json!([]));
            assert_eq!(listed(&h, "?skip=1&limit=1").await, json!([[done, "done"]]));
            assert_eq!(listed(&h, "?limit=0").await, json!([]));
            let resp = h.cli.get("/jobs/?state=failed").send().await;
            assert_eq!(kit::testing::json(resp).await[0]["last_error"], "no such mailbox");
            for (query, field, kind) in [
                ("state=lost", "state", Some("enum")),
                ("skip=-1", "skip", None),
                ("limit=abc", "limit", Some("int_parsing")),
            ] {
                let resp = h.cli.get(format!("/jobs/?{query}")).send().await;
                assert_problem(resp, json!(["query", field]), kind).await;
            }
        }

        async fn only_a_failed_job_can_be_retried_and_it_starts_again_at_attempt_1(db: TestDb) {
            let h = Harness::idle(db, &[("JOB_MAX_ATTEMPTS", "1")]).await;
            let id = h.queue_email("f@example.com", "Again").await;
            // Queued is not failed.
            let resp = h.cli.post(format!("/jobs/{id}/retry")).send().await;
            resp.assert_status(StatusCode::CONFLICT);
            resp.assert_json(json!({"detail": "Only a failed job can be retried"})).await;
            let queue = h.another_queue().await;
            let claimed = queue.claim_one(LONG_LEASE).await;
            assert!(queue.fail(&claimed, "mailbox full", Duration::ZERO).await);
            assert_eq!(h.job(id).await["state"], "failed");
            let resp = h.cli.post(format!("/jobs/{id}/retry")).send().await;
            resp.assert_status_is_ok();
            let job = kit::testing::json(resp).await;
            assert_eq!(progress(&job), ("queued", 0));
            assert_eq!(job["last_error"], "mailbox full");
            let again = queue.claim_one(LONG_LEASE).await;
            assert_eq!((again.id, again.attempts), (id, 1));
            let resp = h.cli.post("/jobs/424242/retry").send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Job not found"})).await;
        }
    }

    #[tokio::test]
    async fn a_retried_job_is_delivered_by_the_worker() {
        let smtp = TestSmtp::start(Mode::Refuse).await;
        let h = Harness::sqlite(&[("SMTP_URL", &smtp.url), ("JOB_MAX_ATTEMPTS", "1")]).await;
        let id = h.queue_email("late@example.com", "Second chance").await;
        h.wait_for(id, "failed").await;
        smtp.set_mode(ACCEPT);
        h.cli
            .post(format!("/jobs/{id}/retry"))
            .send()
            .await
            .assert_status_is_ok();
        let done = h.wait_for(id, "done").await;
        assert_eq!(done["attempts"], 1);
        assert_eq!(smtp.messages().len(), 1);
    }
}

/// The program itself: graded, crashed, stopped, restarted, and refused a start.
mod program {
    use std::path::Path;
    use std::process::Stdio;

    use std::io::Write as _;

    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::{Child, Command};

    use super::*;

    const PROGRAM: &str = env!("CARGO_BIN_EXE_ch15-background-tasks");

    #[tokio::test]
    async fn the_grader_passes_every_check() {
        let report = grader::grade_program("15", PROGRAM).await;
        assert!(report.passed(), "{}", report.to_text());
    }

    /// The program, to be run in `dir`. The DATA_DIR that cargo sets for tests would send the
    /// default files out of `dir`.
    fn command(dir: &Path) -> Command {
        let mut command = Command::new(PROGRAM);
        command
            .args(["--port", "0"])
            .current_dir(dir)
            .env_remove("DATA_DIR")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs the program in `dir` with `key=value`, which must stop it; returns what it said.
    async fn refused_start(dir: &Path, key: &str, value: &str) -> std::process::Output {
        let output = command(dir).env(key, value).output();
        let output = tokio::time::timeout(PATIENCE, output)
            .await
            .expect("it stops")
            .expect("its output is readable");
        assert!(!output.status.success(), "it started with {key}={value}");
        output
    }

    /// The program, started in `dir` with `env`.
    struct Running {
        child: Child,
        url: String,
        http: reqwest::Client,
    }

    impl Running {
        async fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
            let mut child = command(dir)
                .envs(env.iter().copied())
                .env("RUST_LOG", "error")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("the program starts");
            let stdout = child.stdout.take().expect("stdout is piped");
            let mut line = String::new();
            tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
                .await
                .expect("the program listens in time")
                .expect("its output is readable");
            let url = line
                .trim_end()
                .strip_prefix("listening on ")
                .expect(&line)
                .to_owned();
            Self {
                child,
                url,
                http: reqwest::Client::new(),
            }
        }

        async fn send_email(&self, subject: &str) -> i64 {
            let job: Value = self
                .http
                .post(format!("{}/emails/", self.url))
                .json(&json!({"to": "crash@example.com", "subject": subject, "body": subject}))
                .send()
                .await
                .expect("the program answers")
                .json()
                .await
                .expect("with JSON");
            id_of(&job)
        }

        async fn states(&self, ids: &[i64]) -> Vec<String> {
            let mut states = Vec::new();
            for id in ids {
                let job: Value = self
                    .http
                    .get(format!("{}/jobs/{id}", self.url))
                    .send()
                    .await
                    .expect("the program answers")
                    .json()
                    .await
                    .expect("with JSON");
                states.push(job["state"].as_str().unwrap_or_default().to_owned());
            }
            states
        }

        async fn wait_all_done(&self, ids: &[i64]) {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let states = self.states(ids).await;
                if states.iter().all(|s| s == "done") {
                    return;
                }
                assert!(Instant::now() < deadline, "not all delivered: {states:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }

        fn signal(&self, name: &str) {
            let pid = self.child.id().expect("the program runs").to_string();
            let sent = std::process::Command::new("kill")
                .args([name, &pid])
                .status()
                .expect("kill runs");
            assert!(sent.success());
        }

        async fn exit(&mut self) -> std::process::ExitStatus {
            tokio::time::timeout(PATIENCE, self.child.wait())
                .await
                .expect("the program stops in time")
                .expect("its status is known")
        }
    }

    fn count(states: &[String], state: &str) -> usize {
        states.iter().filter(|s| *s == state).count()
    }

    /// How many times each subject arrived.
    fn arrivals(smtp: &TestSmtp, subjects: &[String]) -> Vec<usize> {
        let messages = smtp.messages();
        subjects
            .iter()
            .map(|subject| {
                messages
                    .iter()
                    .filter(|m| m.header("Subject").as_deref() == Some(subject.as_str()))
                    .count()
            })
            .collect()
    }

    /// Waits until at least `n` messages with one of `subjects` have arrived.
    async fn wait_arrivals(smtp: &TestSmtp, subjects: &[String], n: usize) {
        let deadline = Instant::now() + PATIENCE;
        while arrivals(smtp, subjects).iter().sum::<usize>() < n {
            assert!(Instant::now() < deadline, "nothing arrives at the relay");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The grader on the database servers; SQLite is graded by the test above, with the
    /// default DATABASE_URL.
    mod graded {
        use super::*;

        kit::server_db_tests! {
            async fn the_grader_passes_every_check_on_this_database(db: TestDb) {
                let env = [("DATABASE_URL", db.url.as_str())];
                let report = grader::grade_program_with_env("15", PROGRAM, &env).await;
                assert!(report.passed(), "{}", report.to_text());
            }
        }
    }

    kit::db_tests! {
        // ANCHOR: crash_test
        async fn no_job_is_lost_to_sigkill_and_none_is_sent_twice_after_sigterm(db: TestDb) {
            const JOBS: usize = 12;
            // A slow relay: each message waits 600 ms for its final "250", so some jobs are
            // always in the middle of a delivery.
            let smtp = TestSmtp::start(Mode::Accept { delay: Duration::from_millis(600) }).await;
            let scratch = Scratch::new();
            let env = [
                ("DATABASE_URL", db.url.as_str()),
                ("SMTP_URL", smtp.url.as_str()),
                // Room for a 600 ms delivery on a busy machine: a delivery that times out after
                // the relay took the message would be sent again, as SMTP allows.
                ("SMTP_TIMEOUT_SECS", "4"),
                ("JOB_LEASE_SECS", "5"),
                ("WORKER_CONCURRENCY", "3"),
                ("WORKER_POLL_MS", "100"),
                ("SHUTDOWN_TIMEOUT_SECS", "20"),
            ];

            // 1. A crash: SIGKILL while jobs are queued and running.
            let mut app = Running::start(&scratch.0, &env).await;
            let crashed: Vec<String> = (0..JOBS).map(|i| format!("crash {i}")).collect();
            let mut ids = Vec::new();
            for subject in &crashed {
                ids.push(app.send_email(subject).await);
            }
            wait_arrivals(&smtp, &crashed, 1).await;
            let at_kill = app.states(&ids).await;
            app.child.start_kill().expect("the program can be killed");
            app.exit().await;

            // A restart delivers everything: the running ones once their lease expires.
            let app = Running::start(&scratch.0, &env).await;
            app.wait_all_done(&ids).await;
            let after_crash = arrivals(&smtp, &crashed);
            assert!(after_crash.iter().all(|n| *n >= 1), "a job was lost: {after_crash:?}");
            let duplicates: usize = after_crash.iter().map(|n| n - 1).sum();
            // Every copy of a job carries the job's Message-ID: a receiver can drop the extras.
            let message_ids: std::collections::HashSet<String> = smtp
                .messages()
                .iter()
                .filter(|m| m.header("Subject").is_some_and(|s| s.starts_with("crash ")))
                .filter_map(|m| m.header("Message-ID"))
                .collect();
            assert_eq!(message_ids.len(), JOBS, "copies of one job must share its Message-ID");

            // 2. A clean stop: SIGTERM while jobs are queued and running.
            let stopped: Vec<String> = (0..JOBS).map(|i| format!("clean {i}")).collect();
            let mut ids = Vec::new();
            for subject in &stopped {
                ids.push(app.send_email(subject).await);
            }
            wait_arrivals(&smtp, &stopped, 1).await;
            let at_term = app.states(&ids).await;
            let mut app = app;
            app.signal("-TERM");
            let status = app.exit().await;
            assert!(status.success(), "{status}");
            let app = Running::start(&scratch.0, &env).await;
            app.wait_all_done(&ids).await;
            let after_stop = arrivals(&smtp, &stopped);
            assert!(after_stop.iter().all(|n| *n == 1), "sent twice after a clean stop: {after_stop:?}");
            app.signal("-TERM");

            // Straight to standard error, past the test harness's capture, so that CI's log
            // shows it even when the test passes.
            let _ = writeln!(
                std::io::stderr(),
                "{}: SIGKILL with {} queued, {} running, {} done of {JOBS} -> after restart {}/{JOBS} \
                 delivered, {duplicates} duplicate(s) (at-least-once) under {} distinct Message-IDs; \
                 SIGTERM with {} queued, {} running, {} done -> after restart {}/{JOBS} delivered, \
                 each exactly once",
                db.backend.name(),
                count(&at_kill, "queued"),
                count(&at_kill, "running"),
                count(&at_kill, "done"),
                after_crash.iter().filter(|n| **n >= 1).count(),
                message_ids.len(),
                count(&at_term, "queued"),
                count(&at_term, "running"),
                count(&at_term, "done"),
                after_stop.iter().filter(|n| **n == 1).count(),
            );
        }
        // ANCHOR_END: crash_test
    }

    #[tokio::test]
    async fn an_unreachable_database_stops_the_start_and_hides_the_password() {
        let scratch = Scratch::new();
        let url = "postgres://app:s3cret@127.0.0.1:1/jobs";
        let output = refused_start(&scratch.0, "DATABASE_URL", url).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("error: cannot connect to postgres://app:***@127.0.0.1:1/jobs"),
            "{stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{stderr}");
        assert!(output.stdout.is_empty(), "it must not say it listens");
    }

    #[tokio::test]
    async fn a_bad_setting_stops_the_start_and_names_it() {
        let scratch = Scratch::new();
        for (key, value, says) in [
            (
                "JOB_MAX_ATTEMPTS",
                "0",
                "error: JOB_MAX_ATTEMPTS: must be a whole number from 1 to 100",
            ),
            (
                "SMTP_URL",
                "smtp://me:pw@relay:25",
                "error: SMTP_URL: must not carry a user or password",
            ),
            (
                "DATABASE_URL",
                "redis://cache",
                "error: DATABASE_URL: must start with sqlite://",
            ),
            // Each pooled connection would open its own empty database: every request a 500.
            (
                "DATABASE_URL",
                "sqlite::memory:",
                "error: DATABASE_URL: an in-memory SQLite database",
            ),
        ] {
            let output = refused_start(&scratch.0, key, value).await;
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(says), "{stderr}");
            assert!(!stderr.contains(":pw@"), "{stderr}");
        }
    }

    #[tokio::test]
    async fn with_data_dir_the_default_files_are_in_a_folder_of_the_package_made_at_start() {
        let scratch = Scratch::new();
        let data = scratch.path("data");
        let mut app = Running::start(&scratch.0, &[("DATA_DIR", data.to_str().unwrap())]).await;
        let id = app.send_email("data").await;
        app.wait_all_done(&[id]).await;
        let notified = app
            .http
            .post(format!("{}/send-notification/a@example.com", app.url))
            .send()
            .await
            .expect("the program answers");
        assert_eq!(notified.status(), reqwest::StatusCode::OK);
        app.signal("-TERM");
        assert!(app.exit().await.success());
        let folder = data.join("ch15-background-tasks");
        assert!(folder.join("ch15.db").is_file());
        assert!(folder.join(format!("outbox/job-{id}.eml")).is_file());
        let log = std::fs::read_to_string(folder.join("log.txt")).unwrap_or_default();
        assert_eq!(log, "notification for a@example.com: some notification\n");
        let left: Vec<_> = std::fs::read_dir(&scratch.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(left, ["data"], "nothing else is left where it runs");
    }

    #[tokio::test]
    async fn the_default_database_is_a_sqlite_file_made_where_it_runs() {
        let scratch = Scratch::new();
        let mut app = Running::start(&scratch.0, &[]).await;
        let id = app.send_email("default").await;
        app.wait_all_done(&[id]).await;
        assert!(scratch.path("ch15.db").is_file());
        assert!(scratch.path(&format!("outbox/job-{id}.eml")).is_file());
        app.signal("-TERM");
        assert!(app.exit().await.success());
    }
}
