"""Agendas through the real app: Serial Numbers filters and history, search, refresh, keys and help."""

from __future__ import annotations

from store.documents import DocumentIn, LineIn, save_document
from tests.tui_helpers import app_on, settle, small_price_list, status_text, type_text
from tui.agendas import GoodsAgenda, PriceListAgenda, SerialAgenda, SerialHistoryScreen


async def open_new_item_form(pilot) -> None:
    """The Price List, then F4: the New item form."""
    await settle(pilot)
    pilot.app.push_screen(PriceListAgenda())
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)


def codes(agenda) -> list[str]:
    return [r.code for r in agenda.rows]


def setup_serials():
    small_price_list()
    from store import catalog
    catalog.create_item("TAB-9", "Tablet", tracked=True)
    gr = save_document(DocumentIn("receipt", [LineIn("PHONE-X", 3, None, ["P1", "P2", "Q3"]),
                                              LineIn("TAB-9", 1, None, ["P1"])]), operator="setup")
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["B1"])], warehouse="B"), operator="setup")
    gi = save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["P2"])]), operator="bob")
    return gr, gi


async def test_serial_agenda_filters_and_history(sqlite_url):
    app = app_on(sqlite_url)
    gr, gi = setup_serials()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1")  # Serial Numbers from the menu
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, SerialAgenda)
        assert codes(agenda) == ["B1", "P1", "P1", "Q3"]  # in stock by default
        assert "In stock" in str(agenda.query_one("#title").content)
        await pilot.press("f6")  # issued
        await settle(pilot)
        assert codes(agenda) == ["P2"]
        row = [str(c) for c in agenda.table.get_row_at(0)]
        assert row[:4] == ["P2", "PHONE-X", "issued", "MAIN"] and row[5].startswith(gi.number)
        await pilot.press("f6")  # all
        await settle(pilot)
        assert codes(agenda) == ["B1", "P1", "P1", "P2", "Q3"]
        await pilot.press("f4")  # first warehouse
        await settle(pilot)
        assert "B" in str(agenda.query_one("#title").content) and codes(agenda) == ["B1"]
        await pilot.press("f4", "f4")  # MAIN, then all again
        await settle(pilot)
        assert codes(agenda) == ["B1", "P1", "P1", "P2", "Q3"]
        await type_text(pilot, "P")  # typing on the list searches
        await pilot.pause(0.3)  # the search waits for typing to pause
        await settle(pilot)
        assert codes(agenda) == ["P1", "P1", "P2"]
        await pilot.press("enter")  # back to the list
        await pilot.press("f7")
        await settle(pilot)
        await pilot.press(*"tab-9", "enter")  # the item list: part of the code, any case
        await settle(pilot)
        assert [(r.code, r.item) for r in agenda.rows] == [("P1", "TAB-9")]
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, SerialHistoryScreen)
        moves = [[str(c) for c in history.query_one("#moves").get_row_at(i)] for i in range(1)]
        assert moves[0][1:4] == [gr.number, "in", "MAIN"]
        assert "in stock in MAIN" in str(history.query_one("#info").content)


async def test_history_shows_issue_after_receipt(sqlite_url):
    app = app_on(sqlite_url)
    gr, gi = setup_serials()
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(SerialHistoryScreen("P2", item="PHONE-X"))
        await settle(pilot)
        table = app.screen.query_one("#moves")
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == [gr.number, gi.number]
        assert "issued from MAIN" in str(app.screen.query_one("#info").content)


async def test_list_refreshes_keeping_the_cursor_when_someone_else_saves(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    first = save_document(DocumentIn("receipt", [LineIn("CABLE", 1)]), operator="setup")
    second = save_document(DocumentIn("receipt", [LineIn("CABLE", 2)]), operator="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(GoodsAgenda())
        await settle(pilot)
        agenda = app.screen
        await pilot.press("down")
        assert agenda.current_row().number == first.number
        third = save_document(DocumentIn("receipt", [LineIn("CABLE", 3)]), operator="bob")
        agenda.refresh_rows()  # what the timer does every few seconds
        await settle(pilot)
        assert [r.number for r in agenda.rows] == [third.number, second.number, first.number]
        assert agenda.current_row().number == first.number


async def test_a_document_made_while_the_agenda_shows_its_start_comes_into_view_above_the_cursor(sqlite_url):
    """Back on the agenda after saving a new document, the agenda read `2 of 24` with the new document,
    row 1, scrolled out of view (the walk): a list shown from its start stays at its start."""
    app = app_on(sqlite_url)
    small_price_list()
    for q in range(1, 25):  # more than the screen shows
        first = save_document(DocumentIn("receipt", [LineIn("CABLE", q)]), operator="setup")
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(GoodsAgenda())
        await settle(pilot)
        agenda = app.screen
        assert agenda.current_row().number == first.number and agenda.table.top == 0
        second = save_document(DocumentIn("receipt", [LineIn("CABLE", 2)]), operator="anna")
        agenda.refresh_rows()
        await settle(pilot)
        assert agenda.current_row().number == first.number  # the cursor stays on its record
        assert agenda.table.top == 0  # and the new one is in view above it
        assert second.number in "".join(s.text for s in agenda.table.render_line(1))


async def test_price_list_search_and_item_detail(sqlite_url):
    from tui.item_detail import ItemDetailScreen

    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(PriceListAgenda())
        await settle(pilot)
        agenda = app.screen
        assert [r.code for r in agenda.rows] == ["CABLE", "PHONE-X"]
        await pilot.press("f3", *"PHO", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert [r.code for r in agenda.rows] == ["PHONE-X"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ItemDetailScreen)
        await pilot.press("ctrl+t")  # switch tracking off: asks first
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "Serial tracking: off" in str(app.screen.query_one("#fields").content)


async def test_new_item_form_passes_the_tracking_checkbox_before_it_saves(sqlite_url):
    """Enter in Price saved the new item at once, with serial tracking off, the checkbox reached only by
    Tab (the walk). Enter now moves to the checkbox, Space ticks it, and Enter there saves."""
    from store import catalog
    from tui.dialogs import RecordForm

    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(40, 16)) as pilot:
        await open_new_item_form(pilot)
        await pilot.press(*"NEW-1", "enter", *"New one", "enter", "enter", "enter", "1", "2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm) and catalog.find_item("NEW-1") is None
        assert "Track serial numbers" in str(app.screen.focused.label)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, RecordForm)
        item = catalog.find_item("NEW-1")
        assert item is not None and item.tracked and item.price == 12


async def test_new_item_form_at_20_columns_shows_the_checkbox_state_and_typing_replaces_defaults(sqlite_url):
    """At 20x16 the checkbox read `▐X▌ Track seri`, its yes/no never seen, and typing in Unit or Price
    added to `pcs` / `0` (`pcsm`, `012.5`; the second walk)."""
    from store import catalog
    from tui.dialogs import FormCheckbox

    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(20, 16)) as pilot:
        await open_new_item_form(pilot)
        box = app.screen.query_one(FormCheckbox)
        room = box.parent.scrollable_content_region.width
        label = str(box.label)
        assert label.endswith(": no") and len(label) + box.BUTTON_CELLS <= room, (label, room)
        await pilot.press(*"NEW-2", "enter", *"Two", "enter", "m", "enter", "enter", *"12.5", "enter")
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert str(box.label).endswith(": yes")
        await pilot.press("enter")
        await settle(pilot)
        item = catalog.find_item("NEW-2")
        assert item is not None and (item.unit, item.price, item.tracked) == ("m", 12.5, True)


async def test_switching_tracking_off_with_serials_in_stock_is_refused_without_a_question(sqlite_url):
    """ctrl+t asked `Switch serial tracking OFF for PHONE-X?` and only after `y` said it cannot be done
    (the walk): the refusal now comes at once."""
    from tui.common import ConfirmScreen
    from tui.item_detail import ItemDetailScreen

    app = app_on(sqlite_url)
    setup_serials()
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(ItemDetailScreen("PHONE-X"))
        await settle(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, ItemDetailScreen) and not isinstance(app.screen, ConfirmScreen)
        assert "serial number(s) in stock; issue them before switching serial tracking off" in status_text(app)
        assert "Serial tracking: ON" in str(app.screen.query_one("#fields").content)


async def test_f1_lists_the_keys_of_the_screen(sqlite_url):
    from tui.common import HelpScreen

    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.new_document("receipt")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = str(help_screen.query_one("#keys").content)
        for line in ["^s/f10: Save", "f4/insert: Add line", "f6: Serials", "f3: Item", "f7: Header", "f8: Remove line",
                     "esc: Back", "ctrl+p: Command palette"]:
            assert line.lower() in text.lower(), line
        assert "Movement" not in text  # invoices only
        assert "Cursor" not in text  # the inner keys of widgets are not this screen's keys
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_reaches_agendas(sqlite_url):
    app = app_on(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Open Stock")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.TITLE == "Stock"


async def test_delete_refusal_is_shown(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["Z1"])]), operator="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(PriceListAgenda())
        await settle(pilot)
        await pilot.press("down", "f8", "y")
        await settle(pilot)
        assert "PHONE-X is used on documents" in status_text(app)


async def test_history_gives_the_document_date_partner_and_invoice(sqlite_url):
    """A serial's history shows each movement's document date (the business date, not the day it was
    saved), its partner and, for a generated document, the invoice behind it (issue 13)."""
    import datetime as dt

    app = app_on(sqlite_url)
    small_price_list()
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["H-1"])], partner="ACME",
                             date=dt.date(2026, 3, 10)), operator="setup")
    si = save_document(DocumentIn("sales_invoice", [LineIn("PHONE-X", 1, None, ["H-1"])], partner="ACME",
                                  date=dt.date(2026, 3, 12)), operator="setup")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SerialHistoryScreen("H-1", item="PHONE-X"))
        await settle(pilot)
        table = app.screen.query_one("#moves")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["2026-03-10", "2026-03-12"]
        assert rows[1][4:6] == ["ACME", si.number] and rows[0][4] == "ACME"


async def test_serial_history_shows_the_lot_and_expiry_date_a_gs1_scan_gave(sqlite_url):
    import datetime as dt

    app = app_on(sqlite_url)
    small_price_list()
    gr = save_document(DocumentIn("receipt", [LineIn("PHONE-X", 2, None, ["G1", "T1"], {"G1": "L-7"},
                                                     {"G1": dt.date(2027, 5, 31)})]), operator="setup")
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SerialHistoryScreen("G1"))
        await settle(pilot)
        row = [str(c) for c in app.screen.query_one("#moves").get_row_at(0)]
        assert row[1] == gr.number and row[-2:] == ["L-7", "2027-05-31"]
        app.push_screen(SerialHistoryScreen("T1"))  # typed: none
        await settle(pilot)
        assert [str(c) for c in app.screen.query_one("#moves").get_row_at(0)][-2:] == ["", ""]
