//! Multipart bodies whose part headers hold control characters, read as FastAPI reads them.
//!
//! poem reads `multipart/form-data` with multer, which refuses the whole body when the
//! headers of a part hold a control character (a field named `"a\x13b"`, say): HTTP allows
//! none in a header. FastAPI's parser takes such a part, and a form that merely carries an
//! odd extra field is not a bad request. So before multer sees the body, each control
//! character in the headers of a part is replaced with U+FFFD, as bytes that are not text
//! are shown elsewhere; the parts' contents pass untouched, and the body still streams.

use bytes::Bytes;
use futures_util::StreamExt;
use poem::{Body, Request};

/// Makes the multipart body of `req` readable by multer when its part headers hold control
/// characters. Bodies of other types, and multipart bodies without a boundary, are left as
/// they are.
pub(crate) fn tolerate_control_characters(req: &mut Request) {
    let Some(boundary) = req.content_type().and_then(boundary) else {
        return;
    };
    let mut headers = PartHeaders::new(boundary);
    let stream = req
        .take_body()
        .into_bytes_stream()
        .map(move |chunk| chunk.map(|chunk| headers.clean(chunk)));
    req.set_body(Body::from_bytes_stream(stream));
}

/// The `boundary` parameter of a `multipart/form-data` content type, unquoted.
fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let media_type = parts.next()?.trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// What a control character in a part's headers becomes: U+FFFD, in UTF-8.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// The end of a part's headers: an empty line.
const END_OF_HEADERS: &[u8] = b"\r\n\r\n";

/// Where the body is, as it streams past: in a part's headers or not, and how much of the
/// pattern that ends the current stretch has been seen. Chunks may split a pattern anywhere.
struct PartHeaders {
    /// What starts each part: a line break, `--` and the boundary.
    delimiter: Vec<u8>,
    in_headers: bool,
    matched: usize,
}

impl PartHeaders {
    fn new(boundary: String) -> Self {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        Self {
            delimiter,
            in_headers: false,
            // The first boundary opens the body, with no line break before it.
            matched: 2,
        }
    }

    /// The chunk with the control characters of part headers replaced; the same bytes when
    /// there are none.
    fn clean(&mut self, chunk: Bytes) -> Bytes {
        let mut cleaned: Option<Vec<u8>> = None;
        for (i, &byte) in chunk.iter().enumerate() {
            if self.in_headers && is_control(byte) {
                cleaned
                    .get_or_insert_with(|| chunk[..i].to_vec())
                    .extend_from_slice(REPLACEMENT);
                self.matched = 0;
                continue;
            }
            if let Some(cleaned) = &mut cleaned {
                cleaned.push(byte);
            }
            let pattern = if self.in_headers {
                END_OF_HEADERS
            } else {
                &self.delimiter
            };
            self.matched = advance(pattern, self.matched, byte);
            if self.matched == pattern.len() {
                self.in_headers = !self.in_headers;
                self.matched = 0;
            }
        }
        cleaned.map_or(chunk, Bytes::from)
    }
}

/// How much of `pattern` ends at `byte`, when `matched` bytes of it ended just before.
///
/// Both patterns start with `\r`, and a failed match can only restart there: a boundary
/// holds no `\r`, and of `\r\n\r\n` the only restart is its last `\r`, which this finds too.
fn advance(pattern: &[u8], matched: usize, byte: u8) -> usize {
    if pattern[matched] == byte {
        matched + 1
    } else if byte == b'\r' {
        1
    } else {
        0
    }
}

/// A byte that no header may hold: the C0 controls and DEL, but the tab, and the CR and LF
/// that end header lines.
fn is_control(byte: u8) -> bool {
    byte.is_ascii_control() && !matches!(byte, b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `body` cleaned as it would stream in chunks of `size` bytes.
    fn cleaned(body: &[u8], size: usize) -> Vec<u8> {
        let mut headers = PartHeaders::new("XyZ".to_owned());
        body.chunks(size)
            .flat_map(|chunk| headers.clean(Bytes::copy_from_slice(chunk)).to_vec())
            .collect()
    }

    fn body(name: &str, content: &str) -> Vec<u8> {
        format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n\
             {content}\r\n--XyZ--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn control_characters_in_part_headers_are_replaced_wherever_chunks_split() {
        let sent = body("a\x13b\x7f", "x\x01y");
        let expected = body("a\u{FFFD}b\u{FFFD}", "x\x01y");
        for size in 1..=sent.len() {
            assert_eq!(cleaned(&sent, size), expected, "chunks of {size} bytes");
        }
    }

    #[test]
    fn a_body_without_control_characters_passes_unchanged() {
        let sent = body("tab\there", "any \x00 content\r\n\r\nwith blank lines");
        for size in [1, 2, 7, sent.len()] {
            assert_eq!(cleaned(&sent, size), sent);
        }
    }

    #[test]
    fn part_contents_that_look_like_headers_are_left_alone() {
        // Content that holds the boundary without the line break before it, and control
        // characters after an empty line, is still content.
        let sent = body("n", "--XyZ\x02\r\n\r\n\x03");
        assert_eq!(cleaned(&sent, 3), sent);
    }

    #[test]
    fn the_boundary_is_read_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("application/json; boundary=abc"), None);
    }
}
