//! Class mode: a roster graded in one run, a row per student in three summaries, and a
//! student whose server does not start kept apart while the others go on.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use grader::fixtures::{Broken, BrokenServer};
use tokio::process::Command;

const GRADER: &str = env!("CARGO_BIN_EXE_grader");

/// An empty folder for one test's roster and summary, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("class-{name}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("its folder");
        }
        std::fs::write(&path, text).expect("the file is written");
        path
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        let path = self.write(name, text);
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&path, mode).expect("the script is executable");
        path
    }

    fn read(&self, name: &str) -> String {
        let path = self.0.join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `grader class` in `dir`, so that the roster's relative paths are read from there.
async fn class(dir: &Path, args: &[&str]) -> Output {
    let run = Command::new(GRADER)
        .arg("class")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the class run finishes")
        .expect("the grader runs")
}

/// The Markdown row of `student`.
fn row<'a>(summary: &'a str, student: &str) -> &'a str {
    summary
        .lines()
        .find(|line| line.starts_with(&format!("| [{student}](")))
        .unwrap_or_else(|| panic!("no row for {student} in\n{summary}"))
}

/// The workbook's FastAPI environment, or why the FastAPI student is left out.
fn fastapi_env() -> Option<PathBuf> {
    let workbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if workbook.join(".venv/bin/python").exists() {
        Some(workbook.join("chapters/01-hello-world/fastapi"))
    } else {
        eprintln!(
            "class run: the FastAPI student is left out: no .venv in the workbook \
             (scripts/fastapi-env makes it)"
        );
        None
    }
}

#[tokio::test]
async fn a_class_of_four_gets_a_row_each_and_one_that_does_not_start_is_marked() {
    let scratch = Scratch::new("four");
    let reference = grader::target::build_reference("ch01-hello-world")
        .await
        .expect("the reference chapter builds");
    // Against a URL the grader cannot restart the server: two checks are skipped.
    let broken = BrokenServer::start(Broken::WrongBody, "127.0.0.1", 0)
        .await
        .expect("the broken server starts");
    scratch.script(
        "never",
        "#!/usr/bin/env bash\necho 'cannot open the settings file' >&2\nexit 3\n",
    );
    let fastapi = fastapi_env();
    let mut roster = format!(
        "[[student]]\nname = \"Ada\"\nprogram = \"{}\"\n\n",
        reference.display()
    );
    if let Some(app) = &fastapi {
        roster += &format!(
            "[[student]]\nname = \"Grace\"\nfolder = \"{}\"\n\n",
            app.display()
        );
    }
    roster += &format!("[[student]]\nname = \"Alan\"\nurl = \"{}\"\n\n", broken.url);
    // A relative path, read from the roster's folder.
    roster += "[[student]]\nname = \"Edsger\"\nprogram = \"never\"\n";
    scratch.write("class.toml", &roster);

    let output = class(
        &scratch.0,
        &[
            "class.toml",
            "--chapters",
            "01",
            "--out",
            "out",
            "--seed",
            "5",
            "--jobs",
            "2",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let summary = scratch.read("out/summary.md");
    assert_eq!(String::from_utf8_lossy(&output.stdout), summary);
    assert!(summary.contains("chapter 01 · seed 5"), "{summary}");

    let ada = row(&summary, "Ada");
    assert!(
        ada.starts_with("| [Ada](ada.txt) | graded | 19/19 | 3/3 |"),
        "{ada}"
    );
    assert!(ada.ends_with("| 22/22 |  |"), "{ada}");
    let alan = row(&summary, "Alan");
    assert!(
        alan.contains("| graded | 1/15 · 4 skipped | 0/3 |"),
        "{alan}"
    );
    assert!(alan.contains("`01.root` `01.not_found`"), "{alan}");
    let edsger = row(&summary, "Edsger");
    assert!(
        edsger.starts_with(
            "| [Edsger](edsger.txt) | did not start | did not start | did not start |"
        ),
        "{edsger}"
    );
    assert!(edsger.contains("| 0/0 · 22 not run |"), "{edsger}");
    let report = scratch.read("out/edsger.txt");
    assert!(report.contains("(exit status: 3)"), "{report}");
    assert!(report.contains("cannot open the settings file"), "{report}");
    let json: serde_json::Value =
        serde_json::from_str(&scratch.read("out/edsger.json")).expect("JSON");
    assert_eq!(json["states"]["01"], "did not start");
    assert_eq!(json["score"]["skipped"], 22);

    let csv = scratch.read("out/summary.csv");
    let lines: Vec<&str> = csv.lines().collect();
    let students = if fastapi.is_some() { 4 } else { 3 };
    assert_eq!(lines.len(), 1 + students, "{csv}");
    assert!(lines[0].starts_with("student,status,source,01 contract,01 contract possible,"));
    assert!(lines[0].ends_with(",earned,possible,skipped,not run,failing checks,report"));
    assert!(lines[1].starts_with("Ada,graded,program "), "{csv}");
    assert!(
        lines[1].ends_with(",19,19,3,3,0,22,22,0,0,,ada.txt"),
        "{csv}"
    );
    let alan = lines
        .iter()
        .find(|l| l.starts_with("Alan,"))
        .expect("Alan's line");
    assert!(alan.contains(",1,15,0,3,4,1,18,4,0,01.root "), "{csv}");
    let edsger = lines.last().expect("Edsger's line");
    assert!(
        edsger.starts_with("Edsger,did not start,program /"),
        "{csv}"
    );
    assert!(edsger.ends_with(",did not start,,did not start,,,0,0,0,22,,edsger.txt"));

    if fastapi.is_some() {
        // A FastAPI app is held to the contract's meaning (the fastapi profile).
        let grace = row(&summary, "Grace");
        assert!(grace.contains("| graded · fastapi profile |"), "{grace}");
        let grace = lines
            .iter()
            .find(|l| l.starts_with("Grace,"))
            .expect("Grace's line");
        let cells: Vec<&str> = grace.split(',').collect();
        assert_eq!(cells[3], cells[4], "the full contract: {grace}");
        assert!(scratch.read("out/grace.txt").contains("profile fastapi"));
    }

    let page = scratch.read("out/summary.html");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("<table id=\"summary\">"), "{page}");
    assert_eq!(page.matches("<tr class=").count(), students, "{page}");
    assert!(page.contains("<tr class=\"did-not-start\">"), "{page}");
    assert!(page.contains("<td colspan=\"2\" class=\"did-not-start\">did not start</td>"));
    assert!(page.contains("<td class=\"skipped\">1/15 <small>· 4 skipped</small></td>"));
    // Self-contained: no script, style sheet, image or font from anywhere.
    for outside in ["<script", "<link", "<img", "src=", "url(", "@import"] {
        assert!(!page.contains(outside), "{outside} in {page}");
    }
    for name in ["ada", "alan", "edsger"] {
        for ext in ["txt", "json"] {
            assert!(
                scratch.0.join(format!("out/{name}.{ext}")).exists(),
                "{name}.{ext}"
            );
        }
    }
}

/// A student's crate as `scripts/learn start` makes one: it takes its edition and lints from
/// the workbook's workspace. This one needs no dependency, so it builds in seconds: a
/// greeting on every path, enough to pass `01.root`.
const TINY_MANIFEST: &str = r#"[package]
name = "my-ch01-hello-world"
edition.workspace = true
version.workspace = true
publish = false

[lints]
workspace = true
"#;

const TINY_MAIN: &str = r##"//! Greets on every path.
use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("listening on http://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let mut stream = stream?;
        let mut head = [0u8; 4096];
        let _ = stream.read(&mut head)?;
        let body = r#"{"message":"Hello World"}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(reply.as_bytes())?;
    }
    Ok(())
}
"##;

#[tokio::test]
async fn a_students_crate_is_built_outside_the_workspace_and_one_that_does_not_build_is_marked() {
    let scratch = Scratch::new("cargo");
    // A learner's folder of chapter folders, as `my/` is, and a lone package.
    scratch.write("ada/my/01-hello-world/Cargo.toml", TINY_MANIFEST);
    scratch.write("ada/my/01-hello-world/src/main.rs", TINY_MAIN);
    scratch.write("bea/Cargo.toml", TINY_MANIFEST);
    scratch.write(
        "bea/src/main.rs",
        &TINY_MAIN.replace("fn main()", "fn main() oops"),
    );
    scratch.write("class.csv", "name,folder\nAda,ada/my\nBea,bea\nCy,cy/my\n");

    let output = class(
        &scratch.0,
        &["class.csv", "--chapters", "01", "--out", "out"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let summary = scratch.read("out/summary.md");
    let ada = row(&summary, "Ada");
    assert!(ada.starts_with("| [Ada](ada.txt) | graded |"), "{ada}");
    assert!(
        !ada.contains("`01.root`"),
        "it greets, so 01.root passes: {ada}"
    );
    assert!(ada.contains("`01.openapi`"), "{ada}");
    let bea = row(&summary, "Bea");
    assert!(
        bea.starts_with("| [Bea](bea.txt) | did not start |"),
        "{bea}"
    );
    let report = scratch.read("out/bea.txt");
    assert!(report.contains("cargo could not build"), "{report}");
    assert!(
        report.contains("fn main() oops"),
        "the compiler's error: {report}"
    );
    assert!(
        !report.contains("Compiling "),
        "no progress lines: {report}"
    );
    let cy = row(&summary, "Cy");
    assert!(cy.starts_with("| [Cy](cy.txt) | not handed in |"), "{cy}");
}
