"""Which database: resolving the URL, without importing peewee (the command line decides early
whether the PostgreSQL driver needs loading at all)."""

from __future__ import annotations

import os
from pathlib import Path


def default_sqlite_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "serialstock" / "serialstock.db"


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $SERIALSTOCK_DB, else the default SQLite file."""
    if url:
        return url
    env = os.environ.get("SERIALSTOCK_DB")
    if env:
        return env
    return "sqlite:///" + str(default_sqlite_path())


def is_postgres_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in ("postgresql", "postgres") if "://" in url else False
