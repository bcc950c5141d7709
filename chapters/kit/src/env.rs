//! Where configuration comes from.
//!
//! A chapter reads its settings from an [`Env`]: the process environment when it runs, a fixed
//! map in tests. Tests never touch the real environment, so they can run in parallel.

use std::collections::HashMap;
use std::fmt;

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
    fn debug_output_hides_values() {
        let env = Env::from_pairs([("JWT_SECRET", "hunter2")]);
        assert_eq!(format!("{env:?}"), r#"Env(["JWT_SECRET"])"#);
    }
}
