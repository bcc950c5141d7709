"""`/api/users`: the logged-in user's API keys (and, exercise 1, the user)."""

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import ApiKey
from ..dependencies import CurrentUser, DbSession, get_current_user
from ..errors import AppError, AppException
from ..schemas import ApiKeyOut, MessageOk, NewApiKey, UserMe, UserMemo, rfc3339
from ..security import new_access_key, new_secret_key

router = APIRouter(
    prefix="/api/users",
    tags=["users"],
    # Every operation here needs a bearer token.
    dependencies=[Depends(get_current_user)],
    responses={401: {"description": "No token, or not a valid one"}},
)

# How many API keys one user may hold.
MAX_API_KEYS = 3

# Ids are the database's 64-bit integers: a larger one is a 422 here, not a driver's 500.
KeyId = Annotated[int, Path(le=2**63 - 1, ge=-(2**63))]


def listed(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        access_key=key.access_key,
        user_memo=key.user_memo,
        created_at=rfc3339(key.created_at),
        last_used_at=rfc3339(key.last_used_at),
    )


def with_secret(key: ApiKey) -> NewApiKey:
    return NewApiKey(
        id=key.id,
        access_key=key.access_key,
        secret_key=key.secret_key,
        user_memo=key.user_memo,
        created_at=rfc3339(key.created_at),
    )


def own_key(db: DbSession, user_id: int, key_id: int) -> ApiKey:
    """The user's key: looked up by id AND owner, so someone else's looks like a missing one."""
    key = db.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id))
    if key is None:
        raise AppException(AppError.API_KEY_NOT_FOUND)
    return key


# ANCHOR: create
@router.post(
    "/apikeys",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
    responses={400: {"description": "The user holds 3 keys already"}},
)
def create_api_key(memo: UserMemo, user: CurrentUser, db: DbSession) -> NewApiKey:
    """A new key pair; the secret is shown this once. At most 3 keys per user."""
    # Count-then-insert would let requests at once all see a free place: each key takes a
    # slot, 1 to 3, and UNIQUE (user_id, slot) refuses a slot taken meanwhile; then look again.
    for _ in range(5):
        taken = set(db.scalars(select(ApiKey.slot).where(ApiKey.user_id == user.id)))
        free = [slot for slot in range(1, MAX_API_KEYS + 1) if slot not in taken]
        if not free:
            raise AppException(AppError.TOO_MANY_API_KEYS)
        key = ApiKey(
            user_id=user.id,
            slot=free[0],
            access_key=new_access_key(),
            secret_key=new_secret_key(),
            user_memo=memo.user_memo,
            created_at=int(time.time()),
        )
        db.add(key)
        try:
            db.commit()
            return with_secret(key)
        except IntegrityError:
            db.rollback()
    raise AppException(AppError.API_KEYS_BUSY)
# ANCHOR_END: create


# ANCHOR: list_update_delete
@router.get("/apikeys", summary="List your API keys")
def list_api_keys(user: CurrentUser, db: DbSession) -> list[ApiKeyOut]:
    """The user's keys, oldest first, without their secrets."""
    keys = db.scalars(select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id))
    return [listed(key) for key in keys]


@router.put(
    "/apikeys/{key_id}",
    summary="Change an API key's memo",
    responses={404: {"description": "No such key of yours"}},
)
def update_api_key(key_id: KeyId, memo: UserMemo, user: CurrentUser, db: DbSession) -> ApiKeyOut:
    """Set the memo of one of the user's keys."""
    key = own_key(db, user.id, key_id)
    key.user_memo = memo.user_memo
    db.commit()
    return listed(key)


@router.delete(
    "/apikeys/{key_id}",
    summary="Delete an API key",
    responses={404: {"description": "No such key of yours"}},
)
def delete_api_key(key_id: KeyId, user: CurrentUser, db: DbSession) -> MessageOk:
    """Delete one of the user's keys: requests signed with it are refused from now on."""
    db.delete(own_key(db, user.id, key_id))
    db.commit()
    return MessageOk(message="ok")
# ANCHOR_END: list_update_delete


# Exercises.


# ANCHOR: me
@router.get("/me", summary="Who am I?")
def read_me(user: CurrentUser) -> UserMe:
    """Exercise 1: the logged-in user, without the password hash."""
    return UserMe(id=user.id, email=user.email, created_at=rfc3339(user.created_at))
# ANCHOR_END: me


# ANCHOR: rotate
@router.post(
    "/apikeys/{key_id}/rotate",
    summary="Rotate an API key's secret",
    responses={404: {"description": "No such key of yours"}},
)
def rotate_api_key(key_id: KeyId, user: CurrentUser, db: DbSession) -> NewApiKey:
    """Exercise 2: a new secret for the key, shown this once; the old one stops working."""
    key = own_key(db, user.id, key_id)
    key.secret_key = new_secret_key()
    db.commit()
    return with_secret(key)
# ANCHOR_END: rotate
