"""Chapter 04, the FastAPI version: request bodies.

The raw request, forms, files, JSON models, and several values in one body. Bodies are limited
to 1 MiB, and multipart uploads to 10 MiB: over the limit the answer is 413.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/04-request-body/fastapi

Forms and files need the `python-multipart` package.
"""

from typing import Annotated

from fastapi import Body, FastAPI, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, HttpUrl

MIB = 1024 * 1024

tags_metadata = [
    {
        "name": "raw",
        "description": "The request as it arrived.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/advanced/using-request-directly/"},
    },
    {"name": "forms", "description": "Form fields and uploaded files."},
    {"name": "items", "description": "JSON models, alone and together."},
    {"name": "images", "description": "Exercise 1: a JSON list of images."},
]

# ANCHOR: app
app = FastAPI(
    title="Request bodies",
    version="1.0.0",
    description="Chapter 04 of the **Poem API Workbook**: what a client sends in the body.",
    openapi_tags=tags_metadata,
    # Bodies over 1 MiB are refused with 413 before they are read; uploads raise it below.
    max_body_size=1 * MIB,
)
# ANCHOR_END: app


# ANCHOR: echo
@app.post("/", tags=["raw"], summary="Echo the request")
async def echo_request(request: Request):
    """Every header (the last of a repeated one), the cookies, and the body as text."""
    raw = await request.body()
    return {
        "headers": dict(request.headers.items()),
        "cookies": request.cookies,
        "body": raw.decode("utf-8", errors="replace"),
    }
# ANCHOR_END: echo


# ANCHOR: form
@app.post("/form", tags=["forms"], summary="Log in with a form")
async def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
    """Two form fields, sent urlencoded or as multipart; an empty field counts as missing."""
    return {"username": username, "password": password}
# ANCHOR_END: form


# ANCHOR: files
@app.post("/files/", tags=["forms"], summary="Upload a file", max_body_size=10 * MIB)
async def create_file(file: Annotated[bytes, File(description="A file, read into memory")]):
    """The size of the uploaded file."""
    return {"file_size": len(file)}


@app.post("/uploadfile/", tags=["forms"], summary="Upload a file to disk", max_body_size=10 * MIB)
async def create_upload_file(file: UploadFile):
    """The file's name, content type and size, as the client sent them."""
    return {"filename": file.filename, "content_type": file.content_type, "size": file.size}
# ANCHOR_END: files


# ANCHOR: item
class Item(BaseModel):
    name: str
    description: str | None = None
    price: float
    tax: float | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Foo", "description": "A very nice Item", "price": 35.4, "tax": 3.2}
            ]
        }
    )


class User(BaseModel):
    username: str
    full_name: str | None = None


@app.post("/items/", tags=["items"], summary="Create an item")
async def create_item(item: Item):
    """The item as it was read: fields left out are null, unknown fields are dropped."""
    return {"item": item}
# ANCHOR_END: item


# ANCHOR: update
@app.put("/items/{item_id}", tags=["items"], summary="Update an item")
async def update_item(
    item_id: int,
    item: Item,
    user: User,
    importance: Annotated[int, Body()],
):
    """Three values in one JSON body: `{"item": ..., "user": ..., "importance": ...}`."""
    return {"item_id": item_id, "item": item, "user": user, "importance": importance}
# ANCHOR_END: update


# Exercises.


# ANCHOR: images
class Image(BaseModel):
    url: HttpUrl
    name: str


@app.post("/images/multiple/", tags=["images"], summary="Create images")
async def create_multiple_images(images: list[Image]) -> list[Image]:
    """A JSON list of images, answered back; a bad url is named by its position."""
    return images
# ANCHOR_END: images


# ANCHOR: note
@app.post("/files/with-note/", tags=["forms"], summary="Upload a file with a note", max_body_size=10 * MIB)
async def create_file_with_note(
    file: Annotated[bytes, File()],
    note: Annotated[str, Form()],
):
    """A file and a text field in one multipart form."""
    return {"file_size": len(file), "note": note}
# ANCHOR_END: note
