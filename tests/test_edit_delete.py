"""Editing applies only the difference; deleting reverses; both refused once serials moved on."""

from decimal import Decimal

import pytest

from store import db as dbm
from store.check import check
from store.documents import DocumentIn, LineIn, delete_document, get_document, save_document
from store.errors import DocumentRefused, MovedSince, StaleDocument
from store.lookups import find_serial, stock_of
from store.models import Ledger
from tests.helpers import issue, receive, transfer


def test_edit_applies_only_the_difference(stock):
    gr = receive("PHONE-X", ["A1", "A2", "A3"])
    before = Ledger.select().count()
    gr2 = receive("PHONE-X", ["A1", "A2", "A4"], number=gr.number)
    assert gr2.number == gr.number and gr2.version == gr.version + 1
    # one reversal of A3 (the entry marked, plus the reversal entry) and one new movement for A4
    assert Ledger.select().count() == before + 2
    assert [m.label for m in find_serial("A1")[0].history] == ["in"]
    assert find_serial("A3")[0].status == "removed"
    assert stock_of("PHONE-X") == 3


def test_edit_refused_when_a_serial_moved_since_naming_the_later_document(stock):
    gr = receive("PHONE-X", ["A1", "A2"])
    gi = issue("PHONE-X", ["A2"])
    with pytest.raises(DocumentRefused) as e:
        receive("PHONE-X", ["A1"], number=gr.number)
    [p] = e.value.problems
    assert isinstance(p, MovedSince) and p.serial == "A2" and p.document == gi.number
    assert f"by {gi.number}" in p.message
    assert get_document(gr.number).lines[0].serials == ["A1", "A2"] and stock_of("PHONE-X") == 1


def test_delete_reverses_and_is_refused_after_a_later_movement(stock):
    gr = receive("PHONE-X", ["A1", "A2"])
    tr = transfer("PHONE-X", ["A1"])
    with pytest.raises(DocumentRefused, match=f"{gr.number} cannot be deleted:\n- .*{tr.number}"):
        delete_document(gr.number, operator="t")
    delete_document(tr.number, operator="t")
    assert find_serial("A1")[0].warehouse == "MAIN"
    delete_document(gr.number, operator="t")
    assert stock_of("PHONE-X") == 0
    [a1] = find_serial("A1")
    assert a1.status == "removed"
    assert [m.label for m in a1.history] == ["in", "out", "in", "reversed", "reversed", "reversed"]


def test_deleting_and_editing_leave_no_entered_serials_behind(stock):
    """Lines' serials go with their lines (on PostgreSQL by the service, not by a cascading key), and the
    ledger keeps a deleted document's movements by its number."""
    gr = receive("PHONE-X", ["A1", "A2", "A3"])
    receive("PHONE-X", ["A1", "A2"], number=gr.number)
    gi = issue("PHONE-X", ["A2"])
    delete_document(gi.number, operator="t")
    entered = dbm.db.execute_sql("SELECT code FROM doc_line_serial ORDER BY code").fetchall()
    assert [c for (c,) in entered] == ["A1", "A2"]
    [a2] = find_serial("A2")
    assert [(m.document, m.label) for m in a2.history][-2:] == [(gi.number, "out"), (gi.number, "reversed")]
    assert check() == []


def test_deleting_an_issue_puts_serials_back(stock):
    receive("PHONE-X", ["A1"])
    gi = issue("PHONE-X", ["A1"])
    delete_document(gi.number, operator="t")
    assert find_serial("A1")[0].status == "in_stock" and stock_of("PHONE-X") == 1
    issue("PHONE-X", ["A1"])


def test_edit_can_change_the_warehouse(stock):
    gr = receive("PHONE-X", ["A1"])
    receive("PHONE-X", ["A1"], warehouse="B", number=gr.number)
    assert find_serial("A1")[0].warehouse == "B"
    assert (stock_of("PHONE-X", "MAIN"), stock_of("PHONE-X", "B")) == (0, 1)


def test_edit_of_untracked_quantities(stock):
    gr = save_document(DocumentIn("receipt", [LineIn("CABLE", 10)]), operator="t")
    save_document(DocumentIn("issue", [LineIn("CABLE", 7)]), operator="t")
    with pytest.raises(DocumentRefused, match="Not enough CABLE in MAIN: 3 in stock, 5 needed"):
        save_document(DocumentIn("receipt", [LineIn("CABLE", 5)]), operator="t", number=gr.number)
    save_document(DocumentIn("receipt", [LineIn("CABLE", 8)]), operator="t", number=gr.number)
    assert stock_of("CABLE") == 1


def test_stale_edit_is_refused(stock):
    gr = receive("PHONE-X", ["A1"])
    receive("PHONE-X", ["A1", "A2"], number=gr.number, operator="bob")
    with pytest.raises(StaleDocument, match="changed by bob"):
        save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["A1"])]), operator="alice",
                      number=gr.number, expected_version=gr.version)


def test_kind_cannot_change(stock):
    gr = receive("PHONE-X", ["A1"])
    with pytest.raises(Exception, match="kind cannot change"):
        save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["A1"])]), operator="t", number=gr.number)


def test_what_a_save_answers_is_what_is_stored(stock):
    """save_document builds its answer from what it wrote, without reading it back: it must equal what
    get_document reads, for every kind, edits and invoices with their generated documents included
    (prices as stored, two places; quantities as stored; serials in the order entered)."""
    def same(view):
        assert view == get_document(view.number)
        return view

    def doc(kind, lines, **kw):
        return DocumentIn(kind, [LineIn(*line) for line in lines], **kw)

    gr = same(save_document(doc("receipt", [("PHONE-X", 3, "10.5", ["S3", "S1", "S2"]), ("CABLE", "2.5", None, []),
                                            ("8594000000013", 1, 7, ["S9"])], note="dock 2"), operator="ann"))
    assert [l.price for l in gr.lines] == [Decimal("10.50"), Decimal("4.50"), Decimal("7.00")]
    assert gr.lines[1].quantity == Decimal("2.5") and gr.lines[2].item == "PHONE-X"
    same(save_document(doc("receipt", [("CABLE", 3, "4.5", []), ("PHONE-X", 2, None, ["S1", "S4"])], note="fixed"),
                       operator="bob",
                       number=gr.number))
    same(save_document(doc("issue", [("PHONE-X", 1, None, ["S4"])], partner="ACME"), operator="ann"))
    same(save_document(doc("transfer", [("PHONE-X", 1, None, ["S1"])], to_warehouse="B"), operator="ann"))
    inv = same(save_document(doc("purchase_invoice", [("TAB-9", 2, "299", ["T1", "T2"])], partner="ACME"),
                             operator="ann"))
    assert inv.generated is not None
    inv = same(save_document(doc("purchase_invoice", [("TAB-9", 1, "299", ["T1"])], partner="ACME",
                                 generate_movement=False), operator="ann", number=inv.number))
    assert inv.generated is None
    same(save_document(doc("sales_invoice", [("CABLE", 1, None, [])], partner="ACME"), operator="ann"))
