"""Opening a spreadsheet safely and reading its rows quickly.

``open_book(path)`` refuses, with a sentence an operator understands, a file that is not an .xlsx
workbook (judged by its content, not its name), a password-protected one (an encrypted OLE file),
one over ``MAX_FILE_BYTES`` on disk or ``MAX_UNPACKED_BYTES`` unpacked, and a sheet with more than
``MAX_ROWS`` rows holding data.

Cell values come out as openpyxl gives them with ``load_workbook(read_only=True, data_only=True)``:
None for an empty cell, int or float for numbers, str, bool, datetime (or time / timedelta) for
cells formatted as dates, the cached result for formulas. One difference: an error value (#N/A,
#DIV/0!) is a ``CellError`` (a str subclass), so that callers can tell it from text.

Why not iterate ``ReadOnlyWorksheet.iter_rows``: openpyxl builds a dict and a Text object per cell
and, for files without a <dimension> (every file openpyxl writes in write-only mode), parses each
sheet twice. The workbook's structure (content types, sheet names and parts, the 1904 date system,
which cell styles are dates) is read through openpyxl's own parsers; only the cells and the shared
strings are read here, with the same rules as openpyxl's WorkSheetParser.parse_cell (openpyxl is
pinned). tests/test_excel_reader.py checks the values equal openpyxl's on files written by
openpyxl and by xlsxwriter.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import ParseError

from ..errors import FileRefused

MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MB on disk
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # 1 GB unpacked: a guard against zip bombs
MAX_ROWS = 200_000  # rows holding data, per sheet
MAX_CELL_CHARS = 32_767  # the format's own limit of a cell's text
MAX_CELL_BYTES = 1024 * 1024  # bytes of one element's text read before it is refused as too long
MAX_COLUMN = 16_384  # XFD, the format's last column
MAX_ROW = 1_048_576  # the format's last row
MAX_SHARED_STRINGS = 5_000_000  # different texts in one workbook
MAX_CELLS = 20_000_000  # cells of one sheet, counted to each row's last filled column (200,000 rows x 100)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "http://purl.oclc.org/ooxml/spreadsheetml/main")  # transitional and strict


class CellError(str):
    """An error value a cell holds instead of data (#N/A, #VALUE!, #DIV/0!, ...)."""


def _name(path) -> str:
    return Path(path).name


def check_file(path) -> None:
    """Refuse a file that cannot be an .xlsx workbook we read, before anything parses it."""
    name = _name(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise FileRefused(f"{name}: no such file.", field="file") from None
    except IsADirectoryError:
        raise FileRefused(f"{name} is a folder, not an .xlsx file.", field="file") from None
    except OSError as exc:
        raise FileRefused(f"{name} cannot be read: {exc.strerror or exc}.", field="file") from None
    if size > MAX_FILE_BYTES:
        raise FileRefused(f"{name} is {size / 1e6:.1f} MB; files over {MAX_FILE_BYTES // (1024 * 1024)} MB are "
                          "not imported. Split it into smaller files.", field="file")
    if size == 0:
        raise FileRefused(f"{name} is empty, not an .xlsx workbook.", field="file")
    if head.startswith(OLE_MAGIC):
        if _is_encrypted_ole(path):
            raise FileRefused(f"{name} is password-protected. Open it in Excel or LibreOffice, remove the password "
                              "(save without encryption) and import it again.", field="file")
        raise FileRefused(f"{name} is an old Excel 97-2003 workbook (.xls), not .xlsx. Open it and save it as "
                          "Excel Workbook (.xlsx).", field="file")
    if not head.startswith(ZIP_MAGIC):
        kind = "text (CSV?)" if _looks_like_text(head) else "not a spreadsheet"
        raise FileRefused(f"{name} is not an .xlsx workbook (its content is {kind}). Save it from Excel or "
                          "LibreOffice as Excel Workbook (.xlsx).", field="file")


def _is_encrypted_ole(path) -> bool:
    """An encrypted Office file is an OLE compound file holding an "EncryptedPackage" stream;
    its directory entries name streams in UTF-16LE."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with open(path, "rb") as f:
        data = f.read()
    return marker in data


def _looks_like_text(head: bytes) -> bool:
    return all(b in b"\t\r\n" or 32 <= b < 127 or b >= 0x80 for b in head[:8])


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    names = set(archive.namelist())
    unpacked = sum(i.file_size for i in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused(f"{name} unpacks to {unpacked / 1e9:.1f} GB; at most "
                          f"{MAX_UNPACKED_BYTES // (1024 ** 3)} GB is read. Split it into smaller files.", field="file")
    if "[Content_Types].xml" in names and ("xl/workbook.xml" in names or any(n.startswith("xl/") for n in names)):
        if "xl/workbook.bin" in names:
            raise FileRefused(f"{name} is a binary Excel workbook (.xlsb). Save it as Excel Workbook (.xlsx).",
                              field="file")
        return
    if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
        raise FileRefused(f"{name} is an OpenDocument spreadsheet (.ods). Save it as Excel Workbook (.xlsx).",
                          field="file")
    if "word/document.xml" in names:
        raise FileRefused(f"{name} is a Word document, not an .xlsx workbook.", field="file")
    raise FileRefused(f"{name} is a zip archive but not an .xlsx workbook.", field="file")


class Book:
    """An open workbook: its sheet names in order, and the rows of each, streamed."""

    def __init__(self, path):
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.xml.constants import SHARED_STRINGS

        self.path = path
        self.name = _name(path)
        check_file(path)
        self._file = open(path, "rb")
        try:
            try:
                reader = ExcelReader(self._file, read_only=True, data_only=True)
            except zipfile.BadZipFile:
                raise FileRefused(f"{self.name} is damaged: it is not a complete zip archive.", field="file") from None
            self._archive = reader.archive
            _check_archive(self._archive, self.name)
            reader.read_manifest()
            reader.read_workbook()
            apply_stylesheet(self._archive, reader.wb)
            self._epoch = reader.wb.epoch
            self._date_styles = frozenset(reader.wb._date_formats)
            self._timedelta_styles = frozenset(reader.wb._timedelta_formats)
            ct = reader.package.find(SHARED_STRINGS)
            self._strings_part = ct.PartName[1:] if ct is not None else None
            self._strings: list[str] | None = None
            self._formats = number_format_kinds(reader.wb)
            self._parts: dict[str, str] = {}
            self.states: dict[str, str] = {}  # sheet name -> visible, hidden or veryHidden
            self.merged: dict[str, list[str]] = {}  # sheet name -> merged ranges (known once its rows are read)
            members = set(self._archive.namelist())
            for sheet, rel in reader.parser.find_sheets():
                if "chartsheet" in (rel.Type or "") or rel.target not in members:
                    continue
                self._parts[sheet.name] = rel.target
                self.states[sheet.name] = sheet.state or "visible"
        except FileRefused:
            self.close()
            raise
        except Exception as exc:  # malformed parts: openpyxl raises many kinds of errors
            self.close()
            raise FileRefused(f"{self.name} cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc}).",
                              field="file") from None

    @property
    def sheet_names(self) -> list[str]:
        """The workbook's sheet names, in the workbook's order."""
        return list(self._parts)

    def close(self) -> None:
        """Close the file (errors closing it are ignored: it was only read)."""
        try:
            self._file.close()
        except Exception:
            pass

    def __enter__(self) -> "Book":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if self._strings_part:
                try:
                    with self._archive.open(self._strings_part) as src:
                        self._strings = _read_shared_strings(src, self.name)
                except KeyError:
                    raise FileRefused(f"{self.name} is damaged: its shared strings part is missing. Save the file "
                                      "again from Excel or LibreOffice.", field="file") from None
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                    raise FileRefused(f"{self.name} is damaged: its shared strings cannot be unpacked ({exc}).",
                                      field="file") from None
        return self._strings

    def rows(self, sheet: str, *, max_rows: int | None = None) -> Iterator[tuple[int, tuple]]:
        """(row number, values) for each row of ``sheet`` holding any value, in order. Values are
        padded with None to the row's last filled column (rows may differ in length)."""
        max_rows = max_rows or MAX_ROWS
        part = self._parts[sheet]
        strings = self._shared_strings()
        count = 0
        merged = self.merged.setdefault(sheet, [])
        merged.clear()
        try:
            with self._archive.open(part) as src:
                cells = 0
                for number, values in _read_rows(src, strings, self._date_styles, self._timedelta_styles,
                                                 self._epoch, self._formats, self.name, sheet, merged):
                    count += 1
                    cells += len(values)
                    if cells > MAX_CELLS:
                        raise FileRefused(
                            f"Sheet {sheet} of {self.name} has rows reaching far to the right (row {number} reaches "
                            f"column {column_letter(len(values))}): more than {MAX_CELLS:,} cells to read. Delete "
                            "the columns to the right of your data, or copy the data to a new sheet.",
                            sheet=sheet, row=number, field="file")
                    if count > max_rows:
                        raise FileRefused(f"Sheet {sheet} of {self.name} has more than {max_rows:,} rows; split the "
                                          "file into smaller ones.", sheet=sheet, field="file")
                    yield number, values
        except ParseError as exc:
            raise FileRefused(f"Sheet {sheet} of {self.name} is damaged ({exc}). Save the file again from Excel or "
                              "LibreOffice.", sheet=sheet, field="file") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise FileRefused(f"{self.name} is damaged: sheet {sheet} cannot be unpacked ({exc}). Save the file "
                              "again from Excel or LibreOffice.", sheet=sheet, field="file") from None


def open_book(path) -> Book:
    """An open Book (use it with ``with``). FileRefused, saying why and what to do, for a file that is not
    an .xlsx workbook, is password-protected, over a limit, or damaged beyond reading its structure;
    ``Book.rows`` refuses damaged sheets (FileRefused naming the sheet and cell) as it reads them and
    gives cells it cannot read as BadCell / NoCachedValue values that callers refuse at their place."""
    return Book(path)


# --- the XML ---------------------------------------------------------------------------------

def _tags(local: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{local}" for ns in _MAIN_NS)


_SI, _T, _R, _ROW, _V, _IS, _F, _MERGE = (_tags(n) for n in ("si", "t", "r", "row", "v", "is", "f", "mergeCell"))


def _text_of(node) -> str:
    """The text of a shared string or inline string: its <t>, or the <t> of each rich-text run
    (phonetic runs <rPh> left out), as openpyxl's Text.content."""
    parts = []
    for child in node:
        tag = child.tag
        if tag in _T:
            parts.append(child.text or "")
        elif tag in _R:
            for t in child:
                if t.tag in _T:
                    parts.append(t.text or "")
    return "".join(parts)


class BadCell(CellError):
    """A cell whose content cannot be read as what it claims to be (damaged or hostile), or is over a
    limit: ``reason`` says what, for a refusal that names the cell."""

    def __new__(cls, reason: str):
        obj = super().__new__(cls, "#VALUE!")
        obj.reason = reason
        return obj


class NoCachedValue(CellError):
    """A formula cell saved without its result (files written by programs that do not calculate)."""

    def __new__(cls):
        obj = super().__new__(cls, "#VALUE!")
        obj.reason = ("the cell holds a formula saved without its result; open the file in Excel or LibreOffice, "
                      "let it calculate, save it, or type the value instead of the formula")
        return obj


class ShownNumber(int):
    """A whole number whose cell's format pads it with zeros: ``shown`` is the text the spreadsheet shows
    (00123 for 123 under the format 00000)."""

    def __new__(cls, value: int, shown: str):
        obj = super().__new__(cls, value)
        obj.shown = shown
        return obj


class ScientificNumber(float):
    """A number shown in scientific format (1.23E+15): what it stood for, as an identifier, is lost."""


def _too_long(length: int) -> BadCell:
    return BadCell(f"the cell holds {length:,} characters; a cell holds at most {MAX_CELL_CHARS:,}")


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape(text: str) -> str:
    """Decode the xlsx escapes ``_xHHHH_`` (a character by its code; ``_x005F_`` is the underscore itself),
    only where complete: text that merely contains ``x005F_`` or ``_x12`` stays as typed."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _read_shared_strings(src, book: str) -> list[str]:
    """The shared strings, read with expat handlers so that no string is held past MAX_CELL_CHARS (a
    longer one becomes a BadCell, reported where a cell uses it), and no DTD or entity is accepted."""
    out: list = []
    stack: list[str] = []
    parts: list[str] = []
    size = 0
    collecting = False

    def start(tag, attrs):
        nonlocal parts, size, collecting
        local = tag.rpartition("}")[2]
        parent = stack[-1] if stack else ""
        stack.append(local)
        if local == "si":
            parts, size = [], 0
            if len(out) >= MAX_SHARED_STRINGS:
                raise FileRefused(f"{book} holds more than {MAX_SHARED_STRINGS:,} different texts; split it into "
                                  "smaller files.", field="file")
        elif local == "t" and parent in ("si", "r"):
            collecting = True

    def end(tag):
        nonlocal collecting
        local = stack.pop() if stack else ""
        if local == "t":
            collecting = False
        elif local == "si":
            out.append(_too_long(size) if size > MAX_CELL_CHARS else unescape("".join(parts)))

    def chars(data):
        nonlocal size
        if collecting:
            size += len(data)
            if size <= MAX_CELL_CHARS:
                parts.append(data)

    parser = _expat_parser(book, "shared strings")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    _feed(parser, src, book, "Its shared strings")
    return out


def _expat_parser(book: str, part: str):
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.buffer_size = 65536

    def refuse(*args):
        raise FileRefused(f"{book} is refused: its {part} declare a DTD or entities, which spreadsheets do not write "
                          "(a way to make a reader expand text without end). Save the file again from Excel or "
                          "LibreOffice.", field="file")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _feed(parser, src, book: str, what: str, sheet: str | None = None) -> None:
    from xml.parsers import expat

    try:
        while True:
            chunk = _read_member(src, book, sheet)
            if not chunk:
                break
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise FileRefused(f"{what} in {book} are damaged: {expat.errors.messages.get(exc.code, exc)} at line "
                          f"{exc.lineno}, column {exc.offset}. Save the file again from Excel or LibreOffice.",
                          sheet=sheet, field="file") from None


def _read_member(src, book: str, sheet: str | None, size: int = 65536) -> bytes:
    """A chunk of a zip member; a damaged member (bad deflate data, a forged size or CRC) is refused."""
    try:
        return src.read(size)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        where = f"sheet {sheet}" if sheet else "a part"
        raise FileRefused(f"{book} is damaged: {where} cannot be unpacked ({exc}). Save the file again from Excel "
                          "or LibreOffice, or ask for a new copy.", sheet=sheet, field="file") from None


def column_letter(index: int) -> str:
    """The letters of a 1-based column number (1 -> A, 16384 -> XFD)."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _column_index(ref: str) -> int:
    n = 0
    for ch in ref:
        o = ord(ch)
        if 65 <= o <= 90:
            n = n * 26 + o - 64
        elif 97 <= o <= 122:
            n = n * 26 + o - 96
        else:
            break
        if n > MAX_COLUMN:
            return MAX_COLUMN + 1  # no need to count further: it is beyond the format's last column
    return n


_FLOAT_TEXT = re.compile(r"\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$")


def _number(text: str):
    """The number a <v> holds: int or float. ValueError for anything else (NaN and infinities too)."""
    if "." in text or "E" in text or "e" in text:
        if not _FLOAT_TEXT.match(text):
            raise ValueError(text)
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if not _INT_TEXT.match(text):
        raise ValueError(text)  # int() would take "1_000" and " ４ " too
    return int(text)


_INT_TEXT = re.compile(r"\s*[-+]?[0-9]+\s*$")
_BOOLS = {"0": False, "1": True, "true": True, "false": False}
_CELL_AT = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Za-z]{1,3}[0-9]{1,7})\"")
_DOCTYPE = (b"<!DOCTYPE", b"<!ENTITY")


def _pull(src, book: str, sheet: str):
    """(event, element) pairs of a sheet part, as iterparse gives them ("end" only), refusing a DTD, and
    refusing text so long that it arrives with no element ending (a cell's text past the format's limit
    is refused without holding all of it)."""
    from xml.etree.ElementTree import XMLPullParser

    parser = XMLPullParser(("end",))
    quiet = 0  # bytes fed since an element last ended
    recent = b""
    tail = b""
    while True:
        chunk = _read_member(src, book, sheet)
        if not chunk:
            break
        probe = tail + chunk
        if b"<!" in probe and any(d in probe for d in _DOCTYPE):
            raise FileRefused(f"{book} is refused: sheet {sheet} declares a DTD or entities, which spreadsheets do "
                              "not write. Save the file again from Excel or LibreOffice.", sheet=sheet, field="file")
        tail = chunk[-16:]
        parser.feed(chunk)
        had = False
        for event in parser.read_events():
            had = True
            yield event
        if had:
            quiet, recent = 0, chunk
        else:
            quiet += len(chunk)
            if quiet > MAX_CELL_BYTES:
                found = _CELL_AT.findall(recent + chunk) if len(recent) < 1 << 20 else []
                cell = found[-1].decode() if found else None
                where = f"cell {cell}" if cell else "a cell"
                raise FileRefused(f"Sheet {sheet} of {book}, {where}: the text is longer than a cell holds "
                                  f"({MAX_CELL_CHARS:,} characters); shorten it.", sheet=sheet,
                                  row=int(re.sub(r"\D", "", cell)) if cell else None,
                                  column=re.sub(r"\d", "", cell) if cell else None, field="cell")
    parser.close()
    yield from parser.read_events()


def _read_rows(src, strings, date_styles, timedelta_styles, epoch, formats=None, book: str = "", sheet: str = "",
               merged: list | None = None):
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    formats = formats or {}
    row_tags, v_tags, is_tags, f_tags, merge_tags = _ROW, _V, _IS, _F, _MERGE
    number = 0
    n_strings = len(strings)

    def refuse(message: str, row: int | None, col: int | None = None):
        cell = f"{column_letter(col)}{row}" if col and row else (f"row {row}" if row else "")
        return FileRefused(f"Sheet {sheet} of {book}, {'cell ' if col else ''}{cell}: {message}", sheet=sheet,
                           row=row, column=column_letter(col) if col else None, field="cell")

    for _, el in _pull(src, book, sheet):
        tag = el.tag
        if tag not in row_tags:
            if tag in merge_tags and merged is not None:
                ref = el.get("ref")
                if ref and len(merged) < 10_000:
                    merged.append(ref)
            continue
        r = el.get("r")
        if r:
            if not r.isdigit():
                raise refuse(f"the row number {r[:20]!r} is not a number; the file is damaged.", number + 1)
            number = int(r)
        else:
            number += 1
        if not 1 <= number <= MAX_ROW:
            raise refuse(f"row {number:,} is beyond the last row a sheet has ({MAX_ROW:,}); the file is damaged.",
                         None)
        values: list = []
        col = 0
        for c in el:
            ref = c.get("r")
            col = _column_index(ref) if ref else col + 1
            if col > MAX_COLUMN or col < 1:
                raise refuse(f"the cell reference {str(ref)[:20]!r} is beyond the last column a sheet has (XFD); the "
                             "file is damaged.", number)
            t = c.get("t", "n")
            if t == "inlineStr":
                value = None
                for child in c:
                    if child.tag in is_tags:
                        value = _text_of(child)
                        break
                if value is not None:
                    value = unescape(value) if len(value) <= MAX_CELL_CHARS else _too_long(len(value))
                    _put(values, col, value)
                continue
            text = None
            formula = False
            for child in c:
                ctag = child.tag
                if ctag in v_tags:
                    text = child.text
                    break
                if ctag in f_tags:
                    formula = True
            if not text:
                if formula and text is None:
                    _put(values, col, NoCachedValue())
                continue
            try:
                if t == "n":
                    value = _number(text)
                    style = c.get("s")
                    if style:
                        if not style.isdigit():
                            raise ValueError(f"style {style[:20]!r}")
                        s = int(style)
                        if s in date_styles:
                            try:
                                value = from_excel(value, epoch, timedelta=s in timedelta_styles)
                            except (OverflowError, ValueError, TypeError):
                                value = CellError("#VALUE!")
                        elif s in formats:
                            value = _formatted(value, formats[s])
                elif t == "s":
                    i = int(text)
                    if not 0 <= i < n_strings:
                        value = BadCell(f"the cell refers to text number {i} that the file does not have; the file "
                                        "is damaged")
                    else:
                        value = strings[i]
                elif t == "str":
                    value = unescape(text) if len(text) <= MAX_CELL_CHARS else _too_long(len(text))
                elif t == "b":
                    value = _BOOLS[text.strip().lower()]
                elif t == "d":
                    value = from_ISO8601(text.strip())
                elif t == "e":
                    value = CellError(text)
                else:
                    value = text if len(text) <= MAX_CELL_CHARS else _too_long(len(text))
            except (ValueError, KeyError, TypeError, OverflowError):
                shown = text if len(text) <= 40 else text[:40] + "..."
                kinds = {"n": "a number", "s": "a text reference", "b": "a TRUE/FALSE value", "d": "a date"}
                value = BadCell(f"the cell claims to hold {kinds.get(t, 'a value')} but holds {shown!r}; the file is "
                                "damaged: type the value again")
            if col == len(values) + 1:
                values.append(value)
            else:
                _put(values, col, value)
        el.clear()
        if values:
            yield number, tuple(values)


def _formatted(value, kind: tuple):
    """A number under a format that matters for identifiers: zero padding or scientific."""
    what, width = kind
    if what == "zeros" and type(value) is int and value >= 0:
        return ShownNumber(value, str(value).zfill(width))
    if what == "zeros" and type(value) is float and value.is_integer() and 0 <= value < 1e15:
        return ShownNumber(int(value), str(int(value)).zfill(width))
    if what == "scientific":
        return ScientificNumber(value)
    return value


def number_format_kinds(wb) -> dict[int, tuple[str, int]]:
    """Style index -> ("zeros", width) for formats like 00000, ("scientific", 0) for formats like 0.00E+00;
    other styles are left out."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE, builtin_format_code

    out = {}
    custom = list(getattr(wb, "_number_formats", []) or [])
    for idx, style in enumerate(getattr(wb, "_cell_styles", []) or []):
        fid = getattr(style, "numFmtId", 0) or 0
        code = custom[fid - BUILTIN_FORMATS_MAX_SIZE] if fid >= BUILTIN_FORMATS_MAX_SIZE and \
            fid - BUILTIN_FORMATS_MAX_SIZE < len(custom) else builtin_format_code(fid)
        if not code:
            continue
        first = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", str(code).split(";")[0])
        if re.fullmatch(r"0{2,}", first.strip()):
            out[idx] = ("zeros", len(first.strip()))
        elif re.search(r"[eE][+-]", first):
            out[idx] = ("scientific", 0)
    return out


def _put(values: list, col: int, value) -> None:
    """Set 1-based column ``col``, padding with None (cells may be missing or out of order)."""
    if col > len(values):
        values.extend([None] * (col - len(values)))
    values[col - 1] = value
