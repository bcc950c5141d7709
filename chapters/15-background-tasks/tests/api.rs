//! Chapter 15's contract, checked in-process with poem's test client (the worker runs inside
//! the test, on a database of its own), and the built program checked from outside: graded,
//! killed, stopped and restarted.
//!
//! Tests that touch the database run on SQLite, PostgreSQL and MySQL/MariaDB
//! (`kit::db_tests!`); the others use SQLite. Nothing here measures speed: the benchmark does
//! (`scripts/bench-blocking`).

mod smtp;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ch15_background_tasks::{Config, Queue, Service};
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

    /// A queue of its own on the same database, as another machine's worker would have.
    async fn another_queue(&self) -> Queue {
        Queue::connect(&self.db.url)
            .await
            .expect("a second connection")
    }

    async fn send_email(&self, to: &str, subject: &str) -> Value {
        let resp = self
            .cli
            .post("/emails/")
            .body_json(&json!({"to": to, "subject": subject, "body": format!("About {subject}.")}))
            .send()
            .await;
        resp.assert_status(StatusCode::ACCEPTED);
        kit::testing::json(resp).await
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

fn id_of(job: &Value) -> i64 {
    job["id"].as_i64().expect("a job has an integer id")
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

/// `FastAPI`'s `BackgroundTasks`: the notification endpoint, and the middleware under it.
mod notifications {
    use super::*;
    use ch15_background_tasks::{BackgroundTasks, TaskTracker, run_background_tasks};
    use poem::handler;

    #[tokio::test]
    async fn the_notification_answers_at_once_and_its_line_follows() {
        let mut h = Harness::sqlite(&[]).await;
        let resp = h
            .cli
            .post("/send-notification/ana@example.com")
            .query("q", &"meeting at noon")
            .send()
            .await;
        resp.assert_status_is_ok();
        resp.assert_json(json!({"message": "Notification sent in the background"}))
            .await;
        let lines = h.wait_for_lines("log.txt", 1).await;
        assert_eq!(lines, ["notification for ana@example.com: meeting at noon"]);
        assert!(h.stop().await);
    }

    #[tokio::test]
    async fn without_a_query_the_message_is_some_notification() {
        let h = Harness::sqlite(&[]).await;
        h.cli
            .post("/send-notification/bo@example.com")
            .send()
            .await
            .assert_status_is_ok();
        let lines = h.wait_for_lines("log.txt", 1).await;
        h.cli
            .post("/send-notification/bo@example.com?q=")
            .send()
            .await
            .assert_status_is_ok();
        let lines_after = h.wait_for_lines("log.txt", 2).await;
        assert_eq!(
            lines,
            ["notification for bo@example.com: some notification"]
        );
        assert_eq!(lines_after[1], lines[0]);
    }

    #[tokio::test]
    async fn the_log_is_appended_to_not_replaced() {
        let h = Harness::sqlite(&[]).await;
        std::fs::write(h.scratch.path("log.txt"), "an older line\n").unwrap();
        h.cli
            .post("/send-notification/x?q=new")
            .send()
            .await
            .assert_status_is_ok();
        let lines = h.wait_for_lines("log.txt", 2).await;
        assert_eq!(lines, ["an older line", "notification for x: new"]);
    }

    #[tokio::test]
    async fn control_characters_cannot_break_the_line() {
        let h = Harness::sqlite(&[]).await;
        h.cli
            .post("/send-notification/eve%0Afake@example.com?q=two%0Alines%0D")
            .send()
            .await
            .assert_status_is_ok();
        let lines = h.wait_for_lines("log.txt", 1).await;
        assert_eq!(
            lines,
            [r"notification for eve\nfake@example.com: two\nlines\r"]
        );
    }

    #[tokio::test]
    async fn unicode_and_odd_characters_are_written_as_sent() {
        let h = Harness::sqlite(&[]).await;
        h.cli
            .post("/send-notification/%C3%A9l%C3%A8ve%40%C3%A9cole.fr")
            .query("q", &"'; DROP TABLE jobs; -- ✓ 日本")
            .send()
            .await
            .assert_status_is_ok();
        let lines = h.wait_for_lines("log.txt", 1).await;
        assert_eq!(
            lines,
            ["notification for élève@école.fr: '; DROP TABLE jobs; -- ✓ 日本"]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_notifications_never_mix_their_lines() {
        let h = Harness::sqlite(&[]).await;
        let filler = "x".repeat(4000);
        let mut sends = tokio::task::JoinSet::new();
        for i in 0..60 {
            let cli = h.cli.clone();
            let q = format!("{i} {filler} {i}");
            sends.spawn(async move {
                cli.post(format!("/send-notification/user{i}@example.com"))
                    .query("q", &q)
                    .send()
                    .await
                    .assert_status_is_ok();
            });
        }
        while let Some(sent) = sends.join_next().await {
            sent.unwrap();
        }
        let lines = h.wait_for_lines("log.txt", 60).await;
        assert_eq!(lines.len(), 60);
        let mut seen: Vec<usize> = lines
            .iter()
            .map(|line| {
                let rest = line.strip_prefix("notification for user").expect(line);
                let (i, message) = rest.split_once("@example.com: ").expect(line);
                assert_eq!(message, format!("{i} {filler} {i}"), "a line was mixed");
                i.parse().unwrap()
            })
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..60).collect::<Vec<_>>());
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

/// `POST /emails/` and `GET /jobs/{id}`, and the queue under them, on every backend.
mod emails {
    use super::*;

    kit::db_tests! {
        async fn an_email_is_stored_then_delivered_into_the_outbox(db: TestDb) {
            let mut h = Harness::start(db, &[]).await;
            let resp = h
                .cli
                .post("/emails/")
                .body_json(&json!({"to": "ana@example.com", "subject": "Welcome", "body": "Hello, Ana."}))
                .send()
                .await;
            resp.assert_status(StatusCode::ACCEPTED);
            let job = kit::testing::json(resp).await;
            let id = id_of(&job);
            assert_eq!(
                job,
                json!({"id": id, "to": "ana@example.com", "subject": "Welcome", "state": "queued",
                       "attempts": 0, "max_attempts": 5, "last_error": null})
            );
            let done = h.wait_for(id, "done").await;
            assert_eq!(done["attempts"], 1);
            let file = h.scratch.text(&format!("outbox/job-{id}.eml"));
            assert!(file.contains("Subject: Welcome\r\n"), "{file}");
            assert!(file.contains("To: ana@example.com\r\n"), "{file}");
            assert!(file.contains(&format!("Message-ID: <job-{id}.")), "{file}");
            assert!(file.ends_with("Hello, Ana."), "{file}");
            assert!(h.stop().await);
        }

        async fn the_answer_says_where_to_follow_the_job(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let resp = h
                .cli
                .post("/emails")
                .body_json(&json!({"to": "bo@example.com", "subject": "Hi", "body": ""}))
                .send()
                .await;
            resp.assert_status(StatusCode::ACCEPTED);
            let location = resp.0.headers().get("location").expect("a Location header").to_str().expect("an ASCII Location").to_owned();
            let job = kit::testing::json(resp).await;
            assert_eq!(location, format!("/jobs/{}", id_of(&job)));
            let again = h.cli.get(&location).send().await;
            again.assert_status_is_ok();
            assert_eq!(kit::testing::json(again).await, job);
        }

        async fn text_is_kept_exactly_whatever_it_holds(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let subject = format!("Robert'); DROP TABLE jobs;-- \"✓\" 日本 😀 {}", "é".repeat(150));
            let body = format!("{}\n\\ ' \" ` ; -- /* */ NULL \u{7f}", "😀".repeat(90_000));
            let resp = h
                .cli
                .post("/emails/")
                .body_json(&json!({"to": "ünï@example.com", "subject": subject, "body": body}))
                .send()
                .await;
            resp.assert_status(StatusCode::ACCEPTED);
            let id = id_of(&kit::testing::json(resp).await);
            let job = h.job(id).await;
            assert_eq!(job["subject"], subject.as_str());
            assert_eq!(job["to"], "ünï@example.com");
            let claimed = h.another_queue().await.claim(1, Duration::from_secs(60)).await.expect("the queue answers");
            assert_eq!(claimed.len(), 1);
            assert_eq!(claimed[0].body, body);
            assert_eq!(claimed[0].subject, subject);
        }

        async fn an_unknown_job_is_404_with_its_detail(db: TestDb) {
            let h = Harness::start(db, &[]).await;
            let resp = h.cli.get("/jobs/424242").send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Job not found"})).await;
        }

        async fn competing_workers_claim_each_job_exactly_once(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let queue = h.another_queue().await;
            let mut ids = Vec::new();
            for i in 0..40 {
                ids.push(queue.enqueue("w@example.com", &format!("job {i}"), "", 5).await.expect("the queue answers").id);
            }
            // Four workers, each with its own pool, as on four machines.
            let mut workers = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let queue = h.another_queue().await;
                workers.spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let claimed = queue.claim(3, Duration::from_secs(60)).await.expect("the queue answers");
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
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let queue = h.another_queue().await;
            let job = queue.enqueue("x@example.com", "lease", "", 5).await.expect("the queue answers");
            let lease = Duration::from_millis(800);
            let first = queue.claim(5, lease).await.expect("the queue answers");
            assert_eq!(first.len(), 1);
            assert_eq!(first[0].attempts, 1);
            assert!(queue.claim(5, lease).await.expect("the queue answers").is_empty(), "a leased job was taken");
            assert_eq!(h.job(job.id).await["state"], "running");
            tokio::time::sleep(lease + Duration::from_millis(200)).await;
            let second = queue.claim(5, lease).await.expect("the queue answers");
            assert_eq!(second.len(), 1);
            assert_eq!((second[0].id, second[0].attempts), (job.id, 2));
            // The first worker comes back too late: its report changes nothing.
            assert!(!queue.complete(&first[0]).await.expect("the queue answers"));
            assert!(queue.complete(&second[0]).await.expect("the queue answers"));
            let done = h.job(job.id).await;
            assert_eq!((done["state"].as_str(), done["attempts"].as_i64()), (Some("done"), Some(2)));
        }

        async fn a_renewed_lease_keeps_the_job_and_a_taken_over_claim_cannot_renew(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let queue = h.another_queue().await;
            queue.enqueue("x@example.com", "renew", "", 5).await.expect("the queue answers");
            let lease = Duration::from_millis(600);
            let first = queue.claim(5, lease).await.expect("the queue answers").remove(0);
            // Renewed every 200 ms for three leases: nobody else may take it.
            for _ in 0..9 {
                tokio::time::sleep(lease / 3).await;
                assert!(queue.renew(&first, lease).await.expect("the queue answers"));
                assert!(queue.claim(5, lease).await.expect("the queue answers").is_empty(), "a renewed job was taken");
            }
            // Renewals stop, as when the worker dies: the lease runs out and the job is due.
            tokio::time::sleep(lease + Duration::from_millis(200)).await;
            let second = queue.claim(5, lease).await.expect("the queue answers").remove(0);
            assert_eq!(second.attempts, 2);
            // The first claim is fenced off: it cannot renew what it lost.
            assert!(!queue.renew(&first, lease).await.expect("the queue answers"));
        }

        async fn a_job_lost_during_its_last_attempt_is_failed(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let queue = h.another_queue().await;
            let job = queue.enqueue("x@example.com", "last", "", 1).await.expect("the queue answers");
            let lease = Duration::from_millis(500);
            assert_eq!(queue.claim(1, lease).await.expect("the queue answers").len(), 1);
            tokio::time::sleep(lease + Duration::from_millis(200)).await;
            assert!(queue.claim(1, lease).await.expect("the queue answers").is_empty());
            let failed = h.job(job.id).await;
            assert_eq!(failed["state"], "failed");
            assert!(failed["last_error"].as_str().is_some_and(|e| e.contains("lease expired")), "{failed}");
        }

        async fn a_failed_attempt_waits_then_fails_when_the_attempts_are_spent(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let queue = h.another_queue().await;
            let job = queue.enqueue("x@example.com", "retry", "", 2).await.expect("the queue answers");
            let lease = Duration::from_secs(60);
            let first = queue.claim(1, lease).await.expect("the queue answers").remove(0);
            assert!(queue.fail(&first, "relay said no", Duration::from_millis(400)).await.expect("the queue answers"));
            let queued = h.job(job.id).await;
            assert_eq!(queued["state"], "queued");
            assert_eq!(queued["last_error"], "relay said no");
            assert!(queue.claim(1, lease).await.expect("the queue answers").is_empty(), "taken before its time");
            tokio::time::sleep(Duration::from_millis(500)).await;
            let second = queue.claim(1, lease).await.expect("the queue answers").remove(0);
            assert_eq!(second.attempts, 2);
            assert!(queue.fail(&second, "relay said no again", Duration::ZERO).await.expect("the queue answers"));
            let failed = h.job(job.id).await;
            assert_eq!(
                (failed["state"].as_str(), failed["attempts"].as_i64(), failed["last_error"].as_str()),
                (Some("failed"), Some(2), Some("relay said no again"))
            );
            assert!(queue.claim(1, lease).await.expect("the queue answers").is_empty(), "a failed job was taken");
        }
    }
}

/// Delivery over SMTP to the tests' own relay, which can also refuse, hang or hang up.
mod delivery {
    use super::*;

    async fn over(smtp: &TestSmtp, settings: &[(&str, &str)]) -> Harness {
        let mut all = vec![("SMTP_URL", smtp.url.as_str())];
        all.extend_from_slice(settings);
        Harness::sqlite(&all).await
    }

    #[tokio::test]
    async fn each_job_is_one_message_with_a_message_id_of_its_own() {
        let smtp = TestSmtp::start(Mode::Accept {
            delay: Duration::ZERO,
        })
        .await;
        let mut h = over(&smtp, &[]).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(id_of(
                &h.send_email(&format!("user{n}@example.com"), &format!("Note {n}"))
                    .await,
            ));
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
        let id = id_of(&h.send_email("no@example.com", "Refused").await);
        let failed = h.wait_for(id, "failed").await;
        assert_eq!(failed["attempts"], 3);
        let error = failed["last_error"].as_str().unwrap();
        assert!(error.contains("550"), "{error}");
        assert_eq!(smtp.connections(), 3);
        smtp.set_mode(Mode::Accept {
            delay: Duration::ZERO,
        });
        let next = id_of(&h.send_email("yes@example.com", "Accepted").await);
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
        let id = id_of(&h.send_email("slow@example.com", "Silence").await);
        let failed = h.wait_for(id, "failed").await;
        assert_eq!(failed["attempts"], 2);
        let error = failed["last_error"].as_str().unwrap();
        assert!(
            error.contains("timed out") || error.contains("gave up"),
            "{error}"
        );
        smtp.set_mode(Mode::Accept {
            delay: Duration::ZERO,
        });
        let next = id_of(&h.send_email("fast@example.com", "Answered").await);
        h.wait_for(next, "done").await;
        assert!(h.stop().await);
    }

    #[tokio::test]
    async fn a_relay_that_hangs_up_is_retried_then_the_job_fails() {
        let smtp = TestSmtp::start(Mode::Drop).await;
        let h = over(&smtp, &[("JOB_MAX_ATTEMPTS", "2")]).await;
        let id = id_of(&h.send_email("cut@example.com", "Cut off").await);
        let failed = h.wait_for(id, "failed").await;
        assert_eq!(failed["attempts"], 2);
        assert!(!failed["last_error"].as_str().unwrap().is_empty());
        smtp.set_mode(Mode::Accept {
            delay: Duration::ZERO,
        });
        let next = id_of(&h.send_email("back@example.com", "Back").await);
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
        let id = id_of(&h.send_email("patient@example.com", "Eventually").await);
        let deadline = Instant::now() + PATIENCE;
        while smtp.connections() == 0 {
            assert!(Instant::now() < deadline, "the relay was never tried");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        smtp.set_mode(Mode::Accept {
            delay: Duration::ZERO,
        });
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
        let id = id_of(&h.send_email("wait@example.com", "Finish me").await);
        h.wait_for(id, "running").await;
        assert!(
            h.stop().await,
            "the running job did not finish within the limit"
        );
        assert_eq!(h.job(id).await["state"], "done");
        assert_eq!(smtp.messages().len(), 1);
    }
}

/// Bad input of every kind: always a 4xx with a body, never a 500.
mod bad_input {
    use super::*;

    #[tokio::test]
    async fn a_job_id_must_be_an_i64() {
        let h = Harness::sqlite(&[]).await;
        for (path, kind) in [
            ("/jobs/abc", Some("int_parsing")),
            ("/jobs/1.5", Some("int_parsing")),
            ("/jobs/99999999999999999999", None),
            ("/jobs/%FF", None),
            ("/jobs/%20", None),
        ] {
            let resp = h.cli.get(path).send().await;
            assert_problem(resp, json!(["path", "id"]), kind).await;
        }
        // Negative and huge (but valid) ids are simply unknown.
        for path in ["/jobs/-1", "/jobs/9223372036854775807", "/jobs/0"] {
            h.cli
                .get(path)
                .send()
                .await
                .assert_status(StatusCode::NOT_FOUND);
        }
    }

    #[tokio::test]
    async fn an_address_that_is_not_one_is_422_at_body_to() {
        let h = Harness::sqlite(&[]).await;
        for to in ["nope", "a@", "@example.com", "", "two@at@example.com"] {
            let resp = h
                .cli
                .post("/emails/")
                .body_json(&json!({"to": to, "subject": "s", "body": "b"}))
                .send()
                .await;
            assert_problem(resp, json!(["body", "to"]), None).await;
        }
    }

    #[tokio::test]
    async fn each_missing_field_is_its_own_problem() {
        let h = Harness::sqlite(&[]).await;
        let resp = h.cli.post("/emails/").body_json(&json!({})).send().await;
        let problems = problems(resp).await;
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
            let resp = h
                .cli
                .post("/emails/")
                .body_json(&json!({"to": "a@example.com", "subject": subject, "body": ""}))
                .send()
                .await;
            assert_problem(resp, json!(["body", "subject"]), Some(kind)).await;
        }
        // 200 characters are fine, however many bytes they take.
        let resp = h
            .cli
            .post("/emails/")
            .body_json(&json!({"to": "a@example.com", "subject": "é".repeat(200), "body": ""}))
            .send()
            .await;
        resp.assert_status(StatusCode::ACCEPTED);
    }

    #[tokio::test]
    async fn a_body_is_up_to_100000_characters_without_nul() {
        let h = Harness::sqlite(&[]).await;
        let resp = h
            .cli
            .post("/emails/")
            .body_json(&json!({"to": "a@example.com", "subject": "s", "body": "b".repeat(100_001)}))
            .send()
            .await;
        assert_problem(resp, json!(["body", "body"]), Some("string_too_long")).await;
        // PostgreSQL cannot store a NUL in text, and no email carries one: refused everywhere.
        for (subject, body) in [("s", "a\u{0}b"), ("s\u{0}", "b")] {
            let resp = h
                .cli
                .post("/emails/")
                .body_json(&json!({"to": "a@example.com", "subject": subject, "body": body}))
                .send()
                .await;
            let problems = problems(resp).await;
            assert_eq!(
                problems[0]["type"], "string_pattern_mismatch",
                "{problems:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_body_that_is_not_an_email_is_422_never_500() {
        let h = Harness::sqlite(&[]).await;
        let json_type = "application/json";
        for (content_type, body) in [
            (json_type, r#"{"to": "a@example.com", "subj"#),
            (json_type, ""),
            (json_type, "[1, 2]"),
            (json_type, r#"{"to": 5, "subject": true, "body": null}"#),
            (
                json_type,
                r#"{"to": ["a@example.com"], "subject": "s", "body": "b"}"#,
            ),
            (
                "text/plain",
                r#"{"to": "a@example.com", "subject": "s", "body": "b"}"#,
            ),
            (json_type, "\u{FEFF}{}"),
        ] {
            let resp = h
                .cli
                .post("/emails/")
                .content_type(content_type)
                .body(body)
                .send()
                .await;
            let problems = problems(resp).await;
            assert!(!problems.is_empty(), "{content_type} {body}");
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

/// Blocking versus async, and the request timeout.
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
    async fn a_timeout_cuts_an_async_wait_short_with_504() {
        let h = Harness::sqlite(&[("REQUEST_TIMEOUT_SECS", "1")]).await;
        let resp = h.cli.get("/slow-async?seconds=3").send().await;
        resp.assert_status(StatusCode::GATEWAY_TIMEOUT);
        resp.assert_json(json!({"detail": "Request timeout"})).await;
        // Within the limit, the answer is the usual one.
        h.cli
            .get("/slow-async?seconds=0")
            .send()
            .await
            .assert_status_is_ok();
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

/// The OpenAPI document and representative bodies, as reviewed.
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
            .cli
            .post("/emails/")
            .body_json(&json!({"to": "ana", "subject": "", "body": 5}))
            .send()
            .await;
        resp.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_json_snapshot!("email_422", kit::testing::json(resp).await);
        let resp = h.cli.get("/slow-async?seconds=31").send().await;
        assert_json_snapshot!("seconds_422", kit::testing::json(resp).await);
        let resp = h.cli.get("/slow-async?seconds=2").send().await;
        assert_json_snapshot!("timeout_504", kit::testing::json(resp).await);
    }
}

/// The exercises: cancelling, listing, retrying.
mod exercises {
    use super::*;

    kit::db_tests! {
        async fn a_queued_job_can_be_cancelled(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let id = id_of(&h.send_email("c@example.com", "Never mind").await);
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::NO_CONTENT);
            resp.assert_bytes(b"").await;
            let resp = h.cli.get(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
            resp.assert_json(json!({"detail": "Job not found"})).await;
            // A cancelled job is never claimed.
            assert!(h.another_queue().await.claim(10, Duration::from_secs(60)).await.expect("the queue answers").is_empty());
        }

        async fn a_running_job_cannot_be_cancelled(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0")]).await;
            let id = id_of(&h.send_email("r@example.com", "Busy").await);
            let queue = h.another_queue().await;
            let claimed = queue.claim(1, Duration::from_secs(60)).await.expect("the queue answers").remove(0);
            let resp = h.cli.delete(format!("/jobs/{id}")).send().await;
            resp.assert_status(StatusCode::CONFLICT);
            resp.assert_json(json!({"detail": "Job is running"})).await;
            assert!(queue.complete(&claimed).await.expect("the queue answers"));
            // Done, it can go.
            h.cli.delete(format!("/jobs/{id}")).send().await.assert_status(StatusCode::NO_CONTENT);
        }

        async fn jobs_are_listed_by_id_and_by_state(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0"), ("JOB_MAX_ATTEMPTS", "1")]).await;
            let ids: Vec<i64> = [
                id_of(&h.send_email("a@example.com", "one").await),
                id_of(&h.send_email("b@example.com", "two").await),
                id_of(&h.send_email("c@example.com", "three").await),
            ]
            .into();
            let queue = h.another_queue().await;
            let mut claimed = queue.claim(2, Duration::from_secs(60)).await.expect("the queue answers");
            let second = claimed.pop().expect("two jobs claimed");
            let first = claimed.pop().expect("two jobs claimed");
            assert!(queue.fail(&first, "no such mailbox", Duration::ZERO).await.expect("the queue answers"));
            assert!(queue.complete(&second).await.expect("the queue answers"));
            let listed = |query: &'static str| {
                let cli = h.cli.clone();
                async move {
                    let resp = cli.get(format!("/jobs/{query}")).send().await;
                    resp.assert_status_is_ok();
                    let body = kit::testing::json(resp).await;
                    body.as_array().into_iter().flatten().map(|job| (id_of(job), job["state"].as_str().unwrap_or_default().to_owned())).collect::<Vec<_>>()
                }
            };
            let state = |id: i64, s: &str| (id, s.to_owned());
            assert_eq!(listed("").await, [state(ids[0], "failed"), state(ids[1], "done"), state(ids[2], "queued")]);
            assert_eq!(listed("?state=failed").await, [state(ids[0], "failed")]);
            assert_eq!(listed("?state=done").await, [state(ids[1], "done")]);
            assert_eq!(listed("?state=queued").await, [state(ids[2], "queued")]);
            assert_eq!(listed("?state=running").await, []);
            assert_eq!(listed("?skip=1&limit=1").await, [state(ids[1], "done")]);
            assert_eq!(listed("?limit=0").await, []);
            let failed = h.cli.get("/jobs/?state=failed").send().await;
            let body = kit::testing::json(failed).await;
            assert_eq!(body[0]["last_error"], "no such mailbox");
            assert_problem(h.cli.get("/jobs/?state=lost").send().await, json!(["query", "state"]), Some("enum")).await;
            assert_problem(h.cli.get("/jobs/?skip=-1").send().await, json!(["query", "skip"]), None).await;
            assert_problem(h.cli.get("/jobs/?limit=abc").send().await, json!(["query", "limit"]), Some("int_parsing")).await;
        }

        async fn a_failed_job_can_be_retried_and_nothing_else_can(db: TestDb) {
            let h = Harness::start(db, &[("WORKER_CONCURRENCY", "0"), ("JOB_MAX_ATTEMPTS", "1")]).await;
            let id = id_of(&h.send_email("f@example.com", "Again").await);
            let resp = h.cli.post(format!("/jobs/{id}/retry")).send().await;
            resp.assert_status(StatusCode::CONFLICT);
            resp.assert_json(json!({"detail": "Only a failed job can be retried"})).await;
            let queue = h.another_queue().await;
            let claimed = queue.claim(1, Duration::from_secs(60)).await.expect("the queue answers").remove(0);
            assert!(queue.fail(&claimed, "mailbox full", Duration::ZERO).await.expect("the queue answers"));
            assert_eq!(h.job(id).await["state"], "failed");
            let resp = h.cli.post(format!("/jobs/{id}/retry")).send().await;
            resp.assert_status_is_ok();
            let job = kit::testing::json(resp).await;
            assert_eq!(
                (job["state"].as_str(), job["attempts"].as_i64(), job["last_error"].as_str()),
                (Some("queued"), Some(0), Some("mailbox full"))
            );
            // Queued again, it is claimed again, from attempt 1.
            let again = queue.claim(1, Duration::from_secs(60)).await.expect("the queue answers").remove(0);
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
        let id = id_of(&h.send_email("late@example.com", "Second chance").await);
        h.wait_for(id, "failed").await;
        smtp.set_mode(Mode::Accept {
            delay: Duration::ZERO,
        });
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

/// The program itself: graded, crashed, stopped, restarted.
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

    /// The program, started in `dir` with `env`.
    struct Running {
        child: Child,
        url: String,
        http: reqwest::Client,
    }

    impl Running {
        async fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
            // The DATA_DIR that cargo sets for tests would send the default files out of `dir`.
            let mut child = Command::new(PROGRAM)
                .args(["--port", "0"])
                .current_dir(dir)
                .env_remove("DATA_DIR")
                .envs(env.iter().copied())
                .env("RUST_LOG", "error")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
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
        let output = Command::new(PROGRAM)
            .args(["--port", "0"])
            .current_dir(&scratch.0)
            .env_remove("DATA_DIR")
            .env("DATABASE_URL", "postgres://app:s3cret@127.0.0.1:1/jobs")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(PATIENCE, output)
            .await
            .expect("it stops")
            .unwrap();
        assert!(!output.status.success());
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
            let output = Command::new(PROGRAM)
                .args(["--port", "0"])
                .current_dir(&scratch.0)
                .env_remove("DATA_DIR")
                .env(key, value)
                .stdin(Stdio::null())
                .kill_on_drop(true)
                .output();
            let output = tokio::time::timeout(PATIENCE, output)
                .await
                .expect("it stops")
                .unwrap();
            assert!(!output.status.success());
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
