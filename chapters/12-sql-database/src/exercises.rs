//! The exercises' solutions: one user's items, and a partial update of an item. (Exercise 3,
//! the search, is the `q` parameter of `GET /items/`.)

use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;

use crate::Tag;
use crate::crud;
use crate::database::{Session, Tx};
use crate::errors::ApiError;
use crate::schemas::{Item, ItemUpdate};

// ANCHOR: api
/// The exercises' operations.
pub(crate) struct ExercisesApi;

#[OpenApi]
impl ExercisesApi {
    /// List one user's items
    ///
    /// The items of the user `user_id`, in id order; **404** if there is no such user (an
    /// existing user without items has an empty list).
    #[oai(path = "/users/:user_id/items/", method = "get", tag = "Tag::Items")]
    async fn read_user_items(
        &self,
        /// The user's id.
        user_id: Path<i64>,
        mut db: Session,
    ) -> Result<Json<Vec<Item>>, ApiError> {
        let items = crud::get_user_items_or_none(&mut db, user_id.0).await?;
        items.map(Json).ok_or(ApiError::UserNotFound)
    }

    /// Update part of an item
    ///
    /// Changes only the members that are sent: an absent member stays as it is, and
    /// `"description": null` removes the description. **404** if there is no such item.
    #[oai(path = "/items/:item_id", method = "patch", tag = "Tag::Items")]
    async fn update_item(
        &self,
        /// The item's id.
        item_id: Path<i64>,
        changes: Json<ItemUpdate>,
        mut tx: Tx,
    ) -> Result<Json<Item>, ApiError> {
        let ItemUpdate { title, description } = changes.0;
        let updated = match crud::update_item(&mut tx, item_id.0, title, description).await {
            Ok(Some(item)) => Ok(Json(item)),
            Ok(None) => Err(ApiError::ItemNotFound),
            Err(err) => Err(err.into()),
        };
        tx.finish(updated).await
    }
}
// ANCHOR_END: api
