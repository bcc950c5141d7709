"""Chapter 14, the FastAPI version: a bigger application, laid out as FastAPI's "Bigger
Applications" tutorial lays it out: the package `app/`, with `app/main.py` building the app.

    .venv/bin/python -m uvicorn app.main:app --app-dir chapters/14-bigger-application/fastapi

This module only re-exports it, so that `uvicorn main:app` works here as in every chapter.
"""

from app.main import app

__all__ = ["app"]
