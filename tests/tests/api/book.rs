//! The book shows code from the chapters by anchor, never pasted, and the grader links to its
//! sections: a missing file, anchor, page or heading fails here rather than on a reader.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn book_pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = fs::read_dir(root().join("book/src"))
        .expect("book/src exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    pages
}

/// Every `{{#include path:anchor}}` (and `rustdoc_include`) in a page, unescaped ones only.
fn includes(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in page.match_indices("{{#") {
        if page[..at].ends_with('\\') {
            continue;
        }
        let rest = &page[at + 3..];
        let Some(end) = rest.find("}}") else { continue };
        let directive = rest[..end].trim();
        for keyword in ["include ", "rustdoc_include "] {
            if let Some(target) = directive.strip_prefix(keyword) {
                found.push(target.trim().to_owned());
            }
        }
    }
    found
}

fn anchors_in(source: &str, marker: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter_map(|line| {
            line.split_once(marker)
                .map(|(_, name)| name.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_include_names_an_existing_file_and_anchor() {
    let mut problems = Vec::new();
    let mut count = 0;
    for page in book_pages() {
        let text = fs::read_to_string(&page).unwrap();
        for target in includes(&text) {
            count += 1;
            let (file, anchor) = match target.split_once(':') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let path = page.parent().unwrap().join(file);
            let Ok(source) = fs::read_to_string(&path) else {
                problems.push(format!("{}: {file} does not exist", page.display()));
                continue;
            };
            match anchor {
                Some(anchor) if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                    problems.push(format!(
                        "{}: {target} uses line numbers; use an anchor",
                        page.display()
                    ));
                }
                Some(anchor) => {
                    let opened = anchors_in(&source, "ANCHOR: ").contains(anchor);
                    let closed = anchors_in(&source, "ANCHOR_END: ").contains(anchor);
                    if !(opened && closed) {
                        problems.push(format!("{}: {file} has no anchor {anchor}", page.display()));
                    }
                }
                None => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(count > 0, "the book includes no code at all");
}

#[test]
fn every_anchor_in_the_sources_is_opened_and_closed_once() {
    let mut problems = Vec::new();
    let mut stack = vec![root().join("chapters"), root().join("tests/src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)
            .expect("a folder of the built book")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "toml" || e == "sql")
            {
                let source = fs::read_to_string(&path).unwrap();
                let opened: Vec<_> = source
                    .lines()
                    .filter_map(|l| l.split_once("ANCHOR: ").map(|(_, n)| n.trim()))
                    .collect();
                let closed: Vec<_> = source
                    .lines()
                    .filter_map(|l| l.split_once("ANCHOR_END: ").map(|(_, n)| n.trim()))
                    .collect();
                let (mut a, mut b) = (opened.clone(), closed.clone());
                a.sort();
                b.sort();
                if a != b {
                    problems.push(format!(
                        "{}: opened {opened:?}, closed {closed:?}",
                        path.display()
                    ));
                }
                let unique: BTreeSet<_> = opened.iter().collect();
                if unique.len() != opened.len() {
                    problems.push(format!("{}: an anchor is opened twice", path.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The ids mdbook gives a page's headings: explicit `{#id}`, else the text in lower case with
/// spaces as dashes and punctuation dropped.
fn heading_ids(page: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut ids = BTreeSet::new();
    for line in page.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let text = line.trim_start_matches('#').trim();
        if let Some((_, explicit)) = text.rsplit_once("{#") {
            ids.insert(explicit.trim_end_matches('}').to_owned());
            continue;
        }
        let id: String = text
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c.to_ascii_lowercase()),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        ids.insert(id);
    }
    ids
}

#[test]
fn every_check_links_to_an_existing_section() {
    let mut problems = Vec::new();
    for chapter in grader::chapters::CHAPTERS {
        for check in (chapter.checks)() {
            let Some((page, anchor)) = check.book.split_once(".html#") else {
                problems.push(format!(
                    "{}: book link {:?} is not page.html#anchor",
                    check.id, check.book
                ));
                continue;
            };
            let path = root().join("book/src").join(format!("{page}.md"));
            match fs::read_to_string(&path) {
                Ok(text) if heading_ids(&text).contains(anchor) => {}
                Ok(_) => problems.push(format!("{}: {page}.md has no heading #{anchor}", check.id)),
                Err(_) => problems.push(format!("{}: no page {page}.md", check.id)),
            }
            if check.hint.is_empty() {
                problems.push(format!("{}: no hint", check.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_chapter_has_a_page_listed_in_the_summary() {
    let summary = fs::read_to_string(root().join("book/src/SUMMARY.md")).unwrap();
    let mut missing = Vec::new();
    for entry in fs::read_dir(root().join("chapters"))
        .unwrap()
        .filter_map(Result::ok)
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let page = format!("{name}.md");
        if !root().join("book/src").join(&page).is_file() || !summary.contains(&format!("({page})"))
        {
            missing.push(page);
        }
    }
    assert!(
        missing.is_empty(),
        "chapters without a page in the book: {missing:?}"
    );
}

/// A Rust version as `(major, minor, patch)`: `"1.94"` is `(1, 94, 0)`.
fn rust_version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|part| {
        part.parse::<u64>()
            .unwrap_or_else(|_| panic!("not a Rust version: {text:?}"))
    });
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

/// The packages of `metadata` (`cargo metadata`'s JSON) that need a newer Rust than `declared`.
fn needing_newer_rust(metadata: &serde_json::Value, declared: &str) -> Vec<String> {
    let declared = rust_version(declared);
    let mut newer: Vec<String> = metadata["packages"]
        .as_array()
        .expect("cargo metadata lists packages")
        .iter()
        .filter_map(|package| {
            let needs = package["rust_version"].as_str()?;
            let name = package["name"].as_str()?;
            let version = package["version"].as_str()?;
            (rust_version(needs) > declared).then(|| format!("{name} {version} needs Rust {needs}"))
        })
        .collect();
    newer.sort();
    newer
}

/// The workspace's `rust-version` is what the README and the setup page promise, and every
/// dependency builds with it: a dependency update that needs a newer Rust fails here, not on a
/// reader with last month's toolchain.
#[test]
fn the_promised_rust_version_builds_every_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Every member inherits the workspace's `rust-version`; the grader is one of them.
    let declared = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|package| package["name"] == env!("CARGO_PKG_NAME"))
        .and_then(|package| package["rust_version"].as_str())
        .expect("the workspace declares a rust-version");

    let newer = needing_newer_rust(&metadata, declared);
    assert!(
        newer.is_empty(),
        "the workspace says Rust {declared}, but:\n{}",
        newer.join("\n")
    );
    // The check can fail: an older promise leaves the database crates out.
    assert!(
        needing_newer_rust(&metadata, "1.80")
            .iter()
            .any(|line| line.starts_with("sqlx ")),
        "Rust 1.80 should be too old for sqlx"
    );
    for page in ["README.md", "book/src/setup.md"] {
        let text = fs::read_to_string(root().join(page)).unwrap();
        assert!(
            text.contains(&format!("Rust** {declared} or newer"))
                || text.contains(&format!("Rust {declared} or newer")),
            "{page} does not say \"Rust {declared} or newer\""
        );
    }
}

#[test]
fn heading_ids_follow_mdbook() {
    let ids = heading_ids(
        "# 01 · Hello world\n## Exercise 1: About\n```\n# not a heading\n```\n## Custom {#mine}",
    );
    assert_eq!(
        ids,
        BTreeSet::from([
            "01--hello-world".to_owned(),
            "exercise-1-about".to_owned(),
            "mine".to_owned()
        ])
    );
}

/// The book built with mdBook into a folder of this test's own, or `None` (and why) when mdBook
/// is not installed. With `REQUIRE_MDBOOK=1`, as CI sets, a missing mdBook fails instead.
fn built_book(test: &str) -> Option<PathBuf> {
    let out = std::env::temp_dir().join(format!("workbook-{test}-{}", std::process::id()));
    let built = std::process::Command::new("mdbook")
        .arg("build")
        .arg(root().join("book"))
        .arg("--dest-dir")
        .arg(&out)
        .output();
    match built {
        Ok(output) if output.status.success() => Some(out),
        Ok(output) => panic!(
            "mdbook build failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(err) if std::env::var("REQUIRE_MDBOOK").is_ok_and(|v| v == "1") => {
            panic!(
                "{test}: REQUIRE_MDBOOK=1 but mdbook cannot run ({err}); scripts/book installs it"
            )
        }
        Err(err) => {
            eprintln!("{test}: skipped, mdbook cannot run ({err}); scripts/book installs it");
            None
        }
    }
}

/// The values of every `name="…"` attribute in an HTML page.
fn attributes<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let marker = format!("{name}=\"");
    html.match_indices(&marker)
        // `id="` must not be the end of `data-id="`: the attribute starts after a space.
        .filter(|(at, _)| html[..*at].ends_with(char::is_whitespace))
        .filter_map(|(at, _)| {
            let value = &html[at + marker.len()..];
            value.find('"').map(|end| &value[..end])
        })
        .collect()
}

/// The links of the built book that lead to a page or a file that is not there, or to an
/// anchor the page does not have, as "page: link".
fn broken_links(book: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    let mut stack = vec![book.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)
            .expect("a folder of the built book")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                pages.push(path);
            }
        }
    }
    // The ids of each page, read once: most links point into the page they are on.
    let mut ids: std::collections::HashMap<PathBuf, BTreeSet<String>> = Default::default();
    let mut problems = Vec::new();
    for page in &pages {
        // mdBook's 404 page resolves its links against the site's root, which a folder lacks.
        if page.file_name().is_some_and(|name| name == "404.html") {
            continue;
        }
        let html = fs::read_to_string(page).expect("a page of the built book");
        let shown = page.strip_prefix(book).unwrap_or(page).display();
        for link in attributes(&html, "href") {
            let external = ["http:", "https:", "mailto:", "//", "javascript:", "data:"];
            if external.iter().any(|scheme| link.starts_with(scheme)) {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
            let target = match file {
                "" => page.clone(),
                file => page
                    .parent()
                    .unwrap_or(book)
                    .join(file.split('?').next().unwrap_or(file)),
            };
            if !target.exists() {
                problems.push(format!("{shown}: {link} (no such file)"));
            } else if !anchor.is_empty()
                && target.extension().is_some_and(|e| e == "html")
                && !ids
                    .entry(target.clone())
                    .or_insert_with(|| {
                        let html = fs::read_to_string(&target).unwrap_or_default();
                        attributes(&html, "id")
                            .into_iter()
                            .map(str::to_owned)
                            .collect()
                    })
                    .contains(anchor)
            {
                problems.push(format!("{shown}: {link} (no such anchor)"));
            }
        }
    }
    problems
}

#[test]
fn every_link_between_pages_of_the_built_book_resolves() {
    let test = "every_link_between_pages_of_the_built_book_resolves";
    let Some(book) = built_book(test) else { return };
    let problems = broken_links(&book);
    // The grader's links too, against the ids mdBook really gave the headings.
    let mut missing = Vec::new();
    for chapter in grader::chapters::CHAPTERS {
        for check in (chapter.checks)() {
            let (page, anchor) = check.book.split_once('#').unwrap_or((check.book, ""));
            let path = book.join(page);
            let found = path.is_file()
                && (anchor.is_empty() || {
                    let html = fs::read_to_string(&path).unwrap();
                    attributes(&html, "id").contains(&anchor)
                });
            if !found {
                missing.push(format!("{}: {}", check.id, check.book));
            }
        }
    }
    fs::remove_dir_all(&book).ok();
    assert!(
        problems.is_empty(),
        "broken links in the book:\n{}",
        problems.join("\n")
    );
    assert!(
        missing.is_empty(),
        "grader links to no section:\n{}",
        missing.join("\n")
    );
}

#[test]
fn broken_links_finds_a_missing_page_and_a_missing_anchor() {
    let dir = std::env::temp_dir().join(format!("workbook-links-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let page = r##"<h2 id="here">Here</h2><a href="#here">ok</a><a href="#nowhere">bad</a>
        <a data-id="x" href="b.html#there">ok</a><a href="b.html#gone">bad</a>
        <a href="missing.html">bad</a><a href="https://example.com/#x">external</a>"##;
    fs::write(dir.join("a.html"), page).unwrap();
    fs::write(dir.join("b.html"), r#"<p id="there">There</p>"#).unwrap();
    let problems = broken_links(&dir);
    fs::remove_dir_all(&dir).ok();
    assert_eq!(
        problems,
        [
            "a.html: #nowhere (no such anchor)",
            "a.html: b.html#gone (no such anchor)",
            "a.html: missing.html (no such file)",
        ]
    );
}

/// The runner of the pages' sessions (`scripts/try-it`) fails on a page whose shell session
/// shows other output than its command prints, and passes it once the page is right.
#[test]
fn a_session_whose_output_differs_from_its_page_fails() {
    use grader::tryit::{Limits, parse, run_page};
    let page = "```console\n$ GREETING=hello\n$ echo \"$GREETING, $((6 * 7)) times\"\n\
                hullo, [..] times\n$ false\n```\n";
    let sessions = parse(page).expect("the page parses");
    let differences = run_page(&root(), &sessions, Limits::default()).expect("bash runs");
    assert_eq!(differences.len(), 2, "{differences:?}");
    assert_eq!(differences[0].line, 3);
    assert_eq!(differences[0].got, vec!["hello, 42 times".to_owned()]);
    assert_eq!(differences[1].status, Some(1));
    let text = differences[0].to_string();
    assert!(
        text.contains("| hullo, [..] times") && text.contains("| hello, 42 times"),
        "{text}"
    );

    let fixed = page
        .replace("hullo", "hello")
        .replace("$ false\n", "$ false\n? 1\n");
    let sessions = parse(&fixed).expect("the page parses");
    let differences = run_page(&root(), &sessions, Limits::default()).expect("bash runs");
    assert!(differences.is_empty(), "{differences:?}");
}

/// Every page's sessions parse: a console block without a command, or one left open, is an
/// error here and not a silent skip in CI.
#[test]
fn every_session_of_the_book_parses() {
    for page in book_pages() {
        let text = fs::read_to_string(&page).expect("readable");
        if let Err(error) = grader::tryit::parse(&text) {
            panic!("{}: {error}", page.display());
        }
    }
}
