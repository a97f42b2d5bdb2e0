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
