//! The service's settings: read once at start, checked, and handed to [`crate::app`]. Nothing
//! else in the service reads the environment.
//!
//! clap reads each setting from its variable (chapter 16 adds flags and a file) and parses it;
//! then [`Settings::check`] fills in and checks what depends on `APP_ENV`.

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use ch11_middleware::TrustedHosts;
use clap::builder::TypedValueParser;
use clap::error::{ContextKind, ContextValue};
use clap::{Args, Command, FromArgMatches, ValueEnum};
use kit::db::{Backend, mask_password};
use kit::{ConfigError, Docs, Env};

use crate::security::encryption::{EncryptionKey, EncryptionKeys};

// ANCHOR: app_env
/// Where the service runs: the defaults of every other setting depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    /// A developer's machine: docs on, text logs, a random JWT key if none is given.
    Local,
    /// A shared test server: docs on, JSON logs, every secret given.
    Dev,
    /// Production: docs off, JSON logs, every secret and host given.
    Prod,
}

impl AppEnv {
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

// ANCHOR: settings
/// Every setting, as given: each field is read from the variable its `env` names, else has its
/// default, and clap parses it with its `value_parser`.
#[derive(Clone, Args)]
// No group of arguments named after the struct: chapter 16's has the same name.
#[group(skip)]
pub struct Settings {
    /// Where the service runs.
    #[arg(long, env = "APP_ENV", value_enum, default_value = "local")]
    pub app_env: AppEnv,
    /// sqlite://…, postgres://… or mysql://… [default: ch14.db in the data folder; required
    /// in prod].
    #[arg(long, env = "DATABASE_URL", value_parser = database_url)]
    pub database_url: Option<String>,
    /// The key that signs access tokens, 32 bytes or more [default: random; required in dev
    /// and prod].
    #[arg(long, env = "JWT_SECRET", value_parser = jwt_secret)]
    pub jwt_secret: Option<String>,
    /// How long an access token lives, in minutes.
    #[arg(long, env = "ACCESS_TOKEN_EXPIRE_MINUTES", default_value = "30",
          value_parser = whole(1, 525_600).map(|minutes: u64| Duration::from_secs(60 * minutes)))]
    pub access_token_expire_minutes: Duration,
    /// 2^cost rounds per password hash: 4 to 31, at least 10 in prod. Tests lower it to run
    /// fast, as Laravel's `BCRYPT_ROUNDS` does.
    #[arg(long, env = "BCRYPT_COST", default_value = "12", value_parser = whole::<u32>(4, 31))]
    pub bcrypt_cost: u32,
    /// The host names requests may be sent to, separated by commas; `*.example.com` is any
    /// subdomain [default: per APP_ENV; required in prod, where `*` is refused].
    #[arg(long, env = "TRUSTED_HOSTS", value_parser = TrustedHosts::from_list)]
    pub trusted_hosts: Option<TrustedHosts>,
    /// The key that encrypts API key secrets at rest, 32 bytes as 64 hex digits or base64
    /// [default: random; required in dev and prod].
    #[arg(long, env = "API_KEY_ENCRYPTION_KEY", value_parser = EncryptionKey::parse)]
    pub api_key_encryption_key: Option<EncryptionKey>,
    /// The key before it, which still decrypts during a rotation.
    #[arg(long, env = "API_KEY_ENCRYPTION_KEY_PREVIOUS", value_parser = EncryptionKey::parse)]
    pub api_key_encryption_key_previous: Option<EncryptionKey>,
    #[command(flatten)]
    pub limits: Limits,
    /// Passwords that may wait for a bcrypt worker [default: 4 × BCRYPT_CONCURRENCY].
    #[arg(long, env = "BCRYPT_QUEUE", value_parser = whole::<usize>(0, MAX_LIMIT))]
    pub bcrypt_queue: Option<usize>,
    /// Where the OpenAPI document is, and below its pages; empty switches one off
    /// [default: /openapi.json, /docs, /redoc; always off in prod].
    #[arg(long, env = "OPENAPI_URL")]
    pub openapi_url: Option<String>,
    /// Where Swagger UI is.
    #[arg(long, env = "DOCS_URL")]
    pub docs_url: Option<String>,
    /// Where ReDoc is.
    #[arg(long, env = "REDOC_URL")]
    pub redoc_url: Option<String>,
    /// The default database goes in `$DATA_DIR/<package>` [default: the current folder].
    #[arg(long, env = "DATA_DIR")]
    pub data_dir: Option<String>,
}

impl Settings {
    /// Fills in and checks what depends on `APP_ENV`; the first wrong setting is an error that
    /// names it. The default database goes in the data folder of `package` (chapter 16 serves
    /// this service from a package of its own).
    pub fn check(self, package: &str) -> Result<Config, ConfigError> {
        let app_env = self.app_env;
        let prod = app_env == AppEnv::Prod;
        let data_dir = self.data_dir.map(|dir| ("DATA_DIR", dir));
        let data_dir = kit::data_dir(&Env::from_pairs(data_dir), package);
        let database_url = match self.database_url {
            Some(url) => url,
            None if prod => {
                let hint = " (postgres://…, mysql://… or sqlite://…)";
                return Err(unset("DATABASE_URL", app_env, hint));
            }
            None => format!("sqlite://{}", data_dir.join("ch14.db").display()),
        };
        let jwt_secret = given_or_random(
            self.jwt_secret.map(String::into_bytes),
            ("JWT_SECRET", app_env),
            random_bytes,
            "signing tokens with a random key made at start; tokens stop working when the \
             process stops",
        )?;
        if prod && self.bcrypt_cost < 10 {
            let problem = format!(
                "must be 10 or more when APP_ENV=prod (got {})",
                self.bcrypt_cost
            );
            return Err(ConfigError::new("BCRYPT_COST", problem));
        }
        let trusted_hosts = match (self.trusted_hosts, app_env.default_trusted_hosts()) {
            (Some(hosts), _) => hosts,
            (None, Some(list)) => {
                TrustedHosts::from_list(list).map_err(|p| ConfigError::new("TRUSTED_HOSTS", p))?
            }
            (None, None) => {
                let hint = ": the host names clients use, such as \"api.example.com\" or \
                            \"*.example.com\"";
                return Err(unset("TRUSTED_HOSTS", app_env, hint));
            }
        };
        if prod && trusted_hosts.allows_any() {
            return Err(ConfigError::new(
                "TRUSTED_HOSTS",
                "must not hold \"*\" when APP_ENV=prod: it trusts any host, so the check stops \
                 nothing; name the hosts clients use, such as \"api.example.com\"",
            ));
        }
        let paths = [
            ("OPENAPI_URL", self.openapi_url),
            ("DOCS_URL", self.docs_url),
            ("REDOC_URL", self.redoc_url),
        ];
        let docs = match prod {
            // FastAPI(openapi_url=None): the API's map is not published in production.
            true => Docs::off(),
            false => Docs::from_env(&Env::from_pairs(
                paths
                    .into_iter()
                    .filter_map(|(key, path)| Some((key, path?))),
            ))?,
        };
        let current = given_or_random(
            self.api_key_encryption_key,
            ("API_KEY_ENCRYPTION_KEY", app_env),
            EncryptionKey::random,
            "encrypting API key secrets with a random key made at start; the API keys made now \
             stop working when the process stops",
        )?;
        let previous = self.api_key_encryption_key_previous;
        if previous
            .as_ref()
            .is_some_and(|key| key.id() == current.id())
        {
            return Err(ConfigError::new(
                "API_KEY_ENCRYPTION_KEY_PREVIOUS",
                "is the same key as API_KEY_ENCRYPTION_KEY: a rotation needs a new key",
            ));
        }
        let queue = self.bcrypt_queue.unwrap_or(4 * self.limits.bcrypt_workers);
        Ok(Config {
            app_env,
            database_url,
            data_dir,
            jwt_secret,
            access_token_expire: self.access_token_expire_minutes,
            bcrypt_cost: self.bcrypt_cost,
            trusted_hosts,
            docs,
            limits: Limits {
                bcrypt_queue: queue,
                ..self.limits
            },
            api_key_encryption: EncryptionKeys::new(current, previous),
        })
    }
}
// ANCHOR_END: settings

// ANCHOR: config
/// Every setting of the service, checked, with what `APP_ENV` decides filled in (see
/// [`Settings`] for each one).
#[derive(Clone)]
pub struct Config {
    pub app_env: AppEnv,
    pub database_url: String,
    /// `$DATA_DIR/<package>`, or the current folder (see `kit::data_dir`); made at start.
    pub data_dir: PathBuf,
    pub jwt_secret: Vec<u8>,
    pub access_token_expire: Duration,
    pub bcrypt_cost: u32,
    pub trusted_hosts: TrustedHosts,
    pub docs: Docs,
    pub limits: Limits,
    pub api_key_encryption: EncryptionKeys,
}

impl Config {
    /// Reads and checks every setting from `env`; the first wrong one is an error that names it.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let package = env!("CARGO_PKG_NAME");
        read::<Settings>(Settings::augment_args(Command::new(package)), &[], env)?.check(package)
    }
}
// ANCHOR_END: config

// ANCHOR: limits
/// How much guessing and how much bcrypt work the service accepts. A limit of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct Limits {
    /// Failed logins to one account, from anywhere, within the window; then that account's
    /// logins are 429 until the window ends.
    #[arg(long = "login-max-failures-per-account", env = "LOGIN_MAX_FAILURES_PER_ACCOUNT",
          default_value = "10", value_parser = whole::<u32>(0, MAX_LIMIT))]
    pub login_failures_per_account: u32,
    /// Failed logins from one client address, to any accounts. Higher than the account's: many
    /// people may share an address (an office).
    #[arg(long = "login-max-failures-per-address", env = "LOGIN_MAX_FAILURES_PER_ADDRESS",
          default_value = "100", value_parser = whole::<u32>(0, MAX_LIMIT))]
    pub login_failures_per_address: u32,
    /// Sign-ups from one client address.
    #[arg(long = "register-max-per-address", env = "REGISTER_MAX_PER_ADDRESS",
          default_value = "100", value_parser = whole::<u32>(0, MAX_LIMIT))]
    pub sign_ups_per_address: u32,
    /// The window of the three limits above, in seconds from its first attempt.
    #[arg(long = "limit-window-secs", env = "LIMIT_WINDOW_SECS", default_value = "900",
          value_parser = whole(1, MAX_LIMIT).map(Duration::from_secs))]
    pub window: Duration,
    /// Passwords hashed or checked at once [default: one per core]. bcrypt keeps a core busy
    /// for its whole quarter of a second: more at once than cores only makes each one slower.
    /// 0 lifts the bound and the queue: every password goes to the blocking pool at once.
    #[arg(long = "bcrypt-concurrency", env = "BCRYPT_CONCURRENCY",
          default_value_t = std::thread::available_parallelism().map_or(1, usize::from),
          hide_default_value = true, value_parser = whole::<usize>(0, MAX_LIMIT))]
    pub bcrypt_workers: usize,
    /// Passwords that may wait for a worker; past that, a login or sign-up is answered 503
    /// with `Retry-After` at once, rather than making everyone wait longer. Its setting,
    /// `BCRYPT_QUEUE`, is in [`Settings`]: its default depends on `BCRYPT_CONCURRENCY`.
    #[arg(skip)]
    pub bcrypt_queue: usize,
}

impl Default for Limits {
    /// The limits of a service started without any setting.
    fn default() -> Self {
        let no_settings = Env::from_pairs::<&str, &str>([]);
        let limits: Self = read(
            Self::augment_args(Command::new("limits")),
            &[],
            &no_settings,
        )
        .expect("the defaults are valid");
        Self {
            bcrypt_queue: 4 * limits.bcrypt_workers,
            ..limits
        }
    }
}
// ANCHOR_END: limits

// ANCHOR: parsers
/// The highest limit accepted, of every kind.
const MAX_LIMIT: u64 = 1_000_000;

/// A value parser for a whole number from `low` to `high`.
pub fn whole<T: TryFrom<u64> + 'static>(
    low: u64,
    high: u64,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static {
    move |text| {
        text.parse::<u64>()
            .ok()
            .filter(|n| (low..=high).contains(n))
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| format!("must be a whole number from {low} to {high} (got {text:?})"))
    }
}

fn database_url(url: &str) -> Result<String, String> {
    if Backend::of_url(url).is_none() {
        let url = mask_password(url);
        return Err(format!(
            "must start with sqlite://, postgres:// or mysql:// (got {url:?})"
        ));
    }
    kit::db::refuse_in_memory(url)?;
    Ok(url.to_owned())
}

/// The shortest signing key accepted: 32 bytes, the size of HS256's output (RFC 7518 §3.2).
const MIN_SECRET_BYTES: usize = 32;

fn jwt_secret(secret: &str) -> Result<String, String> {
    match secret.len() {
        MIN_SECRET_BYTES.. => Ok(secret.to_owned()),
        short => Err(format!(
            "must be at least {MIN_SECRET_BYTES} bytes long (it has {short}); make one with \
             `openssl rand -hex 32`"
        )),
    }
}

/// A key nobody knows, not even the next run of this program.
fn random_bytes() -> Result<Vec<u8>, String> {
    let mut secret = vec![0u8; MIN_SECRET_BYTES];
    getrandom::fill(&mut secret).map_err(|err| err.to_string())?;
    Ok(secret)
}

/// The key `given`; else, in a local run, one `made` at random, with a warning that what it
/// protects dies with the process. Elsewhere it is required: several instances must share the
/// key, and a restart must not lose it.
fn given_or_random<T>(
    given: Option<T>,
    (key, app_env): (&str, AppEnv),
    made: fn() -> Result<T, String>,
    warning: &str,
) -> Result<T, ConfigError> {
    match (given, app_env) {
        (Some(given), _) => Ok(given),
        (None, AppEnv::Local) => {
            let made = made().map_err(|err| {
                let problem =
                    format!("is not set, and no random key could be made ({err}); set it");
                ConfigError::new(key, problem)
            })?;
            tracing::warn!("{key} is not set: {warning}");
            Ok(made)
        }
        (None, _) => Err(unset(
            key,
            app_env,
            " (make one with `openssl rand -hex 32`)",
        )),
    }
}

/// A setting that `app_env` requires, missing.
fn unset(key: &str, app_env: AppEnv, hint: &str) -> ConfigError {
    ConfigError::new(
        key,
        format!("must be set when APP_ENV={}{hint}", app_env.name()),
    )
}
// ANCHOR_END: parsers

// ANCHOR: read
/// Reads the settings of `command` into `T`: each from its flag in `args`, else from the
/// variable its `env` names, looked up in `env`, else its default. A wrong variable is a
/// [`ConfigError`] that names it; a wrong flag is clap's usage message, and the program exits,
/// as command-line tools do.
pub fn read<T: FromArgMatches>(
    command: Command,
    args: &[String],
    env: &Env,
) -> Result<T, ConfigError> {
    let flagged = |long: &str| {
        args.iter().any(|arg| {
            let rest = arg
                .strip_prefix("--")
                .and_then(|arg| arg.strip_prefix(long));
            rest.is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
        })
    };
    // A variable goes to clap as the flag it stands for. clap reads no variable itself, so
    // that `env` is the only source: a test's map, or the process's environment.
    let mut argv = args.to_vec();
    for arg in command.get_arguments() {
        if let (Some(key), Some(long)) = (arg.get_env().and_then(OsStr::to_str), arg.get_long())
            && let Some(value) = env.get(key).filter(|_| !flagged(long))
        {
            argv.push(format!("--{long}={value}"));
        }
    }
    let named = |err: clap::Error| {
        let long = match err.get(ContextKind::InvalidArg) {
            Some(ContextValue::String(arg)) => arg.trim_start_matches('-').split([' ', '=']).next(),
            _ => None,
        };
        let key = long
            .filter(|long| !flagged(long))
            .and_then(|long| {
                command
                    .get_arguments()
                    .find(|arg| arg.get_long() == Some(long))
            })
            .and_then(|arg| arg.get_env());
        match key {
            Some(key) => ConfigError::new(key.to_string_lossy(), problem(&err)),
            None => err.exit(),
        }
    };
    let parser = command
        .clone()
        .no_binary_name(true)
        .mut_args(|arg| match arg.get_env() {
            Some(key) => {
                let key = key.to_string_lossy().into_owned();
                arg.env(None).value_name(key)
            }
            None => arg,
        });
    let matches = parser.try_get_matches_from(argv).map_err(named)?;
    T::from_arg_matches(&matches).map_err(named)
}

/// What is wrong with a value clap refused: its parser's message, or the values it may take.
fn problem(err: &clap::Error) -> String {
    if let Some(source) = std::error::Error::source(err) {
        return source.to_string();
    }
    match (
        err.get(ContextKind::ValidValue),
        err.get(ContextKind::InvalidValue),
    ) {
        (Some(ContextValue::Strings(valid)), Some(ContextValue::String(got))) => {
            let list = match valid.split_last() {
                Some((last, others)) if !others.is_empty() => {
                    format!("{} or {last}", others.join(", "))
                }
                _ => valid.join(""),
            };
            format!("must be {list} (got {got:?})")
        }
        _ => err.kind().to_string(),
    }
}
// ANCHOR_END: read

// ANCHOR: init_logging
/// Starts the logs in the format `APP_ENV` asks for (`LOG_FORMAT=text|json` overrides it).
///
/// This runs before anything else, so that the start itself is logged in the right format;
/// a wrong `APP_ENV` is reported a moment later by [`Config::from_env`].
pub fn init_logging(env: &Env) {
    let app_env = env
        .get("APP_ENV")
        .and_then(|name| <AppEnv as ValueEnum>::from_str(&name, false).ok());
    let format = env.get("LOG_FORMAT").unwrap_or_else(|| {
        app_env
            .unwrap_or(AppEnv::Local)
            .default_log_format()
            .to_owned()
    });
    let mut settings = vec![("LOG_FORMAT", format)];
    if let Some(filter) = env.get("RUST_LOG") {
        settings.push(("RUST_LOG", filter));
    }
    kit::serve::init_logging(&Env::from_pairs(settings));
}
// ANCHOR_END: init_logging

impl fmt::Debug for Settings {
    // The keys are secrets and the URL may hold a password: none goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("app_env", &self.app_env)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Config {
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
    const PROD: [(&str, &str); 4] = [
        ("APP_ENV", "prod"),
        ("DATABASE_URL", "sqlite://x.db"),
        ("JWT_SECRET", SECRET),
        ("TRUSTED_HOSTS", "api.example.com"),
    ];

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.to_vec()))
    }

    #[test]
    fn a_local_run_needs_no_setting() {
        // `cargo test` sets DATA_DIR: only the map is read, never the process's environment.
        let config = config(&[]).unwrap();
        assert_eq!(config.app_env, AppEnv::Local);
        assert_eq!(config.database_url, "sqlite://./ch14.db");
        assert_eq!(config.jwt_secret.len(), MIN_SECRET_BYTES);
        assert_eq!(config.access_token_expire, Duration::from_secs(30 * 60));
        for host in ["localhost", "127.0.0.1:8000", "[::1]:8000"] {
            let req = poem::Request::builder().header("host", host).finish();
            assert!(config.trusted_hosts.trusts(&req), "{host}");
        }
        assert_eq!(config.docs, Docs::default());
        // An empty value is a value: here, no document.
        let config = self::config(&[("OPENAPI_URL", "")]).unwrap();
        assert_eq!(config.docs, Docs::off());
    }

    #[test]
    fn data_dir_puts_the_default_database_in_a_folder_named_after_the_package() {
        let config = config(&[("DATA_DIR", "/srv/data")]).unwrap();
        let url = "sqlite:///srv/data/ch14-bigger-application/ch14.db";
        assert_eq!(config.database_url, url);
        let env = Env::from_pairs([("DATA_DIR", "/srv/data")]);
        let settings: Settings =
            read(Settings::augment_args(Command::new("x")), &[], &env).unwrap();
        let config = settings.check("ch16-deployment").unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/data/ch16-deployment"));
    }

    #[test]
    fn production_requires_its_secrets_and_hosts_by_name_and_switches_the_docs_off() {
        for given in 1..PROD.len() {
            let err = config(&PROD[..given]).unwrap_err();
            assert_eq!(err.key, PROD[given].0, "{err}");
        }
        assert_eq!(config(&PROD).unwrap_err().key, "API_KEY_ENCRYPTION_KEY");
        let mut pairs = PROD.to_vec();
        pairs.extend([
            ("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("DOCS_URL", "/docs"),
        ]);
        assert_eq!(config(&pairs).unwrap().docs, Docs::off());
        pairs.push(("BCRYPT_COST", "9"));
        assert_eq!(config(&pairs).unwrap_err().key, "BCRYPT_COST");
    }

    #[test]
    fn wrong_values_are_named() {
        let limits = [
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            "LOGIN_MAX_FAILURES_PER_ADDRESS",
            "REGISTER_MAX_PER_ADDRESS",
            "BCRYPT_CONCURRENCY",
            "BCRYPT_QUEUE",
        ];
        let wrong = [
            ("APP_ENV", "production"),
            ("DATABASE_URL", "redis://h"),
            ("JWT_SECRET", "short"),
            ("TRUSTED_HOSTS", " , "),
            ("TRUSTED_HOSTS", "a b"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("BCRYPT_COST", "3"),
            ("API_KEY_ENCRYPTION_KEY", "not a key"),
            ("LIMIT_WINDOW_SECS", "0"),
            ("DOCS_URL", "docs"),
        ];
        let limits = limits.iter().flat_map(|key| [(*key, "-1"), (*key, "many")]);
        for (key, value) in wrong.into_iter().chain(limits) {
            assert_eq!(
                config(&[(key, value)]).unwrap_err().key,
                key,
                "{key}={value}"
            );
        }
        let err = config(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(
            err.problem,
            "must be local, dev or prod (got \"production\")"
        );
        let err = config(&[("BCRYPT_QUEUE", "many")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BCRYPT_QUEUE: must be a whole number from 0 to 1000000 (got \"many\")"
        );
        let pairs = [
            ("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("API_KEY_ENCRYPTION_KEY_PREVIOUS", ENCRYPTION_KEY),
        ];
        assert_eq!(
            config(&pairs).unwrap_err().key,
            "API_KEY_ENCRYPTION_KEY_PREVIOUS"
        );
    }

    #[test]
    fn a_flag_wins_over_its_variable_even_a_wrong_one() {
        let env = Env::from_pairs([("BCRYPT_COST", "many"), ("LIMIT_WINDOW_SECS", "60")]);
        let args = ["--bcrypt-cost".to_owned(), "5".to_owned()];
        let settings: Settings =
            read(Settings::augment_args(Command::new("x")), &args, &env).unwrap();
        assert_eq!(settings.bcrypt_cost, 5);
        assert_eq!(settings.limits.window, Duration::from_secs(60));
    }

    #[test]
    fn the_limits_have_defaults_and_follow_their_settings() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let limits = config(&[]).unwrap().limits;
        assert_eq!(limits, Limits::default());
        assert_eq!(limits.login_failures_per_account, 10);
        assert_eq!(
            (limits.bcrypt_workers, limits.bcrypt_queue),
            (cores, 4 * cores)
        );
        let pairs = [
            ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "0"),
            ("BCRYPT_CONCURRENCY", "3"),
        ];
        let limits = config(&pairs).unwrap().limits;
        assert_eq!(limits.login_failures_per_account, 0);
        assert_eq!((limits.bcrypt_workers, limits.bcrypt_queue), (3, 12));
    }

    #[test]
    fn secrets_are_random_locally_and_never_shown() {
        let (one, other) = (config(&[]).unwrap(), config(&[]).unwrap());
        assert_ne!(one.jwt_secret, other.jwt_secret);
        let id = one.api_key_encryption.current_id().to_owned();
        assert_ne!(id, other.api_key_encryption.current_id());
        let pairs = [
            ("API_KEY_ENCRYPTION_KEY", ENCRYPTION_KEY),
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://u:hunter2@h/db"),
        ];
        let shown = format!("{:?}", config(&pairs).unwrap());
        for secret in ["000102", SECRET, "hunter2"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let err = config(&[("DATABASE_URL", "redis://u:pw@h")]).unwrap_err();
        assert!(!err.problem.contains("pw@"), "{err}");
    }
}
