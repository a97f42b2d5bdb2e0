"""Choosing codes: partner, warehouse and item fields open a list by key; part of the code or name in
any case, Up/Down, Enter picks. An invoice without a partner is refused by the store."""

from __future__ import annotations

import pytest

from store import catalog
from store.documents import DocumentIn, LineIn, save_document
from store.errors import Refusal
from tests.tui_helpers import app_on, settle, small_price_list
from tui.agendas import SerialAgenda
from tui.code_picker import CodePicker
from tui.dialogs import HeaderDialog, LineDialog
from tui.document import DocumentScreen


async def open_header(pilot, kind="receipt"):
    pilot.app.new_document(kind)
    await settle(pilot)
    doc = pilot.app.screen
    assert isinstance(doc, DocumentScreen)
    await pilot.press("f7")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HeaderDialog)
    return doc


async def test_partner_typed_in_any_case_or_in_part(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    catalog.create_partner("NORD", "Nordic Trade")
    async with app.run_test(size=(40, 16)) as pilot:
        doc = await open_header(pilot)
        partner = app.screen.query_one("#partner")
        partner.focus()
        await pilot.press(*"nord", "enter")  # one match: taken at once, in its own case
        await settle(pilot)
        assert isinstance(app.screen, HeaderDialog) and partner.value == "NORD"
        partner.value = ""
        partner.focus()
        await pilot.press("e", "enter")  # Acme Ltd. and Nordic Trade: the list opens
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, CodePicker) and [r.code for r in picker.choices.rows] == ["ACME", "NORD"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, HeaderDialog) and partner.value == "NORD"
        partner.focus()
        await pilot.press("f4")  # the whole list, by key
        await settle(pilot)
        assert isinstance(app.screen, CodePicker)
        await pilot.press(*"ACM", "enter")
        await settle(pilot)
        assert partner.value == "ACME"
        await pilot.press("f10")
        await settle(pilot)
        assert doc.doc.partner == "ACME"


async def test_warehouse_from_the_list(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(40, 16)) as pilot:
        doc = await open_header(pilot)
        await pilot.press("f4")  # the warehouse field has the focus
        await settle(pilot)
        assert isinstance(app.screen, CodePicker)
        await pilot.press(*"second", "enter")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert doc.doc.warehouse == "B"


async def test_item_field_lists_items_by_part_of_the_name(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(40, 16)) as pilot:
        app.new_document("receipt")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, LineDialog)
        await pilot.press("f4")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, CodePicker) and [r.code for r in picker.choices.rows] == ["CABLE", "PHONE-X"]
        await pilot.press(*"usb", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LineDialog) and app.screen.item.code == "CABLE"


async def test_serial_agenda_item_filter_is_a_list(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["F1"])]), operator="t")
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, SerialAgenda)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press(*"phone", "enter")
        await settle(pilot)
        assert agenda.item_filter == "PHONE-X" and "PHONE-X" in str(agenda.query_one("#title").content)
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press("f8")  # all items
        await settle(pilot)
        assert agenda.item_filter is None


@pytest.mark.parametrize("kind", ["purchase_invoice", "sales_invoice"])
def test_invoice_without_partner_is_refused(stock, kind):
    if kind == "sales_invoice":
        save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["NP-1"])]), operator="t")
    with pytest.raises(Refusal, match="needs a partner"):
        save_document(DocumentIn(kind, [LineIn("PHONE-X", 1, None, ["NP-1"])]), operator="t")
    save_document(DocumentIn("issue" if kind == "sales_invoice" else "receipt",
                             [LineIn("PHONE-X", 1, None, ["NP-1"])]), operator="t")  # goods docs may go without


async def test_enter_or_tab_on_a_partner_code_moves_on_to_the_date(sqlite_url):
    """The walk: once Partner held a code, Enter and Tab took it but left the focus in Partner, so the
    Date, the Note and the movement checkbox could not be reached by keys (`q` after `nord` Enter made
    `NORDq`)."""
    from store import catalog

    app = app_on(sqlite_url)
    small_price_list()
    catalog.create_partner("NORD", "Nordic Trade")
    async with app.run_test(size=(80, 24)) as pilot:
        app.new_document("purchase_invoice")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, HeaderDialog)
        await pilot.press("tab")  # from Warehouse to Partner
        await settle(pilot)
        await pilot.press(*"nord", "enter")
        await settle(pilot)
        assert app.screen.query_one("#partner").value == "NORD" and app.focused.id == "date"
        await pilot.press("shift+tab")  # back to Partner, which now holds NORD
        await settle(pilot)
        assert app.focused.id == "partner"
        await pilot.press("tab")
        await settle(pilot)
        assert app.focused.id == "date"
        await pilot.press("tab")
        await settle(pilot)
        await pilot.press(*"note1")
        assert app.screen.query_one("#note").value == "note1" and app.screen.query_one("#partner").value == "NORD"
