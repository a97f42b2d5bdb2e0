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


def login_name() -> str:
    """The account that started the program: who is acting, once the database has users."""
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER") or "operator"


def operator_name(given: str | None) -> str:
    if given:
        return given
    return login_name()


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
        print(f"serialstock: {r}", file=sys.stderr)
        return 1
    print(f"Demo data added: {counts['items']} items, {counts['documents']} documents. Run `serialstock` to look around.")
    return 0


def _cmd_tui(args) -> int:
    if not is_postgres_url(args.url):
        # refused now, in one sentence, rather than at the operator's first save (PostgreSQL: the app
        # checks once connected, store.db.check_writable)
        from store.access import check_sqlite_writable, prepare_sqlite_file

        kind, path = parse_url(args.url)
        try:
            prepare_sqlite_file(path)
            check_sqlite_writable(path)
        except DatabaseError as exc:
            print(f"serialstock: {exc}", file=sys.stderr)
            return 2
        # a login that is not a user: refused before the app's first paint (PostgreSQL: by the app, once
        # connected, in the same sentence)
        from store.access import sqlite_user_roles
        from store.errors import Refusal
        from store.rights import who_acts

        try:
            who_acts(args.login, args.operator, sqlite_user_roles(path))
        except Refusal as r:
            print(f"serialstock: {r}", file=sys.stderr)
            return 1
    from tui.app import SerialStockApp

    start = "lookup" if args.command == "lookup" else None
    # who acts (store.users.who_is_acting) is settled once the app has opened the database; a login that
    # is not a user is refused there, in one sentence, before anything else is done
    app = SerialStockApp(operator=operator_name(args.operator), start=start, url=args.url, login=args.login)
    app.run()
    if app.database_error is not None:
        print(f"serialstock: {app.database_error}", file=sys.stderr)
        from store.errors import Refusal

        return 1 if isinstance(app.database_error, Refusal) else 2
    return app.return_code or 0


# Subcommands whose modules are heavy to import (openpyxl; the web stack): each is registered as a light
# stub (its name and help) so that `serialstock --help` and a mistyped command list every command, and
# its module is imported (and registers the command's real arguments) only when the command line names it.
PLUGINS = {
    "template": ("serialstock.cli_excel", "write an .xlsx import layout: headers, an example and a sheet "
                                          "explaining every column"),
    "import": ("serialstock.cli_excel", "import items and documents from an .xlsx file, all or nothing"),
    "export": ("serialstock.cli_excel", "write an agenda to .xlsx"),
    "api": ("serialstock.cli_api", "serve the JSON HTTP API (OpenAPI at /openapi.json)"),
    "token": ("serialstock.cli_api", "make, list or revoke the HTTP API's bearer tokens"),
    "user": ("serialstock.cli_users", "add, list, change or remove login users and their roles; the audit log"),
}


def _plugins_for(argv: list[str]) -> list:
    """The plugin modules of the commands named in ``argv``, imported."""
    import importlib

    names = {PLUGINS[w][0] for w in argv if w in PLUGINS}
    return [importlib.import_module(m) for m in sorted(names)]


class Parser(argparse.ArgumentParser):
    """argparse, except that a mistake on the command line is one line, ``serialstock: ...``, exit 2."""

    def error(self, message: str):
        where = self.prog if self.prog != "serialstock" else "serialstock"
        self.exit(2, f"serialstock: {message} (see `{where} --help`)\n")


class _Version(argparse.Action):
    """--version: the installed version, looked up only when asked (importlib.metadata is not free)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"serialstock {version()}")
        parser.exit(0)


def version() -> str:
    """The installed distribution's version (the package's own, when run from a checkout not installed)."""
    from importlib import metadata

    try:
        return metadata.version("serialstock")
    except metadata.PackageNotFoundError:
        from serialstock import __version__

        return __version__


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser: the light commands, the plugins named in ``argv`` with their arguments,
    and a stub for every other plugin command."""
    p = Parser(prog="serialstock", description="Stock tracked by serial number, in the terminal.")
    p.add_argument("--version", action=_Version)
    p.add_argument("--db", metavar="URL", help="database URL: sqlite:///file.db or postgresql://user@host/db "
                   "(default: $SERIALSTOCK_DB, else the settings file's `database`, else "
                   "~/.local/share/serialstock/serialstock.db)")
    p.add_argument("--operator", metavar="NAME", help="who is working (default: the login user)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("tui", help="open the terminal app (the default)")
    sub.add_parser("lookup", help="open the app on the quick lookup: scan a serial, item code or EAN")
    sub.add_parser("check", help="verify stock, serials and ledger agree; exit 1 listing each problem")
    sub.add_parser("demo", help="fill an empty database with demo data")
    sub.add_parser("config", help="print the effective settings and where each came from")
    plugins = _plugins_for(sys.argv[1:] if argv is None else argv)
    for plugin in plugins:
        plugin.register(sub)
    registered = set(sub.choices)
    for name, (_module, help_text) in PLUGINS.items():
        if name not in registered:
            sub.add_parser(name, help=help_text, add_help=False)
    return p


def _cmd_config(args) -> int:
    for line in args.settings.describe():
        print(line)
    return 0


def _skip_postgres_driver() -> None:
    """On SQLite, keep peewee from importing the PostgreSQL driver (a tenth of the start-up time):
    an import of a module set to None in sys.modules fails, and peewee takes that as 'not installed'."""
    if "peewee" not in sys.modules:
        for name in ("psycopg", "psycopg2"):
            sys.modules.setdefault(name, None)


def main(argv: list[str] | None = None) -> int:
    """The console command; returns its exit status (see README, The command)."""
    gc.disable()  # start-up allocates much and frees little; the app enables it after its first paint
    args = build_parser(argv).parse_args(argv)
    from . import settings as config

    try:
        args.settings = config.load(command_line={"database": args.db})
    except config.SettingsError as exc:
        return fail(str(exc))
    config.use(args.settings)
    if args.command == "config":
        return _cmd_config(args)
    args.url = url = resolve_url(args.settings.values["database"])
    try:
        kind, where = parse_url(url)
    except DatabaseError as exc:
        print(f"serialstock: {exc}", file=sys.stderr)
        return 2
    if args.command in READ_ONLY_COMMANDS and kind == "sqlite" and _missing_file(where):
        # checking or exporting a file that is not there would create it (and its folders) and say OK
        return fail(f"no database at {where}: check the path (--db, or the settings' database); "
                    "`serialstock` or `serialstock demo` makes a new one.")
    if not is_postgres_url(url):
        _skip_postgres_driver()
    handlers = {"check": _cmd_check, "demo": _cmd_demo}
    for plugin in _plugins_for([args.command] if args.command else []):
        handlers.update(plugin.HANDLERS)
    args.login = login_name()
    given_operator = args.operator
    args.operator = operator_name(args.operator)
    handler = handlers.get(args.command, _cmd_tui)
    if handler is _cmd_tui:
        return handler(args)  # the app opens the database itself, once its first screen is up
    gc.enable()
    from store import db as dbm
    from store import rights, users
    from store.errors import Refusal

    try:
        dbm.connect(url)
        try:
            who = users.who_is_acting(args.login, given_operator)
        except Refusal as r:
            return fail(str(r), 1)
        args.operator = who.name
        with rights.acting(who):
            return handler(args)
    except DatabaseError as exc:
        return fail(str(exc))
    except peewee_errors() as exc:
        fault = dbm.fault_of(exc)
        return fail(str(fault) if fault else f"the database answered an error: {exc}. Try again; if it "
                    "persists run `serialstock check`.")
    except OSError as exc:
        return fail(f"{exc.strerror or exc}{' (' + exc.filename + ')' if getattr(exc, 'filename', None) else ''}.")
    except KeyboardInterrupt:
        return fail("interrupted; nothing more was done.", 130)


def peewee_errors() -> tuple:
    """The database driver's errors, as peewee raises them (imported only when a command has run)."""
    import peewee

    return (peewee.DatabaseError, peewee.InterfaceError)


READ_ONLY_COMMANDS = {"check", "export"}  # they refuse an SQLite file that is not there instead of making it


def _missing_file(path: str) -> bool:
    """True when ``path`` is not there and its nearest existing folder is a folder (a path under a file
    is the database layer's to name: 'is a file, not a folder')."""
    if path == ":memory:" or os.path.exists(path):
        return False
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    return os.path.isdir(parent)


def fail(message: str, status: int = 2) -> int:
    """Print the one line every failure of the command is, and give its exit status."""
    print(f"serialstock: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
