"""Chapter 08, the FastAPI version: the OAuth2 password flow, simply.

`POST /token` takes the username and password as a form and answers a bearer token, here the
username itself (deliberately insecure, as the tutorial: chapter 09 signs real tokens).
`GET /users/me` finds the user the token names, and refuses a disabled one.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/08-oauth2-password/fastapi

Fixture users: johndoe / secret (active), alice / secret2 (disabled).
"""

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import (
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    OAuth2PasswordRequestFormStrict,
)
from pydantic import BaseModel, EmailStr, Field

tags_metadata = [
    {
        "name": "auth",
        "description": "Logging in: a form in, a bearer token out.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/security/simple-oauth2/"},
    },
    {"name": "users", "description": "The user a token stands for."},
]

app = FastAPI(
    title="OAuth2 password flow",
    version="1.0.0",
    description="Chapter 08 of the **Poem API Workbook**: logging in with a password.",
    openapi_tags=tags_metadata,
)

# ANCHOR: users
fake_users_db = {
    "johndoe": {
        "username": "johndoe",
        "full_name": "John Doe",
        "email": "johndoe@example.com",
        "hashed_password": "fakehashedsecret",
        "disabled": False,
    },
    "alice": {
        "username": "alice",
        "full_name": "Alice Wonderson",
        "email": "alice@example.com",
        "hashed_password": "fakehashedsecret2",
        "disabled": True,
    },
}


def fake_hash_password(password: str) -> str:
    return "fakehashed" + password


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
# ANCHOR_END: users


# ANCHOR: current_user
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def fake_decode_token(token: str) -> UserInDB | None:
    # This doesn't provide any security at all: the token is the username.
    return get_user(fake_users_db, token)


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:
    user = fake_decode_token(token)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid authentication credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


async def get_current_active_user(
    current_user: Annotated[User, Depends(get_current_user)],
) -> User:
    if current_user.disabled:
        raise HTTPException(status_code=400, detail="Inactive user")
    return current_user


CurrentActiveUser = Annotated[User, Depends(get_current_active_user)]
# ANCHOR_END: current_user


# ANCHOR: token
class Token(BaseModel):
    access_token: str
    token_type: str


def log_in(form_data: OAuth2PasswordRequestForm) -> Token:
    user = get_user(fake_users_db, form_data.username)
    if not user or fake_hash_password(form_data.password) != user.hashed_password:
        raise HTTPException(status_code=400, detail="Incorrect username or password")
    return Token(access_token=user.username, token_type="bearer")


@app.post("/token", tags=["auth"], summary="Log in")
async def login(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Trade a username and password for a bearer token; `grant_type`, if sent, is `password`."""
    return log_in(form_data)


@app.post("/token-strict", tags=["auth"], summary="Log in, strictly")
async def login_strict(
    form_data: Annotated[OAuth2PasswordRequestFormStrict, Depends()],
) -> Token:
    """The same login, with `grant_type=password` required, as RFC 6749 says."""
    return log_in(form_data)
# ANCHOR_END: token


# ANCHOR: me
@app.get("/users/me", tags=["users"], summary="Read the current user")
async def read_users_me(current_user: CurrentActiveUser) -> User:
    """The user the token names, without the password hash; a disabled user is a 400."""
    return current_user
# ANCHOR_END: me


# Exercises.


# ANCHOR: items
@app.get("/users/me/items/", tags=["users"], summary="Read your items")
async def read_own_items(current_user: CurrentActiveUser):
    """The current user's items."""
    return [{"item_id": "Foo", "owner": current_user.username}]
# ANCHOR_END: items


# ANCHOR: signup
class UserIn(BaseModel):
    username: str = Field(min_length=3, max_length=32, pattern=r"^[a-z0-9._-]+$")
    password: str = Field(min_length=8, json_schema_extra={"format": "password"})
    email: EmailStr | None = None
    full_name: str | None = None


@app.post("/users/", status_code=status.HTTP_201_CREATED, tags=["users"], summary="Sign up")
async def create_user(user_in: UserIn) -> User:
    """A new user, who can then log in; a taken username is a 409."""
    # No await between the check and the insert: no other request can slip in between.
    if user_in.username in fake_users_db:
        raise HTTPException(status_code=409, detail="Username already registered")
    user = UserInDB(
        **user_in.model_dump(exclude={"password"}),
        hashed_password=fake_hash_password(user_in.password),
        disabled=False,
    )
    fake_users_db[user.username] = user.model_dump()
    return user
# ANCHOR_END: signup
