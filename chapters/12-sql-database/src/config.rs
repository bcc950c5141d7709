//! The chapter's settings, read once at start: which database, and how slow password hashes are.

use std::fmt;
use std::path::{Path, PathBuf};

use kit::db::{Backend, mask_password};
use kit::{ConfigError, Env};

/// The database when `DATABASE_URL` is not set: this SQLite file, as in the tutorial, in the
/// chapter's data folder (see [`kit::data_dir`]).
pub const DEFAULT_DATABASE_FILE: &str = "sql_app.db";

/// The cost of new bcrypt hashes when `BCRYPT_COST` is not set: 2^12 rounds.
pub const DEFAULT_BCRYPT_COST: u32 = 12;

/// The lowest and highest costs bcrypt allows.
const BCRYPT_COSTS: std::ops::RangeInclusive<u32> = 4..=31;

// ANCHOR: config
/// Settings of this chapter, from the environment.
///
/// - `DATABASE_URL`: `sqlite://FILE` (created if missing), `postgres://…` or `mysql://…`;
///   default `sqlite://sql_app.db` in the data folder.
/// - `DATA_DIR`: where the data folder is, `$DATA_DIR/<package>`; unset, the current folder.
/// - `BCRYPT_COST`: how slow a password hash is, from 4 to 31 (default 12, about a quarter
///   of a second). Each step doubles the time.
/// - `SQLITE_TUNING`: `on` (the default) or `off`, SQLite as it comes, to measure the
///   difference (see [`SqliteTuning`]).
#[derive(Clone)]
pub struct Config {
    /// Where the database is.
    pub database_url: String,
    /// Which kind of server that URL names.
    pub backend: Backend,
    /// The cost of new password hashes.
    pub bcrypt_cost: u32,
    /// The folder of the default database, made at start if it is missing.
    pub data_dir: PathBuf,
    /// How SQLite is set up, when the database is SQLite.
    pub sqlite_tuning: SqliteTuning,
}

/// How the chapter sets SQLite up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteTuning {
    /// WAL journal, `synchronous = NORMAL`, one writer at a time: what the book teaches.
    On,
    /// SQLite as it comes: a rollback journal, the disk flushed at every commit, and every
    /// connection writing whenever it likes.
    Off,
}

impl Config {
    /// Reads and checks the settings; a wrong one is an error that names it.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::from_env_or(env, env!("CARGO_PKG_NAME"), DEFAULT_DATABASE_FILE)
    }

    /// The same for the program of another package, whose database is `database_file` in its
    /// own data folder when `DATABASE_URL` is not set: each chapter keeps its tables apart, so
    /// that running one does not upset the next.
    pub fn from_env_or(env: &Env, package: &str, database_file: &str) -> Result<Self, ConfigError> {
        let data_dir = kit::data_dir(env, package);
        let database_url = env
            .get("DATABASE_URL")
            .unwrap_or_else(|| sqlite_url(&data_dir.join(database_file)));
        let backend = Backend::of_url(&database_url).ok_or_else(|| {
            ConfigError::new(
                "DATABASE_URL",
                format!(
                    "must be a sqlite://, postgres:// or mysql:// URL (got {:?})",
                    mask_password(&database_url)
                ),
            )
        })?;
        kit::db::refuse_in_memory(&database_url)
            .map_err(|problem| ConfigError::new("DATABASE_URL", problem))?;
        let bcrypt_cost = match env.get("BCRYPT_COST") {
            None => DEFAULT_BCRYPT_COST,
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|cost| BCRYPT_COSTS.contains(cost))
                .ok_or_else(|| {
                    ConfigError::new(
                        "BCRYPT_COST",
                        format!(
                            "must be a whole number from {} to {} (got {value:?})",
                            BCRYPT_COSTS.start(),
                            BCRYPT_COSTS.end()
                        ),
                    )
                })?,
        };
        let sqlite_tuning = match env.get("SQLITE_TUNING").as_deref() {
            None | Some("on") => SqliteTuning::On,
            Some("off") => SqliteTuning::Off,
            Some(other) => {
                let problem = format!("must be on or off (got {other:?})");
                return Err(ConfigError::new("SQLITE_TUNING", problem));
            }
        };
        Ok(Self {
            database_url,
            backend,
            bcrypt_cost,
            data_dir,
            sqlite_tuning,
        })
    }

    /// The settings of a test: this database, and the cheapest hashes.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            backend: Backend::of_url(database_url).unwrap_or(Backend::Sqlite),
            bcrypt_cost: *BCRYPT_COSTS.start(),
            data_dir: PathBuf::from("."),
            sqlite_tuning: SqliteTuning::On,
        }
    }
}
// ANCHOR_END: config

/// The URL of the SQLite file at `path`.
fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

impl fmt::Debug for Config {
    // The URL may carry a password: it never goes to a log as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &mask_password(&self.database_url))
            .field("backend", &self.backend)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("data_dir", &self.data_dir)
            .field("sqlite_tuning", &self.sqlite_tuning)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn without_settings_the_database_is_a_sqlite_file_in_the_current_folder() {
        let config = config(&[]).unwrap();
        assert_eq!(config.database_url, "sqlite://./sql_app.db");
        assert_eq!(config.backend, Backend::Sqlite);
        assert_eq!(config.bcrypt_cost, 12);
        assert_eq!(config.data_dir, PathBuf::from("."));
    }

    #[test]
    fn data_dir_puts_the_database_in_a_folder_named_after_the_package() {
        let config = config(&[("DATA_DIR", "/srv/data")]).unwrap();
        let folder = PathBuf::from("/srv/data/ch12-sql-database");
        assert_eq!(
            config.database_url,
            "sqlite:///srv/data/ch12-sql-database/sql_app.db"
        );
        assert_eq!(config.data_dir, folder);
        let given = [
            ("DATA_DIR", "/srv/data"),
            ("DATABASE_URL", "sqlite://elsewhere.db"),
        ];
        assert_eq!(
            self::config(&given).unwrap().database_url,
            "sqlite://elsewhere.db"
        );
    }

    #[test]
    fn each_backend_is_known_by_its_scheme() {
        for (url, backend) in [
            ("postgres://app@db/app", Backend::Postgres),
            ("postgresql://app@db/app", Backend::Postgres),
            ("mysql://root@db/app", Backend::MySql),
            ("mariadb://root@db/app", Backend::MySql),
        ] {
            assert_eq!(config(&[("DATABASE_URL", url)]).unwrap().backend, backend);
        }
    }

    #[test]
    fn an_unknown_scheme_is_refused_by_name_with_the_password_masked() {
        let err = config(&[("DATABASE_URL", "redis://app:hunter2@cache/0")]).unwrap_err();
        assert_eq!(err.key, "DATABASE_URL");
        assert!(err.problem.contains("redis://app:***@cache/0"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn an_in_memory_sqlite_database_is_refused() {
        let err = config(&[("DATABASE_URL", "sqlite::memory:")]).unwrap_err();
        assert_eq!(err.key, "DATABASE_URL");
    }

    #[test]
    fn a_bcrypt_cost_out_of_range_is_refused() {
        for bad in ["3", "32", "twelve", ""] {
            let err = config(&[("BCRYPT_COST", bad)]).unwrap_err();
            assert_eq!(err.key, "BCRYPT_COST", "{bad}");
        }
        assert_eq!(config(&[("BCRYPT_COST", "4")]).unwrap().bcrypt_cost, 4);
    }

    #[test]
    fn sqlite_tuning_is_on_unless_turned_off() {
        assert_eq!(config(&[]).unwrap().sqlite_tuning, SqliteTuning::On);
        let off = config(&[("SQLITE_TUNING", "off")]).unwrap();
        assert_eq!(off.sqlite_tuning, SqliteTuning::Off);
        let err = config(&[("SQLITE_TUNING", "fast")]).unwrap_err();
        assert_eq!(err.key, "SQLITE_TUNING");
    }

    #[test]
    fn debug_output_masks_the_password() {
        let config = config(&[("DATABASE_URL", "postgres://app:hunter2@db/app")]).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
