"""What operations ask for: the settings, a database session, the logged-in user."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from .config import Settings
from .database import User
from .errors import AppError, AppException
from .security import user_id_of


# ANCHOR: dependencies
def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request, from the app's own session factory."""
    with request.app.state.sessionmaker() as db:
        yield db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db)]

# No, Basic, or an empty Bearer credential: 401 "Not authenticated" with a Bearer challenge.
bearer = HTTPBearer(description="The `Authorization` value that register and login answer.")


def get_current_user(
    credentials: Annotated[HTTPAuthorizationCredentials, Security(bearer)],
    settings: SettingsDep,
    db: DbSession,
) -> User:
    user_id = user_id_of(credentials.credentials, settings.jwt_secret)
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise AppException(AppError.INVALID_TOKEN)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
# ANCHOR_END: dependencies
