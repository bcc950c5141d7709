//! Deliberately broken servers, to see what the grader says about them.
//!
//! Each one misbehaves in one way a learner's server might. They speak raw TCP, so that they
//! can break HTTP itself (hang, hang up, answer garbage), not only the contract.
//! `cargo run -p grader --bin broken-server -- --mode hang` runs one; `grader 01 --bin` on it
//! shows the report an instructor would see.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One way to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Broken {
    /// Answers every request with 200 and `{"message": "Hello world"}` (wrong case).
    WrongBody,
    /// Answers with the right greeting but status 201.
    WrongStatus,
    /// Answers with the right greeting but no `Content-Type`.
    MissingHeader,
    /// Accepts connections and never answers.
    Hang,
    /// Accepts connections and closes them at once.
    Close,
    /// Answers with bytes that are not HTTP.
    Garbage,
}

/// A broken server listening on a free port of 127.0.0.1.
#[derive(Debug)]
pub struct BrokenServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BrokenServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl BrokenServer {
    /// Starts one on `host:port` (port 0 for any).
    pub async fn start(broken: Broken, host: &str, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind((host, port)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(broken, stream));
            }
        });
        Ok(Self { url, task })
    }

    /// Serves until the task is stopped.
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

const GREETING: &str = r#"{"message":"Hello World"}"#;

async fn answer(broken: Broken, mut stream: TcpStream) {
    if broken == Broken::Close {
        return;
    }
    loop {
        if read_request_head(&mut stream).await.is_none() {
            return;
        }
        let reply = match broken {
            Broken::WrongBody => response(
                "200 OK",
                Some("application/json"),
                r#"{"message":"Hello world"}"#,
            ),
            Broken::WrongStatus => response("201 Created", Some("application/json"), GREETING),
            Broken::MissingHeader => response("200 OK", None, GREETING),
            Broken::Garbage => "SSH-2.0-OpenSSH_9.2\r\n".to_owned(),
            Broken::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Broken::Close => return,
        };
        if stream.write_all(reply.as_bytes()).await.is_err() || broken == Broken::Garbage {
            return;
        }
    }
}

fn response(status: &str, content_type: Option<&str>, body: &str) -> String {
    let content_type = content_type
        .map(|t| format!("content-type: {t}\r\n"))
        .unwrap_or_default();
    format!(
        "HTTP/1.1 {status}\r\n{content_type}content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Reads up to the blank line that ends a request's head (bodies are not expected here).
async fn read_request_head(stream: &mut TcpStream) -> Option<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) if head.len() < 64 * 1024 => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(())
}
