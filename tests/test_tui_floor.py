"""On the floor: quick lookup, scanning at speed, two operators on one database."""

from __future__ import annotations

from store.documents import DocumentIn, LineIn, save_document
from tests.tui_helpers import app_on, burst, scans, settle, small_price_list, status_text
from tui.lookup import LookupScreen


async def test_lookup_from_anywhere_scan_after_scan(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    gr = save_document(DocumentIn("receipt", [LineIn("PHONE-X", 2, None, ["LK-1", "LK-2"])]), operator="setup")
    gi = save_document(DocumentIn("issue", [LineIn("PHONE-X", 1, None, ["LK-2"])]), operator="setup")
    async with app.run_test(size=(20, 16)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # from an agenda
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LookupScreen)
        await burst(pilot, scans(["LK-2"]))
        answer = str(screen.query_one("#answer").content)
        assert "ISSUED from MAIN" in answer and gi.number in answer and gr.number in answer
        await burst(pilot, scans(["8594000000011"]))  # the next scan, no other key: the EAN
        answer = str(screen.query_one("#answer").content)
        assert "Item PHONE-X" in answer and "MAIN: 1 pcs" in answer
        await burst(pilot, scans(["NOPE"]))
        assert "NOPE: no serial, item or EAN has this code" in status_text(app)
        assert app.focused is screen.query_one("#scan")


async def test_lookup_subcommand_opens_on_the_lookup(sqlite_url):
    from store import db as dbm
    from tui.app import SerialStockApp

    dbm.connect(sqlite_url)
    app = SerialStockApp(operator="alice", offer_demo=False, start="lookup")
    async with app.run_test(size=(20, 16)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "MenuScreen"


async def test_two_hundred_scans_as_fast_as_keys_go(sqlite_url):
    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(20, 16)) as pilot:
        await settle(pilot)
        app.new_document("receipt")
        await settle(pilot)
        await pilot.press("a", *"PHONE-X", "enter")
        await settle(pilot)
        app.screen.query_one("#qty").value = "200"
        await pilot.press("enter")
        await settle(pilot)
        entry = app.screen
        codes = [f"FAST{i:05d}" for i in range(200)]
        await burst(pilot, scans(codes))
        assert entry.serials == codes
        assert str(entry.query_one("#count").content) == "200/200 complete"
        await pilot.press("f10", "ctrl+s")
        await settle(pilot)
        assert status_text(app).startswith("Saved GR-")
