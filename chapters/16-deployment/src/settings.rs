//! The settings of the deployed service: read once at start from the environment and an
//! optional file, checked, and handed to [`crate::app`] and `main`. A wrong one stops the start
//! with a message that names it, before the service listens.
//!
//! Where a value comes from, strongest first: a command-line flag (`--host`, `--port`,
//! `--workers`), the environment, the file named by `CONFIG_FILE`, the default.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use kit::serve::ReadTimeouts;
use kit::{ConfigError, Env, Listen};

// ANCHOR: keys
/// Every setting the service knows: chapter 14's, then the deployment's own. A file that sets
/// anything else is refused, so that a typo (`DATABSE_URL`) is not silently ignored.
pub const KEYS: &[&str] = &[
    // Chapter 14: the application.
    "APP_ENV",
    "DATABASE_URL",
    "JWT_SECRET",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "BCRYPT_COST",
    "TRUSTED_HOSTS",
    "API_KEY_ENCRYPTION_KEY",
    "API_KEY_ENCRYPTION_KEY_PREVIOUS",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "REGISTER_MAX_PER_ADDRESS",
    "LIMIT_WINDOW_SECS",
    "BCRYPT_CONCURRENCY",
    "BCRYPT_QUEUE",
    "OPENAPI_URL",
    "DOCS_URL",
    "REDOC_URL",
    // Where the default SQLite database goes (see `kit::data_dir`).
    "DATA_DIR",
    // Chapter 16: how it runs.
    "HOST",
    "PORT",
    "HEADER_READ_TIMEOUT_SECS",
    "BODY_READ_TIMEOUT_SECS",
    "WORKERS",
    "STATIC_DIR",
    "TRUSTED_PROXIES",
    "PROXY_HEADER",
    "LOG_FORMAT",
    "RUST_LOG",
];
// ANCHOR_END: keys

// ANCHOR: settings
/// Every setting of the deployed service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Chapter 14's settings (`APP_ENV`, `DATABASE_URL`, `JWT_SECRET`…), read by its own
    /// `Config` from the same sources; its default database is in this program's data folder.
    pub app: ch14_bigger_application::Config,
    /// `HOST` [`127.0.0.1`] and `PORT` [`8000`]; in a container, `HOST=0.0.0.0`. And how
    /// long a client has to send a request: `HEADER_READ_TIMEOUT_SECS` [10] for its headers,
    /// `BODY_READ_TIMEOUT_SECS` [30] for its body (see `kit::serve::ReadTimeouts`).
    pub listen: Listen,
    /// `WORKERS`: the runtime's worker threads [one per CPU], uvicorn's `--workers`.
    pub workers: Option<usize>,
    /// `STATIC_DIR`: the folder served at `/static/` [`static`, see [`static_dir`]].
    pub static_dir: PathBuf,
    /// `TRUSTED_PROXIES`: addresses and networks (`10.0.0.0/8`) of the proxies whose
    /// forwarding headers are believed, separated by commas [none].
    pub trusted_proxies: Vec<IpNet>,
    /// `PROXY_HEADER`: which header those proxies set, `x-forwarded-for` [default] or
    /// `forwarded` (RFC 7239).
    pub proxy_header: ProxyHeader,
    /// `LOG_FORMAT`: `text` or `json` [`text` locally, `json` in `dev` and `prod`].
    pub log_format: LogFormat,
}

/// The header a trusted proxy writes the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, most load balancers).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// One line of text per log event, or one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For a person reading a terminal.
    Text,
    /// For a log collector.
    Json,
}
// ANCHOR_END: settings

/// The most worker threads accepted: far more than any machine has cores.
const MAX_WORKERS: usize = 1024;

impl Settings {
    /// Reads and checks every setting from `env` (already merged with the file, see
    /// [`sources`]); the first wrong one is an error that names it.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            listen: listen(env)?,
            workers: workers(env)?,
            static_dir: static_dir(env)?,
            trusted_proxies: trusted_proxies(env)?,
            proxy_header: proxy_header(env)?,
            log_format: log_format(env)?,
            app: ch14_bigger_application::Config::from_env_for(env, env!("CARGO_PKG_NAME"))?,
        })
    }
}

// ANCHOR: sources
/// The settings as one map: `overrides` (the command line), then the process environment,
/// then the file named by `CONFIG_FILE`, for the keys in [`KEYS`].
pub fn sources(process: &Env, overrides: &[(&str, String)]) -> Result<Env, ConfigError> {
    let mut merged: BTreeMap<String, String> = match process.get("CONFIG_FILE") {
        Some(path) if !path.is_empty() => read_file(Path::new(&path))?,
        _ => BTreeMap::new(),
    };
    for key in KEYS {
        if let Some(value) = process.get(key) {
            merged.insert((*key).to_owned(), value);
        }
    }
    for (key, value) in overrides {
        merged.insert((*key).to_owned(), value.clone());
    }
    Ok(Env::from_pairs(merged))
}

/// Reads a settings file: `KEY=value` lines, as `docker run --env-file` and systemd's
/// `EnvironmentFile` read them. Blank lines and lines starting with `#` are skipped; the value
/// is the rest of the line, spaces around it trimmed, without quotes or `$` expansion.
pub fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|err| ConfigError::new("CONFIG_FILE", format!("cannot read {shown}: {err}")))?;
    let mut settings = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{shown}, line {}", index + 1);
        let Some((key, value)) = line.split_once('=') else {
            return Err(ConfigError::new(
                "CONFIG_FILE",
                format!("{at}: expected KEY=value, got {line:?}"),
            ));
        };
        let key = key.trim();
        if !KEYS.contains(&key) {
            return Err(ConfigError::new(
                key,
                format!(
                    "is not a setting ({at}); the settings are {}",
                    KEYS.join(", ")
                ),
            ));
        }
        if settings
            .insert(key.to_owned(), value.trim().to_owned())
            .is_some()
        {
            return Err(ConfigError::new(key, format!("is set twice ({at})")));
        }
    }
    Ok(settings)
}
// ANCHOR_END: sources

// ANCHOR: parsers
fn listen(env: &Env) -> Result<Listen, ConfigError> {
    let host = env.get("HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
    if host.trim().is_empty() {
        return Err(ConfigError::new(
            "HOST",
            "must name an address, such as 0.0.0.0",
        ));
    }
    let port = match env.get("PORT") {
        None => 8000,
        Some(value) => value.parse::<u16>().map_err(|_| {
            ConfigError::new(
                "PORT",
                format!("must be a port number from 0 to 65535 (got {value:?})"),
            )
        })?,
    };
    let mut timeouts = ReadTimeouts::default();
    for (key, timeout) in [
        ("HEADER_READ_TIMEOUT_SECS", &mut timeouts.header),
        ("BODY_READ_TIMEOUT_SECS", &mut timeouts.body),
    ] {
        if let Some(value) = env.get(key) {
            *timeout =
                kit::serve::seconds(&value).map_err(|problem| ConfigError::new(key, problem))?;
        }
    }
    Ok(Listen {
        host,
        port,
        timeouts,
    })
}

fn workers(env: &Env) -> Result<Option<usize>, ConfigError> {
    let Some(value) = env.get("WORKERS") else {
        return Ok(None);
    };
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_WORKERS).contains(n))
        .map(Some)
        .ok_or_else(|| {
            ConfigError::new(
                "WORKERS",
                format!("must be a whole number from 1 to {MAX_WORKERS} (got {value:?})"),
            )
        })
}

fn trusted_proxies(env: &Env) -> Result<Vec<IpNet>, ConfigError> {
    let Some(list) = env.get("TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            // A bare address is a network of one.
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    ConfigError::new(
                        "TRUSTED_PROXIES",
                        format!("{entry:?} is not an IP address or a network such as 10.0.0.0/8"),
                    )
                })
        })
        .collect()
}

fn proxy_header(env: &Env) -> Result<ProxyHeader, ConfigError> {
    match env
        .get("PROXY_HEADER")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("x-forwarded-for") => Ok(ProxyHeader::XForwardedFor),
        Some("forwarded") => Ok(ProxyHeader::Forwarded),
        Some(other) => Err(ConfigError::new(
            "PROXY_HEADER",
            format!("must be x-forwarded-for or forwarded (got {other:?})"),
        )),
    }
}

/// `LOG_FORMAT`, or the default of `APP_ENV`.
pub fn log_format(env: &Env) -> Result<LogFormat, ConfigError> {
    match (
        env.get("LOG_FORMAT").as_deref(),
        env.get("APP_ENV").as_deref(),
    ) {
        (Some("text"), _) | (None, None | Some("local")) => Ok(LogFormat::Text),
        (Some("json"), _) | (None, Some(_)) => Ok(LogFormat::Json),
        (Some(other), _) => Err(ConfigError::new(
            "LOG_FORMAT",
            format!("must be text or json (got {other:?})"),
        )),
    }
}
// ANCHOR_END: parsers

// ANCHOR: static_dir
/// The folder of static files: `STATIC_DIR` if set (it must exist), else `static` in the
/// working directory, else the `static` folder of this chapter's sources, so that
/// `cargo run -p ch16-deployment` from anywhere in the workspace finds it. The answer is
/// absolute, with its symbolic links resolved: requests are checked against it.
fn static_dir(env: &Env) -> Result<PathBuf, ConfigError> {
    let problem = |message: String| ConfigError::new("STATIC_DIR", message);
    let dir = match env.get("STATIC_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let beside_sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
            match Path::new("static").is_dir() {
                true => PathBuf::from("static"),
                false if beside_sources.is_dir() => beside_sources,
                false => {
                    return Err(problem(
                        "is not set, and there is no `static` folder here; set it to the \
                         folder of static files"
                            .to_owned(),
                    ));
                }
            }
        }
    };
    match dir.canonicalize() {
        Ok(dir) if dir.is_dir() => Ok(dir),
        Ok(_) => Err(problem(format!("{} is not a folder", dir.display()))),
        Err(err) => Err(problem(format!("cannot open {}: {err}", dir.display()))),
    }
}
// ANCHOR_END: static_dir

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(pairs: &[(&str, &str)]) -> String {
        Settings::from_env(&Env::from_pairs(pairs.to_vec()))
            .unwrap_err()
            .key
    }

    #[test]
    fn a_local_run_needs_no_setting() {
        let settings = Settings::from_env(&Env::from_pairs::<&str, &str>([])).unwrap();
        assert_eq!(settings.listen.host, "127.0.0.1");
        assert_eq!(settings.listen.port, 8000);
        assert_eq!(settings.workers, None);
        assert!(settings.trusted_proxies.is_empty());
        assert_eq!(settings.proxy_header, ProxyHeader::XForwardedFor);
        assert_eq!(settings.log_format, LogFormat::Text);
        assert!(settings.static_dir.join("index.html").is_file());
    }

    #[test]
    fn data_dir_puts_the_default_database_in_this_programs_folder() {
        let process = Env::from_pairs([("DATA_DIR", "/srv/data")]);
        let settings = Settings::from_env(&sources(&process, &[]).unwrap()).unwrap();
        assert_eq!(
            settings.app.database_url,
            "sqlite:///srv/data/ch16-deployment/ch14.db"
        );
    }

    #[test]
    fn wrong_values_are_named() {
        assert_eq!(key_of(&[("WORKERS", "abc")]), "WORKERS");
        assert_eq!(key_of(&[("WORKERS", "0")]), "WORKERS");
        assert_eq!(key_of(&[("PORT", "80000")]), "PORT");
        assert_eq!(key_of(&[("HOST", " ")]), "HOST");
        assert_eq!(key_of(&[("LOG_FORMAT", "xml")]), "LOG_FORMAT");
        assert_eq!(
            key_of(&[("TRUSTED_PROXIES", "10.0.0.1, nginx")]),
            "TRUSTED_PROXIES"
        );
        assert_eq!(
            key_of(&[("TRUSTED_PROXIES", "10.0.0.0/33")]),
            "TRUSTED_PROXIES"
        );
        assert_eq!(key_of(&[("PROXY_HEADER", "x-real-ip")]), "PROXY_HEADER");
        assert_eq!(key_of(&[("STATIC_DIR", "/no/such/folder")]), "STATIC_DIR");
        // Chapter 14's settings are checked as chapter 14 checks them.
        assert_eq!(key_of(&[("BCRYPT_COST", "3")]), "BCRYPT_COST");
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        let env = Env::from_pairs([("TRUSTED_PROXIES", "127.0.0.1, 10.1.2.3/8 ,::1,")]);
        let proxies = Settings::from_env(&env).unwrap().trusted_proxies;
        let shown: Vec<String> = proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
    }

    #[test]
    fn the_log_format_follows_app_env_unless_given() {
        let format = |pairs: &[(&str, &str)]| log_format(&Env::from_pairs(pairs.to_vec())).unwrap();
        assert_eq!(format(&[]), LogFormat::Text);
        assert_eq!(format(&[("APP_ENV", "dev")]), LogFormat::Json);
        assert_eq!(
            format(&[("APP_ENV", "prod"), ("LOG_FORMAT", "text")]),
            LogFormat::Text
        );
        assert_eq!(format(&[("LOG_FORMAT", "json")]), LogFormat::Json);
    }
}
