//! Your solutions to the exercises of chapter 15, which manage jobs.
//!
//! `app()` in `lib.rs` already serves `ExercisesApi` beside the lesson's operations; it has no
//! operation yet.

use poem_openapi::OpenApi;

// TODO(exercise 1): add `DELETE /jobs/{id}`: 204 for a job that is not running (then `GET` is
// a 404), 409 `Job is running` for a running one, 404 for an unknown one (book: "Exercise 1:
// Cancel a job").
// TODO(exercise 2): add `GET /jobs/?state=&skip=&limit=`: the jobs in id order, only those in
// `state` when it is given (422 for an unknown state), a page of them (book: "Exercise 2: List
// jobs by state").
// TODO(exercise 3): add `POST /jobs/{id}/retry`: a `failed` job queued again, due now, attempts
// back at 0, answered as the retry left it; 409 `Only a failed job can be retried` for any
// other state, 404 for an unknown one (book: "Exercise 3: Retry a failed job").
/// Managing jobs: the exercises' operations.
pub(crate) struct ExercisesApi;

#[OpenApi]
impl ExercisesApi {}
