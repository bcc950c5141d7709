//! `scripts/try-it`: runs the shell sessions of the book's pages, in order, and fails on any
//! difference between what a page shows and what its commands print.
//!
//! A session is a fenced block whose language is `console`. In it, a line that starts with
//! `$ ` is a command (a line ending in `\` goes on to the next), and the lines after it, up to
//! the next command, are what the command prints, stdout and stderr together:
//!
//! ````text
//! ```console
//! $ curl -s http://127.0.0.1:8000/items/42
//! {"item_id":42}
//! ```
//! ````
//!
//! What varies is written as a placeholder, as `trycmd` does: `[..]` stands for any text within
//! a line, and a line of its own `...` for any number of lines. A command must exit with 0,
//! unless its output ends with a line `? N`, the status it exits with.
//!
//! A block marked `console,server` starts a server, the way a reader starts it in a terminal
//! of their own: its one command runs in the background, the runner waits until the lines the
//! block shows have been printed (so a block ends with the `listening on` line), and the server
//! is stopped when the page ends or its next server starts.
//!
//! The commands of one page run in one `bash`, from the workspace's root, in the order the
//! page gives them, so a variable set by one command is there for the next: what a reader
//! following the page in one terminal sees. Since their output goes to a pipe, not to a
//! terminal, curl is told not to draw its progress meter (a `.curlrc` of the runner's own, in
//! `CURL_HOME`), which on a terminal it would not draw either.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// A command of a page and what it prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The page's line of the `$`.
    pub line: usize,
    pub command: String,
    /// The expected lines, placeholders included, without the `? N` line.
    pub expected: Vec<String>,
    /// The exit status the page shows (`? N`), 0 when it shows none.
    pub status: i32,
}

/// A `console` block of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The page's line of the opening fence.
    pub line: usize,
    /// `console,server`: a server started in the background.
    pub server: bool,
    pub steps: Vec<Step>,
}

/// The `console` blocks of a page, in order.
pub fn parse(markdown: &str) -> Result<Vec<Session>, String> {
    let mut sessions = Vec::new();
    let mut current: Option<Session> = None;
    let mut continued = false;
    for (index, text) in markdown.lines().enumerate() {
        let line = index + 1;
        let trimmed = text.trim_end();
        let Some(session) = current.as_mut() else {
            if let Some(info) = trimmed.strip_prefix("```") {
                let mut words = info.split([',', ' ']).filter(|w| !w.is_empty());
                if words.next() == Some("console") {
                    current = Some(Session {
                        line,
                        server: words.any(|w| w == "server"),
                        steps: Vec::new(),
                    });
                }
            }
            continue;
        };
        if trimmed == "```" {
            let mut session = current.take().expect("a session is open");
            for step in &mut session.steps {
                // Blank lines that only set commands apart.
                while step.expected.last().is_some_and(String::is_empty) {
                    step.expected.pop();
                }
            }
            if session.steps.is_empty() {
                return Err(format!(
                    "line {}: a console block without a `$ ` command",
                    line
                ));
            }
            if session.server && session.steps.len() != 1 {
                return Err(format!(
                    "line {}: a server block has one command",
                    session.line
                ));
            }
            sessions.push(session);
            continued = false;
            continue;
        }
        if continued {
            let step = session.steps.last_mut().expect("a command goes on");
            step.command.push('\n');
            step.command.push_str(trimmed);
            continued = trimmed.ends_with('\\');
            continue;
        }
        if let Some(command) = trimmed.strip_prefix("$ ") {
            session.steps.push(Step {
                line,
                command: command.to_owned(),
                expected: Vec::new(),
                status: 0,
            });
            continued = command.ends_with('\\');
            continue;
        }
        let Some(step) = session.steps.last_mut() else {
            return Err(format!("line {line}: output before the first `$ ` command"));
        };
        if let Some(status) = trimmed.strip_prefix("? ") {
            step.status = status
                .parse()
                .map_err(|_| format!("line {line}: `? N` takes an exit status, not {status:?}"))?;
            continue;
        }
        step.expected.push(trimmed.to_owned());
    }
    if let Some(session) = current {
        return Err(format!(
            "line {}: a console block is not closed",
            session.line
        ));
    }
    Ok(sessions)
}

/// Whether `actual` is `expected` with its placeholders filled in: `[..]` is any text within
/// a line, a line `...` any number of lines. Trailing spaces are not compared.
pub fn matches(expected: &[String], actual: &[String]) -> bool {
    // memo[i][j]: expected[i..] against actual[j..] is known not to match.
    let mut failed = vec![vec![false; actual.len() + 1]; expected.len() + 1];
    lines_match(expected, actual, 0, 0, &mut failed)
}

fn lines_match(
    expected: &[String],
    actual: &[String],
    i: usize,
    j: usize,
    failed: &mut [Vec<bool>],
) -> bool {
    if failed[i][j] {
        return false;
    }
    let found = match expected.get(i) {
        None => j == actual.len(),
        Some(pattern) if pattern.trim() == "..." => {
            (j..=actual.len()).any(|k| lines_match(expected, actual, i + 1, k, failed))
        }
        Some(pattern) => {
            j < actual.len()
                && line_matches(pattern, &actual[j])
                && lines_match(expected, actual, i + 1, j + 1, failed)
        }
    };
    if !found {
        failed[i][j] = true;
    }
    found
}

/// One line against a pattern with `[..]` placeholders.
pub fn line_matches(pattern: &str, actual: &str) -> bool {
    let pattern = pattern.trim_end();
    let actual = actual.trim_end();
    let mut pieces = pattern.split("[..]");
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// What went wrong with one command of a page.
#[derive(Debug)]
pub struct Difference {
    pub line: usize,
    pub command: String,
    pub expected: Vec<String>,
    pub expected_status: i32,
    pub got: Vec<String>,
    /// `None` when the command did not finish in time.
    pub status: Option<i32>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}: $ {}", self.line, self.command)?;
        match self.status {
            None => writeln!(f, "  did not finish in time")?,
            Some(status) if status != self.expected_status => writeln!(
                f,
                "  exited with {status}, the page shows {}",
                self.expected_status
            )?,
            Some(_) => {}
        }
        writeln!(f, "  the page shows:")?;
        for line in &self.expected {
            writeln!(f, "  | {line}")?;
        }
        writeln!(f, "  it printed:")?;
        for line in &self.got {
            writeln!(f, "  | {line}")?;
        }
        Ok(())
    }
}

/// How long a runner waits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// For one command to finish.
    pub command: Duration,
    /// For a server to print what its block shows (it may be compiled first).
    pub server: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(120),
            server: Duration::from_secs(900),
        }
    }
}

/// Runs the sessions of one page from `root`; the differences, in order.
pub fn run_page(
    root: &Path,
    sessions: &[Session],
    limits: Limits,
) -> Result<Vec<Difference>, String> {
    let mut shell = Shell::start(root)?;
    let mut server: Option<Server> = None;
    let mut differences = Vec::new();
    for session in sessions {
        if session.server {
            drop(server.take());
            let step = &session.steps[0];
            let (started, got) = Server::start(root, step, limits.server)?;
            if !matches(&step.expected, &got) {
                differences.push(Difference {
                    line: step.line,
                    command: step.command.clone(),
                    expected: step.expected.clone(),
                    expected_status: 0,
                    got,
                    status: started.as_ref().map(|_| 0),
                });
            }
            match started {
                Some(started) => server = Some(started),
                None => break,
            }
            continue;
        }
        for step in &session.steps {
            let (got, status) = shell.run(&step.command, limits.command)?;
            if status != Some(step.status) || !matches(&step.expected, &got) {
                differences.push(Difference {
                    line: step.line,
                    command: step.command.clone(),
                    expected: step.expected.clone(),
                    expected_status: step.status,
                    got,
                    status,
                });
                if status.is_none() {
                    // The shell is busy with the command that hangs: the page cannot go on.
                    return Ok(differences);
                }
            }
        }
    }
    Ok(differences)
}

/// One `bash` that runs a page's commands in turn.
struct Shell {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    marker: String,
}

impl Shell {
    fn start(root: &Path) -> Result<Self, String> {
        let mut child = Command::new("bash")
            .args(["--noprofile", "--norc"])
            .current_dir(root)
            .envs(quiet_env()?)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start bash: {e}"))?;
        let mut stdin = child.stdin.take().expect("piped");
        let lines = read_lines(child.stdout.take().expect("piped"));
        // stderr goes where stdout goes, as on a reader's terminal.
        writeln!(stdin, "exec 2>&1").map_err(|e| format!("bash: {e}"))?;
        let marker = format!("try-it-{}-done", std::process::id());
        Ok(Self {
            child,
            stdin,
            lines,
            marker,
        })
    }

    /// Runs `command`; its lines and exit status, or no status when it did not finish.
    fn run(
        &mut self,
        command: &str,
        limit: Duration,
    ) -> Result<(Vec<String>, Option<i32>), String> {
        // The marker on a line of its own, even after output that does not end in a newline.
        writeln!(
            self.stdin,
            "{command}\n__status=$?; printf '\\n{} %s\\n' \"$__status\"",
            self.marker
        )
        .map_err(|e| format!("bash: {e}"))?;
        self.stdin.flush().map_err(|e| format!("bash: {e}"))?;
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(status) = line.strip_prefix(&format!("{} ", self.marker)) {
                        // The newline printed before the marker.
                        if got.last().is_some_and(String::is_empty) {
                            got.pop();
                        }
                        while got.last().is_some_and(|l: &String| l.trim().is_empty()) {
                            got.pop();
                        }
                        return Ok((got, status.trim().parse().ok()));
                    }
                    got.push(line);
                }
                Err(RecvTimeoutError::Timeout) => return Ok((got, None)),
                Err(RecvTimeoutError::Disconnected) => return Ok((got, Some(-1))),
            }
        }
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

/// A server a page started, stopped when dropped.
struct Server {
    child: Child,
}

impl Server {
    /// Starts `step`'s command and waits until it printed what the page shows; `None` with
    /// what it printed when it stopped or took too long first.
    fn start(
        root: &Path,
        step: &Step,
        limit: Duration,
    ) -> Result<(Option<Self>, Vec<String>), String> {
        let mut child = Command::new("bash")
            .args(["--noprofile", "--norc", "-c"])
            .arg(format!("exec 2>&1\n{}", step.command))
            .current_dir(root)
            .envs(quiet_env()?)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start bash: {e}"))?;
        let lines = read_lines(child.stdout.take().expect("piped"));
        let deadline = Instant::now() + limit;
        let mut got = Vec::new();
        let mut server = Self { child };
        loop {
            if matches(&step.expected, &got) {
                return Ok((Some(server), got));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => got.push(line),
                Err(_) => {
                    stop_group(&mut server.child);
                    return Ok((None, got));
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

/// What makes the commands print as they would on a reader's terminal: no colours, and no
/// progress meter from curl.
fn quiet_env() -> Result<Vec<(&'static str, String)>, String> {
    let home = std::env::temp_dir().join(format!("try-it-curl-{}", std::process::id()));
    std::fs::create_dir_all(&home).map_err(|e| format!("{}: {e}", home.display()))?;
    std::fs::write(home.join(".curlrc"), "no-progress-meter\n")
        .map_err(|e| format!("{}: {e}", home.display()))?;
    Ok(vec![
        ("NO_COLOR", "1".to_owned()),
        ("CARGO_TERM_COLOR", "never".to_owned()),
        ("CURL_HOME", home.display().to_string()),
    ])
}

/// Stops a child and everything it started (its process group), and waits for it.
fn stop_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // The group first: `cargo run` and the server it started.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The lines a child prints, read by a thread of their own. The thread reads to the end even
/// when nobody listens any more (a server, once its block has matched): as a terminal does, it
/// takes what the program goes on printing (an access log), which would otherwise write into
/// a closed pipe and fail.
fn read_lines(stdout: std::process::ChildStdout) -> Receiver<String> {
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut buffer = Vec::new();
        while let Ok(read) = reader.read_until(b'\n', &mut buffer) {
            if read == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buffer);
            let line = text.trim_end_matches(['\n', '\r']).to_owned();
            buffer.clear();
            // No one listening is no reason to stop reading.
            let _ = sender.send(line);
        }
    });
    receiver
}

/// The pages under `book`, or those whose file name starts with one of `only` (`09`, say).
pub fn pages(book: &Path, only: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(book)
        .map_err(|e| format!("{}: {e}", book.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            only.is_empty() || only.iter().any(|prefix| name.starts_with(prefix.as_str()))
        })
        .collect();
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn placeholders_stand_for_text_within_a_line() {
        assert!(line_matches(
            "date: [..]",
            "date: Sun, 06 Dec 2026 12:00:00 GMT"
        ));
        assert!(line_matches(
            r#"{"access_token":"[..]","token_type":"bearer"}"#,
            r#"{"access_token":"eyJ.x.y","token_type":"bearer"}"#
        ));
        assert!(line_matches("a[..]b[..]c", "a-b-b-c"));
        assert!(!line_matches("a[..]b", "a-c"));
        assert!(!line_matches("abc", "abcd"));
        assert!(line_matches("[..]", ""));
        assert!(!line_matches("ab[..]ba", "aba"));
    }

    #[test]
    fn an_ellipsis_line_stands_for_any_number_of_lines() {
        let expected = lines("first\n...\nlast");
        assert!(matches(&expected, &lines("first\nlast")));
        assert!(matches(&expected, &lines("first\na\nb\nlast")));
        assert!(!matches(&expected, &lines("first\na\nlast\nmore")));
        assert!(!matches(&lines("one"), &lines("one\ntwo")));
        assert!(matches(
            &lines("...\nlistening on [..]"),
            &lines("Compiling\nlistening on x")
        ));
    }

    #[test]
    fn a_page_gives_its_sessions_commands_and_outputs() {
        let page = "Text\n\n```sh\nnot run\n```\n\n```console,server\n$ cargo run -p ch01\n...\n\
                    listening on [..]\n```\n\n```console\n$ curl -s \\\n  http://x/\n{\"a\":1}\n\
                    $ false\n? 1\n```\n";
        let sessions = parse(page).expect("parses");
        assert_eq!(sessions.len(), 2);
        assert!(sessions[0].server);
        assert_eq!(sessions[0].line, 7);
        assert_eq!(sessions[1].steps[0].command, "curl -s \\\n  http://x/");
        assert_eq!(sessions[1].steps[0].expected, vec!["{\"a\":1}"]);
        assert_eq!(sessions[1].steps[1].status, 1);
        assert!(sessions[1].steps[1].expected.is_empty());
    }

    #[test]
    fn what_a_program_prints_after_nobody_listens_is_still_read() {
        // A server goes on logging after its block matched: its writes must not fail.
        let mut child = Command::new("bash")
            .args([
                "-c",
                "echo ready; for i in 1 2 3; do sleep 0.2; echo more || exit 9; done",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("bash starts");
        let lines = read_lines(child.stdout.take().expect("piped"));
        let first = lines.recv_timeout(Duration::from_secs(10));
        assert_eq!(first.as_deref(), Ok("ready"));
        drop(lines);
        let status = child.wait().expect("bash ends");
        assert!(status.success(), "{status:?}");
    }

    #[test]
    fn a_block_without_a_command_or_a_closing_fence_is_an_error() {
        assert!(parse("```console\noutput\n```\n").is_err());
        assert!(parse("```console\n$ true\n").is_err());
        assert!(parse("```console,server\n$ a\n$ b\n```\n").is_err());
    }
}
