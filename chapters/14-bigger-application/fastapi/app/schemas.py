"""What the API reads and answers."""

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, BaseModel, EmailStr, Field, field_validator


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# PostgreSQL's text cannot hold a NUL character: refused on every backend alike.
Text = Annotated[str, AfterValidator(no_nul)]


def rfc3339(unix_seconds: int | None) -> str | None:
    if unix_seconds is None:
        return None
    return datetime.fromtimestamp(unix_seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ANCHOR: accounts
class UserRegister(BaseModel):
    email: EmailStr
    pw: Text = Field(min_length=8, json_schema_extra={"format": "password"})

    @field_validator("pw")
    @classmethod
    def fits_bcrypt(cls, value: str) -> str:
        if len(value.encode()) > 72:
            raise ValueError("the password is longer than 72 bytes")
        return value


class UserLogin(BaseModel):
    # Read as at registration (the domain in lower case); the password is only compared, so
    # a wrong one of any length gets the same 400.
    email: EmailStr
    pw: str = Field(json_schema_extra={"format": "password"})


class Token(BaseModel):
    Authorization: str = Field(examples=["Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…"])


class UserMe(BaseModel):
    id: int
    email: str
    created_at: str
# ANCHOR_END: accounts


# ANCHOR: api_keys
class UserMemo(BaseModel):
    user_memo: Text | None = None


class ApiKeyOut(BaseModel):
    """A key as listed: never its secret."""

    id: int
    access_key: str
    user_memo: str | None
    created_at: str
    last_used_at: str | None


class NewApiKey(BaseModel):
    """A key as created (or rotated): the only time its secret is shown."""

    id: int
    access_key: str
    secret_key: str
    user_memo: str | None
    created_at: str


class MessageOk(BaseModel):
    message: str = "ok"


class ServiceReply(BaseModel):
    your_email: str


class Index(BaseModel):
    service: str
    version: str
    time: str
    timestamp: int
# ANCHOR_END: api_keys
