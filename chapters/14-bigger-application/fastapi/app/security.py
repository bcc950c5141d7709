"""Passwords (bcrypt), access tokens (JWT, HS256), and API keys with their signatures
(HMAC-SHA256)."""

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

import bcrypt
import jwt
from jwt.exceptions import InvalidTokenError

ALGORITHM = "HS256"


# ANCHOR: passwords
def get_password_hash(password: str, cost: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()


def verify_password(plain_password: str, hashed_password: str) -> bool:
    password = plain_password.encode()
    # bcrypt reads at most 72 bytes and no NUL; bcrypt 5 raises on either: just wrong here.
    if len(password) > 72 or b"\x00" in password:
        return False
    return bcrypt.checkpw(password, hashed_password.encode())


# Checked for unknown addresses, so that they take as long as a wrong password.
DUMMY_HASH = get_password_hash(secrets.token_hex(16), 12)
# ANCHOR_END: passwords


# ANCHOR: tokens
def create_access_token(user_id: int, email: str, secret: str, expires_minutes: int) -> str:
    now = datetime.now(timezone.utc)
    claims = {
        "sub": str(user_id),
        "email": email,
        "iat": now,
        "exp": now + timedelta(minutes=expires_minutes),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def user_id_of(token: str, secret: str) -> int | None:
    """The user id a valid token names: signed with our key in HS256, not expired."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
        return int(claims["sub"])
    except (InvalidTokenError, ValueError):
        return None
# ANCHOR_END: tokens


# ANCHOR: keys
def new_access_key() -> str:
    return secrets.token_hex(16)


def new_secret_key() -> str:
    return secrets.token_urlsafe(32)


def signature_of(secret_key: str, access_key: str, timestamp: int) -> bytes:
    """HMAC-SHA256 of the canonical query, `key=…&timestamp=…`, whatever order was sent."""
    message = f"key={access_key}&timestamp={timestamp}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()


def verified_signature(secret_key: str, access_key: str, timestamp: int, sent: str) -> str | None:
    """The request's HMAC, in hex, if `sent` is its base64 (compared in constant time). The
    replay store keeps the hex: base64 has several spellings of the same bytes."""
    try:
        given = base64.b64decode(sent, validate=True)
    except (binascii.Error, ValueError):
        return None
    expected = signature_of(secret_key, access_key, timestamp)
    return expected.hex() if hmac.compare_digest(given, expected) else None
# ANCHOR_END: keys
