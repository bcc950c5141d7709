//! `GET /static/...`: the files of one folder, and nothing outside it.
//!
//! A static file server turns part of a URL into a path on disk, which is how servers leak
//! their `/etc/passwd`: `/static/../../etc/passwd`, the same with `%2e%2e`, `%2f` for a
//! slash, a backslash, an absolute path, a symbolic link that points out of the folder. Each
//! is answered `404 Not Found`, as a file that does not exist, so that a probe learns nothing.
//!
//! The files are outside the OpenAPI document: they are not operations of the API.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use poem::http::{Method, StatusCode, header};
use poem::{Body, Endpoint, Request, Response};

use crate::exercises;

/// Where the files are served.
pub const PREFIX: &str = "/static/";

// ANCHOR: resolve
/// The files of one folder.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    /// Absolute, with its symbolic links resolved (`Settings::static_dir` makes it so).
    root: Arc<PathBuf>,
}

impl StaticFiles {
    /// Serves the files under `root`, which must be absolute and canonical.
    pub fn new(root: &Path) -> Self {
        Self {
            root: Arc::new(root.to_owned()),
        }
    }

    /// The file that `encoded` (the URL path after `/static/`, still percent-encoded) names,
    /// if it is a regular file inside the folder.
    pub async fn resolve(&self, encoded: &str) -> Option<PathBuf> {
        // Decoded once, before any check: `%2e%2e` is `..` and must be seen as such.
        let decoded = percent_decode_str(encoded).decode_utf8().ok()?;
        let mut path = self.root.to_path_buf();
        for segment in decoded.split('/') {
            if !is_plain_name(segment) {
                return None;
            }
            path.push(segment);
        }
        // The real path, with every symbolic link followed, must still be inside the folder.
        let real = tokio::fs::canonicalize(&path).await.ok()?;
        let metadata = tokio::fs::metadata(&real).await.ok()?;
        (real.starts_with(self.root.as_path()) && metadata.is_file()).then_some(real)
    }
}

/// A file or folder name and nothing else: not empty (`a//b`, a leading `/`), not `.` or `..`
/// or a hidden file (`.env`), no backslash (a separator on Windows), no `:` (a drive, `C:`),
/// no NUL.
fn is_plain_name(segment: &str) -> bool {
    !segment.is_empty() && !segment.starts_with('.') && !segment.contains(['\\', ':', '\0'])
}
// ANCHOR_END: resolve

// ANCHOR: content_type
/// The media type of a file, from its extension. Text types say their charset; anything
/// unknown is a download (`application/octet-stream`), never guessed from its contents.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}
// ANCHOR_END: content_type

// ANCHOR: endpoint
impl Endpoint for StaticFiles {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let head = match *req.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => {
                let mut refused = kit::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
                refused
                    .headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
                return Ok(refused);
            }
        };
        let found = match req.uri().path().strip_prefix(PREFIX) {
            Some(rest) => self.resolve(rest).await,
            None => None,
        };
        let Some(path) = found else {
            return Ok(not_found());
        };
        // The file may vanish between the check and the read: that is a 404 too.
        let Ok(file) = tokio::fs::File::open(&path).await else {
            return Ok(not_found());
        };
        let Ok(metadata) = file.metadata().await else {
            return Ok(not_found());
        };
        // HEAD: the same headers, no body (RFC 9110, 9.3.2).
        let body = match head {
            true => Body::empty(),
            false => Body::from_async_read(file),
        };
        let answer = Response::builder()
            .content_type(content_type(&path))
            .header(header::CONTENT_LENGTH, metadata.len())
            .header("x-content-type-options", "nosniff");
        Ok(exercises::cache_headers(answer).body(body))
    }
}

fn not_found() -> Response {
    kit::detail(StatusCode::NOT_FOUND, "Not Found")
}
// ANCHOR_END: endpoint

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_pass() {
        for name in ["index.html", "style.css", "a b.txt", "ünï.png"] {
            assert!(is_plain_name(name), "{name}");
        }
        for name in ["", ".", "..", ".env", "a\\b", "..\\x", "C:", "a\0b"] {
            assert!(!is_plain_name(name), "{name:?}");
        }
    }

    #[test]
    fn types_come_from_the_extension() {
        assert_eq!(
            content_type(Path::new("a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("logo.png")), "image/png");
        assert_eq!(content_type(Path::new("notes")), "application/octet-stream");
    }
}
