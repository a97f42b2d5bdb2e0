"""`serialstock token create | list | revoke` and the schema step that brings the API's tables."""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

from serialstock import cli_api
from store import db as dbm
from store import tokens
from store.models import ApiToken


def run(argv: list[str]) -> int:
    """As cli.main runs a handler: parse, (the database is open already), call it."""
    parser = argparse.ArgumentParser(prog="serialstock")
    parser.add_argument("--db")
    cli_api.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return cli_api.HANDLERS[args.command](args)


def test_token_create_list_revoke(database, capsys):
    assert run(["token", "list"]) == 0
    assert "No tokens" in capsys.readouterr().out
    assert run(["token", "create", "eshop", "--role", "admin"]) == 0
    out = capsys.readouterr().out
    secret = out.splitlines()[1]
    assert secret.startswith("sst_") and len(secret) > 40
    assert tokens.verify_token(secret) == "eshop"
    # stored hashed: the secret itself is nowhere in the table
    [row] = ApiToken.select()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.select().tuples()))

    assert run(["token", "create", "eshop", "--role", "admin"]) == 1
    assert "A token named eshop exists already" in capsys.readouterr().err
    assert run(["token", "create", "portal", "--role", "admin"]) == 0
    capsys.readouterr()
    assert run(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "eshop" in listing and "portal" in listing and listing.count("active") == 2 and secret not in listing

    assert run(["token", "revoke", "eshop"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert tokens.verify_token(secret) is None
    assert run(["token", "revoke", "eshop"]) == 1
    assert "No active token named eshop" in capsys.readouterr().err
    run(["token", "list"])
    assert "revoked" in capsys.readouterr().out
    # a revoked name can be given a new token
    assert run(["token", "create", "eshop", "--role", "admin"]) == 0
    assert tokens.verify_token(capsys.readouterr().out.splitlines()[1]) == "eshop"


def test_bad_token_names_and_secrets(database, capsys):
    assert run(["token", "create", " ", "--role", "admin"]) == 1
    assert "Name is required" in capsys.readouterr().err
    assert run(["token", "create", "x" * 101, "--role", "admin"]) == 1
    for bad in (None, "", "sst_", "nope", "sst_" + "x" * 500, "sst_\x00"):
        assert tokens.verify_token(bad) is None


def test_api_command_options():
    parser = argparse.ArgumentParser()
    cli_api.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["api"])
    assert (args.host, args.port) == ("127.0.0.1", 8000)
    args = parser.parse_args(["api", "--host", "0.0.0.0", "--port", "9001"])
    assert (args.host, args.port) == ("0.0.0.0", 9001)
    assert set(cli_api.HANDLERS) == {"api", "token"}


def test_an_older_database_gets_the_token_tables_on_upgrade(tmp_path):
    from store.migrations import SCHEMA_VERSION, schema_version

    path = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema_v1.sqlite", path)
    database = dbm.connect(f"sqlite:///{path}")
    assert schema_version() == SCHEMA_VERSION
    assert {"api_token", "idempotency_key"} <= set(database.get_tables())
    _, secret = tokens.create_token("eshop")
    assert tokens.verify_token(secret) == "eshop"
    database.close()
