"""Chapter 01, the FastAPI version: the first app, its metadata and its docs pages.

Run it from the workbook's root:

    .venv/bin/python -m uvicorn main:app --app-dir chapters/01-hello-world/fastapi

OPENAPI_URL, DOCS_URL and REDOC_URL move the document and the two docs pages; an empty value
switches that page off (an empty OPENAPI_URL switches off all three).
"""

import os

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict


# ANCHOR: docs_urls
def url_from_env(name: str, default: str) -> str | None:
    """The path in the variable `name`, `default` when it is unset, None when it is empty."""
    return os.environ.get(name, default) or None
# ANCHOR_END: docs_urls


# ANCHOR: metadata
TITLE = "Hello World"
VERSION = "1.0.0"

DESCRIPTION = """
The first service of the **Poem API Workbook**.

It says hello, and shows what every later chapter has:

* an **OpenAPI document** at `/openapi.json`;
* **Swagger UI** at `/docs`, to try each operation;
* **ReDoc** at `/redoc`, to read them.
"""

tags_metadata = [
    {
        "name": "hello",
        "description": "Greetings from the first endpoint.",
        "externalDocs": {
            "description": "FastAPI's first steps",
            "url": "https://fastapi.tiangolo.com/tutorial/first-steps/",
        },
    },
    {
        "name": "about",
        "description": "What the service says about itself.",
        "externalDocs": {
            "description": "The OpenAPI info object",
            "url": "https://spec.openapis.org/oas/v3.1.0#info-object",
        },
    },
]

app = FastAPI(
    title=TITLE,
    version=VERSION,
    description=DESCRIPTION,
    terms_of_service="https://example.com/terms/",
    contact={
        "name": "Poem API Workbook",
        "url": "https://example.com/workbook/contact/",
        "email": "workbook@example.com",
    },
    license_info={
        "name": "Apache 2.0",
        "url": "https://www.apache.org/licenses/LICENSE-2.0.html",
    },
    openapi_tags=tags_metadata,
    openapi_url=url_from_env("OPENAPI_URL", "/openapi.json"),
    docs_url=url_from_env("DOCS_URL", "/docs"),
    redoc_url=url_from_env("REDOC_URL", "/redoc"),
)
# ANCHOR_END: metadata


# ANCHOR: message
class Message(BaseModel):
    """A greeting."""

    message: str

    # Exercise 2: the example Swagger UI shows for the answer of GET /.
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"message": "Hello World"}]},
    )
# ANCHOR_END: message


# ANCHOR: root
@app.get("/", tags=["hello"], summary="Say hello")
async def root() -> Message:
    """The first endpoint of the workbook: it answers every `GET /` with the same greeting."""
    return Message(message="Hello World")
# ANCHOR_END: root


# Exercises.


# ANCHOR: about
class About(BaseModel):
    """The service's name and version, as the OpenAPI document gives them."""

    title: str
    version: str


@app.get("/about", tags=["about"], summary="About this service")
async def about() -> About:
    """The title and version of the service, the same ones the OpenAPI document shows."""
    return About(title=app.title, version=app.version)
# ANCHOR_END: about
