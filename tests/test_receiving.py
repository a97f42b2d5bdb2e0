"""Receiving serials on goods receipts: counts, formats, duplicates, returns."""

from decimal import Decimal

import pytest

from store.documents import DocumentIn, LineIn, get_document, save_document
from store.errors import DocumentRefused, InvalidSerial, QuantityNotWhole, SerialCountMismatch, SerialInStock
from store.lookups import find_serial, list_serials, stock_of
from store.models import Document, Serial
from tests.helpers import issue, receive


def test_receipt_moves_quantity_and_serials_together(stock):
    doc = save_document(DocumentIn("receipt", [LineIn("CABLE", "2.5"), LineIn("PHONE-X", 3, None, ["A1", "A2", "A3"])],
                                   partner="ACME", note="first delivery"), operator="alice")
    assert doc.number.startswith("GR-") and doc.operator == "alice"
    assert [l.serials for l in doc.lines] == [[], ["A1", "A2", "A3"]]
    assert doc.lines[1].price == Decimal("199.90")  # the item's price by default
    assert stock_of("PHONE-X", "MAIN") == 3 and stock_of("CABLE", "MAIN") == Decimal("2.5")
    assert [(s.code, s.status, s.warehouse, s.received_by) for s in list_serials(item="PHONE-X")] == [
        ("A1", "in_stock", "MAIN", doc.number), ("A2", "in_stock", "MAIN", doc.number), ("A3", "in_stock", "MAIN", doc.number)]


def test_numbers_are_given_per_kind_and_year(stock):
    import datetime as dt
    a = receive("PHONE-X", ["A1"])
    b = receive("PHONE-X", ["A2"])
    c = receive("PHONE-X", ["A3"], date=dt.date(2031, 1, 5))
    i = issue("PHONE-X", ["A1"])
    year = dt.date.today().year
    assert (a.number, b.number) == (f"GR-{year}-0001", f"GR-{year}-0002")
    assert c.number == "GR-2031-0001"
    assert i.number == f"GI-{year}-0001"


def test_count_must_equal_quantity_naming_the_line(stock):
    with pytest.raises(DocumentRefused) as e:
        save_document(DocumentIn("receipt", [LineIn("CABLE", 1), LineIn("PHONE-X", 5, None, ["A1", "A2", "A3"])]),
                      operator="t")
    [problem] = e.value.problems
    assert isinstance(problem, SerialCountMismatch)
    assert problem.message == "Line 2 (PHONE-X): 3 serial numbers for quantity 5"
    assert (problem.line, problem.item) == (2, "PHONE-X")
    assert Document.select().count() == 0 and Serial.select().count() == 0 and stock_of("CABLE") == 0


def test_every_problem_is_listed_at_once(stock):
    with pytest.raises(DocumentRefused) as e:
        save_document(DocumentIn("receipt", [
            LineIn("PHONE-X", 2, None, ["A1"]),
            LineIn("TAB-9", "1.5", None, ["T1"]),
            LineIn("NOPE", 1),
            LineIn("CABLE", 0),
            LineIn("CABLE", 1, None, ["C1"]),
        ]), operator="t")
    text = str(e.value)
    assert "Line 1 (PHONE-X): 1 serial number for quantity 2" in text
    assert "Line 2 (TAB-9)" in text and "must be whole" in text
    assert "Line 3: no item NOPE" in text
    assert "Line 4 (CABLE): the quantity must be more than 0" in text
    assert "Line 5 (CABLE): CABLE does not track serial numbers" in text
    assert any(isinstance(p, QuantityNotWhole) for p in e.value.problems)


@pytest.mark.parametrize("bad, why", [("", "empty"), ("A\x00B", "control character"), ("Z" * 101, "at most 100")])
def test_bad_serials_are_refused_by_line(stock, bad, why):
    with pytest.raises(DocumentRefused) as e:
        receive("PHONE-X", ["OK1", bad])
    [p] = e.value.problems
    assert isinstance(p, InvalidSerial) and why in p.message and p.line == 1


def test_serials_are_trimmed(stock):
    doc = receive("PHONE-X", ["  A1 ", "\tA2"])
    assert doc.lines[0].serials == ["A1", "A2"]
    assert find_serial("A1")[0].status == "in_stock"


def test_same_serial_twice_in_one_document(stock):
    with pytest.raises(DocumentRefused) as e:
        save_document(DocumentIn("receipt", [LineIn("PHONE-X", 2, None, ["A1", "A2"]),
                                             LineIn("PHONE-X", 1, None, ["A1"])]), operator="t")
    assert [p.message for p in e.value.problems] == ["Line 2 (PHONE-X): serial A1 is entered twice (also on line 1)."]


def test_serial_in_stock_cannot_be_received_again_naming_the_holder(stock):
    first = receive("PHONE-X", ["A1", "A2"])
    with pytest.raises(DocumentRefused) as e:
        receive("PHONE-X", ["A2", "A3"])
    [p] = e.value.problems
    assert isinstance(p, SerialInStock) and p.serial == "A2" and p.document == first.number
    assert f"serial A2 is already in stock in MAIN, received by {first.number}" in p.message
    assert find_serial("A3") == []


def test_serial_is_unique_per_item_not_across_items(stock):
    receive("PHONE-X", ["SAME"])
    receive("TAB-9", ["SAME"])
    assert sorted(s.item for s in find_serial("SAME")) == ["PHONE-X", "TAB-9"]


def test_issued_serial_can_come_back_as_a_return_keeping_history(stock):
    r1 = receive("PHONE-X", ["A1"])
    i1 = issue("PHONE-X", ["A1"])
    r2 = receive("PHONE-X", ["A1"], note="customer return")
    [s] = find_serial("A1")
    assert s.status == "in_stock" and s.received_by == r2.number
    assert [(m.document, m.label) for m in s.history] == [(r1.number, "in"), (i1.number, "out"), (r2.number, "in")]
    assert stock_of("PHONE-X") == 1


def test_untracked_items_move_by_quantity_and_never_below_zero(stock):
    receive("CABLE", [], qty=5)
    save_document(DocumentIn("issue", [LineIn("CABLE", 3)]), operator="t")
    with pytest.raises(DocumentRefused, match="Not enough CABLE in MAIN: 2 in stock, 3 needed"):
        save_document(DocumentIn("issue", [LineIn("CABLE", 3)]), operator="t")
    assert stock_of("CABLE") == 2


def test_document_header_is_checked(stock):
    with pytest.raises(DocumentRefused) as e:
        save_document(DocumentIn("receipt", [], warehouse="NOWHERE", partner="NOBODY"), operator="t")
    text = str(e.value)
    assert "No warehouse with code NOWHERE" in text and "No partner with code NOBODY" in text
    assert "at least one line" in text


def test_a_partner_code_in_another_case_is_its_partner_when_only_one_has_it(stock):
    """`acme` was `No partner with code acme.` (the second walk, in a filter); a code in another case
    finds its partner as an item code does, unless two partners differ only in case."""
    from store import catalog

    doc = save_document(DocumentIn("receipt", [LineIn("CABLE", 1)], partner="acme"), operator="t")
    assert get_document(doc.number).partner == "ACME"
    catalog.create_partner("Acme", "Another Acme")
    with pytest.raises(DocumentRefused, match="No partner with code acme"):
        save_document(DocumentIn("receipt", [LineIn("CABLE", 1)], partner="acme"), operator="t")


def test_item_can_be_given_by_ean(stock):
    doc = receive("8594000000013", ["E1"])
    assert doc.lines[0].item == "PHONE-X"
    assert get_document(doc.number).lines[0].serials == ["E1"]


def test_single_scan_is_checked_by_the_same_rules(stock):
    from store.documents import check_serial
    from store.errors import DuplicateSerial, InvalidInput

    gr = receive("PHONE-X", ["A1"])
    assert check_serial("receipt", "PHONE-X", "  A2 ") == "A2"
    with pytest.raises(SerialInStock, match=f"PHONE-X: serial A1 is already in stock in MAIN, received by {gr.number}"):
        check_serial("receipt", "PHONE-X", "A1")
    with pytest.raises(DuplicateSerial, match="Line 3 \\(PHONE-X\\): serial A2 is entered already"):
        check_serial("receipt", "PHONE-X", "A2", entered=["A2"], line=3)
    with pytest.raises(InvalidSerial, match="empty"):
        check_serial("receipt", "PHONE-X", "")
    with pytest.raises(InvalidInput, match="does not track"):
        check_serial("receipt", "CABLE", "C1")
    # the document being edited may keep what it holds
    assert check_serial("receipt", "PHONE-X", "A1", document=gr.number) == "A1"
    # issuing: only in stock in that warehouse
    assert check_serial("issue", "PHONE-X", "A1") == "A1"
    with pytest.raises(Exception, match="in warehouse MAIN, not B"):
        check_serial("issue", "PHONE-X", "A1", warehouse="B")
    with pytest.raises(Exception, match="unknown for PHONE-X"):
        check_serial("sales_invoice", "PHONE-X", "ZZ")


def test_a_serial_scanned_again_on_the_document_is_said_to_be_on_its_line_already(stock):
    """A GS1 scan on the document's scan field of a serial a line holds: it said `entered twice (also on
    line 2)`, as if the operator had typed it on another line (the walk)."""
    from store.documents import check_serial
    from store.errors import DuplicateSerial

    with pytest.raises(DuplicateSerial) as got:
        check_serial("receipt", "PHONE-X", "S-1", warehouse="MAIN", elsewhere={"S-1": 2})
    assert str(got.value) == "PHONE-X: serial S-1 is on line 2 already."
    with pytest.raises(DuplicateSerial) as got:
        check_serial("receipt", "PHONE-X", "S-1", warehouse="MAIN", line=1, elsewhere={"S-1": 2})
    assert "entered twice (also on line 2)" in str(got.value)
