"""The agenda screen: a list over every record, with search, open, create and delete.

The list (tui.paged_list.PagedList) holds a window of rows around the cursor, read a page at a time
in either direction; ctrl+Home / ctrl+End reach the first and last record of the whole result, and
the header row says where the cursor is (`1,234 of 1,000,000`). Every few seconds the rows held are
read again, so that what other operators saved shows up, and the cursor stays on the same record.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from . import keys
from .common import ConfirmScreen, call_store, describe
from .paged_list import PagedList
from .widgets import KeyedInput, KeyFooter, Plain, StatusLine


class _Source:
    """The agenda's rows as filtered when the list was (re)read: the search is fixed here, so a read
    still on its way when the search changes cannot mix two searches."""

    def __init__(self, agenda: "Agenda", search: str) -> None:
        self.agenda, self.search = agenda, search

    def fetch(self, after_row, limit, descending):
        return self.agenda.fetch(self.search, after_row, limit, descending)

    def count(self):
        return self.agenda.count(self.search)

    def key(self, row):
        return self.agenda.key(row)

    def cells(self, row):
        return self.agenda.cells(row)


class Agenda(Screen):
    """Subclasses set TITLE and COLUMNS and implement fetch / key / cells (and open / new / delete)."""

    TITLE = "Agenda"
    EXPORT: str | None = None  # the store.excel agenda written by ctrl+o
    COLUMNS: list[tuple[str, int | None]] = []  # (label, width or None for auto)
    REFRESH_SECONDS = 5.0
    CAN_CREATE = True
    CAN_DELETE = True
    # F1 lists these before the keys of the bindings (an agenda adds its own in AGENDA_HELP)
    LIST_HELP = [("Type", "Search: the keys go into the field at the top"), ("Enter", "Open the highlighted row"),
                 ("Up/Down, PgUp/PgDn", "Move in the list"), ("ctrl+Home/ctrl+End", "First / last of the whole list")]
    AGENDA_HELP: list[tuple[str, str]] = []

    @property
    def HELP_EXTRA(self) -> list[tuple[str, str]]:  # noqa: N802 (the name every screen's help uses)
        return self.LIST_HELP + self.AGENDA_HELP

    # Keys a scanner cannot type by accident: F-keys, Insert/Delete. Any other key typed on the list
    # goes into the search field (type to search).
    BINDINGS = [
        Binding("f3", "search", "Search", id="agenda.search"),
        Binding("f4,insert", "new", "New", id="agenda.new"),
        Binding("f8,delete", "delete", "Delete", id="agenda.delete"),
        Binding("f5", "reload", "Refresh", id="agenda.refresh"),
        Binding("ctrl+o", "export", "Export .xlsx", id="agenda.export"),
        Binding("escape", "back", "Back", id="agenda.back"),
        Binding("down", "focus_list", "List", show=False, id="agenda.list"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._refresh_after = False  # a refresh was asked for while a read was on its way
        self._search_timer = None
        self._said_empty = False

    # --- to implement -------------------------------------------------------------------------
    def fetch(self, search: str, after_row: Any | None, limit: int, descending: bool = False) -> list[Any]:
        """Runs in a thread: rows after ``after_row`` (None: from the start); with ``descending``
        the rows before it, nearest first (None: from the end)."""
        raise NotImplementedError

    def count(self, search: str) -> int:
        """Runs in a thread: how many rows the search finds (an estimate will do)."""
        raise NotImplementedError

    def key(self, row: Any) -> str:
        raise NotImplementedError

    def cells(self, row: Any) -> tuple:
        raise NotImplementedError

    def open_row(self, row: Any) -> None:
        pass

    def new_record(self) -> None:
        self.status.say("New records are not made here.", error=True, bell=False)

    def delete_row(self, row: Any) -> tuple[str, Any] | None:
        """(question, store function taking no arguments) or None when it cannot be deleted."""
        return None

    def empty_text(self) -> str:
        return "Nothing here yet." + ("  F4: new" if self.CAN_CREATE else "")

    # --- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Plain(self.TITLE, classes="screen-title", id="title")
        # Enter ends the search as the key arrives and gives the list the focus at once, so that a scan
        # right behind it (two in one write) goes to the list, which starts a new search with it
        yield KeyedInput(placeholder="Type to search", compact=True, id="search").set_advances()
        yield PagedList(self.COLUMNS, id="list")
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def table(self) -> PagedList:
        return self.query_one("#list", PagedList)

    @property
    def rows(self) -> list[Any]:
        """The rows held now (a window of the whole result)."""
        return self.table.rows

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def search_text(self) -> str:
        return self.query_one("#search", Input).value.strip()

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()
        self.set_interval(self.REFRESH_SECONDS, self.refresh_rows)

    def on_screen_resume(self) -> None:
        if self.table.loaded:
            self.refresh_rows()

    # --- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """From the start, as filtered now."""
        t = self.table
        t.source = _Source(self, self.search_text)
        t.reset(failed=self._failed)

    def refresh_rows(self) -> None:
        """Read the rows held again and keep the cursor on its record."""
        if not self.is_attached or self.table.source is None:
            return
        if not self.table.refresh_rows():
            # The read on its way may have started before the change this refresh is for (a
            # deletion made just now, say): read again once it is shown.
            self._refresh_after = True

    def _failed(self, exc: Exception) -> None:
        self._refresh_after = False
        self.status.say(describe(exc), error=True)

    @on(PagedList.Loaded, "#list")
    def _loaded(self, event: PagedList.Loaded) -> None:
        if self._refresh_after:
            self._refresh_after = False
            self.call_after_refresh(self.refresh_rows)
        if not self.table.rows:
            self.status.say(self.empty_text(), bell=False)
            self._said_empty = True
        elif self._said_empty:
            self.status.say("", bell=False)
            self._said_empty = False
        self.on_rows_shown()

    def on_rows_shown(self) -> None:
        """Hook: the rows on screen changed."""

    # --- search ---------------------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.15, self.reload)

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.table.focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_list(self) -> None:
        self.table.focus()

    def export_filters(self) -> dict:
        """The filters on screen, for the export (store.excel.export_agenda)."""
        return {"search": self.search_text or None}

    def action_export(self) -> None:
        from .excel import FileJob, default_path, export_job

        self.app.push_screen(FileJob(f"Export {self.TITLE}", default_path(self.EXPORT),
                                     export_job(self.EXPORT, self.export_filters())))

    def check_action(self, action: str, parameters) -> bool | None:
        from .rights import allowed

        if not allowed(self, action):  # the operator's role may not (store.rights)
            return False
        if action == "export" and not self.EXPORT:
            return False
        if action == "new" and not self.CAN_CREATE:
            return False
        if action == "delete" and not self.CAN_DELETE:
            return False
        return True

    def on_key(self, event) -> None:
        """Type to search: a character typed on the list goes into the search field."""
        # Not "unless the search field has the focus": a key handed to the list just before the focus
        # moved to the field bubbles up here after the move, and must still be typed. A character
        # the field itself took never comes here (the field stops it).
        search = self.query_one("#search", Input)
        if event.key in ("enter", "tab") and self.focused is not search and self._routed_at >= 0 \
                and event.time - self._routed_at < keys.BURST_GAP:
            # the terminator of a scan whose keys went to the search on their way: the search, not
            # Enter on the row under the cursor (which would open a record of the previous search)
            event.stop()
            event.prevent_default()
            self._routed_at = -1.0
            self._new_search = True  # the next key on the list, a scan's in the same write too, starts anew
            self.table.focus()
            return
        if not event.character or not event.character.isprintable():
            return
        if event.character == " ":
            return
        event.stop()
        event.prevent_default()
        if self._new_search:
            # the first key typed or scanned on the list since it took the focus starts a new search: a
            # scan after a scan searches for itself, not for the two run together. The keys after it
            # (a burst's, still on their way to the list) add to it.
            self._new_search = False
            search.value = ""
        self._routed_at = event.time
        search.focus()
        search.insert_text_at_cursor(event.character)

    _new_search = True
    _routed_at = -1.0  # when the last key typed on the list went into the search

    def on_descendant_focus(self, event) -> None:
        if event.widget is self.table:
            self._new_search = True

    # --- actions --------------------------------------------------------------------------------
    @on(PagedList.Selected, "#list")
    def _selected(self, event: PagedList.Selected) -> None:
        self.open_row(event.row)

    def action_new(self) -> None:
        self.new_record()

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if self.focused is self.query_one("#search", Input) and self.search_text:
            self.query_one("#search", Input).value = ""
            self.table.focus()
            return
        self.app.pop_screen()

    def current_row(self) -> Any | None:
        return self.table.current()

    def action_delete(self) -> None:
        row = self.current_row()
        if row is None:
            return
        what = self.delete_row(row)
        if what is False:  # refused, and said why
            return
        if what is None:
            self.status.say("This list has nothing to delete.", error=True, bell=False)
            return
        question, fn = what

        def answered(yes: bool | None) -> None:
            if yes:
                call_store(self, fn, name="delete_row",
                           done=lambda _: (self.status.say("Deleted.", bell=False), self.refresh_rows()),
                           failed=lambda exc: self.status.say(describe(exc), error=True))

        self.app.push_screen(ConfirmScreen(question), answered)
