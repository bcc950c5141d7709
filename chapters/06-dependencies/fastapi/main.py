"""Chapter 06, the FastAPI version: dependencies.

Shared parameters, a class as a dependency, a sub-dependency, header guards on one operation
and on a router, the per-request cache, and a dependency with `yield` that always cleans up.

    .venv/bin/python -m uvicorn main:app --app-dir chapters/06-dependencies/fastapi
"""

import itertools
import threading
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError

tags_metadata = [
    {
        "name": "parameters",
        "description": "Parameters shared through dependencies.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/dependencies/"},
    },
    {"name": "guards", "description": "Operations behind header checks."},
    {"name": "cache", "description": "One dependency, used twice in a request."},
    {"name": "session", "description": "A resource opened and always closed."},
    {"name": "exercises", "description": "A request id, and a paginator with settings."},
]

app = FastAPI(
    title="Dependencies",
    version="1.0.0",
    description="Chapter 06 of the **Poem API Workbook**: dependency injection.",
    openapi_tags=tags_metadata,
)


# ANCHOR: common
async def common_parameters(q: str | None = None, skip: int = 0, limit: int = 100):
    return {"q": q, "skip": skip, "limit": limit}


CommonsDep = Annotated[dict, Depends(common_parameters)]


@app.get("/items/", tags=["parameters"], summary="Read items")
async def read_items(commons: CommonsDep):
    """The common parameters, as the dependency read them."""
    return commons


@app.get("/users/", tags=["parameters"], summary="Read users")
async def read_users(commons: CommonsDep):
    """The same dependency, in a second operation."""
    return commons
# ANCHOR_END: common


# ANCHOR: class
fake_items_db = [{"item_name": "Foo"}, {"item_name": "Bar"}, {"item_name": "Baz"}]


class CommonQueryParams:
    def __init__(
        self,
        q: str | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=0)] = 100,
    ):
        self.q = q
        self.skip = skip
        self.limit = limit


@app.get("/class-items/", tags=["parameters"], summary="Read a page of items")
async def read_class_items(commons: Annotated[CommonQueryParams, Depends()]):
    """The `skip`/`limit` slice of the catalogue, and `q` when it is given."""
    response = {}
    if commons.q:
        response.update({"q": commons.q})
    items = fake_items_db[commons.skip : commons.skip + commons.limit]
    response.update({"items": items})
    return response
# ANCHOR_END: class


# ANCHOR: sub_dependency
def query_extractor(q: str | None = None):
    return q


def query_or_cookie_extractor(
    q: Annotated[str | None, Depends(query_extractor)],
    last_query: Annotated[str | None, Cookie()] = None,
):
    if not q:
        return last_query
    return q


@app.get("/query-or-cookie/", tags=["parameters"], summary="Read a query or a cookie")
async def read_query(query_or_default: Annotated[str | None, Depends(query_or_cookie_extractor)]):
    """`q`, else the `last_query` cookie, else null."""
    return {"q_or_cookie": query_or_default}
# ANCHOR_END: sub_dependency


# ANCHOR: guards
async def verify_token(x_token: Annotated[str, Header()]):
    if x_token != "fake-super-secret-token":
        raise HTTPException(status_code=400, detail="X-Token header invalid")


async def verify_key(x_key: Annotated[str, Header()]):
    if x_key != "fake-super-secret-key":
        raise HTTPException(status_code=400, detail="X-Key header invalid")
    return x_key


@app.get(
    "/protected-items/",
    dependencies=[Depends(verify_token), Depends(verify_key)],
    tags=["guards"],
    summary="Read protected items",
)
async def read_protected_items():
    """Only with the right `X-Token` and `X-Key` headers."""
    return [{"item": "Foo"}, {"item": "Bar"}]
# ANCHOR_END: guards


# ANCHOR: router
router = APIRouter(
    prefix="/global",
    tags=["guards"],
    dependencies=[Depends(verify_token), Depends(verify_key)],
)


@router.get("/items/", summary="Read guarded items")
async def read_global_items():
    """The router's checks run before this operation."""
    return [{"item": "Portal Gun"}, {"item": "Plumbus"}]


@router.get("/users/", summary="Read guarded users")
async def read_global_users():
    """And before this one."""
    return [{"username": "Rick"}, {"username": "Morty"}]


app.include_router(router)
# ANCHOR_END: router


# ANCHOR: cache
def count_call(request: Request) -> int:
    """Counts its own runs in this request's state."""
    request.state.calls = getattr(request.state, "calls", 0) + 1
    return request.state.calls


def permissions(calls: Annotated[int, Depends(count_call)]) -> int:
    return calls


def preferences(calls: Annotated[int, Depends(count_call)]) -> int:
    return calls


def fresh_permissions(calls: Annotated[int, Depends(count_call, use_cache=False)]) -> int:
    return calls


def fresh_preferences(calls: Annotated[int, Depends(count_call, use_cache=False)]) -> int:
    return calls


@app.get("/cached/", tags=["cache"], summary="A cached dependency")
async def read_cached(
    request: Request,
    _permissions: Annotated[int, Depends(permissions)],
    _preferences: Annotated[int, Depends(preferences)],
):
    """`count_call` is needed twice and runs once: FastAPI caches it for the request."""
    return {"calls": request.state.calls}


@app.get("/uncached/", tags=["cache"], summary="An uncached dependency")
async def read_uncached(
    request: Request,
    _permissions: Annotated[int, Depends(fresh_permissions)],
    _preferences: Annotated[int, Depends(fresh_preferences)],
):
    """With `use_cache=False`, `count_call` runs for each use."""
    return {"calls": request.state.calls}
# ANCHOR_END: cache


# ANCHOR: session
class SessionCounts:
    """How many sessions were opened and closed, shared by every request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.opened = 0
        self.closed = 0


counts = SessionCounts()


def get_session():
    with counts.lock:
        counts.opened += 1
        session = counts.opened
    try:
        yield session
    finally:
        with counts.lock:
            counts.closed += 1


@app.get("/session/", tags=["session"], summary="Use a session")
async def read_session(
    session: Annotated[int, Depends(get_session, scope="function")],
    fail: bool = False,
):
    """The session's number; it is closed when the answer is made, even when this fails."""
    if fail:
        raise HTTPException(status_code=400, detail="Requested failure")
    return {"session": session}


@app.get("/session/stats", tags=["session"], summary="Count the sessions")
async def read_session_stats():
    """How many sessions were opened and how many closed: the two are equal at rest."""
    with counts.lock:
        return {"opened": counts.opened, "closed": counts.closed}
# ANCHOR_END: session


# Exercises.


# ANCHOR: request_id
request_numbers = itertools.count(1)


async def request_id(
    x_request_id: Annotated[
        str | None,
        Header(
            description="An id of your own: 1 to 64 visible ASCII characters",
            min_length=1,
            max_length=64,
            pattern=r"^[\x21-\x7E]+$",
        ),
    ] = None,
) -> str:
    """The client's X-Request-Id, or a new one."""
    return x_request_id or f"req-{next(request_numbers)}"


RequestId = Annotated[str, Depends(request_id)]


@app.get("/traced/items/", tags=["exercises"], summary="Read traced items")
async def read_traced_items(request_id: RequestId):
    """The items, with the request's id."""
    return {"request_id": request_id, "items": [{"item_name": "Foo"}]}


@app.get("/traced/users/", tags=["exercises"], summary="Read traced users")
async def read_traced_users(request_id: RequestId):
    """The users, with the request's id."""
    return {"request_id": request_id, "users": ["Rick", "Morty"]}
# ANCHOR_END: request_id


# ANCHOR: paginator
class Paginator:
    """A dependency with settings: the default and the largest `limit`."""

    def __init__(self, default_limit: int = 10, max_limit: int = 50):
        self.default_limit = default_limit
        self.max_limit = max_limit

    def __call__(
        self,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int | None, Query(ge=1)] = None,
    ) -> tuple[int, int]:
        if limit is None:
            limit = self.default_limit
        if limit > self.max_limit:
            raise RequestValidationError(
                [
                    {
                        "type": "less_than_equal",
                        "loc": ("query", "limit"),
                        "msg": f"Input should be less than or equal to {self.max_limit}",
                        "input": str(limit),
                        "ctx": {"le": self.max_limit},
                    }
                ]
            )
        return skip, limit


paginator = Paginator(default_limit=10, max_limit=50)
all_items = [{"item_name": f"Item {n}"} for n in range(1, 101)]


@app.get("/paginated-items/", tags=["exercises"], summary="Read a page of numbered items")
async def read_paginated_items(page: Annotated[tuple[int, int], Depends(paginator)]):
    """A page of `Item 1` to `Item 100`; `limit` is at most the paginator's 50."""
    skip, limit = page
    return {"skip": skip, "limit": limit, "total": len(all_items), "items": all_items[skip : skip + limit]}
# ANCHOR_END: paginator
