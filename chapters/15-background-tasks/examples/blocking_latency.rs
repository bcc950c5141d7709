//! What does a blocking handler do to everyone else? `scripts/bench-blocking` runs this against
//! a release build.
//!
//! It starts chapter 15's program with few runtime threads (`TOKIO_WORKER_THREADS`), sends a
//! steady stream of fast requests (`GET /slow-async?seconds=0`: nothing to wait for), first
//! alone, then while several clients keep calling one of the three slow operations, and prints
//! the latency of the fast requests in each phase. Then it starts the program again with a
//! one-second request timeout and shows which slow operations the timeout can cut short.
//!
//! `blocking_latency PROGRAM [--threads N] [--clients C] [--seconds S] [--sleep T]`
//! (defaults: 2 threads, 4 clients, 6 s per phase, each slow request sleeping 2 s).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One fast request every this long.
const PACE: Duration = Duration::from_millis(10);

struct Options {
    threads: usize,
    clients: usize,
    phase: Duration,
    sleep: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage =
        "usage: blocking_latency PROGRAM [--threads N] [--clients C] [--seconds S] [--sleep T]";
    let program = args.next().ok_or(usage)?;
    // The program runs in a folder of its own: its path must not depend on where we are.
    let program = std::fs::canonicalize(&program)?.display().to_string();
    let mut options = Options {
        threads: 2,
        clients: 4,
        phase: Duration::from_secs(6),
        sleep: 2,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--threads" => options.threads = value.parse()?,
            "--clients" => options.clients = value.parse()?,
            "--seconds" => options.phase = Duration::from_secs(value.parse()?),
            "--sleep" => options.sleep = value.parse()?,
            other => return Err(format!("unknown option {other}; {usage}").into()),
        }
    }
    let folder = std::env::temp_dir().join(format!("bench-blocking-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let result = run(&program, &folder, &options).await;
    let _ = std::fs::remove_dir_all(&folder);
    result
}

async fn run(
    program: &str,
    folder: &PathBuf,
    options: &Options,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = reqwest::Client::new();
    let (mut server, base) = start(program, folder, options.threads, &[]).await?;
    // Warm up connections and caches.
    fast_stream(&client, &base, Duration::from_millis(500)).await?;

    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "chapter 15, release build, {cpus} CPUs, TOKIO_WORKER_THREADS={}; {} s per phase; \
         one fast request (GET /slow-async?seconds=0) every {} ms; {} clients each calling a \
         slow operation that waits {} s, again and again",
        options.threads,
        options.phase.as_secs(),
        PACE.as_millis(),
        options.clients,
        options.sleep
    );
    println!();
    println!(
        "{:<44} {:>8} {:>10} {:>10} {:>10} {:>10} {:>14}",
        "fast requests, while…", "requests", "p50", "p90", "p99", "max", "slow answered"
    );
    let alone = fast_stream(&client, &base, options.phase).await?;
    report("nothing else runs", alone, None);
    for slow in ["/slow-async", "/slow-blocking", "/slow-spawn-blocking"] {
        let (fast, slow_times) = with_slow_clients(&client, &base, slow, options).await?;
        report(
            &format!("{} clients call {slow}", options.clients),
            fast,
            Some(slow_times),
        );
    }
    server.start_kill()?;
    let _ = server.wait().await;

    println!();
    println!("with REQUEST_TIMEOUT_SECS=1, one request alone:");
    let (mut server, base) = start(
        program,
        folder,
        options.threads,
        &[("REQUEST_TIMEOUT_SECS", "1")],
    )
    .await?;
    // Longer than the timeout, or there is nothing to cut short.
    let wait = options.sleep.max(2);
    for slow in ["/slow-async", "/slow-blocking", "/slow-spawn-blocking"] {
        let started = Instant::now();
        let response = client
            .get(format!("{base}{slow}?seconds={wait}"))
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        println!(
            "  GET {slow}?seconds={wait}: {} after {:.2} s  {body}",
            status.as_u16(),
            started.elapsed().as_secs_f64()
        );
    }
    server.start_kill()?;
    let _ = server.wait().await;
    Ok(())
}

/// Starts the program in `folder` with `threads` runtime threads and no job worker.
async fn start(
    program: &str,
    folder: &PathBuf,
    threads: usize,
    env: &[(&str, &str)],
) -> Result<(Child, String), Box<dyn std::error::Error>> {
    let mut server = Command::new(program)
        .args(["--port", "0"])
        .current_dir(folder)
        .env("TOKIO_WORKER_THREADS", threads.to_string())
        .env("WORKER_CONCURRENCY", "0")
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = server.stdout.take().ok_or("no standard output")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or(format!("unexpected first line {line:?}"))?
        .to_owned();
    Ok((server, base))
}

/// The fast stream for one phase, while `options.clients` clients call `slow` without pause:
/// the fast requests' times, and the slow ones'.
async fn with_slow_clients(
    client: &reqwest::Client,
    base: &str,
    slow: &str,
    options: &Options,
) -> Result<(Vec<Duration>, Vec<Duration>), Box<dyn std::error::Error>> {
    let deadline = Instant::now() + options.phase;
    let callers: Vec<_> = (0..options.clients)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}{slow}?seconds={}", options.sleep);
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match client.get(&url).send().await {
                        Ok(response) => {
                            let _ = response.bytes().await;
                            times.push(started.elapsed());
                        }
                        Err(err) => eprintln!("a slow request failed: {err}"),
                    }
                }
                times
            })
        })
        .collect();
    // Let the slow clients get going first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fast = fast_stream(
        client,
        base,
        options.phase.saturating_sub(Duration::from_millis(200)),
    )
    .await?;
    let mut slow_times = Vec::new();
    for caller in callers {
        slow_times.extend(caller.await?);
    }
    Ok((fast, slow_times))
}

/// Fast requests, one every `PACE`, for `length`: the time each one took.
async fn fast_stream(
    client: &reqwest::Client,
    base: &str,
    length: Duration,
) -> Result<Vec<Duration>, reqwest::Error> {
    let url = format!("{base}/slow-async?seconds=0");
    let deadline = Instant::now() + length;
    let mut pace = tokio::time::interval(PACE);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut times = Vec::new();
    while Instant::now() < deadline {
        pace.tick().await;
        let started = Instant::now();
        client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        times.push(started.elapsed());
    }
    Ok(times)
}

fn percentile(times: &[Duration], p: f64) -> String {
    let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len().max(1)) - 1;
    times.get(index).map_or("-".to_owned(), |d| {
        if d.as_secs_f64() >= 1.0 {
            format!("{:.2} s", d.as_secs_f64())
        } else {
            format!("{:.2} ms", d.as_secs_f64() * 1000.0)
        }
    })
}

fn report(name: &str, mut fast: Vec<Duration>, slow: Option<Vec<Duration>>) {
    fast.sort();
    let slow = slow.map_or("-".to_owned(), |mut slow| {
        slow.sort();
        format!("{} (max {})", slow.len(), percentile(&slow, 1.0))
    });
    println!(
        "{name:<44} {:>8} {:>10} {:>10} {:>10} {:>10} {:>14}",
        fast.len(),
        percentile(&fast, 0.50),
        percentile(&fast, 0.90),
        percentile(&fast, 0.99),
        percentile(&fast, 1.0),
        slow
    );
}
