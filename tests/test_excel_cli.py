"""`serialstock template | import | export` through serialstock.cli_excel's handlers."""

from __future__ import annotations

import argparse

import pytest

from serialstock.cli_excel import HANDLERS, register
from store.models import Document

from .excel_helpers import doc_file, receipt_file
from .helpers import receive


def run(*argv) -> int:
    parser = argparse.ArgumentParser(prog="serialstock")
    parser.add_argument("--operator")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--operator", "cli", *[str(a) for a in argv]])
    return HANDLERS[args.command](args)


def test_template(database, tmp_path, capsys):
    path = tmp_path / "r.xlsx"
    assert run("template", "receipt", path) == 0
    assert path.exists() and "Read me" in capsys.readouterr().out
    assert run("template", "receipt", path) == 1
    assert "exists; give --force" in capsys.readouterr().err
    assert run("template", "items", path, "--force") == 0
    with pytest.raises(SystemExit):
        run("template", "invoice", path)


def test_import_ok(stock, tmp_path, capsys):
    path = receipt_file(tmp_path / "in.xlsx", "PHONE-X", ["C-1", "C-2"], ref="A-7")
    assert run("import", path, "--check") == 0
    assert "would import 1 document(s) with 2 serial number(s)" in capsys.readouterr().out
    assert Document.select().count() == 0
    assert run("import", path) == 0
    out = capsys.readouterr().out
    assert "Imported from" in out and "A-7 -> GR-" in out
    assert Document.get().operator == "cli"


def test_import_lists_every_problem_and_exits_non_zero(stock, tmp_path, capsys):
    receive("PHONE-X", ["HELD"])
    path = doc_file(tmp_path / "bad.xlsx", [["1", "receipt"], ["2", "receipt"]],
                    [["1", 1, "PHONE-X", 2], ["2", 1, "NOPE", 1]], [["1", 1, "HELD"], ["1", 1, "NEW"]])
    assert run("import", path) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "bad.xlsx: nothing was imported; 2 problems:"
    assert err[1].startswith("- Lines row 3, C (Item), document 2")
    assert err[2].startswith("- Serials row 2, C (Serial), document 1 line 1 (PHONE-X): serial HELD is already")
    assert Document.select().count() == 1


def test_import_refuses_a_file_that_is_not_xlsx(database, tmp_path, capsys):
    (tmp_path / "x.xlsx").write_text("a,b\n")
    assert run("import", tmp_path / "x.xlsx") == 1
    assert "is not an .xlsx workbook" in capsys.readouterr().err


def test_import_of_a_file_that_is_not_there_cannot_work_as_asked(database, tmp_path, capsys):
    """README: exit 2 when the command cannot work as asked (a path that is not there or is a folder),
    1 when a rule refuses the file's content."""
    assert run("import", tmp_path / "nope.xlsx") == 2
    err = capsys.readouterr().err
    assert "nope.xlsx: no such file" in err and "give the path of an .xlsx file" in err
    assert run("import", tmp_path) == 2
    assert "is a folder" in capsys.readouterr().err


def test_export(stock, tmp_path, capsys):
    receive("PHONE-X", ["E-1", "E-2"])
    path = tmp_path / "s.xlsx"
    assert run("export", "serials", path, "--item", "PHONE-X", "--status", "all") == 0
    assert "Serial numbers: 2 row(s) written" in capsys.readouterr().out
    assert run("export", "goods", path, "--force", "--search", "GR") == 0
    assert "1 document(s) written" in capsys.readouterr().out
    assert run("export", "items", tmp_path / "i.xlsx", "--status", "issued") == 1
    assert "no filter status" in capsys.readouterr().err
    assert run("export", "serials", path) == 1  # exists


def test_export_serials_traced_from_a_supplier(stock, tmp_path, capsys):
    """The command takes the tracing filters the agenda and the API have (issue 13)."""
    import datetime as dt

    from openpyxl import load_workbook

    from store import catalog

    catalog.create_partner("NORD", "Nordic Trade")
    receive("PHONE-X", ["A-1", "A-2"], partner="ACME", date=dt.date(2026, 3, 10))
    receive("PHONE-X", ["N-1"], partner="NORD", date=dt.date(2026, 3, 12))
    path = tmp_path / "t.xlsx"
    assert run("export", "serials", path, "--received-from", "ACME", "--received-after", "2026-03-01",
               "--received-before", "2026-03-31") == 0
    assert "2 row(s) written" in capsys.readouterr().out
    rows = [r[0] for r in load_workbook(path, read_only=True).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert sorted(rows) == ["A-1", "A-2"]
    assert run("export", "serials", tmp_path / "u.xlsx", "--received-after", "10.3.2026") == 2
    assert "is not a date: write it YYYY-MM-DD" in capsys.readouterr().err
