//! Your solutions to the exercises of chapter 12.
//!
//! `app()` in `lib.rs` already serves `ExercisesApi`, which has no operation yet, and
//! `GET /items/` hands its `q` to `search_items`.

use poem_openapi::OpenApi;
use sqlx::AnyConnection;

use crate::crud;
use crate::schemas::Item;

// TODO(exercise 1): add `GET /users/{user_id}/items/`, that user's items in id order: `[]` for
// a user without items, 404 `User not found` for an unknown user (book: "Exercise 1: One
// user's items").
// TODO(exercise 2): add `PATCH /items/{item_id}` `{"title"?, "description"?}`, changing only
// what is sent (`"description": null` removes it, `"title": null` is a 422); 404 `Item not
// found` (book: "Exercise 2: A partial update").
/// The exercises' operations.
pub(crate) struct ExercisesApi;

#[OpenApi]
impl ExercisesApi {}

// TODO(exercise 3): answer only the items whose title contains `q`, ignoring case, where `%`
// and `_` are plain characters (book: "Exercise 3: Search"). Until then, every item is listed.
/// Exercise 3: a page of the items whose title contains `q`, in id order.
pub(crate) async fn search_items(
    conn: &mut AnyConnection,
    _q: &str,
    skip: i64,
    limit: i64,
) -> sqlx::Result<Vec<Item>> {
    crud::get_items(conn, skip, limit).await
}
