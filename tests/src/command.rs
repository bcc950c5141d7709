//! Checks that run the program itself: its commands (`PROGRAM migrate status`) and servers
//! started one after the other in one folder, so that what a command changes, the next server
//! sees. Such a check is marked with [`Check::program`](crate::check::Check::program); it needs
//! the program (`--bin` or the reference) and is skipped against a server given by `--url`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::check::{Ctx, Failure};
use crate::target::{self, Server};

/// The program under test and the folder its commands run in; the folder goes when this does.
#[derive(Debug)]
pub(crate) struct Program {
    path: PathBuf,
    dir: PathBuf,
    env: Vec<(String, String)>,
    startup: Duration,
    timeout: Duration,
}

impl Program {
    /// `path`, run in a new empty folder with `env`. A `DATABASE_URL` is left out: commands
    /// change the database, so they work on one of their own, the program's default (a
    /// SQLite file in that folder), not on the one other checks' servers share.
    pub(crate) fn new(
        path: &Path,
        env: &[(String, String)],
        startup: Duration,
        timeout: Duration,
    ) -> Result<Self, String> {
        Ok(Self {
            // The program runs in a folder of its own, so a relative path must be made absolute.
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
            dir: target::workdir()?,
            env: env
                .iter()
                .filter(|(key, _)| key != "DATABASE_URL")
                .cloned()
                .collect(),
            startup,
            timeout,
        })
    }

    /// The folder the commands and servers run in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The command `PROGRAM args…`, to run in the folder.
    pub(crate) fn command(&self, args: &[&str]) -> Command<'_> {
        Command {
            program: self,
            args: args.iter().map(|&a| a.to_owned()).collect(),
            env: self.env.clone(),
        }
    }

    /// Starts the program as a server in the folder, with `args` after the address.
    pub(crate) async fn serve(&self, args: &[&str]) -> Result<Server, String> {
        target::start_program_in(&self.path, &self.dir, args, &self.env, self.startup).await
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A command to run; see [`Ctx::command`].
#[derive(Debug)]
pub struct Command<'a> {
    program: &'a Program,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Command<'_> {
    /// Sets an environment variable for this command.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs the command to its end (killed after the time limit) and keeps what it printed.
    pub async fn run(self) -> Result<Output, Failure> {
        let line = self.shell_line();
        let what = self.args.join(" ");
        let child = tokio::process::Command::new(&self.program.path)
            .current_dir(&self.program.dir)
            .args(&self.args)
            // As for a server the grader starts: the DATA_DIR that cargo's configuration sets
            // for what it runs must not send the command's files out of the check's folder.
            .env_remove("DATA_DIR")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| Failure::new(format!("cannot run `{line}`: {err}")).command(&line))?;
        let limit = self.program.timeout;
        match tokio::time::timeout(limit, child.wait_with_output()).await {
            Err(_) => Err(Failure::new(format!(
                "`{line}` did not finish within {} s",
                limit.as_secs()
            ))
            .command(&line)),
            Ok(Err(err)) => Err(Failure::new(format!("cannot run `{line}`: {err}")).command(&line)),
            Ok(Ok(output)) => Ok(Output {
                code: output.status.code(),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                what,
                line,
            }),
        }
    }

    /// The command as a learner would type it in the folder: settings, program, arguments.
    fn shell_line(&self) -> String {
        let mut words: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(v)))
            .collect();
        words.push(quote(&self.program.path.display().to_string()));
        words.extend(self.args.iter().map(|a| quote(a)));
        words.join(" ")
    }
}

/// Quotes `word` for a POSIX shell, unless it needs no quotes.
pub(crate) fn quote(word: &str) -> String {
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c));
    if plain && !word.is_empty() {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What a command did: its exit code and what it printed.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The arguments, as one line.
    what: String,
    line: String,
}

impl Output {
    /// A failure about this command, showing what it printed.
    pub fn fail(&self, message: impl Into<String>) -> Failure {
        Failure::new(message)
            .got(self.describe())
            .command(&self.line)
    }

    /// `Err` unless the command exited with 0.
    pub fn expect_success(&self) -> Result<&Self, Failure> {
        match self.code {
            Some(0) => Ok(self),
            _ => Err(self
                .fail(format!("`{}` failed", self.what))
                .expected("exit code 0")),
        }
    }

    /// `Err` unless the command exited with a code other than 0.
    pub fn expect_failure(&self) -> Result<&Self, Failure> {
        match self.code {
            Some(code) if code != 0 => Ok(self),
            _ => Err(self
                .fail(format!("`{}` should have refused", self.what))
                .expected("an exit code other than 0, and the reason on standard error")),
        }
    }

    fn describe(&self) -> String {
        let code = self.code.map_or_else(
            || "ended by a signal".to_owned(),
            |c| format!("exit code {c}"),
        );
        let mut text = code;
        for (name, stream) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let stream = stream.trim_end();
            if !stream.is_empty() {
                text += &format!("\n{name}: {}", crate::check::shorten(stream));
            }
        }
        text
    }
}

impl Ctx {
    /// The command `PROGRAM args…`, run in this check's folder. Only for checks marked
    /// [`Check::program`](crate::check::Check::program).
    pub fn command(&self, args: &[&str]) -> Result<Command<'_>, Failure> {
        Ok(self.program()?.command(args))
    }

    /// Starts the program as a server in this check's folder (`PROGRAM --host 127.0.0.1
    /// --port 0 args…`); the returned context talks to it. Stop it with [`Server::stop`]
    /// before a command changes what it serves.
    pub async fn serve(&self, args: &[&str]) -> Result<(Ctx, Server), Failure> {
        let program = self.program()?;
        match program.serve(args).await {
            Ok(server) => Ok((self.at(&server.url), server)),
            Err(err) => Err(Failure::new(format!("the server did not start: {err}"))),
        }
    }

    /// Starts the program as a server in this check's folder, expecting it to refuse: `Ok`
    /// with what it said when it stopped before listening, `Err` when it served.
    pub async fn serve_refused(&self, args: &[&str]) -> Result<String, Failure> {
        let program = self.program()?;
        match program.serve(args).await {
            Ok(server) => {
                server.stop().await;
                Err(
                    Failure::new("the server started; it should have refused to").expected(
                        "an exit code other than 0 before `listening on`, and the reason",
                    ),
                )
            }
            Err(said) => Ok(said),
        }
    }

    /// The folder this check's commands run in.
    pub fn folder(&self) -> Result<&Path, Failure> {
        Ok(self.program()?.dir())
    }
}
