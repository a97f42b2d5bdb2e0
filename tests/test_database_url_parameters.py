"""A PostgreSQL URL's parameters (?sslmode=require&connect_timeout=3) reach the driver; unknown or
ill-formed ones are refused in one sentence, before anything connects."""

from __future__ import annotations

import pytest

from serialstock.cli import main
from store import db as dbm
from store.errors import DatabaseError


def test_parameters_reach_the_driver(monkeypatch):
    database = dbm.make_database("postgresql://u:secret@h:5433/stock?sslmode=require&connect_timeout=3"
                                 "&application_name=floor%201")
    assert database.connect_params["sslmode"] == "require"
    assert database.connect_params["connect_timeout"] == "3"
    assert database.connect_params["application_name"] == "floor 1"
    seen = {}

    def fake_connect(*args, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop here")

    import psycopg

    monkeypatch.setattr(psycopg, "connect", fake_connect)
    with pytest.raises(Exception):
        database.connect()
    assert seen["sslmode"] == "require" and seen["connect_timeout"] == "3" and seen["host"] == "h"
    pooled = dbm.make_database("postgresql://u@h/stock?sslmode=verify-full", pool=2)
    assert pooled.connect_params["sslmode"] == "verify-full"


@pytest.mark.parametrize("url, says", [
    ("postgresql://u@h/db?sslmod=require", "unknown parameter 'sslmod'"),
    ("postgresql://u@h/db?sslmode=required", "sslmode=required is not one of disable, allow"),
    ("postgresql://u@h/db?connect_timeout=3s", "connect_timeout must be a whole number"),
    ("postgresql://u@h/db?sslmode", "are not name=value pairs"),
    ("postgresql://u@h/db?sslmode=require&sslmode=disable", "'sslmode' is given twice"),
    ("postgresql://u@h/db?application_name=", "'application_name' has no value"),
    ("postgresql://u:secret@h/db?x=1", "'postgresql://u:***@h/db?x=1'"),
    ("sqlite:///stock.db?mode=ro", "an SQLite URL takes no ?parameters (mode=ro)"),
])
def test_unknown_or_ill_formed_parameters_are_refused(url, says, capsys):
    with pytest.raises(DatabaseError) as e:
        dbm.make_database(url)
    assert says in str(e.value) and "secret" not in str(e.value)
    assert main(["--db", url, "check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("serialstock: ") and says in err and err.count("\n") == 1
