"""Chapter 11, the FastAPI version: middleware.

What runs around every request, outermost first:

    request id → access log → security headers → process time → trusted host → CORS
    → login limit → token gate → catch exceptions → the operations

In Starlette each `add_middleware` (and each `@app.middleware("http")`) wraps everything added
before it, so this file adds them innermost first, from the exception catcher out to the request id.

    JWT_SECRET=$(openssl rand -hex 32) \
        .venv/bin/python -m uvicorn main:app --app-dir chapters/11-middleware/fastapi

Settings, read once at start: JWT_SECRET and ACCESS_TOKEN_EXPIRE_MINUTES (as in chapter 09);
TRUSTED_HOSTS (comma-separated; `*.example.com` is any subdomain); CORS_ORIGINS
(comma-separated); LOGIN_RATE_LIMIT (logins per client and minute, default 5, 0 for none);
LOG_FORMAT (`json` for JSON access-log lines).
"""

import json
import logging
import math
import os
import re
import secrets
import sys
import time
import uuid
from collections import defaultdict, deque
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Annotated
from urllib.parse import parse_qs

import bcrypt
import jwt
from fastapi import Depends, FastAPI, Request, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from fastapi.security.utils import get_authorization_scheme_param
from jwt.exceptions import InvalidTokenError
from pydantic import BaseModel

logger = logging.getLogger("uvicorn.error")


# ANCHOR: settings
def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def load_secret_key() -> str:
    secret = os.environ.get("JWT_SECRET")
    if secret is None:
        logger.warning(
            "JWT_SECRET is not set: signing tokens with a random key made at start; "
            "they stop working when the process stops"
        )
        return secrets.token_hex(32)
    if len(secret.encode()) < 32:
        raise SystemExit(
            f"JWT_SECRET: must be at least 32 bytes (got {len(secret.encode())}); "
            "make one with `openssl rand -hex 32`, or unset it to get a random key"
        )
    return secret


SECRET_KEY = load_secret_key()
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = int(os.environ.get("ACCESS_TOKEN_EXPIRE_MINUTES", "30"))
TRUSTED_HOSTS = env_list("TRUSTED_HOSTS", "localhost,127.0.0.1,*.example.com")
CORS_ORIGINS = env_list(
    "CORS_ORIGINS",
    "http://localhost.tiangolo.com,https://localhost.tiangolo.com,"
    "http://localhost,http://localhost:8080",
)
HOST_CHECK_EXCEPT_PATHS = {"/health"}
LOGIN_RATE_LIMIT = int(os.environ.get("LOGIN_RATE_LIMIT", "5"))
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
# ANCHOR_END: settings


# ANCHOR: registry
class ApiError(Enum):
    """Every error of this chapter: status, code and message, in one place."""

    NOT_AUTHENTICATED = (401, "not_authenticated", "Not authenticated")
    INVALID_TOKEN = (401, "invalid_token", "Could not validate credentials")
    INCORRECT_LOGIN = (401, "incorrect_login", "Incorrect username or password")
    INACTIVE_USER = (400, "inactive_user", "Inactive user")
    INVALID_HOST = (400, "invalid_host", "Invalid host header")
    TOO_MANY_LOGIN_ATTEMPTS = (429, "too_many_login_attempts", "Too many login attempts")
    INTERNAL = (500, "internal", "Internal Server Error")

    def __init__(self, status_code: int, code: str, message: str):
        self.status_code = status_code
        self.code = code
        self.message = message

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """The answer: `{"detail": message}`, the code in `X-Error-Code`."""
        headers = {"X-Error-Code": self.code, **(headers or {})}
        if self.status_code == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        return JSONResponse({"detail": self.message}, status_code=self.status_code, headers=headers)


class ApiException(Exception):
    """Raised by an operation; a middleware returns `error.response()` instead."""

    def __init__(self, error: ApiError, headers: dict[str, str] | None = None):
        self.error = error
        self.headers = headers
# ANCHOR_END: registry


# ANCHOR: users
def verify_password(plain_password: str, hashed_password: str) -> bool:
    password = plain_password.encode()
    if len(password) > 72:  # bcrypt reads at most 72 bytes, and bcrypt 5 raises on more
        return False
    return bcrypt.checkpw(password, hashed_password.encode())


DUMMY_HASH = bcrypt.hashpw(secrets.token_hex(16).encode(), bcrypt.gensalt(rounds=12)).decode()

fake_users_db = {
    "johndoe": {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "hashed_password": "$2b$12$jNuFDjVo1.Fexe95R9Znmuxc3feXTHHVVbMkBGBpI0cyQODjucANO",
        "disabled": False,
    },
    "alice": {
        "username": "alice",
        "full_name": "Alice Wonderson",
        "email": "alice@example.com",
        "hashed_password": "$2b$12$BAKtBpmDmm/qJsANnaI/geoKwlRpWzz8xa5Wic3.5FaulZ7d8pNTi",
        "disabled": True,
    },
}


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


class UserInDB(User):
    hashed_password: str


def get_user(username: str) -> UserInDB | None:
    if username in fake_users_db:
        return UserInDB(**fake_users_db[username])
    return None


def authenticate_user(username: str, password: str) -> UserInDB | None:
    user = get_user(username)
    if not user:
        verify_password(password, DUMMY_HASH)
        return None
    if not verify_password(password, user.hashed_password):
        return None
    return user


def create_access_token(username: str) -> str:
    now = datetime.now(timezone.utc)
    expire = now + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    return jwt.encode({"sub": username, "iat": now, "exp": expire}, SECRET_KEY, algorithm=ALGORITHM)
# ANCHOR_END: users


tags_metadata = [
    {
        "name": "auth",
        "description": "Logging in, for a token that opens `/api/`.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/middleware/"},
    },
    {"name": "api", "description": "Behind the token gate."},
    {"name": "ops", "description": "For orchestrators and for tests."},
]

app = FastAPI(
    title="Middleware",
    version="1.0.0",
    description="""
Chapter 11 of the **Poem API Workbook**: what runs around every request.

* every answer says how long it took, in `X-Process-Time` (seconds);
* the `Host` must be a trusted one, except for `/health`;
* pages from a few origins may call the service from a browser (CORS);
* everything under `/api/` needs a token from `POST /token` (try **Authorize**);
* each request is a line in the access log.
""",
    openapi_tags=tags_metadata,
)


# ANCHOR: handlers
@app.exception_handler(ApiException)
async def api_exception_handler(request: Request, exc: ApiException):
    return exc.error.response(exc.headers)
# ANCHOR_END: handlers


# ANCHOR: operations
class Token(BaseModel):
    access_token: str
    token_type: str


# The gate does the checking; this only tells the document (and Authorize) about the scheme.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


@app.post("/token", tags=["auth"], summary="Log in")
def login_for_access_token(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Trade a username and password for a signed access token, as in chapter 09."""
    user = authenticate_user(form_data.username, form_data.password)
    if not user:
        raise ApiException(ApiError.INCORRECT_LOGIN)
    return Token(access_token=create_access_token(user.username), token_type="bearer")


@app.get("/api/whoami", dependencies=[Security(oauth2_scheme)], tags=["api"], summary="Who am I?")
async def read_whoami(request: Request):
    """The user the token gate attached to the request."""
    return {"username": request.state.user.username}


@app.get("/health", tags=["ops"], summary="Liveness")
async def health():
    """Answers whatever the `Host`: orchestrators probe by address."""
    return {"status": "ok"}


@app.get("/boom", tags=["ops"], summary="Fail on purpose")
async def boom():
    """Raises: the answer is a plain 500, and the server keeps serving."""
    raise RuntimeError("boom: a handler failed on purpose")
# ANCHOR_END: operations


# The middlewares, innermost first.


# ANCHOR: catch_exceptions
@app.middleware("http")
async def catch_exceptions(request: Request, call_next):
    """An exception in an operation becomes the registry's 500 here, inside the stack, so that
    every layer around it (process time, CORS, ...) sees an answer. Left to
    `@app.exception_handler(Exception)`, it would be answered by Starlette's outermost layer,
    past all of them, and uvicorn would then close the connection."""
    try:
        return await call_next(request)
    except Exception:
        logger.exception("%s %s failed", request.method, request.url.path)
        return ApiError.INTERNAL.response()
# ANCHOR_END: catch_exceptions


# ANCHOR: token_gate
@app.middleware("http")
async def token_gate(request: Request, call_next):
    """Every path under /api/ needs a valid token; the user goes on `request.state.user`."""
    if request.url.path.startswith("/api/"):
        scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not token:
            return ApiError.NOT_AUTHENTICATED.response()
        try:
            payload = jwt.decode(
                token, SECRET_KEY, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except InvalidTokenError:
            return ApiError.INVALID_TOKEN.response()
        user = get_user(payload["sub"])
        if user is None:
            return ApiError.INVALID_TOKEN.response()
        if user.disabled:
            return ApiError.INACTIVE_USER.response()
        request.state.user = user
    return await call_next(request)
# ANCHOR_END: token_gate


# ANCHOR: login_limit
# Per client, its attempts of the last minute: (when, the user name tried, if readable).
login_attempts: dict[str, deque[tuple[float, str | None]]] = defaultdict(deque)


@app.middleware("http")
async def limit_logins(request: Request, call_next):
    """Exercise 3: at most LOGIN_RATE_LIMIT logins per client and minute; a success forgives
    the attempts for its own user name only."""
    if LOGIN_RATE_LIMIT <= 0 or request.method != "POST" or request.url.path != "/token":
        return await call_next(request)
    client = request.client.host if request.client else "unknown"
    now = time.monotonic()
    attempts = login_attempts[client]
    while attempts and attempts[0][0] <= now - 60:
        attempts.popleft()
    if len(attempts) >= LOGIN_RATE_LIMIT:
        retry_after = max(1, math.ceil(attempts[0][0] + 60 - now))
        return ApiError.TOO_MANY_LOGIN_ATTEMPTS.response({"Retry-After": str(retry_after)})
    user = None
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        # Starlette keeps the body it read for the handler.
        user = parse_qs((await request.body()).decode(errors="replace")).get("username", [None])[-1]
    # Counted when it starts: guesses sent all at once are counted all the same.
    attempts.append((now, user))
    response = await call_next(request)
    if response.status_code == 200 and user is not None:
        login_attempts[client] = deque(a for a in attempts if a[1] != user)
    return response
# ANCHOR_END: login_limit


# ANCHOR: cors
app.add_middleware(
    CORSMiddleware,
    allow_origins=CORS_ORIGINS,
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)
# ANCHOR_END: cors


# ANCHOR: trusted_host
def host_name(host_header: str) -> str:
    """The name in a `Host` header, without its port, in lower case."""
    if host_header.startswith("["):  # an IPv6 address: [::1]:8000
        return host_header.partition("]")[0] + "]"
    return host_header.partition(":")[0].lower()


def is_trusted(name: str) -> bool:
    for pattern in TRUSTED_HOSTS:
        if pattern.startswith("*."):
            if name.endswith(pattern[1:]) and len(name) > len(pattern) - 1:
                return True
        elif name == pattern.lower():
            return True
    return False


@app.middleware("http")
async def trusted_host(request: Request, call_next):
    """Starlette's TrustedHostMiddleware, with an except list and a JSON refusal."""
    if request.url.path not in HOST_CHECK_EXCEPT_PATHS:
        if not is_trusted(host_name(request.headers.get("host", ""))):
            return ApiError.INVALID_HOST.response()
    return await call_next(request)
# ANCHOR_END: trusted_host


# ANCHOR: process_time
@app.middleware("http")
async def add_process_time_header(request: Request, call_next):
    start_time = time.perf_counter()
    response = await call_next(request)
    process_time = time.perf_counter() - start_time
    response.headers["X-Process-Time"] = f"{process_time:.6f}"
    return response
# ANCHOR_END: process_time


# ANCHOR: security_headers
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@app.middleware("http")
async def add_security_headers(request: Request, call_next):
    """Exercise 2: on every answer, refusals of the host check included."""
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response
# ANCHOR_END: security_headers


# ANCHOR: access_log
access_logger = logging.getLogger("access")
access_logger.setLevel(logging.INFO)
access_logger.propagate = False
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("%(message)s"))
access_logger.addHandler(_handler)


@app.middleware("http")
async def access_log(request: Request, call_next):
    """One structured line per request, with the final status."""
    start_time = time.perf_counter()
    response = await call_next(request)
    fields = {
        "method": request.method,
        "path": request.url.path,
        "status": response.status_code,
        "duration": round(time.perf_counter() - start_time, 6),
        "client": f"{request.client.host}:{request.client.port}" if request.client else None,
        "request_id": getattr(request.state, "request_id", None),
    }
    if LOG_FORMAT == "json":
        access_logger.info(json.dumps(fields))
    else:
        access_logger.info(" ".join(f"{key}={value}" for key, value in fields.items()))
    return response
# ANCHOR_END: access_log


# ANCHOR: request_id
PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@app.middleware("http")
async def add_request_id(request: Request, call_next):
    """Exercise 1: keep the client's plain X-Request-Id, else make one; the log shows it too."""
    sent = request.headers.get("x-request-id", "")
    request_id = sent if PLAIN_ID.fullmatch(sent) else str(uuid.uuid4())
    request.state.request_id = request_id
    response = await call_next(request)
    response.headers["X-Request-Id"] = request_id
    return response
# ANCHOR_END: request_id
