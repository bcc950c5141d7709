//! The chapter's settings, read once at start: chapter 09's key and token lifetime, and the
//! middlewares' lists.

use std::fmt;
use std::time::Duration;

use kit::{ConfigError, Env};

use crate::cors::{Cors, DEFAULT_CORS_ORIGINS};
use crate::hosts::{DEFAULT_TRUSTED_HOSTS, TrustedHosts};

/// How long a token lives when `ACCESS_TOKEN_EXPIRE_MINUTES` is not set, as in the tutorial.
const DEFAULT_EXPIRE_MINUTES: u32 = 30;

/// Logins a client may try per minute when `LOGIN_RATE_LIMIT` is not set (exercise 3).
const DEFAULT_LOGIN_RATE_LIMIT: u32 = 5;

// ANCHOR: config
/// Settings of this chapter, from the environment.
///
/// - `JWT_SECRET`, `ACCESS_TOKEN_EXPIRE_MINUTES`: as in chapter 09.
/// - `TRUSTED_HOSTS`: the host names `Host` may carry, comma-separated; `*.example.com` is any
///   subdomain of `example.com`. Default `localhost,127.0.0.1,*.example.com`.
/// - `CORS_ORIGINS`: the origins whose pages may call the service, comma-separated. Default
///   the tutorial's four; empty allows none.
/// - `LOGIN_RATE_LIMIT`: logins per client and minute before `429` (exercise 3); 0 is no
///   limit. Default 5.
#[derive(Clone)]
pub struct Config {
    /// The key that signs access tokens and checks their signature.
    pub jwt_secret: Vec<u8>,
    /// How long an access token is valid after it is issued.
    pub access_token_expire: Duration,
    /// The trusted-host middleware, with its list.
    pub trusted_hosts: TrustedHosts,
    /// The CORS middleware, with its origins.
    pub cors: Cors,
    /// Logins a client may try per minute; 0 is no limit.
    pub login_rate_limit: u32,
}

impl Config {
    /// Reads and checks the settings; a wrong one is an error that names it.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let named = |key: &'static str| move |problem: String| ConfigError::new(key, problem);
        let hosts = env.get("TRUSTED_HOSTS");
        let trusted_hosts =
            TrustedHosts::from_list(hosts.as_deref().unwrap_or(DEFAULT_TRUSTED_HOSTS))
                .map_err(named("TRUSTED_HOSTS"))?
                .except_paths(&["/health"]);
        let origins = env.get("CORS_ORIGINS");
        let cors = Cors::from_list(origins.as_deref().unwrap_or(DEFAULT_CORS_ORIGINS))
            .map_err(named("CORS_ORIGINS"))?;
        let minutes = number(
            env,
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            DEFAULT_EXPIRE_MINUTES,
            1,
        )?;
        let login_rate_limit = number(env, "LOGIN_RATE_LIMIT", DEFAULT_LOGIN_RATE_LIMIT, 0)?;
        Ok(Self {
            // Last: chapter 09's key, which warns when it makes one, and should not warn before
            // the start is refused for another setting.
            jwt_secret: ch09_jwt::config::jwt_secret(env)?,
            access_token_expire: Duration::from_secs(60 * u64::from(minutes)),
            trusted_hosts,
            cors,
            login_rate_limit,
        })
    }
}

/// A whole number setting, `min` or more.
fn number(env: &Env, key: &'static str, default: u32, min: u32) -> Result<u32, ConfigError> {
    let Some(value) = env.get(key) else {
        return Ok(default);
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| {
            ConfigError::new(
                key,
                format!("must be a whole number, {min} or more (got {value:?})"),
            )
        })
}
// ANCHOR_END: config

impl fmt::Debug for Config {
    // The key is a secret: it never goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("jwt_secret", &"[hidden]")
            .field("access_token_expire", &self.access_token_expire)
            .field("trusted_hosts", &self.trusted_hosts)
            .field("cors", &self.cors)
            .field("login_rate_limit", &self.login_rate_limit)
            .finish()
    }
}
