"""Driving the real app with Pilot on a real database."""

from __future__ import annotations

from store import catalog
from store import db as dbm
from tui.app import SerialStockApp


def app_on(url: str, **kw) -> SerialStockApp:
    dbm.connect(url)
    return SerialStockApp(operator="alice", offer_demo=False, **kw)


def small_price_list() -> None:
    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90", ean="8594000000011")
    catalog.create_item("CABLE", "USB cable", price="4.50")
    catalog.create_warehouse("B", "Second warehouse")
    catalog.create_partner("ACME", "Acme Ltd.")


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and the screen catch up."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def scan(pilot, code: str, end: str = "enter") -> None:
    await pilot.press(*code, end)


def status_text(app) -> str:
    return str(app.screen.query_one("#status").content)
