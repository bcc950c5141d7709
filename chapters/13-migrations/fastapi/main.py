"""Chapter 13, the FastAPI version: chapter 12's users and items on a schema that Alembic
migrations build, with the column the third migration adds (`users.full_name`).

The program (this folder run by Python, or the `program` script beside it):

    python chapters/13-migrations/fastapi migrate status     # or up, down [N], history, redo
    python chapters/13-migrations/fastapi --port 8000        # serve; refuses pending migrations
    python chapters/13-migrations/fastapi --port 8000 --migrate

`uvicorn main:app` works too: the app checks the database the same way when it starts (set
MIGRATE=1 for --migrate). So does Alembic's own command in this folder, `alembic upgrade head`.

Settings: DATABASE_URL (default `sqlite://ch13.db` in the current folder; sqlx's forms and
SQLAlchemy's are both read), BCRYPT_COST (default 12), MIGRATE.
"""

import os
from contextlib import asynccontextmanager
from typing import Annotated

import bcrypt
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

import migrate
from database import BCRYPT_COST, Item, User, engine, get_db

DbSession = Annotated[Session, Depends(get_db)]

# ANCHOR: schemas
# Ids are the database's 64-bit integers: a larger one is a 422 here, not a driver's 500.
Id = Annotated[int, Path(le=2**63 - 1, ge=-(2**63))]
Skip = Annotated[int, Query(ge=0, le=2**63 - 1)]
Limit = Annotated[int, Query(ge=0, le=2**63 - 1)]


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# PostgreSQL's text cannot hold a NUL character: refused on every backend alike.
Text = Annotated[str, AfterValidator(no_nul)]


class ItemCreate(BaseModel):
    title: Text
    description: Text | None = None


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    owner_id: int


class UserCreate(BaseModel):
    email: EmailStr
    password: Text
    full_name: Text | None = None

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
    full_name: Text | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str | None
    is_active: bool
    items: list[ItemOut] = []
# ANCHOR_END: schemas


def get_password_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()


# ANCHOR: crud
def get_user(db: Session, user_id: int) -> User:
    user = db.scalar(select(User).where(User.id == user_id).options(selectinload(User.items)))
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user


def commit_unique_email(db: Session) -> None:
    """The unique constraint decides whether the address is free, even for two at once."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(status_code=400, detail="Email already registered")
# ANCHOR_END: crud


# ANCHOR: app
@asynccontextmanager
async def lifespan(_app: FastAPI):
    # The tables are the migrations' business now: no create_all. A new database is
    # migrated; one that is behind stops the start, unless MIGRATE=1 (the CLI's --migrate).
    migrate.before_serving(os.environ.get("MIGRATE", "") in {"1", "true", "yes"})
    yield
    engine.dispose()


tags_metadata = [
    {
        "name": "users",
        "description": "Users, with the full name that migration 0003 added.",
        "externalDocs": {"url": "https://alembic.sqlalchemy.org/en/latest/tutorial.html"},
    },
    {"name": "items", "description": "Items, each owned by a user."},
]

app = FastAPI(
    title="Migrations",
    version="1.0.0",
    description="Chapter 13 of the **Poem API Workbook**: chapter 12's API on a migrated schema.",
    openapi_tags=tags_metadata,
    lifespan=lifespan,
)


@app.exception_handler(RequestValidationError)
async def validation_exception_handler(request: Request, exc: RequestValidationError):
    """FastAPI's own 422, without the refused value where it is a password."""
    errors = [
        {k: v for k, v in error.items() if k != "input"}
        if any("password" in str(part) for part in error["loc"])
        else error
        for error in exc.errors()
    ]
    return await request_validation_exception_handler(request, RequestValidationError(errors))
# ANCHOR_END: app


# ANCHOR: users
@app.post("/users/", tags=["users"], summary="Register a user")
def create_user(user: UserCreate, db: DbSession) -> UserOut:
    """Store a new user, with a full name if given; an address registers once."""
    db_user = User(
        email=user.email,
        hashed_password=get_password_hash(user.password),
        full_name=user.full_name,
    )
    db.add(db_user)
    commit_unique_email(db)
    return get_user(db, db_user.id)


@app.get("/users/", tags=["users"], summary="List users")
def read_users(db: DbSession, skip: Skip = 0, limit: Limit = 100) -> list[UserOut]:
    """Users in order of id, each with their items."""
    query = select(User).options(selectinload(User.items)).order_by(User.id)
    return list(db.scalars(query.offset(skip).limit(limit)))


@app.get("/users/{user_id}", tags=["users"], summary="Read a user")
def read_user(user_id: Id, db: DbSession) -> UserOut:
    """One user, with their items."""
    return get_user(db, user_id)


@app.put("/users/{user_id}", tags=["users"], summary="Change a user")
def update_user(user_id: Id, change: UserUpdate, db: DbSession) -> UserOut:
    """Change the email, the full name or the active flag; absent or null stays as it is."""
    db_user = get_user(db, user_id)
    for field, value in change.model_dump(exclude_none=True).items():
        setattr(db_user, field, value)
    commit_unique_email(db)
    return db_user


@app.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["users"],
    summary="Delete a user",
)
def delete_user(user_id: Id, db: DbSession) -> None:
    """Delete the user; their items go with them."""
    db.delete(get_user(db, user_id))
    db.commit()
# ANCHOR_END: users


# ANCHOR: items
@app.post("/users/{user_id}/items/", tags=["items"], summary="Add an item to a user")
def create_item_for_user(user_id: Id, item: ItemCreate, db: DbSession) -> ItemOut:
    """A new item, owned by the user."""
    get_user(db, user_id)
    db_item = Item(**item.model_dump(), owner_id=user_id)
    db.add(db_item)
    db.commit()
    return db_item


@app.get("/items/", tags=["items"], summary="List items")
def read_items(db: DbSession, skip: Skip = 0, limit: Limit = 100) -> list[ItemOut]:
    """Items in order of id."""
    return list(db.scalars(select(Item).order_by(Item.id).offset(skip).limit(limit)))
# ANCHOR_END: items
