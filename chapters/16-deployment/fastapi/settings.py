"""The deployed service's settings: from the environment and an optional file, checked before
anything listens; a wrong one stops the start with a message that names it.

Where a value comes from, strongest first: a command-line flag (`--host`, `--port`,
`--workers`), the environment, the file named by CONFIG_FILE (`KEY=VALUE` lines, `#`
comments), the default.
"""

import ipaddress
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Chapter 14's service, which this chapter deploys, is imported from its folder.
CHAPTER_14 = HERE.parents[1] / "14-bigger-application" / "fastapi"
if str(CHAPTER_14) not in sys.path:
    sys.path.append(str(CHAPTER_14))

from app.config import ConfigError  # noqa: E402
from app.config import Settings as AppSettings  # noqa: E402

# ANCHOR: keys
# Every setting there is: chapter 14's, then the deployment's own. A file that sets anything
# else is refused, so that a typo (DATABSE_URL) is not silently ignored.
KEYS = {
    "APP_ENV",
    "DATABASE_URL",
    "JWT_SECRET",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "BCRYPT_COST",
    "TRUSTED_HOSTS",
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "REGISTER_MAX_PER_ADDRESS",
    "LIMIT_WINDOW_SECS",
    "LOG_FORMAT",
    "HOST",
    "PORT",
    "WORKERS",
    "STATIC_DIR",
    "TRUSTED_PROXIES",
}
# ANCHOR_END: keys


# ANCHOR: sources
def read_config_file(path: str) -> dict[str, str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError("CONFIG_FILE", f"cannot read {path}: {err.strerror}")
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals:
            raise ConfigError("CONFIG_FILE", f"{path}, line {number}: not KEY=VALUE")
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(key, f"not a setting ({path}, line {number}); known: {known}")
        values[key] = value.strip().strip('"')
    return values


def sources(environ: Mapping[str, str], flags: Mapping[str, str]) -> dict[str, str]:
    """Every setting given, merged: the file, then the environment over it, then the flags."""
    merged = read_config_file(environ["CONFIG_FILE"]) if "CONFIG_FILE" in environ else {}
    merged.update({key: value for key, value in environ.items() if key in KEYS})
    merged.update(flags)
    if merged.get("APP_ENV", "local") != "prod":
        # This chapter's own database, beside chapter 14's default.
        merged.setdefault("DATABASE_URL", "sqlite://ch16.db")
    return merged
# ANCHOR_END: sources


# ANCHOR: settings
@dataclass(frozen=True)
class Settings:
    app: AppSettings  # chapter 14's settings, from the same sources
    host: str
    port: int
    workers: int  # uvicorn's --workers: processes, each with the whole app
    static_dir: Path
    trusted_proxies: list[str]  # addresses and networks whose X-Forwarded-For is believed

    @classmethod
    def load(cls, environ: Mapping[str, str] = os.environ, flags: Mapping[str, str] = {}):
        values = sources(environ, flags)
        return cls(
            app=AppSettings.from_env(values),
            host=values.get("HOST", "127.0.0.1"),
            port=number(values, "PORT", 8000, 0, 65_535),
            workers=number(values, "WORKERS", 1, 1, 256),
            static_dir=static_dir(values),
            trusted_proxies=trusted_proxies(values),
        )
# ANCHOR_END: settings


def number(values: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = values.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(name, f"must be a whole number from {low} to {high} (got {value!r})")
    return int(value)


def static_dir(values: Mapping[str, str]) -> Path:
    # By default the Rust chapter's folder, beside this one: one set of files for both.
    folder = Path(values.get("STATIC_DIR", HERE.parent / "static"))
    if not folder.is_dir():
        raise ConfigError("STATIC_DIR", f"{folder} is not a folder")
    return folder.resolve()


def trusted_proxies(values: Mapping[str, str]) -> list[str]:
    proxies = [item.strip() for item in values.get("TRUSTED_PROXIES", "").split(",")]
    for proxy in filter(None, proxies):
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                "TRUSTED_PROXIES",
                f"{proxy!r} is not an IP address or network (names are not resolved)",
            )
    return [proxy for proxy in proxies if proxy]
