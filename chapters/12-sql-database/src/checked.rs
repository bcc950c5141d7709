//! The other way to write a query: checked against the database when the program is compiled.
//!
//! The chapter's queries are runtime strings, because one program serves three databases and a
//! checked query is checked against one of them. This module shows the other way on SQLite:
//! `sqlx::query_as!` sends its SQL to a database while the crate compiles, and turns a typo in
//! a table or column name, a wrong number of parameters or a column of the wrong type into a
//! compile error.
//!
//! A build without a database reads what the macro learnt from the saved query data in
//! `.sqlx/` beside this crate's `Cargo.toml`; the workspace builds that way
//! (`SQLX_OFFLINE=true` in `.cargo/config.toml`). `scripts/sqlx-prepare` writes that data
//! again from a fresh SQLite database with the chapter's migrations, and
//! `scripts/sqlx-prepare --check` (run in CI) fails when it is out of date.

use sqlx::SqliteConnection;

/// A row of `users`, as the checked query reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub is_active: bool,
}

// ANCHOR: checked_query
/// The user with this id, on SQLite.
///
/// The macro knows each column's type from the database: `id` and `email` are read as they
/// are, and `is_active`, an INTEGER in SQLite, is read as a `bool` because the column's alias
/// says so (`"is_active: bool"`). The `?` is checked too: one parameter, an integer.
pub async fn user_by_id(conn: &mut SqliteConnection, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, is_active AS "is_active: bool" FROM users WHERE id = ?"#,
        id
    )
    .fetch_optional(conn)
    .await
}
// ANCHOR_END: checked_query

#[cfg(test)]
mod tests {
    use sqlx::Connection as _;

    use super::*;

    /// The checked query reads what the chapter's migrations made and its runtime queries
    /// wrote.
    #[tokio::test]
    async fn the_checked_query_reads_a_user() {
        // One connection to an in-memory database: the database lives as long as it does.
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::migrate!("migrations/sqlite")
            .run(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO users (email, hashed_password, is_active) VALUES (?, ?, ?)")
            .bind("rick@example.com")
            .bind("not a hash")
            .bind(0_i64)
            .execute(&mut conn)
            .await
            .unwrap();

        let user = user_by_id(&mut conn, 1).await.unwrap();
        assert_eq!(
            user,
            Some(UserRow {
                id: 1,
                email: "rick@example.com".into(),
                is_active: false,
            })
        );
        assert_eq!(user_by_id(&mut conn, 2).await.unwrap(), None);
    }
}
