"""`/`: the service's name, version and clock."""

import time

from fastapi import APIRouter, Request

from ..schemas import Index, rfc3339

router = APIRouter(tags=["index"])


# ANCHOR: index
@router.get("/", summary="About the service")
async def index(request: Request) -> Index:
    """Its name and version, and the server's clock: a program that signs requests can check
    here that its own clock is within the 60 seconds that signed requests allow."""
    now = int(time.time())
    return Index(
        service=request.app.title, version=request.app.version, time=rfc3339(now), timestamp=now
    )
# ANCHOR_END: index
