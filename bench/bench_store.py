"""Benchmark of the store against a raw baseline doing the same work, run by hand.

    /work/venv/bin/python bench/bench_store.py                      # 1,000,000 serials, 10,000 items, SQLite
    /work/venv/bin/python bench/bench_store.py --quick              # 100,000 serials, 1,000 items
    /work/venv/bin/python bench/bench_store.py --db postgresql://postgres@127.0.0.1:5432/test --quick

What it does
  1. Creates the database with store.db.connect(url) (so the schema is the store's own), then fills it
     directly (sqlite3 executemany / PostgreSQL COPY) in exactly the shape the store writes: goods
     receipts of ``--lines-per-doc`` lines, one line per item holding all of that item's serials, each
     serial with a doc_line_serial row, a serial_number row (in_stock, warehouse, received_at) and an
     EFFECTIVE ledger row (+1); stock = count * 1000 per item and warehouse; the receipt counter set.
     Secondary indexes are dropped during the load and re-created from their own definitions.
     About 1% of the codes are shared by two items (serials are unique per item, not across items).
     check() must return [] on the result; the script says so and stops otherwise.
  2. Measures, each beside a raw baseline on its own DB-API connection (same pragmas):
     - find_serial(code) with history: p50 / p99 over ``--lookups`` random codes. Baseline: the same
       three SELECTs (serial + item + warehouse by code; latest in/out per serial; history rows with the
       warehouse code), rows fetched as tuples.
     - save_document of one goods receipt line of ``--batch`` new serials. Baseline: one transaction
       (BEGIN IMMEDIATE on SQLite) writing the same rows: counter upsert, document, line, executemany of
       doc_line_serial, serial_number, a SELECT mapping codes to ids (chunks of 900, as the store), executemany
       of ledger, the stock upsert.
     - save_document of the goods issue of those serials. Baseline: counter, document, line,
       doc_line_serial, SELECT ids, UPDATE serial_number ... WHERE id IN (chunk) AND status/warehouse
       guard, executemany of ledger (-1), the guarded stock UPDATE.
     Saves are repeated ``--repeat`` times (alternating who goes first) and the median is reported.
     - check() over the whole database. Baseline, for scale only: a raw count of serial_number and of
       the latest effective ledger entry per serial.
     - tracing: list_serials(received_from=<a supplier>, received_after/before=<dates>, status=None) paged
       by 1,000 rows (as the API and the Excel export read it) up to all its ``--trace-rows`` rows (the
       receipts are spread over ``--partners`` suppliers, one day apart, so that the range picks exactly
       that many). Baseline: the same SELECT (serial, item, warehouse, status, receipt date and partner,
       issue date and partner) of all those rows at once, plus the latest in/out document of each, raw.
  3. check() again after all the writes (ours and baseline's): must still be [].

The default SQLite file is bench/bench_<serials>.db (bench/*.db is git-ignored), deleted at the end
unless --keep. On PostgreSQL the serialstock tables in the given database are dropped first (as
tests/conftest.py does) and dropped again at the end unless --keep; do not run the PostgreSQL test
suite against the same database at the same time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import random
import sqlite3
import statistics
import string
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from store import db as dbm  # noqa: E402
from store.check import check  # noqa: E402
from store.documents import DocumentIn, LineIn, save_document  # noqa: E402
from store.lookups import find_serial  # noqa: E402
from store.models import ALL_MODELS  # noqa: E402

OPERATOR = "bench"
PRICE = Decimal("9.99")
CHUNK = 900
FILLED_TABLES = ("item", "document", "doc_line", "doc_line_serial", "serial_number", "ledger", "stock")


def print_table(rows: list[tuple]) -> None:
    """The figures as a Markdown table: measure | ours | baseline | ratio | target | ok."""
    head = ("measure", "ours", "baseline", "ratio", "target", "ok")
    widths = [max(len(str(r[k])) for r in [head, *rows]) for k in range(len(head))]
    line = lambda r: "| " + " | ".join(str(v).ljust(widths[k]) for k, v in enumerate(r)) + " |"  # noqa: E731
    say("")
    say(line(head))
    say("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        say(line(r))
    say("")


def say(*a) -> None:
    print(*a, flush=True)


# --- the two backends ---------------------------------------------------------------------------

class Backend:
    """What differs between SQLite and PostgreSQL for the raw side: connecting, parameters, values, bulk load."""

    is_pg = False
    param = "?"

    def __init__(self, url: str):
        self.url = url

    def sql(self, query: str) -> str:
        return query if self.param == "?" else query.replace("?", self.param)

    def ts(self, value: dt.datetime):
        return str(value)  # as the store writes it on SQLite (peewee DateTimeField, documents._ts)

    def day(self, value: dt.date):
        return str(value)

    def dec(self, value: Decimal):
        return str(value)  # DECIMAL affinity stores it as peewee does


class SqliteBackend(Backend):
    def __init__(self, url: str, path: Path):
        super().__init__(url)
        self.path = path

    def raw(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
        for k, v in dbm.SQLITE_PRAGMAS.items():
            conn.execute(f"PRAGMA {k} = {v}")
        return conn

    def begin(self, conn):
        conn.execute("BEGIN IMMEDIATE")

    def commit(self, conn):
        conn.execute("COMMIT")

    def rollback(self, conn):
        conn.execute("ROLLBACK")

    def reset(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                p.unlink()

    def bulk(self, conn, table, cols, rows) -> None:
        conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)

    def load_begin(self, conn) -> list[str]:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA foreign_keys = OFF")  # consistent by construction
        marks = ",".join("?" * len(FILLED_TABLES))
        idx = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                           f"AND tbl_name IN ({marks})", FILLED_TABLES).fetchall()
        conn.execute("BEGIN")
        for name, _ in idx:
            conn.execute(f'DROP INDEX "{name}"')
        return [s for _, s in idx]

    def load_end(self, conn, index_sql: list[str]) -> None:
        for s in index_sql:
            conn.execute(s)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # No ANALYZE: the store never runs it, so the planner sees what a real database gives it.

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} file {self.path}"

    def size(self) -> str:
        n = sum(Path(str(self.path) + s).stat().st_size for s in ("", "-wal") if Path(str(self.path) + s).exists())
        return f"{n / 1e6:.0f} MB"


class PostgresBackend(Backend):
    is_pg = True
    param = "%s"

    def raw(self):
        import psycopg
        return psycopg.connect(self.url, autocommit=True)

    def ts(self, value):
        return value

    def day(self, value):
        return value

    def dec(self, value):
        return value

    def begin(self, conn):
        conn.execute("BEGIN")

    def commit(self, conn):
        conn.execute("COMMIT")

    def rollback(self, conn):
        conn.execute("ROLLBACK")

    def reset(self) -> None:
        # As tests/conftest.py _reset_postgres: drop serialstock's tables only.
        database = dbm.make_database(self.url)
        dbm.db.initialize(database)
        database.connect(reuse_if_open=True)
        database.drop_tables(ALL_MODELS, safe=True, cascade=True)
        database.close()

    def bulk(self, conn, table, cols, rows) -> None:
        with conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)

    def load_begin(self, conn) -> list[str]:
        conn.execute("BEGIN")
        try:
            conn.execute("SET LOCAL session_replication_role = replica")  # skip FK triggers: consistent by construction
        except Exception:
            conn.execute("ROLLBACK")
            conn.execute("BEGIN")
        rows = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(FILLED_TABLES),)).fetchall()
        for name, _ in rows:
            conn.execute(f'DROP INDEX "{name}"')
        return [d for _, d in rows]

    def load_end(self, conn, index_sql: list[str]) -> None:
        for s in index_sql:
            conn.execute(s)
        for t in FILLED_TABLES + ("warehouse",):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))")
        conn.execute("COMMIT")
        # Autovacuum would analyze tables this size soon after; a freshly loaded one has no statistics.
        conn.execute("ANALYZE")

    def describe(self) -> str:
        with self.raw() as c:
            v = c.execute("SHOW server_version").fetchone()[0]
        return f"PostgreSQL {v} at {self.url}"

    def size(self) -> str:
        with self.raw() as c:
            n = c.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        return f"{n / 1e6:.0f} MB (whole database)"


def backend_for(arg: str, serials: int, overwrite: bool) -> Backend:
    if arg.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(arg)
    if arg == "sqlite":
        path = HERE / f"bench_{serials}.db"
    else:
        path = Path(dbm.make_database(arg).database).resolve()
        if path.exists() and HERE not in path.parents and not overwrite:
            sys.exit(f"{path} exists and is not under bench/; pass --overwrite to let the benchmark replace it.")
    return SqliteBackend(f"sqlite:///{path}", path)


# --- population ---------------------------------------------------------------------------------

class Layout:
    """Who is where: item i (1-based) has count[i] serials with ids offset[i]+1 .. offset[i]+count[i];
    its doc_line has id i; doc_line_serial and ledger ids equal the serial ids."""

    def __init__(self, serials: int, items: int, warehouses: int, lines_per_doc: int, shared_pct: float, seed: int):
        self.n, self.m, self.w, self.lpd = serials, items, warehouses, lines_per_doc
        rnd = random.Random(seed)
        alphabet = string.ascii_uppercase + string.digits
        seen: set[str] = set()
        self.prefix = [""]
        while len(self.prefix) <= items:
            p = rnd.choice(string.ascii_uppercase) + "".join(rnd.choices(alphabet, k=4))
            if p not in seen:
                seen.add(p)
                self.prefix.append(p)
        base, extra = divmod(serials, items)
        self.count = [0] + [base + (1 if i <= extra else 0) for i in range(1, items + 1)]
        self.offset = [0] * (items + 1)
        for i in range(2, items + 1):
            self.offset[i] = self.offset[i - 1] + self.count[i - 1]
        # the first few serials of each item (after the first) carry a code of the item before it
        self.shared = [0] + [0] + [int(self.count[i] * shared_pct / 100) for i in range(2, items + 1)]
        self.docs = (items + lines_per_doc - 1) // lines_per_doc
        today = dt.date.today()
        self.year = today.year
        self.start = dt.datetime(today.year, 1, 1, 7, 0, 0, 123456)
        self.partners = 20  # receipts go to suppliers in turn, one day apart (set by main)

    def date_of_doc(self, d: int) -> dt.date:
        """Receipts one day apart, the last one on the 1st of January this year (the document's date)."""
        return dt.date(self.year, 1, 1) - dt.timedelta(days=self.docs - d)

    def partner_of_doc(self, d: int) -> int:
        return (d - 1) % self.partners + 1

    def code(self, i: int, j: int) -> str:
        if j < self.shared[i]:
            return f"{self.prefix[i - 1]}{j:06d}"  # item i-1 has this code too
        return f"{self.prefix[i]}{j:06d}"

    def doc_of(self, i: int) -> int:
        return (i - 1) // self.lpd + 1

    def position(self, i: int) -> int:
        return (i - 1) % self.lpd + 1

    def wh_of_doc(self, d: int) -> int:
        return (d - 1) % self.w + 1

    def at_of_doc(self, d: int) -> dt.datetime:
        return self.start + dt.timedelta(seconds=7 * d)

    def number(self, d: int) -> str:
        return f"GR-{self.year}-{d:04d}"

    def random_codes(self, k: int, rnd: random.Random) -> list[str]:
        out = []
        for _ in range(k):
            i = rnd.randint(1, self.m)
            out.append(self.code(i, rnd.randrange(self.count[i])))
        return out


def populate(be: Backend, lay: Layout) -> float:
    t0 = time.perf_counter()
    conn = be.raw()
    index_sql = be.load_begin(conn)
    B = be
    created = B.ts(lay.start - dt.timedelta(days=1))
    be.bulk(conn, "warehouse", ("id", "code", "name", "is_default"),
            [(w, f"WH{w:02d}", f"Bench warehouse {w}", False) for w in range(2, lay.w + 1)])
    be.bulk(conn, "partner", ("id", "code", "name"),
            [(p, f"SUP{p:03d}", f"Bench supplier {p}") for p in range(1, lay.partners + 1)])
    be.bulk(conn, "item", ("id", "code", "name", "unit", "ean", "price", "tracked", "created_at"),
            ((i, f"IT{i:06d}", f"Bench item {i}", "pcs", None, B.dec(PRICE), True, created)
             for i in range(1, lay.m + 1)))

    def docs():
        for d in range(1, lay.docs + 1):
            at = lay.at_of_doc(d)
            yield (d, lay.number(d), "receipt", lay.year, d, B.day(lay.date_of_doc(d)), lay.wh_of_doc(d), None,
                   lay.partner_of_doc(d), "", OPERATOR, None, None, 1, B.ts(at), B.ts(at))
    be.bulk(conn, "document", ("id", "number", "kind", "year", "seq", "date", "warehouse_id", "to_warehouse_id",
                               "partner_id", "note", "operator", "generate_movement", "source_id", "version",
                               "created_at", "updated_at"), docs())
    be.bulk(conn, "doc_line", ("id", "document_id", "position", "item_id", "quantity", "price"),
            ((i, lay.doc_of(i), lay.position(i), i, lay.count[i] * 1000, B.dec(PRICE)) for i in range(1, lay.m + 1)))

    def line_serials():
        for i in range(1, lay.m + 1):
            off = lay.offset[i]
            for j in range(lay.count[i]):
                yield (off + j + 1, i, lay.code(i, j))
    be.bulk(conn, "doc_line_serial", ("id", "line_id", "code"), line_serials())

    def serials():
        for i in range(1, lay.m + 1):
            d = lay.doc_of(i)
            wh, at = lay.wh_of_doc(d), B.ts(lay.at_of_doc(d))
            on, partner = B.day(lay.date_of_doc(d)), lay.partner_of_doc(d)
            off = lay.offset[i]
            for j in range(lay.count[i]):
                yield (off + j + 1, i, lay.code(i, j), "in_stock", wh, at, on, on, partner)
    be.bulk(conn, "serial_number", ("id", "item_id", "code", "status", "warehouse_id", "received_at", "moved_on",
                                    "received_on", "received_from_id"), serials())

    def ledger():
        for i in range(1, lay.m + 1):
            d = lay.doc_of(i)
            wh, at, number, pos = lay.wh_of_doc(d), B.ts(lay.at_of_doc(d)), lay.number(d), lay.position(i)
            on = B.day(lay.date_of_doc(d))
            off = lay.offset[i]
            for j in range(lay.count[i]):
                yield (off + j + 1, off + j + 1, d, number, "receipt", pos, 1, wh, at, on, OPERATOR, 0)
    be.bulk(conn, "ledger", ("id", "serial_id", "document_id", "doc_number", "doc_kind", "line_position", "direction",
                             "warehouse_id", "at", "doc_date", "operator", "state"), ledger())
    be.bulk(conn, "stock", ("id", "item_id", "warehouse_id", "quantity"),
            ((i, i, lay.wh_of_doc(lay.doc_of(i)), lay.count[i] * 1000) for i in range(1, lay.m + 1) if lay.count[i]))
    be.bulk(conn, "counter", ("kind", "year", "last"), [("receipt", lay.year, lay.docs)])
    be.load_end(conn, index_sql)
    conn.close()
    return time.perf_counter() - t0


# --- measuring ------------------------------------------------------------------------------------

def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 1)) - 1))  # nearest rank
    return s[k]


class Profiler:
    def __init__(self, on: bool):
        self.on = on
        self.reports: list[tuple[str, str]] = []

    def run(self, label, fn, *a, **kw):
        if not self.on:
            return fn(*a, **kw)
        pr = cProfile.Profile()
        try:
            return pr.runcall(fn, *a, **kw)
        finally:
            out = io.StringIO()
            pstats.Stats(pr, stream=out).sort_stats("cumulative").print_stats(35)
            self.reports.append((label, out.getvalue()))


LOOKUP_SERIAL = ("SELECT s.id, s.item_id, s.code, s.status, s.warehouse_id, s.received_at, i.id, i.code, i.name, "
                 "i.unit, i.ean, i.price, i.tracked, i.created_at, w.id, w.code, w.name, w.is_default "
                 "FROM serial_number s JOIN item i ON i.id = s.item_id LEFT JOIN warehouse w ON w.id = s.warehouse_id "
                 "WHERE s.code = ? ORDER BY i.code")
LOOKUP_LATEST = ("SELECT l.serial_id, l.direction, l.doc_number, l.at FROM ledger l JOIN ("
                 "SELECT serial_id, direction, MAX(id) AS m FROM ledger WHERE state = 0 AND serial_id IN ({marks}) "
                 "GROUP BY serial_id, direction) x ON x.m = l.id")
LOOKUP_HISTORY = ("SELECT l.id, l.serial_id, l.document_id, l.doc_number, l.doc_kind, l.line_position, l.direction, "
                  "l.warehouse_id, l.at, l.operator, l.state, w.code FROM ledger l JOIN warehouse w ON l.warehouse_id = w.id "
                  "WHERE l.serial_id = ? ORDER BY l.id")


def raw_lookup(be: Backend, conn, code: str):
    rows = conn.execute(be.sql(LOOKUP_SERIAL), (code,)).fetchall()
    if not rows:
        return rows
    ids = [r[0] for r in rows]
    conn.execute(be.sql(LOOKUP_LATEST.format(marks=",".join("?" * len(ids)))), ids).fetchall()
    return [(r, conn.execute(be.sql(LOOKUP_HISTORY), (r[0],)).fetchall()) for r in rows]


def bench_lookups(be: Backend, lay: Layout, n: int, rnd: random.Random, prof: Profiler):
    codes = lay.random_codes(n, rnd)
    warm = lay.random_codes(min(200, n), rnd)
    conn = be.raw()
    for c in warm:
        find_serial(c, history=True)
        raw_lookup(be, conn, c)

    def ours_loop():
        out = []
        for c in codes:
            t = time.perf_counter()
            r = find_serial(c, history=True)
            out.append(time.perf_counter() - t)
            if not r or r[0].history is None or not r[0].history:
                raise AssertionError(f"find_serial({c!r}) found {r!r}")
        return out

    ours = prof.run("find_serial x%d" % n, ours_loop)
    base = []
    for c in codes:
        t = time.perf_counter()
        r = raw_lookup(be, conn, c)
        base.append(time.perf_counter() - t)
        if not r:
            raise AssertionError(f"raw lookup of {c!r} found nothing")
    conn.close()
    return ours, base


def _ids_for(be: Backend, conn, item_id: int, codes: list[str]) -> dict[str, int]:
    out = {}
    for k in range(0, len(codes), CHUNK):
        chunk = codes[k:k + CHUNK]
        rows = conn.execute(be.sql(f"SELECT id, code FROM serial_number WHERE item_id = ? AND code IN "
                                   f"({','.join('?' * len(chunk))})"), [item_id, *chunk]).fetchall()
        out.update((c, i) for i, c in rows)
    return out


def _raw_header(be: Backend, conn, kind: str, prefix: str, wh: int, item_id: int, codes: list[str], now):
    year = now.year
    seq = conn.execute(be.sql("INSERT INTO counter (kind, year, last) VALUES (?, ?, 1) ON CONFLICT (kind, year) "
                              "DO UPDATE SET last = counter.last + 1 RETURNING last"), (kind, year)).fetchone()[0]
    number = f"{prefix}-{year}-{seq:04d}"
    doc_id = conn.execute(be.sql(
        "INSERT INTO document (number, kind, year, seq, date, warehouse_id, to_warehouse_id, partner_id, note, operator, "
        "generate_movement, source_id, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, '', ?, "
        "NULL, NULL, 1, ?, ?) RETURNING id"),
        (number, kind, year, seq, be.day(now.date()), wh, OPERATOR, be.ts(now), be.ts(now))).fetchone()[0]
    line_id = conn.execute(be.sql("INSERT INTO doc_line (document_id, position, item_id, quantity, price) "
                                  "VALUES (?, 1, ?, ?, ?) RETURNING id"),
                           (doc_id, item_id, len(codes) * 1000, be.dec(PRICE))).fetchone()[0]
    conn.cursor().executemany(be.sql("INSERT INTO doc_line_serial (line_id, code) VALUES (?, ?)"),
                              [(line_id, c) for c in codes])
    return doc_id, number


LEDGER_INSERT = ("INSERT INTO ledger (serial_id, document_id, doc_number, doc_kind, line_position, direction, "
                 "warehouse_id, at, doc_date, operator, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def raw_receipt(be: Backend, conn, item_id: int, wh: int, codes: list[str]) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    be.begin(conn)
    try:
        doc_id, number = _raw_header(be, conn, "receipt", "GR", wh, item_id, codes, now)
        on = be.day(now.date())
        conn.cursor().executemany(be.sql("INSERT INTO serial_number (item_id, code, status, warehouse_id, received_at, "
                                         "moved_on, received_on) VALUES (?, ?, 'in_stock', ?, ?, ?, ?)"),
                                  [(item_id, c, wh, be.ts(now), on, on) for c in codes])
        ids = _ids_for(be, conn, item_id, codes)
        conn.cursor().executemany(be.sql(LEDGER_INSERT), [(ids[c], doc_id, number, "receipt", 1, 1, wh, be.ts(now),
                                                           on, OPERATOR, 0) for c in codes])
        q = len(codes) * 1000
        conn.execute(be.sql("INSERT INTO stock (item_id, warehouse_id, quantity) VALUES (?, ?, ?) ON CONFLICT "
                            "(item_id, warehouse_id) DO UPDATE SET quantity = stock.quantity + ?"), (item_id, wh, q, q))
        be.commit(conn)
    except BaseException:
        be.rollback(conn)
        raise


def raw_issue(be: Backend, conn, item_id: int, wh: int, codes: list[str]) -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    be.begin(conn)
    try:
        doc_id, number = _raw_header(be, conn, "issue", "GI", wh, item_id, codes, now)
        on = be.day(now.date())
        ids = _ids_for(be, conn, item_id, codes)
        id_list = [ids[c] for c in codes]
        changed = 0
        for k in range(0, len(id_list), CHUNK):
            chunk = id_list[k:k + CHUNK]
            cur = conn.execute(be.sql("UPDATE serial_number SET status = 'issued', moved_on = ?, issued_on = ?, "
                                      f"issued_to_id = NULL WHERE id IN ({','.join('?' * len(chunk))}) "
                                      "AND status = 'in_stock' AND warehouse_id = ?"), [on, on, *chunk, wh])
            changed += cur.rowcount
        if changed != len(codes):
            raise AssertionError(f"raw issue changed {changed} serials of {len(codes)}")
        conn.cursor().executemany(be.sql(LEDGER_INSERT), [(ids[c], doc_id, number, "issue", 1, -1, wh, be.ts(now),
                                                           on, OPERATOR, 0) for c in codes])
        q = len(codes) * 1000
        cur = conn.execute(be.sql("UPDATE stock SET quantity = quantity - ? WHERE item_id = ? AND warehouse_id = ? "
                                  "AND quantity >= ?"), (q, item_id, wh, q))
        if cur.rowcount != 1:
            raise AssertionError("raw issue: not enough stock")
        be.commit(conn)
    except BaseException:
        be.rollback(conn)
        raise


def timed(fn, *a, **kw) -> float:
    t = time.perf_counter()
    fn(*a, **kw)
    return time.perf_counter() - t


def bench_saves(be: Backend, lay: Layout, batch: int, repeat: int, prof: Profiler):
    # Two populated items in MAIN (warehouse 1): one for our saves, one for the baseline's.
    mains = [i for i in range(1, lay.m + 1) if lay.wh_of_doc(lay.doc_of(i)) == 1]
    ours_item, base_item = mains[0], mains[len(mains) // 2]
    ours_code, wh = f"IT{ours_item:06d}", 1
    conn = be.raw()
    rec_o, rec_b, iss_o, iss_b = [], [], [], []
    for r in range(repeat):
        oc = [f"BENCH-O{r}-{k:06d}" for k in range(batch)]
        bc = [f"BENCH-B{r}-{k:06d}" for k in range(batch)]
        p = prof if r == 0 else Profiler(False)  # profile the first round only
        ours_rec = lambda: p.run(f"save_document receipt of {batch}", save_document,  # noqa: E731
                                 DocumentIn("receipt", [LineIn(ours_code, batch, None, oc)]), operator=OPERATOR)
        ours_iss = lambda: p.run(f"save_document issue of {batch}", save_document,  # noqa: E731
                                 DocumentIn("issue", [LineIn(ours_code, batch, None, oc)]), operator=OPERATOR)
        if r % 2 == 0:
            rec_o.append(timed(ours_rec))
            rec_b.append(timed(raw_receipt, be, conn, base_item, wh, bc))
            iss_o.append(timed(ours_iss))
            iss_b.append(timed(raw_issue, be, conn, base_item, wh, bc))
        else:
            rec_b.append(timed(raw_receipt, be, conn, base_item, wh, bc))
            rec_o.append(timed(ours_rec))
            iss_b.append(timed(raw_issue, be, conn, base_item, wh, bc))
            iss_o.append(timed(ours_iss))
        say(f"  round {r + 1}: receipt ours {rec_o[-1]:.3f} s raw {rec_b[-1]:.3f} s; "
            f"issue ours {iss_o[-1]:.3f} s raw {iss_b[-1]:.3f} s")
    conn.close()
    return rec_o, rec_b, iss_o, iss_b


def trace_range(lay: Layout, rows: int) -> tuple[str, dt.date, dt.date, int]:
    """(supplier code, first day, last day, expected rows): the supplier of the first receipt and the
    dates of its receipts that hold ``rows`` serials."""
    partner = lay.partner_of_doc(1)
    docs = [d for d in range(1, lay.docs + 1) if lay.partner_of_doc(d) == partner]
    total, last = 0, docs[0]
    for d in docs:
        held = sum(lay.count[i] for i in range((d - 1) * lay.lpd + 1, min(d * lay.lpd, lay.m) + 1))
        if total and total + held > rows:
            break
        total, last = total + held, d
    return f"SUP{partner:03d}", lay.date_of_doc(docs[0]), lay.date_of_doc(last), total


TRACE_SQL = ("SELECT s.id, s.code, i.code, i.name, s.status, w.code, s.received_at, s.received_on, rp.code, "
             "s.issued_on, ip.code FROM serial_number s JOIN item i ON i.id = s.item_id "
             "LEFT JOIN warehouse w ON w.id = s.warehouse_id LEFT JOIN partner rp ON rp.id = s.received_from_id "
             "LEFT JOIN partner ip ON ip.id = s.issued_to_id "
             "WHERE s.received_from_id = (SELECT id FROM partner WHERE code = ?) AND s.received_on >= ? "
             "AND s.received_on <= ? ORDER BY s.code, s.id")


def bench_trace(be: Backend, lay: Layout, rows: int, repeat: int) -> tuple[list[float], list[float], int, int]:
    """Ours: list_serials paged by 1,000 rows; raw: the same SELECT of every row at once, and the latest
    in/out document per serial (as list_serials gives received_by / issued_by)."""
    from store.lookups import list_serials

    code, first, last, expected = trace_range(lay, rows)
    ours, base = [], []
    got_o = got_b = 0
    conn = be.raw()
    for _ in range(repeat):
        t = time.perf_counter()
        after, got_o = None, 0
        while True:
            page = list_serials(received_from=code, received_after=first, received_before=last, status=None,
                                after=after, limit=1000)
            got_o += len(page)
            if len(page) < 1000:
                break
            after = (page[-1].code, page[-1].id)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        found = conn.execute(be.sql(TRACE_SQL), (code, be.day(first), be.day(last))).fetchall()
        ids = [r[0] for r in found]
        for k in range(0, len(ids), CHUNK):
            chunk = ids[k:k + CHUNK]
            conn.execute(be.sql(
                "SELECT l.serial_id, l.direction, l.doc_number FROM ledger l JOIN (SELECT serial_id, direction, "
                f"MAX(id) AS m FROM ledger WHERE state = 0 AND serial_id IN ({','.join('?' * len(chunk))}) "
                "GROUP BY serial_id, direction) x ON x.m = l.id"), chunk).fetchall()
        base.append(time.perf_counter() - t)
        got_b = len(found)
    conn.close()
    assert got_o == got_b == expected, (got_o, got_b, expected)
    return ours, base, got_o, expected


def raw_count(be: Backend) -> float:
    conn = be.raw()
    t = time.perf_counter()
    conn.execute("SELECT COUNT(*) FROM serial_number").fetchone()
    conn.execute("SELECT COUNT(*) FROM (SELECT serial_id, MAX(id) FROM ledger WHERE state = 0 GROUP BY serial_id) x").fetchone()
    took = time.perf_counter() - t
    conn.close()
    return took


# --- main -------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serials", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--quick", action="store_true", help="100,000 serials over 1,000 items")
    ap.add_argument("--db", default="sqlite", help="sqlite (bench/bench_<serials>.db), sqlite:///file.db, or postgresql://...")
    ap.add_argument("--warehouses", type=int, default=4)
    ap.add_argument("--lines-per-doc", type=int, default=10)
    ap.add_argument("--shared-pct", type=float, default=1.0, help="share of codes also used by another item")
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=10_000, help="serials in the receipt/issue line")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of receipt+issue (median reported)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--keep", action="store_true", help="keep the filled database afterwards")
    ap.add_argument("--overwrite", action="store_true", help="allow replacing an SQLite file outside bench/")
    ap.add_argument("--profile", action="store_true", help="cProfile our side and print the top of each profile")
    ap.add_argument("--partners", type=int, default=20, help="suppliers the receipts go to in turn")
    ap.add_argument("--trace-rows", type=int, default=10_000, help="serials the tracing query returns")
    args = ap.parse_args(argv)
    if args.quick:
        args.serials, args.items = 100_000, 1_000
    if args.items < 2 or args.serials < args.items:
        ap.error("need at least 2 items and one serial per item")

    be = backend_for(args.db, args.serials, args.overwrite)
    say("serialstock store benchmark")
    say(f"  command: {' '.join([Path(sys.executable).as_posix(), *sys.argv])}")
    say(f"  python {platform.python_version()}, peewee {__import__('peewee').__version__}, "
        f"{os.cpu_count()} CPUs, {platform.platform()}")
    say(f"  {args.serials:,} serials over {args.items:,} items, {args.warehouses} warehouses, "
        f"{args.lines_per_doc} lines per receipt, {args.shared_pct}% codes shared by two items")

    lay = Layout(args.serials, args.items, args.warehouses, args.lines_per_doc, args.shared_pct, args.seed)
    lay.partners = args.partners
    be.reset()
    t = time.perf_counter()
    dbm.connect(be.url).close()  # the store's own schema, schema version and the MAIN warehouse
    schema_s = time.perf_counter() - t
    took = populate(be, lay)
    say(f"  database: {be.describe()}")
    say(f"  schema {schema_s:.2f} s; populated {args.serials:,} serials in {lay.docs:,} receipts in {took:.1f} s; "
        f"size {be.size()}")

    dbm.connect(be.url)
    prof = Profiler(args.profile)
    t = time.perf_counter()
    problems = prof.run("check() on the populated database", check)
    check_s = time.perf_counter() - t
    say(f"  check() on the populated database: {problems!r} ({check_s:.2f} s)")
    if problems:
        say("  the populated database is not consistent; the figures would mean nothing. Stopping.")
        return 2
    t = time.perf_counter()
    check()
    check2_s = time.perf_counter() - t
    count_s = raw_count(be)

    say(f"  lookups: {args.lookups:,} random codes ...")
    rnd = random.Random(args.seed + 1)
    lo, lb = bench_lookups(be, lay, args.lookups, rnd, prof)
    say(f"  tracing: serials of one supplier received between two dates, {args.trace_rows:,} rows ...")
    tr_o, tr_b, tr_n, _ = bench_trace(be, lay, args.trace_rows, args.repeat)
    say(f"  saves: {args.repeat} round(s) of a receipt line of {args.batch:,} new serials, then its issue ...")
    rec_o, rec_b, iss_o, iss_b = bench_saves(be, lay, args.batch, args.repeat, prof)

    t = time.perf_counter()
    after = check()
    check3_s = time.perf_counter() - t
    say(f"  check() after all the writes (ours and the baseline's): {after!r} ({check3_s:.2f} s)")

    ms = lambda s: f"{s * 1e3:.3f} ms"  # noqa: E731
    sec = lambda s: f"{s:.3f} s"  # noqa: E731
    rows = []

    def row(measure, ours, base, fmt, target, ok):
        ratio = f"{ours / base:.2f}x" if base else "-"
        rows.append((measure, fmt(ours), fmt(base) if base is not None else "-", ratio, target,
                     "-" if ok is None else ("yes" if ok else "NO")))

    p50o, p50b, p99o, p99b = pct(lo, .50), pct(lb, .50), pct(lo, .99), pct(lb, .99)
    row(f"find_serial p50 ({args.lookups} lookups)", p50o, p50b, ms, "-", None)
    row(f"find_serial p99 ({args.lookups} lookups)", p99o, p99b, ms, "p99 < 2 ms", p99o < 0.002)
    for label, o, b in ((f"receipt of {args.batch:,} serials (median of {args.repeat})", rec_o, rec_b),
                        (f"issue of {args.batch:,} serials (median of {args.repeat})", iss_o, iss_b)):
        mo, mb = statistics.median(o), statistics.median(b)
        row(label, mo, mb, sec, "< 1 s, <= 5x", mo < 1.0 and mo <= 5 * mb)
    mo = statistics.median(tr_o)
    row(f"list_serials by supplier and dates, {tr_n:,} rows in pages of 1,000 (median of {args.repeat})", mo,
        statistics.median(tr_b), sec, "< 0.5 s" + (" (SQLite)" if not be.is_pg else ""),
        mo < 0.5 if not be.is_pg else None)
    row(f"check() over {args.serials:,} serials", check_s, count_s, sec, "< 10 s", check_s < 10)
    row("check() again (warm)", check2_s, None, sec, "< 10 s", check2_s < 10)

    print_table(rows)
    say("baseline: raw " + ("psycopg" if be.is_pg else "sqlite3") + " on its own connection doing the same SELECTs / "
        "writing the same rows; check() baseline is only a raw COUNT of serial_number and of the latest ledger "
        "entry per serial, for scale.")
    say(f"extra: lookups ours max {max(lo) * 1e3:.3f} ms, mean {statistics.mean(lo) * 1e3:.3f} ms; raw max "
        f"{max(lb) * 1e3:.3f} ms, mean {statistics.mean(lb) * 1e3:.3f} ms. Saves ours receipt "
        f"{', '.join(f'{x:.3f}' for x in rec_o)} s, issue {', '.join(f'{x:.3f}' for x in iss_o)} s; raw receipt "
        f"{', '.join(f'{x:.3f}' for x in rec_b)} s, issue {', '.join(f'{x:.3f}' for x in iss_b)} s.")

    if args.profile:
        say("NOTE: --profile was on; cProfile slows our side several times, so the figures above are not the real ones.")
    for label, text in prof.reports:
        say(f"\n--- profile: {label} ---")
        say(text)

    dbm.db.close()
    if not args.keep:
        be.reset()  # SQLite: delete the file; PostgreSQL: drop serialstock's tables again
    failed = [r for r in rows if r[-1] == "NO"] or after
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
