"""Pieces every screen uses: store calls in thread workers, a status line, confirm and help dialogs."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from store.db import db
from store.errors import Refusal


def call_store(node, fn: Callable, *args, done: Callable[[Any], None] | None = None,
               failed: Callable[[Exception], None] | None = None, group: str = "db",
               exclusive: bool = False, **kwargs):
    """Run a store function in a thread worker (its own connection) and hand the result back on the
    event loop: ``done(result)``, or ``failed(error)`` for a Refusal or a database error."""

    def job():
        try:
            with db.connection_context():
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
    if isinstance(exc, Refusal):
        return str(exc)
    return f"Database error: {exc}"


class Plain(Static):
    """Text shown as it is: item names and serials are data, not markup."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(*args, **kwargs)


class StatusLine(Plain):
    """One line for the last message: never a dialog between scans. Refusals are marked with '!'
    (not by colour alone) and ring the bell."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 4; width: 1fr; padding: 0 1; }
    StatusLine.-error { background: $error 30%; text-style: bold; }
    StatusLine.-ok { background: $success 20%; }
    """

    def say(self, text: str, *, error: bool = False, bell: bool = True) -> None:
        self.set_class(error, "-error")
        self.set_class(not error and bool(text), "-ok")
        self.update(("! " + text) if error else text)
        if error and bell:
            self.app.bell()


class ConfirmScreen(ModalScreen[bool]):
    """A question answered by y / n (Enter = yes, Esc = no)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 90%; max-width: 60; height: auto; border: thick $warning; padding: 0 1;
                               background: $surface; }
    ConfirmScreen .keys { color: $text-muted; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.question, id="question")
            yield Plain("y/Enter: yes   n/Esc: no", classes="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    """F1: the keys of the screen underneath, as they are bound now."""

    BINDINGS = [Binding("escape,f1,q,enter", "dismiss_help", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 95%; max-width: 70; height: 90%; border: thick $primary; background: $surface; }
    HelpScreen DataTable { height: 1fr; }
    """

    def __init__(self, title: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"Keys: {self.title_text}   (Esc closes)")
            table = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Action")
            for key, desc in self.keys:
                table.add_row(*plain(key, desc))
            yield table

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
