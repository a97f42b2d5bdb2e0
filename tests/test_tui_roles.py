"""Roles through the terminal app: for every role, the keys of every screen that changes something are
there (footer, F1, palette) exactly when the role may use them, no form opens that the store would
refuse at save, the store refuses what slips through; and the menu says who acts and in what mode."""

from __future__ import annotations

import pytest

from store import users
from store.documents import DocumentIn, LineIn, save_document
from store.rights import ROLES, Acting, rank
from tests.tui_helpers import app_on, settle, small_price_list
from tui import agendas
from tui.common import HelpScreen


def _may(role: str, action: str) -> bool:
    from store.rights import needs

    return rank(role) >= rank(needs(action))


async def _help_text(app, pilot) -> str:
    await pilot.press("f1")
    await settle(pilot)
    assert isinstance(app.screen, HelpScreen)
    text = str(app.screen.query_one("#keys").content)
    await pilot.press("escape")
    await settle(pilot)
    return text


# agenda: (its new key's action, its delete key's action)
AGENDAS = [
    (agendas.PriceListAgenda, "items", "items"),
    (agendas.WarehouseAgenda, "warehouses", "warehouses"),
    (agendas.PartnerAgenda, "partners", "partners"),
    (agendas.GoodsAgenda, "receive", "delete_document"),
    (agendas.PurchaseInvoiceAgenda, "invoice", "delete_document"),
    (agendas.SalesInvoiceAgenda, "invoice", "delete_document"),
    (agendas.TransferAgenda, "transfer", "delete_document"),
]


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_sees_only_the_keys_it_may_use(sqlite_url, role):
    from tui.commands import SerialStockCommands
    from tui.document import DocumentScreen
    from tui.item_detail import ItemDetailScreen

    app = app_on(sqlite_url, acting=Acting("u", role))
    small_price_list()
    gr = save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["P1"])]), operator="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "u  (" + role + ")" in str(app.screen.query_one("#title").content)
        assert app.check_action("import_excel", ()) is _may(role, "import")
        names = [name for name, *_ in SerialStockCommands(app.screen)._commands()]
        assert ("New goods receipt" in names) is _may(role, "receive")
        assert ("New sales invoice" in names) is _may(role, "invoice")
        assert ("Import items and documents from Excel" in names) is _may(role, "import")

        for cls, new, delete in AGENDAS:
            app.push_screen(cls())
            await settle(pilot)
            screen = app.screen
            assert screen.check_action("new", ()) is _may(role, new), cls
            assert screen.check_action("delete", ()) is _may(role, delete), cls
            assert screen.check_action("export", ()) is True  # viewers export too
            text = await _help_text(app, pilot)
            assert ("New" in text) is _may(role, new) and ("Delete" in text) is _may(role, delete), (cls, text)
            await pilot.press("f4")  # New: nothing opens unless the role may
            await settle(pilot)
            opened = app.screen is not screen
            assert opened is _may(role, new), cls
            while app.screen is not screen:
                app.pop_screen()
                await settle(pilot)
            app.pop_screen()
            await settle(pilot)

        # a new goods receipt: opens for floor and above, refused before any form opens below
        before = app.screen
        app.new_document("receipt")
        await settle(pilot)
        assert isinstance(app.screen, DocumentScreen) is _may(role, "receive")
        if app.screen is not before:
            assert app.screen.check_action("save", ()) is True
            app.pop_screen()
            await settle(pilot)

        # a saved goods receipt: changed by office and above; shown only, below
        app.push_screen(DocumentScreen(number=gr.number))
        await settle(pilot)
        doc = app.screen
        edit = _may(role, "edit_document")
        for action in ("save", "add_line", "remove_line", "header", "serials"):
            assert doc.check_action(action, ()) is edit, action
        text = await _help_text(app, pilot)
        assert ("Save" in text) is edit and ("Add line" in text) is edit
        await pilot.press("f4")  # Add line: no form unless the role may change the document
        await settle(pilot)
        assert (app.screen is not doc) is edit
        while app.screen is not doc:
            app.pop_screen()
            await settle(pilot)
        if not edit:
            await pilot.press(*"CABLE", "enter")  # a scan on a document the role may not change
            await settle(pilot)
            assert app.screen is doc and "may not change a saved document" in str(doc.status.content)
        app.pop_screen()
        await settle(pilot)

        app.push_screen(ItemDetailScreen("CABLE"))
        await settle(pilot)
        item = app.screen
        assert item.check_action("toggle_tracking", ()) is _may(role, "tracking")
        assert item.check_action("edit", ()) is _may(role, "items")
        app.pop_screen()
        await settle(pilot)


async def test_what_slips_past_the_screen_is_refused_by_the_store(sqlite_url):
    """call_store acts for the app's user: a store call the role may not make comes back refused."""
    from store import catalog
    from store.errors import Forbidden
    from tui.common import call_store

    app = app_on(sqlite_url, acting=Acting("vera", "viewer"))
    small_price_list()
    got = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        call_store(app.screen, catalog.delete_item, "CABLE", done=got.append, failed=got.append)
        await settle(pilot)
    assert isinstance(got[0], Forbidden) and "vera (viewer) may not" in str(got[0])
    assert catalog.get_item("CABLE")


async def test_the_menu_says_single_user_mode(sqlite_url):
    app = app_on(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.acting.single_user
        assert "single-user mode: everything allowed" in str(app.screen.query_one("#title").content)


async def test_the_app_settles_who_acts_from_the_users(sqlite_url):
    app = app_on(sqlite_url)
    users.add_user("root", "admin")
    users.add_user("alice", "floor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.acting == Acting("alice", "floor")
        assert "alice  (floor)" in str(app.screen.query_one("#title").content)
        assert app.check_action("import_excel", ()) is False


async def test_a_login_that_is_not_a_user_ends_the_app(sqlite_url):
    app = app_on(sqlite_url)  # operator and login "alice"
    users.add_user("root", "admin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
    assert isinstance(app.database_error, users.NotAUser) and app.return_code == 1


async def test_the_footer_follows_a_floor_users_document_becoming_read_only_at_save(sqlite_url):
    """A floor user saves a new goods receipt; a saved document is not theirs to change, so it turns
    read-only. The footer still offered `^s Save f4 Add line …` until F1 was pressed (the second walk)."""
    from textual.widgets._footer import FooterKey

    from tests.tui_helpers import new_line

    app = app_on(sqlite_url, acting=Acting("bob", "floor"))
    small_price_list()
    async with app.run_test(size=(40, 16)) as pilot:
        await new_line(pilot, "receipt", "CABLE", 2)
        doc = app.screen
        keys = lambda: [k.description for k in doc.query(FooterKey)]  # noqa: E731
        assert "Add line" in keys()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert doc.number and doc.read_only
        assert "Add line" not in keys() and "Save" not in keys(), keys()
