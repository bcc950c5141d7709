"""Chapter 16, the FastAPI version: chapter 14's service, deployed: static files, liveness and
readiness probes, the client's address from a trusted proxy only, settings checked at start.

The program (this folder run by Python, or the `program` script beside it) checks every
setting before it listens, then runs uvicorn with WORKERS processes:

    CONFIG_FILE=app.env python chapters/16-deployment/fastapi --port 8000 --workers 2

`uvicorn main:app --no-proxy-headers` serves the same app (uvicorn's own proxy handling
believes 127.0.0.1 unless told not to; this app does it from TRUSTED_PROXIES instead).

Settings (see settings.py): chapter 14's, and HOST, PORT, WORKERS, STATIC_DIR (default: the
chapter's `static/` folder, which the Rust version serves too), TRUSTED_PROXIES, CONFIG_FILE.
"""

import asyncio
import platform
import re
import uuid
from ipaddress import ip_address, ip_network

import fastapi
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from settings import ConfigError, Settings  # first: it puts chapter 14's folder on the path

from app.service import create_app  # noqa: E402  chapter 14's service

VERSION = "1.0.0"
PROBES = {"/health", "/ready"}


# ANCHOR: static
class CachedStaticFiles(StaticFiles):
    """Starlette's static files (content types, HEAD, 404 for anything outside the folder,
    no folder listings), and exercise 2: browsers may keep them for an hour."""

    async def get_response(self, path: str, scope: Scope):
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response
# ANCHOR_END: static


# ANCHOR: build
def build(settings: Settings) -> FastAPI:
    app = create_app(settings.app, probes=PROBES)
    app.mount("/static", CachedStaticFiles(directory=settings.static_dir), name="static")
    add_operations(app)
    if settings.trusted_proxies:
        # X-Forwarded-For is believed only from these peers: walked from the right, the first
        # address that is not a trusted proxy is the client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    add_request_id(app, settings.trusted_proxies)
    return app
# ANCHOR_END: build


# ANCHOR: probes
def add_operations(app: FastAPI) -> None:
    @app.api_route("/health", methods=["GET", "HEAD"], tags=["ops"], summary="Liveness")
    async def health():
        """Answers while the process serves: it checks nothing else."""
        return {"status": "ok"}

    @app.api_route("/ready", methods=["GET", "HEAD"], tags=["ops"], summary="Readiness")
    async def ready(request: Request):
        """Ready when the database answers `SELECT 1` within 2 seconds."""

        def select_one() -> None:
            with request.app.state.sessionmaker() as db:
                db.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(asyncio.to_thread(select_one), timeout=2)
        except Exception:
            return JSONResponse({"detail": "Database unavailable"}, status_code=503)
        return {"status": "ready"}

    @app.get("/whoami", tags=["ops"], summary="Who is calling?")
    async def whoami(request: Request):
        """The client's address: the connection's, or a trusted proxy's X-Forwarded-For."""
        return {"client": request.client.host if request.client else None}

    @app.get("/version", tags=["ops"], summary="What is running")
    async def version():
        """Exercise 1: the program and its version, and what it runs on."""
        return {
            "name": "ch16-deployment (FastAPI)",
            "version": VERSION,
            "python": platform.python_version(),
            "fastapi": fastapi.__version__,
        }
# ANCHOR_END: probes


# ANCHOR: request_id
PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def add_request_id(app: FastAPI, trusted_proxies: list[str]) -> None:
    """Exercise 3: every answer carries an X-Request-Id, also in the access log: a trusted
    proxy's (nginx's $request_id), else a new one. Outermost, so it sees the real peer."""
    networks = [ip_network(proxy, strict=False) for proxy in trusted_proxies]

    def from_proxy(peer: str | None) -> bool:
        try:
            return peer is not None and any(ip_address(peer) in net for net in networks)
        except ValueError:
            return False

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        sent = request.headers.get("x-request-id", "")
        peer = request.client.host if request.client else None
        trusted = from_proxy(peer) and PLAIN_ID.fullmatch(sent)
        rid = sent if trusted else str(uuid.uuid4())
        request.state.log_fields = {"request_id": rid}
        response = await call_next(request)
        response.headers["X-Request-Id"] = rid
        return response
# ANCHOR_END: request_id


def load_settings() -> Settings:
    try:
        return Settings.load()
    except ConfigError as err:
        raise SystemExit(f"error: {err}")


app = build(load_settings())
