"""SQL helpers shared by the store's hand-written queries (documents, counts, lookups): IN lists that
stay under SQLite's limit of bound variables, bulk inserts (COPY on PostgreSQL), timestamps as each
driver takes them. Queries are written with ``?`` placeholders (store.db.placeholders turns them into
the open database's style)."""

from __future__ import annotations

import datetime as dt

import peewee

from .db import db, is_sqlite, placeholders

# Variables per statement: SQLite builds before 3.32 allow 999 (SQLITE_MAX_VARIABLE_NUMBER,
# https://www.sqlite.org/limits.html#max_variable_number); an IN list of CHUNK leaves room for the
# statement's other parameters. PostgreSQL takes the whole list as one array parameter.
CHUNK = 900
SMALL_INSERT = 64  # rows: up to this many go to PostgreSQL by executemany, more by COPY


def marks(n: int) -> str:
    """``n`` placeholders joined by commas: ``?,?,?``."""
    return ",".join("?" * n)


def in_list(column: str, values: list, *, array: bool = True) -> tuple[str, list]:
    """``(condition, parameters)`` for ``column IN (?, ...)``; on PostgreSQL, when ``array``,
    ``column = ANY(?)`` with the values as one array parameter (one statement text whatever the count).
    ``array=False`` keeps IN (?, ...) there too: the planner then sees each value, where a generic plan
    of ANY was seen to scan instead of probing an index (the read queries of store.lookups). Give at most
    CHUNK values on SQLite (see ``chunks``)."""
    if is_sqlite() or not array:
        return f"{column} IN ({marks(len(values))})", list(values)
    return f"{column} = ANY(?)", [list(values)]


def chunks(seq, size: int = CHUNK):
    """Yields lists of values for ``in_list``: chunks of ``size`` on SQLite, the whole list at once on
    PostgreSQL (nothing for an empty sequence)."""
    seq = list(seq)
    if not is_sqlite():
        if seq:
            yield seq
        return
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def execute_many(query: str, rows: list) -> None:
    """Run ``query`` (``?`` placeholders) once per row, in one executemany; driver errors come as
    peewee's (an IntegrityError for a duplicate key), as for every other query."""
    if rows:
        with peewee.__exception_wrapper__:
            db.cursor().executemany(placeholders(query), rows)


def insert_rows(table: str, columns: tuple[str, ...], rows: list) -> None:
    """Many rows into one table: executemany on SQLite. On PostgreSQL, COPY, whose rows psycopg formats
    in C and the server takes as they stream in (several times faster there than one INSERT per row,
    and than one INSERT ... SELECT FROM unnest(arrays) of them); but up to SMALL_INSERT rows by
    executemany, which psycopg sends in one pipeline: one trip to the server where COPY takes two (the
    ledger rows of a save are written while it holds its number's counter row). Raises peewee's
    IntegrityError for a duplicate key (retried by write_transaction), OperationalError for a deadlock."""
    if not rows:
        return
    if is_sqlite() or len(rows) <= SMALL_INSERT:
        execute_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(len(columns))})", rows)
        return
    with peewee.__exception_wrapper__, db.cursor() as cur, \
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def timestamp(value: dt.datetime):
    """A UTC datetime as a parameter: its text on SQLite (as peewee writes DateTimeFields there), the
    datetime itself on PostgreSQL."""
    return str(value) if is_sqlite() else value
