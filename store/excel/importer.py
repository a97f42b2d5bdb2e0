"""Importing a workbook: price-list items and documents, all or nothing (the layout: store/excel.py).

The file is read and checked first, outside any transaction. Then, in ONE write transaction, every
item goes through catalog.create_item and every document through documents.save_document, the same
services the screens use, so no rule is written twice. A refused item or document does not stop the
import: its problems are collected (each mapped back to the sheet, row and column it came from) and
the next one is tried, so that the operator sees every problem at once. If there is any problem,
ImportRefused lists them all and the transaction is rolled back: nothing is imported.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterator

from openpyxl.utils import column_index_from_string, get_column_letter

from .. import catalog
from ..db import write_transaction
from ..documents import KINDS, DocumentIn, LineIn, check_serial, naming_documents, save_document
from ..errors import (
    AlreadyExists,
    DocumentRefused,
    DuplicateSerial,
    FileRefused,
    ImportRefused,
    InvalidInput,
    NotFound,
    Refusal,
    SerialInStock,
    SerialNotAvailable,
)
from .layout import (
    BOOL,
    CODE,
    DATE,
    DOCUMENTS,
    INT,
    ITEMS,
    LINES,
    NO,
    NUMBER,
    SERIALS,
    TEXT,
    YES,
    SheetSpec,
    header_key,
)
from .reader import Book, CellError, ScientificNumber, ShownNumber, open_book

Progress = Callable[[str, int, "int | None"], None]


@dataclass
class ImportResult:
    """What an import kept: the items created, the documents saved (reference in the file, number), the
    serials on them, the generated documents skipped, the serials read from number cells, and whether
    it only checked (``check_only``: nothing kept).
    """
    items: list[str] = field(default_factory=list)  # codes of the items created
    documents: list[tuple[str, str]] = field(default_factory=list)  # (reference in the file, number saved)
    serials: int = 0  # serial numbers on the documents saved
    skipped: list[str] = field(default_factory=list)  # generated documents left to their invoice
    # serials read from number cells (not text): an operator checks them for lost leading zeros
    serials_from_numbers: int = 0
    checked_only: bool = False  # True: everything was valid, and nothing was kept (check_only)


class _CheckedOnly(Exception):
    def __init__(self, result: ImportResult):
        self.result = result


# --- cell values --------------------------------------------------------------------------------

class _Wrong(Exception):
    """A cell holding a value of the wrong type; the message says what it holds."""


def _show(raw) -> str:
    if isinstance(raw, dt.datetime):
        return raw.isoformat(sep=" ") if (raw.hour, raw.minute, raw.second) != (0, 0, 0) else raw.date().isoformat()
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat()
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    return str(raw)


def _not_a(what: str, raw) -> _Wrong:
    reason = getattr(raw, "reason", None)
    if isinstance(raw, CellError) and reason:
        return _Wrong(reason)
    if isinstance(raw, CellError):
        return _Wrong(f"the cell holds the error {raw}, not {what}")
    if isinstance(raw, bool):
        return _Wrong(f"the cell holds the yes/no value {_show(raw)}, not {what}")
    if isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return _Wrong(f"the cell holds a date or time ({_show(raw)}), not {what}; format the column as Text "
                      "and type the value again")
    return _Wrong(f"{_show(raw)!r} is not {what}")


MAX_LINE_NUMBER = 1_000_000
MAX_IDENTIFIER_DIGITS = 15  # a spreadsheet keeps 15 significant digits of a number; the rest are invented
_AS_TEXT = "format the column as Text and type (or paste) the values again"


def _as_code(raw):
    """An identifier: text trimmed; a whole number of up to 15 digits as its digits (12345, never 12345.0),
    or as the cell shows it under a zero-padded format (00123). A number that cannot be the identifier
    typed (over 15 digits, fractional, shown in scientific format) is refused, saying to use Text."""
    t = type(raw)
    if t is str:
        return raw.strip() or None
    if raw is None:
        return None
    if t is ShownNumber:
        return raw.shown
    if t is ScientificNumber:
        raise _Wrong(f"the number {raw!r} is shown in scientific format (like 1.23E+15), so the digits of the code "
                     f"are lost; {_AS_TEXT}")
    if t is float and not math.isfinite(raw):
        raise _Wrong(f"the cell holds {raw!r}, not a code or serial number; {_AS_TEXT}")
    if t is float and not raw.is_integer():
        raise _Wrong(f"the number {raw!r} has a fractional part, which a code or serial number read from a "
                     f"spreadsheet number cannot be (1.50 typed in a number cell becomes 1.5); {_AS_TEXT}")
    if t is int or t is float:
        digits = str(abs(int(raw)))
        if len(digits) > MAX_IDENTIFIER_DIGITS:
            raise _Wrong(f"the number {digits} has {len(digits)} digits; a spreadsheet keeps only "
                         f"{MAX_IDENTIFIER_DIGITS}, so its last digits may be invented; {_AS_TEXT}")
        return str(int(raw))
    raise _not_a("a code or serial number", raw)


def _number_text(raw) -> str:
    if type(raw) is ShownNumber:
        return raw.shown
    if isinstance(raw, int):
        return str(int(raw))
    return str(int(raw)) if raw.is_integer() else repr(float(raw))


def _as_text(raw):
    t = type(raw)
    if t is str:
        return raw.strip() or None
    if raw is None:
        return None
    if isinstance(raw, (int, float)) and t is not bool and not isinstance(raw, CellError):
        return _number_text(raw)
    if isinstance(raw, CellError):
        raise _not_a("text", raw)
    return _show(raw)


def _plain(raw):
    """A number cell's value as a plain int or float (the formats that matter for identifiers put aside)."""
    t = type(raw)
    if t is ShownNumber:
        return int(raw)
    if t is ScientificNumber:
        return float(raw)
    return raw


def _as_int(raw):
    raw = _plain(raw)
    t = type(raw)
    if t is int:
        if not 0 <= raw <= MAX_LINE_NUMBER:
            raise _Wrong(f"{raw} is not a line number; use 1 to {MAX_LINE_NUMBER:,}")
        return raw
    if raw is None:
        return None
    if t is float and raw.is_integer():
        return _as_int(int(raw))
    if t is str:
        s = raw.strip()
        if not s:
            return None
        if s.isascii() and s.isdigit() and len(s) <= 7:
            return _as_int(int(s))
    raise _not_a("a whole number", raw)


def _as_number(raw):
    raw = _plain(raw)
    t = type(raw)
    if t is int:
        return Decimal(raw)
    if raw is None:
        return None
    if t is float:
        return Decimal(repr(raw))
    if t is str:
        s = raw.strip()
        if not s:
            return None
        try:
            n = Decimal(s.replace(",", "."))
        except InvalidOperation:
            raise _not_a("a number", raw) from None
        if n.is_finite():
            return n
    raise _not_a("a number", raw)


def _as_date(raw):
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if raw is None:
        return None
    if type(raw) is str:
        s = raw.strip()
        if not s:
            return None
        try:
            return dt.date.fromisoformat(s) if len(s) == 10 else dt.datetime.fromisoformat(s).date()
        except ValueError:
            pass
        raise _Wrong(f"{s!r} is not a date; use a date cell or text YYYY-MM-DD")
    raise _not_a("a date (a date cell or text YYYY-MM-DD)", raw)


def _as_bool(raw):
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return None
    if type(raw) in (int, float) and raw in (0, 1):
        return bool(raw)
    if type(raw) is str:
        s = raw.strip().casefold()
        if not s:
            return None
        if s in YES:
            return True
        if s in NO:
            return False
    raise _not_a("yes or no", raw)


CONVERT = {CODE: _as_code, TEXT: _as_text, INT: _as_int, NUMBER: _as_number, DATE: _as_date, BOOL: _as_bool}


def _kind_names() -> dict[str, str]:
    out = {}
    for k in KINDS.values():
        for alias in (k.name, k.title, k.prefix):
            out[header_key(alias)] = k.name
    return out


_KIND_NAMES = _kind_names()


# --- what the file holds ------------------------------------------------------------------------

@dataclass
class _Sheet:
    spec: SheetSpec
    title: str  # as named in the file
    header_row: int = 0
    index: dict[str, int] = field(default_factory=dict)  # column name -> 0-based position
    ok: bool = True  # every required column is there

    def letter(self, column: str | None) -> str | None:
        if column is None or column not in self.index:
            return None
        return get_column_letter(self.index[column] + 1)


@dataclass
class _Line:
    number: int
    row: int
    item: str
    quantity: Decimal
    price: Decimal | None
    serials: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # the Serials row of each serial
    lots: dict[str, str] = field(default_factory=dict)  # the Serials sheet's optional Lot, by serial
    expiries: dict[str, dt.date] = field(default_factory=dict)  # and its Expiry date
    bad: bool = False
    _by_serial: dict | None = None

    def serial_rows(self, serial: str) -> list[int]:
        if self._by_serial is None:
            self._by_serial = {}
            for s, r in zip(self.serials, self.rows):
                self._by_serial.setdefault(s, []).append(r)
        return self._by_serial.get(serial, [])


@dataclass
class _Doc:
    ref: str
    row: int
    kind: str | None
    values: dict
    lines: dict[int, _Line] = field(default_factory=dict)
    bad: bool = False

    def ordered(self) -> list[_Line]:
        return [self.lines[k] for k in sorted(self.lines)]


@dataclass
class _Item:
    row: int
    values: dict


class _Import:
    def __init__(self, book: Book, progress: Progress | None):
        self.book = book
        self.progress = progress
        self.problems: list[Refusal] = []
        self.near_misses: list[str] = []  # sheets named almost as one the import reads (find_sheets)
        self.sheets: dict[str, _Sheet] = {}
        self.items: list[_Item] = []
        self.docs: dict[str, _Doc] = {}
        self.rows_read = 0
        self.serials_from_numbers = 0

    # -- problems --

    def problem(self, sheet: _Sheet | None, row: int | None, column: str | None, reason: str,
                cls: type[Refusal] = InvalidInput, context: str = "", **about) -> None:
        self.problems.append(located(cls, reason, sheet, row, column, context, **about))

    # -- reading --

    def find_sheets(self) -> None:
        names = {header_key(n): n for n in self.book.sheet_names}
        for spec in (ITEMS, DOCUMENTS, LINES, SERIALS):
            title = names.get(header_key(spec.name))
            if title is not None:
                self.sheets[spec.name] = _Sheet(spec, title)
                state = self.book.states.get(title, "visible")
                if state != "visible":
                    how = "very hidden (only a macro or the VBA editor shows it)" if state == "veryHidden" else "hidden"
                    self.problems.append(InvalidInput(
                        f"Sheet {title} is {how}: its rows would be imported without anyone seeing them. Unhide it "
                        "(right-click a sheet tab, Unhide) and check it, or delete it, then import again.",
                        sheet=spec.name, field="sheet"))
        known = [spec.name for spec in (ITEMS, DOCUMENTS, LINES, SERIALS)]
        taken = {sheet.title for sheet in self.sheets.values()}
        for title in self.book.sheet_names:
            if title in taken:
                continue
            near = difflib.get_close_matches(header_key(title), [header_key(k) for k in known], n=1, cutoff=0.75)
            if near:  # a sheet other than these is left alone (notes, a summary); one that looks meant is said
                meant = next(k for k in known if header_key(k) == near[0])
                message = (f"Sheet {title} is not read: the import reads Items, Documents, Lines and Serials. "
                           f"If it is the {meant} sheet, rename it {meant}.")
                if meant in self.sheets:
                    self.problems.append(InvalidInput(message, sheet=title, field="sheet"))
                else:
                    self.near_misses.append(message)
        if "Items" not in self.sheets and "Documents" not in self.sheets:
            if self.near_misses:
                raise FileRefused(f"{self.book.name} has nothing to import: " + " ".join(self.near_misses),
                                  field="sheet")
            raise FileRefused(
                f"{self.book.name} has nothing to import: no sheet named Items or Documents (it has "
                f"{', '.join(self.book.sheet_names) or 'no sheets'}). `serialstock template KIND FILE.xlsx` "
                "writes a file in the layout.", field="file")
        for needed, by in (("Lines", "Documents"), ("Documents", "Lines"), ("Documents", "Serials")):
            if by in self.sheets and needed not in self.sheets:
                hint = next((f" {m}" for m in self.near_misses if f"the {needed} sheet" in m), "")
                self.problems.append(InvalidInput(f"Sheet {needed} is missing: a file with a {by} sheet needs it "
                                                  f"too.{hint}", sheet=needed))

    def rows(self, sheet: _Sheet) -> Iterator[tuple[int, tuple]]:
        """The data rows of a sheet, after its header, which is read (and checked) before this returns."""
        it = self.book.rows(sheet.title)
        for number, values in it:
            if any(not _blank(v) for v in values):
                self._header(sheet, number, values)
                break
        else:
            return iter(())
        if not sheet.ok:
            return iter(())
        return self._counted(it)

    def _counted(self, it):
        for number, values in it:
            self.rows_read += 1
            if self.progress and self.rows_read % 10_000 == 0:
                self.progress("reading", self.rows_read, None)
            yield number, values

    def _header(self, sheet: _Sheet, number: int, values: tuple) -> None:
        sheet.header_row = number
        wanted = {c.key: c for c in sheet.spec.columns}
        for pos, raw in enumerate(values):
            col = wanted.get(header_key(raw)) if isinstance(raw, str) else None
            if col is None:
                continue  # an extra column: ignored
            if col.name in sheet.index:
                first = get_column_letter(sheet.index[col.name] + 1)
                self.problem(sheet, number, col.name, f"the column {col.name} appears twice (also in column {first}); "
                             "keep one.")
                sheet.ok = False
                continue
            sheet.index[col.name] = pos
        for col in sheet.spec.columns:
            if col.required and col.name not in sheet.index:
                found = ", ".join(str(v).strip() for v in values if not _blank(v))
                self.problem(sheet, number, col.name, f"missing column {col.name} (the header row has: {found}).")
                sheet.ok = False

    def records(self, sheet: _Sheet) -> Iterator[tuple[int, dict, bool]]:
        """(row, {column: value}, bad) for each row with a value in a column of the layout."""
        rows = self.rows(sheet)
        cols = [(c, sheet.index[c.name], CONVERT[c.type]) for c in sheet.spec.columns if c.name in sheet.index]
        for number, values in rows:
            n = len(values)
            rec, bad, empty = {}, False, True
            for col, idx, conv in cols:
                raw = values[idx] if idx < n else None
                try:
                    v = conv(raw)
                except _Wrong as w:
                    self.problem(sheet, number, col.name, str(w))
                    bad = empty = False
                    continue
                if v is not None:
                    empty = False
                rec[col.name] = v
            if empty:
                continue
            for col, _, _ in cols:
                if col.mandatory and col.name in rec and rec[col.name] is None:
                    self.problem(sheet, number, col.name, f"{col.name} is empty; it is required.")
                    bad = True
            yield number, rec, bad

    def read_items(self) -> None:
        sheet = self.sheets.get("Items")
        if sheet is None:
            return
        for number, rec, bad in self.records(sheet):
            if not bad:
                self.items.append(_Item(number, rec))

    def read_documents(self) -> None:
        sheet = self.sheets.get("Documents")
        if sheet is None:
            return
        first_row: dict[str, int] = {}
        for number, rec, bad in self.records(sheet):
            ref = rec.get("Document")
            if ref is None:
                continue  # reported as empty
            if ref in first_row:
                self.problem(sheet, number, "Document", f"document {ref} is on row {first_row[ref]} already; "
                             "each document has one row (its lines go to the Lines sheet).")
                continue
            first_row[ref] = number
            kind = None
            if rec.get("Kind") is not None:
                kind = _KIND_NAMES.get(header_key(rec["Kind"]))
                if kind is None:
                    self.problem(sheet, number, "Kind", f"{rec['Kind']!r} is not a kind of document; use one of "
                                 f"{', '.join(KINDS)}.")
                    bad = True
            self.docs[ref] = _Doc(ref, number, kind, rec, bad=bad or kind is None)

    def read_lines(self) -> None:
        sheet = self.sheets.get("Lines")
        if sheet is None:
            return
        for number, rec, bad in self.records(sheet):
            ref, line_no = rec.get("Document"), rec.get("Line")
            doc = self.docs.get(ref) if ref is not None else None
            if ref is not None and doc is None:
                self.problem(sheet, number, "Document", f"there is no document {ref} on the Documents sheet.",
                             NotFound)
                continue
            if doc is None or line_no is None:
                continue
            if line_no < 1:
                self.problem(sheet, number, "Line", f"line number {line_no} must be 1 or more.")
                doc.bad = True
                continue
            if line_no in doc.lines:
                self.problem(sheet, number, "Line", f"document {ref} has line {line_no} on row "
                             f"{doc.lines[line_no].row} already.")
                doc.bad = True
                continue
            if bad:
                doc.bad = True
            doc.lines[line_no] = _Line(line_no, number, rec.get("Item") or "", rec.get("Quantity"),
                                       rec.get("Price"), bad=bad)

    def read_serials(self) -> int:
        """The big sheet: read with fast paths for the common cell types. An empty Document or Line
        repeats the row above."""
        sheet = self.sheets.get("Serials")
        if sheet is None:
            return 0
        rows = self.rows(sheet)
        i_doc, i_line, i_serial, i_lot, i_expiry = (sheet.index.get(n, 10 ** 6) for n in
                                                    ("Document", "Line", "Serial", "Lot", "Expiry date"))
        last_doc = last_line = None
        target: _Line | None = None
        docs = self.docs
        count = 0
        self.serials_from_numbers = 0
        for number, values in rows:
            n = len(values)
            d = values[i_doc] if i_doc < n else None
            ln = values[i_line] if i_line < n else None
            s = values[i_serial] if i_serial < n else None
            bad = False
            try:
                d = (d.strip() or None) if type(d) is str else _as_code(d)
            except _Wrong as w:
                self.problem(sheet, number, "Document", str(w))
                d, bad = None, True
            try:
                ln = ln if type(ln) is int else _as_int(ln)
            except _Wrong as w:
                self.problem(sheet, number, "Line", str(w))
                ln, bad = None, True
            try:
                if type(s) is str:
                    s = s.strip() or None
                else:
                    if isinstance(s, (int, float)) and not isinstance(s, bool):
                        self.serials_from_numbers += 1
                    s = _as_code(s)
            except _Wrong as w:
                self.problem(sheet, number, "Serial", str(w))
                s, bad = None, True
            lot = expiry = None
            if i_lot < n or i_expiry < n:  # optional columns: a GS1 code's lot and expiry date
                try:
                    lot = _as_text(values[i_lot]) if i_lot < n else None
                except _Wrong as w:
                    self.problem(sheet, number, "Lot", str(w))
                    bad = True
                try:
                    expiry = _as_date(values[i_expiry]) if i_expiry < n else None
                except _Wrong as w:
                    self.problem(sheet, number, "Expiry date", str(w))
                    bad = True
            if not bad and d is None and ln is None and s is None:
                continue  # an empty row (values only in columns outside the layout)
            d = last_doc if d is None else d
            ln = last_line if ln is None else ln
            if bad:
                self._spoil(d)
                continue
            if d is None or ln is None:
                missing = "Document" if d is None else "Line"
                self.problem(sheet, number, missing, f"{missing} is empty and there is no row above to repeat.")
                continue
            if d != last_doc or ln != last_line or target is None:
                last_doc, last_line = d, ln
                doc = docs.get(d)
                if doc is None:
                    target = None
                    self.problem(sheet, number, "Document", f"there is no document {d} on the Documents sheet.",
                                 NotFound)
                    continue
                target = doc.lines.get(ln)
                if target is None:
                    doc.bad = True
                    self.problem(sheet, number, "Line", f"document {d} has no line {ln} on the Lines sheet.", NotFound)
                    continue
            if target is None:
                continue  # reported on the first row of this document and line
            if s is None:
                self.problem(sheet, number, "Serial", "Serial is empty; it is required.")
                self._spoil(d)
                continue
            target.serials.append(s)
            target.rows.append(number)
            if lot is not None:
                target.lots[s] = lot
            if expiry is not None:
                target.expiries[s] = expiry
            count += 1
        self._merged_serials(sheet)
        return count

    def _merged_serials(self, sheet: _Sheet) -> None:
        """Serial cells merged with others: the serial is in the first cell only and the rows below look empty."""
        col = sheet.index.get("Serial")
        if col is None:
            return
        letter = get_column_letter(col + 1)
        for ref in self.book.merged.get(sheet.title, []):
            first, _, last = ref.partition(":")
            a = re.match(r"([A-Za-z]+)(\d+)$", first)
            b = re.match(r"([A-Za-z]+)(\d+)$", last or first)
            if not a or not b:
                continue
            lo, hi = sorted((column_index_from_string(a.group(1).upper()), column_index_from_string(b.group(1).upper())))
            if lo <= col + 1 <= hi:
                self.problem(sheet, int(a.group(2)), "Serial",
                             f"the cells {ref} are merged; a serial in merged cells stands for one row only and the "
                             f"other rows look empty. Unmerge them and put one serial on each row of column {letter}.")

    def _spoil(self, ref) -> None:
        """A document with a bad row is not saved (its problem is reported already)."""
        doc = self.docs.get(ref) if ref is not None else None
        if doc is not None:
            doc.bad = True

    # -- saving --

    def save(self, operator: str, check_only: bool) -> ImportResult:
        result = ImportResult(checked_only=check_only, serials_from_numbers=self.serials_from_numbers)
        created: dict[str, int] = {}
        numbers: dict[str, str] = {}
        names: dict[str, str] = {}  # how refusals name the documents saved from this file
        sheet_items = self.sheets.get("Items")
        for n, item in enumerate(self.items, start=1):
            v = item.values
            try:
                it = catalog.create_item(v.get("Code"), v.get("Name"), unit=v.get("Unit") or "pcs", ean=v.get("EAN"),
                                         price=v.get("Price") if v.get("Price") is not None else 0,
                                         tracked=bool(v.get("Tracked")))
            except Refusal as r:
                column = _ITEM_FIELDS.get(r.field or "", "Code")
                reason = r.reason
                code = (v.get("Code") or "").strip()
                if isinstance(r, AlreadyExists) and r.field == "code" and code in created:
                    reason = f"item {code} is on row {created[code]} of this sheet already."
                self.problems.append(located(type(r), reason, sheet_items, item.row, column, item=code or None))
                continue
            created[it.code] = item.row
            result.items.append(it.code)
            if self.progress and n % 500 == 0:
                self.progress("items", n, len(self.items))

        docs = list(self.docs.values())
        if any(not self.sheets[n].ok for n in ("Lines", "Serials") if n in self.sheets):
            docs = []  # their lines or serials could not be read: the missing column is the problem to report
        skip = self._generated_to_skip()
        refused_serials: dict[str, str] = {}  # serial -> reference of a refused document that has it
        for n, doc in enumerate(docs, start=1):
            if self.progress:
                self.progress("documents", n - 1, len(docs))
            if doc.ref in skip:
                result.skipped.append(doc.ref)
                continue
            if doc.bad:
                self._check_serials(doc, doc.ordered(), numbers, refused_serials)
                self._remember(doc, refused_serials)
                continue
            lines = doc.ordered()
            v = doc.values
            doc_in = DocumentIn(
                kind=doc.kind, warehouse=v.get("Warehouse"), to_warehouse=v.get("To warehouse"),
                partner=v.get("Partner"), date=v.get("Date"), note=v.get("Note") or "",
                generate_movement=v.get("Generate movement"),
                lines=[LineIn(ln.item, ln.quantity, ln.price, ln.serials, ln.lots, ln.expiries) for ln in lines])
            try:
                with naming_documents(names):  # "document 3 of this file", not a number the import never kept
                    view = save_document(doc_in, operator=operator)
            except DocumentRefused as r:
                for p in r.problems:
                    self.problems.append(self._locate(p, doc, lines, numbers, refused_serials))
                if not any(isinstance(p, _SERIAL_REFUSALS) for p in r.problems):
                    self._check_serials(doc, lines, numbers, refused_serials)
                self._remember(doc, refused_serials)
                continue
            except Refusal as r:
                self.problems.append(self._locate(r, doc, lines, numbers, refused_serials))
                if not isinstance(r, _SERIAL_REFUSALS):
                    self._check_serials(doc, lines, numbers, refused_serials)
                self._remember(doc, refused_serials)
                continue
            numbers[view.number] = doc.ref
            if view.generated:
                numbers[view.generated] = doc.ref
            names.update({n: f"document {ref} of this file" for n, ref in numbers.items()})
            result.documents.append((doc.ref, view.number))
            result.serials += sum(len(ln.serials) for ln in lines)
        if self.progress and docs:
            self.progress("documents", len(docs), len(docs))
        if self.problems:
            raise ImportRefused(self.book.name, sorted_problems(self.problems))
        if check_only:
            raise _CheckedOnly(result)
        return result

    def _check_serials(self, doc: _Doc, lines: list[_Line], numbers: dict[str, str],
                       refused_serials: dict[str, str]) -> None:
        """A document refused for other reasons (a bad cell, an unknown partner) never reached the
        store's serial checks: check its serials one by one as a scan is, so that a serial already in
        stock (or not in stock to issue) is reported in this same pass."""
        kind = KINDS.get(doc.kind or "")
        if kind is None:
            return
        warehouse = doc.values.get("Warehouse")
        seen = {(p.sheet, p.row, p.column) for p in self.problems}
        for position, ln in enumerate(lines, start=1):
            entered: list[str] = []
            for serial in ln.serials or ():
                try:
                    code = check_serial(doc.kind, ln.item, serial, warehouse=warehouse, entered=entered,
                                        line=position)
                except _SERIAL_REFUSALS as r:
                    p = self._locate(r, doc, lines, numbers, refused_serials)
                    if (p.sheet, p.row, p.column) not in seen:
                        seen.add((p.sheet, p.row, p.column))
                        self.problems.append(p)
                    continue
                except Refusal:
                    return  # the item or warehouse itself is the problem, reported already
                entered.append(code)

    def _generated_to_skip(self) -> set[str]:
        """Documents an export wrote with "Generated by" an invoice that is in the file and generates
        its movement: that invoice makes them again."""
        out = set()
        for doc in self.docs.values():
            source = doc.values.get("Generated by")
            inv = self.docs.get(source) if source else None
            if inv is None or inv.kind is None or not KINDS[inv.kind].generates:
                continue
            generate = inv.values.get("Generate movement")
            if generate is None:
                generate = catalog.generate_movement_default(inv.kind)
            if generate:
                out.add(doc.ref)
        return out

    @staticmethod
    def _remember(doc: _Doc, refused_serials: dict[str, str]) -> None:
        """The serials a refused document would have brought into a warehouse: later documents of the
        file that issue them are refused too, and their problem says why."""
        if doc.kind is not None and (KINDS[doc.kind].receives or doc.kind == "transfer"):
            for ln in doc.lines.values():
                for s in ln.serials:
                    refused_serials.setdefault(s, doc.ref)

    def _locate(self, p: Refusal, doc: _Doc, lines: list[_Line], numbers: dict[str, str],
                refused_serials: dict[str, str]) -> Refusal:
        """A store refusal about a document, placed on the sheet, row and column it comes from."""
        reason = p.reason  # where it is comes from the refusal's line and item, placed on the sheet below
        context = f", document {doc.ref}"
        if isinstance(p, SerialNotAvailable) and p.serial in refused_serials:
            reason += f" (document {refused_serials[p.serial]} of this file, which has problems, has it too)"
        line = None
        if p.line is not None and 1 <= p.line <= len(lines):
            line = lines[p.line - 1]
        elif p.item is not None and p.line is None:
            line = next((ln for ln in lines if ln.item == p.item), None)
            if line is None and p.serial is None:
                line = lines[0] if lines else None
        if line is not None:
            context += f" line {line.number}" + (f" ({p.item})" if p.item else "")
            if p.serial is not None:
                rows = line.serial_rows(p.serial) or _escaped_rows(line, p.serial)
                if rows:
                    row = rows[-1] if isinstance(p, DuplicateSerial) else rows[0]
                    column = {"lot": "Lot", "expiry": "Expiry date"}.get(p.field or "", "Serial")
                    return located(type(p), reason, self.sheets.get("Serials"), row, column, context,
                                   **_about(p, doc))
            column = _LINE_FIELDS.get(p.field or "", "Quantity" if p.field is None else "Item")
            return located(type(p), reason, self.sheets.get("Lines"), line.row, column, context, **_about(p, doc))
        if p.serial is not None:
            for ln in lines:
                rows = ln.serial_rows(p.serial)
                if rows:
                    return located(type(p), reason, self.sheets.get("Serials"), rows[0], "Serial",
                                   context + f" line {ln.number}", **_about(p, doc))
        column = _DOC_FIELDS.get(p.field or "", "Document")
        return located(type(p), reason, self.sheets.get("Documents"), doc.row, column, context, **_about(p, doc))


_SERIAL_REFUSALS = (SerialInStock, SerialNotAvailable, DuplicateSerial)
_ITEM_FIELDS = {"code": "Code", "name": "Name", "unit": "Unit", "ean": "EAN", "price": "Price", "tracked": "Tracked"}
_LINE_FIELDS = {"quantity": "Quantity", "price": "Price", "item": "Item", "serials": "Quantity"}
_DOC_FIELDS = {"warehouse": "Warehouse", "to_warehouse": "To warehouse", "partner": "Partner", "note": "Note",
               "date": "Date", "kind": "Kind", "lines": "Document", "generate_movement": "Generate movement"}
_SHEET_ORDER = {s.name: k for k, s in enumerate((ITEMS, DOCUMENTS, LINES, SERIALS))}


def _escaped_rows(line: _Line, shown: str) -> list[int]:
    """Rows of a serial the store named escaped (it had a control character) or cut short (too long)."""
    return [r for s, r in zip(line.serials, line.rows)
            if s.encode("unicode_escape", "backslashreplace").decode("ascii")[:120] == shown
            or (len(s) > len(shown) >= 20 and s.startswith(shown))]


def _about(p: Refusal, doc: _Doc) -> dict:
    return {"serial": p.serial, "item": p.item, "field": p.field, "document": doc.ref}


def _blank(v):
    return v is None or (isinstance(v, str) and not v.strip())


def located(cls: type[Refusal], reason: str, sheet: _Sheet | None, row: int | None, column: str | None,
            context: str = "", **about) -> Refusal:
    """A refusal of class ``cls`` saying where in the file it is: "Serials row 7, C (Serial): ..."."""
    where = []
    title = sheet.title if sheet else None
    if title:
        where.append(f"{title} row {row}" if row else title)
    if column:
        letter = sheet.letter(column) if sheet else None
        where.append(f"{letter} ({column})" if letter else column)
    head = ", ".join(where) + context
    message = f"{head}: {reason}" if head else reason
    about = {k: v for k, v in about.items() if v is not None}
    if cls is DocumentRefused or cls is ImportRefused:
        cls = InvalidInput
    return cls(message, sheet=title, row=row, column=column, **about)


def sorted_problems(problems: list[Refusal]) -> list[Refusal]:
    """Problems in the order of the file: refusals without a sheet first, then Items, Documents, Lines,
    Serials, each by row.
    """
    return sorted(problems, key=lambda p: (p.sheet is not None, _SHEET_ORDER.get(p.sheet or "", 9), p.row or 0))


# --- the services -----------------------------------------------------------------------------------

def import_file(path, operator: str, *, check_only: bool = False, progress: Progress | None = None) -> ImportResult:
    """Import the items and documents of an .xlsx file, all or nothing, in one transaction.

    Raises FileRefused for a file that cannot be read at all, ImportRefused listing every problem
    (each with its sheet, row and column) otherwise; nothing is imported then. ``check_only``:
    check everything, the database included, and keep nothing. ``progress(stage, done, total)`` is
    called now and then from the calling thread (stages: reading, items, documents)."""
    from ..rights import require

    require("import")
    with open_book(path) as book:
        job = _Import(book, progress)
        job.find_sheets()
        job.read_items()
        job.read_documents()
        job.read_lines()
        job.read_serials()
    if progress:
        progress("reading", job.rows_read, job.rows_read)
    if not job.items and not job.docs and not job.problems:
        raise ImportRefused(Path(path).name, [InvalidInput("The file holds no items and no documents.", field="file")])
    try:
        return _save(job, operator, check_only)
    except _CheckedOnly as done:
        return done.result


@write_transaction
def _save(job: _Import, operator: str, check_only: bool) -> ImportResult:
    problems_before = list(job.problems)
    try:
        return job.save(operator, check_only)
    finally:
        job.problems = problems_before  # a retried transaction starts from the file's own problems


SERIAL_HEADERS = {header_key(h) for h in ("serial", "serials", "serial number", "serial numbers", "serial no",
                                          "serial no.", "s/n", "sn", "imei", "vyrobni cislo", "výrobní číslo")}


def serials_from_column(path, column: str | int | None = None, *, sheet: str | None = None) -> list[str]:
    """The serial numbers in one column of an .xlsx (a supplier's list), in order, blanks left out.

    ``column``: a header name (any letter case), a column letter ("C") or a 1-based number; None: the
    column headed Serial / Serial number / S/N / IMEI, else the only column. ``sheet``: its name;
    None: the first sheet. A first row whose cell in that column is such a header, or is the name
    asked for, is a header and is skipped. Numbers come back as their digits (12345, never 12345.0).
    Raises FileRefused, or ImportRefused listing cells that hold no serial (dates, errors, yes/no)."""
    with open_book(path) as book:
        names = book.sheet_names
        if not names:
            raise FileRefused(f"{book.name} has no sheets.", field="file")
        title = names[0]
        if sheet is not None:
            title = next((n for n in names if header_key(n) == header_key(sheet)), None)
            if title is None:
                raise FileRefused(f"{book.name} has no sheet {sheet}; it has {', '.join(names)}.", field="sheet")
        it = book.rows(title)
        first = next(it, None)
        if first is None:
            return []
        number, values = first
        idx, header = _pick_column(book.name, title, values, column)
        out: list[str] = []
        problems: list[Refusal] = []
        letter = get_column_letter(idx + 1)
        rows = it if header else _chain(first, it)
        for number, values in rows:
            raw = values[idx] if idx < len(values) else None
            if type(raw) is str:
                s = raw.strip()
                if s:
                    out.append(s)
                continue
            try:
                s = _as_code(raw)
            except _Wrong as w:
                problems.append(InvalidInput(f"{title} row {number}, {letter}: {w}", sheet=title, row=number,
                                             column=letter))
                continue
            if s is not None:
                out.append(s)
        if problems:
            raise ImportRefused(book.name, problems)
        return out


def _chain(first, rest):
    yield first
    yield from rest


def _pick_column(name: str, title: str, header: tuple, column) -> tuple[int, bool]:
    """(0-based column, whether the first row is a header)."""
    keys = [header_key(v) if isinstance(v, str) else None for v in header]
    if isinstance(column, int):
        idx = column - 1
        if idx < 0:
            raise InvalidInput(f"Column number {column} must be 1 or more.", field="column")
        return idx, keys[idx] in SERIAL_HEADERS if idx < len(keys) else False
    if isinstance(column, str) and column.strip():
        want = header_key(column)
        if want in keys:
            return keys.index(want), True
        if re.fullmatch(r"[A-Za-z]{1,3}", column.strip()):
            from openpyxl.utils import column_index_from_string
            idx = column_index_from_string(column.strip().upper()) - 1
            return idx, (keys[idx] in SERIAL_HEADERS) if idx < len(keys) else False
        found = ", ".join(str(v).strip() for v in header if not _blank(v)) or "none"
        raise FileRefused(f"Sheet {title} of {name} has no column {column} (its first row has: {found}).",
                          sheet=title, column=column, field="column")
    for k, key in enumerate(keys):
        if key in SERIAL_HEADERS:
            return k, True
    if len(header) == 1:
        return 0, False
    found = ", ".join(str(v).strip() for v in header if not _blank(v))
    raise FileRefused(f"Which column of sheet {title} holds the serial numbers? None is headed Serial; the first row "
                      f"has: {found}. Give the column's name or letter.", sheet=title, field="column")
