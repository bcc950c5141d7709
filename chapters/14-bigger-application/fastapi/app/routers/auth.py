"""`/auth`: registering and logging in, for a bearer token."""

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import User
from ..dependencies import DbSession, SettingsDep
from ..errors import AppError, AppException
from ..schemas import Token, UserLogin, UserRegister
from ..security import DUMMY_HASH, create_access_token, get_password_hash, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])

# Only `email` sign-up exists. A str path parameter, not an Enum: an unknown one is a 400 with
# a clear detail (as the source material), not a 422. The document still lists the one value
# served, so that clients know it.
SUPPORTED_SNS_TYPES = {"email"}
SnsType = Annotated[
    str,
    Path(
        description="How the account signs in: `email`.",
        json_schema_extra={"enum": sorted(SUPPORTED_SNS_TYPES)},
    ),
]


def check_sns_type(sns_type: str) -> None:
    if sns_type not in SUPPORTED_SNS_TYPES:
        raise AppException(AppError.SNS_TYPE_NOT_SUPPORTED)


def client_address(request: Request) -> str | None:
    """The client's address: the TCP peer, or behind a trusted proxy the one it forwarded
    (chapter 16's ProxyHeadersMiddleware rewrites `request.client`)."""
    return request.client.host if request.client else None


def token_for(user: User, settings) -> Token:
    token = create_access_token(
        user.id, user.email, settings.jwt_secret, settings.access_token_expire_minutes
    )
    return Token(Authorization=f"Bearer {token}")


# ANCHOR: register
@router.post(
    "/register/{sns_type}",
    status_code=status.HTTP_201_CREATED,
    summary="Register",
    responses={400: {"description": "Unsupported sns_type, or the address has an account"}},
)
def register(
    sns_type: SnsType,
    reg_info: UserRegister,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
) -> Token:
    """Make an account for an email address and a password; answers a token for it."""
    check_sns_type(sns_type)
    wait = request.app.state.limits.sign_up(client_address(request))
    if wait is not None:
        raise AppException(AppError.TOO_MANY_SIGN_UPS, retry_after=wait)
    user = User(
        email=reg_info.email,
        hashed_password=get_password_hash(reg_info.pw, settings.bcrypt_cost),
        sns_type=sns_type,
        created_at=int(time.time()),
    )
    db.add(user)
    try:
        # The unique constraint decides, so that two sign-ups at once make one account.
        db.commit()
    except IntegrityError:
        db.rollback()
        raise AppException(AppError.EMAIL_ALREADY_REGISTERED)
    return token_for(user, settings)
# ANCHOR_END: register


# ANCHOR: login
@router.post(
    "/login/{sns_type}",
    summary="Log in",
    responses={400: {"description": "Unsupported sns_type, or a wrong email or password"}},
)
def login(
    sns_type: SnsType, user_info: UserLogin, request: Request, db: DbSession, settings: SettingsDep
) -> Token:
    """Trade an email address and its password for a new token."""
    check_sns_type(sns_type)
    limits, address = request.app.state.limits, client_address(request)
    wait = limits.login(user_info.email, address)
    if wait is not None:
        raise AppException(AppError.TOO_MANY_LOGIN_ATTEMPTS, retry_after=wait)
    user = db.scalar(select(User).where(User.email == user_info.email))
    if user is None:
        # As slow as a wrong password: the time does not tell which addresses have accounts.
        verify_password(user_info.pw, DUMMY_HASH)
        raise AppException(AppError.INCORRECT_EMAIL_OR_PASSWORD)
    if not verify_password(user_info.pw, user.hashed_password):
        raise AppException(AppError.INCORRECT_EMAIL_OR_PASSWORD)
    limits.logged_in(user_info.email, address)
    return token_for(user, settings)
# ANCHOR_END: login
