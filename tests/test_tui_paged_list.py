"""Every list reaches every record: the agendas hold a window of rows and read pages both ways."""

from __future__ import annotations

from store.documents import DocumentIn, LineIn, save_document
from tests.tui_helpers import app_on, settle, small_price_list
from tui.agendas import GoodsAgenda, PartnerAgenda, SerialAgenda
from tui.paged_list import PagedList

N = 1_250


def many_serials(n: int = N) -> list[str]:
    small_price_list()
    codes = [f"S{i:05d}" for i in range(n)]
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", n, None, codes)]), operator="setup")
    return codes


def header(agenda) -> str:
    return "".join(s.text for s in agenda.table.render_line(0))


async def test_serial_agenda_reaches_the_last_of_many_and_back(sqlite_url, monkeypatch):
    monkeypatch.setattr(PagedList, "PAGE", 40)  # small pages: many window edges crossed in a short test
    monkeypatch.setattr(PagedList, "MAX_ROWS", 120)
    app = app_on(sqlite_url)
    codes = many_serials()
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, SerialAgenda)
        assert agenda.table.current().code == codes[0]
        assert "1 of 1,250" in header(agenda)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert agenda.table.current().code == codes[-1]
        assert "1,250 of 1,250" in header(agenda)
        assert len(agenda.rows) <= PagedList.MAX_ROWS
        # back up past the window, a row at a time and a page at a time: no row skipped
        seen = [agenda.table.current().code]
        for _ in range(60):
            await pilot.press("pageup")
            seen.append(agenda.table.current().code)
        await settle(pilot)
        page = agenda.table.size.height - 1  # the rows drawn under the header
        assert codes.index(seen[-1]) == N - 1 - 60 * page
        assert all(codes.index(a) - codes.index(b) == page for a, b in zip(seen, seen[1:]))
        assert len(agenda.rows) <= PagedList.MAX_ROWS
        assert f"{N - 60 * page:,} of 1,250" in header(agenda)
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert agenda.table.current().code == codes[0] and "1 of 1,250" in header(agenda)
        # down through every row, one at a time: each one comes in order
        for i in range(1, 160):
            await pilot.press("down")
            if i % 37 == 0:
                await settle(pilot, 1)
                assert agenda.table.current().code == codes[i]
        await settle(pilot)
        assert agenda.table.current().code == codes[159]
        assert len(agenda.rows) <= PagedList.MAX_ROWS
        await pilot.press(*["pagedown"] * 110)
        await settle(pilot)
        assert agenda.table.current().code == codes[-1]


async def test_refresh_keeps_the_cursor_record_deep_in_the_list(sqlite_url):
    app = app_on(sqlite_url)
    many_serials(600)
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        await pilot.press(*["pagedown"] * 30)
        await settle(pilot)
        here = agenda.table.current().code
        save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["A-NEW"])]), operator="bob")
        agenda.refresh_rows()
        await settle(pilot)
        assert agenda.table.current().code == here
        await pilot.press("f5")
        await settle(pilot)
        assert agenda.table.current().code == "A-NEW"
        assert "1 of 601" in header(agenda)


async def test_documents_newest_first_reach_the_oldest(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    numbers = [save_document(DocumentIn("receipt", [LineIn("CABLE", 1)]), operator="s").number for _ in range(130)]
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, GoodsAgenda)
        assert agenda.table.current().number == numbers[-1]
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert agenda.table.current().number == numbers[0] and "130 of 130" in header(agenda)
        await pilot.press("up")
        await settle(pilot)
        assert agenda.table.current().number == numbers[1]


async def test_typed_letters_on_the_list_still_search(sqlite_url):
    app = app_on(sqlite_url)
    many_serials(300)
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        await pilot.press("pagedown", "S", "0", "0", "2", "9")
        await pilot.pause(0.3)
        await settle(pilot)
        assert agenda.search_text == "S0029"
        assert [r.code for r in agenda.rows] == ["S00290", "S00291", "S00292", "S00293", "S00294", "S00295",
                                                 "S00296", "S00297", "S00298", "S00299"]
        assert "1 of 10" in header(agenda)


async def test_partners_both_ways(sqlite_url, monkeypatch):
    from store import catalog

    monkeypatch.setattr(PagedList, "PAGE", 10)
    monkeypatch.setattr(PagedList, "MAX_ROWS", 30)
    app = app_on(sqlite_url)
    for i in range(60):
        catalog.create_partner(f"P{i:03d}", f"Partner {i}")
    async with app.run_test(size=(40, 8)) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, PartnerAgenda)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert agenda.table.current().code == "P059" and "60 of 60" in header(agenda)
        await pilot.press(*["pageup"] * (60 // agenda.table._visible() + 2))
        await settle(pilot)
        assert agenda.table.current().code == "P000" and "1 of 60" in header(agenda)


async def test_item_detail_lists_every_serial_in_stock(sqlite_url, monkeypatch):
    from tui.item_detail import ItemDetailScreen

    monkeypatch.setattr(PagedList, "PAGE", 20)
    monkeypatch.setattr(PagedList, "MAX_ROWS", 60)
    app = app_on(sqlite_url)
    codes = many_serials(120)
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(ItemDetailScreen("PHONE-X"))
        await settle(pilot)
        serials = app.screen.query_one("#serials", PagedList)
        assert serials.current().code == codes[0]
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert serials.current().code == codes[-1] and serials.position_text() == "120 of 120"
        await pilot.press(*["pageup"] * 130)
        await settle(pilot)
        assert serials.current().code == codes[0] and len(serials.rows) <= 60


async def test_a_move_past_the_window_during_a_refresh_is_made_after_it(sqlite_url, monkeypatch):
    """PgDn held past the rows held while the 5 s refresh is on its way: the refresh ends, the next
    page is read and the cursor gets there, with no further key."""
    import threading

    monkeypatch.setattr(PagedList, "PAGE", 20)
    monkeypatch.setattr(PagedList, "MAX_ROWS", 60)
    app = app_on(sqlite_url)
    codes = many_serials(200)
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        agenda = app.screen
        t = agenda.table
        release = threading.Event()
        fetch = agenda.fetch

        def slow(*args):
            release.wait(10)
            return fetch(*args)

        agenda.fetch = slow
        agenda.refresh_rows()  # on its way, held
        agenda.fetch = fetch
        pages = 0
        while t._pending == 0:  # until past the rows held: that move waits
            t.action_page(1)
            pages += 1
            assert pages < 20
        release.set()
        await settle(pilot)
        await settle(pilot)
        assert t._pending == 0 and t.current().code == codes[pages * t._visible()]


def line_of(screen, index: int) -> str:
    return "".join(s.text for s in screen.table.render_line(index))


async def test_picker_reaches_every_serial_in_stock_both_ways(sqlite_url):
    """The issuing picker over 2,000 serials in stock: ctrl+End reaches the last (it paged forward only
    and kept every row it had read), ctrl+Home the first, PgUp/PgDn work from the scan field too, the
    header says where the cursor is, and only a window is held. Its keys still work on the way."""
    from tests.tui_helpers import new_line
    from tui.serial_entry import SerialPickerScreen

    app = app_on(sqlite_url)
    codes = many_serials(2_000)
    async with app.run_test(size=(40, 16)) as pilot:
        picker = await new_line(pilot, "issue", "PHONE-X", 2)
        assert isinstance(picker, SerialPickerScreen)
        assert picker.table.current().code == codes[0] and "1 of 2,000" in header(picker)
        await pilot.press("ctrl+end")  # from the scan field: the focus stays there
        await settle(pilot)
        assert picker.table.current().code == codes[-1] and "2,000 of 2,000" in header(picker)
        assert len(picker.rows) <= PagedList.MAX_ROWS
        await pilot.press("down", "space")  # to the list; Space ticks the last serial
        await settle(pilot)
        assert picker.selected == [codes[-1]]
        assert "[x]" in line_of(picker, picker.table.cursor - picker.table.top + 1)
        page = picker.table.size.height - 1
        await pilot.press(*["pageup"] * 30)
        await settle(pilot)
        assert picker.table.current().code == codes[-1 - 30 * page]
        assert f"{2_000 - 30 * page:,} of 2,000" in header(picker)
        assert len(picker.rows) <= PagedList.MAX_ROWS
        here = picker.table.current().code
        picker._refresh()  # what the 5 s timer does: the cursor stays on its serial
        await settle(pilot)
        assert picker.table.current().code == here
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert picker.table.current().code == codes[0] and "1 of 2,000" in header(picker)
        await pilot.press("enter")  # Enter on the list toggles too
        await settle(pilot)
        assert picker.selected == [codes[-1], codes[0]]
        assert str(picker.query_one("#count").content).startswith("2/2 complete")


async def test_serial_history_reaches_every_movement_both_ways(sqlite_url, monkeypatch):
    """A serial received and issued 150 times: its history reaches the last movement with ctrl+End and the
    first with ctrl+Home, says where the cursor is, and holds only a window (it held every row)."""
    from tui.agendas import SerialHistoryScreen

    monkeypatch.setattr(PagedList, "PAGE", 40)
    monkeypatch.setattr(PagedList, "MAX_ROWS", 120)
    app = app_on(sqlite_url)
    small_price_list()
    numbers = []
    for _ in range(150):
        numbers.append(save_document(DocumentIn("receipt", [LineIn("PHONE-X", 1, None, ["H-1"])]),
                                     operator="setup").number)
        numbers.append(save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["H-1"])]),
                                     operator="setup").number)
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(SerialHistoryScreen("H-1", item="PHONE-X"))
        await settle(pilot)
        history = app.screen
        assert history.table.current().document == numbers[0] and "1 of 300" in header(history)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert history.table.current().document == numbers[-1] and "300 of 300" in header(history)
        assert len(history.table.rows) <= PagedList.MAX_ROWS
        page = history.table.size.height - 1
        await pilot.press(*["pageup"] * 20)
        await settle(pilot)
        assert history.table.current().document == numbers[-1 - 20 * page]
        assert f"{300 - 20 * page} of 300" in header(history)
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert history.table.current().document == numbers[0] and "1 of 300" in header(history)
        await pilot.press(*["down"] * 130)
        await settle(pilot)
        assert history.table.current().document == numbers[130]
        assert len(history.table.rows) <= PagedList.MAX_ROWS


async def test_picker_f7_shows_the_selected_and_f8_clears_them(sqlite_url):
    """F7 on the paged picker lists only the selected serials (ticked), F8 asks and clears them, F7 again
    shows every serial in stock with where the cursor is."""
    from tests.tui_helpers import new_line, scan

    app = app_on(sqlite_url)
    codes = many_serials(500)
    async with app.run_test(size=(40, 16)) as pilot:
        picker = await new_line(pilot, "issue", "PHONE-X", 2)
        await scan(pilot, codes[420])
        await scan(pilot, codes[7])
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert [r.code for r in picker.rows] == [codes[420], codes[7]] and "1 of 2" in header(picker)
        assert "[x]" in line_of(picker, 1) and "[x]" in line_of(picker, 2)
        assert "(showing selected)" in str(picker.query_one("#count").content)
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert picker.selected == [] and picker.rows == []
        await pilot.press("f7")
        await settle(pilot)
        assert picker.table.current().code == codes[0] and "1 of 500" in header(picker)
        assert "[ ]" in line_of(picker, 1)


async def test_picker_count_follows_another_operators_issue_at_the_next_refresh(sqlite_url):
    """Another operator issues a serial far from the rows on screen: the picker's `1 of 300` became
    `1 of 299` only some 30 s later (counted every 6th refresh). The picker counts at each refresh."""
    from tests.tui_helpers import new_line
    from tui.serial_entry import SerialPickerScreen

    app = app_on(sqlite_url)
    codes = many_serials(300)
    async with app.run_test(size=(40, 16)) as pilot:
        picker = await new_line(pilot, "issue", "PHONE-X", 2)
        assert isinstance(picker, SerialPickerScreen)
        await settle(pilot)
        assert "1 of 300" in header(picker)
        save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, [codes[-1]])]), operator="bob")
        picker._refresh()  # what its 5 s timer does
        await settle(pilot)
        assert "1 of 299" in header(picker)
