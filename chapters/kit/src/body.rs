//! The bodies of error answers, in FastAPI's shape: `{"detail": ...}`.
//!
//! Every answer to an error that kit makes gets its body here: a handler's error
//! ([`detail`]), bad input ([`validation_error`], one [`Problem`] per problem), and an error
//! that is not about the input ([`error_response`]). This module uses no other part of kit,
//! so that the layer around the app ([`crate::errors`]) and the checks inside each operation
//! ([`crate::inputs`]) can both use it without using each other.

use poem::Response;
use poem::error::{MethodNotAllowedError, NotFoundError};
use poem::http::{StatusCode, header};
use serde::Serialize;
use serde_json::{Value, json};

/// The body of an error a handler raises, for declaring it in an operation's responses:
/// `{"detail": "Item not found"}`.
#[derive(Debug, Clone, PartialEq, Eq, poem_openapi::Object)]
pub struct Detail {
    /// What went wrong, for a person.
    pub detail: String,
}

impl Detail {
    /// `{"detail": message}`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            detail: message.into(),
        }
    }
}

/// One step of a problem's location: a name, or a position in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Loc {
    /// A parameter, a field, or the source (`"query"`, `"body"`…).
    Name(String),
    /// A position in a list, or a byte offset in a body that is not valid JSON.
    Index(usize),
}

impl From<&str> for Loc {
    fn from(name: &str) -> Self {
        Loc::Name(name.to_owned())
    }
}

/// One problem with the input, as FastAPI reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// A short machine name: `missing`, `int_parsing`, `string_too_short`…
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where the problem is, starting with the source: `["query", "page"]`.
    pub loc: Vec<Loc>,
    /// A sentence for a person.
    pub msg: String,
    /// The value that was sent (`null` when it is missing).
    pub input: Value,
    /// The limits that were broken, when there are some.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl Problem {
    /// A problem without context.
    pub fn new(kind: &'static str, loc: Vec<Loc>, msg: impl Into<String>, input: Value) -> Self {
        Self {
            kind,
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    /// Adds the limits that were broken, or the parser's own words.
    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }

    /// A required value that was not sent.
    pub fn missing(loc: Vec<Loc>, input: Value) -> Self {
        Self::new("missing", loc, "Field required", input)
    }
}

/// `{"detail": message}` with `status`: the answer to an error a handler raises.
pub fn detail(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({ "detail": message.into() });
    Response::builder()
        .status(status)
        .content_type(JSON)
        .body(body.to_string())
}

/// The content type of every JSON error body.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

/// FastAPI's answer to bad input: 422 and one entry per problem.
pub fn validation_error(problems: Vec<Problem>) -> Response {
    let body = json!({ "detail": problems });
    Response::builder()
        .status(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type(JSON)
        .body(body.to_string())
}

/// The reason phrase FastAPI gives for a status it produces by itself.
pub(crate) fn standard_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Content Too Large",
        s if s.is_server_error() && s != StatusCode::SERVICE_UNAVAILABLE => "Internal Server Error",
        s => s.canonical_reason().unwrap_or("Error"),
    }
}

/// The answer to an error that is not about the input.
///
/// A message the handler chose is kept (`{"detail": "Item not found"}`); an internal failure
/// is logged and answered with nothing but `Internal Server Error`.
pub fn error_response(err: poem::Error) -> Response {
    if err.is::<NotFoundError>() || err.is::<MethodNotAllowedError>() || err.is::<BodyTooLarge>() {
        let status = err.status();
        return detail(status, standard_message(status));
    }
    let status = err.status();
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %err, "request failed");
        return detail(status, standard_message(status));
    }
    let message = err.to_string();
    let mut response = err.into_response();
    if is_json_response(&response) {
        return response;
    }
    response.set_body(json!({ "detail": message }).to_string());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static(JSON));
    response
}

pub(crate) fn is_json_response(response: &Response) -> bool {
    response.content_type().is_some_and(is_json)
}

/// A request body went over its limit.
#[derive(Debug, thiserror::Error)]
#[error("request body is over the limit")]
pub struct BodyTooLarge;

impl poem::error::ResponseError for BodyTooLarge {
    fn status(&self) -> StatusCode {
        StatusCode::PAYLOAD_TOO_LARGE
    }
}

/// `application/json` of `application/json; charset=utf-8`.
pub(crate) fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

pub(crate) fn same_media_type(a: &str, b: &str) -> bool {
    media_type(a).eq_ignore_ascii_case(media_type(b))
}

/// `application/json` and `application/*+json`, as poem-openapi accepts them.
pub(crate) fn is_json(content_type: &str) -> bool {
    let media = media_type(content_type).to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

pub(crate) fn is_form(content_type: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

pub(crate) fn is_multipart(content_type: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case(MULTIPART)
}

pub(crate) const MULTIPART: &str = "multipart/form-data";
