"""The app starts on a real database: the menu of agendas with a summary, and a first-run demo offer."""

from store import db as dbm
from store.demo import fill
from store.models import Item
from tests.tui_helpers import settle
from tui.app import MenuScreen, SerialStockApp
from tui.common import ConfirmScreen


async def test_menu_shows_agendas_and_summary(sqlite_url):
    dbm.connect(sqlite_url)
    fill()
    app = SerialStockApp(operator="alice")
    async with app.run_test(size=(40, 16)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)
        summary = str(app.screen.query_one("#summary").content)
        assert "serials in stock" in summary and "9 items" in summary
        await pilot.press("1")
        await settle(pilot)  # a digit opens its agenda once no scan follows it (KeyGuard)
        assert app.screen.TITLE == "Serial Numbers"


async def test_first_run_offers_demo_data(sqlite_url):
    dbm.connect(sqlite_url)
    app = SerialStockApp(operator="alice")
    async with app.run_test(size=(40, 16)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert Item.select().count() == 9


async def test_app_opens_its_database_once_the_menu_is_up(tmp_path):
    """As `serialstock` starts it: the app gets the URL and opens (and upgrades) the database itself
    after the first paint; a key pressed before that still opens the agenda with its rows."""
    import shutil
    from pathlib import Path

    import tui.app

    class SlowToOpen(SerialStockApp):
        OPEN_DATABASE_AFTER = 0.4  # the agenda asks for its rows before the database is open
        CSS_PATH = str(Path(tui.app.__file__).with_name(SerialStockApp.CSS_PATH))  # relative to tui/, not tests/

    path = tmp_path / "old.sqlite"
    shutil.copy(Path(__file__).parent / "fixtures" / "schema_v1.sqlite", path)
    dbm.db.initialize(None)  # nothing opened by the test itself
    app = SlowToOpen(operator="alice", offer_demo=False, url=f"sqlite:///{path}")
    async with app.run_test(size=(40, 16)) as pilot:
        assert isinstance(app.screen, MenuScreen)
        await pilot.press("1")
        for _ in range(10):
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
        assert app.database_error is None
        assert app.screen.TITLE == "Serial Numbers"
        table = app.screen.table
        assert "V1-001" in {str(table.get_row_at(i)[0]) for i in range(table.row_count)}


async def test_app_exits_saying_why_when_its_database_cannot_be_opened(tmp_path):
    path = tmp_path / "newer.sqlite"
    dbm.connect(f"sqlite:///{path}").execute_sql("UPDATE setting SET value = '99' WHERE key = 'schema_version'")
    dbm.db.close()
    app = SerialStockApp(operator="alice", offer_demo=False, url=f"sqlite:///{path}")
    async with app.run_test(size=(40, 16)) as pilot:
        for _ in range(5):
            await pilot.pause(0.1)
    assert "newer than this serialstock" in str(app.database_error)
    assert app.return_code == 2


async def test_the_menu_title_keeps_its_mode_on_a_handheld_and_f1_names_the_menu(sqlite_url):
    """At 20 columns the title lost `(single-user mode: everything allowed)` (cut after 2 rows), and F1
    at the menu was titled `Keys: <bound method MenuScreen.title_text ...>`."""
    from tests.tui_helpers import settle

    dbm.connect(sqlite_url)
    app = SerialStockApp(operator="alice", offer_demo=False)
    async with app.run_test(size=(20, 16)) as pilot:
        await settle(pilot)
        title = str(app.screen.query_one("#title").content)
        assert title == "alice (single-user)"
        assert app.screen.query_one("#title").size.height <= 2  # not cut: a title shows 2 rows at most
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert str(app.screen.query_one("#title").content) == "serialstock  alice  (single-user mode: everything allowed)"
        await pilot.press("f1")
        await settle(pilot)
        assert str(app.screen.query(".screen-title").first().content) == "Keys: Menu"


async def test_f1_on_an_agenda_and_a_document_says_how_their_lists_and_scan_field_work(sqlite_url):
    """F1 listed only the F-keys: nothing about typing to search, Enter on a row or the scan field."""
    from tests.tui_helpers import settle

    dbm.connect(sqlite_url)
    app = SerialStockApp(operator="alice", offer_demo=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")  # the Price List
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        keys = str(app.screen.query_one("#keys").content)
        assert "Type: Search" in keys and "Enter: Open the highlighted row" in keys
        assert "ctrl+Home/ctrl+End: First / last of the whole list" in keys
        await pilot.press("escape")
        await settle(pilot)
        app.new_document("receipt")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        keys = str(app.screen.query_one("#keys").content)
        assert "Scan/type + Enter: An item's EAN or code: the line form" in keys
