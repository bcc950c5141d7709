//! The queries, as FastAPI's tutorial keeps them in `crud.py`: written once with `?`
//! placeholders and bound values, for the three backends. Chapter 12 explains them; new here is
//! the `full_name` column.

use kit::EmailStr;
use kit::db::Backend;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::Database;
use crate::errors::{ApiError, is_foreign_key_violation, is_unique_violation};
use crate::schemas::{Item, User};

/// A query of the `Any` driver, before its values are bound.
type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

// ANCHOR: user_row
fn user(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        email: EmailStr::new_unchecked(row.try_get::<String, _>("email")?),
        full_name: row.try_get("full_name")?,
        // The `Any` driver reads no booleans from SQLite or MySQL: the queries give a number.
        is_active: row.try_get::<i64, _>("is_active")? != 0,
        items: Vec::new(),
    })
}
// ANCHOR_END: user_row

fn item(row: &AnyRow) -> Result<Item, sqlx::Error> {
    Ok(Item {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner_id: row.try_get("owner_id")?,
    })
}

/// Runs an `INSERT` and gives the new row's id: PostgreSQL and SQLite say it with `RETURNING`,
/// MySQL (which has no `RETURNING`) with the connection's last insert id.
async fn insert<'q>(
    db: &Database,
    returning: &'static str,
    plain: &'static str,
    bind: impl Fn(AnyQuery<'q>) -> AnyQuery<'q>,
) -> Result<i64, sqlx::Error> {
    match db.backend() {
        Backend::MySql => bind(sqlx::query(db.sql(plain)))
            .execute(db.pool())
            .await?
            .last_insert_id()
            .ok_or(sqlx::Error::RowNotFound),
        Backend::Sqlite | Backend::Postgres => {
            // All rows, not `fetch_one`: SQLite checkpoints its WAL log when a statement runs
            // to its end, and one left after its first row would let the log grow forever.
            let rows = bind(sqlx::query(db.sql(returning)))
                .fetch_all(db.pool())
                .await?;
            rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get("id")
        }
    }
}

/// The id of the user with this email, if any.
pub(crate) async fn get_user_by_email(db: &Database, email: &str) -> Result<Option<i64>, ApiError> {
    let id = sqlx::query_scalar(db.sql("SELECT id FROM users WHERE email = ?"))
        .bind(email)
        .fetch_optional(db.pool())
        .await?;
    Ok(id)
}

/// The user with this id, with its items.
pub(crate) async fn get_user(db: &Database, user_id: i64) -> Result<Option<User>, ApiError> {
    let found = sqlx::query(db.sql(
        "SELECT id, email, full_name, CASE WHEN is_active THEN 1 ELSE 0 END AS is_active \
         FROM users WHERE id = ?",
    ))
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let mut user = user(&row)?;
    user.items = sqlx::query(
        db.sql("SELECT id, title, description, owner_id FROM items WHERE owner_id = ? ORDER BY id"),
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(item)
    .collect::<Result<_, _>>()?;
    Ok(Some(user))
}

/// The users in order of id, from `skip` on and at most `limit` of them, each with its items.
pub(crate) async fn get_users(db: &Database, skip: i64, limit: i64) -> Result<Vec<User>, ApiError> {
    let mut users = sqlx::query(db.sql(
        "SELECT id, email, full_name, CASE WHEN is_active THEN 1 ELSE 0 END AS is_active \
         FROM users ORDER BY id LIMIT ? OFFSET ?",
    ))
    .bind(limit)
    .bind(skip)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(user)
    .collect::<Result<Vec<_>, _>>()?;
    let (Some(first), Some(last)) = (users.first(), users.last()) else {
        return Ok(users);
    };
    // The page is a run of ids: its users' items are the items whose owner is in that run.
    let items = sqlx::query(db.sql(
        "SELECT id, title, description, owner_id FROM items \
         WHERE owner_id >= ? AND owner_id <= ? ORDER BY id",
    ))
    .bind(first.id)
    .bind(last.id)
    .fetch_all(db.pool())
    .await?;
    for row in &items {
        let item = item(row)?;
        if let Some(owner) = users.iter_mut().find(|u| u.id == item.owner_id) {
            owner.items.push(item);
        }
    }
    Ok(users)
}

// ANCHOR: create_user
/// A user to store; the password is already hashed.
pub(crate) struct NewUser<'a> {
    pub(crate) email: &'a str,
    pub(crate) hashed_password: &'a str,
    pub(crate) full_name: Option<&'a str>,
}

/// Stores a new user and gives it back, or `None` if another user has its email (the unique
/// constraint decides, so two requests at once cannot both get it).
pub(crate) async fn create_user(db: &Database, new: NewUser<'_>) -> Result<Option<User>, ApiError> {
    let inserted = insert(
        db,
        "INSERT INTO users (email, hashed_password, full_name) VALUES (?, ?, ?) RETURNING id",
        "INSERT INTO users (email, hashed_password, full_name) VALUES (?, ?, ?)",
        |query| {
            query
                .bind(new.email)
                .bind(new.hashed_password)
                .bind(new.full_name)
        },
    )
    .await;
    match inserted {
        Ok(id) => get_user(db, id).await,
        Err(err) if is_unique_violation(&err) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
// ANCHOR_END: create_user

/// An item to store.
pub(crate) struct NewItem<'a> {
    pub(crate) title: &'a str,
    pub(crate) description: Option<&'a str>,
    pub(crate) owner_id: i64,
}

/// Stores a new item and gives it back, or `None` if its owner does not exist.
pub(crate) async fn create_user_item(
    db: &Database,
    new: NewItem<'_>,
) -> Result<Option<Item>, ApiError> {
    let inserted = insert(
        db,
        "INSERT INTO items (title, description, owner_id) VALUES (?, ?, ?) RETURNING id",
        "INSERT INTO items (title, description, owner_id) VALUES (?, ?, ?)",
        |query| {
            query
                .bind(new.title)
                .bind(new.description)
                .bind(new.owner_id)
        },
    )
    .await;
    match inserted {
        Ok(id) => Ok(Some(Item {
            id,
            title: new.title.to_owned(),
            description: new.description.map(str::to_owned),
            owner_id: new.owner_id,
        })),
        Err(err) if is_foreign_key_violation(&err) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Every item in order of id, from `skip` on and at most `limit` of them.
pub(crate) async fn get_items(db: &Database, skip: i64, limit: i64) -> Result<Vec<Item>, ApiError> {
    let items = sqlx::query(
        db.sql("SELECT id, title, description, owner_id FROM items ORDER BY id LIMIT ? OFFSET ?"),
    )
    .bind(limit)
    .bind(skip)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(item)
    .collect::<Result<_, _>>()?;
    Ok(items)
}
