"""The bad-input corpus: every kind of bad input we know of, through the HTTP API, the Excel import and
the command line. For each: a refusal that names the field, sheet, row or cell and says what to do; no
traceback; the database byte-for-byte unchanged; check() empty.

Run on SQLite (the rules are the store's, the same on PostgreSQL; the fault tests cover both).
`python -m pytest tests/test_bad_input_corpus.py -q` prints the figures at the end (see corpus_figures).
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
import struct
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from serialstock.cli import main
from store import catalog, tokens
from store import db as dbm
from store import serials as serials_rule
from store.check import check
from store.errors import FileRefused, ImportRefused, Refusal
from store.excel import import_file

from .helpers import receive
from .xlsx_parts import (
    DOC_HEAD,
    SERIAL_HEAD,
    build,
    receipt_parts,
    shared_xml,
    sheet_xml,
    write,
    zip_bytes,
)

FIGURES = {"tried": 0, "refused clearly": 0, "unclear": 0, "tracebacks": 0, "accepted wrongly": 0, "half-saved": 0}


@pytest.fixture(autouse=True)
def _small_cell_budget(monkeypatch):
    """A sheet's cell budget scaled down with the files (2,998 rows reaching XFD stand for a million)."""
    from store.excel import reader as excel_read

    monkeypatch.setattr(excel_read, "MAX_CELLS", 20_000_000 // 1000)


def fingerprint(path: Path) -> str:
    """Every row of every table, hashed: what 'the database unchanged' means."""
    con = sqlite3.connect(path)
    try:
        h = hashlib.sha256()
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            for row in con.execute(f'SELECT * FROM "{name}" ORDER BY 1'):
                h.update(repr((name, row)).encode())
        return h.hexdigest()
    finally:
        con.close()


def seed(url: str) -> None:
    """The corpus's database: two tracked items, an untracked one, warehouses MAIN and B, partner ACME,
    serials S-1..S-3 of PHONE-X in stock in MAIN, S-9 issued."""
    dbm.connect(url)
    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90", ean="8594000000013")
    catalog.create_item("TAB-9", "Tablet 9", tracked=True, price="299.00")
    catalog.create_item("CABLE", "USB cable", price="4.50")
    catalog.create_warehouse("B", "Second warehouse")
    catalog.create_partner("ACME", "Acme Ltd.")
    receive("PHONE-X", ["S-1", "S-2", "S-3", "S-9"])
    from .helpers import issue
    issue("PHONE-X", ["S-9"])


def record(outcome: str) -> None:
    FIGURES["tried"] += 1
    FIGURES[outcome] += 1


# --- the HTTP API ------------------------------------------------------------------------------

def line(qty=1, serials=("N-1",), item="PHONE-X", **kw):
    return {"item": item, "quantity": qty, "serials": list(serials), **kw}


def gr(*lines, **kw):
    return ("POST", "/goods-receipts", {"json": {"lines": list(lines) or [line()], **kw}})


BIG = b'{"lines": [' + b'"x",' * (3 * 1024 * 1024) + b'"x"]}'

# (kind, (method, path, request kwargs), status, words the message must contain)
API_CASES = [
    ("no token", ("POST", "/goods-receipts", {"json": {"lines": []}, "headers": {"Authorization": ""}}), 401,
     ["bearer token", "serialstock token create"]),
    ("wrong token", ("POST", "/goods-receipts", {"json": {}, "headers": {"Authorization": "Bearer sst_nope"}}), 401,
     ["not valid"]),
    ("no token, large body", ("POST", "/goods-receipts", {"content": BIG, "headers": {
        "Authorization": "", "Content-Type": "application/json"}}), 401, ["bearer token"]),
    ("body over 10 MB (Content-Length)", ("POST", "/goods-receipts", {"content": BIG, "headers": {
        "Content-Type": "application/json"}}), 413, ["too large", "10 MB"]),
    ("body over 10 MB (chunked)", ("POST", "/goods-receipts", {"content": iter([BIG[:6_000_000], BIG[6_000_000:]]),
                                                               "headers": {"Content-Type": "application/json"}}),
     413, ["too large"]),
    ("no Content-Type", ("POST", "/goods-receipts", {"content": b'{"lines": []}', "headers": {"Content-Type": ""}}),
     415, ["Content-Type: application/json"]),
    ("text/plain body", ("POST", "/items", {"content": b'{"code": "X"}', "headers": {"Content-Type": "text/plain"}}),
     415, ["text/plain", "application/json"]),
    ("form body", ("POST", "/items", {"data": {"code": "X", "name": "Y"}}), 415, ["a form", "JSON"]),
    ("multipart body", ("POST", "/items", {"files": {"f": ("a.txt", b"x")}}), 415, ["multipart/form-data"]),
    ("latin-1 charset", ("POST", "/items", {"content": b'{"code": "X"}', "headers": {
        "Content-Type": "application/json; charset=latin-1"}}), 415, ["latin-1", "UTF-8"]),
    ("invalid UTF-8", ("POST", "/items", {"content": b'{"code": "\xff\xfe", "name": "x"}', "headers": {
        "Content-Type": "application/json"}}), 422, ["not valid UTF-8", "byte 11"]),
    ("deep nesting", ("POST", "/items", {"content": b"[" * 5000 + b"]" * 5000, "headers": {
        "Content-Type": "application/json"}}), 422, ["nests", "deep"]),
    ("malformed JSON", ("POST", "/items", {"content": b'{"code": ', "headers": {"Content-Type": "application/json"}}),
     422, ["not valid JSON"]),
    ("JSON array for an object", ("POST", "/items", {"json": ["PHONE-Y"]}), 422, ["valid dictionary"]),
    ("empty body", ("POST", "/items", {"content": b"", "headers": {"Content-Type": "application/json"}}), 422,
     ["body"]),
    ("quantity true", gr(line(qty=True)), 422, ["lines.0.quantity", "not true"]),
    ("price true", gr(line(price=True)), 422, ["lines.0.price", "not true"]),
    ("quantity false", gr(line(qty=False)), 422, ["lines.0.quantity", "not false"]),
    ("quantity list", gr(line(qty=[1])), 422, ["lines.0.quantity", "not [1]"]),
    ("quantity object", gr(line(qty={"n": 1})), 422, ["lines.0.quantity", "must be a number"]),
    ("quantity null", gr(line(qty=None)), 422, ["lines.0.quantity", "not null"]),
    ("quantity text", gr(line(qty="abc")), 422, ["Line 1 (PHONE-X)", "quantity must be a number, not 'abc'"]),
    ("quantity NaN text", gr(line(qty="NaN")), 422, ["Line 1 (PHONE-X)", "quantity must be a number"]),
    ("quantity Infinity text", gr(line(qty="Infinity")), 422, ["Line 1 (PHONE-X)", "quantity must be a number"]),
    ("quantity 1e400", ("POST", "/goods-receipts", {"content": b'{"lines": [{"item": "CABLE", "quantity": 1e400}]}',
                                                    "headers": {"Content-Type": "application/json"}}), 422,
     ["lines.0.quantity", "finite"]),
    ("quantity 0.0001", gr(line(qty=0.0001, serials=())), 422, ["Line 1", "more than 3 decimal places"]),
    ("quantity 1e20", gr(line(qty=1e20, serials=(), item="CABLE")), 422, ["Line 1 (CABLE)", "too large"]),
    ("quantity 0", gr(line(qty=0, serials=())), 422, ["Line 1 (PHONE-X)", "more than 0"]),
    ("quantity -1", gr(line(qty=-1, item="CABLE", serials=())), 422, ["Line 1 (CABLE)", "more than 0"]),
    ("price 0.001", gr(line(price="0.001")), 422, ["Line 1 (PHONE-X)", "more than 2 decimal places"]),
    ("price negative", gr(line(price=-5)), 422, ["Line 1 (PHONE-X)", "below 0"]),
    ("price 1,2,3", gr(line(price="1,2,3")), 422, ["Line 1 (PHONE-X)", "must be a number"]),
    ("price too large", gr(line(price=1e12)), 422, ["Line 1 (PHONE-X)", "too large"]),
    ("date as seconds", gr(date=86400), 422, ["date", "YYYY-MM-DD", "86400"]),
    ("date not in the calendar", gr(date="2026-13-45"), 422, ["date", "not a date of the calendar"]),
    ("date in another format", gr(date="02/03/2026"), 422, ["date", "YYYY-MM-DD"]),
    ("date true", gr(date=True), 422, ["date", "YYYY-MM-DD"]),
    ("date with a time", gr(date="2026-03-02T10:00:00"), 422, ["date", "YYYY-MM-DD"]),
    ("generate_movement text", ("POST", "/purchase-invoices", {"json": {"lines": [line()],
                                                                        "generate_movement": "yes"}}), 422,
     ["generate_movement", "true or false"]),
    ("tracked 1", ("POST", "/items", {"json": {"code": "NEW-1", "name": "New", "tracked": 1}}), 422,
     ["tracked", "true or false"]),
    ("tracked text on PATCH", ("PATCH", "/items/CABLE", {"json": {"tracked": "true"}}), 422,
     ["tracked", "true or false"]),
    ("warehouse default text", ("PATCH", "/warehouses/B", {"json": {"default": "yes"}}), 422,
     ["default", "true or false"]),
    ("code with zero-width space", ("POST", "/items", {"json": {"code": "PHONE\u200b-X", "name": "N"}}), 422,
     ["Code", "U+200B"]),
    ("code with right-to-left override", ("POST", "/items", {"json": {"code": "AB\u202eC", "name": "N"}}), 422,
     ["Code", "U+202E"]),
    ("name with NEL", ("POST", "/items", {"json": {"code": "NEW-2", "name": "A\x85B"}}), 422, ["Name", "U+0085"]),
    ("name with a line separator", ("POST", "/partners", {"json": {"code": "P2", "name": "A\u2028B"}}), 422,
     ["Name", "U+2028"]),
    ("name with a private-use character", ("POST", "/partners", {"json": {"code": "P3", "name": "A\ue000"}}), 422,
     ["Name", "U+E000"]),
    ("code with a BOM", ("POST", "/warehouses", {"json": {"code": "\ufeffW3", "name": "W"}}), 422,
     ["Code", "U+FEFF"]),
    ("code with a tab", ("POST", "/warehouses", {"json": {"code": "W\t4", "name": "W"}}), 422,
     ["Code", "control character"]),
    ("code with NUL", ("POST", "/items", {"json": {"code": "A\x00", "name": "N"}}), 422, ["code", "NUL"]),
    ("code lone surrogate", ("POST", "/items", {"content": b'{"code": "A\\ud800", "name": "N"}',
                                                "headers": {"Content-Type": "application/json"}}), 422,
     ["code", "surrogate"]),
    ("code empty", ("POST", "/items", {"json": {"code": "  ", "name": "N"}}), 422, ["Code is required"]),
    ("code too long", ("POST", "/items", {"json": {"code": "C" * 65, "name": "N"}}), 422,
     ["Code is 65 characters long", "at most 64"]),
    ("name too long", ("POST", "/items", {"json": {"code": "NEW-3", "name": "N" * 201}}), 422,
     ["Name is 201 characters long"]),
    ("code 100,000 characters", ("POST", "/items", {"json": {"code": "C" * 100_000, "name": "N"}}), 422,
     ["Code is 100000 characters long"]),
    ("NFD code of an NFC item", ("POST", "/items", {"json": {"code": "CAFE\u0301", "name": "x"}}), 409,
     ["CAFÉ"]),
    ("EAN with letters", ("POST", "/items", {"json": {"code": "NEW-4", "name": "N", "ean": "85940000ABC"}}), 422,
     ["EAN", "8, 12, 13 or 14 digits"]),
    ("serial with zero-width space", gr(line(serials=["N\u200b1"])), 422, ["Line 1 (PHONE-X)", "U+200B"]),
    ("serial with a BOM", gr(line(serials=["\ufeffN1"])), 422, ["Line 1 (PHONE-X)", "U+FEFF"]),
    ("serial with NEL", gr(line(serials=["N\x851"])), 422, ["Line 1 (PHONE-X)", "U+0085"]),
    ("serial with right-to-left override", gr(line(serials=["N\u202e1"])), 422, ["Line 1 (PHONE-X)", "U+202E"]),
    ("serial 101 characters", gr(line(serials=["S" * 101])), 422, ["Line 1 (PHONE-X)", "at most 100"]),
    ("serial empty", gr(line(serials=[" "])), 422, ["Line 1 (PHONE-X)", "empty serial"]),
    ("serial twice", gr(line(qty=2, serials=["D-1", "D-1"])), 422, ["D-1"]),
    ("serial twice in two encodings", gr(line(qty=2, serials=["\u00c9-1", "E\u0301-1"])), 422, ["É-1"]),
    ("serial count short", gr(line(qty=3, serials=["C-1"])), 422, ["Line 1 (PHONE-X)", "1 serial number for quantity 3"]),
    ("fractional quantity of a tracked item", gr(line(qty="1.5")), 422, ["Line 1 (PHONE-X)", "whole"]),
    ("serials on an untracked item", gr(line(item="CABLE")), 422, ["Line 1 (CABLE)", "does not track"]),
    ("serial in stock already", gr(line(serials=["S-1"])), 409, ["S-1"]),
    ("issuing a serial not in stock", ("POST", "/goods-issues", {"json": {"lines": [line(serials=["S-9"])]}}), 409,
     ["S-9", "not in stock"]),
    ("issuing an unknown serial", ("POST", "/goods-issues", {"json": {"lines": [line(serials=["NOPE"])]}}), 409,
     ["NOPE"]),
    ("unknown item", gr(line(item="NOPE")), 422, ["Line 1", "no item NOPE"]),
    ("unknown warehouse", gr(warehouse="NOPE"), 422, ["warehouse", "NOPE"]),
    ("unknown partner", gr(partner="NOPE"), 422, ["partner", "NOPE"]),
    ("unknown field", gr(colour="red"), 422, ["colour", "not permitted"]),
    ("no lines", ("POST", "/goods-receipts", {"json": {"lines": []}}), 422, ["at least one line"]),
    ("note too long", gr(note="n" * 2001), 422, ["Note is 2001 characters long"]),
    ("transfer to the same warehouse", ("POST", "/transfers", {"json": {"lines": [line(serials=["S-1"])],
                                                                        "to_warehouse": "MAIN"}}), 422,
     ["both are MAIN"]),
    ("transfer without a destination", ("POST", "/transfers", {"json": {"lines": [line(serials=["S-1"])]}}), 422,
     ["warehouse it goes to"]),
    ("expected_version 0", ("PUT", "/goods-receipts/GR-2026-0001", {"json": {"lines": [line()],
                                                                             "expected_version": 0}}), 422,
     ["expected_version"]),
    ("search 50,000 characters", ("GET", "/items", {"params": {"search": "x" * 50_000}}), 422,
     ["search", "at most 200"]),
    ("partner search 5,000 percent signs", ("GET", "/partners", {"params": {"search": "%" * 5_000}}), 422,
     ["search", "at most 200"]),
    ("document search 50,000 characters", ("GET", "/goods-receipts", {"params": {"search": "_" * 50_000}}), 422,
     ["search", "at most 200"]),
    ("serial prefix 50,000 characters", ("GET", "/serials", {"params": {"prefix": "S" * 50_000}}), 422,
     ["prefix", "at most 200"]),
    ("limit 0", ("GET", "/items", {"params": {"limit": 0}}), 422, ["limit"]),
    ("limit 100,000", ("GET", "/items", {"params": {"limit": 100_000}}), 422, ["limit"]),
    ("a cursor not given by the API", ("GET", "/items", {"params": {"after": "!!"}}), 422, ["cursor"]),
    ("idempotency key too long", ("POST", "/goods-receipts", {"json": {"lines": [line()]},
                                                              "headers": {"Idempotency-Key": "k" * 300}}), 422,
     ["Idempotency-Key"]),
    ("serial status unknown", ("GET", "/serials", {"params": {"status": "lost"}}), 422, ["status"]),
    ("more serials than a document takes", gr(line(qty=6, serials=[f"M-{i}" for i in range(6)])), 422,
     ["6 serial numbers", "at most 5", "Split"]),
]


@pytest.fixture(scope="class")
def api_case_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus-api") / "api.db"
    url = f"sqlite:///{path}"
    seed(url)
    catalog.create_item("CAF\u00c9", "Coffee")
    _, secret = tokens.create_token("corpus")
    dbm.db.close()
    client = TestClient(create_app(url))
    with client:
        yield client, path, secret
        dbm.db.close()
    dbm.db.close()
    if hasattr(dbm.db.obj, "close_all"):
        dbm.db.obj.close_all()


def _api_message(answer) -> str:
    err = answer.json()["error"]
    return err["message"] + "\n" + "\n".join(p["message"] for p in err.get("problems", []))


class TestApi:
    @pytest.mark.parametrize("kind, request_, status, words", API_CASES, ids=[c[0] for c in API_CASES])
    def test_refused_clearly(self, api_case_db, monkeypatch, kind, request_, status, words):
        client, path, secret = api_case_db
        monkeypatch.setattr(serials_rule, "MAX_SERIALS_PER_DOCUMENT", 5)
        method, url, kw = request_
        kw = dict(kw)
        headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
        headers = {k: v for k, v in headers.items() if v != ""}
        before = fingerprint(path)
        answer = client.request(method, url, headers=headers, **kw)
        outcome = "refused clearly"
        if answer.status_code >= 500 or "Traceback" in answer.text:
            outcome = "tracebacks"
        elif answer.status_code < 400:
            outcome = "accepted wrongly"
        elif fingerprint(path) != before:
            outcome = "half-saved"
        message = _api_message(answer) if answer.headers.get("content-type") == "application/json" else answer.text
        if outcome == "refused clearly" and (answer.status_code != status or not all(w in message for w in words)):
            outcome = "unclear"
        record(outcome)
        assert answer.status_code == status, answer.text
        for w in words:
            assert w in message, (w, message)
        assert fingerprint(path) == before
        assert check() == []
        dbm.db.close()


# --- Excel --------------------------------------------------------------------------------------

def _replace(parts: dict, name: str, data) -> dict:
    parts = dict(parts)
    parts[name] = data.encode() if isinstance(data, str) else data
    return parts


def _serials_sheet(*cells, extra="", prolog="") -> str:
    rows = [SERIAL_HEAD] + [["1", 1, c] for c in cells]
    fixed = []
    for i, r in enumerate(rows):
        c = r[2]
        if isinstance(c, str) and c.startswith("<c") and ' r="' not in c[:8]:
            c = c.replace("<c", f'<c r="C{i + 1}"', 1)
        fixed.append([r[0], r[1], c])
    return sheet_xml(fixed, extra=extra, prolog=prolog)


def receipt_with(*cells, quantity=None, **kw) -> dict:
    return receipt_parts(list(cells), quantity=quantity, **kw)


def with_serials_xml(xml: str, **kw) -> dict:
    return _replace(receipt_parts(["X"]), "xl/worksheets/sheet3.xml", xml)


def _shared_receipt(strings: list[str], serial_index_text: str, *, prolog: str = "", raw_shared: str | None = None):
    parts = receipt_parts(["X"], shared=raw_shared if raw_shared is not None else shared_xml(strings, prolog=prolog))
    return _replace(parts, "xl/worksheets/sheet3.xml",
                    _serials_sheet(f'<c t="s"><v>{serial_index_text}</v></c>'))


def _damaged_member(mode: str) -> bytes:
    """The valid receipt with its Serials sheet's compressed data, CRC or size damaged."""
    data = bytearray(zip_bytes(receipt_parts(["A-1"])))
    target = b"xl/worksheets/sheet3.xml"
    offset = 0
    while True:
        offset = data.find(b"PK\x03\x04", offset)
        name_len, extra_len = struct.unpack("<HH", data[offset + 26:offset + 30])
        if data[offset + 30:offset + 30 + name_len] == target:
            break
        offset += 4
    comp = struct.unpack("<I", data[offset + 18:offset + 22])[0]
    body = offset + 30 + name_len + extra_len
    if mode == "deflate":
        for k in range(body + 2, body + comp - 2):
            data[k] ^= 0x5A
    elif mode == "crc":
        data[offset + 14] ^= 0xFF
        cd = data.rfind(b"PK\x01\x02", 0, data.rfind(target))
        data[cd + 16] ^= 0xFF
    elif mode == "size":
        cd = data.rfind(b"PK\x01\x02", 0, data.rfind(target))
        real = struct.unpack("<I", data[cd + 24:cd + 28])[0]
        data[cd + 24:cd + 28] = struct.pack("<I", max(1, real // 3))
        data[offset + 22:offset + 26] = struct.pack("<I", max(1, real // 3))
    return bytes(data)


BILLION_LAUGHS = ('<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                  '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')

def _entity_receipt():
    parts = _shared_receipt(["A"], "0")
    return _replace(parts, "xl/sharedStrings.xml", shared_xml(["A"], prolog=BILLION_LAUGHS).replace(">A<", ">&c;<"))


# (kind, how to make the file: a function of tmp_path returning the path, exception, words)
def _bytes(data: bytes):
    return lambda p: (p.write_bytes(data), p)[1]


def _parts(parts_fn):
    return lambda p: write(p, parts_fn())


XLSX_CASES = [
    ("CSV renamed .xlsx", _bytes(b"Document,Line,Serial\n1,1,A\n"), FileRefused, ["not an .xlsx", "CSV"]),
    ("empty file", _bytes(b""), FileRefused, ["empty"]),
    ("random bytes", _bytes(bytes(range(256)) * 4), FileRefused, ["not an .xlsx"]),
    ("zip of something else", _bytes(zip_bytes({"a.txt": b"x"})), FileRefused, ["zip archive but not an .xlsx"]),
    ("truncated zip", _bytes(zip_bytes(receipt_parts(["A-1"]))[:300]), FileRefused, ["damaged"]),
    ("old .xls", _bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600), FileRefused, [".xls", "save it as"]),
    ("ods", _bytes(zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})),
     FileRefused, ["OpenDocument"]),
    ("xlsb", _bytes(zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"x"})), FileRefused,
     ["binary Excel workbook"]),
    ("workbook.xml not XML", _parts(lambda: _replace(receipt_parts(["A"]), "xl/workbook.xml", "<workbook")),
     FileRefused, ["cannot be read as an .xlsx"]),
    ("text in a number cell", _parts(lambda: receipt_with('<c><v>abc</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "holds 'abc'", "damaged"]),
    ("NaN in a number cell", _parts(lambda: receipt_parts(["A-1"], line_row=["1", 1, "PHONE-X", "<c r=\"D2\"><v>NaN</v></c>", 10])),
     ImportRefused, ["Lines row 2, D (Quantity)", "'NaN'"]),
    ("infinity in a serial cell", _parts(lambda: receipt_with('<c><v>INF</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "'INF'"]),
    ("1e999 in a serial cell", _parts(lambda: receipt_with('<c><v>1e999</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "'1e999'"]),
    ("number cell holding 1_000", _parts(lambda: receipt_with('<c><v>1_000</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "'1_000'"]),
    ("boolean cell holding 'maybe'", _parts(lambda: receipt_with('<c t="b"><v>maybe</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "TRUE/FALSE", "'maybe'"]),
    ("date cell holding no date", _parts(lambda: receipt_parts(["A-1"], doc_row=[
        "1", "receipt", '<c r="C2" t="d"><v>soon</v></c>', "MAIN", None, "ACME"])), ImportRefused,
     ["Documents row 2, C (Date)", "'soon'"]),
    ("style that is not a number", _parts(lambda: receipt_with('<c s="x"><v>12</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "damaged"]),
    ("row number that is not a number", _parts(lambda: with_serials_xml(sheet_xml([SERIAL_HEAD]).replace(
        '<row r="1">', '<row r="one">'))), FileRefused, ["Sheet Serials", "row number 'one'"]),
    ("shared string index out of range", _parts(lambda: _shared_receipt(["A"], "99")), ImportRefused,
     ["Serials row 2, C (Serial)", "text number 99"]),
    ("shared string index negative", _parts(lambda: _shared_receipt(["A"], "-1")), ImportRefused,
     ["Serials row 2, C (Serial)", "text number -1"]),
    ("shared string index not a number", _parts(lambda: _shared_receipt(["A"], "1.5")), ImportRefused,
     ["Serials row 2, C (Serial)", "'1.5'"]),
    ("malformed shared strings", _parts(lambda: _shared_receipt([], "0", raw_shared="<sst><si><t>a</si>")),
     FileRefused, ["shared strings", "damaged", "line 1"]),
    ("entities in shared strings", _parts(_entity_receipt), FileRefused, ["DTD or entities"]),
    ("DTD in a sheet", _parts(lambda: with_serials_xml(_serials_sheet("A-1", prolog='<!DOCTYPE x [<!ENTITY e "y">]>'))),
     FileRefused, ["Serials", "DTD"]),
    ("damaged deflate data", lambda p: (p.write_bytes(_damaged_member("deflate")), p)[1], FileRefused,
     ["damaged"]),
    ("forged CRC", lambda p: (p.write_bytes(_damaged_member("crc")), p)[1], FileRefused, ["damaged"]),
    ("forged size", lambda p: (p.write_bytes(_damaged_member("size")), p)[1], FileRefused, ["damaged"]),
    ("column beyond XFD", _parts(lambda: with_serials_xml(_serials_sheet('<c r="AAAAAA2" t="inlineStr"><is><t>x</t></is></c>'))),
     FileRefused, ["Sheet Serials", "AAAAAA2", "XFD"]),
    ("many rows reaching column XFD", _parts(lambda: with_serials_xml(sheet_xml([SERIAL_HEAD]).replace(
        "</sheetData>", "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(2, 3000))
        + "</sheetData>"))), FileRefused, ["Sheet Serials", "column XFD", "Delete the columns"]),
    ("row beyond 1,048,576", _parts(lambda: with_serials_xml(sheet_xml([SERIAL_HEAD]).replace(
        "</sheetData>", '<row r="2000000"><c r="A2000000"><v>1</v></c></row></sheetData>'))), FileRefused,
     ["Sheet Serials", "2,000,000", "1,048,576"]),
    ("shared serial over 32,767 characters", _parts(lambda: _shared_receipt(["S" * 40_000], "0")), ImportRefused,
     ["Serials row 2, C (Serial)", "40,000 characters", "32,767"]),
    ("inline serial over 32,767 characters", _parts(lambda: receipt_with("S" * 33_000)), ImportRefused,
     ["Serials row 2, C (Serial)", "33,000 characters"]),
    ("a megabyte of text in one cell", _parts(lambda: receipt_with("S" * 1_200_000)), FileRefused,
     ["Sheet Serials", "C2", "32,767"]),
    ("serial as a 16-digit number", _parts(lambda: receipt_with(1234567890123456)), ImportRefused,
     ["Serials row 2, C (Serial)", "16 digits", "format the column as Text"]),
    ("serial as 1.23E+19", _parts(lambda: receipt_with('<c><v>1.2345678901234567E+19</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "20 digits", "Text"]),
    ("serial in scientific format", _parts(lambda: receipt_with('<c s="3"><v>123456789</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "scientific format", "Text"]),
    ("serial with a fractional part", _parts(lambda: receipt_with(1.5)), ImportRefused,
     ["Serials row 2, C (Serial)", "fractional part", "Text"]),
    ("item code as 1.5", _parts(lambda: receipt_parts(["A-1"], line_row=["1", 1, 1.5, 1, 10])), ImportRefused,
     ["Lines row 2, C (Item)", "fractional part"]),
    ("document reference as 17 digits", _parts(lambda: receipt_parts(["A-1"], doc_row=[
        12345678901234567, "receipt"])), ImportRefused, ["Documents row 2, A (Document)", "17 digits"]),
    ("hidden Serials sheet", _parts(lambda: receipt_parts(["A-1"], states={"Serials": "hidden"})), ImportRefused,
     ["Sheet Serials is hidden", "Unhide"]),
    ("very hidden Lines sheet", _parts(lambda: receipt_parts(["A-1"], states={"Lines": "veryHidden"})),
     ImportRefused, ["Sheet Lines is very hidden"]),
    ("hidden Documents sheet", _parts(lambda: receipt_parts(["A-1"], states={"Documents": "hidden"})),
     ImportRefused, ["Sheet Documents is hidden"]),
    ("formula without a cached value", _parts(lambda: receipt_with('<c><f>A1&amp;"x"</f></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "formula saved without its result"]),
    ("serial in merged cells", _parts(lambda: receipt_parts(["A-1", None], extra_serials=
                                                            '<mergeCells count="1"><mergeCell ref="C2:C3"/></mergeCells>')),
     ImportRefused, ["Serials row 2, C (Serial)", "C2:C3 are merged", "Unmerge"]),
    ("error value in a serial cell", _parts(lambda: receipt_with('<c t="e"><v>#N/A</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "#N/A"]),
    ("date in a serial cell", _parts(lambda: receipt_with('<c s="1"><v>46000</v></c>')), ImportRefused,
     ["Serials row 2, C (Serial)", "date"]),
    ("boolean in a serial cell", _parts(lambda: receipt_with(True)), ImportRefused,
     ["Serials row 2, C (Serial)", "yes/no"]),
    ("serial with zero-width space", _parts(lambda: receipt_with("A\u200b1")), ImportRefused,
     ["Serials row 2", "U+200B"]),
    ("serial with right-to-left override", _parts(lambda: receipt_with("A\u202e1")), ImportRefused,
     ["Serials row 2", "U+202E"]),
    ("serial 101 characters", _parts(lambda: receipt_with("S" * 101)), ImportRefused, ["Serials row 2", "at most 100"]),
    ("serial twice in the file", _parts(lambda: receipt_with("D-1", "D-1")), ImportRefused, ["Serials row", "D-1"]),
    ("serial in stock already", _parts(lambda: receipt_with("S-1")), ImportRefused, ["Serials row 2", "S-1"]),
    ("fewer serials than the quantity", _parts(lambda: receipt_with("Q-1", quantity=3)), ImportRefused,
     ["Lines row 2", "1 serial number for quantity 3"]),
    ("unknown item", _parts(lambda: receipt_parts(["A-1"], item="NOPE")), ImportRefused,
     ["Lines row 2, C (Item)", "NOPE"]),
    ("unknown kind", _parts(lambda: receipt_parts(["A-1"], doc_row=["1", "gift"])), ImportRefused,
     ["Documents row 2, B (Kind)", "'gift'"]),
    ("date text not a date", _parts(lambda: receipt_parts(["A-1"], doc_row=["1", "receipt", "2.3.2026"])),
     ImportRefused, ["Documents row 2, C (Date)", "YYYY-MM-DD"]),
    ("unknown warehouse", _parts(lambda: receipt_parts(["A-1"], doc_row=["1", "receipt", None, "NOPE"])),
     ImportRefused, ["Documents row 2, D (Warehouse)", "NOPE"]),
    ("quantity as text", _parts(lambda: receipt_parts(["A-1"], line_row=["1", 1, "PHONE-X", "one", 10])),
     ImportRefused, ["Lines row 2, D (Quantity)", "'one'"]),
    ("quantity with 4 decimals", _parts(lambda: receipt_parts([], line_row=["1", 1, "CABLE", 0.0001, 10])),
     ImportRefused, ["Lines row 2, D (Quantity)", "decimal places"]),
    ("line number as text", _parts(lambda: receipt_parts(["A-1"], line_row=["1", "first", "PHONE-X", 1, 10])),
     ImportRefused, ["Lines row 2, B (Line)", "'first'"]),
    ("line number huge", _parts(lambda: receipt_parts(["A-1"], line_row=["1", 10**12, "PHONE-X", 1, 10])),
     ImportRefused, ["Lines row 2, B (Line)", "not a line number"]),
    ("line number in superscript digits", _parts(lambda: receipt_parts(["A-1"], line_row=["1", "\u00b2", "PHONE-X", 1, 10])),
     ImportRefused, ["Lines row 2, B (Line)", "whole number"]),
    ("missing Lines sheet", _parts(lambda: build({"Documents": sheet_xml([DOC_HEAD, ["1", "receipt"]]),
                                                  "Serials": sheet_xml([SERIAL_HEAD, ["1", 1, "A"]])})),
     ImportRefused, ["Sheet Lines is missing"]),
    ("missing Serial column", _parts(lambda: with_serials_xml(sheet_xml([["Document", "Line"], ["1", 1]]))),
     ImportRefused, ["missing column Serial"]),
    ("Serial column twice", _parts(lambda: with_serials_xml(sheet_xml([SERIAL_HEAD + ["Serial"], ["1", 1, "A", "B"]]))),
     ImportRefused, ["appears twice"]),
    ("no layout sheet at all", _parts(lambda: build({"Sheet1": sheet_xml([["a"]])})), FileRefused,
     ["nothing to import"]),
    ("item code with right-to-left override", _parts(lambda: build({"Items": sheet_xml([
        ["Code", "Name"], ["AB\u202eC", "x"]])})), ImportRefused, ["Items row 2, A (Code)", "U+202E"]),
    ("item price with 3 decimals", _parts(lambda: build({"Items": sheet_xml([
        ["Code", "Name", "Price"], ["NEW-9", "x", 1.005]])})), ImportRefused, ["Items row 2", "decimal places"]),
    ("Tracked 'maybe'", _parts(lambda: build({"Items": sheet_xml([
        ["Code", "Name", "Tracked"], ["NEW-9", "x", "maybe"]])})), ImportRefused, ["Items row 2, C (Tracked)",
                                                                                     "yes or no"]),
    ("EAN as a 16-digit number", _parts(lambda: build({"Items": sheet_xml([
        ["Code", "Name", "EAN"], ["NEW-9", "x", 1234567890123456]])})), ImportRefused, ["Items row 2, C (EAN)",
                                                                                         "16 digits"]),
    ("more serials than a document takes", _parts(lambda: receipt_with(*[f"M-{i}" for i in range(6)])),
     ImportRefused, ["6 serial numbers", "at most 5"]),
    ("transfer to the same warehouse", _parts(lambda: receipt_parts(["S-1"], doc_row=[
        "1", "transfer", None, "MAIN", "MAIN"])), ImportRefused, ["Documents row 2", "both are MAIN"]),
]


@pytest.fixture(scope="class")
def excel_case_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus-excel") / "excel.db"
    seed(f"sqlite:///{path}")
    yield path
    dbm.db.close()


class TestExcel:
    @pytest.mark.parametrize("kind, make, refusal, words", XLSX_CASES, ids=[c[0] for c in XLSX_CASES])
    def test_refused_clearly(self, excel_case_db, tmp_path, monkeypatch, kind, make, refusal, words):
        monkeypatch.setattr(serials_rule, "MAX_SERIALS_PER_DOCUMENT", 5)
        path = make(tmp_path / "bad.xlsx")
        before = fingerprint(excel_case_db)
        outcome, message = "accepted wrongly", ""
        try:
            import_file(path, "corpus")
        except Refusal as r:
            outcome, message = "refused clearly", str(r)
            if not isinstance(r, refusal):
                outcome = "accepted wrongly"
        except Exception:
            record("tracebacks")
            raise
        if outcome == "refused clearly" and fingerprint(excel_case_db) != before:
            outcome = "half-saved"
        if outcome == "refused clearly" and not all(w in message for w in words):
            outcome = "unclear"
        record(outcome)
        assert outcome == "refused clearly", (outcome, message)
        for w in words:
            assert w in message, (w, message)
        assert fingerprint(excel_case_db) == before
        assert check() == []


def test_a_zero_padded_number_imports_as_shown_and_number_cells_are_counted(tmp_path):
    url = f"sqlite:///{tmp_path / 'z.db'}"
    seed(url)
    path = write(tmp_path / "z.xlsx", receipt_with('<c s="2"><v>123</v></c>', 4567, "TXT-1"))
    result = import_file(path, "corpus")
    from store.lookups import find_serial
    assert [s.item for s in find_serial("00123")] == ["PHONE-X"]
    assert [s.item for s in find_serial("4567")] == ["PHONE-X"]
    assert result.serials == 3 and result.serials_from_numbers == 2
    dbm.db.close()


# --- the command line ------------------------------------------------------------------------------

def run_cli(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _text_file(d: Path) -> str:
    (d / "notes.txt").write_text("not a database\n" * 10)
    return str(d / "notes.txt")


def _damaged_db(d: Path) -> str:
    p = d / "damaged.db"
    p.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
    return str(p)


def _foreign_db(d: Path) -> str:
    p = d / "other-app.sqlite"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    con.commit()
    con.close()
    return str(p)


def _newer_db(d: Path) -> str:
    p = d / "newer.db"
    dbm.connect(f"sqlite:///{p}")
    dbm.db.execute_sql("UPDATE setting SET value = '99' WHERE key = 'schema_version'")
    dbm.db.close()
    return str(p)


def _under_file(d: Path) -> str:
    return _text_file(d) + "/sub/stock.db"


# (kind, argv builder: fn(dir, db) -> argv, exit status, words). ``db`` is the corpus database's URL.
CLI_CASES = [
    ("--db naming a text file", lambda d, db: ["--db", _text_file(d), "check"], 2, ["notes.txt", "not an SQLite"]),
    ("--db naming a damaged database", lambda d, db: ["--db", _damaged_db(d), "check"], 2, ["damaged"]),
    ("--db under an existing file", lambda d, db: ["--db", _under_file(d), "check"], 2, ["is a file, not a folder"]),
    ("--db naming a folder", lambda d, db: ["--db", str(d), "check"], 2, ["it is a folder"]),
    ("--db of another program", lambda d, db: ["--db", _foreign_db(d), "check"], 2,
     ["another program", "invoices", "adds nothing"]),
    ("--db newer schema", lambda d, db: ["--db", _newer_db(d), "check"], 2, ["schema version 99", "Upgrade"]),
    ("--db sqlite:// two slashes", lambda d, db: ["--db", "sqlite://x.db", "check"], 2, ["three slashes"]),
    ("check of a database that is not there", lambda d, db: ["--db", f"sqlite:///{d}/nope/x.db", "check"], 2,
     ["no database at", "nope/x.db"]),
    ("export from a database that is not there", lambda d, db: ["--db", str(d / "x.db"), "export", "serials",
                                                                d / "s.xlsx"], 2, ["no database at"]),
    ("--db unknown scheme", lambda d, db: ["--db", "mysql://h/x", "check"], 2, ["Unknown database URL"]),
    ("--db in memory", lambda d, db: ["--db", ":memory:", "check"], 2, ["in-memory"]),
    ("--db postgres without a name", lambda d, db: ["--db", "postgresql://h", "check"], 2, ["names no database"]),
    ("api --port not a number", lambda d, db: ["--db", db, "api", "--port", "abc"], 2, ["--port", "'abc'", "1 to 65535"]),
    ("api --port out of range", lambda d, db: ["--db", db, "api", "--port", "99999"], 2, ["port 99999", "1 to 65535"]),
    ("api --port 0", lambda d, db: ["--db", db, "api", "--port", "0"], 2, ["port 0"]),
    ("api --workers 0", lambda d, db: ["--db", db, "api", "--workers", "0"], 2, ["--workers", "1 or more"]),
    ("api --threads -1", lambda d, db: ["--db", db, "api", "--threads", "-1"], 2, ["--threads", "1 or more"]),
    ("api --workers text", lambda d, db: ["--db", db, "api", "--workers", "many"], 2, ["--workers", "'many'"]),
    ("unknown command", lambda d, db: ["--db", db, "frobnicate"], 2, ["invalid choice", "--help"]),
    ("export into a missing folder", lambda d, db: ["--db", db, "export", "serials", d / "nope" / "s.xlsx"], 2,
     ["does not exist", "Create it"]),
    ("export into /proc", lambda d, db: ["--db", db, "export", "serials", "/proc/s.xlsx"], 2,
     ["/proc", "does not take new files"]),
    ("export onto a folder", lambda d, db: ["--db", db, "export", "serials", d], 2, ["it is a folder"]),
    ("export under a file", lambda d, db: ["--db", db, "export", "serials", _text_file(d) + "/s.xlsx"], 2,
     ["is a file, not a folder"]),
    ("template into a missing folder", lambda d, db: ["--db", db, "template", "receipt", d / "nope" / "t.xlsx"], 2,
     ["does not exist"]),
    ("export onto an existing file", lambda d, db: ["--db", db, "export", "serials", _text_file(d)], 1,
     ["exists", "--force"]),
    ("export unknown agenda", lambda d, db: ["--db", db, "export", "nothing", d / "x.xlsx"], 2, ["invalid choice"]),
    ("export unknown status", lambda d, db: ["--db", db, "export", "serials", d / "x.xlsx", "--status", "lost"], 2,
     ["--status"]),
    ("export a filter the agenda lacks", lambda d, db: ["--db", db, "export", "items", d / "x.xlsx", "--status",
                                                         "issued"], 1, ["no filter status"]),
    ("export prefix 50,000 characters", lambda d, db: ["--db", db, "export", "serials", d / "x.xlsx", "--prefix",
                                                        "P" * 50_000], 1, ["prefix", "at most 200"]),
    ("template unknown kind", lambda d, db: ["--db", db, "template", "gift", d / "t.xlsx"], 2, ["invalid choice"]),
    ("import a missing file", lambda d, db: ["--db", db, "import", d / "none.xlsx"], 2, ["no such file"]),
    ("import a folder", lambda d, db: ["--db", db, "import", d], 2, ["is a folder"]),
    ("import a text file", lambda d, db: ["--db", db, "import", _text_file(d)], 1, ["not an .xlsx"]),
    ("demo on a database with data", lambda d, db: ["--db", db, "demo"], 1, ["already has data"]),
    ("token revoke unknown name", lambda d, db: ["--db", db, "token", "revoke", "nobody"], 1, ["nobody"]),
    ("token name with an invisible character", lambda d, db: ["--db", db, "token", "create", "e\u200bshop", "--role", "floor"], 1,
     ["U+200B"]),
    ("token without a subcommand", lambda d, db: ["--db", db, "token"], 2, ["required"]),
]


@pytest.fixture(scope="class")
def cli_case_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus-cli") / "cli.db"
    seed(f"sqlite:///{path}")
    dbm.db.close()
    yield path
    dbm.db.close()


class TestCommandLine:
    @pytest.mark.parametrize("kind, argv, status, words", CLI_CASES, ids=[c[0] for c in CLI_CASES])
    def test_refused_clearly(self, cli_case_db, tmp_path, kind, argv, status, words):
        url = f"sqlite:///{cli_case_db}"
        before = fingerprint(cli_case_db)
        try:
            code, out, err = run_cli(argv(tmp_path, url))
        except Exception:
            record("tracebacks")
            raise
        outcome = "refused clearly"
        if "Traceback" in err or "Traceback" in out:
            outcome = "tracebacks"
        elif code == 0:
            outcome = "accepted wrongly"
        elif fingerprint(cli_case_db) != before:
            outcome = "half-saved"
        lines = err.strip().splitlines()
        one_line = len(lines) == 1 and lines[0].startswith("serialstock: ")
        if outcome == "refused clearly" and (code != status or not one_line or not all(w in err for w in words)):
            outcome = "unclear"
        record(outcome)
        assert outcome == "refused clearly", (outcome, err)
        assert code == status, err
        assert len(lines) == 1 and lines[0].startswith("serialstock: "), err
        for w in words:
            assert w in err, (w, err)
        assert fingerprint(cli_case_db) == before
        dbm.connect(url)
        assert check() == []
        dbm.db.close()


def test_corpus_figures(capsys):
    """Last in the file: the figures the issue asks for (printed with -s, asserted always)."""
    kinds = len(API_CASES) + len(XLSX_CASES) + len(CLI_CASES)
    assert kinds >= 150
    assert len({c[0] for c in API_CASES}) == len(API_CASES)
    assert len({c[0] for c in XLSX_CASES}) == len(XLSX_CASES)
    assert len({c[0] for c in CLI_CASES}) == len(CLI_CASES)
    with capsys.disabled():
        print(f"\nbad-input corpus: {kinds} kinds (API {len(API_CASES)}, Excel {len(XLSX_CASES)}, command line "
              f"{len(CLI_CASES)}); this run: " + ", ".join(f"{k} {v}" for k, v in FIGURES.items()))
    if FIGURES["tried"] == kinds:
        assert FIGURES["refused clearly"] == kinds
    assert FIGURES["tracebacks"] == FIGURES["accepted wrongly"] == FIGURES["half-saved"] == 0
