"""Errors of workers: a refusal goes to the status line, an unreachable database says so and keeps the
screen, anything else is logged with its traceback and shown as an internal error; nothing swallowed."""

from __future__ import annotations

import peewee

from store.errors import InvalidInput
from tests.tui_helpers import app_on, settle, small_price_list, status_text, until
from tui.agendas import PartnerAgenda
from tui.common import log_path


async def test_drafts_unreadable_at_start_is_said(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    import store.drafts

    def broken(operator):
        raise KeyError("draft payload")

    monkeypatch.setattr(store.drafts, "drafts_of", broken)
    app = app_on(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "drafts could not be read" in said and "Internal error" in said
        assert str(log_path()) in said
    text = log_path().read_text()
    assert "Traceback" in text and "draft payload" in text and "def broken" not in text and "in broken" in text


async def test_agenda_errors_by_kind(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    app = app_on(sqlite_url)
    small_price_list()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        agenda = app.screen
        assert isinstance(agenda, PartnerAgenda) and [r.code for r in agenda.rows] == ["ACME"]
        errors = iter([InvalidInput("That search is refused."), peewee.OperationalError("unable to open database"),
                       ZeroDivisionError("a bug")])

        def failing(self, search, after_row, limit, descending=False):
            raise next(errors)

        monkeypatch.setattr(PartnerAgenda, "fetch", failing)
        await pilot.press("f5")
        await settle(pilot)
        assert status_text(app) == "! That search is refused."
        await pilot.press("f5")
        await settle(pilot)
        assert "Database unreachable, nothing changed: unable to open database" in status_text(app)
        assert [r.code for r in agenda.rows] == ["ACME"]  # the screen keeps what it showed
        await pilot.press("f5")
        await settle(pilot)
        assert "Internal error (ZeroDivisionError: a bug); details in " in status_text(app)
        assert str(log_path()) in status_text(app)
    text = log_path().read_text()
    assert "ZeroDivisionError: a bug" in text and "in failing" in text
    assert "unable to open database" not in text and "refused" not in text


async def test_a_result_that_comes_back_after_its_screen_closed_is_no_crash(sqlite_url):
    """CI saw it in the picker: a list read still running when F10 closed the screen came back and
    queried a table that was no longer there, and the app ended with a traceback."""
    import threading

    from textual.screen import Screen
    from textual.widgets import Static

    from tui.common import call_store

    class Slow(Screen):
        def compose(self):
            yield Static("", id="shown")

    gate = threading.Event()
    told = []

    def done(result):
        told.append(result)
        slow.query_one("#shown", Static).update(result)

    app = app_on(sqlite_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        slow = Slow()
        await app.push_screen(slow)
        await pilot.pause()
        call_store(slow, lambda: gate.wait(5) and "late", done=done)
        app.pop_screen()
        await pilot.pause()
        await pilot.pause()
        gate.set()
        await until(pilot, lambda: told == ["late"])  # the thread's answer reaches the loop (slow under load)
        assert told == ["late"]  # the callback ran
        assert app.is_running and app._exception is None
