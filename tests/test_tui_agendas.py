"""Agendas through the real app: Serial Numbers filters and history, search, refresh, keys and help."""

from __future__ import annotations

from store.documents import DocumentIn, LineIn, save_document
from tests.tui_helpers import app_on, settle, small_price_list, status_text, type_text
from tui.agendas import GoodsAgenda, PriceListAgenda, SerialAgenda, SerialHistoryScreen


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
        app.screen.query_one("#f-item").value = "TAB-9"
        await pilot.press("f10")
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
