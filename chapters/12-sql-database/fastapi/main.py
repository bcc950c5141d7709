"""Chapter 12, the FastAPI version: users and their items in a SQL database, with SQLAlchemy 2.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/12-sql-database/fastapi

Settings, read once at start:
- DATABASE_URL: the workbook's form, `sqlite://sql_app.db` (the default, a file in the current
  folder, made if missing), `postgres://user:pw@host/db` or `mysql://user:pw@host/db`; a
  SQLAlchemy URL (`sqlite:///sql_app.db`, `postgresql+psycopg://…`) works as well.
- BCRYPT_COST: how slow a password hash is, 4 to 31 (default 12).

The tables are made at start (`Base.metadata.create_all`), as in FastAPI's tutorial; chapter
13 hands them to migrations.
"""

import os
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Annotated

import bcrypt
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, EmailStr, field_validator
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)


# ANCHOR: settings
def sqlalchemy_url(url: str) -> URL:
    """The workbook's DATABASE_URL (sqlx's form) as SQLAlchemy names the same database."""
    if url.startswith("sqlite://") and not url.startswith("sqlite:///"):
        # sqlx's sqlite://sql_app.db is a file in the current folder; SQLAlchemy reads a host
        # there, and wants sqlite:///sql_app.db. sqlx's own options (?mode=rwc) are dropped.
        return make_url("sqlite:///" + url.removeprefix("sqlite://").partition("?")[0])
    parsed = make_url(url)
    match parsed.drivername:
        case "postgres" | "postgresql":
            return parsed.set(drivername="postgresql+psycopg")
        case "mysql" | "mariadb":
            return parsed.set(drivername="mysql+pymysql").update_query_dict({"charset": "utf8mb4"})
        case _:
            return parsed


def bcrypt_cost() -> int:
    value = os.environ.get("BCRYPT_COST", "12")
    if not value.isdigit() or not 4 <= int(value) <= 31:
        raise SystemExit(f"BCRYPT_COST: must be a whole number from 4 to 31 (got {value!r})")
    return int(value)


DATABASE_URL = sqlalchemy_url(os.environ.get("DATABASE_URL", "sqlite://sql_app.db"))
BCRYPT_COST = bcrypt_cost()
# ANCHOR_END: settings


# ANCHOR: database
def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        # pool_pre_ping: a connection the server closed is replaced, not handed to a request.
        return create_engine(url, pool_pre_ping=True)
    # FastAPI runs `def` operations in a thread pool: one connection may serve several threads.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

    @event.listens_for(engine, "connect")
    def enforce_foreign_keys(dbapi_connection, _record):
        # SQLite checks foreign keys (and cascades deletes) only when asked, per connection.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


engine = make_engine(DATABASE_URL)
SessionLocal = sessionmaker(engine, expire_on_commit=False)


def get_db() -> Iterator[Session]:
    """One session per request, closed (its connection back in the pool) when the request ends."""
    with SessionLocal() as db:
        yield db


DbSession = Annotated[Session, Depends(get_db)]
# ANCHOR_END: database


# ANCHOR: models
# 64-bit ids: PostgreSQL's INTEGER is 32-bit, and looking up id 2**40 would fail there (a 500).
# SQLite makes an id only for INTEGER PRIMARY KEY, which is 64-bit already.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # 320 characters: the longest address there is; MySQL needs a length to index the column.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(default=True)

    # The database deletes a user's items with the user (ON DELETE CASCADE); the session
    # deletes those it has loaded.
    items: Mapped[list["Item"]] = relationship(
        back_populates="owner",
        order_by="Item.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Text, not String(n): a title may be long, and MySQL's VARCHAR would cut or refuse it.
    title: Mapped[str] = mapped_column(Text().with_variant(Text(16_777_215), "mysql"))
    description: Mapped[str | None] = mapped_column(
        Text().with_variant(Text(16_777_215), "mysql")
    )
    owner_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )

    owner: Mapped[User] = relationship(back_populates="items")
# ANCHOR_END: models


# ANCHOR: schemas
# Ids are the database's 64-bit integers: a larger one is refused here, as a 422, rather than
# failing in the driver (SQLite's OverflowError, PostgreSQL's "out of range") as a 500.
Id = Annotated[int, Path(le=2**63 - 1, ge=-(2**63))]
Skip = Annotated[int, Query(ge=0, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=0, le=2**63 - 1)]


class ItemCreate(BaseModel):
    title: str
    description: str | None = None


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    owner_id: int


class UserCreate(BaseModel):
    email: EmailStr
    password: str

    @field_validator("password")
    @classmethod
    def fits_bcrypt(cls, value: str) -> str:
        if len(value.encode()) > 72:
            raise ValueError("the password must be at most 72 bytes (bcrypt reads no more)")
        return value


class UserUpdate(BaseModel):
    """Absent or null: unchanged."""

    email: EmailStr | None = None
    is_active: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    is_active: bool
    items: list[ItemOut] = []
# ANCHOR_END: schemas


# ANCHOR: passwords
def get_password_hash(password: str) -> str:
    """bcrypt, not the tutorial's fake hash nor a fast digest: slow on purpose, salted."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()
# ANCHOR_END: passwords


# ANCHOR: crud
def get_user(db: Session, user_id: int) -> User:
    user = db.scalar(select(User).where(User.id == user_id).options(selectinload(User.items)))
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user


def get_users(db: Session, skip: int, limit: int) -> list[User]:
    query = select(User).options(selectinload(User.items)).order_by(User.id)
    return list(db.scalars(query.offset(skip).limit(limit)))


def commit_unique_email(db: Session) -> None:
    """Commits; the unique constraint, not an earlier look-up, decides whether the address is
    free, so two requests at once cannot both take it."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(status_code=400, detail="Email already registered")


def create_user(db: Session, user: UserCreate) -> User:
    db_user = User(email=user.email, hashed_password=get_password_hash(user.password))
    db.add(db_user)
    commit_unique_email(db)
    return get_user(db, db_user.id)


def update_user(db: Session, user_id: int, change: UserUpdate) -> User:
    db_user = get_user(db, user_id)
    for field, value in change.model_dump(exclude_none=True).items():
        setattr(db_user, field, value)
    commit_unique_email(db)
    return db_user


def delete_user(db: Session, user_id: int) -> None:
    db.delete(get_user(db, user_id))
    db.commit()


def create_user_item(db: Session, item: ItemCreate, user_id: int) -> Item:
    get_user(db, user_id)
    db_item = Item(**item.model_dump(), owner_id=user_id)
    db.add(db_item)
    db.commit()
    return db_item
# ANCHOR_END: crud


# ANCHOR: app
@asynccontextmanager
async def lifespan(_app: FastAPI):
    Base.metadata.create_all(bind=engine)
    yield
    engine.dispose()


tags_metadata = [
    {
        "name": "users",
        "description": "Registered with an email and a password, stored with a bcrypt hash.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/sql-databases/"},
    },
    {"name": "items", "description": "Items, each owned by a user."},
]

app = FastAPI(
    title="SQL databases",
    version="1.0.0",
    description="Chapter 12 of the **Poem API Workbook**: users and their items, stored for real.",
    openapi_tags=tags_metadata,
    lifespan=lifespan,
)


def is_secret(error: dict) -> bool:
    """Whether a validation error would show a password in its `input`."""
    return any("password" in str(part) for part in error["loc"])


@app.exception_handler(RequestValidationError)
async def validation_exception_handler(request: Request, exc: RequestValidationError):
    """FastAPI's own 422, without the refused value where it is a password."""
    errors = [
        {k: v for k, v in error.items() if k != "input"} if is_secret(error) else error
        for error in exc.errors()
    ]
    return await request_validation_exception_handler(request, RequestValidationError(errors))
# ANCHOR_END: app


# ANCHOR: users
@app.post("/users/", tags=["users"], summary="Register a user")
def create_user_route(user: UserCreate, db: DbSession) -> UserOut:
    """Store a new user with a bcrypt hash of the password; an address registers once."""
    return create_user(db, user)


@app.get("/users/", tags=["users"], summary="List users")
def read_users(db: DbSession, skip: Skip = 0, limit: Limit = 100) -> list[UserOut]:
    """Users in order of id, each with their items."""
    return get_users(db, skip=skip, limit=limit)


@app.get("/users/{user_id}", tags=["users"], summary="Read a user")
def read_user(user_id: Id, db: DbSession) -> UserOut:
    """One user, with their items."""
    return get_user(db, user_id)


@app.put("/users/{user_id}", tags=["users"], summary="Change a user")
def update_user_route(user_id: Id, change: UserUpdate, db: DbSession) -> UserOut:
    """Change the email or the active flag; what is absent or null stays as it is."""
    return update_user(db, user_id, change)


@app.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["users"],
    summary="Delete a user",
)
def delete_user_route(user_id: Id, db: DbSession) -> None:
    """Delete the user; their items go with them (ON DELETE CASCADE)."""
    delete_user(db, user_id)
# ANCHOR_END: users


# ANCHOR: items
@app.post("/users/{user_id}/items/", tags=["items"], summary="Add an item to a user")
def create_item_for_user(user_id: Id, item: ItemCreate, db: DbSession) -> ItemOut:
    """A new item, owned by the user."""
    return create_user_item(db, item, user_id)


@app.get("/items/", tags=["items"], summary="List items")
def read_items(
    db: DbSession, skip: Skip = 0, limit: Limit = 100, q: str | None = None
) -> list[ItemOut]:
    """Items in order of id; with `q`, only those whose title contains it (exercise 3)."""
    query = select(Item).order_by(Item.id)
    if q is not None:
        # autoescape: a % or _ in q is a plain character, not a LIKE wildcard.
        query = query.where(Item.title.icontains(q, autoescape=True))
    return list(db.scalars(query.offset(skip).limit(limit)))
# ANCHOR_END: items


# Exercises.


# ANCHOR: user_items
@app.get("/users/{user_id}/items/", tags=["items"], summary="List a user's items")
def read_user_items(user_id: Id, db: DbSession) -> list[ItemOut]:
    """Exercise 1: one user's items, in order of id."""
    return get_user(db, user_id).items
# ANCHOR_END: user_items


# ANCHOR: patch_item
class ItemPatch(BaseModel):
    """Only what is sent changes; a null description removes it."""

    title: str | None = None
    description: str | None = None

    @field_validator("title")
    @classmethod
    def title_not_null(cls, value: str | None) -> str:
        # Runs only on a title that was sent: absent is fine, null is not.
        if value is None:
            raise ValueError("an item keeps its title: send a string, or leave title out")
        return value


@app.patch("/items/{item_id}", tags=["items"], summary="Change part of an item")
def patch_item(item_id: Id, patch: ItemPatch, db: DbSession) -> ItemOut:
    """Exercise 2: a partial update, told apart from a null with `exclude_unset`."""
    item = db.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    for field, value in patch.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    db.commit()
    return item
# ANCHOR_END: patch_item
