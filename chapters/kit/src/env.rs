//! Where configuration comes from.
//!
//! A chapter reads its settings from an [`Env`]: the process environment when it runs, a fixed
//! map in tests. Tests never touch the real environment, so they can run in parallel.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// A source of `KEY=value` settings.
#[derive(Clone, Default)]
pub struct Env {
    /// `None` reads the process environment.
    vars: Option<HashMap<String, String>>,
}

impl Env {
    /// The environment of this process.
    pub fn process() -> Self {
        Self { vars: None }
    }

    /// A fixed set of variables, and nothing else.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Self { vars: Some(vars) }
    }

    /// The value of `key`, if it is set (an empty value counts as set).
    pub fn get(&self, key: &str) -> Option<String> {
        match &self.vars {
            Some(vars) => vars.get(key).cloned(),
            None => std::env::var(key).ok(),
        }
    }
}

impl fmt::Debug for Env {
    // Values may be secrets: show only where they come from and which keys are set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.vars {
            None => f.write_str("Env(process)"),
            Some(vars) => {
                let mut keys: Vec<_> = vars.keys().collect();
                keys.sort();
                f.debug_tuple("Env").field(&keys).finish()
            }
        }
    }
}

// ANCHOR: data_dir
/// The folder where the program of `package` keeps its files (SQLite databases, logs):
/// `$DATA_DIR/<package>` when `DATA_DIR` is set and not empty, else the current folder.
///
/// `cargo run` starts a program in the folder cargo was started in, most often the
/// workspace's root, where every chapter's files would pile up. The workspace's
/// `.cargo/config.toml` sets `DATA_DIR` to `target/data` for what cargo runs, so each package
/// gets a folder of its own there, a learner's copy (`my-ch12-sql-database`) too, when it
/// passes `env!("CARGO_PKG_NAME")`. A program started otherwise (by the grader in an empty
/// folder, in a container) has no `DATA_DIR`, and keeps its files where it runs. The folder
/// may not exist yet: the program makes it when it starts.
pub fn data_dir(env: &Env, package: &str) -> PathBuf {
    match env.get("DATA_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join(package),
        _ => PathBuf::from("."),
    }
}
// ANCHOR_END: data_dir

/// A setting that is present but wrong, reported at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable at fault, e.g. `DOCS_URL`.
    pub key: String,
    /// What is wrong with it and what is expected instead.
    pub problem: String,
}

impl ConfigError {
    /// A problem with the variable `key`.
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_env_sees_only_its_own_keys() {
        let env = Env::from_pairs([("DOCS_URL", "")]);
        assert_eq!(env.get("DOCS_URL").as_deref(), Some(""));
        assert_eq!(env.get("PATH"), None);
    }

    #[test]
    fn data_dir_is_the_package_folder_under_data_dir_else_the_current_folder() {
        let set = Env::from_pairs([("DATA_DIR", "/srv/data")]);
        assert_eq!(
            data_dir(&set, "my-ch12-sql-database"),
            PathBuf::from("/srv/data/my-ch12-sql-database")
        );
        for unset in [
            Env::from_pairs([("DATA_DIR", "")]),
            Env::from_pairs([("X", "")]),
        ] {
            assert_eq!(data_dir(&unset, "ch12-sql-database"), PathBuf::from("."));
        }
    }

    #[test]
    fn debug_output_hides_values() {
        let env = Env::from_pairs([("JWT_SECRET", "hunter2")]);
        assert_eq!(format!("{env:?}"), r#"Env(["JWT_SECRET"])"#);
    }
}
