"""The agenda screen: a list paged from the database, with search, open, create and delete.

Rows come a page at a time (keyset); more are fetched as the cursor nears the end. A list never
holds more than MAX_ROWS: past that the far end is dropped and fetched again when the cursor goes
back there. Every few seconds the loaded rows are fetched again, so that what other operators
saved shows up, and the cursor stays on the same record.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from .common import ConfirmScreen, Plain, StatusLine, call_store, describe, fit_columns, plain, KeyFooter


class Agenda(Screen):
    """Subclasses set TITLE and COLUMNS and implement fetch / key / cells (and open / new / delete)."""

    TITLE = "Agenda"
    EXPORT: str | None = None  # the store.excel agenda written by ctrl+o
    COLUMNS: list[tuple[str, int | None]] = []  # (label, width or None for auto)
    PAGE = 50  # a few screens' worth: painting rows is what a keystroke waits for
    MAX_ROWS = 300
    REFRESH_SECONDS = 5.0
    CAN_CREATE = True
    CAN_DELETE = True

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
        self.rows: list[Any] = []
        self.more_after = True  # the database may hold rows after the last loaded one
        self.more_before = False  # rows before the first loaded one were dropped from the window
        self._loading = False
        self._refresh_after = False  # a refresh was asked for while a load was in flight
        self._search_timer = None

    # --- to implement -------------------------------------------------------------------------
    def fetch(self, search: str, after_row: Any | None, limit: int) -> list[Any]:
        """Runs in a thread: rows after ``after_row`` (None: from the start)."""
        raise NotImplementedError

    def fetch_before(self, search: str, before_row: Any, limit: int) -> list[Any]:
        """Runs in a thread: rows before ``before_row``, nearest first. Only lists that drop rows need it."""
        return []

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
        yield Input(placeholder="Type to search", compact=True, id="search")
        table = DataTable(cursor_type="row", zebra_stripes=True, id="list")
        for label, width in self.COLUMNS:
            table.add_column(label, width=width, key=label)
        yield table
        yield StatusLine("", id="status")
        yield KeyFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#list", DataTable)

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
        if self.rows or not self._loading:
            self.refresh_rows()

    # --- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        """From the start, as filtered now."""
        search = self.search_text
        self._loading = True
        call_store(self, self.fetch, search, None, self.PAGE, group="agenda", exclusive=True,
                   done=lambda rows: self._show(rows, keep_key=None, more_after=len(rows) >= self.PAGE,
                                                more_before=False),
                   failed=self._failed)

    def refresh_rows(self) -> None:
        """Fetch the loaded window again and keep the cursor on its record."""
        if not self.is_attached:
            return
        if self._loading:
            # The load in flight may have read before the change this refresh is for (a deletion
            # made just now, say): fetch again once it is shown.
            self._refresh_after = True
            return
        search = self.search_text
        first = self.rows[0] if self.rows and self.more_before else None
        count = max(len(self.rows), self.PAGE)
        keep = self._cursor_key()
        self._loading = True

        def fetch_window():
            if first is None:
                return self.fetch(search, None, count)
            before = self.fetch_before(search, first, 1)
            return before + self.fetch(search, before[0] if before else None, count - len(before))

        call_store(self, fetch_window, group="agenda", exclusive=True,
                   done=lambda rows: self._show(rows, keep_key=keep, more_after=len(rows) >= count,
                                                more_before=self.more_before, quiet=True),
                   failed=self._failed)

    def _failed(self, exc: Exception) -> None:
        self._loading = False
        self._refresh_after = False
        self.status.say(describe(exc), error=True)

    def _cursor_key(self) -> str | None:
        t = self.table
        if not self.rows or t.cursor_row < 0 or t.cursor_row >= len(self.rows):
            return None
        return self.key(self.rows[t.cursor_row])

    def _show(self, rows: list[Any], *, keep_key: str | None, more_after: bool, more_before: bool,
              cursor_index: int | None = None, quiet: bool = False) -> None:
        self._loading = False
        if self._refresh_after:
            self._refresh_after = False
            self.call_after_refresh(self.refresh_rows)
        t = self.table
        old_index = t.cursor_row
        new_keys = [self.key(r) for r in rows]
        if quiet and new_keys == [self.key(r) for r in self.rows] and \
                [self.cells(r) for r in rows] == [self.cells(r) for r in self.rows]:
            self.rows, self.more_after, self.more_before = rows, more_after, more_before
            return
        scroll_y = t.scroll_y
        self.rows, self.more_after, self.more_before = rows, more_after, more_before
        with self.app.batch_update():
            t.clear()
            cells = [self.cells(row) for row in rows]
            for row_cells, key in zip(cells, new_keys):
                t.add_row(*plain(*row_cells), key=key)
            fit_columns(t, cells)
            if cursor_index is None:
                cursor_index = new_keys.index(keep_key) if keep_key in new_keys else min(max(old_index, 0), len(rows) - 1)
            if rows:
                t.move_cursor(row=max(cursor_index, 0), animate=False, scroll=False)
                t.scroll_to(y=scroll_y, animate=False, immediate=True)
                t.move_cursor(row=max(cursor_index, 0), animate=False)
        if not quiet:
            self.status.say("" if rows else self.empty_text(), bell=False)
        self.on_rows_shown()

    def on_rows_shown(self) -> None:
        """Hook: the rows on screen changed."""

    @on(DataTable.RowHighlighted, "#list")
    def _near_edge(self, event: DataTable.RowHighlighted) -> None:
        if self._loading or not self.rows:
            return
        if event.cursor_row >= len(self.rows) - 5 and self.more_after:
            self._load_after()
        elif event.cursor_row <= 0 and self.more_before:
            self._load_before()

    def _load_after(self) -> None:
        search, last, keep = self.search_text, self.rows[-1], self._cursor_key()
        self._loading = True

        def done(page):
            rows = self.rows + page
            more_before = self.more_before
            if len(rows) > self.MAX_ROWS:
                rows = rows[len(rows) - self.MAX_ROWS:]
                more_before = True
            self._show(rows, keep_key=keep, more_after=len(page) >= self.PAGE, more_before=more_before, quiet=True)

        call_store(self, self.fetch, search, last, self.PAGE, group="agenda", exclusive=True, done=done,
                   failed=self._failed)

    def _load_before(self) -> None:
        search, first, keep = self.search_text, self.rows[0], self._cursor_key()
        self._loading = True

        def done(page):
            rows = list(reversed(page)) + self.rows
            more_after = self.more_after
            if len(rows) > self.MAX_ROWS:
                rows = rows[:self.MAX_ROWS]
                more_after = True
            self._show(rows, keep_key=keep, more_after=more_after, more_before=len(page) >= self.PAGE, quiet=True)

        call_store(self, self.fetch_before, search, first, self.PAGE, group="agenda", exclusive=True, done=done,
                   failed=self._failed)

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
        if action == "export" and not self.EXPORT:
            return False
        if action == "new" and not self.CAN_CREATE:
            return False
        if action == "delete" and not self.CAN_DELETE:
            return False
        return True

    def on_key(self, event) -> None:
        """Type to search: a character typed on the list goes into the search field."""
        search = self.query_one("#search", Input)
        if self.focused is search or not event.character or not event.character.isprintable():
            return
        if event.character == " ":
            return
        event.stop()
        event.prevent_default()
        search.focus()
        search.insert_text_at_cursor(event.character)

    # --- actions --------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#list")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.rows):
            self.open_row(self.rows[event.cursor_row])

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
        i = self.table.cursor_row
        return self.rows[i] if self.rows and 0 <= i < len(self.rows) else None

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
                call_store(self, fn, done=lambda _: (self.status.say("Deleted.", bell=False), self.refresh_rows()),
                           failed=lambda exc: self.status.say(describe(exc), error=True))

        self.app.push_screen(ConfirmScreen(question), answered)
