"""A full disk or a read-only database is reported as such everywhere: the store raises DatabaseFault
saying what to do, the API answers 503 with that message and no Retry-After (retrying cannot help),
`serialstock import` prints one line and no traceback, even when SQLite's ROLLBACK then fails too.
SQLite's own limits stand in for the disk: max_page_count (SQLITE_FULL) and query_only (SQLITE_READONLY)."""

from __future__ import annotations

import peewee
import pytest
from fastapi.testclient import TestClient

from api import create_app
from serialstock.cli import main
from store import catalog, tokens
from store import db as dbm
from store.check import check
from store.errors import DatabaseFault
from store.models import Serial

from .helpers import receive
from .xlsx_parts import receipt_parts, write


def _seed(url: str) -> int:
    """A database with PHONE-X and ACME; returns its size in pages."""
    dbm.connect(url)
    catalog.create_item("PHONE-X", "Phone X", tracked=True)
    catalog.create_partner("ACME", "Acme")
    dbm.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return dbm.db.execute_sql("PRAGMA page_count").fetchone()[0]


def _many(n: int, prefix: str = "F") -> list[str]:
    return [f"{prefix}-{i:06d}-{'x' * 60}" for i in range(n)]


def test_a_full_disk_is_said_and_nothing_is_saved(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    pages = _seed(url)
    dbm.db.execute_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(DatabaseFault, match="disk holding the database is full") as caught:
        receive("PHONE-X", _many(3000))
    assert caught.value.code == "disk_full"
    dbm.db.execute_sql("PRAGMA max_page_count = 1073741823")
    assert Serial.select().count() == 0 and check() == []
    dbm.db.close()


def test_a_read_only_database_is_said(tmp_path):
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    _seed(url)
    dbm.db.execute_sql("PRAGMA query_only = 1")
    with pytest.raises(DatabaseFault, match="database is read-only") as caught:
        receive("PHONE-X", ["R-1"])
    assert caught.value.code == "read_only"
    dbm.db.close()


def test_a_failed_rollback_does_not_hide_the_first_error(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rb.db'}"
    pages = _seed(url)
    dbm.db.execute_sql(f"PRAGMA max_page_count = {pages}")
    database = dbm.db.obj

    def rollback_fails(*a, **k):
        raise peewee.OperationalError("cannot rollback - no transaction is active")

    monkeypatch.setattr(database, "rollback", rollback_fails)
    monkeypatch.setattr(peewee._transaction, "rollback", lambda self, begin=True: rollback_fails())
    with pytest.raises(DatabaseFault, match="full"):
        receive("PHONE-X", _many(3000))
    monkeypatch.undo()
    try:
        database.rollback()
    except Exception:
        pass
    dbm.db.close()




@pytest.mark.parametrize("pragma, code, words", [
    (("query_only", 1), "read_only", "read-only"),
    (("max_page_count", None), "disk_full", "disk holding the database is full"),
], ids=["read-only", "disk full"])
def test_the_api_answers_503_without_retry_after(tmp_path, monkeypatch, pragma, code, words):
    url = f"sqlite:///{tmp_path / 'api.db'}"
    pages = _seed(url)
    _, secret = tokens.create_token("eshop")
    dbm.db.close()
    if pragma[1] is None:
        pragma = (pragma[0], pages + 2)
    client = TestClient(create_app(url))
    with client:
        # the disk fills up (the file turns read-only) while the server runs: its next connections see it
        dbm.db.obj.close_all()
        dbm.db.obj._pragmas = [*dbm.db.obj._pragmas, pragma]
        answer = client.post("/goods-receipts", headers={"Authorization": f"Bearer {secret}"},
                             json={"lines": [{"item": "PHONE-X", "quantity": 3000, "serials": _many(3000)}]})
        dbm.db.close()
    obj = dbm.db.obj
    if hasattr(obj, "close_all"):
        obj.close_all()
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"]["code"] == code
    assert words in answer.json()["error"]["message"]
    assert "retry-after" not in answer.headers


def test_import_on_a_read_only_database_is_one_line(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'imp.db'}"
    _seed(url)
    dbm.db.close()
    path = write(tmp_path / "r.xlsx", receipt_parts(["I-1", "I-2"]))
    monkeypatch.setitem(dbm.SQLITE_PRAGMAS, "query_only", 1)
    assert main(["--db", url, "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("serialstock: ") and "read-only" in err
    assert "Traceback" not in err
    dbm.db.close()
