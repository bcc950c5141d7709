//! Databases for the SQL chapters: which backend a URL names, how to show a URL without its
//! password, SQL written once for every backend ([`sql`]), and a fresh database per test on
//! every backend that is here.
//!
//! Every database test runs on SQLite, and on PostgreSQL and MySQL/MariaDB when they answer
//! (`TEST_POSTGRES_URL`, `TEST_MYSQL_URL`, by default the local servers with trust or empty
//! password). A test on an absent server says that it skipped and why; with
//! `REQUIRE_DATABASES=1` (as CI sets) an absent server fails it instead. Each test gets a
//! database of its own, created for it and dropped after it, so tests run in parallel and
//! leave nothing behind.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{AssertSqlSafe, Connection};

/// The database servers the workbook runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, a file next to the program: nothing to install.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Backend {
    /// The backend a URL names, by its scheme.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::MySql),
            _ => None,
        }
    }

    /// `sqlite`, `postgres` or `mysql`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
        }
    }
}

/// Refuses an in-memory SQLite database (`sqlite::memory:`, `sqlite://:memory:`,
/// `?mode=memory`), saying why. sqlx's `Any` driver reads the URL again for each connection it
/// opens, and each reading opens a new, empty database: a pool of several connections would
/// answer each request from another one, most without tables.
pub fn refuse_in_memory(url: &str) -> Result<(), String> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if Backend::of_url(url) == Some(Backend::Sqlite) && in_memory {
        return Err(
            "an in-memory SQLite database lives in one connection, and the pool opens \
                    several, each with a database of its own (empty, without tables); use a \
                    file, such as sqlite://app.db"
                .to_owned(),
        );
    }
    Ok(())
}

// ANCHOR: placeholders
/// A query written once with `?` placeholders, as SQLite and MySQL want them, in the dialect
/// of `backend`: PostgreSQL wants `$1, $2, …` instead. Only the placeholders change; the
/// values are always bound, never written into the text.
///
/// A `?` inside a string literal (`'?'`) or a quoted name (`"?"`) is text, and stays; a
/// doubled quote inside one (`'it''s'`) ends it and starts it again, which comes to the same.
/// Comments, `E'…'` strings and `$$…$$` text are not told apart: a `?` or a quote in one of
/// them would be misread (the workbook's SQL has none).
pub fn placeholders(backend: Backend, text: &str) -> Cow<'_, str> {
    if backend != Backend::Postgres || !text.contains('?') {
        return Cow::Borrowed(text);
    }
    let mut numbered = String::with_capacity(text.len() + 8);
    let mut count = 0;
    // The quote that opened the literal or name we are in, if we are in one.
    let mut open = None;
    for c in text.chars() {
        match (open, c) {
            (None, '\'' | '"') => open = Some(c),
            (Some(quote), _) if c == quote => open = None,
            (None, '?') => {
                count += 1;
                numbered.push('$');
                numbered.push_str(&count.to_string());
                continue;
            }
            _ => {}
        }
        numbered.push(c);
    }
    Cow::Owned(numbered)
}

/// [`placeholders`] for a query that is fixed in the program, ready for `sqlx::query`. The
/// text is the program's own (`&'static str`), so it is safe to run (`AssertSqlSafe`).
pub fn sql(backend: Backend, text: &'static str) -> AssertSqlSafe<Cow<'static, str>> {
    AssertSqlSafe(placeholders(backend, text))
}
// ANCHOR_END: placeholders

/// What a password is shown as in a URL or a message.
const HIDDEN: &str = "***";

/// `scheme://user:password@host/path`, cut into its parts; `None` for a URL without a
/// password (`password` may be empty: `user:@host`).
struct WithPassword<'a> {
    scheme: &'a str,
    user: &'a str,
    password: &'a str,
    host: &'a str,
    path: &'a str,
}

fn with_password(url: &str) -> Option<WithPassword<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    // The last `@` ends the user's part: a password may have an `@` of its own.
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    Some(WithPassword {
        scheme,
        user,
        password,
        host,
        path,
    })
}

/// `url` with its password replaced by `***`, fit for a log line or an error message.
pub fn mask_password(url: &str) -> String {
    match with_password(url) {
        Some(WithPassword {
            scheme,
            user,
            host,
            path,
            ..
        }) => format!("{scheme}://{user}:{HIDDEN}@{host}{path}"),
        None => url.to_owned(),
    }
}

/// `text` with the password of `url` replaced by `***` wherever it stands: a driver's error
/// message may repeat it.
pub fn without_password(text: &str, url: &str) -> String {
    match with_password(url) {
        Some(parts) if !parts.password.is_empty() => text.replace(parts.password, HIDDEN),
        _ => text.to_owned(),
    }
}

/// A database created for one test, dropped when this is dropped.
#[derive(Debug)]
pub struct TestDb {
    /// Its backend.
    pub backend: Backend,
    /// The URL to give the app (`DATABASE_URL`).
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(std::path::PathBuf),
    Drop { server: String, name: String },
}

/// Where the servers are, unless `TEST_POSTGRES_URL` and `TEST_MYSQL_URL` say otherwise.
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const MYSQL: &str = "mysql://root@127.0.0.1:3306/test";

fn unique_name(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let clean: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(24)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("wb_{clean}_{}_{nanos:x}{n}", std::process::id())
}

/// The URL of database `name` on the server of `server` (same user, host and options).
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server, String::new()),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}/{name}{query}")
}

impl TestDb {
    /// A fresh database on `backend` for the test named `test`, or `None` (after saying why)
    /// when that server is not here.
    pub async fn create(backend: Backend, test: &str) -> Option<Self> {
        let name = unique_name(test);
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let url = format!("sqlite://{}?mode=rwc", path.display());
                Some(Self {
                    backend,
                    url,
                    cleanup: Cleanup::File(path),
                })
            }
            Backend::Postgres | Backend::MySql => {
                let (variable, default) = match backend {
                    Backend::Postgres => ("TEST_POSTGRES_URL", POSTGRES),
                    _ => ("TEST_MYSQL_URL", MYSQL),
                };
                let server = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
                let create = format!("CREATE DATABASE {name}");
                if let Err(err) = execute(&server, &create).await {
                    skip_or_fail(test, backend, variable, &server, &err);
                    return None;
                }
                Some(Self {
                    backend,
                    url: with_database(&server, &name),
                    cleanup: Cleanup::Drop { server, name },
                })
            }
        }
    }
}

impl TestDb {
    /// The server's `host:port`, where a test puts a [`TcpProxy`](crate::testing::TcpProxy)
    /// in front of it; `None` for SQLite, which has no server.
    pub fn server_address(&self) -> Option<String> {
        match self.backend {
            Backend::Sqlite => None,
            Backend::Postgres | Backend::MySql => Some(split_url(&self.url).host.to_owned()),
        }
    }

    /// This database's URL with its server at `127.0.0.1:port` instead (a proxy's).
    pub fn url_through(&self, port: u16) -> String {
        let parts = split_url(&self.url);
        format!(
            "{}://{}127.0.0.1:{port}{}",
            parts.scheme, parts.userinfo, parts.rest
        )
    }
}

/// `scheme://userinfo@host/rest`, cut into its parts (`userinfo` keeps its `@`).
struct UrlParts<'a> {
    scheme: &'a str,
    userinfo: &'a str,
    host: &'a str,
    rest: &'a str,
}

fn split_url(url: &str) -> UrlParts<'_> {
    let (scheme, after) = url.split_once("://").unwrap_or(("", url));
    let (authority, rest) = after.split_at(after.find(['/', '?']).unwrap_or(after.len()));
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    UrlParts {
        scheme,
        userinfo,
        host,
        rest,
    }
}

impl Drop for TestDb {
    // Runs even when the test failed; a thread of its own, since Drop cannot await.
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Drop { server, name } => {
                let drop = match self.backend {
                    Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {name}"),
                };
                let server = server.clone();
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(runtime) = runtime {
                        let _ = runtime.block_on(execute(&server, &drop));
                    }
                })
                .join();
            }
        }
    }
}

/// Runs one statement on a server, within a few seconds.
async fn execute(server: &str, statement: &str) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let work = async {
        let mut conn = sqlx::AnyConnection::connect(server).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
            .execute(&mut conn)
            .await?;
        conn.close().await
    };
    match tokio::time::timeout(Duration::from_secs(10), work).await {
        Ok(result) => result.map_err(|err| err.to_string()),
        Err(_) => Err("no answer within 10 s".to_owned()),
    }
}

fn skip_or_fail(test: &str, backend: Backend, variable: &str, server: &str, err: &str) {
    let message = format!(
        "{test}: skipped on {}: cannot use {} ({err}); set {variable} to run it",
        backend.name(),
        mask_password(server)
    );
    if std::env::var("REQUIRE_DATABASES").is_ok_and(|v| v == "1") {
        panic!("{message} (REQUIRE_DATABASES=1)");
    }
    // Straight to the process's stderr: the test harness keeps what `eprintln!` prints from
    // a passing test to itself, and a skip must show (CI counts them).
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// Writes each test once and runs it on every backend: `sqlite::name`, `postgres::name` and
/// `mysql::name`, so that the test run shows each backend's results.
///
/// ```no_run
/// kit::db_tests! {
///     async fn a_fresh_database_has_a_url(db: kit::db::TestDb) {
///         assert!(!db.url.is_empty());
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! db_tests {
    ($(async fn $name:ident($db:ident: $ty:ty) $body:block)*) => {
        $(
            // A test body: a panic is how it fails, as in a `#[test]`.
            #[allow(clippy::unwrap_used, clippy::expect_used)]
            async fn $name($db: $ty) $body
        )*
        $crate::db_tests!(@backend sqlite, Sqlite, $($name)*);
        $crate::db_tests!(@backend postgres, Postgres, $($name)*);
        $crate::db_tests!(@backend mysql, MySql, $($name)*);
    };
    (@backend $module:ident, $backend:ident, $($name:ident)*) => {
        mod $module {
            $(
                #[tokio::test]
                async fn $name() {
                    let backend = $crate::db::Backend::$backend;
                    if let Some(db) = $crate::db::TestDb::create(backend, stringify!($name)).await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

/// [`db_tests!`] for what only a database server has, such as a network connection to lose:
/// each test runs on PostgreSQL (`postgres::name`) and MySQL/MariaDB (`mysql::name`), not on
/// SQLite, which has no server.
#[macro_export]
macro_rules! server_db_tests {
    ($(async fn $name:ident($db:ident: $ty:ty) $body:block)*) => {
        $(
            // A test body: a panic is how it fails, as in a `#[test]`.
            #[allow(clippy::unwrap_used, clippy::expect_used)]
            async fn $name($db: $ty) $body
        )*
        $crate::db_tests!(@backend postgres, Postgres, $($name)*);
        $crate::db_tests!(@backend mysql, MySql, $($name)*);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_db(backend: Backend, url: &str) -> TestDb {
        TestDb {
            backend,
            url: url.to_owned(),
            cleanup: Cleanup::File(std::path::PathBuf::from("/nonexistent")),
        }
    }

    #[test]
    fn a_url_is_sent_through_a_proxy_with_its_user_and_options() {
        let db = test_db(
            Backend::MySql,
            "mysql://root:pw@db:3306/wb_x?ssl-mode=disabled",
        );
        assert_eq!(db.server_address().as_deref(), Some("db:3306"));
        assert_eq!(
            db.url_through(7000),
            "mysql://root:pw@127.0.0.1:7000/wb_x?ssl-mode=disabled"
        );
        let db = test_db(Backend::Postgres, "postgres://127.0.0.1:5432/wb_y");
        assert_eq!(db.server_address().as_deref(), Some("127.0.0.1:5432"));
        assert_eq!(db.url_through(7001), "postgres://127.0.0.1:7001/wb_y");
        assert_eq!(
            test_db(Backend::Sqlite, "sqlite:///tmp/x.db").server_address(),
            None
        );
    }

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(
            Backend::of_url("sqlite://sql_app.db"),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgresql://x@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://root@h/db"), Some(Backend::MySql));
        assert_eq!(Backend::of_url("redis://h"), None);
    }

    /// The text PostgreSQL is sent for `text`.
    fn on_postgres(text: &str) -> Cow<'_, str> {
        placeholders(Backend::Postgres, text)
    }

    #[test]
    fn postgres_gets_its_placeholders_numbered_in_order() {
        assert_eq!(
            on_postgres(
                "UPDATE items SET title = ?, description = ? WHERE id = ? AND owner_id = ?"
            ),
            "UPDATE items SET title = $1, description = $2 WHERE id = $3 AND owner_id = $4"
        );
        // Ten or more: `$10` is one placeholder, not `$1` followed by `0`.
        let many = ["?"; 11].join(", ");
        let numbered: Vec<String> = (1..=11).map(|n| format!("${n}")).collect();
        assert_eq!(on_postgres(&many), numbered.join(", "));
    }

    #[test]
    fn a_question_mark_in_a_literal_or_a_quoted_name_is_text() {
        assert_eq!(
            on_postgres(
                "SELECT id FROM items WHERE title LIKE ? ESCAPE '!' AND note = '?' LIMIT ?"
            ),
            "SELECT id FROM items WHERE title LIKE $1 ESCAPE '!' AND note = '?' LIMIT $2"
        );
        assert_eq!(
            on_postgres(r#"SELECT "why?" FROM t WHERE a = ?"#),
            r#"SELECT "why?" FROM t WHERE a = $1"#
        );
        // A quote inside a name does not open a literal, nor the other way round.
        assert_eq!(
            on_postgres(r#"SELECT "it's" FROM t WHERE a = ? AND b = 'say "?"' AND c = ?"#),
            r#"SELECT "it's" FROM t WHERE a = $1 AND b = 'say "?"' AND c = $2"#
        );
    }

    #[test]
    fn doubled_quotes_stay_inside_their_literal() {
        // `'it''s ?'` is one literal: the `?` in it is text, the one after it a placeholder.
        assert_eq!(
            on_postgres("SELECT ? WHERE note = 'it''s ?' AND n = ?"),
            "SELECT $1 WHERE note = 'it''s ?' AND n = $2"
        );
        assert_eq!(
            on_postgres("SELECT '''?''', ?, ''"),
            "SELECT '''?''', $1, ''"
        );
        assert_eq!(
            on_postgres(r#"SELECT "a""?" FROM t WHERE x = ?"#),
            r#"SELECT "a""?" FROM t WHERE x = $1"#
        );
    }

    #[test]
    fn text_that_does_not_change_is_borrowed_not_copied() {
        let text = "SELECT id, title FROM items ORDER BY id";
        assert!(matches!(on_postgres(text), Cow::Borrowed(t) if std::ptr::eq(t, text)));
        let with_params = "SELECT id FROM items WHERE note = '?' AND id = ?";
        for backend in [Backend::Sqlite, Backend::MySql] {
            let same = placeholders(backend, with_params);
            assert!(matches!(same, Cow::Borrowed(t) if std::ptr::eq(t, with_params)));
        }
        assert!(matches!(on_postgres(with_params), Cow::Owned(_)));
    }

    #[test]
    fn a_fixed_query_keeps_its_static_text_on_sqlite_and_mysql() {
        const TEXT: &str = "DELETE FROM items WHERE id = ?";
        for backend in [Backend::Sqlite, Backend::MySql] {
            assert!(matches!(sql(backend, TEXT).0, Cow::Borrowed(t) if std::ptr::eq(t, TEXT)));
        }
        assert_eq!(
            sql(Backend::Postgres, TEXT).0,
            "DELETE FROM items WHERE id = $1"
        );
    }

    #[test]
    fn a_password_repeated_in_a_message_is_hidden() {
        let url = "postgres://app:s3cret@db:5432/app";
        assert_eq!(
            without_password("auth failed for app:s3cret (s3cret)", url),
            "auth failed for app:*** (***)"
        );
        assert_eq!(
            without_password("login p@ss refused", "mysql://root:p@ss@db/app"),
            "login *** refused"
        );
        // No password, or an empty one: nothing to hide, and nothing replaced.
        assert_eq!(
            without_password("refused", "sqlite://sql_app.db"),
            "refused"
        );
        assert_eq!(
            without_password("user app refused", "postgres://app:@db/app"),
            "user app refused"
        );
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://app:s3cr3t@db:5432/app?sslmode=disable"),
            "postgres://app:***@db:5432/app?sslmode=disable"
        );
        assert_eq!(
            mask_password("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(mask_password("sqlite://sql_app.db"), "sqlite://sql_app.db");
        assert_eq!(
            mask_password("postgres://u:p@ss@h/db"),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn in_memory_sqlite_databases_are_refused_and_files_are_not() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://file:app?mode=memory&cache=shared",
        ] {
            assert!(refuse_in_memory(url).is_err(), "{url}");
        }
        for url in [
            "sqlite://app.db",
            "sqlite://app.db?mode=rwc",
            "postgres://h/memory",
        ] {
            assert_eq!(refuse_in_memory(url), Ok(()), "{url}");
        }
    }

    #[test]
    fn a_test_database_keeps_the_server_and_its_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "wb_x"),
            "postgres://postgres@127.0.0.1:5432/wb_x"
        );
        assert_eq!(
            with_database("mysql://root@h/test?ssl-mode=disabled", "wb_x"),
            "mysql://root@h/wb_x?ssl-mode=disabled"
        );
    }
}
