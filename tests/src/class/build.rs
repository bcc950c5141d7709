//! Builds a student's cargo package, which lives outside the workbook's workspace.
//!
//! A learner's crate (`scripts/learn start`) takes its edition, its dependencies and its lints
//! from the workbook's workspace (`poem.workspace = true`), so `cargo build --manifest-path`
//! cannot build it where a student hands it in. The package is copied into a new folder, as
//! the one member of a workspace that lends it the workbook's `[workspace.package]`,
//! `[workspace.dependencies]` (its paths made absolute), lints, profiles and `Cargo.lock`: it
//! builds as it did in the student's copy of the workbook, with the same versions. A package
//! that is a workspace of its own (a `[workspace]` table) is copied and built as it is.
//!
//! Builds use the dev profile, as `scripts/learn check` does, so a student is graded on the
//! program they checked, and share `target/class` in the workbook, so that the dependencies
//! are compiled once for the whole class.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// Longest time one package may take to build (the first one compiles every dependency).
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);

/// A built program, in a folder of its own that goes when this does.
#[derive(Debug)]
pub(crate) struct Built {
    /// The program, copied out of the shared target folder (the next student's package of the
    /// same name would overwrite it there).
    pub(crate) program: PathBuf,
    dir: PathBuf,
}

impl Drop for Built {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The workbook's source tree, where the grader was built.
pub(crate) fn workbook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the cargo package in `folder` and returns its program.
pub(crate) async fn build(folder: &Path) -> Result<Built, String> {
    let dir = crate::target::workdir()?;
    let built = build_in(folder, &dir).await;
    if built.is_err() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    built.map(|program| Built { program, dir })
}

async fn build_in(folder: &Path, dir: &Path) -> Result<PathBuf, String> {
    let manifest = read_manifest(&folder.join("Cargo.toml"))?;
    let package = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        .ok_or_else(|| format!("{}/Cargo.toml has no [package] name", folder.display()))?
        .to_owned();
    let root = if manifest.contains_key("workspace") {
        copy_folder(folder, dir)?;
        dir.to_owned()
    } else {
        copy_folder(folder, &dir.join("student"))?;
        host_workspace(dir)?;
        dir.to_owned()
    };
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workbook().join("target"))
        .join("class");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let run = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(BUILD_LIMIT, run)
        .await
        .map_err(|_| format!("cargo took longer than {} min", BUILD_LIMIT.as_secs() / 60))?
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo could not build {} ({}); its last output:\n{}",
            folder.display(),
            output.status,
            problems(&String::from_utf8_lossy(&output.stderr), 30)
        ));
    }
    let program = executable(&String::from_utf8_lossy(&output.stdout), &package)?;
    // Copied out: the next package of the same name builds to the same place.
    let copy = dir.join("program");
    std::fs::copy(&program, &copy)
        .map_err(|err| format!("cannot copy {}: {err}", program.display()))?;
    Ok(copy)
}

fn read_manifest(path: &Path) -> Result<toml::Table, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    text.parse()
        .map_err(|err| format!("{} is not valid TOML: {err}", path.display()))
}

/// Writes, in `dir`, the manifest of a workspace whose one member is `student/`, with the
/// workbook's shared settings, and a copy of the workbook's `Cargo.lock`.
fn host_workspace(dir: &Path) -> Result<(), String> {
    let workbook = std::fs::canonicalize(workbook()).map_err(|err| {
        format!("the workbook is not here to lend its workspace to a student's crate: {err}")
    })?;
    let mut manifest = read_manifest(&workbook.join("Cargo.toml"))?;
    let workspace = manifest
        .get_mut("workspace")
        .and_then(toml::Value::as_table_mut)
        .ok_or("the workbook's Cargo.toml has no [workspace]")?;
    workspace.insert("members".to_owned(), toml::Value::from(vec!["student"]));
    workspace.remove("exclude");
    workspace.remove("default-members");
    let dependencies = workspace
        .get_mut("dependencies")
        .and_then(toml::Value::as_table_mut);
    for dependency in dependencies
        .into_iter()
        .flat_map(|deps| deps.iter_mut().map(|(_, dependency)| dependency))
    {
        let path = dependency
            .as_table_mut()
            .and_then(|table| table.get_mut("path"));
        if let Some(path) = path {
            let absolute = workbook.join(path.as_str().unwrap_or_default());
            *path = toml::Value::from(absolute.display().to_string());
        }
    }
    let text = toml::to_string(&manifest).map_err(|err| err.to_string())?;
    std::fs::write(dir.join("Cargo.toml"), text).map_err(|err| err.to_string())?;
    // The same versions as the workbook's; cargo adds the student's package to it.
    let lock = workbook.join("Cargo.lock");
    if lock.exists() {
        std::fs::copy(&lock, dir.join("Cargo.lock")).map_err(|err| err.to_string())?;
    }
    Ok(())
}

/// Copies `from` into `to`, less what cargo and git keep there (`target/`, `.git/`).
fn copy_folder(from: &Path, to: &Path) -> Result<(), String> {
    let fail = |err: std::io::Error| format!("cannot copy {}: {err}", from.display());
    std::fs::create_dir_all(to).map_err(fail)?;
    for entry in std::fs::read_dir(from).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let path = entry.path();
        // A link is followed to a file but never into a folder, which could loop.
        let kind = entry.file_type().map_err(fail)?;
        if kind.is_dir() {
            copy_folder(&path, &to.join(&name))?;
        } else if path.is_file() {
            std::fs::copy(&path, to.join(&name)).map_err(fail)?;
        }
    }
    Ok(())
}

/// The program cargo built for `package`: the binary of that name, else the only one.
fn executable(messages: &str, package: &str) -> Result<PathBuf, String> {
    let binaries: Vec<(String, PathBuf)> = messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| {
            let path = m["executable"].as_str()?;
            let name = m["target"]["name"].as_str()?;
            Some((name.to_owned(), PathBuf::from(path)))
        })
        .collect();
    if let Some((_, path)) = binaries.iter().find(|(name, _)| name == package) {
        return Ok(path.clone());
    }
    match binaries.as_slice() {
        [(_, path)] => Ok(path.clone()),
        [] => Err(format!("cargo built {package} but it has no program")),
        _ => {
            let names: Vec<&str> = binaries.iter().map(|(name, _)| name.as_str()).collect();
            Err(format!(
                "{package} has several programs ({}) and none is named after the package",
                names.join(", ")
            ))
        }
    }
}

/// The last `n` lines of cargo's output, less its progress lines (`Compiling kit …`).
fn problems(text: &str, n: usize) -> String {
    const PROGRESS: [&str; 8] = [
        "Compiling ",
        "Checking ",
        "Blocking ",
        "Locking ",
        "Adding ",
        "Updating ",
        "Downloading ",
        "Downloaded ",
    ];
    // The workbook's profile settings name packages (bcrypt) a student's crate may not use.
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| {
            !PROGRESS
                .iter()
                .any(|word| line.trim_start().starts_with(word))
        })
        .filter(|line| !line.starts_with("warning: profile package spec"))
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_the_binary_named_after_the_package() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"name":"kit"},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"tool"},"executable":"/t/tool"}"#,
            r#"{"reason":"compiler-artifact","target":{"name":"my-ch01"},"executable":"/t/my"}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(executable(&messages, "my-ch01"), Ok(PathBuf::from("/t/my")));
        assert!(executable(&messages, "other").is_err_and(|e| e.contains("tool, my-ch01")));
        let one = &messages.lines().nth(1).unwrap_or_default();
        assert_eq!(executable(one, "other"), Ok(PathBuf::from("/t/tool")));
        assert!(executable("", "x").is_err_and(|e| e.contains("no program")));
    }

    #[test]
    fn a_host_workspace_lends_the_workbooks_settings_with_absolute_paths() {
        let dir = crate::target::workdir().expect("a folder");
        host_workspace(&dir).expect("the host workspace is written");
        let manifest = read_manifest(&dir.join("Cargo.toml")).expect("its manifest");
        let lock = dir.join("Cargo.lock").exists();
        let _ = std::fs::remove_dir_all(&dir);
        let workspace = &manifest["workspace"];
        assert_eq!(workspace["members"], toml::Value::from(vec!["student"]));
        assert_eq!(workspace["package"]["edition"].as_str(), Some("2024"));
        let kit = workspace["dependencies"]["kit"]["path"]
            .as_str()
            .unwrap_or_default();
        assert!(Path::new(kit).is_absolute(), "{kit}");
        assert!(Path::new(kit).join("Cargo.toml").exists(), "{kit}");
        assert!(manifest.contains_key("profile"), "the workbook's profiles");
        assert!(lock, "the workbook's Cargo.lock");
    }
}
