"""Fuzzing the xlsx reader: valid files, mutated at the level of bytes (the zip), of parts (the XML
text of a sheet, the shared strings, the styles, the workbook) and of cells, must either read or be
refused by the reader's own refusal (FileRefused); an import of the same file either passes or is
refused (a Refusal). Nothing else may come out: no IndexError, ValueError, KeyError, zlib.error, ...

Bounded by max_examples so that it stays a few seconds; a failure prints the example to replay.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import catalog
from store import db as dbm
from store.errors import FileRefused, Refusal
from store.excel import import_file
from store.excel.reader import open_book

from .xlsx_parts import build, receipt_parts, shared_xml, sheet_xml, zip_bytes

SERIALS = ["A-1", 12345, "00123", "x" * 40]


def _seeds() -> list[dict[str, bytes]]:
    with_shared = receipt_parts(["X"], quantity=4, shared=shared_xml(["S-1", "S-2", "_x0041_", "a&amp;b"]))
    with_shared["xl/worksheets/sheet3.xml"] = sheet_xml([
        ["Document", "Line", "Serial"],
        ["1", 1, '<c r="C2" t="s"><v>0</v></c>'],
        [None, None, '<c r="C3" t="s"><v>1</v></c>'],
        [None, None, '<c r="C4" s="2"><v>123</v></c>'],
        [None, None, '<c r="C5" t="str"><v>S-9</v></c>'],
    ]).encode()
    items = build({"Items": sheet_xml([["Code", "Name", "Price", "Tracked"], ["F-1", "Fuzz", 1.5, True],
                                       ["F-2", "Fuzz 2", '<c r="C3" s="3"><v>2.5</v></c>', False]])})
    return [receipt_parts(SERIALS), with_shared, items]


SEEDS = _seeds()

# Fragments that make XML and cells interesting: types, references, numbers, escapes, entities, markup.
TOKENS = [b'"', b"<", b">", b"&", b"&amp;", b"&#0;", b"&#x10FFFF;", b"&e;", b' t="b"', b' t="d"', b' t="s"',
          b' t="e"', b' t="str"', b' t="inlineStr"', b' s="999"', b' s="-1"', b' s="x"', b' r="XFE1"',
          b' r="A0"', b' r="A1048577"', b' r="ZZZZZZZZ9"', b' r=""', b"<v>NaN</v>", b"<v>-1</v>", b"<v>1e309</v>",
          b"<v></v>", b"<v>99999999999999999999</v>", b"<f>1+1</f>", b"_x0000_", b"_xD800_", b"_x005F_",
          b"<!DOCTYPE a>", b"<row>", b"</row>", b"<c>", b"</c>", b"<is><t>x</t></is>", b"\x00", b"\xff\xfe",
          b"<mergeCell ref=\"C1:C9\"/>", b"<mergeCell ref=\"bogus\"/>", b' state="hidden"', b"9" * 30, b"-",
          b".", b"E", b" ", b"\n"]


@st.composite
def mutated_parts(draw):
    parts = dict(draw(st.sampled_from(SEEDS)))
    names = sorted(parts)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(names))
        data = bytearray(parts[name])
        if not data:
            continue
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["insert", "replace", "delete", "flip", "truncate", "duplicate"]))
        if how == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif how == "replace":
            token = draw(st.sampled_from(TOKENS))
            data[at:at + len(token)] = token
        elif how == "delete":
            del data[at:at + draw(st.integers(1, 40))]
        elif how == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif how == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 200))] * draw(st.integers(1, 5))
        parts[name] = bytes(data)
    if draw(st.booleans()) and len(names) > 3:
        parts.pop(draw(st.sampled_from(names)))
    return parts


@st.composite
def mutated_zip(draw):
    data = bytearray(zip_bytes(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] ^= draw(st.integers(1, 255))
    if draw(st.booleans()):
        del data[draw(st.integers(len(data) // 2, len(data) - 1)):]
    return bytes(data)


def read_all(path) -> None:
    with open_book(path) as book:
        for title in book.sheet_names:
            for _ in book.rows(title):
                pass


FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(parts=mutated_parts())
def test_mutated_parts_are_read_or_refused(tmp_path, parts):
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(zip_bytes(parts))
    try:
        read_all(path)
    except FileRefused as r:
        assert str(r)


@FUZZ
@given(data=mutated_zip())
def test_mutated_zip_bytes_are_read_or_refused(tmp_path, data):
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(data)
    try:
        read_all(path)
    except FileRefused as r:
        assert str(r)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    dbm.connect(f"sqlite:///{path}")
    catalog.create_item("PHONE-X", "Phone X", tracked=True)
    catalog.create_partner("ACME", "Acme")
    yield path
    dbm.db.close()


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=mutated_parts())
def test_an_import_of_a_mutated_file_passes_or_is_refused(fuzz_db, tmp_path, parts):
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(zip_bytes(parts))
    try:
        import_file(path, "fuzz", check_only=True)
    except Refusal as r:
        assert str(r)


def test_the_seeds_are_valid(fuzz_db, tmp_path):
    """The fuzz starts from files that read and import: a mutation, not the seed, is what is refused."""
    for k, parts in enumerate(SEEDS):
        path = tmp_path / f"seed{k}.xlsx"
        path.write_bytes(zip_bytes(parts))
        read_all(path)
        assert import_file(path, "fuzz", check_only=True).checked_only
    assert zipfile.is_zipfile(io.BytesIO(zip_bytes(SEEDS[0])))
