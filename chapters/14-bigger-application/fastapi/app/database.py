"""The database: the engine for DATABASE_URL, and the tables.

The tables are made at start with `create_all`, as chapter 12 did; a deployed service would
run chapter 13's migrations instead.
"""

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


# ANCHOR: engine
def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

    @event.listens_for(engine, "connect")
    def enforce_foreign_keys(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
# ANCHOR_END: engine


# ANCHOR: tables
# 64-bit ids everywhere; SQLite makes an id for INTEGER PRIMARY KEY only, which is 64-bit too.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class User(Base):
    """An account; `sns_type` says how it signs in (only `email` exists)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(100))
    sns_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds


class ApiKey(Base):
    """A key pair for signing service requests. `slot` (1 to 3) with UNIQUE (user_id, slot)
    lets the database itself refuse a fourth key, even for two requests at once."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("user_id", "slot"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int]
    access_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Kept as it is: the server computes signatures with it, so it cannot be hashed.
    secret_key: Mapped[str] = mapped_column(String(128))
    user_memo: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # Exercise 3: when the key last signed an accepted request.
    last_used_at: Mapped[int | None] = mapped_column(BigInteger)


class UsedSignature(Base):
    """Signatures already accepted, kept until their timestamp leaves the window."""

    __tablename__ = "used_signatures"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
# ANCHOR_END: tables
