//! Do logins stall other requests? `scripts/bench-login` runs this against a release build.
//!
//! It starts chapter 09's program, sends a steady stream of `GET /users/me/` (cheap: a token
//! check) for a while, then the same stream again while several clients log in without pause
//! (each login runs bcrypt for about a quarter of a second), and prints the latency
//! percentiles of the cheap requests in both phases. Because bcrypt runs on the blocking pool,
//! the async threads stay free and the second phase should look like the first.
//!
//! `login_latency PROGRAM [--logins N] [--seconds S]` (defaults: 4 logins at once, 5 s per phase).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// One cheap request every this long, in both phases.
const PACE: Duration = Duration::from_millis(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let program = args
        .next()
        .ok_or("usage: login_latency PROGRAM [--logins N] [--seconds S]")?;
    let (mut logins, mut seconds) = (4usize, 5u64);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--logins" => logins = value.parse()?,
            "--seconds" => seconds = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let phase = Duration::from_secs(seconds);

    let mut server = Command::new(&program)
        .args(["--port", "0"])
        .env("RUST_LOG", "error")
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

    let client = reqwest::Client::new();
    let token = login(&client, &base).await?.1;
    // Warm up connections and caches.
    stream(&client, &base, &token, Duration::from_millis(500)).await?;

    let alone = stream(&client, &base, &token, phase).await?;

    let deadline = Instant::now() + phase;
    let loggers: Vec<_> = (0..logins)
        .map(|_| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < deadline {
                    match login(&client, &base).await {
                        Ok((took, _)) => times.push(took),
                        Err(err) => eprintln!("a login failed: {err}"),
                    }
                }
                times
            })
        })
        .collect();
    let during = stream(&client, &base, &token, phase).await?;
    let mut login_times = Vec::new();
    for logger in loggers {
        login_times.extend(logger.await?);
    }

    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "chapter 09, release build, {cpus} CPUs; {seconds} s per phase, one GET every {} ms",
        PACE.as_millis()
    );
    println!();
    println!(
        "{:<40} {:>8} {:>10} {:>10} {:>10} {:>10}",
        "", "requests", "p50", "p90", "p99", "max"
    );
    report("GET /users/me/ alone", alone);
    report(
        &format!("GET /users/me/ while {logins} clients log in"),
        during,
    );
    report("POST /token (bcrypt, cost 12)", login_times);
    server.start_kill()?;
    Ok(())
}

/// One login as johndoe: how long it took, and the token.
async fn login(client: &reqwest::Client, base: &str) -> Result<(Duration, String), reqwest::Error> {
    let started = Instant::now();
    let body: serde_json::Value = client
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=johndoe&password=secret")
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    Ok((started.elapsed(), token))
}

/// Cheap requests, one every `PACE`, for `length`: the time each one took.
async fn stream(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    length: Duration,
) -> Result<Vec<Duration>, reqwest::Error> {
    let url = format!("{base}/users/me/");
    let auth = format!("Bearer {token}");
    let deadline = Instant::now() + length;
    let mut pace = tokio::time::interval(PACE);
    let mut times = Vec::new();
    while Instant::now() < deadline {
        pace.tick().await;
        let started = Instant::now();
        client
            .get(&url)
            .header("authorization", &auth)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        times.push(started.elapsed());
    }
    Ok(times)
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |p: f64| {
        let index = ((p * times.len() as f64).ceil() as usize).clamp(1, times.len().max(1)) - 1;
        times.get(index).map_or("-".to_owned(), |d| {
            format!("{:.2} ms", d.as_secs_f64() * 1000.0)
        })
    };
    println!(
        "{name:<40} {:>8} {:>10} {:>10} {:>10} {:>10}",
        times.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0)
    );
}
