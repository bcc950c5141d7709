//! Servers the grader starts: waited for until they take connections, said once when they
//! cannot be started or reached, run in a folder of their own without the workspace's
//! DATA_DIR, and named in each failure by the line that starts them again.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::process::Command;

const GRADER: &str = env!("CARGO_BIN_EXE_grader");
const BROKEN: &str = env!("CARGO_BIN_EXE_broken-server");

/// An empty folder for one test's scripts, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("started-{name}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Self(dir)
    }

    /// Writes an executable script.
    fn script(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("the script is written");
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&path, mode).expect("the script is executable");
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn grader(args: &[&str], env: &[(&str, &str)]) -> Output {
    let run = Command::new(GRADER)
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the grader finishes")
        .expect("the grader runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Free ports, each different (all are held at once while they are picked).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("an address").port())
        .collect()
}

#[tokio::test]
async fn a_server_that_takes_connections_after_its_line_is_waited_for() {
    let scratch = Scratch::new("late");
    // Each server the grader starts takes the next port of the list: chapter 01 starts three.
    let ports: Vec<String> = free_ports(6).iter().map(u16::to_string).collect();
    std::fs::write(scratch.path("ports"), ports.join("\n") + "\n").expect("the ports");
    let late = scratch.script(
        "late",
        r#"#!/usr/bin/env bash
# Says where it listens, as a wrapper does, and listens there 2 s later.
port="$(head -n 1 "$PORTS")"
sed -i 1d "$PORTS"
echo "listening on http://127.0.0.1:$port"
sleep 2
exec "$BROKEN" --host 127.0.0.1 --port "$port"
"#,
    );
    let ports_file = scratch.path("ports");
    let output = grader(
        &["01", "--bin", late.to_str().expect("a path"), "--seed", "3"],
        &[
            ("BROKEN_MODE", "wrong-body"),
            ("BROKEN", BROKEN),
            ("PORTS", ports_file.to_str().expect("a path")),
        ],
    )
    .await;
    let report = stdout(&output);
    // Graded, and failed on its wrong body: not refused for connecting too early.
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("✓ 01.root.head"), "{report}");
    assert!(!report.contains("could not connect"), "{report}");
    assert!(!report.contains("no server to grade"), "{report}");
}

#[tokio::test]
async fn a_program_that_never_starts_is_said_once_and_exits_2() {
    let scratch = Scratch::new("never");
    let never = scratch.script(
        "never",
        "#!/usr/bin/env bash\necho 'cannot open the settings file' >&2\nexit 3\n",
    );
    let never = never.to_str().expect("a path");
    let output = grader(&["01", "--bin", never, "--seed", "3"], &[]).await;
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert_eq!(
        report.matches("could not be started").count(),
        1,
        "{report}"
    );
    assert!(report.contains("(exit status: 3)"), "{report}");
    assert!(report.contains("cannot open the settings file"), "{report}");
    assert!(
        report.contains(&format!("start     (cd \"$(mktemp -d)\" && {never} --host")),
        "{report}"
    );
    // No check fails on its account, and no summary reads as a grade.
    assert!(!report.contains("✗ 01."), "{report}");
    assert!(
        report.contains("0/0 points · 22 points not run (no server)"),
        "{report}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("could not be started or reached"),
        "{stderr}"
    );

    let output = grader(&["01", "--bin", never, "--format", "json"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let chapter = &json["chapters"][0];
    let message = chapter["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("the server could not be started: "),
        "{message}"
    );
    assert_eq!(json["passed"], false);
    assert_eq!(chapter["subtotals"]["skipped"], 22);

    let output = grader(&["01", "--bin", never, "--format", "junit"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    let xml = stdout(&output);
    assert_eq!(xml.matches("<error ").count(), 1, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
}

#[tokio::test]
async fn a_program_that_never_takes_connections_is_said_once_within_the_wait() {
    let scratch = Scratch::new("liar");
    let port = free_ports(1)[0];
    let liar = scratch.script(
        "liar",
        &format!("#!/usr/bin/env bash\necho 'listening on http://127.0.0.1:{port}'\nsleep 120\n"),
    );
    let started = std::time::Instant::now();
    let output = grader(&["01", "--bin", liar.to_str().expect("a path")], &[]).await;
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert_eq!(
        report.matches("nothing took connections").count(),
        1,
        "{report}"
    );
    assert!(
        report.contains(&format!("127.0.0.1:{port} within 10 s")),
        "{report}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test]
async fn an_address_nothing_listens_at_is_said_once_and_exits_2() {
    let port = free_ports(1)[0];
    let url = format!("http://127.0.0.1:{port}");
    let output = grader(&["01", "--url", &url], &[]).await;
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert_eq!(
        report.matches("is the server running?").count(),
        1,
        "{report}"
    );
    assert!(
        report.contains("the server could not be reached"),
        "{report}"
    );
    assert!(!report.contains("✗ 01."), "{report}");
}

/// The `start` line and the `try` line of every failure in a text report.
fn repros(report: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = report.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter_map(|pair| {
            let start = pair[0].strip_prefix("start")?.trim();
            let curl = pair[1].strip_prefix("try")?.trim();
            Some((start.to_owned(), curl.to_owned()))
        })
        .collect()
}

fn port_in(text: &str, before: &str) -> Option<u16> {
    let (_, rest) = text.split_once(before)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[tokio::test]
async fn a_failure_names_the_line_that_starts_the_same_server_with_its_settings() {
    let output = grader(
        &["01", "--bin", BROKEN, "--seed", "5"],
        &[("BROKEN_MODE", "wrong-body")],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    let repros = repros(&report);
    assert!(repros.len() >= 3, "{report}");
    for (start, curl) in &repros {
        assert!(start.starts_with("(cd \"$(mktemp -d)\" && "), "{start}");
        assert_eq!(
            port_in(start, "--port "),
            port_in(curl, "http://127.0.0.1:"),
            "the server is started on the port the request goes to:\n{start}\n{curl}"
        );
    }
    // A check's own server: its settings come in the line.
    let (start, curl) = repros
        .iter()
        .find(|(start, _)| start.contains("OPENAPI_URL="))
        .expect("a failure of a check with its own settings");
    let (_, main_curl) = &repros[0];
    assert_ne!(
        port_in(curl, "http://127.0.0.1:"),
        port_in(main_curl, "http://127.0.0.1:")
    );

    // The line starts that server again (BROKEN_MODE comes from where it is run). It runs
    // in a process group of its own, so that the server in its subshell is ended with it.
    let scratch = Scratch::new("repro");
    let mut server = Command::new("sh")
        .args(["-c", start])
        .env("BROKEN_MODE", "wrong-body")
        .env("TMPDIR", &scratch.0)
        .stdout(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .expect("the start line runs");
    let group = server.id().expect("a process id");
    let port = port_in(start, "--port ").expect("a port");
    let url = format!("http://127.0.0.1:{port}/");
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(reply) = reqwest::get(&url).await {
            answer = reply.text().await.ok();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = std::process::Command::new("kill")
        .args(["--", &format!("-{group}")])
        .status();
    let _ = server.wait().await;
    assert_eq!(answer.as_deref(), Some(r#"{"message":"Hello world"}"#));
}

#[tokio::test]
async fn started_servers_and_commands_run_in_their_own_folder_without_data_dir() {
    let scratch = Scratch::new("env");
    let log = scratch.path("log");
    let wrapper = scratch.script(
        "wrapper",
        r#"#!/usr/bin/env bash
echo "${DATA_DIR-unset}|$PWD|$*" >> "$LOG"
exec "$BROKEN" "$@"
"#,
    );
    // Chapter 13 both starts servers and runs the program's commands.
    let output = grader(
        &[
            "13",
            "--bin",
            wrapper.to_str().expect("a path"),
            "--timeout",
            "1",
        ],
        &[
            ("BROKEN_MODE", "wrong-body"),
            ("BROKEN", BROKEN),
            ("LOG", log.to_str().expect("a path")),
            ("DATA_DIR", scratch.0.to_str().expect("a path")),
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let log = std::fs::read_to_string(&log).expect("the wrapper ran");
    let runs: Vec<Vec<&str>> = log.lines().map(|l| l.split('|').collect()).collect();
    assert!(runs.iter().any(|run| run[2].starts_with("--host")), "{log}");
    assert!(
        runs.iter().any(|run| run[2].starts_with("migrate")),
        "{log}"
    );
    let temp = std::env::temp_dir();
    for run in &runs {
        assert_eq!(run[0], "unset", "{log}");
        assert!(Path::new(run[1]).starts_with(&temp), "{log}");
        assert_ne!(Path::new(run[1]), scratch.0, "{log}");
    }
}

fn python3() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

#[tokio::test]
async fn uvicorn_bin_says_where_and_runs_uvicorn_there() {
    if !python3() {
        eprintln!("skipped: scripts/uvicorn-bin picks a free port with python3, not here");
        return;
    }
    let scratch = Scratch::new("uvicorn");
    let app_dir = scratch.path("app");
    std::fs::create_dir_all(&app_dir).expect("the app's folder");
    std::fs::write(app_dir.join("main.py"), "app = None\n").expect("main.py");
    let log = scratch.path("log");
    // Stands in for a Python with uvicorn: `-m uvicorn` serves the broken server instead.
    let python = scratch.script(
        "python",
        r#"#!/usr/bin/env bash
if [ "$1" = -c ]; then exec python3 "$@"; fi
echo "$*" >> "$LOG"
shift 2
while [ $# -gt 0 ]; do
    case "$1" in
        --host) host="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        *) shift ;;
    esac
done
exec "$BROKEN" --host "$host" --port "$port"
"#,
    );
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/uvicorn-bin");
    let output = grader(
        &["01", "--bin", wrapper.to_str().expect("a path")],
        &[
            ("UVICORN_APP", "main:app"),
            ("UVICORN_APP_DIR", app_dir.to_str().expect("a path")),
            ("PYTHON", python.to_str().expect("a path")),
            ("BROKEN", BROKEN),
            ("BROKEN_MODE", "wrong-body"),
            ("LOG", log.to_str().expect("a path")),
        ],
    )
    .await;
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("✓ 01.root.head"), "{report}");
    let log = std::fs::read_to_string(&log).expect("uvicorn was run");
    let app_dir = app_dir.canonicalize().expect("the app's folder");
    let expected = format!(
        "-m uvicorn main:app --app-dir {} --host 127.0.0.1 --port ",
        app_dir.display()
    );
    for line in log.lines() {
        assert!(line.starts_with(&expected), "{line}");
        let port: u16 = line[expected.len()..].parse().expect("a port");
        assert_ne!(port, 0, "port 0 is replaced by a free port");
    }
}
