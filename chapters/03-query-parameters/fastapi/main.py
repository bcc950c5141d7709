"""Chapter 03, the FastAPI version: query parameters.

Defaults, required and optional values, string lengths and patterns, lists, aliases.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/03-query-parameters/fastapi
"""

from typing import Annotated

from fastapi import FastAPI, Query

tags_metadata = [
    {
        "name": "defaults",
        "description": "Query parameters with and without defaults.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/query-params/"},
    },
    {"name": "validation", "description": "Lengths, patterns and optional values."},
    {"name": "lists", "description": "A parameter repeated into a list."},
    {"name": "aliases", "description": "Exercise 2: a URL name that is not a Python name."},
]

app = FastAPI(
    title="Query parameters",
    version="1.0.0",
    description="Chapter 03 of the **Poem API Workbook**: values from the query string.",
    openapi_tags=tags_metadata,
)


# ANCHOR: defaults
@app.get("/query_params", tags=["defaults"], summary="Page through")
async def read_query_params(page: int = 0, skip: int = 0):
    """`page` and `skip`, both integers that default to 0."""
    return {"page": page, "skip": skip}


@app.get("/query_params_required", tags=["defaults"], summary="A required parameter")
async def read_query_params_required(req: str, page: int = 0, skip: int = 0):
    """`req` has no default, so it is required: without it the answer is a 422."""
    return {"page": page, "skip": skip, "req": req}
# ANCHOR_END: defaults


# ANCHOR: typed
@app.get("/query_params_typed", tags=["validation"], summary="A bounded string")
async def read_query_params_typed(
    req: Annotated[
        str,
        Query(
            description="Any text of 5 to 15 characters.",
            min_length=5,
            max_length=15,
            examples=["aaaaa"],
        ),
    ],
):
    """`req` must have 5 to 15 characters."""
    return {"req": req}
# ANCHOR_END: typed


# ANCHOR: items
@app.get("/items/", tags=["validation"], summary="List the items")
async def read_items(q: Annotated[str | None, Query(max_length=50)] = None):
    """The items, and the search text `q` when one is given (at most 50 characters)."""
    results = {"items": [{"item_id": "Foo"}, {"item_id": "Bar"}]}
    if q:
        results.update({"q": q})
    return results
# ANCHOR_END: items


# ANCHOR: tags
@app.get("/tags/", tags=["lists"], summary="List the tags")
async def read_tags(tag: Annotated[list[str], Query()] = []):
    """Every `tag` given, in order: `?tag=a&tag=b` is `["a", "b"]`."""
    return {"tags": tag}
# ANCHOR_END: tags


# Exercises.


# ANCHOR: needy
@app.get("/needy/{item_id}", tags=["defaults"], summary="Path and query together")
async def read_needy_item(item_id: str, needy: str, skip: int = 0, limit: int | None = None):
    """`item_id` from the path; `needy` required, `skip` and `limit` optional."""
    return {"item_id": item_id, "needy": needy, "skip": skip, "limit": limit}
# ANCHOR_END: needy


# ANCHOR: alias
@app.get("/aliased/", tags=["aliases"], summary="An aliased parameter")
async def read_aliased(
    q: Annotated[str | None, Query(alias="item-query", min_length=3, max_length=50)] = None,
):
    """The parameter is `item-query` in the URL and `q` in the code."""
    return {"q": q}
# ANCHOR_END: alias


# ANCHOR: pattern
@app.get("/products/", tags=["validation"], summary="Find a product")
async def read_product(sku: Annotated[str, Query(pattern="^[A-Z]{3}-[0-9]{4}$")]):
    """A product by its SKU: three capital letters, a dash and four digits (`ABC-1234`)."""
    return {"sku": sku}
# ANCHOR_END: pattern
