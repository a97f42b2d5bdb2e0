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

import os
import zipfile
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import ParseError, iterparse

from .errors import FileRefused

MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MB on disk
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # 1 GB unpacked: a guard against zip bombs
MAX_ROWS = 200_000  # rows holding data, per sheet

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
            self._parts: dict[str, str] = {}
            members = set(self._archive.namelist())
            for sheet, rel in reader.parser.find_sheets():
                if "chartsheet" in (rel.Type or "") or rel.target not in members:
                    continue
                self._parts[sheet.name] = rel.target
        except FileRefused:
            self.close()
            raise
        except Exception as exc:  # malformed parts: openpyxl raises many kinds of errors
            self.close()
            raise FileRefused(f"{self.name} cannot be read as an .xlsx workbook ({type(exc).__name__}: {exc}).",
                              field="file") from None

    @property
    def sheet_names(self) -> list[str]:
        return list(self._parts)

    def close(self) -> None:
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
                with self._archive.open(self._strings_part) as src:
                    self._strings = _read_shared_strings(src)
        return self._strings

    def rows(self, sheet: str, *, max_rows: int | None = None) -> Iterator[tuple[int, tuple]]:
        """(row number, values) for each row of ``sheet`` holding any value, in order. Values are
        padded with None to the row's last filled column (rows may differ in length)."""
        max_rows = max_rows or MAX_ROWS
        part = self._parts[sheet]
        strings = self._shared_strings()
        count = 0
        try:
            with self._archive.open(part) as src:
                for number, values in _read_rows(src, strings, self._date_styles, self._timedelta_styles,
                                                 self._epoch):
                    count += 1
                    if count > max_rows:
                        raise FileRefused(f"Sheet {sheet} of {self.name} has more than {max_rows:,} rows; split the "
                                          "file into smaller ones.", sheet=sheet, field="file")
                    yield number, values
        except ParseError as exc:
            raise FileRefused(f"Sheet {sheet} of {self.name} is damaged ({exc}).", sheet=sheet, field="file") from None


def open_book(path) -> Book:
    return Book(path)


# --- the XML ---------------------------------------------------------------------------------

def _tags(local: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{local}" for ns in _MAIN_NS)


_SI, _T, _R, _ROW, _V, _IS = (_tags(n) for n in ("si", "t", "r", "row", "v", "is"))


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


def _read_shared_strings(src) -> list[str]:
    out = []
    for _, node in iterparse(src):
        if node.tag in _SI:
            out.append(_text_of(node).replace("x005F_", ""))
            node.clear()
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
    return n


def _number(text: str):
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _read_rows(src, strings, date_styles, timedelta_styles, epoch):
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    row_tags, v_tags, is_tags = _ROW, _V, _IS
    number = 0
    for _, el in iterparse(src):
        if el.tag not in row_tags:
            continue
        r = el.get("r")
        number = int(float(r)) if r else number + 1
        values: list = []
        col = 0
        for c in el:
            ref = c.get("r")
            col = _column_index(ref) if ref else col + 1
            t = c.get("t", "n")
            if t == "inlineStr":
                value = None
                for child in c:
                    if child.tag in is_tags:
                        value = _text_of(child)
                        break
                if value is not None:
                    _put(values, col, value)
                continue
            text = None
            for child in c:
                if child.tag in v_tags:
                    text = child.text
                    break
            if not text:
                continue
            if t == "n":
                value = _number(text)
                style = c.get("s")
                if style and int(style) in date_styles:
                    try:
                        value = from_excel(value, epoch, timedelta=int(style) in timedelta_styles)
                    except (OverflowError, ValueError):
                        value = CellError("#VALUE!")
            elif t == "s":
                value = strings[int(text)]
            elif t == "str":
                value = text
            elif t == "b":
                value = bool(int(text))
            elif t == "d":
                value = from_ISO8601(text)
            elif t == "e":
                value = CellError(text)
            else:
                value = text
            if col == len(values) + 1:
                values.append(value)
            else:
                _put(values, col, value)
        el.clear()
        if values:
            yield number, tuple(values)


def _put(values: list, col: int, value) -> None:
    """Set 1-based column ``col``, padding with None (cells may be missing or out of order)."""
    if col > len(values):
        values.extend([None] * (col - len(values)))
    values[col - 1] = value
