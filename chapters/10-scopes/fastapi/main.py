"""Chapter 10, the FastAPI version: OAuth2 scopes.

A login asks for scopes and gets those the user holds; the token carries them; each operation
names the scopes it needs with `Security(..., scopes=[...])`, which both checks them and puts
them in the OpenAPI document.

    JWT_SECRET=$(openssl rand -hex 32) \
        .venv/bin/python -m uvicorn main:app --app-dir chapters/10-scopes/fastapi

JWT_SECRET and ACCESS_TOKEN_EXPIRE_MINUTES as in chapter 09. Fixture users: johndoe / secret
(holds me, items, items:write), alice / secret2 (holds me; disabled).
"""

import logging
import os
import secrets
from datetime import datetime, timedelta, timezone
from typing import Annotated

import bcrypt
import jwt
from fastapi import Depends, FastAPI, HTTPException, Security, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm, SecurityScopes
from jwt.exceptions import InvalidTokenError
from pydantic import BaseModel, Field, ValidationError

logger = logging.getLogger("uvicorn.error")


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


def verify_password(plain_password: str, hashed_password: str) -> bool:
    password = plain_password.encode()
    if len(password) > 72:  # bcrypt reads at most 72 bytes, and bcrypt 5 raises on more
        return False
    return bcrypt.checkpw(password, hashed_password.encode())


DUMMY_HASH = bcrypt.hashpw(secrets.token_hex(16).encode(), bcrypt.gensalt(rounds=12)).decode()


# ANCHOR: users
fake_users_db = {
    "johndoe": {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "hashed_password": "$2b$12$jNuFDjVo1.Fexe95R9Znmuxc3feXTHHVVbMkBGBpI0cyQODjucANO",
        "disabled": False,
        "scopes": ["me", "items", "items:write"],
    },
    "alice": {
        "username": "alice",
        "full_name": "Alice Wonderson",
        "email": "alice@example.com",
        "hashed_password": "$2b$12$BAKtBpmDmm/qJsANnaI/geoKwlRpWzz8xa5Wic3.5FaulZ7d8pNTi",
        "disabled": True,
        "scopes": ["me"],
    },
}


class Token(BaseModel):
    access_token: str
    token_type: str
    scope: str


class TokenData(BaseModel):
    username: str
    scopes: list[str] = []


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


class UserInDB(User):
    hashed_password: str
    scopes: list[str]


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
        "description": "Logging in: a username, a password and the scopes asked for.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/advanced/security/oauth2-scopes/"},
    },
    {"name": "users", "description": "The logged-in user and what they own."},
    {"name": "exercises", "description": "A scope to write, and a scope nobody holds."},
]

app = FastAPI(
    title="Scopes",
    version="1.0.0",
    description="Chapter 10 of the **Poem API Workbook**: what a token may do.",
    openapi_tags=tags_metadata,
)


# ANCHOR: scheme
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="token",
    scopes={
        "me": "Read information about the current user.",
        "items": "Read items.",
        "items:write": "Create items.",
        "admin": "Manage users.",
    },
)
# ANCHOR_END: scheme


# ANCHOR: login
def create_access_token(data: dict, expires_delta: timedelta) -> str:
    now = datetime.now(timezone.utc)
    to_encode = data.copy()
    to_encode.update({"iat": now, "exp": now + expires_delta})
    return jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)


@app.post("/token", tags=["auth"], summary="Log in, asking for scopes")
def login_for_access_token(
    form_data: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """A token with the scopes asked for that the user holds, in the order asked."""
    user = authenticate_user(fake_users_db, form_data.username, form_data.password)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # Grant only what the user holds: never copy form_data.scopes into the token.
    granted = [scope for scope in dict.fromkeys(form_data.scopes) if scope in user.scopes]
    access_token = create_access_token(
        data={"sub": user.username, "scopes": granted},
        expires_delta=timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES),
    )
    return Token(access_token=access_token, token_type="bearer", scope=" ".join(granted))
# ANCHOR_END: login


# ANCHOR: current_user
async def get_current_user(
    security_scopes: SecurityScopes,
    token: Annotated[str, Depends(oauth2_scheme)],
) -> UserInDB:
    if security_scopes.scopes:
        authenticate_value = f'Bearer scope="{security_scopes.scope_str}"'
    else:
        authenticate_value = "Bearer"
    credentials_exception = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": authenticate_value},
    )
    try:
        payload = jwt.decode(
            token,
            SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
        token_data = TokenData(username=payload["sub"], scopes=payload.get("scopes", []))
    except (InvalidTokenError, ValidationError):
        raise credentials_exception
    user = get_user(fake_users_db, username=token_data.username)
    if user is None:
        raise credentials_exception
    for scope in security_scopes.scopes:
        # The token must carry the scope, and the user must still hold it.
        if scope not in token_data.scopes or scope not in user.scopes:
            raise HTTPException(
                status_code=status.HTTP_401_UNAUTHORIZED,
                detail="Not enough permissions",
                headers={"WWW-Authenticate": authenticate_value},
            )
    return user


async def get_current_active_user(
    current_user: Annotated[UserInDB, Security(get_current_user, scopes=["me"])],
) -> UserInDB:
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user
# ANCHOR_END: current_user


# ANCHOR: operations
@app.get("/users/me/", tags=["users"], summary="Read the current user")
async def read_users_me(
    current_user: Annotated[UserInDB, Depends(get_current_active_user)],
) -> User:
    """Needs the scope `me`."""
    return current_user


@app.get("/users/me/items/", tags=["users"], summary="Read your items")
async def read_own_items(
    current_user: Annotated[UserInDB, Security(get_current_active_user, scopes=["items"])],
):
    """Needs the scopes `me` and `items`."""
    return [{"item_id": "Foo", "owner": current_user.username}]


@app.get("/status/", tags=["users"], summary="Check a token")
async def read_system_status(current_user: Annotated[UserInDB, Depends(get_current_user)]):
    """Needs a valid token and no scope, even a disabled user's."""
    return {"status": "ok"}
# ANCHOR_END: operations


# Exercises.


# ANCHOR: items_write
class ItemIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=50)


@app.post("/items/", status_code=status.HTTP_201_CREATED, tags=["exercises"], summary="Create an item")
async def create_item(
    item: ItemIn,
    current_user: Annotated[UserInDB, Security(get_current_active_user, scopes=["items:write"])],
):
    """Needs the scopes `me` and `items:write`: reading items is not writing them."""
    return {"item_id": item.item_id, "owner": current_user.username}
# ANCHOR_END: items_write


# ANCHOR: admin
async def get_current_admin(
    current_user: Annotated[UserInDB, Security(get_current_user, scopes=["admin"])],
) -> UserInDB:
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


@app.get("/admin/users/", tags=["exercises"], summary="List the users")
async def read_users(_admin: Annotated[UserInDB, Depends(get_current_admin)]) -> list[User]:
    """Needs the scope `admin`, which nobody holds: closed until someone is given it."""
    return [User(**user) for user in fake_users_db.values()]
# ANCHOR_END: admin
