//! Your solutions to the exercises of chapter 01.

use poem_openapi::OpenApi;
use poem_openapi::types::Example;

use crate::Message;

// TODO(exercise 1): add `GET /about`, answering `{"title": ..., "version": ...}` with the
// document's title and version, under a tag of its own
// (book: 01-hello-world, "Exercise 1: About").
/// Exercise 1: a second endpoint. `app()` already serves it; it has no operation yet.
pub(crate) struct AboutApi;

#[OpenApi]
impl AboutApi {}

// TODO(exercise 2): make this the greeting that `GET /` answers, so that `/docs` shows it as the
// example answer (book: 01-hello-world, "Exercise 2: An example").
/// Exercise 2: the example that the document gives for `Message`.
impl Example for Message {
    fn example() -> Self {
        Message {
            message: String::new(),
        }
    }
}
