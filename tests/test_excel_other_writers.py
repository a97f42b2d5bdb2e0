"""Files written by other programs than openpyxl import correctly, and the fast cell reader gives
exactly the values openpyxl gives in read-only, data-only mode."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from store.check import check
from store.documents import get_document
from store.excel import export_agenda, import_file
from store.excel.reader import CellError, NoCachedValue, open_book
from store.lookups import find_serial
from store.models import Item

from .helpers import receive

FIXTURE = Path(__file__).parent / "fixtures" / "written_by_xlsxwriter.xlsx"


def test_xlsxwriter_file_imports(stock):
    result = import_file(FIXTURE, "tester")
    assert result.items == ["ROUTER-1", "STRAP"]
    router = Item.get(Item.code == "ROUTER-1")
    assert (router.name, router.ean, router.price, router.tracked) == ("Router AX", "8594000000099",
                                                                        Decimal("49.90"), True)
    strap = Item.get(Item.code == "STRAP")
    assert (strap.name, strap.unit, strap.tracked) == ("Wrist strap", "pcs", False)

    [(r1, gr), (r2, gi), (r3, tr)] = result.documents
    assert (r1, r2, r3) == ("1", "2", "3")
    receipt = get_document(gr)
    assert (receipt.kind, receipt.date, receipt.warehouse, receipt.partner, receipt.note) == (
        "receipt", dt.date(2026, 3, 1), "MAIN", "ACME", "from the supplier's list")
    assert [(ln.item, ln.quantity, ln.serials) for ln in receipt.lines] == [
        ("PHONE-X", Decimal(3), ["12345", "SN-A1", "SN-A2"]),  # a number, stray spaces, filled down
        ("ROUTER-1", Decimal(1), ["987654321012"]),
        ("CABLE", Decimal(25), []),
    ]
    issue = get_document(gi)
    assert (issue.kind, issue.date, issue.lines[0].serials) == ("issue", dt.date(2026, 3, 2), ["12345"])
    transfer = get_document(tr)
    assert (transfer.kind, transfer.to_warehouse, transfer.lines[0].item, transfer.lines[0].serials) == (
        "transfer", "B", "PHONE-X", ["SN-A1"])
    assert [s.status for s in find_serial("12345")] == ["issued"]
    assert [s.warehouse for s in find_serial("SN-A1")] == ["B"]
    assert check() == []


def openpyxl_rows(path, title) -> list[tuple]:
    """openpyxl's values, as our reader gives them: rows holding data, without trailing empty cells."""
    wb = load_workbook(path, read_only=True, data_only=True)
    out = []
    for number, row in enumerate(wb[title].iter_rows(values_only=True), start=wb[title].min_row):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((number, tuple(values)))
    wb.close()
    return out


def assert_same_as_openpyxl(path):
    """Our values equal openpyxl's, except that a formula saved without its result is a NoCachedValue
    (openpyxl gives None: the import says what the cell holds instead of taking it as empty)."""
    with open_book(path) as book:
        for title in book.sheet_names:
            ours = [(n, tuple(None if isinstance(v, NoCachedValue) else v for v in values))
                    for n, values in book.rows(title)]
            assert ours == openpyxl_rows(path, title), title


def test_reader_matches_openpyxl_on_the_xlsxwriter_file():
    assert_same_as_openpyxl(FIXTURE)


def test_reader_matches_openpyxl_on_our_exports(stock, tmp_path):
    receive("PHONE-X", ["=1+1", "-5", "00123", "@x"], note="+cmd")
    for agenda in ("documents", "serials", "items", "stock"):
        export_agenda(agenda, tmp_path / f"{agenda}.xlsx")
        assert_same_as_openpyxl(tmp_path / f"{agenda}.xlsx")


def test_reader_matches_openpyxl_on_every_cell_type(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Types"
    ws.append(["text", 1, 2.5, -3, 1e20, True, False, None, "  spaced  "])
    ws.append([dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5), dt.time(6, 7, 8), dt.timedelta(hours=30)])
    ws["A4"] = "a gap above"
    ws["F4"] = "a gap before"
    ws["A5"] = CellRichText([TextBlock(InlineFont(b=True), "bold"), " plain"])
    ws["A6"] = "=1+1"  # a formula without a cached value: None when read data-only
    ws["B6"] = 12345.0
    other = wb.create_sheet("1904")
    wb.epoch = CALENDAR_MAC_1904
    other.append([dt.date(2026, 5, 6)])
    wb.save(tmp_path / "types.xlsx")
    assert_same_as_openpyxl(tmp_path / "types.xlsx")
    with open_book(tmp_path / "types.xlsx") as book:
        rows = dict(book.rows("Types"))
        assert rows[5] == ("bold plain",)
        assert isinstance(rows[6][0], NoCachedValue) and rows[6][1] == 12345
        assert dict(book.rows("1904"))[1] == (dt.datetime(2026, 5, 6),)


def test_error_values_are_told_apart_from_text(tmp_path):
    wb = Workbook()
    wb.active["A1"] = "#N/A"  # text that looks like an error
    wb.active["A1"].data_type = "s"
    wb.active["A2"] = "#N/A"
    wb.active["A2"].data_type = "e"
    wb.save(tmp_path / "e.xlsx")
    with open_book(tmp_path / "e.xlsx") as book:
        (_, (text,)), (_, (error,)) = book.rows(book.sheet_names[0])
    assert text == error == "#N/A"
    assert not isinstance(text, CellError) and isinstance(error, CellError)
