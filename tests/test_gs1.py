"""GS1 scans: one scan gives the item (GTIN) and its serial number; parsed by biip, checked by the store."""

from __future__ import annotations

import datetime as dt

import pytest

from store import catalog
from store.documents import DocumentIn, LineIn, check_serial, save_document
from store.errors import InvalidInput, NotFound, Refusal
from store.gs1 import InvalidGs1, gtin14, looks_like_gs1, parse_scan, serial_of
from store.lookups import lookup
from tests.api_fixtures import api  # noqa: F401  (fixture)

# Element strings from the GS1 General Specifications' examples (GTIN 04006381333931 is the one the
# specifications and biip's documentation use) and made-up ones.
CASES = [
    ("]d2010400638133393121ABC123\x1d10LOT7\x1d17261231", ("04006381333931", "ABC123", "LOT7", dt.date(2026, 12, 31))),
    ("]C1010400638133393121ABC123\x1d10LOT7", ("04006381333931", "ABC123", "LOT7", None)),
    ("]Q3010400638133393121XYZ-9", ("04006381333931", "XYZ-9", None, None)),
    ("010400638133393121ABC123", ("04006381333931", "ABC123", None, None)),  # no symbology identifier
    ("0104006381333931\u241d10LOT7", ("04006381333931", None, "LOT7", None)),  # GS as the app shows it
    ("https://id.gs1.org/01/04006381333931/21/XYZ9", ("04006381333931", "XYZ9", None, None)),
    ("]d2010000001234567021S-1\x1d1724020010B", ("00000012345670", "S-1", "B", dt.date(2024, 2, 29))),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_element_strings_give_gtin_serial_lot_and_expiry(text, expected):
    scan = parse_scan(text, separator=None)
    assert (scan.gtin, scan.serial, scan.lot, scan.expiry) == expected


def test_a_site_separator_stands_for_gs():
    scan = parse_scan("010400638133393121ABC123|10LOT7", separator="|")
    assert (scan.serial, scan.lot) == ("ABC123", "LOT7")


@pytest.mark.parametrize("text", ["P-001", "SN-0098", "8594000000011", "4006381333931", "0104006381333931"])
def test_plain_codes_are_not_gs1(text):
    assert not looks_like_gs1(text) and parse_scan(text, separator=None) is None


def test_a_wrong_gtin_check_digit_is_refused():
    with pytest.raises(InvalidGs1, match="wrong check digit"):
        parse_scan("]d2010400638133393221ABC123", separator=None)


def test_a_code_without_a_serial_is_refused_in_a_serial_field():
    scan = parse_scan("]d20104006381333931\x1d10LOT7", separator=None)
    with pytest.raises(InvalidGs1, match="(?i)this code carries no serial number"):
        serial_of(scan)


def test_gtin_lengths_compare_in_their_14_digit_form():
    assert gtin14("4006381333931") == gtin14("04006381333931") == "04006381333931"
    assert gtin14("12345670") == "00000012345670"
    assert gtin14("4006381333932") is None  # wrong check digit
    assert gtin14("123") is None


@pytest.fixture
def gs1_items(database):
    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    catalog.create_item("TAG-1", "Tag", tracked=True, ean="12345670")
    return database


def test_an_item_is_found_by_its_gtin_in_any_length(gs1_items):
    assert catalog.find_item("04006381333931").code == "SCAN-9"
    assert catalog.find_item_by_gtin("00000012345670").code == "TAG-1"


def test_a_serial_scanned_with_its_gtin_is_checked_against_the_line_item(gs1_items):
    assert check_serial("receipt", "SCAN-9", "ABC123", gtin="04006381333931") == "ABC123"
    with pytest.raises(InvalidInput, match=r"this code is for TAG-1 \(Tag\), GTIN 00000012345670, not SCAN-9"):
        check_serial("receipt", "SCAN-9", "ABC123", gtin="00000012345670")
    with pytest.raises(NotFound, match="no item has the GTIN 09506000134352"):
        check_serial("receipt", "SCAN-9", "ABC123", gtin="09506000134352")


def test_lookup_reads_a_gs1_scan(gs1_items):
    save_document(DocumentIn("receipt", [LineIn("SCAN-9", 1, None, ["ABC123"])]), operator="t")
    save_document(DocumentIn("receipt", [LineIn("TAG-1", 1, None, ["ABC123"])]), operator="t")
    found = lookup("]d2010400638133393121ABC123\x1d10LOT7")
    assert [(s.code, s.item, s.status) for s in found.serials] == [("ABC123", "SCAN-9", "in_stock")]
    item_only = lookup("]d20104006381333931")
    assert [i.code for i in item_only.items] == ["SCAN-9"] and item_only.serials == []
    with pytest.raises(Refusal, match="(?i)no item has the GTIN"):
        lookup("]d2010950600013435221X")


def test_api_lookup_answers_what_a_gs1_scan_is(api):
    from urllib.parse import quote

    r = api.post("/items", json={"code": "SCAN-9", "name": "Scanner 9", "tracked": True, "ean": "4006381333931"})
    assert r.status_code == 201, r.text
    r = api.post("/goods-receipts", json={"lines": [{"item": "SCAN-9", "quantity": 1, "serials": ["ABC123"]}]})
    assert r.status_code == 201, r.text
    r = api.get("/lookup?scan=" + quote("]d2010400638133393121ABC123\x1d10LOT7"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(s["code"], s["item"], s["status"], s["warehouse"]) for s in body["serials"]] == \
        [("ABC123", "SCAN-9", "in_stock", "MAIN")]
    assert api.get("/lookup?scan=" + quote("]d2010400638133393221ABC123")).status_code == 422  # check digit
    assert api.get("/lookup?scan=NOTHING-HERE").status_code == 404
    r = api.get("/lookup?scan=PHONE-X")
    assert r.status_code == 200 and [i["code"] for i in r.json()["items"]] == ["PHONE-X"]


# --- lot and expiry kept with the serial on its document line ----------------------------------------

def test_lot_and_expiry_are_kept_with_the_serial_on_its_line_and_in_its_history(database):
    from store.documents import DocumentIn, LineIn, get_document, save_document
    from store.lookups import find_serial
    from tests.helpers import issue

    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    scan = parse_scan("]d2010400638133393121S9-1\x1d10LOT7\x1d17270531", separator="")
    doc = save_document(DocumentIn("receipt", [LineIn("SCAN-9", 2, None, [scan.serial, "S9-2"],
                                                      {scan.serial: scan.lot}, {scan.serial: scan.expiry})]),
                        operator="ann")
    line = get_document(doc.number).lines[0]
    assert (line.lots, line.expiries) == ({"S9-1": "LOT7"}, {"S9-1": dt.date(2027, 5, 31)})  # S9-2 typed: none
    assert (doc.lines[0].lots, doc.lines[0].expiries) == (line.lots, line.expiries)
    issue("SCAN-9", ["S9-1"])
    [s1] = find_serial("S9-1")
    assert [(m.label, m.lot, m.expiry) for m in s1.history] == [("in", "LOT7", dt.date(2027, 5, 31)),
                                                                ("out", None, None)]
    [s2] = find_serial("S9-2")
    assert [(m.lot, m.expiry) for m in s2.history] == [(None, None)]


def test_lot_and_expiry_survive_an_edit_and_follow_an_invoice_to_its_receipt(database):
    from store.documents import DocumentIn, LineIn, get_document, save_document

    catalog.create_partner("ACME", "Acme")
    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    inv = save_document(DocumentIn("purchase_invoice", [LineIn("SCAN-9", 1, None, ["A"], {"A": "L1"},
                                                               {"A": dt.date(2028, 1, 31)})],
                                   partner="ACME", generate_movement=True), operator="ann")
    receipt = get_document(inv.generated)
    assert (receipt.lines[0].lots, receipt.lines[0].expiries) == ({"A": "L1"}, {"A": dt.date(2028, 1, 31)})
    edit = get_document(inv.number).to_input()
    edit.lines[0].lots = {"A": "L2"}
    save_document(edit, operator="ann", number=inv.number)
    assert get_document(inv.generated).lines[0].lots == {"A": "L2"}


@pytest.mark.parametrize("lots, expiries, says", [
    ({"NOPE": "L1"}, {}, "Line 1 (SCAN-9): a lot is given for serial NOPE, which is not on this line."),
    ({}, {"NOPE": "2027-01-01"}, "Line 1 (SCAN-9): an expiry date is given for serial NOPE"),
    ({"A": "L" * 21}, {}, "Line 1 (SCAN-9): serial A: lot is 21 characters long; at most 20 are allowed."),
    ({}, {"A": "31.12.2027"}, "Line 1 (SCAN-9): serial A: the expiry date '31.12.2027' is not a date"),
])
def test_a_lot_or_expiry_that_cannot_be_kept_is_refused_naming_the_serial(database, lots, expiries, says):
    from store.documents import DocumentIn, LineIn, save_document
    from store.errors import DocumentRefused

    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    with pytest.raises(DocumentRefused) as e:
        save_document(DocumentIn("receipt", [LineIn("SCAN-9", 1, None, ["A"], lots, expiries)]), operator="ann")
    assert says in str(e.value)


def test_a_schema_10_database_upgrades_to_11_and_its_serials_have_no_lot(db_url):
    from playhouse.migrate import migrate

    from store import db as dbm
    from store.documents import get_document
    from store.migrations import SCHEMA_VERSION, _migrator, schema_version
    from tests.helpers import receive

    database = dbm.connect(db_url)
    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    old = receive("SCAN-9", ["OLD-1"])
    legacy = {"legacy": True} if dbm.is_sqlite() else {}
    migrate(_migrator().drop_column("doc_line_serial", "lot", **legacy),
            _migrator().drop_column("doc_line_serial", "expiry", **legacy))
    database.execute_sql("UPDATE setting SET value = '10' WHERE key = 'schema_version'")
    database.close()
    dbm.connect(db_url)
    assert schema_version() == SCHEMA_VERSION == 11
    assert {"lot", "expiry"} <= {c.name for c in dbm.db.get_columns("doc_line_serial")}
    line = get_document(old.number).lines[0]
    assert (line.serials, line.lots, line.expiries) == (["OLD-1"], {}, {})
    save_document(DocumentIn("receipt", [LineIn("SCAN-9", 1, None, ["NEW-1"], {"NEW-1": "L1"})]), operator="ann")
    from store.lookups import find_serial

    assert [m.lot for m in find_serial("NEW-1")[0].history] == ["L1"]
    dbm.db.close()


def test_api_document_lines_take_and_give_lots_and_expiry_dates(api):
    r = api.post("/items", json={"code": "SCAN-9", "name": "Scanner 9", "tracked": True, "ean": "4006381333931"})
    assert r.status_code == 201, r.text
    api.post("/partners", json={"code": "SUPP", "name": "Supplier"})
    r = api.post("/goods-receipts", json={"partner": "SUPP", "lines": [
        {"item": "SCAN-9", "quantity": 2, "serials": ["A", "B"], "lots": {"A": "L1"},
         "expiry_dates": {"A": "2027-05-31"}}]})
    assert r.status_code == 201, r.text
    line = r.json()["lines"][0]
    assert (line["lots"], line["expiry_dates"]) == ({"A": "L1"}, {"A": "2027-05-31"})
    number = r.json()["number"]
    assert api.get(f"/goods-receipts/{number}").json()["lines"][0]["lots"] == {"A": "L1"}
    r = api.post("/goods-receipts", json={"partner": "SUPP", "lines": [
        {"item": "SCAN-9", "quantity": 1, "serials": ["C"], "lots": {"Z": "L1"}}]})
    assert r.status_code == 422 and "a lot is given for serial Z, which is not on this line" in r.text


def test_excel_export_writes_lots_and_expiry_dates_and_the_import_reads_them_back(database, tmp_path):
    from openpyxl import load_workbook

    from store.documents import get_document
    from store.excel import export_agenda, import_file
    from store.models import Document

    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    doc = save_document(DocumentIn("receipt", [LineIn("SCAN-9", 2, None, ["A", "B"], {"A": "L1"},
                                                      {"A": dt.date(2027, 5, 31)})]), operator="ann")
    path = tmp_path / "receipts.xlsx"
    export_agenda("goods", path)
    rows = [tuple(r) for r in load_workbook(path, read_only=True)["Serials"].iter_rows(values_only=True)]
    assert rows[0] == ("Document", "Line", "Serial", "Lot", "Expiry date")
    assert rows[1][2:4] == ("A", "L1") and rows[1][4].date() == dt.date(2027, 5, 31)
    assert (rows[2] + (None, None))[2:5] == ("B", None, None)

    from store.documents import delete_document

    delete_document(doc.number, operator="ann")
    import_file(path, "ann")
    again = get_document(Document.select().order_by(Document.id.desc()).first().number).lines[0]
    assert (again.serials, again.lots, again.expiries) == (["A", "B"], {"A": "L1"}, {"A": dt.date(2027, 5, 31)})


def test_the_serials_export_gives_each_serial_the_lot_and_expiry_date_of_its_receipt(database, tmp_path):
    from openpyxl import load_workbook

    from store.excel import export_agenda
    from store.lookups import list_serials

    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    save_document(DocumentIn("receipt", [LineIn("SCAN-9", 2, None, ["A", "B"], {"A": "L1"},
                                                {"A": dt.date(2027, 5, 31)})]), operator="ann")
    assert [(s.code, s.lot, s.expiry) for s in list_serials()] == [("A", "L1", dt.date(2027, 5, 31)),
                                                                   ("B", None, None)]
    path = tmp_path / "serials.xlsx"
    export_agenda("serials", path)
    rows = [tuple(r) + (None,) * 13 for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]
    assert rows[0][11:13] == ("Lot", "Expiry date")
    assert (rows[1][0], rows[1][11], rows[1][12].date()) == ("A", "L1", dt.date(2027, 5, 31))
    assert rows[2][11:13] == (None, None)


def test_a_draft_keeps_the_lots_and_expiry_dates_of_its_serials(database):
    from store.drafts import drafts_of, save_draft

    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    doc = DocumentIn("receipt", [LineIn("SCAN-9", 2, None, ["A", "B"], {"A": "L1"}, {"B": dt.date(2027, 5, 31)})])
    save_draft("ann", doc)
    [d] = drafts_of("ann")
    assert d.document == doc


def test_a_large_receipt_keeps_every_serials_lot_and_expiry_date(database):
    """Over 64 serials PostgreSQL takes the rows by COPY: the lots and dates go that way too."""
    from store.documents import get_document

    catalog.create_item("SCAN-9", "Scanner 9", tracked=True, ean="4006381333931")
    codes = [f"S-{n:03d}" for n in range(100)]
    lots = {c: f"L{n % 3}" for n, c in enumerate(codes) if n % 2 == 0}
    expiries = {c: dt.date(2027, 1, 1) + dt.timedelta(days=n) for n, c in enumerate(codes) if n % 5 == 0}
    doc = save_document(DocumentIn("receipt", [LineIn("SCAN-9", 100, None, codes, lots, expiries)]), operator="ann")
    line = get_document(doc.number).lines[0]
    assert (line.lots, line.expiries) == (lots, expiries)


def test_the_items_own_product_barcode_scanned_as_a_serial_is_refused(database):
    """`0108594000000037` (AI 01 alone, no `]d2`) into a LAPTOP line's serial entry was added as a serial
    (the walk); so was the plain EAN. Both are the product's code, refused naming the item."""
    from store import catalog
    from store.documents import check_serial

    catalog.create_item("LAPTOP-14", "Laptop", tracked=True, ean="8594000000037")
    for scanned in ("0108594000000037", "8594000000037", "08594000000037"):
        with pytest.raises(InvalidInput, match="is the product barcode of LAPTOP-14 .GTIN 08594000000037."):
            check_serial("receipt", "LAPTOP-14", scanned, warehouse="MAIN", line=1)
    assert check_serial("receipt", "LAPTOP-14", "0108594000000038", warehouse="MAIN", line=1)  # not its GTIN
