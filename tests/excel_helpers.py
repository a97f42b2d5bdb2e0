"""Short ways to write import files and to compare what the store holds, for the Excel tests."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from store import catalog
from store import db as dbm
from store.agendas import document_rows
from store.documents import KINDS, get_document
from store.lookups import list_serials, stock_levels
from store.models import ALL_MODELS

DOC_HEAD = ["Document", "Kind", "Date", "Warehouse", "To warehouse", "Partner", "Note", "Generate movement"]
LINE_HEAD = ["Document", "Line", "Item", "Quantity", "Price"]
SERIAL_HEAD = ["Document", "Line", "Serial"]
ITEM_HEAD = ["Code", "Name", "Unit", "EAN", "Price", "Tracked"]


def write_book(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx with the given sheets and rows, written by openpyxl in normal mode."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def doc_file(path: Path, documents: list[list], lines: list[list], serials: list[list] = (),
             items: list[list] | None = None) -> Path:
    """An import file: rows under the standard headers (Documents rows may stop early)."""
    sheets = {}
    if items is not None:
        sheets["Items"] = [ITEM_HEAD, *items]
    sheets["Documents"] = [DOC_HEAD, *documents]
    sheets["Lines"] = [LINE_HEAD, *lines]
    sheets["Serials"] = [SERIAL_HEAD, *serials]
    return write_book(path, sheets)


def receipt_file(path: Path, item: str, serials: list, *, ref="1", warehouse=None) -> Path:
    return doc_file(path, [[ref, "receipt", None, warehouse]], [[ref, 1, item, len(serials)]],
                    [[ref, 1, s] for s in serials])


def documents_now() -> list[tuple]:
    """Every document's content, oldest first, without numbers: what a round trip must keep."""
    rows = []
    before = None
    while True:
        page = document_rows(tuple(KINDS), before_id=before, limit=500)
        rows.extend(page)
        if len(page) < 500:
            break
        before = page[-1].id
    out = []
    for r in reversed(rows):
        d = get_document(r.number)
        out.append((d.kind, d.date, d.warehouse, d.to_warehouse, d.partner, d.note, d.generate_movement,
                    d.source is not None,
                    [(ln.item, ln.quantity, ln.price, list(ln.serials)) for ln in d.lines]))
    return out


def stock_now() -> tuple:
    serials = []
    after = None
    while True:
        page = list_serials(status=None, after=after, limit=1000)
        serials.extend((s.code, s.item, s.status, s.warehouse) for s in page)
        if len(page) < 1000:
            break
        after = (page[-1].code, page[-1].id)
    levels = [(r.item, r.warehouse, r.quantity) for r in stock_levels(limit=1000)]
    return sorted(serials), levels


def fresh_store(db_url: str, *, items: bool = True) -> None:
    """Drop the store's tables and open it again, empty, with the `stock` fixture's price list
    (without the items when ``items`` is False)."""
    dbm.db.close()
    database = dbm.make_database(db_url)
    if db_url.startswith("postgres"):
        dbm.db.initialize(database)
        database.connect(reuse_if_open=True)
        database.drop_tables(ALL_MODELS, safe=True, cascade=True)
        database.close()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(database.database + suffix).unlink(missing_ok=True)
    dbm.connect(db_url)
    if items:
        catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90", ean="8594000000013")
        catalog.create_item("TAB-9", "Tablet 9", tracked=True, price="299.00")
        catalog.create_item("CABLE", "USB cable", price="4.50")
    catalog.create_warehouse("B", "Second warehouse")
    catalog.create_partner("ACME", "Acme Ltd.")
