"""Every refusal of the import: all or nothing, each problem with its sheet, row, column and reason."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from store.errors import (
    AlreadyExists,
    DuplicateSerial,
    FileRefused,
    ImportRefused,
    InvalidInput,
    NotFound,
    SerialCountMismatch,
    SerialInStock,
    SerialNotAvailable,
)
from store.excel import import_file, write_template
from store.excel import reader as excel_read
from store.lookups import find_serial
from store.models import Document, Item, Serial

from .excel_helpers import doc_file, receipt_file, write_book
from .helpers import receive

FIXTURES = Path(__file__).parent / "fixtures"


def refused(path) -> list:
    with pytest.raises(ImportRefused) as info:
        import_file(path, "tester")
    return info.value.problems


def where(p) -> tuple:
    return (p.sheet, p.row, p.column)


def nothing_saved() -> bool:
    return Document.select().count() == 0 and Serial.select().count() == 0


# --- the rules of the store, placed in the file ------------------------------------------------

def test_unknown_item(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx", [["1", "receipt"]], [["1", 1, "CABLE", 2], ["1", 2, "NOPE", 1]])
    [p] = refused(path)
    assert isinstance(p, NotFound)
    assert where(p) == ("Lines", 3, "Item")
    assert "no item NOPE" in p.message and p.message.startswith("Lines row 3, C (Item), document 1")
    assert nothing_saved()


def test_count_not_equal_to_quantity(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx", [["1", "receipt"]], [["1", 1, "PHONE-X", 3]],
                    [["1", 1, "A-1"], ["1", 1, "A-2"]])
    [p] = refused(path)
    assert isinstance(p, SerialCountMismatch)
    assert where(p) == ("Lines", 2, "Quantity")
    assert "2 serial numbers for quantity 3" in p.message
    assert nothing_saved()


def test_serial_not_in_stock(stock, tmp_path):
    receive("PHONE-X", ["IN-1"], warehouse="B")
    path = doc_file(tmp_path / "f.xlsx", [["1", "issue", None, "MAIN"]], [["1", 1, "PHONE-X", 2]],
                    [["1", 1, "IN-1"], ["1", 1, "NEVER-SEEN"]])
    problems = refused(path)
    assert [where(p) for p in problems] == [("Serials", 2, "Serial"), ("Serials", 3, "Serial")]
    assert all(isinstance(p, SerialNotAvailable) for p in problems)
    assert "in warehouse B, not MAIN" in problems[0].message
    assert "NEVER-SEEN is unknown" in problems[1].message
    assert Document.select().count() == 1  # only the receipt made above


def test_already_in_stock(stock, tmp_path):
    first = receive("PHONE-X", ["HELD-1"])
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", ["NEW-1", "HELD-1"])
    [p] = refused(path)
    assert isinstance(p, SerialInStock)
    assert where(p) == ("Serials", 3, "Serial")
    assert f"already in stock in MAIN, received by {first.number}" in p.message
    assert find_serial("NEW-1") == []


def test_duplicate_serial_within_the_file(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx", [["1", "receipt"]], [["1", 1, "PHONE-X", 3]],
                    [["1", 1, "D-1"], ["1", 1, "D-2"], ["1", 1, "D-1"]])
    [p] = refused(path)
    assert isinstance(p, DuplicateSerial)
    assert where(p) == ("Serials", 4, "Serial")  # the second occurrence
    assert "entered twice" in p.message


def test_the_same_serial_received_by_two_documents_of_the_file(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx", [["A", "receipt"], ["B", "receipt"]],
                    [["A", 1, "PHONE-X", 1], ["B", 1, "PHONE-X", 1]], [["A", 1, "TWICE"], ["B", 1, "TWICE"]])
    [p] = refused(path)
    assert where(p) == ("Serials", 3, "Serial")
    assert "received by document A of this file" in p.message  # not a number that was never kept
    assert nothing_saved()


def test_duplicate_document_and_line_references(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx", [["1", "receipt"], ["1", "issue"]],
                    [["1", 1, "CABLE", 1], ["1", 1, "CABLE", 2]])
    problems = refused(path)
    assert [where(p) for p in problems] == [("Documents", 3, "Document"), ("Lines", 3, "Line")]
    assert "document 1 is on row 2 already" in problems[0].message
    assert "has line 1 on row 2 already" in problems[1].message


def test_missing_column(stock, tmp_path):
    path = write_book(tmp_path / "f.xlsx", {
        "Documents": [["Document", "Kind"], ["1", "receipt"]],
        "Lines": [["Document", "Line", "Item", "Price"], ["1", 1, "CABLE", 3]],
    })
    [p] = refused(path)
    assert where(p) == ("Lines", 1, "Quantity")
    assert "missing column Quantity" in p.message and "Document, Line, Item, Price" in p.message


def test_missing_sheet(stock, tmp_path):
    path = write_book(tmp_path / "f.xlsx", {"Documents": [["Document", "Kind"], ["1", "receipt"]]})
    problems = refused(path)
    assert any(p.sheet == "Lines" and "Sheet Lines is missing" in p.message for p in problems)


def test_wrong_types(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx",
                    [["1", "receipt", "yesterday"], ["2", "receipt", None, None, None, None, None, "maybe"],
                     ["3", "delivery"]],
                    [["1", 1, "CABLE", "three"], ["2", 1.5, "CABLE", 1], ["3", 1, "CABLE", 1, True]],
                    [["1", 1, dt.datetime(2026, 1, 2)]])
    problems = refused(path)
    got = {where(p): p.message for p in problems}
    assert "is not a date" in got[("Documents", 2, "Date")]
    assert "is not yes or no" in got[("Documents", 3, "Generate movement")]
    assert "not a kind of document" in got[("Documents", 4, "Kind")]
    assert "'three' is not a number" in got[("Lines", 2, "Quantity")]
    assert "not a whole number" in got[("Lines", 3, "Line")]
    assert "yes/no value TRUE, not a number" in got[("Lines", 4, "Price")]
    assert "a date or time (2026-01-02)" in got[("Serials", 2, "Serial")]
    assert "format the column as Text" in got[("Serials", 2, "Serial")]
    assert all(isinstance(p, InvalidInput) for p in problems)


def test_error_cell_is_a_wrong_type(stock, tmp_path):
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", ["OK-1", "OK-2"])
    # put an error value where a serial is, as a formula that failed leaves it
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb["Serials"]["C3"].value = "#N/A"
    wb["Serials"]["C3"].data_type = "e"
    wb.save(path)
    [p] = refused(path)
    assert where(p) == ("Serials", 3, "Serial")
    assert "the error #N/A" in p.message


def test_document_level_problems_point_at_their_column(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx",
                    [["1", "receipt", None, "NOWHERE"], ["2", "receipt", None, None, None, "NOBODY"],
                     ["3", "transfer"]],
                    [["1", 1, "CABLE", 1], ["2", 1, "CABLE", 1], ["3", 1, "CABLE", 1]])
    got = {where(p): p.message for p in refused(path)}
    assert "No warehouse with code NOWHERE" in got[("Documents", 2, "Warehouse")]
    assert "No partner with code NOBODY" in got[("Documents", 3, "Partner")]
    assert "needs the warehouse it goes to" in got[("Documents", 4, "To warehouse")]


def test_references_to_nothing(stock, tmp_path):
    path = doc_file(tmp_path / "f.xlsx", [["1", "receipt"]], [["1", 1, "PHONE-X", 1], ["9", 1, "CABLE", 1]],
                    [["1", 1, "X-1"], ["1", 2, "X-2"], ["7", 1, "X-3"]])
    got = {where(p): p.message for p in refused(path)}
    assert "no document 9 on the Documents sheet" in got[("Lines", 3, "Document")]
    assert "document 1 has no line 2" in got[("Serials", 3, "Line")]
    assert "no document 7" in got[("Serials", 4, "Document")]


def test_every_problem_is_reported_at_once_and_nothing_is_imported(stock, tmp_path):
    receive("PHONE-X", ["HELD"])
    path = doc_file(
        tmp_path / "f.xlsx",
        [["good", "receipt"], ["bad1", "receipt"], ["bad2", "receipt"], ["issue", "issue"]],
        [["good", 1, "PHONE-X", 1], ["bad1", 1, "GHOST", 1], ["bad2", 1, "PHONE-X", 2], ["issue", 1, "PHONE-X", 1]],
        [["good", 1, "G-1"], ["bad2", 1, "HELD"], ["bad2", 1, "B-1"], ["issue", 1, "B-1"]],
        items=[["NEW-ITEM", "Made by this file"], ["PHONE-X", "Again"]])
    with pytest.raises(ImportRefused) as info:
        import_file(path, "tester")
    problems = info.value.problems
    assert [where(p) for p in problems] == [
        ("Items", 3, "Code"),  # PHONE-X exists
        ("Lines", 3, "Item"),  # GHOST
        ("Serials", 3, "Serial"),  # HELD is in stock
        ("Serials", 5, "Serial"),  # B-1 was to come in with a refused document
    ]
    assert isinstance(problems[0], AlreadyExists)
    assert "B-1 is unknown" in problems[3].message
    assert "(document bad2 of this file, which has problems, has it too)" in problems[3].message
    assert str(info.value).startswith("f.xlsx: nothing was imported; 4 problems:")
    # nothing at all: not the good document, not the new item
    assert Item.get_or_none(Item.code == "NEW-ITEM") is None
    assert Document.select().count() == 1
    assert find_serial("G-1") == []


def test_items_refusals(stock, tmp_path):
    path = write_book(tmp_path / "f.xlsx", {"Items": [
        ["Code", "Name", "EAN", "Tracked", "Price"],
        ["CABLE", "Exists"], ["TWICE", "One"], ["TWICE", "Two"], ["E-1", "Bad EAN", "12AB"],
        ["N-1", None], ["P-1", "Negative", None, None, -1],
    ]})
    got = {where(p): p.message for p in refused(path)}
    assert "already exists" in got[("Items", 2, "Code")]
    assert "item TWICE is on row 3 of this sheet already" in got[("Items", 4, "Code")]
    assert "must be a GTIN of 8, 12, 13 or 14 digits" in got[("Items", 5, "EAN")]
    assert "Name is empty" in got[("Items", 6, "Name")]
    assert "cannot be below 0" in got[("Items", 7, "Price")]


def test_check_only_keeps_nothing(stock, tmp_path):
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", ["C-1", "C-2"])
    result = import_file(path, "tester", check_only=True)
    assert result.checked_only and result.serials == 2
    assert nothing_saved()
    assert import_file(path, "tester").serials == 2


def test_a_file_with_no_data_rows(stock, tmp_path):
    path = write_book(tmp_path / "f.xlsx", {"Documents": [["Document", "Kind"]], "Lines": [["Document"]]})
    with pytest.raises(ImportRefused) as info:
        import_file(path, "tester")
    assert any("missing column" in p.message for p in info.value.problems)


# --- files that cannot be read at all ----------------------------------------------------------

def file_refused(path) -> str:
    with pytest.raises(FileRefused) as info:
        import_file(path, "tester")
    return info.value.message


def test_not_xlsx_csv_renamed(database, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("Document;Kind\n1;receipt\n")
    assert "is not an .xlsx workbook (its content is text (CSV?))" in file_refused(path)


def test_not_xlsx_old_xls(database, tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(excel_read.OLE_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le") + b"\0" * 1000)
    assert "old Excel 97-2003 workbook (.xls)" in file_refused(path)


def test_not_xlsx_other_zips(database, tmp_path):
    docx = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
    assert "is a Word document" in file_refused(docx)
    ods = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert "OpenDocument spreadsheet (.ods)" in file_refused(ods)
    damaged = tmp_path / "cut.xlsx"
    write_template("receipt", tmp_path / "whole.xlsx")
    damaged.write_bytes((tmp_path / "whole.xlsx").read_bytes()[:3000])
    assert "damaged" in file_refused(damaged) or "cannot be read" in file_refused(damaged)


def test_not_xlsx_extension_does_not_matter(stock, tmp_path):
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", ["EXT-1"])
    renamed = path.rename(tmp_path / "export.dat")
    assert import_file(renamed, "tester").serials == 1  # judged by content, not by name


def test_password_protected(database):
    message = file_refused(FIXTURES / "password_protected.xlsx")
    assert "password-protected" in message and "remove the password" in message


def test_over_the_size_limit(database, tmp_path, monkeypatch):
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", ["S-1"])
    monkeypatch.setattr(excel_read, "MAX_FILE_BYTES", 1024)
    assert "files over 0 MB are not imported" in file_refused(path) or "are not imported" in file_refused(path)


def test_default_size_limit_is_documented():
    import store.excel

    assert store.excel.MAX_FILE_BYTES == 50 * 1024 * 1024 and store.excel.MAX_ROWS == 200_000
    assert "50 MB" in store.excel.__doc__ and "200,000" in store.excel.__doc__


def test_over_the_row_limit(stock, tmp_path, monkeypatch):
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", [f"R-{k}" for k in range(12)])
    monkeypatch.setattr(excel_read, "MAX_ROWS", 10)
    message = file_refused(path)
    assert "Sheet Serials of f.xlsx has more than 10 rows" in message
    assert nothing_saved()


def test_unpacked_size_limit(database, tmp_path, monkeypatch):
    path = receipt_file(tmp_path / "f.xlsx", "PHONE-X", ["S-1"])
    monkeypatch.setattr(excel_read, "MAX_UNPACKED_BYTES", 100)
    assert "unpacks to" in file_refused(path)


def test_nothing_to_import(database, tmp_path):
    path = write_book(tmp_path / "f.xlsx", {"Serial numbers": [["Serial", "Item"], ["A", "B"]]})
    assert "nothing to import: no sheet named Items or Documents" in file_refused(path)


def test_missing_and_empty_files(database, tmp_path):
    assert "no such file" in file_refused(tmp_path / "none.xlsx")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert "is empty" in file_refused(tmp_path / "empty.xlsx")


def test_a_serial_in_stock_is_reported_beside_the_documents_other_problems(stock, tmp_path):
    """A document with a bad cell (a price that is not a number) still has its serials checked
    against the stock: every problem of the file comes in one pass."""
    first = receive("PHONE-X", ["HELD-1"])
    path = doc_file(tmp_path / "f.xlsx", [["1", "receipt"]], [["1", 1, "PHONE-X", 2, "cheap"]],
                    [["1", 1, "NEW-1"], ["1", 1, "HELD-1"]])
    problems = refused(path)
    assert [where(p) for p in problems] == [("Lines", 2, "Price"), ("Serials", 3, "Serial")]
    assert isinstance(problems[1], SerialInStock)
    assert f"already in stock in MAIN, received by {first.number}" in problems[1].message
    assert nothing_saved() is False and find_serial("NEW-1") == []


@pytest.mark.parametrize("document, line, problem", [
    (["1", "receipt"], ["1", 1, "PHONE-X", "two"], ("Lines", 2, "Quantity")),
    (["1", "purchase_invoice", None, None, None, "NOPE"], ["1", 1, "PHONE-X", 2], ("Documents", 2, "Partner")),
    (["1", "purchase_invoice"], ["1", 1, "PHONE-X", 2], ("Documents", 2, "Partner")),  # no partner at all
])
def test_a_serial_in_stock_is_reported_whatever_else_the_document_has(stock, tmp_path, document, line, problem):
    receive("PHONE-X", ["HELD-1"])
    path = doc_file(tmp_path / "f.xlsx", [document], [line], [["1", 1, "NEW-1"], ["1", 1, "HELD-1"]])
    problems = refused(path)
    assert problem in [where(p) for p in problems]
    [held] = [p for p in problems if isinstance(p, SerialInStock)]
    assert where(held) == ("Serials", 3, "Serial") and "HELD-1" in held.message


def test_a_sheet_named_almost_as_one_the_import_reads_is_said(stock, tmp_path):
    """A misspelt `Documnets` was passed over without a word, so the Lines sheet's rows seemed to belong
    to nothing (the second walk); a sheet named otherwise (notes) is still left alone."""
    lines = [["Document", "Line", "Item", "Quantity"], ["D1", 1, "CABLE", 3]]
    docs = [["Document", "Kind", "Date", "Warehouse"], ["D1", "receipt", "2026-03-02", "MAIN"]]
    path = write_book(tmp_path / "misspelt.xlsx", {"Documnets": docs, "Lines": lines, "Notes": [["anything"]]})
    with pytest.raises(FileRefused) as e:
        import_file(path, "t")
    assert "Sheet Documnets is not read" in str(e.value) and "rename it Documents" in str(e.value)
    assert "Notes" not in str(e.value).split("has nothing to import:")[1]
    path = write_book(tmp_path / "fine.xlsx", {"Documents": docs, "Lines": lines, "Notes": [["anything"]]})
    assert len(import_file(path, "t").documents) == 1
    assert Document.select().count() == 1
