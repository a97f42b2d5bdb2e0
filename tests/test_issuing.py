"""Issuing picks only serials of that item in stock in the document's warehouse."""

import pytest

from store.documents import DocumentIn, LineIn, save_document
from store.errors import DocumentRefused, SerialNotAvailable
from store.lookups import find_serial, list_serials, stock_of
from tests.helpers import issue, receive, transfer


def test_issue_moves_quantity_and_serials_together(stock):
    receive("PHONE-X", ["A1", "A2", "A3"])
    doc = issue("PHONE-X", ["A1", "A3"], partner="ACME")
    assert stock_of("PHONE-X") == 1
    assert [s.code for s in list_serials(item="PHONE-X")] == ["A2"]
    issued = {s.code: s for s in list_serials(item="PHONE-X", status="issued")}
    assert set(issued) == {"A1", "A3"} and issued["A1"].issued_by == doc.number


def _refusal(fn, *a, **kw) -> SerialNotAvailable:
    with pytest.raises(DocumentRefused) as e:
        fn(*a, **kw)
    [p] = e.value.problems
    assert isinstance(p, SerialNotAvailable)
    return p


def test_unknown_serial_is_refused(stock):
    receive("PHONE-X", ["A1"])
    p = _refusal(issue, "PHONE-X", ["ZZ"])
    assert p.message == "Line 1 (PHONE-X): serial ZZ is unknown for PHONE-X; only serials in stock can be issued."


def test_issued_serial_is_refused_naming_the_document_and_date(stock):
    import datetime as dt
    receive("PHONE-X", ["A1"])
    first = issue("PHONE-X", ["A1"])
    p = _refusal(issue, "PHONE-X", ["A1"])
    assert f"serial A1 was issued by {first.number} on {dt.date.today():%Y-%m-%d}" in p.message
    assert p.document == first.number and p.serial == "A1"


def test_serial_in_another_warehouse_is_refused(stock):
    receive("PHONE-X", ["A1"], warehouse="B")
    p = _refusal(issue, "PHONE-X", ["A1"])
    assert p.message == "Line 1 (PHONE-X): serial A1 is in warehouse B, not MAIN."
    issue("PHONE-X", ["A1"], warehouse="B")


def test_serial_of_another_item_is_not_this_items_and_says_whose_it_is(stock):
    from store.documents import check_serial

    receive("TAB-9", ["T1"])
    p = _refusal(issue, "PHONE-X", ["T1"])
    assert p.message == "Line 1 (PHONE-X): serial T1 is a serial of TAB-9, not of PHONE-X; issue it on a line of TAB-9."
    with pytest.raises(SerialNotAvailable, match="is a serial of TAB-9, not of PHONE-X"):
        check_serial("issue", "PHONE-X", "T1")


def test_refused_issue_changes_nothing(stock):
    receive("PHONE-X", ["A1", "A2"])
    with pytest.raises(DocumentRefused):
        save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["A1"]), LineIn("PHONE-X", 1, None, ["NOPE"])]),
                      operator="t")
    assert stock_of("PHONE-X") == 2
    assert find_serial("A1")[0].status == "in_stock"


def test_transfer_moves_serials_and_quantities_in_one_save(stock):
    receive("PHONE-X", ["A1", "A2"])
    receive("CABLE", [], qty=10)
    t = save_document(DocumentIn("transfer", [LineIn("PHONE-X", 1, None, ["A2"]), LineIn("CABLE", 4)],
                                 warehouse="MAIN", to_warehouse="B"), operator="t")
    assert (stock_of("PHONE-X", "MAIN"), stock_of("PHONE-X", "B")) == (1, 1)
    assert (stock_of("CABLE", "MAIN"), stock_of("CABLE", "B")) == (6, 4)
    [a2] = find_serial("A2")
    assert a2.warehouse == "B"
    assert [(m.document, m.label, m.warehouse) for m in a2.history][1:] == [(t.number, "out", "MAIN"), (t.number, "in", "B")]
    issue("PHONE-X", ["A2"], warehouse="B")


def test_transfer_rules(stock):
    receive("PHONE-X", ["A1"])
    with pytest.raises(DocumentRefused, match="both are MAIN"):
        transfer("PHONE-X", ["A1"], frm="MAIN", to="MAIN")
    with pytest.raises(DocumentRefused, match="needs the warehouse it goes to"):
        save_document(DocumentIn("transfer", [LineIn("PHONE-X", 1, None, ["A1"])]), operator="t")
    p = _refusal(transfer, "PHONE-X", ["A1"], frm="B", to="MAIN")
    assert "serial A1 is in warehouse MAIN, not B" in p.message

