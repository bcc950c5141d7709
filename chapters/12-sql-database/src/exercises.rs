//! The exercises' solutions: one user's items (1), a partial update of an item (2), and the
//! search behind `GET /items/?q=` (3), which the lesson's `read_items` hands to
//! [`search_items`].

use kit::Text;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::{Example, MaybeUndefined};
use poem_openapi::{Object, OpenApi};
use sqlx::AnyConnection;

use crate::Tag;
use crate::crud::{self, item_from_row, query};
use crate::database::{Session, Tx};
use crate::errors::ApiError;
use crate::schemas::Item;

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
        let items = get_user_items_or_none(&mut db, user_id.0).await?;
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
        // The document says a title is a string: `null` is refused, not read as "unchanged".
        let title = match title {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => return Err(ApiError::TitleRemoved),
            MaybeUndefined::Value(title) => Some(String::from(title)),
        };
        let description = description.map_value(String::from);
        let updated = match update_item(&mut tx, item_id.0, title, description).await {
            Ok(Some(item)) => Ok(Json(item)),
            Ok(None) => Err(ApiError::ItemNotFound),
            Err(err) => Err(err.into()),
        };
        tx.finish(updated).await
    }
}
// ANCHOR_END: api

// ANCHOR: queries
/// Exercise 1: the items of one user, in id order; `None` when there is no such user.
async fn get_user_items_or_none(
    conn: &mut AnyConnection,
    user_id: i64,
) -> sqlx::Result<Option<Vec<Item>>> {
    let exists = query(conn, "SELECT id FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    match exists {
        Some(_) => Ok(Some(crud::get_user_items(conn, user_id).await?)),
        None => Ok(None),
    }
}

/// Exercise 2: changes what is given, and gives the item back; `None` when there is no such
/// item. An absent description stays; a `null` one is removed.
async fn update_item(
    conn: &mut AnyConnection,
    item_id: i64,
    title: Option<String>,
    description: MaybeUndefined<String>,
) -> sqlx::Result<Option<Item>> {
    let (change_description, description) = match description {
        MaybeUndefined::Undefined => (false, None),
        MaybeUndefined::Null => (true, None),
        MaybeUndefined::Value(text) => (true, Some(text)),
    };
    query(
        conn,
        "UPDATE items SET title = COALESCE(?, title), \
         description = CASE WHEN ? THEN ? ELSE description END WHERE id = ?",
    )
    .bind(title)
    .bind(change_description)
    .bind(description)
    .bind(item_id)
    .execute(&mut *conn)
    .await?;
    let row = query(
        conn,
        "SELECT id, title, description, owner_id FROM items WHERE id = ?",
    )
    .bind(item_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(item_from_row).transpose()
}
// ANCHOR_END: queries

// ANCHOR: item_update
/// Exercise 2: changes to an item. An absent member stays as it is; `"description": null`
/// removes the description, and `"title": null` is a 422 (a title cannot be removed).
#[derive(Debug, Clone, Object)]
#[oai(example)]
struct ItemUpdate {
    // `MaybeUndefined`, not `Option`: an `Option` reads `null` as absent, and the handler
    // could not refuse it.
    /// A new title; not `null`, since an item keeps its title.
    title: MaybeUndefined<Text>,
    /// A new description, or `null` for none.
    #[oai(nullable)]
    description: MaybeUndefined<Text>,
}
// ANCHOR_END: item_update

impl Example for ItemUpdate {
    fn example() -> Self {
        Self {
            title: MaybeUndefined::Value(Text::new_unchecked("Portal gun, mark II")),
            description: MaybeUndefined::Null,
        }
    }
}

// ANCHOR: search
/// Exercise 3: a page of the items whose title contains `q`, ignoring case, in id order.
pub(crate) async fn search_items(
    conn: &mut AnyConnection,
    q: &str,
    skip: i64,
    limit: i64,
) -> sqlx::Result<Vec<Item>> {
    let rows = query(
        conn,
        "SELECT id, title, description, owner_id FROM items \
         WHERE LOWER(title) LIKE LOWER(?) ESCAPE '!' ORDER BY id LIMIT ? OFFSET ?",
    )
    .bind(contains(q))
    .bind(limit)
    .bind(skip)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(item_from_row).collect()
}
// ANCHOR_END: search

// ANCHOR: contains
/// A `LIKE` pattern that matches `text` anywhere. `%` and `_` are `LIKE`'s wildcards: written
/// as they are, a search for `50%` would find "500 rupees". Each is escaped with `!` (and `!`
/// itself), the character the query names in `ESCAPE '!'`: the same on every backend, where
/// a backslash is not (MySQL reads it inside string literals).
fn contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
// ANCHOR_END: contains

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_are_escaped() {
        assert_eq!(contains("50%_off!"), "%50!%!_off!!%");
        assert_eq!(contains("plain"), "%plain%");
    }
}
