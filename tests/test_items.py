"""Price list items, warehouses, partners, and the serial-tracking switch."""

from decimal import Decimal

import pytest

from store import catalog
from store.documents import DocumentIn, LineIn, save_document
from store.errors import AlreadyExists, InUse, InvalidInput, NotFound, TrackingLocked
from tests.helpers import issue, receive


def test_item_fields_and_defaults(database):
    item = catalog.create_item(" PHONE-X ", "Phone X", price="199.9", ean="8594000000013", tracked=True)
    assert (item.code, item.unit, item.price, item.tracked) == ("PHONE-X", "pcs", Decimal("199.90"), True)
    assert catalog.find_item("8594000000013").code == "PHONE-X"
    assert catalog.find_item("PHONE-X").code == "PHONE-X"
    assert catalog.find_item("nothing") is None


def test_item_code_and_ean_are_unique(database):
    catalog.create_item("A", "A", ean="12345670")
    with pytest.raises(AlreadyExists, match="code A already exists"):
        catalog.create_item("A", "Again")
    with pytest.raises(AlreadyExists, match="EAN 12345670 already belongs to item A"):
        catalog.create_item("B", "B", ean="12345670")
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


@pytest.mark.parametrize("ean, says", [
    ("8594000000011", "EAN 8594000000011 has a wrong check digit (it should end in 3); check the barcode."),
    ("12345678", "EAN 12345678 has a wrong check digit (it should end in 0); check the barcode."),
    ("40063813339312", "EAN 40063813339312 has a wrong check digit (it should end in 4); check the barcode."),
    ("012345678906", "EAN 012345678906 has a wrong check digit (it should end in 5); check the barcode."),
    ("859400000", "EAN 859400000 must be a GTIN of 8, 12, 13 or 14 digits."),
    ("8594000000", "EAN 8594000000 must be a GTIN of 8, 12, 13 or 14 digits."),
    ("85940000001", "EAN 85940000001 must be a GTIN of 8, 12, 13 or 14 digits."),
])
def test_an_ean_must_be_a_gtin_with_its_check_digit(database, ean, says):
    with pytest.raises(InvalidInput) as e:
        catalog.create_item("X", "x", ean=ean)
    assert (str(e.value), e.value.field) == (says, "ean")
    catalog.create_item("Y", "y")
    with pytest.raises(InvalidInput, match="EAN " + ean):
        catalog.update_item("Y", ean=ean)
    assert catalog.get_item("Y").ean is None


@pytest.mark.parametrize("ean", ["12345670", "012345678905", "8594000000013", "4006381333931", "40063813339314"])
def test_gtin_8_12_13_and_14_with_a_right_check_digit_are_taken(database, ean):
    assert catalog.create_item("X", "x", ean=ean).ean == ean
    assert catalog.find_item(ean).code == "X"


def test_one_gtin_is_one_item_in_all_its_lengths(database):
    catalog.create_item("SCAN-9", "Scanner 9", ean="4006381333931")
    with pytest.raises(AlreadyExists, match=r"EAN 04006381333931 already belongs to item SCAN-9 \(as 4006381333931\)"):
        catalog.create_item("OTHER", "Other", ean="04006381333931")
    catalog.create_item("OTHER", "Other")
    with pytest.raises(AlreadyExists, match="belongs to item SCAN-9"):
        catalog.update_item("OTHER", ean="04006381333931")
    assert catalog.update_item("SCAN-9", ean="04006381333931").ean == "04006381333931"  # its own, longer


def test_an_ean_saved_before_the_check_digit_rule_stays_until_it_is_changed(database):
    from store.models import Item

    catalog.create_item("OLD", "Old item")
    Item.update(ean="8594000000011").where(Item.code == "OLD").execute()  # as an older version saved it
    assert catalog.find_item("8594000000011").code == "OLD"
    assert catalog.update_item("OLD", name="Old item, renamed", ean="8594000000011").ean == "8594000000011"
    with pytest.raises(InvalidInput, match="it should end in 3"):
        catalog.update_item("OLD", ean="8594000000012")
