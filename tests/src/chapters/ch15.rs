//! Chapter 15 — background tasks: a notification written after the answer, emails kept as
//! durable jobs and delivered by a worker that retries, blocking versus async handlers, and a
//! request timeout.
//!
//! Checks that need to see a file the server writes (the notification log, the outbox) start a
//! server of their own whose `NOTIFICATION_LOG` or `OUTBOX_DIR` points into a temporary folder
//! of the grader's, and remove it afterwards. Checks whose server must fail deliveries (an
//! `SMTP_URL` nobody listens on, or one the check holds silent) give that server a queue of its
//! own (`DATABASE_URL=sqlite://…` in its folder), so that no other worker sharing a database
//! delivers their jobs. Against a server given by `--url`, those checks are skipped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::check::{Check, Ctx, Failure, Profile, Reply, Tag, ensure};
use crate::rng::Rng;

/// The checks of chapter 15, contract first, then exercises.
pub(super) fn checks() -> Vec<Check> {
    let mut checks = notification_checks();
    checks.extend(email_checks());
    checks.extend(slow_checks());
    checks.extend(exercise_checks());
    checks
}

const SENT: &str = "Notification sent in the background";

fn notification_checks() -> Vec<Check> {
    vec![notification(), notification_after(), notification_lines()]
}

fn notification() -> Check {
    Check::new(
        "15.notification",
        "POST /send-notification/{email} answers that it was sent in the background",
    )
    .points(2)
    .hint(
        "Answer {\"message\": \"Notification sent in the background\"} at once; the writing \
         happens afterwards (FastAPI: background_tasks.add_task).",
    )
    .book("15-background-tasks.html#work-after-the-response")
    .run(|cx| async move {
        let email = format!("{}@example.com", cx.word());
        let q = cx.word();
        cx.post(&format!("/send-notification/{email}?q={q}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"message": SENT}))?;
        Ok(())
    })
}

fn notification_after() -> Check {
    Check::new(
        "15.notification.after",
        "the answer leaves before the line is written, and the line follows",
    )
    .points(3)
    .hint(
        "Append \"notification for <email>: <q>\" to NOTIFICATION_LOG after the response, not \
         before it: the check's log is a named pipe, which blocks a writer until the check reads \
         it.",
    )
    .book("15-background-tasks.html#work-after-the-response")
    .server_env(|rng| {
        let folder = scratch_folder(rng);
        let log = folder.join("log.txt");
        make_fifo(&log);
        vec![("NOTIFICATION_LOG".into(), log.display().to_string())]
    })
    .run(|cx| async move {
        let log = PathBuf::from(cx.env("NOTIFICATION_LOG"));
        let _cleanup = Cleanup(folder_of(&log));
        let email = format!("{}@example.com", cx.word());
        let q = cx.word();
        cx.post(&format!("/send-notification/{email}?q={q}"))
            .send()
            .await?
            .expect_status(200)?
            .expect_json(&json!({"message": SENT}))?;
        let text = read_log(&log).await?;
        let expected = format!("notification for {email}: {q}\n");
        ensure(text == expected, || {
            Failure::new("the notification log does not hold the one expected line")
                .expected(expected.clone())
                .got(text.clone())
        })
    })
}

fn notification_lines() -> Check {
    Check::new(
        "15.notification.lines",
        "notifications sent at once are appended as whole lines, never mixed",
    )
    .points(2)
    .hint(
        "Append (never overwrite) one whole line per notification; serialise the writes (a lock, \
         or one writer task) so that two lines cannot interleave.",
    )
    .book("15-background-tasks.html#work-after-the-response")
    .server_env(|rng| {
        let folder = scratch_folder(rng);
        let log = folder.join("log.txt");
        let _ = std::fs::write(&log, "an earlier line\n");
        vec![("NOTIFICATION_LOG".into(), log.display().to_string())]
    })
    .run(|cx| async move {
        let log = PathBuf::from(cx.env("NOTIFICATION_LOG"));
        let _cleanup = Cleanup(folder_of(&log));
        const COUNT: usize = 80;
        let word = cx.word();
        let filler = word.repeat(300);
        let mut sends = tokio::task::JoinSet::new();
        for i in 0..COUNT {
            let (cx, q) = (cx.clone(), format!("{i} {filler} {i}"));
            let path = format!("/send-notification/n{i}.{word}@example.com?q={q}");
            sends.spawn(async move { cx.post(&path).send().await?.expect_status(200).map(drop) });
        }
        while let Some(sent) = sends.join_next().await {
            sent.map_err(|err| Failure::new(format!("a request task failed: {err}")))??;
        }
        let text = wait_for_lines(&log, COUNT + 1).await?;
        let mut lines = text.lines();
        ensure(lines.next() == Some("an earlier line"), || {
            Failure::new("the log's earlier content is gone: notifications must be appended")
                .got(text.chars().take(300).collect::<String>())
        })?;
        let mut seen = Vec::new();
        for line in lines {
            let parsed = line
                .strip_prefix("notification for n")
                .and_then(|rest| rest.split_once(&format!(".{word}@example.com: ")))
                .filter(|(i, message)| *message == format!("{i} {filler} {i}"));
            let Some((i, _)) = parsed else {
                return Err(Failure::new(
                    "a line is not one whole notification (two writes mixed?)",
                )
                .expected("notification for n<i>.<word>@example.com: <i> <filler> <i>")
                .got(line.chars().take(300).collect::<String>()));
            };
            seen.push(i.parse::<usize>().unwrap_or(usize::MAX));
        }
        seen.sort_unstable();
        ensure(seen == (0..COUNT).collect::<Vec<_>>(), || {
            Failure::new(format!(
                "expected one line for each of the {COUNT} notifications"
            ))
            .got(format!("{seen:?}"))
        })
    })
}

fn email_checks() -> Vec<Check> {
    vec![
        emails_accepted(),
        emails_done(),
        emails_outbox(),
        emails_retries(),
        jobs_unknown(),
        jobs_bad_id(),
        jobs_i64(),
        emails_invalid(),
    ]
}

fn emails_accepted() -> Check {
    Check::new(
        "15.emails.accepted",
        "POST /emails/ answers 202 with the queued job",
    )
    .points(2)
    .hint(
        "Store the job (to, subject, body) in the database, then answer 202 with {\"id\": ..., \
         \"state\": \"queued\", ...}.",
    )
    .book("15-background-tasks.html#queueing-an-email")
    .run(|cx| async move {
        let reply = post_email(&cx, &Email::invent(&cx)).await?;
        reply.expect_status(202)?;
        let job = reply.json()?;
        ensure(job["id"].is_i64() && job["state"] == "queued", || {
            reply
                .fail("the answer is not the queued job")
                .expected("{\"id\": <integer>, \"state\": \"queued\", ...}")
                .got(job.to_string())
        })
    })
}

fn emails_done() -> Check {
    Check::new(
        "15.emails.done",
        "a queued email is delivered: its job ends done",
    )
    .points(3)
    .hint(
        "Run a worker beside the server that claims queued jobs and delivers them (to OUTBOX_DIR \
         by default); GET /jobs/{id} then says \"done\".",
    )
    .book("15-background-tasks.html#claiming-a-job-leases")
    .run(|cx| async move {
        let id = send_email(&cx, &Email::invent(&cx)).await?;
        let job = wait_for_state(&cx, id, "done").await?;
        ensure(job["attempts"].as_i64().is_some_and(|n| n >= 1), || {
            Failure::new("a delivered job has made no attempt")
                .expected("\"attempts\": 1 or more")
                .got(job.to_string())
        })
    })
}

fn emails_outbox() -> Check {
    Check::new(
        "15.emails.outbox",
        "without SMTP_URL, the email is written into OUTBOX_DIR",
    )
    .hint(
        "Without SMTP_URL, deliver each email as a file in OUTBOX_DIR (default outbox/), named \
         after its job, so that a second delivery replaces it.",
    )
    .book("15-background-tasks.html#delivering-idempotently")
    .server_env(|rng| {
        let folder = scratch_folder(rng);
        vec![
            (
                "OUTBOX_DIR".into(),
                folder.join("outbox").display().to_string(),
            ),
            own_queue(),
        ]
    })
    .run(|cx| async move {
        let outbox = PathBuf::from(cx.env("OUTBOX_DIR"));
        let _cleanup = Cleanup(folder_of(&outbox));
        let email = Email::invent(&cx);
        let id = send_email(&cx, &email).await?;
        wait_for_state(&cx, id, "done").await?;
        let files = read_folder(&outbox);
        ensure(
            files.iter().any(|text| text.contains(&email.subject)),
            || {
                Failure::new(format!(
                    "no file in OUTBOX_DIR holds the subject {:?}",
                    email.subject
                ))
                .got(format!("{} file(s)", files.len()))
            },
        )
    })
}

fn emails_retries() -> Check {
    Check::new(
        "15.emails.retries",
        "a delivery that keeps failing is retried, then the job is failed with its error",
    )
    .points(3)
    .hint(
        "On a failed attempt, put the job back in the queue with a growing wait; after \
         JOB_MAX_ATTEMPTS attempts, mark it failed and keep the error in last_error.",
    )
    .book("15-background-tasks.html#retries-with-backoff-and-jitter")
    .server_env(|_| failing_smtp(2))
    .run(|cx| async move {
        let id = send_email(&cx, &Email::invent(&cx)).await?;
        let job = wait_for_state(&cx, id, "failed").await?;
        ensure(
            job["attempts"] == 2 && job["last_error"].as_str().is_some_and(|e| !e.is_empty()),
            || {
                Failure::new(
                    "a failed job must show its attempts (JOB_MAX_ATTEMPTS=2) and its last error",
                )
                .expected("\"attempts\": 2, \"last_error\": \"<why>\"")
                .got(job.to_string())
            },
        )
    })
}

fn jobs_unknown() -> Check {
    Check::new("15.jobs.unknown", "GET /jobs/{id} of an unknown job is 404")
        .hint("Answer 404 with {\"detail\": \"Job not found\"} for an id no job has.")
        .book("15-background-tasks.html#queueing-an-email")
        .run(|cx| async move {
            let id = cx.rng(|r| r.between(5_000_000_000_000, 9_000_000_000_000_000_000));
            let reply = cx.get(&format!("/jobs/{id}")).send().await?;
            reply.expect_status(404)?;
            let body = reply.json()?;
            ensure(body["detail"].is_string(), || {
                reply
                    .fail("the 404 has no detail")
                    .expected("{\"detail\": \"Job not found\"}")
                    .got(body.to_string())
            })
        })
}

fn jobs_bad_id() -> Check {
    Check::new(
        "15.jobs.bad_id",
        "a job id that is not an integer is 422 at [\"path\", \"id\"]",
    )
    .hint(
        "Type the id as an integer: a word or invalid UTF-8 is a 422, never a 500 (FastAPI: id: \
         int).",
    )
    .book("15-background-tasks.html#errors-and-bad-input")
    .run(|cx| async move {
        let word = cx.word();
        let reply = cx.get(&format!("/jobs/{word}")).send().await?;
        reply.expect_problem(&json!(["path", "id"]), Some("int_parsing"))?;
        let reply = cx.get("/jobs/%FF%FE").send().await?;
        reply.expect_problem(&json!(["path", "id"]), None)?;
        Ok(())
    })
}

fn jobs_i64() -> Check {
    Check::new("15.jobs.i64", "a job id beyond i64 is a 422, never a 500")
        .hint(
            "The id is an i64: 99999999999999999999 is a 422 (FastAPI accepts the number: bound it \
             with Path(le=2**63 - 1), or answer 404).",
        )
        .book("15-background-tasks.html#errors-and-bad-input")
        .tag(Tag::I64)
        .run(|cx| async move { job_beyond_i64(&cx, Profile::Strict).await })
        .fastapi(|cx| async move { job_beyond_i64(&cx, Profile::Fastapi).await })
}

async fn job_beyond_i64(cx: &Ctx, profile: Profile) -> Result<(), Failure> {
    let reply = cx.get("/jobs/99999999999999999999").send().await?;
    super::ch12::expect_beyond_i64(&reply, &["path", "id"], profile, &[404])
}

fn emails_invalid() -> Check {
    Check::new(
        "15.emails.invalid",
        "an email that is not one is 422 at its place, never a 500",
    )
    .points(2)
    .hint(
        "to must be an email address; to, subject and body are required; a body that is not JSON \
         is a 422 too.",
    )
    .book("15-background-tasks.html#errors-and-bad-input")
    .run(|cx| async move {
        let email = Email::invent(&cx);
        let mut body = email.json();
        body["to"] = json!(cx.word());
        cx.post("/emails/")
            .json(&body)
            .send()
            .await?
            .expect_problem(&json!(["body", "to"]), None)?;
        let mut body = email.json();
        if let Some(object) = body.as_object_mut() {
            object.remove("subject");
        }
        cx.post("/emails/")
            .json(&body)
            .send()
            .await?
            .expect_problem(&json!(["body", "subject"]), Some("missing"))?;
        let text = email.json().to_string();
        for (content_type, sent) in [
            ("application/json", &text[..text.len() / 2]),
            ("text/plain", text.as_str()),
        ] {
            let reply = cx
                .post("/emails/")
                .header("content-type", content_type)
                .body(sent)
                .send()
                .await?;
            ensure(reply.status == 422, || {
                reply.fail(format!(
                    "a {content_type} body that is not an email must be 422, not {}",
                    reply.status
                ))
            })?;
        }
        Ok(())
    })
}

fn slow_checks() -> Vec<Check> {
    vec![
        slow_async(),
        slow_blocking(),
        slow_bounds(),
        timeout(),
        openapi(),
    ]
}

fn slow_async() -> Check {
    Check::new("15.slow.async", "GET /slow-async?seconds=0 answers 200")
        .hint("Wait with an await (tokio::time::sleep, asyncio.sleep), then answer a JSON object.")
        .book("15-background-tasks.html#blocking-the-runtime")
        .run(|cx| async move {
            let reply = cx.get("/slow-async?seconds=0").send().await?;
            reply.expect_status(200)?;
            ensure(reply.json()?.is_object(), || {
                reply.fail("the answer is not a JSON object")
            })
        })
}

fn slow_blocking() -> Check {
    Check::new(
        "15.slow.blocking",
        "GET /slow-blocking?seconds=0 answers 200",
    )
    .hint(
        "Block the thread on purpose (std::thread::sleep, time.sleep), then answer a JSON object.",
    )
    .book("15-background-tasks.html#blocking-the-runtime")
    .run(|cx| async move {
        let reply = cx.get("/slow-blocking?seconds=0").send().await?;
        reply.expect_status(200)?;
        ensure(reply.json()?.is_object(), || {
            reply.fail("the answer is not a JSON object")
        })
    })
}

fn slow_bounds() -> Check {
    Check::new(
        "15.slow.bounds",
        "seconds outside 0..=30, or not an integer, is 422 at [\"query\", \"seconds\"]",
    )
    .points(2)
    .hint(
        "Bound seconds to 0..=30 (ge=0, le=30): a client must not be able to hold a thread for as \
         long as it likes.",
    )
    .book("15-background-tasks.html#blocking-the-runtime")
    .run(|cx| async move {
        let over = cx.rng(|r| r.between(31, 100_000));
        let word = cx.word();
        for path in ["/slow-async", "/slow-blocking"] {
            for value in [
                over.to_string(),
                "-1".to_owned(),
                word.clone(),
                "99999999999999999999".to_owned(),
            ] {
                let reply = cx.get(&format!("{path}?seconds={value}")).send().await?;
                reply.expect_problem(&json!(["query", "seconds"]), None)?;
            }
        }
        Ok(())
    })
}

fn timeout() -> Check {
    Check::new(
        "15.timeout",
        "with REQUEST_TIMEOUT_SECS=1, a 3-second wait is 504 Request timeout",
    )
    .points(2)
    .hint(
        "Wrap every request in a timeout (tokio::time::timeout in a middleware; in FastAPI, \
         asyncio.wait_for in an @app.middleware(\"http\")) that answers 504 {\"detail\": \"Request \
         timeout\"}.",
    )
    .book("15-background-tasks.html#timeouts")
    .server_env(|_| vec![("REQUEST_TIMEOUT_SECS".into(), "1".into())])
    .run(|cx| async move {
        cx.get("/slow-async?seconds=3")
            .send()
            .await?
            .expect_detail(504, "Request timeout")?;
        cx.get("/slow-async?seconds=0")
            .send()
            .await?
            .expect_status(200)?;
        Ok(())
    })
}

fn openapi() -> Check {
    Check::new(
        "15.openapi",
        "the document describes the notification, email, job and slow operations",
    )
    .hint("Serve /openapi.json describing every operation of the chapter.")
    .book("15-background-tasks.html#what-you-will-build")
    .run(|cx| async move {
        let reply = cx.get("/openapi.json").send().await?;
        let doc = reply.expect_status(200)?.json()?;
        let paths = &doc["paths"];
        for (path, method) in [
            ("/send-notification/{email}", "post"),
            ("/emails", "post"),
            ("/jobs/{id}", "get"),
            ("/slow-async", "get"),
            ("/slow-blocking", "get"),
        ] {
            let op = paths
                .get(path)
                .or_else(|| paths.get(format!("{path}/").as_str()));
            ensure(op.is_some_and(|item| item[method].is_object()), || {
                reply.fail(format!(
                    "the document does not describe {} {path}",
                    method.to_uppercase()
                ))
            })?;
        }
        Ok(())
    })
}

fn exercise_checks() -> Vec<Check> {
    vec![
        ex_cancel(),
        ex_cancel_running(),
        ex_list(),
        ex_retry(),
        ex_retry_conflict(),
    ]
}

fn ex_cancel() -> Check {
    Check::new(
        "15.ex.cancel",
        "DELETE /jobs/{id} cancels a queued job: 204, then 404",
    )
    .points(2)
    .exercise()
    .hint("Delete the job unless it is running, and answer 204; the job is then unknown.")
    .book("15-background-tasks.html#exercise-1-cancel-a-job")
    // Each attempt fails at once, and the next one is an hour away: the job waits, queued.
    .server_env(|_| {
        let mut env = failing_smtp(5);
        env.push(("JOB_RETRY_BASE_MS".into(), "3600000".into()));
        env.push(("JOB_RETRY_MAX_MS".into(), "3600000".into()));
        env
    })
    .run(|cx| async move {
        let id = send_email(&cx, &Email::invent(&cx)).await?;
        let job = wait_until(&cx, id, |job| {
            job["state"] == "queued" && job["attempts"] == 1
        })
        .await?;
        let reply = cx.delete(&format!("/jobs/{id}")).send().await?;
        ensure(reply.status == 204, || {
            reply
                .fail(format!(
                    "cancelling a queued job must answer 204, not {}",
                    reply.status
                ))
                .got(job.to_string())
        })?;
        cx.get(&format!("/jobs/{id}"))
            .send()
            .await?
            .expect_status(404)?;
        cx.delete(&format!("/jobs/{id}"))
            .send()
            .await?
            .expect_status(404)?;
        Ok(())
    })
}

fn ex_cancel_running() -> Check {
    Check::new(
        "15.ex.cancel.running",
        "DELETE /jobs/{id} of a running job is 409 Job is running",
    )
    .points(2)
    .exercise()
    .hint(
        "A running job is being delivered: refuse with 409 {\"detail\": \"Job is running\"} \
         (delete only where state <> 'running', in one statement).",
    )
    .book("15-background-tasks.html#exercise-1-cancel-a-job")
    .server_env(|_| {
        vec![
            (
                "SMTP_URL".into(),
                format!("smtp://127.0.0.1:{}", free_port()),
            ),
            ("SMTP_TIMEOUT_SECS".into(), "25".into()),
            ("JOB_LEASE_SECS".into(), "60".into()),
            own_queue(),
        ]
    })
    .run(|cx| async move {
        // A relay that takes the connection and never says a word: the job stays running.
        let address = cx.env("SMTP_URL").replace("smtp://", "");
        let silent = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|err| Failure::new(format!("the check cannot listen on {address}: {err}")))?;
        let holding = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        });
        let id = send_email(&cx, &Email::invent(&cx)).await?;
        let outcome = async {
            wait_for_state(&cx, id, "running").await?;
            cx.delete(&format!("/jobs/{id}"))
                .send()
                .await?
                .expect_detail(409, "Job is running")?;
            cx.get(&format!("/jobs/{id}"))
                .send()
                .await?
                .expect_status(200)?;
            Ok(())
        }
        .await;
        holding.abort();
        outcome
    })
}

fn ex_list() -> Check {
    Check::new(
        "15.ex.list",
        "GET /jobs/?state=failed lists the failed jobs",
    )
    .points(2)
    .exercise()
    .hint(
        "Add GET /jobs/ with an optional state (queued, running, done, failed; anything else is \
         422), ordered by id.",
    )
    .book("15-background-tasks.html#exercise-2-list-jobs-by-state")
    .server_env(|_| failing_smtp(1))
    .run(|cx| async move {
        let first = send_email(&cx, &Email::invent(&cx)).await?;
        let second = send_email(&cx, &Email::invent(&cx)).await?;
        for id in [first, second] {
            wait_for_state(&cx, id, "failed").await?;
        }
        let reply = cx.get("/jobs/?state=failed").send().await?;
        let listed = reply.expect_status(200)?.json()?;
        let ids: Vec<i64> = listed
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|job| job["id"].as_i64())
            .collect();
        let all_failed = listed
            .as_array()
            .into_iter()
            .flatten()
            .all(|job| job["state"] == "failed");
        ensure(
            ids.contains(&first)
                && ids.contains(&second)
                && all_failed
                && ids.windows(2).all(|w| w[0] < w[1]),
            || {
                reply
                    .fail("the list is not the failed jobs, by id")
                    .expected(format!(
                        "failed jobs including {first} and {second}, in id order"
                    ))
                    .got(listed.to_string())
            },
        )?;
        let reply = cx.get("/jobs/?state=done").send().await?;
        let done = reply.expect_status(200)?.json()?;
        ensure(
            done.as_array()
                .is_some_and(|jobs| jobs.iter().all(|job| job["state"] == "done")),
            || {
                reply
                    .fail("?state=done lists a job that is not done")
                    .got(done.to_string())
            },
        )?;
        let word = cx.word();
        cx.get(&format!("/jobs/?state={word}"))
            .send()
            .await?
            .expect_problem(&json!(["query", "state"]), None)?;
        Ok(())
    })
}

fn ex_retry() -> Check {
    Check::new(
        "15.ex.retry",
        "POST /jobs/{id}/retry queues a failed job again, attempts back at 0",
    )
    .points(2)
    .exercise()
    .hint(
        "Only a failed job: set state to queued and attempts to 0 in one UPDATE … WHERE state = \
         'failed', and answer the job.",
    )
    .book("15-background-tasks.html#exercise-3-retry-a-failed-job")
    .server_env(|_| failing_smtp(1))
    .run(|cx| async move {
        let id = send_email(&cx, &Email::invent(&cx)).await?;
        wait_for_state(&cx, id, "failed").await?;
        let reply = cx.post(&format!("/jobs/{id}/retry")).send().await?;
        let job = reply.expect_status(200)?.json()?;
        ensure(
            job["id"] == id && job["state"] == "queued" && job["attempts"] == 0,
            || {
                reply
                    .fail("the retried job is not queued with 0 attempts")
                    .expected(format!(
                        "{{\"id\": {id}, \"state\": \"queued\", \"attempts\": 0, ...}}"
                    ))
                    .got(job.to_string())
            },
        )?;
        // Its relay still refuses: it fails again, after one more attempt.
        let again = wait_for_state(&cx, id, "failed").await?;
        ensure(again["attempts"] == 1, || {
            Failure::new("the retried job did not start again from attempt 1")
                .got(again.to_string())
        })
    })
}

fn ex_retry_conflict() -> Check {
    Check::new(
        "15.ex.retry.conflict",
        "retrying a job that is not failed is 409; an unknown one, 404",
    )
    .exercise()
    .hint(
        "Answer 409 {\"detail\": \"Only a failed job can be retried\"} for a job in any other \
         state.",
    )
    .book("15-background-tasks.html#exercise-3-retry-a-failed-job")
    .run(|cx| async move {
        let id = send_email(&cx, &Email::invent(&cx)).await?;
        wait_for_state(&cx, id, "done").await?;
        cx.post(&format!("/jobs/{id}/retry"))
            .send()
            .await?
            .expect_detail(409, "Only a failed job can be retried")?;
        let unknown = cx.rng(|r| r.between(5_000_000_000_000, 9_000_000_000_000_000_000));
        cx.post(&format!("/jobs/{unknown}/retry"))
            .send()
            .await?
            .expect_status(404)?;
        Ok(())
    })
}

/// An email invented from the seed.
struct Email {
    to: String,
    subject: String,
    body: String,
}

impl Email {
    fn invent(cx: &Ctx) -> Self {
        let (name, topic) = (cx.word(), cx.word());
        let number = cx.rng(|r| r.between(1, 99_999));
        Self {
            to: format!("{name}@example.com"),
            subject: format!("About {topic} #{number}"),
            body: format!("Dear {name}, about {topic}: {}.", cx.word()),
        }
    }

    fn json(&self) -> Value {
        json!({"to": self.to, "subject": self.subject, "body": self.body})
    }
}

async fn post_email(cx: &Ctx, email: &Email) -> Result<Reply, Failure> {
    cx.post("/emails/").json(&email.json()).send().await
}

/// Sends an email and returns its job's id.
async fn send_email(cx: &Ctx, email: &Email) -> Result<i64, Failure> {
    let reply = post_email(cx, email).await?;
    reply.expect_status(202)?;
    let job = reply.json()?;
    job["id"].as_i64().ok_or_else(|| {
        reply
            .fail("the answer has no integer id")
            .expected("{\"id\": <integer>, ...}")
            .got(job.to_string())
    })
}

/// Polls `GET /jobs/{id}` until `done` says yes, for up to 20 s.
async fn wait_until(cx: &Ctx, id: i64, done: impl Fn(&Value) -> bool) -> Result<Value, Failure> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = cx.get(&format!("/jobs/{id}")).send().await?;
        let job = reply.expect_status(200)?.json()?;
        if done(&job) {
            return Ok(job);
        }
        if Instant::now() > deadline {
            return Err(reply
                .fail(format!("job {id} did not get there within 20 s"))
                .got(job.to_string()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_state(cx: &Ctx, id: i64, state: &str) -> Result<Value, Failure> {
    wait_until(cx, id, |job| job["state"] == state)
        .await
        .map_err(|failure| failure.expected(format!("\"state\": \"{state}\"")))
}

/// A new folder in the grader's temporary folder, for one check's files.
fn scratch_folder(rng: &mut Rng) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let folder = std::env::temp_dir().join(format!(
        "grader-ch15-{}-{n}-{}",
        std::process::id(),
        rng.word()
    ));
    let _ = std::fs::create_dir_all(&folder);
    folder
}

fn folder_of(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Removes a check's folder when the check ends, however it ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.0.starts_with(std::env::temp_dir()) && self.0 != std::env::temp_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A queue of the check's own server alone: a SQLite file in its folder.
fn own_queue() -> (String, String) {
    ("DATABASE_URL".into(), "sqlite://check_jobs.db".into())
}

/// A port nobody listens on (just now).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or(9)
}

/// Settings under which every delivery fails at once: a relay nobody listens on, quick
/// retries, `attempts` attempts, and a queue of the server's own.
fn failing_smtp(attempts: u32) -> Vec<(String, String)> {
    vec![
        (
            "SMTP_URL".into(),
            format!("smtp://127.0.0.1:{}", free_port()),
        ),
        ("JOB_MAX_ATTEMPTS".into(), attempts.to_string()),
        ("JOB_RETRY_BASE_MS".into(), "100".into()),
        ("JOB_RETRY_MAX_MS".into(), "200".into()),
        own_queue(),
    ]
}

/// Makes `path` a named pipe (where the system has `mkfifo`); otherwise it stays a plain file.
fn make_fifo(path: &Path) {
    let _ = std::process::Command::new("mkfifo")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.file_type().is_fifo())
}

#[cfg(not(unix))]
fn is_fifo(_: &Path) -> bool {
    false
}

/// The notification log's text. A named pipe is read once, to its end: its writer was
/// blocked until now. A plain file is read once it ends with a line.
async fn read_log(log: &Path) -> Result<String, Failure> {
    if !is_fifo(log) {
        return wait_for_lines(log, 1).await;
    }
    let pipe = log.to_path_buf();
    let reading = tokio::task::spawn_blocking(move || std::fs::read_to_string(&pipe));
    match tokio::time::timeout(Duration::from_secs(5), reading).await {
        Ok(Ok(Ok(text))) => Ok(text),
        Ok(Ok(Err(err))) => Err(Failure::new(format!(
            "cannot read the notification log: {err}"
        ))),
        Ok(Err(err)) => Err(Failure::new(format!("the reading task failed: {err}"))),
        Err(_) => {
            // Nobody wrote: open the pipe both ways (which never waits) to free the reader.
            let _ = std::fs::OpenOptions::new().read(true).write(true).open(log);
            Err(Failure::new(
                "no notification was written to NOTIFICATION_LOG within 5 s of the answer",
            ))
        }
    }
}

/// The text of `file` once it has `lines` whole lines, within 10 s.
async fn wait_for_lines(file: &Path, lines: usize) -> Result<String, Failure> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.lines().count() >= lines && text.ends_with('\n') {
            return Ok(text);
        }
        if Instant::now() > deadline {
            return Err(Failure::new(format!(
                "NOTIFICATION_LOG has {} whole line(s) after 10 s, not {lines}",
                text.lines().count()
            ))
            .got(text.chars().take(300).collect::<String>()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of every file in `folder`.
fn read_folder(folder: &Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| std::fs::read(entry.path()).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}
