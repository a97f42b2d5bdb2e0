"""Exports: every agenda as filtered on screen, streamed a page at a time, with typed cells, a frozen
header, an autofilter and widths, and text that no spreadsheet runs as a formula."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from store import catalog
from store.documents import DocumentIn, LineIn, save_document
from store.errors import CannotWrite, InvalidInput
from store.excel import AGENDAS, export_agenda
from store.excel import exporter as excel_export
from store.lookups import list_serials

from .helpers import issue, receive, transfer


def rows_of(path, sheet=None) -> list[tuple]:
    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    out = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
    wb.close()
    return out


@pytest.fixture
def moved(stock):
    receive("PHONE-X", ["P-1", "P-2", "P-3", "P-4"], partner="ACME")
    receive("TAB-9", ["T-1", "T-2"], warehouse="B")
    receive("CABLE", [], qty=12)
    issue("PHONE-X", ["P-1"])
    transfer("PHONE-X", ["P-2"])
    return stock


def test_every_agenda_exports(moved, tmp_path):
    for name in AGENDAS:
        count = export_agenda(name, tmp_path / f"{name}.xlsx")
        rows = rows_of(tmp_path / f"{name}.xlsx")
        assert rows[0][0] in ("Serial", "Item", "Code", "Document"), name
        assert count == len(rows) - 1 and (count >= 1 or name.endswith("invoices")), name


def test_serials_as_filtered(moved, tmp_path, monkeypatch):
    monkeypatch.setattr(excel_export, "PAGE", 2)  # several keyset pages
    path = tmp_path / "s.xlsx"
    assert export_agenda("serials", path, status=None) == 6
    rows = rows_of(path)
    assert rows[0] == ("Serial", "Item", "Item name", "Status", "Warehouse", "Received by", "Received on",
                       "Issued by", "Issued on", "Received from", "Issued to", "Lot", "Expiry date")
    assert [r[0] for r in rows[1:]] == [s.code for s in list_serials(status=None, limit=100)]
    p1 = next(r for r in rows if r[0] == "P-1")
    assert p1[3] == "issued" and p1[7].startswith("GI-") and isinstance(p1[8], dt.datetime)
    assert export_agenda("serials", path) == 5  # in stock, the agenda's default
    assert export_agenda("serials", path, item="PHONE-X", warehouse="MAIN") == 2
    assert [r[0] for r in rows_of(path)[1:]] == ["P-3", "P-4"]
    assert export_agenda("serials", path, status="issued") == 1
    assert export_agenda("serials", path, prefix="T-", status="all") == 2


def test_stock_items_warehouses_partners(moved, tmp_path):
    path = tmp_path / "x.xlsx"
    export_agenda("stock", path)
    rows = rows_of(path)
    assert rows[0] == ("Item", "Name", "Warehouse", "Quantity", "Unit", "Tracked")
    assert ("CABLE", "USB cable", "MAIN", 12, "pcs", False) in rows
    assert export_agenda("stock", path, warehouse="B") == 2
    assert export_agenda("stock", path, search="tab") == 1  # the name, as the agenda's search
    export_agenda("items", path, search="PHONE")
    assert rows_of(path, "Items") == [("Code", "Name", "Unit", "EAN", "Price", "Tracked"),
                                      ("PHONE-X", "Phone X", "pcs", "8594000000013", 199.9, True)]
    export_agenda("warehouses", path)
    assert rows_of(path) == [("Code", "Name"), ("B", "Second warehouse"), ("MAIN", "Main warehouse")]
    export_agenda("partners", path)
    assert rows_of(path) == [("Code", "Name"), ("ACME", "Acme Ltd.")]


def test_document_agendas_hold_their_kinds_oldest_first(moved, tmp_path):
    save_document(DocumentIn("purchase_invoice", [LineIn("CABLE", 1)], partner="ACME", generate_movement=False),
                  operator="t")
    path = tmp_path / "d.xlsx"
    assert export_agenda("goods", path) == 4
    docs = rows_of(path, "Documents")
    assert [r[1] for r in docs[1:]] == ["receipt", "receipt", "receipt", "issue"]
    assert [r[0][-4:] for r in docs[1:]] == ["0001", "0002", "0003", "0001"]
    assert export_agenda("transfers", path) == 1
    assert export_agenda("purchase_invoices", path) == 1
    assert export_agenda("sales_invoices", path) == 0
    assert rows_of(path, "Documents") == [tuple(h for h in rows_of(path, "Documents")[0])]
    assert export_agenda("goods", path, search="GI-") == 1


def test_document_export_is_in_save_order(stock, tmp_path):
    a = receive("PHONE-X", ["O-1"])
    b = issue("PHONE-X", ["O-1"])
    c = receive("PHONE-X", ["O-1"])
    export_agenda("goods", tmp_path / "g.xlsx")
    assert [r[0] for r in rows_of(tmp_path / "g.xlsx", "Documents")[1:]] == [a.number, b.number, c.number]
    assert rows_of(tmp_path / "g.xlsx", "Serials")[1:] == [(a.number, 1, "O-1"), (b.number, 1, "O-1"),
                                                          (c.number, 1, "O-1")]


def test_cells_are_typed(moved, tmp_path):
    save_document(DocumentIn("receipt", [LineIn("CABLE", "2.5", "1.25")], date=dt.date(2026, 4, 5)), operator="t")
    path = tmp_path / "d.xlsx"
    export_agenda("goods", path)
    wb = load_workbook(path)
    doc = list(wb["Documents"].iter_rows(min_row=2))[-1]
    assert doc[2].is_date and doc[2].value == dt.datetime(2026, 4, 5) and doc[2].number_format == "yyyy-mm-dd"
    line = list(wb["Lines"].iter_rows(min_row=2))[-1]
    assert (line[1].data_type, line[3].data_type, line[4].data_type) == ("n", "n", "n")
    assert (line[1].value, line[3].value, line[4].value) == (1, 2.5, 1.25)
    export_agenda("items", tmp_path / "i.xlsx")
    tracked = load_workbook(tmp_path / "i.xlsx")["Items"]["F2"]
    assert tracked.data_type == "b"


def test_header_frozen_filtered_and_sized(moved, tmp_path):
    path = tmp_path / "s.xlsx"
    export_agenda("serials", path, status=None)
    ws = load_workbook(path)["Serial numbers"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:M7"
    assert ws["A1"].font.b is True
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert all(widths[letter] >= len(ws[f"{letter}1"].value) + 2 for letter in "ABCDEFGHIJK")
    assert widths["C"] <= 60


def test_text_that_looks_like_a_formula_stays_text(stock, tmp_path):
    catalog.create_item("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", unit="-", price=1)
    catalog.create_item("ERR", "#N/A")
    receive("PHONE-X", ["=1+1", "@SUM(A1)", "-2", "+3"], note="=2*3")
    for agenda in ("items", "serials", "goods"):
        path = tmp_path / f"{agenda}.xlsx"
        export_agenda(agenda, path)
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), (agenda, name)
        wb = load_workbook(path)  # not data_only: a formula would come back as one
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                        assert cell.data_type == "s", (agenda, cell.coordinate, cell.value)
                        assert cell.quotePrefix, (agenda, cell.coordinate, cell.value)
    items = rows_of(tmp_path / "items.xlsx", "Items")
    assert ("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-", None, 1, False) in items
    assert ("ERR", "#N/A", "pcs", None, 0, False) in items
    assert {r[0] for r in rows_of(tmp_path / "serials.xlsx")[1:]} == {"=1+1", "@SUM(A1)", "-2", "+3"}


def test_refusals(stock, tmp_path):
    with pytest.raises(InvalidInput, match="Unknown agenda"):
        export_agenda("nope", tmp_path / "x.xlsx")
    with pytest.raises(InvalidInput, match="no filter status"):
        export_agenda("items", tmp_path / "x.xlsx", status="issued")
    with pytest.raises(InvalidInput, match="Unknown serial status"):
        export_agenda("serials", tmp_path / "x.xlsx", status="lost")
    assert not (tmp_path / "x.xlsx").exists()


def test_a_failed_export_leaves_no_file(stock, tmp_path, monkeypatch):
    receive("PHONE-X", ["F-1"])

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(excel_export.os, "replace", boom)
    with pytest.raises(CannotWrite, match="disk full. Nothing was written"):
        export_agenda("serials", tmp_path / "out.xlsx")
    assert [p.name for p in tmp_path.iterdir() if ".xlsx" in p.name] == []


def test_decimal_quantities_and_prices_keep_their_value(stock, tmp_path):
    save_document(DocumentIn("receipt", [LineIn("CABLE", "0.125", "0.10")]), operator="t")
    export_agenda("goods", tmp_path / "g.xlsx")
    line = rows_of(tmp_path / "g.xlsx", "Lines")[1]
    assert Decimal(str(line[3])) == Decimal("0.125") and Decimal(str(line[4])) == Decimal("0.1")
