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
        for entry in fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
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
