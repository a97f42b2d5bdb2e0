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
    # schema 7: each movement's document date, and the serial's receipt, filled from the documents
    assert all(m.date is not None for m in v1.history)
    assert v1.received_on == [m.date for m in v1.history if m.state == 0 and m.direction > 0][-1]
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


def test_upgrade_to_schema_7_fills_document_dates_and_tracing(db_url):
    """A schema 6 database: the ledger's document dates and each serial's receipt and issue (partner
    and date) are filled from the documents when it is opened."""
    import datetime as dt

    from store import catalog
    from tests.helpers import issue, receive

    database = dbm.connect(db_url)
    catalog.create_item("PHONE-X", "Phone X", tracked=True)
    catalog.create_partner("SUPP", "Supplier")
    catalog.create_partner("CUST", "Customer")
    receive("PHONE-X", ["A1", "A2"], partner="SUPP", date=dt.date(2025, 5, 1))
    issue("PHONE-X", ["A1"], partner="CUST", date=dt.date(2025, 5, 3))
    database.execute_sql("UPDATE ledger SET doc_date = NULL")
    database.execute_sql("UPDATE serial_number SET moved_on = NULL, received_on = NULL, received_from_id = NULL, "
                         "issued_on = NULL, issued_to_id = NULL")
    database.execute_sql("UPDATE setting SET value = '6' WHERE key = 'schema_version'")
    database.close()
    dbm.connect(db_url)
    assert schema_version() == SCHEMA_VERSION
    [a1] = find_serial("A1")
    assert (a1.received_from, a1.received_on, a1.issued_to, a1.issued_on) == (
        "SUPP", dt.date(2025, 5, 1), "CUST", dt.date(2025, 5, 3))
    assert [m.date for m in a1.history] == [dt.date(2025, 5, 1), dt.date(2025, 5, 3)]
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


def test_schema_6_database_gains_the_draft_holder_columns(db_url):
    """Step 7: a database of schema 6 with a draft in it upgrades; the draft is kept and offered."""
    from store.drafts import drafts_of
    from store.models import Draft

    database = dbm.connect(db_url)
    for column in ("holder_host", "holder_pid", "heartbeat_at"):
        database.execute_sql(f"ALTER TABLE draft DROP COLUMN {column}")
    dbm.run_sql("INSERT INTO draft (operator, kind, number, payload, updated_at) VALUES (?, ?, ?, ?, ?)",
                ("alice", "receipt", None, '{"kind": "receipt", "lines": []}', "2026-11-01 10:00:00"))
    database.execute_sql("UPDATE setting SET value = '6' WHERE key = 'schema_version'")
    database.close()
    dbm.connect(db_url)
    assert schema_version() == SCHEMA_VERSION
    assert {"holder_host", "holder_pid", "heartbeat_at"} <= {c.name for c in dbm.db.get_columns("draft")}
    [d] = drafts_of("alice")
    assert d.holder_pid is None and d.document.kind == "receipt"
    assert Draft.get_by_id(d.id).heartbeat_at is None


# --- several OS accounts on one SQLite file (README "On the floor") -------------------------------

def test_a_new_database_in_a_setgid_directory_is_group_writable_whatever_the_umask(tmp_path):
    """SQLite gives -wal/-shm the database file's mode: the file must be group-writable, even when the
    first operator's shell had umask 022."""
    import os
    import stat

    shared = tmp_path / "srv"
    shared.mkdir()
    os.chmod(shared, 0o2775)
    old = os.umask(0o022)
    try:
        database = dbm.connect(f"sqlite:///{shared / 'stock.db'}")
        database.execute_sql("SELECT count(*) FROM setting")
        for name in ("stock.db", "stock.db-wal", "stock.db-shm"):
            st = (shared / name).stat()
            assert stat.S_IMODE(st.st_mode) & 0o060 == 0o060, (name, oct(st.st_mode))
            assert st.st_gid == shared.stat().st_gid
        database.close()
    finally:
        os.umask(old)
    plain = tmp_path / "own"
    plain.mkdir()
    old = os.umask(0o022)
    try:
        dbm.connect(f"sqlite:///{plain / 'stock.db'}").close()  # not shared: the umask decides, as before
    finally:
        os.umask(old)
    assert stat.S_IMODE((plain / "stock.db").stat().st_mode) == 0o644


def _as_another_account(argv: list[str]) -> list[str]:
    import os

    if os.geteuid() == 0:
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] + argv
    return argv


@pytest.fixture
def open_tmp():
    """A directory under /tmp that other accounts may enter (pytest's tmp_path is root's own)."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="serialstock-shared-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_the_app_refuses_to_start_on_a_database_it_cannot_write(open_tmp):
    """In one sentence, exit status 2, before the app opens (not at the first save)."""
    import os
    import subprocess
    import sys

    shared = open_tmp / "srv"
    shared.mkdir()
    os.chmod(shared, 0o777)
    path = shared / "stock.db"
    dbm.connect(f"sqlite:///{path}").close()
    os.chmod(path, 0o444 if os.geteuid() else 0o644)  # root's file, others may read it
    command = str(Path(sys.executable).parent / "serialstock")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERIALSTOCK_")}
    if os.geteuid() == 0 and any(not os.access(p, os.R_OK | os.X_OK) for p in Path(command).resolve().parents):
        pytest.skip("the venv is not readable by other accounts")
    out = subprocess.run(_as_another_account([command, "--db", f"sqlite:///{path}"]), capture_output=True,
                         text=True, timeout=30, stdin=subprocess.DEVNULL, env=env, cwd=str(shared))
    assert out.returncode == 2, out
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"serialstock: cannot write {path} (") and "mode 0" in line and "chmod 2775" in line

    os.chmod(path, 0o666)
    os.chmod(shared, 0o755)  # the file is writable, but not its directory: -wal and -shm cannot be made
    out = subprocess.run(_as_another_account([command, "--db", f"sqlite:///{path}"]), capture_output=True,
                         text=True, timeout=30, stdin=subprocess.DEVNULL, env=env, cwd="/")
    assert out.returncode == 2, out
    [line] = out.stderr.strip().splitlines()
    assert line.startswith(f"serialstock: cannot write in {shared} (") and "-wal and -shm" in line


def test_postgresql_account_that_cannot_write_is_refused_before_work(db_url):
    """check_writable: a write inside a transaction that is rolled back, refused in one sentence."""
    from urllib.parse import urlparse

    if not db_url.startswith("postgres"):
        database = dbm.connect(db_url)
        dbm.check_writable()  # SQLite, writable: nothing to say
        database.close()
        return
    database = dbm.connect(db_url)
    role = "serialstock_reader_wt11"
    if not database.execute_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
        database.execute_sql(f"CREATE ROLE {role} LOGIN")
    database.execute_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    dbm.check_writable()
    database.close()
    u = urlparse(db_url)
    reader_url = u._replace(netloc=f"{role}@{u.hostname}:{u.port or 5432}").geturl()
    try:
        dbm.connect(reader_url)
        with pytest.raises(DatabaseError, match=r"^cannot write the database \(.*permission denied"):
            dbm.check_writable()
        assert len(str(pytest.raises(DatabaseError, dbm.check_writable).value).splitlines()) == 1
    finally:
        dbm.db.close()
        admin = dbm.connect(db_url)
        admin.execute_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        admin.execute_sql(f"DROP ROLE {role}")
        admin.close()


def test_a_group_shared_database_outside_a_setgid_directory_is_refused(tmp_path):
    """The -wal/-shm files would get whoever opened the database first's own group: said at start, to
    every operator, rather than found at a save that fails depending on who came first."""
    import grp
    import os

    others = [g.gr_gid for g in grp.getgrall() if g.gr_gid != os.getegid()]
    if os.geteuid() != 0:
        others = [g for g in others if g in os.getgroups()]
    if not others:
        pytest.skip("needs a group other than this account's own to give the file")
    shared = tmp_path / "srv"
    shared.mkdir()
    path = shared / "stock.db"
    dbm.connect(f"sqlite:///{path}").close()
    os.chown(path, -1, others[0])
    os.chmod(path, 0o664)
    with pytest.raises(DatabaseError, match=r"^the database .* is not setgid, .*chmod g\+s"):
        dbm.check_sqlite_writable(path)
    os.chmod(shared, 0o2775)
    dbm.check_sqlite_writable(path)  # setgid: the side files get the directory's group
    os.chmod(shared, 0o755)
    os.chmod(path, 0o644)
    dbm.check_sqlite_writable(path)  # not shared through its group
