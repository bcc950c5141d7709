"""Chapter 09, the FastAPI version: bcrypt password hashes and signed JWT access tokens.

    JWT_SECRET=$(openssl rand -hex 32) \
        .venv/bin/python -m uvicorn main:app --app-dir chapters/09-jwt/fastapi

Settings, read once at start:
- JWT_SECRET: the key that signs the tokens, at least 32 bytes; without it a random key is made
  (and tokens die with the process); a shorter one stops the start.
- ACCESS_TOKEN_EXPIRE_MINUTES: how long a token lives (default 30).

Fixture users: johndoe / secret (active), alice / secret2 (disabled).
"""

import logging
import os
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated

import bcrypt
import jwt
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from jwt.exceptions import InvalidTokenError
from pydantic import BaseModel, Field, field_validator

logger = logging.getLogger("uvicorn.error")


# ANCHOR: settings
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
# ANCHOR_END: settings


# ANCHOR: passwords
def verify_password(plain_password: str, hashed_password: str) -> bool:
    password = plain_password.encode()
    # bcrypt reads at most 72 bytes, and bcrypt 5 raises on more: a longer one is just wrong.
    if len(password) > 72:
        return False
    return bcrypt.checkpw(password, hashed_password.encode())


def get_password_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


# Checked for unknown users, so that they take as long as a wrong password.
DUMMY_HASH = get_password_hash(secrets.token_hex(16))
# ANCHOR_END: passwords


# ANCHOR: users
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


class Token(BaseModel):
    access_token: str
    token_type: str


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


class UserInDB(User):
    hashed_password: str


def get_user(db: dict, username: str) -> UserInDB | None:
    if username in db:
        return UserInDB(**db[username])
    return None


def authenticate_user(db: dict, username: str, password: str) -> UserInDB | None:
    user = get_user(db, username)
    if not user:
        verify_password(password, DUMMY_HASH)
        return None
    if not verify_password(password, user.hashed_password):
        return None
    return user
# ANCHOR_END: users


tags_metadata = [
    {
        "name": "auth",
        "description": "Logging in and out.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/security/oauth2-jwt/"},
    },
    {"name": "users", "description": "The user a token stands for."},
]

app = FastAPI(
    title="JWT",
    version="1.0.0",
    description="Chapter 09 of the **Poem API Workbook**: hashed passwords, signed tokens.",
    openapi_tags=tags_metadata,
)


# ANCHOR: tokens
def create_access_token(data: dict, expires_delta: timedelta) -> str:
    now = datetime.now(timezone.utc)
    to_encode = data.copy()
    # jti: each token is different, and can be revoked (exercise 2).
    to_encode.update({"iat": now, "exp": now + expires_delta, "jti": secrets.token_hex(16)})
    return jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)


class RevokedTokens:
    """The ids of tokens logged out, kept until the tokens would have expired anyway; and per
    user, the second of the last password change, before which tokens are refused."""

    def __init__(self):
        self.lock = threading.Lock()
        self.until: dict[str, float] = {}
        self.issued_until: dict[str, int] = {}

    def revoke(self, jti: str, exp: float) -> None:
        with self.lock:
            now = time.time()
            self.until = {j: e for j, e in self.until.items() if e > now}
            self.until[jti] = exp

    def revoke_issued_until_now(self, username: str) -> None:
        """`iat` counts whole seconds: wait for the next one, so that every token issued after
        the answer is newer than the change."""
        now = time.time()
        with self.lock:
            self.issued_until[username] = int(now)
        time.sleep(1 - now % 1)

    def is_revoked(self, payload: dict) -> bool:
        with self.lock:
            jti, iat = payload.get("jti"), payload.get("iat")
            until = self.issued_until.get(payload["sub"])
            before_change = until is not None and (iat is None or iat <= until)
            return (jti is not None and jti in self.until) or before_change


revoked = RevokedTokens()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

credentials_exception = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Could not validate credentials",
    headers={"WWW-Authenticate": "Bearer"},
)


async def get_current_token(token: Annotated[str, Depends(oauth2_scheme)]) -> dict:
    """The claims of a valid token: signed with our key in HS256, not expired, not revoked."""
    try:
        payload = jwt.decode(
            token,
            SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except InvalidTokenError:
        raise credentials_exception
    if revoked.is_revoked(payload):
        raise credentials_exception
    return payload


async def get_current_user(payload: Annotated[dict, Depends(get_current_token)]) -> UserInDB:
    user = get_user(fake_users_db, payload["sub"])
    if user is None:
        raise credentials_exception
    return user


async def get_current_active_user(
    current_user: Annotated[UserInDB, Depends(get_current_user)],
) -> UserInDB:
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


CurrentActiveUser = Annotated[UserInDB, Depends(get_current_active_user)]
# ANCHOR_END: tokens


# ANCHOR: login
# A plain `def`: FastAPI runs it in its threadpool, so the slow hash check blocks no one.
@app.post("/token", tags=["auth"], summary="Log in")
def login_for_access_token(
    form_data: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Trade a username and password for a signed access token."""
    user = authenticate_user(fake_users_db, form_data.username, form_data.password)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    access_token_expires = timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)
    access_token = create_access_token(data={"sub": user.username}, expires_delta=access_token_expires)
    return Token(access_token=access_token, token_type="bearer")
# ANCHOR_END: login


# ANCHOR: me
@app.get("/users/me/", tags=["users"], summary="Read the current user")
async def read_users_me(current_user: CurrentActiveUser) -> User:
    """The user the token names, without the password hash."""
    return current_user


@app.get("/users/me/items/", tags=["users"], summary="Read your items")
async def read_own_items(current_user: CurrentActiveUser):
    """The current user's items."""
    return [{"item_id": "Foo", "owner": current_user.username}]
# ANCHOR_END: me


# Exercises.


# ANCHOR: password_change
class PasswordChange(BaseModel):
    current_password: str
    new_password: str = Field(min_length=8, json_schema_extra={"format": "password"})

    @field_validator("new_password")
    @classmethod
    def fits_bcrypt(cls, value: str) -> str:
        if len(value.encode()) > 72:
            raise ValueError("the password must be at most 72 bytes (bcrypt reads no more)")
        return value


def is_secret(error: dict) -> bool:
    """Whether a validation error would show a password in its `input`."""
    named = any("password" in str(part) for part in error["loc"])
    holds = isinstance(error.get("input"), dict) and any("password" in k for k in error["input"])
    return named or holds


@app.exception_handler(RequestValidationError)
async def validation_exception_handler(request: Request, exc: RequestValidationError):
    """FastAPI's own 422, without the refused value where it is a password."""
    errors = [
        {k: v for k, v in error.items() if k != "input"} if is_secret(error) else error
        for error in exc.errors()
    ]
    return await request_validation_exception_handler(request, RequestValidationError(errors))


@app.post(
    "/users/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {"description": "Incorrect password"}},
    tags=["users"],
    summary="Change your password",
)
def change_password(change: PasswordChange, current_user: CurrentActiveUser) -> None:
    """Ask for the current password again: a stolen token must not lock the user out."""
    if not verify_password(change.current_password, current_user.hashed_password):
        raise HTTPException(status_code=400, detail="Incorrect password")
    fake_users_db[current_user.username]["hashed_password"] = get_password_hash(change.new_password)
    # Every token issued before the change stops working, this request's own included.
    revoked.revoke_issued_until_now(current_user.username)
# ANCHOR_END: password_change


# ANCHOR: logout
@app.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={400: {"description": "The token has no jti, so it cannot be revoked"}},
    tags=["auth"],
    summary="Log out",
)
async def logout(payload: Annotated[dict, Depends(get_current_token)]) -> None:
    """Revoke this token; the user's other tokens keep working. A token without a `jti` cannot
    be named in the list: say so, rather than answer 204 and leave it valid."""
    if "jti" not in payload:
        raise HTTPException(status_code=400, detail="Token cannot be revoked: it has no jti")
    revoked.revoke(payload["jti"], payload["exp"])
# ANCHOR_END: logout
