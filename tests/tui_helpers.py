"""Driving the real app with Pilot on a real database."""

from __future__ import annotations

from store import catalog
from store import db as dbm
from tui.app import SerialStockApp


def app_on(url: str, **kw) -> SerialStockApp:
    dbm.connect(url)
    return SerialStockApp(operator="alice", offer_demo=False, **kw)


def small_price_list() -> None:
    catalog.create_item("PHONE-X", "Phone X", tracked=True, price="199.90", ean="8594000000013")
    catalog.create_item("CABLE", "USB cable", price="4.50")
    catalog.create_warehouse("B", "Second warehouse")
    catalog.create_partner("ACME", "Acme Ltd.")


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and the screen catch up, and a key a KeyGuard holds back (a menu digit, y/n)
    act: it waits TYPED_PAUSE to see that no scan follows it."""
    from tui.keys import TYPED_PAUSE

    for _ in range(rounds):
        await pilot.pause()
        if any(getattr(getattr(s, "_guard", None), "pending", None) is not None for s in pilot.app.screen_stack):
            await pilot.pause(TYPED_PAUSE + 0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, condition, timeout: float = 5.0) -> bool:
    """Settle until condition() holds or timeout seconds pass; returns condition() (a work chain of
    several workers, each started by the last one's end, may need more rounds than settle gives)."""
    import time

    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        await settle(pilot, 1)
        await pilot.pause(0.02)
    return condition()


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def scan(pilot, code: str, end: str = "enter") -> None:
    await pilot.press(*code, end)


def status_text(app) -> str:
    """The status line's last message whole (on screen it may be cut, ending in '…'; ctrl+l reads it)."""
    status = app.screen.query_one("#status")
    return getattr(status, "message", None) or str(status.content)


def _key_event(key: str):
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def burst(pilot, keys, wait: bool = True) -> None:
    """Keys as a scanner sends them: all at once through the terminal driver, nothing awaited between
    them (Pilot.press waits for the app to go idle after every key); then, unless ``wait`` is False,
    settle (the workers the keys started finish)."""
    app = pilot.app
    for key in keys:
        event = _key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
    if wait:
        await settle(pilot)


def scans(codes, ends=("enter", "tab")) -> list[str]:
    """The keys of scanning each code, ending alternately with Enter and Tab."""
    keys = []
    for i, code in enumerate(codes):
        keys += [*code, ends[i % len(ends)]]
    return keys


async def new_line(pilot, kind: str, item: str, qty: int):
    """A new document of ``kind`` with one line of ``item`` x ``qty``; returns the serial form that opens."""
    await settle(pilot)
    pilot.app.new_document(kind)
    await settle(pilot)
    await pilot.press("f4", *item, "enter")
    await settle(pilot)
    pilot.app.screen.query_one("#qty").value = str(qty)
    await pilot.press("enter")
    await settle(pilot)
    return pilot.app.screen
