"""The Stock Counts agenda and the count screen through Pilot, at handheld sizes (issue 15)."""

from __future__ import annotations

import pytest

from store.counts import get_count, open_count
from tests.helpers import receive
from tests.tui_helpers import app_on, burst, scans, settle, small_price_list, status_text, until
from tui.counts import CountScreen, DifferencesScreen, StockCountAgenda


async def open_menu_entry(pilot, app) -> None:
    """The 10th agenda, the last: End, then Enter."""
    await settle(pilot)
    await pilot.press("end", "enter")
    await settle(pilot)


@pytest.mark.parametrize("size", [(20, 16), (40, 8)])
async def test_new_count_from_the_menu_scan_and_see_totals(sqlite_url, size):
    app = app_on(sqlite_url)
    small_price_list()
    receive("PHONE-X", ["C-1", "C-2", "C-3"], operator="setup")
    receive("PHONE-X", ["IN-B"], warehouse="B", operator="setup")
    async with app.run_test(size=size) as pilot:
        await open_menu_entry(pilot, app)
        assert isinstance(app.screen, StockCountAgenda)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("enter")  # the first warehouse: the default, MAIN
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CountScreen)
        assert app.focused is screen.query_one("#scan")
        await burst(pilot, scans(["C-1", "C-2", "IN-B"]))
        await settle(pilot)
        assert "IN-B PHONE-X: extra, in B" in status_text(app)
        totals = str(screen.query_one("#totals").content)
        assert totals == "Exp 3 Cnt 3 Miss 1 Extra 1"
        assert screen.query_one("#totals").region.y + 1 < size[1]  # on screen, above the footer
        await burst(pilot, scans(["C-1"]))
        await settle(pilot)
        assert "counted already: alice scanned it" in status_text(app)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, DifferencesScreen)
        assert app.screen.rows == [("C-3", "missing", "PHONE-X"), ("IN-B", "in B", "PHONE-X")]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("y")
        assert await until(pilot, lambda: app.screen is screen and "is posted as SA-" in status_text(app))
        assert screen.query_one("#scan").disabled
    assert get_count(screen.number).status == "posted"


async def test_the_palette_opens_stock_counts_and_a_posted_count_is_read_only(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    from store.counts import post_count

    n = open_count("MAIN", operator="setup").number
    post_count(n, operator="setup")
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Stock Counts", "enter")
        await settle(pilot)
        assert isinstance(app.screen, StockCountAgenda)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CountScreen)
        assert screen.query_one("#scan").disabled
        assert "is posted as SA-" in status_text(app) and "read-only" in status_text(app)
        assert screen.check_action("post", ()) is False


async def test_a_scanners_file_is_counted_and_the_result_exported_from_the_count_screen(sqlite_url, tmp_path):
    from openpyxl import Workbook, load_workbook

    app = app_on(sqlite_url)
    small_price_list()
    receive("PHONE-X", ["F-1", "F-2", "F-3"], operator="setup")
    n = open_count("MAIN", operator="setup").number
    src, out = tmp_path / "scanner.xlsx", tmp_path / "result.xlsx"
    wb = Workbook()
    for code in ("Serial", "F-1", "F-2"):
        wb.active.append([code])
    wb.save(src)
    async with app.run_test(size=(40, 8)) as pilot:
        await settle(pilot)
        app.push_screen(CountScreen(n))
        await settle(pilot)
        screen = app.screen
        for key, path in (("f7", src), ("ctrl+o", out)):
            await pilot.press(key)
            await settle(pilot)
            field = app.screen.query_one("#path")
            field.value = str(path)
            await pilot.press("enter")
            await settle(pilot, 5)
            assert "!" not in status_text(app), status_text(app)
            await pilot.press("escape")
            await settle(pilot)
        assert str(screen.query_one("#totals").content) == "Exp 3 Cnt 2 Miss 1 Extra 0"
    assert [r[1] for r in load_workbook(out, read_only=True)["Missing"].iter_rows(values_only=True)] == ["Serial", "F-3"]


async def test_a_count_of_some_items_from_the_agenda(sqlite_url):
    """Issue 15: a count is opened for one warehouse, optionally for some items only. F6 asks which;
    an item not in the price list is refused in the form, naming it."""
    from store import catalog
    from tui.dialogs import RecordForm

    app = app_on(sqlite_url)
    small_price_list()
    catalog.create_item("TAB-9", "Tablet 9", tracked=True)
    receive("PHONE-X", ["C-1", "C-2"], operator="setup")
    receive("TAB-9", ["T-1"], operator="setup")
    async with app.run_test(size=(20, 16)) as pilot:
        await open_menu_entry(pilot, app)
        assert isinstance(app.screen, StockCountAgenda)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("enter")  # MAIN
        await settle(pilot)
        assert isinstance(app.screen, RecordForm)
        await pilot.press(*"NOPE", "enter")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm) and "NOPE" in status_text(app)
        app.screen.query_one("#f-items").value = ""
        await pilot.press(*"PHONE-X", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CountScreen), status_text(app)
        assert str(screen.query_one("#totals").content) == "Exp 2 Cnt 0 Miss 2 Extra 0"  # TAB-9 not counted
    assert get_count(screen.number).items == ["PHONE-X"]


async def test_f1_on_a_count_is_titled_and_lists_each_key_once_and_f2_works_on_its_differences(sqlite_url):
    """The walk: F1 on the count was titled `Keys: CountScreen` and listed every key twice (a block of
    prose, then the bindings); on Missing/extra F1 said `Keys: DifferencesScreen` and F2 was refused."""
    from tui.lookup import LookupScreen

    app = app_on(sqlite_url)
    small_price_list()
    receive("PHONE-X", ["C-1"], operator="setup")
    async with app.run_test(size=(40, 16)) as pilot:
        await open_menu_entry(pilot, app)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CountScreen)
        await pilot.press("f1")
        await settle(pilot)
        keys = str(app.screen.query_one("#keys").content)
        assert str(app.screen.query(".screen-title").first().content) == "Keys: Stock count"
        assert keys.count("List what is missing and extra") == 1 and "f5: List what is missing and extra" in keys
        await pilot.press("escape", "f5")
        await settle(pilot)
        assert isinstance(app.screen, DifferencesScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert str(app.screen.query(".screen-title").first().content) == "Keys: Missing and extra"
        await pilot.press("escape", "f2")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)


async def test_a_refusal_in_a_burst_stays_through_the_extras_and_counts_after_it(sqlite_url):
    """A serial counted twice, then an extra, then good scans in one burst: the refusal went at once, the
    extra's news and then `counted` replacing it (the walk). It stays 3 s, as on the other scan screens."""
    app = app_on(sqlite_url)
    small_price_list()
    receive("PHONE-X", ["C-1", "C-2", "C-3"], operator="setup")
    receive("PHONE-X", ["IN-B"], warehouse="B", operator="setup")
    async with app.run_test(size=(20, 16)) as pilot:
        await open_menu_entry(pilot, app)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        await burst(pilot, scans(["C-1", "C-1", "IN-B", "C-2"]))
        await settle(pilot)
        assert "counted already" in status_text(app)
        assert str(screen.query_one("#totals").content) == "Exp 3 Cnt 3 Miss 1 Extra 1"


async def test_the_differences_list_says_when_it_holds_only_the_first_of_many(sqlite_url, monkeypatch):
    """F5 listed the first 300 missing serials and said `305 differences.` beside `Miss 1875` (the walk):
    it now says how many are missing and that only the first are listed."""
    monkeypatch.setattr(DifferencesScreen, "LIMIT", 3)
    app = app_on(sqlite_url)
    small_price_list()
    receive("PHONE-X", [f"M-{i}" for i in range(6)], operator="setup")
    n = open_count("MAIN", operator="setup").number
    async with app.run_test(size=(40, 16)) as pilot:
        await settle(pilot)
        app.push_screen(DifferencesScreen(n))
        await settle(pilot)
        assert len(app.screen.rows) == 3
        assert "6 missing, 0 extra: the first 3 of each listed" in status_text(app)


async def test_a_counted_quantity_is_typed_not_scanned_and_a_large_one_asks(sqlite_url):
    """F4 Qty took a scanner's burst `20250` as 20,250 counted (the walk); it is refused as in the line
    form, a quantity over the confirmation limit asks first, and the answer names the item and its total."""
    from tests.helpers import receive as receive_qty
    from tui.common import ConfirmScreen
    from tui.dialogs import RecordForm

    app = app_on(sqlite_url)
    small_price_list()
    receive_qty("CABLE", [], qty=10, operator="setup")
    n = open_count("MAIN", operator="setup").number
    async with app.run_test(size=(20, 16)) as pilot:
        await settle(pilot)
        app.push_screen(CountScreen(n))
        await settle(pilot)
        screen = app.screen
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm)
        await pilot.press(*"CABLE", "enter")
        await burst(pilot, list("20250") + ["enter"])
        await settle(pilot)
        assert isinstance(app.screen, RecordForm)
        assert "'20250' came as a scan: Counted (added) is typed" in status_text(app)
        await pilot.press(*"5000", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "5000 counted of CABLE" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm)
        app.screen.query_one("#f-quantity").value = ""
        await pilot.press(*"8", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert "CABLE: 8 counted, 8 in all (expected 10)." in status_text(app)
