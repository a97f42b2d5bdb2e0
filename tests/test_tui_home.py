"""The app starts on a real database and shows its summary."""

from textual.widgets import Static

from store.demo import fill
from tui.app import SerialStockApp


async def test_home_shows_the_database_summary(sqlite_url):
    from store import db as dbm

    dbm.connect(sqlite_url)
    fill()
    app = SerialStockApp(operator="alice")
    async with app.run_test(size=(40, 16)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.query_one("#summary", Static).content)
        assert "Items: 9 (5 tracked)" in text
        assert "Serials in stock:" in text
        await pilot.press("ctrl+q")
