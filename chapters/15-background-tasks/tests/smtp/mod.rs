//! A small SMTP server for the tests: enough of RFC 5321 for lettre (greeting, EHLO, MAIL
//! FROM, RCPT TO, DATA, QUIT), with the ways a real relay misbehaves.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server treats the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Takes every message; answers its final `250` after `delay` (a slow relay).
    Accept { delay: Duration },
    /// Refuses every sender with `550`.
    Refuse,
    /// Takes the connection and never says a word.
    Hang,
    /// Greets, reads the first command, and closes the connection.
    Drop,
}

/// One message the server took in, whole (its final `.` arrived).
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// The message as it came, headers and body.
    pub(crate) raw: String,
    /// The `RCPT TO` addresses.
    pub(crate) recipients: Vec<String>,
}

impl Received {
    /// The value of header `name`, if the message has it.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

#[derive(Debug)]
struct Shared {
    mode: Mutex<Mode>,
    messages: Mutex<Vec<Received>>,
    connections: Mutex<usize>,
}

/// A running test SMTP server on a free port of 127.0.0.1; stops when dropped.
#[derive(Debug)]
pub(crate) struct TestSmtp {
    /// `smtp://127.0.0.1:PORT`, for `SMTP_URL`.
    pub(crate) url: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TestSmtp {
    /// Starts a server in `mode`.
    pub(crate) async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the test SMTP server binds a port");
        let port = listener.local_addr().expect("it has an address").port();
        let shared = Arc::new(Shared {
            mode: Mutex::new(mode),
            messages: Mutex::default(),
            connections: Mutex::default(),
        });
        let task = tokio::spawn({
            let shared = shared.clone();
            async move {
                // Connections live as long as the server: aborting it closes them all.
                let mut held = tokio::task::JoinSet::new();
                while let Ok((socket, _)) = listener.accept().await {
                    *lock(&shared.connections) += 1;
                    let mode = *lock(&shared.mode);
                    held.spawn(serve(socket, mode, shared.clone()));
                    while held.try_join_next().is_some() {}
                }
            }
        });
        Self {
            url: format!("smtp://127.0.0.1:{port}"),
            shared,
            task,
        }
    }

    /// Changes how the next connections are treated.
    pub(crate) fn set_mode(&self, mode: Mode) {
        *lock(&self.shared.mode) = mode;
    }

    /// Every message taken in so far.
    pub(crate) fn messages(&self) -> Vec<Received> {
        lock(&self.shared.messages).clone()
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> usize {
        *lock(&self.shared.connections)
    }
}

async fn serve(socket: TcpStream, mode: Mode, shared: Arc<Shared>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    if mode == Mode::Hang {
        // Read and ignore, never answer: the client must give up by itself.
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut lines, &mut sink).await;
        return;
    }
    let say = |text: &'static str| text.as_bytes();
    if write
        .write_all(say("220 test.local ESMTP ready\r\n"))
        .await
        .is_err()
    {
        return;
    }
    let mut recipients = Vec::new();
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if mode == Mode::Drop {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            say("250-test.local\r\n250 8BITMIME\r\n")
        } else if command.starts_with("MAIL FROM") {
            match mode {
                Mode::Refuse => say("550 5.7.1 sender refused by the test server\r\n"),
                _ => say("250 2.1.0 ok\r\n"),
            }
        } else if command.starts_with("RCPT TO") {
            recipients.push(
                line.trim_end()
                    .get(8..)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            );
            say("250 2.1.5 ok\r\n")
        } else if command == "DATA" {
            if write
                .write_all(say("354 end with <CRLF>.<CRLF>\r\n"))
                .await
                .is_err()
            {
                return;
            }
            let Some(raw) = read_data(&mut lines).await else {
                return;
            };
            lock(&shared.messages).push(Received {
                raw,
                recipients: std::mem::take(&mut recipients),
            });
            if let Mode::Accept { delay } = mode {
                tokio::time::sleep(delay).await;
            }
            say("250 2.0.0 queued\r\n")
        } else if command == "QUIT" {
            let _ = write.write_all(say("221 2.0.0 bye\r\n")).await;
            return;
        } else if command == "RSET" || command == "NOOP" {
            say("250 2.0.0 ok\r\n")
        } else {
            say("502 5.5.1 not implemented\r\n")
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The message after `DATA`, up to the line with a single `.`, dot-stuffing undone.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut raw = String::new();
    loop {
        let mut line = String::new();
        match tokio::time::timeout(Duration::from_secs(30), lines.read_line(&mut line)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(_)) => {}
        }
        if line == ".\r\n" {
            return Some(raw);
        }
        raw.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
