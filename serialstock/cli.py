"""The one console command: `serialstock [--db URL] [--operator NAME] [COMMAND]`.

With no command it opens the terminal app. The database is `--db URL`, else $SERIALSTOCK_DB,
else an SQLite file in ~/.local/share/serialstock/ (see store.db).
"""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import sys
import time

from store.errors import DatabaseError
from store.urls import is_postgres_url, parse_url, resolve_url


def operator_name(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or "operator"


def _cmd_check(args) -> int:
    from store.check import check

    started = time.perf_counter()
    problems = check()
    took = time.perf_counter() - started
    if problems:
        print(f"{len(problems)} problem(s) found:")
        for p in problems:
            print(f"- {p}")
        return 1
    print(f"OK: stock, serials and ledger agree ({took:.2f} s).")
    return 0


def _cmd_demo(args) -> int:
    from store.demo import fill
    from store.errors import Refusal

    try:
        counts = fill()
    except Refusal as r:
        print(r, file=sys.stderr)
        return 1
    print(f"Demo data added: {counts['items']} items, {counts['documents']} documents. Run `serialstock` to look around.")
    return 0


def _cmd_tui(args) -> int:
    from tui.app import SerialStockApp

    start = "lookup" if args.command == "lookup" else None
    app = SerialStockApp(operator=operator_name(args.operator), start=start, url=args.url)
    app.run()
    if app.database_error is not None:
        print(f"serialstock: {app.database_error}", file=sys.stderr)
        return 2
    return app.return_code or 0


# Subcommands whose modules are heavy to import (openpyxl; the web stack) are registered only when the
# command line names them, or asks for help, so that opening the app stays quick.
PLUGINS = {
    "serialstock.cli_excel": ("template", "import", "export"),
    "serialstock.cli_api": ("api", "token"),
}


def _plugins_for(argv: list[str]) -> list:
    import importlib

    words = set(argv)
    wanted = bool(words & {"-h", "--help"})
    out = []
    for module, commands in PLUGINS.items():
        if wanted or words & set(commands):
            out.append(importlib.import_module(module))
    return out


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="serialstock", description="Stock tracked by serial number, in the terminal.")
    p.add_argument("--db", metavar="URL", help="database URL: sqlite:///file.db or postgresql://user@host/db "
                   "(default: $SERIALSTOCK_DB, else ~/.local/share/serialstock/serialstock.db)")
    p.add_argument("--operator", metavar="NAME", help="who is working (default: the login user)")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("tui", help="open the terminal app (the default)")
    sub.add_parser("lookup", help="open the app on the quick lookup: scan a serial, item code or EAN")
    sub.add_parser("check", help="verify stock, serials and ledger agree; exit 1 listing each problem")
    sub.add_parser("demo", help="fill an empty database with demo data")
    for plugin in _plugins_for(sys.argv[1:] if argv is None else argv):
        plugin.register(sub)
    return p


def _skip_postgres_driver() -> None:
    """On SQLite, keep peewee from importing the PostgreSQL driver (a tenth of the start-up time):
    an import of a module set to None in sys.modules fails, and peewee takes that as 'not installed'."""
    if "peewee" not in sys.modules:
        for name in ("psycopg", "psycopg2"):
            sys.modules.setdefault(name, None)


def main(argv: list[str] | None = None) -> int:
    gc.disable()  # start-up allocates much and frees little; the app enables it after its first paint
    args = build_parser(argv).parse_args(argv)
    args.url = url = resolve_url(args.db)
    try:
        parse_url(url)
    except DatabaseError as exc:
        print(f"serialstock: {exc}", file=sys.stderr)
        return 2
    if not is_postgres_url(url):
        _skip_postgres_driver()
    handlers = {"check": _cmd_check, "demo": _cmd_demo}
    for plugin in _plugins_for([args.command] if args.command else []):
        handlers.update(plugin.HANDLERS)
    args.operator = operator_name(args.operator)
    handler = handlers.get(args.command, _cmd_tui)
    if handler is _cmd_tui:
        return handler(args)  # the app opens the database itself, once its first screen is up
    gc.enable()
    from store import db as dbm

    try:
        dbm.connect(url)
    except DatabaseError as exc:
        print(f"serialstock: {exc}", file=sys.stderr)
        return 2
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
