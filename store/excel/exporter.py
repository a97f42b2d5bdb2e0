"""Writing workbooks: every agenda to .xlsx, and the import templates (the layout: store/excel.py).

Exports stream: rows come from the database a keyset page at a time and go to an openpyxl
``Workbook(write_only=True)``, which writes each sheet to a temporary file as rows arrive, so memory
stays flat however many rows there are. Cells are typed (numbers, dates, yes/no as booleans, text as
text), the header row is bold and frozen, an autofilter covers the data, and column widths come from
the header and the first rows. Text beginning with = + - or @ is written as a text cell (never a
formula) with the "quote prefix" style, as Excel does when one types a leading apostrophe: neither
Excel nor LibreOffice runs it, and editing the cell keeps it text; the value itself is unchanged, so
files import back as they were.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ..agendas import document_rows, item_rows, partner_rows, warehouse_rows
from ..documents import KINDS, MADE_BY_COUNTS, get_document
from ..errors import CannotWrite, InvalidInput, NotFound
from ..lookups import list_serials, stock_levels
from ..models import SERIAL_STATUSES, SerialStatus
from .layout import BOOL, CODE, DATE, DOCUMENTS, INT, ITEMS, LINES, NUMBER, README, SERIALS, TEXT, SheetSpec
from .reader import MAX_FILE_BYTES, MAX_ROWS, MAX_UNPACKED_BYTES

PAGE = 1000
Progress = Callable[[str, int, "int | None"], None]


# --- a streaming sheet ------------------------------------------------------------------------

_STARTS = "=+-@#"  # a formula in a spreadsheet's eyes; "#" only for error names like #N/A
# Text the xlsx format itself reads specially: "_x0041_" is an escape for "A" to Excel, LibreOffice and our
# reader. Such text is written escaped ("_x005F_x0041_", the underscore escaped) and as a shared string,
# the one place openpyxl's reader decodes it too, so that it reads back as typed everywhere.
_FORMAT_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def escape_text(text: str) -> str:
    """Text with every complete ``_xHHHH_`` made literal (its underscore written ``_x005F_``)."""
    return _FORMAT_ESCAPE.sub("_x005F_", text)


class SheetWriter:
    """Rows into one write-only sheet: typed cells, bold frozen header, autofilter, widths from the
    first ``SAMPLE`` rows (column widths must be written before the first row)."""

    SAMPLE = 200

    def __init__(self, wb: Workbook, title: str, headers: list[str], *, min_widths: list[int] | None = None,
                 text_columns: Iterable[int] = ()):
        self.wb = wb
        self.ws = wb.create_sheet(title)
        self.headers = headers
        self.min_widths = min_widths or [0] * len(headers)
        self.text_columns = set(text_columns)  # 0-based: formatted as Text for what users type later
        self.buffer: list[list] | None = []
        self.rows = 0

    def append(self, values: list) -> None:
        """Write one row of values (the sheet's columns in order); the first rows are held to size the columns."""
        self.rows += 1
        if self.buffer is not None:
            self.buffer.append(values)
            if len(self.buffer) >= self.SAMPLE:
                self._start()
            return
        self.ws.append(self._cells(values))

    def _start(self) -> None:
        ws = self.ws
        for k, header in enumerate(self.headers):
            longest = max([len(header) + 2, self.min_widths[k]] + [_shown_len(r[k]) for r in self.buffer if k < len(r)])
            dim = ws.column_dimensions[get_column_letter(k + 1)]
            dim.width = min(max(longest + 1, 6), 60)
            if k in self.text_columns:
                dim.number_format = "@"
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        head = []
        for h in self.headers:
            c = WriteOnlyCell(ws, h)
            c.font = bold
            head.append(c)
        ws.append(head)
        buffered, self.buffer = self.buffer, None
        for values in buffered:
            ws.append(self._cells(values))

    def _cells(self, values: list) -> list:
        out = values
        for k, v in enumerate(values):
            if type(v) is str and "_x" in v and _FORMAT_ESCAPE.search(v):
                if out is values:
                    out = list(values)
                out[k] = v = escape_text(v)
                self.wb._serialstock_escaped = True  # save_workbook makes these shared strings
            if type(v) is str and v and v[0] in _STARTS and (v[0] != "#" or v in ERROR_CODES):
                if out is values:
                    out = list(values)
                c = WriteOnlyCell(self.ws, None)
                c.value = v  # openpyxl takes "=..." as a formula and "#N/A" as an error; the next line: text
                c.data_type = "s"
                c.quotePrefix = v[0] != "#"
                out[k] = c
        return out

    def close(self) -> None:
        """Write what is held and set the sheet's filter over the rows written."""
        if self.buffer is not None:
            self._start()
        last = get_column_letter(max(1, len(self.headers)))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def check_writable(path) -> None:
    """CannotWrite (naming the file, saying what to do) unless a file can be made at ``path``: its folder
    exists, is a folder and takes a new file. Called before any row is written."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CannotWrite(f"Cannot write {path}: it is a folder. Give a file name such as {os.path.join(path, 'export.xlsx')}.",
                          field="file")
    if not os.path.exists(folder):
        raise CannotWrite(f"Cannot write {path}: the folder {folder} does not exist. Create it first or give "
                          "another path.", field="file")
    if not os.path.isdir(folder):
        raise CannotWrite(f"Cannot write {path}: {folder} is a file, not a folder. Give another path.", field="file")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".serialstock-", suffix=".part", dir=folder)
    except OSError as exc:
        raise CannotWrite(f"Cannot write {path}: the folder {folder} does not take new files "
                          f"({exc.strerror or exc}). Give a folder you can write.", field="file") from None
    os.close(fd)
    os.unlink(tmp)


def save_workbook(wb: Workbook, path) -> None:
    """Save next to ``path`` and rename into place: a failed or interrupted export leaves no half file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".serialstock-", suffix=".xlsx.part", dir=folder)
    except OSError as exc:
        raise CannotWrite(f"Cannot write {path}: {exc.strerror or exc}. Give a folder you can write.",
                          field="file") from None
    os.close(fd)
    try:
        wb.save(tmp)
        if getattr(wb, "_serialstock_escaped", False):
            _escaped_to_shared(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise CannotWrite(f"Cannot write {path}: {exc.strerror or exc}. Nothing was written; free some space "
                              "or give another folder.", field="file") from None
        raise


_INLINE_ESCAPED = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>([^<]*_x005F_[^<]*)</t>'
                             r"</is></c>")


def _escaped_to_shared(path: str) -> None:
    """Rewrite a saved workbook so that its inline strings holding an escape become shared strings
    (openpyxl writes every string inline; its reader decodes escapes only in shared strings)."""
    import zipfile

    strings: list[str] = []

    def shared(m: re.Match) -> str:
        strings.append(m.group(3))
        return f'<c {m.group(1)}t="s"{m.group(2)}><v>{len(strings) - 1}</v></c>'

    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    out = []
    for info, data in parts:
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            data = _INLINE_ESCAPED.sub(shared, data.decode("utf-8")).encode("utf-8")
        elif info.filename == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        elif info.filename == "xl/_rels/workbook.xml.rels":
            data = data.replace(b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/'
                                b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" '
                                b'Id="rIdSharedStrings"/></Relationships>')
        out.append((info, data))
    items = "".join(f'<si><t xml:space="preserve">{s}</t></si>' for s in strings)
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/'
           f'spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in out:
            dst.writestr(info, data)
        dst.writestr("xl/sharedStrings.xml", sst)


def _shown_len(v) -> int:
    if v is None:
        return 0
    if isinstance(v, dt.datetime):
        return 19
    if isinstance(v, dt.date):
        return 10
    if isinstance(v, bool):
        return 5
    return len(str(v))


def _sheet_for(wb: Workbook, spec: SheetSpec) -> SheetWriter:
    cols = spec.columns
    return SheetWriter(wb, spec.name, [c.name for c in cols], min_widths=[c.width for c in cols],
                       text_columns=[k for k, c in enumerate(cols) if c.type == CODE])


# --- the explanation sheet ---------------------------------------------------------------------

_TYPE_TEXT = {
    CODE: "text (a number is read as its digits)",
    TEXT: "text",
    INT: "whole number",
    NUMBER: "number",
    DATE: "date, or text YYYY-MM-DD",
    BOOL: "yes / no",
}

_GENERAL = [
    "How this file is read by `serialstock import FILE.xlsx` (and the import action of the app):",
    "• All or nothing: if anything is wrong, nothing is imported and every problem is listed with its sheet, "
    "row and column.",
    "• Sheets are found by name (Items, Documents, Lines, Serials); other sheets, like this one, are ignored. "
    "The first row holding anything is the header.",
    "• Header names may be in any letter case; columns may be in any order; extra columns are ignored.",
    "• Spaces around values are ignored; empty rows are skipped.",
    "• Serial numbers, codes and EANs stored as numbers are read as their digits: 12345, never 12345.0. Format such "
    "columns as Text before typing, or leading zeros are lost by the spreadsheet itself.",
    "• Dates: a date cell, or text YYYY-MM-DD.",
    "• Yes/no columns take yes/no, true/false, 1/0 or x (yes).",
    f"• Limits: files up to {MAX_FILE_BYTES // (1024 * 1024)} MB ({MAX_UNPACKED_BYTES // 1024 ** 3} GB unpacked), "
    f"{MAX_ROWS:,} rows per sheet; .xlsx only, without a password.",
    "• Items are created first, then documents in the order of the Documents sheet, each checked by the same "
    "rules as when entered on screen.",
]


def write_readme(wb: Workbook, specs: tuple[SheetSpec, ...]) -> None:
    """Add the "Read me" sheet: the general notes, then every column of ``specs`` with its type, whether it
    is required and its help.
    """
    ws = wb.create_sheet(README)
    for letter, width in zip("ABCDE", (12, 18, 30, 24, 100)):
        ws.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    bold = Font(bold=True)
    for text in _GENERAL:
        ws.append([text])
    ws.append([])
    for spec in specs:
        title = WriteOnlyCell(ws, f"Sheet {spec.name}")
        title.font = bold
        ws.append([title, None, None, None, _wrapped(ws, spec.help, wrap)])
        head = []
        for h in ("Sheet", "Column", "Required", "Type", "Meaning"):
            c = WriteOnlyCell(ws, h)
            c.font = bold
            head.append(c)
        ws.append(head)
        for col in spec.columns:
            if col.export_only:
                need = "optional (written by exports)"
            elif col.required and col.mandatory:
                need = "yes, on every row"
            elif col.required:
                need = "column yes; empty cells repeat the row above"
            else:
                need = "optional"
            ws.append([spec.name, col.name, need, _TYPE_TEXT[col.type], _wrapped(ws, col.help, wrap)])
        ws.append([])


def _wrapped(ws, text: str, wrap: Alignment) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, text)
    c.alignment = wrap
    return c


# --- templates ---------------------------------------------------------------------------------

TEMPLATE_KINDS = ("items", *(k for k in KINDS if k not in MADE_BY_COUNTS))


def _examples(kind: str, today: dt.date):
    """(documents, lines, serials) rows of the template's example, in the layout's column order."""
    partner = {"receipt": "ACME", "purchase_invoice": "ACME", "issue": "", "sales_invoice": "ACME"}.get(kind, "")
    to_wh = "B" if kind == "transfer" else None
    generate = True if KINDS[kind].generates else None
    docs = [["1", kind, today, "MAIN", to_wh, partner or None, f"Example {KINDS[kind].title.lower()}: replace these "
             "rows with your own", generate, None]]
    lines = [["1", 1, "PHONE-X", 3, Decimal("199.90")], ["1", 2, "CABLE", 10, None]]
    serials = [["1", 1, "SN-0001"], [None, None, "SN-0002"], [None, None, "SN-0003"]]
    return docs, lines, serials


def write_template(kind: str, path) -> None:
    """An .xlsx with the layout for ``kind`` (items, or a document kind): headers, an example, and a
    "Read me" sheet explaining every column."""
    if kind not in TEMPLATE_KINDS:
        raise InvalidInput(f"Unknown template {kind!r}; use one of {', '.join(TEMPLATE_KINDS)}.", field="kind")
    check_writable(path)
    wb = Workbook(write_only=True)
    if kind == "items":
        sheet = _sheet_for(wb, ITEMS)
        sheet.append(["PHONE-X", "Phone X 128 GB", "pcs", "8594000000013", Decimal("349.00"), True])
        sheet.append(["CABLE", "USB-C cable 1 m", "pcs", None, Decimal("9.90"), False])
        sheet.close()
        write_readme(wb, (ITEMS,))
    else:
        docs, lines, serials = _examples(kind, dt.date.today())
        for spec, rows in ((DOCUMENTS, docs), (LINES, lines), (SERIALS, serials)):
            sheet = _sheet_for(wb, spec)
            for r in rows:
                sheet.append(r)
            sheet.close()
        write_readme(wb, (DOCUMENTS, LINES, SERIALS))
    save_workbook(wb, path)


# --- agendas -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgendaSpec:
    """An agenda an export can write: its name (serials, stock, items, ...), title, the filters it takes,
    and for document agendas the kinds it holds.
    """
    name: str
    title: str
    filters: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # document agendas


AGENDAS: dict[str, AgendaSpec] = {a.name: a for a in (
    AgendaSpec("serials", "Serial numbers", ("item", "warehouse", "status", "prefix", "received_from", "issued_to",
                                             "received_after", "received_before")),
    AgendaSpec("stock", "Stock", ("item", "warehouse", "search")),
    AgendaSpec("items", "Items", ("search",)),
    AgendaSpec("warehouses", "Warehouses", ("search",)),
    AgendaSpec("partners", "Partners", ("search",)),
    AgendaSpec("goods", "Goods receipts and issues", ("search",), ("receipt", "issue")),
    AgendaSpec("purchase_invoices", "Purchase invoices", ("search",), ("purchase_invoice",)),
    AgendaSpec("sales_invoices", "Sales invoices", ("search",), ("sales_invoice",)),
    AgendaSpec("transfers", "Transfers", ("search",), ("transfer",)),
    AgendaSpec("documents", "All documents", ("search",), tuple(KINDS)),
)}


def export_agenda(agenda: str, path, *, progress: Progress | None = None, **filters) -> int:
    """Write one agenda, filtered as on screen, to an .xlsx file; returns the number of data rows
    (for document agendas: documents). Filters (None or "" = not filtered):
      serials: item, warehouse, status (in_stock (default), issued, removed; None: all), prefix, and for
        tracing received_from / issued_to (partner codes), received_after / received_before (dates,
        inclusive: the date of the serial's latest goods receipt), as store.lookups.list_serials
      stock: item, warehouse, search (item code beginning or name containing)
      items, warehouses, partners: search (as the agenda's search field)
      goods, purchase_invoices, sales_invoices, transfers, documents: search (number, note, partner)
    Document agendas and items are written in the import layout (oldest document first, so that the
    file imports back: a receipt before the issue of its serials)."""
    spec = AGENDAS.get(agenda)
    if spec is None:
        raise InvalidInput(f"Unknown agenda {agenda!r}; use one of {', '.join(AGENDAS)}.", field="agenda")
    unknown = sorted(set(filters) - set(spec.filters))
    if unknown:
        raise InvalidInput(f"The {agenda} agenda has no filter {', '.join(unknown)}; it has "
                           f"{', '.join(spec.filters)}.", field=unknown[0])
    if agenda == "serials" and "status" in filters:
        status = filters["status"]
        if status in ("", "all"):
            filters["status"] = None
        elif status is not None and status not in SERIAL_STATUSES:
            raise InvalidInput(f"Unknown serial status {status!r}; use one of {', '.join(SERIAL_STATUSES)} or all.",
                               field="status")
    check_writable(path)
    wb = Workbook(write_only=True)
    writer = _WRITERS[spec.name if not spec.kinds else "documents"]
    count = writer(wb, spec, progress, **filters)
    save_workbook(wb, path)
    return count


def _tick(progress: Progress | None, count: int) -> None:
    if progress and count % PAGE == 0:
        progress("rows", count, None)


def _pages(fetch: Callable[[object], list], cursor: Callable[[object], object]) -> Iterator:
    """Rows of a keyset-paged store function, one page in memory at a time."""
    after = None
    while True:
        page = fetch(after)
        yield from page
        if len(page) < PAGE:
            return
        after = cursor(page[-1])




def _day(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _status_text(status: str) -> str:
    """A serial's status as the export writes it: "in stock", "issued", "removed"."""
    return SerialStatus(status).label if status in SERIAL_STATUSES else status


def _serials(wb, spec, progress, *, item=None, warehouse=None, status="in_stock", prefix=None, received_from=None,
             issued_to=None, received_after=None, received_before=None) -> int:
    sheet = SheetWriter(wb, spec.title, ["Serial", "Item", "Item name", "Status", "Warehouse", "Received by",
                                         "Received on", "Issued by", "Issued on", "Received from", "Issued to",
                                         "Lot", "Expiry date"],
                        min_widths=[14, 10, 16, 9, 10, 13, 12, 13, 12, 12, 12, 10, 12], text_columns=[0])
    rows = _pages(lambda after: list_serials(item=item or None, warehouse=warehouse or None, status=status or None,
                                             prefix=prefix or None, received_from=received_from or None,
                                             issued_to=issued_to or None, received_after=received_after or None,
                                             received_before=received_before or None, after=after, limit=PAGE),
                  lambda r: (r.code, r.id))
    for r in rows:
        sheet.append([r.code, r.item, r.item_name, _status_text(r.status), r.warehouse,
                      r.received_by, _day(r.received_on), r.issued_by, _day(r.issued_on), r.received_from,
                      r.issued_to, r.lot, r.expiry])
        _tick(progress, sheet.rows)
    sheet.close()
    return sheet.rows


def _stock(wb, spec, progress, *, item=None, warehouse=None, search=None) -> int:
    sheet = SheetWriter(wb, spec.title, ["Item", "Name", "Warehouse", "Quantity", "Unit", "Tracked"],
                        min_widths=[12, 20, 10, 10, 6, 8])
    rows = _pages(lambda after: stock_levels(item=item or None, warehouse=warehouse or None, search=search,
                                             after=after, limit=PAGE),
                  lambda r: (r.item, r.warehouse))
    for r in rows:
        sheet.append([r.item, r.item_name, r.warehouse, r.quantity, r.unit, r.tracked])
        _tick(progress, sheet.rows)
    sheet.close()
    return sheet.rows


def _items(wb, spec, progress, *, search=None) -> int:
    sheet = _sheet_for(wb, ITEMS)
    for r in _pages(lambda after: item_rows(search or None, after=after, limit=PAGE), lambda r: r.code):
        sheet.append([r.code, r.name, r.unit, r.ean, r.price, r.tracked])
        _tick(progress, sheet.rows)
    sheet.close()
    write_readme(wb, (ITEMS,))
    return sheet.rows


def _code_names(fetch):
    def write(wb, spec, progress, *, search=None) -> int:
        sheet = SheetWriter(wb, spec.title, ["Code", "Name"], min_widths=[10, 24], text_columns=[0])
        for r in _pages(lambda after: fetch(search or None, after=after, limit=PAGE), lambda r: r.code):
            sheet.append([r.code, r.name])
            _tick(progress, sheet.rows)
        sheet.close()
        return sheet.rows
    return write


def _document_numbers(kinds, search) -> list[str]:
    """Numbers of the documents the agenda shows, oldest first (the agenda pages newest first)."""
    numbers: list[str] = []
    before = None
    while True:
        page = document_rows(kinds, search or None, before_id=before, limit=PAGE)
        numbers.extend(r.number for r in page)
        if len(page) < PAGE:
            break
        before = page[-1].id
    numbers.reverse()
    return numbers


def _documents(wb, spec, progress, *, search=None) -> int:
    numbers = _document_numbers(spec.kinds, search)
    docs, lines, serials = (_sheet_for(wb, s) for s in (DOCUMENTS, LINES, SERIALS))
    for n, number in enumerate(numbers, start=1):
        try:
            d = get_document(number)
        except NotFound:
            continue  # deleted meanwhile
        docs.append([d.number, d.kind, d.date, d.warehouse, d.to_warehouse, d.partner, d.note or None,
                     d.generate_movement, d.source])
        for ln in d.lines:
            lines.append([d.number, ln.position, ln.item, ln.quantity, ln.price])
            for s in ln.serials:
                serials.append([d.number, ln.position, s, ln.lots.get(s), ln.expiries.get(s)])
        if progress:
            progress("documents", n, len(numbers))
    for s in (docs, lines, serials):
        s.close()
    write_readme(wb, (DOCUMENTS, LINES, SERIALS))
    return docs.rows


_WRITERS = {
    "serials": _serials,
    "stock": _stock,
    "items": _items,
    "warehouses": _code_names(warehouse_rows),
    "partners": _code_names(partner_rows),
    "documents": _documents,
}
