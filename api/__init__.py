"""The JSON HTTP API: a thin FastAPI front end on the store services (see api/README.md)."""

from .app import create_app

__all__ = ["create_app"]
