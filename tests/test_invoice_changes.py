"""Changing or deleting an invoice counts its own generated goods receipt / goods issue as part of
the same change, and a refusal names the invoice the operator acted on."""

import pytest

from store.check import check
from store.documents import DocumentIn, LineIn, delete_document, get_document, save_document
from store.errors import DocumentRefused, MovedSince
from store.lookups import find_serial, stock_of
from store.models import Document
from tests.helpers import issue, receive


def invoice(kind, serials, *, number=None, **kw):
    return save_document(DocumentIn(kind, [LineIn("PHONE-X", len(serials), None, list(serials))],
                                    partner="ACME", **kw), operator="olga", number=number)


def test_sales_invoice_switched_off_releases_its_own_issue(stock):
    receive("PHONE-X", ["S1", "S2"])
    inv = invoice("sales_invoice", ["S1"])
    assert find_serial("S1")[0].status == "issued"
    inv = invoice("sales_invoice", ["S1"], number=inv.number, generate_movement=False)
    assert inv.generated is None and inv.generate_movement is False
    assert find_serial("S1")[0].status == "in_stock" and stock_of("PHONE-X") == 2
    # and on again: the issue is made anew
    inv = invoice("sales_invoice", ["S1"], number=inv.number, generate_movement=True)
    assert get_document(inv.generated).lines[0].serials == ["S1"]
    assert find_serial("S1")[0].status == "issued" and check() == []


def test_sales_invoice_switched_off_with_other_lines_still_picks_from_stock(stock):
    receive("PHONE-X", ["S1", "S2"])
    issue("PHONE-X", ["S2"])
    inv = invoice("sales_invoice", ["S1"])
    with pytest.raises(DocumentRefused) as e:
        invoice("sales_invoice", ["S1", "S2"], number=inv.number, generate_movement=False)
    assert e.value.document == inv.number
    assert "serial S2 was issued by GI-" in str(e.value)
    assert find_serial("S1")[0].status == "issued" and check() == []


def test_editing_a_sales_invoice_swaps_serials_through_its_issue(stock):
    receive("PHONE-X", ["S1", "S2"])
    inv = invoice("sales_invoice", ["S1"])
    inv = invoice("sales_invoice", ["S2"], number=inv.number)
    assert [s.status for s in find_serial("S1")] == ["in_stock"]
    assert [s.status for s in find_serial("S2")] == ["issued"]
    assert check() == []


def test_purchase_invoice_off_refused_when_its_receipt_moved_names_the_invoice(stock):
    inv = invoice("purchase_invoice", ["P1"])
    gi = issue("PHONE-X", ["P1"])
    with pytest.raises(DocumentRefused) as e:
        invoice("purchase_invoice", ["P1"], number=inv.number, generate_movement=False)
    assert e.value.document == inv.number
    assert str(e.value).startswith(f"{inv.number} cannot be saved:")
    assert isinstance(e.value.problems[0], MovedSince)
    assert gi.number in str(e.value) and inv.generated in str(e.value)
    with pytest.raises(DocumentRefused) as e:
        delete_document(inv.number, operator="t")
    assert str(e.value).startswith(f"{inv.number} cannot be deleted:")
    assert f"its goods receipt {inv.generated}" in str(e.value)
    assert Document.select().count() == 3 and check() == []


def test_sales_invoice_deleted_puts_serials_back(stock):
    receive("PHONE-X", ["S1"])
    inv = invoice("sales_invoice", ["S1"])
    delete_document(inv.number, operator="t")
    assert find_serial("S1")[0].status == "in_stock" and check() == []
