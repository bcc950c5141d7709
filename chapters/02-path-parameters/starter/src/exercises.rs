//! Your solutions to the exercises of chapter 02, each an `#[OpenApi]` type of its own.
//!
//! `app()` in `lib.rs` already serves the three types below; each has no operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): add `GET /models/{model_name}`, with `model_name` one of `alexnet`,
// `resnet`, `lenet`, answering `{"model_name": ..., "message": ...}`
// (book: 02-path-parameters, "Exercise 1: Models").
/// Exercise 1: an enum in the path.
pub(crate) struct ModelsApi;

#[OpenApi]
impl ModelsApi {}

// TODO(exercise 2): add `GET /users/{user_id}/items/{item_id}`, `user_id` an integer and
// `item_id` any text, answering both (book: 02-path-parameters, "Exercise 2: Two parameters").
/// Exercise 2: two parameters in one path.
pub(crate) struct UsersApi;

#[OpenApi]
impl UsersApi {}

// TODO(exercise 3): add `GET /files/{file_path}` answering `{"file_path": ...}` for a path that
// contains slashes (book: 02-path-parameters, "Exercise 3: A file path").
/// Exercise 3: a path with slashes in one parameter.
pub(crate) struct FilesApi;

#[OpenApi]
impl FilesApi {}
