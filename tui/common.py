"""Pieces every screen uses: store calls in thread workers and what a failure says, the dialogs for
refusals (ctrl+l), questions and help, and the formatting of quantities, prices, days and table cells.
The widgets several screens share are in tui.widgets."""

from __future__ import annotations

import contextlib
from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable

from .widgets import FitLabel, Plain


@contextlib.contextmanager
def store_connection(app):
    """A database connection for the calling thread worker, once the app has its database: the app
    opens it after the first screen is painted (SerialStockApp.url), so a call made before waits. The
    store acts for the app's user meanwhile (store.rights)."""
    wait = getattr(app, "wait_for_database", None)
    if wait is not None:
        wait()
    from store.db import db
    from store.rights import acting

    with db.connection_context(), acting(getattr(app, "acting", None)):  # the store refuses what the role may not
        yield


def call_store(node, fn: Callable, *args, done: Callable[[Any], None] | None = None,
               failed: Callable[[Exception], None] | None = None, group: str = "db",
               exclusive: bool = False, name: str | None = None, **kwargs):
    """Run a store function in a thread worker (its own connection) and hand the result back on the
    event loop: ``done(result)``, or ``failed(error)`` for a Refusal or a database error. The worker
    is called ``name``, by default the function's own name (give one for a lambda); a store function's
    own ``name`` argument is therefore passed by position."""

    app = node.app

    def job():
        try:
            with store_connection(app):
                result = fn(*args, **kwargs)
        except Exception as exc:  # shown to the operator; nothing was saved
            if kind_of(exc) == "internal":
                log_error(exc)  # here, in the thread, with its whole traceback
            if failed is not None:
                app.call_from_thread(_deliver, node, failed, exc)
            else:
                app.call_from_thread(app.notify, describe(exc), severity="error", timeout=8)
            return
        if done is not None:
            app.call_from_thread(_deliver, node, done, result)

    if name is None:
        name = getattr(fn, "__name__", "") or repr(fn)
    return node.run_worker(job, name=name, thread=True, group=group, exclusive=exclusive)


def _gone(node) -> bool:
    """True when the screen that asked is no longer on the app's screen stack (dismissed while its
    worker ran): its widgets are being removed, so a query on it would fail."""
    from textual.screen import Screen

    app = node.app
    if node is app:
        return False
    if not node.is_attached:
        return True
    try:
        screen = node if isinstance(node, Screen) else node.screen
    except Exception:
        return True
    return screen not in app.screen_stack


def _deliver(node, callback: Callable[[Any], None], value) -> None:
    """Hand a worker's result to its callback on the event loop. When the asking screen was closed
    meanwhile, the callback still runs (it may tell the app something), but a missing widget of the
    closed screen is no error: nobody is looking at it."""
    from textual.css.query import NoMatches

    if not _gone(node):
        callback(value)
        return
    try:
        callback(value)
    except NoMatches:
        pass


def kind_of(exc: BaseException) -> str:
    """"refusal" (the store said no, and why), "database" (the database cannot be reached or used
    now: nothing changed, the screen keeps what it shows) or "internal" (a fault of the program)."""
    import peewee

    from store.errors import DatabaseError, Refusal

    if isinstance(exc, Refusal):
        return "refusal"
    if isinstance(exc, (DatabaseError, peewee.OperationalError, peewee.InterfaceError, ConnectionError,
                        TimeoutError)):
        return "database"
    return "internal"


def log_path():
    """Where internal errors are written: $XDG_STATE_HOME/serialstock/serialstock.log (default
    ~/.local/state/serialstock/serialstock.log)."""
    import os
    from pathlib import Path

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "serialstock" / "serialstock.log"


def log_error(exc: BaseException) -> str:
    """Append the error and its traceback to the log file once; returns the file's path (or why not)."""
    import datetime as dt
    import traceback

    path = log_path()
    if getattr(exc, "_serialstock_logged", None):
        return exc._serialstock_logged
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"--- {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
            f.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        where = str(path)
    except OSError as err:
        where = f"not logged: {err.strerror or err}"
    try:
        exc._serialstock_logged = where
    except AttributeError:
        pass
    return where


def describe(exc: Exception) -> str:
    """The sentence for the status line: a refusal as the store said it; a database that cannot be
    reached says so; anything else is an internal error, written with its traceback to the log file."""
    kind = kind_of(exc)
    if kind == "refusal":
        return str(exc)
    if kind == "database":
        return f"Database unreachable, nothing changed: {exc}. Try again (F5) once it is back."
    where = log_error(exc)
    return f"Internal error ({type(exc).__name__}: {exc}); details in {where}"


def said_line() -> Plain:
    """The line of a dialog (a question, a choice, F1, ctrl+l) where a key or scan it cannot use is said,
    in its own frame, hidden until then: a notification would cover the dialog on a 40x8 handheld."""
    return Plain("", id="said", classes="said")


def say_on_dialog(screen, message: str) -> bool:
    """Say ``message`` on the screen's said_line, brought into view; False if it has none."""
    found = screen.query("#said.said")
    if not found:
        return False
    said = found.first()
    said.update(f"! {message}")
    said.display = True
    said.scroll_visible(animate=False)
    return True


class MessagesScreen(ModalScreen[None]):
    """ctrl+l: the refusals said on the screen underneath, newest first, wrapped to be read whole at
    any width, scrolled by keys."""

    BINDINGS = [Binding("escape,ctrl+l", "close", "Close", id="messages.close"),
                Binding("ctrl+w", "write", "Write to a file", id="messages.write")]
    DEFAULT_CSS = """
    MessagesScreen { align: center middle; }
    MessagesScreen > VerticalScroll { width: 100%; max-width: 80; height: 100%; border: round $warning;
                                      background: $surface; padding: 0 1; }
    MessagesScreen .keys { color: $text-muted; }
    """

    EARLIER = 50  # refusals of other screens shown below this screen's own

    def __init__(self, title: str, messages: list[str], earlier: list[str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.messages = list(reversed(messages))
        self.earlier = list(reversed(earlier or []))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="messages"):
            n = len(self.messages)  # the count stays in view however narrow: the screen's name gives way
            yield FitLabel(f"Refused on {self.title_text}: {n}", f"Refused here: {n}", f"Refused: {n}",
                           classes="screen-title")
            yield said_line()
            yield Plain("\n".join(f"! {m}" for m in self.messages) or "Nothing was refused here.", id="list")
            if self.earlier:
                yield Plain("Earlier, on other screens:", classes="keys")
                yield Plain("\n".join(f"! {m}" for m in self.earlier), id="earlier")
            yield Plain("Up/Down/PgUp/PgDn scroll, Esc closes", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#messages").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A question answered by y or n (Esc = no). Not by Enter, and not by a scan: a key is taken as
    the answer only once no other key follows it within a scanner's pace, so a scanned code holding a
    y or an n answers nothing; the app rings the bell and names the scan instead (key_not_used)."""

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
    KEYS_TEXT = "y: yes   n/Esc: no"
    TITLE = "Question"  # F1's and ctrl+l's name for it

    def __init__(self, question: str, keys_text: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.keys_text = keys_text or self.KEYS_TEXT
        from .keys import KeyGuard

        self._guard = KeyGuard()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.question, id="question")
            yield said_line()
            yield Plain(self.keys_text, classes="keys")

    def on_key(self, event) -> None:
        # runs before the bindings are looked up (they are checked once the key has bubbled up)
        if event.key == "escape":
            return  # Esc comes alone (the terminal has already told it from a sequence)
        binding = self.active_bindings.get(event.key)
        action = None
        if binding is not None and binding.node is self:
            action = lambda: self.run_action(binding.binding.action)  # noqa: E731
        self._guard.key(self, event, action)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    """F1: the keys of the screen underneath, as they are bound now."""

    # not q: a scan starting with q would close it and lose the rest
    BINDINGS = [Binding("escape,f1", "dismiss_help", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 95%; max-width: 70; height: 90%; border: thick $primary; background: $surface;
                                  padding: 0 1; }
    """

    def __init__(self, title: str, keys: list[tuple[str, str]], common: list[tuple[str, str]] | None = None) -> None:
        """``common``: the app's own keys as bound now (the app's help passes them, remapped or not)."""
        super().__init__()
        self.title_text = title
        self.keys = keys
        self.common = common

    def compose(self) -> ComposeResult:
        common = self.common if self.common is not None else [
            ("F2", "Lookup a serial, item or EAN"), ("F9", "Back to the menu"),
            ("ctrl+l", "The refusals said here (and earlier), whole"),
            ("ctrl+p", "Command palette: every agenda and action"), ("ctrl+q", "Quit")]
        lines = [f"{key}: {desc}" for key, desc in self.keys + common]
        with VerticalScroll():
            yield Plain(f"Keys: {self.title_text}", classes="screen-title")
            yield said_line()
            yield Plain("\n".join(lines), id="keys")
            yield Plain("Esc closes", classes="keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

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
