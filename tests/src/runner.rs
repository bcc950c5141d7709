//! Runs a chapter's checks against a target, one after the other, each within a time limit.

use std::time::{Duration, Instant};

use crate::chapters::Chapter;
use crate::check::{Check, Ctx, Failure, Profile, Treatment};
use crate::command::Program;
use crate::report::{CheckResult, NOT_RUN, Report, Status};
use crate::rng::Rng;
use crate::target::{Server, Target};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The seed of the data checks invent; the report prints it.
    pub seed: u64,
    /// Longest wait for one response.
    pub request_timeout: Duration,
    /// Longest time one check may take in all.
    pub check_timeout: Duration,
    /// Longest wait for a started program's `listening on` line.
    pub startup_timeout: Duration,
    /// Environment for every program the grader starts (a `DATABASE_URL`, say); a check's
    /// own settings come on top.
    pub env: Vec<(String, String)>,
    /// Which rules the server is held to: the workbook's (`strict`), or the contract's meaning
    /// with FastAPI's documented behaviour accepted where a check is tagged (`fastapi`).
    pub profile: Profile,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: seed_from_clock(),
            request_timeout: Duration::from_secs(5),
            check_timeout: Duration::from_secs(30),
            startup_timeout: Duration::from_secs(60),
            env: Vec::new(),
            profile: Profile::default(),
        }
    }
}

/// A seed that differs from run to run.
pub fn seed_from_clock() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // Short enough to type after --seed.
    (nanos % 1_000_000_000) as u64
}

/// Grades `chapter` on `target`.
///
/// The server is started (or, for a URL, reached) before any check runs. When it cannot be,
/// the report says so once, in [`Report::error`], and the checks that need it are not run;
/// the checks that run the program's own commands still do.
pub async fn grade(chapter: &Chapter, target: &Target, options: &Options) -> Report {
    let started = Instant::now();
    let checks = (chapter.checks)();
    let needs_main = checks
        .iter()
        .any(|check| !check.needs_program() && !check.needs_own_server());
    let (main_server, error) = if needs_main {
        match target.start(&options.env, options.startup_timeout).await {
            Ok(server) => (Some(server), None),
            Err(err) => (None, Some(unreachable(target, &options.env, &err))),
        }
    } else {
        (None, None)
    };
    let mut results = Vec::with_capacity(checks.len());
    for check in &checks {
        let mut rng = Rng::for_check(options.seed, check.id);
        let check_started = Instant::now();
        let skipped = check.treatment(options.profile) == Treatment::Skipped;
        let outcome = match check.env(&mut rng) {
            _ if skipped => {
                Outcome::Skipped(check.profile_note(options.profile).unwrap_or_default())
            }
            _ if check.needs_program() => run_program_check(check, target, rng, options).await,
            _ if error.is_some() => Outcome::Skipped(NOT_RUN.to_owned()),
            Some(_) if !target.can_restart() => Outcome::Skipped(NEEDS_RESTART.to_owned()),
            Some(env) => {
                let all = [options.env.clone(), env.clone()].concat();
                match target.start(&all, options.startup_timeout).await {
                    Ok(server) => {
                        let outcome = run_check(check, &server.url, rng, &env, options, None)
                            .await
                            .started_with(&server);
                        server.stop().await;
                        outcome
                    }
                    Err(err) => {
                        let failure = Failure::new(format!("the server did not start: {err}"));
                        let line = target.start_line(&all, 0);
                        Outcome::Failed(match line {
                            Some(line) => failure.started_with(&line, ""),
                            None => failure,
                        })
                    }
                }
            }
            None => match &main_server {
                Some(server) => run_check(check, &server.url, rng, &[], options, None)
                    .await
                    .started_with(server),
                None => Outcome::Skipped(NOT_RUN.to_owned()),
            },
        };
        let mut result = CheckResult::new(check, outcome.into_status(), check_started.elapsed());
        if !skipped {
            result.note = check.profile_note(options.profile);
        }
        results.push(result);
    }
    if let Some(server) = main_server {
        server.stop().await;
    }
    Report {
        chapter: chapter.number.to_owned(),
        title: chapter.title.to_owned(),
        target: target.describe(),
        seed: options.seed,
        profile: options.profile,
        error,
        results,
        duration: started.elapsed(),
    }
}

/// Why a check needing a restart did not run against a URL.
const NEEDS_RESTART: &str = "needs a server started with other settings; grade with --bin or \
                             the reference to run it";

/// What a report says, once, about a server that could not be started or reached.
fn unreachable(target: &Target, env: &[(String, String)], err: &str) -> Failure {
    let what = match target {
        Target::Url(_) => "the server could not be reached",
        Target::Program(_) => "the server could not be started",
    };
    let failure = Failure::new(format!("{what}: {err}"));
    match target.start_line(env, 0) {
        Some(line) => failure.started_with(&line, ""),
        None => failure,
    }
}

enum Outcome {
    Passed,
    Failed(Failure),
    Skipped(String),
}

impl Outcome {
    /// Names the shell line that starts `server` again in a failure about it.
    fn started_with(self, server: &Server) -> Self {
        match (self, server.start_line()) {
            (Outcome::Failed(failure), Some(line)) => {
                Outcome::Failed(failure.started_with(line, &server.url))
            }
            (outcome, _) => outcome,
        }
    }

    fn into_status(self) -> Status {
        match self {
            Outcome::Passed => Status::Passed,
            Outcome::Failed(failure) => Status::Failed(failure),
            Outcome::Skipped(reason) => Status::Skipped(reason),
        }
    }
}

/// A check that runs the program itself, in a folder of its own, with no server to start.
async fn run_program_check(check: &Check, target: &Target, rng: Rng, options: &Options) -> Outcome {
    let Target::Program(path) = target else {
        return Outcome::Skipped(
            "runs the program's own commands; grade with --bin or the reference to run it"
                .to_owned(),
        );
    };
    // A command may take as long as a program's start (it connects, it migrates).
    let program = Program::new(
        path,
        &options.env,
        options.startup_timeout,
        options.startup_timeout,
    );
    match program {
        Ok(program) => run_check(check, "", rng, &[], options, Some(program)).await,
        Err(err) => Outcome::Failed(Failure::new(err)),
    }
}

async fn run_check(
    check: &Check,
    url: &str,
    rng: Rng,
    env: &[(String, String)],
    options: &Options,
    program: Option<Program>,
) -> Outcome {
    let cx = match Ctx::new(url, options.request_timeout, rng, env) {
        Ok(cx) => cx,
        Err(failure) => return Outcome::Failed(failure),
    };
    let cx = match program {
        Some(program) => cx.with_program(program),
        None => cx,
    };
    // Each check runs as its own task: a panic in a check's code fails that check only.
    let mut task = tokio::spawn(check.start(cx.clone(), options.profile));
    let finished = tokio::time::timeout(options.check_timeout, &mut task).await;
    if finished.is_err() {
        task.abort();
    }
    match finished {
        Ok(Ok(Ok(()))) => Outcome::Passed,
        Ok(Ok(Err(failure))) => match (&failure.exchange, cx.last_exchange()) {
            // A failure a check made itself is about the last thing it asked.
            (None, Some(last)) => Outcome::Failed(failure.with_exchange(&last)),
            _ => Outcome::Failed(failure),
        },
        Ok(Err(join_error)) => Outcome::Failed(Failure::new(format!(
            "the check itself crashed: {join_error}"
        ))),
        Err(_) => Outcome::Failed(Failure::new(format!(
            "the check took longer than {} s in all",
            options.check_timeout.as_secs()
        ))),
    }
}
