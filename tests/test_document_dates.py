"""A serial's movements follow the order of their documents' dates; refusals and history give the
document's date (the business date), not the day it was saved."""

import datetime as dt

import pytest

from store.check import check
from store.documents import DocumentIn, LineIn, delete_document, save_document
from store.errors import DocumentRefused, OutOfOrder
from store.lookups import find_serial
from tests.helpers import issue, receive

D = dt.date


def test_an_issue_dated_before_the_receipt_is_refused_naming_the_receipt_and_its_date(stock):
    gr = receive("PHONE-X", ["X1"], date=D(2026, 3, 10))
    with pytest.raises(DocumentRefused) as e:
        issue("PHONE-X", ["X1"], date=D(2026, 3, 1))
    [p] = e.value.problems
    assert isinstance(p, OutOfOrder) and p.document == gr.number and p.category == "conflict"
    assert f"serial X1 was received by {gr.number} on 2026-03-10, after 2026-03-01" in str(e.value)
    assert find_serial("X1")[0].status == "in_stock" and check() == []


def test_movements_on_the_same_day_follow_the_order_they_were_saved_in(stock):
    receive("PHONE-X", ["X1"], date=D(2026, 3, 10))
    gi = issue("PHONE-X", ["X1"], date=D(2026, 3, 10))
    gr2 = receive("PHONE-X", ["X1"], date=D(2026, 3, 10))  # a return the same day
    [x1] = find_serial("X1")
    assert x1.status == "in_stock" and x1.received_by == gr2.number
    assert [m.document for m in x1.history][1] == gi.number and check() == []


def test_a_transfer_dated_before_the_receipt_is_refused(stock):
    gr = receive("PHONE-X", ["X1"], date=D(2026, 3, 10))
    with pytest.raises(DocumentRefused, match=f"received by {gr.number} on 2026-03-10"):
        save_document(DocumentIn("transfer", [LineIn("PHONE-X", 1, None, ["X1"])], to_warehouse="B",
                                 date=D(2026, 3, 9)), operator="t")


def test_changing_only_the_date_of_a_receipt_to_after_its_issue_is_refused(stock):
    gr = receive("PHONE-X", ["X1"], date=D(2026, 3, 1))
    gi = issue("PHONE-X", ["X1"], date=D(2026, 3, 5))
    with pytest.raises(DocumentRefused) as e:
        receive("PHONE-X", ["X1"], number=gr.number, date=D(2026, 3, 6))
    assert e.value.document == gr.number
    assert f"serial X1 was issued by {gi.number} on 2026-03-05, before 2026-03-06" in str(e.value)
    with pytest.raises(DocumentRefused, match=f"received by {gr.number} on 2026-03-01, after 2026-02-28"):
        issue("PHONE-X", ["X1"], number=gi.number, date=D(2026, 2, 28))
    # within the bounds the date may change, and the history shows it
    receive("PHONE-X", ["X1"], number=gr.number, date=D(2026, 3, 5))
    assert [m.date for m in find_serial("X1")[0].history if m.state == 0] == [D(2026, 3, 5), D(2026, 3, 5)]
    assert check() == []


def test_an_edit_that_moves_a_serial_again_is_checked_against_the_movement_before(stock):
    receive("PHONE-X", ["X1"], date=D(2026, 3, 1))
    gi = issue("PHONE-X", ["X1"], date=D(2026, 3, 5))
    receive("PHONE-X", ["X1"], date=D(2026, 3, 8))  # returned
    gi2 = issue("PHONE-X", ["X1"], date=D(2026, 3, 9))
    # the second issue moves to another date: only the return (03-08) bounds it, not its own old date
    issue("PHONE-X", ["X1"], number=gi2.number, date=D(2026, 3, 8))
    with pytest.raises(DocumentRefused, match="on 2026-03-08, after 2026-03-07"):
        issue("PHONE-X", ["X1"], number=gi2.number, date=D(2026, 3, 7))
    assert gi.number and check() == []


def test_refusals_give_the_document_date_not_the_day_it_was_saved(stock):
    receive("PHONE-X", ["X1"], date=D(2025, 6, 1))
    gi = issue("PHONE-X", ["X1"], date=D(2025, 6, 2))
    with pytest.raises(DocumentRefused) as e:
        issue("PHONE-X", ["X1"], date=D(2025, 6, 3))
    assert f"was issued by {gi.number} on 2025-06-02" in str(e.value)
    gr2 = receive("PHONE-X", ["X1"], date=D(2025, 6, 4))
    with pytest.raises(DocumentRefused) as e:
        delete_document(gi.number, operator="t")
    assert f"by {gr2.number} on 2025-06-04" in str(e.value)
    with pytest.raises(DocumentRefused) as e:
        receive("PHONE-X", ["X1"], date=D(2025, 6, 5))
    assert f"received by {gr2.number} on 2025-06-04" in str(e.value)


def test_check_reports_movements_out_of_date_order(stock):
    receive("PHONE-X", ["X1"], date=D(2026, 3, 1))
    issue("PHONE-X", ["X1"], date=D(2026, 3, 5))
    from store.db import run_sql
    run_sql("UPDATE ledger SET doc_date = ? WHERE direction = -1", (D(2026, 2, 1),))
    assert any("not in the order of their dates" in p for p in check())


def test_check_reports_a_serial_whose_date_of_latest_movement_is_wrong(stock):
    receive("PHONE-X", ["X1"], date=D(2026, 3, 1))
    from store.db import run_sql
    run_sql("UPDATE serial_number SET moved_on = ?", (D(2026, 1, 1),))
    assert check() == ["PHONE-X: serial X1 last moved on 2026-01-01 but its latest movement is dated 2026-03-01"]
