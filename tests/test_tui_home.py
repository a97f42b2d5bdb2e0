"""The app starts on a real database: the menu of agendas with a summary, and a first-run demo offer."""

from store import db as dbm
from store.demo import fill
from store.models import Item
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
        await pilot.pause()
        assert app.screen.TITLE == "Serial Numbers"


async def test_first_run_offers_demo_data(sqlite_url):
    dbm.connect(sqlite_url)
    app = SerialStockApp(operator="alice")
    async with app.run_test(size=(40, 16)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
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
        table = app.screen.query_one("DataTable")
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
