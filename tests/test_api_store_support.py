"""What the store gained for the API: pooled connections, writers queued in order on SQLite,
warehouse and partner updates, document list filters."""

from __future__ import annotations

import threading
import time

from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from store import agendas, catalog
from store import db as dbm
from store.errors import AlreadyExists, NotFound
from tests.helpers import receive


def test_a_pooled_database_from_a_url(tmp_path):
    assert isinstance(dbm.make_database(f"sqlite:///{tmp_path}/x.db", pool=4), PooledSqliteDatabase)
    assert isinstance(dbm.make_database("postgresql://u@h/db", pool=4), PooledPostgresqlDatabase)
    assert not isinstance(dbm.make_database(f"sqlite:///{tmp_path}/x.db"), PooledSqliteDatabase)


def test_the_writer_lock_is_handed_over_in_arrival_order():
    lock = dbm._FifoLock()
    order, started = [], []
    lock.__enter__()

    def worker(n):
        started.append(n)
        with lock:
            order.append(n)

    threads = []
    for n in range(6):
        t = threading.Thread(target=worker, args=(n,))
        t.start()
        threads.append(t)
        while len(started) <= n:
            time.sleep(0.001)
        time.sleep(0.01)  # n is queued before n + 1 arrives
    lock.__exit__(None, None, None)
    for t in threads:
        t.join(5)
    assert order == list(range(6))


def test_concurrent_sqlite_writers_in_one_process_all_get_through(sqlite_url):
    dbm.connect(sqlite_url)
    catalog.create_item("P", "P", tracked=True)
    errors = []

    def worker(n):
        try:
            with dbm.db.connection_context():
                for i in range(5):
                    receive("P", [f"{n}-{i}"])
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    from store.lookups import stock_of
    assert stock_of("P") == 60


def test_update_warehouse_and_partner(stock):
    wh = catalog.update_warehouse("B", new_code="B2", name="Back room", make_default=True)
    assert (wh.code, wh.name, wh.is_default) == ("B2", "Back room", True)
    assert catalog.default_warehouse().code == "B2"
    try:
        catalog.update_warehouse("B2", new_code="MAIN")
        raise AssertionError("refused expected")
    except AlreadyExists as r:
        assert r.message == "A warehouse with code MAIN already exists."
    p = catalog.update_partner("ACME", new_code="ACME2", name="Acme")
    assert (p.code, p.name) == ("ACME2", "Acme")
    try:
        catalog.update_partner("NOPE", name="x")
        raise AssertionError("refused expected")
    except NotFound:
        pass


def test_document_rows_filters(stock):
    import datetime as dt

    receive("PHONE-X", ["A"], warehouse="B", partner="ACME", date=dt.date(2026, 1, 5))
    receive("PHONE-X", ["B"], date=dt.date(2026, 2, 5))
    rows = lambda **kw: [r.number for r in agendas.document_rows(["receipt"], **kw)]  # noqa: E731
    assert rows(warehouse="B") == ["GR-2026-0001"]
    assert rows(warehouse="NOPE") == []
    assert rows(partner="ACME") == ["GR-2026-0001"]
    assert rows(date_from=dt.date(2026, 2, 1)) == ["GR-2026-0002"]
    assert rows(date_to=dt.date(2026, 1, 31)) == ["GR-2026-0001"]
