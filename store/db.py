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
import random
import threading
import time
from pathlib import Path
from urllib.parse import unquote

import peewee
from peewee import DatabaseProxy
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from .errors import DatabaseError, DatabaseFault, IntegrityRefused, SavedMeanwhile

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -32000,
}


from .access import check_sqlite_writable, prepare_sqlite_file  # noqa: E402,F401  (re-exported)
from .urls import default_sqlite_path, is_postgres_url, parse_url, postgres_options, resolve_url  # noqa: E402,F401  (re-exported)


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
        **postgres_options(url),  # sslmode, connect_timeout...: to the driver as given
        **extra,
    )


def _sqlite(path: str, pool: int | None = None) -> peewee.SqliteDatabase:
    parent = Path(path).expanduser().resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise DatabaseFault(f"Cannot open the database {path}: a part of its folder path is a file, not a folder. "
                            "Give a path in an existing folder.", code="database_path") from None
    except OSError as exc:
        raise DatabaseFault(f"Cannot create the folder {parent} for the database: {exc.strerror or exc}. "
                            "Give a path in a folder you can write.", code="database_path") from None
    if Path(path).expanduser().is_dir():
        raise DatabaseFault(f"Cannot open the database {path}: it is a folder. Give the path of a database file.",
                            code="database_path")
    prepare_sqlite_file(path)  # in a setgid (shared) directory: group-writable, whatever the umask
    if pool:  # a pooled connection moves between threads: sqlite3 must allow that
        return PooledSqliteDatabase(
            str(Path(path).expanduser()), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=10,
            max_connections=pool, stale_timeout=300, check_same_thread=False,
        )
    return peewee.SqliteDatabase(
        str(Path(path).expanduser()), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=10
    )


def is_sqlite() -> bool:
    """True when the store's database (``store.db.db``) is SQLite; False when it is PostgreSQL or unset."""
    return isinstance(db.obj, peewee.SqliteDatabase)


def is_postgres() -> bool:
    """True when the store's database (``store.db.db``) is PostgreSQL."""
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
        if migrate:
            ensure_schema()
    except DatabaseError as exc:  # the schema: another program's tables, a newer version...
        try:
            database.close()
        except Exception:
            pass
        raise type(exc)(f"{_shown(url)}: {exc}") if type(exc) is DatabaseError else exc from None
    except (peewee.OperationalError, peewee.DatabaseError) as exc:
        try:
            database.close()
        except Exception:
            pass
        fault = fault_of(exc)
        if fault is not None:
            raise DatabaseFault(f"{_shown(url)}: {fault}", code=fault.code) from exc
        raise DatabaseError(f"Cannot open the database {_shown(url)}: {exc}".strip()) from exc
    return database


def check_writable() -> None:
    """DatabaseError, in one sentence, unless this process can write the open database: on SQLite the
    file, its -wal and -shm files and their directory (store.access); everywhere a write inside a
    transaction that is rolled back. Called before an operator starts working, not at the first save."""
    if is_sqlite():
        check_sqlite_writable(db.obj.database)
        return
    try:
        with db.atomic() as txn:
            run_sql("UPDATE setting SET value = value WHERE key = ?", ("schema_version",))
            txn.rollback()
    except peewee.DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot write the database ({first}).") from exc


def _shown(url: str | None) -> str:
    """The database named for a message: the file for SQLite, the URL without its password otherwise."""
    url = resolve_url(url)
    kind, target = parse_url(url)
    if kind == "sqlite":
        return str(target)
    return url.replace(f":{target.password}@", ":***@") if target.password else url


# What the database drivers say (SQLite, PostgreSQL) when retrying cannot help, and what to tell the user.
_FAULTS = (
    (("database or disk is full", "no space left on device", "could not extend file", "disk full"), "disk_full",
     "The disk holding the database is full; nothing was saved. Free some space on it and try again."),
    (("readonly database", "read-only", "read only"), "read_only",
     "The database is read-only; nothing was saved. Make the database file and its folder writable "
     "for this user (SQLite writes -wal and -shm files beside it), or open another database."),
    (("file is not a database", "file is encrypted", "database disk image is malformed"), "not_a_database",
     "The database file is not a serialstock database: it is not an SQLite database, or it is damaged. "
     "Check --db / $SERIALSTOCK_DB, or restore the file from a backup."),
    (("disk i/o error",), "io_error",
     "The disk holding the database reports an I/O error; nothing was saved. Check the disk, then try again."),
    (("unable to open database file",), "cannot_open",
     "The database file cannot be opened: check that its folder exists and that you may read and write it."),
)


def fault_of(exc: BaseException) -> DatabaseFault | None:
    """The DatabaseFault for a driver error that retrying will not fix (disk full, read-only, not a
    database, I/O error), or None for anything else (busy, locked, a lost connection...)."""
    text = str(exc).lower()
    for markers, code, message in _FAULTS:
        if any(m in text for m in markers):
            return DatabaseFault(message, code=code)
    return None


@contextlib.contextmanager
def _atomic():
    """db.atomic(), except that a ROLLBACK that fails (SQLite has often rolled back by itself after a full
    disk or an I/O error) does not replace the error that caused it."""
    txn = db.atomic()
    txn.__enter__()
    try:
        yield
    except BaseException as first:
        try:
            txn.__exit__(type(first), first, first.__traceback__)
        except Exception:
            pass
        raise
    txn.__exit__(None, None, None)


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

# What to retry is decided from the driver's error codes, never from its message text (PostgreSQL
# translates its messages with lc_messages; SQLite's wording is not an interface either).
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # primary result codes (the low byte of an extended one)
SQLITE_UNIQUE = (2067, 1555)  # SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
PG_RETRY = ("40001", "40P01")  # serialization_failure, deadlock_detected
PG_UNIQUE = "23505"  # unique_violation
# Integrity errors that are not a race with another saver: what they are, for the operator.
INTEGRITY_KINDS = {787: "a reference to a record that does not exist", "23503": "a reference to a record that does not exist",
                   1299: "a required value missing", "23502": "a required value missing",
                   275: "a value that breaks a check", "23514": "a value that breaks a check"}


def driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception behind one of peewee's (kept by peewee as ``orig``; a peewee exception
    translated again by an enclosing translation keeps the first one as its ``orig``)."""
    seen = 0
    while isinstance(getattr(exc, "orig", None), BaseException) and seen < 10:
        exc, seen = exc.orig, seen + 1
    if seen:
        return exc
    return exc.__context__ or exc


def driver_code(exc: BaseException) -> str | int | None:
    """The driver's error code: PostgreSQL's SQLSTATE (psycopg 3 ``sqlstate`` or ``diag.sqlstate``,
    psycopg2 ``pgcode``) or SQLite's extended result code (``sqlite_errorcode``), looked for on the error
    and on the errors behind it (peewee's ``orig``, ``__cause__``, ``__context__``: an error raised in a
    pipeline or COPY reaches us through more than one); None when the driver gave none."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen or len(seen) > 8:
            continue
        seen.add(id(e))
        for code in (getattr(e, "sqlstate", None), getattr(e, "pgcode", None),
                     getattr(getattr(e, "diag", None), "sqlstate", None), getattr(e, "sqlite_errorcode", None)):
            if code:
                return code
        orig = getattr(e, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, e.__cause__, e.__context__]
    return None


def is_race(exc: BaseException) -> bool:
    """A duplicate key: a concurrent insert of the same row won (a new attempt re-validates and refuses
    clearly, naming the document that holds it)."""
    code = driver_code(exc)
    return code in SQLITE_UNIQUE or code == PG_UNIQUE


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, peewee.IntegrityError):
        return is_race(exc)
    code = driver_code(exc)
    if isinstance(code, int):
        return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    return code in PG_RETRY


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
                    with _atomic():
                        return fn(*args, **kwargs)
            except (peewee.OperationalError, peewee.IntegrityError, peewee.DatabaseError) as exc:
                fault = fault_of(exc)
                if fault is not None:
                    raise fault from exc
                if attempt == attempts - 1 or not _retryable(exc):
                    if isinstance(exc, peewee.IntegrityError):
                        if is_race(exc):
                            raise SavedMeanwhile(
                                "Someone else saved the same record at the same moment; try again.") from exc
                        code = driver_code(exc)
                        raise IntegrityRefused(
                            f"The database refused the change: {INTEGRITY_KINDS.get(code, 'a rule of the database')} "
                            f"(error {code}: {driver_error(exc)}). Nothing was saved.") from exc
                    raise
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
