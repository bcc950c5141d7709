"""Chapter 05, the FastAPI version: response models, status codes, other kinds of answer.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/05-response-models/fastapi
"""

from pathlib import Path
from typing import Literal

from fastapi import FastAPI, HTTPException, status
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel, EmailStr

# The chapter's report.txt, next to this folder.
REPORT = Path(__file__).resolve().parent.parent / "files" / "report.txt"

tags_metadata = [
    {
        "name": "users",
        "description": "Users: the password goes in, never out.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/response-model/"},
    },
    {"name": "items", "description": "The item catalogue."},
    {"name": "formats", "description": "Answers that are not JSON."},
    {"name": "vehicles", "description": "Exercise 3: one operation, two shapes."},
]

app = FastAPI(
    title="Response models",
    version="1.0.0",
    description="Chapter 05 of the **Poem API Workbook**: what goes out, and how.",
    openapi_tags=tags_metadata,
)


# ANCHOR: users
class UserIn(BaseModel):
    username: str
    password: str
    email: EmailStr
    full_name: str | None = None


class UserOut(BaseModel):
    username: str
    email: EmailStr
    full_name: str | None = None


@app.post(
    "/user/",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    summary="Create a user",
)
async def create_user(user: UserIn):
    """The new user, without its password: the response model filters it out."""
    return user
# ANCHOR_END: users


# ANCHOR: items
class Item(BaseModel):
    name: str
    description: str | None = None
    price: float
    tax: float | None = None


class Message(BaseModel):
    detail: str


# The catalogue as the tutorial writes it: each entry sets only some fields.
items = {
    "foo": {"name": "Foo", "price": 50.2},
    "bar": {"name": "Bar", "description": "The bartenders", "price": 62.0, "tax": 20.2},
    "baz": {"name": "Baz", "description": None, "price": 50.2, "tax": 10.5},
}


@app.get("/items/", tags=["items"], summary="List the items")
async def read_items() -> list[Item]:
    """Two items; the fields they leave out come back as null."""
    return [
        Item(name="Portal Gun", price=42.0),
        Item(name="Plumbus", price=32.0),
    ]


def find_item(item_id: str) -> dict:
    """The catalogue's entry, or the 404 that every item operation answers."""
    if item_id not in items:
        raise HTTPException(status_code=404, detail="Item not found")
    return items[item_id]


@app.get(
    "/items/{item_id}",
    response_model=Item,
    responses={404: {"model": Message, "description": "The item does not exist"}},
    tags=["items"],
    summary="Read an item",
)
async def read_item(item_id: str):
    """One item of the catalogue, every field present; an unknown id is a 404."""
    return find_item(item_id)
# ANCHOR_END: items


# ANCHOR: formats
@app.get("/html", response_class=HTMLResponse, tags=["formats"], summary="An HTML page")
async def read_html():
    """A small HTML page."""
    return "<html><body><h1>Hello from an HTML response</h1></body></html>"


@app.get("/plain", response_class=PlainTextResponse, tags=["formats"], summary="Plain text")
async def read_plain():
    """`Hello World`, as text/plain."""
    return "Hello World"


@app.get(
    "/redirect",
    response_class=RedirectResponse,
    status_code=status.HTTP_307_TEMPORARY_REDIRECT,
    responses={
        307: {
            "description": "Go to the docs",
            "headers": {"Location": {"description": "Where to go", "schema": {"type": "string"}}},
        }
    },
    tags=["formats"],
    summary="Redirect to the docs",
)
async def redirect():
    """A temporary redirect (307) to `/docs`."""
    return "/docs"


@app.get(
    "/download",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The report, as an attachment",
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="report.txt"',
                    "schema": {"type": "string"},
                }
            },
        }
    },
    tags=["formats"],
    summary="Download a report",
)
async def download():
    """A small text file that a browser saves as report.txt rather than shows."""
    return FileResponse(REPORT, filename="report.txt")
# ANCHOR_END: formats


# Exercises.


# ANCHOR: exclude_unset
@app.get(
    "/items/{item_id}/set",
    response_model=Item,
    response_model_exclude_unset=True,
    responses={404: {"model": Message}},
    tags=["items"],
    summary="Read what an item sets",
)
async def read_item_set(item_id: str):
    """Only the fields the catalogue sets for this item; `None` that was set stays."""
    return find_item(item_id)
# ANCHOR_END: exclude_unset


# ANCHOR: include
@app.get(
    "/items/{item_id}/name",
    response_model=Item,
    response_model_include={"name", "description"},
    responses={404: {"model": Message}},
    tags=["items"],
    summary="Read an item's name",
)
async def read_item_name(item_id: str):
    """The item's name and description, nothing else."""
    return find_item(item_id)
# ANCHOR_END: include


# ANCHOR: union
class BaseItem(BaseModel):
    description: str
    type: str


class CarItem(BaseItem):
    type: Literal["car"] = "car"


class PlaneItem(BaseItem):
    type: Literal["plane"] = "plane"
    size: int


vehicles = {
    "item1": {"description": "A small red car with four doors", "type": "car"},
    "item2": {"description": "A glider with two seats", "type": "plane", "size": 2},
}


@app.get(
    "/vehicles/{item_id}",
    response_model=PlaneItem | CarItem,
    responses={404: {"model": Message}},
    tags=["vehicles"],
    summary="Read a vehicle",
)
async def read_vehicle(item_id: str):
    """A car or a plane: the document says one of the two."""
    if item_id not in vehicles:
        raise HTTPException(status_code=404, detail="Item not found")
    return vehicles[item_id]
# ANCHOR_END: union
