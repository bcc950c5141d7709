"""`/api/services`: the service API, for programs: each request signed with an API key."""

import time
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..database import ApiKey, UsedSignature, User
from ..dependencies import DbSession
from ..errors import AppError, AppException
from ..schemas import ServiceReply
from ..security import verified_signature

router = APIRouter(prefix="/api/services", tags=["services"])

# The largest gap, either way, between a signed request's timestamp and the server's clock.
TIMESTAMP_WINDOW_SECS = 60

SIGNATURE = 'base64(HMAC-SHA256(secret_key, "key=<access_key>&timestamp=<timestamp>"))'


# ANCHOR: services
@router.get(
    "",
    summary="A signed request",
    responses={
        400: {"description": "The timestamp is more than 60 s from the server's clock"},
        401: {"description": "A bad signature, or one used before"},
        404: {"description": "No such access key"},
    },
)
def services(
    key: Annotated[str, Query(description="The access key")],
    timestamp: Annotated[int, Query(description="Unix seconds, within 60 s of the server's")],
    secret: Annotated[str, Header(description=SIGNATURE)],
    db: DbSession,
) -> ServiceReply:
    """Who signed the request. The checks run in this order, so that nothing is said about a
    request's time to someone who cannot sign it: the key, the signature, the time, replay."""
    api_key = db.scalar(select(ApiKey).where(ApiKey.access_key == key))
    if api_key is None:
        raise AppException(AppError.API_KEY_NOT_FOUND)
    signature = verified_signature(api_key.secret_key, key, timestamp, secret)
    if signature is None:
        raise AppException(AppError.INVALID_SIGNATURE)
    now = int(time.time())
    if abs(now - timestamp) > TIMESTAMP_WINDOW_SECS:
        raise AppException(AppError.TIMESTAMP_OUT_OF_WINDOW)
    remember_signature(db, signature, expires_at=timestamp + TIMESTAMP_WINDOW_SECS, now=now)
    # Exercise 3: when the key was last used; refused requests do not count.
    db.execute(update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=now))
    db.commit()
    return ServiceReply(your_email=db.get(User, api_key.user_id).email)


def remember_signature(db: Session, signature: str, expires_at: int, now: int) -> None:
    """Refuses a signature seen before. The primary key decides, in the database, so that
    copies sent at once (or to another instance) cannot all pass."""
    db.execute(delete(UsedSignature).where(UsedSignature.expires_at < now))
    db.add(UsedSignature(signature=signature, expires_at=expires_at))
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise AppException(AppError.SIGNATURE_REPLAYED)
# ANCHOR_END: services
