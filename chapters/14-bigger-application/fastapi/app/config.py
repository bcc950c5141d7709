"""The service's settings: read once from the environment at start, checked, and handed to
`create_app`. Nothing else reads the environment.

`APP_ENV` (`local`, `dev` or `prod`) picks the defaults; each setting can still be given.
"""

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.engine import URL, make_url


class ConfigError(Exception):
    """A setting that is wrong: the message starts with its name."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


# ANCHOR: app_env
class AppEnv(Enum):
    LOCAL = "local"  # a developer's machine: docs, text logs, a random JWT key if none given
    DEV = "dev"  # a shared test server: docs, JSON logs, every secret given
    PROD = "prod"  # production: no docs, JSON logs, every secret and host given

    @property
    def default_trusted_hosts(self) -> str | None:
        return {
            AppEnv.LOCAL: "localhost,127.0.0.1,[::1]",
            AppEnv.DEV: "localhost,127.0.0.1,*.dev.example.com",
            AppEnv.PROD: None,  # no guess to make: TRUSTED_HOSTS is required
        }[self]

    @property
    def default_log_format(self) -> str:
        return "text" if self is AppEnv.LOCAL else "json"
# ANCHOR_END: app_env


# ANCHOR: settings
@dataclass(frozen=True)
class Settings:
    app_env: AppEnv
    database_url: URL
    jwt_secret: str
    access_token_expire_minutes: int
    bcrypt_cost: int
    trusted_hosts: list[str]
    log_format: str
    # Failed logins per account and per client address, and sign-ups per address, within a
    # window (`limits.py`); 0 switches a limit off.
    login_max_failures_per_account: int
    login_max_failures_per_address: int
    register_max_per_address: int
    limit_window_secs: int
    # FastAPI(openapi_url=None) in production: the API's map is not published.
    openapi_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Reads and checks every setting; the first wrong one is a ConfigError naming it."""
        try:
            app_env = AppEnv(env.get("APP_ENV", "local"))
        except ValueError:
            raise ConfigError("APP_ENV", f"must be local, dev or prod (got {env['APP_ENV']!r})")
        return cls(
            app_env=app_env,
            database_url=database_url(env, app_env),
            jwt_secret=jwt_secret(env, app_env),
            access_token_expire_minutes=integer(env, "ACCESS_TOKEN_EXPIRE_MINUTES", 30, 1, 10_080),
            bcrypt_cost=integer(env, "BCRYPT_COST", 12, 10 if app_env is AppEnv.PROD else 4, 31),
            trusted_hosts=trusted_hosts(env, app_env),
            log_format=log_format(env, app_env),
            login_max_failures_per_account=integer(
                env, "LOGIN_MAX_FAILURES_PER_ACCOUNT", 10, 0, 1_000_000
            ),
            login_max_failures_per_address=integer(
                env, "LOGIN_MAX_FAILURES_PER_ADDRESS", 100, 0, 1_000_000
            ),
            register_max_per_address=integer(env, "REGISTER_MAX_PER_ADDRESS", 100, 0, 1_000_000),
            limit_window_secs=integer(env, "LIMIT_WINDOW_SECS", 900, 1, 86_400),
            openapi_url=None if app_env is AppEnv.PROD else "/openapi.json",
        )
# ANCHOR_END: settings


def integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(name, f"must be an integer from {low} to {high} (got {value!r})")
    if not low <= number <= high:
        raise ConfigError(name, f"must be from {low} to {high} (got {number})")
    return number


# ANCHOR: database_url
def sqlalchemy_url(url: str) -> URL:
    """The workbook's DATABASE_URL (sqlx's form) as SQLAlchemy names the same database."""
    if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
        # sqlx's sqlite://ch14.db is a file in the current folder; SQLAlchemy wants three
        # slashes. sqlx's own options (?mode=rwc) are dropped.
        return make_url("sqlite:///" + url.removeprefix("sqlite://").partition("?")[0])
    parsed = make_url(url)
    match parsed.drivername:
        case "postgres" | "postgresql":
            return parsed.set(drivername="postgresql+psycopg")
        case "mysql" | "mariadb":
            return parsed.set(drivername="mysql+pymysql").update_query_dict({"charset": "utf8mb4"})
        case _:
            return parsed


def database_url(env: Mapping[str, str], app_env: AppEnv) -> URL:
    url = env.get("DATABASE_URL")
    if url is None:
        if app_env is AppEnv.PROD:
            raise ConfigError("DATABASE_URL", "must be set when APP_ENV=prod")
        url = "sqlite://ch14.db"
    try:
        parsed = sqlalchemy_url(url)
    except Exception:
        raise ConfigError("DATABASE_URL", "is not a database URL")
    if parsed.get_backend_name() not in {"sqlite", "postgresql", "mysql"}:
        raise ConfigError("DATABASE_URL", "must start with sqlite://, postgres:// or mysql://")
    return parsed
# ANCHOR_END: database_url


def jwt_secret(env: Mapping[str, str], app_env: AppEnv) -> str:
    secret = env.get("JWT_SECRET")
    if secret is None:
        if app_env is not AppEnv.LOCAL:
            raise ConfigError("JWT_SECRET", f"must be set when APP_ENV={app_env.value}")
        # Locally only: tokens die with the process.
        return secrets.token_hex(32)
    if len(secret.encode()) < 32:
        raise ConfigError(
            "JWT_SECRET", f"must be at least 32 bytes (got {len(secret.encode())})"
        )
    return secret


def trusted_hosts(env: Mapping[str, str], app_env: AppEnv) -> list[str]:
    value = env.get("TRUSTED_HOSTS", app_env.default_trusted_hosts)
    if value is None:
        raise ConfigError("TRUSTED_HOSTS", "must be set when APP_ENV=prod")
    hosts = [host.strip().lower() for host in value.split(",") if host.strip()]
    if not hosts:
        raise ConfigError("TRUSTED_HOSTS", "names no host")
    return hosts


def log_format(env: Mapping[str, str], app_env: AppEnv) -> str:
    value = env.get("LOG_FORMAT", app_env.default_log_format)
    if value not in {"text", "json"}:
        raise ConfigError("LOG_FORMAT", f"must be text or json (got {value!r})")
    return value
