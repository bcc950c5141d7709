"""Builds the service: database, routers, errors and middlewares, from its settings, in one
function that chapter 16 calls too. Importing this module starts nothing."""

from collections.abc import Collection
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from .config import Settings
from .database import Base, make_engine
from .errors import add_exception_handlers
from .limits import LoginLimits
from .middlewares import add_access_log, add_trusted_hosts
from .routers import auth, index, services, users

TITLE = "A bigger application"
VERSION = "1.0.0"

tags_metadata = [
    {"name": "index", "description": "About the service."},
    {"name": "auth", "description": "Accounts: register and log in for a bearer token."},
    {"name": "users", "description": "The logged-in user's API keys."},
    {
        "name": "services",
        "description": "The service API, for programs: requests signed with an API key.",
        "externalDocs": {"url": "https://fastapi.tiangolo.com/tutorial/bigger-applications/"},
    },
]


# ANCHOR: create_app
def create_app(settings: Settings, probes: Collection[str] = ()) -> FastAPI:
    """The service. `probes`: paths that any `Host` may ask for, left out of the access log
    (chapter 16's health checks)."""
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        Base.metadata.create_all(engine)
        yield
        engine.dispose()

    app = FastAPI(
        title=TITLE,
        version=VERSION,
        description="Chapter 14 of the **Poem API Workbook**: accounts, keys, signed requests.",
        openapi_tags=tags_metadata,
        openapi_url=settings.openapi_url,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)
    app.state.limits = LoginLimits(settings)
    for router in (index.router, auth.router, users.router, services.router):
        app.include_router(router)
    add_exception_handlers(app)
    # Innermost first: each one added wraps those before it.
    add_trusted_hosts(app, settings.trusted_hosts, except_paths=probes)
    add_access_log(app, settings.log_format, skip=lambda request: request.url.path in probes)
    return app
# ANCHOR_END: create_app

