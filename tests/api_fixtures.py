"""Fixtures for the HTTP API tests: the app on a fresh database (SQLite, and PostgreSQL when
SERIALSTOCK_TEST_PG is set) through the ASGI test client, with a token named "eshop"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from store import db as dbm
from store import tokens
from store.check import check


def client_for(url: str, token_name: str = "eshop") -> tuple[TestClient, str]:
    _, secret = tokens.create_token(token_name)
    return TestClient(create_app(url)), secret


@pytest.fixture
def api(stock, db_url):
    """A client with the token of "eshop" on the conftest's small price list (PHONE-X and TAB-9
    tracked, CABLE not; warehouses MAIN and B; partner ACME). check() must pass afterwards."""
    client, secret = client_for(db_url)
    with client:
        client.headers["Authorization"] = f"Bearer {secret}"
        yield client
        dbm.db.close()  # the test's own thread may hold a pooled connection: give it back before the pool closes
    try:
        assert check() == []
    finally:
        release()


def release() -> None:
    """Give back the connection the test's own thread took from the app's pool, and close the pool."""
    dbm.db.close()
    if hasattr(dbm.db.obj, "close_all"):
        dbm.db.obj.close_all()


def receipt(serials, item="PHONE-X", **kw) -> dict:
    serials = list(serials)
    return {"lines": [{"item": item, "quantity": len(serials), "serials": serials}], **kw}
