//! Chapter 12: a SQL database.
//!
//! Users and their items, stored with sqlx in SQLite, PostgreSQL or MySQL/MariaDB, whichever
//! `DATABASE_URL` names: a pool shared by every request, a connection or a transaction per
//! request, queries with bound parameters, bcrypt password hashes, and a 503 when the
//! database goes away.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `database.rs`: the pool, and the connection or transaction a request borrows from it.
//! 2. `config.rs`: which database, and how slow password hashes are.
//! 3. `main.rs`: serves the app on the database `DATABASE_URL` names.
//! 4. `lib.rs` (this file): the tags, the operations on users and items, and `app`.
//! 5. `crud.rs`: the queries, one function per question asked of the database.
//! 6. `checked.rs`: a query checked against the database when the crate compiles.
//! 7. `passwords.rs`: bcrypt hashes, made on the blocking pool.
//! 8. `errors.rs`: every error, and how each is answered.
//! 9. `schemas.rs`: what the API reads and writes.
//! 10. `exercises.rs`: **where the exercises go.** It holds their solutions; a learner's starter
//!     (`scripts/learn start 12`) has stubs in its place.

use kit::EmailStr;
use poem::{Endpoint, EndpointExt};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, OpenApiService, Tags};

// `config`, `errors` and `passwords` are public: chapter 13 builds on them. `checked` is the
// page's example of a query checked at compile time, called by its test only.
pub mod checked;
pub mod config;
mod crud;
mod database;
pub mod errors;
mod exercises;
pub mod passwords;
mod schemas;

pub use config::Config;
pub use database::{Database, tune_sqlite};
pub use errors::ApiError;
pub use passwords::MAX_PASSWORD_BYTES;
pub use schemas::{Item, ItemCreate, User, UserCreate, UserUpdate};

use database::{Session, Tx};
use errors::{is_foreign_key_violation, is_unique_violation};

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// Users: registered with an email and a password, stored with a bcrypt hash.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/sql-databases/")]
    Users,
    /// Items, each owned by a user.
    #[oai(external_docs = "https://docs.rs/sqlx/latest/sqlx/")]
    Items,
}
// ANCHOR_END: tags

/// `DELETE /users/{user_id}`'s answer: nothing.
#[derive(Debug, ApiResponse)]
enum Deleted {
    /// The user and their items are gone.
    #[oai(status = 204)]
    NoContent,
}

// ANCHOR: users_api
/// The operations on users.
struct UsersApi {
    /// The cost of new password hashes (`BCRYPT_COST`).
    bcrypt_cost: u32,
}
// ANCHOR_END: users_api

#[OpenApi]
impl UsersApi {
    // ANCHOR: create_user
    /// Register a user
    ///
    /// Stores a new user with a bcrypt hash of the password, and answers the user (never
    /// the password or its hash). The email must be free: another user with it is a **400**,
    /// even when both register at the same moment. A password over 72 bytes is a **422**:
    /// bcrypt would silently ignore the rest.
    #[oai(path = "/users/", method = "post", tag = "Tag::Users")]
    async fn create_user(
        &self,
        user: Json<UserCreate>,
        database: poem::web::Data<&Database>,
    ) -> Result<Json<User>, ApiError> {
        let UserCreate { email, password } = user.0;
        passwords::check_password_length(&password)?;
        let hashed_password = passwords::get_password_hash(password.0, self.bcrypt_cost).await?;
        // The connection is taken only now: hashing takes a while, and needs no database.
        let mut db = database.write_session().await?;
        let created = match crud::create_user(&mut db, email, hashed_password).await {
            Ok(user) => Ok(Json(user)),
            Err(err) if is_unique_violation(&err) => Err(ApiError::EmailAlreadyRegistered),
            Err(err) => Err(err.into()),
        };
        db.finish(created).await
    }
    // ANCHOR_END: create_user

    // ANCHOR: read_users
    /// List users
    ///
    /// A page of users in id order, each with their items: `skip` users are passed over,
    /// then at most `limit` are listed.
    #[oai(path = "/users/", method = "get", tag = "Tag::Users")]
    async fn read_users(
        &self,
        /// How many users to pass over.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// The most users to list.
        #[oai(default = "default_limit", validator(minimum(value = "0")))]
        limit: Query<i64>,
        mut db: Session,
    ) -> Result<Json<Vec<User>>, ApiError> {
        Ok(Json(crud::get_users(&mut db, skip.0, limit.0).await?))
    }

    /// Read a user
    ///
    /// The user with this id, with their items; **404** if there is none.
    #[oai(path = "/users/:user_id", method = "get", tag = "Tag::Users")]
    async fn read_user(
        &self,
        /// The user's id.
        user_id: Path<i64>,
        mut db: Session,
    ) -> Result<Json<User>, ApiError> {
        let user = crud::get_user(&mut db, user_id.0).await?;
        user.map(Json).ok_or(ApiError::UserNotFound)
    }
    // ANCHOR_END: read_users

    // ANCHOR: update_user
    /// Update a user
    ///
    /// Changes the email and/or whether the user is active; a member that is absent or
    /// `null` stays as it is. An email that another user has is a **400**.
    #[oai(path = "/users/:user_id", method = "put", tag = "Tag::Users")]
    async fn update_user(
        &self,
        /// The user's id.
        user_id: Path<i64>,
        changes: Json<UserUpdate>,
        mut tx: Tx,
    ) -> Result<Json<User>, ApiError> {
        let UserUpdate { email, is_active } = changes.0;
        let email = email.map(EmailStr::into_string);
        let updated = match crud::update_user(&mut tx, user_id.0, email, is_active).await {
            Ok(Some(user)) => Ok(Json(user)),
            Ok(None) => Err(ApiError::UserNotFound),
            Err(err) if is_unique_violation(&err) => Err(ApiError::EmailAlreadyRegistered),
            Err(err) => Err(err.into()),
        };
        tx.finish(updated).await
    }
    // ANCHOR_END: update_user

    // ANCHOR: delete_user
    /// Delete a user
    ///
    /// Deletes the user and all their items, together: either both go, or neither.
    /// **404** if there is no such user.
    #[oai(path = "/users/:user_id", method = "delete", tag = "Tag::Users")]
    async fn delete_user(
        &self,
        /// The user's id.
        user_id: Path<i64>,
        mut tx: Tx,
    ) -> Result<Deleted, ApiError> {
        let deleted = match crud::delete_user(&mut tx, user_id.0).await {
            Ok(true) => Ok(Deleted::NoContent),
            Ok(false) => Err(ApiError::UserNotFound),
            Err(err) => Err(err.into()),
        };
        tx.finish(deleted).await
    }
    // ANCHOR_END: delete_user

    // ANCHOR: create_item
    /// Create an item for a user
    ///
    /// Stores a new item owned by the user `user_id`; **404** if there is no such user.
    #[oai(path = "/users/:user_id/items/", method = "post", tag = "Tag::Items")]
    async fn create_item_for_user(
        &self,
        /// The id of the user who will own the item.
        user_id: Path<i64>,
        item: Json<ItemCreate>,
        mut db: Session,
    ) -> Result<Json<Item>, ApiError> {
        let created = match crud::create_user_item(&mut db, item.0, user_id.0).await {
            Ok(item) => Ok(Json(item)),
            Err(err) if is_foreign_key_violation(&err) => Err(ApiError::UserNotFound),
            Err(err) => Err(err.into()),
        };
        // The connection goes back before the answer is written (see `Session::finish`).
        db.finish(created).await
    }
    // ANCHOR_END: create_item
}

fn default_limit() -> i64 {
    100
}

// ANCHOR: items_api
/// The operations on items.
struct ItemsApi;

#[OpenApi]
impl ItemsApi {
    /// List items
    ///
    /// A page of items in id order, whoever owns them. With `q`, only the items whose title
    /// contains it, ignoring case (on SQLite, the case of ASCII letters only).
    #[oai(path = "/items/", method = "get", tag = "Tag::Items")]
    async fn read_items(
        &self,
        /// How many items to pass over.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// The most items to list.
        #[oai(default = "default_limit", validator(minimum(value = "0")))]
        limit: Query<i64>,
        /// Text to look for in the titles (exercise 3); `%` and `_` are plain characters. No
        /// title holds a NUL character, and neither may this (SQLite's `LIKE` would stop
        /// reading at it, and find every item).
        #[oai(validator(pattern = r"^[^\u0000]*$"))]
        q: Query<Option<String>>,
        mut db: Session,
    ) -> Result<Json<Vec<Item>>, ApiError> {
        let items = match q.0.as_deref() {
            None => crud::get_items(&mut db, skip.0, limit.0).await?,
            Some(q) => exercises::search_items(&mut db, q, skip.0, limit.0).await?,
        };
        Ok(Json(items))
    }
}
// ANCHOR_END: items_api

// ANCHOR: app
const DESCRIPTION: &str = "\
Chapter 12 of the **Poem API Workbook**: users and their items in a SQL database.

* The same program runs on **SQLite** (the default, a file `sql_app.db`), **PostgreSQL**
  and **MySQL/MariaDB**: `DATABASE_URL` chooses.
* Passwords are stored as **bcrypt** hashes, never shown.
* When the database does not answer, operations answer **503** `Database unavailable`, and
  work again once it is back.";

/// The whole app: the API on `database`, its docs pages where `docs` says, and the house
/// conventions.
pub fn app(docs: &kit::Docs, config: &Config, database: Database) -> impl Endpoint + use<> {
    let operations = (
        UsersApi {
            bcrypt_cost: config.bcrypt_cost,
        },
        ItemsApi,
        exercises::ExercisesApi,
    );
    let service = OpenApiService::new(kit::FastapiErrors(operations), "SQL databases", "1.0.0")
        .description(DESCRIPTION);
    kit::mount(service, docs).data(database)
}
// ANCHOR_END: app
