"""Chapter 02, the FastAPI version: path parameters.

Values read from the path, each with a type: an integer, a string, an enum, an integer within
bounds. A value that does not fit its type is answered with a 422 that lists the problems.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/02-path-parameters/fastapi
"""

from enum import Enum
from typing import Annotated

from fastapi import FastAPI, Path

tags_metadata = [
    {
        "name": "items",
        "description": "Items, found by their integer id.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/path-params/"},
    },
    {"name": "requests", "description": "Requests, found by name or by type."},
    {"name": "models", "description": "Exercise 1: machine-learning models, by name."},
    {"name": "users", "description": "Exercise 2: a user's items, by two parameters."},
    {"name": "files", "description": "Exercise 3: files, by a path that contains slashes."},
]

app = FastAPI(
    title="Path parameters",
    version="1.0.0",
    description="Chapter 02 of the **Poem API Workbook**: typed values in the path.",
    openapi_tags=tags_metadata,
)


# ANCHOR: item
@app.get("/items/{item_id}", tags=["items"], summary="Read an item")
async def read_item(item_id: int):
    """The item with this integer id; anything that is not an integer is a 422."""
    return {"item_id": item_id}
# ANCHOR_END: item


# ANCHOR: requests
# FastAPI tries routes in the order they are declared: the fixed path must come first, or
# `/requests/{request_id}` would take `current` as an id.
@app.get("/requests/current", tags=["requests"], summary="Read the current request")
async def read_current_request():
    """The request being worked on now."""
    return {"request": "current item"}


@app.get("/requests/{request_id}", tags=["requests"], summary="Read a request")
async def read_request(request_id: str):
    """The request with this id, any text; percent-escapes arrive decoded."""
    return {"request": request_id}
# ANCHOR_END: requests


# ANCHOR: request_type
class RequestType(str, Enum):
    """The kinds of request: help with what exists, or something new."""

    service = "service"
    new_feature = "new_feature"


@app.get("/requests/type/{request_type}", tags=["requests"], summary="Read a type of request")
async def read_request_type(request_type: RequestType):
    """One of the two request types; any other value is a 422 that lists them."""
    return {"request_type": request_type}
# ANCHOR_END: request_type


# ANCHOR: bounds
@app.get("/items_validated/{request_id}", tags=["requests"], summary="Read a bounded request")
async def read_item_validated(
    request_id: Annotated[int, Path(title="The request's id", ge=10, lt=15)],
):
    """A request id from 10 (included) to 15 (excluded)."""
    return {"request_id": request_id}
# ANCHOR_END: bounds


# Exercises.


# ANCHOR: models
class ModelName(str, Enum):
    alexnet = "alexnet"
    resnet = "resnet"
    lenet = "lenet"


@app.get("/models/{model_name}", tags=["models"], summary="Read a model")
async def get_model(model_name: ModelName):
    """A model by name, with a word about it."""
    if model_name is ModelName.alexnet:
        return {"model_name": model_name, "message": "Deep Learning FTW!"}
    if model_name.value == "lenet":
        return {"model_name": model_name, "message": "LeCNN all the images"}
    return {"model_name": model_name, "message": "Have some residuals"}
# ANCHOR_END: models


# ANCHOR: user_items
@app.get("/users/{user_id}/items/{item_id}", tags=["users"], summary="Read a user's item")
async def read_user_item(user_id: int, item_id: str):
    """One item of one user: the values are matched to the arguments by name."""
    return {"user_id": user_id, "item_id": item_id}
# ANCHOR_END: user_items


# ANCHOR: files
@app.get("/files/{file_path:path}", tags=["files"], summary="Read a file")
async def read_file(file_path: str):
    """A file by its path: the `:path` converter takes the rest of the path, slashes included."""
    return {"file_path": file_path}
# ANCHOR_END: files
