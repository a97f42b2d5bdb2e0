"""Opening the database: SQLite by default, PostgreSQL by URL, one proxy every model uses.

URLs:
  sqlite:///relative/path.db      (three slashes: relative to the current directory)
  sqlite:////absolute/path.db     (four slashes: absolute)
  /some/path.db or ./x.db         (a plain path is taken as an SQLite file)
  postgresql://user:pass@host:5432/dbname   (postgres:// is accepted too)
Default: $SERIALSTOCK_DB, else an SQLite file in $XDG_DATA_HOME/serialstock/ (~/.local/share/serialstock/).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import random
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import peewee
from peewee import DatabaseProxy
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from .errors import DatabaseError, Refusal

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


from .urls import default_sqlite_path, is_postgres_url, parse_url, resolve_url  # noqa: E402,F401  (re-exported)


def make_database(url: str, *, pool: int | None = None) -> peewee.Database:
    """Build (not connect) a peewee Database for a URL, refusing URLs that would surprise.

    ``pool``: keep up to that many connections open for reuse (for a server that opens and closes a
    connection per request from many threads); None: a plain connection per thread."""
    kind, target = parse_url(url)
    if kind == "sqlite":
        return _sqlite(target, pool)
    parsed = target
    cls, extra = peewee.PostgresqlDatabase, {}
    if pool:
        cls, extra = PooledPostgresqlDatabase, {"max_connections": pool, "stale_timeout": 300, "timeout": 30}
    return cls(
        unquote(parsed.path[1:]),
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        host=parsed.hostname or None,
        port=parsed.port or None,
        autorollback=False,
        **extra,
    )


def _sqlite(path: str, pool: int | None = None) -> peewee.SqliteDatabase:
    parent = Path(path).expanduser().resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    if pool:  # a pooled connection moves between threads: sqlite3 must allow that
        return PooledSqliteDatabase(
            str(Path(path).expanduser()), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=10,
            max_connections=pool, stale_timeout=300, check_same_thread=False,
        )
    return peewee.SqliteDatabase(
        str(Path(path).expanduser()), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=10
    )


def is_sqlite() -> bool:
    return isinstance(db.obj, peewee.SqliteDatabase)


def is_postgres() -> bool:
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def placeholders(query: str) -> str:
    """SQL written with ``?`` placeholders, in the open database's own style (``%s`` on PostgreSQL)."""
    return query.replace("?", db.obj.param)


def run_sql(query: str, params=()):
    """Execute SQL written with ``?`` placeholders; returns the cursor."""
    return db.execute_sql(placeholders(query), params)


def connect(url: str | None = None, *, migrate: bool = True, pool: int | None = None) -> peewee.Database:
    """Open the database named by ``url`` (see resolve_url), bind every model to it and bring
    its schema up to date. Returns the peewee Database (``pool``: see make_database)."""
    from .migrations import ensure_schema

    database = make_database(resolve_url(url), pool=pool)
    if db.obj is not None and db.obj is not database:
        try:
            db.obj.close()
        except Exception:
            pass
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise DatabaseError(f"Cannot open the database: {exc}".strip()) from exc
    if migrate:
        ensure_schema()
    return database


class _FifoLock:
    """A lock handed to its waiters in arrival order (a plain Lock lets a thread that just released it
    take it again ahead of the others)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: collections.deque[threading.Lock] = collections.deque()

    def __enter__(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append(gate)
        gate.acquire()  # released by the holder, which hands the lock over without unlocking it

    def __exit__(self, *exc) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


# SQLite lets one writer in at a time and makes the others poll with growing sleeps (busy_timeout),
# which under many threads gives seconds of tail latency. Threads of one process queue here instead,
# in order, before BEGIN IMMEDIATE; other processes are still kept apart by SQLite's own lock.
_sqlite_writers = _FifoLock()

_RETRY_MARKERS = ("database is locked", "deadlock detected", "could not serialize", "database table is locked")


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, peewee.IntegrityError):
        return True  # a concurrent insert won the race; a new attempt re-validates and refuses clearly
    text = str(exc).lower()
    return any(m in text for m in _RETRY_MARKERS)


def write_transaction(fn):
    """Run ``fn`` in one write transaction (BEGIN IMMEDIATE on SQLite), retried when a concurrent
    writer made it fail for reasons of timing only. Inside an outer transaction it simply joins it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if db.in_transaction():
            with db.atomic():
                return fn(*args, **kwargs)
        attempts = 6
        for attempt in range(attempts):
            try:
                with _sqlite_writers if is_sqlite() else contextlib.nullcontext():
                    with db.atomic():
                        return fn(*args, **kwargs)
            except (peewee.OperationalError, peewee.IntegrityError) as exc:
                if attempt == attempts - 1 or not _retryable(exc):
                    if isinstance(exc, peewee.IntegrityError):
                        raise Refusal(
                            "Someone else saved the same record at the same moment; try again."
                        ) from exc
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
