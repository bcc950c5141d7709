//! kit's server over real TCP, where the client writes the bytes itself: the read timeouts
//! (a client that stops sending is cut off, and the others are served all the while), and
//! the `Host` header that HTTP/1.1 requires.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use clap::{Args, Command, FromArgMatches};
use kit::serve::{Listen, ReadTimeouts};
use kit::testing::{Running, spawn_with};
use poem::{Route, get, handler, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Short timeouts, so that the tests wait a second, not the defaults' ten or thirty.
const TIMEOUTS: ReadTimeouts = ReadTimeouts {
    header: Duration::from_secs(1),
    body: Duration::from_secs(1),
};

/// How long a test waits for a connection to be closed before it calls it left open: far
/// more than the timeouts, so that a slow machine does not fail the test.
const PATIENCE: Duration = Duration::from_secs(10);

#[handler]
fn hello() -> &'static str {
    "hello"
}

#[handler]
fn echo(body: String) -> String {
    body
}

async fn server() -> Running {
    spawn_with(
        Route::new().at("/", get(hello)).at("/echo", post(echo)),
        TIMEOUTS,
    )
    .await
}

async fn connect(server: &Running) -> TcpStream {
    TcpStream::connect(server.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection, and how long after `since`
/// that was; `None` if it is still open after [`PATIENCE`].
async fn until_closed(conn: &mut TcpStream, since: Instant) -> Option<(String, Duration)> {
    let mut answer = Vec::new();
    // A reset counts as closed too: the server may close with bytes of the client unread.
    let _closed_or_reset = tokio::time::timeout(PATIENCE, conn.read_to_end(&mut answer))
        .await
        .ok()?;
    Some((
        String::from_utf8_lossy(&answer).into_owned(),
        since.elapsed(),
    ))
}

/// A whole request, sent in pieces `pause` apart, on a new connection; the answer.
async fn send_slowly(server: &Running, pieces: &[&str], pause: Duration) -> String {
    let mut conn = connect(server).await;
    for piece in pieces {
        conn.write_all(piece.as_bytes()).await.unwrap();
        tokio::time::sleep(pause).await;
    }
    until_closed(&mut conn, Instant::now())
        .await
        .expect("an answer")
        .0
}

#[tokio::test]
async fn a_silent_half_sent_request_is_closed_while_others_are_served() {
    let server = server().await;
    let mut half_sent = connect(&server).await;
    half_sent
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let half_sent_at = Instant::now();
    let mut silent = connect(&server).await;
    let silent_at = Instant::now();
    // Meanwhile, a request in two parts, each in time, is served.
    let served = send_slowly(
        &server,
        &[
            "GET / HTTP/1.1\r\nHost: local",
            "host\r\nConnection: close\r\n\r\n",
        ],
        Duration::from_millis(300),
    )
    .await;
    assert!(
        served.starts_with("HTTP/1.1 200") && served.ends_with("hello"),
        "{served}"
    );
    let (answer, half_sent_after) = until_closed(&mut half_sent, half_sent_at)
        .await
        .expect("a half-sent request is closed");
    assert!(!answer.contains("200"), "{answer}");
    let (_, silent_after) = until_closed(&mut silent, silent_at)
        .await
        .expect("a connection that sends nothing is closed");
    eprintln!(
        "header timeout {:?}: half-sent request closed {half_sent_after:?} after it was sent, \
         silent connection {silent_after:?} after it opened",
        TIMEOUTS.header
    );
    let served = send_slowly(
        &server,
        &["GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"],
        Duration::ZERO,
    )
    .await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408_and_closed() {
    let server = server().await;
    let mut stalled = connect(&server).await;
    stalled
        .write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc")
        .await
        .unwrap();
    let stalled_at = Instant::now();
    // A body that arrives in pieces, all within the timeout, is read whole.
    let echoed = send_slowly(
        &server,
        &[
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
            "Content-Length: 10\r\n\r\nhello",
            " body",
        ],
        Duration::from_millis(300),
    )
    .await;
    assert!(echoed.ends_with("hello body"), "{echoed}");
    let (answer, after) = until_closed(&mut stalled, stalled_at)
        .await
        .expect("a stalled body is cut off");
    eprintln!(
        "body timeout {:?}: stalled body answered and closed after {after:?}",
        TIMEOUTS.body
    );
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.ends_with(r#"{"detail":"Request Timeout"}"#),
        "{answer}"
    );
}

fn listen(args: &[&str]) -> Result<Listen, clap::Error> {
    let command = Listen::augment_args(Command::new("chapter"));
    let matches = command.try_get_matches_from([&["chapter"], args].concat())?;
    Listen::from_arg_matches(&matches)
}

#[test]
fn the_timeouts_have_defaults_and_settings() {
    let defaults = listen(&[]).unwrap();
    assert_eq!(defaults.timeouts, ReadTimeouts::default());
    assert_eq!(ReadTimeouts::default().header, Duration::from_secs(10));
    assert_eq!(ReadTimeouts::default().body, Duration::from_secs(30));
    let set = listen(&["--header-read-timeout", "5", "--body-read-timeout", "120"]).unwrap();
    assert_eq!(set.timeouts.header, Duration::from_secs(5));
    assert_eq!(set.timeouts.body, Duration::from_secs(120));
    for bad in ["0", "-1", "1.5", "soon"] {
        assert!(listen(&["--body-read-timeout", bad]).is_err(), "{bad}");
    }
}

/// The answer to `request`, sent whole on a new connection, up to the server's close.
async fn exchange(server: &Running, request: &str) -> String {
    let mut conn = connect(server).await;
    conn.write_all(request.as_bytes()).await.unwrap();
    until_closed(&mut conn, Instant::now())
        .await
        .expect("the server to answer and close")
        .0
}

#[tokio::test]
async fn an_http_1_1_request_without_host_is_400() {
    let server = server().await;
    let answer = exchange(&server, "GET / HTTP/1.1\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(
        answer.contains(r#"{"detail":"Missing Host header"}"#),
        "{answer}"
    );
}

#[tokio::test]
async fn two_host_headers_are_400() {
    let server = server().await;
    let answer = exchange(
        &server,
        "GET / HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("More than one Host header"), "{answer}");
}

/// HTTP/1.0 predates `Host`: there it may be absent.
#[tokio::test]
async fn an_http_1_0_request_without_host_is_served() {
    let server = server().await;
    let answer = exchange(&server, "GET / HTTP/1.0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.0 200 "), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
}
