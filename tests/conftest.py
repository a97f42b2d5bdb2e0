"""Fixtures: every store test runs on SQLite, and on PostgreSQL when SERIALSTOCK_TEST_PG holds a URL."""

from __future__ import annotations

import os

import pytest

from store import db as dbm
from store.models import ALL_MODELS

PG_URL = os.environ.get("SERIALSTOCK_TEST_PG")
PG_SKIP = "PostgreSQL tests need SERIALSTOCK_TEST_PG=postgresql://user@host/db (set by .ci/run when a server answers)"


def _reset_postgres(url: str) -> None:
    """Drop serialstock's tables in the test database, leaving anything else alone."""
    database = dbm.make_database(url)
    dbm.db.initialize(database)
    database.connect(reuse_if_open=True)
    database.drop_tables(ALL_MODELS, safe=True, cascade=True)
    database.close()


@pytest.fixture(autouse=True)
def _own_settings(tmp_path_factory, monkeypatch):
    """No test reads the user's settings file or writes their state file (the palette's theme)."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("SERIALSTOCK_CONFIG", raising=False)
    from serialstock import settings

    settings.use(None)
    yield
    settings.use(None)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A URL to a fresh, empty database (not yet opened)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stock.db'}"
    if not PG_URL:
        pytest.skip(PG_SKIP)
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'stock.db'}"


@pytest.fixture
def database(db_url):
    """The store opened on a fresh database, SQLite and PostgreSQL in turn."""
    database = dbm.connect(db_url)
    yield database
    database.close()


@pytest.fixture
def stock(database):
    """A small price list: a tracked phone, an untracked cable, warehouses MAIN and B, partner ACME."""
    from store import catalog

    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90", ean="8594000000013")
    catalog.create_item("TAB-9", "Tablet 9", tracked=True, price="299.00")
    catalog.create_item("CABLE", "USB cable", price="4.50")
    catalog.create_warehouse("B", "Second warehouse")
    catalog.create_partner("ACME", "Acme Ltd.")
    return database
