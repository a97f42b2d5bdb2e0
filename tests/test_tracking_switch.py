"""Tracking switched after documents exist: a document saved under the other setting cannot be edited
or deleted (undoing it would leave serials of an untracked item in stock, or stock of a tracked item
without serials); switching the setting back makes it changeable again. check() holds throughout."""

import pytest

from store import catalog
from store.check import check
from store.documents import DocumentIn, LineIn, delete_document, save_document
from store.errors import DocumentRefused, TrackingChanged
from store.lookups import find_serial, stock_of
from tests.helpers import issue, receive


def test_deleting_an_issue_of_serials_after_tracking_went_off_is_refused(stock):
    receive("PHONE-X", ["X1"])
    gi = issue("PHONE-X", ["X1"])
    catalog.set_tracking("PHONE-X", False)
    with pytest.raises(DocumentRefused) as e:
        delete_document(gi.number, operator="t")
    [p] = e.value.problems
    assert isinstance(p, TrackingChanged) and p.category == "conflict"
    assert str(e.value) == (f"{gi.number} cannot be deleted:\n- Line 1 (PHONE-X): PHONE-X was tracked by serial "
                            f"number when {gi.number} was saved and is not now; switch its tracking on again to "
                            f"change or delete {gi.number}.")
    with pytest.raises(DocumentRefused, match="switch its tracking on again"):
        save_document(DocumentIn("issue", [LineIn("PHONE-X", 1)]), operator="t", number=gi.number)
    assert check() == [] and find_serial("X1")[0].status == "issued"
    catalog.set_tracking("PHONE-X", True)
    delete_document(gi.number, operator="t")
    assert find_serial("X1")[0].status == "in_stock" and check() == []


def test_deleting_an_untracked_issue_after_tracking_went_on_is_refused(stock):
    catalog.create_item("BOX", "Box")
    receive("BOX", [], qty=5)
    gi = issue("BOX", [], qty=5)
    catalog.set_tracking("BOX", True)
    with pytest.raises(DocumentRefused, match="BOX was not tracked by serial number when .* switch its tracking off"):
        delete_document(gi.number, operator="t")
    assert stock_of("BOX") == 0 and check() == []


def test_an_invoice_whose_generated_document_predates_the_switch_is_refused_naming_the_invoice(stock):
    receive("PHONE-X", ["X1"])
    inv = save_document(DocumentIn("sales_invoice", [LineIn("PHONE-X", 1, None, ["X1"])], partner="ACME"),
                        operator="t")
    catalog.set_tracking("PHONE-X", False)
    with pytest.raises(DocumentRefused) as e:
        delete_document(inv.number, operator="t")
    assert str(e.value).startswith(f"{inv.number} cannot be deleted:")
    assert f"when its goods issue {inv.generated} was saved" in str(e.value)
    assert check() == []
