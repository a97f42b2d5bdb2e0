"""Snapshots of the main screens at 40x16 and 80x24 (pytest --snapshot-update records them)."""

from __future__ import annotations

import datetime as dt

import pytest

from store import catalog
from store import db as dbm
from store.documents import DocumentIn, LineIn, save_document
from tests.tui_helpers import scan, settle
from tui.app import SerialStockApp

DAY = dt.date(2026, 3, 2)
MOMENT = dt.datetime(2026, 3, 2, 9, 30)
SIZES = [(40, 16), (80, 24)]
FLOOR = [(20, 16), (40, 8)]  # handheld scanners: the floor flows must work there too


@pytest.fixture
def app(tmp_path, monkeypatch):
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)  # no blinking: pictures are stable
    monkeypatch.setattr("store.documents.utcnow", lambda: MOMENT)
    monkeypatch.setattr("store.models.utcnow", lambda: MOMENT)
    dbm.connect(f"sqlite:///{tmp_path / 'snap.db'}")
    catalog.create_item("PHONE-X", "Phone X 128 GB", tracked=True, price="349", ean="8594000000013")
    catalog.create_item("CABLE", "USB-C cable 1 m", price="9.90")
    catalog.create_warehouse("SHOP", "Shop floor")
    catalog.create_partner("ACME", "Acme Electronics Ltd.")
    codes = [f"PX{i:06d}" for i in range(1, 13)]
    save_document(DocumentIn("receipt", [LineIn("PHONE-X", 12, None, codes), LineIn("CABLE", 40)], partner="ACME",
                             date=DAY, note="Weekly delivery"), operator="alice")
    save_document(DocumentIn("issue", [LineIn("PHONE-X", 2, None, codes[:2])], partner="ACME", date=DAY),
                  operator="bob")
    return SerialStockApp(operator="alice", offer_demo=False)


async def _open(pilot, *keys):
    """A menu digit, then any further keys once its agenda is open (keys closer together than a
    person types are taken for a scanner's burst by the menu)."""
    await settle(pilot)
    if keys:
        await pilot.press(keys[0])
        await pilot.pause(0.15)
        await _steady(pilot)
        await pilot.press(*keys[1:])
    await _steady(pilot)


async def _steady(pilot):
    """Workers done, then a moment for the tables to measure their new rows and repaint."""
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_menu(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: _open(pilot))


@pytest.mark.parametrize("size", SIZES)
def test_goods_agenda(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: _open(pilot, "2"))


@pytest.mark.parametrize("size", SIZES)
def test_serial_agenda(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: _open(pilot, "1"))


@pytest.mark.parametrize("size", SIZES + FLOOR)
def test_document(snap_compare, app, size):
    async def run(pilot):
        await _open(pilot, "2", "down", "enter")  # the receipt (the list is newest first)

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES + FLOOR)
def test_serial_entry(snap_compare, app, size):
    async def run(pilot):
        await settle(pilot)
        pilot.app.new_document("receipt")
        await settle(pilot)
        await pilot.press("f4", *"PHONE-X", "enter")
        await settle(pilot)
        pilot.app.screen.query_one("#qty").value = "5"
        await pilot.press("enter")
        await settle(pilot)
        for code in ("NEW-1", "NEW-2", "PX000005"):
            await scan(pilot, code)
        await _steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES + FLOOR)
def test_picker(snap_compare, app, size):
    async def run(pilot):
        await settle(pilot)
        pilot.app.new_document("issue")
        await settle(pilot)
        await pilot.press("f4", *"PHONE-X", "enter")
        await settle(pilot)
        pilot.app.screen.query_one("#qty").value = "3"
        await pilot.press("enter")
        await settle(pilot)
        await scan(pilot, "PX000004")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_item_detail(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: _open(pilot, "6", "down", "enter"))


@pytest.mark.parametrize("size", FLOOR + [(40, 16)])
def test_lookup(snap_compare, app, size):
    async def run(pilot):
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await scan(pilot, "PX000001")
        await _steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run)
