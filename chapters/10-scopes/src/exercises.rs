//! The exercises' solutions: a scope to write (1), and a scope nobody holds (2).

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use crate::users::{UserInDb, UsersDb};
use crate::{AuthError, CurrentActiveUser, Needs, Scope, Tag, User};

/// The exercises' section of `/docs`.
#[derive(Tags)]
enum ExerciseTag {
    /// Managing the service: needs the scope `admin`, which nobody holds (exercise 2).
    Admin,
}

// ANCHOR: items_write
/// `me` and `items:write`.
pub(crate) struct MeItemsWrite;

impl Needs for MeItemsWrite {
    const SCOPES: &'static [Scope] = &[Scope::Me, Scope::ItemsWrite];
}

/// A new item.
#[derive(Object)]
#[oai(example)]
struct NewItem {
    /// The item's id.
    #[oai(validator(min_length = 1, max_length = 50))]
    item_id: String,
}

impl Example for NewItem {
    fn example() -> Self {
        Self {
            item_id: "Bar".to_owned(),
        }
    }
}

/// The item made, with its owner.
#[derive(Object)]
struct CreatedItem {
    /// The item's id.
    item_id: String,
    /// The user name of its owner: the current user.
    owner: String,
}

/// The answer of `POST /users/me/items/`.
#[derive(ApiResponse)]
enum ItemCreated {
    /// The item is made (this workbook keeps no items: it is not stored).
    #[oai(status = 201)]
    Created(Json<CreatedItem>),
}

/// Exercise 1's solution: an operation that writes, behind a scope of its own.
pub(crate) struct ItemsWriteApi;

#[OpenApi]
impl ItemsWriteApi {
    /// Create an item
    ///
    /// Needs the scopes `me` and `items:write`: a token that may read items may not make
    /// them. johndoe holds `items:write`; ask for it at login.
    #[oai(path = "/items/", method = "post", tag = "Tag::Users")]
    async fn create_own_item(
        &self,
        #[oai(scope = "Scope::Me", scope = "Scope::ItemsWrite")] current_user: CurrentActiveUser<
            MeItemsWrite,
        >,
        item: Json<NewItem>,
    ) -> Result<ItemCreated, AuthError> {
        Ok(ItemCreated::Created(Json(CreatedItem {
            item_id: item.0.item_id,
            owner: current_user.0.username,
        })))
    }
}
// ANCHOR_END: items_write

// ANCHOR: admin
/// `admin`.
pub(crate) struct AdminOnly;

impl Needs for AdminOnly {
    const SCOPES: &'static [Scope] = &[Scope::Admin];
}

impl UsersDb {
    /// Every user, by name.
    fn all(&self) -> Vec<UserInDb> {
        let mut users: Vec<UserInDb> = self.0.values().cloned().collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        users
    }
}

/// Exercise 2's solution: an operation behind a scope that no user holds.
pub(crate) struct AdminApi;

#[OpenApi]
impl AdminApi {
    /// List the users
    ///
    /// Needs the scope `admin`, which no user of this service holds: a login that asks for
    /// it does not get it, and a token that claims it is refused. Closed to everyone, by
    /// design, until a user is given the scope.
    #[oai(path = "/admin/users/", method = "get", tag = "ExerciseTag::Admin")]
    async fn read_users(
        &self,
        db: Data<&UsersDb>,
        #[oai(scope = "Scope::Admin")] _admin: CurrentActiveUser<AdminOnly>,
    ) -> Result<Json<Vec<User>>, AuthError> {
        Ok(Json(db.all().into_iter().map(User::from).collect()))
    }
}
// ANCHOR_END: admin
