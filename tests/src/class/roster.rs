//! A roster: the students of a class and where each one's server comes from, read from a TOML
//! file (`[[student]]` tables) or a CSV file (a header row `name,url,program,folder`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::chapters::Chapter;
use crate::check::Profile;

/// One student of a roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Student {
    /// The name shown in the summary.
    pub name: String,
    /// What to grade.
    pub source: Source,
    /// The rules to hold this student's servers to, when the roster names them; else the
    /// class's (`--profile`), or `fastapi` for a FastAPI app.
    pub profile: Option<Profile>,
}

/// Where a student's server comes from. `{chapter}` in a URL or a path stands for the
/// chapter's two digits (`01`), so that one entry can name a server per chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A server already running there, in any language.
    Url(String),
    /// A program the grader starts, as `--bin` does.
    Program(PathBuf),
    /// A folder: a cargo package, a FastAPI app (`main.py`), or a folder of chapter folders
    /// (`01-hello-world/`, …), as a learner's `my/` is.
    Folder(PathBuf),
}

impl Source {
    /// A description for the summary and the reports.
    pub fn describe(&self) -> String {
        match self {
            Source::Url(url) => format!("url {url}"),
            Source::Program(path) => format!("program {}", path.display()),
            Source::Folder(path) => format!("folder {}", path.display()),
        }
    }

    /// The same source with `{chapter}` replaced by the chapter's two digits.
    pub fn for_chapter(&self, chapter: &Chapter) -> Source {
        let fill = |text: &str| text.replace("{chapter}", chapter.number);
        let fill_path = |path: &Path| PathBuf::from(fill(&path.to_string_lossy()));
        match self {
            Source::Url(url) => Source::Url(fill(url)),
            Source::Program(path) => Source::Program(fill_path(path)),
            Source::Folder(path) => Source::Folder(fill_path(path)),
        }
    }
}

/// One entry as written in either format, before it is checked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    url: Option<String>,
    program: Option<String>,
    folder: Option<String>,
    profile: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlRoster {
    #[serde(default)]
    student: Vec<Entry>,
}

/// Reads the roster at `path`: TOML or CSV by its extension. Relative paths in it are
/// relative to the roster's folder.
pub fn read(path: &Path) -> Result<Vec<Student>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read the roster {}: {err}", path.display()))?;
    // `class.toml` has the empty path as its parent.
    let base = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_owned());
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let entries = match extension.to_ascii_lowercase().as_str() {
        "toml" => parse_toml(&text),
        "csv" => parse_csv(&text),
        _ => Err("name a roster ending in .toml or .csv".to_owned()),
    }
    .map_err(|err| format!("{}: {err}", path.display()))?;
    students(entries, &base).map_err(|err| format!("{}: {err}", path.display()))
}

fn parse_toml(text: &str) -> Result<Vec<Entry>, String> {
    let roster: TomlRoster = toml::from_str(text).map_err(|err| err.to_string())?;
    Ok(roster.student)
}

fn parse_csv(text: &str) -> Result<Vec<Entry>, String> {
    let mut rows = csv_rows(text)?.into_iter();
    let Some(header) = rows.next() else {
        return Ok(Vec::new());
    };
    let columns: Vec<String> = header
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    for column in &columns {
        if !["name", "url", "program", "folder", "profile"].contains(&column.as_str()) {
            return Err(format!(
                "unknown column {column:?}: the header names name, and url, program or \
                 folder, and may name profile"
            ));
        }
    }
    if !columns.iter().any(|c| c == "name") {
        return Err("the header row has no name column".to_owned());
    }
    let mut entries = Vec::new();
    for (n, row) in rows.enumerate() {
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if row.len() > columns.len() {
            return Err(format!(
                "row {} has {} cells, the header {}",
                n + 2,
                row.len(),
                columns.len()
            ));
        }
        let mut entry = Entry::default();
        for (column, cell) in columns.iter().zip(row) {
            let cell = cell.trim().to_owned();
            let value = (!cell.is_empty()).then(|| cell.clone());
            match column.as_str() {
                "name" => entry.name = cell,
                "url" => entry.url = value,
                "program" => entry.program = value,
                "folder" => entry.folder = value,
                _ => entry.profile = value,
            }
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The rows of a CSV text (RFC 4180: quoted cells may hold commas, quotes doubled, and line
/// breaks).
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => cell.push(c),
        }
    }
    if quoted {
        return Err("a quoted cell is not closed".to_owned());
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    Ok(rows)
}

/// Checks each entry (a name, and exactly one source) and makes its paths absolute.
fn students(entries: Vec<Entry>, base: &Path) -> Result<Vec<Student>, String> {
    let mut students: Vec<Student> = Vec::new();
    for (n, entry) in entries.into_iter().enumerate() {
        let name = entry.name.trim().to_owned();
        let which = if name.is_empty() {
            format!("student {}", n + 1)
        } else {
            format!("student {name:?}")
        };
        if name.is_empty() {
            return Err(format!("{which} has no name"));
        }
        if students
            .iter()
            .any(|s| s.name.to_lowercase() == name.to_lowercase())
        {
            return Err(format!("two students are named {name:?}"));
        }
        let source = match (entry.url, entry.program, entry.folder) {
            (Some(url), None, None) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "{which}: the url must start with http:// or https://"
                    ));
                }
                Source::Url(url.trim_end_matches('/').to_owned())
            }
            (None, Some(program), None) => Source::Program(base.join(program)),
            (None, None, Some(folder)) => Source::Folder(base.join(folder)),
            _ => return Err(format!("{which} needs one of url, program or folder")),
        };
        let profile = match entry.profile.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(
                <Profile as clap::ValueEnum>::from_str(name, true)
                    .map_err(|_| format!("{which}: the profile is strict or fastapi"))?,
            ),
        };
        students.push(Student {
            name,
            source,
            profile,
        });
    }
    if students.is_empty() {
        return Err("the roster names no student".to_owned());
    }
    Ok(students)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(name: &str, text: &str) -> Result<Vec<Student>, String> {
        let dir = crate::target::workdir().expect("a folder");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("the roster is written");
        let students = read(&path);
        let _ = std::fs::remove_dir_all(&dir);
        students.map(|students| {
            // Paths as the roster wrote them, for the assertions.
            let base = std::fs::canonicalize(&dir).unwrap_or(dir);
            let relative = |path: PathBuf| path.strip_prefix(&base).map(Path::to_owned);
            students
                .into_iter()
                .map(|mut student| {
                    student.source = match student.source {
                        Source::Program(p) => Source::Program(relative(p).expect("relative")),
                        Source::Folder(p) => Source::Folder(relative(p).expect("relative")),
                        url => url,
                    };
                    student
                })
                .collect()
        })
    }

    fn student(name: &str, source: Source) -> Student {
        Student {
            name: name.to_owned(),
            source,
            profile: None,
        }
    }

    #[test]
    fn a_toml_roster_names_each_students_source() {
        let students = read_text(
            "class.toml",
            r#"
[[student]]
name = "Ada"
folder = "ada/my"

[[student]]
name = "Grace"
url = "http://127.0.0.1:8001/"

[[student]]
name = "Alan"
program = "bin/alan-{chapter}"
profile = "fastapi"
"#,
        );
        let alan = Student {
            profile: Some(Profile::Fastapi),
            ..student("Alan", Source::Program("bin/alan-{chapter}".into()))
        };
        assert_eq!(
            students,
            Ok(vec![
                student("Ada", Source::Folder("ada/my".into())),
                student("Grace", Source::Url("http://127.0.0.1:8001".into())),
                alan,
            ])
        );
    }

    #[test]
    fn a_csv_roster_reads_quoted_cells_and_skips_blank_rows() {
        let students = read_text(
            "class.csv",
            "name,url,program,folder\r\n\"Hopper, Grace\",http://h:1,,\r\n\r\n\
             \"Ada \"\"the first\"\"\",,,ada\n",
        );
        assert_eq!(
            students,
            Ok(vec![
                student("Hopper, Grace", Source::Url("http://h:1".into())),
                student("Ada \"the first\"", Source::Folder("ada".into())),
            ])
        );
    }

    #[test]
    fn an_entry_with_no_source_or_two_is_refused() {
        let none = read_text("a.toml", "[[student]]\nname = \"Ada\"\n");
        assert!(none.is_err_and(|e| e.contains("Ada\" needs one of url, program or folder")));
        let two = read_text("b.csv", "name,url,folder\nAda,http://h:1,ada\n");
        assert!(two.is_err_and(|e| e.contains("needs one of")));
    }

    #[test]
    fn a_roster_with_a_typo_twins_or_no_extension_is_refused() {
        let typo = read_text("a.toml", "[[student]]\nname = \"Ada\"\nfolderr = \"x\"\n");
        assert!(typo.is_err_and(|e| e.contains("folderr")), "an unknown key");
        let column = read_text("b.csv", "name,urls\nAda,http://h:1\n");
        assert!(column.is_err_and(|e| e.contains("unknown column \"urls\"")));
        let twins = read_text("c.csv", "name,url\nAda,http://h:1\nada,http://h:2\n");
        assert!(twins.is_err_and(|e| e.contains("two students are named \"ada\"")));
        let other = read_text("d.txt", "Ada http://h:1\n");
        assert!(other.is_err_and(|e| e.contains(".toml or .csv")));
        let empty = read_text("e.csv", "name,url\n");
        assert!(empty.is_err_and(|e| e.contains("names no student")));
        let profile = read_text("f.csv", "name,url,profile\nAda,http://h:1,lax\n");
        assert!(profile.is_err_and(|e| e.contains("the profile is strict or fastapi")));
    }

    #[test]
    fn chapter_placeholders_are_filled_in() {
        let chapter = crate::chapters::find("05").expect("chapter 05");
        let program = Source::Program("bin/alan-{chapter}".into()).for_chapter(chapter);
        assert_eq!(program, Source::Program("bin/alan-05".into()));
        let url = Source::Url("http://h/{chapter}".into()).for_chapter(chapter);
        assert_eq!(url, Source::Url("http://h/05".into()));
    }
}
