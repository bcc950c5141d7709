//! Chapter 13: migrations.
//!
//! Chapter 12's users and items, on a schema that changes over time: reversible migrations in
//! `migrations/<backend>/`, a program that applies, undoes and reports them (`migrate up`,
//! `down`, `status`, `history`), and a server that will not start on a database behind it.
//!
//! Files, in the order the book's page reads them:
//!
//! 1. `migrations.rs`: the migrations carried and applied, and the commands that move between them.
//! 2. `cli.rs`: the command line: `serve`, and `migrate` with its subcommands.
//! 3. `schemas.rs`: chapter 12's item schemas, imported, and its user schemas with `full_name`.
//! 4. `lib.rs` (this file): the API, chapter 12's with `full_name`, and `app`.
//! 5. `crud.rs`: chapter 12's queries, with `full_name`.
//! 6. `exercises.rs`: **where the exercises go.** It holds their solutions (exercise 3's: exercises
//!    1 and 2 are migrations, `0004_…` and `0005_…` in `migrations/<backend>/`); a learner's
//!    starter (`scripts/learn start 13`) has stubs in its place.
//!
//! Not on the page: `db.rs`, chapter 12's pool without its migration at start, and `main.rs`, which
//! runs `cli.rs`.

pub mod cli;
mod crud;
pub mod db;
mod exercises;
pub mod migrations;
pub mod schemas;

// Chapter 12's settings, errors and password hashing, unchanged.
pub use ch12_sql_database::{config, errors, passwords};

/// The database when `DATABASE_URL` is not set: a file of this chapter's own, in its data
/// folder (see `kit::data_dir`), since chapter 12's `sql_app.db` holds a schema made without
/// these migrations.
pub const DEFAULT_DATABASE_FILE: &str = "ch13.db";

use poem::web::Data;
use poem::{Endpoint, EndpointExt};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, OpenApiService, Tags};

pub use config::Config;
pub use db::Database;
use errors::ApiError;
use kit::Text;
use schemas::{Item, ItemCreate, User, UserCreate};

// ANCHOR: tags
/// Groups of operations; each becomes a section of `/docs`.
#[derive(Tags)]
enum Tag {
    /// The accounts, each with the items it owns.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/sql-databases/")]
    Users,
    /// Every item, whoever owns it.
    #[oai(external_docs = "https://fastapi.tiangolo.com/tutorial/sql-databases/")]
    Items,
}
// ANCHOR_END: tags

fn default_limit() -> i64 {
    100
}

// ANCHOR: api
/// The operations of this chapter: chapter 12's, with the new column.
struct Api;

#[OpenApi]
impl Api {
    // ANCHOR: create_user
    /// Create a user
    ///
    /// Registers an email address (which must be valid, and is read as Pydantic reads it) with a
    /// password of 72 bytes at most, kept only as a bcrypt hash, and an optional full name.
    /// An address another user has is refused with a 400, even when both arrive at once.
    #[oai(path = "/users/", method = "post", tag = "Tag::Users")]
    async fn create_user(
        &self,
        db: Data<&Database>,
        config: Data<&Config>,
        user: Json<UserCreate>,
    ) -> Result<Json<User>, ApiError> {
        let Json(UserCreate {
            email,
            password,
            full_name,
        }) = user;
        passwords::check_password_length(&password)?;
        if crud::get_user_by_email(&db, email.as_str())
            .await?
            .is_some()
        {
            return Err(ApiError::EmailAlreadyRegistered);
        }
        let hashed_password = passwords::get_password_hash(password.0, config.bcrypt_cost).await?;
        let new = crud::NewUser {
            email: email.as_str(),
            hashed_password: &hashed_password,
            full_name: full_name.as_ref().map(Text::as_str),
        };
        // `None`: another request registered the address between the check and the insert.
        let user = crud::create_user(&db, new).await?;
        user.map(Json).ok_or(ApiError::EmailAlreadyRegistered)
    }
    // ANCHOR_END: create_user

    /// List the users
    ///
    /// The users in order of id, from `skip` on and at most `limit` of them, each with its
    /// items. Both must be 0 or more.
    #[oai(path = "/users/", method = "get", tag = "Tag::Users")]
    async fn read_users(
        &self,
        db: Data<&Database>,
        /// How many users to skip; 0 or more.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// How many users to give at most; 0 or more.
        #[oai(default = "default_limit", validator(minimum(value = "0")))]
        limit: Query<i64>,
    ) -> Result<Json<Vec<User>>, ApiError> {
        Ok(Json(crud::get_users(&db, skip.0, limit.0).await?))
    }

    /// Read a user
    ///
    /// The user with this id, with its items; 404 if there is none.
    #[oai(path = "/users/:user_id", method = "get", tag = "Tag::Users")]
    async fn read_user(
        &self,
        db: Data<&Database>,
        /// The user's id.
        user_id: Path<i64>,
    ) -> Result<Json<User>, ApiError> {
        let user = crud::get_user(&db, user_id.0).await?;
        user.map(Json).ok_or(ApiError::UserNotFound)
    }

    /// Create an item for a user
    ///
    /// Adds an item owned by the user with this id; 404 if there is none.
    #[oai(path = "/users/:user_id/items/", method = "post", tag = "Tag::Items")]
    async fn create_item_for_user(
        &self,
        db: Data<&Database>,
        /// The id of the user who will own the item.
        user_id: Path<i64>,
        item: Json<ItemCreate>,
    ) -> Result<Json<Item>, ApiError> {
        let Json(ItemCreate { title, description }) = item;
        let new = crud::NewItem {
            title: title.as_str(),
            description: description.as_ref().map(Text::as_str),
            owner_id: user_id.0,
        };
        let item = crud::create_user_item(&db, new).await?;
        item.map(Json).ok_or(ApiError::UserNotFound)
    }

    /// List the items
    ///
    /// Every user's items in order of id, from `skip` on and at most `limit` of them. Both
    /// must be 0 or more.
    #[oai(path = "/items/", method = "get", tag = "Tag::Items")]
    async fn read_items(
        &self,
        db: Data<&Database>,
        /// How many items to skip; 0 or more.
        #[oai(default, validator(minimum(value = "0")))]
        skip: Query<i64>,
        /// How many items to give at most; 0 or more.
        #[oai(default = "default_limit", validator(minimum(value = "0")))]
        limit: Query<i64>,
    ) -> Result<Json<Vec<Item>>, ApiError> {
        Ok(Json(crud::get_items(&db, skip.0, limit.0).await?))
    }
}
// ANCHOR_END: api

const DESCRIPTION: &str = "\
Chapter 12's users and items, on a schema that **migrations** build and change.

The program that serves this API also migrates its database: `migrate up`, `migrate down`, \
`migrate status` and `migrate history`. It refuses to serve a database that is behind its \
migrations, unless it is started with `--migrate`.";

// ANCHOR: app
/// The whole app, on a database already migrated (see [`migrations::before_serving`]).
pub fn app(docs: &kit::Docs, config: &Config, db: Database) -> impl Endpoint + use<> {
    let api = OpenApiService::new(kit::FastapiErrors(Api), "Migrations", "0.13.0")
        .description(DESCRIPTION);
    kit::mount(api, docs).data(db).data(config.clone())
}
// ANCHOR_END: app
