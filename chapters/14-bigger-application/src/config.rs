//! The service's settings: read once from the environment at start, checked, and handed to
//! [`crate::app`]. Nothing else in the service reads the environment.
//!
//! `APP_ENV` (`local`, `dev` or `prod`) picks the defaults; each setting can still be given.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ch11_middleware::TrustedHosts;
use kit::db::{Backend, mask_password};
use kit::{ConfigError, Docs, Env};

use crate::security::encryption::{EncryptionKey, EncryptionKeys};

// ANCHOR: app_env
/// Where the service runs: the defaults of every other setting depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// A developer's machine: docs on, text logs, a random JWT key if none is given.
    Local,
    /// A shared test server: docs on, JSON logs, every secret given.
    Dev,
    /// Production: docs off, JSON logs, every secret and host given.
    Prod,
}

impl AppEnv {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.get("APP_ENV").as_deref() {
            None | Some("local") => Ok(Self::Local),
            Some("dev") => Ok(Self::Dev),
            Some("prod") => Ok(Self::Prod),
            Some(other) => Err(ConfigError::new(
                "APP_ENV",
                format!("must be local, dev or prod (got {other:?})"),
            )),
        }
    }

    /// `local`, `dev` or `prod`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Dev => "dev",
            Self::Prod => "prod",
        }
    }

    /// The hosts a request may name when `TRUSTED_HOSTS` is not set; in production there is
    /// no guess to make, the setting is required.
    fn default_trusted_hosts(self) -> Option<&'static str> {
        match self {
            Self::Local => Some("localhost,127.0.0.1,[::1]"),
            Self::Dev => Some("localhost,127.0.0.1,*.dev.example.com"),
            Self::Prod => None,
        }
    }

    /// Logs for a person in a terminal, or one JSON object per line for a log collector.
    fn default_log_format(self) -> &'static str {
        match self {
            Self::Local => "text",
            Self::Dev | Self::Prod => "json",
        }
    }
}
// ANCHOR_END: app_env

// ANCHOR: config
/// Every setting of the service.
#[derive(Clone)]
pub struct Config {
    /// `APP_ENV`: `local` (default), `dev` or `prod`.
    pub app_env: AppEnv,
    /// `DATABASE_URL`: `sqlite://…`, `postgres://…` or `mysql://…`; by default (not in
    /// production) `sqlite://ch14.db` in the data folder, created if missing.
    pub database_url: String,
    /// The data folder, where the default database goes: `$DATA_DIR/<package>`, or the
    /// current folder without `DATA_DIR` (see `kit::data_dir`). Made at start if missing.
    pub data_dir: PathBuf,
    /// `JWT_SECRET`: the key that signs access tokens, at least 32 bytes. Only a local run
    /// may leave it out (a random key is made, and tokens die with the process).
    pub jwt_secret: Vec<u8>,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES`: how long an access token lives (default 30).
    pub access_token_expire: Duration,
    /// `BCRYPT_COST`: 2^cost rounds per password hash (default 12; 4 to 31, at least 10 in
    /// production). Tests lower it to run fast, as Laravel's `BCRYPT_ROUNDS` does.
    pub bcrypt_cost: u32,
    /// `TRUSTED_HOSTS`: the host names requests may be sent to, separated by commas;
    /// `*.example.com` is any subdomain of example.com. Required in production, where `*`
    /// is refused. Read and checked by chapter 11's middleware.
    pub trusted_hosts: TrustedHosts,
    /// Where the OpenAPI document and its pages are (`OPENAPI_URL`, `DOCS_URL`,
    /// `REDOC_URL`); always off in production.
    pub docs: Docs,
    /// The limits on logins and sign-ups, and on the bcrypt work done at once.
    pub limits: Limits,
    /// `API_KEY_ENCRYPTION_KEY`: the key that encrypts API key secrets at rest, 32 bytes as
    /// 64 hex digits or base64; and `API_KEY_ENCRYPTION_KEY_PREVIOUS`, the one before it,
    /// which still decrypts during a rotation. Only a local run may leave the key out (a
    /// random one is made, and the API keys made then stop working when the process stops).
    pub api_key_encryption: EncryptionKeys,
}

impl Config {
    /// Reads and checks every setting; the first wrong one is an error that names it.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::from_env_for(env, env!("CARGO_PKG_NAME"))
    }

    /// The same, for the program of another package that serves this service (chapter 16):
    /// its default database goes into that package's data folder.
    pub fn from_env_for(env: &Env, package: &str) -> Result<Self, ConfigError> {
        let app_env = AppEnv::from_env(env)?;
        let data_dir = kit::data_dir(env, package);
        Ok(Self {
            app_env,
            database_url: database_url(env, app_env, &data_dir)?,
            data_dir,
            jwt_secret: jwt_secret(env, app_env)?,
            access_token_expire: access_token_expire(env)?,
            bcrypt_cost: bcrypt_cost(env, app_env)?,
            trusted_hosts: trusted_hosts(env, app_env)?,
            docs: match app_env {
                AppEnv::Local | AppEnv::Dev => Docs::from_env(env)?,
                // FastAPI(openapi_url=None): the API's map is not published in production.
                AppEnv::Prod => Docs::off(),
            },
            limits: limits(env)?,
            api_key_encryption: api_key_encryption(env, app_env)?,
        })
    }
}
// ANCHOR_END: config

// ANCHOR: limits
/// How much guessing and how much bcrypt work the service accepts. A limit of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `LOGIN_MAX_FAILURES_PER_ACCOUNT` [10]: failed logins to one account, from anywhere,
    /// within the window; then that account's logins are 429 until the window ends.
    pub login_failures_per_account: u32,
    /// `LOGIN_MAX_FAILURES_PER_ADDRESS` [100]: failed logins from one client address, to any
    /// accounts. Higher than the account's: many people may share an address (an office).
    pub login_failures_per_address: u32,
    /// `REGISTER_MAX_PER_ADDRESS` [100]: sign-ups from one client address.
    pub sign_ups_per_address: u32,
    /// `LIMIT_WINDOW_SECS` [900]: the window of the three limits above, from its first attempt.
    pub window: Duration,
    /// `BCRYPT_CONCURRENCY` [one per core]: passwords hashed or checked at once. bcrypt keeps a
    /// core busy for its whole quarter of a second: more at once than cores only makes each
    /// one slower. 0 lifts the bound and the queue: every password goes to the blocking pool
    /// at once.
    pub bcrypt_workers: usize,
    /// `BCRYPT_QUEUE` [4 × `BCRYPT_CONCURRENCY`]: passwords that may wait for a worker; past
    /// that, a login or sign-up is answered 503 with `Retry-After` at once, rather than making
    /// everyone wait longer.
    pub bcrypt_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            login_failures_per_account: 10,
            login_failures_per_address: 100,
            sign_ups_per_address: 100,
            window: Duration::from_secs(900),
            bcrypt_workers: cores,
            bcrypt_queue: 4 * cores,
        }
    }
}
// ANCHOR_END: limits

// ANCHOR: settings
/// The shortest signing key accepted: 32 bytes, the size of HS256's output (RFC 7518 §3.2).
const MIN_SECRET_BYTES: usize = 32;

fn database_url(env: &Env, app_env: AppEnv, data_dir: &Path) -> Result<String, ConfigError> {
    let url = match (env.get("DATABASE_URL"), app_env) {
        (Some(url), _) => url,
        (None, AppEnv::Local | AppEnv::Dev) => {
            format!("sqlite://{}", data_dir.join("ch14.db").display())
        }
        (None, AppEnv::Prod) => {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must be set when APP_ENV=prod (postgres://…, mysql://… or sqlite://…)",
            ));
        }
    };
    if Backend::of_url(&url).is_none() {
        return Err(ConfigError::new(
            "DATABASE_URL",
            format!(
                "must start with sqlite://, postgres:// or mysql:// (got {:?})",
                mask_password(&url)
            ),
        ));
    }
    kit::db::refuse_in_memory(&url).map_err(|problem| ConfigError::new("DATABASE_URL", problem))?;
    Ok(url)
}

fn jwt_secret(env: &Env, app_env: AppEnv) -> Result<Vec<u8>, ConfigError> {
    match (env.get("JWT_SECRET"), app_env) {
        (Some(secret), _) if secret.len() >= MIN_SECRET_BYTES => Ok(secret.into_bytes()),
        (Some(secret), _) => Err(ConfigError::new(
            "JWT_SECRET",
            format!(
                "must be at least {MIN_SECRET_BYTES} bytes long (it has {}); make one with \
                 `openssl rand -hex 32`",
                secret.len()
            ),
        )),
        (None, AppEnv::Local) => random_secret(),
        // Several instances must share the key, and a restart must not log everyone out.
        (None, AppEnv::Dev | AppEnv::Prod) => Err(ConfigError::new(
            "JWT_SECRET",
            format!(
                "must be set when APP_ENV={} (make one with `openssl rand -hex 32`)",
                app_env.name()
            ),
        )),
    }
}

/// A key nobody knows, not even the next run of this program.
fn random_secret() -> Result<Vec<u8>, ConfigError> {
    let mut secret = vec![0u8; MIN_SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|err| {
        ConfigError::new(
            "JWT_SECRET",
            format!("is not set, and no random key could be made ({err}); set it"),
        )
    })?;
    tracing::warn!(
        "JWT_SECRET is not set: signing tokens with a random key made at start; \
         tokens stop working when the process stops"
    );
    Ok(secret)
}

fn access_token_expire(env: &Env) -> Result<Duration, ConfigError> {
    let minutes = match env.get("ACCESS_TOKEN_EXPIRE_MINUTES") {
        None => 30,
        Some(value) => value
            .parse::<u32>()
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| {
                ConfigError::new(
                    "ACCESS_TOKEN_EXPIRE_MINUTES",
                    format!("must be a whole number of minutes, 1 or more (got {value:?})"),
                )
            })?,
    };
    Ok(Duration::from_secs(u64::from(minutes) * 60))
}

fn bcrypt_cost(env: &Env, app_env: AppEnv) -> Result<u32, ConfigError> {
    let Some(value) = env.get("BCRYPT_COST") else {
        return Ok(12);
    };
    let lowest = match app_env {
        AppEnv::Prod => 10,
        AppEnv::Local | AppEnv::Dev => 4,
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|cost| (lowest..=31).contains(cost))
        .ok_or_else(|| {
            ConfigError::new(
                "BCRYPT_COST",
                format!(
                    "must be a whole number from {lowest} to 31 when APP_ENV={} (got {value:?})",
                    app_env.name()
                ),
            )
        })
}

fn trusted_hosts(env: &Env, app_env: AppEnv) -> Result<TrustedHosts, ConfigError> {
    let problem = |message: String| ConfigError::new("TRUSTED_HOSTS", message);
    let list = match (env.get("TRUSTED_HOSTS"), app_env.default_trusted_hosts()) {
        (Some(list), _) => list,
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            return Err(problem(format!(
                "must be set when APP_ENV={}: the host names clients use, such as \
                 \"api.example.com\" or \"*.example.com\"",
                app_env.name()
            )));
        }
    };
    let hosts = TrustedHosts::from_list(&list).map_err(problem)?;
    if app_env == AppEnv::Prod && hosts.allows_any() {
        return Err(problem(
            "must not hold \"*\" when APP_ENV=prod: it trusts any host, so the check stops \
             nothing; name the hosts clients use, such as \"api.example.com\""
                .to_owned(),
        ));
    }
    Ok(hosts)
}

fn limits(env: &Env) -> Result<Limits, ConfigError> {
    let default = Limits::default();
    let number = |key: &'static str, default: usize| match env.get(key) {
        None => Ok(default),
        Some(value) => value
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 1_000_000)
            .ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("must be a whole number from 0 (no limit) to 1000000 (got {value:?})"),
                )
            }),
    };
    let count = |key, default: u32| {
        number(key, default as usize).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    let window = number("LIMIT_WINDOW_SECS", default.window.as_secs() as usize)?;
    if window == 0 {
        return Err(ConfigError::new(
            "LIMIT_WINDOW_SECS",
            "must be 1 second or more",
        ));
    }
    let bcrypt_workers = number("BCRYPT_CONCURRENCY", default.bcrypt_workers)?;
    Ok(Limits {
        login_failures_per_account: count(
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            default.login_failures_per_account,
        )?,
        login_failures_per_address: count(
            "LOGIN_MAX_FAILURES_PER_ADDRESS",
            default.login_failures_per_address,
        )?,
        sign_ups_per_address: count("REGISTER_MAX_PER_ADDRESS", default.sign_ups_per_address)?,
        window: Duration::from_secs(window as u64),
        bcrypt_workers,
        bcrypt_queue: number("BCRYPT_QUEUE", 4 * bcrypt_workers)?,
    })
}

fn api_key_encryption(env: &Env, app_env: AppEnv) -> Result<EncryptionKeys, ConfigError> {
    let parse = |key: &'static str| {
        env.get(key)
            .map(|text| {
                EncryptionKey::parse(&text).map_err(|problem| ConfigError::new(key, problem))
            })
            .transpose()
    };
    let current = match (parse("API_KEY_ENCRYPTION_KEY")?, app_env) {
        (Some(key), _) => key,
        (None, AppEnv::Local) => {
            let key = EncryptionKey::random().map_err(|err| {
                ConfigError::new(
                    "API_KEY_ENCRYPTION_KEY",
                    format!("is not set, and no random key could be made ({err}); set it"),
                )
            })?;
            tracing::warn!(
                "API_KEY_ENCRYPTION_KEY is not set: encrypting API key secrets with a random \
                 key made at start; the API keys made now stop working when the process stops"
            );
            key
        }
        // Every instance must read what the others wrote, and a restart must not lose a key.
        (None, AppEnv::Dev | AppEnv::Prod) => {
            return Err(ConfigError::new(
                "API_KEY_ENCRYPTION_KEY",
                format!(
                    "must be set when APP_ENV={} (make one with `openssl rand -hex 32`)",
                    app_env.name()
                ),
            ));
        }
    };
    let previous = parse("API_KEY_ENCRYPTION_KEY_PREVIOUS")?;
    if previous
        .as_ref()
        .is_some_and(|key| key.id() == current.id())
    {
        return Err(ConfigError::new(
            "API_KEY_ENCRYPTION_KEY_PREVIOUS",
            "is the same key as API_KEY_ENCRYPTION_KEY: a rotation needs a new key",
        ));
    }
    Ok(EncryptionKeys::new(current, previous))
}
// ANCHOR_END: settings

// ANCHOR: init_logging
/// Starts the logs in the format `APP_ENV` asks for (`LOG_FORMAT=text|json` overrides it).
///
/// This runs before anything else, so that the start itself is logged in the right format;
/// a wrong `APP_ENV` is reported a moment later by [`Config::from_env`].
pub fn init_logging(env: &Env) {
    let app_env = AppEnv::from_env(env).unwrap_or(AppEnv::Local);
    let format = env
        .get("LOG_FORMAT")
        .unwrap_or_else(|| app_env.default_log_format().to_owned());
    let mut settings = vec![("LOG_FORMAT", format)];
    if let Some(filter) = env.get("RUST_LOG") {
        settings.push(("RUST_LOG", filter));
    }
    kit::serve::init_logging(&Env::from_pairs(settings));
}
// ANCHOR_END: init_logging

impl fmt::Debug for Config {
    // The key is a secret and the URL may hold a password: neither goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("app_env", &self.app_env)
            .field("database_url", &mask_password(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("jwt_secret", &"[hidden]")
            .field("access_token_expire", &self.access_token_expire)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("trusted_hosts", &self.trusted_hosts)
            .field("docs", &self.docs)
            .field("limits", &self.limits)
            .field("api_key_encryption", &self.api_key_encryption)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const ENCRYPTION_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_local_run_needs_no_setting() {
        let config = Config::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        assert_eq!(config.app_env, AppEnv::Local);
        assert_eq!(config.database_url, "sqlite://./ch14.db");
        assert_eq!(config.data_dir, PathBuf::from("."));
        assert_eq!(config.jwt_secret.len(), MIN_SECRET_BYTES);
        for host in ["localhost", "127.0.0.1:8000", "[::1]:8000"] {
            let req = poem::Request::builder().header("host", host).finish();
            assert!(config.trusted_hosts.trusts(&req), "{host}");
        }
        assert_eq!(config.docs, Docs::default());
    }

    #[test]
    fn data_dir_puts_the_default_database_in_a_folder_named_after_the_package() {
        let env = Env::from_pairs([("DATA_DIR", "/srv/data")]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(
            config.database_url,
            "sqlite:///srv/data/ch14-bigger-application/ch14.db"
        );
        let config = Config::from_env_for(&env, "ch16-deployment").unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/data/ch16-deployment"));
        assert_eq!(
            config.database_url,
            "sqlite:///srv/data/ch16-deployment/ch14.db"
        );
    }

    #[test]
    fn production_requires_its_secrets_and_hosts_by_name() {
        let missing = |pairs: &[(&str, &str)]| {
            let mut all = vec![("APP_ENV", "prod")];
            all.extend_from_slice(pairs);
            Config::from_env(&Env::from_pairs(all)).unwrap_err().key
        };
        assert_eq!(missing(&[]), "DATABASE_URL");
        assert_eq!(missing(&[("DATABASE_URL", "sqlite://x.db")]), "JWT_SECRET");
        assert_eq!(
            missing(&[("DATABASE_URL", "sqlite://x.db"), ("JWT_SECRET", SECRET)]),
            "TRUSTED_HOSTS"
        );
        assert_eq!(
            missing(&[
                ("DATABASE_URL", "sqlite://x.db"),
                ("JWT_SECRET", SECRET),
                ("TRUSTED_HOSTS", "api.example.com"),
            ]),
            "API_KEY_ENCRYPTION_KEY"
        );
    }

    #[test]
    fn production_switches_the_docs_off() {
        let env = Env::from_pairs([
            ("APP_ENV", "prod"),
            ("DATABASE_URL", "sqlite://x.db"),
            ("JWT_SECRET", SECRET),
            ("TRUSTED_HOSTS", "api.example.com"),
            ("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("DOCS_URL", "/docs"),
        ]);
        assert_eq!(Config::from_env(&env).unwrap().docs, Docs::off());
    }

    #[test]
    fn wrong_values_are_named() {
        let key = |pairs: &[(&str, &str)]| {
            Config::from_env(&Env::from_pairs(pairs.to_vec()))
                .unwrap_err()
                .key
        };
        assert_eq!(key(&[("APP_ENV", "production")]), "APP_ENV");
        assert_eq!(key(&[("DATABASE_URL", "redis://h")]), "DATABASE_URL");
        assert_eq!(key(&[("JWT_SECRET", "short")]), "JWT_SECRET");
        assert_eq!(key(&[("TRUSTED_HOSTS", " , ")]), "TRUSTED_HOSTS");
        assert_eq!(key(&[("TRUSTED_HOSTS", "a b")]), "TRUSTED_HOSTS");
        assert_eq!(
            key(&[("ACCESS_TOKEN_EXPIRE_MINUTES", "0")]),
            "ACCESS_TOKEN_EXPIRE_MINUTES"
        );
        assert_eq!(key(&[("BCRYPT_COST", "3")]), "BCRYPT_COST");
        assert_eq!(
            key(&[("API_KEY_ENCRYPTION_KEY", "not a key")]),
            "API_KEY_ENCRYPTION_KEY"
        );
        assert_eq!(
            key(&[
                ("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY),
                ("API_KEY_ENCRYPTION_KEY_PREVIOUS", ENCRYPTION_KEY),
            ]),
            "API_KEY_ENCRYPTION_KEY_PREVIOUS"
        );
        for limit in [
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            "LOGIN_MAX_FAILURES_PER_ADDRESS",
            "REGISTER_MAX_PER_ADDRESS",
            "BCRYPT_CONCURRENCY",
            "BCRYPT_QUEUE",
        ] {
            assert_eq!(key(&[(limit, "-1")]), limit);
            assert_eq!(key(&[(limit, "many")]), limit);
        }
        assert_eq!(key(&[("LIMIT_WINDOW_SECS", "0")]), "LIMIT_WINDOW_SECS");
        assert_eq!(
            key(&[
                ("APP_ENV", "prod"),
                ("DATABASE_URL", "sqlite://x.db"),
                ("JWT_SECRET", SECRET),
                ("TRUSTED_HOSTS", "api.example.com"),
                ("BCRYPT_COST", "4"),
            ]),
            "BCRYPT_COST"
        );
    }

    #[test]
    fn the_limits_have_defaults_and_follow_their_settings() {
        let config = Config::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(config.limits.login_failures_per_account, 10);
        assert_eq!(config.limits.bcrypt_workers, cores);
        assert_eq!(config.limits.bcrypt_queue, 4 * cores);
        let env = Env::from_pairs([
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
            ("BCRYPT_CONCURRENCY", "3"),
            ("LIMIT_WINDOW_SECS", "60"),
        ]);
        let limits = Config::from_env(&env).unwrap().limits;
        assert_eq!(limits.login_failures_per_account, 0);
        assert_eq!((limits.bcrypt_workers, limits.bcrypt_queue), (3, 12));
        assert_eq!(limits.window, Duration::from_secs(60));
    }

    #[test]
    fn the_encryption_key_is_random_locally_and_never_shown() {
        let config = Config::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        let other = Config::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        let id = config.api_key_encryption.current_id().to_owned();
        assert_ne!(id, other.api_key_encryption.current_id());
        let env = Env::from_pairs([("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY)]);
        let shown = format!("{:?}", Config::from_env(&env).unwrap());
        assert!(!shown.contains(ENCRYPTION_KEY), "{shown}");
        assert!(!shown.contains("000102"), "{shown}");
    }

    #[test]
    fn a_database_password_is_masked_in_errors_and_debug_output() {
        let err =
            Config::from_env(&Env::from_pairs([("DATABASE_URL", "redis://u:pw@h")])).unwrap_err();
        assert!(!err.problem.contains("pw@"), "{err}");
        let config = Config::from_env(&Env::from_pairs([(
            "DATABASE_URL",
            "postgres://u:hunter2@h/db",
        )]))
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
