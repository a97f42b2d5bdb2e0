"""Opening databases: URLs, schema versions, upgrading an older file in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import peewee
import pytest

from store import db as dbm
from store.check import check
from store.errors import DatabaseError
from store.lookups import find_serial, stock_of
from store.migrations import SCHEMA_VERSION, schema_version

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.sqlite"


@pytest.mark.parametrize("url, problem", [
    ("sqlite://stock.db", "three slashes"),
    ("sqlite:///:memory:", "in-memory"),
    ("mysql://root@localhost/x", "Unknown database URL"),
    ("postgresql://postgres@127.0.0.1:5432", "names no database"),
])
def test_bad_urls_are_refused_with_a_hint(url, problem):
    with pytest.raises(DatabaseError, match=problem):
        dbm.make_database(url)


def test_sqlite_urls_relative_absolute_and_plain(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(dbm.make_database("sqlite:///rel.db"), peewee.SqliteDatabase)
    assert dbm.make_database("sqlite:///rel.db").database == "rel.db"
    assert dbm.make_database(f"sqlite:///{tmp_path}/abs.db").database == f"{tmp_path}/abs.db"
    assert dbm.make_database(str(tmp_path / "plain.db")).database == str(tmp_path / "plain.db")


def test_default_is_serialstock_db_env_then_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("SERIALSTOCK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert dbm.resolve_url(None) == f"sqlite:///{tmp_path}/serialstock/serialstock.db"
    monkeypatch.setenv("SERIALSTOCK_DB", "sqlite:///x.db")
    assert dbm.resolve_url(None) == "sqlite:///x.db"
    assert dbm.resolve_url("postgresql://h/db") == "postgresql://h/db"


def test_sqlite_settings_read_back_as_asked(sqlite_url):
    database = dbm.connect(sqlite_url)
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_new_database_has_current_schema_and_a_default_warehouse(database):
    from store.catalog import default_warehouse

    assert schema_version() == SCHEMA_VERSION
    assert default_warehouse().code == "MAIN"


def test_older_database_file_is_upgraded_in_place_keeping_its_data(tmp_path):
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    dbm.connect(f"sqlite:///{path}")
    assert schema_version() == SCHEMA_VERSION
    assert check() == []
    [v1] = find_serial("V1-001")
    assert (v1.status, v1.warehouse) == ("in_stock", "MAIN")
    assert [(m.document[:2], m.label) for m in v1.history] == [("GR", "in"), ("GI", "out"), ("GR", "in")]
    assert v1.received_at is not None  # backfilled from the ledger by the upgrade
    [v2] = find_serial("V1-002")
    assert v2.warehouse == "B"
    assert stock_of("CABLE") == 10
    assert stock_of("PHONE-X") == 3


def test_newer_database_is_refused(sqlite_url):
    database = dbm.connect(sqlite_url)
    database.execute_sql("UPDATE setting SET value = '99' WHERE key = 'schema_version'")
    database.close()
    with pytest.raises(DatabaseError, match="newer than this serialstock"):
        dbm.connect(sqlite_url)


def test_postgres_upgrade_from_schema_1(db_url):
    """The same upgrade through the PostgreSQL migrator (and SQLite's, for the record)."""
    from store import catalog
    from tests.helpers import issue, receive

    database = dbm.connect(db_url)
    catalog.create_item("PHONE-X", "Phone X", tracked=True)
    receive("PHONE-X", ["A1", "A2"])
    issue("PHONE-X", ["A1"])
    database.execute_sql("ALTER TABLE serial_number DROP COLUMN received_at")
    database.execute_sql("UPDATE setting SET value = '1' WHERE key = 'schema_version'")
    database.close()
    dbm.connect(db_url)
    assert schema_version() == SCHEMA_VERSION
    [a2] = find_serial("A2")
    assert a2.received_at is not None and a2.status == "in_stock"
    assert check() == []


def _index_columns(database) -> set[tuple[str, tuple[str, ...], bool]]:
    from store.models import ALL_MODELS

    return {(m._meta.table_name, tuple(ix.columns), ix.unique)
            for m in ALL_MODELS for ix in database.get_indexes(m._meta.table_name)}


def test_upgraded_file_has_the_indexes_of_a_new_one_and_none_twice(tmp_path):
    """Schema 5 dropped the index of each foreign key that leads a composite index: an upgraded
    file ends with exactly the indexes a new database gets, and no index is another's prefix."""
    path = tmp_path / "old.sqlite"
    shutil.copy(FIXTURE, path)
    upgraded = _index_columns(dbm.connect(f"sqlite:///{path}"))
    dbm.db.close()
    fresh = _index_columns(dbm.connect(f"sqlite:///{tmp_path / 'new.sqlite'}"))
    assert upgraded == fresh
    for table, cols, unique in fresh:
        longer = [c for t, c, _ in fresh if t == table and len(c) > len(cols) and c[:len(cols)] == cols]
        assert unique or not longer, f"index {table}{cols} is a prefix of {longer}"


def test_per_serial_rows_carry_foreign_keys_on_sqlite_only(database):
    """Schema 6: PostgreSQL checks no foreign key on the rows written once per serial (each checked row
    would lock the item and warehouse every concurrent save points at); SQLite keeps them."""
    from store.migrations import PER_SERIAL_FOREIGN_KEYS

    keys = {(t, fk.column) for t in ("serial_number", "ledger", "doc_line_serial")
            for fk in database.get_foreign_keys(t)}
    if dbm.is_sqlite():
        assert set(PER_SERIAL_FOREIGN_KEYS) <= keys
    else:
        assert keys == set()
    assert ("doc_line", "item_id") in {("doc_line", fk.column) for fk in database.get_foreign_keys("doc_line")}


def test_serials_sort_the_same_on_every_database(database):
    """Codes compare byte by byte on PostgreSQL too (COLLATE "C"), as on SQLite: the Serial Numbers
    agenda lists them in the same order whichever database a site uses."""
    from store import catalog
    from store.lookups import list_serials
    from tests.helpers import receive

    catalog.create_item("PHONE-X", "Phone X", tracked=True)
    codes = ["b-2", "B-10", "a_1", "A-1", "Z9", "é1", "10", "9"]
    receive("PHONE-X", codes)
    listed = [s.code for s in list_serials(status="in_stock", limit=20)]
    assert listed == sorted(codes, key=lambda c: c.encode())
