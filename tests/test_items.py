"""Price list items, warehouses, partners, and the serial-tracking switch."""

from decimal import Decimal

import pytest

from store import catalog
from store.errors import AlreadyExists, InUse, InvalidInput, NotFound, TrackingLocked
from tests.helpers import issue, receive
from store.documents import DocumentIn, LineIn, save_document


def test_item_fields_and_defaults(database):
    item = catalog.create_item(" PHONE-X ", "Phone X", price="199.9", ean="8594000000011", tracked=True)
    assert (item.code, item.unit, item.price, item.tracked) == ("PHONE-X", "pcs", Decimal("199.90"), True)
    assert catalog.find_item("8594000000011").code == "PHONE-X"
    assert catalog.find_item("PHONE-X").code == "PHONE-X"
    assert catalog.find_item("nothing") is None


def test_item_code_and_ean_are_unique(database):
    catalog.create_item("A", "A", ean="12345678")
    with pytest.raises(AlreadyExists, match="code A already exists"):
        catalog.create_item("A", "Again")
    with pytest.raises(AlreadyExists, match="EAN 12345678 already belongs to item A"):
        catalog.create_item("B", "B", ean="12345678")
    catalog.create_item("C", "No EAN")
    catalog.create_item("D", "No EAN either", ean="")  # empty EANs do not collide


@pytest.mark.parametrize("kwargs, field", [
    ({"code": "", "name": "x"}, "code"), ({"code": "X", "name": ""}, "name"),
    ({"code": "X", "name": "x", "ean": "12AB"}, "ean"), ({"code": "X", "name": "x", "price": "-1"}, "price"),
    ({"code": "X", "name": "x", "price": "abc"}, "price"),
])
def test_item_bad_input_names_the_field(database, kwargs, field):
    with pytest.raises(InvalidInput) as e:
        catalog.create_item(**kwargs)
    assert e.value.field == field


def test_tracking_switches_on_only_without_stock(database):
    catalog.create_item("CABLE", "Cable")
    save_document(DocumentIn("receipt", [LineIn("CABLE", 3)]), operator="t")
    with pytest.raises(TrackingLocked, match="CABLE has stock"):
        catalog.set_tracking("CABLE", True)
    save_document(DocumentIn("issue", [LineIn("CABLE", 3)]), operator="t")
    assert catalog.set_tracking("CABLE", True).tracked


def test_tracking_switches_off_only_with_no_serial_in_stock(database):
    catalog.create_item("PHONE-X", "Phone", tracked=True)
    receive("PHONE-X", ["S1", "S2"])
    with pytest.raises(TrackingLocked, match="2 serial number\\(s\\) in stock"):
        catalog.set_tracking("PHONE-X", False)
    issue("PHONE-X", ["S1", "S2"])
    assert not catalog.set_tracking("PHONE-X", False).tracked
    assert not catalog.get_item("PHONE-X").tracked


def test_update_item_through_the_same_rules(database):
    catalog.create_item("PHONE-X", "Phone", tracked=True)
    receive("PHONE-X", ["S1"])
    with pytest.raises(TrackingLocked):
        catalog.update_item("PHONE-X", tracked=False)
    item = catalog.update_item("PHONE-X", name="Phone X 128", price="10", ean="12345670")
    assert (item.name, item.price, item.ean, item.tracked) == ("Phone X 128", Decimal("10"), "12345670", True)


def test_used_records_cannot_be_deleted(stock):
    receive("PHONE-X", ["S1"], partner="ACME")
    with pytest.raises(InUse, match="PHONE-X is used"):
        catalog.delete_item("PHONE-X")
    with pytest.raises(InUse, match="Warehouse MAIN"):
        catalog.delete_warehouse("MAIN")
    with pytest.raises(InUse, match="ACME is used"):
        catalog.delete_partner("ACME")
    catalog.delete_item("CABLE")
    with pytest.raises(NotFound, match="No item with code CABLE"):
        catalog.get_item("CABLE")


def test_warehouses_and_partners(database):
    assert [w.code for w in catalog.list_warehouses()] == ["MAIN"]
    catalog.create_warehouse("B", "Second")
    with pytest.raises(AlreadyExists):
        catalog.create_warehouse("B", "Again")
    catalog.delete_warehouse("B")
    catalog.create_partner("ACME", "Acme")
    assert [p.code for p in catalog.list_partners("AC")] == ["ACME"]


def test_generate_movement_default_is_configurable_per_invoice_type(database):
    assert catalog.generate_movement_default("purchase_invoice") is True
    catalog.set_generate_movement_default("purchase_invoice", False)
    assert catalog.generate_movement_default("purchase_invoice") is False
    assert catalog.generate_movement_default("sales_invoice") is True
    with pytest.raises(InvalidInput):
        catalog.generate_movement_default("receipt")
