//! Answers that are not JSON: an HTML page, plain text, a redirect and a file to download.

use poem_openapi::payload::{Attachment, Html, PlainText};
use poem_openapi::{ApiResponse, OpenApi};

use crate::Tag;

// ANCHOR: page
const PAGE: &str = "<!DOCTYPE html>
<html>
  <head><title>Chapter 05</title></head>
  <body><h1>Hello from an HTML response</h1></body>
</html>
";
// ANCHOR_END: page

// ANCHOR: redirect
/// The answer of `GET /redirect`.
#[derive(Debug, ApiResponse)]
pub enum Redirect {
    /// Go to the interactive docs. A 307 keeps the request's method and body, as FastAPI's
    /// `RedirectResponse` does by default.
    #[oai(status = 307)]
    Temporary(
        /// Where to go instead.
        #[oai(header = "Location")]
        String,
    ),
}
// ANCHOR_END: redirect

// ANCHOR: download
/// The report, built into the program when it is compiled.
const REPORT: &str = include_str!("../files/report.txt");

/// The answer of `GET /download`.
#[derive(Debug, ApiResponse)]
pub enum Download {
    /// The report, as a text file to save rather than show.
    #[oai(
        status = 200,
        content_type = "text/plain; charset=utf-8",
        header(
            name = "Content-Disposition",
            ty = "String",
            description = "`attachment; filename=\"report.txt\"`: save the body under this name."
        )
    )]
    File(Attachment<&'static str>),
}
// ANCHOR_END: download

// ANCHOR: formats_api
/// The operations that answer something other than JSON.
pub(crate) struct FormatsApi;

#[OpenApi]
impl FormatsApi {
    /// An HTML page
    ///
    /// A small HTML document (`text/html`), as FastAPI's `HTMLResponse` sends one: a browser
    /// shows it as a page.
    #[oai(path = "/html", method = "get", tag = "Tag::Formats")]
    async fn read_html(&self) -> Html<&'static str> {
        Html(PAGE)
    }

    /// Plain text
    ///
    /// `Hello World` as `text/plain`, not as a JSON string: no quotes around it.
    #[oai(path = "/plain", method = "get", tag = "Tag::Formats")]
    async fn read_plain(&self) -> PlainText<&'static str> {
        PlainText("Hello World")
    }

    /// Redirect to the docs
    ///
    /// Answers **307 Temporary Redirect** with `Location: /docs`; a browser, or `curl -L`,
    /// follows it to Swagger UI.
    #[oai(path = "/redirect", method = "get", tag = "Tag::Formats")]
    async fn redirect(&self) -> Redirect {
        Redirect::Temporary("/docs".to_owned())
    }

    /// Download a file
    ///
    /// A small text file with `Content-Disposition: attachment; filename="report.txt"`, so a
    /// browser saves it as `report.txt` instead of showing it.
    #[oai(path = "/download", method = "get", tag = "Tag::Formats")]
    async fn download(&self) -> Download {
        Download::File(Attachment::new(REPORT).filename("report.txt"))
    }
}
// ANCHOR_END: formats_api
