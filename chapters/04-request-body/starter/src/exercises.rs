//! Your solutions to the exercises of chapter 04, each an `#[OpenApi]` type of its own.
//!
//! `app()` in `lib.rs` already serves the two types below; each has no operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): add `POST /images/multiple/`, taking a JSON list of images (`url`, an
// http(s) address, and `name`) and answering it back (book: 04-request-body, "Exercise 1: A
// list of images").
/// Exercise 1: a body that is a list.
pub(crate) struct ImagesApi;

#[OpenApi]
impl ImagesApi {}

// TODO(exercise 2): add `POST /files/with-note/`, taking a multipart `file` and a non-empty
// text field `note`, answering `{"file_size": ..., "note": ...}` (book: 04-request-body,
// "Exercise 2: A file with a note").
/// Exercise 2: form fields next to a file.
pub(crate) struct NoteApi;

#[OpenApi]
impl NoteApi {}
