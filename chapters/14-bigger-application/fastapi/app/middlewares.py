"""What runs around every request: the trusted-host check and the access log."""

import json
import logging
import sys
import time
from collections.abc import Callable, Collection

from fastapi import FastAPI, Request

from .errors import AppError


# ANCHOR: trusted_hosts
def host_name(host_header: str) -> str:
    """The name in a `Host` header, without its port, in lower case."""
    if host_header.startswith("["):  # an IPv6 address: [::1]:8000
        return host_header.partition("]")[0] + "]"
    return host_header.partition(":")[0].lower()


def is_trusted(name: str, trusted: list[str]) -> bool:
    for pattern in trusted:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]) and len(name) >= len(pattern):
            return True
    return False


def add_trusted_hosts(app: FastAPI, trusted: list[str], except_paths: Collection[str] = ()):
    """Starlette's TrustedHostMiddleware answers in plain text, with no except list: this one
    answers the service's JSON error, and lets orchestrators' probes (chapter 16) through."""

    @app.middleware("http")
    async def trusted_host(request: Request, call_next):
        if request.url.path not in except_paths:
            if not is_trusted(host_name(request.headers.get("host", "")), trusted):
                return AppError.INVALID_HOST.response()
        return await call_next(request)
# ANCHOR_END: trusted_hosts


# ANCHOR: access_log
access_logger = logging.getLogger("access")
access_logger.setLevel(logging.INFO)
access_logger.propagate = False
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("%(message)s"))
access_logger.addHandler(_handler)


def add_access_log(
    app: FastAPI, log_format: str, skip: Callable[[Request], bool] = lambda _: False
):
    """One line per request, key=value for a person or JSON for a log collector."""

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        if skip(request):
            return response
        fields = {
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "duration": round(time.perf_counter() - start, 6),
            "client": request.client.host if request.client else None,
            **getattr(request.state, "log_fields", {}),
        }
        if log_format == "json":
            access_logger.info(json.dumps(fields))
        else:
            access_logger.info(" ".join(f"{key}={value}" for key, value in fields.items()))
        return response
# ANCHOR_END: access_log
