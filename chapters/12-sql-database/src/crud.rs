//! The queries: one function per question asked of the database, the tutorial's `crud.py`.
//!
//! Each function takes the connection to use (a request's session or transaction) and gives
//! back the API's types. Every value travels as a bound parameter (`?`), never inside the SQL
//! text, so no input can change what a query does.

use kit::EmailStr;
use sqlx::AnyConnection;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use kit::db::{Backend, sql};

use crate::database::backend;
use crate::schemas::{Item, ItemCreate, User};

// ANCHOR: helpers
/// A query in the connection's dialect.
pub(crate) fn query(conn: &AnyConnection, text: &'static str) -> Query<'static, Any, AnyArguments> {
    sqlx::query(sql(backend(conn), text))
}

/// Inserts one row and gives its new id. PostgreSQL and SQLite answer it with `RETURNING id`;
/// MySQL has no `RETURNING`, and tells the id after the insert (`LAST_INSERT_ID()`).
async fn insert(
    conn: &mut AnyConnection,
    text: &'static str,
    bind: impl FnOnce(Query<'static, Any, AnyArguments>) -> Query<'static, Any, AnyArguments>,
) -> sqlx::Result<i64> {
    match backend(conn) {
        Backend::MySql => {
            let done = bind(sqlx::query(text)).execute(&mut *conn).await?;
            done.last_insert_id()
                .ok_or_else(|| sqlx::Error::Decode("MySQL gave no id for the new row".into()))
        }
        other => {
            let returning = sqlx::AssertSqlSafe(format!("{} RETURNING id", sql(other, text).0));
            // All rows, not `fetch_one`: SQLite checkpoints its WAL log when a statement runs
            // to its end, and one left after its first row would let the log grow forever.
            let rows = bind(sqlx::query(returning)).fetch_all(&mut *conn).await?;
            rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get("id")
        }
    }
}

/// A flag: PostgreSQL stores a `BOOLEAN`; SQLite and MySQL store 0 or 1, which the Any
/// driver reads as an integer (see the migrations).
fn flag(row: &AnyRow, column: &str, backend: Backend) -> sqlx::Result<bool> {
    match backend {
        Backend::Postgres => row.try_get(column),
        Backend::Sqlite | Backend::MySql => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

fn user_from_row(row: &AnyRow, backend: Backend) -> sqlx::Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        email: EmailStr::new_unchecked(row.try_get::<String, _>("email")?),
        is_active: flag(row, "is_active", backend)?,
        items: Vec::new(),
    })
}

pub(crate) fn item_from_row(row: &AnyRow) -> sqlx::Result<Item> {
    Ok(Item {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner_id: row.try_get("owner_id")?,
    })
}
// ANCHOR_END: helpers

// ANCHOR: users
/// The user with this id, with their items.
pub(crate) async fn get_user(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<Option<User>> {
    let row = query(conn, "SELECT id, email, is_active FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut user = user_from_row(&row, backend(conn))?;
    user.items = get_user_items(conn, user_id).await?;
    Ok(Some(user))
}

/// A page of users in id order, each with their items: two queries, however many users.
pub(crate) async fn get_users(
    conn: &mut AnyConnection,
    skip: i64,
    limit: i64,
) -> sqlx::Result<Vec<User>> {
    let dialect = backend(conn);
    let rows = query(
        conn,
        "SELECT id, email, is_active FROM users ORDER BY id LIMIT ? OFFSET ?",
    )
    .bind(limit)
    .bind(skip)
    .fetch_all(&mut *conn)
    .await?;
    let mut users = rows
        .iter()
        .map(|row| user_from_row(row, dialect))
        .collect::<sqlx::Result<Vec<User>>>()?;
    let (Some(first), Some(last)) = (users.first(), users.last()) else {
        return Ok(users);
    };
    // The page holds every user whose id lies between its first and its last: their items
    // are the items whose owner lies there too.
    let (first, last) = (first.id, last.id);
    let items = query(
        conn,
        "SELECT id, title, description, owner_id FROM items \
         WHERE owner_id BETWEEN ? AND ? ORDER BY id",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    for row in &items {
        let item = item_from_row(row)?;
        if let Some(owner) = users.iter_mut().find(|user| user.id == item.owner_id) {
            owner.items.push(item);
        }
    }
    Ok(users)
}

/// Stores a new user and gives it back. A second user with the same email is refused by
/// the table's unique constraint, which the caller sees as a unique violation.
pub(crate) async fn create_user(
    conn: &mut AnyConnection,
    email: EmailStr,
    hashed_password: String,
) -> sqlx::Result<User> {
    let id = insert(
        conn,
        "INSERT INTO users (email, hashed_password) VALUES (?, ?)",
        |query| query.bind(email.as_str().to_owned()).bind(hashed_password),
    )
    .await?;
    // A new user is active (the column's default) and has no items yet.
    Ok(User {
        id,
        email,
        is_active: true,
        items: Vec::new(),
    })
}

/// Changes what is given (`None` keeps the stored value), and gives the user back; `None`
/// when there is no such user.
pub(crate) async fn update_user(
    conn: &mut AnyConnection,
    user_id: i64,
    email: Option<String>,
    is_active: Option<bool>,
) -> sqlx::Result<Option<User>> {
    query(
        conn,
        "UPDATE users SET email = COALESCE(?, email), is_active = COALESCE(?, is_active) \
         WHERE id = ?",
    )
    .bind(email)
    .bind(is_active)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    get_user(conn, user_id).await
}

/// Deletes the user and their items; `false` when there is no such user. Run it in a
/// transaction: either both go, or neither.
pub(crate) async fn delete_user(conn: &mut AnyConnection, user_id: i64) -> sqlx::Result<bool> {
    query(conn, "DELETE FROM items WHERE owner_id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let deleted = query(conn, "DELETE FROM users WHERE id = ?")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(deleted.rows_affected() > 0)
}
// ANCHOR_END: users

// ANCHOR: items
/// Stores a new item of the user `owner_id`. An owner that does not exist is refused by the
/// table's foreign key, which the caller sees as a foreign key violation.
pub(crate) async fn create_user_item(
    conn: &mut AnyConnection,
    item: ItemCreate,
    owner_id: i64,
) -> sqlx::Result<Item> {
    let ItemCreate { title, description } = item;
    let (title, description) = (title.into_string(), description.map(String::from));
    let (bound_title, bound_description) = (title.clone(), description.clone());
    let id = insert(
        conn,
        "INSERT INTO items (title, description, owner_id) VALUES (?, ?, ?)",
        |query| {
            query
                .bind(bound_title)
                .bind(bound_description)
                .bind(owner_id)
        },
    )
    .await?;
    Ok(Item {
        id,
        title,
        description,
        owner_id,
    })
}

/// A page of items in id order.
pub(crate) async fn get_items(
    conn: &mut AnyConnection,
    skip: i64,
    limit: i64,
) -> sqlx::Result<Vec<Item>> {
    let rows = query(
        conn,
        "SELECT id, title, description, owner_id FROM items ORDER BY id LIMIT ? OFFSET ?",
    )
    .bind(limit)
    .bind(skip)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(item_from_row).collect()
}
// ANCHOR_END: items

/// The items of one user, in id order.
pub(crate) async fn get_user_items(
    conn: &mut AnyConnection,
    user_id: i64,
) -> sqlx::Result<Vec<Item>> {
    let rows = query(
        conn,
        "SELECT id, title, description, owner_id FROM items WHERE owner_id = ? ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(item_from_row).collect()
}
