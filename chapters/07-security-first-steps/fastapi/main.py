"""Chapter 07, the FastAPI version: security first steps.

An OAuth2 bearer scheme (password flow, token URL `token`), HTTP Basic, an API key, and the
401s that tell a client how to authenticate.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/07-security-first-steps/fastapi
"""

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Security, status
from fastapi.security import (
    APIKeyHeader,
    HTTPBasic,
    HTTPBasicCredentials,
    OAuth2PasswordBearer,
)
from pydantic import BaseModel

tags_metadata = [
    {
        "name": "bearer",
        "description": "Operations behind an OAuth2 bearer token.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/security/first-steps/"},
    },
    {"name": "basic", "description": "Operations behind HTTP Basic."},
    {"name": "exercises", "description": "An API key, and a choice of two schemes."},
]

app = FastAPI(
    title="Security first steps",
    version="1.0.0",
    description="Chapter 07 of the **Poem API Workbook**: who is calling?",
    openapi_tags=tags_metadata,
)


# ANCHOR: bearer
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


def fake_decode_token(token: str) -> User:
    return User(username=token + "fakedecoded", email="john@example.com", full_name="John Doe")


@app.get("/items/", tags=["bearer"], summary="Show the token")
async def read_items(token: Annotated[str, Depends(oauth2_scheme)]):
    """The bearer token the request carried."""
    return {"token": token}


async def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> User:
    return fake_decode_token(token)


@app.get("/users/me", tags=["bearer"], summary="Read the current user")
async def read_users_me(current_user: Annotated[User, Depends(get_current_user)]) -> User:
    """The user the token stands for (decoded for pretend)."""
    return current_user
# ANCHOR_END: bearer


# ANCHOR: basic
security = HTTPBasic()


@app.get("/basic/users/me", tags=["basic"], summary="Show the Basic credentials")
async def read_basic_user(credentials: Annotated[HTTPBasicCredentials, Depends(security)]):
    """The username and password the request carried."""
    return {"username": credentials.username, "password": credentials.password}


def check_stanley(username: str, password: str) -> bool:
    """Whether the pair is stanleyjobson's, compared in constant time."""
    is_correct_username = secrets.compare_digest(username.encode("utf8"), b"stanleyjobson")
    is_correct_password = secrets.compare_digest(password.encode("utf8"), b"swordfish")
    return is_correct_username and is_correct_password


def incorrect_basic_credentials() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Incorrect username or password",
        headers={"WWW-Authenticate": "Basic"},
    )


def get_current_username(credentials: Annotated[HTTPBasicCredentials, Depends(security)]) -> str:
    if not check_stanley(credentials.username, credentials.password):
        raise incorrect_basic_credentials()
    return credentials.username


@app.get(
    "/basic/users/me_checked",
    responses={401: {"description": "Incorrect username or password"}},
    tags=["basic"],
    summary="Read the checked Basic user",
)
async def read_checked_user(username: Annotated[str, Depends(get_current_username)]):
    """Only stanleyjobson, with the right password, gets in."""
    return {"username": username}
# ANCHOR_END: basic


# Exercises.


# ANCHOR: api_key
api_key_header = APIKeyHeader(name="X-API-Key")


async def verify_api_key(api_key: Annotated[str, Security(api_key_header)]) -> str:
    if not secrets.compare_digest(api_key.encode("utf8"), b"fake-super-secret-api-key"):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid API key",
            headers={"WWW-Authenticate": "APIKey"},
        )
    return api_key


@app.get(
    "/api-key/items/",
    dependencies=[Depends(verify_api_key)],
    responses={401: {"description": "No key, or a wrong one"}},
    tags=["exercises"],
    summary="Read items with an API key",
)
async def read_api_key_items():
    """Only with the right `X-API-Key` header."""
    return [{"item": "Foo"}, {"item": "Bar"}]
# ANCHOR_END: api_key


# ANCHOR: either
optional_bearer = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)
optional_basic = HTTPBasic(auto_error=False)


async def either_user(
    token: Annotated[str | None, Depends(optional_bearer)],
    credentials: Annotated[HTTPBasicCredentials | None, Depends(optional_basic)],
) -> dict:
    """Whichever credential the request carries: a bearer token, or Basic credentials."""
    if token:
        return {"scheme": "bearer", "username": fake_decode_token(token).username}
    if credentials:
        if not check_stanley(credentials.username, credentials.password):
            raise incorrect_basic_credentials()
        return {"scheme": "basic", "username": credentials.username}
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Not authenticated",
        headers={"WWW-Authenticate": "Bearer"},
    )


@app.get(
    "/either/users/me",
    responses={401: {"description": "No credential, or wrong Basic credentials"}},
    tags=["exercises"],
    summary="Read the user, by either scheme",
)
async def read_either_user(user: Annotated[dict, Depends(either_user)]):
    """A bearer token or Basic credentials, whichever the client has."""
    return user
# ANCHOR_END: either
