//! The settings of the deployed service: read once at start from flags, the environment and an
//! optional file, checked, and handed to [`crate::app`] and `main`. A wrong one stops the start
//! with a message that names it, before the service listens.
//!
//! Where a value comes from, strongest first: a flag (`--workers 4`), the environment, the file
//! named by `CONFIG_FILE`, the default.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ch14_bigger_application::config::{self, Config};
use clap::{CommandFactory, Parser, ValueEnum};
use ipnet::IpNet;
use kit::{ConfigError, Env, Listen};

// ANCHOR: sources
/// The variables the settings are read from: the environment's, over those of the file named by
/// `CONFIG_FILE`. Flags, stronger still, are read by [`Settings::read`].
pub fn sources(process: &Env) -> Result<Env, ConfigError> {
    let keys = keys();
    let mut merged = BTreeMap::new();
    if let Some(path) = process.get("CONFIG_FILE").filter(|path| !path.is_empty()) {
        let cannot = |err| ConfigError::new("CONFIG_FILE", format!("cannot read {path}: {err}"));
        for line in dotenvy::from_path_iter(&path).map_err(cannot)? {
            let (key, value) = line.map_err(cannot)?;
            if !keys.contains(&key) {
                let known = keys.join(", ");
                let problem = format!("is not a setting (in {path}); the settings are {known}");
                return Err(ConfigError::new(key, problem));
            }
            if merged.insert(key.clone(), value).is_some() {
                return Err(ConfigError::new(key, format!("is set twice in {path}")));
            }
        }
    }
    for key in keys {
        if let Some(value) = process.get(&key) {
            merged.insert(key, value);
        }
    }
    Ok(Env::from_pairs(merged))
}
// ANCHOR_END: sources

// ANCHOR: keys
/// The variables of the settings, as `--help` lists their flags. The file may set nothing else,
/// so that a typo (`DATABSE_URL`) is not silently ignored.
pub fn keys() -> Vec<String> {
    let command = Settings::command();
    let keys = command
        .get_arguments()
        .filter_map(|arg| arg.get_env()?.to_str());
    keys.map(str::to_owned).collect()
}
// ANCHOR_END: keys

// ANCHOR: settings
/// Every setting of the deployed service: chapter 14's, then how it runs. Each one is a flag,
/// and the variable its `env` names.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ch16-deployment",
    about = "Runs chapter 16's service: every flag can also be \
    set by its variable (--workers, WORKERS), in the environment or the file named by CONFIG_FILE."
)]
pub struct Settings {
    /// Chapter 14's settings, checked by [`Settings::config`] when the app is built.
    #[command(flatten)]
    pub app: config::Settings,
    /// `HOST` (default `127.0.0.1`), `PORT` (default `8000`); in a container,
    /// `HOST=0.0.0.0`. And how long a client has to send a request (see
    /// `kit::serve::ReadTimeouts`).
    #[command(flatten)]
    pub listen: Listen,
    /// The runtime's worker threads, uvicorn's --workers [default: one per CPU].
    #[arg(long, env = "WORKERS", value_parser = config::whole::<usize>(1, MAX_WORKERS))]
    pub workers: Option<usize>,
    /// The folder served at /static/ [default: `static` here, else the chapter's own].
    #[arg(long, env = "STATIC_DIR", value_parser = static_dir,
          default_value_os_t = default_static_dir(), hide_default_value = true)]
    pub static_dir: PathBuf,
    /// Addresses and networks (10.0.0.0/8) of the proxies whose forwarding headers are
    /// believed, separated by commas [default: none].
    #[arg(long, env = "TRUSTED_PROXIES", value_parser = trusted_proxies, default_value = "",
          hide_default_value = true)]
    pub trusted_proxies: ::std::vec::Vec<IpNet>,
    /// Which header those proxies set.
    #[arg(
        long,
        env = "PROXY_HEADER",
        value_enum,
        ignore_case = true,
        default_value = "x-forwarded-for"
    )]
    pub proxy_header: ProxyHeader,
    /// One line of text per log event, or one JSON object [default: text locally, json in dev
    /// and prod].
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text", hide_default_value = true,
          default_value_ifs = [("app_env", "dev", "json"), ("app_env", "prod", "json")])]
    pub log_format: LogFormat,
    /// Which logs are written, as `tracing`'s `EnvFilter` reads it [default: info].
    #[arg(long, env = "RUST_LOG")]
    pub rust_log: Option<String>,
}

/// The header a trusted proxy writes the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, most load balancers).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// One line of text per log event, or one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For a person reading a terminal.
    Text,
    /// For a log collector.
    Json,
}
// ANCHOR_END: settings

impl Settings {
    /// Reads every setting: its flag in `args`, else its variable in `env` (see [`sources`]),
    /// else its default; the first wrong one is an error that names it.
    pub fn read(args: &[String], env: &Env) -> Result<Self, ConfigError> {
        let settings: Self = config::read(Self::command(), args, env)?;
        if settings.listen.host.trim().is_empty() {
            return Err(ConfigError::new(
                "HOST",
                "must name an address, such as 0.0.0.0",
            ));
        }
        Ok(settings)
    }

    /// The same, from variables alone.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::read(&[], env)
    }

    /// Chapter 14's settings, checked; its default database is in this program's data folder.
    pub fn config(&self) -> Result<Config, ConfigError> {
        self.app.clone().check(env!("CARGO_PKG_NAME"))
    }
}

// ANCHOR: parsers
/// The most worker threads accepted: far more than any machine has cores.
const MAX_WORKERS: u64 = 1024;

/// Addresses and networks, separated by commas; a bare address is a network of one.
fn trusted_proxies(list: &str) -> Result<Vec<IpNet>, String> {
    let entries = list
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty());
    entries
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!("{entry:?} is not an IP address or a network such as 10.0.0.0/8")
                })
        })
        .collect()
}
// ANCHOR_END: parsers

// ANCHOR: static_dir
/// The folder of static files when `STATIC_DIR` is not set: `static` in the working directory,
/// else the `static` folder of this chapter's sources, so that `cargo run -p ch16-deployment`
/// from anywhere in the workspace finds it.
fn default_static_dir() -> PathBuf {
    match Path::new("static").is_dir() {
        true => PathBuf::from("static"),
        false => Path::new(env!("CARGO_MANIFEST_DIR")).join("static"),
    }
}

/// The folder, which must exist, made absolute with its symbolic links resolved: requests are
/// checked against it.
fn static_dir(dir: &str) -> Result<PathBuf, String> {
    match Path::new(dir).canonicalize() {
        Ok(path) if path.is_dir() => Ok(path),
        Ok(_) => Err(format!("{dir} is not a folder")),
        Err(err) => Err(format!("cannot open {dir}: {err}")),
    }
}
// ANCHOR_END: static_dir

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_env(&Env::from_pairs(pairs.to_vec()))
    }

    #[test]
    fn a_local_run_needs_no_setting() {
        let settings = settings(&[]).unwrap();
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
        let settings = Settings::from_env(&sources(&process).unwrap()).unwrap();
        let url = settings.config().unwrap().database_url;
        assert_eq!(url, "sqlite:///srv/data/ch16-deployment/ch14.db");
    }

    #[test]
    fn wrong_values_are_named() {
        let wrong = [
            ("WORKERS", "abc"),
            ("WORKERS", "0"),
            ("PORT", "80000"),
            ("HOST", " "),
            ("LOG_FORMAT", "xml"),
            ("TRUSTED_PROXIES", "10.0.0.1, nginx"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("PROXY_HEADER", "x-real-ip"),
            ("STATIC_DIR", "/no/such/folder"),
            // Chapter 14's settings are checked as chapter 14 checks them.
            ("BCRYPT_COST", "3"),
        ];
        for (key, value) in wrong {
            assert_eq!(
                settings(&[(key, value)]).unwrap_err().key,
                key,
                "{key}={value}"
            );
        }
        let err = settings(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.problem, "must be text or json (got \"xml\")");
    }

    #[test]
    fn proxies_are_addresses_or_networks_and_the_header_any_case() {
        let pairs = [
            ("TRUSTED_PROXIES", "127.0.0.1, 10.1.2.3/8 ,::1,"),
            ("PROXY_HEADER", "Forwarded"),
        ];
        let settings = settings(&pairs).unwrap();
        let shown: Vec<String> = settings
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        assert_eq!(settings.proxy_header, ProxyHeader::Forwarded);
    }

    #[test]
    fn the_log_format_follows_app_env_unless_given() {
        let format = |pairs: &[(&str, &str)]| settings(pairs).unwrap().log_format;
        assert_eq!(format(&[("APP_ENV", "local")]), LogFormat::Text);
        assert_eq!(format(&[("APP_ENV", "dev")]), LogFormat::Json);
        assert_eq!(
            format(&[("APP_ENV", "prod"), ("LOG_FORMAT", "text")]),
            LogFormat::Text
        );
        assert_eq!(format(&[("LOG_FORMAT", "json")]), LogFormat::Json);
    }
}
