"""`serialstock template | import | export`: the Excel commands, thin over store.excel.

    serialstock template KIND FILE.xlsx         KIND: items, receipt, issue, transfer, purchase_invoice, sales_invoice
    serialstock import FILE.xlsx [--check]      all or nothing; exit 1 listing every problem
    serialstock export AGENDA FILE.xlsx [--item CODE] [--warehouse CODE] [--status S] [--prefix P] [--search TEXT]
                                        [--received-from P] [--issued-to P] [--received-after D] [--received-before D]

The console command wires these in with ``register(subparsers)`` and dispatches through ``HANDLERS``;
each handler takes the parsed arguments (with ``operator`` and the database already opened) and
returns the exit code: 0 done, 1 refused (the reason on stderr), 2 when it cannot work as asked (a file
that is not there).
"""

from __future__ import annotations

import sys
from pathlib import Path

from store.errors import CannotWrite, ImportRefused, Refusal
from store.excel import AGENDAS, MAX_FILE_BYTES, MAX_ROWS, TEMPLATE_KINDS

SHOWN = 20  # documents listed by name after an import


def register(subparsers) -> None:
    t = subparsers.add_parser(
        "template", help="write an .xlsx import layout: headers, an example and a sheet explaining every column",
        description="Write the import layout for price-list items or one kind of document.")
    t.add_argument("kind", metavar="KIND", choices=TEMPLATE_KINDS, help=", ".join(TEMPLATE_KINDS))
    t.add_argument("file", metavar="FILE.xlsx")
    t.add_argument("--force", action="store_true", help="overwrite FILE if it exists")

    i = subparsers.add_parser(
        "import", help="import items and documents from an .xlsx file, all or nothing",
        description=f"Import items and documents from an .xlsx in the layout `serialstock template` writes. "
                    f"Nothing is imported if anything is wrong; every problem is listed with its sheet, row and "
                    f"column, and the exit code is 1. Limits: {MAX_FILE_BYTES // (1024 * 1024)} MB, "
                    f"{MAX_ROWS:,} rows per sheet.")
    i.add_argument("file", metavar="FILE.xlsx")
    i.add_argument("--check", action="store_true", help="check everything against the database, import nothing")

    e = subparsers.add_parser(
        "export", help="write an agenda to .xlsx",
        description="Write an agenda to .xlsx. Document agendas and items are written in the import layout.")
    e.add_argument("agenda", metavar="AGENDA", choices=list(AGENDAS), help=", ".join(AGENDAS))
    e.add_argument("file", metavar="FILE.xlsx")
    e.add_argument("--item", metavar="CODE", help="serials, stock: only this item")
    e.add_argument("--warehouse", metavar="CODE", help="serials, stock: only this warehouse")
    e.add_argument("--status", choices=["in_stock", "issued", "removed", "all"],
                   help="serials: which ones (default: in_stock)")
    e.add_argument("--prefix", metavar="TEXT", help="serials: only those beginning with TEXT")
    e.add_argument("--search", metavar="TEXT", help="other agendas: as the agenda's search field")
    e.add_argument("--received-from", metavar="PARTNER", help="serials: received from this supplier (partner code)")
    e.add_argument("--issued-to", metavar="PARTNER", help="serials: issued to this customer (partner code)")
    e.add_argument("--received-after", metavar="YYYY-MM-DD", help="serials: received on or after this day")
    e.add_argument("--received-before", metavar="YYYY-MM-DD", help="serials: received on or before this day")
    e.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _refuse(message: str, status: int = 1) -> int:
    print(f"serialstock: {message}", file=sys.stderr)
    return status


def _exists(path: str, force: bool) -> bool:
    return Path(path).exists() and not Path(path).is_dir() and not force


def cmd_template(args) -> int:
    from store.excel import write_template

    if _exists(args.file, args.force):
        return _refuse(f"{args.file} exists; give --force to overwrite it.")
    try:
        write_template(args.kind, args.file)
    except CannotWrite as r:
        return _refuse(str(r), 2)
    except Refusal as r:
        return _refuse(str(r))
    except OSError as exc:
        return _refuse(f"cannot write {args.file}: {exc.strerror or exc}", 2)
    print(f"Template for {args.kind} written to {args.file}; its \"Read me\" sheet explains every column.")
    return 0


def cmd_import(args) -> int:
    from store.excel import import_file

    from .cli import operator_name
    from .progress import progress_bar

    path = Path(args.file)
    if path.is_dir():
        return _refuse(f"{args.file} is a folder: give the path of an .xlsx file.", 2)
    if not path.exists():
        return _refuse(f"{args.file}: no such file; give the path of an .xlsx file.", 2)
    try:
        with progress_bar(f"{'Checking' if args.check else 'Importing'} {Path(args.file).name}") as progress:
            result = import_file(args.file, operator_name(getattr(args, "operator", None)), check_only=args.check,
                                 progress=progress)
    except ImportRefused as r:
        print(str(r), file=sys.stderr)
        return 1
    except Refusal as r:
        return _refuse(str(r))
    parts = []
    if result.items:
        parts.append(f"{len(result.items)} item(s)")
    if result.documents:
        parts.append(f"{len(result.documents)} document(s) with {result.serials:,} serial number(s)")
    what = " and ".join(parts) or "nothing"
    if result.serials_from_numbers:
        print(f"Note: {result.serials_from_numbers:,} serial number(s) came from number cells, not text; check them "
              "for lost leading zeros (a spreadsheet turns 00012345 into 12345), and format the Serial column as "
              "Text next time.")
    if result.checked_only:
        print(f"{args.file} is fine: it would import {what}. Nothing was imported (--check).")
        return 0
    print(f"Imported from {args.file}: {what}.")
    for ref, number in result.documents[:SHOWN]:
        print(f"  {ref} -> {number}" if ref != number else f"  {number}")
    if len(result.documents) > SHOWN:
        print(f"  ... and {len(result.documents) - SHOWN} more")
    if result.skipped:
        print(f"Skipped {len(result.skipped)} generated document(s): their invoices in the file made them again.")
    return 0


def cmd_export(args) -> int:
    from store.excel import export_agenda

    if _exists(args.file, args.force):
        return _refuse(f"{args.file} exists; give --force to overwrite it.")
    filters = {k: getattr(args, k) for k in ("item", "warehouse", "status", "prefix", "search", "received_from",
                                             "issued_to", "received_after", "received_before")
               if getattr(args, k, None) is not None}
    import datetime as dt

    for key in ("received_after", "received_before"):
        if key in filters:
            try:
                filters[key] = dt.date.fromisoformat(filters[key])
            except ValueError:
                return _refuse(f"--{key.replace('_', '-')} {filters[key]!r} is not a date: write it YYYY-MM-DD, "
                               "e.g. 2026-11-27.", 2)
    from .progress import progress_bar

    try:
        with progress_bar(f"Exporting {args.agenda}") as progress:
            count = export_agenda(args.agenda, args.file, progress=progress, **filters)
            if progress:  # rows are told a thousand at a time: the bar ends on the whole count
                progress("documents" if AGENDAS[args.agenda].kinds else "rows", count, count)
    except CannotWrite as r:
        return _refuse(str(r), 2)
    except Refusal as r:
        return _refuse(str(r))
    except OSError as exc:
        return _refuse(f"cannot write {args.file}: {exc.strerror or exc}", 2)
    unit = "document(s)" if AGENDAS[args.agenda].kinds else "row(s)"
    print(f"{AGENDAS[args.agenda].title}: {count:,} {unit} written to {args.file}.")
    return 0


HANDLERS = {"template": cmd_template, "import": cmd_import, "export": cmd_export}
