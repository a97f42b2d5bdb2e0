"""Roles through the console command: `serialstock user ...`, a login that is not a user refused at start,
--operator, `token create --role [--warehouse]`, and existing tokens becoming admin on upgrade."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from serialstock.cli import main
from store import db as dbm
from store import tokens


@pytest.fixture
def url(sqlite_url, monkeypatch):
    monkeypatch.setenv("LOGNAME", "root")
    return sqlite_url


def as_login(monkeypatch, name):
    monkeypatch.setenv("LOGNAME", name)


def run(url, *argv):
    return main(["--db", url, *argv])


def test_users_are_added_listed_changed_removed_and_logged(url, monkeypatch, capsys):
    assert run(url, "user", "list") == 0
    assert "single-user mode" in capsys.readouterr().out
    assert run(url, "user", "add", "anna", "--role", "floor") == 1  # the first must be an admin
    assert "first user must be an admin" in capsys.readouterr().err
    assert run(url, "user", "add", "root", "--role", "admin") == 0
    assert run(url, "user", "add", "anna", "--role", "floor") == 0
    assert run(url, "user", "set", "anna", "--role", "office") == 0
    capsys.readouterr()
    assert run(url, "user", "list") == 0
    out = capsys.readouterr().out
    assert "anna" in out and "office" in out and "root" in out
    assert run(url, "user", "remove", "anna") == 0
    assert run(url, "user", "log") == 0
    log = capsys.readouterr().out.splitlines()[-4:]
    assert [line.split("  ")[1:4] for line in log] == [["root", "user_add", "root"], ["root", "user_add", "anna"],
                                                        ["root", "user_set", "anna"], ["root", "user_remove", "anna"]]


def test_only_admins_manage_users_and_tokens_once_users_exist(url, monkeypatch, capsys):
    run(url, "user", "add", "root", "--role", "admin")
    run(url, "user", "add", "bob", "--role", "office")
    as_login(monkeypatch, "bob")
    capsys.readouterr()
    for argv in (["user", "add", "eve", "--role", "viewer"], ["user", "set", "root", "--role", "viewer"],
                 ["user", "remove", "root"], ["user", "log"], ["token", "create", "x", "--role", "viewer"],
                 ["token", "list"], ["token", "revoke", "x"]):
        assert run(url, *argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("serialstock: The user bob (office) may not ") and "needs the role admin" in err


def test_a_login_that_is_not_a_user_is_refused_at_start_in_one_sentence(url, monkeypatch, capsys):
    run(url, "user", "add", "root", "--role", "admin")
    as_login(monkeypatch, "mallory")
    capsys.readouterr()
    for argv in (["check"], ["export", "serials", "/tmp/never.xlsx"], ["user", "list"]):
        assert run(url, *argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "mallory is not a serialstock user" in err
    assert not Path("/tmp/never.xlsx").exists()


def test_the_app_is_not_even_started_for_a_login_that_is_not_a_user(url, monkeypatch, capsys):
    """SQLite: the command reads the users before the app's first paint and refuses in one sentence (the
    app refuses too, once it has the database: tests/test_tui_roles.py, and on PostgreSQL)."""
    from tui.app import SerialStockApp

    run(url, "user", "add", "root", "--role", "admin")
    run(url, "user", "add", "bob", "--role", "floor")
    dbm.db.close()
    started = []
    monkeypatch.setattr(SerialStockApp, "run", lambda self, *a, **kw: started.append(self.acting))
    as_login(monkeypatch, "mallory")
    capsys.readouterr()
    assert run(url, "tui") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mallory is not a serialstock user" in err
    as_login(monkeypatch, "bob")
    assert run(url, "--operator", "root", "tui") == 1
    assert "only an admin" in capsys.readouterr().err
    assert started == []
    assert run(url, "tui") == 0 and len(started) == 1  # a user: the app starts


def test_operator_acts_as_another_user_only_for_an_admin(url, monkeypatch, capsys):
    run(url, "user", "add", "root", "--role", "admin")
    run(url, "user", "add", "bob", "--role", "floor")
    run(url, "user", "add", "carol", "--role", "office")
    as_login(monkeypatch, "bob")
    capsys.readouterr()
    assert run(url, "--operator", "carol", "check") == 1
    assert "only an admin" in capsys.readouterr().err
    as_login(monkeypatch, "root")
    # root acting as carol has carol's role: office may not manage users
    assert run(url, "--operator", "carol", "user", "add", "dan", "--role", "viewer") == 1
    assert "The user carol (office)" in capsys.readouterr().err


def test_token_create_with_a_role_and_a_warehouse(url, capsys):
    assert run(url, "token", "create", "shop", "--role", "floor", "--warehouse", "MAIN") == 0
    out = capsys.readouterr().out
    assert "floor, warehouse MAIN only" in out
    secret = out.splitlines()[1]
    assert run(url, "token", "list") == 0
    listed = capsys.readouterr().out
    assert "shop" in listed and "floor" in listed and "MAIN" in listed
    assert run(url, "token", "create", "x", "--role", "floor", "--warehouse", "NOPE") == 1
    assert "No warehouse with code NOPE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad:
        run(url, "token", "create", "x", "--role", "boss")
    assert bad.value.code == 2 and "invalid choice: 'boss'" in capsys.readouterr().err
    dbm.connect(url)
    who = tokens.token_identity(secret)
    assert (who.name, who.role, who.warehouse) == ("shop", "floor", "MAIN")


def test_existing_tokens_become_admin_on_upgrade(tmp_path):
    """A database from before roles (schema 1, upgraded through every step): its tokens go on doing
    everything; users and the audit list are there, empty (single-user mode)."""
    from store.migrations import SCHEMA_VERSION, schema_version
    from store.users import has_users, who_is_acting

    path = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema_v1.sqlite", path)
    database = dbm.connect(f"sqlite:///{path}")
    # as a schema 9 database would be: api_token without the role columns, one token in it
    database.execute_sql("DROP TABLE api_token")
    database.execute_sql("DROP TABLE app_user")
    database.execute_sql("DROP TABLE audit_log")
    database.execute_sql("CREATE TABLE api_token (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, "
                         "secret_hash VARCHAR(64) NOT NULL UNIQUE, created_at DATETIME NOT NULL, revoked_at DATETIME)")
    database.execute_sql("INSERT INTO api_token (name, secret_hash, created_at) VALUES ('old', ?, '2026-01-01')",
                         (tokens.hash_secret("sst_old"),))
    database.execute_sql("UPDATE setting SET value = '9' WHERE key = 'schema_version'")
    database.close()
    dbm.connect(f"sqlite:///{path}")
    assert schema_version() == SCHEMA_VERSION
    who = tokens.token_identity("sst_old")
    assert (who.name, who.role, who.warehouse) == ("old", "admin", None)
    assert not has_users() and who_is_acting("anyone").single_user
    dbm.db.close()
