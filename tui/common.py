"""Pieces every screen uses: store calls in thread workers, a status line, confirm and help dialogs."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static



@contextlib.contextmanager
def store_connection(app):
    """A database connection for the calling thread worker, once the app has its database: the app
    opens it after the first screen is painted (SerialStockApp.url), so a call made before waits."""
    wait = getattr(app, "wait_for_database", None)
    if wait is not None:
        wait()
    from store.db import db

    with db.connection_context():
        yield


def call_store(node, fn: Callable, *args, done: Callable[[Any], None] | None = None,
               failed: Callable[[Exception], None] | None = None, group: str = "db",
               exclusive: bool = False, **kwargs):
    """Run a store function in a thread worker (its own connection) and hand the result back on the
    event loop: ``done(result)``, or ``failed(error)`` for a Refusal or a database error."""

    def job():
        try:
            with store_connection(node.app):
                result = fn(*args, **kwargs)
        except Exception as exc:  # shown to the operator; nothing was saved
            if failed is not None:
                node.app.call_from_thread(failed, exc)
            else:
                node.app.call_from_thread(node.app.notify, describe(exc), severity="error", timeout=8)
            return
        if done is not None:
            node.app.call_from_thread(done, result)

    return node.run_worker(job, thread=True, group=group, exclusive=exclusive)


def describe(exc: Exception) -> str:
    from store.errors import Refusal

    if isinstance(exc, Refusal):
        return str(exc)
    return f"Database error: {exc}"


class KeyFooter(Footer):
    """The keys of the screen, compact: a 20-column handheld shows two or three. The command palette
    (ctrl+p) is listed in F1 help instead of taking a footer slot."""

    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)


class Plain(Static):
    """Text shown as it is: item names and serials are data, not markup."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(*args, **kwargs)


class StatusLine(Plain):
    """One line for the last message: never a dialog between scans. Refusals are marked with '!'
    (not by colour alone) and ring the bell. A refusal stays for a moment even if a good scan follows
    at once, so that a burst of scans cannot wipe it before it is read; refusals in a row are counted."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 6; width: 1fr; padding: 0 1; }
    StatusLine.-error { background: $error 30%; text-style: bold; }
    StatusLine.-ok { background: $success 20%; }
    """
    HOLD_SECONDS = 3.0

    _error_at = 0.0
    _errors = 0

    def say(self, text: str, *, error: bool = False, bell: bool = True, minor: bool = False) -> None:
        """``minor``: routine news (a serial added) that must not wipe a refusal shown a moment ago."""
        now = time.monotonic()
        held = now - self._error_at < self.HOLD_SECONDS
        if minor and not error and held:
            return  # keep the refusal on screen; the good news is in the count
        if error:
            self._errors = self._errors + 1 if held and bell else 1
            self._error_at = now
            shown = f"! {text}" if self._errors == 1 else f"! ({self._errors} refused) {text}"
        else:
            self._errors = 0
            self._error_at = 0.0
            shown = text
        self.set_class(error, "-error")
        self.set_class(not error and bool(text), "-ok")
        self.update(shown)
        if error and bell:
            self.app.bell()


class ConfirmScreen(ModalScreen[bool]):
    """A question answered by y or n (Esc = no). Not by Enter, and not by a key that comes in a burst:
    a scanner's burst must never answer a question."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 90%; max-width: 60; height: auto; max-height: 100%; border: thick $warning;
                               padding: 0 1; background: $surface; }
    ConfirmScreen .keys { color: $text-muted; }
    """
    BURST_SECONDS = 0.05  # a scanner types faster than this; a person does not

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self._last_key = 0.0
        self._in_burst = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.question, id="question")
            yield Plain("y: yes   n/Esc: no", classes="keys")

    def on_key(self, event) -> None:
        # runs before the bindings are looked up (they are checked once the key has bubbled up)
        now = time.monotonic()
        self._in_burst = now - self._last_key < self.BURST_SECONDS
        self._last_key = now

    def action_answer(self, yes: bool) -> None:
        if yes and self._in_burst:
            return
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    """F1: the keys of the screen underneath, as they are bound now."""

    BINDINGS = [Binding("escape,f1,q", "dismiss_help", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 95%; max-width: 70; height: 90%; border: thick $primary; background: $surface;
                                  padding: 0 1; }
    """

    def __init__(self, title: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        common = [("F2", "Lookup a serial, item or EAN"), ("F9", "Back to the menu"),
                  ("ctrl+p", "Command palette: every agenda and action"), ("ctrl+q", "Quit")]
        lines = [f"{key}: {desc}" for key, desc in self.keys + common]
        with VerticalScroll():
            yield Plain(f"Keys: {self.title_text}", classes="screen-title")
            yield Plain("\n".join(lines), id="keys")
            yield Plain("Esc closes", classes="keys")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def fmt_qty(q) -> str:
    text = format(q, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_money(p) -> str:
    return f"{p:.2f}"


def fmt_day(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def plain(*cells) -> list:
    """Cells shown as they are: a serial like [x]1 must not be taken for markup."""
    return [c if isinstance(c, Text) else Text(str(c)) for c in cells]


def fit_columns(table: DataTable, rows: list[list], *, cap: int = 40) -> None:
    """Size every column to its widest cell now, at once. DataTable measures new rows only when it
    next goes idle, and a table refilled under load could be painted with header-wide columns."""
    for index, column in enumerate(table.ordered_columns):
        widest = max([len(str(column.label))] + [len(str(r[index])) for r in rows if index < len(r)])
        column.width = min(widest, cap)
        column.auto_width = False
    table.refresh()
