"""Chapter 13's settings, engine and tables: chapter 12's, with the column migration 0003 adds.

The tables here describe the schema the migrations build (`migrations/versions/`); they are
not created from here. Alembic's `--autogenerate` compares the two.
"""

import os
from collections.abc import Iterator

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)


# ANCHOR: settings
def sqlalchemy_url(url: str) -> URL:
    """The workbook's DATABASE_URL (sqlx's form) as SQLAlchemy names the same database."""
    if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
        # sqlx's sqlite://ch13.db is a file in the current folder; SQLAlchemy wants three
        # slashes. sqlx's own options (?mode=rwc) are dropped.
        return make_url("sqlite:///" + url.removeprefix("sqlite://").partition("?")[0])
    parsed = make_url(url)
    match parsed.drivername:
        case "postgres" | "postgresql":
            return parsed.set(drivername="postgresql+psycopg")
        case "mysql" | "mariadb":
            return parsed.set(drivername="mysql+pymysql").update_query_dict({"charset": "utf8mb4"})
        case _:
            return parsed


def setting_int(name: str, default: int, low: int, high: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name}: must be an integer from {low} to {high} (got {value!r})")
    if not low <= number <= high:
        raise SystemExit(f"{name}: must be from {low} to {high} (got {number})")
    return number


DATABASE_URL = sqlalchemy_url(os.environ.get("DATABASE_URL", "sqlite://ch13.db"))
BCRYPT_COST = setting_int("BCRYPT_COST", 12, 4, 31)
# ANCHOR_END: settings


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


engine = make_engine(DATABASE_URL)
SessionLocal = sessionmaker(engine, expire_on_commit=False)


def get_db() -> Iterator[Session]:
    with SessionLocal() as db:
        yield db
# ANCHOR_END: engine


# ANCHOR: models
# 64-bit ids everywhere; SQLite makes an id for INTEGER PRIMARY KEY only, which is 64-bit too.
BigId = BigInteger().with_variant(Integer, "sqlite")
# MEDIUMTEXT on MySQL, where TEXT holds only 64 KiB.
LongText = Text().with_variant(Text(16_777_215), "mysql")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Migration 0003.
    full_name: Mapped[str | None] = mapped_column(LongText)

    items: Mapped[list["Item"]] = relationship(
        back_populates="owner",
        order_by="Item.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Item(Base):
    __tablename__ = "items"
    # Migration 0004 (exercise 1): a user's items, found in order of id.
    __table_args__ = (Index("items_owner_id_id", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(LongText)
    description: Mapped[str | None] = mapped_column(LongText)
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))

    owner: Mapped[User] = relationship(back_populates="items")
# ANCHOR_END: models
