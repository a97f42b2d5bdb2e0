"""Which database: resolving the URL, without importing peewee (the command line decides early
whether the PostgreSQL driver needs loading at all)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import ParseResult, unquote, urlparse

from .errors import DatabaseError


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


def parse_url(url: str) -> tuple[str, str | ParseResult]:
    """("sqlite", file path) or ("postgresql", the parsed URL); DatabaseError, saying what to write
    instead, for a URL that would surprise. Cheap: the command line checks the URL before the app starts."""
    if "://" not in url:
        return "sqlite", _sqlite_path(url)
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///rel.db -> netloc '' path '/rel.db'; sqlite:////abs.db -> path '//abs.db'
        if parsed.netloc:
            raise DatabaseError(
                f"Bad SQLite URL {url!r}: use sqlite:///relative.db (three slashes) "
                "or sqlite:////absolute/path.db (four slashes)."
            )
        path = unquote(parsed.path[1:])
        if not path:
            raise DatabaseError(f"Bad SQLite URL {url!r}: it names no file.")
        return "sqlite", _sqlite_path(path)
    if scheme in ("postgresql", "postgres"):
        if not parsed.path or parsed.path == "/":
            raise DatabaseError(f"Bad PostgreSQL URL {url!r}: it names no database (postgresql://user@host/dbname).")
        return "postgresql", parsed
    raise DatabaseError(f"Unknown database URL {url!r}: use sqlite:///file.db or postgresql://user@host/dbname.")


def _sqlite_path(path: str) -> str:
    if path == ":memory:" or path.startswith("file::memory"):
        raise DatabaseError("An in-memory database is not supported: every screen and worker needs the same file.")
    return path
